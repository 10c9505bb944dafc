// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl ABI has the same layout for 32- and 64-bit callers, so the
 * driver needs no compat translation beyond compat_ptr_ioctl(). On i386 a
 * __u64 is 4-byte aligned; the layouts agree when every __u64 member sits
 * at a multiple of 8 and every struct's size is a multiple of 8, which is
 * what this checks, along with the published first-version sizes.
 */
#include <stddef.h>

#include <linux/cryptech_hsm.h>

#include "kselftest_harness.h"

#define U64_AT_8(type, member) \
	ASSERT_EQ(0, offsetof(struct type, member) % 8)
#define SIZE_IS(type, ver0) do {				\
	ASSERT_EQ(ver0, sizeof(struct type));			\
	ASSERT_EQ(0, sizeof(struct type) % 8);			\
	ASSERT_EQ(0, offsetof(struct type, size));		\
	ASSERT_EQ(4, offsetof(struct type, board_status));	\
} while (0)

TEST(sizes_and_headers)
{
	SIZE_IS(cryptech_hsm_random, CRYPTECH_HSM_RANDOM_SIZE_VER0);
	SIZE_IS(cryptech_hsm_board_info, CRYPTECH_HSM_BOARD_INFO_SIZE_VER1);
	ASSERT_EQ(CRYPTECH_HSM_BOARD_INFO_SIZE_VER0,
		  offsetof(struct cryptech_hsm_board_info, board_id_kind));
	SIZE_IS(cryptech_hsm_status, CRYPTECH_HSM_STATUS_SIZE_VER0);
	SIZE_IS(cryptech_hsm_pin, CRYPTECH_HSM_PIN_SIZE_VER0);
	SIZE_IS(cryptech_hsm_login_status, CRYPTECH_HSM_LOGIN_STATUS_SIZE_VER0);
	SIZE_IS(cryptech_hsm_generate, CRYPTECH_HSM_GENERATE_SIZE_VER0);
	SIZE_IS(cryptech_hsm_load, CRYPTECH_HSM_LOAD_SIZE_VER0);
	SIZE_IS(cryptech_hsm_open, CRYPTECH_HSM_OPEN_SIZE_VER0);
	SIZE_IS(cryptech_hsm_key, CRYPTECH_HSM_KEY_SIZE_VER0);
	SIZE_IS(cryptech_hsm_key_info, CRYPTECH_HSM_KEY_INFO_SIZE_VER0);
	SIZE_IS(cryptech_hsm_public_key, CRYPTECH_HSM_PUBLIC_KEY_SIZE_VER0);
	SIZE_IS(cryptech_hsm_sign, CRYPTECH_HSM_SIGN_SIZE_VER0);
	SIZE_IS(cryptech_hsm_match, CRYPTECH_HSM_MATCH_SIZE_VER0);
	SIZE_IS(cryptech_hsm_set_attrs, CRYPTECH_HSM_SET_ATTRS_SIZE_VER0);
	SIZE_IS(cryptech_hsm_get_attrs, CRYPTECH_HSM_GET_ATTRS_SIZE_VER0);
	SIZE_IS(cryptech_hsm_export, CRYPTECH_HSM_EXPORT_SIZE_VER0);
	SIZE_IS(cryptech_hsm_import, CRYPTECH_HSM_IMPORT_SIZE_VER0);
	ASSERT_EQ(8, sizeof(struct cryptech_hsm_key_attr));
}

TEST(pointers_are_8_byte_aligned)
{
	U64_AT_8(cryptech_hsm_random, buf);
	U64_AT_8(cryptech_hsm_pin, pin);
	U64_AT_8(cryptech_hsm_load, der);
	U64_AT_8(cryptech_hsm_public_key, der);
	U64_AT_8(cryptech_hsm_sign, input);
	U64_AT_8(cryptech_hsm_sign, sig);
	U64_AT_8(cryptech_hsm_match, attrs);
	U64_AT_8(cryptech_hsm_match, uuids);
	U64_AT_8(cryptech_hsm_set_attrs, attrs);
	U64_AT_8(cryptech_hsm_get_attrs, types);
	U64_AT_8(cryptech_hsm_get_attrs, buf);
	U64_AT_8(cryptech_hsm_export, pkcs8);
	U64_AT_8(cryptech_hsm_export, kek);
	U64_AT_8(cryptech_hsm_import, pkcs8);
	U64_AT_8(cryptech_hsm_import, kek);
}

/* Commands are told apart by number; the size field never matters. */
TEST(command_numbers_are_distinct)
{
	const unsigned int cmds[] = {
		CRYPTECH_HSM_IOC_RANDOM, CRYPTECH_HSM_IOC_BOARD_INFO,
		CRYPTECH_HSM_IOC_LOGIN, CRYPTECH_HSM_IOC_LOGOUT,
		CRYPTECH_HSM_IOC_SET_PIN, CRYPTECH_HSM_IOC_LOGIN_STATUS,
		CRYPTECH_HSM_IOC_GENERATE, CRYPTECH_HSM_IOC_LOAD,
		CRYPTECH_HSM_IOC_OPEN, CRYPTECH_HSM_IOC_CLOSE,
		CRYPTECH_HSM_IOC_DELETE, CRYPTECH_HSM_IOC_KEY_INFO,
		CRYPTECH_HSM_IOC_PUBLIC_KEY, CRYPTECH_HSM_IOC_SIGN,
		CRYPTECH_HSM_IOC_VERIFY, CRYPTECH_HSM_IOC_MATCH,
		CRYPTECH_HSM_IOC_SET_ATTRS, CRYPTECH_HSM_IOC_GET_ATTRS,
		CRYPTECH_HSM_IOC_EXPORT, CRYPTECH_HSM_IOC_IMPORT,
	};
	size_t i, j;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		ASSERT_EQ(CRYPTECH_HSM_IOC_MAGIC, _IOC_TYPE(cmds[i]));
		ASSERT_EQ(_IOC_READ | _IOC_WRITE, _IOC_DIR(cmds[i]));
		for (j = 0; j < i; j++)
			ASSERT_NE(_IOC_NR(cmds[i]), _IOC_NR(cmds[j]));
	}
}

TEST_HARNESS_MAIN
