// SPDX-License-Identifier: LGPL-2.1-or-later
/* Status-code names, hsm_strerror(), state names, version formatting. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "kselftest_harness.h"

#include <hsm/hsm.h>

TEST(every_code_has_a_distinct_name)
{
	uint32_t i, j;

	EXPECT_STREQ("HAL_OK", hsm_board_status_name(0));
	for (i = 1; i < HSM_BOARD_STATUS_COUNT; i++) {
		const char *n = hsm_board_status_name(i);

		ASSERT_NE(NULL, n);
		EXPECT_EQ(0, strncmp(n, "HAL_ERROR_", 10)) TH_LOG("%u: %s", i, n);
		EXPECT_EQ(NULL, strstr(n, "unknown")) TH_LOG("%u", i);
		for (j = 1; j < i; j++)
			EXPECT_STRNE(n, hsm_board_status_name(j));
	}
	EXPECT_STREQ("HAL_ERROR_BAD_ARGUMENTS", hsm_board_status_name(1));
	EXPECT_STREQ("HAL_ERROR_PIN_INCORRECT", hsm_board_status_name(24));
	EXPECT_STREQ("HAL_ERROR_NO_CLIENT_SLOTS_AVAILABLE",
		     hsm_board_status_name(25));
	EXPECT_STREQ("HAL_ERROR_NOT_READY", hsm_board_status_name(49));
}

TEST(unknown_codes)
{
	EXPECT_STREQ("unknown status 50", hsm_board_status_name(50));
	EXPECT_STREQ("unknown status 57", hsm_board_status_name(57));
	EXPECT_STREQ("unknown status 4294967295",
		     hsm_board_status_name(0xffffffffu));
	EXPECT_STREQ("unknown board status 57", hsm_strerror(-EIO, 57));
}

TEST(strerror_names_board_status)
{
	uint32_t i;

	EXPECT_STREQ("PIN_INCORRECT: wrong PIN", hsm_strerror(-EACCES, 24));
	EXPECT_STREQ("FORBIDDEN: not permitted, not logged in or usage flag missing",
		     hsm_strerror(-EPERM, 26));
	/* Every description starts with the name minus HAL_ERROR_. */
	for (i = 1; i < HSM_BOARD_STATUS_COUNT; i++) {
		const char *name = hsm_board_status_name(i) + 10;
		const char *d = hsm_strerror(-EIO, i);

		EXPECT_EQ(0, strncmp(d, name, strlen(name))) TH_LOG("%u", i);
		EXPECT_EQ(':', d[strlen(name)]) TH_LOG("%u", i);
		EXPECT_LT(strlen(name) + 3, strlen(d)) TH_LOG("%u", i);
	}
}

TEST(strerror_errno)
{
	EXPECT_STREQ("No such file or directory", hsm_strerror(-ENOENT, 0));
	EXPECT_STREQ("No such file or directory", hsm_strerror(ENOENT, 0));
	EXPECT_STREQ("Connection timed out", hsm_strerror(-ETIMEDOUT, 0));
	EXPECT_STREQ("success", hsm_strerror(0, 0));
	EXPECT_STREQ("unknown error 98765", hsm_strerror(-98765, 0));
	EXPECT_STREQ("unknown error 2147483647",
		     hsm_strerror(-2147483647 - 1, 0));
}

static void *other_thread(void *arg)
{
	(void)arg;
	return (void *)hsm_board_status_name(51);
}

TEST(unknown_names_are_per_thread)
{
	pthread_t t;
	void *other;
	const char *mine = hsm_board_status_name(77);

	ASSERT_EQ(0, pthread_create(&t, NULL, other_thread, NULL));
	ASSERT_EQ(0, pthread_join(t, &other));
	EXPECT_NE(mine, (const char *)other);
	EXPECT_STREQ("unknown status 77", mine);
}

TEST(state_names)
{
	EXPECT_STREQ("probing", hsm_board_state_name(HSM_BOARD_PROBING));
	EXPECT_STREQ("ready", hsm_board_state_name(HSM_BOARD_READY));
	EXPECT_STREQ("gone", hsm_board_state_name(HSM_BOARD_GONE));
	EXPECT_STREQ("unknown", hsm_board_state_name(3));
	EXPECT_STREQ("unknown", hsm_board_state_name(0xffffffffu));
}

TEST(version_format)
{
	char b[16];

	EXPECT_EQ(7, hsm_format_version(0x01010100, b, sizeof(b)));
	EXPECT_STREQ("1.1.1.0", b);
	EXPECT_EQ(15, hsm_format_version(0xffffffff, b, sizeof(b)));
	EXPECT_STREQ("255.255.255.255", b);
	EXPECT_EQ(7, hsm_format_version(0x01010000, b, 4));
	EXPECT_STREQ("1.1", b);
	EXPECT_STREQ(HSM_VERSION_STRING, hsm_version());
}

TEST_HARNESS_MAIN
