// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Conformance: every RPC function and its error paths, board semantics,
 * persistence, concurrency, faults and the control socket, each test on a
 * fresh emulator started through the test client.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "kselftest_harness.h"

#include "rpc_helpers.h"
#include "xdr.h"

#define DS HAL_KEY_FLAG_USAGE_DIGITALSIGNATURE
#define KE HAL_KEY_FLAG_USAGE_KEYENCIPHERMENT
#define TOKEN HAL_KEY_FLAG_TOKEN
#define PUBLIC HAL_KEY_FLAG_PUBLIC
#define EXPORTABLE HAL_KEY_FLAG_EXPORTABLE
#define USER 1			/* the client handle most tests log in */

static const uint8_t abc_sha256[32] = {
	0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
	0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
	0xf2, 0x00, 0x15, 0xad,
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int set_attr(struct emu *e, uint32_t h, uint32_t type, const void *v, uint32_t len)
{
	struct req r;
	struct rep p;

	req_init(&r, RPC_FUNC_PKEY_SET_ATTRIBUTES, 0);
	req_u32(&r, h);
	req_u32(&r, 1);
	req_u32(&r, type);
	if (len == HAL_PKEY_ATTRIBUTE_NIL)
		req_u32(&r, len);
	else
		req_opaque(&r, v, len);
	return emu_call(e, &r, &p);
}

FIXTURE(board) {
	struct emu e;
};

FIXTURE_SETUP(board)
{
	ASSERT_EQ(0, emu_start(&self->e, NULL, "--bad-pin-delay", "30", NULL));
	ASSERT_EQ(0, bringup(&self->e));
	ASSERT_EQ(0, cl_login(&self->e, USER, HAL_USER_NORMAL, USER_PIN));
}

FIXTURE_TEARDOWN(board)
{
	/* a clean exit: under ASan this is also the leak check of the whole run */
	if (self->e.pid > 0)
		EXPECT_EQ(0, emu_stop(&self->e));
	emu_cleanup(&self->e);
}

/* ---- transport and malformed input ---- */

TEST_F(board, version_random)
{
	struct req r;
	struct rep p;
	uint32_t n;

	req_init(&r, RPC_FUNC_GET_VERSION, 0x6559C0DB);
	ASSERT_EQ(0, emu_call(&self->e, &r, &p));
	EXPECT_EQ(0x6559C0DBu, get_be32(p.buf + 4));
	EXPECT_EQ(HAL_RPC_VERSION, rep_u32(&p));
	for (uint32_t len = 1; len <= 16368; len = len * 7 + 1) {
		req_init(&r, RPC_FUNC_GET_RANDOM, 0);
		req_u32(&r, len);
		int st = emu_call(&self->e, &r, &p);

		ASSERT_TRUE(st == 0 || (st == HAL_ERROR_CSPRNG_BROKEN && len < 4));
		if (st == 0) {
			rep_opaque(&p, &n);
			EXPECT_EQ(len, n);
		}
	}
	req_init(&r, RPC_FUNC_GET_RANDOM, 0);
	req_u32(&r, 16368);
	ASSERT_EQ(0, emu_call(&self->e, &r, &p));
	EXPECT_EQ(16384u, p.len);
	req_init(&r, RPC_FUNC_GET_RANDOM, 0);
	req_u32(&r, 16369);
	EXPECT_EQ(HAL_ERROR_RPC_PACKET_OVERFLOW, emu_call(&self->e, &r, &p));
	EXPECT_EQ(12u, p.len);
}

TEST_F(board, header_only_requests)
{
	/* a request without its arguments gets 27, except functions that take none */
	for (uint32_t op = 0; op < RPC_FUNC_COUNT; op++) {
		struct req r;
		struct rep p;
		int st;

		req_init(&r, op, 0x1234);
		st = emu_call(&self->e, &r, &p);
		if (op == RPC_FUNC_GET_VERSION || op == RPC_FUNC_LOGOUT || op == RPC_FUNC_LOGOUT_ALL) {
			EXPECT_EQ(0, st);
		} else {
			EXPECT_EQ(HAL_ERROR_XDR_BUFFER_OVERFLOW, st);
		}
		EXPECT_EQ(op, get_be32(p.buf));
		EXPECT_EQ(0x1234u, get_be32(p.buf + 4));
	}
}

TEST_F(board, slip_and_malformed_frames)
{
	static const uint8_t runts[] = {
		0xC0, 0xC0, 0xC0,			/* empty frames */
		0x01, 0xC0,				/* 1 byte: no reply */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0,	/* 7 bytes */
		0xDB, 0x41, 0xC0,			/* ESC + other byte = literal, 1 byte */
	};
	uint8_t big[20000] = { 0 }, buf[HAL_RPC_MAX_PKT_SIZE];
	size_t len;
	struct req r;
	struct rep p;

	ASSERT_EQ(0, emu_send_raw(&self->e, runts, sizeof(runts)));
	/* unknown opcodes, including with escaped bytes in the client handle */
	req_init(&r, 0xC0DBC0DB, 0xDBC0DBC0);
	req_u32(&r, 7);
	ASSERT_EQ(HAL_ERROR_RPC_BAD_FUNCTION, emu_call(&self->e, &r, &p));
	EXPECT_EQ(0xC0DBC0DBu, get_be32(p.buf));
	EXPECT_EQ(0xDBC0DBC0u, get_be32(p.buf + 4));
	EXPECT_EQ(12u, p.len);
	/* an oversized frame is truncated to 16384 bytes and processed */
	big[3] = RPC_FUNC_GET_VERSION;
	ASSERT_EQ(0, emu_send(&self->e, big, sizeof(big)));
	ASSERT_EQ(0, emu_recv(&self->e, buf, &len, 5000));
	EXPECT_EQ(16u, len);
	EXPECT_EQ(HAL_RPC_VERSION, get_be32(buf + 12));
	/* garbage never kills the board */
	for (int i = 0; i < 200; i++) {
		uint8_t junk[64];

		RAND_bytes(junk, sizeof(junk));
		ASSERT_EQ(0, emu_send_raw(&self->e, junk, sizeof(junk)));
	}
	ASSERT_EQ(0, emu_send_raw(&self->e, (uint8_t[]){ 0xC0 }, 1));
	/* drain whatever the junk produced, then the board still answers */
	req_init(&r, RPC_FUNC_GET_VERSION, 0xABCDEF01);
	ASSERT_EQ(0, emu_send(&self->e, r.buf, r.len));
	do {
		ASSERT_EQ(0, emu_recv(&self->e, buf, &len, 5000));
	} while (len < 8 || get_be32(buf + 4) != 0xABCDEF01u);
}

TEST_F(board, truncated_and_trailing)
{
	struct req r;
	struct rep p;

	/* LOGIN claiming 100 PIN bytes with 4 present: 27, no PIN delay */
	req_init(&r, RPC_FUNC_LOGIN, 0);
	req_u32(&r, 1);
	req_u32(&r, 100);
	req_u32(&r, 0x61626364);
	EXPECT_EQ(HAL_ERROR_XDR_BUFFER_OVERFLOW, emu_call(&self->e, &r, &p));
	/* trailing bytes are ignored; a final opaque may lack its pad */
	req_init(&r, RPC_FUNC_HASH_GET_DIGEST_LEN, 0);
	req_u32(&r, HAL_DIGEST_SHA256);
	req_u32(&r, 0xdeadbeef);
	ASSERT_EQ(0, emu_call(&self->e, &r, &p));
	EXPECT_EQ(32u, rep_u32(&p));
	req_init(&r, RPC_FUNC_LOGIN, 5);
	req_u32(&r, HAL_USER_NORMAL);
	req_opaque(&r, USER_PIN, 5);
	r.len -= 3;	/* drop the pad */
	EXPECT_EQ(0, emu_call(&self->e, &r, &p));
	/* a UUID argument of another length */
	req_init(&r, RPC_FUNC_PKEY_OPEN, USER);
	req_u32(&r, 0);
	req_opaque(&r, "0123456789abcde", 15);
	EXPECT_EQ(HAL_ERROR_KEY_NAME_TOO_LONG, emu_call(&self->e, &r, &p));
}

/* ---- PINs and login ---- */

TEST_F(board, login_rules)
{
	int64_t t0;

	EXPECT_EQ(0, cl_is_logged_in(&self->e, USER, HAL_USER_NORMAL));
	EXPECT_EQ(HAL_ERROR_FORBIDDEN, cl_is_logged_in(&self->e, USER, HAL_USER_WHEEL));
	EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, cl_is_logged_in(&self->e, USER, 0));
	EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, cl_is_logged_in(&self->e, USER, 4));
	EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, cl_login(&self->e, 2, HAL_USER_NORMAL, "abc"));
	EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, cl_login(&self->e, 2, 0, USER_PIN));
	/* wrong PIN: 24 after the configured delay, old login kept */
	t0 = mono_ms();
	EXPECT_EQ(HAL_ERROR_PIN_INCORRECT, cl_login(&self->e, USER, HAL_USER_NORMAL, "wrong"));
	EXPECT_GE(mono_ms() - t0, 30);
	EXPECT_EQ(0, cl_is_logged_in(&self->e, USER, HAL_USER_NORMAL));
	/* the last-gasp PIN was changed by bringup */
	EXPECT_EQ(HAL_ERROR_PIN_INCORRECT, cl_login(&self->e, 2, HAL_USER_WHEEL, LAST_GASP));
	EXPECT_EQ(0, cl_login(&self->e, 2, HAL_USER_WHEEL, WHEEL_PIN));
	EXPECT_EQ(HAL_ERROR_FORBIDDEN, cl_is_logged_in(&self->e, 2, HAL_USER_NORMAL));
	/* LOGIN as another user replaces the login */
	EXPECT_EQ(0, cl_login(&self->e, 2, HAL_USER_SO, SO_PIN));
	EXPECT_EQ(0, cl_is_logged_in(&self->e, 2, HAL_USER_SO));
	EXPECT_EQ(HAL_ERROR_FORBIDDEN, cl_is_logged_in(&self->e, 2, HAL_USER_WHEEL));
	EXPECT_EQ(0, cl_simple(&self->e, RPC_FUNC_LOGOUT, 2));
	EXPECT_EQ(HAL_ERROR_FORBIDDEN, cl_is_logged_in(&self->e, 2, HAL_USER_SO));
}

TEST_F(board, set_pin_rules)
{
	EXPECT_EQ(HAL_ERROR_FORBIDDEN, cl_set_pin(&self->e, 9, HAL_USER_NORMAL, "newpin"));
	EXPECT_EQ(HAL_ERROR_FORBIDDEN, cl_set_pin(&self->e, USER, HAL_USER_NORMAL, "newpin"));
	ASSERT_EQ(0, cl_login(&self->e, 9, HAL_USER_SO, SO_PIN));
	EXPECT_EQ(HAL_ERROR_FORBIDDEN, cl_set_pin(&self->e, 9, HAL_USER_SO, "newpin"));
	EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, cl_set_pin(&self->e, 9, HAL_USER_NORMAL, "123"));
	EXPECT_EQ(0, cl_set_pin(&self->e, 9, HAL_USER_NORMAL, "newpin"));
	EXPECT_EQ(HAL_ERROR_PIN_INCORRECT, cl_login(&self->e, 10, HAL_USER_NORMAL, USER_PIN));
	EXPECT_EQ(0, cl_login(&self->e, 10, HAL_USER_NORMAL, "newpin"));
	EXPECT_EQ(0, emu_control(&self->e, "set pin_iterations 10") ? 0 : -1);
	ASSERT_EQ(0, cl_login(&self->e, 11, HAL_USER_WHEEL, WHEEL_PIN));
	EXPECT_EQ(0, cl_set_pin(&self->e, 11, HAL_USER_SO, "so-2"));
	EXPECT_EQ(0, cl_login(&self->e, 12, HAL_USER_SO, "so-2"));
}

TEST_F(board, login_table_limit)
{
	/* USER and ten more: the eleventh distinct handle is refused */
	for (uint32_t c = 100; c < 109; c++)
		ASSERT_EQ(0, cl_login(&self->e, c, HAL_USER_NORMAL, USER_PIN));
	EXPECT_EQ(HAL_ERROR_NO_CLIENT_SLOTS_AVAILABLE,
		  cl_login(&self->e, 200, HAL_USER_NORMAL, USER_PIN));
	/* a handle already in the table can log in again */
	EXPECT_EQ(0, cl_login(&self->e, 100, HAL_USER_NORMAL, USER_PIN));
	EXPECT_EQ(0, cl_simple(&self->e, RPC_FUNC_LOGOUT, 100));
	EXPECT_EQ(0, cl_login(&self->e, 200, HAL_USER_NORMAL, USER_PIN));
	EXPECT_EQ(0, cl_simple(&self->e, RPC_FUNC_LOGOUT_ALL, 0));
	EXPECT_EQ(HAL_ERROR_FORBIDDEN, cl_is_logged_in(&self->e, 200, HAL_USER_NORMAL));
	EXPECT_EQ(HAL_ERROR_FORBIDDEN, cl_is_logged_in(&self->e, USER, HAL_USER_NORMAL));
}

TEST_F(board, factory_state)
{
	struct emu f;

	ASSERT_EQ(0, emu_start(&f, NULL, "--bad-pin-delay", "5", NULL));
	EXPECT_EQ(HAL_ERROR_PIN_INCORRECT, cl_login(&f, 1, HAL_USER_NORMAL, USER_PIN));
	EXPECT_EQ(HAL_ERROR_PIN_INCORRECT, cl_login(&f, 1, HAL_USER_SO, USER_PIN));
	EXPECT_EQ(0, cl_login(&f, 1, HAL_USER_WHEEL, LAST_GASP));
	emu_cleanup(&f);
}

/* ---- hashing ---- */

TEST_F(board, hash_functions)
{
	static const struct { uint32_t alg; const char *name; uint32_t len; } algs[] = {
		{ 1, "SHA1", 20 }, { 3, "SHA256", 32 }, { 4, "SHA512-224", 28 },
		{ 5, "SHA512-256", 32 }, { 6, "SHA384", 48 }, { 7, "SHA512", 64 },
	};
	uint8_t data[3000], want[64], got[16384];
	uint32_t h, hs[40];
	struct req r;
	struct rep p;

	RAND_bytes(data, sizeof(data));
	for (size_t i = 0; i < 6; i++) {
		unsigned int wl;
		size_t ml;

		req_init(&r, RPC_FUNC_HASH_GET_DIGEST_LEN, 0);
		req_u32(&r, algs[i].alg);
		ASSERT_EQ(0, emu_call(&self->e, &r, &p));
		EXPECT_EQ(algs[i].len, rep_u32(&p));
		/* plain */
		ASSERT_EQ(0, cl_hash_init(&self->e, algs[i].alg, NULL, 0, &h));
		req_init(&r, RPC_FUNC_HASH_GET_ALGORITHM, 0);
		req_u32(&r, h);
		ASSERT_EQ(0, emu_call(&self->e, &r, &p));
		EXPECT_EQ(algs[i].alg, rep_u32(&p));
		ASSERT_EQ(0, cl_hash_update(&self->e, h, data, 1000));
		ASSERT_EQ(0, cl_hash_update(&self->e, h, data + 1000, 2000));
		ASSERT_EQ(0, cl_hash_final(&self->e, h, algs[i].len + 4, got));
		EVP_Digest(data, sizeof(data), want, &wl, EVP_get_digestbyname(algs[i].name), NULL);
		EXPECT_EQ(0, memcmp(want, got, wl));
		EXPECT_EQ(0u, got[wl] | got[wl + 1] | got[wl + 2] | got[wl + 3]);
		/* HMAC */
		ASSERT_EQ(0, cl_hash_init(&self->e, algs[i].alg, "key", 3, &h));
		EXPECT_NE(0u, h & 0x80000000u);
		ASSERT_EQ(0, cl_hash_update(&self->e, h, data, sizeof(data)));
		ASSERT_EQ(0, cl_hash_final(&self->e, h, algs[i].len, got));
		ml = sizeof(want);
		EVP_Q_mac(NULL, "HMAC", NULL, algs[i].name, NULL, "key", 3, data, sizeof(data),
			  want, sizeof(want), &ml);
		EXPECT_EQ(0, memcmp(want, got, ml));
	}
	/* SHA-224 is refused everywhere */
	EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, cl_hash_init(&self->e, HAL_DIGEST_SHA224, NULL, 0, &h));
	req_init(&r, RPC_FUNC_HASH_GET_DIGEST_LEN, 0);
	req_u32(&r, HAL_DIGEST_SHA224);
	EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, emu_call(&self->e, &r, &p));
	/* algorithm identifiers */
	req_init(&r, RPC_FUNC_HASH_GET_DIGEST_ALGORITHM_ID, 0);
	req_u32(&r, HAL_DIGEST_SHA1);
	req_u32(&r, 11);
	ASSERT_EQ(0, emu_call(&self->e, &r, &p));
	EXPECT_EQ(11u, get_be32(p.buf + 12));
	EXPECT_EQ(0, memcmp(p.buf + 16, "\x30\x09\x06\x05\x2b\x0e\x03\x02\x1a\x05\x00", 11));
	req_init(&r, RPC_FUNC_HASH_GET_DIGEST_ALGORITHM_ID, 0);
	req_u32(&r, HAL_DIGEST_SHA1);
	req_u32(&r, 10);
	EXPECT_EQ(HAL_ERROR_RESULT_TOO_LONG, emu_call(&self->e, &r, &p));
	req_init(&r, RPC_FUNC_HASH_GET_DIGEST_ALGORITHM_ID, 0);
	req_u32(&r, HAL_DIGEST_SHA1);
	req_u32(&r, 16369);
	EXPECT_EQ(HAL_ERROR_RPC_PACKET_OVERFLOW, emu_call(&self->e, &r, &p));
	/* finalize errors: short length frees the handle; length 0 keeps it */
	ASSERT_EQ(0, cl_hash_init(&self->e, HAL_DIGEST_SHA256, NULL, 0, &h));
	EXPECT_EQ(HAL_ERROR_RPC_PACKET_OVERFLOW, cl_hash_final(&self->e, h, 16369, got));
	EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, cl_hash_final(&self->e, h, 0, got));
	EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, cl_hash_final(&self->e, h, 31, got));
	EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, cl_hash_update(&self->e, h, "x", 1));
	EXPECT_EQ(0, cl_hash_update(&self->e, h, NULL, 0));	/* not even looked up */
	EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, cl_hash_update(&self->e, 0, NULL, 0));
	/* 32 hash and 16 HMAC contexts */
	for (int i = 0; i < 32; i++)
		ASSERT_EQ(0, cl_hash_init(&self->e, HAL_DIGEST_SHA1, NULL, 0, &hs[i]));
	EXPECT_EQ(HAL_ERROR_ALLOCATION_FAILURE, cl_hash_init(&self->e, 1, NULL, 0, &h));
	for (int i = 0; i < 16; i++)
		ASSERT_EQ(0, cl_hash_init(&self->e, HAL_DIGEST_SHA1, "k", 1, &hs[32 + i % 8]));
	EXPECT_EQ(HAL_ERROR_ALLOCATION_FAILURE, cl_hash_init(&self->e, 1, "k", 1, &h));
	EXPECT_EQ(48, json_num(emu_control(&self->e, "stats"), "hash_handles_open"));
	for (int i = 0; i < 32; i++)
		ASSERT_EQ(0, cl_hash_final(&self->e, hs[i], 64, got));
	EXPECT_EQ(0, cl_hash_init(&self->e, HAL_DIGEST_SHA1, NULL, 0, &h));
}

/* ---- keys ---- */

static EVP_PKEY *spki_to_pkey(const uint8_t *der, uint32_t len)
{
	const uint8_t *p = der;

	return d2i_PUBKEY(NULL, &p, len);
}

/* Verify an r||s signature over digest with OpenSSL. */
static int ossl_verify_ec(EVP_PKEY *pk, const uint8_t *dg, size_t dlen, const uint8_t *sig,
			  size_t siglen)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	uint8_t *der = NULL;
	int n, ok;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(pk, NULL);

	ECDSA_SIG_set0(es, BN_bin2bn(sig, (int)siglen / 2, NULL),
		       BN_bin2bn(sig + siglen / 2, (int)siglen / 2, NULL));
	n = i2d_ECDSA_SIG(es, &der);
	ok = EVP_PKEY_verify_init(c) == 1 && EVP_PKEY_verify(c, der, (size_t)n, dg, dlen) == 1;
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	EVP_PKEY_CTX_free(c);
	return ok;
}

TEST_F(board, ecdsa_all_curves)
{
	static const struct { uint32_t curve, olen; const char *md; } cv[] = {
		{ HAL_CURVE_P256, 32, "SHA256" }, { HAL_CURVE_P384, 48, "SHA384" },
		{ HAL_CURVE_P521, 66, "SHA512" },
	};

	for (int i = 0; i < 3; i++) {
		uint8_t der[600], sig[200], dg[64], uuid[16];
		uint32_t h, hh, len, siglen, v;
		unsigned int dl;
		EVP_PKEY *pk;

		ASSERT_EQ(0, cl_gen_ec(&self->e, USER, cv[i].curve, DS, &h, uuid));
		ASSERT_EQ(0, cl_handle_op(&self->e, RPC_FUNC_PKEY_GET_KEY_TYPE, h, &v));
		EXPECT_EQ((uint32_t)HAL_KEY_TYPE_EC_PRIVATE, v);
		ASSERT_EQ(0, cl_handle_op(&self->e, RPC_FUNC_PKEY_GET_KEY_CURVE, h, &v));
		EXPECT_EQ(cv[i].curve, v);
		ASSERT_EQ(0, cl_handle_op(&self->e, RPC_FUNC_PKEY_GET_KEY_FLAGS, h, &v));
		EXPECT_EQ((uint32_t)DS, v);
		ASSERT_EQ(0, cl_pubkey(&self->e, h, der, &len));
		ASSERT_EQ(0, cl_handle_op(&self->e, RPC_FUNC_PKEY_GET_PUBLIC_KEY_LEN, h, &v));
		EXPECT_EQ(len, v);
		pk = spki_to_pkey(der, len);
		ASSERT_NE(NULL, pk);
		EVP_Digest("abc", 3, dg, &dl, EVP_get_digestbyname(cv[i].md), NULL);
		ASSERT_EQ(0, cl_sign(&self->e, h, 0, dg, dl, 2 * cv[i].olen, sig, &siglen));
		EXPECT_EQ(2 * cv[i].olen, siglen);
		EXPECT_TRUE(ossl_verify_ec(pk, dg, dl, sig, siglen));
		EXPECT_EQ(0, cl_verify(&self->e, h, 0, dg, dl, sig, siglen));
		sig[3] ^= 1;
		EXPECT_EQ(HAL_ERROR_INVALID_SIGNATURE, cl_verify(&self->e, h, 0, dg, dl, sig, siglen));
		EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, cl_verify(&self->e, h, 0, dg, dl, sig, siglen - 1));
		/* r = 0 is out of range */
		memset(sig, 0, siglen / 2);
		EXPECT_EQ(HAL_ERROR_INVALID_SIGNATURE, cl_verify(&self->e, h, 0, dg, dl, sig, siglen));
		/* board hash handle */
		ASSERT_EQ(0, cl_hash_init(&self->e, i == 0 ? 3 : i == 1 ? 6 : 7, NULL, 0, &hh));
		ASSERT_EQ(0, cl_hash_update(&self->e, hh, "abc", 3));
		ASSERT_EQ(0, cl_sign(&self->e, h, hh, NULL, 0, 200, sig, &siglen));
		EXPECT_TRUE(ossl_verify_ec(pk, dg, dl, sig, siglen));
		EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, cl_hash_final(&self->e, hh, 64, dg));	/* consumed */
		/* sig_max checks */
		EXPECT_EQ(HAL_ERROR_RESULT_TOO_LONG, cl_sign(&self->e, h, 0, dg, dl, 2 * cv[i].olen - 1,
							      sig, &siglen));
		EXPECT_EQ(HAL_ERROR_RPC_PACKET_OVERFLOW, cl_sign(&self->e, h, 0, dg, dl, 16369, sig,
								  &siglen));
		EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, cl_sign(&self->e, h, 0, dg, dl, 0, sig, &siglen));
		EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, cl_sign(&self->e, h, 0, NULL, 0, 200, sig, &siglen));
		EVP_PKEY_free(pk);
		EXPECT_EQ(0, cl_handle_op(&self->e, RPC_FUNC_PKEY_CLOSE, h, NULL));
		EXPECT_EQ(HAL_ERROR_KEY_NOT_FOUND, cl_handle_op(&self->e, RPC_FUNC_PKEY_CLOSE, h, NULL));
	}
}

TEST_F(board, ecdsa_no_truncation)
{
	/* SHA-384 digest on P-256: e is the whole input, as the board does (§7.7) */
	uint8_t der[200], sig[64], dg[48], uuid[16];
	uint32_t h, len, siglen;

	RAND_bytes(dg, sizeof(dg));
	ASSERT_EQ(0, cl_gen_ec(&self->e, USER, HAL_CURVE_P256, DS, &h, uuid));
	ASSERT_EQ(0, cl_pubkey(&self->e, h, der, &len));
	ASSERT_EQ(0, cl_sign(&self->e, h, 0, dg, sizeof(dg), 64, sig, &siglen));
	EXPECT_EQ(0, cl_verify(&self->e, h, 0, dg, sizeof(dg), sig, siglen));
	EVP_PKEY *pk = spki_to_pkey(der, len);
	/* a FIPS verifier (which truncates) rejects it */
	EXPECT_FALSE(ossl_verify_ec(pk, dg, sizeof(dg), sig, siglen));
	EVP_PKEY_free(pk);
}

TEST_F(board, rsa_generate_sign_verify)
{
	static const uint8_t di_prefix[19] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86,
					       0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
					       0x00, 0x04, 0x20 };
	uint8_t di[51], sig[512], der[600], uuid[16], big[200] = { 0 };
	uint32_t h, hh, siglen, len, pub, v;
	struct req r;
	struct rep p;
	EVP_PKEY *pk;
	EVP_PKEY_CTX *c;

	memcpy(di, di_prefix, 19);
	memcpy(di + 19, abc_sha256, 32);
	/* arguments */
	EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, cl_gen_rsa(&self->e, USER, 1025, DS, &h, uuid));
	EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, cl_gen_rsa(&self->e, USER, 0, DS, &h, uuid));
	EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, cl_gen_rsa(&self->e, USER, 1024, 0x40, &h, uuid));
	EXPECT_EQ(HAL_ERROR_UNSUPPORTED_KEY, cl_gen_rsa(&self->e, USER, 512, DS, &h, uuid));
	EXPECT_EQ(HAL_ERROR_FORBIDDEN, cl_gen_rsa(&self->e, 55, 1024, DS, &h, uuid));
	req_init(&r, RPC_FUNC_PKEY_GENERATE_RSA, USER);
	req_u32(&r, 0);
	req_u32(&r, 1024);
	req_opaque(&r, "\x03", 1);
	req_u32(&r, DS);
	EXPECT_EQ(HAL_ERROR_UNSUPPORTED_KEY, emu_call(&self->e, &r, &p));
	req_init(&r, RPC_FUNC_PKEY_GENERATE_RSA, USER);
	req_u32(&r, 0);
	req_u32(&r, 1024);
	req_opaque(&r, "\x00\x01\x00\x01", 4);	/* any encoding of 65537 */
	req_u32(&r, DS | TOKEN);
	ASSERT_EQ(0, emu_call(&self->e, &r, &p));
	h = rep_u32(&p);
	EXPECT_NE(0u, h & 0x80000000u);

	ASSERT_EQ(0, cl_sign(&self->e, h, 0, di, sizeof(di), 128, sig, &siglen));
	EXPECT_EQ(128u, siglen);
	EXPECT_EQ(0, cl_verify(&self->e, h, 0, di, sizeof(di), sig, siglen));
	ASSERT_EQ(0, cl_pubkey(&self->e, h, der, &len));
	pk = spki_to_pkey(der, len);
	ASSERT_NE(NULL, pk);
	c = EVP_PKEY_CTX_new(pk, NULL);
	ASSERT_EQ(1, EVP_PKEY_verify_init(c));
	ASSERT_EQ(1, EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()));
	EXPECT_EQ(1, EVP_PKEY_verify(c, sig, siglen, abc_sha256, 32));
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(pk);
	/* hash handle: the board builds the DigestInfo itself */
	ASSERT_EQ(0, cl_hash_init(&self->e, HAL_DIGEST_SHA256, NULL, 0, &hh));
	ASSERT_EQ(0, cl_hash_update(&self->e, hh, "abc", 3));
	uint8_t sig2[128];
	ASSERT_EQ(0, cl_sign(&self->e, h, hh, NULL, 0, 128, sig2, &siglen));
	EXPECT_EQ(0, memcmp(sig, sig2, 128));	/* PKCS#1 v1.5 is deterministic */
	/* the public key loaded on its own verifies too */
	ASSERT_EQ(0, cl_load(&self->e, USER, der, len, DS, &pub, uuid));
	ASSERT_EQ(0, cl_handle_op(&self->e, RPC_FUNC_PKEY_GET_KEY_TYPE, pub, &v));
	EXPECT_EQ((uint32_t)HAL_KEY_TYPE_RSA_PUBLIC, v);
	EXPECT_EQ(0, cl_verify(&self->e, pub, 0, di, sizeof(di), sig, siglen));
	EXPECT_EQ(HAL_ERROR_UNSUPPORTED_KEY, cl_sign(&self->e, pub, 0, di, 51, 128, sig, &siglen));
	uint8_t der2[600];
	uint32_t len2;
	ASSERT_EQ(0, cl_pubkey(&self->e, pub, der2, &len2));
	EXPECT_EQ(len, len2);
	EXPECT_EQ(0, memcmp(der, der2, len));
	sig[10] ^= 0x40;
	EXPECT_EQ(HAL_ERROR_INVALID_SIGNATURE, cl_verify(&self->e, pub, 0, di, 51, sig, 128));
	/* input too long for the modulus */
	EXPECT_EQ(HAL_ERROR_RESULT_TOO_LONG, cl_sign(&self->e, h, 0, big, 118, 128, sig, &siglen));
	EXPECT_EQ(0, cl_sign(&self->e, h, 0, big, 117, 128, sig, &siglen));
	EXPECT_EQ(HAL_ERROR_RESULT_TOO_LONG, cl_sign(&self->e, h, 0, di, 51, 127, sig, &siglen));
	EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, cl_sign(&self->e, h, 12345, NULL, 0, 128, sig, &siglen));
}

TEST_F(board, sign_needs_usage_flag)
{
	uint32_t h, siglen;
	uint8_t sig[64];

	ASSERT_EQ(0, cl_gen_ec(&self->e, USER, HAL_CURVE_P256, KE, &h, NULL));
	EXPECT_EQ(HAL_ERROR_FORBIDDEN, cl_sign(&self->e, h, 0, abc_sha256, 32, 64, sig, &siglen));
	EXPECT_EQ(HAL_ERROR_FORBIDDEN, cl_verify(&self->e, h, 0, abc_sha256, 32, sig, 64));
	/* a never-issued handle; handle 0 finds free slot 0 (firmware quirk) */
	EXPECT_EQ(HAL_ERROR_KEY_NOT_FOUND, cl_sign(&self->e, 0x00070005, 0, abc_sha256, 32, 64,
						    sig, &siglen));
}

static int make_der(EVP_PKEY *pk, bool priv, uint8_t **der)
{
	if (priv) {
		PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(pk);
		int n = i2d_PKCS8_PRIV_KEY_INFO(p8, der);

		PKCS8_PRIV_KEY_INFO_free(p8);
		return n;
	}
	return i2d_PUBKEY(pk, der);
}

TEST_F(board, load_keys)
{
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	uint8_t *der = NULL, uuid[16], sig[200], pub[600];
	uint32_t h, v, siglen, plen;
	int n;

	ASSERT_NE(NULL, ec);
	ASSERT_NE(NULL, rsa);
	n = make_der(ec, true, &der);
	ASSERT_EQ(0, cl_load(&self->e, USER, der, (size_t)n, DS | TOKEN, &h, uuid));
	EXPECT_EQ(0, cl_handle_op(&self->e, RPC_FUNC_PKEY_GET_KEY_CURVE, h, &v));
	EXPECT_EQ((uint32_t)HAL_CURVE_P384, v);
	ASSERT_EQ(0, cl_sign(&self->e, h, 0, abc_sha256, 32, 96, sig, &siglen));
	EXPECT_TRUE(ossl_verify_ec(ec, abc_sha256, 32, sig, siglen));
	/* not logged in: only PUBLIC volatile keys may be created */
	EXPECT_EQ(HAL_ERROR_FORBIDDEN, cl_load(&self->e, 50, der, (size_t)n, DS, &h, uuid));
	EXPECT_EQ(HAL_ERROR_FORBIDDEN, cl_load(&self->e, 50, der, (size_t)n, PUBLIC | TOKEN, &h,
						uuid));
	EXPECT_EQ(0, cl_load(&self->e, 50, der, (size_t)n, PUBLIC | DS, &h, uuid));
	/* bad arguments and structures */
	EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, cl_load(&self->e, USER, der, 0, DS, &h, uuid));
	EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, cl_load(&self->e, USER, der, (size_t)n, 0x80, &h, uuid));
	EXPECT_EQ(HAL_ERROR_ASN1_PARSE_FAILED, cl_load(&self->e, USER, (uint8_t *)"\x30\x03\x02\x01\x05", 5,
							DS, &h, uuid));
	OPENSSL_free(der);
	der = NULL;
	n = make_der(ed, true, &der);
	EXPECT_EQ(HAL_ERROR_UNSUPPORTED_KEY, cl_load(&self->e, USER, der, (size_t)n, DS, &h, uuid));
	OPENSSL_free(der);
	der = NULL;
	/* bare PKCS#1 RSAPrivateKey is refused */
	n = i2d_PrivateKey(rsa, &der);
	EXPECT_EQ(HAL_ERROR_ASN1_PARSE_FAILED, cl_load(&self->e, USER, der, (size_t)n, DS, &h, uuid));
	OPENSSL_free(der);
	der = NULL;
	/* RSA PKCS#8 and SPKI */
	n = make_der(rsa, true, &der);
	ASSERT_EQ(0, cl_load(&self->e, USER, der, (size_t)n, DS, &h, uuid));
	EXPECT_EQ(0, cl_handle_op(&self->e, RPC_FUNC_PKEY_GET_KEY_TYPE, h, &v));
	EXPECT_EQ((uint32_t)HAL_KEY_TYPE_RSA_PRIVATE, v);
	ASSERT_EQ(0, cl_pubkey(&self->e, h, pub, &plen));
	OPENSSL_free(der);
	der = NULL;
	n = make_der(rsa, false, &der);
	EXPECT_EQ((uint32_t)n, plen);
	EXPECT_EQ(0, memcmp(der, pub, plen));
	ASSERT_EQ(0, cl_load(&self->e, USER, der, (size_t)n, DS, &h, uuid));
	EXPECT_EQ(0, cl_handle_op(&self->e, RPC_FUNC_PKEY_GET_KEY_TYPE, h, &v));
	EXPECT_EQ((uint32_t)HAL_KEY_TYPE_RSA_PUBLIC, v);
	OPENSSL_free(der);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
}

TEST_F(board, load_rsa_with_board_factors)
{
	/* a real board's export: RSAPrivateKey with private-class fields C0-C5 after qInv */
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	uint8_t *der = NULL, buf[4096], uuid[16], sig[128];
	uint32_t h, siglen;
	int n = make_der(rsa, true, &der);
	size_t off, inner_len, rsa_len, extra = 0, m = 0;

	/* der: 30 82 LL LL | 02 01 00 | 30 0d ... | 04 82 LL LL | 30 82 LL LL ... */
	ASSERT_EQ(0x30, der[0]);
	ASSERT_EQ(0x82, der[1]);
	off = 4 + 3 + 15;
	ASSERT_EQ(0x04, der[off]);
	ASSERT_EQ(0x82, der[off + 1]);
	inner_len = (size_t)der[off + 2] << 8 | der[off + 3];
	ASSERT_EQ(0x30, der[off + 4]);
	rsa_len = (size_t)der[off + 6] << 8 | der[off + 7];
	for (int t = 0; t < 6; t++)
		extra += 2 + 8;
	/* rebuild with the extra fields */
	buf[m++] = 0x30;
	buf[m++] = 0x82;
	m += 2;
	memcpy(buf + m, der + 4, 18);
	m += 18;
	buf[m++] = 0x04;
	buf[m++] = 0x82;
	buf[m++] = (uint8_t)((inner_len + extra) >> 8);
	buf[m++] = (uint8_t)(inner_len + extra);
	buf[m++] = 0x30;
	buf[m++] = 0x82;
	buf[m++] = (uint8_t)((rsa_len + extra) >> 8);
	buf[m++] = (uint8_t)(rsa_len + extra);
	memcpy(buf + m, der + off + 8, rsa_len);
	m += rsa_len;
	for (int t = 0; t < 6; t++) {
		buf[m++] = (uint8_t)(0xC0 + t);
		buf[m++] = 8;
		memset(buf + m, 0x11 * (t + 1), 8);
		m += 8;
	}
	buf[2] = (uint8_t)((m - 4) >> 8);
	buf[3] = (uint8_t)(m - 4);
	ASSERT_EQ(0, cl_load(&self->e, USER, buf, m, DS, &h, uuid));
	uint8_t di[51] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
			   0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
	memcpy(di + 19, abc_sha256, 32);
	EXPECT_EQ(0, cl_sign(&self->e, h, 0, di, 51, 128, sig, &siglen));
	EXPECT_EQ(0, cl_verify(&self->e, h, 0, di, 51, sig, siglen));
	(void)n;
	OPENSSL_free(der);
	EVP_PKEY_free(rsa);
}

TEST_F(board, key_block_limits)
{
	/* outer structure only is parsed at LOAD: a huge RSA PKCS#8 is stored... */
	static uint8_t der[9000], big[7000], sig[128];
	static const uint8_t head[] = { 0x30, 0x82, 0, 0, 0x02, 0x01, 0x00, 0x30, 0x0d, 0x06, 0x09,
					0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05,
					0x00, 0x04, 0x82, 0, 0 };
	uint32_t h, v, siglen;
	size_t n;

	for (int round = 0; round < 2; round++) {
		size_t body = round ? 8200 : 5600;

		memcpy(der, head, sizeof(head));
		memset(der + sizeof(head), 0x5a, body);
		n = sizeof(head) + body;
		der[2] = (uint8_t)((n - 4) >> 8);
		der[3] = (uint8_t)(n - 4);
		der[24] = (uint8_t)(body >> 8);
		der[25] = (uint8_t)body;
		if (round) {
			/* ...unless it cannot be wrapped into a key block */
			EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, cl_load(&self->e, USER, der, n, DS, &h, NULL));
			break;
		}
		ASSERT_EQ(0, cl_load(&self->e, USER, der, n, DS, &h, NULL));
		/* but a wrapped key above 5480 bytes cannot be fetched again */
		EXPECT_EQ(0, cl_handle_op(&self->e, RPC_FUNC_PKEY_GET_PUBLIC_KEY_LEN, h, &v));
		EXPECT_EQ(0u, v);
		EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, cl_sign(&self->e, h, 0, abc_sha256, 32, 128, sig,
							  &siglen));
	}
	/* the first RSA signature needs room for the FPGA factors (about 2 KiB) */
	ASSERT_EQ(0, cl_gen_rsa(&self->e, USER, 1024, DS, &h, NULL));
	memset(big, 'a', sizeof(big));
	ASSERT_EQ(0, set_attr(&self->e, h, 1, big, 7000));
	EXPECT_EQ(HAL_ERROR_RESULT_TOO_LONG, cl_sign(&self->e, h, 0, abc_sha256, 32, 128, sig,
						     &siglen));
	ASSERT_EQ(0, set_attr(&self->e, h, 1, big, 4000));
	EXPECT_EQ(0, cl_sign(&self->e, h, 0, abc_sha256, 32, 128, sig, &siglen));
	/* afterwards the block has that much less room */
	EXPECT_EQ(HAL_ERROR_RESULT_TOO_LONG, set_attr(&self->e, h, 1, big, 6000));
}

TEST_F(board, token_keystore_full)
{
	uint32_t h = 0, keep = 0;
	int st = 0, i;

	ASSERT_NE(NULL, emu_control(&self->e, "set pin_iterations 1"));
	for (i = 0; i < 2100; i++) {
		st = cl_gen_ec(&self->e, USER, HAL_CURVE_P256, DS | TOKEN, &h, NULL);
		if (st)
			break;
		if (i == 0)
			keep = h;
		else
			ASSERT_EQ(0, cl_handle_op(&self->e, RPC_FUNC_PKEY_CLOSE, h, NULL));
	}
	EXPECT_EQ(2047, i);	/* 2048 blocks, one holds the PINs */
	EXPECT_EQ(HAL_ERROR_NO_KEY_INDEX_SLOTS, st);
	/* rewrites need a spare block */
	EXPECT_EQ(HAL_ERROR_NO_KEY_INDEX_SLOTS, set_attr(&self->e, keep, 3, "x", 1));
	ASSERT_EQ(0, cl_login(&self->e, 5, HAL_USER_WHEEL, WHEEL_PIN));
	EXPECT_EQ(HAL_ERROR_NO_KEY_INDEX_SLOTS, cl_set_pin(&self->e, 5, HAL_USER_NORMAL, "abcd"));
	/* volatile keys are still fine, and deleting frees a block */
	EXPECT_EQ(0, cl_gen_ec(&self->e, USER, HAL_CURVE_P256, DS, &h, NULL));
	EXPECT_EQ(0, cl_handle_op(&self->e, RPC_FUNC_PKEY_DELETE, keep, NULL));
	EXPECT_EQ(0, cl_set_pin(&self->e, 5, HAL_USER_NORMAL, "abcd"));
}

TEST_F(board, more_error_paths)
{
	uint8_t uuid[16], sig[64];
	uint32_t h, h2, hh, v, siglen;
	struct req r;
	struct rep p;

	ASSERT_EQ(0, cl_gen_ec(&self->e, USER, HAL_CURVE_P256, DS, &h, uuid));
	/* GET_PUBLIC_KEY sizes */
	req_init(&r, RPC_FUNC_PKEY_GET_PUBLIC_KEY, 0);
	req_u32(&r, h);
	req_u32(&r, 90);	/* 91 needed */
	EXPECT_EQ(HAL_ERROR_RESULT_TOO_LONG, emu_call(&self->e, &r, &p));
	r.len -= 4;
	req_u32(&r, 0);
	EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, emu_call(&self->e, &r, &p));
	r.len -= 4;
	req_u32(&r, 16369);
	EXPECT_EQ(HAL_ERROR_RPC_PACKET_OVERFLOW, emu_call(&self->e, &r, &p));
	req_init(&r, RPC_FUNC_PKEY_GET_PUBLIC_KEY, 0);
	req_u32(&r, 0x00990009);
	req_u32(&r, 200);
	EXPECT_EQ(HAL_ERROR_KEY_NOT_FOUND, emu_call(&self->e, &r, &p));
	/* VERIFY through a hash handle */
	ASSERT_EQ(0, cl_sign(&self->e, h, 0, abc_sha256, 32, 64, sig, &siglen));
	ASSERT_EQ(0, cl_hash_init(&self->e, HAL_DIGEST_SHA256, NULL, 0, &hh));
	ASSERT_EQ(0, cl_hash_update(&self->e, hh, "abc", 3));
	EXPECT_EQ(0, cl_verify(&self->e, h, hh, NULL, 0, sig, siglen));
	EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, cl_verify(&self->e, h, hh, NULL, 0, sig, siglen));
	EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, cl_verify(&self->e, h, 0, abc_sha256, 32, NULL, 0));
	EXPECT_EQ(HAL_ERROR_KEY_NOT_FOUND, cl_verify(&self->e, 0x00990009, 0, abc_sha256, 32, sig, 64));
	/* HASH_GET_ALGORITHM of no context */
	req_init(&r, RPC_FUNC_HASH_GET_ALGORITHM, 0);
	req_u32(&r, hh);
	EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, emu_call(&self->e, &r, &p));
	/* DELETE of a key already deleted through another handle: 21, handle freed */
	ASSERT_EQ(0, cl_open(&self->e, USER, uuid, &h2));
	ASSERT_EQ(0, cl_handle_op(&self->e, RPC_FUNC_PKEY_DELETE, h, NULL));
	EXPECT_EQ(HAL_ERROR_KEY_NOT_FOUND, cl_handle_op(&self->e, RPC_FUNC_PKEY_DELETE, h2, NULL));
	EXPECT_EQ(HAL_ERROR_KEY_NOT_FOUND, cl_handle_op(&self->e, RPC_FUNC_PKEY_GET_KEY_TYPE, h2, &v));
	/* MATCH: previous name of the wrong length */
	req_init(&r, RPC_FUNC_PKEY_MATCH, USER);
	for (int i = 0; i < 6; i++)
		req_u32(&r, 0);
	req_u32(&r, 1);
	req_u32(&r, 10);
	req_opaque(&r, uuid, 15);
	EXPECT_EQ(HAL_ERROR_KEY_NAME_TOO_LONG, emu_call(&self->e, &r, &p));
	/* EXPORT/IMPORT with dead handles */
	req_init(&r, RPC_FUNC_PKEY_EXPORT, 0);
	req_u32(&r, 0x00990009);
	req_u32(&r, 0x00980008);
	req_u32(&r, 6000);
	req_u32(&r, 600);
	EXPECT_EQ(HAL_ERROR_KEY_NOT_FOUND, emu_call(&self->e, &r, &p));
	req_init(&r, RPC_FUNC_PKEY_IMPORT, USER);
	req_u32(&r, 0);
	req_u32(&r, 0x00980008);
	req_opaque(&r, "abc", 3);
	req_opaque(&r, "abc", 3);
	req_u32(&r, DS);
	EXPECT_EQ(HAL_ERROR_KEY_NOT_FOUND, emu_call(&self->e, &r, &p));
	/* LOAD and GENERATE_EC arguments */
	EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, cl_gen_ec(&self->e, USER, 4, DS, &v, NULL));
	EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, cl_gen_ec(&self->e, USER, 0, DS, &v, NULL));
	/* no master key: LOAD fails with 32 after its checks */
	ASSERT_EQ(0, strcmp("ok", emu_control(&self->e, "set masterkey erase")));
	EXPECT_EQ(HAL_ERROR_MASTERKEY_NOT_SET,
		  cl_gen_ec(&self->e, 70, HAL_CURVE_P256, DS | PUBLIC, &v, NULL));
	EXPECT_EQ(HAL_ERROR_MASTERKEY_NOT_SET,
		  cl_load(&self->e, USER, (const uint8_t *)"\x30\x13\x30\x0d\x06\x09\x2a\x86\x48\x86"
			  "\xf7\x0d\x01\x01\x01\x05\x00\x03\x02\x00\x00", 21, DS, &v, NULL));
}

TEST_F(board, access_and_visibility)
{
	uint8_t uuid[16], tok[16], pubu[16];
	uint32_t h, h2, v;

	ASSERT_EQ(0, cl_gen_ec(&self->e, USER, HAL_CURVE_P256, DS, &h, uuid));
	ASSERT_EQ(0, cl_gen_ec(&self->e, USER, HAL_CURVE_P256, DS | TOKEN, &h2, tok));
	/* another client, logged in as user, sees the token key but not the volatile one */
	ASSERT_EQ(0, cl_login(&self->e, 2, HAL_USER_NORMAL, USER_PIN));
	EXPECT_EQ(HAL_ERROR_KEY_NOT_FOUND, cl_open(&self->e, 2, uuid, &v));
	EXPECT_EQ(0, cl_open(&self->e, 2, tok, &v));
	/* wheel sees every volatile key */
	ASSERT_EQ(0, cl_login(&self->e, 3, HAL_USER_WHEEL, WHEEL_PIN));
	EXPECT_EQ(0, cl_open(&self->e, 3, uuid, &v));
	/* SO may neither open nor create */
	ASSERT_EQ(0, cl_login(&self->e, 4, HAL_USER_SO, SO_PIN));
	EXPECT_EQ(HAL_ERROR_FORBIDDEN, cl_open(&self->e, 4, tok, &v));
	EXPECT_EQ(HAL_ERROR_FORBIDDEN, cl_gen_ec(&self->e, 4, HAL_CURVE_P256, DS, &v, NULL));
	/* OPEN needs login even for PUBLIC keys (§9 #3) */
	ASSERT_EQ(0, cl_gen_ec(&self->e, 60, HAL_CURVE_P256, DS | PUBLIC, &h, pubu));
	EXPECT_EQ(HAL_ERROR_FORBIDDEN, cl_open(&self->e, 60, pubu, &v));
	/* keys created under handle 0 are everybody's */
	ASSERT_EQ(0, cl_login(&self->e, 0, HAL_USER_NORMAL, USER_PIN));
	ASSERT_EQ(0, cl_gen_ec(&self->e, 0, HAL_CURVE_P256, DS, &h, uuid));
	EXPECT_EQ(0, cl_open(&self->e, 2, uuid, &v));
	/* DELETE is judged on the client that opened the handle */
	ASSERT_EQ(0, cl_open(&self->e, 2, tok, &h2));
	ASSERT_EQ(0, cl_simple(&self->e, RPC_FUNC_LOGOUT, 2));
	EXPECT_EQ(HAL_ERROR_FORBIDDEN, cl_handle_op(&self->e, RPC_FUNC_PKEY_DELETE, h2, NULL));
	EXPECT_EQ(0, cl_open(&self->e, USER, tok, &h));
	EXPECT_EQ(0, cl_handle_op(&self->e, RPC_FUNC_PKEY_DELETE, h, NULL));
	EXPECT_EQ(HAL_ERROR_KEY_NOT_FOUND, cl_open(&self->e, USER, tok, &h));
	/* handle of the deleted key still answers GET_KEY_TYPE, but not key material */
	EXPECT_EQ(0, cl_handle_op(&self->e, RPC_FUNC_PKEY_GET_KEY_TYPE, h2, &v));
	EXPECT_EQ(0, cl_handle_op(&self->e, RPC_FUNC_PKEY_GET_PUBLIC_KEY_LEN, h2, &v));
	EXPECT_EQ(0u, v);
}

TEST_F(board, logout_semantics)
{
	uint8_t uuid[16], pubu[16], sig[64];
	uint32_t h, hp, v, siglen;
	const char *st;

	ASSERT_EQ(0, cl_gen_ec(&self->e, USER, HAL_CURVE_P256, DS, &h, uuid));
	/* a PUBLIC session key made without login outlives its client's LOGOUT */
	ASSERT_EQ(0, cl_gen_ec(&self->e, 70, HAL_CURVE_P256, DS | PUBLIC, &hp, pubu));
	ASSERT_EQ(0, cl_simple(&self->e, RPC_FUNC_LOGOUT, 70));
	EXPECT_EQ(0, cl_sign(&self->e, hp, 0, abc_sha256, 32, 64, sig, &siglen));
	st = emu_control(&self->e, "stats");
	EXPECT_EQ(2, json_num(st, "volatile"));
	ASSERT_EQ(0, cl_simple(&self->e, RPC_FUNC_LOGOUT, USER));
	/* the volatile key is gone; the handle survives (§9 #2) */
	EXPECT_EQ(0, cl_handle_op(&self->e, RPC_FUNC_PKEY_GET_KEY_TYPE, h, &v));
	EXPECT_EQ(HAL_ERROR_KEY_NOT_FOUND, cl_sign(&self->e, h, 0, abc_sha256, 32, 64, sig, &siglen));
	st = emu_control(&self->e, "stats");
	EXPECT_EQ(1, json_num(st, "volatile"));
	EXPECT_EQ(2, json_num(st, "pkey_handles_open"));
	EXPECT_EQ(0, cl_handle_op(&self->e, RPC_FUNC_PKEY_CLOSE, h, NULL));
	EXPECT_EQ(0, cl_handle_op(&self->e, RPC_FUNC_PKEY_CLOSE, hp, NULL));
	EXPECT_EQ(0, json_num(emu_control(&self->e, "stats"), "pkey_handles_open"));
}

TEST_F(board, handles_and_slot_limit)
{
	uint32_t h[256], v;
	uint8_t uuid[16];

	ASSERT_EQ(0, cl_gen_ec(&self->e, USER, HAL_CURVE_P256, DS, &h[0], uuid));
	EXPECT_EQ(0u, h[0] & 0xFFFF);
	EXPECT_EQ(0u, h[0] & 0x80000000u);
	for (int i = 1; i < 256; i++) {
		ASSERT_EQ(0, cl_open(&self->e, USER, uuid, &h[i]));
		EXPECT_EQ((uint32_t)i, h[i] & 0xFFFF);
		EXPECT_EQ(((h[i - 1] >> 16) & 0x7FFF) + 1, (h[i] >> 16) & 0x7FFF);
	}
	EXPECT_EQ(HAL_ERROR_NO_KEY_SLOTS_AVAILABLE, cl_open(&self->e, USER, uuid, &v));
	EXPECT_EQ(256, json_num(emu_control(&self->e, "stats"), "pkey_handles_open"));
	ASSERT_EQ(0, cl_handle_op(&self->e, RPC_FUNC_PKEY_CLOSE, h[7], NULL));
	ASSERT_EQ(0, cl_open(&self->e, USER, uuid, &v));
	EXPECT_EQ(7u, v & 0xFFFF);
	for (int i = 0; i < 256; i++)
		ASSERT_EQ(0, cl_handle_op(&self->e, RPC_FUNC_PKEY_CLOSE, i == 7 ? v : h[i], NULL));
	/* a failed generation after the slot was taken leaks it, as on the board */
	for (int i = 0; i < 256; i++)
		ASSERT_EQ(HAL_ERROR_UNSUPPORTED_KEY, cl_gen_rsa(&self->e, USER, 512, DS, &v, NULL));
	EXPECT_EQ(HAL_ERROR_NO_KEY_SLOTS_AVAILABLE, cl_gen_ec(&self->e, USER, 1, DS, &v, NULL));
}

TEST_F(board, volatile_capacity)
{
	uint32_t h;
	int st = 0, i;

	for (i = 0; i < 1300; i++) {
		st = cl_gen_ec(&self->e, USER, HAL_CURVE_P256, DS, &h, NULL);
		if (st)
			break;
		ASSERT_EQ(0, cl_handle_op(&self->e, RPC_FUNC_PKEY_CLOSE, h, NULL));
	}
	EXPECT_EQ(1280, i);
	EXPECT_EQ(HAL_ERROR_NO_KEY_INDEX_SLOTS, st);
}

TEST_F(board, attributes)
{
	uint32_t h, hn;
	struct req r;
	struct rep p;
	uint8_t big[4000];

	ASSERT_EQ(0, cl_gen_ec(&self->e, USER, HAL_CURVE_P256, DS | TOKEN, &h, NULL));
	ASSERT_EQ(0, cl_gen_ec(&self->e, USER, HAL_CURVE_P256, DS, &hn, NULL));
	/* a key without attributes: 40 in both modes */
	req_init(&r, RPC_FUNC_PKEY_GET_ATTRIBUTES, 0);
	req_u32(&r, h);
	req_u32(&r, 1);
	req_u32(&r, 3);
	req_u32(&r, 0);
	EXPECT_EQ(HAL_ERROR_ATTRIBUTE_NOT_FOUND, emu_call(&self->e, &r, &p));
	ASSERT_EQ(0, set_attr(&self->e, h, 3, "label", 5));
	ASSERT_EQ(0, set_attr(&self->e, h, 0x102, "", 0));
	/* length-only: absent reads as 0 */
	req_init(&r, RPC_FUNC_PKEY_GET_ATTRIBUTES, 0);
	req_u32(&r, h);
	req_u32(&r, 3);
	req_u32(&r, 3);
	req_u32(&r, 0x102);
	req_u32(&r, 0x999);
	req_u32(&r, 0);
	ASSERT_EQ(0, emu_call(&self->e, &r, &p));
	EXPECT_EQ(3u, rep_u32(&p));
	EXPECT_EQ(3u, rep_u32(&p));
	EXPECT_EQ(5u, rep_u32(&p));
	EXPECT_EQ(0x102u, rep_u32(&p));
	EXPECT_EQ(0u, rep_u32(&p));
	EXPECT_EQ(0x999u, rep_u32(&p));
	EXPECT_EQ(0u, rep_u32(&p));
	/* value query with an absent type: 40; too small a buffer: 14 */
	r.len -= 4;
	req_u32(&r, 100);
	EXPECT_EQ(HAL_ERROR_ATTRIBUTE_NOT_FOUND, emu_call(&self->e, &r, &p));
	req_init(&r, RPC_FUNC_PKEY_GET_ATTRIBUTES, 0);
	req_u32(&r, h);
	req_u32(&r, 2);
	req_u32(&r, 3);
	req_u32(&r, 0x102);
	req_u32(&r, 4);
	EXPECT_EQ(HAL_ERROR_RESULT_TOO_LONG, emu_call(&self->e, &r, &p));
	r.len -= 4;
	req_u32(&r, 5);
	ASSERT_EQ(0, emu_call(&self->e, &r, &p));
	EXPECT_EQ(2u, rep_u32(&p));
	EXPECT_EQ(3u, rep_u32(&p));
	EXPECT_EQ(5u, rep_u32(&p));
	EXPECT_EQ(0, memcmp(p.buf + p.off, "label", 5));
	/* delete with NIL; deleting an absent one is fine */
	EXPECT_EQ(0, set_attr(&self->e, h, 0x102, NULL, HAL_PKEY_ATTRIBUTE_NIL));
	EXPECT_EQ(0, set_attr(&self->e, h, 0x555, NULL, HAL_PKEY_ATTRIBUTE_NIL));
	/* capacity: about 8 KiB for an EC key; all or nothing */
	memset(big, 'x', sizeof(big));
	EXPECT_EQ(0, set_attr(&self->e, h, 10, big, 4000));
	req_init(&r, RPC_FUNC_PKEY_SET_ATTRIBUTES, 0);
	req_u32(&r, h);
	req_u32(&r, 2);
	req_u32(&r, 11);
	req_opaque(&r, "ok", 2);
	req_u32(&r, 12);
	req_opaque(&r, big, 4000);
	EXPECT_EQ(HAL_ERROR_RESULT_TOO_LONG, emu_call(&self->e, &r, &p));
	req_init(&r, RPC_FUNC_PKEY_GET_ATTRIBUTES, 0);
	req_u32(&r, h);
	req_u32(&r, 1);
	req_u32(&r, 11);
	req_u32(&r, 0);
	ASSERT_EQ(0, emu_call(&self->e, &r, &p));
	EXPECT_EQ(0u, get_be32(p.buf + 20));
	/* counts */
	req_init(&r, RPC_FUNC_PKEY_SET_ATTRIBUTES, 0);
	req_u32(&r, h);
	req_u32(&r, 0);
	EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, emu_call(&self->e, &r, &p));
	req_init(&r, RPC_FUNC_PKEY_SET_ATTRIBUTES, 0);
	req_u32(&r, h);
	req_u32(&r, 100000);
	EXPECT_EQ(HAL_ERROR_RPC_PACKET_OVERFLOW, emu_call(&self->e, &r, &p));
	req_init(&r, RPC_FUNC_PKEY_GET_ATTRIBUTES, 0);
	req_u32(&r, h);
	req_u32(&r, 100000);
	EXPECT_EQ(HAL_ERROR_RPC_PACKET_OVERFLOW, emu_call(&self->e, &r, &p));
	req_init(&r, RPC_FUNC_PKEY_GET_ATTRIBUTES, 0);
	req_u32(&r, h);
	req_u32(&r, 1);
	req_u32(&r, 3);
	req_u32(&r, 16364);
	EXPECT_EQ(HAL_ERROR_RPC_PACKET_OVERFLOW, emu_call(&self->e, &r, &p));
	/* not logged in any more: SET is refused (judged on the handle's client) */
	ASSERT_EQ(0, cl_simple(&self->e, RPC_FUNC_LOGOUT, USER));
	EXPECT_EQ(HAL_ERROR_FORBIDDEN, set_attr(&self->e, h, 3, "x", 1));
}

static int match(struct emu *e, uint32_t client, uint32_t type, uint32_t mask, uint32_t flags,
		 uint32_t nattr, const uint32_t *atypes, const char *const *avals,
		 uint32_t state, uint32_t max, const uint8_t *prev, uint32_t *ostate,
		 uint8_t (*uuids)[16], uint32_t *count)
{
	static const uint8_t zero[16];
	struct req r;
	struct rep p;
	int st;

	req_init(&r, RPC_FUNC_PKEY_MATCH, client);
	req_u32(&r, 0);
	req_u32(&r, type);
	req_u32(&r, 0);
	req_u32(&r, mask);
	req_u32(&r, flags);
	req_u32(&r, nattr);
	for (uint32_t i = 0; i < nattr; i++) {
		req_u32(&r, atypes[i]);
		req_opaque(&r, avals[i], strlen(avals[i]));
	}
	req_u32(&r, state);
	req_u32(&r, max);
	req_opaque(&r, prev ? prev : zero, 16);
	st = emu_call(e, &r, &p);
	if (st)
		return st;
	*ostate = rep_u32(&p);
	*count = rep_u32(&p);
	for (uint32_t i = 0; i < *count && i < 64; i++) {
		uint32_t l;
		const uint8_t *u = rep_opaque(&p, &l);

		memcpy(uuids[i], u, 16);
	}
	return 0;
}

static int cmp_uuid(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

TEST_F(board, match_paging_and_filters)
{
	uint8_t tok[5][16], vol[3][16], got[64][16], all[8][16];
	uint32_t h, state, count, total = 0;
	static const uint32_t lbl[] = { 3 };
	static const char *const mine[] = { "mine" };

	for (int i = 0; i < 5; i++) {
		ASSERT_EQ(0, cl_gen_ec(&self->e, USER, HAL_CURVE_P256, DS | TOKEN, &h, tok[i]));
		if (i == 2)
			ASSERT_EQ(0, set_attr(&self->e, h, 3, "mine", 4));
	}
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, cl_gen_ec(&self->e, USER, HAL_CURVE_P256, DS | (i ? 0 : EXPORTABLE), &h,
					vol[i]));
	/* page through everything two at a time: token keys first, each store sorted */
	state = 0;
	uint8_t prev[16] = { 0 };
	do {
		ASSERT_EQ(0, match(&self->e, USER, 0, 0, 0, 0, NULL, NULL, state, 2, prev, &state,
				   got, &count));
		for (uint32_t i = 0; i < count; i++)
			memcpy(all[total++], got[i], 16);
		if (count)
			memcpy(prev, got[count - 1], 16);
		ASSERT_LE(total, 8u);
	} while (count == 2);
	EXPECT_EQ(3u, state);
	EXPECT_EQ(8u, total);
	qsort(tok, 5, 16, cmp_uuid);
	qsort(vol, 3, 16, cmp_uuid);
	EXPECT_EQ(0, memcmp(all, tok, sizeof(tok)));
	EXPECT_EQ(0, memcmp(all[5], vol, sizeof(vol)));
	/* token only, volatile only, by flags, by attribute */
	ASSERT_EQ(0, match(&self->e, USER, 0, TOKEN, TOKEN, 0, NULL, NULL, 0, 64, NULL, &state, got,
			   &count));
	EXPECT_EQ(5u, count);
	ASSERT_EQ(0, match(&self->e, USER, 0, TOKEN, 0, 0, NULL, NULL, 0, 64, NULL, &state, got,
			   &count));
	EXPECT_EQ(3u, count);
	ASSERT_EQ(0, match(&self->e, USER, 0, EXPORTABLE, EXPORTABLE, 0, NULL, NULL, 0, 64, NULL,
			   &state, got, &count));
	EXPECT_EQ(1u, count);
	ASSERT_EQ(0, match(&self->e, USER, HAL_KEY_TYPE_EC_PRIVATE, 0, 0, 1, lbl, mine, 0, 64, NULL,
			   &state, got, &count));
	EXPECT_EQ(1u, count);
	ASSERT_EQ(0, match(&self->e, USER, HAL_KEY_TYPE_RSA_PRIVATE, 0, 0, 0, NULL, NULL, 0, 64,
			   NULL, &state, got, &count));
	EXPECT_EQ(0u, count);
	/* another client does not see USER's volatile keys; not logged in: empty, state echoed */
	ASSERT_EQ(0, cl_login(&self->e, 2, HAL_USER_NORMAL, USER_PIN));
	ASSERT_EQ(0, match(&self->e, 2, 0, 0, 0, 0, NULL, NULL, 0, 64, NULL, &state, got, &count));
	EXPECT_EQ(5u, count);
	ASSERT_EQ(0, match(&self->e, 99, 0, 0, 0, 0, NULL, NULL, 1, 64, NULL, &state, got, &count));
	EXPECT_EQ(0u, count);
	EXPECT_EQ(1u, state);
	/* the PUBLIC test is on flags, not mask (§9 #4) */
	ASSERT_EQ(0, match(&self->e, 99, 0, 0, PUBLIC, 0, NULL, NULL, 0, 64, NULL, &state, got,
			   &count));
	EXPECT_EQ(5u, count);
	/* errors */
	EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, match(&self->e, USER, 0, 0, 0, 0, NULL, NULL, 0, 0, NULL,
						 &state, got, &count));
	EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, match(&self->e, USER, 0, 0, 0, 0, NULL, NULL, 4, 5, NULL,
						 &state, got, &count));
	EXPECT_EQ(HAL_ERROR_RPC_PACKET_OVERFLOW, match(&self->e, USER, 0, 0, 0, 0, NULL, NULL, 0,
						       819, NULL, &state, got, &count));
	ASSERT_EQ(0, match(&self->e, USER, 0, 0, 0, 0, NULL, NULL, 3, 5, NULL, &state, got, &count));
	EXPECT_EQ(0u, count);
	struct req r;
	struct rep p;
	req_init(&r, RPC_FUNC_PKEY_MATCH, USER);
	for (int i = 0; i < 5; i++)
		req_u32(&r, 0);
	req_u32(&r, 1000000);
	EXPECT_EQ(HAL_ERROR_RPC_PACKET_OVERFLOW, emu_call(&self->e, &r, &p));
}

/* ---- export / import ---- */

static int cl_export(struct emu *e, uint32_t key, uint32_t kekek, uint32_t p8max, uint32_t kmax,
		      uint8_t *p8, uint32_t *p8len, uint8_t *kek, uint32_t *keklen)
{
	struct req r;
	struct rep p;
	const uint8_t *d;
	int st;

	req_init(&r, RPC_FUNC_PKEY_EXPORT, 0);
	req_u32(&r, key);
	req_u32(&r, kekek);
	req_u32(&r, p8max);
	req_u32(&r, kmax);
	st = emu_call(e, &r, &p);
	if (st)
		return st;
	d = rep_opaque(&p, p8len);
	memcpy(p8, d, *p8len);
	d = rep_opaque(&p, keklen);
	memcpy(kek, d, *keklen);
	return 0;
}

static int cl_import(struct emu *e, uint32_t client, uint32_t kekek, const uint8_t *p8,
		      uint32_t p8len, const uint8_t *kek, uint32_t keklen, uint32_t flags,
		      uint32_t *h)
{
	struct req r;
	struct rep p;
	int st;

	req_init(&r, RPC_FUNC_PKEY_IMPORT, client);
	req_u32(&r, 0);
	req_u32(&r, kekek);
	req_opaque(&r, p8, p8len);
	req_opaque(&r, kek, keklen);
	req_u32(&r, flags);
	st = emu_call(e, &r, &p);
	if (!st)
		*h = rep_u32(&p);
	return st;
}

TEST_F(board, export_import_between_boards)
{
	struct emu dst;
	uint8_t der[600], p8[6000], kek[600], pub1[200], pub2[200], sig[64];
	uint32_t kekek_dst, kekek_src, key, imp, len, p8len, keklen, l1, l2, siglen, bad;

	ASSERT_EQ(0, emu_start(&dst, NULL, "--bad-pin-delay", "5", NULL));
	ASSERT_EQ(0, bringup(&dst));
	ASSERT_EQ(0, cl_login(&dst, USER, HAL_USER_NORMAL, USER_PIN));
	ASSERT_EQ(0, cl_gen_rsa(&dst, USER, 1024, KE | TOKEN, &kekek_dst, NULL));
	ASSERT_EQ(0, cl_pubkey(&dst, kekek_dst, der, &len));
	/* source board: load the KEKEK's public key, export an exportable key */
	ASSERT_EQ(0, cl_load(&self->e, USER, der, len, KE, &kekek_src, NULL));
	ASSERT_EQ(0, cl_gen_ec(&self->e, USER, HAL_CURVE_P256, DS | EXPORTABLE, &key, NULL));
	ASSERT_EQ(0, cl_export(&self->e, key, kekek_src, 5480, 600, p8, &p8len, kek, &keklen));
	/* errors, in the firmware's order */
	EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, cl_export(&self->e, key, kekek_src, 5480, 32, p8, &l1,
						      kek, &l2));
	EXPECT_EQ(HAL_ERROR_RPC_PACKET_OVERFLOW, cl_export(&self->e, key, kekek_src, 16000, 600,
							    p8, &l1, kek, &l2));
	EXPECT_EQ(HAL_ERROR_RESULT_TOO_LONG, cl_export(&self->e, key, kekek_src, 5479, 600, p8,
							&l1, kek, &l2));
	EXPECT_EQ(HAL_ERROR_RESULT_TOO_LONG, cl_export(&self->e, key, kekek_src, 5480, 128, p8,
							&l1, kek, &l2));
	ASSERT_EQ(0, cl_gen_ec(&self->e, USER, HAL_CURVE_P256, DS, &bad, NULL));
	EXPECT_EQ(HAL_ERROR_FORBIDDEN, cl_export(&self->e, bad, kekek_src, 5480, 600, p8, &l1, kek,
						  &l2));
	EXPECT_EQ(HAL_ERROR_FORBIDDEN, cl_export(&self->e, key, key, 5480, 600, p8, &l1, kek, &l2));
	/* destination: import with the KEKEK's private half, new name, caller's flags */
	ASSERT_EQ(0, cl_import(&dst, USER, kekek_dst, p8, p8len, kek, keklen, DS, &imp));
	ASSERT_EQ(0, cl_pubkey(&self->e, key, pub1, &l1));
	ASSERT_EQ(0, cl_pubkey(&dst, imp, pub2, &l2));
	EXPECT_EQ(l1, l2);
	EXPECT_EQ(0, memcmp(pub1, pub2, l1));
	ASSERT_EQ(0, cl_sign(&dst, imp, 0, abc_sha256, 32, 64, sig, &siglen));
	EXPECT_EQ(0, cl_verify(&self->e, key, 0, abc_sha256, 32, sig, siglen));
	/* a corrupted KEK block silently gives a random KEK: unwrap fails with 9 */
	kek[keklen - 5] ^= 0x55;
	EXPECT_EQ(HAL_ERROR_KEYWRAP_BAD_MAGIC, cl_import(&dst, USER, kekek_dst, p8, p8len, kek,
							  keklen, DS, &imp));
	EXPECT_EQ(HAL_ERROR_BAD_ARGUMENTS, cl_import(&dst, USER, kekek_dst, p8, p8len, kek, 2, DS,
						      &imp));
	EXPECT_EQ(HAL_ERROR_ASN1_PARSE_FAILED, cl_import(&dst, USER, kekek_dst, kek, keklen, kek,
							  keklen, DS, &imp));
	/* the source's public-only KEKEK cannot import */
	EXPECT_EQ(HAL_ERROR_UNSUPPORTED_KEY, cl_import(&self->e, USER, kekek_src, p8, p8len, kek,
							keklen, DS, &imp));
	emu_cleanup(&dst);
}

TEST_F(board, hashsig_not_available)
{
	struct req r;
	struct rep p;

	req_init(&r, RPC_FUNC_PKEY_GENERATE_HASHSIG, USER);
	for (int i = 0; i < 4; i++)
		req_u32(&r, 1);
	req_u32(&r, DS);
	EXPECT_EQ(HAL_ERROR_NOT_IMPLEMENTED, emu_call(&self->e, &r, &p));
	req_init(&r, RPC_FUNC_PKEY_GENERATE_HASHSIG, 500);
	for (int i = 0; i < 4; i++)
		req_u32(&r, 1);
	req_u32(&r, DS);
	EXPECT_EQ(HAL_ERROR_FORBIDDEN, emu_call(&self->e, &r, &p));
}

/* ---- persistence and the master key ---- */

TEST_F(board, persistence_across_restart)
{
	uint8_t tok[16], vol[16], sig[64], pub1[100], pub2[100];
	uint32_t h, hv, siglen, l1, l2;
	char state[300];

	ASSERT_EQ(0, cl_gen_ec(&self->e, USER, HAL_CURVE_P256, DS | TOKEN, &h, tok));
	ASSERT_EQ(0, set_attr(&self->e, h, 3, "kept", 4));
	ASSERT_EQ(0, cl_pubkey(&self->e, h, pub1, &l1));
	ASSERT_EQ(0, cl_gen_ec(&self->e, USER, HAL_CURVE_P256, DS, &hv, vol));
	snprintf(state, sizeof(state), "%s", self->e.state);
	ASSERT_EQ(0, emu_stop(&self->e));
	EXPECT_NE(0, access(self->e.sock, F_OK));	/* socket removed on SIGTERM */

	struct emu e2;
	ASSERT_EQ(0, emu_start(&e2, state, "--bad-pin-delay", "5", NULL));
	EXPECT_EQ(HAL_ERROR_FORBIDDEN, cl_is_logged_in(&e2, USER, HAL_USER_NORMAL));
	EXPECT_EQ(HAL_ERROR_PIN_INCORRECT, cl_login(&e2, USER, HAL_USER_WHEEL, LAST_GASP));
	ASSERT_EQ(0, cl_login(&e2, USER, HAL_USER_NORMAL, USER_PIN));
	ASSERT_EQ(0, cl_open(&e2, USER, tok, &h));
	EXPECT_EQ(HAL_ERROR_KEY_NOT_FOUND, cl_open(&e2, USER, vol, &hv));
	ASSERT_EQ(0, cl_pubkey(&e2, h, pub2, &l2));
	EXPECT_EQ(l1, l2);
	EXPECT_EQ(0, memcmp(pub1, pub2, l1));
	ASSERT_EQ(0, cl_sign(&e2, h, 0, abc_sha256, 32, 64, sig, &siglen));
	EXPECT_EQ(0, cl_verify(&e2, h, 0, abc_sha256, 32, sig, siglen));
	/* attributes survive */
	struct req r;
	struct rep p;
	req_init(&r, RPC_FUNC_PKEY_GET_ATTRIBUTES, 0);
	req_u32(&r, h);
	req_u32(&r, 1);
	req_u32(&r, 3);
	req_u32(&r, 16);
	ASSERT_EQ(0, emu_call(&e2, &r, &p));
	EXPECT_EQ(0, memcmp(p.buf + 24, "kept", 4));
	/* no file in the store is readable as plaintext key material: keys are wrapped */
	emu_stop(&e2);
	emu_cleanup(&e2);
}

TEST_F(board, masterkey_missing_or_wrong)
{
	uint8_t tok[16], sig[64];
	uint32_t h, v, siglen;
	char path[400];
	FILE *f;

	ASSERT_EQ(0, cl_gen_ec(&self->e, USER, HAL_CURVE_P256, DS | TOKEN, &h, tok));
	ASSERT_EQ(0, emu_stop(&self->e));
	snprintf(path, sizeof(path), "%s/mkm", self->e.state);
	ASSERT_EQ(0, unlink(path));

	struct emu e2;
	ASSERT_EQ(0, emu_start(&e2, self->e.state, "--bad-pin-delay", "5", NULL));
	ASSERT_EQ(0, cl_login(&e2, USER, HAL_USER_NORMAL, USER_PIN));
	ASSERT_EQ(0, cl_open(&e2, USER, tok, &h));	/* OPEN works without a KEK */
	EXPECT_EQ(HAL_ERROR_MASTERKEY_NOT_SET, cl_sign(&e2, h, 0, abc_sha256, 32, 64, sig, &siglen));
	EXPECT_EQ(0, cl_handle_op(&e2, RPC_FUNC_PKEY_GET_PUBLIC_KEY_LEN, h, &v));
	EXPECT_EQ(0u, v);
	EXPECT_EQ(HAL_ERROR_MASTERKEY_NOT_SET, cl_gen_ec(&e2, USER, 1, DS, &v, NULL));
	/* a different master key: unwrap fails */
	EXPECT_NE(NULL, emu_control(&e2, "set masterkey random"));
	EXPECT_EQ(HAL_ERROR_KEYWRAP_BAD_MAGIC, cl_sign(&e2, h, 0, abc_sha256, 32, 64, sig, &siglen));
	EXPECT_EQ(0, cl_gen_ec(&e2, USER, 1, DS, &v, NULL));
	EXPECT_EQ(0, emu_stop(&e2));
	emu_cleanup(&e2);
	/* a damaged master key file is not a crash either */
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	fputs("short", f);
	fclose(f);
	ASSERT_EQ(0, emu_start(&e2, self->e.state, NULL));
	EXPECT_EQ(0, strstr(emu_control(&e2, "stats"), "\"masterkey\":false") ? 0 : -1);
	emu_cleanup(&e2);
}

/*
 * A freshly flashed board, or one whose MKM was wiped, has no master key:
 * PINs work, key operations answer 32 until the console sets one.
 */
TEST(fresh_board_without_masterkey)
{
	static const char hex[] =
		"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	uint8_t tok[16], sig[64];
	uint32_t h, v = 99, siglen;
	struct emu e, e2;
	struct req r;
	struct rep p;
	char mkm[400];

	ASSERT_EQ(0, emu_start(&e, NULL, "--no-masterkey", "--bad-pin-delay", "5", NULL));
	snprintf(mkm, sizeof(mkm), "%s/mkm", e.state);
	EXPECT_STREQ("not set", emu_control(&e, "masterkey status"));
	EXPECT_NE(NULL, strstr(emu_control(&e, "stats"), "\"masterkey\":false"));
	EXPECT_NE(0, access(mkm, F_OK));
	/* LOGIN and SET_PIN work without it... */
	ASSERT_EQ(0, bringup(&e));
	ASSERT_EQ(0, cl_login(&e, USER, HAL_USER_NORMAL, USER_PIN));
	req_init(&r, RPC_FUNC_GET_RANDOM, USER);
	req_u32(&r, 32);
	EXPECT_EQ(0, emu_call(&e, &r, &p));
	/* ...key operations do not */
	EXPECT_EQ(HAL_ERROR_MASTERKEY_NOT_SET, cl_gen_ec(&e, USER, HAL_CURVE_P256, DS | TOKEN, &h, tok));
	EXPECT_EQ(HAL_ERROR_MASTERKEY_NOT_SET, cl_gen_ec(&e, USER, HAL_CURVE_P256, DS, &h, NULL));
	/* the console's "masterkey set" */
	EXPECT_STREQ("ok", emu_control(&e, "masterkey set"));
	EXPECT_STREQ("set", emu_control(&e, "masterkey status"));
	EXPECT_EQ(0, access(mkm, F_OK));
	ASSERT_EQ(0, cl_gen_ec(&e, USER, HAL_CURVE_P256, DS | TOKEN, &h, tok));
	EXPECT_EQ(0, cl_sign(&e, h, 0, abc_sha256, 32, 64, sig, &siglen));
	EXPECT_EQ(0, emu_stop(&e));

	/* it persists: a restart keeps the key usable */
	ASSERT_EQ(0, emu_start(&e2, e.state, "--bad-pin-delay", "5", NULL));
	ASSERT_EQ(0, cl_login(&e2, USER, HAL_USER_NORMAL, USER_PIN));
	ASSERT_EQ(0, cl_open(&e2, USER, tok, &h));
	EXPECT_EQ(0, cl_sign(&e2, h, 0, abc_sha256, 32, 64, sig, &siglen));
	EXPECT_EQ(0, emu_stop(&e2));
	emu_cleanup(&e2);

	/* --no-masterkey on a used board: its MKM is wiped, keys and PINs stay */
	ASSERT_EQ(0, emu_start(&e2, e.state, "--no-masterkey", "--bad-pin-delay", "5", NULL));
	EXPECT_STREQ("not set", emu_control(&e2, "masterkey status"));
	ASSERT_EQ(0, cl_login(&e2, USER, HAL_USER_NORMAL, USER_PIN));
	ASSERT_EQ(0, cl_open(&e2, USER, tok, &h));
	EXPECT_EQ(HAL_ERROR_MASTERKEY_NOT_SET, cl_sign(&e2, h, 0, abc_sha256, 32, 64, sig, &siglen));
	EXPECT_EQ(0, cl_handle_op(&e2, RPC_FUNC_PKEY_GET_PUBLIC_KEY_LEN, h, &v));
	EXPECT_EQ(0u, v);
	/* a different key set from the console: the old keys no longer unwrap */
	EXPECT_STREQ("ok", emu_control(&e2, "masterkey set %s", hex));
	EXPECT_EQ(HAL_ERROR_KEYWRAP_BAD_MAGIC, cl_sign(&e2, h, 0, abc_sha256, 32, 64, sig, &siglen));
	EXPECT_STREQ("ok", emu_control(&e2, "masterkey erase"));
	EXPECT_STREQ("not set", emu_control(&e2, "masterkey status"));
	EXPECT_EQ(0, strncmp("error", emu_control(&e2, "masterkey set 1234"), 5));
	EXPECT_EQ(0, strncmp("error", emu_control(&e2, "masterkey wipe"), 5));
	EXPECT_EQ(0, emu_stop(&e2));
	emu_cleanup(&e2);
	emu_cleanup(&e);
}

/* The edge cases later firmware (appendix A) answers differently. */
static void firmware_edges(struct __test_metadata *_metadata, struct emu *e, int later)
{
	static const uint8_t zero[16];
	struct req r;
	struct rep p;
	uint32_t h, n;

	req_init(&r, RPC_FUNC_GET_RANDOM, USER);
	req_u32(&r, 0);
	if (later) {
		ASSERT_EQ(0, emu_call(e, &r, &p));
		EXPECT_NE(NULL, rep_opaque(&p, &n));
		EXPECT_EQ(0u, n);
	} else {
		EXPECT_EQ(HAL_ERROR_RPC_PACKET_OVERFLOW, emu_call(e, &r, &p));
	}
	ASSERT_EQ(0, cl_gen_ec(e, USER, HAL_CURVE_P256, DS, &h, NULL));
	req_init(&r, RPC_FUNC_PKEY_GET_PUBLIC_KEY, USER);
	req_u32(&r, h);
	req_u32(&r, 0);
	EXPECT_EQ(later ? HAL_ERROR_RESULT_TOO_LONG : HAL_ERROR_BAD_ARGUMENTS, emu_call(e, &r, &p));
	EXPECT_EQ(later ? HAL_ERROR_KEY_NOT_FOUND : HAL_ERROR_KEYSTORE_WRONG_BLOCK_TYPE,
		  cl_open(e, USER, zero, &h));
	req_init(&r, RPC_FUNC_HASH_GET_DIGEST_ALGORITHM_ID, USER);
	req_u32(&r, HAL_DIGEST_SHA256);
	req_u32(&r, 0);
	if (later) {
		ASSERT_EQ(0, emu_call(e, &r, &p));
		EXPECT_EQ(15u, rep_u32(&p));	/* SHA-256 AlgorithmIdentifier */
		EXPECT_EQ(16u, p.len);		/* a bare u32, no opaque */
	} else {
		EXPECT_EQ(HAL_ERROR_RESULT_TOO_LONG, emu_call(e, &r, &p));
	}
}

TEST(firmware_generations)
{
	struct emu e;

	ASSERT_EQ(0, emu_start(&e, NULL, "--bad-pin-delay", "5", NULL));
	ASSERT_EQ(0, bringup(&e));
	ASSERT_EQ(0, cl_login(&e, USER, HAL_USER_NORMAL, USER_PIN));
	EXPECT_NE(NULL, strstr(emu_control(&e, "stats"), "\"firmware\":2018"));
	firmware_edges(_metadata, &e, 0);
	/* switched at run time, as a reflash would */
	EXPECT_STREQ("ok", emu_control(&e, "set firmware 2019"));
	EXPECT_NE(NULL, strstr(emu_control(&e, "stats"), "\"firmware\":2019"));
	firmware_edges(_metadata, &e, 1);
	EXPECT_EQ(0, strncmp("error", emu_control(&e, "set firmware 2020"), 5));
	EXPECT_EQ(0, emu_stop(&e));
	emu_cleanup(&e);

	ASSERT_EQ(0, emu_start(&e, NULL, "--firmware", "2019", "--bad-pin-delay", "5", NULL));
	ASSERT_EQ(0, bringup(&e));
	ASSERT_EQ(0, cl_login(&e, USER, HAL_USER_NORMAL, USER_PIN));
	firmware_edges(_metadata, &e, 1);
	EXPECT_EQ(0, emu_stop(&e));
	emu_cleanup(&e);
}

TEST(crash_loses_no_reported_key)
{
	/* pipeline many token key generations, SIGKILL mid-stream, check every reported key */
	static uint8_t reported[400][16];
	struct emu e, e2;
	struct req r;
	uint8_t buf[HAL_RPC_MAX_PKT_SIZE];
	size_t len;
	int n = 0;

	ASSERT_EQ(0, emu_start(&e, NULL, NULL));
	ASSERT_EQ(0, bringup(&e));
	ASSERT_EQ(0, cl_login(&e, USER, HAL_USER_NORMAL, USER_PIN));
	for (int i = 0; i < 300; i++) {
		req_init(&r, RPC_FUNC_PKEY_GENERATE_EC, USER);
		req_u32(&r, 0);
		req_u32(&r, HAL_CURVE_P256);
		req_u32(&r, DS | TOKEN);
		ASSERT_EQ(0, emu_send(&e, r.buf, r.len));
	}
	/* close the handles as replies come in, kill after 100 */
	while (n < 100 && emu_recv(&e, buf, &len, 10000) == 0) {
		if (len == 36 && get_be32(buf) == RPC_FUNC_PKEY_GENERATE_EC && !get_be32(buf + 8))
			memcpy(reported[n++], buf + 20, 16);
	}
	kill(e.pid, SIGKILL);
	emu_kill(&e);
	ASSERT_EQ(100, n);
	ASSERT_EQ(0, emu_start(&e2, e.state, NULL));
	ASSERT_EQ(0, cl_login(&e2, USER, HAL_USER_NORMAL, USER_PIN));
	for (int i = 0; i < n; i++) {
		uint32_t h;

		ASSERT_EQ(0, cl_open(&e2, USER, reported[i], &h));
		ASSERT_EQ(0, cl_handle_op(&e2, RPC_FUNC_PKEY_CLOSE, h, NULL));
	}
	EXPECT_GE(json_num(emu_control(&e2, "stats"), "token"), 100);
	emu_cleanup(&e2);
	emu_cleanup(&e);
}

/* ---- concurrency, faults, control ---- */

TEST_F(board, workers_reply_in_completion_order)
{
	uint8_t buf[64];
	size_t len;
	struct req r;

	ASSERT_NE(NULL, emu_control(&self->e, "set bad_pin_ms 400"));
	req_init(&r, RPC_FUNC_LOGIN, 0x10);
	req_u32(&r, HAL_USER_NORMAL);
	req_opaque(&r, "badpin", 6);
	ASSERT_EQ(0, emu_send(&self->e, r.buf, r.len));
	req_init(&r, RPC_FUNC_GET_VERSION, 0x11);
	ASSERT_EQ(0, emu_send(&self->e, r.buf, r.len));
	ASSERT_EQ(0, emu_recv(&self->e, buf, &len, 5000));
	EXPECT_EQ(0x11u, get_be32(buf + 4));	/* the quick one overtakes */
	ASSERT_EQ(0, emu_recv(&self->e, buf, &len, 5000));
	EXPECT_EQ(0x10u, get_be32(buf + 4));
	EXPECT_EQ((uint32_t)HAL_ERROR_PIN_INCORRECT, get_be32(buf + 8));
}

TEST_F(board, fault_injection)
{
	uint8_t buf[HAL_RPC_MAX_PKT_SIZE];
	size_t len;
	struct req r;
	struct rep p;
	int64_t t0;

	/* dropped reply: the next reply is the following request's */
	ASSERT_EQ(0, strcmp("ok", emu_control(&self->e, "set drop_next 1")));
	req_init(&r, RPC_FUNC_GET_VERSION, 1);
	ASSERT_EQ(0, emu_send(&self->e, r.buf, r.len));
	while (json_num(emu_control(&self->e, "stats"), "drop") != 1)
		;	/* until the board has dropped it */
	req_init(&r, RPC_FUNC_GET_VERSION, 2);
	ASSERT_EQ(0, emu_send(&self->e, r.buf, r.len));
	ASSERT_EQ(0, emu_recv(&self->e, buf, &len, 5000));
	EXPECT_EQ(2u, get_be32(buf + 4));
	/* wrong client handle */
	ASSERT_EQ(0, strcmp("ok", emu_control(&self->e, "set wrong_handle_next 1")));
	req_init(&r, RPC_FUNC_GET_VERSION, 5);
	emu_call(&self->e, &r, &p);
	EXPECT_EQ(~5u, get_be32(p.buf + 4));
	/* corrupted reply: same length, one byte differs */
	ASSERT_EQ(0, strcmp("ok", emu_control(&self->e, "set corrupt_next 1")));
	req_init(&r, RPC_FUNC_GET_VERSION, 6);
	ASSERT_EQ(0, emu_send(&self->e, r.buf, r.len));
	ASSERT_EQ(0, emu_recv(&self->e, buf, &len, 5000));
	EXPECT_EQ(16u, len);
	EXPECT_NE(0, memcmp(buf, "\0\0\0\0\0\0\0\x06\0\0\0\0\x01\x01\x01\0", 16));
	/* truncated reply: the header whole, the results 4 bytes short */
	ASSERT_EQ(0, strcmp("ok", emu_control(&self->e, "set truncate_next 1")));
	req_init(&r, RPC_FUNC_GET_VERSION, 9);
	ASSERT_EQ(0, emu_send(&self->e, r.buf, r.len));
	ASSERT_EQ(0, emu_recv(&self->e, buf, &len, 5000));
	EXPECT_EQ(12u, len);
	EXPECT_EQ(9u, get_be32(buf + 4));
	EXPECT_EQ(0u, get_be32(buf + 8));
	/* split writes and noise still decode */
	ASSERT_EQ(0, strcmp("ok", emu_control(&self->e, "set split_rate 1")));
	ASSERT_EQ(0, strcmp("ok", emu_control(&self->e, "set noise_next 1")));
	req_init(&r, RPC_FUNC_GET_RANDOM, 7);
	req_u32(&r, 1000);
	ASSERT_EQ(0, emu_send(&self->e, r.buf, r.len));
	do {
		ASSERT_EQ(0, emu_recv(&self->e, buf, &len, 5000));
	} while (len != 1016);	/* the noise arrives as a garbage frame first */
	EXPECT_EQ(7u, get_be32(buf + 4));
	ASSERT_EQ(0, strcmp("ok", emu_control(&self->e, "set split_rate 0")));
	/* service time and stall */
	ASSERT_EQ(0, strcmp("ok", emu_control(&self->e, "set service_ms.GET_VERSION 100")));
	t0 = mono_ms();
	req_init(&r, RPC_FUNC_GET_VERSION, 8);
	ASSERT_EQ(0, emu_call(&self->e, &r, &p));
	EXPECT_GE(mono_ms() - t0, 100);
	ASSERT_EQ(0, strcmp("ok", emu_control(&self->e, "set service_ms 0")));
	ASSERT_EQ(0, strcmp("ok", emu_control(&self->e, "set stall_ms 150")));
	t0 = mono_ms();
	ASSERT_EQ(0, emu_call(&self->e, &r, &p));
	EXPECT_GE(mono_ms() - t0, 140);
	/* disconnect after N requests; the board then accepts a new connection */
	ASSERT_EQ(0, strcmp("ok", emu_control(&self->e, "set disconnect_after 2")));
	ASSERT_EQ(0, emu_call(&self->e, &r, &p));
	ASSERT_EQ(0, emu_send(&self->e, r.buf, r.len));
	EXPECT_EQ(-1, emu_recv(&self->e, buf, &len, 5000));
	ASSERT_EQ(0, emu_connect(&self->e));
	ASSERT_EQ(0, emu_call(&self->e, &r, &p));
	/* the control socket refuses nonsense */
	EXPECT_EQ(0, strncmp("error", emu_control(&self->e, "set nosuch 1"), 5));
	EXPECT_EQ(0, strncmp("error", emu_control(&self->e, "set drop_rate 2"), 5));
	EXPECT_EQ(0, strncmp("error", emu_control(&self->e, "frobnicate"), 5));
	const char *st = emu_control(&self->e, "stats");
	EXPECT_EQ(1, json_num(st, "drop"));
	EXPECT_EQ(1, json_num(st, "corrupt"));
	EXPECT_EQ(1, json_num(st, "truncate"));
}

TEST_F(board, uart_pacing_and_keygen_stall)
{
	uint8_t buf[HAL_RPC_MAX_PKT_SIZE];
	size_t len;
	struct req r;
	struct rep p;
	int64_t t0;

	/* a 16 KiB reply at 1 Mbaud keeps the line busy for at least 160 ms */
	ASSERT_EQ(0, strcmp("ok", emu_control(&self->e, "set baud 1000000")));
	req_init(&r, RPC_FUNC_GET_RANDOM, 1);
	req_u32(&r, 16368);
	t0 = mono_ms();
	ASSERT_EQ(0, emu_call(&self->e, &r, &p));
	req_init(&r, RPC_FUNC_GET_VERSION, 1);
	ASSERT_EQ(0, emu_call(&self->e, &r, &p));	/* waits for the line */
	EXPECT_GE(mono_ms() - t0, 160);
	ASSERT_EQ(0, strcmp("ok", emu_control(&self->e, "set baud 0")));

	/* with rsa_keygen_stalls, nothing overtakes an RSA key generation */
	ASSERT_EQ(0, strcmp("ok", emu_control(&self->e, "set rsa_keygen_stalls 1")));
	ASSERT_EQ(0, strcmp("ok", emu_control(&self->e, "set service_ms.PKEY_GENERATE_RSA 300")));
	req_init(&r, RPC_FUNC_PKEY_GENERATE_RSA, USER);
	req_u32(&r, 0);
	req_u32(&r, 1024);
	req_opaque(&r, "\1\0\1", 3);
	req_u32(&r, DS);
	ASSERT_EQ(0, emu_send(&self->e, r.buf, r.len));
	while (json_num(emu_control(&self->e, "stats"), "stalled") != 1)
		;	/* until the generation holds the board */
	req_init(&r, RPC_FUNC_GET_VERSION, 2);
	ASSERT_EQ(0, emu_send(&self->e, r.buf, r.len));
	ASSERT_EQ(0, emu_recv(&self->e, buf, &len, 10000));
	EXPECT_EQ((uint32_t)RPC_FUNC_PKEY_GENERATE_RSA, get_be32(buf));
	ASSERT_EQ(0, emu_recv(&self->e, buf, &len, 10000));
	if (get_be32(buf + 4) != 2u)
		TH_LOG("got %08x %08x %08x len %zu", get_be32(buf), get_be32(buf + 4), get_be32(buf + 8), len);
	EXPECT_EQ(2u, get_be32(buf + 4));
}

TEST_F(board, stats_per_client)
{
	uint32_t h1, h2, hh;
	const char *st;

	ASSERT_EQ(0, cl_gen_ec(&self->e, USER, HAL_CURVE_P256, DS, &h1, NULL));
	ASSERT_EQ(0, cl_gen_ec(&self->e, USER, HAL_CURVE_P256, DS | TOKEN, &h2, NULL));
	ASSERT_EQ(0, cl_hash_init(&self->e, HAL_DIGEST_SHA256, NULL, 0, &hh));
	st = emu_control(&self->e, "stats");
	ASSERT_NE(NULL, st);
	EXPECT_NE(NULL, strstr(st, "{\"client\":1,\"user\":1,\"pkey_handles\":2,\"hash_handles\":0,"
				   "\"volatile_keys\":1}"));
	EXPECT_EQ(1, json_num(st, "token"));
	EXPECT_GE(json_num(st, "PKEY_GENERATE_EC\":{\"requests"), 2);
	ASSERT_EQ(0, cl_handle_op(&self->e, RPC_FUNC_PKEY_CLOSE, h1, NULL));
	ASSERT_EQ(0, cl_handle_op(&self->e, RPC_FUNC_PKEY_CLOSE, h2, NULL));
	st = emu_control(&self->e, "stats");
	EXPECT_EQ(0, json_num(st, "pkey_handles_open"));
	EXPECT_EQ(1, json_num(st, "hash_handles_open"));
	/* `keys` lists names and metadata of both keystores */
	st = emu_control(&self->e, "keys");
	ASSERT_NE(NULL, st);
	EXPECT_EQ(st, strstr(st, "{\"token\":[{\"uuid\":\""));
	EXPECT_NE(NULL, strstr(st, "\"volatile\":[{\"uuid\""));
	EXPECT_NE(NULL, strstr(st, "\"owner\":1,"));
	/* `reboot`: RAM state is gone, the token keystore and PINs stay */
	EXPECT_EQ(0, strcmp("ok", emu_control(&self->e, "reboot")));
	st = emu_control(&self->e, "stats");
	EXPECT_EQ(1, json_num(st, "token"));
	EXPECT_EQ(0, json_num(st, "volatile"));
	EXPECT_EQ(0, json_num(st, "hash_handles_open"));
	EXPECT_NE(NULL, strstr(st, "\"clients\":[]"));
	EXPECT_EQ(HAL_ERROR_FORBIDDEN, cl_is_logged_in(&self->e, USER, HAL_USER_NORMAL));
	EXPECT_EQ(0, cl_login(&self->e, USER, HAL_USER_NORMAL, USER_PIN));
	EXPECT_EQ(0, cl_gen_ec(&self->e, USER, HAL_CURVE_P256, DS, &h1, NULL));
	EXPECT_EQ(0x00010000u, h1);	/* handle counters restart */
}

TEST(several_boards_and_sigterm)
{
	struct emu a, b;
	struct req r;
	struct rep p;

	ASSERT_EQ(0, emu_start(&a, NULL, NULL));
	ASSERT_EQ(0, emu_start(&b, NULL, "--workers", "1", NULL));
	req_init(&r, RPC_FUNC_GET_VERSION, 0);
	EXPECT_EQ(0, emu_call(&a, &r, &p));
	EXPECT_EQ(0, emu_call(&b, &r, &p));
	/* reconnecting clients (QEMU's chardev does) */
	for (int i = 0; i < 5; i++) {
		ASSERT_EQ(0, emu_connect(&a));
		EXPECT_EQ(0, emu_call(&a, &r, &p));
	}
	EXPECT_EQ(0, emu_stop(&a));
	EXPECT_NE(0, access(a.sock, F_OK));
	EXPECT_NE(0, access(a.ctl, F_OK));
	EXPECT_EQ(0, emu_stop(&b));
	emu_cleanup(&a);
	emu_cleanup(&b);
}

TEST_F(board, socket_garbage_keeps_serving)
{
	/* random and mutated frames through the real transport and worker pool */
	uint8_t buf[HAL_RPC_MAX_PKT_SIZE], junk[600];
	struct req corpus[6], r;
	uint32_t h;
	size_t len;
	unsigned int seed = (unsigned int)time(NULL);

	TH_LOG("seed %u", seed);
	srand(seed);
	ASSERT_EQ(0, cl_gen_ec(&self->e, USER, HAL_CURVE_P256, DS | TOKEN, &h, NULL));
	ASSERT_NE(NULL, emu_control(&self->e, "set bad_pin_ms 0"));
	req_init(&corpus[0], RPC_FUNC_PKEY_SIGN, USER);
	req_u32(&corpus[0], h);
	req_u32(&corpus[0], 0);
	req_opaque(&corpus[0], abc_sha256, 32);
	req_u32(&corpus[0], 64);
	req_init(&corpus[1], RPC_FUNC_PKEY_SET_ATTRIBUTES, USER);
	req_u32(&corpus[1], h);
	req_u32(&corpus[1], 1);
	req_u32(&corpus[1], 3);
	req_opaque(&corpus[1], "abc", 3);
	req_init(&corpus[2], RPC_FUNC_PKEY_MATCH, USER);
	for (int i = 0; i < 7; i++)
		req_u32(&corpus[2], 0);
	req_u32(&corpus[2], 10);
	req_opaque(&corpus[2], abc_sha256, 16);
	req_init(&corpus[3], RPC_FUNC_HASH_INITIALIZE, USER);
	req_u32(&corpus[3], 0);
	req_u32(&corpus[3], 3);
	req_opaque(&corpus[3], "k", 1);
	req_init(&corpus[4], RPC_FUNC_GET_RANDOM, USER);
	req_u32(&corpus[4], 100);
	req_init(&corpus[5], RPC_FUNC_PKEY_GET_ATTRIBUTES, USER);
	req_u32(&corpus[5], h);
	req_u32(&corpus[5], 1);
	req_u32(&corpus[5], 3);
	req_u32(&corpus[5], 10);
	for (int i = 0; i < 20000; i++) {
		if (i % 3 == 0) {
			size_t n = (size_t)(rand() % (int)sizeof(junk));

			for (size_t k = 0; k < n; k++)
				junk[k] = (uint8_t)(rand() % 5 ? rand() : (rand() % 2 ? 0xC0 : 0xDB));
			ASSERT_EQ(0, emu_send_raw(&self->e, junk, n));
		} else {
			r = corpus[rand() % 6];
			for (int m = rand() % 3; m > 0; m--)
				r.buf[rand() % (int)r.len] ^= (uint8_t)(1 << (rand() % 8));
			if (rand() % 4 == 0)
				r.len = (size_t)(rand() % (int)r.len);
			ASSERT_EQ(0, emu_send(&self->e, r.buf, r.len));
		}
		while (emu_recv(&self->e, buf, &len, 0) == 0)
			;	/* drain whatever is ready */
	}
	/* still serving: a marked request's reply arrives */
	req_init(&r, RPC_FUNC_GET_VERSION, 0x5EED5EED);
	ASSERT_EQ(0, emu_send_raw(&self->e, (uint8_t[]){ 0xC0 }, 1));
	ASSERT_EQ(0, emu_send(&self->e, r.buf, r.len));
	do {
		ASSERT_EQ(0, emu_recv(&self->e, buf, &len, 10000));
	} while (len < 8 || get_be32(buf + 4) != 0x5EED5EEDu);
	/* and shuts down cleanly (under ASan: no leak, no error) */
	EXPECT_EQ(0, emu_stop(&self->e));
}

TEST(pty_and_serial_transports)
{
	static const char *const none[] = { NULL };
	struct emu a, b;
	struct req r;
	struct rep p;
	int m;
	char *slave;
	struct termios tio;
	struct stat st;

	/* --pty: PATH is a symlink to the slave side */
	ASSERT_EQ(0, emu_spawn(&a, NULL, "--pty", NULL, none));
	ASSERT_EQ(0, lstat(a.sock, &st));
	EXPECT_TRUE(S_ISLNK(st.st_mode));
	req_init(&r, RPC_FUNC_GET_VERSION, 0xC0DB);
	ASSERT_EQ(0, emu_call(&a, &r, &p));
	EXPECT_EQ(HAL_RPC_VERSION, rep_u32(&p));
	/* the host closing and reopening the tty is harmless */
	emu_disconnect(&a);
	ASSERT_EQ(0, emu_spawn_reopen_pty(&a));
	ASSERT_EQ(0, emu_call(&a, &r, &p));
	EXPECT_EQ(0, emu_stop(&a));
	EXPECT_NE(0, lstat(a.sock, &st));	/* symlink removed */
	emu_cleanup(&a);

	/* --serial on a device: here the slave of a pty the test owns */
	m = posix_openpt(O_RDWR | O_NOCTTY);
	ASSERT_GE(m, 0);
	ASSERT_EQ(0, grantpt(m));
	ASSERT_EQ(0, unlockpt(m));
	slave = ptsname(m);
	ASSERT_NE(NULL, slave);
	ASSERT_EQ(0, emu_spawn(&b, NULL, "--serial", slave, none));
	tcgetattr(m, &tio);
	cfmakeraw(&tio);
	tcsetattr(m, TCSANOW, &tio);
	b.fd = m;
	slip_decoder_init(&b.dec);
	ASSERT_EQ(0, emu_call(&b, &r, &p));
	EXPECT_EQ(HAL_RPC_VERSION, rep_u32(&p));
	EXPECT_EQ(0, emu_stop(&b));
	emu_cleanup(&b);
}

TEST_HARNESS_MAIN
