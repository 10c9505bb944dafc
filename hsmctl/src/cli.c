// SPDX-License-Identifier: GPL-2.0-or-later
/* Option parsing shared by the commands, and choosing the board. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hsm/hsm.h>

#include "cli.h"
#include "exitcodes.h"
#include "report.h"

#define MAX_EXTRA 16

const char *cli_shown(const char *arg)
{
	size_t i;

	/* A path is no PIN: show it whole (printable, no blanks). */
	if (arg[0] == '/') {
		for (i = 0; arg[i] && i < 256; i++)
			if ((unsigned char)arg[i] <= ' ' || arg[i] == 0x7f)
				break;
		if (!arg[i])
			return arg;
	}
	/* Command, option and user names are short lower-case words. */
	for (i = 0; arg[i]; i++)
		if (i >= 32 || !((arg[i] >= 'a' && arg[i] <= 'z') ||
				 (i > 0 && arg[i] == '-')))
			return "(not shown: it may be a PIN)";
	return i ? arg : "(empty)";
}

static int refuse_pin(const char *cmd)
{
	return report_usage("%s%sPINs are never taken on the command line; use --pin-file, HSMCTL_PIN or the prompt",
			    cmd ? cmd : "", cmd ? ": " : "");
}

int cli_check_options(const char *cmd, int argc, char **argv,
		      const struct option *longopts, const char *short_with_arg,
		      int stop_at_nonopt)
{
	int i, j, k;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0)
			break;
		if (a[0] != '-' || a[1] == '\0') {
			if (stop_at_nonopt)
				break;
			continue;
		}
		if (a[1] == '-') {
			const char *name = a + 2;
			size_t len = strcspn(name, "=");
			char shown[40];

			if (len == 3 && strncmp(name, "pin", 3) == 0)
				return refuse_pin(cmd);
			for (k = 0; longopts[k].name; k++)
				if (strlen(longopts[k].name) == len &&
				    strncmp(longopts[k].name, name, len) == 0)
					break;
			if (!longopts[k].name) {
				/* Never what follows '=': it may be a PIN. */
				snprintf(shown, sizeof(shown), "%.*s",
					 (int)(len < 32 ? len : 32), name);
				return report_usage("%s%sunknown option '--%s'",
						    cmd ? cmd : "", cmd ? ": " : "",
						    cli_shown(shown));
			}
			if (longopts[k].has_arg == required_argument &&
			    name[len] != '=')
				i++;	/* its value, whatever it looks like */
			continue;
		}
		for (j = 1; a[j]; j++) {
			if (a[j] == 'p')
				return refuse_pin(cmd);
			if (strchr(short_with_arg, a[j])) {
				if (!a[j + 1])
					i++;
				break;
			}
		}
	}
	return -1;
}

int cli_parse(struct cli *c, const char *cmd, int argc, char **argv,
	      const struct cmd_opt *extra, unsigned *flags,
	      char **pos, int max, int *npos)
{
	struct option longopts[3 + MAX_EXTRA + 1];
	int n = 0, i, opt;

	memset(longopts, 0, sizeof(longopts));
	longopts[n++] = (struct option){ "json", no_argument, NULL, 'J' };
	longopts[n++] = (struct option){ "device", required_argument, NULL, 'd' };
	longopts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	for (i = 0; extra && extra[i].name && i < MAX_EXTRA; i++) {
		longopts[n++] = (struct option){ extra[i].name,
			extra[i].arg ? required_argument : no_argument,
			NULL, 0x100 + i };
		if (extra[i].arg)
			*extra[i].arg = NULL;
	}
	if (flags)
		*flags = 0;
	*npos = 0;
	/* Full option names only, and no PIN options. */
	i = cli_check_options(cmd, argc, argv, longopts, "d", 0);
	if (i >= 0)
		return i;

	opterr = 0;	/* our own messages, in our own format */
	optind = 0;	/* GNU: full re-initialisation */
	while ((opt = getopt_long(argc, argv, ":d:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'J':
			c->json = 1;
			break;
		case 'd':
			if (c->device && strcmp(c->device, optarg) != 0)
				return report_usage("%s: -d given twice", cmd);
			c->device = optarg;
			break;
		case 'h':
			cli_usage(cmd, 0);
			return HSMCTL_EXIT_OK;
		case ':':
			return report_usage("%s: option '%s' needs an argument",
					    cmd, argv[optind - 1]);
		case '?':
			if (optopt) {
				char o[2] = { (char)optopt, 0 };

				return report_usage("%s: unknown option '-%s'",
						    cmd, cli_shown(o));
			}
			return report_usage("%s: unknown option", cmd);
		default:
			i = opt - 0x100;
			if (extra[i].arg) {
				if (*extra[i].arg)
					return report_usage("%s: --%s given twice",
							    cmd, extra[i].name);
				*extra[i].arg = optarg;
			} else if (flags) {
				*flags |= 1u << i;
			}
			break;
		}
	}
	for (i = optind; i < argc; i++) {
		if (*npos >= max)
			return report_usage("%s: too many arguments (at most %d; the extra ones are not repeated here: one may be a PIN)",
					    cmd, max);
		pos[(*npos)++] = argv[i];
	}
	return -1;
}

static int parse_board(const char *name, uint32_t *index)
{
	int ret;

	if (hsm_parse_device(name, index) == 0)
		return -1;
	/* A stable identity (board_id) or a token label (cryptech-...). */
	ret = hsm_find_board(name, index);
	switch (ret) {
	case 0:
		return -1;
	case -EINVAL:
		return report_usage("not a board name: '%s' (expected hsmN, /dev/hsmN, N, a board id or a token label)",
				    cli_shown(name));
	case -ENODEV:
		fprintf(stderr, "hsmctl: no attached board has the id or token label '%s' ('hsmctl list' shows the boards and their ids)\n",
			name);
		return HSMCTL_EXIT_NO_DEVICE;
	case -ENOTUNIQ:
		return report_usage("several attached boards have the id '%s': name one as hsmN",
				    name);
	default:
		return report_failure("finding the board", ret, 0,
				      ret == -ENOENT ? "the cryptech_hsm kernel module is not loaded (try: modprobe cryptech_hsm)" : NULL,
				      NULL);
	}
}

int cli_board_index(const struct cli *c, const char *arg, const char *what,
		    uint32_t *index)
{
	struct hsm_board_desc *b;
	char errmsg[256];
	size_t n, i;
	int ret;

	if (arg && c->device) {
		uint32_t a, d;

		ret = parse_board(arg, &a);
		if (ret >= 0)
			return ret;
		ret = parse_board(c->device, &d);
		if (ret >= 0)
			return ret;
		if (a != d)
			return report_usage("%s: board named twice ('%s' and -d '%s')",
					    what, arg, c->device);
		*index = a;
		return -1;
	}
	if (arg || c->device)
		return parse_board(arg ? arg : c->device, index);

	/* No name: the only attached board, so one-board hosts need none. */
	ret = hsm_list_boards(&b, &n, errmsg, sizeof(errmsg));
	if (ret) {
		char w[128];

		snprintf(w, sizeof(w), "%s: cannot list boards", what);
		return report_failure(w, ret, 0, errmsg, NULL);
	}
	if (n == 1) {
		*index = b[0].index;
		hsm_free_boards(b);
		return -1;
	}
	if (n == 0) {
		hsm_free_boards(b);
		fprintf(stderr, "hsmctl: %s: no board attached (attach one with 'hsmctl attach TTY')\n",
			what);
		return HSMCTL_EXIT_NO_DEVICE;
	}
	fprintf(stderr, "hsmctl: %s: %zu boards attached (", what, n);
	for (i = 0; i < n; i++)
		fprintf(stderr, "%s%s", i ? ", " : "", b[i].dev_name);
	fprintf(stderr, "): name one with -d DEV\n");
	hsm_free_boards(b);
	return HSMCTL_EXIT_USAGE;
}

const char *cli_open_hint(int err)
{
	if (err == -EACCES)
		return "needs read-write access to the device: is your user in group hsm?";
	if (err != -ENOENT)
		return NULL;
	if (access("/sys/module/cryptech_hsm", F_OK) != 0)
		return "the cryptech_hsm kernel module is not loaded; try: modprobe cryptech_hsm";
	return "no such board attached; see 'hsmctl list'";
}

int cli_device_path(const struct cli *c, const char *what, char *buf,
		    size_t len)
{
	uint32_t index;
	int ret;

	if (c->device) {
		/* Name the node in messages, whatever form was given. */
		if (strchr(c->device, '/') &&
		    hsm_parse_device(c->device, &index) != 0) {
			snprintf(buf, len, "%s", c->device);
			return -1;
		}
		ret = parse_board(c->device, &index);
		if (ret >= 0)
			return ret;
		snprintf(buf, len, "/dev/hsm%u", index);
		return -1;
	}
	ret = cli_board_index(c, NULL, what, &index);
	if (ret >= 0)
		return ret;
	snprintf(buf, len, "/dev/hsm%u", index);
	return -1;
}
