// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hsmctl monitor and the slow-operation helpers without a board: how an
 * event is printed (text and JSON, checked by a real JSON parser), the
 * elapsed time, --timeout and --count parsing, and the errors.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "kselftest_harness.h"
#include "json_check.h"

#include "event_out.h"
#include "exitcodes.h"
#include "progress.h"
#include "run_hsmctl.h"

/* 2025-12-01T03:04:05.123Z */
static const struct timespec when = { 1764558245, 123456789 };

static void sample(struct hsm_event *e, uint32_t type, const char *tty,
		   const char *id)
{
	memset(e, 0, sizeof(*e));
	e->type = type;
	e->index = 2;
	snprintf(e->dev_name, sizeof(e->dev_name), "hsm2");
	snprintf(e->tty_name, sizeof(e->tty_name), "%s", tty);
	snprintf(e->board_id, sizeof(e->board_id), "%s", id);
}

/* What a print function wrote, malloc()ed. */
#define CAPTURE(buf, call) do {						\
	size_t len_;							\
	FILE *f_ = open_memstream(&(buf), &len_);			\
	ASSERT_NE(NULL, f_);						\
	call;								\
	fclose(f_);							\
} while (0)

TEST(time_is_iso8601_utc_with_ms)
{
	char t[EVENT_TIME_LEN];
	struct timespec ts = { 0, 999999999 };

	event_time_format(&when, t);
	EXPECT_STREQ("2025-12-01T03:04:05.123Z", t);
	event_time_format(&ts, t);
	EXPECT_STREQ("1970-01-01T00:00:00.999Z", t);
}

TEST(event_text_lines)
{
	struct hsm_event e;
	char t[EVENT_TIME_LEN], *buf = NULL;

	event_time_format(&when, t);
	sample(&e, HSM_EVENT_ATTACHED, "ttyUSB0", "EMU00002");
	CAPTURE(buf, event_print_text(f_, t, &e, HSM_USER_NONE));
	EXPECT_STREQ("2025-12-01T03:04:05.123Z attached hsm2 board=EMU00002 tty=ttyUSB0\n", buf);
	free(buf);

	/* What the kernel did not report is "-"; the login state is shown
	 * for kernel-session events only. */
	sample(&e, HSM_EVENT_KERNEL_SESSION, "", "");
	CAPTURE(buf, event_print_text(f_, t, &e, HSM_USER_WHEEL));
	EXPECT_STREQ("2025-12-01T03:04:05.123Z kernel-session hsm2 board=- tty=- kernel_user=wheel\n", buf);
	free(buf);
	sample(&e, HSM_EVENT_KERNEL_SESSION, "ttyS1", "EMU1");
	CAPTURE(buf, event_print_text(f_, t, &e, HSM_USER_NONE));
	EXPECT_STREQ("2025-12-01T03:04:05.123Z kernel-session hsm2 board=EMU1 tty=ttyS1 kernel_user=none\n", buf);
	free(buf);

	sample(&e, HSM_EVENT_PROTO_ERROR, "ttyS1", "EMU1");
	CAPTURE(buf, event_print_text(f_, t, &e, HSM_USER_WHEEL));
	EXPECT_STREQ("2025-12-01T03:04:05.123Z protocol-error hsm2 board=EMU1 tty=ttyS1\n", buf);
	free(buf);

	CAPTURE(buf, event_print_lost(f_, 0, t));
	EXPECT_EQ(0, strncmp(buf, "2025-12-01T03:04:05.123Z events-lost - the kernel dropped events", 64))
		TH_LOG("%s", buf);
	EXPECT_EQ(buf + strlen(buf) - 1, strchr(buf, '\n'));
	free(buf);
}

TEST(event_json_objects)
{
	struct hsm_event e;
	char t[EVENT_TIME_LEN], *buf = NULL;

	event_time_format(&when, t);
	sample(&e, HSM_EVENT_DETACHED, "ttyUSB0", "EMU00002");
	CAPTURE(buf, event_print_json(f_, t, &e, HSM_USER_NONE));
	/* One line per event: a reader splits the stream at newlines. */
	EXPECT_EQ(buf + strlen(buf) - 1, strchr(buf, '\n'));
	EXPECT_EQ(0, python_check(buf,
		"assert d == {\"time\": \"2025-12-01T03:04:05.123Z\", \"event\": \"detached\", \"index\": 2, \"device\": \"hsm2\", \"board_id\": \"EMU00002\", \"tty\": \"ttyUSB0\"}, d"));
	free(buf);

	sample(&e, HSM_EVENT_KERNEL_SESSION, "", "");
	CAPTURE(buf, event_print_json(f_, t, &e, HSM_USER_NORMAL));
	EXPECT_EQ(0, python_check(buf,
		"assert d[\"event\"] == \"kernel-session\" and d[\"board_id\"] is None and d[\"tty\"] is None and d[\"kernel_session\"] == {\"logged_in\": True, \"user\": \"user\"}, d"));
	free(buf);
	CAPTURE(buf, event_print_json(f_, t, &e, HSM_USER_NONE));
	EXPECT_EQ(0, python_check(buf,
		"assert d[\"kernel_session\"] == {\"logged_in\": False, \"user\": \"none\"}, d"));
	free(buf);

	CAPTURE(buf, event_print_lost(f_, 1, t));
	EXPECT_EQ(0, python_check(buf,
		"assert d[\"event\"] == \"events-lost\" and d[\"time\"] == \"2025-12-01T03:04:05.123Z\" and \"hsmctl list\" in d[\"cause\"], d"));
	free(buf);
}

TEST(elapsed_time)
{
	static const struct { unsigned long secs; const char *text; } cases[] = {
		{ 0, "0 s" }, { 59, "59 s" }, { 60, "1 min 00 s" },
		{ 605, "10 min 05 s" }, { 3599, "59 min 59 s" },
		{ 3600, "1 h 00 min 00 s" }, { 90061, "25 h 01 min 01 s" },
	};
	char buf[32];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		progress_format_elapsed(cases[i].secs, buf, sizeof(buf));
		EXPECT_STREQ(cases[i].text, buf);
	}
}

TEST(timeout_parsing)
{
	static const char *const bad[] = {
		"", "0", "-1", "+5", " 5", "5s", "1.5", "86401", "99999999999999999999",
	};
	unsigned int secs = 0;
	size_t i;

	EXPECT_EQ(0, progress_parse_timeout("1", &secs));
	EXPECT_EQ(1u, secs);
	EXPECT_EQ(0, progress_parse_timeout("86400", &secs));
	EXPECT_EQ(86400u, secs);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(-EINVAL, progress_parse_timeout(bad[i], &secs)) TH_LOG("bad case %zu", i);
	EXPECT_EQ(-EINVAL, progress_parse_timeout(NULL, &secs));
}

/*
 * In a child: watch a "request" that never returns (pause()), as the
 * driver's killable wait never returns for a caught signal. Its exit
 * status, its stderr in @err, the time it took in *@ms.
 */
static int watched_child(unsigned int timeout_s, int signo, char *err,
			 size_t len, long *ms)
{
	struct timespec t0, t1;
	int ep[2], rp[2], st;
	ssize_t n;
	size_t got = 0;
	pid_t pid;
	char c;

	if (pipe(ep) || pipe(rp))
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid == 0) {
		struct progress p;

		dup2(ep[1], STDERR_FILENO);
		close(ep[0]);
		close(rp[0]);
		if (progress_start(&p, "key generate", "generating a test key",
				   timeout_s, 0))
			_exit(99);
		if (write(rp[1], "r", 1) != 1)
			_exit(98);
		for (;;)
			pause();
	}
	close(ep[1]);
	close(rp[1]);
	/* Watched from here on: signal it. */
	if (read(rp[0], &c, 1) == 1 && signo)
		kill(pid, signo);
	close(rp[0]);
	while (got < len - 1 && (n = read(ep[0], err + got, len - 1 - got)) > 0)
		got += (size_t)n;
	err[got] = 0;
	close(ep[0]);
	waitpid(pid, &st, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

TEST(timeout_cancels_with_exit_6)
{
	char err[1024];
	long ms;

	EXPECT_EQ(HSMCTL_EXIT_TIMEOUT, watched_child(1, 0, err, sizeof(err), &ms)) TH_LOG("%s", err);
	EXPECT_GE(ms, 950);
	EXPECT_LT(ms, 5000);
	EXPECT_EQ(0, strncmp(err, "hsmctl: key generate: generating a test key: no answer within --timeout 1 s; cancelled (the driver quarantines the outstanding board request", 139))
		TH_LOG("%s", err);
	/* Not a terminal: no elapsed time drawn. */
	EXPECT_EQ(NULL, strstr(err, "elapsed")) TH_LOG("%s", err);
}

TEST(signals_cancel_with_128_plus_signal)
{
	char err[1024];
	long ms;

	EXPECT_EQ(130, watched_child(0, SIGINT, err, sizeof(err), &ms)) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, ": cancelled by SIGINT (Ctrl-C) after 0 s (the driver quarantines"))
		TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "'hsmctl key list --token'")) TH_LOG("%s", err);
	EXPECT_EQ(143, watched_child(0, SIGTERM, err, sizeof(err), &ms)) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, ": cancelled by SIGTERM after 0 s")) TH_LOG("%s", err);
}

/* Once stopped, nothing is cancelled and the signal mask is as before. */
TEST(stop_restores)
{
	struct progress p;
	sigset_t before, after;

	sigprocmask(SIG_SETMASK, NULL, &before);
	ASSERT_EQ(0, progress_start(&p, "key generate", "x", 1, 0));
	progress_stop(&p);
	sigprocmask(SIG_SETMASK, NULL, &after);
	EXPECT_EQ(sigismember(&before, SIGINT), sigismember(&after, SIGINT));
	EXPECT_EQ(sigismember(&before, SIGTERM), sigismember(&after, SIGTERM));
	EXPECT_EQ(-1, p.sig_fd);
}

static void hsmctl(struct run *r, char *a1, char *a2, char *a3, char *a4,
		   char *a5)
{
	char *argv[] = { "hsmctl", a1, a2, a3, a4, a5, NULL };

	run_hsmctl(r, argv, NULL, NULL);
}

TEST(usage_errors)
{
	struct run r;

	hsmctl(&r, "monitor", "--count", "0", NULL, NULL);
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r.status);
	EXPECT_NE(NULL, strstr(r.err, "--count must be a number from 1 to 1000000")) TH_LOG("%s", r.err);
	hsmctl(&r, "monitor", "--count", "x", NULL, NULL);
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r.status);
	hsmctl(&r, "monitor", "-d", "hsm0", NULL, NULL);
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r.status);
	EXPECT_NE(NULL, strstr(r.err, "-d is not taken")) TH_LOG("%s", r.err);
	hsmctl(&r, "monitor", "extra", NULL, NULL, NULL);
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r.status);
	hsmctl(&r, "--json", "monitor", "--count", "0", NULL);
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r.status);
	EXPECT_EQ(0, python_check(r.err, "assert d[\"exit\"] == 2, d")) TH_LOG("%s", r.err);
	/* Checked before any board is looked for. */
	hsmctl(&r, "key", "generate", "rsa", "2048", "--timeout");
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r.status);
	hsmctl(&r, "key", "generate", "rsa", "2048", "--timeout=0");
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r.status);
	EXPECT_NE(NULL, strstr(r.err, "--timeout must be 1 to 86400 seconds")) TH_LOG("%s", r.err);
	EXPECT_STREQ("", r.out);
}

TEST(help_names_monitor_and_timeout)
{
	struct run r;

	hsmctl(&r, "help", "monitor", NULL, NULL, NULL);
	EXPECT_EQ(0, r.status);
	EXPECT_NE(NULL, strstr(r.out, "monitor [--count N]"));
	hsmctl(&r, "key", "generate", "--help", NULL, NULL);
	EXPECT_EQ(0, r.status);
	EXPECT_NE(NULL, strstr(r.out, "[--timeout SECONDS]")) TH_LOG("%s", r.out);
	hsmctl(&r, "--help", NULL, NULL, NULL, NULL);
	EXPECT_NE(NULL, strstr(r.out, "130 cancelled")) TH_LOG("%s", r.out);
}

/* In the child: stdout a pipe whose reader is already gone. */
static void stdout_reader_gone(const void *unused)
{
	int p[2];

	(void)unused;
	if (pipe(p) == 0) {
		close(p[0]);
		dup2(p[1], STDOUT_FILENO);
	}
}

TEST(without_module)
{
	struct run r;

	if (hsm_family_present()) {
		/* Then it must subscribe, and leave as its reader has gone. */
		char *argv[] = { "hsmctl", "monitor", NULL };

		run_hsmctl(&r, argv, stdout_reader_gone, NULL);
		EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
		EXPECT_STREQ("hsmctl: monitoring board events (Ctrl-C stops)\n", r.err);
		return;
	}
	hsmctl(&r, "monitor", NULL, NULL, NULL, NULL);
	EXPECT_EQ(HSMCTL_EXIT_NO_DEVICE, r.status);
	EXPECT_STREQ("hsmctl: monitor: subscribing to board events: the cryptech_hsm kernel module is not loaded (generic netlink family \"cryptech_hsm\" not found; try: modprobe cryptech_hsm)\n",
		     r.err);
	EXPECT_STREQ("", r.out);
	hsmctl(&r, "--json", "monitor", NULL, NULL, NULL);
	EXPECT_EQ(HSMCTL_EXIT_NO_DEVICE, r.status);
	EXPECT_EQ(0, python_check(r.err, "assert d[\"exit\"] == 3 and \"not loaded\" in d[\"cause\"], d")) TH_LOG("%s", r.err);
}

TEST_HARNESS_MAIN
