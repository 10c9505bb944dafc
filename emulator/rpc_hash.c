// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Hash and HMAC RPCs (protocol §5.4). */
#include <string.h>

#include <openssl/core_names.h>

#include "board.h"
#include "hash.h"
#include "rpc.h"

#define GET(x) do { int e_ = xdr_get_u32(&ctx->in, &(x)); if (e_) return e_; } while (0)

uint32_t rpc_hash_get_digest_len(struct rpc_ctx *ctx)
{
	const struct digest_info *di;
	uint32_t alg;

	GET(alg);
	di = digest_lookup(alg);
	if (!di)
		return HAL_ERROR_BAD_ARGUMENTS;
	xdr_put_u32(&ctx->out, di->len);
	return HAL_OK;
}

uint32_t rpc_hash_get_digest_algorithm_id(struct rpc_ctx *ctx)
{
	const struct digest_info *di;
	uint32_t alg, len_max;

	GET(alg);
	GET(len_max);
	if (len_max > HAL_RPC_MAX_OPAQUE_RESULT)
		return HAL_ERROR_RPC_PACKET_OVERFLOW;
	di = digest_lookup(alg);
	if (!di)
		return HAL_ERROR_BAD_ARGUMENTS;
	/* later firmware: len_max 0 asks for the length alone (appendix A) */
	if (len_max == 0 && atomic_load(&ctx->board->firmware) >= EMU_FIRMWARE_2019) {
		xdr_put_u32(&ctx->out, di->alg_id_len);
		return HAL_OK;
	}
	if (len_max < di->alg_id_len)
		return HAL_ERROR_RESULT_TOO_LONG;
	xdr_put_opaque(&ctx->out, di->alg_id, di->alg_id_len);
	return HAL_OK;
}

uint32_t rpc_hash_get_algorithm(struct rpc_ctx *ctx)
{
	struct hash_slot *s;
	uint32_t handle, alg = 0;

	GET(handle);
	pthread_mutex_lock(&ctx->board->lock);
	s = hash_find(ctx->board, handle);
	if (s)
		alg = s->alg;
	pthread_mutex_unlock(&ctx->board->lock);
	if (!s)
		return HAL_ERROR_BAD_ARGUMENTS;
	xdr_put_u32(&ctx->out, alg);
	return HAL_OK;
}

static int start_context(struct hash_slot *s, const struct digest_info *di,
			 const uint8_t *key, uint32_t klen)
{
	if (klen) {
		EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
		OSSL_PARAM params[] = {
			OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
							 (char *)di->ossl_name, 0),
			OSSL_PARAM_construct_end(),
		};
		int ok;

		if (!mac)
			return -1;
		s->mac = EVP_MAC_CTX_new(mac);
		EVP_MAC_free(mac);
		ok = s->mac && EVP_MAC_init(s->mac, key, klen, params) == 1;
		return ok ? 0 : -1;
	}
	s->md = EVP_MD_CTX_new();
	if (!s->md)
		return -1;
	return EVP_DigestInit_ex(s->md, EVP_get_digestbyname(di->ossl_name), NULL) == 1 ? 0 : -1;
}

uint32_t rpc_hash_initialize(struct rpc_ctx *ctx)
{
	struct board *b = ctx->board;
	const struct digest_info *di;
	uint32_t session, alg, klen, status = HAL_OK, nslots;
	const uint8_t *key;
	struct hash_slot *slots, *s = NULL;
	int err;

	GET(session);
	GET(alg);
	err = xdr_get_opaque(&ctx->in, &key, &klen);
	if (err)
		return err;
	di = digest_lookup(alg);
	if (!di)
		return HAL_ERROR_BAD_ARGUMENTS;

	slots = klen ? b->hmac_slots : b->hash_slots;
	nslots = klen ? HAL_MAX_HMAC_HANDLES : HAL_MAX_HASH_HANDLES;
	pthread_mutex_lock(&b->lock);
	for (uint32_t i = 0; i < nslots; i++) {
		if (!slots[i].handle) {
			s = &slots[i];
			break;
		}
	}
	/* the counter runs 1..0x7FFF and advances on every allocation attempt */
	b->hash_counter = b->hash_counter % 0x7FFF + 1;
	if (!s) {
		status = HAL_ERROR_ALLOCATION_FAILURE;
	} else if (start_context(s, di, key, klen) < 0) {
		hash_slot_free(s);
		status = HAL_ERROR_ALLOCATION_FAILURE;
	} else {
		s->handle = (uint32_t)(s - slots) | b->hash_counter << 16 |
			    (klen ? 0x80000000u : 0);
		s->alg = alg;
		s->client = ctx->client;
		s->session = session;
		xdr_put_u32(&ctx->out, s->handle);
	}
	pthread_mutex_unlock(&b->lock);
	return status;
}

uint32_t rpc_hash_update(struct rpc_ctx *ctx)
{
	struct board *b = ctx->board;
	struct hash_slot *s;
	uint32_t handle, len, status = HAL_OK;
	const uint8_t *data;
	int err;

	GET(handle);
	err = xdr_get_opaque(&ctx->in, &data, &len);
	if (err)
		return err;
	if (handle == HAL_HANDLE_NONE)
		return HAL_ERROR_BAD_ARGUMENTS;
	if (len == 0)
		return HAL_OK;	/* the handle is not even looked up */
	pthread_mutex_lock(&b->lock);
	s = hash_find(b, handle);
	if (!s)
		status = HAL_ERROR_BAD_ARGUMENTS;
	else if (s->mac ? EVP_MAC_update(s->mac, data, len) != 1
			: EVP_DigestUpdate(s->md, data, len) != 1)
		status = HAL_ERROR_IMPOSSIBLE;
	pthread_mutex_unlock(&b->lock);
	return status;
}

uint32_t rpc_hash_finalize(struct rpc_ctx *ctx)
{
	struct board *b = ctx->board;
	const struct digest_info *di;
	uint8_t digest[EVP_MAX_MD_SIZE], *out;
	struct hash_slot *s;
	uint32_t handle, length, status = HAL_OK;

	GET(handle);
	GET(length);
	if (length > HAL_RPC_MAX_OPAQUE_RESULT)
		return HAL_ERROR_RPC_PACKET_OVERFLOW;
	if (handle == HAL_HANDLE_NONE || length == 0)
		return HAL_ERROR_BAD_ARGUMENTS;
	pthread_mutex_lock(&b->lock);
	s = hash_find(b, handle);
	if (!s) {
		status = HAL_ERROR_BAD_ARGUMENTS;
		goto out;
	}
	di = digest_lookup(s->alg);
	if (length < di->len) {
		hash_slot_free(s);	/* the firmware frees the context anyway */
		status = HAL_ERROR_BAD_ARGUMENTS;
		goto out;
	}
	if (hash_slot_finish(s, digest) < 0) {
		status = HAL_ERROR_IMPOSSIBLE;
		goto out;
	}
	out = xdr_put_opaque_reserve(&ctx->out, length);
	if (out)
		memcpy(out, digest, di->len);	/* the rest stays zero */
out:
	pthread_mutex_unlock(&b->lock);
	return status;
}
