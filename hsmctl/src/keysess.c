// SPDX-License-Identifier: GPL-2.0-or-later
/* Logged-in sessions and key names for the key commands (keysess.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "keysess.h"
#include "pin.h"
#include "report.h"

#define LABEL_PREFIX "label:"

int keysess_user(const char *cmd, const char *opt, const char *name,
		 uint32_t dflt, uint32_t *user)
{
	if (!name) {
		*user = dflt;
		return -1;
	}
	if (hsm_user_parse(name, user) == 0)
		return -1;
	return report_usage("%s: %s must be user, so or wheel, not '%s'", cmd,
			    opt, cli_shown(name));
}

int keysess_key_user(const char *cmd, const char *name, uint32_t *user)
{
	int ret = keysess_user(cmd, "--user", name, HSM_USER_NORMAL, user);

	if (ret >= 0)
		return ret;
	if (*user == HSM_USER_SO) {
		fprintf(stderr, "hsmctl: %s: the so user cannot use keys: it may only set the user PIN (log in with --user user, or wheel)\n",
			cmd);
		return HSMCTL_EXIT_PERMISSION;
	}
	return -1;
}

int keysess_open(struct cli *c, const char *cmd, uint32_t user,
		 const char *pin_file, struct keysess *k)
{
	struct hsm_board_info info;
	char what[4200];
	uint32_t st = 0;
	struct pin pin;
	int ret;

	memset(k, 0, sizeof(*k));
	k->user = user;
	if (user != HSM_USER_NONE) {
		ret = pin_file_check(pin_file, hsm_user_name(user));
		if (ret >= 0)
			return ret;
	}
	ret = cli_device_path(c, cmd, k->dev, sizeof(k->dev));
	if (ret >= 0)
		return ret;
	ret = hsm_open(k->dev, &k->s);
	if (ret) {
		snprintf(what, sizeof(what), "cannot open %s", k->dev);
		return report_failure(what, ret, 0, NULL,
				      cli_open_hint(ret));
	}
	ret = hsm_board_info(k->s, &info);
	if (ret) {
		snprintf(what, sizeof(what), "%s: %s", cmd, k->dev);
		keysess_close(k);
		return report_failure(what, ret, 0, NULL,
				      ret == -ENOTTY ? "not a cryptech_hsm device?" : NULL);
	}
	snprintf(k->dev_name, sizeof(k->dev_name), "%s", info.dev_name);
	snprintf(k->board_id, sizeof(k->board_id), "%s", info.board_id);
	if (user == HSM_USER_NONE)
		return -1;

	ret = pin_read(&pin, pin_file, PIN_ENV, hsm_user_name(user), 0);
	if (ret >= 0) {
		pin_wipe(&pin);
		keysess_close(k);
		return ret;
	}
	ret = hsm_login(k->s, user, pin.buf, pin.len, &st);
	pin_wipe(&pin);
	if (ret) {
		char hint[200] = "";

		snprintf(what, sizeof(what), "%s: login as %s on %s", cmd,
			 hsm_user_name(user), k->dev);
		/* The board cannot tell a wrong PIN from one never set. */
		if (st == HSMCTL_STATUS_PIN_INCORRECT && user != HSM_USER_WHEEL)
			snprintf(hint, sizeof(hint),
				 "the %s PIN may also be unset: a fresh board has only the wheel PIN; set it with 'hsmctl set-pin --user %s'",
				 hsm_user_name(user), hsm_user_name(user));
		keysess_close(k);
		return report_failure(what, ret, st, NULL, *hint ? hint : NULL);
	}
	return -1;
}

void keysess_close(struct keysess *k)
{
	hsm_close(k->s);
	k->s = NULL;
}

const char *keysess_token(const struct keysess *k, char *buf, size_t len)
{
	/* The label of the stable identity; none without one (older kernel). */
	if (hsm_token_label(k->board_id, buf, len) != 0)
		return NULL;
	return buf;
}

int keyref_check(const char *cmd, const char *ref)
{
	uint8_t uuid[HSM_UUID_LEN];

	if (!ref)
		return report_usage("%s: which key? (a UUID or label:TEXT)", cmd);
	if (strncmp(ref, LABEL_PREFIX, strlen(LABEL_PREFIX)) == 0) {
		if (ref[strlen(LABEL_PREFIX)] == '\0')
			return report_usage("%s: empty label in '%s'", cmd, ref);
		return -1;
	}
	if (hsm_uuid_parse(ref, uuid) == 0) {
		static const uint8_t nil[HSM_UUID_LEN];

		/* Firmware generations answer it differently (43 or 21). */
		if (memcmp(uuid, nil, sizeof(nil)) == 0)
			return report_usage("%s: the all-zero UUID is the board's PIN block, never a key",
					    cmd);
		return -1;
	}
	return report_usage("%s: not a key name: '%s' (expected a UUID such as 6ba7b810-9dad-41d1-80b4-00c04fd430c8, or label:TEXT)",
			    cmd, ref);
}

/* The one key labelled @label, into @uuid; -1 or an exit code. */
static int find_label(struct keysess *k, const char *cmd, const char *label,
		      uint8_t uuid[HSM_UUID_LEN])
{
	struct hsm_attr a = {
		HSM_CKA_LABEL, (uint32_t)strlen(label), label,
	};
	struct hsm_match_filter f = { .attrs = &a, .n_attrs = 1 };
	uint8_t (*found)[HSM_UUID_LEN];
	char what[256], text[HSM_UUID_STR_LEN];
	uint32_t st = 0;
	size_t n, i;
	int ret;

	ret = hsm_match_all(k->s, &f, &found, &n, &st);
	if (ret) {
		snprintf(what, sizeof(what), "%s: looking for label '%.100s'",
			 cmd, label);
		return report_failure(what, ret, st, NULL, NULL);
	}
	if (n == 1) {
		memcpy(uuid, found[0], HSM_UUID_LEN);
		free(found);
		return -1;
	}
	if (n == 0) {
		fprintf(stderr, "hsmctl: %s: no key labelled '%s' visible to %s\n",
			cmd, label, hsm_user_name(k->user));
		return HSMCTL_EXIT_NO_KEY;
	}
	fprintf(stderr, "hsmctl: %s: %zu keys are labelled '%s'; name one by UUID:",
		cmd, n, label);
	for (i = 0; i < n; i++) {
		hsm_uuid_format(found[i], text, sizeof(text));
		fprintf(stderr, " %s", text);
	}
	fputc('\n', stderr);
	free(found);
	return HSMCTL_EXIT_USAGE;
}

int keyref_open(struct keysess *k, const char *cmd, const char *ref,
		uint32_t *handle)
{
	uint8_t uuid[HSM_UUID_LEN];
	char what[256], text[HSM_UUID_STR_LEN];
	uint32_t st = 0;
	int ret;

	if (strncmp(ref, LABEL_PREFIX, strlen(LABEL_PREFIX)) == 0) {
		ret = find_label(k, cmd, ref + strlen(LABEL_PREFIX), uuid);
		if (ret >= 0)
			return ret;
	} else if (hsm_uuid_parse(ref, uuid)) {
		return keyref_check(cmd, ref);
	}
	hsm_uuid_format(uuid, text, sizeof(text));
	ret = hsm_open_key(k->s, uuid, handle, &st);
	if (ret == -ENOENT) {
		fprintf(stderr, "hsmctl: %s: no key %s visible to %s on %s\n",
			cmd, text, hsm_user_name(k->user), k->dev);
		return HSMCTL_EXIT_NO_KEY;
	}
	if (ret) {
		snprintf(what, sizeof(what), "%s: opening key %s", cmd, text);
		return report_failure(what, ret, st, NULL, NULL);
	}
	return -1;
}

int keysess_open_named(struct cli *c, const char *cmd, const char *ref,
		       const char *user_opt, const char *pin_file,
		       struct keysess *k, uint32_t *handle)
{
	uint32_t user;
	int ret;

	ret = keyref_check(cmd, ref);
	if (ret < 0)
		ret = keysess_key_user(cmd, user_opt, &user);
	if (ret < 0)
		ret = keysess_open(c, cmd, user, pin_file, k);
	if (ret >= 0)
		return ret;
	ret = keyref_open(k, cmd, ref, handle);
	if (ret >= 0)
		keysess_close(k);
	return ret;
}

int keysess_read_public(struct cli *c, const char *cmd, const char *ref,
			const char *user_opt, const char *pin_file,
			struct hsm_key_info *info, uint8_t **der, size_t *len)
{
	struct keysess k;
	uint32_t handle, st = 0;
	char what[160];
	int ret;

	ret = keysess_open_named(c, cmd, ref, user_opt, pin_file, &k, &handle);
	if (ret >= 0)
		return ret;
	ret = hsm_key_info(k.s, handle, info, &st);
	if (ret == 0)
		ret = hsm_public_key_alloc(k.s, handle, der, len, &st);
	keysess_close(&k);
	if (ret) {
		snprintf(what, sizeof(what), "%s: reading the public key of %.100s",
			 cmd, ref ? ref : "the key");
		return report_failure(what, ret, st, NULL, NULL);
	}
	return -1;
}
