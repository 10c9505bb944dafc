/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The control socket: a line-oriented text protocol on a Unix stream socket
 * for tests (knobs, faults, counters). See Documentation/emulator.rst.
 */
#ifndef EMU_CONTROL_H
#define EMU_CONTROL_H

#include <pthread.h>
#include <stddef.h>

struct server;

struct control {
	int fd;
	int stop[2];
	char *path;
	pthread_t thread;
	struct server *server;
};

int control_start(struct control *c, struct server *s, const char *path, char *err, size_t errlen);
void control_stop(struct control *c);
/* Apply one knob; also used for --set at start-up. */
int control_set(struct server *s, const char *knob, const char *value, char *err, size_t errlen);
/* Execute one command line; the answer (one line, no newline) goes to out. */
void control_execute(struct server *s, const char *line, char *out, size_t outlen);
/* --control-cmd: send commands, print the answers. */
int control_client(const char *path, int argc, char **argv);

#endif
