// SPDX-License-Identifier: GPL-2.0
/*
 * hsmctl monitor and slow key generation against the emulator (issue 11,
 * points 5 and 6): the events of a detach, an attach and kernel-session
 * logins as text lines and JSON lines, --count, leaving on SIGINT, SIGTERM
 * and when stdout's reader goes away; key generate's --timeout (exit 6,
 * the board left clean), Ctrl-C (exit 130) and the elapsed time, shown on
 * a terminal only. Board 0 is the emulator; RSA generation is slowed
 * through its control socket (service_ms.PKEY_GENERATE_RSA).
 */
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "hsm_ioctl.h"
#include "hsmctl_cli.h"

#define READY		"hsmctl: monitoring board events (Ctrl-C stops)\n"
#define GEN_SLOW_MS	3000
#define CLEAN_MS	15000	/* the late reply and the driver's clean-up */

/* hsmctl started in the background with its stdout and stderr piped. */
struct bg {
	pid_t pid;
	int out, err;		/* read ends, -1 once closed */
	char obuf[8192], ebuf[4096];
	size_t olen, elen;
};

/* Start "hsmctl ARGS" (@args a shell word list) in the background. */
static int bg_start(struct bg *b, const char *args)
{
	int o[2], e[2];
	char cmd[512];

	memset(b, 0, sizeof(*b));
	if (pipe2(o, O_CLOEXEC) || pipe2(e, O_CLOEXEC))
		return -errno;
	snprintf(cmd, sizeof(cmd), "exec " HSMCTL " %s", args);
	b->pid = fork();
	if (b->pid < 0)
		return -errno;
	if (b->pid == 0) {
		dup2(o[1], STDOUT_FILENO);
		dup2(e[1], STDERR_FILENO);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(o[1]);
	close(e[1]);
	b->out = o[0];
	b->err = e[0];
	return 0;
}

/* Read what is there (waiting at most @ms) into the buffers. */
static void bg_read(struct bg *b, int ms)
{
	struct pollfd p[2] = { { b->out, POLLIN, 0 }, { b->err, POLLIN, 0 } };
	ssize_t n;

	if (poll(p, 2, ms) <= 0)
		return;
	if (p[0].revents && b->olen < sizeof(b->obuf) - 1) {
		n = read(b->out, b->obuf + b->olen, sizeof(b->obuf) - 1 - b->olen);
		if (n > 0)
			b->olen += (size_t)n;
		else
			p[0].fd = -1;
		b->obuf[b->olen] = 0;
	}
	if (p[1].revents && b->elen < sizeof(b->ebuf) - 1) {
		n = read(b->err, b->ebuf + b->elen, sizeof(b->ebuf) - 1 - b->elen);
		if (n > 0)
			b->elen += (size_t)n;
		b->ebuf[b->elen] = 0;
	}
}

/* Wait until stderr holds @what; false after @ms. */
static bool bg_wait_err(struct bg *b, const char *what, long ms)
{
	long end = hsm_test_now_ms() + ms;

	while (!strstr(b->ebuf, what) && hsm_test_now_ms() < end)
		bg_read(b, 100);
	return strstr(b->ebuf, what) != NULL;
}

/* Wait until stdout holds @lines complete lines; false after @ms. */
static bool bg_wait_lines(struct bg *b, int lines, long ms)
{
	long end = hsm_test_now_ms() + ms;
	int n;
	const char *p;

	for (;;) {
		for (n = 0, p = b->obuf; (p = strchr(p, '\n')); p++)
			n++;
		if (n >= lines || hsm_test_now_ms() >= end)
			return n >= lines;
		bg_read(b, 100);
	}
}

/* Its exit status (128 + signal if killed), or -1 if it is still running
 * after @ms; collects the rest of its output. */
static int bg_wait_exit(struct bg *b, long ms)
{
	long end = hsm_test_now_ms() + ms;
	int st;

	for (;;) {
		pid_t r = waitpid(b->pid, &st, WNOHANG);

		if (r == b->pid)
			break;
		if (hsm_test_now_ms() >= end)
			return -1;
		bg_read(b, 50);
	}
	while (b->out >= 0 || b->err >= 0) {
		struct pollfd p[2] = { { b->out, POLLIN, 0 }, { b->err, POLLIN, 0 } };
		char *buf[2] = { b->obuf, b->ebuf };
		size_t *len[2] = { &b->olen, &b->elen };
		size_t cap[2] = { sizeof(b->obuf), sizeof(b->ebuf) };
		int *fd[2] = { &b->out, &b->err };
		int i;

		if (poll(p, 2, 1000) <= 0)
			break;
		for (i = 0; i < 2; i++) {
			ssize_t n;

			if (!p[i].revents)
				continue;
			n = *len[i] < cap[i] - 1 ?
			    read(*fd[i], buf[i] + *len[i], cap[i] - 1 - *len[i]) : 0;
			if (n <= 0) {
				close(*fd[i]);
				*fd[i] = -1;
			} else {
				*len[i] += (size_t)n;
				buf[i][*len[i]] = 0;
			}
		}
	}
	b->pid = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void bg_close(struct bg *b)
{
	if (b->pid > 0) {
		kill(b->pid, SIGKILL);
		waitpid(b->pid, NULL, 0);
	}
	if (b->out >= 0)
		close(b->out);
	if (b->err >= 0)
		close(b->err);
	b->out = b->err = -1;
	b->pid = 0;
}

/* The @n-th line (from 0) of @text into @line. */
static bool nth_line(const char *text, int n, char *line, size_t len)
{
	const char *p = text, *nl;

	while (n-- > 0) {
		p = strchr(p, '\n');
		if (!p)
			return false;
		p++;
	}
	nl = strchr(p, '\n');
	if (!nl)
		return false;
	snprintf(line, len, "%.*s", (int)(nl - p), p);
	return true;
}

/* "2026-12-01T03:04:05.123Z": ISO 8601 UTC with milliseconds. */
static bool is_timestamp(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	size_t i;

	for (i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != shape[i])
			return false;
	return true;
}

FIXTURE(mon) {
	struct hsm_board_desc d;
	struct bg b;
	char out[16384];
};

FIXTURE_SETUP(mon)
{
	self->b.out = self->b.err = -1;
	ASSERT_EQ(0, hsmctl_attach_board0(&self->d, self->out, sizeof(self->out)))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, hsm_test_board_set(0, "service_ms.PKEY_GENERATE_RSA", 0));
}

FIXTURE_TEARDOWN(mon)
{
	bg_close(&self->b);
	hsm_test_board_set(0, "service_ms.PKEY_GENERATE_RSA", 0);
	sh(NULL, 0, HSMCTL " kernel-logout 2>&1");
	hsm_t_detach_all();
}

/* Kernel login, logout and a detach, as JSON lines; --count 3 ends it. */
TEST_F_TIMEOUT(mon, json_events, 120)
{
	struct bg *b = &self->b;
	char line[1024], want[256];
	int st;

	ASSERT_EQ(0, bg_start(b, "--json monitor --count 3"));
	ASSERT_TRUE(bg_wait_err(b, READY, 10000)) TH_LOG("%s", b->ebuf);
	st = sh(self->out, sizeof(self->out), HSMCTL " kernel-login --user user 2>&1");
	ASSERT_EQ(0, st) TH_LOG("%s", self->out);
	st = sh(self->out, sizeof(self->out), HSMCTL " kernel-logout 2>&1");
	ASSERT_EQ(0, st) TH_LOG("%s", self->out);
	st = sh(self->out, sizeof(self->out), HSMCTL " detach %s 2>&1", self->d.dev_name);
	ASSERT_EQ(0, st) TH_LOG("%s", self->out);
	ASSERT_EQ(0, bg_wait_exit(b, 10000)) TH_LOG("out: %s err: %s", b->obuf, b->ebuf);
	ASSERT_STREQ(READY, b->ebuf);

	ASSERT_TRUE(nth_line(b->obuf, 0, line, sizeof(line))) TH_LOG("%s", b->obuf);
	ASSERT_EQ(0, strncmp(line, "{\"time\":\"", 9)) TH_LOG("%s", line);
	EXPECT_TRUE(is_timestamp(line + 9)) TH_LOG("%s", line);
	snprintf(want, sizeof(want),
		 "\",\"event\":\"kernel-session\",\"index\":%u,\"device\":\"%s\",\"board_id\":\"%s\",\"tty\":\"ttyUSB0\",\"kernel_session\":{\"logged_in\":true,\"user\":\"user\"}}",
		 self->d.index, self->d.dev_name, self->d.board_id);
	EXPECT_STREQ(want, line + 9 + 24) TH_LOG("%s", line);

	ASSERT_TRUE(nth_line(b->obuf, 1, line, sizeof(line))) TH_LOG("%s", b->obuf);
	EXPECT_NE(NULL, strstr(line, "\"event\":\"kernel-session\"")) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, "\"kernel_session\":{\"logged_in\":false,\"user\":\"none\"}}"))
		TH_LOG("%s", line);

	ASSERT_TRUE(nth_line(b->obuf, 2, line, sizeof(line))) TH_LOG("%s", b->obuf);
	snprintf(want, sizeof(want),
		 "\",\"event\":\"detached\",\"index\":%u,\"device\":\"%s\",\"board_id\":\"%s\",\"tty\":\"ttyUSB0\"}",
		 self->d.index, self->d.dev_name, self->d.board_id);
	EXPECT_TRUE(is_timestamp(line + 9)) TH_LOG("%s", line);
	EXPECT_STREQ(want, line + 9 + 24) TH_LOG("%s", line);
	EXPECT_FALSE(nth_line(b->obuf, 3, line, sizeof(line))) TH_LOG("%s", b->obuf);
}

/* A detach and an attach as text lines. */
TEST_F_TIMEOUT(mon, text_events, 120)
{
	struct bg *b = &self->b;
	struct hsm_board_desc d2;
	char line[1024], want[256];
	int st;

	ASSERT_EQ(0, bg_start(b, "monitor --count 2"));
	ASSERT_TRUE(bg_wait_err(b, READY, 10000)) TH_LOG("%s", b->ebuf);
	st = sh(self->out, sizeof(self->out), HSMCTL " detach %s 2>&1", self->d.dev_name);
	ASSERT_EQ(0, st) TH_LOG("%s", self->out);
	st = sh(self->out, sizeof(self->out), HSMCTL " attach /dev/ttyUSB0 2>&1");
	ASSERT_EQ(0, st) TH_LOG("%s", self->out);
	ASSERT_EQ(0, hsm_test_find_board("ttyUSB0", &d2));
	ASSERT_EQ(0, bg_wait_exit(b, 10000)) TH_LOG("out: %s err: %s", b->obuf, b->ebuf);

	ASSERT_TRUE(nth_line(b->obuf, 0, line, sizeof(line))) TH_LOG("%s", b->obuf);
	EXPECT_TRUE(is_timestamp(line)) TH_LOG("%s", line);
	snprintf(want, sizeof(want), " detached %s board=%s tty=ttyUSB0",
		 self->d.dev_name, self->d.board_id);
	EXPECT_STREQ(want, line + 24);
	ASSERT_TRUE(nth_line(b->obuf, 1, line, sizeof(line))) TH_LOG("%s", b->obuf);
	EXPECT_TRUE(is_timestamp(line)) TH_LOG("%s", line);
	snprintf(want, sizeof(want), " attached %s board=%s tty=ttyUSB0",
		 d2.dev_name, d2.board_id);
	EXPECT_STREQ(want, line + 24);
}

/* SIGINT and SIGTERM end it with status 0, nothing printed. */
TEST_F_TIMEOUT(mon, stop_signals, 60)
{
	static const int sigs[] = { SIGINT, SIGTERM };
	struct bg *b = &self->b;
	size_t i;

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, bg_start(b, "--json monitor"));
		ASSERT_TRUE(bg_wait_err(b, READY, 10000)) TH_LOG("%s", b->ebuf);
		ASSERT_EQ(0, kill(b->pid, sigs[i]));
		EXPECT_EQ(0, bg_wait_exit(b, 5000)) TH_LOG("signal %d: %s", sigs[i], b->ebuf);
		EXPECT_STREQ("", b->obuf);
		EXPECT_STREQ(READY, b->ebuf);
		bg_close(b);
	}
}

/*
 * "hsmctl monitor | head -1": once its reader has its line and goes, the
 * monitor leaves at once with status 0, without waiting for an event.
 */
TEST_F_TIMEOUT(mon, reader_goes_away, 60)
{
	struct bg *b = &self->b;
	long t0;
	int st;

	/* The test is its reader; closing the pipe is head(1) exiting. */
	ASSERT_EQ(0, bg_start(b, "monitor"));
	ASSERT_TRUE(bg_wait_err(b, READY, 10000)) TH_LOG("%s", b->ebuf);
	st = sh(self->out, sizeof(self->out), HSMCTL " kernel-login --user user 2>&1");
	ASSERT_EQ(0, st) TH_LOG("%s", self->out);
	ASSERT_TRUE(bg_wait_lines(b, 1, 10000)) TH_LOG("%s", b->obuf);
	ASSERT_NE(NULL, strstr(b->obuf, " kernel-session ")) TH_LOG("%s", b->obuf);
	close(b->out);
	b->out = -1;
	t0 = hsm_test_now_ms();
	EXPECT_EQ(0, bg_wait_exit(b, 3000)) TH_LOG("%s", b->ebuf);
	EXPECT_LT(hsm_test_now_ms() - t0, 3000);
}

/* Every usage error exits 2, as JSON with --json. */
TEST_F(mon, usage_errors)
{
	int st;

	st = sh(self->out, sizeof(self->out), HSMCTL " monitor --count 0 2>&1");
	EXPECT_EQ(2, st) TH_LOG("%s", self->out);
	st = sh(self->out, sizeof(self->out), HSMCTL " --json monitor -d hsm0 2>&1");
	EXPECT_EQ(2, st) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "\"exit\":2}")) TH_LOG("%s", self->out);
	st = sh(self->out, sizeof(self->out), HSMCTL " key generate rsa 1024 --timeout 0 2>&1");
	EXPECT_EQ(2, st) TH_LOG("%s", self->out);
}

/* The emulator's counts of keys and logged-in clients. */
static void board_counts(struct __test_metadata *_metadata, unsigned long *token,
			 unsigned long *vol, unsigned int *logins)
{
	struct hsm_emu_stats st;

	ASSERT_EQ(0, hsm_test_emu_stats(0, &st));
	*token = st.token_keys;
	*vol = st.volatile_keys;
	*logins = hsm_emu_logged_in(&st);
}

static bool board_back_to(unsigned long token, unsigned long vol,
			  unsigned int logins)
{
	struct hsm_emu_stats st;

	return hsm_test_emu_stats(0, &st) == 0 && st.token_keys == token &&
	       st.volatile_keys == vol && hsm_emu_logged_in(&st) == logins;
}

/*
 * --timeout 1 on a 3 s generation: exit 6 after about a second, with the
 * quarantine explained, no elapsed time (stderr is no terminal); the
 * board keeps no key (token or not) and no login, and serves a new
 * session.
 */
TEST_F_TIMEOUT(mon, keygen_timeout, 120)
{
	static const char *const flags[] = { "", "--token", "--json --token" };
	unsigned long token, vol;
	unsigned int logins;
	char *out = self->out;
	size_t i;
	long t0, ms;
	int st;

	board_counts(_metadata, &token, &vol, &logins);
	ASSERT_EQ(0, hsm_test_board_set(0, "service_ms.PKEY_GENERATE_RSA", GEN_SLOW_MS));
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		t0 = hsm_test_now_ms();
		st = sh(out, sizeof(self->out), HSMCTL " key generate rsa 1024 %s --timeout 1 2>&1",
			flags[i]);
		ms = hsm_test_now_ms() - t0;
		EXPECT_EQ(6 /* HSMCTL_EXIT_TIMEOUT */, st) TH_LOG("%s", out);
		EXPECT_GE(ms, 900);
		EXPECT_LT(ms, GEN_SLOW_MS - 500) TH_LOG("took %ld ms", ms);
		EXPECT_NE(NULL, strstr(out, "no answer within --timeout 1 s; cancelled")) TH_LOG("%s", out);
		EXPECT_NE(NULL, strstr(out, "quarantines the outstanding board request")) TH_LOG("%s", out);
		EXPECT_EQ(NULL, strstr(out, "elapsed")) TH_LOG("%s", out);
		if (strstr(flags[i], "--json")) {
			EXPECT_EQ(0, strncmp(out, "{\"error\":\"key generate: generating an RSA-1024 key on ", 54))
				TH_LOG("%s", out);
			EXPECT_NE(NULL, strstr(out, "\"exit\":6}")) TH_LOG("%s", out);
		} else {
			EXPECT_EQ(0, strncmp(out, "hsmctl: key generate: generating an RSA-1024 key on ", 52))
				TH_LOG("%s", out);
		}
		/* The late reply's key is deleted, the login ended. */
		EXPECT_TRUE(hsm_wait_until(board_back_to(token, vol, logins), CLEAN_MS)) {
			struct hsm_emu_stats es;

			hsm_test_emu_stats(0, &es);
			TH_LOG("token %lu/%lu volatile %lu/%lu logins %u/%u", es.token_keys,
			       token, es.volatile_keys, vol, hsm_emu_logged_in(&es), logins);
		}
	}
	/* A fresh session is served at once, and within its --timeout. */
	ASSERT_EQ(0, hsm_test_board_set(0, "service_ms.PKEY_GENERATE_RSA", 0));
	st = sh(out, sizeof(self->out), HSMCTL " --json key generate rsa 1024 --timeout 60 2>&1");
	EXPECT_EQ(0, st) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"type\":\"rsa-private\"")) TH_LOG("%s", out);
}

/* hsmctl on a pseudo-terminal (its stderr and stdout), in the background. */
struct tty_run {
	pid_t pid;
	int master;
	char buf[8192];
	size_t len;
};

static int tty_start(struct tty_run *t, const char *args)
{
	char cmd[512];

	memset(t, 0, sizeof(*t));
	snprintf(cmd, sizeof(cmd), "exec " HSMCTL " %s", args);
	t->pid = forkpty(&t->master, NULL, NULL, NULL);
	if (t->pid < 0)
		return -errno;
	if (t->pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return 0;
}

static void tty_read(struct tty_run *t, int ms)
{
	struct pollfd p = { t->master, POLLIN, 0 };
	ssize_t n;

	if (poll(&p, 1, ms) <= 0 || t->len >= sizeof(t->buf) - 1)
		return;
	n = read(t->master, t->buf + t->len, sizeof(t->buf) - 1 - t->len);
	if (n > 0)
		t->len += (size_t)n;
	t->buf[t->len] = 0;
}

static bool tty_wait_for(struct tty_run *t, const char *what, long ms)
{
	long end = hsm_test_now_ms() + ms;

	while (!strstr(t->buf, what) && hsm_test_now_ms() < end)
		tty_read(t, 100);
	return strstr(t->buf, what) != NULL;
}

static int tty_wait_exit(struct tty_run *t, long ms)
{
	long end = hsm_test_now_ms() + ms;
	int st;

	while (waitpid(t->pid, &st, WNOHANG) != t->pid) {
		if (hsm_test_now_ms() >= end) {
			kill(t->pid, SIGKILL);
			waitpid(t->pid, &st, 0);
			close(t->master);
			return -1;
		}
		tty_read(t, 50);
	}
	while (t->len < sizeof(t->buf) - 1) {
		struct pollfd p = { t->master, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, 200) <= 0)
			break;
		n = read(t->master, t->buf + t->len, sizeof(t->buf) - 1 - t->len);
		if (n <= 0)
			break;
		t->len += (size_t)n;
		t->buf[t->len] = 0;
	}
	close(t->master);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* On a terminal the elapsed time is drawn, then cleared for the result. */
TEST_F_TIMEOUT(mon, keygen_progress_on_tty, 120)
{
	struct tty_run t;
	const char *p;

	ASSERT_EQ(0, hsm_test_board_set(0, "service_ms.PKEY_GENERATE_RSA", 2500));
	ASSERT_EQ(0, tty_start(&t, "key generate rsa 1024"));
	EXPECT_TRUE(tty_wait_for(&t, "elapsed (Ctrl-C cancels)", 20000)) TH_LOG("%s", t.buf);
	EXPECT_EQ(0, tty_wait_exit(&t, 30000)) TH_LOG("%s", t.buf);
	p = strstr(t.buf, "\rkey generate: generating an RSA-1024 key on ");
	ASSERT_NE(NULL, p) TH_LOG("%s", t.buf);
	EXPECT_NE(NULL, strstr(p, ": 1 s elapsed (Ctrl-C cancels)\033[K")) TH_LOG("%s", t.buf);
	/* Cleared before the key is printed. */
	p = strstr(p, "\r\033[K");
	ASSERT_NE(NULL, p) TH_LOG("%s", t.buf);
	EXPECT_NE(NULL, strstr(p, "type:   rsa-private")) TH_LOG("%s", t.buf);
}

/* Ctrl-C while generating: exit 130, the cancel explained, board clean. */
TEST_F_TIMEOUT(mon, keygen_sigint, 120)
{
	unsigned long token, vol;
	unsigned int logins;
	struct tty_run t;
	int st;

	board_counts(_metadata, &token, &vol, &logins);
	ASSERT_EQ(0, hsm_test_board_set(0, "service_ms.PKEY_GENERATE_RSA", GEN_SLOW_MS));
	ASSERT_EQ(0, tty_start(&t, "key generate rsa 1024 --token"));
	/* The elapsed time shows that the generation request is under way. */
	ASSERT_TRUE(tty_wait_for(&t, "1 s elapsed", 20000)) TH_LOG("%s", t.buf);
	ASSERT_EQ(0, kill(t.pid, SIGINT));
	st = tty_wait_exit(&t, 5000);
	EXPECT_EQ(130, st) TH_LOG("%s", t.buf);
	EXPECT_NE(NULL, strstr(t.buf, "cancelled by SIGINT (Ctrl-C) after ")) TH_LOG("%s", t.buf);
	EXPECT_NE(NULL, strstr(t.buf, "quarantines the outstanding board request")) TH_LOG("%s", t.buf);
	EXPECT_NE(NULL, strstr(t.buf, "hsmctl key list --token")) TH_LOG("%s", t.buf);
	EXPECT_EQ(NULL, strstr(t.buf, "uuid:")) TH_LOG("%s", t.buf);
	EXPECT_TRUE(hsm_wait_until(board_back_to(token, vol, logins), CLEAN_MS));
	/* The board serves a new session. */
	ASSERT_EQ(0, hsm_test_board_set(0, "service_ms.PKEY_GENERATE_RSA", 0));
	st = sh(self->out, sizeof(self->out), HSMCTL " key generate ec p256 2>&1");
	EXPECT_EQ(0, st) TH_LOG("%s", self->out);
}

HSM_TEST_HARNESS_MAIN
