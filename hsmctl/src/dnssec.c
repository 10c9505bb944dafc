// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * DNSSEC encodings of public keys (dnssec.h). OpenSSL parses the
 * SubjectPublicKeyInfo and hashes; the DNS wire forms are built here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "dnssec.h"

const char *dnssec_alg_name(unsigned int alg)
{
	switch (alg) {
	case DNSSEC_ALG_RSASHA256:
		return "RSASHA256";
	case DNSSEC_ALG_RSASHA512:
		return "RSASHA512";
	case DNSSEC_ALG_ECDSAP256SHA256:
		return "ECDSAP256SHA256";
	case DNSSEC_ALG_ECDSAP384SHA384:
		return "ECDSAP384SHA384";
	}
	return NULL;
}

static EVP_PKEY *parse_spki(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *pk;

	if (!der || len == 0 || len > 65536)
		return NULL;
	pk = d2i_PUBKEY(NULL, &p, (long)len);
	if (pk && p != der + len) {	/* trailing bytes: not one key */
		EVP_PKEY_free(pk);
		return NULL;
	}
	return pk;
}

/* The algorithm of a parsed key; 0 when none; the EC coordinate size. */
static unsigned int key_alg(EVP_PKEY *pk, unsigned int rsa_alg, size_t *coord)
{
	char group[64];

	*coord = 0;
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA)
		return rsa_alg == DNSSEC_ALG_RSASHA512 ? DNSSEC_ALG_RSASHA512 :
		       rsa_alg == DNSSEC_ALG_RSASHA256 ? DNSSEC_ALG_RSASHA256 : 0;
	if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC ||
	    !EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME,
					    group, sizeof(group), NULL))
		return 0;
	if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0) {
		*coord = 32;
		return DNSSEC_ALG_ECDSAP256SHA256;
	}
	if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0) {
		*coord = 48;
		return DNSSEC_ALG_ECDSAP384SHA384;
	}
	return 0;
}

unsigned int dnssec_alg_for_spki(const unsigned char *der, size_t len,
				 unsigned int rsa_alg)
{
	EVP_PKEY *pk = parse_spki(der, len);
	unsigned int alg = 0;
	size_t coord;

	if (pk)
		alg = key_alg(pk, rsa_alg, &coord);
	EVP_PKEY_free(pk);
	return alg;
}

/* A big-endian unsigned integer parameter, without leading zeros. */
static int get_bn(EVP_PKEY *pk, const char *param, unsigned char **out,
		  size_t *len)
{
	BIGNUM *bn = NULL;
	int n;

	if (!EVP_PKEY_get_bn_param(pk, param, &bn))
		return -EINVAL;
	n = BN_num_bytes(bn);
	*out = malloc(n > 0 ? (size_t)n : 1);
	if (!*out) {
		BN_free(bn);
		return -ENOMEM;
	}
	*len = (size_t)BN_bn2bin(bn, *out);
	BN_free(bn);
	return 0;
}

/* A parameter as exactly @width big-endian bytes. */
static int get_bn_padded(EVP_PKEY *pk, const char *param, unsigned char *out,
			 size_t width)
{
	BIGNUM *bn = NULL;
	int ok;

	if (!EVP_PKEY_get_bn_param(pk, param, &bn))
		return -EINVAL;
	ok = BN_bn2binpad(bn, out, (int)width) == (int)width;
	BN_free(bn);
	return ok ? 0 : -EINVAL;
}

/* RFC 3110 §2: exponent length (1 byte, or 0 and 2 bytes), exponent, modulus. */
static int rsa_public(EVP_PKEY *pk, unsigned char **out, size_t *len)
{
	unsigned char *e = NULL, *n = NULL, *p;
	size_t elen = 0, nlen = 0, hdr;
	int ret;

	ret = get_bn(pk, OSSL_PKEY_PARAM_RSA_E, &e, &elen);
	if (!ret)
		ret = get_bn(pk, OSSL_PKEY_PARAM_RSA_N, &n, &nlen);
	if (!ret && (elen == 0 || elen > 65535 || nlen == 0))
		ret = -EINVAL;
	if (ret)
		goto out;
	hdr = elen <= 255 ? 1 : 3;
	p = *out = malloc(hdr + elen + nlen);
	if (!p) {
		ret = -ENOMEM;
		goto out;
	}
	if (hdr == 1) {
		*p++ = (unsigned char)elen;
	} else {
		*p++ = 0;
		*p++ = (unsigned char)(elen >> 8);
		*p++ = (unsigned char)elen;
	}
	memcpy(p, e, elen);
	memcpy(p + elen, n, nlen);
	*len = hdr + elen + nlen;
out:
	free(e);
	free(n);
	return ret;
}

/* RFC 6605 §4: X || Y, each the size of the curve. */
static int ec_public(EVP_PKEY *pk, size_t coord, unsigned char **out,
		     size_t *len)
{
	unsigned char *p = malloc(2 * coord);
	int ret;

	if (!p)
		return -ENOMEM;
	ret = get_bn_padded(pk, OSSL_PKEY_PARAM_EC_PUB_X, p, coord);
	if (!ret)
		ret = get_bn_padded(pk, OSSL_PKEY_PARAM_EC_PUB_Y, p + coord, coord);
	if (ret) {
		free(p);
		return ret;
	}
	*out = p;
	*len = 2 * coord;
	return 0;
}

int dnssec_dnskey(const unsigned char *der, size_t len, unsigned int rsa_alg,
		  uint16_t flags, struct dnskey *k)
{
	EVP_PKEY *pk = parse_spki(der, len);
	unsigned char *pub = NULL;
	size_t coord, pub_len = 0;
	int ret;

	memset(k, 0, sizeof(*k));
	if (!pk)
		return -EINVAL;
	k->algorithm = (uint8_t)key_alg(pk, rsa_alg, &coord);
	if (!k->algorithm)
		ret = -ENOTSUP;
	else if (coord)
		ret = ec_public(pk, coord, &pub, &pub_len);
	else
		ret = rsa_public(pk, &pub, &pub_len);
	EVP_PKEY_free(pk);
	if (ret)
		return ret;
	k->rdata = malloc(4 + pub_len);
	if (!k->rdata) {
		free(pub);
		return -ENOMEM;
	}
	k->flags = flags;
	k->protocol = 3;
	k->rdata[0] = (unsigned char)(flags >> 8);
	k->rdata[1] = (unsigned char)flags;
	k->rdata[2] = k->protocol;
	k->rdata[3] = k->algorithm;
	memcpy(k->rdata + 4, pub, pub_len);
	k->rdata_len = 4 + pub_len;
	k->tag = dnssec_key_tag(k->rdata, k->rdata_len);
	free(pub);
	return 0;
}

void dnskey_free(struct dnskey *k)
{
	free(k->rdata);
	k->rdata = NULL;
	k->rdata_len = 0;
}

uint16_t dnssec_key_tag(const unsigned char *rdata, size_t len)
{
	uint32_t ac = 0;
	size_t i;

	/* Sum the RDATA as big-endian 16-bit words, fold the carries once. */
	for (i = 0; i < len; i++)
		ac += i & 1 ? rdata[i] : (uint32_t)rdata[i] << 8;
	ac += ac >> 16;
	return (uint16_t)ac;
}

static int name_char_ok(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '*';
}

int dnssec_name_wire(const char *name, unsigned char *out, size_t *len)
{
	size_t o = 0, n = strlen(name), i = 0;

	if (n == 0)
		return -EINVAL;
	if (strcmp(name, ".") == 0) {
		out[0] = 0;
		*len = 1;
		return 0;
	}
	while (i < n) {
		size_t start = i, l;

		while (i < n && name[i] != '.') {
			if (!name_char_ok((unsigned char)name[i]))
				return -EINVAL;
			i++;
		}
		l = i - start;
		if (l == 0 || l > 63 || o + 1 + l + 1 > DNSSEC_NAME_MAX)
			return -EINVAL;
		out[o++] = (unsigned char)l;
		for (; start < i; start++) {
			unsigned char ch = (unsigned char)name[start];

			out[o++] = ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch;
		}
		if (i < n)
			i++;	/* the dot; a final one ends the name */
	}
	out[o++] = 0;
	*len = o;
	return 0;
}

char *dnssec_name_text(const char *name)
{
	size_t n = strlen(name), i;
	char *t = malloc(n + 2);

	if (!t)
		return NULL;
	for (i = 0; i < n; i++)
		t[i] = name[i] >= 'A' && name[i] <= 'Z' ?
		       (char)(name[i] + ('a' - 'A')) : name[i];
	if (n == 0 || name[n - 1] != '.')
		t[n++] = '.';
	t[n] = '\0';
	return t;
}

int dnssec_ds_sha256(const unsigned char *name, size_t name_len,
		     const struct dnskey *k, unsigned char digest[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int dlen = 0;
	int ok;

	if (!ctx)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
	     EVP_DigestUpdate(ctx, name, name_len) &&
	     EVP_DigestUpdate(ctx, k->rdata, k->rdata_len) &&
	     EVP_DigestFinal_ex(ctx, digest, &dlen) && dlen == 32;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -EIO;
}
