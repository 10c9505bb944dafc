/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A redundancy group's state, for "hsmctl group" (issue 13): its boards
 * (attached or not, opened and logged in as the key user) and its keys,
 * each identified by its public key, with the boards holding a copy.
 */
#ifndef HSMCTL_GROUP_H
#define HSMCTL_GROUP_H

#include <stddef.h>
#include <stdint.h>

#include <hsm/groups.h>
#include <hsm/hsm.h>

#include "cli.h"
#include "key_out.h"
#include "keysess.h"

/* The test seam: device paths to use instead of the kernel's board list. */
#define GROUP_DEVICES_ENV	"HSMCTL_DEVICES"

/* The state of one board of the group. */
enum group_board_state {
	GROUP_BOARD_ABSENT,	/* not attached */
	GROUP_BOARD_READY,	/* opened, logged in, keys read */
	GROUP_BOARD_ERROR,	/* attached, but unusable (reported) */
};

struct group_board {
	char id[64];				/* stable identity */
	char token[HSM_TOKEN_LABEL_LEN];	/* its own PKCS#11 token label */
	char dev[4096];				/* device node, "" when absent */
	enum group_board_state state;
	int exit_code;				/* of the error, else 0 */
	struct keysess k;			/* when READY */
};

/* A board's copy of a key: its private key and public-key object. */
struct group_copy {
	int present;
	uint8_t uuid[HSM_UUID_LEN];
	int has_public;
	uint8_t pub_uuid[HSM_UUID_LEN];
};

struct group_key {
	unsigned char *spki;		/* the key's identity */
	size_t spki_len;
	char fingerprint[24];		/* first 8 bytes of SHA-256(spki), hex */
	struct key_desc desc;		/* from the first board holding it */
	struct group_copy copies[HSM_GROUP_MAX_BOARDS];
};

struct group_state {
	const struct hsm_group *g;
	struct group_board boards[HSM_GROUP_MAX_BOARDS];
	struct group_key *keys;
	size_t n_keys;
	int exit_code;			/* of the first board error, else 0 */
};

/*
 * Read the groups file (@path, else $HSM_GROUPS_CONF, else the default)
 * for @cmd. -1 with *@groups (hsm_groups_free()) and *@n, or an exit code
 * after reporting the problem.
 */
int group_config_load(const char *cmd, const char *path,
		      struct hsm_group **groups, size_t *n);

/*
 * Find the group's attached boards, open each, log in as @user (PIN from
 * @pin_file, $HSMCTL_PIN or a prompt, per board) and read its keys. A
 * board that cannot be used is reported on stderr and marked ERROR, the
 * others still serve. -1, or an exit code when nothing could be learnt
 * (the board list itself failed).
 */
int group_state_open(struct cli *c, const char *cmd, const struct hsm_group *g,
		     uint32_t user, const char *pin_file,
		     struct group_state *gs);
void group_state_close(struct group_state *gs);

/* The number of READY boards holding key @k. */
size_t group_key_copies(const struct group_state *gs, const struct group_key *k);

/* Record a copy of @k made on board @b (hsm_key_replicate()'s names). */
void group_key_add_copy(struct group_key *k, size_t b,
			const uint8_t uuid[HSM_UUID_LEN],
			const uint8_t pub_uuid[HSM_UUID_LEN]);

/* "label" or the label of @k made safe for a terminal; "-" if none (free). */
char *group_key_label(const struct group_key *k);
/* Its CKA_ID in hex, "-" if none (free). */
char *group_key_id(const struct group_key *k);
/* "P-256", "rsa-2048"... */
void group_key_algorithm(const struct group_key *k, char *buf, size_t len);

#endif /* HSMCTL_GROUP_H */
