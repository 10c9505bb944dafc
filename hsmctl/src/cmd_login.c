// SPDX-License-Identifier: GPL-2.0-or-later
/* hsmctl login-status, hsmctl set-pin. */
#include <stdio.h>
#include <string.h>

#include <hsm/hsm.h>

#include "cli.h"
#include "exitcodes.h"
#include "json.h"
#include "keysess.h"
#include "pin.h"
#include "report.h"

int cmd_login_status(struct cli *c, int argc, char **argv)
{
	const char *user_opt, *pin_file;
	const struct cmd_opt opts[] = {
		{ "user", &user_opt }, { "pin-file", &pin_file }, { NULL, NULL },
	};
	struct keysess k;
	uint32_t user, now = 0, st = 0;
	char *pos[1], what[4200];
	int ret, n;

	ret = cli_parse(c, "login-status", argc, argv, opts, NULL, pos, 0, &n);
	if (ret >= 0)
		return ret;
	ret = keysess_user("login-status", "--user", user_opt, HSM_USER_NONE,
			   &user);
	if (ret >= 0)
		return ret;
	if (pin_file && user == HSM_USER_NONE)
		return report_usage("login-status: --pin-file needs --user");

	ret = keysess_open(c, "login-status", user, pin_file, &k);
	if (ret >= 0)
		return ret;
	ret = hsm_login_status(k.s, &now, &st);
	if (ret) {
		snprintf(what, sizeof(what), "login-status on %s", k.dev);
		keysess_close(&k);
		return report_failure(what, ret, st, NULL, NULL);
	}
	if (c->json) {
		struct json j;

		json_init(&j, stdout);
		json_object_begin(&j);
		json_kv_string(&j, "device", k.dev_name);
		json_kv_string(&j, "user", hsm_user_name(now));
		json_kv_bool(&j, "logged_in", now != HSM_USER_NONE);
		json_object_end(&j);
		json_end(&j);
	} else if (now == HSM_USER_NONE) {
		printf("%s: not logged in\n", k.dev_name);
	} else {
		printf("%s: logged in as %s\n", k.dev_name, hsm_user_name(now));
	}
	keysess_close(&k);
	return HSMCTL_EXIT_OK;
}

int cmd_set_pin(struct cli *c, int argc, char **argv)
{
	const char *user_opt, *as_opt, *pin_file, *new_file;
	const struct cmd_opt opts[] = {
		{ "user", &user_opt }, { "as", &as_opt },
		{ "pin-file", &pin_file }, { "new-pin-file", &new_file },
		{ NULL, NULL },
	};
	char *pos[1], what[4200], who[32];
	uint32_t user, as, st = 0;
	struct keysess k;
	struct pin pin;
	int ret, n;

	ret = cli_parse(c, "set-pin", argc, argv, opts, NULL, pos, 0, &n);
	if (ret >= 0)
		return ret;
	/* No default: changing the wrong PIN locks people out. */
	if (!user_opt)
		return report_usage("set-pin: whose PIN? (--user user|so|wheel)");
	ret = keysess_user("set-pin", "--user", user_opt, 0, &user);
	if (ret >= 0)
		return ret;
	/* WHEEL may set every PIN; SO only the NORMAL user's. */
	ret = keysess_user("set-pin", "--as", as_opt, HSM_USER_WHEEL, &as);
	if (ret >= 0)
		return ret;
	if (as == HSM_USER_NORMAL || (as == HSM_USER_SO && user != HSM_USER_NORMAL))
		return report_usage("set-pin: %s cannot set the %s PIN (wheel sets any PIN, so only the user PIN)",
				    hsm_user_name(as), hsm_user_name(user));
	if (pin_file && new_file && strcmp(pin_file, new_file) == 0)
		return report_usage("set-pin: --pin-file and --new-pin-file name the same file");
	snprintf(who, sizeof(who), "new %s", hsm_user_name(user));
	ret = pin_file_check(new_file, who);
	if (ret >= 0)
		return ret;

	ret = keysess_open(c, "set-pin", as, pin_file, &k);
	if (ret >= 0)
		return ret;
	snprintf(who, sizeof(who), "new %s", hsm_user_name(user));
	ret = pin_read(&pin, new_file, NEW_PIN_ENV, who, 1);
	if (ret >= 0) {
		pin_wipe(&pin);
		keysess_close(&k);
		return ret;
	}
	ret = hsm_set_pin(k.s, user, pin.buf, pin.len, &st);
	pin_wipe(&pin);
	keysess_close(&k);
	if (ret) {
		snprintf(what, sizeof(what), "set-pin: setting the %s PIN on %s",
			 hsm_user_name(user), k.dev);
		return report_failure(what, ret, st, NULL, NULL);
	}
	if (c->json) {
		struct json j;

		json_init(&j, stdout);
		json_object_begin(&j);
		json_kv_string(&j, "device", k.dev_name);
		json_kv_string(&j, "user", hsm_user_name(user));
		json_kv_string(&j, "as", hsm_user_name(as));
		json_kv_bool(&j, "pin_set", 1);
		json_object_end(&j);
		json_end(&j);
	} else {
		printf("%s: %s PIN set\n", k.dev_name, hsm_user_name(user));
	}
	return HSMCTL_EXIT_OK;
}
