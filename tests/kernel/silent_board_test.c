// SPDX-License-Identifier: GPL-2.0
/*
 * Attach to a tty whose far end never answers (tests/boards/silent_board.py):
 * the handshake times out with a clear error and the tty is released.
 */
#include <pthread.h>

#include "kselftest_harness.h"
#include "hsm_test.h"
#include "hsm_hooks.h"

TEST(silent_board_attach_times_out)
{
	char msg[512];
	long t0, took, old_ms, timeout_ms;
	int err;

	/*
	 * The board never answers, so the kernel's speed does not matter:
	 * the module's default, whatever the run set (check-debug sets 10 s
	 * for its slow handshakes; three of those would outlast the
	 * harness's 30 s per test).
	 */
	old_ms = hsm_param_get("handshake_timeout_ms");
	ASSERT_GT(old_ms, 0);
	ASSERT_EQ(0, hsm_param_set("handshake_timeout_ms", 2000));
	/* read back: the value the module really uses */
	timeout_ms = hsm_param_get("handshake_timeout_ms");
	ASSERT_EQ(2000, timeout_ms);
	t0 = hsm_test_now_ms();
	err = hsm_attach(hsm_test_tty(0), NULL, msg, sizeof(msg));
	took = hsm_test_now_ms() - t0;
	ASSERT_EQ(-ETIMEDOUT, err);
	ASSERT_NE(NULL, strstr(msg, "GET_VERSION")) {
		TH_LOG("message: %s", msg);
	}
	ASSERT_GE(took, timeout_ms);
	ASSERT_LT(took, 3 * timeout_ms + 2000);
	ASSERT_EQ(0, hsm_test_board_count());
	ASSERT_FALSE(hsm_path_exists("/dev/hsm0"));

	/* The tty was released: a second try fails the same way, not EBUSY. */
	ASSERT_EQ(-ETIMEDOUT, hsm_attach(hsm_test_tty(0), NULL, msg, sizeof(msg)));

	/* The CLI says why, with the documented timeout exit code. */
	ASSERT_NE(0, hsm_test_run("hsmctl/hsmctl attach /dev/ttyUSB0 2>&1",
				  msg, sizeof(msg)));
	ASSERT_NE(NULL, strstr(msg, "GET_VERSION")) {
		TH_LOG("hsmctl said: %s", msg);
	}
	ASSERT_EQ(0, hsm_param_set("handshake_timeout_ms", old_ms));
}

HSM_TEST_HARNESS_MAIN
