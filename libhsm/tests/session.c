// SPDX-License-Identifier: LGPL-2.1-or-later
/* Sessions without a board: missing nodes, bad names, non-HSM files. */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"

#include <hsm/hsm.h>

TEST(missing_device)
{
	struct hsm_session *s = (void *)1;

	EXPECT_EQ(-ENOENT, hsm_open("/dev/hsm2147483647", &s));
	EXPECT_EQ(NULL, s);
	EXPECT_EQ(-ENOENT, hsm_open("hsm2147483646", &s));
	EXPECT_EQ(-ENOENT, hsm_open("/nonexistent/hsm", &s));
}

TEST(bad_arguments)
{
	struct hsm_session *s;

	EXPECT_EQ(-EINVAL, hsm_open("board", &s));
	EXPECT_EQ(-EINVAL, hsm_open(NULL, &s));
	EXPECT_EQ(-EINVAL, hsm_open("0", NULL));
	EXPECT_EQ(-EINVAL, hsm_random(NULL, &s, 1, NULL));
	EXPECT_EQ(-EINVAL, hsm_board_info(NULL, NULL));
	EXPECT_EQ(-EINVAL, hsm_session_fd(NULL));
	hsm_close(NULL);
}

/* /dev/null opens like a device node but knows none of our ioctls. */
TEST(not_an_hsm)
{
	struct hsm_session *s;
	struct hsm_board_info info;
	unsigned char buf[4] = { 1, 2, 3, 4 };
	uint32_t st = 1234;

	ASSERT_EQ(0, hsm_open("/dev/null", &s));
	EXPECT_LE(0, hsm_session_fd(s));
	EXPECT_EQ(-ENOTTY, hsm_random(s, buf, sizeof(buf), &st));
	EXPECT_EQ(0u, st);
	EXPECT_EQ(-ENOTTY, hsm_random(s, buf, 100000, NULL));
	EXPECT_EQ(-ENOTTY, hsm_board_info(s, &info));
	/* Zero bytes need no request at all. */
	st = 99;
	EXPECT_EQ(0, hsm_random(s, buf, 0, &st));
	EXPECT_EQ(0u, st);
	EXPECT_EQ(-EINVAL, hsm_random(s, NULL, 1, NULL));
	EXPECT_EQ(-EINVAL, hsm_board_info(s, NULL));
	hsm_close(s);
}

TEST_HARNESS_MAIN
