// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The board identity: token labels and serials derived from a board_id,
 * finding a board by any of its names, and the PKCS#11 value
 * encoders of <hsm/p11attr.h>.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kselftest_harness.h"

#include <hsm/hsm.h>
#include <hsm/p11attr.h>

#include "internal.h"

TEST(token_label_short_ids)
{
	char b[HSM_TOKEN_LABEL_LEN];

	ASSERT_EQ(0, hsm_token_label("EMU00000", b, sizeof(b)));
	EXPECT_STREQ("cryptech-EMU00000", b);
	ASSERT_EQ(0, hsm_token_label("usb-1-1.2", b, sizeof(b)));
	EXPECT_STREQ("cryptech-usb-1-1.2", b);
	/* Everything outside [A-Za-z0-9._-] becomes '-'. */
	ASSERT_EQ(0, hsm_token_label("a b/c:d~e%f;g\x7f", b, sizeof(b)));
	EXPECT_STREQ("cryptech-a-b-c-d-e-f-g-", b);
	/* 23 bytes: exactly 32, kept whole. */
	ASSERT_EQ(0, hsm_token_label("abcdefghijklmnopqrstuvw", b, sizeof(b)));
	EXPECT_STREQ("cryptech-abcdefghijklmnopqrstuvw", b);
	EXPECT_EQ(32u, strlen(b));
}

TEST(token_label_long_ids_are_hashed)
{
	char b[HSM_TOKEN_LABEL_LEN];

	/* 24 bytes: one too many, so 14 bytes and the hash of the raw id. */
	ASSERT_EQ(0, hsm_token_label("abcdefghijklmnopqrstuvwx", b, sizeof(b)));
	EXPECT_STREQ("cryptech-abcdefghijklmn-93b0cabf", b);
	ASSERT_EQ(0, hsm_token_label("usb-1-1.2:with/odd chars and a long tail",
				     b, sizeof(b)));
	EXPECT_STREQ("cryptech-usb-1-1.2-with-bff632ef", b);
	EXPECT_EQ(32u, strlen(b));
}

TEST(token_label_needs_no_percent_encoding)
{
	char id[64], b[HSM_TOKEN_LABEL_LEN];
	const char *p;
	int c;

	/* Every printable byte, a few at a time. */
	for (c = 0x21; c < 0x7f; c += 5) {
		snprintf(id, sizeof(id), "x%c%c%c%c%cy", c, c + 1, c + 2, c + 3,
			 c + 4 < 0x7f ? c + 4 : 'z');
		ASSERT_EQ(0, hsm_token_label(id, b, sizeof(b)));
		for (p = b; *p; p++)
			EXPECT_NE(NULL, strchr("abcdefghijklmnopqrstuvwxyz"
					       "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					       "0123456789._-", *p))
				TH_LOG("label %s of id %s", b, id);
	}
}

TEST(token_label_errors)
{
	char b[64];

	EXPECT_EQ(-EINVAL, hsm_token_label("", b, sizeof(b)));
	EXPECT_EQ(-EINVAL, hsm_token_label(NULL, b, sizeof(b)));
	/* Too small even when this id's label would fit. */
	EXPECT_EQ(-ENOSPC, hsm_token_label("A", b, 32));
	EXPECT_EQ(0, hsm_token_label("A", b, 33));
}

TEST(token_serial)
{
	char b[HSM_TOKEN_SERIAL_LEN];

	ASSERT_EQ(0, hsm_token_serial("EMU00000", b, sizeof(b)));
	EXPECT_STREQ("EMU00000", b);
	ASSERT_EQ(0, hsm_token_serial("0123456789abcdef", b, sizeof(b)));
	EXPECT_STREQ("0123456789abcdef", b);
	ASSERT_EQ(0, hsm_token_serial("abcdefghijklmnopqrstuvwx", b, sizeof(b)));
	EXPECT_STREQ("abcdefg-93b0cabf", b);
	ASSERT_EQ(0, hsm_token_serial("a b", b, sizeof(b)));
	EXPECT_STREQ("a-b", b);
	EXPECT_EQ(-ENOSPC, hsm_token_serial("A", b, 16));
	EXPECT_EQ(-EINVAL, hsm_token_serial("", b, sizeof(b)));
}

static const struct hsm_board_desc boards[] = {
	{ .index = 0, .board_id = "EMU00000", .board_id_kind = 1 },
	{ .index = 2, .board_id = "" },		/* an older kernel's */
	{ .index = 5, .board_id = "abcdefghijklmnopqrstuvwx", .board_id_kind = 1 },
	{ .index = 7, .board_id = "twin" },
	{ .index = 8, .board_id = "twin" },
};
#define NB (sizeof(boards) / sizeof(boards[0]))

TEST(find_by_any_name)
{
	uint32_t i = 99;

	EXPECT_EQ(0, hsm_board_match(boards, NB, "hsm2", &i));
	EXPECT_EQ(2u, i);
	EXPECT_EQ(0, hsm_board_match(boards, NB, "/dev/hsm5", &i));
	EXPECT_EQ(5u, i);
	EXPECT_EQ(0, hsm_board_match(boards, NB, "0", &i));
	EXPECT_EQ(0u, i);
	i = 99;
	EXPECT_EQ(0, hsm_board_match(boards, NB, "EMU00000", &i));
	EXPECT_EQ(0u, i);
	EXPECT_EQ(0, hsm_board_match(boards, NB, "cryptech-abcdefghijklmn-93b0cabf", &i));
	EXPECT_EQ(5u, i);
	EXPECT_EQ(0, hsm_board_match(boards, NB, "abcdefghijklmnopqrstuvwx", &i));
	EXPECT_EQ(5u, i);
}

TEST(find_failures)
{
	uint32_t i = 99;

	EXPECT_EQ(-ENODEV, hsm_board_match(boards, NB, "hsm3", &i));
	EXPECT_EQ(-ENODEV, hsm_board_match(boards, NB, "EMU00001", &i));
	EXPECT_EQ(-ENODEV, hsm_board_match(boards, NB, "cryptech-EMU00001", &i));
	/* A board without an identity is found by its index only. */
	EXPECT_EQ(-ENODEV, hsm_board_match(boards, NB, "cryptech-", &i));
	EXPECT_EQ(-ENOTUNIQ, hsm_board_match(boards, NB, "twin", &i));
	EXPECT_EQ(-EINVAL, hsm_board_match(boards, NB, "", &i));
	EXPECT_EQ(-EINVAL, hsm_board_match(boards, NB, NULL, &i));
	EXPECT_EQ(-EINVAL, hsm_board_match(boards, NB, "EMU 0", &i));
	EXPECT_EQ(-EINVAL, hsm_board_match(boards, NB, "EMU\n", &i));
	EXPECT_EQ(-EINVAL, hsm_board_match(boards, NB, "/dev/null", &i));
	EXPECT_EQ(-EINVAL, hsm_board_match(boards, NB, "usb/1", &i));
	EXPECT_EQ(-EINVAL, hsm_board_match(boards, NB,
		"0123456789012345678901234567890123456789012345678901234567890123", &i));
	EXPECT_EQ(99u, i);
	/* Bad syntax is refused before netlink is asked. */
	EXPECT_EQ(-EINVAL, hsm_find_board("bad name", &i));
}

TEST(p11_values)
{
	unsigned char u[HSM_P11_ULONG_LEN], b[1];
	uint64_t v;
	int t;

	hsm_p11_put_ulong(u, HSM_CKO_PRIVATE_KEY);
	EXPECT_EQ(0, memcmp(u, "\x03\0\0\0\0\0\0\0", 8));
	hsm_p11_put_ulong(u, 0x0102030405060708ull);
	EXPECT_EQ(0, memcmp(u, "\x08\x07\x06\x05\x04\x03\x02\x01", 8));
	ASSERT_EQ(0, hsm_p11_get_ulong(u, 8, &v));
	EXPECT_EQ(0x0102030405060708ull, v);
	EXPECT_EQ(-EINVAL, hsm_p11_get_ulong(u, 4, &v));
	hsm_p11_put_bbool(b, 7);
	EXPECT_EQ(1, b[0]);
	ASSERT_EQ(0, hsm_p11_get_bbool(b, 1, &t));
	EXPECT_EQ(1, t);
	b[0] = 2;
	EXPECT_EQ(-EINVAL, hsm_p11_get_bbool(b, 1, &t));
	EXPECT_EQ(-EINVAL, hsm_p11_get_bbool(b, 0, &t));
	EXPECT_EQ(0x003u, HSM_CKA_LABEL);
	EXPECT_EQ(0x102u, HSM_CKA_ID);
}

TEST_HARNESS_MAIN
