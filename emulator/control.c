// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The control socket: one command per line, one answer line per command. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "board.h"
#include "control.h"
#include "keystore.h"
#include "rpc.h"
#include "server.h"
#include "stats.h"

#define CTL_MAX_CLIENTS 16
#define CTL_LINE_MAX 4096
#define CTL_OUT_MAX (1024 * 1024)

static int parse_uint(const char *v, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(v, &end, 0);
	if (errno || end == v || *end || x > max || v[0] == '-')
		return -1;
	*out = x;
	return 0;
}

int control_set(struct server *s, const char *knob, const char *value, char *err, size_t errlen)
{
	struct board *b = s->board;
	unsigned long v = 0;

	for (int k = 0; k < FAULT_COUNT; k++) {
		size_t n = strlen(fault_name(k));

		if (strncmp(knob, fault_name(k), n) || knob[n] != '_')
			continue;
		if (!strcmp(knob + n + 1, "next")) {
			if (parse_uint(value, 1000000000, &v))
				goto bad;
			atomic_store(&s->faults.next[k], (unsigned int)v);
			return 0;
		}
		if (!strcmp(knob + n + 1, "rate")) {
			char *end;
			double r = strtod(value, &end);

			if (end == value || *end || !(r >= 0.0 && r <= 1.0))
				goto bad;
			atomic_store(&s->faults.rate_ppm[k], (unsigned int)(r * 1e6 + 0.5));
			return 0;
		}
	}
	if (!strcmp(knob, "bad_pin_ms")) {
		if (parse_uint(value, 3600000, &v))
			goto bad;
		atomic_store(&b->bad_pin_ms, (unsigned int)v);
		return 0;
	}
	if (!strncmp(knob, "service_ms", 10)) {
		if (parse_uint(value, 3600000, &v))
			goto bad;
		if (!knob[10]) {
			for (int i = 0; i < RPC_FUNC_COUNT; i++)
				atomic_store(&b->service_ms[i], (unsigned int)v);
			return 0;
		}
		if (knob[10] == '.') {
			for (int i = 0; i < RPC_FUNC_COUNT; i++) {
				if (!strcasecmp(knob + 11, rpc_func_name(i))) {
					atomic_store(&b->service_ms[i], (unsigned int)v);
					return 0;
				}
			}
		}
		snprintf(err, errlen, "unknown function in %s", knob);
		return -1;
	}
	if (!strcmp(knob, "stall_ms")) {
		if (parse_uint(value, 3600000, &v))
			goto bad;
		atomic_store(&s->faults.stall_until_ms, now_ms() + (long)v);
		return 0;
	}
	if (!strcmp(knob, "disconnect_after")) {
		if (parse_uint(value, 1000000000, &v))
			goto bad;
		atomic_store(&s->faults.disconnect_after, v ? (long)v : -1);
		return 0;
	}
	if (!strcmp(knob, "rsa_keygen_stalls")) {
		if (parse_uint(value, 1, &v))
			goto bad;
		atomic_store(&s->rsa_keygen_stalls, v != 0);
		return 0;
	}
	if (!strcmp(knob, "baud")) {
		if (parse_uint(value, 100000000, &v))
			goto bad;
		atomic_store(&s->baud, (unsigned int)v);
		return 0;
	}
	if (!strcmp(knob, "pin_iterations")) {
		if (parse_uint(value, 100000000, &v))
			goto bad;
		pthread_mutex_lock(&b->lock);
		b->pin_iterations = v ? (uint32_t)v : EMU_PIN_ITERATIONS;
		pthread_mutex_unlock(&b->lock);
		return 0;
	}
	if (!strcmp(knob, "firmware")) {
		if (strcmp(value, "2018") && strcmp(value, "2019"))
			goto bad;
		atomic_store(&b->firmware, (unsigned int)atoi(value));
		return 0;
	}
	if (!strcmp(knob, "masterkey")) {
		if (keystore_set_masterkey(b, value, err, errlen) < 0)
			return -1;
		return 0;
	}
	snprintf(err, errlen, "unknown knob '%s'", knob);
	return -1;
bad:
	snprintf(err, errlen, "bad value '%s' for %s", value, knob);
	return -1;
}

/*
 * The board console's master key commands: "masterkey set [HEX64]" (a
 * random key without one), "masterkey erase", "masterkey status".
 */
static void control_masterkey(struct server *s, int n, const char *sub, const char *arg,
			      char *out, size_t outlen)
{
	struct board *b = s->board;
	char err[256];
	bool set;

	if (!strcmp(sub, "status") && n == 2) {
		pthread_mutex_lock(&b->lock);
		set = b->kek_set;
		pthread_mutex_unlock(&b->lock);
		snprintf(out, outlen, "%s", set ? "set" : "not set");
		return;
	}
	if ((!strcmp(sub, "set") && n <= 3) || (!strcmp(sub, "erase") && n == 2)) {
		if (keystore_set_masterkey(b, !strcmp(sub, "erase") ? "erase" :
					   n == 3 ? arg : "random", err, sizeof(err)) < 0)
			snprintf(out, outlen, "error %s", err);
		else
			snprintf(out, outlen, "ok");
		return;
	}
	snprintf(out, outlen, "error masterkey wants set [HEX64], erase or status");
}

void control_execute(struct server *s, const char *line, char *out, size_t outlen)
{
	char cmd[64] = "", a1[256] = "", a2[1024] = "", err[256];
	int n = sscanf(line, "%63s %255s %1023s", cmd, a1, a2);

	if (n <= 0) {
		snprintf(out, outlen, "error empty command");
	} else if (!strcmp(cmd, "stats")) {
		stats_json(s, out, outlen);
	} else if (!strcmp(cmd, "keys") && n == 1) {
		keys_json(s, out, outlen);
	} else if (!strcmp(cmd, "reboot") && n == 1) {
		board_reboot(s->board);
		snprintf(out, outlen, "ok");
	} else if (!strcmp(cmd, "ping")) {
		snprintf(out, outlen, "ok");
	} else if (!strcmp(cmd, "masterkey") && n >= 2) {
		control_masterkey(s, n, a1, a2, out, outlen);
	} else if (!strcmp(cmd, "set") && n == 3) {
		if (control_set(s, a1, a2, err, sizeof(err)) < 0)
			snprintf(out, outlen, "error %s", err);
		else
			snprintf(out, outlen, "ok");
	} else if (!strcmp(cmd, "disconnect") && n == 1) {
		atomic_store(&s->disconnect_now, true);
		if (write(s->wake_write_fd, "d", 1) < 0) {
			/* the pipe is full: the transport is being woken anyway */
		}
		snprintf(out, outlen, "ok");
	} else if (!strcmp(cmd, "help")) {
		snprintf(out, outlen,
			 "commands: stats | keys | reboot | ping | disconnect | masterkey (set [HEX64]|erase|status) | "
			 "set KNOB VALUE; knobs: firmware (2018|2019), bad_pin_ms, "
			 "service_ms, service_ms.FUNC, stall_ms, disconnect_after, pin_iterations, "
			 "rsa_keygen_stalls (0|1), baud, "
			 "masterkey (erase|random|HEX64), {drop,corrupt,split,noise,wrong_handle,truncate}_next N, "
			 "{...}_rate P");
	} else {
		snprintf(out, outlen, "error unknown command (try help)");
	}
}

struct ctl_client {
	int fd;
	size_t len;
	char buf[CTL_LINE_MAX];
};

static void *control_main(void *arg)
{
	struct control *c = arg;
	struct ctl_client *cl = calloc(CTL_MAX_CLIENTS, sizeof(*cl));
	char *out = malloc(CTL_OUT_MAX);

	if (!cl || !out)
		abort();
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		cl[i].fd = -1;
	for (;;) {
		struct pollfd p[CTL_MAX_CLIENTS + 2];
		int np = 0;

		p[np++] = (struct pollfd){ .fd = c->stop[0], .events = POLLIN };
		p[np++] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
		for (int i = 0; i < CTL_MAX_CLIENTS; i++)
			p[np++] = (struct pollfd){ .fd = cl[i].fd, .events = POLLIN };
		if (poll(p, (nfds_t)np, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			break;
		if (p[1].revents) {
			int fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC);

			for (int i = 0; fd >= 0 && i < CTL_MAX_CLIENTS; i++) {
				if (cl[i].fd < 0) {
					cl[i].fd = fd;
					cl[i].len = 0;
					fd = -1;
				}
			}
			if (fd >= 0)
				close(fd);	/* too many control clients */
		}
		for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
			struct ctl_client *k = &cl[i];
			ssize_t r;
			char *nl;

			if (k->fd < 0 || !p[i + 2].revents)
				continue;
			r = read(k->fd, k->buf + k->len, sizeof(k->buf) - 1 - k->len);
			if (r <= 0) {
				close(k->fd);
				k->fd = -1;
				continue;
			}
			k->len += (size_t)r;
			k->buf[k->len] = '\0';
			while ((nl = strchr(k->buf, '\n'))) {
				size_t used = (size_t)(nl - k->buf) + 1, olen;

				*nl = '\0';
				if (nl > k->buf && nl[-1] == '\r')
					nl[-1] = '\0';
				control_execute(c->server, k->buf, out, CTL_OUT_MAX - 1);
				olen = strlen(out);
				out[olen++] = '\n';
				if (write(k->fd, out, olen) != (ssize_t)olen) {
					/* a client that does not read its answers loses them */
				}
				memmove(k->buf, k->buf + used, k->len - used + 1);
				k->len -= used;
			}
			if (k->len == sizeof(k->buf) - 1) {	/* overlong line */
				close(k->fd);
				k->fd = -1;
			}
		}
	}
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (cl[i].fd >= 0)
			close(cl[i].fd);
	free(cl);
	free(out);
	return NULL;
}

int control_start(struct control *c, struct server *s, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	c->server = s;
	c->fd = -1;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	c->path = strdup(path);
	if (!c->path || pipe2(c->stop, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "out of resources");
		return -1;
	}
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(path);
	if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(c->fd, 8) < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
		return -1;
	}
	if (pthread_create(&c->thread, NULL, control_main, c) != 0) {
		snprintf(err, errlen, "cannot start the control thread");
		return -1;
	}
	return 0;
}

void control_stop(struct control *c)
{
	if (c->fd < 0)
		return;
	if (write(c->stop[1], "x", 1) == 1)
		pthread_join(c->thread, NULL);
	close(c->fd);
	close(c->stop[0]);
	close(c->stop[1]);
	unlink(c->path);
	free(c->path);
	c->fd = -1;
}

int control_client(const char *path, int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *buf = malloc(CTL_OUT_MAX);
	size_t have = 0;
	int fd, rc = 0;

	if (!buf || strlen(path) >= sizeof(sa.sun_path))
		return 2;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "cryptech-emu: cannot connect to %s: %s\n", path, strerror(errno));
		free(buf);
		return 1;
	}
	for (int i = 0; i < argc; i++) {
		char *nl;

		if (dprintf(fd, "%s\n", argv[i]) < 0)
			return 1;
		/* one answer line per command */
		while (!(nl = memchr(buf, '\n', have))) {
			ssize_t r = read(fd, buf + have, CTL_OUT_MAX - have);

			if (r <= 0) {
				fprintf(stderr, "cryptech-emu: control connection closed\n");
				free(buf);
				close(fd);
				return 1;
			}
			have += (size_t)r;
		}
		fwrite(buf, 1, (size_t)(nl - buf) + 1, stdout);
		if (!strncmp(buf, "error", 5))
			rc = 1;
		have -= (size_t)(nl - buf) + 1;
		memmove(buf, nl + 1, have);
	}
	free(buf);
	close(fd);
	return rc;
}
