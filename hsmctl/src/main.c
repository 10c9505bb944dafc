// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hsmctl: manage CrypTech HSM boards driven by the cryptech_hsm module.
 *
 *   hsmctl [--json] [-d DEV] COMMAND [ARGS]
 *
 * Global options go before the command or among its arguments.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <hsm/hsm.h>

#include "cli.h"
#include "commands.h"
#include "exitcodes.h"
#include "report.h"

#define HSMCTL_VERSION HSM_VERSION_STRING

/* Report a failure to write stdout (full disk, closed pipe). */
static int finish_output(int code)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		int err = errno ? errno : EIO;

		fprintf(stderr, "hsmctl: writing output: %s\n", strerror(err));
		return code ? code : HSMCTL_EXIT_FAILED;
	}
	return code;
}

static int run(int argc, char **argv);

int main(int argc, char **argv)
{
	int i;

	/* --json anywhere (before "--"): errors become JSON too. */
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--json") == 0) {
			report_json_begin();
			break;
		}
	return report_json_end(run(argc, argv));
}

static int run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = { 0 };
	const struct command *cmd;
	int opt;

	opterr = 0;
	opt = cli_check_options(NULL, argc, argv, longopts, "d", 1);
	if (opt >= 0)
		return opt;
	/* '+': stop at the command; its own options are parsed later. */
	while ((opt = getopt_long(argc, argv, "+:d:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'J':
			c.json = 1;
			break;
		case 'd':
			c.device = optarg;
			break;
		case 'h':
			cli_usage(NULL, 0);
			return finish_output(HSMCTL_EXIT_OK);
		case 'V':
			printf("hsmctl %s (libhsm %s)\n", HSMCTL_VERSION,
			       hsm_version());
			return finish_output(HSMCTL_EXIT_OK);
		case ':':
			return report_usage("option '%s' needs an argument",
					    argv[optind - 1]);
		default:
			if (optopt) {
				char o[2] = { (char)optopt, 0 };

				return report_usage("unknown option '-%s'", cli_shown(o));
			}
			return report_usage("unknown option");
		}
	}
	if (optind >= argc) {
		cli_usage(NULL, 1);
		return HSMCTL_EXIT_USAGE;
	}
	if (strcmp(argv[optind], "help") == 0) {
		if (optind + 1 < argc && !find_command(argv[optind + 1]))
			return report_usage("unknown command '%s'",
					    cli_shown(argv[optind + 1]));
		cli_usage(optind + 1 < argc ? argv[optind + 1] : NULL, 0);
		return finish_output(HSMCTL_EXIT_OK);
	}
	cmd = find_command(argv[optind]);
	if (!cmd)
		return report_usage("unknown command '%s'", cli_shown(argv[optind]));
	report_set_command(cmd->name);
	return finish_output(cmd->run(&c, argc - optind, argv + optind));
}
