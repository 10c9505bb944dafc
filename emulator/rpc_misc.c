// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* GET_VERSION, GET_RANDOM (protocol §5.3). */
#include <openssl/rand.h>

#include "board.h"
#include "keystore.h"
#include "pin.h"
#include "rpc.h"

uint32_t rpc_get_version(struct rpc_ctx *ctx)
{
	xdr_put_u32(&ctx->out, HAL_RPC_VERSION);
	return HAL_OK;
}

uint32_t rpc_get_random(struct rpc_ctx *ctx)
{
	uint32_t length, i;
	uint8_t *data;
	int err;

	err = xdr_get_u32(&ctx->in, &length);
	if (err)
		return err;
	/* later firmware answers 0 bytes with an empty result (appendix A) */
	if (length == 0 && atomic_load(&ctx->board->firmware) >= EMU_FIRMWARE_2019) {
		xdr_put_opaque(&ctx->out, "", 0);
		return HAL_OK;
	}
	if (length == 0 || length > HAL_RPC_MAX_OPAQUE_RESULT)
		return HAL_ERROR_RPC_PACKET_OVERFLOW;
	data = xdr_put_opaque_reserve(&ctx->out, length);
	if (!data)
		return HAL_ERROR_XDR_BUFFER_OVERFLOW;
	if (RAND_bytes(data, (int)length) != 1)
		return HAL_ERROR_CSPRNG_BROKEN;
	/* The board's CSPRNG check rejects an all-zero output (§9 #17). */
	for (i = 0; i < length; i++)
		if (data[i])
			return HAL_OK;
	return HAL_ERROR_CSPRNG_BROKEN;
}

static int get_user_pin(struct rpc_ctx *ctx, uint32_t *user, const uint8_t **pin, uint32_t *len)
{
	int err = xdr_get_u32(&ctx->in, user);

	if (!err)
		err = xdr_get_opaque(&ctx->in, pin, len);
	if (err)
		return err;
	if (*len < HAL_PIN_MIN_LEN || *len > HAL_PIN_MAX_LEN ||
	    *user < HAL_USER_NORMAL || *user > HAL_USER_WHEEL)
		return HAL_ERROR_BAD_ARGUMENTS;
	return 0;
}

uint32_t rpc_set_pin(struct rpc_ctx *ctx)
{
	struct board *b = ctx->board;
	struct pin_record rec, old;
	uint32_t user, len, me, status;
	const uint8_t *pin;
	int err = get_user_pin(ctx, &user, &pin, &len);

	if (err)
		return err;
	pthread_mutex_lock(&b->lock);
	me = login_user(b, ctx->client);
	rec.iterations = b->pin_iterations;
	pthread_mutex_unlock(&b->lock);
	if (!(me == HAL_USER_WHEEL || (me == HAL_USER_SO && user == HAL_USER_NORMAL)))
		return HAL_ERROR_FORBIDDEN;

	RAND_bytes(rec.salt, sizeof(rec.salt));
	if (pin_derive(pin, len, rec.salt, rec.iterations, rec.dk) < 0)
		return HAL_ERROR_IMPOSSIBLE;
	pthread_mutex_lock(&b->lock);
	/* rewriting the PIN block needs a spare flash block */
	if (b->token.n >= b->token.max) {
		status = HAL_ERROR_NO_KEY_INDEX_SLOTS;
	} else {
		old = b->pins[user];
		b->pins[user] = rec;
		status = keystore_save_pins(b);
		if (status)
			b->pins[user] = old;
	}
	pthread_mutex_unlock(&b->lock);
	return status;
}

uint32_t rpc_login(struct rpc_ctx *ctx)
{
	struct board *b = ctx->board;
	struct pin_record rec;
	uint32_t user, len, iter, status;
	const uint8_t *pin;
	int err = get_user_pin(ctx, &user, &pin, &len);

	if (err)
		return err;
	pthread_mutex_lock(&b->lock);
	rec = b->pins[user];
	iter = b->pin_iterations;
	pthread_mutex_unlock(&b->lock);
	/* PBKDF2 runs without the lock: other requests proceed */
	if (!pin_matches(&rec, iter, pin, len)) {
		ctx->delay_ms = atomic_load(&b->bad_pin_ms);
		return HAL_ERROR_PIN_INCORRECT;
	}
	pthread_mutex_lock(&b->lock);
	status = login_set(b, ctx->client, user);
	pthread_mutex_unlock(&b->lock);
	return status;
}

uint32_t rpc_logout(struct rpc_ctx *ctx)
{
	pthread_mutex_lock(&ctx->board->lock);
	logout_client(ctx->board, ctx->client);
	pthread_mutex_unlock(&ctx->board->lock);
	return HAL_OK;
}

uint32_t rpc_logout_all(struct rpc_ctx *ctx)
{
	struct board *b = ctx->board;

	pthread_mutex_lock(&b->lock);
	for (unsigned int i = 0; i < HAL_MAX_LOGGED_IN_CLIENTS; i++)
		if (b->logins[i].user != HAL_USER_NONE)
			logout_client(b, b->logins[i].client);
	pthread_mutex_unlock(&b->lock);
	return HAL_OK;
}

uint32_t rpc_is_logged_in(struct rpc_ctx *ctx)
{
	uint32_t user, me;
	int err = xdr_get_u32(&ctx->in, &user);

	if (err)
		return err;
	if (user < HAL_USER_NORMAL || user > HAL_USER_WHEEL)
		return HAL_ERROR_BAD_ARGUMENTS;
	pthread_mutex_lock(&ctx->board->lock);
	me = login_user(ctx->board, ctx->client);
	pthread_mutex_unlock(&ctx->board->lock);
	return me == user ? HAL_OK : HAL_ERROR_FORBIDDEN;
}
