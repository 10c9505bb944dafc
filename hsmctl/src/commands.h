/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The command table: names, handlers and help texts. */
#ifndef HSMCTL_COMMANDS_H
#define HSMCTL_COMMANDS_H

#include "cli.h"

struct command {
	const char *name;
	int (*run)(struct cli *c, int argc, char **argv);
	const char *args;
	const char *summary;
	const char *details;
};

/* The command called @name, or NULL. */
const struct command *find_command(const char *name);

#endif /* HSMCTL_COMMANDS_H */
