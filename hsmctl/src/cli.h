/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the command implementations share: global options and helpers. */
#ifndef HSMCTL_CLI_H
#define HSMCTL_CLI_H

#include <stddef.h>
#include <stdint.h>

struct cli {
	int json;		/* --json */
	const char *device;	/* -d/--device, or NULL */
};

/*
 * A command's own long option: without @arg a flag (e.g. { "raw" }),
 * reported through cli_parse()'s @flags; with @arg it takes a value, stored
 * in *@arg (e.g. { "label", &label }). Giving one twice is a usage error.
 */
struct cmd_opt {
	const char *name;
	const char **arg;
};

/*
 * Parse a command's arguments: the global options (--json, -d DEV, -h) are
 * accepted after the command too; @extra (NULL-terminated, may be NULL)
 * lists the command's own options, reported back through @flags as bits
 * in list order. Positional arguments are returned in @pos (at most @max).
 * Returns -1 to go on, or an exit code (0 after printing help).
 */
int cli_parse(struct cli *c, const char *cmd, int argc, char **argv,
	      const struct cmd_opt *extra, unsigned *flags,
	      char **pos, int max, int *npos);

/*
 * The board a netlink command works on: @arg (positional) or -d, which
 * must agree if both are given, else the only attached board. Returns -1
 * with *@index set, or an exit code after reporting the problem.
 */
int cli_board_index(const struct cli *c, const char *arg, const char *what,
		    uint32_t *index);

/*
 * The hint for a failed open of a board's device node: group membership
 * for EACCES; for ENOENT, whether the module is missing or only the board.
 * NULL when there is nothing to add.
 */
const char *cli_open_hint(int err);

/*
 * The device node a session command works on, into @buf: -d (any path
 * allowed) or the only attached board. Returns -1 or an exit code.
 */
int cli_device_path(const struct cli *c, const char *what, char *buf,
		    size_t len);

/*
 * Print a command's usage (or the overview when @cmd is NULL). For
 * "key generate" and the like, the first word names the command.
 */
void cli_usage(const char *cmd, int to_stderr);

/*
 * Check @argv[1..] before getopt_long() sees it: long options must be
 * spelt in full (getopt_long would take "--pin 1234" for "--pin-file
 * 1234"), and --pin and -p are refused: PINs never come from the command
 * line. Messages never repeat an option's value. @short_with_arg lists
 * the short options that take a value; @stop_at_nonopt stops at the first
 * non-option (the global options before the command). -1 or an exit code.
 */
struct option;
int cli_check_options(const char *cmd, int argc, char **argv,
		      const struct option *longopts, const char *short_with_arg,
		      int stop_at_nonopt);

/*
 * @arg if it is a short lower-case word (a command, option or user name)
 * or a path (starts with '/'), else a placeholder: what a user typed in the wrong place may be a PIN.
 */
const char *cli_shown(const char *arg);

int cmd_attach(struct cli *c, int argc, char **argv);
int cmd_detach(struct cli *c, int argc, char **argv);
int cmd_list(struct cli *c, int argc, char **argv);
int cmd_info(struct cli *c, int argc, char **argv);
int cmd_random(struct cli *c, int argc, char **argv);
int cmd_login_status(struct cli *c, int argc, char **argv);
int cmd_set_pin(struct cli *c, int argc, char **argv);
int cmd_kernel_login(struct cli *c, int argc, char **argv);
int cmd_kernel_logout(struct cli *c, int argc, char **argv);
int cmd_key(struct cli *c, int argc, char **argv);
int cmd_probe(struct cli *c, int argc, char **argv);
int cmd_monitor(struct cli *c, int argc, char **argv);
int cmd_backup(struct cli *c, int argc, char **argv);
int cmd_group(struct cli *c, int argc, char **argv);

#endif /* HSMCTL_CLI_H */
