// SPDX-License-Identifier: GPL-2.0
/*
 * libhsm from several threads at once (issue 11, point 7): 8 threads, each
 * with its own session on the same board, log in, generate a key, sign
 * and verify in a loop and close. No call may fail, every signature must
 * verify, and once the sessions are closed the emulator (board 0) must
 * hold no more key handles, volatile keys or logins than before.
 */
#include <pthread.h>

#include "kselftest_harness.h"
#include "hsm_ioctl.h"

#define THREADS		8
#define SIGNS		25
#define CLEANUP_MS	20000	/* the driver's asynchronous session clean-up */

struct signer {
	const char *dev;
	int step;		/* what failed: 0 = nothing */
	int err;
	unsigned int signed_ok;
};

static void *sign_loop(void *arg)
{
	struct signer *w = arg;
	struct hsm_session *s = NULL;
	struct hsm_key_info ki;
	uint8_t digest[32], sig[128];
	uint32_t handle, bs;
	size_t siglen;
	int i;

	w->err = hsm_open(w->dev, &s);
	if (w->err) {
		w->step = 1;
		return NULL;
	}
	w->err = hsm_login(s, HSM_USER_NORMAL, HSM_USER_PIN,
			   strlen(HSM_USER_PIN), &bs);
	if (w->err) {
		w->step = 2;
		goto out;
	}
	w->err = hsm_generate_ec(s, HSM_CURVE_P256, HSM_KEY_F_SIGN, &handle,
				 NULL, &bs);
	if (w->err) {
		w->step = 3;
		goto out;
	}
	for (i = 0; i < SIGNS; i++) {
		memset(digest, i, sizeof(digest));
		digest[0] = (uint8_t)(uintptr_t)w;
		siglen = sizeof(sig);
		w->err = hsm_sign(s, handle, digest, sizeof(digest), sig,
				  &siglen, &bs);
		if (w->err) {
			w->step = 4;
			goto out;
		}
		w->err = hsm_verify(s, handle, digest, sizeof(digest), sig,
				    siglen, &bs);
		if (w->err) {
			w->step = 5;
			goto out;
		}
		w->signed_ok++;
	}
	w->err = hsm_key_info(s, handle, &ki, &bs);
	if (w->err)
		w->step = 6;
out:
	hsm_close(s);
	return NULL;
}

/* Nothing of the closed sessions is left on the board. */
static bool board_back_to(const struct hsm_emu_stats *base)
{
	struct hsm_emu_stats st;

	return hsm_test_emu_stats(0, &st) == 0 &&
	       st.pkey_handles_open == base->pkey_handles_open &&
	       st.volatile_keys == base->volatile_keys &&
	       hsm_emu_logged_in(&st) == hsm_emu_logged_in(base);
}

TEST(eight_threads_sign_on_separate_sessions)
{
	struct signer w[THREADS] = { 0 };
	pthread_t t[THREADS];
	struct hsm_board_desc d;
	struct hsm_emu_stats base, st;
	char dev[48];
	int fd, i;

	ASSERT_EQ(0, hsm_t_attach(0, &d));
	fd = hsm_t_open_dev(&d);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, hsm_t_bringup(fd, 0));
	close(fd);
	ASSERT_TRUE(hsm_wait_until(hsm_test_emu_stats(0, &base) == 0 &&
				   hsm_emu_logged_in(&base) == 0, CLEANUP_MS));
	snprintf(dev, sizeof(dev), "/dev/%s", d.dev_name);

	for (i = 0; i < THREADS; i++) {
		w[i].dev = dev;
		ASSERT_EQ(0, pthread_create(&t[i], NULL, sign_loop, &w[i]));
	}
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < THREADS; i++) {
		EXPECT_EQ(0, w[i].err)
			TH_LOG("thread %d failed at step %d: %s", i, w[i].step,
			       strerror(-w[i].err));
		EXPECT_EQ(SIGNS, w[i].signed_ok);
	}
	/* Every session was its own login on the board, at the same time. */
	ASSERT_EQ(0, hsm_test_emu_stats(0, &st));
	EXPECT_GE(st.login - base.login, THREADS);
	EXPECT_GE(st.pkey_sign - base.pkey_sign, THREADS * SIGNS);
	EXPECT_TRUE(hsm_wait_until(board_back_to(&base), CLEANUP_MS))
		TH_LOG("handles %lu (was %lu), volatile keys %lu (was %lu), logins %u (was %u)",
		       st.pkey_handles_open, base.pkey_handles_open,
		       st.volatile_keys, base.volatile_keys,
		       hsm_emu_logged_in(&st), hsm_emu_logged_in(&base));
	hsm_t_detach_all();
}

HSM_TEST_HARNESS_MAIN
