// SPDX-License-Identifier: GPL-2.0
/*
 * Three kselftest tests under HSM_TEST_HARNESS_MAIN (tests/kernel/hsm_test.h),
 * for tests/host/harness_select_test.sh: each prints its name, so the
 * script sees which ran for a given -t / -l.
 */
#include "kselftest_harness.h"
#include "../kernel/hsm_test.h"

TEST(alpha)
{
	printf("# ran alpha\n");
	fflush(stdout);	/* the harness ends a test with _exit() */
	ASSERT_EQ(1, 1);
}

FIXTURE(pair) {
	int x;
};

FIXTURE_SETUP(pair)
{
	self->x = 1;
}

FIXTURE_TEARDOWN(pair)
{
}

TEST_F(pair, beta)
{
	printf("# ran beta\n");
	fflush(stdout);	/* the harness ends a test with _exit() */
	ASSERT_EQ(self->x, 1);
}

TEST_F(pair, gamma)
{
	printf("# ran gamma\n");
	fflush(stdout);	/* the harness ends a test with _exit() */
	ASSERT_EQ(self->x, 1);
}

HSM_TEST_HARNESS_MAIN
