// SPDX-License-Identifier: GPL-2.0
/*
 * A board that sends a bad frame before each good reply
 * (tests/boards/faulty_board.py --mode oversize|garbage|wrong-handle): the bad
 * frame is dropped and counted, the request still succeeds.
 */
#include <pthread.h>

#include "kselftest_harness.h"
#include "hsm_test.h"

/*
 * The board sends a bad frame before each good reply: the bad one is
 * dropped and counted, the request still succeeds, nothing else breaks.
 */
TEST(bad_frames_are_dropped)
{
	struct hsm_board_desc d, now;
	struct hsm_session *s;
	unsigned char buf[32];
	char msg[256];
	int i, err;

	err = hsm_attach(hsm_test_tty(0), &d, msg, sizeof(msg));
	ASSERT_EQ(0, err) {
		TH_LOG("attach: %s (%s)", strerror(-err), msg);
	}
	ASSERT_EQ(0, hsm_open(d.dev_name, &s));
	for (i = 0; i < 20; i++) {
		err = hsm_random(s, buf, sizeof(buf), NULL);
		ASSERT_EQ(0, err) {
			TH_LOG("random #%d: %s", i, strerror(-err));
		}
	}
	hsm_close(s);
	/* The session's clean-up (its LOGOUT) runs after close returns. */
	ASSERT_TRUE(hsm_wait_until(hsm_get_board(d.index, &now, NULL, 0) == 0 &&
				   now.stats.in_flight == 0, HSM_WAIT_MS));
	ASSERT_GE(now.stats.proto_errors, 20);
	ASSERT_EQ(0, now.stats.timeouts);
	ASSERT_EQ(0, hsm_detach(d.index, NULL, 0));
	ASSERT_EQ(0, hsm_test_run("rmmod cryptech_hsm 2>&1", NULL, 0));
}

HSM_TEST_HARNESS_MAIN
