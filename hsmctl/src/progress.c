// SPDX-License-Identifier: GPL-2.0-or-later
/* The elapsed time, --timeout and Ctrl-C around a slow board request. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "exitcodes.h"
#include "progress.h"
#include "report.h"

/* What happens to the abandoned request (cryptech_hsm.rst, "Timeouts and
 * interrupted requests"). */
#define QUARANTINE_HINT							\
	"the driver quarantines the outstanding board request and deletes "\
	"the key that the board's late reply creates, token key or not; "	\
	"only if the board is detached or reset before it replies may a "	\
	"--token key remain: look for it with 'hsmctl key list --token' "	\
	"and remove it with 'hsmctl key delete UUID'"

void progress_format_elapsed(unsigned long secs, char *buf, size_t len)
{
	if (secs < 60)
		snprintf(buf, len, "%lu s", secs);
	else if (secs < 3600)
		snprintf(buf, len, "%lu min %02lu s", secs / 60, secs % 60);
	else
		snprintf(buf, len, "%lu h %02lu min %02lu s", secs / 3600,
			 secs / 60 % 60, secs % 60);
}

int progress_parse_timeout(const char *s, unsigned int *secs)
{
	unsigned long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < 1 || v > PROGRESS_TIMEOUT_MAX)
		return -EINVAL;
	*secs = (unsigned int)v;
	return 0;
}

int progress_wanted(int json)
{
	return !json && isatty(STDERR_FILENO);
}

static long elapsed_ms(const struct progress *p)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - p->start.tv_sec) * 1000L +
	       (now.tv_nsec - p->start.tv_nsec) / 1000000L;
}

static void clear_line(struct progress *p)
{
	if (p->drawn)
		dprintf(STDERR_FILENO, "\r\033[K");
	p->drawn = 0;
}

static void draw(struct progress *p)
{
	char t[32];

	progress_format_elapsed((unsigned long)(elapsed_ms(p) / 1000), t,
				sizeof(t));
	dprintf(STDERR_FILENO, "\r%s: %s: %s elapsed (Ctrl-C cancels)\033[K",
		p->cmd, p->what, t);
	p->drawn = 1;
}

/*
 * Give up the request: report, then end the process, which kills the
 * thread waiting in the ioctl. Nothing if the request returned meanwhile.
 */
static void cancel(struct progress *p, int signo)
{
	char what[512], cause[128], t[32];
	int code;

	pthread_mutex_lock(&p->lock);
	if (p->done) {
		pthread_mutex_unlock(&p->lock);
		return;
	}
	clear_line(p);
	progress_format_elapsed((unsigned long)(elapsed_ms(p) / 1000), t,
				sizeof(t));
	snprintf(what, sizeof(what), "%s: %s", p->cmd, p->what);
	if (signo) {
		snprintf(cause, sizeof(cause), "cancelled by %s after %s",
			 signo == SIGINT ? "SIGINT (Ctrl-C)" : "SIGTERM", t);
		report_failure(what, -EINTR, 0, cause, QUARANTINE_HINT);
		code = HSMCTL_EXIT_SIGNAL_BASE + signo;
	} else {
		snprintf(cause, sizeof(cause),
			 "no answer within --timeout %u s; cancelled",
			 p->timeout_s);
		code = report_failure(what, -ETIMEDOUT, 0, cause,
				      QUARANTINE_HINT);
	}
	fflush(stdout);
	_exit(report_json_end(code));
}

static void *watch(void *arg)
{
	struct progress *p = arg;
	struct signalfd_siginfo si;
	struct pollfd pfd[2];
	long ms, wait;

	pfd[0].fd = p->sig_fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = p->stop_fd[0];
	pfd[1].events = POLLIN;
	for (;;) {
		ms = elapsed_ms(p);
		if (p->timeout_s && ms >= p->timeout_s * 1000L)
			cancel(p, 0);
		wait = 1000 - ms % 1000;	/* the next whole second */
		if (p->timeout_s && p->timeout_s * 1000L - ms < wait)
			wait = p->timeout_s * 1000L - ms;
		if (poll(pfd, 2, (int)wait) < 0 && errno != EINTR)
			return NULL;
		if (pfd[1].revents)
			return NULL;
		if ((pfd[0].revents & POLLIN) &&
		    read(p->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			cancel(p, (int)si.ssi_signo);
		pthread_mutex_lock(&p->lock);
		if (p->show && !p->done && elapsed_ms(p) >= 1000)
			draw(p);
		pthread_mutex_unlock(&p->lock);
	}
}

int progress_start(struct progress *p, const char *cmd, const char *what,
		   unsigned int timeout_s, int show)
{
	sigset_t stop;
	int ret;

	memset(p, 0, sizeof(*p));
	p->cmd = cmd;
	p->what = what;
	p->timeout_s = timeout_s;
	p->show = show;
	p->sig_fd = -1;
	p->stop_fd[0] = p->stop_fd[1] = -1;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	pthread_mutex_init(&p->lock, NULL);
	/* Blocked here, SIGINT/SIGTERM are read from the signalfd alone. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, &p->old_mask);
	p->sig_fd = signalfd(-1, &stop, SFD_CLOEXEC);
	if (p->sig_fd < 0 || pipe2(p->stop_fd, O_CLOEXEC) < 0) {
		ret = -errno;
		goto fail;
	}
	ret = -pthread_create(&p->thread, NULL, watch, p);
	if (ret)
		goto fail;
	return 0;
fail:
	if (p->sig_fd >= 0)
		close(p->sig_fd);
	if (p->stop_fd[0] >= 0) {
		close(p->stop_fd[0]);
		close(p->stop_fd[1]);
	}
	pthread_sigmask(SIG_SETMASK, &p->old_mask, NULL);
	p->sig_fd = -1;
	return ret;
}

void progress_stop(struct progress *p)
{
	if (p->sig_fd < 0)
		return;
	pthread_mutex_lock(&p->lock);
	p->done = 1;
	clear_line(p);
	pthread_mutex_unlock(&p->lock);
	if (write(p->stop_fd[1], "", 1) != 1)
		pthread_cancel(p->thread);
	pthread_join(p->thread, NULL);
	close(p->sig_fd);
	close(p->stop_fd[0]);
	close(p->stop_fd[1]);
	p->sig_fd = -1;
	pthread_sigmask(SIG_SETMASK, &p->old_mask, NULL);
	pthread_mutex_destroy(&p->lock);
}
