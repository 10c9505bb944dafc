// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Names and descriptions of the board's status codes (hal_error_t,
 * Documentation/protocol/cryptech-rpc.md §6.1) and of errno values.
 *
 * Everything returned is a static string, except for codes this table does
 * not know, which are formatted into a thread-local buffer so concurrent
 * callers never share one.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <hsm/hsm.h>

/* code, short name, meaning: one list feeds both tables so they agree. */
#define HSM_STATUS_LIST(X)						\
	X(0, OK, "success")						\
	X(1, BAD_ARGUMENTS, "invalid argument value")			\
	X(2, UNSUPPORTED_KEY, "key type, size, curve or exponent not supported") \
	X(3, IO_SETUP_FAILED, "FPGA bus could not be set up")		\
	X(4, IO_TIMEOUT, "FPGA access timed out")			\
	X(5, IO_UNEXPECTED, "FPGA returned something unexpected")	\
	X(6, IO_OS_ERROR, "operating-system error on FPGA access")	\
	X(7, IO_BAD_COUNT, "wrong byte count in FPGA access")		\
	X(8, CSPRNG_BROKEN, "random generator output failed checks")	\
	X(9, KEYWRAP_BAD_MAGIC, "AES key unwrap: integrity value wrong") \
	X(10, KEYWRAP_BAD_LENGTH, "AES key unwrap: length out of range") \
	X(11, KEYWRAP_BAD_PADDING, "AES key unwrap: non-zero padding")	\
	X(12, IMPOSSIBLE, "internal inconsistency")			\
	X(13, ALLOCATION_FAILURE, "out of state blocks or memory")	\
	X(14, RESULT_TOO_LONG, "output does not fit the given maximum")	\
	X(15, ASN1_PARSE_FAILED, "DER could not be parsed")		\
	X(16, KEY_NOT_ON_CURVE, "EC point not on its curve")		\
	X(17, INVALID_SIGNATURE, "signature does not verify")		\
	X(18, CORE_NOT_FOUND, "FPGA core missing (FPGA not loaded?)")	\
	X(19, CORE_BUSY, "FPGA core busy")				\
	X(20, KEYSTORE_ACCESS, "flash keystore I/O failed")		\
	X(21, KEY_NOT_FOUND, "no such key or handle")			\
	X(22, KEY_NAME_IN_USE, "key UUID already in use")		\
	X(23, NO_KEY_SLOTS_AVAILABLE, "all key handle slots in use")	\
	X(24, PIN_INCORRECT, "wrong PIN")				\
	X(25, NO_CLIENT_SLOTS_AVAILABLE, "login table full")		\
	X(26, FORBIDDEN, "not permitted, not logged in or usage flag missing") \
	X(27, XDR_BUFFER_OVERFLOW, "request truncated or reply too large") \
	X(28, RPC_TRANSPORT, "transport failure")			\
	X(29, RPC_PACKET_OVERFLOW, "requested size exceeds packet capacity") \
	X(30, RPC_BAD_FUNCTION, "unknown request")			\
	X(31, KEY_NAME_TOO_LONG, "key UUID is not 16 bytes")		\
	X(32, MASTERKEY_NOT_SET, "no master key set")			\
	X(33, MASTERKEY_FAIL, "master key memory failure")		\
	X(34, MASTERKEY_BAD_LENGTH, "master key of wrong length")	\
	X(35, KS_DRIVER_NOT_FOUND, "keystore driver missing")		\
	X(36, KEYSTORE_BAD_CRC, "keystore block CRC wrong")		\
	X(37, KEYSTORE_BAD_BLOCK_TYPE, "unknown keystore block type")	\
	X(38, KEYSTORE_LOST_DATA, "keystore lost data")			\
	X(39, BAD_ATTRIBUTE_LENGTH, "stored attribute list corrupt")	\
	X(40, ATTRIBUTE_NOT_FOUND, "requested attribute absent")	\
	X(41, NO_KEY_INDEX_SLOTS, "keystore full")			\
	X(42, KS_INDEX_UUID_MISORDERED, "keystore index corrupt")	\
	X(43, KEYSTORE_WRONG_BLOCK_TYPE, "block is not a key block")	\
	X(44, RPC_PROTOCOL_ERROR, "reply inconsistent with request")	\
	X(45, NOT_IMPLEMENTED, "not implemented")			\
	X(46, CORE_REASSIGNED, "FPGA core was reassigned")		\
	X(47, ASSERTION_FAILED, "internal assertion failed")		\
	X(48, HASHSIG_KEY_EXHAUSTED, "hash-sig key has no signatures left") \
	X(49, NOT_READY, "not ready (hash-sig restart in progress)")

/* HAL_OK is not called HAL_ERROR_OK: special-cased below. */
#define HSM_NAME(code, name, text) [code] = "HAL_ERROR_" #name,
#define HSM_DESC(code, name, text) [code] = #name ": " text,

static const char *const status_names[HSM_BOARD_STATUS_COUNT] = {
	HSM_STATUS_LIST(HSM_NAME)
};

static const char *const status_descs[HSM_BOARD_STATUS_COUNT] = {
	HSM_STATUS_LIST(HSM_DESC)
};

_Static_assert(sizeof(status_names) / sizeof(status_names[0]) ==
	       HSM_BOARD_STATUS_COUNT, "status table size");

static _Thread_local char unknown_buf[64];

const char *hsm_board_status_name(uint32_t status)
{
	if (status == 0)
		return "HAL_OK";
	if (status < HSM_BOARD_STATUS_COUNT)
		return status_names[status];
	snprintf(unknown_buf, sizeof(unknown_buf), "unknown status %u", status);
	return unknown_buf;
}

const char *hsm_strerror(int err, uint32_t board_status)
{
	const char *s;

	if (board_status != 0) {
		if (board_status < HSM_BOARD_STATUS_COUNT)
			return status_descs[board_status];
		snprintf(unknown_buf, sizeof(unknown_buf),
			 "unknown board status %u", board_status);
		return unknown_buf;
	}
	if (err == 0)
		return "success";
	if (err == -2147483647 - 1)	/* -INT_MIN overflows */
		err = 0x7fffffff;
	/* strerrordesc_np() returns static strings: unlike strerror() it is
	 * thread-safe for every value. */
	s = strerrordesc_np(err < 0 ? -err : err);
	if (s)
		return s;
	snprintf(unknown_buf, sizeof(unknown_buf), "unknown error %d",
		 err < 0 ? -err : err);
	return unknown_buf;
}

const char *hsm_board_state_name(uint32_t state)
{
	switch (state) {
	case HSM_BOARD_PROBING:
		return "probing";
	case HSM_BOARD_READY:
		return "ready";
	case HSM_BOARD_GONE:
		return "gone";
	default:
		return "unknown";
	}
}
