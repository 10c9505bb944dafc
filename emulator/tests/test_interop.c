// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Interoperability with OpenSSL: signatures the emulator makes verify with
 * the `openssl` command line, and keys it exports (PKEY_EXPORT under a
 * KEKEK whose private half OpenSSL holds) import into OpenSSL, sign there
 * and verify on the board.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "kselftest_harness.h"

#include "rpc_helpers.h"
#include "xdr.h"

#define DS HAL_KEY_FLAG_USAGE_DIGITALSIGNATURE
#define KE HAL_KEY_FLAG_USAGE_KEYENCIPHERMENT
#define EXPORTABLE HAL_KEY_FLAG_EXPORTABLE

FIXTURE(interop) {
	struct emu e;
	char path[400];
};

FIXTURE_SETUP(interop)
{
	ASSERT_EQ(0, emu_start(&self->e, NULL, "--bad-pin-delay", "5", NULL));
	ASSERT_EQ(0, bringup(&self->e));
	ASSERT_EQ(0, cl_login(&self->e, 1, HAL_USER_NORMAL, USER_PIN));
}

FIXTURE_TEARDOWN(interop)
{
	emu_cleanup(&self->e);
}

static const char *file(struct emu *e, const char *name)
{
	static char p[4][400];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", e->dir, name);
	return p[i];
}

static int write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(data, 1, len, f) == len;

	if (f)
		fclose(f);
	return ok ? 0 : -1;
}

static int write_pub_pem(const char *path, const uint8_t *der, uint32_t len)
{
	const uint8_t *p = der;
	EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, len);
	FILE *f = fopen(path, "w");
	int ok = pk && f && PEM_write_PUBKEY(f, pk);

	if (f)
		fclose(f);
	EVP_PKEY_free(pk);
	return ok ? 0 : -1;
}

static int run(const char *cmd)
{
	int rc = system(cmd);

	return rc == 0 ? 0 : -1;
}

/* r||s to the DER ECDSA-Sig-Value openssl expects. */
static size_t rs_to_der(const uint8_t *sig, size_t len, uint8_t *out)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	uint8_t *p = out;
	int n;

	ECDSA_SIG_set0(es, BN_bin2bn(sig, (int)len / 2, NULL), BN_bin2bn(sig + len / 2, (int)len / 2, NULL));
	n = i2d_ECDSA_SIG(es, &p);
	ECDSA_SIG_free(es);
	return n > 0 ? (size_t)n : 0;
}

TEST_F(interop, ecdsa_signatures_verify_with_openssl_cli)
{
	static const struct { uint32_t curve; const char *md, *opt; size_t olen; } cv[] = {
		{ HAL_CURVE_P256, "SHA256", "-sha256", 32 },
		{ HAL_CURVE_P384, "SHA384", "-sha384", 48 },
		{ HAL_CURVE_P521, "SHA512", "-sha512", 66 },
	};
	static const char data[] = "example.com. 3600 IN SOA ns1.example.com. hostmaster 1 7200 3600 1209600 3600";

	ASSERT_EQ(0, write_file(file(&self->e, "data"), data, sizeof(data) - 1));
	for (int i = 0; i < 3; i++) {
		uint8_t der[300], sig[200], sder[220], dg[64];
		uint32_t h, len, siglen;
		unsigned int dl;
		char cmd[1400];

		ASSERT_EQ(0, cl_gen_ec(&self->e, 1, cv[i].curve, DS, &h, NULL));
		ASSERT_EQ(0, cl_pubkey(&self->e, h, der, &len));
		ASSERT_EQ(0, write_pub_pem(file(&self->e, "pub.pem"), der, len));
		EVP_Digest(data, sizeof(data) - 1, dg, &dl, EVP_get_digestbyname(cv[i].md), NULL);
		ASSERT_EQ(0, cl_sign(&self->e, h, 0, dg, dl, 200, sig, &siglen));
		ASSERT_EQ(2 * cv[i].olen, siglen);
		size_t n = rs_to_der(sig, siglen, sder);
		ASSERT_EQ(0, write_file(file(&self->e, "sig"), sder, n));
		snprintf(cmd, sizeof(cmd), "openssl dgst %s -verify %s -signature %s %s >&2", cv[i].opt,
			 file(&self->e, "pub.pem"), file(&self->e, "sig"), file(&self->e, "data"));
		EXPECT_EQ(0, run(cmd));
		/* and a tampered one fails */
		sder[n - 3] ^= 1;
		ASSERT_EQ(0, write_file(file(&self->e, "sig"), sder, n));
		EXPECT_NE(0, run(cmd));
	}
}

TEST_F(interop, rsa_signatures_verify_with_openssl_cli)
{
	static const uint8_t prefix[19] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
					    0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
	static const char data[] = "signed zone data";
	uint8_t der[600], sig[512], di[51];
	uint32_t h, hh, len, siglen;
	unsigned int dl;
	char cmd[1400];

	for (int bits = 1024; bits <= 2048; bits += 1024) {
		ASSERT_EQ(0, write_file(file(&self->e, "data"), data, sizeof(data) - 1));
		ASSERT_EQ(0, cl_gen_rsa(&self->e, 1, (uint32_t)bits, DS, &h, NULL));
		ASSERT_EQ(0, cl_pubkey(&self->e, h, der, &len));
		ASSERT_EQ(0, write_pub_pem(file(&self->e, "pub.pem"), der, len));
		memcpy(di, prefix, 19);
		EVP_Digest(data, sizeof(data) - 1, di + 19, &dl, EVP_sha256(), NULL);
		ASSERT_EQ(0, cl_sign(&self->e, h, 0, di, sizeof(di), 512, sig, &siglen));
		ASSERT_EQ((uint32_t)bits / 8, siglen);
		ASSERT_EQ(0, write_file(file(&self->e, "sig"), sig, siglen));
		snprintf(cmd, sizeof(cmd), "openssl dgst -sha256 -verify %s -signature %s %s >&2",
			 file(&self->e, "pub.pem"), file(&self->e, "sig"), file(&self->e, "data"));
		EXPECT_EQ(0, run(cmd));
		/* the same through a board hash handle */
		ASSERT_EQ(0, cl_hash_init(&self->e, HAL_DIGEST_SHA256, NULL, 0, &hh));
		ASSERT_EQ(0, cl_hash_update(&self->e, hh, data, sizeof(data) - 1));
		ASSERT_EQ(0, cl_sign(&self->e, h, hh, NULL, 0, 512, sig, &siglen));
		ASSERT_EQ(0, write_file(file(&self->e, "sig"), sig, siglen));
		EXPECT_EQ(0, run(cmd));
	}
}

/* Unwrap an exported key the way a destination holding the KEKEK would, with OpenSSL only. */
static EVP_PKEY *unwrap_export(EVP_PKEY *kekek, const uint8_t *p8, uint32_t p8len,
			       const uint8_t *kb, uint32_t kblen, uint8_t **pkcs8, int *pkcs8len)
{
	const uint8_t *p = kb;
	X509_SIG *ks = d2i_X509_SIG(NULL, &p, kblen), *ws;
	const X509_ALGOR *alg;
	const ASN1_OCTET_STRING *ct;
	const ASN1_OBJECT *oid;
	uint8_t kek[512], *out = NULL;
	size_t klen = sizeof(kek);
	EVP_PKEY_CTX *c;
	EVP_CIPHER_CTX *cc;
	EVP_PKEY *pk = NULL;
	int n = 0, m = 0;

	if (!ks)
		return NULL;
	X509_SIG_get0(ks, &alg, &ct);
	X509_ALGOR_get0(&oid, NULL, NULL, alg);
	if (OBJ_obj2nid(oid) != NID_rsaEncryption)
		return NULL;
	c = EVP_PKEY_CTX_new(kekek, NULL);
	if (EVP_PKEY_decrypt_init(c) != 1 || EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) != 1 ||
	    EVP_PKEY_decrypt(c, kek, &klen, ASN1_STRING_get0_data(ct), (size_t)ASN1_STRING_length(ct)) != 1 ||
	    klen != 32)
		return NULL;
	EVP_PKEY_CTX_free(c);
	X509_SIG_free(ks);

	p = p8;
	ws = d2i_X509_SIG(NULL, &p, p8len);
	if (!ws)
		return NULL;
	X509_SIG_get0(ws, &alg, &ct);
	X509_ALGOR_get0(&oid, NULL, NULL, alg);
	if (OBJ_obj2nid(oid) != NID_id_aes256_wrap_pad)
		return NULL;
	out = malloc((size_t)ASN1_STRING_length(ct) + 16);
	cc = EVP_CIPHER_CTX_new();
	EVP_CIPHER_CTX_set_flags(cc, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	if (EVP_DecryptInit_ex(cc, EVP_aes_256_wrap_pad(), NULL, kek, NULL) == 1 &&
	    EVP_DecryptUpdate(cc, out, &n, ASN1_STRING_get0_data(ct), ASN1_STRING_length(ct)) == 1 &&
	    EVP_DecryptFinal_ex(cc, out + n, &m) == 1) {
		p = out;
		PKCS8_PRIV_KEY_INFO *pi = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, n + m);

		pk = pi ? EVP_PKCS82PKEY(pi) : NULL;
		PKCS8_PRIV_KEY_INFO_free(pi);
		*pkcs8 = out;
		*pkcs8len = n + m;
	} else {
		free(out);
	}
	EVP_CIPHER_CTX_free(cc);
	X509_SIG_free(ws);
	return pk;
}

TEST_F(interop, exported_keys_import_into_openssl)
{
	EVP_PKEY *kekek = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	uint8_t *spki = NULL, der[600], p8[6000], kb[600];
	uint32_t kh, h, len, p8len, kblen;
	int n;

	ASSERT_NE(NULL, kekek);
	n = i2d_PUBKEY(kekek, &spki);
	ASSERT_EQ(0, cl_load(&self->e, 1, spki, (size_t)n, KE, &kh, NULL));
	OPENSSL_free(spki);
	for (int i = 0; i < 2; i++) {
		struct req r;
		struct rep p;
		const uint8_t *d;
		uint8_t *pkcs8 = NULL, *mine = NULL, sig[600];
		int pkcs8len = 0;
		size_t siglen = sizeof(sig);
		uint8_t dg[32] = { 9, 8, 7 };

		int st = i == 0 ? cl_gen_ec(&self->e, 1, HAL_CURVE_P256, DS | EXPORTABLE, &h, NULL)
				: cl_gen_rsa(&self->e, 1, 1024, DS | EXPORTABLE, &h, NULL);

		ASSERT_EQ(0, st);
		ASSERT_EQ(0, cl_pubkey(&self->e, h, der, &len));
		req_init(&r, RPC_FUNC_PKEY_EXPORT, 0);
		req_u32(&r, h);
		req_u32(&r, kh);
		req_u32(&r, 8000);
		req_u32(&r, 600);
		ASSERT_EQ(0, emu_call(&self->e, &r, &p));
		d = rep_opaque(&p, &p8len);
		memcpy(p8, d, p8len);
		d = rep_opaque(&p, &kblen);
		memcpy(kb, d, kblen);
		EVP_PKEY *got = unwrap_export(kekek, p8, p8len, kb, kblen, &pkcs8, &pkcs8len);
		ASSERT_NE(NULL, got);
		/* same public key as the board reports */
		n = i2d_PUBKEY(got, &mine);
		EXPECT_EQ((int)len, n);
		EXPECT_EQ(0, memcmp(mine, der, len));
		OPENSSL_free(mine);
		/* the openssl command line reads the unwrapped PKCS#8 too */
		ASSERT_EQ(0, write_file(file(&self->e, "key.der"), pkcs8, (size_t)pkcs8len));
		char cmd[900];
		snprintf(cmd, sizeof(cmd), "openssl pkey -inform DER -in %s -noout >&2",
			 file(&self->e, "key.der"));
		EXPECT_EQ(0, run(cmd));
		free(pkcs8);
		/* OpenSSL signs with the exported key; the board verifies */
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(got, NULL);
		ASSERT_EQ(1, EVP_PKEY_sign_init(c));
		if (i == 0) {
			ASSERT_EQ(1, EVP_PKEY_sign(c, sig, &siglen, dg, 32));
			const uint8_t *q = sig;
			ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &q, (long)siglen);
			uint8_t rs[64];
			BN_bn2binpad(ECDSA_SIG_get0_r(es), rs, 32);
			BN_bn2binpad(ECDSA_SIG_get0_s(es), rs + 32, 32);
			ECDSA_SIG_free(es);
			EXPECT_EQ(0, cl_verify(&self->e, h, 0, dg, 32, rs, 64));
		} else {
			static const uint8_t prefix[19] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
							    0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
							    0x01, 0x05, 0x00, 0x04, 0x20 };
			uint8_t di[51];

			ASSERT_EQ(1, EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()));
			ASSERT_EQ(1, EVP_PKEY_sign(c, sig, &siglen, dg, 32));
			memcpy(di, prefix, 19);
			memcpy(di + 19, dg, 32);
			EXPECT_EQ(0, cl_verify(&self->e, h, 0, di, 51, sig, siglen));
		}
		EVP_PKEY_CTX_free(c);
		EVP_PKEY_free(got);
	}
	EVP_PKEY_free(kekek);
}

TEST_HARNESS_MAIN
