// SPDX-License-Identifier: GPL-2.0-or-later
/* Option parsing shared by the commands, and choosing the board. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hsm/hsm.h>

#include "cli.h"
#include "exitcodes.h"
#include "report.h"

#define MAX_EXTRA 16

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
			if (optopt)
				return report_usage("%s: unknown option '-%c'",
						    cmd, optopt);
			return report_usage("%s: unknown option '%s'", cmd,
					    argv[optind - 1]);
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
			return report_usage("%s: unexpected argument '%s'",
					    cmd, argv[i]);
		pos[(*npos)++] = argv[i];
	}
	return -1;
}

static int parse_board(const char *name, uint32_t *index)
{
	if (hsm_parse_device(name, index) == 0)
		return -1;
	return report_usage("not a board name: '%s' (expected hsmN, /dev/hsmN or N)",
			    name);
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

int cli_device_path(const struct cli *c, const char *what, char *buf,
		    size_t len)
{
	uint32_t index;
	int ret;

	if (c->device) {
		/* Name the node in messages, whatever form was given. */
		if (hsm_parse_device(c->device, &index) == 0)
			snprintf(buf, len, "/dev/hsm%u", index);
		else if (strchr(c->device, '/'))
			snprintf(buf, len, "%s", c->device);
		else
			return report_usage("not a board name: '%s' (expected hsmN, /dev/hsmN, N or a path)",
					    c->device);
		return -1;
	}
	ret = cli_board_index(c, NULL, what, &index);
	if (ret >= 0)
		return ret;
	snprintf(buf, len, "/dev/hsm%u", index);
	return -1;
}
