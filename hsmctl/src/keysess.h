/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the key and PIN commands share: a session logged in as a user (one
 * per command), and naming keys by UUID or "label:TEXT".
 */
#ifndef HSMCTL_KEYSESS_H
#define HSMCTL_KEYSESS_H

#include <stdint.h>

#include <hsm/hsm.h>

#include "cli.h"

/* The environment variables PINs may come from. */
#define PIN_ENV		"HSMCTL_PIN"
#define NEW_PIN_ENV	"HSMCTL_NEW_PIN"

struct keysess {
	struct hsm_session *s;
	char dev[4096];		/* the node opened, for messages */
	char dev_name[32];	/* "hsmN", from the board */
	char board_id[64];	/* its stable identity, "" if unknown */
	uint32_t user;
};

/* Parse --user/--as: "user", "so" or "wheel"; NULL gives @dflt. */
int keysess_user(const char *cmd, const char *opt, const char *name,
		 uint32_t dflt, uint32_t *user);

/*
 * --user of a key command (default user): so is refused with the reason
 * (it cannot use keys), exit status 4. -1 or an exit code.
 */
int keysess_key_user(const char *cmd, const char *name, uint32_t *user);

/*
 * Open the board's device and, unless @user is HSM_USER_NONE, log in as
 * @user with the PIN from @pin_file, $HSMCTL_PIN or a prompt. Returns -1
 * or an exit code (the session is then closed).
 */
int keysess_open(struct cli *c, const char *cmd, uint32_t user,
		 const char *pin_file, struct keysess *k);

void keysess_close(struct keysess *k);

/* Check the syntax of a key name (UUID or label:TEXT); -1 or exit code. */
int keyref_check(const char *cmd, const char *ref);

/*
 * Open the key named @ref: a UUID, or "label:TEXT" naming exactly one key
 * by its CKA_LABEL. Returns -1 with *@handle set, or an exit code
 * (HSMCTL_EXIT_NO_KEY when there is no such key).
 */
int keyref_open(struct keysess *k, const char *cmd, const char *ref,
		uint32_t *handle);

/*
 * The usual start of a command on one key: check @ref's syntax and the
 * --user option (default user), open and log in, open the key. Returns -1
 * with the session and *@handle ready, or an exit code (session closed).
 */
int keysess_open_named(struct cli *c, const char *cmd, const char *ref,
		       const char *user_opt, const char *pin_file,
		       struct keysess *k, uint32_t *handle);

/*
 * Open a session for the key @ref names (as keysess_open_named()), read its
 * info and public key (SubjectPublicKeyInfo DER in @der, @len bytes, for
 * the caller to free), and close the session. Returns -1 on success, or an
 * exit code with the error reported.
 */
int keysess_read_public(struct cli *c, const char *cmd, const char *ref,
			const char *user_opt, const char *pin_file,
			struct hsm_key_info *info, uint8_t **der, size_t *len);

/*
 * The PKCS#11 token label of the session's board (hsm_token_label() of its
 * board_id, e.g. "cryptech-EMU00000") in @buf of at least
 * HSM_TOKEN_LABEL_LEN bytes, or NULL when the kernel reports no identity:
 * URIs then name no token.
 */
const char *keysess_token(const struct keysess *k, char *buf, size_t len);

#endif /* HSMCTL_KEYSESS_H */
