// SPDX-License-Identifier: GPL-2.0
/*
 * A board whose replies are cut short (tests/boards/faulty_board.py --mode
 * truncated: the header and status are fine, the results stop early): the
 * request fails with EPROTO instead of returning short data, the event is
 * counted, and the session and board stay usable.
 */
#include "kselftest_harness.h"
#include "hsm_test.h"

TEST(truncated_results_fail_with_eproto)
{
	struct hsm_board_desc d, now;
	struct hsm_board_info info;
	struct hsm_session *s;
	unsigned char buf[64];
	char msg[256];
	int i, err;

	err = hsm_attach(hsm_test_tty(0), &d, msg, sizeof(msg));
	ASSERT_EQ(0, err) {
		TH_LOG("attach: %s (%s)", strerror(-err), msg);
	}
	ASSERT_EQ(0, hsm_open(d.dev_name, &s));
	for (i = 0; i < 5; i++)
		ASSERT_EQ(-EPROTO, hsm_random(s, buf, sizeof(buf), NULL));
	/* The session is not wedged: other requests still work. */
	ASSERT_EQ(0, hsm_board_info(s, &info));
	ASSERT_EQ(0, hsm_get_board(d.index, &now, NULL, 0));
	ASSERT_GE(now.stats.proto_errors, 5);
	ASSERT_GE(now.stats.errors, 5);
	ASSERT_EQ(0, now.stats.timeouts);
	hsm_close(s);
	ASSERT_EQ(0, hsm_detach(d.index, NULL, 0));
	ASSERT_EQ(0, hsm_test_run("rmmod cryptech_hsm 2>&1", NULL, 0));
}

HSM_TEST_HARNESS_MAIN
