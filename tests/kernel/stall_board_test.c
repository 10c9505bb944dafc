// SPDX-License-Identifier: GPL-2.0
/*
 * Unplug while a request waits for a board that stopped answering
 * (tests/boards/faulty_board.py --mode stall): the waiter gets ENODEV.
 */
#include <pthread.h>

#include "kselftest_harness.h"
#include "hsm_test.h"

struct pending_random {
	struct hsm_session *s;
	int err;
};

static void *random_once(void *arg)
{
	struct pending_random *p = arg;
	unsigned char buf[32];

	p->err = hsm_random(p->s, buf, sizeof(buf), NULL);
	return NULL;
}

/* Unplug while GET_RANDOM waits for a board that stopped answering. */
TEST(unplug_with_request_in_flight)
{
	struct pending_random p = { .err = 1 };
	struct hsm_board_desc d, now;
	pthread_t t;
	char msg[256], rng[32], cur[64] = "";
	int err;
	unsigned int base = 0;
	FILE *f;

	err = hsm_attach(hsm_test_tty(0), &d, msg, sizeof(msg));
	ASSERT_EQ(0, err) {
		TH_LOG("attach: %s (%s)", strerror(-err), msg);
	}
	ASSERT_EQ(0, hsm_open(d.dev_name, &p.s));
	/*
	 * While the board's hwrng is the kernel's current one, the kernel's
	 * hwrng thread asks it for bytes at once, and that request stalls
	 * too: wait for it first.
	 */
	snprintf(rng, sizeof(rng), "cryptech-%u\n", d.index);
	f = fopen("/sys/class/misc/hw_random/rng_current", "r");
	ASSERT_NE(NULL, f);
	if (fgets(cur, sizeof(cur), f) && !strcmp(cur, rng))
		base = 1;
	fclose(f);
	ASSERT_TRUE(hsm_wait_until(hsm_get_board(d.index, &now, NULL, 0) == 0 &&
				   now.stats.in_flight == base, HSM_WAIT_MS));
	ASSERT_EQ(0, pthread_create(&t, NULL, random_once, &p));
	ASSERT_TRUE(hsm_wait_until(hsm_get_board(d.index, &now, NULL, 0) == 0 &&
				   now.stats.in_flight == base + 1, HSM_WAIT_MS));

	ASSERT_EQ(0, hsm_test_run("tests/vm/vmctl unplug 0", NULL, 0));
	pthread_join(t, NULL);
	ASSERT_EQ(-ENODEV, p.err);
	hsm_close(p.s);
	ASSERT_EQ(0, hsm_test_board_count());
	ASSERT_EQ(0, hsm_test_run("rmmod cryptech_hsm 2>&1", NULL, 0));
}

HSM_TEST_HARNESS_MAIN
