// SPDX-License-Identifier: LGPL-2.1-or-later
/* Device names accepted by hsm_parse_device() and hsm_open(). */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"

#include <hsm/hsm.h>
#include "internal.h"

TEST(accepted_forms)
{
	uint32_t i = 99;

	ASSERT_EQ(0, hsm_parse_device("/dev/hsm0", &i));
	ASSERT_EQ(0u, i);
	ASSERT_EQ(0, hsm_parse_device("hsm12", &i));
	ASSERT_EQ(12u, i);
	ASSERT_EQ(0, hsm_parse_device("7", &i));
	ASSERT_EQ(7u, i);
	ASSERT_EQ(0, hsm_parse_device("2147483647", &i));
	ASSERT_EQ(2147483647u, i);
}

TEST(rejected_forms)
{
	static const char *const bad[] = {
		"", "hsm", "/dev/hsm", "-1", "+1", "01", "hsm01", " 1", "1 ",
		"1a", "hsmx", "/dev/5", "/dev/hsm0/", "dev/hsm0", "HSM0",
		"2147483648", "99999999999999999999", "tpm0", "/dev/tty0",
	};
	uint32_t i = 42;
	size_t k;

	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		EXPECT_EQ(-EINVAL, hsm_parse_device(bad[k], &i))
			TH_LOG("accepted \"%s\"", bad[k]);
	}
	EXPECT_EQ(42u, i);
	EXPECT_EQ(-EINVAL, hsm_parse_device(NULL, &i));
	EXPECT_EQ(-EINVAL, hsm_parse_device("0", NULL));
}

TEST(node_paths)
{
	char p[64];

	ASSERT_EQ(0, hsm_session_path("3", p, sizeof(p)));
	EXPECT_STREQ("/dev/hsm3", p);
	ASSERT_EQ(0, hsm_session_path("hsm3", p, sizeof(p)));
	EXPECT_STREQ("/dev/hsm3", p);
	ASSERT_EQ(0, hsm_session_path("/dev/hsm3", p, sizeof(p)));
	EXPECT_STREQ("/dev/hsm3", p);
	/* Any other path (udev symlinks) is used as is. */
	ASSERT_EQ(0, hsm_session_path("/dev/cryptech/board-a", p, sizeof(p)));
	EXPECT_STREQ("/dev/cryptech/board-a", p);
	EXPECT_EQ(-EINVAL, hsm_session_path("board-a", p, sizeof(p)));
	EXPECT_EQ(-ENAMETOOLONG, hsm_session_path("/dev/hsm1234", p, 8));
}

TEST_HARNESS_MAIN
