// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hsmctl monitor: print the kernel's board events as they come, until
 * SIGINT/SIGTERM, the reader of stdout going away, or --count events.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hsm/hsm.h>

#include "cli.h"
#include "event_out.h"
#include "exitcodes.h"
#include "report.h"

#define COUNT_MAX 1000000

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/*
 * SIGINT and SIGTERM stay blocked except inside ppoll(), so a signal can
 * never slip in between the check of stop_requested and the wait.
 */
static void catch_stop_signals(sigset_t *wait_mask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;	/* no SA_RESTART: ppoll returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A reader that went away is an EPIPE from fflush, not a death. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, wait_mask);
	sigdelset(wait_mask, SIGINT);
	sigdelset(wait_mask, SIGTERM);
}

/*
 * Flush one line. 1 when the reader of stdout has gone (what was not
 * written is dropped so that the exit is clean), 0 when written, or an
 * exit code.
 */
static int flush_line(void)
{
	if (fflush(stdout) == 0)
		return 0;
	if (errno == EPIPE) {
		__fpurge(stdout);
		clearerr(stdout);
		return 1;
	}
	return report_failure("monitor: writing an event", -errno, 0, NULL, NULL);
}

static int parse_count(const char *s, unsigned long *count)
{
	char *end;

	if (!s) {
		*count = 0;
		return 0;
	}
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*count = strtoul(s, &end, 10);
	return errno || *end || *count < 1 || *count > COUNT_MAX ? -1 : 0;
}

/* Print the pending events; 1 when done (count reached, reader gone). */
static int drain(struct hsm_events *ev, int json, unsigned long *left)
{
	struct hsm_event e;
	struct timespec now;
	char time[EVENT_TIME_LEN];
	uint32_t user;
	int ret, lost;

	for (;;) {
		ret = hsm_events_read_ex(ev, &e, &user);
		if (ret == 0)
			return 0;
		clock_gettime(CLOCK_REALTIME, &now);
		event_time_format(&now, time);
		if (ret == -ENOBUFS) {
			event_print_lost(stdout, json, time);
		} else if (ret < 0) {
			return report_failure("monitor: reading board events",
					      ret, 0, NULL, NULL);
		} else if (json) {
			event_print_json(stdout, time, &e, user);
		} else {
			event_print_text(stdout, time, &e, user);
		}
		lost = ret == -ENOBUFS;
		ret = flush_line();
		if (ret)
			return ret;
		/* A lost-events notice is no event: --count counts events. */
		if (!lost && *left && --*left == 0)
			return 1;
	}
}

int cmd_monitor(struct cli *c, int argc, char **argv)
{
	const char *count_arg;
	const struct cmd_opt opts[] = { { "count", &count_arg }, { NULL, NULL } };
	struct hsm_events *ev;
	struct pollfd pfd[2];
	unsigned long left;
	sigset_t wait_mask;
	char errmsg[256];
	char *pos[1];
	int ret, n;

	ret = cli_parse(c, "monitor", argc, argv, opts, NULL, pos, 0, &n);
	if (ret >= 0)
		return ret;
	if (c->device)
		return report_usage("monitor: it watches every board; -d is not taken (each line names its board)");
	if (parse_count(count_arg, &left))
		return report_usage("monitor: --count must be a number from 1 to %d", COUNT_MAX);

	ret = hsm_events_open(&ev, errmsg, sizeof(errmsg));
	/* Worded as the other commands say it (libhsm's netlink.c). */
	if (ret == -ENOENT)
		snprintf(errmsg, sizeof(errmsg), "the cryptech_hsm kernel module is not loaded (generic netlink family \"cryptech_hsm\" not found; try: modprobe cryptech_hsm)");
	if (ret)
		return report_failure("monitor: subscribing to board events", ret,
				      0, errmsg, NULL);
	catch_stop_signals(&wait_mask);
	/* Past this line no event is missed: scripts may wait for it. */
	dprintf(STDERR_FILENO, "hsmctl: monitoring board events (Ctrl-C stops)\n");

	pfd[0].fd = hsm_events_fd(ev);
	pfd[0].events = POLLIN;
	/* POLLERR on a pipe's write end: its reader has gone. */
	pfd[1].fd = STDOUT_FILENO;
	pfd[1].events = 0;
	ret = 0;
	while (!stop_requested) {
		if (ppoll(pfd, 2, NULL, &wait_mask) < 0) {
			if (errno == EINTR)
				continue;
			ret = report_failure("monitor: waiting for events",
					     -errno, 0, NULL, NULL);
			break;
		}
		if (pfd[1].revents & POLLNVAL)
			pfd[1].fd = -1;		/* no stdout at all */
		else if (pfd[1].revents & (POLLERR | POLLHUP))
			break;
		if (pfd[0].revents) {
			ret = drain(ev, c->json, &left);
			if (ret)
				break;
		}
	}
	hsm_events_close(ev);
	return ret == 1 ? HSMCTL_EXIT_OK : ret;
}
