// SPDX-License-Identifier: GPL-2.0-or-later
/* hsmctl kernel-login, hsmctl kernel-logout: the board's kernel session. */
#include <errno.h>
#include <stdio.h>

#include <hsm/hsm.h>

#include "cli.h"
#include "exitcodes.h"
#include "json.h"
#include "keysess.h"
#include "pin.h"
#include "report.h"

/* The hint for a failure of a kernel-session ioctl, or NULL. */
static const char *kernel_hint(int err)
{
	if (err == -EPERM)
		return "the kernel session needs CAP_SYS_ADMIN: run as root";
	if (err == -ENOTTY)
		return "this cryptech_hsm module has no kernel session";
	if (err == -EUSERS)
		return "all 10 login slots of the board are in use";
	return NULL;
}

static void kernel_json(const struct keysess *k, uint32_t user)
{
	struct json j;

	json_init(&j, stdout);
	json_object_begin(&j);
	json_kv_string(&j, "device", k->dev_name);
	json_key(&j, "kernel_session");
	json_object_begin(&j);
	json_kv_bool(&j, "logged_in", user != HSM_USER_NONE);
	json_kv_string(&j, "user", hsm_user_name(user));
	json_object_end(&j);
	json_object_end(&j);
	json_end(&j);
}

int cmd_kernel_login(struct cli *c, int argc, char **argv)
{
	const char *user_opt, *pin_file;
	const struct cmd_opt opts[] = {
		{ "user", &user_opt }, { "pin-file", &pin_file }, { NULL, NULL },
	};
	char *pos[1], what[4200];
	uint32_t user, st = 0;
	struct keysess k;
	struct pin pin;
	int ret, n;

	ret = cli_parse(c, "kernel-login", argc, argv, opts, NULL, pos, 0, &n);
	if (ret >= 0)
		return ret;
	ret = keysess_key_user("kernel-login", user_opt, &user);
	if (ret >= 0)
		return ret;
	ret = pin_file_check(pin_file, hsm_user_name(user));
	if (ret >= 0)
		return ret;
	/* The file only names the board: its own session stays logged out. */
	ret = keysess_open(c, "kernel-login", HSM_USER_NONE, NULL, &k);
	if (ret >= 0)
		return ret;
	ret = pin_read(&pin, pin_file, PIN_ENV, hsm_user_name(user), 0);
	if (ret >= 0) {
		pin_wipe(&pin);
		keysess_close(&k);
		return ret;
	}
	ret = hsm_kernel_login(k.s, user, pin.buf, pin.len, &st);
	pin_wipe(&pin);
	keysess_close(&k);
	if (ret) {
		snprintf(what, sizeof(what),
			 "kernel-login: logging in the kernel session as %s on %s",
			 hsm_user_name(user), k.dev);
		return report_failure(what, ret, st, NULL, kernel_hint(ret));
	}
	if (c->json)
		kernel_json(&k, user);
	else
		printf("%s: kernel session logged in as %s\n", k.dev_name,
		       hsm_user_name(user));
	return HSMCTL_EXIT_OK;
}

int cmd_kernel_logout(struct cli *c, int argc, char **argv)
{
	char *pos[1], what[4200];
	struct keysess k;
	uint32_t st = 0;
	int ret, n;

	ret = cli_parse(c, "kernel-logout", argc, argv, NULL, NULL, pos, 0, &n);
	if (ret >= 0)
		return ret;
	ret = keysess_open(c, "kernel-logout", HSM_USER_NONE, NULL, &k);
	if (ret >= 0)
		return ret;
	ret = hsm_kernel_logout(k.s, &st);
	keysess_close(&k);
	if (ret) {
		snprintf(what, sizeof(what),
			 "kernel-logout: logging out the kernel session on %s",
			 k.dev);
		return report_failure(what, ret, st, NULL, kernel_hint(ret));
	}
	if (c->json)
		kernel_json(&k, HSM_USER_NONE);
	else
		printf("%s: kernel session logged out\n", k.dev_name);
	return HSMCTL_EXIT_OK;
}
