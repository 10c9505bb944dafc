// SPDX-License-Identifier: GPL-2.0
/*
 * Sessions (issue 4 points 1-3): LOGIN, LOGOUT, SET_PIN, LOGIN_STATUS and
 * their validation; each open file is its own board session; dup() and
 * fork() share it; closing the file (also by process death) closes the
 * session's keys and logs it out exactly once, as the emulator's stats show;
 * a wrong PIN or a slow RSA key generation in one session does not delay
 * the others. Group "session" of tests/kernel/run-group, board 0 is the
 * emulator started with a short --bad-pin-delay (HSM_TEST_BAD_PIN_MS).
 */
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "hsm_ioctl.h"

#define HSM_TEST_BAD_PIN_MS	300
#define CLEANUP_MS		20000	/* async session clean-up deadline */

FIXTURE(sess) {
	struct hsm_board_desc d;
	int fd;
};

FIXTURE_SETUP(sess)
{
	self->fd = -1;
	hsm_t_detach_all();	/* a test killed by its timeout skips teardown */
	ASSERT_EQ(0, hsm_t_attach(0, &self->d));
	self->fd = hsm_t_open_dev(&self->d);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, hsm_t_bringup(self->fd, 0));
}

FIXTURE_TEARDOWN(sess)
{
	if (self->fd >= 0)
		close(self->fd);
	/* Knobs a test may have changed back to this group's defaults. */
	hsm_test_board_set(0, "service_ms", 0);
	hsm_test_board_set(0, "bad_pin_ms", HSM_TEST_BAD_PIN_MS);
	hsm_t_detach_all();
}

static int open_session(struct __test_metadata *_metadata,
			FIXTURE_DATA(sess) *self)
{
	int fd = hsm_t_open_dev(&self->d);

	EXPECT_GE(fd, 0);
	return fd;
}

TEST_F_TIMEOUT(sess, login_status_and_logout, 120)
{
	uint32_t bs = 99;

	ASSERT_EQ(CRYPTECH_HSM_USER_NONE, hsm_t_login_status(self->fd));
	ASSERT_EQ(0, hsm_t_login(self->fd, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, &bs));
	ASSERT_EQ(0, bs);
	ASSERT_EQ(CRYPTECH_HSM_USER_NORMAL, hsm_t_login_status(self->fd));
	/* A new login replaces the old one (protocol §7.1). */
	ASSERT_EQ(0, hsm_t_login(self->fd, CRYPTECH_HSM_USER_SO, HSM_SO_PIN, &bs));
	ASSERT_EQ(CRYPTECH_HSM_USER_SO, hsm_t_login_status(self->fd));
	ASSERT_EQ(0, hsm_t_login(self->fd, CRYPTECH_HSM_USER_WHEEL, HSM_WHEEL_PIN, &bs));
	ASSERT_EQ(CRYPTECH_HSM_USER_WHEEL, hsm_t_login_status(self->fd));
	bs = 99;
	ASSERT_EQ(0, hsm_t_logout(self->fd, &bs));
	ASSERT_EQ(0, bs);
	ASSERT_EQ(CRYPTECH_HSM_USER_NONE, hsm_t_login_status(self->fd));
	/* Logging out when not logged in is harmless. */
	ASSERT_EQ(0, hsm_t_logout(self->fd, &bs));
	ASSERT_EQ(CRYPTECH_HSM_USER_NONE, hsm_t_login_status(self->fd));
}

TEST_F_TIMEOUT(sess, wrong_pin_keeps_login_and_reports_board_status, 120)
{
	uint32_t bs = 0;
	long t0;

	ASSERT_EQ(0, hsm_t_login(self->fd, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, &bs));
	t0 = hsm_test_now_ms();
	ASSERT_EQ(-EACCES, hsm_t_login(self->fd, CRYPTECH_HSM_USER_NORMAL, "wrong-pin", &bs));
	ASSERT_EQ(HAL_PIN_INCORRECT, bs);
	/* The board's delay was waited for, not cut short. */
	ASSERT_GE(hsm_test_now_ms() - t0, HSM_TEST_BAD_PIN_MS - 50);
	ASSERT_EQ(CRYPTECH_HSM_USER_NORMAL, hsm_t_login_status(self->fd));
	ASSERT_EQ(-EACCES, hsm_t_login(self->fd, CRYPTECH_HSM_USER_SO, "wrong-pin", &bs));
	ASSERT_EQ(HAL_PIN_INCORRECT, bs);
	ASSERT_EQ(CRYPTECH_HSM_USER_NORMAL, hsm_t_login_status(self->fd));
}

/* Every LOGIN/SET_PIN validation error, all caught before the board. */
TEST_F_TIMEOUT(sess, pin_validation, 120)
{
	static const unsigned long cmds[] = {
		CRYPTECH_HSM_IOC_LOGIN, CRYPTECH_HSM_IOC_SET_PIN,
	};
	struct hsm_emu_stats st0, st1;
	struct {
		struct cryptech_hsm_pin p;
		uint8_t tail[8];
	} big;
	struct cryptech_hsm_pin a;
	char *longpin;
	size_t i;

	longpin = malloc(CRYPTECH_HSM_PIN_MAX + 1);
	ASSERT_NE(NULL, longpin);
	memset(longpin, 'x', CRYPTECH_HSM_PIN_MAX + 1);
	ASSERT_EQ(0, hsm_test_emu_stats(0, &st0));

	for (i = 0; i < 2; i++) {
		unsigned long cmd = cmds[i];

#define PIN_ARGS(u, l, p) do { HSM_INIT(a); a.user = (u); a.pin_len = (l); \
		a.pin = HSM_PTR(p); } while (0)
		PIN_ARGS(CRYPTECH_HSM_USER_NONE, 8, HSM_USER_PIN);
		EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, cmd, &a));
		PIN_ARGS(CRYPTECH_HSM_USER_WHEEL + 1, 8, HSM_USER_PIN);
		EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, cmd, &a));
		PIN_ARGS(CRYPTECH_HSM_USER_NORMAL, CRYPTECH_HSM_PIN_MIN - 1, HSM_USER_PIN);
		EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, cmd, &a));
		PIN_ARGS(CRYPTECH_HSM_USER_NORMAL, 0, HSM_USER_PIN);
		EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, cmd, &a));
		PIN_ARGS(CRYPTECH_HSM_USER_NORMAL, CRYPTECH_HSM_PIN_MAX + 1, longpin);
		EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, cmd, &a));
		/* Bad pointers. */
		PIN_ARGS(CRYPTECH_HSM_USER_NORMAL, 8, NULL);
		EXPECT_EQ(-EFAULT, hsm_ioc(self->fd, cmd, &a));
		PIN_ARGS(CRYPTECH_HSM_USER_NORMAL, 8, 4096);
		EXPECT_EQ(-EFAULT, hsm_ioc(self->fd, cmd, &a));
		EXPECT_EQ(-EFAULT, hsm_ioc(self->fd, cmd, (void *)16));
		/* Sizes. */
		PIN_ARGS(CRYPTECH_HSM_USER_NORMAL, strlen(HSM_USER_PIN), HSM_USER_PIN);
		a.size = CRYPTECH_HSM_PIN_SIZE_VER0 - 1;
		EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, cmd, &a));
		a.size = 0;
		EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, cmd, &a));
		memset(&big, 0, sizeof(big));
		big.p = a;
		big.p.size = sizeof(big);
		big.tail[7] = 1;
		EXPECT_EQ(-E2BIG, hsm_ioc(self->fd, cmd, &big));
#undef PIN_ARGS
	}
	/* None of this reached the board. */
	ASSERT_EQ(0, hsm_test_emu_stats(0, &st1));
	EXPECT_EQ(st0.login, st1.login);
	EXPECT_EQ(hsm_emu_requests_but_random(&st0), hsm_emu_requests_but_random(&st1));

	/* A larger struct with a zero tail is fine. */
	memset(&big, 0, sizeof(big));
	big.p.size = sizeof(big);
	big.p.user = CRYPTECH_HSM_USER_NORMAL;
	big.p.pin_len = strlen(HSM_USER_PIN);
	big.p.pin = HSM_PTR(HSM_USER_PIN);
	ASSERT_EQ(0, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_LOGIN, &big));
	ASSERT_EQ(0, big.p.board_status);
	ASSERT_EQ(CRYPTECH_HSM_USER_NORMAL, hsm_t_login_status(self->fd));
	free(longpin);
}

TEST_F_TIMEOUT(sess, login_status_and_logout_validation, 120)
{
	struct cryptech_hsm_login_status ls;
	struct cryptech_hsm_status st;
	struct {
		struct cryptech_hsm_status s;
		uint8_t tail[8];
	} bigs;
	static uint8_t page[4096];
	struct cryptech_hsm_login_status *pls = (void *)page;

	HSM_INIT(ls);
	ls.reserved = 1;
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_LOGIN_STATUS, &ls));
	HSM_INIT(ls);
	ls.size = CRYPTECH_HSM_LOGIN_STATUS_SIZE_VER0 - 4;
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_LOGIN_STATUS, &ls));
	EXPECT_EQ(-EFAULT, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_LOGIN_STATUS, NULL));

	HSM_INIT(st);
	st.size = 4;
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_LOGOUT, &st));
	memset(&bigs, 0, sizeof(bigs));
	bigs.s.size = sizeof(bigs);
	bigs.tail[0] = 0x80;
	EXPECT_EQ(-E2BIG, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_LOGOUT, &bigs));
	bigs.tail[0] = 0;
	EXPECT_EQ(0, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_LOGOUT, &bigs));
	EXPECT_EQ(-EFAULT, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_LOGOUT, (void *)8));

	/* A page-sized struct from a future ABI: the zero tail is accepted and
	 * left alone. */
	ASSERT_EQ(0, hsm_t_login(self->fd, CRYPTECH_HSM_USER_SO, HSM_SO_PIN, NULL));
	memset(page, 0, sizeof(page));
	pls->size = sizeof(page);
	ASSERT_EQ(0, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_LOGIN_STATUS, pls));
	ASSERT_EQ(CRYPTECH_HSM_USER_SO, pls->user);
	ASSERT_TRUE(hsm_all_zero(page + sizeof(*pls), sizeof(page) - sizeof(*pls)));
}

TEST_F_TIMEOUT(sess, set_pin_permissions, 120)
{
	uint32_t bs;
	int fd2;

	/* Not logged in, NORMAL: nobody's PIN. */
	ASSERT_EQ(-EPERM, hsm_t_set_pin(self->fd, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, &bs));
	ASSERT_EQ(HAL_FORBIDDEN, bs);
	ASSERT_EQ(0, hsm_t_login(self->fd, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, NULL));
	ASSERT_EQ(-EPERM, hsm_t_set_pin(self->fd, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, &bs));
	ASSERT_EQ(HAL_FORBIDDEN, bs);
	/* SO: the NORMAL user's PIN only. */
	ASSERT_EQ(0, hsm_t_login(self->fd, CRYPTECH_HSM_USER_SO, HSM_SO_PIN, NULL));
	ASSERT_EQ(0, hsm_t_set_pin(self->fd, CRYPTECH_HSM_USER_NORMAL, "changed-by-so", &bs));
	ASSERT_EQ(0, bs);
	ASSERT_EQ(-EPERM, hsm_t_set_pin(self->fd, CRYPTECH_HSM_USER_SO, HSM_SO_PIN, &bs));
	ASSERT_EQ(HAL_FORBIDDEN, bs);
	ASSERT_EQ(-EPERM, hsm_t_set_pin(self->fd, CRYPTECH_HSM_USER_WHEEL, HSM_WHEEL_PIN, &bs));
	ASSERT_EQ(HAL_FORBIDDEN, bs);

	/* The new PIN works in another session, the old one does not. */
	fd2 = open_session(_metadata, self);
	ASSERT_EQ(-EACCES, hsm_t_login(fd2, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, &bs));
	ASSERT_EQ(HAL_PIN_INCORRECT, bs);
	ASSERT_EQ(0, hsm_t_login(fd2, CRYPTECH_HSM_USER_NORMAL, "changed-by-so", &bs));

	/* WHEEL: any PIN; put the NORMAL PIN back. */
	ASSERT_EQ(0, hsm_t_login(self->fd, CRYPTECH_HSM_USER_WHEEL, HSM_WHEEL_PIN, NULL));
	ASSERT_EQ(0, hsm_t_set_pin(self->fd, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, &bs));
	ASSERT_EQ(0, hsm_t_set_pin(self->fd, CRYPTECH_HSM_USER_SO, HSM_SO_PIN, &bs));
	ASSERT_EQ(0, hsm_t_set_pin(self->fd, CRYPTECH_HSM_USER_WHEEL, HSM_WHEEL_PIN, &bs));
	ASSERT_EQ(0, hsm_t_login(fd2, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, &bs));
	close(fd2);
}

/* The PIN length limits are inclusive: 4 and 4096 bytes work. */
TEST_F_TIMEOUT(sess, pin_length_limits, 120)
{
	char *pin = malloc(CRYPTECH_HSM_PIN_MAX + 1);
	uint32_t bs;
	int fd2;

	ASSERT_NE(NULL, pin);
	fd2 = open_session(_metadata, self);
	ASSERT_EQ(0, hsm_t_login(self->fd, CRYPTECH_HSM_USER_WHEEL, HSM_WHEEL_PIN, NULL));
	memset(pin, 'p', CRYPTECH_HSM_PIN_MAX);
	pin[CRYPTECH_HSM_PIN_MAX] = 0;
	ASSERT_EQ(0, hsm_t_set_pin(self->fd, CRYPTECH_HSM_USER_NORMAL, pin, &bs));
	ASSERT_EQ(0, hsm_t_login(fd2, CRYPTECH_HSM_USER_NORMAL, pin, &bs));
	pin[CRYPTECH_HSM_PIN_MAX - 1] = 0;	/* one byte short: another PIN */
	ASSERT_EQ(-EACCES, hsm_t_login(fd2, CRYPTECH_HSM_USER_NORMAL, pin, &bs));
	ASSERT_EQ(0, hsm_t_set_pin(self->fd, CRYPTECH_HSM_USER_NORMAL, "abcd", &bs));
	ASSERT_EQ(0, hsm_t_login(fd2, CRYPTECH_HSM_USER_NORMAL, "abcd", &bs));
	ASSERT_EQ(0, hsm_t_set_pin(self->fd, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, &bs));
	ASSERT_EQ(0, hsm_t_login(fd2, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, &bs));
	close(fd2);
	free(pin);
}

/* Each open file is its own session: login state is never shared. */
TEST_F_TIMEOUT(sess, sessions_are_isolated, 120)
{
	struct hsm_t_key k;
	uint32_t bs;
	int fd2 = open_session(_metadata, self);

	ASSERT_EQ(0, hsm_t_login(self->fd, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, NULL));
	ASSERT_EQ(CRYPTECH_HSM_USER_NONE, hsm_t_login_status(fd2));
	/* A token key needs a login: fd2 has none, whatever fd has. */
	ASSERT_EQ(-EPERM, hsm_t_gen_ec(fd2, CRYPTECH_HSM_CURVE_P256,
				       CRYPTECH_HSM_KEY_F_SIGN | CRYPTECH_HSM_KEY_F_TOKEN, &k, &bs));
	ASSERT_EQ(HAL_FORBIDDEN, bs);
	ASSERT_EQ(0, hsm_t_gen_ec(self->fd, CRYPTECH_HSM_CURVE_P256,
				  CRYPTECH_HSM_KEY_F_SIGN | CRYPTECH_HSM_KEY_F_TOKEN, &k, &bs));
	/* Logging fd2 in and out leaves fd alone. */
	ASSERT_EQ(0, hsm_t_login(fd2, CRYPTECH_HSM_USER_SO, HSM_SO_PIN, NULL));
	ASSERT_EQ(0, hsm_t_logout(fd2, NULL));
	ASSERT_EQ(CRYPTECH_HSM_USER_NORMAL, hsm_t_login_status(self->fd));
	ASSERT_EQ(0, hsm_t_delete(self->fd, k.handle, &bs));
	close(fd2);
	ASSERT_EQ(CRYPTECH_HSM_USER_NORMAL, hsm_t_login_status(self->fd));
}

/*
 * Documented semantics (Documentation/userspace-api/cryptech_hsm.rst): a
 * file descriptor shared by dup() or fork() is the same session; a file
 * opened in the child is a new one.
 */
TEST_F_TIMEOUT(sess, dup_and_fork_share_the_session, 120)
{
	struct cryptech_hsm_key_info ki;
	struct hsm_t_key k;
	int fd2, st;
	pid_t pid;

	ASSERT_EQ(0, hsm_t_login(self->fd, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, NULL));
	ASSERT_EQ(0, hsm_t_gen_ec(self->fd, CRYPTECH_HSM_CURVE_P256,
				  CRYPTECH_HSM_KEY_F_SIGN, &k, NULL));
	fd2 = dup(self->fd);
	ASSERT_GE(fd2, 0);
	ASSERT_EQ(CRYPTECH_HSM_USER_NORMAL, hsm_t_login_status(fd2));
	ASSERT_EQ(0, hsm_t_key_info(fd2, k.handle, &ki));
	ASSERT_EQ(CRYPTECH_HSM_KEY_EC_PRIVATE, ki.type);
	close(fd2);
	/* Closing a duplicate does not end the session. */
	ASSERT_EQ(0, hsm_t_key_info(self->fd, k.handle, &ki));
	ASSERT_EQ(CRYPTECH_HSM_USER_NORMAL, hsm_t_login_status(self->fd));

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int own;

		if (hsm_t_login_status(self->fd) != CRYPTECH_HSM_USER_NORMAL)
			_exit(10);
		if (hsm_t_key_info(self->fd, k.handle, &ki))
			_exit(11);
		own = hsm_t_open_dev(&self->d);
		if (own < 0 || hsm_t_login_status(own) != CRYPTECH_HSM_USER_NONE)
			_exit(12);
		if (hsm_t_key_info(own, k.handle, &ki) != -ENOENT)
			_exit(13);
		close(own);
		/* The child logs the shared session out... */
		if (hsm_t_logout(self->fd, NULL))
			_exit(14);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_EQ(0, WEXITSTATUS(st));
	/* ...which the parent sees; the child's exit did not close the
	 * session's keys. */
	ASSERT_EQ(CRYPTECH_HSM_USER_NONE, hsm_t_login_status(self->fd));
	ASSERT_EQ(0, hsm_t_key_info(self->fd, k.handle, &ki));
}

/* Closing the file closes its keys on the board and logs out once. */
TEST_F_TIMEOUT(sess, close_releases_everything_once, 60)
{
	struct hsm_emu_stats st0, st1, st2, st3;
	struct hsm_t_key v, t;
	uint32_t h2, client;
	uint8_t rnd[16];
	int fd2;

	ASSERT_EQ(0, hsm_test_emu_stats(0, &st0));
	fd2 = open_session(_metadata, self);
	ASSERT_EQ(0, hsm_t_login(fd2, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, NULL));
	ASSERT_EQ(0, hsm_test_emu_stats(0, &st1));
	client = hsm_emu_new_login(&st0, &st1, CRYPTECH_HSM_USER_NORMAL);
	ASSERT_NE(0, client);

	ASSERT_EQ(0, hsm_t_gen_ec(fd2, CRYPTECH_HSM_CURVE_P256, CRYPTECH_HSM_KEY_F_SIGN, &v, NULL));
	ASSERT_EQ(0, hsm_t_gen_ec(fd2, CRYPTECH_HSM_CURVE_P256,
				  CRYPTECH_HSM_KEY_F_SIGN | CRYPTECH_HSM_KEY_F_TOKEN, &t, NULL));
	ASSERT_EQ(0, hsm_t_open(fd2, t.uuid, &h2, NULL));
	ASSERT_EQ(0, hsm_test_emu_stats(0, &st2));
	ASSERT_NE(NULL, hsm_emu_client(&st2, client));
	ASSERT_EQ(3, hsm_emu_client(&st2, client)->pkey_handles);
	ASSERT_EQ(1, hsm_emu_client(&st2, client)->volatile_keys);
	ASSERT_EQ(CRYPTECH_HSM_USER_NORMAL, hsm_emu_client(&st2, client)->user);

	close(fd2);
	ASSERT_TRUE(hsm_test_emu_client_gone(0, client, CLEANUP_MS));
	/* Make sure any straggling clean-up request would have been seen. */
	ASSERT_EQ(0, hsm_t_random(self->fd, rnd, sizeof(rnd), NULL));
	ASSERT_EQ(0, hsm_test_emu_stats(0, &st3));
	EXPECT_EQ(st1.logout + 1, st3.logout);
	EXPECT_EQ(st2.pkey_handles_open - 3, st3.pkey_handles_open);
	EXPECT_EQ(st2.volatile_keys - 1, st3.volatile_keys);
	EXPECT_EQ(st2.token_keys, st3.token_keys);	/* token keys stay */

	/* The token key is still there for another session. */
	ASSERT_EQ(0, hsm_t_login(self->fd, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, NULL));
	ASSERT_EQ(0, hsm_t_open(self->fd, t.uuid, &h2, NULL));
	ASSERT_EQ(0, hsm_t_delete(self->fd, h2, NULL));
}

/*
 * A child with a logged-in session and a key; @what runs in the child after
 * the parent says go. Reports readiness and the go through pipes.
 */
struct victim {
	pid_t pid;
	int ready, go;
	unsigned int client;
};

enum victim_op { VICTIM_SIGN_LOOP, VICTIM_RSA_KEYGEN, VICTIM_WRONG_PIN };

static int victim_start(FIXTURE_DATA(sess) *self, enum victim_op op,
			struct victim *v)
{
	struct hsm_emu_stats st0, st1;
	int rp[2], gp[2];
	char c;

	if (hsm_test_emu_stats(0, &st0) || pipe(rp) || pipe(gp))
		return -1;
	v->pid = fork();
	if (v->pid < 0)
		return -1;
	if (v->pid == 0) {
		uint8_t dig[32], sig[64];
		struct hsm_t_key k;
		uint32_t sl;
		int fd;

		close(rp[0]);
		close(gp[1]);
		fd = hsm_t_open_dev(&self->d);
		if (fd < 0 || hsm_t_login(fd, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, NULL))
			_exit(20);
		if (hsm_t_gen_ec(fd, CRYPTECH_HSM_CURVE_P256, CRYPTECH_HSM_KEY_F_SIGN, &k, NULL))
			_exit(21);
		if (write(rp[1], "r", 1) != 1 || read(gp[0], &c, 1) != 1)
			_exit(22);
		memset(dig, 0x5a, sizeof(dig));
		switch (op) {
		case VICTIM_SIGN_LOOP:
			for (;;) {
				sl = sizeof(sig);
				hsm_t_sign(fd, k.handle, dig, sizeof(dig), sig, &sl, NULL);
			}
		case VICTIM_RSA_KEYGEN:
			hsm_t_gen_rsa(fd, 1024, CRYPTECH_HSM_KEY_F_SIGN, &k, NULL);
			break;
		case VICTIM_WRONG_PIN:
			hsm_t_login(fd, CRYPTECH_HSM_USER_SO, "wrong-pin", NULL);
			break;
		}
		_exit(0);
	}
	close(rp[1]);
	close(gp[0]);
	v->ready = rp[0];
	v->go = gp[1];
	if (read(v->ready, &c, 1) != 1 || hsm_test_emu_stats(0, &st1))
		return -1;
	v->client = hsm_emu_new_login(&st0, &st1, CRYPTECH_HSM_USER_NORMAL);
	return v->client ? 0 : -1;
}

/* Let the victim go and wait until its request is being served by the board. */
static bool victim_go_and_wait_busy(struct victim *v)
{
	struct hsm_emu_stats st;

	if (write(v->go, "g", 1) != 1)
		return false;
	return hsm_wait_until(hsm_test_emu_stats(0, &st) == 0 && st.busy >= 1,
			      HSM_WAIT_MS);
}

/* SIGKILL the victim; return how long reaping it took (ms), or -1. */
static long victim_kill(struct victim *v)
{
	long t0 = hsm_test_now_ms();
	int st;

	kill(v->pid, SIGKILL);
	if (waitpid(v->pid, &st, 0) != v->pid || !WIFSIGNALED(st))
		return -1;
	close(v->ready);
	close(v->go);
	return hsm_test_now_ms() - t0;
}

TEST_F_TIMEOUT(sess, kill9_during_sign_releases_everything, 60)
{
	struct hsm_board_desc now;
	struct victim v;

	ASSERT_EQ(0, victim_start(self, VICTIM_SIGN_LOOP, &v));
	ASSERT_EQ(0, hsm_test_board_set(0, "service_ms.PKEY_SIGN", 2000));
	ASSERT_TRUE(victim_go_and_wait_busy(&v));
	/* The wait for the board is killable: the process dies at once. */
	ASSERT_LT(victim_kill(&v), 1500);
	ASSERT_EQ(0, hsm_test_board_set(0, "service_ms.PKEY_SIGN", 0));
	ASSERT_TRUE(hsm_test_emu_client_gone(0, v.client, CLEANUP_MS)) {
		TH_LOG("client 0x%08x still holds a login, key or handle", v.client);
	}
	ASSERT_TRUE(hsm_wait_until(hsm_get_board(self->d.index, &now, NULL, 0) == 0 &&
				   now.stats.sessions == 1, CLEANUP_MS));
}

TEST_F_TIMEOUT(sess, kill9_during_rsa_keygen_releases_everything, 60)
{
	struct hsm_emu_stats st;
	struct victim v;

	ASSERT_EQ(0, victim_start(self, VICTIM_RSA_KEYGEN, &v));
	/* Long enough that the polls below cannot miss it (see above). */
	ASSERT_EQ(0, hsm_test_board_set(0, "service_ms.PKEY_GENERATE_RSA", 10000));
	ASSERT_TRUE(victim_go_and_wait_busy(&v));
	ASSERT_LT(victim_kill(&v), 1500);
	/* The key appears on the board after the process died; the driver
	 * must still close its handle and log out (deleting it). */
	ASSERT_TRUE(hsm_test_emu_client_gone(0, v.client, CLEANUP_MS)) {
		TH_LOG("client 0x%08x still holds a login, key or handle", v.client);
	}
	ASSERT_EQ(0, hsm_test_emu_stats(0, &st));
	ASSERT_EQ(0, st.busy);
}

struct timed_login {
	int fd;
	const char *pin;
	int err;
	uint32_t bs;
	long ms;
};

static void *timed_login_thread(void *arg)
{
	struct timed_login *t = arg;
	long t0 = hsm_test_now_ms();

	t->err = hsm_t_login(t->fd, CRYPTECH_HSM_USER_NORMAL, t->pin, &t->bs);
	t->ms = hsm_test_now_ms() - t0;
	return NULL;
}

/* Point 3: a wrong PIN's delay in one session does not delay another. */
TEST_F_TIMEOUT(sess, wrong_pin_does_not_delay_other_sessions, 60)
{
	struct timed_login tl = { .pin = "wrong-pin" };
	struct hsm_emu_stats st;
	struct hsm_t_key k;
	uint8_t dig[32] = { 1 }, sig[64];
	uint32_t sl = sizeof(sig);
	pthread_t th;
	long t0, ms;

	ASSERT_EQ(0, hsm_t_login(self->fd, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, NULL));
	ASSERT_EQ(0, hsm_t_gen_ec(self->fd, CRYPTECH_HSM_CURVE_P256, CRYPTECH_HSM_KEY_F_SIGN, &k, NULL));
	/*
	 * The window must outlast the polls below that look for it: one
	 * vmctl stats round trip takes seconds on a loaded host, and a 3 s
	 * window was seen to pass unseen.
	 */
	ASSERT_EQ(0, hsm_test_board_set(0, "bad_pin_ms", 10000));
	tl.fd = open_session(_metadata, self);
	ASSERT_EQ(0, pthread_create(&th, NULL, timed_login_thread, &tl));
	ASSERT_TRUE(hsm_wait_until(hsm_test_emu_stats(0, &st) == 0 && st.busy == 1,
				   HSM_WAIT_MS));
	t0 = hsm_test_now_ms();
	ASSERT_EQ(0, hsm_t_sign(self->fd, k.handle, dig, sizeof(dig), sig, &sl, NULL));
	ms = hsm_test_now_ms() - t0;
	pthread_join(th, NULL);
	/*
	 * Far below the 10 s the wrong PIN holds its session: under the
	 * checker kernel on a loaded host one sign alone can take 2 s.
	 */
	EXPECT_LT(ms, 5000) {
		TH_LOG("sign took %ld ms during another session's wrong PIN", ms);
	}
	EXPECT_EQ(-EACCES, tl.err);
	EXPECT_EQ(HAL_PIN_INCORRECT, tl.bs);
	EXPECT_GE(tl.ms, 2500);
	close(tl.fd);
}

/* The wait for a wrong PIN is killable (header: LOGIN). */
TEST_F_TIMEOUT(sess, wrong_pin_wait_is_killable, 60)
{
	struct victim v;

	/* Long enough that the busy poll cannot miss it (see above). */
	ASSERT_EQ(0, hsm_test_board_set(0, "bad_pin_ms", 10000));
	ASSERT_EQ(0, victim_start(self, VICTIM_WRONG_PIN, &v));
	ASSERT_TRUE(victim_go_and_wait_busy(&v));
	ASSERT_LT(victim_kill(&v), 1500);
	ASSERT_TRUE(hsm_test_emu_client_gone(0, v.client, CLEANUP_MS));
}

struct timed_keygen {
	int fd;
	int err;
	struct hsm_t_key k;
};

static void *keygen_thread(void *arg)
{
	struct timed_keygen *t = arg;

	t->err = hsm_t_gen_rsa(t->fd, 1024, CRYPTECH_HSM_KEY_F_SIGN | CRYPTECH_HSM_KEY_F_PUBLIC,
			       &t->k, NULL);
	return NULL;
}

/* Point 3: a long RSA key generation in one session does not delay another. */
TEST_F_TIMEOUT(sess, rsa_keygen_does_not_delay_other_sessions, 60)
{
	struct timed_keygen kg = { .err = 1 };
	struct cryptech_hsm_key_info ki;
	struct hsm_emu_stats st;
	struct hsm_t_key k;
	uint8_t dig[32] = { 2 }, sig[64];
	uint32_t sl = sizeof(sig);
	pthread_t th;
	long t0, ms;

	ASSERT_EQ(0, hsm_t_gen_ec(self->fd, CRYPTECH_HSM_CURVE_P256,
				  CRYPTECH_HSM_KEY_F_SIGN | CRYPTECH_HSM_KEY_F_PUBLIC, &k, NULL));
	/* Long enough that the polls below cannot miss it (see above). */
	ASSERT_EQ(0, hsm_test_board_set(0, "service_ms.PKEY_GENERATE_RSA", 10000));
	kg.fd = open_session(_metadata, self);
	ASSERT_EQ(0, pthread_create(&th, NULL, keygen_thread, &kg));
	ASSERT_TRUE(hsm_wait_until(hsm_test_emu_stats(0, &st) == 0 && st.busy == 1,
				   HSM_WAIT_MS));
	t0 = hsm_test_now_ms();
	ASSERT_EQ(0, hsm_t_sign(self->fd, k.handle, dig, sizeof(dig), sig, &sl, NULL));
	ms = hsm_test_now_ms() - t0;
	pthread_join(th, NULL);
	/* far below the key generation's 10 s (see the wrong-PIN test) */
	EXPECT_LT(ms, 5000);
	ASSERT_EQ(0, kg.err);
	ASSERT_EQ(0, hsm_t_key_info(kg.fd, kg.k.handle, &ki));
	ASSERT_EQ(CRYPTECH_HSM_KEY_RSA_PRIVATE, ki.type);
	close(kg.fd);
}

/* The board has 10 login slots; the 11th login is a clear EUSERS. */
TEST_F_TIMEOUT(sess, eleventh_login_gets_eusers, 90)
{
	struct hsm_emu_stats st;
	int fds[11], i, err = 0;
	uint32_t bs = 0;

	/* Earlier tests' sessions may still be logging out. */
	ASSERT_TRUE(hsm_wait_until(hsm_test_emu_stats(0, &st) == 0 &&
				   hsm_emu_logged_in(&st) == 0, CLEANUP_MS));
	for (i = 0; i < 11; i++) {
		fds[i] = open_session(_metadata, self);
		ASSERT_GE(fds[i], 0);
	}
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, hsm_t_login(fds[i], CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, NULL));
	ASSERT_EQ(-EUSERS, hsm_t_login(fds[10], CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, &bs));
	ASSERT_EQ(HAL_NO_CLIENT_SLOTS, bs);
	ASSERT_EQ(CRYPTECH_HSM_USER_NONE, hsm_t_login_status(fds[10]));
	/* Closing one session frees its slot (clean-up may be asynchronous). */
	close(fds[3]);
	ASSERT_TRUE(hsm_wait_until((err = hsm_t_login(fds[10], CRYPTECH_HSM_USER_NORMAL,
						       HSM_USER_PIN, NULL)) == 0, CLEANUP_MS)) {
		TH_LOG("11th login still fails: %s", strerror(-err));
	}
	for (i = 0; i < 11; i++)
		if (i != 3)
			close(fds[i]);
}

HSM_TEST_HARNESS_MAIN
