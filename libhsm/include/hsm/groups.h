/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libhsm redundancy groups: the groups file that names sets of boards,
 * by their stable identities, which the PKCS#11 module presents as one
 * token each and which hsmctl keeps in step. Documentation/libhsm.rst
 * has the reference, Documentation/admin-guide/groups.rst the file format.
 */
#ifndef HSM_GROUPS_H
#define HSM_GROUPS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HSM_GROUP_NAME_MAX	20	/* bytes, without NUL: [A-Za-z0-9._-]+ */
#define HSM_GROUP_MAX_BOARDS	8
#define HSM_GROUPS_CONF_DEFAULT	"/etc/cryptech-hsm/groups.conf"

struct hsm_group {
	char name[HSM_GROUP_NAME_MAX + 1];
	/* The group token's label: "cryptech-grp-" and the name (a 20-byte
	 * name: its first 10 bytes, '-' and 8 hex digits of SHA-256 of the
	 * name); never needs %-encoding in a PKCS#11 URI. */
	char label[33];
	size_t n_boards;
	/* Stable board identities (BOARD_INFO board_id), in file order. */
	char boards[HSM_GROUP_MAX_BOARDS][64];
};

/*
 * Read the groups file: @path, or $HSM_GROUPS_CONF, or
 * HSM_GROUPS_CONF_DEFAULT. A missing default file is no groups (0,
 * *out = NULL, *n = 0); a missing explicit file, or any syntax error, is
 * an error (-ENOENT, -EINVAL, ...) with a message in @err (may be NULL)
 * naming the file and line and the fix. Free *out with hsm_groups_free().
 */
int hsm_groups_load(const char *path, struct hsm_group **out, size_t *n,
		    char *err, size_t errlen);
void hsm_groups_free(struct hsm_group *groups);

/* The group of board identity @board_id, or NULL. */
const struct hsm_group *hsm_group_of(const struct hsm_group *groups, size_t n,
				     const char *board_id);

#ifdef __cplusplus
}
#endif

#endif /* HSM_GROUPS_H */
