// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel session (issue 10 point 2): KERNEL_LOGIN and KERNEL_LOGOUT
 * need CAP_SYS_ADMIN; a wrong PIN logs nothing in; the state shows in
 * BOARD_INFO, netlink and hsmctl info/list; the login survives the process
 * that made it and ends at KERNEL_LOGOUT and at detach (a re-attached board
 * starts logged out); it takes one of the board's 10 login slots, as the
 * emulator's stats show; hsmctl kernel-login reads the PIN from a file and
 * from the environment. In-kernel private-key use through the driver's
 * helper (hsm_ksession_get(), reached through the test-hook debugfs file
 * kernel_session) is refused with EACCES and a log line naming "hsmctl
 * kernel-login" while not logged in; public-key use is not. Kernel warnings
 * fail the run (tests/vm/run checks the log). Group "kernel-session", board
 * 0 is the emulator with a short --bad-pin-delay.
 */
#include <sys/prctl.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "hsm_ioctl.h"

#define HSM_TEST_BAD_PIN_MS	300
#define CLEANUP_MS		20000	/* async session clean-up deadline */
#define HSMCTL			"hsmctl/hsmctl"
#define PROBE			"/sys/kernel/debug/cryptech_hsm/kernel_session"
#define DIR			"/run/hsm-ksess"

FIXTURE(ks) {
	struct hsm_board_desc d;
	int fd;
};

static int kernel_login(int fd, uint32_t user, const char *pin, uint32_t *bs)
{
	return hsm_t_pin_op(fd, CRYPTECH_HSM_IOC_KERNEL_LOGIN, user, pin, bs);
}

static int kernel_logout(int fd, uint32_t *bs)
{
	struct cryptech_hsm_status a;
	int err;

	HSM_INIT(a);
	a.board_status = 99;
	err = hsm_ioc(fd, CRYPTECH_HSM_IOC_KERNEL_LOGOUT, &a);
	hsm_bs(bs, a.board_status);
	return err;
}

/* The kernel session's user as BOARD_INFO reports it, or a negative errno. */
static int info_user(int fd)
{
	struct cryptech_hsm_board_info bi;
	int err;

	HSM_INIT(bi);
	err = hsm_ioc(fd, CRYPTECH_HSM_IOC_BOARD_INFO, &bi);
	return err ? err : (int)bi.kernel_user;
}

/* ... as netlink (GET_BOARD, through libhsm) reports it. */
static int nl_user(uint32_t index)
{
	struct hsm_board_desc d;
	int err;

	err = hsm_get_board(index, &d, NULL, 0);
	return err ? err : (int)d.kernel_user;
}

/*
 * What an in-kernel user gets from the driver's helper for board @index:
 * 0, or the negative errno (the test-hook debugfs file).
 */
static int probe(uint32_t index, const char *kind)
{
	char line[32];
	int fd, n, err = 0;

	fd = open(PROBE, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1000 - errno;	/* not a test-hook module */
	n = snprintf(line, sizeof(line), "%u %s", index, kind);
	if (write(fd, line, n) != n)
		err = -errno;
	close(fd);
	return err;
}

/* Lines of the kernel log naming "hsmctl kernel-login". */
static int log_lines(void)
{
	char out[64];

	if (hsm_test_run("dmesg | grep -c 'kernel session is not logged in (run .hsmctl kernel-login.)'",
			 out, sizeof(out)) > 1)
		return -1;
	return atoi(out);
}

/* Run a shell command line; its exit status, its output in @out. */
static int sh(char *out, size_t len, const char *cmd)
{
	return hsm_test_run(cmd, out, len);
}

FIXTURE_SETUP(ks)
{
	self->fd = -1;
	hsm_t_detach_all();	/* a test killed by its timeout skips teardown */
	ASSERT_EQ(0, hsm_t_attach(0, &self->d));
	self->fd = hsm_t_open_dev(&self->d);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, hsm_t_bringup(self->fd, 0));
	ASSERT_EQ(0, kernel_logout(self->fd, NULL));
}

FIXTURE_TEARDOWN(ks)
{
	if (self->fd >= 0) {
		kernel_logout(self->fd, NULL);
		close(self->fd);
	}
	hsm_t_detach_all();
}

/* A fresh attach: not logged in; private-key use refused, public allowed. */
TEST_F_TIMEOUT(ks, starts_logged_out_private_refused_public_allowed, 120)
{
	int before;

	ASSERT_EQ(CRYPTECH_HSM_USER_NONE, info_user(self->fd));
	ASSERT_EQ(CRYPTECH_HSM_USER_NONE, nl_user(self->d.index));
	before = log_lines();
	ASSERT_GE(before, 0);
	ASSERT_EQ(-EACCES, probe(self->d.index, "private"));
	ASSERT_EQ(0, probe(self->d.index, "public"));
	/* The refusal says what to do, in the kernel log. */
	ASSERT_GT(log_lines(), before);
	/* The helper knows no board that is not there. */
	ASSERT_EQ(-ENODEV, probe(self->d.index + 1, "public"));
	ASSERT_EQ(-EINVAL, probe(self->d.index, "secret"));
}

TEST_F_TIMEOUT(ks, login_state_in_board_info_netlink_and_helper, 120)
{
	struct hsm_emu_stats st0, st1;
	unsigned int client;
	uint32_t bs = 99;

	ASSERT_TRUE(hsm_wait_until(hsm_test_emu_stats(0, &st0) == 0 &&
				   hsm_emu_logged_in(&st0) == 0, CLEANUP_MS));
	ASSERT_EQ(0, kernel_login(self->fd, CRYPTECH_HSM_USER_NORMAL,
				  HSM_USER_PIN, &bs));
	ASSERT_EQ(0, bs);
	ASSERT_EQ(CRYPTECH_HSM_USER_NORMAL, info_user(self->fd));
	ASSERT_EQ(CRYPTECH_HSM_USER_NORMAL, nl_user(self->d.index));
	ASSERT_EQ(0, probe(self->d.index, "private"));
	ASSERT_EQ(0, probe(self->d.index, "public"));
	/* The file's own session is not logged in: the kernel session is. */
	ASSERT_EQ(CRYPTECH_HSM_USER_NONE, hsm_t_login_status(self->fd));
	ASSERT_EQ(0, hsm_test_emu_stats(0, &st1));
	client = hsm_emu_new_login(&st0, &st1, CRYPTECH_HSM_USER_NORMAL);
	ASSERT_NE(0, client);
	ASSERT_EQ(1, hsm_emu_logged_in(&st1));

	/* Logging in again replaces the login. */
	ASSERT_EQ(0, kernel_login(self->fd, CRYPTECH_HSM_USER_WHEEL,
				  HSM_WHEEL_PIN, &bs));
	ASSERT_EQ(CRYPTECH_HSM_USER_WHEEL, info_user(self->fd));
	ASSERT_EQ(CRYPTECH_HSM_USER_WHEEL, nl_user(self->d.index));
	ASSERT_EQ(0, hsm_test_emu_stats(0, &st1));
	ASSERT_NE(NULL, hsm_emu_client(&st1, client));
	ASSERT_EQ(CRYPTECH_HSM_USER_WHEEL, hsm_emu_client(&st1, client)->user);
	ASSERT_EQ(1, hsm_emu_logged_in(&st1));

	/* KERNEL_LOGOUT ends it, on the board too. */
	bs = 99;
	ASSERT_EQ(0, kernel_logout(self->fd, &bs));
	ASSERT_EQ(0, bs);
	ASSERT_EQ(CRYPTECH_HSM_USER_NONE, info_user(self->fd));
	ASSERT_EQ(CRYPTECH_HSM_USER_NONE, nl_user(self->d.index));
	ASSERT_EQ(-EACCES, probe(self->d.index, "private"));
	ASSERT_EQ(0, hsm_test_emu_stats(0, &st1));
	ASSERT_EQ(0, hsm_emu_logged_in(&st1));
	/* Logging out again is harmless. */
	ASSERT_EQ(0, kernel_logout(self->fd, &bs));
}

TEST_F_TIMEOUT(ks, wrong_pin_logs_nothing_in, 120)
{
	struct hsm_emu_stats st0, st1;
	uint32_t bs = 0;

	ASSERT_EQ(0, hsm_test_emu_stats(0, &st0));
	ASSERT_EQ(-EACCES, kernel_login(self->fd, CRYPTECH_HSM_USER_NORMAL,
					"wrong-pin", &bs));
	ASSERT_EQ(HAL_PIN_INCORRECT, bs);
	ASSERT_EQ(CRYPTECH_HSM_USER_NONE, info_user(self->fd));
	ASSERT_EQ(CRYPTECH_HSM_USER_NONE, nl_user(self->d.index));
	ASSERT_EQ(-EACCES, probe(self->d.index, "private"));
	ASSERT_EQ(0, hsm_test_emu_stats(0, &st1));
	ASSERT_EQ(st0.login + 1, st1.login);	/* it did reach the board */
	ASSERT_EQ(hsm_emu_logged_in(&st0), hsm_emu_logged_in(&st1));

	/* A wrong PIN leaves an existing login as it was. */
	ASSERT_EQ(0, kernel_login(self->fd, CRYPTECH_HSM_USER_NORMAL,
				  HSM_USER_PIN, NULL));
	ASSERT_EQ(-EACCES, kernel_login(self->fd, CRYPTECH_HSM_USER_WHEEL,
					"wrong-pin", &bs));
	ASSERT_EQ(CRYPTECH_HSM_USER_NORMAL, info_user(self->fd));
	ASSERT_EQ(0, probe(self->d.index, "private"));
}

/* Bad arguments never reach the board; BOARD_INFO's input stays checked. */
TEST_F_TIMEOUT(ks, validation, 120)
{
	struct hsm_emu_stats st0, st1;
	struct cryptech_hsm_board_info bi;
	struct cryptech_hsm_pin a;
	struct cryptech_hsm_status s;

	ASSERT_EQ(0, hsm_test_emu_stats(0, &st0));
	HSM_INIT(a);
	a.user = CRYPTECH_HSM_USER_NONE;
	a.pin_len = strlen(HSM_USER_PIN);
	a.pin = HSM_PTR(HSM_USER_PIN);
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_KERNEL_LOGIN, &a));
	a.user = CRYPTECH_HSM_USER_NORMAL;
	a.pin_len = CRYPTECH_HSM_PIN_MIN - 1;
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_KERNEL_LOGIN, &a));
	a.pin_len = 8;
	a.pin = 0;
	EXPECT_EQ(-EFAULT, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_KERNEL_LOGIN, &a));
	a.size = CRYPTECH_HSM_PIN_SIZE_VER0 - 1;
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_KERNEL_LOGIN, &a));
	HSM_INIT(s);
	s.size = 4;
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_KERNEL_LOGOUT, &s));
	HSM_INIT(bi);
	bi.kernel_user = 1;	/* was "reserved": still must be zero */
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_BOARD_INFO, &bi));
	ASSERT_EQ(0, hsm_test_emu_stats(0, &st1));
	EXPECT_EQ(st0.login, st1.login);
	EXPECT_EQ(st0.logout, st1.logout);
	EXPECT_EQ(CRYPTECH_HSM_USER_NONE, info_user(self->fd));
}

/* Without CAP_SYS_ADMIN: EPERM, for the ioctls and for hsmctl (status 4). */
TEST_F_TIMEOUT(ks, needs_cap_sys_admin, 120)
{
	struct hsm_emu_stats st0, st1;
	int status;
	pid_t pid;

	ASSERT_EQ(0, kernel_login(self->fd, CRYPTECH_HSM_USER_NORMAL,
				  HSM_USER_PIN, NULL));
	ASSERT_EQ(0, hsm_test_emu_stats(0, &st0));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		char out[1024];
		int fd, st;

		/* Also for what it executes: out of the bounding set too. */
		if (prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0) ||
		    hsm_test_drop_sys_admin())
			_exit(10);
		fd = hsm_t_open_dev(&self->d);	/* the node allows it */
		if (fd < 0)
			_exit(11);
		if (kernel_logout(fd, NULL) != -EPERM)
			_exit(12);
		if (kernel_login(fd, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN,
				 NULL) != -EPERM)
			_exit(13);
		/* BOARD_INFO needs no privilege. */
		if (info_user(fd) != CRYPTECH_HSM_USER_NORMAL)
			_exit(14);
		st = sh(out, sizeof(out), "HSMCTL_PIN=" HSM_USER_PIN " " HSMCTL
			" kernel-login 2>&1");
		if (st != 4 || !strstr(out, "CAP_SYS_ADMIN"))
			_exit(15);
		st = sh(out, sizeof(out), HSMCTL " kernel-logout 2>&1");
		if (st != 4)
			_exit(16);
		close(fd);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	/* Nothing reached the board, and the login is untouched. */
	ASSERT_EQ(0, hsm_test_emu_stats(0, &st1));
	ASSERT_EQ(st0.login, st1.login);
	ASSERT_EQ(CRYPTECH_HSM_USER_NORMAL, info_user(self->fd));
	ASSERT_EQ(0, probe(self->d.index, "private"));
}

/* The login outlives the process and the file that made it. */
TEST_F_TIMEOUT(ks, survives_process_exit, 120)
{
	struct hsm_emu_stats st0, st1;
	struct hsm_board_desc d;
	unsigned int client;
	int status;
	pid_t pid;

	ASSERT_TRUE(hsm_wait_until(hsm_test_emu_stats(0, &st0) == 0 &&
				   hsm_emu_logged_in(&st0) == 0, CLEANUP_MS));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int fd = hsm_t_open_dev(&self->d);

		if (fd < 0 || kernel_login(fd, CRYPTECH_HSM_USER_NORMAL,
					   HSM_USER_PIN, NULL))
			_exit(1);
		_exit(0);	/* the file is closed by the exit */
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	/* The child's file is gone: only the fixture's is open. */
	ASSERT_TRUE(hsm_wait_until(hsm_get_board(self->d.index, &d, NULL, 0) == 0 &&
				   d.stats.sessions == 1, CLEANUP_MS));
	ASSERT_EQ(0, hsm_test_emu_stats(0, &st1));
	client = hsm_emu_new_login(&st0, &st1, CRYPTECH_HSM_USER_NORMAL);
	ASSERT_NE(0, client);
	/* Past the child's clean-up, which must not have logged it out. */
	usleep(500 * 1000);
	ASSERT_EQ(0, hsm_test_emu_stats(0, &st1));
	ASSERT_NE(NULL, hsm_emu_client(&st1, client));
	ASSERT_EQ(CRYPTECH_HSM_USER_NORMAL, hsm_emu_client(&st1, client)->user);
	ASSERT_EQ(CRYPTECH_HSM_USER_NORMAL, info_user(self->fd));
	ASSERT_EQ(CRYPTECH_HSM_USER_NORMAL, nl_user(self->d.index));
	ASSERT_EQ(0, probe(self->d.index, "private"));
}

/* DETACH ends the login on the board; the next attach starts logged out. */
TEST_F_TIMEOUT(ks, detach_ends_it, 120)
{
	struct hsm_emu_stats st0, st1;
	unsigned int client;
	char msg[256];

	ASSERT_TRUE(hsm_wait_until(hsm_test_emu_stats(0, &st0) == 0 &&
				   hsm_emu_logged_in(&st0) == 0, CLEANUP_MS));
	ASSERT_EQ(0, kernel_login(self->fd, CRYPTECH_HSM_USER_NORMAL,
				  HSM_USER_PIN, NULL));
	ASSERT_EQ(0, hsm_test_emu_stats(0, &st1));
	client = hsm_emu_new_login(&st0, &st1, CRYPTECH_HSM_USER_NORMAL);
	ASSERT_NE(0, client);

	ASSERT_EQ(0, hsm_detach(self->d.index, msg, sizeof(msg)));
	/* The board saw the kernel session's LOGOUT at the detach. */
	ASSERT_TRUE(hsm_test_emu_client_gone(0, client, CLEANUP_MS));
	ASSERT_EQ(-ENODEV, info_user(self->fd));
	close(self->fd);
	self->fd = -1;

	ASSERT_EQ(0, hsm_t_attach(0, &self->d));
	self->fd = hsm_t_open_dev(&self->d);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(CRYPTECH_HSM_USER_NONE, info_user(self->fd));
	ASSERT_EQ(CRYPTECH_HSM_USER_NONE, nl_user(self->d.index));
	ASSERT_EQ(-EACCES, probe(self->d.index, "private"));
	ASSERT_EQ(0, hsm_test_emu_stats(0, &st1));
	ASSERT_EQ(0, hsm_emu_logged_in(&st1));
}

/* The kernel session takes one of the board's 10 login slots. */
TEST_F_TIMEOUT(ks, takes_one_login_slot, 120)
{
	struct hsm_emu_stats st;
	int fds[10], i, err = 0;
	uint32_t bs = 0;

	ASSERT_TRUE(hsm_wait_until(hsm_test_emu_stats(0, &st) == 0 &&
				   hsm_emu_logged_in(&st) == 0, CLEANUP_MS));
	ASSERT_EQ(0, kernel_login(self->fd, CRYPTECH_HSM_USER_NORMAL,
				  HSM_USER_PIN, NULL));
	for (i = 0; i < 10; i++) {
		fds[i] = hsm_t_open_dev(&self->d);
		ASSERT_GE(fds[i], 0);
	}
	for (i = 0; i < 9; i++)
		ASSERT_EQ(0, hsm_t_login(fds[i], CRYPTECH_HSM_USER_NORMAL,
					 HSM_USER_PIN, NULL));
	ASSERT_EQ(0, hsm_test_emu_stats(0, &st));
	ASSERT_EQ(10, hsm_emu_logged_in(&st));
	/* Nine files and the kernel session: the tenth file gets none. */
	ASSERT_EQ(-EUSERS, hsm_t_login(fds[9], CRYPTECH_HSM_USER_NORMAL,
				       HSM_USER_PIN, &bs));
	ASSERT_EQ(HAL_NO_CLIENT_SLOTS, bs);
	/* Its slot is its own: logging in again as another user works. */
	ASSERT_EQ(0, kernel_login(self->fd, CRYPTECH_HSM_USER_WHEEL,
				  HSM_WHEEL_PIN, NULL));
	/* Its logout frees the slot. */
	ASSERT_EQ(0, kernel_logout(self->fd, NULL));
	ASSERT_TRUE(hsm_wait_until((err = hsm_t_login(fds[9], CRYPTECH_HSM_USER_NORMAL,
						       HSM_USER_PIN, NULL)) == 0,
				   CLEANUP_MS)) {
		TH_LOG("10th file's login still fails: %s", strerror(-err));
	}
	/* And now the kernel session is the eleventh: EUSERS. */
	ASSERT_EQ(-EUSERS, kernel_login(self->fd, CRYPTECH_HSM_USER_NORMAL,
					HSM_USER_PIN, &bs));
	ASSERT_EQ(HAL_NO_CLIENT_SLOTS, bs);
	ASSERT_EQ(CRYPTECH_HSM_USER_NONE, info_user(self->fd));
	for (i = 0; i < 10; i++)
		close(fds[i]);
}

/* hsmctl kernel-login: PIN from a file and from $HSMCTL_PIN; info, list. */
TEST_F_TIMEOUT(ks, hsmctl_kernel_login_file_env, 180)
{
	char out[8192];

	ASSERT_EQ(0, sh(NULL, 0, "mkdir -p " DIR " && printf '%s\\n' '"
			HSM_USER_PIN "' > " DIR "/user && printf '%s\\n' "
			"wrong-pin > " DIR "/wrong"));
	ASSERT_EQ(0, sh(out, sizeof(out), HSMCTL " info 2>&1"));
	ASSERT_NE(NULL, strstr(out, "kernel login:  none (in-kernel private-key use needs 'hsmctl kernel-login')\n")) {
		TH_LOG("%s", out);
	}

	/* From a file. */
	ASSERT_EQ(0, sh(out, sizeof(out), HSMCTL " kernel-login --pin-file "
			DIR "/user 2>&1")) {
		TH_LOG("%s", out);
	}
	ASSERT_NE(NULL, strstr(out, "kernel session logged in as user"));
	ASSERT_EQ(CRYPTECH_HSM_USER_NORMAL, info_user(self->fd));
	ASSERT_EQ(0, probe(self->d.index, "private"));
	ASSERT_EQ(0, sh(out, sizeof(out), HSMCTL " info 2>&1"));
	ASSERT_NE(NULL, strstr(out, "kernel login:  user\n")) {
		TH_LOG("%s", out);
	}
	ASSERT_EQ(0, sh(out, sizeof(out), HSMCTL " list 2>&1"));
	ASSERT_NE(NULL, strstr(out, "KLOGIN")) {
		TH_LOG("%s", out);
	}
	ASSERT_NE(NULL, strstr(out, "  user  ")) {
		TH_LOG("%s", out);
	}
	ASSERT_EQ(0, sh(out, sizeof(out), HSMCTL " --json list 2>&1"));
	ASSERT_NE(NULL, strstr(out, "\"kernel_session\":{\"logged_in\":true,\"user\":\"user\"}")) {
		TH_LOG("%s", out);
	}
	ASSERT_EQ(0, sh(out, sizeof(out), HSMCTL " --json info 2>&1"));
	ASSERT_NE(NULL, strstr(out, "\"logged_in\":true")) {
		TH_LOG("%s", out);
	}

	/* kernel-logout; the state follows. */
	ASSERT_EQ(0, sh(out, sizeof(out), HSMCTL " kernel-logout 2>&1"));
	ASSERT_NE(NULL, strstr(out, "kernel session logged out"));
	ASSERT_EQ(CRYPTECH_HSM_USER_NONE, info_user(self->fd));
	ASSERT_EQ(-EACCES, probe(self->d.index, "private"));
	ASSERT_EQ(0, sh(out, sizeof(out), HSMCTL " --json info 2>&1"));
	ASSERT_NE(NULL, strstr(out, "\"kernel_session\":{\"logged_in\":false,\"user\":\"none\"}")) {
		TH_LOG("%s", out);
	}

	/* From the environment, as wheel, with --json. */
	ASSERT_EQ(0, sh(out, sizeof(out), "HSMCTL_PIN=" HSM_WHEEL_PIN " "
			HSMCTL " --json kernel-login --user wheel 2>&1")) {
		TH_LOG("%s", out);
	}
	ASSERT_NE(NULL, strstr(out, "\"user\":\"wheel\"")) {
		TH_LOG("%s", out);
	}
	ASSERT_EQ(CRYPTECH_HSM_USER_WHEEL, info_user(self->fd));
	ASSERT_EQ(CRYPTECH_HSM_USER_WHEEL, nl_user(self->d.index));

	/* A wrong PIN: exit 5, PIN_INCORRECT, the login as it was. */
	ASSERT_EQ(5, sh(out, sizeof(out), HSMCTL " kernel-login --pin-file "
			DIR "/wrong 2>&1")) {
		TH_LOG("%s", out);
	}
	ASSERT_NE(NULL, strstr(out, "PIN_INCORRECT")) {
		TH_LOG("%s", out);
	}
	ASSERT_EQ(CRYPTECH_HSM_USER_WHEEL, info_user(self->fd));
	/* so cannot use keys: refused before anything is asked. */
	ASSERT_EQ(4, sh(out, sizeof(out), "HSMCTL_PIN=" HSM_SO_PIN " " HSMCTL
			" kernel-login --user so 2>&1"));
	ASSERT_EQ(0, sh(NULL, 0, HSMCTL " kernel-logout"));
	ASSERT_EQ(CRYPTECH_HSM_USER_NONE, info_user(self->fd));
	sh(NULL, 0, "rm -rf " DIR);
}

/* A KERNEL_SESSION event for each change of the login state. */
TEST_F_TIMEOUT(ks, events, 120)
{
	struct hsm_events *ev;
	struct hsm_event e;
	int got = 0, ret;
	long t0;

	ASSERT_EQ(0, hsm_events_open(&ev, NULL, 0));
	ASSERT_EQ(0, kernel_login(self->fd, CRYPTECH_HSM_USER_NORMAL,
				  HSM_USER_PIN, NULL));
	ASSERT_EQ(0, kernel_logout(self->fd, NULL));
	t0 = hsm_test_now_ms();
	while (got < 2 && hsm_test_now_ms() - t0 < HSM_WAIT_MS) {
		ret = hsm_events_read(ev, &e);
		if (ret < 0 && ret != -EAGAIN)
			break;
		if (ret <= 0) {
			usleep(10000);
			continue;
		}
		if (e.type == HSM_EVENT_KERNEL_SESSION &&
		    e.index == self->d.index)
			got++;
	}
	hsm_events_close(ev);
	ASSERT_EQ(2, got);
	ASSERT_STREQ("kernel-session", hsm_event_name(HSM_EVENT_KERNEL_SESSION));
}

HSM_TEST_HARNESS_MAIN
