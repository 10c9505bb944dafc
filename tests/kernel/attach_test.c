// SPDX-License-Identifier: GPL-2.0
/*
 * The walking skeleton end to end, against the emulator: attach, list,
 * info, random, detach, unplug, re-attach, module unload, the ioctl ABI's
 * validation and the capability check. Runs in the test VM with two boards
 * (tests/kernel/run-group main).
 */
#include <pthread.h>
#include <sys/ioctl.h>
#include <termios.h>

#include <linux/cryptech_hsm.h>

#include "kselftest_harness.h"
#include "hsm_test.h"

static void devpath(const struct hsm_board_desc *d, char *buf, size_t len)
{
	snprintf(buf, len, "/dev/%s", d->dev_name);
}

/* ftdi_sio's latency timer of a USB-serial port, in ms; -1 if unreadable. */
static int latency_timer_ms(const char *tty)
{
	char path[128];
	FILE *f;
	int ms = -1;

	snprintf(path, sizeof(path),
		 "/sys/bus/usb-serial/devices/%s/latency_timer", tty);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &ms) != 1)
		ms = -1;
	fclose(f);
	return ms;
}

/* Attach tty @i through netlink and check the board is listed as ready. */
#define ATTACH(i, desc) do {						\
	char __msg[256];						\
	int __err = hsm_attach(hsm_test_tty(i), (desc), __msg, sizeof(__msg)); \
	ASSERT_EQ(0, __err) {						\
		TH_LOG("attach %s: %s (%s)", hsm_test_tty(i),		\
		       strerror(-__err), __msg);			\
	}								\
} while (0)

#define DETACH(desc) do {						\
	char __msg[256];						\
	int __err = hsm_detach((desc)->index, __msg, sizeof(__msg));	\
	ASSERT_EQ(0, __err) {						\
		TH_LOG("detach: %s (%s)", strerror(-__err), __msg);	\
	}								\
} while (0)

TEST(attach_list_info_random_detach)
{
	struct hsm_board_desc d, listed;
	struct hsm_board_info info;
	struct hsm_session *s;
	unsigned char a[32], b[32];
	uint32_t st = 99;
	char path[64];

	ATTACH(0, &d);
	ASSERT_EQ(HSM_BOARD_READY, d.state);
	ASSERT_EQ(0x01010100, d.protocol_version);
	ASSERT_STREQ("ttyUSB0", d.tty_name);
	devpath(&d, path, sizeof(path));
	ASSERT_TRUE(hsm_wait_until(hsm_path_exists(path), HSM_WAIT_MS));

	ASSERT_EQ(0, hsm_test_find_board("ttyUSB0", &listed));
	ASSERT_EQ(d.index, listed.index);
	ASSERT_STREQ(d.dev_name, listed.dev_name);
	ASSERT_EQ(0x01010100, listed.protocol_version);
	ASSERT_EQ(HSM_BOARD_READY, listed.state);
	ASSERT_EQ(0, hsm_get_board(d.index, &listed, NULL, 0));
	ASSERT_STREQ("ttyUSB0", listed.tty_name);

	ASSERT_EQ(0, hsm_open(path, &s));
	ASSERT_EQ(0, hsm_board_info(s, &info));
	ASSERT_EQ(d.index, info.index);
	ASSERT_EQ(0x01010100, info.protocol_version);
	ASSERT_STREQ("ttyUSB0", info.tty_name);

	/*
	 * The USB bridge was asked for its shortest latency timer: 1 ms
	 * instead of the FT232's 16 ms default, which would delay every reply.
	 */
	ASSERT_EQ(1, latency_timer_ms("ttyUSB0"));

	ASSERT_EQ(0, hsm_random(s, a, sizeof(a), &st));
	ASSERT_EQ(0, st);
	ASSERT_EQ(0, hsm_random(s, b, sizeof(b), &st));
	ASSERT_FALSE(hsm_all_zero(a, sizeof(a)));
	ASSERT_NE(0, memcmp(a, b, sizeof(a)));

	/* The counters saw it: handshake + two randoms, one session. */
	ASSERT_EQ(0, hsm_get_board(d.index, &listed, NULL, 0));
	ASSERT_GE(listed.stats.requests, 4);
	ASSERT_EQ(1, listed.stats.sessions);
	ASSERT_EQ(0, listed.stats.in_flight);
	ASSERT_GT(listed.stats.bytes_in, 0);
	ASSERT_GT(listed.stats.bytes_out, 0);
	hsm_close(s);

	DETACH(&d);
	ASSERT_FALSE(hsm_path_exists(path));
	ASSERT_EQ(-ENOENT, hsm_test_find_board("ttyUSB0", &listed));

	/* Re-attach works, and the tty was really released. */
	ATTACH(0, &d);
	ASSERT_EQ(0, hsm_open(d.dev_name, &s));
	ASSERT_EQ(0, hsm_random(s, a, 16, NULL));
	hsm_close(s);
	DETACH(&d);
}

TEST(large_random_and_many_sessions)
{
	static unsigned char buf[CRYPTECH_HSM_RANDOM_MAX];
	struct hsm_session *s[12];
	struct hsm_board_desc d, now;
	int i;

	ATTACH(1, &d);
	for (i = 0; i < 12; i++)
		ASSERT_EQ(0, hsm_open(d.dev_name, &s[i]));
	ASSERT_EQ(0, hsm_get_board(d.index, &now, NULL, 0));
	ASSERT_EQ(12, now.stats.sessions);
	/* The largest single request the board answers. */
	ASSERT_EQ(0, hsm_random(s[3], buf, sizeof(buf), NULL));
	ASSERT_FALSE(hsm_all_zero(buf, 64));
	for (i = 0; i < 12; i++)
		ASSERT_EQ(0, hsm_random(s[i], buf, 100, NULL));
	for (i = 0; i < 12; i++)
		hsm_close(s[i]);
	ASSERT_EQ(0, hsm_get_board(d.index, &now, NULL, 0));
	ASSERT_EQ(0, now.stats.sessions);
	DETACH(&d);
}

struct random_worker {
	struct hsm_session *s;
	int err;
};

static void *random_loop(void *arg)
{
	struct random_worker *w = arg;
	unsigned char buf[48];
	int i;

	for (i = 0; i < 40 && !w->err; i++)
		w->err = hsm_random(w->s, buf, sizeof(buf), NULL);
	return NULL;
}

TEST(concurrent_sessions)
{
	struct random_worker w[8];
	pthread_t t[8];
	struct hsm_board_desc d, now;
	int i;

	ATTACH(0, &d);
	for (i = 0; i < 8; i++) {
		w[i].err = 0;
		ASSERT_EQ(0, hsm_open(d.dev_name, &w[i].s));
		ASSERT_EQ(0, pthread_create(&t[i], NULL, random_loop, &w[i]));
	}
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(0, w[i].err);
		hsm_close(w[i].s);
	}
	ASSERT_EQ(0, hsm_get_board(d.index, &now, NULL, 0));
	ASSERT_EQ(0, now.stats.errors);
	ASSERT_EQ(0, now.stats.proto_errors);
	ASSERT_EQ(0, now.stats.timeouts);
	DETACH(&d);
}

TEST(attach_errors)
{
	struct hsm_board_desc d, d2;
	char msg[256];

	ASSERT_EQ(-ENOENT, hsm_attach("/dev/no-such-tty", NULL, msg, sizeof(msg)));
	ASSERT_NE(NULL, strstr(msg, "not found"));
	ASSERT_NE(0, hsm_attach("/dev/null", NULL, msg, sizeof(msg)));

	ATTACH(0, &d);
	/* The same tty twice: it is held exclusively. */
	ASSERT_EQ(-EBUSY, hsm_attach(hsm_test_tty(0), &d2, msg, sizeof(msg)));
	ASSERT_NE(NULL, strstr(msg, "in use"));
	DETACH(&d);
	ASSERT_EQ(-ENODEV, hsm_detach(d.index, msg, sizeof(msg)));
}

/* Without CAP_SYS_ADMIN neither netlink attach nor TIOCSETD works. */
TEST(attach_needs_cap_sys_admin)
{
	pid_t pid;
	int st;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		char msg[256];
		int fd, ld = HSM_LDISC, err;

		if (hsm_test_drop_sys_admin())
			_exit(10);
		err = hsm_attach(hsm_test_tty(0), NULL, msg, sizeof(msg));
		if (err != -EPERM)
			_exit(11);
		fd = open(hsm_test_tty(0), O_RDWR | O_NOCTTY);
		if (fd < 0)
			_exit(12);
		if (ioctl(fd, TIOCSETD, &ld) == 0 || errno != EPERM)
			_exit(13);
		close(fd);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_EQ(0, WEXITSTATUS(st));
	ASSERT_EQ(0, hsm_test_board_count());
}

/* The classic way: userspace opens the tty and sets the discipline. */
TEST(tiocsetd_attach)
{
	struct hsm_board_desc d;
	struct hsm_session *s;
	struct termios t;
	unsigned char buf[16];
	char path[64];
	int fd, ld = HSM_LDISC, ntty = N_TTY;

	fd = open(hsm_test_tty(1), O_RDWR | O_NOCTTY);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, tcgetattr(fd, &t));
	cfmakeraw(&t);
	t.c_cflag |= CLOCAL | CREAD;
	t.c_cflag &= ~CRTSCTS;
	cfsetspeed(&t, B921600);
	ASSERT_EQ(0, tcsetattr(fd, TCSANOW, &t));
	ASSERT_EQ(0, ioctl(fd, TIOCSETD, &ld));

	ASSERT_TRUE(hsm_wait_until(hsm_test_find_board("ttyUSB1", &d) == 0 &&
				   d.state == HSM_BOARD_READY, HSM_WAIT_MS));
	devpath(&d, path, sizeof(path));
	ASSERT_EQ(0, hsm_open(path, &s));
	ASSERT_EQ(0, hsm_random(s, buf, sizeof(buf), NULL));

	/* Netlink detach is refused: the process owns this tty. */
	ASSERT_EQ(-EOPNOTSUPP, hsm_detach(d.index, NULL, 0));

	/* Its owner detaches by setting another discipline. */
	ASSERT_EQ(0, ioctl(fd, TIOCSETD, &ntty));
	ASSERT_FALSE(hsm_path_exists(path));
	ASSERT_EQ(-ENODEV, hsm_random(s, buf, sizeof(buf), NULL));
	hsm_close(s);
	close(fd);
	ASSERT_EQ(-ENOENT, hsm_test_find_board("ttyUSB1", &d));
}

/* Pulling the USB cable: the node goes, open files get ENODEV, replug works. */
TEST(unplug_with_open_file)
{
	struct hsm_board_desc d;
	struct hsm_board_info info;
	struct hsm_session *s;
	unsigned char buf[16];
	char path[64];

	ATTACH(0, &d);
	devpath(&d, path, sizeof(path));
	ASSERT_EQ(0, hsm_open(path, &s));
	ASSERT_EQ(0, hsm_random(s, buf, sizeof(buf), NULL));

	ASSERT_EQ(0, hsm_test_run("tests/vm/vmctl unplug 0", NULL, 0));
	ASSERT_TRUE(hsm_wait_until(!hsm_path_exists(path), HSM_WAIT_MS));
	ASSERT_TRUE(hsm_wait_until(!hsm_path_exists("/dev/ttyUSB0"), HSM_WAIT_MS));
	ASSERT_EQ(-ENODEV, hsm_random(s, buf, sizeof(buf), NULL));
	ASSERT_EQ(-ENODEV, hsm_board_info(s, &info));
	ASSERT_EQ(-ENOENT, hsm_test_find_board("ttyUSB0", &d));
	hsm_close(s);

	ASSERT_EQ(0, hsm_test_run("tests/vm/vmctl plug 0", NULL, 0));
	ASSERT_TRUE(hsm_wait_until(hsm_path_exists("/dev/ttyUSB0"), HSM_WAIT_MS));
	ATTACH(0, &d);
	ASSERT_EQ(0, hsm_open(d.dev_name, &s));
	ASSERT_EQ(0, hsm_random(s, buf, sizeof(buf), NULL));
	hsm_close(s);
	DETACH(&d);
}

/* The ioctl ABI's validation (uapi/linux/cryptech_hsm.h). */
TEST(ioctl_abi)
{
	struct {
		struct cryptech_hsm_random r;
		unsigned char extra[8];
	} big;
	struct cryptech_hsm_random r;
	struct hsm_board_desc d;
	unsigned char buf[32];
	char path[64];
	int fd;

	ATTACH(0, &d);
	devpath(&d, path, sizeof(path));
	fd = open(path, O_RDWR);
	ASSERT_GE(fd, 0);

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.len = sizeof(buf);
	r.buf = (uintptr_t)buf;
	ASSERT_EQ(0, ioctl(fd, CRYPTECH_HSM_IOC_RANDOM, &r));
	ASSERT_EQ(sizeof(buf), r.len);
	ASSERT_EQ(0, r.board_status);

	/* Too small a size. */
	r.size = 8;
	ASSERT_EQ(-1, ioctl(fd, CRYPTECH_HSM_IOC_RANDOM, &r));
	ASSERT_EQ(EINVAL, errno);
	/* A newer, larger struct: fine while the unknown tail is zero... */
	memset(&big, 0, sizeof(big));
	big.r.size = sizeof(big);
	big.r.len = 8;
	big.r.buf = (uintptr_t)buf;
	ASSERT_EQ(0, ioctl(fd, CRYPTECH_HSM_IOC_RANDOM, &big));
	/* ...and E2BIG when it is not. */
	big.extra[5] = 1;
	ASSERT_EQ(-1, ioctl(fd, CRYPTECH_HSM_IOC_RANDOM, &big));
	ASSERT_EQ(E2BIG, errno);
	/* Reserved field, bad lengths, bad pointers. */
	r.size = sizeof(r);
	r.len = 8;
	r.reserved = 1;
	ASSERT_EQ(-1, ioctl(fd, CRYPTECH_HSM_IOC_RANDOM, &r));
	ASSERT_EQ(EINVAL, errno);
	r.reserved = 0;
	r.len = 0;
	ASSERT_EQ(-1, ioctl(fd, CRYPTECH_HSM_IOC_RANDOM, &r));
	ASSERT_EQ(EINVAL, errno);
	r.len = CRYPTECH_HSM_RANDOM_MAX + 1;
	ASSERT_EQ(-1, ioctl(fd, CRYPTECH_HSM_IOC_RANDOM, &r));
	ASSERT_EQ(EINVAL, errno);
	r.len = 8;
	r.buf = 8;	/* not mapped */
	ASSERT_EQ(-1, ioctl(fd, CRYPTECH_HSM_IOC_RANDOM, &r));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, ioctl(fd, CRYPTECH_HSM_IOC_RANDOM, (void *)8));
	ASSERT_EQ(EFAULT, errno);
	/* Unknown command number, unknown type. */
	ASSERT_EQ(-1, ioctl(fd, _IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x7f, r), &r));
	ASSERT_EQ(ENOTTY, errno);
	ASSERT_EQ(-1, ioctl(fd, TCGETS, &r));
	ASSERT_EQ(ENOTTY, errno);

	close(fd);
	DETACH(&d);
}

/* The CLI over the same path: what `make demo` shows. */
TEST(hsmctl_cli)
{
	char out[4096];
	size_t hexlen;

	ASSERT_EQ(0, hsm_test_run("hsmctl/hsmctl attach /dev/ttyUSB0", out, sizeof(out)));
	ASSERT_NE(NULL, strstr(out, "ttyUSB0"));
	ASSERT_EQ(0, hsm_test_run("hsmctl/hsmctl list", out, sizeof(out)));
	ASSERT_NE(NULL, strstr(out, "ttyUSB0"));
	ASSERT_NE(NULL, strstr(out, "1.1.1.0"));
	ASSERT_EQ(0, hsm_test_run("hsmctl/hsmctl --json list", out, sizeof(out)));
	ASSERT_EQ('[', out[0]);
	ASSERT_NE(NULL, strstr(out, "\"ttyUSB0\""));
	ASSERT_EQ(0, hsm_test_run("hsmctl/hsmctl info", out, sizeof(out)));
	ASSERT_NE(NULL, strstr(out, "1.1.1.0"));
	ASSERT_EQ(0, hsm_test_run("hsmctl/hsmctl random 32", out, sizeof(out)));
	hexlen = strspn(out, "0123456789abcdef");
	ASSERT_EQ(64, hexlen) {
		TH_LOG("random printed: %s", out);
	}
	ASSERT_EQ(0, hsm_test_run("hsmctl/hsmctl detach", out, sizeof(out)));
	ASSERT_EQ(0, hsm_test_board_count());
	/* No board: a clear failure, not a crash. */
	ASSERT_NE(0, hsm_test_run("hsmctl/hsmctl random 4 2>&1", out, sizeof(out)));
}

/* Unload refused while attached; allowed after detach; reload works. */
TEST(module_unload_and_reload)
{
	struct hsm_board_desc d;

	ATTACH(0, &d);
	ASSERT_NE(0, hsm_test_run("rmmod cryptech_hsm 2>&1", NULL, 0));
	DETACH(&d);
	ASSERT_EQ(0, hsm_test_run("rmmod cryptech_hsm 2>&1", NULL, 0));
	ASSERT_FALSE(hsm_path_exists("/sys/module/cryptech_hsm"));
	ASSERT_EQ(0, hsm_test_run("insmod ./cryptech_hsm.ko 2>&1", NULL, 0));
	ATTACH(0, &d);
	DETACH(&d);
}

HSM_TEST_HARNESS_MAIN
