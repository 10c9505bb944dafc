// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Request decoding and reply framing (protocol §4, rpc_server.c semantics). */
#include <string.h>

#include "board.h"
#include "rpc.h"

static const struct {
	const char *name;
	rpc_fn fn;
} rpc_table[RPC_FUNC_COUNT] = {
	[RPC_FUNC_GET_VERSION] = { "GET_VERSION", rpc_get_version },
	[RPC_FUNC_GET_RANDOM] = { "GET_RANDOM", rpc_get_random },
	[RPC_FUNC_SET_PIN] = { "SET_PIN", rpc_set_pin },
	[RPC_FUNC_LOGIN] = { "LOGIN", rpc_login },
	[RPC_FUNC_LOGOUT] = { "LOGOUT", rpc_logout },
	[RPC_FUNC_LOGOUT_ALL] = { "LOGOUT_ALL", rpc_logout_all },
	[RPC_FUNC_IS_LOGGED_IN] = { "IS_LOGGED_IN", rpc_is_logged_in },
	[RPC_FUNC_HASH_GET_DIGEST_LEN] = { "HASH_GET_DIGEST_LEN", rpc_hash_get_digest_len },
	[RPC_FUNC_HASH_GET_DIGEST_ALGORITHM_ID] = { "HASH_GET_DIGEST_ALGORITHM_ID",
						     rpc_hash_get_digest_algorithm_id },
	[RPC_FUNC_HASH_GET_ALGORITHM] = { "HASH_GET_ALGORITHM", rpc_hash_get_algorithm },
	[RPC_FUNC_HASH_INITIALIZE] = { "HASH_INITIALIZE", rpc_hash_initialize },
	[RPC_FUNC_HASH_UPDATE] = { "HASH_UPDATE", rpc_hash_update },
	[RPC_FUNC_HASH_FINALIZE] = { "HASH_FINALIZE", rpc_hash_finalize },
	[RPC_FUNC_PKEY_LOAD] = { "PKEY_LOAD", rpc_pkey_load },
	[RPC_FUNC_PKEY_OPEN] = { "PKEY_OPEN", rpc_pkey_open },
	[RPC_FUNC_PKEY_GENERATE_RSA] = { "PKEY_GENERATE_RSA", rpc_pkey_generate_rsa },
	[RPC_FUNC_PKEY_GENERATE_EC] = { "PKEY_GENERATE_EC", rpc_pkey_generate_ec },
	[RPC_FUNC_PKEY_CLOSE] = { "PKEY_CLOSE", rpc_pkey_close },
	[RPC_FUNC_PKEY_DELETE] = { "PKEY_DELETE", rpc_pkey_delete },
	[RPC_FUNC_PKEY_GET_KEY_TYPE] = { "PKEY_GET_KEY_TYPE", rpc_pkey_get_key_type },
	[RPC_FUNC_PKEY_GET_KEY_FLAGS] = { "PKEY_GET_KEY_FLAGS", rpc_pkey_get_key_flags },
	[RPC_FUNC_PKEY_GET_PUBLIC_KEY_LEN] = { "PKEY_GET_PUBLIC_KEY_LEN",
					       rpc_pkey_get_public_key_len },
	[RPC_FUNC_PKEY_GET_PUBLIC_KEY] = { "PKEY_GET_PUBLIC_KEY", rpc_pkey_get_public_key },
	[RPC_FUNC_PKEY_SIGN] = { "PKEY_SIGN", rpc_pkey_sign },
	[RPC_FUNC_PKEY_VERIFY] = { "PKEY_VERIFY", rpc_pkey_verify },
	[RPC_FUNC_PKEY_MATCH] = { "PKEY_MATCH", rpc_pkey_match },
	[RPC_FUNC_PKEY_GET_KEY_CURVE] = { "PKEY_GET_KEY_CURVE", rpc_pkey_get_key_curve },
	[RPC_FUNC_PKEY_SET_ATTRIBUTES] = { "PKEY_SET_ATTRIBUTES", rpc_pkey_set_attributes },
	[RPC_FUNC_PKEY_GET_ATTRIBUTES] = { "PKEY_GET_ATTRIBUTES", rpc_pkey_get_attributes },
	[RPC_FUNC_PKEY_EXPORT] = { "PKEY_EXPORT", rpc_pkey_export },
	[RPC_FUNC_PKEY_IMPORT] = { "PKEY_IMPORT", rpc_pkey_import },
	[RPC_FUNC_PKEY_GENERATE_HASHSIG] = { "PKEY_GENERATE_HASHSIG", rpc_pkey_generate_hashsig },
};

const char *rpc_func_name(uint32_t opcode)
{
	return opcode < RPC_FUNC_COUNT ? rpc_table[opcode].name : NULL;
}

bool rpc_dispatch(struct board *b, const uint8_t *req, size_t len,
		  uint8_t *reply, size_t *reply_len, unsigned int *delay_ms)
{
	struct rpc_ctx ctx = { .board = b };
	uint32_t status;

	*delay_ms = 0;
	/* The firmware cannot read the client handle: nothing is sent (§2.6). */
	if (len < HAL_RPC_REQ_HDR_SIZE)
		return false;
	if (len > HAL_RPC_MAX_PKT_SIZE)
		len = HAL_RPC_MAX_PKT_SIZE;

	ctx.opcode = get_be32(req);
	ctx.client = get_be32(req + 4);
	ctx.in.p = req + 8;
	ctx.in.end = req + len;
	/* results go after the 12-byte header */
	ctx.out.p = reply + HAL_RPC_REPLY_HDR_SIZE;
	ctx.out.end = reply + HAL_RPC_MAX_PKT_SIZE;
	ctx.out.overflow = false;

	if (ctx.opcode >= RPC_FUNC_COUNT) {
		status = HAL_ERROR_RPC_BAD_FUNCTION;
	} else {
		status = rpc_table[ctx.opcode].fn(&ctx);
		if (status == HAL_OK && ctx.out.overflow)
			status = HAL_ERROR_XDR_BUFFER_OVERFLOW;
	}
	board_count_request(b, ctx.opcode, status);

	memcpy(reply, req, 8);
	put_be32(reply + 8, status);
	*reply_len = status == HAL_OK ? (size_t)(ctx.out.p - reply) : HAL_RPC_REPLY_HDR_SIZE;
	*delay_ms = ctx.delay_ms;
	return true;
}
