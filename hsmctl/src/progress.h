/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Waiting on a slow board request (RSA key generation: seconds to
 * minutes): the elapsed time on a terminal, --timeout, and Ctrl-C.
 *
 * The driver waits for the board killably: a caught signal does not end
 * the ioctl, only a fatal one does. So a helper thread watches the clock
 * and SIGINT/SIGTERM (through a signalfd) and, to cancel, reports and
 * ends the process, which kills the thread blocked in the ioctl; the
 * driver then quarantines the board request.
 */
#ifndef HSMCTL_PROGRESS_H
#define HSMCTL_PROGRESS_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <time.h>

#define PROGRESS_TIMEOUT_MAX	86400	/* seconds: one day */

struct progress {
	const char *cmd;	/* "key generate", for messages */
	const char *what;	/* "generating an RSA-2048 key on hsm0" */
	unsigned int timeout_s;	/* 0: none */
	int show;		/* draw the elapsed time on stderr */
	struct timespec start;
	pthread_t thread;
	pthread_mutex_t lock;	/* done, and the decision to cancel */
	int done;
	int drawn;
	int stop_fd[2];
	int sig_fd;
	sigset_t old_mask;
};

/*
 * Start watching the request about to be made: @cmd and @what name it in
 * messages; after @timeout_s seconds (0: never) it is cancelled with exit
 * status HSMCTL_EXIT_TIMEOUT, on SIGINT/SIGTERM with 128 + the signal's
 * number; with @show the elapsed time is redrawn every second on stderr.
 * 0, or -errno when the watcher cannot start (then nothing is watched).
 */
int progress_start(struct progress *p, const char *cmd, const char *what,
		   unsigned int timeout_s, int show);

/* The request has returned: stop watching and clear the elapsed time. */
void progress_stop(struct progress *p);

/* "7 s", "1 min 05 s", "2 h 00 min 09 s" into @buf. */
void progress_format_elapsed(unsigned long secs, char *buf, size_t len);

/* Parse --timeout SECONDS (1 to PROGRESS_TIMEOUT_MAX); 0 or -EINVAL. */
int progress_parse_timeout(const char *s, unsigned int *secs);

/* Whether to draw the elapsed time: stderr is a terminal, no --json. */
int progress_wanted(int json);

#endif /* HSMCTL_PROGRESS_H */
