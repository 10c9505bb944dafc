/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The backup bundle: the JSON document of the upstream cryptech_backup
 * tool (protocol §7.6.1), read and written byte-compatibly (sorted keys,
 * 4-space indentation, binary values as arrays of 76-character Base64
 * lines), plus hsmctl's own member "attributes" per key, which the
 * upstream reader ignores (Documentation/hsmctl.rst, "Backup bundles").
 * Format only: no board is touched here.
 */
#ifndef HSMCTL_BUNDLE_H
#define HSMCTL_BUNDLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Largest bundle file read: far above any real keystore's export. */
#define BUNDLE_MAX_BYTES	(64u << 20)
/* Attributes carried per key: one board call sets them all (HSM_ATTRS_MAX). */
#define BUNDLE_MAX_ATTRS	64
/* Base64 line length written (the upstream tool's). */
#define BUNDLE_B64_LINE		76

#define BUNDLE_COMMENT_SETUP	"KEKEK public key"
#define BUNDLE_COMMENT_BACKUP	"Cryptech Alpha encrypted key backup"
#define BUNDLE_COMMENT_PRIVATE	"Encrypted private key"
#define BUNDLE_COMMENT_PUBLIC	"Public key"

struct bundle_blob {
	unsigned char *data;	/* NULL when absent */
	size_t len;
};

struct bundle_attr {
	uint32_t type;		/* the board attribute type (CKA_* number) */
	struct bundle_blob value;	/* data may be NULL with len 0: empty */
};

/* One key: a wrapped private key (pkcs8 and kek) or a public key (spki). */
struct bundle_key {
	char uuid[37];		/* its name on the source board */
	uint32_t flags;		/* HSM_KEY_F_* on the source board */
	struct bundle_blob pkcs8, kek, spki;
	struct bundle_attr *attrs;
	size_t n_attrs;
};

struct bundle {
	struct bundle_blob kekek_pubkey;	/* SPKI DER */
	char kekek_uuid[37];
	int has_keys;		/* the "keys" member is present (an export) */
	struct bundle_key *keys;
	size_t n_keys;
};

/*
 * Parse a bundle from @text (@len bytes). Needs kekek_pubkey and
 * kekek_uuid; "keys", when present, must be an array of key objects, each
 * with flags, uuid and either pkcs8 and kek or spki. Unknown members are
 * ignored. Returns 0, or -EINVAL with what is wrong in @err (a path such
 * as "keys[2].kek: not valid Base64").
 */
int bundle_parse(const char *text, size_t len, struct bundle *b, char *err,
		 size_t errlen);

/* Read and parse the file @path; -errno (unreadable) or -EINVAL, @err set. */
int bundle_read_file(const char *path, struct bundle *b, char *err,
		     size_t errlen);

/* Write @b as upstream does: the setup document without keys, else the
 * backup document. Returns 0 or -errno. */
int bundle_write(FILE *f, const struct bundle *b);

/* Write @b to @path (mode 0600, replaced whole through a temporary file). */
int bundle_write_file(const char *path, const struct bundle *b);

/* A new empty key at the end of @b->keys; NULL when out of memory. */
struct bundle_key *bundle_add_key(struct bundle *b);

/* Copy @len bytes into @blob (an empty blob for @len 0); -ENOMEM. */
int bundle_blob_set(struct bundle_blob *blob, const void *data, size_t len);

void bundle_free(struct bundle *b);

/* Base64 of @len bytes as a NUL-terminated malloc()ed string, no newlines. */
char *bundle_b64_encode(const void *data, size_t len);

/*
 * Decode standard Base64 (padding required, no whitespace) of @in_len
 * characters into a malloc()ed *@out of *@out_len bytes. -EINVAL, -ENOMEM.
 */
int bundle_b64_decode(const char *in, size_t in_len, unsigned char **out,
		      size_t *out_len);

#endif /* HSMCTL_BUNDLE_H */
