/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Where the board's RPC port is: a Unix socket, a pty, or a serial device. */
#ifndef EMU_TRANSPORT_H
#define EMU_TRANSPORT_H

#include <stddef.h>

struct server;

enum transport_kind { TRANSPORT_UNIX, TRANSPORT_PTY, TRANSPORT_SERIAL };

struct transport {
	enum transport_kind kind;
	char *path;
	int listen_fd;		/* unix */
	int fd;			/* current connection / pty master / serial device */
	int pty_slave;		/* kept open so the master never sees EIO when the host closes */
};

int transport_open(struct transport *t, enum transport_kind kind, const char *path,
		   char *err, size_t errlen);
/* Serve until stop_fd becomes readable. */
void transport_run(struct transport *t, struct server *s, int stop_fd);
/* Close everything and remove the socket or symlink. */
void transport_close(struct transport *t);

#endif
