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
	{ "login-status", cmd_login_status, "[--user U]",
	  "show who a session is logged in as; with --user, check a PIN",
	  "A session is one hsmctl run: without --user it is never logged in.\n"
	  "  --user user|so|wheel   log in first (PIN from --pin-file FILE,\n"
	  "                         $HSMCTL_PIN or a prompt on the terminal)\n"
	  "  --json  {\"device\": \"hsm0\", \"user\": \"user\", \"logged_in\": true}\n" },
	{ "set-pin", cmd_set_pin, "--user U [--as U2] [--new-pin-file F]",
	  "set a user's PIN, logged in as --as (default wheel)",
	  "  --user user|so|wheel   whose PIN to set (required)\n"
	  "  --as wheel|so          who logs in to set it (so may set only user's)\n"
	  "  --pin-file FILE        the --as user's PIN (else $HSMCTL_PIN or a prompt)\n"
	  "  --new-pin-file FILE    the new PIN (else $HSMCTL_NEW_PIN or a prompt,\n"
	  "                         asked twice)\n"
	  "PINs are never taken from the command line. A file's trailing newline\n"
	  "is not part of the PIN.\n" },
	{ "kernel-login", cmd_kernel_login, "[--user U] [--pin-file F]",
	  "log in the board's kernel session, used by in-kernel users",
	  "The kernel session is the one board session the kernel's own users\n"
	  "of the board share (hwrng, crypto API, keyrings). Without its login\n"
	  "their private-key operations fail with EACCES; public-key operations\n"
	  "work without it. The login stays after hsmctl exits, until\n"
	  "'hsmctl kernel-logout' or the board is detached. Needs CAP_SYS_ADMIN.\n"
	  "  --user user|wheel      the user (default user)\n"
	  "  --pin-file FILE        the PIN (else $HSMCTL_PIN or a prompt)\n"
	  "  --json  {\"device\": \"hsm0\", \"kernel_session\": {\"logged_in\": true,\n"
	  "           \"user\": \"user\"}}\n"
	  "'hsmctl info' and 'hsmctl list' show the kernel session's state.\n" },
	{ "kernel-logout", cmd_kernel_logout, "",
	  "end the kernel session's login",
	  "Needs CAP_SYS_ADMIN. Succeeds when it was not logged in.\n" },
	{ "key", cmd_key, "SUBCOMMAND ...",
	  "generate, list, inspect, use and delete keys",
	  "  key generate (rsa BITS | ec p256|p384|p521) [--token] [--exportable]\n"
	  "               [--label TEXT] [--id HEX] [--allow-duplicate-label]\n"
	  "               [--timeout SECONDS]\n"
	  "  key list [--token|--session]\n"
	  "  key info KEY\n"
	  "  key pubkey KEY [--pem|--der]\n"
	  "  key sign KEY (--digest HEX | --in FILE) [--hash sha256|sha384|sha512]\n"
	  "               [--hex|--raw] [--format rs|der]\n"
	  "  key verify (KEY | --pubkey FILE) --sig FILE (--digest HEX | --in FILE)\n"
	  "               [--hash sha256|sha384|sha512]\n"
	  "  key dnskey KEY --zone NAME [--ksk] [--ds] [--alg 8|10]\n"
	  "  key export KEY --kekek FILE --out FILE\n"
	  "  key import FILE\n"
	  "  key delete KEY\n"
	  "KEY is a UUID or label:TEXT. Every subcommand on a board key logs in\n"
	  "first (key verify --pubkey needs no board):\n"
	  "  --user user|wheel      the user (default user; wheel also sees other\n"
	  "                         sessions' keys; so cannot use keys)\n"
	  "  --pin-file FILE        the PIN (else $HSMCTL_PIN or a prompt)\n"
	  "Keys are generated with the sign usage and printed with their PKCS#11\n"
	  "URI, whose token is the board's token label (cryptech-BOARDID, see\n"
	  "'hsmctl info'). A label already used on the board is refused unless\n"
	  "--allow-duplicate-label. Without --token a key lives only as long as\n"
	  "the hsmctl command. Generating shows the elapsed time on a terminal;\n"
	  "--timeout SECONDS (1..86400) cancels it after that long (exit 6), as\n"
	  "Ctrl-C does (exit 130): the driver quarantines the board request.\n"
	  "key export writes one key (generated with --exportable) as a backup\n"
	  "bundle for the KEKEK in --kekek FILE (see 'hsmctl backup setup');\n"
	  "key import loads it on the KEKEK's board.\n" },
	{ "probe", cmd_probe, "[--attach] [--timeout MS] TTY",
	  "tell a board's RPC port from its console port; attach the RPC port",
	  "Sends the upstream probe (cryptech-rpc.md 2.7.4) and reads the answer\n"
	  "for up to --timeout MS (default 500): \"rpc\" (exit 0), \"console\",\n"
	  "\"silent\" or \"other\" (exit 8). The line's settings are restored.\n"
	  "  --attach  attach the tty if it is the RPC port (needs CAP_SYS_ADMIN;\n"
	  "            loads the module if needed); a console port is left alone\n"
	  "            (exit 0), a tty already attached is not probed (exit 0)\n"
	  "  --json    {\"tty\": ..., \"port\": ..., \"action\": ..., \"board\": {...}}\n" },
	{ "monitor", cmd_monitor, "[--count N]",
	  "print board events as they happen, one line each",
	  "Events: attached, detached, timeout, protocol-error, kernel-session\n"
	  "(the kernel session logged in or out), and events-lost when the\n"
	  "kernel dropped some. Each line: TIME EVENT DEVICE board=ID tty=TTY\n"
	  "[kernel_user=USER], TIME in ISO 8601 UTC with milliseconds. Runs until\n"
	  "Ctrl-C, SIGTERM or its reader goes away (exit 0 each time).\n"
	  "  --count N  exit after N events (1..1000000)\n"
	  "  --json     one object per line: {\"time\": ..., \"event\": ...,\n"
	  "             \"index\": N, \"device\": ..., \"board_id\": ..., \"tty\": ...}\n" },
	{ "backup", cmd_backup, "--from A --to B | setup | export | import",
	  "move exportable keys to another board, wrapped for its KEKEK",
	  "  backup --from A --to B [--bits N] [--from-pin-file F] [--to-pin-file F]\n"
	  "  backup setup --out FILE [--bits N]\n"
	  "  backup export --kekek FILE --out FILE\n"
	  "  backup import FILE\n"
	  "--from/--to copy every exportable token key of board A to board B\n"
	  "with its attributes (label, id: a PKCS#11 signer finds it unchanged).\n"
	  "The steps, as the upstream cryptech_backup tool's: setup on B finds\n"
	  "or generates (RSA --bits, default 2048) B's KEKEK and writes its public\n"
	  "key; export on A writes A's exportable token keys wrapped for it;\n"
	  "import on B unwraps them. Bundles are the upstream JSON format.\n"
	  "Imported keys are token keys with new UUIDs; a key B already holds\n"
	  "(same public key) is skipped as already present; a key whose import\n"
	  "fails is deleted again (nothing of it stays). Keys without\n"
	  "--exportable are listed as not exportable. -d names the board of a\n"
	  "step; A and B are named like DEV. Log-ins: --user user|wheel\n"
	  "(default user); PIN from --pin-file FILE, $HSMCTL_PIN or a prompt;\n"
	  "--from-pin-file/--to-pin-file for boards with different PINs.\n"
	  "  --json  {\"kekek_uuid\": ..., \"keys\": [{\"uuid\", \"new_uuid\", \"label\",\n"
	  "           \"status\"}], \"moved\": N, ...}\n" },
	{ "group", cmd_group, "status [GROUP] | sync GROUP",
	  "show and bring up to date the redundancy groups' boards and keys",
	  "  group status [GROUP] [--groups FILE] [--user U] [--pin-file F]\n"
	  "  group sync GROUP [--groups FILE] [--user U] [--pin-file F]\n"
	  "The groups are those of the groups file: --groups FILE, else\n"
	  "$HSM_GROUPS_CONF, else /etc/cryptech-hsm/groups.conf.\n"
	  "status shows each board of a group (attached as DEV, absent, or\n"
	  "error) and each key (a private key, identified by its public key:\n"
	  "label, id, algorithm, sha256: fingerprint of the public key) with the\n"
	  "boards holding a copy and the attached boards missing it.\n"
	  "sync copies every key missing on an attached board of GROUP from a\n"
	  "board that has it (wrapped for the destination's KEKEK, attributes\n"
	  "restored); it never deletes. Keys without --exportable cannot be\n"
	  "copied (failed). Log-ins: --user user|wheel (default user) on every\n"
	  "board, PIN from --pin-file FILE, $HSMCTL_PIN or a prompt per board.\n"
	  "  --json  status: {\"groups\": [{\"name\", \"token_label\", \"boards\",\n"
	  "          \"keys\"}]}; sync: {\"group\", \"keys\", \"absent\",\n"
	  "          \"copied\": N, \"already_there\": N, \"failed\": N}\n" },
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

static const char dev_help[] =
	"DEV is hsmN, /dev/hsmN, N, the board's id or its token label (see\n"
	"'hsmctl list'); without one, the only attached board.\n";

/*
 * The help of one subcommand ("key sign"): its lines of the command's
 * details (the line starting "  key sign" and the indented ones after it)
 * and the details' closing paragraph. 0 when there is no such line.
 */
static int sub_usage(FILE *f, const struct command *cmd, const char *name)
{
	const char *d = cmd->details, *line, *tail;
	size_t nlen = strlen(name);
	int found = 0, in = 0;

	/* The closing paragraph: from the first line not indented. */
	for (tail = d; *tail && tail[0] == ' '; tail = strchr(tail, '\n') + 1)
		;
	for (line = d; line < tail; line = strchr(line, '\n') + 1)
		if (strncmp(line + 2, name, nlen) == 0 &&
		    (line[2 + nlen] == ' ' || line[2 + nlen] == '\n'))
			found = 1;
	if (!found)
		return 0;
	fprintf(f, "usage: hsmctl [--json] [-d DEV] ");
	for (line = d; line < tail; line = strchr(line, '\n') + 1) {
		int len = (int)(strchr(line, '\n') - line);

		if (strncmp(line + 2, name, nlen) == 0 &&
		    (line[2 + nlen] == ' ' || line[2 + nlen] == '\n')) {
			in = 1;
			fprintf(f, "%.*s\n", len - 2, line + 2);
		} else if (in && strncmp(line, "     ", 5) == 0) {
			fprintf(f, "%.*s\n", len - 2, line + 2);
		} else {
			in = 0;
		}
	}
	fprintf(f, "\n%s.\n%s%s", cmd->summary, tail, dev_help);
	return 1;
}

void cli_usage(const char *name, int to_stderr)
{
	FILE *f = to_stderr ? stderr : stdout;
	const struct command *cmd = NULL;
	char first[32];

	/* "key generate" is documented under "key". */
	if (name) {
		snprintf(first, sizeof(first), "%.*s", (int)strcspn(name, " "), name);
		cmd = find_command(first);
	}

	if (cmd && name[strlen(first)] == ' ' && sub_usage(f, cmd, name))
		return;
	if (cmd) {
		fprintf(f, "usage: hsmctl [--json] [-d DEV] %s%s%s\n\n%s.\n%s",
			cmd->name, *cmd->args ? " " : "", cmd->args, cmd->summary,
			cmd->details);
		fprintf(f, "%s", dev_help);
		return;
	}
	fprintf(f,
		"usage: hsmctl [--json] [-d DEV] COMMAND [ARGS]\n"
		"       hsmctl help [COMMAND] | --help | --version\n\n"
		"Manage CrypTech HSM boards driven by the cryptech_hsm kernel module.\n\n"
		"Commands:\n");
	for (cmd = commands; cmd->name; cmd++) {
		if (*cmd->args)
			fprintf(f, "  %-12s %s\n", cmd->name, cmd->args);
		else
			fprintf(f, "  %s\n", cmd->name);
		fprintf(f, "  %12s %s\n", "", cmd->summary);
	}
	fprintf(f,
		"\nOptions:\n"
		"  --json            machine-readable output on stdout\n"
		"  -d, --device DEV  the board (hsmN, /dev/hsmN, N, its id or its token\n"
		"                    label); default: the only attached board\n"
		"  -h, --help        this help, or a command's with COMMAND -h\n"
		"  --version         print the version\n\n"
		"Exit status: 0 ok, 1 failed, 2 usage error, 3 no such device or board\n"
		"(or module not loaded), 4 permission denied, 5 board error, 6 timeout,\n"
		"7 no such key, 8 not a board's RPC port (probe), 9 the signature does\n"
		"not verify (key verify), 130 cancelled by Ctrl-C (key generate).\n");
}

