// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The board's RPC port. Reading and SLIP decoding happen here, in the main
 * thread, independently of request processing (as the firmware's DMA ring
 * does); workers write replies through the server.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "server.h"
#include "slip.h"
#include "transport.h"

static void set_raw(int fd, bool set_speed)
{
	struct termios tio;

	if (tcgetattr(fd, &tio) < 0)
		return;
	cfmakeraw(&tio);
	tio.c_cflag |= CLOCAL | CREAD;
	tio.c_cflag &= ~CRTSCTS;
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	if (set_speed) {
		cfsetispeed(&tio, B921600);
		cfsetospeed(&tio, B921600);
	}
	tcsetattr(fd, TCSANOW, &tio);
}

/* Publish `target` at t->path atomically: symlink to a temporary name, then rename. */
static int publish_symlink(struct transport *t, const char *target, char *err, size_t errlen)
{
	char tmp[4096];

	snprintf(tmp, sizeof(tmp), "%s.tmp%d", t->path, (int)getpid());
	unlink(tmp);
	if (symlink(target, tmp) < 0 || rename(tmp, t->path) < 0) {
		snprintf(err, errlen, "cannot create symlink %s: %s", t->path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int open_pty(struct transport *t, char *err, size_t errlen)
{
	char *name;
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || !(name = ptsname(m))) {
		snprintf(err, errlen, "cannot create a pty: %s", strerror(errno));
		if (m >= 0)
			close(m);
		return -1;
	}
	t->pty_slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (t->pty_slave < 0) {
		snprintf(err, errlen, "cannot open %s: %s", name, strerror(errno));
		close(m);
		return -1;
	}
	set_raw(t->pty_slave, false);
	fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_NONBLOCK);
	t->fd = m;
	return publish_symlink(t, name, err, errlen);
}

static int open_unix(struct transport *t, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char tmp[sizeof(sa.sun_path)];
	int fd;

	/* bind a temporary name and rename it, so PATH appears only when listening */
	if (snprintf(tmp, sizeof(tmp), "%s.tmp%d", t->path, (int)getpid()) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "socket path too long: %s", t->path);
		return -1;
	}
	strcpy(sa.sun_path, tmp);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	unlink(tmp);
	unlink(t->path);	/* a stale socket from an earlier run */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0 ||
	    rename(tmp, t->path) < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", t->path, strerror(errno));
		unlink(tmp);
		close(fd);
		return -1;
	}
	t->listen_fd = fd;
	return 0;
}

static int open_serial(struct transport *t, char *err, size_t errlen)
{
	int fd = open(t->path, O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", t->path, strerror(errno));
		return -1;
	}
	set_raw(fd, true);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	t->fd = fd;
	return 0;
}

int transport_open(struct transport *t, enum transport_kind kind, const char *path,
		   char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->listen_fd = t->fd = t->pty_slave = -1;
	t->path = strdup(path);
	if (!t->path) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	switch (kind) {
	case TRANSPORT_UNIX:
		return open_unix(t, err, errlen);
	case TRANSPORT_PTY:
		return open_pty(t, err, errlen);
	case TRANSPORT_SERIAL:
		return open_serial(t, err, errlen);
	}
	return -1;
}

/* Forced disconnect (fault knob) or peer gone: drop the connection. */
static void drop_connection(struct transport *t, struct server *s)
{
	char err[256];

	server_set_output(s, -1);
	switch (t->kind) {
	case TRANSPORT_UNIX:
		close(t->fd);
		t->fd = -1;
		break;
	case TRANSPORT_PTY:
		/* a new pty: the host sees a hangup, like a USB unplug */
		close(t->fd);
		close(t->pty_slave);
		t->fd = t->pty_slave = -1;
		if (open_pty(t, err, sizeof(err)) < 0)
			fprintf(stderr, "cryptech-emu: %s\n", err);
		break;
	case TRANSPORT_SERIAL:
		/* a serial line cannot be unplugged from here: discard pending input */
		tcflush(t->fd, TCIOFLUSH);
		break;
	}
}

void transport_run(struct transport *t, struct server *s, int stop_fd)
{
	struct slip_decoder *dec = malloc(sizeof(*dec));
	static uint8_t buf[65536];
	uint64_t gen = 0;

	if (!dec)
		return;
	slip_decoder_init(dec);
	if (t->fd >= 0)
		gen = server_set_output(s, t->fd);

	for (;;) {
		struct pollfd p[3] = {
			{ .fd = stop_fd, .events = POLLIN },
			{ .fd = s->wake_fd, .events = POLLIN },
			{ .fd = t->fd >= 0 ? t->fd : t->listen_fd, .events = POLLIN },
		};
		ssize_t n;

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			break;
		if (p[1].revents) {
			char c[64];

			if (read(s->wake_fd, c, sizeof(c)) < 0 && errno != EAGAIN)
				break;
		}
		if (atomic_exchange(&s->disconnect_now, false) && t->fd >= 0) {
			drop_connection(t, s);
			slip_decoder_init(dec);
			if (t->fd >= 0)
				gen = server_set_output(s, t->fd);
			continue;
		}
		if (!p[2].revents || p[2].fd < 0)
			continue;

		if (t->fd < 0) {
			int c = accept4(t->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

			if (c >= 0) {
				t->fd = c;
				slip_decoder_init(dec);
				gen = server_set_output(s, c);
			}
			continue;
		}

		n = read(t->fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			if (t->kind == TRANSPORT_UNIX) {
				drop_connection(t, s);
				continue;
			}
			/* pty/serial: nothing to accept; wait a little and retry */
			poll(NULL, 0, 100);
			continue;
		}
		atomic_fetch_add(&s->bytes_in, (unsigned long)n);
		for (ssize_t i = 0; i < n; i++) {
			long left;

			if (!slip_decode_byte(dec, buf[i]))
				continue;
			left = atomic_load(&s->faults.disconnect_after);
			if (left > 0 && atomic_fetch_sub(&s->faults.disconnect_after, 1) == 1) {
				/* the Nth request is executed but its reply is lost with the link */
				atomic_store(&s->faults.disconnect_after, -1);
				drop_connection(t, s);
				server_submit(s, dec->buf, dec->len, gen);
				slip_decoder_init(dec);
				if (t->fd >= 0)
					gen = server_set_output(s, t->fd);
				break;
			}
			server_submit(s, dec->buf, dec->len, gen);
		}
	}
	free(dec);
}

void transport_close(struct transport *t)
{
	if (t->fd >= 0)
		close(t->fd);
	if (t->pty_slave >= 0)
		close(t->pty_slave);
	if (t->listen_fd >= 0)
		close(t->listen_fd);
	if (t->kind != TRANSPORT_SERIAL && t->path)
		unlink(t->path);
	free(t->path);
}
