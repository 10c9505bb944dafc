// SPDX-License-Identifier: GPL-2.0
/*
 * Attach and teardown (issue 7 point 1): the race windows of attach, each
 * widened with the module's test-only delay points and hit 100 times; a
 * session whose clean-up request times out still logs out; a netlink DETACH
 * closes the open sessions' keys and logins first (also a key whose
 * handle no caller got), and what it does to requests in flight. Group "teardown"; one emulator board.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "kselftest_harness.h"
#include "hsm_ioctl.h"
#include "hsm_hooks.h"

#ifndef ITERATIONS
#define ITERATIONS	100	/* per race test (issue 7) */
#endif
#define F_SIGN		CRYPTECH_HSM_KEY_F_SIGN

#define ASSERT_HOOKS() do {						\
	const char *__why = hsm_hooks_missing();			\
	if (__why)							\
		TH_LOG("%s", __why);					\
	ASSERT_EQ(NULL, __why);						\
} while (0)

FIXTURE(teardown) {
	struct hsm_board_desc d;
	/* the parameters some tests lower, put back as the VM had them */
	long op_timeout_ms, detach_timeout_ms;
};

FIXTURE_SETUP(teardown)
{
	hsm_t_detach_all();
	/* An earlier test may have failed with the cable pulled. */
	if (!hsm_path_exists("/dev/ttyUSB0"))
		hsm_test_run("tests/vm/vmctl plug 0", NULL, 0);
	ASSERT_TRUE(hsm_wait_until(hsm_path_exists("/dev/ttyUSB0"), 20000));
	self->op_timeout_ms = hsm_param_get("op_timeout_ms");
	self->detach_timeout_ms = hsm_param_get("detach_timeout_ms");
	ASSERT_LT(0, self->op_timeout_ms);
	ASSERT_LT(0, self->detach_timeout_ms);
}

FIXTURE_TEARDOWN(teardown)
{
	if (!hsm_hooks_missing()) {
		hsm_hook_set("publish", 0);
		hsm_hook_set("attach_set_ldisc", 0);
		hsm_hook_set("ioctl", 0);
		hsm_hook_set("session_cleanup", 0);
		hsm_hook_set("tx", 0);
		hsm_hook_release();
	}
	hsm_param_set("op_timeout_ms", self->op_timeout_ms);
	hsm_param_set("detach_timeout_ms", self->detach_timeout_ms);
	hsm_test_board_set(0, "service_ms.PKEY_SIGN", 0);
	hsm_test_board_set(0, "service_ms.PKEY_GENERATE_EC", 0);
	hsm_test_board_set(0, "drop_next", 0);
	hsm_test_board_set(0, "truncate_next", 0);
	hsm_t_detach_all();
}

struct attacher {
	pthread_t t;
	int tty;
	int err;
	atomic_int done;
	struct hsm_board_desc d;
};

static void *attacher_main(void *arg)
{
	struct attacher *a = arg;
	char msg[256];

	a->err = hsm_attach(hsm_test_tty(a->tty), &a->d, msg, sizeof(msg));
	atomic_store(&a->done, 1);
	return NULL;
}

static int start_attach(struct attacher *a, int tty)
{
	memset(a, 0, sizeof(*a));
	a->tty = tty;
	return pthread_create(&a->t, NULL, attacher_main, a);
}

/*
 * A DETACH while the probe adds /dev/hsmN (hsm_board_publish() with the
 * board lock dropped): the teardown must win. Before the fix the probe then
 * set READY over GONE and ATTACH reported success for a dead board, whose
 * requests waited out their whole timeout.
 */
TEST_F_TIMEOUT(teardown, detach_during_publish, 600)
{
	char msg[256], path[64];
	struct attacher a;
	int i;

	ASSERT_HOOKS();
	ASSERT_EQ(0, hsm_hook_set("publish", 200));
	for (i = 0; i < ITERATIONS; i++) {
		long hits = hsm_hook_hits("publish");
		struct hsm_board_desc d;

		ASSERT_EQ(0, start_attach(&a, 0));
		/* Inside the window: the probe is delayed in publish. */
		ASSERT_TRUE(hsm_wait_until(hsm_hook_hits("publish") > hits, 20000));
		ASSERT_EQ(0, hsm_test_find_board("ttyUSB0", &d));
		ASSERT_EQ(0, atomic_load(&a.done));
		ASSERT_EQ(0, hsm_detach(d.index, msg, sizeof(msg))) TH_LOG("%s", msg);
		ASSERT_EQ(0, pthread_join(a.t, NULL));
		ASSERT_EQ(-ENODEV, a.err) TH_LOG("iteration %d: attach %d", i, a.err);
		ASSERT_EQ(0, hsm_test_board_count());
		snprintf(path, sizeof(path), "/dev/%s", d.dev_name);
		ASSERT_TRUE(hsm_wait_until(!hsm_path_exists(path), HSM_WAIT_MS));
	}
	ASSERT_EQ(0, hsm_hook_set("publish", 0));
	/* And the line is usable again. */
	ASSERT_EQ(0, hsm_t_attach(0, &self->d));
}

/*
 * The line hangs up (cable pulled) right after tty_set_ldisc() in
 * hsm_tty_take(): the teardown queues the tty's close, and attach must not
 * touch a freed tty. It must fail with ENODEV and leave nothing behind.
 * A use after free shows as an oops only with slab poisoning or KASAN, so
 * tests/check.sh boots this group with slub_debug=P: without the driver's
 * own tty reference the first rounds then oops in hsm_attach_tty() on the
 * poison (0x6b6b6b6b6b6b6b6b, measured).
 * Each round replugs the board: 2-10 s under TCG, hence the long timeout.
 */
TEST_F_TIMEOUT(teardown, hangup_after_set_ldisc, 2400)
{
	struct attacher a;
	int i;

	ASSERT_HOOKS();
	/* Long enough for any unplug; released as soon as the line is gone. */
	ASSERT_EQ(0, hsm_hook_set("attach_set_ldisc", 30000));
	for (i = 0; i < ITERATIONS; i++) {
		long hits = hsm_hook_hits("attach_set_ldisc");

		ASSERT_EQ(0, start_attach(&a, 0));
		ASSERT_TRUE(hsm_wait_until(hsm_hook_hits("attach_set_ldisc") > hits,
					   20000));
		ASSERT_EQ(0, hsm_test_run("tests/vm/vmctl unplug 0", NULL, 0));
		ASSERT_TRUE(hsm_wait_until(!hsm_path_exists("/dev/ttyUSB0"), 20000));
		/* The hangup landed while attach was still in the window. */
		ASSERT_EQ(0, atomic_load(&a.done)) TH_LOG("iteration %d: window missed", i);
		ASSERT_EQ(0, hsm_hook_release());
		ASSERT_EQ(0, pthread_join(a.t, NULL));
		ASSERT_EQ(-ENODEV, a.err) TH_LOG("iteration %d: attach %d", i, a.err);
		ASSERT_EQ(0, hsm_test_board_count());
		ASSERT_EQ(0, hsm_test_run("tests/vm/vmctl plug 0", NULL, 0));
		ASSERT_TRUE(hsm_wait_until(hsm_path_exists("/dev/ttyUSB0"), 20000));
	}
	ASSERT_EQ(0, hsm_hook_set("attach_set_ldisc", 0));
	ASSERT_TRUE(hsm_wait_until(hsm_t_attach(0, &self->d) == 0, 20000));
}

/* Open a session on the attached board, logged in as the user. */
static int user_session(struct __test_metadata *_metadata,
			const struct hsm_board_desc *d, unsigned int *client)
{
	struct hsm_emu_stats st0, st1;
	uint32_t bs;
	int fd;

	fd = hsm_t_open_dev(d);
	if (fd < 0)
		return -1;
	if (hsm_test_emu_stats(0, &st0) ||
	    hsm_t_login(fd, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, &bs) ||
	    hsm_test_emu_stats(0, &st1)) {
		close(fd);
		return -1;
	}
	*client = hsm_emu_new_login(&st0, &st1, CRYPTECH_HSM_USER_NORMAL);
	if (!*client) {
		TH_LOG("cannot tell the session's client handle");
		close(fd);
		return -1;
	}
	return fd;
}

static int bring_up(const struct hsm_board_desc *d)
{
	int fd = hsm_t_open_dev(d), err;

	if (fd < 0)
		return -errno;
	err = hsm_t_bringup(fd, 0);
	close(fd);
	return err;
}

/*
 * The board never answers a clean-up PKEY_CLOSE: clean-up still ends with
 * a LOGOUT, so the board frees the login slot (10 per board) now, not at the
 * next attach.
 */
TEST_F_TIMEOUT(teardown, cleanup_close_timeout_still_logs_out, 180)
{
	struct hsm_emu_stats st;
	struct hsm_t_key k;
	unsigned int client;
	int fd;

	ASSERT_EQ(0, hsm_t_attach(0, &self->d));
	ASSERT_EQ(0, bring_up(&self->d));
	fd = user_session(_metadata, &self->d, &client);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, hsm_t_gen_ec(fd, CRYPTECH_HSM_CURVE_P256, F_SIGN, &k, NULL));
	ASSERT_EQ(0, hsm_test_emu_stats(0, &st));
	ASSERT_NE(NULL, hsm_emu_client(&st, client));
	ASSERT_EQ(1, hsm_emu_client(&st, client)->pkey_handles);

	ASSERT_EQ(0, hsm_param_set("op_timeout_ms", 1000));
	/* The board executes the CLOSE but its reply is lost. */
	ASSERT_EQ(0, hsm_test_board_set(0, "drop_next", 1));
	close(fd);
	ASSERT_TRUE(hsm_test_emu_client_gone(0, client, 15000))
		TH_LOG("client 0x%08x still on the board after clean-up", client);
	ASSERT_EQ(0, hsm_param_set("op_timeout_ms", self->op_timeout_ms));
}

/*
 * A slow line: the clean-up's PKEY_CLOSE and LOGOUT wait in the transmit
 * queue past op_timeout_ms (the "tx" delay point holds the line). The
 * driver stops waiting for their replies, but still sends them once the
 * line moves: the board ends with neither the key handle nor the login.
 */
TEST_F_TIMEOUT(teardown, cleanup_behind_a_slow_line_still_reaches_the_board, 180)
{
	static const char no_answer[] = "no answer to clean-up request";
	struct hsm_t_key k;
	unsigned int client;
	long before;
	int fd;

	ASSERT_HOOKS();
	ASSERT_EQ(0, hsm_t_attach(0, &self->d));
	ASSERT_EQ(0, bring_up(&self->d));
	fd = user_session(_metadata, &self->d, &client);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, hsm_t_gen_ec(fd, CRYPTECH_HSM_CURVE_P256, F_SIGN, &k, NULL));
	before = hsm_test_dmesg_count(no_answer);
	ASSERT_LE(0, before);

	ASSERT_EQ(0, hsm_param_set("op_timeout_ms", 1000));
	ASSERT_EQ(0, hsm_hook_set("tx", 60000));
	close(fd);
	/* PKEY_CLOSE, then LOGOUT, each given up after 1 s, unsent */
	EXPECT_TRUE(hsm_wait_until(hsm_test_dmesg_count(no_answer) >= before + 2,
				   30000));
	ASSERT_EQ(0, hsm_hook_set("tx", 0));
	ASSERT_EQ(0, hsm_hook_release());
	ASSERT_TRUE(hsm_test_emu_client_gone(0, client, 15000))
		TH_LOG("client 0x%08x still on the board: its clean-up never left the queue",
		       client);
}

/*
 * DETACH with two sessions open, each logged in and holding a key: both
 * are closed and logged out on the board before the line goes; the files
 * stay open and get ENODEV.
 */
TEST_F_TIMEOUT(teardown, detach_closes_open_sessions, 180)
{
	unsigned int c1, c2;
	struct hsm_t_key k1, k2;
	char msg[256];
	long t0;
	int fd1, fd2;

	ASSERT_EQ(0, hsm_t_attach(0, &self->d));
	ASSERT_EQ(0, bring_up(&self->d));
	fd1 = user_session(_metadata, &self->d, &c1);
	ASSERT_GE(fd1, 0);
	fd2 = user_session(_metadata, &self->d, &c2);
	ASSERT_GE(fd2, 0);
	ASSERT_EQ(0, hsm_t_gen_ec(fd1, CRYPTECH_HSM_CURVE_P256, F_SIGN, &k1, NULL));
	ASSERT_EQ(0, hsm_t_gen_ec(fd2, CRYPTECH_HSM_CURVE_P256, F_SIGN, &k2, NULL));

	t0 = hsm_test_now_ms();
	ASSERT_EQ(0, hsm_detach(self->d.index, msg, sizeof(msg))) TH_LOG("%s", msg);
	ASSERT_LT(hsm_test_now_ms() - t0, 5000);
	/* Gone from the board by the time DETACH returned. */
	ASSERT_TRUE(hsm_test_emu_client_gone(0, c1, 0));
	ASSERT_TRUE(hsm_test_emu_client_gone(0, c2, 0));
	ASSERT_EQ(-ENODEV, hsm_t_login_status(fd1));
	ASSERT_EQ(-ENODEV, hsm_t_close(fd2, k2.handle, NULL));
	close(fd1);
	close(fd2);
}

/*
 * A thread that runs one key operation: signer_main(), closer_main(),
 * generator_main().
 */
struct key_thread {
	pthread_t t;
	int fd;
	uint32_t handle;
	int err;
	atomic_int done;	/* the operation returned */
};

static void *signer_main(void *arg)
{
	struct key_thread *s = arg;
	uint8_t dig[32] = { 1 }, sig[160];
	uint32_t sl = sizeof(sig);

	s->err = hsm_t_sign(s->fd, s->handle, dig, 32, sig, &sl, NULL);
	return NULL;
}

static bool board_busy(uint32_t index)
{
	struct hsm_board_desc now;

	return hsm_get_board(index, &now, NULL, 0) == 0 && now.stats.in_flight > 0;
}

/*
 * Run @fn in @kt's thread with the board taking @ms over @function and
 * DETACH allowed 30 s: wait until the request is in flight.
 */
static bool start_slow_request(uint32_t index, const char *function, long ms,
			       void *(*fn)(void *), struct key_thread *kt)
{
	char knob[64];

	snprintf(knob, sizeof(knob), "service_ms.%s", function);
	if (hsm_param_set("detach_timeout_ms", 30000) ||
	    hsm_test_board_set(0, knob, ms) ||
	    pthread_create(&kt->t, NULL, fn, kt))
		return false;
	return hsm_wait_until(board_busy(index), 10000);
}

/* A request in flight when DETACH comes is answered, then the session closed. */
TEST_F_TIMEOUT(teardown, detach_lets_request_in_flight_finish, 180)
{
	struct hsm_t_key k;
	struct key_thread sg;
	unsigned int client;
	char msg[256];
	long t0;

	ASSERT_EQ(0, hsm_t_attach(0, &self->d));
	ASSERT_EQ(0, bring_up(&self->d));
	sg.fd = user_session(_metadata, &self->d, &client);
	ASSERT_GE(sg.fd, 0);
	ASSERT_EQ(0, hsm_t_gen_ec(sg.fd, CRYPTECH_HSM_CURVE_P256, F_SIGN, &k, NULL));
	sg.handle = k.handle;
	ASSERT_EQ(0, hsm_test_board_set(0, "service_ms.PKEY_SIGN", 1500));
	ASSERT_EQ(0, pthread_create(&sg.t, NULL, signer_main, &sg));
	ASSERT_TRUE(hsm_wait_until(board_busy(self->d.index), 10000));
	t0 = hsm_test_now_ms();
	ASSERT_EQ(0, hsm_detach(self->d.index, msg, sizeof(msg))) TH_LOG("%s", msg);
	ASSERT_LT(hsm_test_now_ms() - t0, 5000);
	ASSERT_EQ(0, pthread_join(sg.t, NULL));
	ASSERT_EQ(0, sg.err);
	ASSERT_TRUE(hsm_test_emu_client_gone(0, client, 0));
	ASSERT_EQ(-ENODEV, hsm_t_login_status(sg.fd));
	close(sg.fd);
}

/*
 * A request still unanswered at detach_timeout_ms fails with ENODEV, and
 * DETACH does not wait for it longer than that.
 */
TEST_F_TIMEOUT(teardown, detach_bounds_its_wait_for_requests_in_flight, 180)
{
	struct hsm_t_key k;
	struct key_thread sg;
	unsigned int client;
	char msg[256];
	long t0, took;

	ASSERT_EQ(0, hsm_t_attach(0, &self->d));
	ASSERT_EQ(0, bring_up(&self->d));
	sg.fd = user_session(_metadata, &self->d, &client);
	ASSERT_GE(sg.fd, 0);
	ASSERT_EQ(0, hsm_t_gen_ec(sg.fd, CRYPTECH_HSM_CURVE_P256, F_SIGN, &k, NULL));
	sg.handle = k.handle;
	ASSERT_EQ(0, hsm_param_set("detach_timeout_ms", 1000));
	ASSERT_EQ(0, hsm_test_board_set(0, "service_ms.PKEY_SIGN", 6000));
	ASSERT_EQ(0, pthread_create(&sg.t, NULL, signer_main, &sg));
	ASSERT_TRUE(hsm_wait_until(board_busy(self->d.index), 10000));
	t0 = hsm_test_now_ms();
	ASSERT_EQ(0, hsm_detach(self->d.index, msg, sizeof(msg))) TH_LOG("%s", msg);
	took = hsm_test_now_ms() - t0;
	ASSERT_GE(took, 900);
	ASSERT_LT(took, 4000);
	ASSERT_EQ(0, pthread_join(sg.t, NULL));
	ASSERT_EQ(-ENODEV, sg.err);
	close(sg.fd);
	ASSERT_EQ(0, hsm_param_set("detach_timeout_ms", self->detach_timeout_ms));
	ASSERT_EQ(0, hsm_test_board_set(0, "service_ms.PKEY_SIGN", 0));
}

static void *closer_main(void *arg)
{
	struct key_thread *c = arg;

	c->err = hsm_t_close(c->fd, c->handle, NULL);
	return NULL;
}

struct detacher {
	pthread_t t;
	uint32_t index;
	int err;
	char msg[256];
};

static void *detacher_main(void *arg)
{
	struct detacher *d = arg;

	d->err = hsm_detach(d->index, d->msg, sizeof(d->msg));
	return NULL;
}

/*
 * Start a DETACH of board @index in its own thread and wait until it
 * refuses new requests (another session's GET_RANDOM on @probe_fd fails
 * with ENODEV): it is then closing the sessions or waiting for requests in
 * flight. Returns false if it did not get there in 10 s.
 */
static bool detach_until_it_refuses(struct detacher *dt, uint32_t index,
				    int probe_fd)
{
	uint8_t rnd[8];

	dt->index = index;
	if (pthread_create(&dt->t, NULL, detacher_main, dt))
		return false;
	return hsm_wait_until(hsm_t_random(probe_fd, rnd, sizeof(rnd), NULL) == -ENODEV,
			      10000);
}

/*
 * A CLOSE that a DETACH refuses (ENODEV: the sessions are being closed)
 * before the DETACH has reached its session must not drop the key from the
 * session's table: the DETACH's clean-up is what closes it on the board.
 * A slow SIGN of another session holds the DETACH in its wait for requests
 * in flight; the "ioctl" delay point holds the CLOSE until the DETACH has
 * begun (a new request then fails with ENODEV).
 */
TEST_F_TIMEOUT(teardown, close_refused_by_detach_leaves_the_key_to_it, 180)
{
	struct hsm_t_key k, k2;
	struct key_thread sg;
	struct key_thread cl;
	struct detacher dt;
	unsigned int client, client2, client3;
	long hits;
	int fd3;

	ASSERT_HOOKS();
	ASSERT_EQ(0, hsm_t_attach(0, &self->d));
	ASSERT_EQ(0, bring_up(&self->d));
	cl.fd = user_session(_metadata, &self->d, &client);
	ASSERT_GE(cl.fd, 0);
	ASSERT_EQ(0, hsm_t_gen_ec(cl.fd, CRYPTECH_HSM_CURVE_P256, F_SIGN, &k, NULL));
	cl.handle = k.handle;
	sg.fd = user_session(_metadata, &self->d, &client2);
	ASSERT_GE(sg.fd, 0);
	ASSERT_EQ(0, hsm_t_gen_ec(sg.fd, CRYPTECH_HSM_CURVE_P256, F_SIGN, &k2, NULL));
	sg.handle = k2.handle;
	fd3 = user_session(_metadata, &self->d, &client3);
	ASSERT_GE(fd3, 0);

	/* the SIGN in flight, 6 s on the board */
	ASSERT_TRUE(start_slow_request(self->d.index, "PKEY_SIGN", 6000, signer_main, &sg));
	/* the CLOSE held before it takes the session's lock */
	hits = hsm_hook_hits("ioctl");
	ASSERT_EQ(0, hsm_hook_set("ioctl", 60000));
	ASSERT_EQ(0, pthread_create(&cl.t, NULL, closer_main, &cl));
	ASSERT_TRUE(hsm_wait_until(hsm_hook_hits("ioctl") > hits, 10000));
	ASSERT_EQ(0, hsm_hook_set("ioctl", 0));
	/* the DETACH, until it refuses new requests */
	ASSERT_TRUE(detach_until_it_refuses(&dt, self->d.index, fd3));
	/* the CLOSE goes on and is refused; the DETACH still waits for the SIGN */
	ASSERT_EQ(0, hsm_hook_release());
	ASSERT_EQ(0, pthread_join(cl.t, NULL));
	EXPECT_EQ(-ENODEV, cl.err);
	ASSERT_EQ(0, pthread_join(dt.t, NULL));
	EXPECT_EQ(0, dt.err) TH_LOG("%s", dt.msg);
	ASSERT_EQ(0, pthread_join(sg.t, NULL));
	close(cl.fd);
	close(sg.fd);
	close(fd3);
	/* the DETACH closed the key on the board and logged the session out */
	ASSERT_TRUE(hsm_test_emu_client_gone(0, client, 15000))
		TH_LOG("client 0x%08x still on the board: the refused CLOSE dropped its key",
		       client);
	ASSERT_EQ(0, hsm_param_set("detach_timeout_ms", self->detach_timeout_ms));
	ASSERT_EQ(0, hsm_test_board_set(0, "service_ms.PKEY_SIGN", 0));
}

static void *generator_main(void *arg)
{
	struct key_thread *g = arg;
	struct hsm_t_key k;

	g->err = hsm_t_gen_ec(g->fd, CRYPTECH_HSM_CURVE_P256, F_SIGN, &k, NULL);
	if (!g->err)
		g->handle = k.handle;
	atomic_store(&g->done, 1);
	return NULL;
}

/*
 * A GENERATE whose reply names the new key's handle but not its name
 * (emulator fault "truncate") fails with EPROTO, and the driver closes the
 * handle nobody got. When that close is refused because a DETACH is closing
 * the sessions, the DETACH's clean-up must close it: the key must not be
 * forgotten. The board takes 8 s over the GENERATE, which holds the DETACH
 * in its wait for requests in flight; the fault is set once the DETACH
 * refuses new requests, so only the GENERATE's reply is cut.
 */
TEST_F_TIMEOUT(teardown, unparsed_key_reply_during_detach_leaves_the_key_to_it, 180)
{
	struct key_thread g = { 0 };
	struct detacher dt;
	unsigned int client, client2;
	int fd2;

	ASSERT_EQ(0, hsm_t_attach(0, &self->d));
	ASSERT_EQ(0, bring_up(&self->d));
	g.fd = user_session(_metadata, &self->d, &client);
	ASSERT_GE(g.fd, 0);
	fd2 = user_session(_metadata, &self->d, &client2);
	ASSERT_GE(fd2, 0);

	ASSERT_TRUE(start_slow_request(self->d.index, "PKEY_GENERATE_EC", 8000,
				       generator_main, &g));
	ASSERT_TRUE(detach_until_it_refuses(&dt, self->d.index, fd2));
	ASSERT_EQ(0, hsm_test_board_set(0, "truncate_next", 1));
	/* Else the board answered before the DETACH began: nothing tested. */
	ASSERT_EQ(0, atomic_load(&g.done))
		TH_LOG("the GENERATE ended before the DETACH refused requests");
	ASSERT_EQ(0, pthread_join(g.t, NULL));
	EXPECT_EQ(-EPROTO, g.err);
	ASSERT_EQ(0, pthread_join(dt.t, NULL));
	EXPECT_EQ(0, dt.err) TH_LOG("%s", dt.msg);
	close(g.fd);
	close(fd2);
	ASSERT_TRUE(hsm_test_emu_client_gone(0, client, 15000))
		TH_LOG("client 0x%08x still on the board: the key its GENERATE made was forgotten",
		       client);
	ASSERT_EQ(0, hsm_param_set("detach_timeout_ms", self->detach_timeout_ms));
	ASSERT_EQ(0, hsm_test_board_set(0, "service_ms.PKEY_GENERATE_EC", 0));
}

/*
 * A DETACH whose clean-up runs past detach_timeout_ms (the session_cleanup
 * delay point holds it there) sends nothing more: the session's key handle
 * stays on the board, and the kernel log says so, not silence.
 */
TEST_F_TIMEOUT(teardown, detach_past_its_deadline_says_what_it_left, 180)
{
	struct hsm_emu_stats st;
	struct hsm_t_key k;
	unsigned int client;
	long hits, before;
	const char *why = hsm_hooks_missing();
	char msg[256];
	int fd;

	ASSERT_EQ(NULL, why) TH_LOG("%s", why);
	ASSERT_EQ(0, hsm_t_attach(0, &self->d));
	ASSERT_EQ(0, bring_up(&self->d));
	fd = user_session(_metadata, &self->d, &client);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, hsm_t_gen_ec(fd, CRYPTECH_HSM_CURVE_P256, F_SIGN, &k, NULL));
	before = hsm_test_dmesg_count("detach_timeout_ms ran out while closing the sessions");
	ASSERT_LE(0, before);

	ASSERT_EQ(0, hsm_param_set("detach_timeout_ms", 1000));
	hits = hsm_hook_hits("session_cleanup");
	ASSERT_EQ(0, hsm_hook_set("session_cleanup", 3000));
	ASSERT_EQ(0, hsm_detach(self->d.index, msg, sizeof(msg))) TH_LOG("%s", msg);
	ASSERT_LT(hits, hsm_hook_hits("session_cleanup"));
	ASSERT_EQ(0, hsm_hook_set("session_cleanup", 0));
	EXPECT_EQ(before + 1,
		  hsm_test_dmesg_count("detach_timeout_ms ran out while closing the sessions"));
	ASSERT_EQ(0, hsm_test_emu_stats(0, &st));
	ASSERT_NE(NULL, hsm_emu_client(&st, client));
	EXPECT_EQ(1, hsm_emu_client(&st, client)->pkey_handles);
	close(fd);
	/* What stayed on the emulator: its next attach ends the login only. */
	ASSERT_EQ(0, hsm_param_set("detach_timeout_ms", self->detach_timeout_ms));
}

/*
 * An ioctl that found the board alive just before a DETACH closed its
 * session's keys: the key is not "unknown" (ENOENT), the board is gone
 * (ENODEV). The ioctl delay point holds it between the two.
 */
TEST_F_TIMEOUT(teardown, key_handle_after_detach_is_enodev, 180)
{
	struct hsm_t_key k;
	struct key_thread sg;
	unsigned int client;
	char msg[256];
	long hits;

	ASSERT_HOOKS();
	ASSERT_EQ(0, hsm_t_attach(0, &self->d));
	ASSERT_EQ(0, bring_up(&self->d));
	sg.fd = user_session(_metadata, &self->d, &client);
	ASSERT_GE(sg.fd, 0);
	ASSERT_EQ(0, hsm_t_gen_ec(sg.fd, CRYPTECH_HSM_CURVE_P256, F_SIGN, &k, NULL));
	sg.handle = k.handle;
	hits = hsm_hook_hits("ioctl");
	ASSERT_EQ(0, hsm_hook_set("ioctl", 30000));
	ASSERT_EQ(0, pthread_create(&sg.t, NULL, signer_main, &sg));
	ASSERT_TRUE(hsm_wait_until(hsm_hook_hits("ioctl") > hits, 10000));
	/* The signer is inside the window: nothing of it reached the board. */
	ASSERT_EQ(0, hsm_detach(self->d.index, msg, sizeof(msg))) TH_LOG("%s", msg);
	ASSERT_TRUE(hsm_test_emu_client_gone(0, client, 0));
	ASSERT_EQ(0, hsm_hook_set("ioctl", 0));
	ASSERT_EQ(0, hsm_hook_release());
	ASSERT_EQ(0, pthread_join(sg.t, NULL));
	ASSERT_EQ(-ENODEV, sg.err);
	close(sg.fd);
}

HSM_TEST_HARNESS_MAIN
