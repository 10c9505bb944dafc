// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Public-key RPCs (protocol §5.5, §7.3-§7.6). The board lock is held while
 * slots and keystores are touched and dropped for key generation and
 * signatures, which work on a reference to the key's cached EVP_PKEY.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "asn1.h"
#include "board.h"
#include "hash.h"
#include "keystore.h"
#include "keywrap.h"
#include "pin.h"
#include "pkey.h"
#include "rpc.h"

#define GET(x) do { int e_ = xdr_get_u32(&ctx->in, &(x)); if (e_) return e_; } while (0)
#define GET_OPAQUE(d, l) do { int e_ = xdr_get_opaque(&ctx->in, &(d), &(l)); if (e_) return e_; } while (0)

#define FLAG_TOKEN HAL_KEY_FLAG_TOKEN
#define FLAG_PUBLIC HAL_KEY_FLAG_PUBLIC

/* §7.3 */
static bool creatable(struct board *b, uint32_t client, uint32_t flags)
{
	return (flags & (FLAG_TOKEN | FLAG_PUBLIC)) == FLAG_PUBLIC || logged_in(b, client);
}

static struct pkey_slot *slot_find(struct board *b, uint32_t handle)
{
	uint32_t idx = handle & 0xFFFF;

	/* a free slot holds handle 0, so handle 0 finds slot 0 while it is free (vectors) */
	if (idx < HAL_MAX_PKEY_HANDLES && b->pkey_slots[idx].handle == handle)
		return &b->pkey_slots[idx];
	return NULL;
}

static struct pkey_slot *slot_alloc(struct board *b, bool token)
{
	/* the counter runs 1..0x7FFF and advances on every allocation attempt */
	b->pkey_counter = b->pkey_counter % 0x7FFF + 1;
	for (uint32_t i = 0; i < HAL_MAX_PKEY_HANDLES; i++) {
		struct pkey_slot *s = &b->pkey_slots[i];

		if (!s->handle) {
			memset(s, 0, sizeof(*s));
			s->handle = i | b->pkey_counter << 16 | (token ? 0x80000000u : 0);
			s->token = token;
			return s;
		}
	}
	return NULL;
}

static void slot_free(struct pkey_slot *s)
{
	memset(s, 0, sizeof(*s));
}

/* The key behind a handle, as the handle's recorded client may see it. */
static struct key *slot_key(struct board *b, const struct pkey_slot *s)
{
	struct key *k = keystore_find(s->token ? &b->token : &b->volatile_ks, s->uuid);

	if (k && !s->token && !key_visible(b, k, s->client))
		return NULL;
	return k;
}

/* A referenced EVP_PKEY for the key behind a slot; caller holds the lock. */
static uint32_t slot_pkey(struct board *b, const struct pkey_slot *s, struct key **kp,
			  EVP_PKEY **out)
{
	struct key *k = slot_key(b, s);
	uint8_t *der;
	size_t len;
	int rc;

	*out = NULL;
	if (!k)
		return HAL_ERROR_KEY_NOT_FOUND;
	if (kp)
		*kp = k;
	if (k->wrapped_len > HAL_KS_WRAPPED_KEYSIZE)
		return HAL_ERROR_BAD_ARGUMENTS;	/* the board's fetch buffers are too small */
	if (!b->kek_set)
		return HAL_ERROR_MASTERKEY_NOT_SET;
	if (!k->cache || k->cache_gen != b->kek_gen) {
		EVP_PKEY_free(k->cache);
		k->cache = NULL;
		rc = key_unwrap_der(b, k, &der, &len);
		if (rc)
			return rc;
		rc = pkey_from_der(der, len, k->type, &k->cache);
		OPENSSL_clear_free(der, len);
		if (rc)
			return k->type == HAL_KEY_TYPE_EC_PUBLIC ? HAL_ERROR_KEY_NOT_ON_CURVE : rc;
		k->cache_gen = b->kek_gen;
	}
	EVP_PKEY_up_ref(k->cache);
	*out = k->cache;
	return HAL_OK;
}

/* RFC 4122 version 4, as uuid.c does; never all-zero (that name is the PIN block's) */
static void new_uuid(uint8_t *u)
{
	RAND_bytes(u, HAL_UUID_LEN);
	u[6] = 0x40 | (u[6] & 0x0F);
	u[8] = 0x80 | (u[8] & 0x3F);
}

/*
 * Store DER as a new key in the slot's keystore and fill the slot; the caller
 * holds the lock and has done the access checks. On failure the slot stays
 * allocated with no key, as the firmware leaks it (§7.4, §9 #16).
 */
static uint32_t store_key(struct rpc_ctx *ctx, struct pkey_slot *s, uint32_t session,
			  const uint8_t *der, size_t len, uint32_t type, uint32_t curve,
			  uint32_t flags)
{
	struct board *b = ctx->board;
	struct keystore *ks = s->token ? &b->token : &b->volatile_ks;
	struct key *k;
	uint32_t rc;

	if (ks->n >= ks->max)
		return HAL_ERROR_NO_KEY_INDEX_SLOTS;
	if (!b->kek_set)
		return HAL_ERROR_MASTERKEY_NOT_SET;
	if (len > EMU_MAX_DER)
		return HAL_ERROR_BAD_ARGUMENTS;
	k = calloc(1, sizeof(*k));
	if (!k)
		return HAL_ERROR_ALLOCATION_FAILURE;
	rc = (uint32_t)key_wrap_der(b, der, len, &k->wrapped, &k->wrapped_len);
	if (rc) {
		free(k);
		return rc;
	}
	k->type = type;
	k->curve = curve;
	k->flags = flags;
	k->owner = s->token ? 0 : ctx->client;
	do
		new_uuid(k->uuid);
	while ((rc = (uint32_t)keystore_insert(b, k, s->token)) == HAL_ERROR_KEY_NAME_IN_USE);
	if (rc) {
		key_free(k);
		return rc;
	}
	memcpy(s->uuid, k->uuid, HAL_UUID_LEN);
	s->client = ctx->client;
	s->session = session;
	s->type = type;
	s->curve = curve;
	s->flags = flags;
	xdr_put_u32(&ctx->out, s->handle);
	xdr_put_opaque(&ctx->out, k->uuid, HAL_UUID_LEN);
	return HAL_OK;
}

/* PKEY_LOAD after the argument checks; also the tail of PKEY_IMPORT. */
static uint32_t load_der(struct rpc_ctx *ctx, uint32_t session, const uint8_t *der,
			 uint32_t len, uint32_t flags)
{
	struct board *b = ctx->board;
	struct pkey_slot *s;
	uint32_t type, curve, rc;

	if (len == 0 || (flags & ~HAL_KEY_FLAGS_ALL))
		return HAL_ERROR_BAD_ARGUMENTS;
	pthread_mutex_lock(&b->lock);
	if (!creatable(b, ctx->client, flags)) {
		rc = HAL_ERROR_FORBIDDEN;
		goto out;
	}
	rc = (uint32_t)der_key_classify(der, len, &type, &curve);
	if (rc)
		goto out;
	s = slot_alloc(b, flags & FLAG_TOKEN);
	rc = s ? store_key(ctx, s, session, der, len, type, curve, flags)
	       : HAL_ERROR_NO_KEY_SLOTS_AVAILABLE;
out:
	pthread_mutex_unlock(&b->lock);
	return rc;
}

uint32_t rpc_pkey_load(struct rpc_ctx *ctx)
{
	uint32_t session, len, flags;
	const uint8_t *der;

	GET(session);
	GET_OPAQUE(der, len);
	GET(flags);
	return load_der(ctx, session, der, len, flags);
}

static bool uuid_is_zero(const uint8_t *uuid)
{
	for (unsigned int i = 0; i < HAL_UUID_LEN; i++)
		if (uuid[i])
			return false;
	return true;
}

uint32_t rpc_pkey_open(struct rpc_ctx *ctx)
{
	struct board *b = ctx->board;
	struct pkey_slot *s;
	struct key *k;
	uint32_t session, len, rc = HAL_OK;
	const uint8_t *uuid;
	bool token = true;

	GET(session);
	GET_OPAQUE(uuid, len);
	if (len != HAL_UUID_LEN)
		return HAL_ERROR_KEY_NAME_TOO_LONG;
	pthread_mutex_lock(&b->lock);
	if (!logged_in(b, ctx->client)) {
		rc = HAL_ERROR_FORBIDDEN;
		goto out;
	}
	k = keystore_find(&b->token, uuid);
	if (!k) {
		token = false;
		k = keystore_find(&b->volatile_ks, uuid);
		if (k && !key_visible(b, k, ctx->client))
			k = NULL;
	}
	s = slot_alloc(b, token);
	if (!s) {
		rc = HAL_ERROR_NO_KEY_SLOTS_AVAILABLE;
		goto out;
	}
	if (!k) {
		slot_free(s);
		rc = HAL_ERROR_KEY_NOT_FOUND;
		/*
		 * The all-zero name is the PIN block's (§7.1): the 2018 token
		 * keystore finds that block and refuses it as not a key block;
		 * later firmware reports no such key.
		 */
		if (uuid_is_zero(uuid) &&
		    atomic_load(&b->firmware) < EMU_FIRMWARE_2019)
			rc = HAL_ERROR_KEYSTORE_WRONG_BLOCK_TYPE;
		goto out;
	}
	memcpy(s->uuid, uuid, HAL_UUID_LEN);
	s->client = ctx->client;
	s->session = session;
	s->type = k->type;
	s->curve = k->curve;
	s->flags = k->flags;
	xdr_put_u32(&ctx->out, s->handle);
out:
	pthread_mutex_unlock(&b->lock);
	return rc;
}

uint32_t rpc_pkey_generate_rsa(struct rpc_ctx *ctx)
{
	struct board *b = ctx->board;
	uint32_t session, bits, elen, flags, rc;
	const uint8_t *e;
	struct pkey_slot *s;
	EVP_PKEY *pk = NULL;
	uint8_t *der = NULL;
	size_t dlen = 0, i;
	bool e_ok;

	GET(session);
	GET(bits);
	GET_OPAQUE(e, elen);
	GET(flags);
	if (bits == 0 || bits % 8 || elen == 0 || (flags & ~HAL_KEY_FLAGS_ALL))
		return HAL_ERROR_BAD_ARGUMENTS;
	/* any big-endian encoding of 65537 */
	for (i = 0; i < elen && e[i] == 0; i++)
		;
	e_ok = elen - i == 3 && e[i] == 1 && e[i + 1] == 0 && e[i + 2] == 1;

	pthread_mutex_lock(&b->lock);
	if (!creatable(b, ctx->client, flags)) {
		pthread_mutex_unlock(&b->lock);
		return HAL_ERROR_FORBIDDEN;
	}
	s = slot_alloc(b, flags & FLAG_TOKEN);
	pthread_mutex_unlock(&b->lock);
	if (!s)
		return HAL_ERROR_NO_KEY_SLOTS_AVAILABLE;
	if (bits < 1024 || bits > 8192 || !e_ok)
		return HAL_ERROR_UNSUPPORTED_KEY;	/* the slot leaks (§9 #16) */

	rc = (uint32_t)pkey_generate_rsa(bits, &pk);
	if (!rc && pkey_private_der(pk, &der, &dlen) < 0)
		rc = HAL_ERROR_IMPOSSIBLE;
	EVP_PKEY_free(pk);
	if (rc)
		return rc;
	pthread_mutex_lock(&b->lock);
	rc = store_key(ctx, s, session, der, dlen, HAL_KEY_TYPE_RSA_PRIVATE, HAL_CURVE_NONE, flags);
	pthread_mutex_unlock(&b->lock);
	OPENSSL_clear_free(der, dlen);
	return rc;
}

uint32_t rpc_pkey_generate_ec(struct rpc_ctx *ctx)
{
	struct board *b = ctx->board;
	uint32_t session, curve, flags, rc;
	struct pkey_slot *s;
	EVP_PKEY *pk = NULL;
	uint8_t *der = NULL;
	size_t dlen = 0;

	GET(session);
	GET(curve);
	GET(flags);
	if (curve < HAL_CURVE_P256 || curve > HAL_CURVE_P521 || (flags & ~HAL_KEY_FLAGS_ALL))
		return HAL_ERROR_BAD_ARGUMENTS;
	pthread_mutex_lock(&b->lock);
	if (!creatable(b, ctx->client, flags)) {
		pthread_mutex_unlock(&b->lock);
		return HAL_ERROR_FORBIDDEN;
	}
	s = slot_alloc(b, flags & FLAG_TOKEN);
	pthread_mutex_unlock(&b->lock);
	if (!s)
		return HAL_ERROR_NO_KEY_SLOTS_AVAILABLE;

	rc = (uint32_t)pkey_generate_ec(curve, &pk);
	if (!rc && pkey_private_der(pk, &der, &dlen) < 0)
		rc = HAL_ERROR_IMPOSSIBLE;
	EVP_PKEY_free(pk);
	if (rc)
		return rc;
	pthread_mutex_lock(&b->lock);
	rc = store_key(ctx, s, session, der, dlen, HAL_KEY_TYPE_EC_PRIVATE, curve, flags);
	pthread_mutex_unlock(&b->lock);
	OPENSSL_clear_free(der, dlen);
	return rc;
}

uint32_t rpc_pkey_generate_hashsig(struct rpc_ctx *ctx)
{
	uint32_t session, levels, lms, lmots, flags, rc;

	GET(session);
	GET(levels);
	GET(lms);
	GET(lmots);
	GET(flags);
	(void)session;
	if (flags & ~HAL_KEY_FLAGS_ALL)
		return HAL_ERROR_BAD_ARGUMENTS;
	pthread_mutex_lock(&ctx->board->lock);
	rc = creatable(ctx->board, ctx->client, flags) ? HAL_OK : HAL_ERROR_FORBIDDEN;
	pthread_mutex_unlock(&ctx->board->lock);
	/* like a firmware built without hash-based signatures */
	return rc ? rc : HAL_ERROR_NOT_IMPLEMENTED;
}

uint32_t rpc_pkey_close(struct rpc_ctx *ctx)
{
	struct pkey_slot *s;
	uint32_t handle;

	GET(handle);
	pthread_mutex_lock(&ctx->board->lock);
	s = slot_find(ctx->board, handle);
	if (s)
		slot_free(s);
	pthread_mutex_unlock(&ctx->board->lock);
	return s ? HAL_OK : HAL_ERROR_KEY_NOT_FOUND;
}

uint32_t rpc_pkey_delete(struct rpc_ctx *ctx)
{
	struct board *b = ctx->board;
	struct pkey_slot *s;
	struct key *k;
	uint32_t handle, rc = HAL_OK;

	GET(handle);
	pthread_mutex_lock(&b->lock);
	s = slot_find(b, handle);
	if (!s) {
		rc = HAL_ERROR_KEY_NOT_FOUND;
		goto out;
	}
	/* judged on the client recorded in the handle, not the requester */
	if (!creatable(b, s->client, s->flags)) {
		rc = HAL_ERROR_FORBIDDEN;
		goto out;
	}
	k = slot_key(b, s);
	if (!k)
		rc = HAL_ERROR_KEY_NOT_FOUND;
	else
		rc = (uint32_t)keystore_remove(b, k, s->token);
	if (rc != HAL_ERROR_KEYSTORE_ACCESS)
		slot_free(s);
out:
	pthread_mutex_unlock(&b->lock);
	return rc;
}

static uint32_t get_slot_field(struct rpc_ctx *ctx, int which)
{
	struct pkey_slot *s;
	uint32_t handle, v = 0;

	GET(handle);
	pthread_mutex_lock(&ctx->board->lock);
	s = slot_find(ctx->board, handle);
	if (s)
		v = which == 0 ? s->type : which == 1 ? s->flags : s->curve;
	pthread_mutex_unlock(&ctx->board->lock);
	if (!s)
		return HAL_ERROR_KEY_NOT_FOUND;
	xdr_put_u32(&ctx->out, v);
	return HAL_OK;
}

uint32_t rpc_pkey_get_key_type(struct rpc_ctx *ctx)
{
	return get_slot_field(ctx, 0);
}

uint32_t rpc_pkey_get_key_flags(struct rpc_ctx *ctx)
{
	return get_slot_field(ctx, 1);
}

uint32_t rpc_pkey_get_key_curve(struct rpc_ctx *ctx)
{
	return get_slot_field(ctx, 2);
}

/* The public key DER of the key behind handle, into a new buffer. */
static uint32_t public_der(struct board *b, uint32_t handle, uint8_t **der, size_t *len)
{
	struct pkey_slot *s;
	struct key *k = NULL;
	EVP_PKEY *pk = NULL;
	uint32_t rc;

	pthread_mutex_lock(&b->lock);
	s = slot_find(b, handle);
	if (!s) {
		pthread_mutex_unlock(&b->lock);
		return HAL_ERROR_KEY_NOT_FOUND;
	}
	rc = slot_pkey(b, s, &k, &pk);
	if (!rc) {
		switch (k->type) {
		case HAL_KEY_TYPE_RSA_PUBLIC:
		case HAL_KEY_TYPE_EC_PUBLIC:
			/* the stored SPKI, verbatim */
			rc = (uint32_t)key_unwrap_der(b, k, der, len);
			break;
		case HAL_KEY_TYPE_RSA_PRIVATE:
		case HAL_KEY_TYPE_EC_PRIVATE:
			rc = pkey_public_der(pk, der, len) < 0 ? HAL_ERROR_IMPOSSIBLE : HAL_OK;
			break;
		default:
			rc = HAL_ERROR_UNSUPPORTED_KEY;
		}
	}
	pthread_mutex_unlock(&b->lock);
	EVP_PKEY_free(pk);
	return rc;
}

uint32_t rpc_pkey_get_public_key_len(struct rpc_ctx *ctx)
{
	uint32_t handle;
	uint8_t *der = NULL;
	size_t len = 0;

	GET(handle);
	/* status is always 0; any failure reads as length 0 */
	if (public_der(ctx->board, handle, &der, &len))
		len = 0;
	OPENSSL_free(der);
	xdr_put_u32(&ctx->out, (uint32_t)len);
	return HAL_OK;
}

uint32_t rpc_pkey_get_public_key(struct rpc_ctx *ctx)
{
	uint32_t handle, der_max, rc;
	uint8_t *der = NULL;
	size_t len = 0;

	GET(handle);
	GET(der_max);
	if (der_max > HAL_RPC_MAX_OPAQUE_RESULT)
		return HAL_ERROR_RPC_PACKET_OVERFLOW;
	/* 2018: rpc_api.c refuses an empty buffer; later firmware: too small */
	if (der_max == 0)
		return atomic_load(&ctx->board->firmware) >= EMU_FIRMWARE_2019 ?
			HAL_ERROR_RESULT_TOO_LONG : HAL_ERROR_BAD_ARGUMENTS;
	rc = public_der(ctx->board, handle, &der, &len);
	if (!rc && len > der_max)
		rc = HAL_ERROR_RESULT_TOO_LONG;
	if (!rc)
		xdr_put_opaque(&ctx->out, der, len);
	OPENSSL_free(der);
	return rc;
}

/* Finish a hash handle for SIGN/VERIFY: digest and its algorithm. Lock held. */
static uint32_t take_hash(struct board *b, uint32_t hh, uint8_t *digest,
			  const struct digest_info **dip)
{
	struct hash_slot *h = hash_find(b, hh);

	if (!h)
		return HAL_ERROR_BAD_ARGUMENTS;
	*dip = digest_lookup(h->alg);
	return hash_slot_finish(h, digest) < 0 ? HAL_ERROR_IMPOSSIBLE : HAL_OK;
}

/* Common front half of SIGN and VERIFY: slot, type and flag checks, key. */
static uint32_t sign_prepare(struct board *b, uint32_t handle, bool verify,
			     struct pkey_slot *copy, struct key **kp, EVP_PKEY **pk)
{
	struct pkey_slot *s = slot_find(b, handle);

	if (!s)
		return HAL_ERROR_KEY_NOT_FOUND;
	switch (s->type) {
	case HAL_KEY_TYPE_RSA_PRIVATE:
	case HAL_KEY_TYPE_EC_PRIVATE:
		break;
	case HAL_KEY_TYPE_RSA_PUBLIC:
	case HAL_KEY_TYPE_EC_PUBLIC:
		if (verify)
			break;
		/* fall through */
	default:
		return HAL_ERROR_UNSUPPORTED_KEY;
	}
	if (!(s->flags & HAL_KEY_FLAG_USAGE_DIGITALSIGNATURE))
		return HAL_ERROR_FORBIDDEN;
	*copy = *s;
	return slot_pkey(b, s, kp, pk);
}

static bool is_rsa(uint32_t type)
{
	return type == HAL_KEY_TYPE_RSA_PRIVATE || type == HAL_KEY_TYPE_RSA_PUBLIC;
}

/* The first RSA signature makes the board append its FPGA factors (§7.5). */
static uint32_t charge_rsa_factors(struct board *b, struct key *k)
{
	if (k->extra)
		return HAL_OK;
	if (key_block_used(k) + EMU_RSA_SIGN_EXTRA > EMU_KEY_BLOCK_ROOM)
		return HAL_ERROR_RESULT_TOO_LONG;
	if (k->token && b->token.n >= b->token.max)
		return HAL_ERROR_NO_KEY_INDEX_SLOTS;
	k->extra = EMU_RSA_SIGN_EXTRA;
	if (keystore_update(b, k, k->token)) {
		k->extra = 0;
		return HAL_ERROR_KEYSTORE_ACCESS;
	}
	return HAL_OK;
}

uint32_t rpc_pkey_sign(struct rpc_ctx *ctx)
{
	struct board *b = ctx->board;
	uint32_t handle, hh, inlen, sig_max, rc;
	const uint8_t *in;
	uint8_t digest[EVP_MAX_MD_SIZE], di[128], *sig;
	const struct digest_info *dinfo = NULL;
	struct pkey_slot s;
	struct key *k = NULL;
	EVP_PKEY *pk = NULL;
	size_t siglen;

	GET(handle);
	GET(hh);
	GET_OPAQUE(in, inlen);
	GET(sig_max);
	if (sig_max > HAL_RPC_MAX_OPAQUE_RESULT)
		return HAL_ERROR_RPC_PACKET_OVERFLOW;
	if (sig_max == 0 || (hh == HAL_HANDLE_NONE) == (inlen == 0))
		return HAL_ERROR_BAD_ARGUMENTS;

	pthread_mutex_lock(&b->lock);
	rc = sign_prepare(b, handle, false, &s, &k, &pk);
	if (rc)
		goto unlock;
	siglen = is_rsa(s.type) ? (size_t)EVP_PKEY_get_size(pk) : 2 * ec_order_len(s.curve);
	if (sig_max < siglen) {
		rc = HAL_ERROR_RESULT_TOO_LONG;
		goto unlock;
	}
	if (hh != HAL_HANDLE_NONE) {
		rc = take_hash(b, hh, digest, &dinfo);
		if (rc)
			goto unlock;
		if (is_rsa(s.type)) {
			inlen = (uint32_t)digest_info_encode(dinfo, digest, di);
			in = di;
		} else {
			inlen = dinfo->len;
			in = digest;
		}
	}
	if (is_rsa(s.type)) {
		if (inlen + 11 > siglen) {
			rc = HAL_ERROR_RESULT_TOO_LONG;
			goto unlock;
		}
		if (EVP_PKEY_get_bits(pk) > 4096) {
			rc = HAL_ERROR_BAD_ARGUMENTS;
			goto unlock;
		}
		rc = charge_rsa_factors(b, k);
		if (rc)
			goto unlock;
	}
	pthread_mutex_unlock(&b->lock);

	sig = xdr_put_opaque_reserve(&ctx->out, siglen);
	if (!sig)
		rc = HAL_ERROR_XDR_BUFFER_OVERFLOW;
	else if (is_rsa(s.type))
		rc = (uint32_t)pkey_rsa_sign(pk, in, inlen, sig, siglen);
	else
		rc = (uint32_t)pkey_ec_sign(pk, s.curve, in, inlen, sig);
	EVP_PKEY_free(pk);
	return rc;
unlock:
	pthread_mutex_unlock(&b->lock);
	EVP_PKEY_free(pk);
	return rc;
}

uint32_t rpc_pkey_verify(struct rpc_ctx *ctx)
{
	struct board *b = ctx->board;
	uint32_t handle, hh, inlen, siglen, rc;
	const uint8_t *in, *sig;
	uint8_t digest[EVP_MAX_MD_SIZE], di[128];
	const struct digest_info *dinfo = NULL;
	struct pkey_slot s;
	EVP_PKEY *pk = NULL;

	GET(handle);
	GET(hh);
	GET_OPAQUE(in, inlen);
	GET_OPAQUE(sig, siglen);
	if (siglen == 0 || (hh == HAL_HANDLE_NONE) == (inlen == 0))
		return HAL_ERROR_BAD_ARGUMENTS;

	pthread_mutex_lock(&b->lock);
	rc = sign_prepare(b, handle, true, &s, NULL, &pk);
	if (rc)
		goto unlock;
	if (!is_rsa(s.type) && (siglen % 2 || siglen > 2 * ec_order_len(s.curve))) {
		rc = HAL_ERROR_BAD_ARGUMENTS;
		goto unlock;
	}
	if (hh != HAL_HANDLE_NONE) {
		rc = take_hash(b, hh, digest, &dinfo);
		if (rc)
			goto unlock;
		if (is_rsa(s.type)) {
			inlen = (uint32_t)digest_info_encode(dinfo, digest, di);
			in = di;
		} else {
			inlen = dinfo->len;
			in = digest;
		}
	}
	pthread_mutex_unlock(&b->lock);

	if (is_rsa(s.type)) {
		size_t k = (size_t)EVP_PKEY_get_size(pk);

		if (inlen + 11 > k)
			rc = HAL_ERROR_RESULT_TOO_LONG;
		else if (siglen != k)
			rc = HAL_ERROR_INVALID_SIGNATURE;
		else
			rc = (uint32_t)pkey_rsa_verify(pk, in, inlen, sig, siglen);
	} else {
		rc = (uint32_t)pkey_ec_verify(pk, s.curve, in, inlen, sig, siglen);
	}
	EVP_PKEY_free(pk);
	return rc;
unlock:
	pthread_mutex_unlock(&b->lock);
	EVP_PKEY_free(pk);
	return rc;
}

struct filter {
	uint32_t type;
	uint32_t len;
	const uint8_t *value;
};

static bool key_has_attr(const struct key *k, const struct filter *f)
{
	for (uint32_t i = 0; i < k->n_attrs; i++)
		if (k->attrs[i].type == f->type)
			return k->attrs[i].len == f->len && !memcmp(k->attrs[i].value, f->value, f->len);
	return false;
}

uint32_t rpc_pkey_match(struct rpc_ctx *ctx)
{
	struct board *b = ctx->board;
	uint32_t session, type, curve, mask, flags, nattr, state, result_max, plen, count = 0;
	const uint8_t *prev;
	struct filter *filters = NULL;
	uint8_t *count_at, *state_at;
	uint32_t rc = HAL_OK;
	bool walk_token = true, walk_volatile = true;

	GET(session);
	GET(type);
	GET(curve);
	GET(mask);
	GET(flags);
	GET(nattr);
	(void)session;
	/* later firmware: counts that cannot fit the packet are refused with 29 */
	if (nattr > xdr_in_left(&ctx->in) / 8)
		return HAL_ERROR_RPC_PACKET_OVERFLOW;
	if (nattr) {
		filters = calloc(nattr, sizeof(*filters));
		if (!filters)
			return HAL_ERROR_ALLOCATION_FAILURE;
	}
	for (uint32_t i = 0; i < nattr; i++) {
		if (xdr_get_u32(&ctx->in, &filters[i].type) ||
		    xdr_get_opaque(&ctx->in, &filters[i].value, &filters[i].len)) {
			free(filters);
			return HAL_ERROR_XDR_BUFFER_OVERFLOW;
		}
	}
	if (xdr_get_u32(&ctx->in, &state) || xdr_get_u32(&ctx->in, &result_max) ||
	    xdr_get_opaque(&ctx->in, &prev, &plen)) {
		free(filters);
		return HAL_ERROR_XDR_BUFFER_OVERFLOW;
	}
	if (result_max > HAL_RPC_MAX_MATCH_RESULTS)
		rc = HAL_ERROR_RPC_PACKET_OVERFLOW;
	else if (plen != HAL_UUID_LEN)
		rc = HAL_ERROR_KEY_NAME_TOO_LONG;
	else if (result_max == 0 || state > HAL_MATCH_DONE)
		rc = HAL_ERROR_BAD_ARGUMENTS;
	if (rc) {
		free(filters);
		return rc;
	}

	state_at = ctx->out.p;
	xdr_put_u32(&ctx->out, state);
	count_at = ctx->out.p;
	xdr_put_u32(&ctx->out, 0);
	if (ctx->out.overflow) {
		free(filters);
		return HAL_ERROR_XDR_BUFFER_OVERFLOW;
	}

	pthread_mutex_lock(&b->lock);
	/* the PUBLIC test is on `flags`, not on `mask` (§9 #4) */
	if (!(flags & FLAG_PUBLIC) && !logged_in(b, ctx->client))
		goto done;	/* status 0, no names, state echoed */
	if (mask & FLAG_TOKEN) {
		walk_token = flags & FLAG_TOKEN;
		walk_volatile = !walk_token;
	}
	if (state == HAL_MATCH_DONE)
		goto done;
	for (int pass = 0; pass < 2 && count < result_max; pass++) {
		bool tok = pass == 0;
		struct keystore *ks = tok ? &b->token : &b->volatile_ks;
		uint32_t i = 0;

		if ((tok && !walk_token) || (!tok && !walk_volatile))
			continue;
		if (tok && state == HAL_MATCH_VOLATILE)
			continue;
		/* continue after previous_uuid in the keystore we were in */
		if ((tok && state == HAL_MATCH_TOKEN) || (!tok && state == HAL_MATCH_VOLATILE)) {
			while (i < ks->n && memcmp(ks->keys[i]->uuid, prev, HAL_UUID_LEN) <= 0)
				i++;
		}
		state = tok ? HAL_MATCH_TOKEN : HAL_MATCH_VOLATILE;
		for (; i < ks->n && count < result_max; i++) {
			struct key *k = ks->keys[i];
			bool ok = true;

			if ((type && k->type != type) || (curve && k->curve != curve) ||
			    ((flags ^ k->flags) & mask))
				continue;
			if (!tok && !key_visible(b, k, ctx->client))
				continue;
			for (uint32_t f = 0; ok && f < nattr; f++)
				ok = key_has_attr(k, &filters[f]);
			if (!ok)
				continue;
			xdr_put_opaque(&ctx->out, k->uuid, HAL_UUID_LEN);
			count++;
		}
	}
	if (count < result_max)
		state = HAL_MATCH_DONE;
	put_be32(state_at, state);
	put_be32(count_at, count);
done:
	pthread_mutex_unlock(&b->lock);
	free(filters);
	return ctx->out.overflow ? HAL_ERROR_XDR_BUFFER_OVERFLOW : HAL_OK;
}

uint32_t rpc_pkey_set_attributes(struct rpc_ctx *ctx)
{
	struct board *b = ctx->board;
	uint32_t handle, n, rc = HAL_OK, na = 0;
	struct filter *list = NULL;
	struct attr *attrs = NULL;
	struct pkey_slot *s;
	struct key *k, tmp;

	GET(handle);
	GET(n);
	if (n > xdr_in_left(&ctx->in) / 8)
		return HAL_ERROR_RPC_PACKET_OVERFLOW;
	if (n == 0)
		return HAL_ERROR_BAD_ARGUMENTS;
	list = calloc(n, sizeof(*list));
	if (!list)
		return HAL_ERROR_ALLOCATION_FAILURE;
	for (uint32_t i = 0; i < n; i++) {
		if (xdr_get_u32(&ctx->in, &list[i].type) ||
		    xdr_get_u32(&ctx->in, &list[i].len)) {
			free(list);
			return HAL_ERROR_XDR_BUFFER_OVERFLOW;
		}
		if (list[i].len == HAL_PKEY_ATTRIBUTE_NIL)
			continue;	/* delete: no data, no padding */
		ctx->in.p -= 4;
		if (xdr_get_opaque(&ctx->in, &list[i].value, &list[i].len)) {
			free(list);
			return HAL_ERROR_XDR_BUFFER_OVERFLOW;
		}
	}

	pthread_mutex_lock(&b->lock);
	s = slot_find(b, handle);
	if (!s) {
		rc = HAL_ERROR_KEY_NOT_FOUND;
		goto out;
	}
	if (!creatable(b, s->client, s->flags)) {
		rc = HAL_ERROR_FORBIDDEN;
		goto out;
	}
	k = slot_key(b, s);
	if (!k) {
		rc = HAL_ERROR_KEY_NOT_FOUND;
		goto out;
	}
	/* build the new list aside: all or nothing */
	attrs = calloc(k->n_attrs + n, sizeof(*attrs));
	if (!attrs) {
		rc = HAL_ERROR_ALLOCATION_FAILURE;
		goto out;
	}
	for (uint32_t i = 0; i < k->n_attrs; i++)
		attrs[na++] = k->attrs[i];	/* values shared until committed */
	for (uint32_t i = 0; i < n; i++) {
		uint32_t j;

		for (j = 0; j < na && attrs[j].type != list[i].type; j++)
			;
		if (j < na) {	/* a replacement deletes the old entry, then appends */
			memmove(&attrs[j], &attrs[j + 1], (na - j - 1) * sizeof(*attrs));
			na--;
		}
		if (list[i].len == HAL_PKEY_ATTRIBUTE_NIL)
			continue;
		attrs[na].type = list[i].type;
		attrs[na].len = list[i].len;
		attrs[na].value = (uint8_t *)list[i].value;	/* copied below */
		na++;
	}
	tmp = *k;
	tmp.attrs = attrs;
	tmp.n_attrs = na;
	if (key_block_used(&tmp) > EMU_KEY_BLOCK_ROOM) {
		rc = HAL_ERROR_RESULT_TOO_LONG;
		goto out;
	}
	if (k->token && b->token.n >= b->token.max) {
		rc = HAL_ERROR_NO_KEY_INDEX_SLOTS;	/* no spare block for the rewrite */
		goto out;
	}
	/* own every value: request bytes are copied, surviving old values duplicated */
	for (uint32_t i = 0; i < na; i++) {
		uint8_t *v = malloc(attrs[i].len ? attrs[i].len : 1);

		if (!v) {
			for (uint32_t j = 0; j < i; j++)
				free(attrs[j].value);
			rc = HAL_ERROR_ALLOCATION_FAILURE;
			goto out;
		}
		memcpy(v, attrs[i].value, attrs[i].len);
		attrs[i].value = v;
	}
	tmp.attrs = k->attrs;
	tmp.n_attrs = k->n_attrs;
	k->attrs = attrs;
	k->n_attrs = na;
	attrs = NULL;
	rc = (uint32_t)keystore_update(b, k, k->token);
	if (rc) {	/* roll back */
		attrs = k->attrs;
		for (uint32_t i = 0; i < k->n_attrs; i++)
			free(attrs[i].value);
		k->attrs = tmp.attrs;
		k->n_attrs = tmp.n_attrs;
	} else {
		for (uint32_t i = 0; i < tmp.n_attrs; i++)
			free(tmp.attrs[i].value);
		free(tmp.attrs);
	}
out:
	pthread_mutex_unlock(&b->lock);
	free(attrs);
	free(list);
	return rc;
}

uint32_t rpc_pkey_get_attributes(struct rpc_ctx *ctx)
{
	struct board *b = ctx->board;
	uint32_t handle, n, buffer_len, rc = HAL_OK, *types, used = 0;
	struct pkey_slot *s;
	struct key *k;

	GET(handle);
	GET(n);
	if (n > xdr_in_left(&ctx->in) / 4)
		return HAL_ERROR_RPC_PACKET_OVERFLOW;
	types = calloc(n ? n : 1, sizeof(*types));
	if (!types)
		return HAL_ERROR_ALLOCATION_FAILURE;
	for (uint32_t i = 0; i < n; i++) {
		if (xdr_get_u32(&ctx->in, &types[i])) {
			free(types);
			return HAL_ERROR_XDR_BUFFER_OVERFLOW;
		}
	}
	if (xdr_get_u32(&ctx->in, &buffer_len)) {
		free(types);
		return HAL_ERROR_XDR_BUFFER_OVERFLOW;
	}
	if (4 * (1 + 2 * (uint64_t)n) + buffer_len > HAL_RPC_MAX_PKT_SIZE - HAL_RPC_REPLY_HDR_SIZE)
		rc = HAL_ERROR_RPC_PACKET_OVERFLOW;
	else if (n == 0)
		rc = HAL_ERROR_BAD_ARGUMENTS;
	if (rc) {
		free(types);
		return rc;
	}

	pthread_mutex_lock(&b->lock);
	s = slot_find(b, handle);
	k = s ? slot_key(b, s) : NULL;
	if (!k) {
		rc = HAL_ERROR_KEY_NOT_FOUND;
		goto out;
	}
	if (k->n_attrs == 0) {
		rc = HAL_ERROR_ATTRIBUTE_NOT_FOUND;
		goto out;
	}
	xdr_put_u32(&ctx->out, n);
	for (uint32_t i = 0; i < n; i++) {
		const struct attr *a = NULL;

		for (uint32_t j = 0; j < k->n_attrs; j++)
			if (k->attrs[j].type == types[i])
				a = &k->attrs[j];
		xdr_put_u32(&ctx->out, types[i]);
		if (buffer_len == 0) {
			xdr_put_u32(&ctx->out, a ? a->len : 0);
			continue;
		}
		if (!a) {
			rc = HAL_ERROR_ATTRIBUTE_NOT_FOUND;
			goto out;
		}
		used += a->len;
		if (used > buffer_len) {
			rc = HAL_ERROR_RESULT_TOO_LONG;
			goto out;
		}
		xdr_put_opaque(&ctx->out, a->value, a->len);
	}
out:
	pthread_mutex_unlock(&b->lock);
	free(types);
	return rc;
}

uint32_t rpc_pkey_export(struct rpc_ctx *ctx)
{
	struct board *b = ctx->board;
	uint32_t handle, kekek, pkcs8_max, kek_max, rc;
	struct pkey_slot *s, *ks;
	struct key *key = NULL, *kk = NULL;
	EVP_PKEY *kekpk = NULL;
	uint8_t kek[HAL_KEK_LEN], *der = NULL, *wrapped = NULL, *p8 = NULL, *kb = NULL;
	uint8_t enc[1024];
	size_t dlen = 0, wlen, p8len = 0, kblen = 0, elen = sizeof(enc), mod;

	GET(handle);
	GET(kekek);
	GET(pkcs8_max);
	GET(kek_max);
	if ((uint64_t)pkcs8_max + kek_max > HAL_RPC_MAX_PKT_SIZE - HAL_RPC_REPLY_HDR_SIZE - 8)
		return HAL_ERROR_RPC_PACKET_OVERFLOW;
	if (kek_max <= HAL_KEK_LEN)
		return HAL_ERROR_BAD_ARGUMENTS;

	pthread_mutex_lock(&b->lock);
	s = slot_find(b, handle);
	ks = slot_find(b, kekek);
	if (!s || !ks) {
		rc = HAL_ERROR_KEY_NOT_FOUND;
		goto unlock;
	}
	if (!(s->flags & HAL_KEY_FLAG_EXPORTABLE) ||
	    !(ks->flags & HAL_KEY_FLAG_USAGE_KEYENCIPHERMENT)) {
		rc = HAL_ERROR_FORBIDDEN;
		goto unlock;
	}
	if (!is_rsa(ks->type)) {
		rc = HAL_ERROR_UNSUPPORTED_KEY;
		goto unlock;
	}
	if (pkcs8_max < HAL_KS_WRAPPED_KEYSIZE) {
		rc = HAL_ERROR_RESULT_TOO_LONG;
		goto unlock;
	}
	key = slot_key(b, s);
	if (!key) {
		rc = HAL_ERROR_KEY_NOT_FOUND;
		goto unlock;
	}
	rc = (uint32_t)key_unwrap_der(b, key, &der, &dlen);
	if (!rc)
		rc = slot_pkey(b, ks, &kk, &kekpk);
	pthread_mutex_unlock(&b->lock);
	if (rc)
		goto out;

	mod = (size_t)EVP_PKEY_get_size(kekpk);
	if (kek_max < mod + 32) {
		rc = HAL_ERROR_RESULT_TOO_LONG;
		goto out;
	}
	RAND_bytes(kek, sizeof(kek));
	wrapped = malloc(dlen + 16);
	if (!wrapped) {
		rc = HAL_ERROR_ALLOCATION_FAILURE;
		goto out;
	}
	rc = (uint32_t)pkey_rsa_encrypt(kekpk, kek, sizeof(kek), enc, &elen);
	if (rc)
		goto out;
	/* the same RFC 5649 wrap the keystore uses, under the one-time KEK */
	wlen = aes_keywrap(kek, der, dlen, wrapped);
	p8 = der_epki_build(oid_aes256_wrap_pad, sizeof(oid_aes256_wrap_pad), wrapped, wlen, &p8len);
	kb = der_epki_build(oid_rsa_encryption, sizeof(oid_rsa_encryption), enc, elen, &kblen);
	if (!wlen || !p8 || !kb) {
		rc = HAL_ERROR_IMPOSSIBLE;
		goto out;
	}
	if (p8len > pkcs8_max || kblen > kek_max) {
		rc = HAL_ERROR_RESULT_TOO_LONG;
		goto out;
	}
	xdr_put_opaque(&ctx->out, p8, p8len);
	xdr_put_opaque(&ctx->out, kb, kblen);
	rc = ctx->out.overflow ? HAL_ERROR_XDR_BUFFER_OVERFLOW : HAL_OK;
	goto out;
unlock:
	pthread_mutex_unlock(&b->lock);
out:
	OPENSSL_cleanse(kek, sizeof(kek));
	if (der)
		OPENSSL_clear_free(der, dlen);
	free(wrapped);
	free(p8);
	free(kb);
	EVP_PKEY_free(kekpk);
	return rc;
}

uint32_t rpc_pkey_import(struct rpc_ctx *ctx)
{
	struct board *b = ctx->board;
	uint32_t session, kekek, p8len, kblen, flags, rc;
	const uint8_t *p8, *kb, *wrapped, *c;
	size_t wlen, clen, k, dlen = 0, sep;
	struct pkey_slot *ks;
	EVP_PKEY *kekpk = NULL;
	uint8_t block[1024], kek[HAL_KEK_LEN], *der = NULL;

	GET(session);
	GET(kekek);
	GET_OPAQUE(p8, p8len);
	GET_OPAQUE(kb, kblen);
	GET(flags);
	if (kblen <= 2)
		return HAL_ERROR_BAD_ARGUMENTS;

	pthread_mutex_lock(&b->lock);
	ks = slot_find(b, kekek);
	if (!ks)
		rc = HAL_ERROR_KEY_NOT_FOUND;
	else if (!(ks->flags & HAL_KEY_FLAG_USAGE_KEYENCIPHERMENT))
		rc = HAL_ERROR_FORBIDDEN;
	else if (ks->type != HAL_KEY_TYPE_RSA_PRIVATE)
		rc = HAL_ERROR_UNSUPPORTED_KEY;
	else if (der_epki_parse(p8, p8len, oid_aes256_wrap_pad, sizeof(oid_aes256_wrap_pad),
				&wrapped, &wlen) ||
		 der_epki_parse(kb, kblen, oid_rsa_encryption, sizeof(oid_rsa_encryption),
				&c, &clen) ||
		 clen > HAL_KS_WRAPPED_KEYSIZE || clen < 2)
		rc = HAL_ERROR_ASN1_PARSE_FAILED;
	else
		rc = slot_pkey(b, ks, NULL, &kekpk);
	pthread_mutex_unlock(&b->lock);
	if (rc)
		return rc;

	/* a bad PKCS#1 block silently yields a random KEK (§7.6 step 4) */
	k = (size_t)EVP_PKEY_get_size(kekpk);
	RAND_bytes(kek, sizeof(kek));
	if (pkey_rsa_decrypt_raw(kekpk, c, clen, block, k) == 0 && block[0] == 0 && block[1] == 2) {
		for (sep = 2; sep < k && block[sep]; sep++)
			;
		if (sep >= 11 && sep < k && k - sep - 1 == HAL_KEK_LEN)
			memcpy(kek, block + sep + 1, HAL_KEK_LEN);
	}
	EVP_PKEY_free(kekpk);
	OPENSSL_cleanse(block, sizeof(block));

	der = OPENSSL_malloc(wlen ? wlen : 1);
	if (!der)
		return HAL_ERROR_ALLOCATION_FAILURE;
	rc = (uint32_t)aes_keyunwrap(kek, wrapped, wlen, der, &dlen);
	OPENSSL_cleanse(kek, sizeof(kek));
	if (!rc)
		rc = load_der(ctx, session, der, (uint32_t)dlen, flags);
	OPENSSL_clear_free(der, wlen ? wlen : 1);
	return rc;
}
