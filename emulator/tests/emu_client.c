// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* A small test client for the emulator. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "emu_client.h"
#include "xdr.h"

int emu_start(struct emu *e, const char *state_dir, ...)
{
	const char *args[32];
	int n = 0;
	va_list ap;

	va_start(ap, state_dir);
	while (n < 31 && (args[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	args[n] = NULL;
	return emu_start_argv(e, state_dir, args);
}

int emu_start_argv(struct emu *e, const char *state_dir, const char *const *extra)
{
	return emu_spawn(e, state_dir, "--unix", NULL, extra);
}

int emu_spawn(struct emu *e, const char *state_dir, const char *port_opt, const char *port,
	      const char *const *extra)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	const char *argv[48];
	int out[2], n = 0;
	char line[256];
	ssize_t r;
	size_t got = 0;

	memset(e, 0, sizeof(*e));
	e->fd = e->ctl_fd = -1;
	snprintf(e->dir, sizeof(e->dir), "%s/emu-test-XXXXXX", base);
	if (!mkdtemp(e->dir))
		return -1;
	if (state_dir)
		snprintf(e->state, sizeof(e->state), "%s", state_dir);
	else
		snprintf(e->state, sizeof(e->state), "%s/state", e->dir);
	snprintf(e->sock, sizeof(e->sock), "%s/rpc.sock", e->dir);
	snprintf(e->ctl, sizeof(e->ctl), "%s/ctl.sock", e->dir);

	argv[n++] = EMU_BIN;
	argv[n++] = "--state";
	argv[n++] = e->state;
	if (port)
		snprintf(e->sock, sizeof(e->sock), "%s", port);
	else if (!strcmp(port_opt, "--pty"))
		snprintf(e->sock, sizeof(e->sock), "%s/ttyCRYPTECH", e->dir);
	argv[n++] = port_opt;
	argv[n++] = e->sock;
	argv[n++] = "--control";
	argv[n++] = e->ctl;
	while (extra && *extra && n < 46)
		argv[n++] = *extra++;
	argv[n] = NULL;

	if (pipe2(out, O_CLOEXEC) < 0)
		return -1;
	e->pid = fork();
	if (e->pid < 0)
		return -1;
	if (e->pid == 0) {
		dup2(out[1], 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	/* the emulator prints one line once it listens: that is the synchronisation */
	while (got < sizeof(line) - 1 && (r = read(out[0], line + got, 1)) == 1) {
		if (line[got++] == '\n')
			break;
	}
	line[got] = '\0';
	close(out[0]);
	if (!strstr(line, "ready")) {
		emu_kill(e);
		return -1;
	}
	if (!strcmp(port_opt, "--unix"))
		return emu_connect(e);
	if (!strcmp(port_opt, "--pty")) {
		struct termios tio;

		e->fd = open(e->sock, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (e->fd < 0 || tcgetattr(e->fd, &tio) < 0)
			return -1;
		cfmakeraw(&tio);
		tcsetattr(e->fd, TCSANOW, &tio);
		slip_decoder_init(&e->dec);
	}
	return 0;	/* --serial: the caller holds the other end */
}

static int unix_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int emu_spawn_reopen_pty(struct emu *e)
{
	struct termios tio;

	emu_disconnect(e);
	e->fd = open(e->sock, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (e->fd < 0 || tcgetattr(e->fd, &tio) < 0)
		return -1;
	cfmakeraw(&tio);
	tcsetattr(e->fd, TCSANOW, &tio);
	slip_decoder_init(&e->dec);
	e->rlen = e->roff = 0;
	return 0;
}

int emu_connect(struct emu *e)
{
	emu_disconnect(e);
	e->fd = unix_connect(e->sock);
	slip_decoder_init(&e->dec);
	e->rlen = e->roff = 0;
	return e->fd < 0 ? -1 : 0;
}

void emu_disconnect(struct emu *e)
{
	if (e->fd >= 0)
		close(e->fd);
	e->fd = -1;
}

static int emu_wait(struct emu *e)
{
	int st;

	if (e->pid <= 0)
		return -1;
	if (waitpid(e->pid, &st, 0) < 0)
		return -1;
	e->pid = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int emu_stop(struct emu *e)
{
	emu_disconnect(e);
	if (e->ctl_fd >= 0)
		close(e->ctl_fd);
	e->ctl_fd = -1;
	if (e->pid > 0)
		kill(e->pid, SIGTERM);
	return emu_wait(e);
}

void emu_kill(struct emu *e)
{
	emu_disconnect(e);
	if (e->ctl_fd >= 0)
		close(e->ctl_fd);
	e->ctl_fd = -1;
	if (e->pid > 0)
		kill(e->pid, SIGKILL);
	emu_wait(e);
}

void emu_cleanup(struct emu *e)
{
	char cmd[600];

	if (e->pid > 0)
		emu_stop(e);
	if (e->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "# cannot remove %s\n", e->dir);
	}
}

int emu_send_raw(struct emu *e, const void *bytes, size_t len)
{
	const uint8_t *p = bytes;

	while (len) {
		ssize_t w = write(e->fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int emu_send(struct emu *e, const uint8_t *payload, size_t len)
{
	static uint8_t frame[SLIP_ENCODED_MAX(HAL_RPC_MAX_PKT_SIZE + 1024)];

	return emu_send_raw(e, frame, slip_encode(payload, len, frame));
}

int emu_recv(struct emu *e, uint8_t *buf, size_t *len, int timeout_ms)
{
	for (;;) {
		while (e->roff < e->rlen) {
			if (slip_decode_byte(&e->dec, e->rbuf[e->roff++])) {
				memcpy(buf, e->dec.buf, e->dec.len);
				*len = e->dec.len;
				return 0;
			}
		}
		struct pollfd p = { .fd = e->fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, timeout_ms) <= 0)
			return -1;
		r = read(e->fd, e->rbuf, sizeof(e->rbuf));
		if (r <= 0)
			return -1;
		e->rlen = (size_t)r;
		e->roff = 0;
	}
}

const char *emu_control(struct emu *e, const char *fmt, ...)
{
	static char buf[256 * 1024];
	char cmd[1024];
	size_t have = 0;
	va_list ap;
	int n;

	if (e->ctl_fd < 0)
		e->ctl_fd = unix_connect(e->ctl);
	if (e->ctl_fd < 0)
		return NULL;
	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd) - 1, fmt, ap);
	va_end(ap);
	cmd[n++] = '\n';
	if (write(e->ctl_fd, cmd, (size_t)n) != n)
		return NULL;
	for (;;) {
		ssize_t r = read(e->ctl_fd, buf + have, sizeof(buf) - 1 - have);
		char *nl;

		if (r <= 0)
			return NULL;
		have += (size_t)r;
		buf[have] = '\0';
		nl = strchr(buf, '\n');
		if (nl) {
			*nl = '\0';
			return buf;
		}
	}
}

long json_num(const char *json, const char *key)
{
	char pat[128];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = json ? strstr(json, pat) : NULL;
	return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

void req_init(struct req *r, uint32_t op, uint32_t client)
{
	r->len = 0;
	req_u32(r, op);
	req_u32(r, client);
}

void req_u32(struct req *r, uint32_t v)
{
	put_be32(r->buf + r->len, v);
	r->len += 4;
}

void req_opaque(struct req *r, const void *data, size_t len)
{
	req_u32(r, (uint32_t)len);
	if (len)
		memcpy(r->buf + r->len, data, len);
	r->len += len;
	while (r->len % 4)
		r->buf[r->len++] = 0;
}

int emu_call(struct emu *e, const struct req *r, struct rep *p)
{
	if (emu_send(e, r->buf, r->len) < 0)
		return -1;
	do {
		if (emu_recv(e, p->buf, &p->len, 10000) < 0)
			return -1;
	} while (p->len < 12);
	p->off = 12;
	p->bad = false;
	return (int)get_be32(p->buf + 8);
}

uint32_t rep_u32(struct rep *p)
{
	if (p->off + 4 > p->len) {
		p->bad = true;
		return 0;
	}
	p->off += 4;
	return get_be32(p->buf + p->off - 4);
}

const uint8_t *rep_opaque(struct rep *p, uint32_t *len)
{
	const uint8_t *d;

	*len = rep_u32(p);
	if (p->bad || *len > p->len - p->off) {
		p->bad = true;
		*len = 0;
		return NULL;
	}
	d = p->buf + p->off;
	p->off += (*len + 3) & ~3u;
	if (p->off > p->len)
		p->off = p->len;
	return d;
}

size_t hex2bin(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;

	while (hex[0] && hex[1] && n < max) {
		unsigned int x;

		if (sscanf(hex, "%2x", &x) != 1)
			break;
		out[n++] = (uint8_t)x;
		hex += 2;
	}
	return n;
}
