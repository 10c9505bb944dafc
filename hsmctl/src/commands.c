// SPDX-License-Identifier: GPL-2.0-or-later
/* The commands hsmctl knows and their help texts. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static const struct command commands[] = {
	{ "attach", cmd_attach, "TTY",
	  "attach the board on a serial line; prints the new device",
	  "TTY is a path (/dev/ttyUSB0) or a name under /dev (ttyUSB0).\n"
	  "Needs CAP_SYS_ADMIN. The kernel opens the line, checks that a\n"
	  "CrypTech board answers, and creates /dev/hsmN.\n" },
	{ "detach", cmd_detach, "[DEV]",
	  "detach a board; its open sessions fail with ENODEV",
	  "Needs CAP_SYS_ADMIN.\n" },
	{ "list", cmd_list, "",
	  "list attached boards with their counters", "" },
	{ "info", cmd_info, "[DEV]",
	  "show one board: tty, protocol version, state, counters", "" },
	{ "random", cmd_random, "N [--raw|--hex] [DEV]",
	  "read N random bytes (1..1048576) from the board",
	  "  --hex   one line of lower-case hex (default)\n"
	  "  --raw   the bytes themselves, for piping to a file\n"
	  "  --json  {\"bytes\": N, \"hex\": \"...\"}\n"
	  "DEV may be any path to the device node, e.g. a udev symlink.\n" },
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct command *find_command(const char *name)
{
	const struct command *cmd;

	for (cmd = commands; cmd->name; cmd++)
		if (strcmp(cmd->name, name) == 0)
			return cmd;
	return NULL;
}

void cli_usage(const char *name, int to_stderr)
{
	FILE *f = to_stderr ? stderr : stdout;
	const struct command *cmd = name ? find_command(name) : NULL;

	if (cmd) {
		fprintf(f, "usage: hsmctl [--json] [-d DEV] %s %s\n\n%s.\n%s",
			cmd->name, cmd->args, cmd->summary, cmd->details);
		fprintf(f, "DEV is hsmN, /dev/hsmN or N; without one, the only attached board.\n");
		return;
	}
	fprintf(f,
		"usage: hsmctl [--json] [-d DEV] COMMAND [ARGS]\n"
		"       hsmctl help [COMMAND] | --help | --version\n\n"
		"Manage CrypTech HSM boards driven by the cryptech_hsm kernel module.\n\n"
		"Commands:\n");
	for (cmd = commands; cmd->name; cmd++)
		fprintf(f, "  %-7s %-22s %s\n", cmd->name, cmd->args,
			cmd->summary);
	fprintf(f,
		"\nOptions:\n"
		"  --json            machine-readable output on stdout\n"
		"  -d, --device DEV  the board (hsmN, /dev/hsmN or N); default: the\n"
		"                    only attached board\n"
		"  -h, --help        this help, or a command's with COMMAND -h\n"
		"  --version         print the version\n\n"
		"Exit status: 0 ok, 1 failed, 2 usage error, 3 no such device or board\n"
		"(or module not loaded), 4 permission denied, 5 board error, 6 timeout.\n");
}

