// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The port probe of cryptech-rpc.md §2.7.4. A board has two FTDI ports in
 * no fixed order: the RPC port (SLIP frames only) and the console port (a
 * text CLI). Both get the same bytes, END Ctrl-U END, a GET_VERSION request
 * for client 0, END Ctrl-U CR, which each side ignores except for what it
 * understands: the RPC port answers GET_VERSION, the console prints a
 * prompt. Afterwards the console gets Ctrl-U (erasing the line the probe
 * typed) and the RPC port END (ending the runt frame "Ctrl-U CR").
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"

#define SLIP_END	0xC0
#define SLIP_ESC	0xDB
#define SLIP_ESC_END	0xDC
#define SLIP_ESC_ESC	0xDD
#define CTRL_U		0x15

static const unsigned char probe_bytes[] = {
	SLIP_END, CTRL_U, SLIP_END,
	0, 0, 0, 0,		/* opcode 0, GET_VERSION */
	0, 0, 0, 0,		/* client handle 0 */
	SLIP_END, CTRL_U, '\r',
};

static const char *const prompts[] = { "Username:", "Password:", "cryptech>" };

const char *probe_kind_name(enum probe_kind kind)
{
	switch (kind) {
	case PROBE_RPC:		return "rpc";
	case PROBE_CONSOLE:	return "console";
	case PROBE_SILENT:	return "silent";
	default:		return "other";
	}
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* A decoded frame: is it a GET_VERSION reply? */
static int rpc_frame(const unsigned char *f, size_t len, struct probe_result *r)
{
	/* opcode, client handle, status[, version] */
	if (len < 12 || be32(f) != 0)
		return 0;
	r->kind = PROBE_RPC;
	r->version = (len >= 16 && be32(f + 8) == 0) ? be32(f + 12) : 0;
	return 1;
}

void probe_classify(const unsigned char *buf, size_t len,
		    struct probe_result *r)
{
	unsigned char frame[64];
	size_t i, n = 0, k;
	int esc = 0, overlong = 0;

	r->kind = len ? PROBE_OTHER : PROBE_SILENT;
	r->version = 0;
	r->prompt[0] = '\0';
	r->received = len;

	for (i = 0; i < len; i++) {
		unsigned char c = buf[i];

		if (c == SLIP_END) {
			if (!overlong && n && rpc_frame(frame, n, r))
				return;
			n = 0;
			esc = overlong = 0;
			continue;
		}
		if (esc) {
			c = c == SLIP_ESC_END ? SLIP_END :
			    c == SLIP_ESC_ESC ? SLIP_ESC : c;
			esc = 0;
		} else if (c == SLIP_ESC) {
			esc = 1;
			continue;
		}
		if (n < sizeof(frame))
			frame[n++] = c;
		else
			overlong = 1;
	}

	for (k = 0; k < sizeof(prompts) / sizeof(prompts[0]); k++) {
		if (memmem(buf, len, prompts[k], strlen(prompts[k]))) {
			r->kind = PROBE_CONSOLE;
			snprintf(r->prompt, sizeof(r->prompt), "%s", prompts[k]);
			return;
		}
	}
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Write all of @buf before @deadline (ms, CLOCK_MONOTONIC). */
static int write_all(int fd, const unsigned char *buf, size_t len,
		     long long deadline)
{
	while (len) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		long long left = deadline - now_ms();
		ssize_t n;

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int open_error(const char *path, int err, char *errmsg, size_t len)
{
	switch (err) {
	case ENOENT:
		snprintf(errmsg, len, "no serial line %s (unplugged?)", path);
		break;
	case EACCES:
	case EPERM:
		snprintf(errmsg, len, "cannot open %s: permission denied "
			 "(probing needs root, or membership of the tty's group)",
			 path);
		break;
	case EBUSY:
		snprintf(errmsg, len, "%s is in use: attached to the cryptech_hsm "
			 "driver already, or opened exclusively by another "
			 "program", path);
		break;
	default:
		snprintf(errmsg, len, "cannot open %s: %s", path, strerror(err));
	}
	return -err;
}

int probe_tty(const char *path, int timeout_ms, struct probe_result *r,
	      char *errmsg, size_t errmsg_len)
{
	unsigned char buf[4096];
	struct termios saved, raw;
	long long deadline;
	size_t len = 0;
	int fd, ret;

	memset(r, 0, sizeof(*r));
	fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return open_error(path, errno, errmsg, errmsg_len);
	if (tcgetattr(fd, &saved)) {
		ret = -errno;
		snprintf(errmsg, errmsg_len, "%s is not a serial line: %s", path,
			 strerror(-ret));
		close(fd);
		return ret;
	}
	/* As libhal's serial client: one user of the line at a time. */
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		ret = errno == EWOULDBLOCK ? -EBUSY : -errno;
		snprintf(errmsg, errmsg_len, "%s is locked by another program "
			 "(flock): not probing a line in use", path);
		close(fd);
		return ret;
	}

	/* §2.1: 921600 8N1, raw, no flow control; RTS/DTR left asserted. */
	raw = saved;
	cfmakeraw(&raw);
	raw.c_cflag &= ~(tcflag_t)(CSTOPB | PARENB | CSIZE | CRTSCTS);
	raw.c_cflag |= CS8 | CLOCAL | CREAD;
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (cfsetispeed(&raw, B921600) || cfsetospeed(&raw, B921600) ||
	    tcsetattr(fd, TCSANOW, &raw)) {
		ret = -errno;
		snprintf(errmsg, errmsg_len, "cannot set %s to 921600 8N1 raw: %s",
			 path, strerror(-ret));
		close(fd);
		return ret;
	}
	tcflush(fd, TCIFLUSH);		/* what came before is no answer */

	deadline = now_ms() + timeout_ms;
	ret = write_all(fd, probe_bytes, sizeof(probe_bytes), deadline);
	if (ret) {
		snprintf(errmsg, errmsg_len, "cannot write the probe to %s: %s",
			 path, ret == -ETIMEDOUT ? "the line does not take data" :
			 strerror(-ret));
		goto restore;
	}

	/* Read until the answer is recognised or the time is up. */
	probe_classify(buf, 0, r);
	while (len < sizeof(buf)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		ssize_t n;

		if (left <= 0)
			break;
		if (poll(&p, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -ENODEV;
			snprintf(errmsg, errmsg_len, "reading %s: %s", path,
				 n < 0 ? strerror(errno) : "the line hung up");
			goto restore;
		}
		len += (size_t)n;
		probe_classify(buf, len, r);
		if (r->kind == PROBE_RPC || r->kind == PROBE_CONSOLE)
			break;
	}

	/* Clean up after ourselves as cryptech_muxd does. */
	if (r->kind == PROBE_CONSOLE || r->kind == PROBE_RPC) {
		unsigned char after = r->kind == PROBE_CONSOLE ? CTRL_U : SLIP_END;

		ret = write_all(fd, &after, 1, now_ms() + 1000);
		if (ret) {
			snprintf(errmsg, errmsg_len, "cannot write to %s: %s",
				 path, strerror(-ret));
			goto restore;
		}
		tcdrain(fd);
	}
	ret = 0;
restore:
	tcflush(fd, TCIFLUSH);
	/* Leave the line as we found it. */
	if (tcsetattr(fd, TCSANOW, &saved) && !ret) {
		ret = -errno;
		snprintf(errmsg, errmsg_len, "cannot restore the settings of %s: %s",
			 path, strerror(-ret));
	}
	close(fd);
	return ret;
}
