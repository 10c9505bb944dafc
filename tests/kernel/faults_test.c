// SPDX-License-Identifier: GPL-2.0
/*
 * Board faults (issue 4 points 4 and 5), injected with the emulator's fault
 * knobs: noise, split, corrupted, dropped replies, replies for an unknown
 * client handle, a stalled board and a dropped connection with requests in
 * flight. The affected request fails with a clear errno (or succeeds with a
 * correct result), the netlink counters count the event, other sessions are
 * not disturbed and nothing leaks on the board. Timeouts: op_timeout_ms and
 * keygen_timeout_ms; a timed-out handle is quarantined so its late reply is
 * never taken for a later request's. Group "faults"; board 0 is the emulator.
 */
#include <pthread.h>

#include "kselftest_harness.h"
#include "hsm_ioctl.h"

#define F_SIGN		CRYPTECH_HSM_KEY_F_SIGN
#define OP_TIMEOUT_MS	1500
#define CLEANUP_MS	20000
#define PARAM_DIR	"/sys/module/cryptech_hsm/parameters/"

static int set_param(const char *name, unsigned int v)
{
	char path[128], val[32];

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	snprintf(val, sizeof(val), "%u\n", v);
	return hsm_write_file(path, val, strlen(val));
}

struct sess {
	int fd;
	unsigned int client;
	struct hsm_t_key k;
};

FIXTURE(faults) {
	struct hsm_board_desc d;
	struct sess a, b;
};

/* A logged-in session with a P-256 signing key; learn its client handle. */
static int sess_open(FIXTURE_DATA(faults) *self, struct sess *s)
{
	struct hsm_emu_stats st0, st1;

	s->fd = hsm_t_open_dev(&self->d);
	if (s->fd < 0 || hsm_test_emu_stats(0, &st0) ||
	    hsm_t_login(s->fd, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, NULL) ||
	    hsm_test_emu_stats(0, &st1))
		return -1;
	s->client = hsm_emu_new_login(&st0, &st1, CRYPTECH_HSM_USER_NORMAL);
	if (!s->client)
		return -1;
	return hsm_t_gen_ec(s->fd, CRYPTECH_HSM_CURVE_P256, F_SIGN, &s->k, NULL);
}

FIXTURE_SETUP(faults)
{
	int fd;

	self->a.fd = self->b.fd = -1;
	hsm_t_detach_all();	/* a test killed by its timeout skips teardown */
	ASSERT_EQ(0, set_param("op_timeout_ms", OP_TIMEOUT_MS));
	ASSERT_EQ(0, hsm_t_attach(0, &self->d));
	fd = hsm_t_open_dev(&self->d);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, hsm_t_bringup(fd, 0));
	close(fd);
	/* Earlier tests' sessions may still be logging out. */
	ASSERT_TRUE(hsm_wait_until(({ struct hsm_emu_stats __st;
		hsm_test_emu_stats(0, &__st) == 0 && hsm_emu_logged_in(&__st) == 0; }),
		CLEANUP_MS));
	ASSERT_EQ(0, sess_open(self, &self->a));
	ASSERT_EQ(0, sess_open(self, &self->b));
}

FIXTURE_TEARDOWN(faults)
{
	static const char *const knobs[] = {
		"drop_next", "corrupt_next", "split_next", "noise_next",
		"wrong_handle_next", "service_ms", "stall_ms", "disconnect_after",
	};
	size_t i;

	if (self->a.fd >= 0)
		close(self->a.fd);
	if (self->b.fd >= 0)
		close(self->b.fd);
	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++)
		hsm_test_board_set(0, knobs[i], 0);
	set_param("op_timeout_ms", 30000);
	set_param("keygen_timeout_ms", 600000);
	hsm_t_detach_all();
}

/* SIGN @dig (32 bytes, P-256) and check the result with VERIFY. */
static int sign_checked(struct sess *s, const uint8_t *dig, uint32_t *bs)
{
	uint8_t sig[64];
	uint32_t sl = sizeof(sig);
	int err;

	err = hsm_t_sign(s->fd, s->k.handle, dig, 32, sig, &sl, bs);
	if (err)
		return err;
	if (sl != 64)
		return -EBADE;
	/* A signature over something else would be a misdelivered reply. */
	return hsm_t_verify(s->fd, s->k.handle, dig, 32, sig, sl, NULL) ? -EBADE : 0;
}

static struct hsm_board_stats board_stats(FIXTURE_DATA(faults) *self)
{
	struct hsm_board_desc now;

	memset(&now, 0, sizeof(now));
	hsm_get_board(self->d.index, &now, NULL, 0);
	return now.stats;
}

TEST_F_TIMEOUT(faults, noise_before_replies_is_dropped_and_counted, 120)
{
	struct hsm_board_stats s0, s1;
	uint8_t dig[32];
	int i;

	s0 = board_stats(self);
	for (i = 0; i < 10; i++) {
		memset(dig, i, sizeof(dig));
		ASSERT_EQ(0, hsm_test_board_set(0, "noise_next", 1));
		ASSERT_EQ(0, sign_checked(&self->a, dig, NULL)) {
			TH_LOG("round %d", i);
		}
	}
	s1 = board_stats(self);
	EXPECT_EQ(s0.proto_errors + 10, s1.proto_errors);
	EXPECT_EQ(s0.timeouts, s1.timeouts);
	EXPECT_EQ(s0.errors, s1.errors);
	EXPECT_EQ(0, s1.in_flight);
}

TEST_F_TIMEOUT(faults, split_replies_are_reassembled, 120)
{
	struct hsm_board_stats s0, s1;
	uint8_t dig[32];
	int i;

	s0 = board_stats(self);
	for (i = 0; i < 10; i++) {
		memset(dig, 0x40 + i, sizeof(dig));
		ASSERT_EQ(0, hsm_test_board_set(0, "split_next", 1));
		ASSERT_EQ(0, sign_checked(&self->a, dig, NULL));
	}
	s1 = board_stats(self);
	EXPECT_EQ(s0.proto_errors, s1.proto_errors);
	EXPECT_EQ(s0.errors, s1.errors);
}

/*
 * A reply that never comes for session a (dropped, or sent for an unknown
 * client handle): a's request times out and is counted, b is not disturbed,
 * a stays usable or fails fast, and closing a still releases everything a
 * held on the board.
 */
static void lost_reply(struct __test_metadata *_metadata,
		       FIXTURE_DATA(faults) *self, const char *knob,
		       bool proto_error)
{
	struct hsm_board_stats s0, s1;
	uint8_t dig[32] = { 7 };
	long t0, ms;
	int err;

	s0 = board_stats(self);
	ASSERT_EQ(0, hsm_test_board_set(0, knob, 1));
	t0 = hsm_test_now_ms();
	ASSERT_EQ(-ETIMEDOUT, sign_checked(&self->a, dig, NULL));
	ms = hsm_test_now_ms() - t0;
	EXPECT_GE(ms, OP_TIMEOUT_MS - 100);
	EXPECT_LT(ms, OP_TIMEOUT_MS + 2000);
	s1 = board_stats(self);
	EXPECT_EQ(s0.timeouts + 1, s1.timeouts);
	EXPECT_GE(s1.errors, s0.errors + 1);
	EXPECT_EQ(s0.proto_errors + (proto_error ? 1 : 0), s1.proto_errors);

	/* The other session is not disturbed. */
	dig[0] = 8;
	ASSERT_EQ(0, sign_checked(&self->b, dig, NULL));
	/* a: a clear answer, never a hang, never a wrong result. */
	t0 = hsm_test_now_ms();
	err = sign_checked(&self->a, dig, NULL);
	ms = hsm_test_now_ms() - t0;
	EXPECT_NE(-EBADE, err);
	EXPECT_LT(ms, OP_TIMEOUT_MS + 2000);
	TH_LOG("session after its lost reply: %s in %ld ms", err ? strerror(-err) : "ok", ms);

	/* Closing a releases its login and key on the board. */
	close(self->a.fd);
	self->a.fd = -1;
	EXPECT_TRUE(hsm_test_emu_client_gone(0, self->a.client, CLEANUP_MS)) {
		TH_LOG("client 0x%08x still logged in or holding a key after close",
		       self->a.client);
	}
	ASSERT_EQ(0, sign_checked(&self->b, dig, NULL));
}

TEST_F_TIMEOUT(faults, dropped_reply_times_out, 60)
{
	lost_reply(_metadata, self, "drop_next", false);
}

TEST_F_TIMEOUT(faults, reply_for_unknown_handle_is_dropped, 60)
{
	lost_reply(_metadata, self, "wrong_handle_next", true);
}

/*
 * A closed session's clean-up (its PKEY_CLOSE, then always a LOGOUT, sent
 * by a worker after close()) is over once the board has seen one more
 * LOGOUT than @logouts and nothing is in flight: then it cannot take a
 * fault meant for the next request.
 */
static bool cleanup_over(FIXTURE_DATA(faults) *self, unsigned long logouts)
{
	struct hsm_emu_stats st;

	return hsm_test_emu_stats(0, &st) == 0 && st.logout > logouts &&
	       board_stats(self).in_flight == 0;
}

/*
 * One bit flipped somewhere in the reply: whatever it hits, the request
 * ends with a clear errno or a correct result, and nothing else notices.
 */
TEST_F_TIMEOUT(faults, corrupted_replies, 180)
{
	struct hsm_board_stats s0, s1;
	int i, err, timeouts = 0, failed = 0;	/* failed: in transport */
	uint8_t dig[32], rnd[16];
	struct hsm_emu_stats st;
	uint32_t bs;
	struct sess c;

	s0 = board_stats(self);
	for (i = 0; i < 12; i++) {
		/* A fresh session each round: a lost reply may leave the last
		 * one's handle in quarantine. */
		c.fd = hsm_t_open_dev(&self->d);
		ASSERT_GE(c.fd, 0);
		ASSERT_EQ(0, hsm_t_gen_ec(c.fd, CRYPTECH_HSM_CURVE_P256,
					  F_SIGN | CRYPTECH_HSM_KEY_F_PUBLIC, &c.k, NULL));
		memset(dig, 0x80 + i, sizeof(dig));
		ASSERT_EQ(0, hsm_test_board_set(0, "corrupt_next", 1));
		bs = 0;
		/* Alternate a long reply (mostly signature) with a short one
		 * (mostly header and length word). */
		if (i % 2)
			err = hsm_t_random(c.fd, rnd, sizeof(rnd), &bs);
		else
			err = sign_checked(&c, dig, &bs);
		TH_LOG("round %d: %s, board status %u", i, err ? strerror(-err) : "ok", bs);
		/* A flipped bit in the signature itself cannot be seen by the
		 * driver: VERIFY catches it here (EBADE), which is fine. */
		EXPECT_TRUE(err == 0 || err == -EBADE || err == -EPROTO ||
			    err == -ETIMEDOUT || (err < 0 && bs != 0)) {
			TH_LOG("unexpected %s", strerror(-err));
		}
		timeouts += err == -ETIMEDOUT;
		failed += err == -ETIMEDOUT || (err == -EPROTO && !bs);
		/* Nothing else is disturbed. */
		dig[0] ^= 0xff;
		ASSERT_EQ(0, sign_checked(&self->b, dig, NULL));
		ASSERT_EQ(0, hsm_test_emu_stats(0, &st));
		close(c.fd);
		/* The fault armed next round must hit that round's request,
		 * not this session's clean-up (whose lost reply would be a
		 * timeout the count below does not expect). */
		ASSERT_TRUE(hsm_wait_until(cleanup_over(self, st.logout), CLEANUP_MS)) {
			TH_LOG("round %d: the closed session's clean-up never ended", i);
		}
	}
	s1 = board_stats(self);
	EXPECT_EQ(s0.timeouts + timeouts, s1.timeouts);
	EXPECT_GE(s1.errors, s0.errors + failed);
	/* Every reply lost to corruption was a dropped (counted) frame. */
	EXPECT_GE(s1.proto_errors, s0.proto_errors + timeouts);
}

/*
 * A stalled board: the request times out after op_timeout_ms; its handle is
 * quarantined, so the late reply is never delivered to the session's next
 * request (same opcode, other digest: a misdelivery would not verify).
 */
TEST_F_TIMEOUT(faults, stall_timeout_and_quarantine, 60)
{
	struct hsm_board_stats s0, s1;
	uint8_t d1[32], d2[32], d3[32];
	long t0, ms;
	int err;

	memset(d1, 1, 32);
	memset(d2, 2, 32);
	memset(d3, 3, 32);
	s0 = board_stats(self);
	/* The stall runs from when the knob is set; a slow vmctl round trip
	 * eats into it, hence well over op_timeout_ms. */
	ASSERT_EQ(0, hsm_test_board_set(0, "stall_ms", 6000));
	t0 = hsm_test_now_ms();
	ASSERT_EQ(-ETIMEDOUT, sign_checked(&self->a, d1, NULL));
	ms = hsm_test_now_ms() - t0;
	EXPECT_GE(ms, OP_TIMEOUT_MS - 100);
	EXPECT_LT(ms, 3500);
	s1 = board_stats(self);
	EXPECT_EQ(s0.timeouts + 1, s1.timeouts);
	/* Still stalled: the next request must not get d1's late signature. */
	err = sign_checked(&self->a, d2, NULL);
	EXPECT_NE(-EBADE, err);
	TH_LOG("request during quarantine: %s", err ? strerror(-err) : "ok");
	/* Once the late replies are in, the session works again. */
	ASSERT_TRUE(hsm_wait_until((err = sign_checked(&self->a, d3, NULL)) != -EBADE &&
				   err == 0, 15000)) {
		TH_LOG("last: %s", strerror(-err));
	}
	ASSERT_TRUE(hsm_wait_until(board_stats(self).in_flight == 0, HSM_WAIT_MS));
	ASSERT_EQ(0, sign_checked(&self->b, d1, NULL));
}

/* RSA generation has its own, longer timeout (keygen_timeout_ms). */
TEST_F_TIMEOUT(faults, keygen_timeout_and_late_key_closed, 90)
{
	struct hsm_emu_stats st;
	struct hsm_t_key k;
	unsigned int vol0;
	uint8_t rnd[16];
	long t0, ms;
	int err;

	ASSERT_EQ(0, set_param("keygen_timeout_ms", 10000));
	ASSERT_EQ(0, hsm_test_board_set(0, "service_ms.PKEY_GENERATE_RSA", 2500));
	/* Longer than op_timeout_ms, shorter than keygen_timeout_ms: fine. */
	ASSERT_EQ(0, hsm_t_gen_rsa(self->a.fd, 1024, F_SIGN, &k, NULL));
	ASSERT_EQ(0, hsm_t_close(self->a.fd, k.handle, NULL));

	ASSERT_EQ(0, hsm_test_emu_stats(0, &st));
	ASSERT_NE(NULL, hsm_emu_client(&st, self->a.client));
	vol0 = hsm_emu_client(&st, self->a.client)->volatile_keys;
	ASSERT_EQ(0, set_param("keygen_timeout_ms", 1000));
	t0 = hsm_test_now_ms();
	ASSERT_EQ(-ETIMEDOUT, hsm_t_gen_rsa(self->a.fd, 1024, F_SIGN, &k, NULL));
	ms = hsm_test_now_ms() - t0;
	EXPECT_GE(ms, 900);
	EXPECT_LT(ms, 2400);
	/* The session is usable again once the late reply is in (it may
	 * refuse with EBUSY until then)... */
	ASSERT_TRUE(hsm_wait_until((err = hsm_t_random(self->a.fd, rnd, sizeof(rnd), NULL)) == 0,
				   CLEANUP_MS)) {
		TH_LOG("session still failing: %s", strerror(-err));
	}
	/* ...and the key nobody got a handle for is gone again: a holds only
	 * its fixture key's handle and no more volatile keys than before. */
	ASSERT_EQ(0, hsm_test_emu_stats(0, &st));
	ASSERT_NE(NULL, hsm_emu_client(&st, self->a.client));
	EXPECT_EQ(1, hsm_emu_client(&st, self->a.client)->pkey_handles);
	EXPECT_EQ(vol0, hsm_emu_client(&st, self->a.client)->volatile_keys);
	close(self->a.fd);
	self->a.fd = -1;
	ASSERT_TRUE(hsm_test_emu_client_gone(0, self->a.client, CLEANUP_MS));
}

struct inflight {
	struct sess *s;
	int err;
};

static void *sign_thread(void *arg)
{
	struct inflight *f = arg;
	uint8_t dig[32] = { 0x33 };

	f->err = sign_checked(f->s, dig, NULL);
	return NULL;
}

/* The board drops the line with requests in flight: they fail with ENODEV,
 * the board goes away, and comes back attachable (QEMU reconnects). */
TEST_F_TIMEOUT(faults, connection_lost_with_requests_in_flight, 150)
{
	struct inflight f[4];
	struct sess s[4];
	struct hsm_emu_stats st;
	struct hsm_board_desc d;
	pthread_t t[4];
	int i;

	close(self->a.fd);
	close(self->b.fd);
	self->a.fd = self->b.fd = -1;
	/* The requests must still be waiting when the line drops. */
	ASSERT_EQ(0, set_param("op_timeout_ms", hsm_test_scaled_ms(30000)));
	for (i = 0; i < 4; i++) {
		s[i].fd = hsm_t_open_dev(&self->d);
		ASSERT_GE(s[i].fd, 0);
		ASSERT_EQ(0, hsm_t_gen_ec(s[i].fd, CRYPTECH_HSM_CURVE_P256,
					  F_SIGN | CRYPTECH_HSM_KEY_F_PUBLIC, &s[i].k, NULL));
	}
	/*
	 * Long enough that the disconnect surely lands first: a vmctl round
	 * trip can take seconds on a loaded host. The board's workers stay
	 * busy with these requests for that long, so the re-attach below
	 * waits for them. Under the checker kernel on a loaded host 12 s
	 * was seen to pass before the disconnect: scaled.
	 */
	ASSERT_EQ(0, hsm_test_board_set(0, "service_ms.PKEY_SIGN",
					hsm_test_scaled_ms(12000)));
	for (i = 0; i < 4; i++) {
		f[i].s = &s[i];
		f[i].err = 1;
		ASSERT_EQ(0, pthread_create(&t[i], NULL, sign_thread, &f[i]));
	}
	ASSERT_TRUE(hsm_wait_until(hsm_test_emu_stats(0, &st) == 0 && st.busy == 4,
				   HSM_WAIT_MS));
	ASSERT_EQ(0, hsm_test_board_ctl(0, "disconnect", NULL, 0));
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(-ENODEV, f[i].err);
		EXPECT_EQ(-ENODEV, sign_checked(&s[i], s[i].k.uuid, NULL));
		close(s[i].fd);
	}
	ASSERT_TRUE(hsm_wait_until(hsm_test_board_count() == 0, HSM_WAIT_MS));
	ASSERT_EQ(0, hsm_test_board_set(0, "service_ms", 0));
	/* QEMU reconnects: the adapter comes back; attach it again. */
	ASSERT_TRUE(hsm_wait_until(hsm_path_exists("/dev/ttyUSB0"), 20000));
	ASSERT_TRUE(hsm_wait_until(hsm_t_attach(0, &d) == 0,
				   hsm_test_scaled_ms(40000)));
	self->d = d;
	ASSERT_EQ(0, sess_open(self, &self->a));
	ASSERT_EQ(0, sign_checked(&self->a, s[0].k.uuid, NULL));
	/* The attach handshake's LOGOUT_ALL cleared the old logins. */
	ASSERT_EQ(0, hsm_test_emu_stats(0, &st));
	EXPECT_EQ(1, hsm_emu_logged_in(&st));
}

HSM_TEST_HARNESS_MAIN
