// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The little DER the board needs. */
#include <stdlib.h>
#include <string.h>

#include "../driver/protocol.h"
#include "asn1.h"

const uint8_t oid_rsa_encryption[11] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
					 0x01, 0x01, 0x01 };
const uint8_t oid_ec_public_key[9] = { 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 };
const uint8_t oid_aes256_wrap_pad[11] = { 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
					  0x04, 0x01, 0x30 };
const uint8_t oid_hashsig[13] = { 0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
				  0x09, 0x10, 0x03, 0x11 };

static const struct {
	uint32_t curve;
	uint8_t oid[10];
	size_t len;
} curve_oids[] = {
	{ HAL_CURVE_P256, { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 }, 10 },
	{ HAL_CURVE_P384, { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 }, 7 },
	{ HAL_CURVE_P521, { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23 }, 7 },
};

int der_tlv(const uint8_t **p, const uint8_t *end, uint8_t *tag, const uint8_t **val,
	    size_t *len)
{
	const uint8_t *q = *p;
	size_t n;

	if (end - q < 2)
		return -1;
	*tag = *q++;
	n = *q++;
	if (n & 0x80) {
		size_t k = n & 0x7f;

		if (k == 0 || k > 4 || (size_t)(end - q) < k)
			return -1;
		n = 0;
		while (k--)
			n = n << 8 | *q++;
	}
	if (n > (size_t)(end - q))
		return -1;
	*val = q;
	*len = n;
	*p = q + n;
	return 0;
}

size_t der_hdr(uint8_t *out, uint8_t tag, size_t len)
{
	uint8_t tmp[6];
	size_t n = 0;

	if (!out)
		out = tmp;
	out[n++] = tag;
	if (len < 0x80) {
		out[n++] = (uint8_t)len;
	} else if (len < 0x100) {
		out[n++] = 0x81;
		out[n++] = (uint8_t)len;
	} else if (len < 0x10000) {
		out[n++] = 0x82;
		out[n++] = (uint8_t)(len >> 8);
		out[n++] = (uint8_t)len;
	} else {
		out[n++] = 0x83;
		out[n++] = (uint8_t)(len >> 16);
		out[n++] = (uint8_t)(len >> 8);
		out[n++] = (uint8_t)len;
	}
	return n;
}

/* Compare a TLV value with an encoded OID (tag + length + body). */
static int oid_eq(const uint8_t *val, size_t len, const uint8_t *oid, size_t oidlen)
{
	return len == oidlen - 2 && !memcmp(val, oid + 2, len);
}

int der_key_classify(const uint8_t *der, size_t len, uint32_t *type, uint32_t *curve)
{
	const uint8_t *p = der, *end = der + len, *seq, *v, *alg, *oid;
	size_t seqlen, vlen, alglen, oidlen;
	uint8_t tag;
	int is_private;

	if (der_tlv(&p, end, &tag, &seq, &seqlen) || tag != DER_SEQUENCE)
		return HAL_ERROR_ASN1_PARSE_FAILED;
	p = seq;
	end = seq + seqlen;
	if (der_tlv(&p, end, &tag, &v, &vlen))
		return HAL_ERROR_ASN1_PARSE_FAILED;
	if (tag == DER_INTEGER) {
		/* PrivateKeyInfo: version 0, AlgorithmIdentifier, OCTET STRING */
		if (vlen != 1 || v[0] != 0)
			return HAL_ERROR_ASN1_PARSE_FAILED;
		if (der_tlv(&p, end, &tag, &alg, &alglen) || tag != DER_SEQUENCE)
			return HAL_ERROR_ASN1_PARSE_FAILED;
		is_private = 1;
	} else if (tag == DER_SEQUENCE) {
		/* SubjectPublicKeyInfo: AlgorithmIdentifier, BIT STRING */
		alg = v;
		alglen = vlen;
		is_private = 0;
	} else {
		return HAL_ERROR_ASN1_PARSE_FAILED;
	}
	if (der_tlv(&p, end, &tag, &v, &vlen) ||
	    tag != (is_private ? DER_OCTETSTRING : DER_BITSTRING))
		return HAL_ERROR_ASN1_PARSE_FAILED;

	p = alg;
	end = alg + alglen;
	if (der_tlv(&p, end, &tag, &oid, &oidlen) || tag != DER_OID)
		return HAL_ERROR_ASN1_PARSE_FAILED;
	*curve = HAL_CURVE_NONE;
	if (oid_eq(oid, oidlen, oid_rsa_encryption, sizeof(oid_rsa_encryption))) {
		*type = is_private ? HAL_KEY_TYPE_RSA_PRIVATE : HAL_KEY_TYPE_RSA_PUBLIC;
		return 0;
	}
	if (oid_eq(oid, oidlen, oid_hashsig, sizeof(oid_hashsig))) {
		/* this emulator has no hash-based signatures (see the documentation) */
		return HAL_ERROR_UNSUPPORTED_KEY;
	}
	if (!oid_eq(oid, oidlen, oid_ec_public_key, sizeof(oid_ec_public_key)))
		return HAL_ERROR_UNSUPPORTED_KEY;
	*type = is_private ? HAL_KEY_TYPE_EC_PRIVATE : HAL_KEY_TYPE_EC_PUBLIC;
	if (p >= end)
		return HAL_ERROR_BAD_ARGUMENTS;	/* EC without a curve */
	if (der_tlv(&p, end, &tag, &v, &vlen) || tag != DER_OID)
		return HAL_ERROR_UNSUPPORTED_KEY;
	for (size_t i = 0; i < sizeof(curve_oids) / sizeof(curve_oids[0]); i++) {
		if (oid_eq(v, vlen, curve_oids[i].oid, curve_oids[i].len)) {
			*curve = curve_oids[i].curve;
			return 0;
		}
	}
	return HAL_ERROR_UNSUPPORTED_KEY;
}

int der_rsa_strip(const uint8_t *der, size_t len, uint8_t **out, size_t *outlen)
{
	const uint8_t *p = der, *end = der + len, *seq, *ver, *alg, *oct, *rsa, *q, *v;
	size_t seqlen, verlen, alglen, octlen, rsalen, vlen, keep, inner, total, head;
	uint8_t tag, *o;

	*out = NULL;
	if (der_tlv(&p, end, &tag, &seq, &seqlen) || tag != DER_SEQUENCE)
		return -1;
	p = seq;
	end = seq + seqlen;
	if (der_tlv(&p, end, &tag, &ver, &verlen) || tag != DER_INTEGER ||
	    der_tlv(&p, end, &tag, &alg, &alglen) || tag != DER_SEQUENCE ||
	    der_tlv(&p, end, &tag, &oct, &octlen) || tag != DER_OCTETSTRING)
		return -1;
	q = oct;
	if (der_tlv(&q, oct + octlen, &tag, &rsa, &rsalen) || tag != DER_SEQUENCE)
		return -1;
	q = rsa;
	for (int i = 0; i < 9; i++)	/* version n e d p q dP dQ qInv */
		if (der_tlv(&q, rsa + rsalen, &tag, &v, &vlen) || tag != DER_INTEGER)
			return -1;
	if (q == rsa + rsalen)
		return 0;		/* nothing to strip */
	keep = (size_t)(q - rsa);
	inner = der_hdr(NULL, DER_SEQUENCE, keep) + keep;
	/* version and algorithm TLVs are copied verbatim */
	head = (size_t)((alg + alglen) - seq);
	total = head + der_hdr(NULL, DER_OCTETSTRING, inner) + inner;
	o = malloc(der_hdr(NULL, DER_SEQUENCE, total) + total);
	if (!o)
		return -1;
	*outlen = der_hdr(o, DER_SEQUENCE, total);
	memcpy(o + *outlen, seq, head);
	*outlen += head;
	*outlen += der_hdr(o + *outlen, DER_OCTETSTRING, inner);
	*outlen += der_hdr(o + *outlen, DER_SEQUENCE, keep);
	memcpy(o + *outlen, rsa, keep);
	*outlen += keep;
	*out = o;
	return 0;
}

uint8_t *der_epki_build(const uint8_t *oid, size_t oidlen, const uint8_t *data, size_t len,
			size_t *outlen)
{
	size_t alg = der_hdr(NULL, DER_SEQUENCE, oidlen) + oidlen;
	size_t body = alg + der_hdr(NULL, DER_OCTETSTRING, len) + len;
	size_t n = der_hdr(NULL, DER_SEQUENCE, body) + body;
	uint8_t *o = malloc(n), *p = o;

	if (!o)
		return NULL;
	p += der_hdr(p, DER_SEQUENCE, body);
	p += der_hdr(p, DER_SEQUENCE, oidlen);
	memcpy(p, oid, oidlen);
	p += oidlen;
	p += der_hdr(p, DER_OCTETSTRING, len);
	memcpy(p, data, len);
	*outlen = n;
	return o;
}

int der_epki_parse(const uint8_t *der, size_t len, const uint8_t *oid, size_t oidlen,
		   const uint8_t **data, size_t *dlen)
{
	const uint8_t *p = der, *end = der + len, *seq, *alg, *v;
	size_t seqlen, alglen, vlen;
	uint8_t tag;

	if (der_tlv(&p, end, &tag, &seq, &seqlen) || tag != DER_SEQUENCE)
		return -1;
	p = seq;
	end = seq + seqlen;
	if (der_tlv(&p, end, &tag, &alg, &alglen) || tag != DER_SEQUENCE ||
	    der_tlv(&p, end, &tag, data, dlen) || tag != DER_OCTETSTRING)
		return -1;
	p = alg;
	if (der_tlv(&p, alg + alglen, &tag, &v, &vlen) || tag != DER_OID ||
	    !oid_eq(v, vlen, oid, oidlen))
		return -1;
	if (p < alg + alglen &&
	    (der_tlv(&p, alg + alglen, &tag, &v, &vlen) || tag != DER_NULL || vlen))
		return -1;
	return 0;
}
