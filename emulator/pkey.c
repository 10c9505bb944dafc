// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Key generation, encodings, signatures and RSA encryption through OpenSSL EVP. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "../driver/protocol.h"
#include "asn1.h"
#include "pkey.h"

static const struct {
	uint32_t curve;
	int nid;
	const char *name;
	size_t olen;
} curves[] = {
	{ HAL_CURVE_P256, NID_X9_62_prime256v1, "P-256", 32 },
	{ HAL_CURVE_P384, NID_secp384r1, "P-384", 48 },
	{ HAL_CURVE_P521, NID_secp521r1, "P-521", 66 },
};

static BIGNUM *orders[4];
static pthread_once_t orders_once = PTHREAD_ONCE_INIT;

static void orders_init(void)
{
	for (int i = 0; i < 3; i++) {
		EC_GROUP *g = EC_GROUP_new_by_curve_name(curves[i].nid);

		if (g) {
			orders[curves[i].curve] = BN_dup(EC_GROUP_get0_order(g));
			EC_GROUP_free(g);
		}
	}
}

static int curve_index(uint32_t curve)
{
	for (int i = 0; i < 3; i++)
		if (curves[i].curve == curve)
			return i;
	return -1;
}

size_t ec_order_len(uint32_t curve)
{
	int i = curve_index(curve);

	return i < 0 ? 0 : curves[i].olen;
}

static const BIGNUM *ec_order(uint32_t curve)
{
	pthread_once(&orders_once, orders_init);
	return curve_index(curve) < 0 ? NULL : orders[curve];
}

int pkey_from_der(const uint8_t *der, size_t len, uint32_t type, EVP_PKEY **out)
{
	const unsigned char *p = der;
	uint8_t *stripped = NULL;
	size_t slen;

	*out = NULL;
	if (type == HAL_KEY_TYPE_RSA_PUBLIC || type == HAL_KEY_TYPE_EC_PUBLIC) {
		*out = d2i_PUBKEY(NULL, &p, (long)len);
	} else {
		PKCS8_PRIV_KEY_INFO *p8;

		/* keys exported by real boards may carry the FPGA factors C0-C5 */
		if (type == HAL_KEY_TYPE_RSA_PRIVATE && der_rsa_strip(der, len, &stripped, &slen) == 0 &&
		    stripped) {
			p = stripped;
			len = slen;
		}
		p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)len);
		if (p8)
			*out = EVP_PKCS82PKEY(p8);
		PKCS8_PRIV_KEY_INFO_free(p8);
		free(stripped);
	}
	return *out ? 0 : HAL_ERROR_ASN1_PARSE_FAILED;
}

EVP_PKEY *pkey_test_rsa_key;

int pkey_generate_rsa(uint32_t bits, EVP_PKEY **out)
{
	EVP_PKEY_CTX *c;
	BIGNUM *e;
	int ok;

	if (pkey_test_rsa_key) {
		EVP_PKEY_up_ref(pkey_test_rsa_key);
		*out = pkey_test_rsa_key;
		return 0;
	}
	c = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	e = BN_new();
	*out = NULL;
	ok = c && e && BN_set_word(e, 65537) && EVP_PKEY_keygen_init(c) == 1 &&
	     EVP_PKEY_CTX_set_rsa_keygen_bits(c, (int)bits) == 1 &&
	     EVP_PKEY_CTX_set1_rsa_keygen_pubexp(c, e) == 1 && EVP_PKEY_generate(c, out) == 1;
	BN_free(e);
	EVP_PKEY_CTX_free(c);
	return ok ? 0 : HAL_ERROR_IMPOSSIBLE;
}

int pkey_generate_ec(uint32_t curve, EVP_PKEY **out)
{
	int i = curve_index(curve);

	*out = i < 0 ? NULL : EVP_PKEY_Q_keygen(NULL, NULL, "EC", curves[i].name);
	return *out ? 0 : HAL_ERROR_IMPOSSIBLE;
}

int pkey_private_der(EVP_PKEY *pk, uint8_t **der, size_t *len)
{
	PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(pk);
	unsigned char *buf = NULL;
	int n;

	if (!p8)
		return -1;
	n = i2d_PKCS8_PRIV_KEY_INFO(p8, &buf);
	PKCS8_PRIV_KEY_INFO_free(p8);
	if (n <= 0)
		return -1;
	*der = buf;
	*len = (size_t)n;
	return 0;
}

int pkey_public_der(EVP_PKEY *pk, uint8_t **der, size_t *len)
{
	unsigned char *buf = NULL;
	int n = i2d_PUBKEY(pk, &buf);

	if (n <= 0)
		return -1;
	*der = buf;
	*len = (size_t)n;
	return 0;
}

int pkey_rsa_sign(EVP_PKEY *pk, const uint8_t *in, size_t inlen, uint8_t *sig, size_t k)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
	size_t n = k;
	int ok;

	/* no digest set: PKCS#1 type-1 padding around the bytes as given */
	ok = c && EVP_PKEY_sign_init(c) == 1 &&
	     EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1 &&
	     EVP_PKEY_sign(c, sig, &n, in, inlen) == 1 && n == k;
	EVP_PKEY_CTX_free(c);
	return ok ? 0 : HAL_ERROR_IMPOSSIBLE;
}

int pkey_rsa_verify(EVP_PKEY *pk, const uint8_t *in, size_t inlen, const uint8_t *sig,
		    size_t siglen)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
	uint8_t buf[1024];
	size_t n = sizeof(buf);
	int ok;

	ok = c && EVP_PKEY_verify_recover_init(c) == 1 &&
	     EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1 &&
	     EVP_PKEY_verify_recover(c, buf, &n, sig, siglen) == 1 && n == inlen &&
	     !memcmp(buf, in, inlen);
	EVP_PKEY_CTX_free(c);
	return ok ? 0 : HAL_ERROR_INVALID_SIGNATURE;
}

/*
 * The board takes the whole input as e. OpenSSL truncates inputs longer than
 * the order; feed it (e mod n) shifted so that its truncation gives e mod n.
 */
static int ec_input(uint32_t curve, const uint8_t *in, size_t inlen, uint8_t *buf,
		    const uint8_t **tbs, size_t *tbslen)
{
	const BIGNUM *n = ec_order(curve);
	size_t olen = ec_order_len(curve);
	int bits, ok;
	BIGNUM *e;
	BN_CTX *bc;

	if (!n)
		return -1;
	bits = BN_num_bits(n);
	if (inlen * 8 <= (size_t)bits) {
		*tbs = in;
		*tbslen = inlen;
		return 0;
	}
	e = BN_bin2bn(in, (int)inlen, NULL);
	bc = BN_CTX_new();
	ok = e && bc && BN_mod(e, e, n, bc) && BN_lshift(e, e, (int)(8 * olen) - bits) &&
	     BN_bn2binpad(e, buf, (int)olen) == (int)olen;
	BN_free(e);
	BN_CTX_free(bc);
	*tbs = buf;
	*tbslen = olen;
	return ok ? 0 : -1;
}

int pkey_ec_sign(EVP_PKEY *pk, uint32_t curve, const uint8_t *in, size_t inlen, uint8_t *sig)
{
	size_t olen = ec_order_len(curve), dlen = 160;
	uint8_t der[160], buf[80];
	const uint8_t *tbs, *p = der;
	EVP_PKEY_CTX *c;
	ECDSA_SIG *es = NULL;
	size_t tbslen;
	int ok;

	if (!olen || ec_input(curve, in, inlen, buf, &tbs, &tbslen) < 0)
		return HAL_ERROR_IMPOSSIBLE;
	c = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
	ok = c && EVP_PKEY_sign_init(c) == 1 && EVP_PKEY_sign(c, der, &dlen, tbs, tbslen) == 1 &&
	     (es = d2i_ECDSA_SIG(NULL, &p, (long)dlen)) &&
	     BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, (int)olen) == (int)olen &&
	     BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + olen, (int)olen) == (int)olen;
	ECDSA_SIG_free(es);
	EVP_PKEY_CTX_free(c);
	return ok ? 0 : HAL_ERROR_IMPOSSIBLE;
}

int pkey_ec_verify(EVP_PKEY *pk, uint32_t curve, const uint8_t *in, size_t inlen,
		   const uint8_t *sig, size_t siglen)
{
	const BIGNUM *n = ec_order(curve);
	uint8_t buf[80], *der = NULL;
	const uint8_t *tbs;
	size_t tbslen, half = siglen / 2;
	BIGNUM *r, *s;
	ECDSA_SIG *es = NULL;
	EVP_PKEY_CTX *c = NULL;
	int dlen, rc = HAL_ERROR_INVALID_SIGNATURE;

	if (!n || ec_input(curve, in, inlen, buf, &tbs, &tbslen) < 0)
		return HAL_ERROR_IMPOSSIBLE;
	r = BN_bin2bn(sig, (int)half, NULL);
	s = BN_bin2bn(sig + half, (int)half, NULL);
	if (!r || !s || BN_is_zero(r) || BN_is_zero(s) || BN_cmp(r, n) >= 0 || BN_cmp(s, n) >= 0)
		goto out;
	es = ECDSA_SIG_new();
	if (!es || !ECDSA_SIG_set0(es, r, s))
		goto out;
	r = s = NULL;
	dlen = i2d_ECDSA_SIG(es, &der);
	c = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
	if (dlen > 0 && c && EVP_PKEY_verify_init(c) == 1 &&
	    EVP_PKEY_verify(c, der, (size_t)dlen, tbs, tbslen) == 1)
		rc = 0;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	OPENSSL_free(der);
	EVP_PKEY_CTX_free(c);
	return rc;
}

int pkey_rsa_encrypt(EVP_PKEY *pk, const uint8_t *in, size_t inlen, uint8_t *out,
		     size_t *outlen)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
	int ok;

	ok = c && EVP_PKEY_encrypt_init(c) == 1 &&
	     EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1 &&
	     EVP_PKEY_encrypt(c, out, outlen, in, inlen) == 1;
	EVP_PKEY_CTX_free(c);
	return ok ? 0 : HAL_ERROR_IMPOSSIBLE;
}

int pkey_rsa_decrypt_raw(EVP_PKEY *pk, const uint8_t *in, size_t inlen, uint8_t *out,
			 size_t k)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
	uint8_t padded[1024];
	size_t n = k;
	int ok;

	if (inlen > k || k > sizeof(padded)) {
		EVP_PKEY_CTX_free(c);
		return -1;
	}
	memset(padded, 0, k - inlen);
	memcpy(padded + k - inlen, in, inlen);
	ok = c && EVP_PKEY_decrypt_init(c) == 1 &&
	     EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING) == 1 &&
	     EVP_PKEY_decrypt(c, out, &n, padded, k) == 1 && n == k;
	EVP_PKEY_CTX_free(c);
	return ok ? 0 : -1;
}
