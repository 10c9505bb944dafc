// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hsmctl probe on a pseudo-terminal: the test plays the far end of the
 * line (a board's RPC port, its console, or nothing) and checks the probe
 * bytes of cryptech-rpc.md §2.7.4, the byte sent afterwards, the verdict,
 * the exit code and that the line's settings are restored. Also: attach
 * runs modprobe when the module is missing.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "exitcodes.h"
#include "run_hsmctl.h"

static const unsigned char probe_bytes[] = {
	0xC0, 0x15, 0xC0, 0, 0, 0, 0, 0, 0, 0, 0, 0xC0, 0x15, 0x0D,
};

enum far_end { FAR_RPC, FAR_CONSOLE, FAR_SILENT, FAR_GARBAGE };

/* What the far end saw, sent back to the test through a pipe. */
struct seen {
	int probe_ok;		/* the 14 probe bytes, exactly */
	int after;		/* the byte after the answer, or -1 */
	size_t extra;		/* bytes after that one */
};

static long long ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read up to @len bytes from @fd before @deadline; returns the count. */
static size_t read_until(int fd, unsigned char *buf, size_t len,
			 long long deadline)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = deadline - ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		n = read(fd, buf + got, len - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

/* The far end, in a child: answer the probe as @kind would. */
static void far_end(int master, enum far_end kind, int report, int done)
{
	static const unsigned char rpc_reply[] = {
		0xC0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0x01, 0x01, 0x01, 0x00, 0xC0,
	};
	static const char console[] = "\r\n\r\ncryptech> ";
	static const char garbage[] = "\x01\x02hello";
	unsigned char buf[64];
	struct seen s = { 0, -1, 0 };
	size_t n;

	n = read_until(master, buf, sizeof(probe_bytes), ms() + 5000);
	s.probe_ok = n == sizeof(probe_bytes) &&
		     memcmp(buf, probe_bytes, n) == 0;
	if (kind == FAR_RPC)
		n = (size_t)write(master, rpc_reply, sizeof(rpc_reply));
	else if (kind == FAR_CONSOLE)
		n = (size_t)write(master, console, strlen(console));
	else if (kind == FAR_GARBAGE)
		n = (size_t)write(master, garbage, strlen(garbage));
	(void)n;
	/*
	 * Everything hsmctl sends after the answer, until the test says that
	 * hsmctl has exited (closes @done): the after-probe byte, then
	 * nothing.
	 */
	for (;;) {
		struct pollfd p[2] = { { master, POLLIN, 0 }, { done, POLLIN, 0 } };

		if (poll(p, 2, 10000) <= 0)
			break;
		if (p[0].revents & POLLIN) {
			if (read(master, buf, 1) != 1)
				break;
			if (s.after < 0)
				s.after = buf[0];
			else
				s.extra++;
			continue;
		}
		if (p[1].revents)
			break;
	}
	n = (size_t)write(report, &s, sizeof(s));
	_exit(0);
}

struct line {
	int master, slave, report, done;
	pid_t far;
	char path[64];
};

static int line_open(struct line *l, enum far_end kind)
{
	int p[2], d[2];

	l->master = posix_openpt(O_RDWR | O_NOCTTY);
	if (l->master < 0 || grantpt(l->master) || unlockpt(l->master) ||
	    ptsname_r(l->master, l->path, sizeof(l->path)))
		return -1;
	/* Held open so that the settings survive hsmctl's close. */
	l->slave = open(l->path, O_RDWR | O_NOCTTY);
	if (l->slave < 0 || pipe(p) || pipe(d))
		return -1;
	l->far = fork();
	if (l->far == 0) {
		close(p[0]);
		close(d[1]);
		far_end(l->master, kind, p[1], d[0]);
	}
	close(p[1]);
	close(d[0]);
	l->report = p[0];
	l->done = d[1];
	return 0;
}

static int line_seen(struct line *l, struct seen *s)
{
	ssize_t n;
	int st;

	close(l->done);		/* hsmctl has exited */
	n = read(l->report, s, sizeof(*s));

	waitpid(l->far, &st, 0);
	close(l->report);
	close(l->master);
	close(l->slave);
	return n == sizeof(*s) ? 0 : -1;
}

static void hsmctl_argv(struct run *r, char **argv)
{
	run_hsmctl(r, argv, NULL, NULL);
}

TEST(rpc_port)
{
	struct termios before, after;
	struct line l;
	struct seen s;
	struct run r;

	ASSERT_EQ(0, line_open(&l, FAR_RPC));
	ASSERT_EQ(0, tcgetattr(l.slave, &before));
	hsmctl_argv(&r, (char *[]){ "hsmctl", "probe", l.path, NULL });
	ASSERT_EQ(0, tcgetattr(l.slave, &after));
	ASSERT_EQ(0, line_seen(&l, &s));
	EXPECT_EQ(HSMCTL_EXIT_OK, r.status) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.out, ": rpc port (GET_VERSION answered, protocol 1.1.1.0)"))
		TH_LOG("%s", r.out);
	EXPECT_EQ(1, s.probe_ok);
	EXPECT_EQ(0xC0, s.after);	/* END ends the runt "Ctrl-U CR" */
	EXPECT_EQ(0, s.extra);
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));
}

TEST(console_port_left_as_it_was)
{
	struct termios before, after;
	struct line l;
	struct seen s;
	struct run r;

	ASSERT_EQ(0, line_open(&l, FAR_CONSOLE));
	ASSERT_EQ(0, tcgetattr(l.slave, &before));
	hsmctl_argv(&r, (char *[]){ "hsmctl", "probe", l.path, NULL });
	ASSERT_EQ(0, tcgetattr(l.slave, &after));
	ASSERT_EQ(0, line_seen(&l, &s));
	EXPECT_EQ(HSMCTL_EXIT_NOT_RPC, r.status) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.out, ": console port (prompt \"cryptech>\")"))
		TH_LOG("%s", r.out);
	EXPECT_EQ(1, s.probe_ok);
	EXPECT_EQ(0x15, s.after);	/* Ctrl-U erases the probe's line */
	EXPECT_EQ(0, s.extra);
	/* settings (speed, mode, echo) as before the probe */
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));
}

TEST(console_port_with_attach_is_left_alone)
{
	struct line l;
	struct seen s;
	struct run r;

	ASSERT_EQ(0, line_open(&l, FAR_CONSOLE));
	hsmctl_argv(&r, (char *[]){ "hsmctl", "--json", "probe", "--attach",
				    l.path, NULL });
	ASSERT_EQ(0, line_seen(&l, &s));
	EXPECT_EQ(HSMCTL_EXIT_OK, r.status) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.out, "\"port\":\"console\"")) TH_LOG("%s", r.out);
	EXPECT_NE(NULL, strstr(r.out, "\"action\":\"left alone\"")) TH_LOG("%s", r.out);
	EXPECT_NE(NULL, strstr(r.out, "\"prompt\":\"cryptech>\"")) TH_LOG("%s", r.out);
	EXPECT_EQ(0x15, s.after);
}

TEST(silent_line_waits_for_the_timeout)
{
	struct line l;
	struct seen s;
	struct run r;
	long long t0;

	ASSERT_EQ(0, line_open(&l, FAR_SILENT));
	t0 = ms();
	hsmctl_argv(&r, (char *[]){ "hsmctl", "probe", "--timeout", "300",
				    l.path, NULL });
	EXPECT_GE(ms() - t0, 300);
	ASSERT_EQ(0, line_seen(&l, &s));
	EXPECT_EQ(HSMCTL_EXIT_NOT_RPC, r.status);
	EXPECT_NE(NULL, strstr(r.out, ": silent (no answer to the probe)"))
		TH_LOG("%s", r.out);
	EXPECT_EQ(1, s.probe_ok);
	EXPECT_EQ(-1, s.after);		/* nothing sent to an unknown line */
}

TEST(garbage_is_neither_and_attach_refuses)
{
	struct line l;
	struct seen s;
	struct run r;

	ASSERT_EQ(0, line_open(&l, FAR_GARBAGE));
	hsmctl_argv(&r, (char *[]){ "hsmctl", "probe", "--attach",
				    "--timeout", "300", l.path, NULL });
	ASSERT_EQ(0, line_seen(&l, &s));
	EXPECT_EQ(HSMCTL_EXIT_NOT_RPC, r.status);
	EXPECT_NE(NULL, strstr(r.out, ": other (7 bytes")) TH_LOG("%s", r.out);
	EXPECT_NE(NULL, strstr(r.err, "no CrypTech board answered")) TH_LOG("%s", r.err);
	EXPECT_EQ(-1, s.after);
}

TEST(usage_and_missing_tty)
{
	struct run r;

	hsmctl_argv(&r, (char *[]){ "hsmctl", "probe", NULL });
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r.status);
	EXPECT_NE(NULL, strstr(r.err, "probe: which tty?"));
	hsmctl_argv(&r, (char *[]){ "hsmctl", "probe", "--timeout", "0",
				    "ttyUSB0", NULL });
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r.status);
	EXPECT_NE(NULL, strstr(r.err, "--timeout takes milliseconds"));
	hsmctl_argv(&r, (char *[]){ "hsmctl", "probe", "/dev/nonexistent-tty", NULL });
	EXPECT_EQ(HSMCTL_EXIT_NO_DEVICE, r.status);
	EXPECT_STREQ("hsmctl: probe /dev/nonexistent-tty: no serial line /dev/nonexistent-tty (unplugged?)\n",
		     r.err);
	hsmctl_argv(&r, (char *[]){ "hsmctl", "probe", "/dev/null", NULL });
	EXPECT_EQ(HSMCTL_EXIT_FAILED, r.status);
	EXPECT_NE(NULL, strstr(r.err, "/dev/null is not a serial line")) TH_LOG("%s", r.err);
}

/* A fake modprobe in PATH records its arguments and fails. */
static char fake_dir[] = "/tmp/hsmctl-probe-test-XXXXXX";

static void fake_modprobe_env(const void *unused)
{
	char path[4096];

	(void)unused;
	snprintf(path, sizeof(path), "%s:/usr/bin:/bin", fake_dir);
	setenv("PATH", path, 1);
}

static int module_loaded(void)
{
	return access("/sys/module/cryptech_hsm", F_OK) == 0;
}

TEST(attach_runs_modprobe_when_the_module_is_missing)
{
	char script[4096], args[4096], buf[256] = "";
	struct run r;
	FILE *f;

	ASSERT_NE(NULL, mkdtemp(fake_dir));
	snprintf(script, sizeof(script), "%s/modprobe", fake_dir);
	snprintf(args, sizeof(args), "%s/args", fake_dir);
	f = fopen(script, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "#!/bin/sh\necho \"$@\" > %s\n"
		"echo 'modprobe: FATAL: Module cryptech_hsm not found' >&2\nexit 1\n",
		args);
	fclose(f);
	ASSERT_EQ(0, chmod(script, 0755));

	run_hsmctl(&r, (char *[]){ "hsmctl", "attach", "ttyUSB9", NULL },
		   fake_modprobe_env, NULL);
	if (module_loaded()) {
		/* The family is there: no modprobe; the kernel says why. */
		EXPECT_NE(0, access(args, F_OK)) TH_LOG("modprobe was run");
		EXPECT_NE(HSMCTL_EXIT_OK, r.status);
	} else if (geteuid() == 0) {
		EXPECT_EQ(HSMCTL_EXIT_NO_DEVICE, r.status);
		f = fopen(args, "r");
		ASSERT_NE(NULL, f) TH_LOG("modprobe was not run: %s", r.err);
		ASSERT_NE(NULL, fgets(buf, sizeof(buf), f));
		fclose(f);
		EXPECT_STREQ("cryptech_hsm\n", buf);
		EXPECT_STREQ("hsmctl: attach ttyUSB9: the cryptech_hsm kernel module is not loaded; 'modprobe cryptech_hsm' failed: modprobe: FATAL: Module cryptech_hsm not found (is cryptech-hsm-dkms installed? see 'dkms status')\n",
			     r.err);
	} else {
		EXPECT_EQ(HSMCTL_EXIT_NO_DEVICE, r.status);
		/* Not root: no modprobe, and the message says what to run. */
		EXPECT_NE(0, access(args, F_OK));
		EXPECT_NE(NULL, strstr(r.err, "try: modprobe cryptech_hsm")) TH_LOG("%s", r.err);
	}
	unlink(args);
	unlink(script);
	rmdir(fake_dir);
}

TEST_HARNESS_MAIN
