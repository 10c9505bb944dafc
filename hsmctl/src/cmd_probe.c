// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hsmctl probe [--attach] [--timeout MS] TTY: which port of a board is
 * this, and with --attach, attach it if it is the RPC port. The udev rule
 * of the packages runs "hsmctl probe --attach" for every port of a board
 * (through cryptech-hsm-attach@.service).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hsm/hsm.h>

#include "board_out.h"
#include "cli.h"
#include "exitcodes.h"
#include "probe.h"
#include "report.h"

#define PROBE_ATTACH	(1u << 0)

/* "ttyUSB0" for /dev/ttyUSB0, "pts/3" for /dev/pts/3. */
static const char *tty_base(const char *path)
{
	const char *s;

	if (strncmp(path, "/dev/", 5) == 0)
		return path + 5;
	s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* The board already attached on @tty, if any: its index, else -1. */
static int attached_on(const char *tty, struct hsm_board_desc *out)
{
	struct hsm_board_desc *b = NULL;
	size_t n = 0, i;
	int found = -1;

	if (hsm_list_boards(&b, &n, NULL, 0))
		return -1;
	for (i = 0; i < n; i++) {
		if (strcmp(b[i].tty_name, tty_base(tty)) == 0) {
			*out = b[i];
			found = (int)b[i].index;
			break;
		}
	}
	hsm_free_boards(b);
	return found;
}

static void print_result(const struct cli *c, const char *tty,
			 const struct probe_result *r, const char *action,
			 const struct hsm_board_desc *d)
{
	char ver[20] = "";

	if (r && r->kind == PROBE_RPC && r->version)
		hsm_format_version(r->version, ver, sizeof(ver));
	if (c->json) {
		struct json j;

		json_init(&j, stdout);
		json_object_begin(&j);
		json_kv_string(&j, "tty", tty_base(tty));
		if (r) {
			json_kv_string(&j, "port", probe_kind_name(r->kind));
			if (*ver)
				json_kv_string(&j, "protocol", ver);
			if (r->kind == PROBE_CONSOLE)
				json_kv_string(&j, "prompt", r->prompt);
			json_kv_u64(&j, "received", r->received);
		} else {
			json_kv_string(&j, "port", "rpc");
		}
		if (action)
			json_kv_string(&j, "action", action);
		if (d) {
			json_key(&j, "board");
			board_json(&j, d);
		}
		json_object_end(&j);
		json_end(&j);
		return;
	}
	if (!r) {
		printf("%s: %s already attached on it\n", tty_base(tty),
		       d->dev_name);
		return;
	}
	switch (r->kind) {
	case PROBE_RPC:
		printf("%s: rpc port (GET_VERSION answered%s%s)", tty_base(tty),
		       *ver ? ", protocol " : "", ver);
		break;
	case PROBE_CONSOLE:
		printf("%s: console port (prompt \"%s\")", tty_base(tty),
		       r->prompt);
		break;
	case PROBE_SILENT:
		printf("%s: silent (no answer to the probe)", tty_base(tty));
		break;
	default:
		printf("%s: other (%zu bytes that are neither a GET_VERSION "
		       "reply nor a console prompt)", tty_base(tty), r->received);
		break;
	}
	if (action && d)
		printf("; %s attached on it\n", d->dev_name);
	else if (action)
		printf("; %s\n", action);
	else
		putchar('\n');
}

int cmd_probe(struct cli *c, int argc, char **argv)
{
	const char *timeout_arg = NULL;
	const struct cmd_opt opts[] = {
		{ "attach", NULL },
		{ "timeout", &timeout_arg },
		{ NULL, NULL },
	};
	struct hsm_board_desc d;
	struct probe_result r;
	char errmsg[512], what[300], path[4096], *end;
	unsigned flags = 0;
	long timeout = PROBE_DEFAULT_TIMEOUT_MS;
	char *pos[1];
	int ret, n;

	ret = cli_parse(c, "probe", argc, argv, opts, &flags, pos, 1, &n);
	if (ret >= 0)
		return ret;
	if (n != 1)
		return report_usage("probe: which tty? (hsmctl probe /dev/ttyUSB0)");
	if (c->device)
		return report_usage("probe: -d makes no sense here: probe takes a tty");
	if (timeout_arg) {
		errno = 0;
		timeout = strtol(timeout_arg, &end, 10);
		if (errno || *end || end == timeout_arg || timeout < 1 ||
		    timeout > 60000)
			return report_usage("probe: --timeout takes milliseconds, 1..60000");
	}
	if ((size_t)snprintf(path, sizeof(path), "%s%s",
			     strchr(pos[0], '/') ? "" : "/dev/", pos[0]) >=
	    sizeof(path))
		return report_usage("probe: tty path too long");
	snprintf(what, sizeof(what), "probe %s", pos[0]);

	/*
	 * Attached already (udev replays "add" on "udevadm trigger"): the
	 * kernel owns the line, and probing it would only fail with EBUSY.
	 */
	if ((flags & PROBE_ATTACH) && attached_on(path, &d) >= 0) {
		print_result(c, path, NULL, "already attached", &d);
		return HSMCTL_EXIT_OK;
	}

	ret = probe_tty(path, (int)timeout, &r, errmsg, sizeof(errmsg));
	if (ret)
		return report_failure(what, ret, 0, errmsg, NULL);

	if (!(flags & PROBE_ATTACH)) {
		print_result(c, path, &r, NULL, NULL);
		return r.kind == PROBE_RPC ? HSMCTL_EXIT_OK : HSMCTL_EXIT_NOT_RPC;
	}

	switch (r.kind) {
	case PROBE_RPC:
		break;
	case PROBE_CONSOLE:
		/* The other port of a board: leaving it alone is success. */
		print_result(c, path, &r, "left alone", NULL);
		return HSMCTL_EXIT_OK;
	default:
		print_result(c, path, &r, "not attached", NULL);
		fprintf(stderr, "hsmctl: %s: no CrypTech board answered on %s "
			"(not a board's port, or the board is not running; "
			"a slow line may need a longer --timeout)\n", what,
			pos[0]);
		return HSMCTL_EXIT_NOT_RPC;
	}

	ret = attach_loading_module(path, &d, errmsg, sizeof(errmsg));
	if (ret) {
		snprintf(what, sizeof(what), "attach %s", pos[0]);
		return report_failure(what, ret, 0, errmsg, ret == -EPERM ?
			"attaching a board needs CAP_SYS_ADMIN: run as root" :
			NULL);
	}
	print_result(c, path, &r, "attached", &d);
	return HSMCTL_EXIT_OK;
}
