/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Typed wrappers around emu_call for the emulator tests. */
#ifndef EMU_TEST_RPC_HELPERS_H
#define EMU_TEST_RPC_HELPERS_H

#include <string.h>

#include "emu_client.h"

#define LAST_GASP "YouReallyNeedToChangeThisPINRightNowWeAreNotKidding"
#define USER_PIN "fnord"
#define SO_PIN "sopin-1234"
#define WHEEL_PIN "wheel-pin"

static inline int cl_login(struct emu *e, uint32_t client, uint32_t user, const char *pin)
{
	struct req r;
	struct rep p;

	req_init(&r, RPC_FUNC_LOGIN, client);
	req_u32(&r, user);
	req_opaque(&r, pin, strlen(pin));
	return emu_call(e, &r, &p);
}

static inline int cl_simple(struct emu *e, uint32_t op, uint32_t client)
{
	struct req r;
	struct rep p;

	req_init(&r, op, client);
	return emu_call(e, &r, &p);
}

static inline int cl_set_pin(struct emu *e, uint32_t client, uint32_t user, const char *pin)
{
	struct req r;
	struct rep p;

	req_init(&r, RPC_FUNC_SET_PIN, client);
	req_u32(&r, user);
	req_opaque(&r, pin, strlen(pin));
	return emu_call(e, &r, &p);
}

static inline int cl_is_logged_in(struct emu *e, uint32_t client, uint32_t user)
{
	struct req r;
	struct rep p;

	req_init(&r, RPC_FUNC_IS_LOGGED_IN, client);
	req_u32(&r, user);
	return emu_call(e, &r, &p);
}

/* Factory board to the usual test state: user PIN fnord, SO PIN set, wheel changed. */
static inline int bringup(struct emu *e)
{
	if (cl_login(e, 77, HAL_USER_WHEEL, LAST_GASP) ||
	    cl_set_pin(e, 77, HAL_USER_NORMAL, USER_PIN) ||
	    cl_set_pin(e, 77, HAL_USER_SO, SO_PIN) ||
	    cl_set_pin(e, 77, HAL_USER_WHEEL, WHEEL_PIN) ||
	    cl_simple(e, RPC_FUNC_LOGOUT, 77))
		return -1;
	return 0;
}

/* Create a key; returns the status, handle and name through pointers. */
static inline int cl_gen_ec(struct emu *e, uint32_t client, uint32_t curve, uint32_t flags,
			     uint32_t *handle, uint8_t *uuid)
{
	struct req r;
	struct rep p;
	const uint8_t *u;
	uint32_t ulen;
	int st;

	req_init(&r, RPC_FUNC_PKEY_GENERATE_EC, client);
	req_u32(&r, 0);
	req_u32(&r, curve);
	req_u32(&r, flags);
	st = emu_call(e, &r, &p);
	if (st == 0) {
		*handle = rep_u32(&p);
		u = rep_opaque(&p, &ulen);
		if (uuid && u && ulen == 16)
			memcpy(uuid, u, 16);
	}
	return st;
}

static inline int cl_gen_rsa(struct emu *e, uint32_t client, uint32_t bits, uint32_t flags,
			      uint32_t *handle, uint8_t *uuid)
{
	static const uint8_t e65537[3] = { 1, 0, 1 };
	struct req r;
	struct rep p;
	const uint8_t *u;
	uint32_t ulen;
	int st;

	req_init(&r, RPC_FUNC_PKEY_GENERATE_RSA, client);
	req_u32(&r, 0);
	req_u32(&r, bits);
	req_opaque(&r, e65537, 3);
	req_u32(&r, flags);
	st = emu_call(e, &r, &p);
	if (st == 0) {
		*handle = rep_u32(&p);
		u = rep_opaque(&p, &ulen);
		if (uuid && u && ulen == 16)
			memcpy(uuid, u, 16);
	}
	return st;
}

static inline int cl_load(struct emu *e, uint32_t client, const uint8_t *der, size_t len,
			   uint32_t flags, uint32_t *handle, uint8_t *uuid)
{
	struct req r;
	struct rep p;
	const uint8_t *u;
	uint32_t ulen;
	int st;

	req_init(&r, RPC_FUNC_PKEY_LOAD, client);
	req_u32(&r, 0);
	req_opaque(&r, der, len);
	req_u32(&r, flags);
	st = emu_call(e, &r, &p);
	if (st == 0) {
		*handle = rep_u32(&p);
		u = rep_opaque(&p, &ulen);
		if (uuid && u && ulen == 16)
			memcpy(uuid, u, 16);
	}
	return st;
}

static inline int cl_open(struct emu *e, uint32_t client, const uint8_t *uuid, uint32_t *handle)
{
	struct req r;
	struct rep p;
	int st;

	req_init(&r, RPC_FUNC_PKEY_OPEN, client);
	req_u32(&r, 0);
	req_opaque(&r, uuid, 16);
	st = emu_call(e, &r, &p);
	if (st == 0)
		*handle = rep_u32(&p);
	return st;
}

static inline int cl_handle_op(struct emu *e, uint32_t op, uint32_t handle, uint32_t *out)
{
	struct req r;
	struct rep p;
	int st;

	req_init(&r, op, 0);
	req_u32(&r, handle);
	st = emu_call(e, &r, &p);
	if (st == 0 && out)
		*out = rep_u32(&p);
	return st;
}

static inline int cl_sign(struct emu *e, uint32_t handle, uint32_t hash, const void *in,
			   size_t inlen, uint32_t sig_max, uint8_t *sig, uint32_t *siglen)
{
	struct req r;
	struct rep p;
	const uint8_t *s;
	int st;

	req_init(&r, RPC_FUNC_PKEY_SIGN, 0);
	req_u32(&r, handle);
	req_u32(&r, hash);
	req_opaque(&r, in, inlen);
	req_u32(&r, sig_max);
	st = emu_call(e, &r, &p);
	if (st == 0) {
		s = rep_opaque(&p, siglen);
		if (s)
			memcpy(sig, s, *siglen);
	}
	return st;
}

static inline int cl_verify(struct emu *e, uint32_t handle, uint32_t hash, const void *in,
			     size_t inlen, const uint8_t *sig, size_t siglen)
{
	struct req r;
	struct rep p;

	req_init(&r, RPC_FUNC_PKEY_VERIFY, 0);
	req_u32(&r, handle);
	req_u32(&r, hash);
	req_opaque(&r, in, inlen);
	req_opaque(&r, sig, siglen);
	return emu_call(e, &r, &p);
}

static inline int cl_pubkey(struct emu *e, uint32_t handle, uint8_t *der, uint32_t *len)
{
	struct req r;
	struct rep p;
	const uint8_t *d;
	int st;

	req_init(&r, RPC_FUNC_PKEY_GET_PUBLIC_KEY, 0);
	req_u32(&r, handle);
	req_u32(&r, 4096);
	st = emu_call(e, &r, &p);
	if (st == 0) {
		d = rep_opaque(&p, len);
		if (d)
			memcpy(der, d, *len);
	}
	return st;
}

static inline int cl_hash_init(struct emu *e, uint32_t alg, const void *key, size_t klen,
				uint32_t *handle)
{
	struct req r;
	struct rep p;
	int st;

	req_init(&r, RPC_FUNC_HASH_INITIALIZE, 0);
	req_u32(&r, 0);
	req_u32(&r, alg);
	req_opaque(&r, key, klen);
	st = emu_call(e, &r, &p);
	if (st == 0)
		*handle = rep_u32(&p);
	return st;
}

static inline int cl_hash_update(struct emu *e, uint32_t handle, const void *d, size_t len)
{
	struct req r;
	struct rep p;

	req_init(&r, RPC_FUNC_HASH_UPDATE, 0);
	req_u32(&r, handle);
	req_opaque(&r, d, len);
	return emu_call(e, &r, &p);
}

static inline int cl_hash_final(struct emu *e, uint32_t handle, uint32_t length, uint8_t *out)
{
	struct req r;
	struct rep p;
	const uint8_t *d;
	uint32_t n;
	int st;

	req_init(&r, RPC_FUNC_HASH_FINALIZE, 0);
	req_u32(&r, handle);
	req_u32(&r, length);
	st = emu_call(e, &r, &p);
	if (st == 0) {
		d = rep_opaque(&p, &n);
		if (d && n == length)
			memcpy(out, d, n);
		else
			st = -2;
	}
	return st;
}

#endif
