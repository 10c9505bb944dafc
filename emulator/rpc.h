/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The RPC dispatcher (protocol §4, §5) and the context handed to each function. */
#ifndef EMU_RPC_H
#define EMU_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../driver/protocol.h"
#include "xdr.h"

struct board;

struct rpc_ctx {
	struct board *board;
	uint32_t opcode;
	uint32_t client;
	struct xdr_in in;
	struct xdr_out out;
	unsigned int delay_ms;	/* sleep before replying (bad PIN), without locks */
};

typedef uint32_t (*rpc_fn)(struct rpc_ctx *ctx);

/*
 * Handle one decoded request. Returns false when no reply is due (packet of
 * fewer than 8 bytes); else the reply is in reply[0..*reply_len), which must
 * hold HAL_RPC_MAX_PKT_SIZE bytes. *delay_ms is a delay the caller must apply
 * before sending (the bad-PIN sleep) without holding board locks.
 */
bool rpc_dispatch(struct board *b, const uint8_t *req, size_t len,
		  uint8_t *reply, size_t *reply_len, unsigned int *delay_ms);

/* Function name for logs and counters ("GET_VERSION"...), NULL if unknown. */
const char *rpc_func_name(uint32_t opcode);

/* Function bodies, one file per family. */
uint32_t rpc_get_version(struct rpc_ctx *ctx);
uint32_t rpc_get_random(struct rpc_ctx *ctx);
uint32_t rpc_set_pin(struct rpc_ctx *ctx);
uint32_t rpc_login(struct rpc_ctx *ctx);
uint32_t rpc_logout(struct rpc_ctx *ctx);
uint32_t rpc_logout_all(struct rpc_ctx *ctx);
uint32_t rpc_is_logged_in(struct rpc_ctx *ctx);
uint32_t rpc_hash_get_digest_len(struct rpc_ctx *ctx);
uint32_t rpc_hash_get_digest_algorithm_id(struct rpc_ctx *ctx);
uint32_t rpc_hash_get_algorithm(struct rpc_ctx *ctx);
uint32_t rpc_hash_initialize(struct rpc_ctx *ctx);
uint32_t rpc_hash_update(struct rpc_ctx *ctx);
uint32_t rpc_hash_finalize(struct rpc_ctx *ctx);
uint32_t rpc_pkey_load(struct rpc_ctx *ctx);
uint32_t rpc_pkey_open(struct rpc_ctx *ctx);
uint32_t rpc_pkey_generate_rsa(struct rpc_ctx *ctx);
uint32_t rpc_pkey_generate_ec(struct rpc_ctx *ctx);
uint32_t rpc_pkey_close(struct rpc_ctx *ctx);
uint32_t rpc_pkey_delete(struct rpc_ctx *ctx);
uint32_t rpc_pkey_get_key_type(struct rpc_ctx *ctx);
uint32_t rpc_pkey_get_key_flags(struct rpc_ctx *ctx);
uint32_t rpc_pkey_get_public_key_len(struct rpc_ctx *ctx);
uint32_t rpc_pkey_get_public_key(struct rpc_ctx *ctx);
uint32_t rpc_pkey_sign(struct rpc_ctx *ctx);
uint32_t rpc_pkey_verify(struct rpc_ctx *ctx);
uint32_t rpc_pkey_match(struct rpc_ctx *ctx);
uint32_t rpc_pkey_get_key_curve(struct rpc_ctx *ctx);
uint32_t rpc_pkey_set_attributes(struct rpc_ctx *ctx);
uint32_t rpc_pkey_get_attributes(struct rpc_ctx *ctx);
uint32_t rpc_pkey_export(struct rpc_ctx *ctx);
uint32_t rpc_pkey_import(struct rpc_ctx *ctx);
uint32_t rpc_pkey_generate_hashsig(struct rpc_ctx *ctx);

#endif
