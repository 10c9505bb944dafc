// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * PKCS#11 attributes as board key attributes, in the layout of CrypTech's
 * own module (protocol spec §7.8), so that tokens are interchangeable:
 * the board attribute type is the CKA_* number; CK_BBOOL is one byte
 * (00/01); CK_ULONG is 8 bytes little-endian, written explicitly rather
 * than copied from an unsigned long; strings carry no NUL.
 */
#include <string.h>

#include <hsm/p11attr.h>

#include "p11.h"

/* What the module reads into its cache: everything it may have written. */
const uint32_t p11_stored_types[] = {
	CKA_CLASS, CKA_TOKEN, CKA_PRIVATE, CKA_LABEL, CKA_KEY_TYPE, CKA_ID,
	CKA_SENSITIVE, CKA_ENCRYPT, CKA_DECRYPT, CKA_WRAP, CKA_UNWRAP,
	CKA_SIGN, CKA_SIGN_RECOVER, CKA_VERIFY, CKA_VERIFY_RECOVER,
	CKA_DERIVE, CKA_START_DATE, CKA_END_DATE, CKA_MODULUS_BITS,
	CKA_PUBLIC_EXPONENT, CKA_EXTRACTABLE, CKA_LOCAL,
	CKA_NEVER_EXTRACTABLE, CKA_ALWAYS_SENSITIVE, CKA_KEY_GEN_MECHANISM,
	CKA_MODIFIABLE, CKA_COPYABLE, CKA_DESTROYABLE, CKA_SUBJECT,
	CKA_EC_PARAMS, CKA_ALWAYS_AUTHENTICATE, CKA_WRAP_WITH_TRUSTED,
	CKA_TRUSTED,
};
const size_t P11_STORED_N = sizeof(p11_stored_types) /
			    sizeof(p11_stored_types[0]);

int p11_stored_index(CK_ATTRIBUTE_TYPE type)
{
	size_t i;

	for (i = 0; i < P11_STORED_N; i++)
		if (p11_stored_types[i] == type)
			return (int)i;
	return -1;
}

bool p11_is_ulong_attr(CK_ATTRIBUTE_TYPE t)
{
	return t == CKA_CLASS || t == CKA_KEY_TYPE || t == CKA_MODULUS_BITS ||
	       t == CKA_KEY_GEN_MECHANISM || t == CKA_CERTIFICATE_TYPE;
}

bool p11_is_bool_attr(CK_ATTRIBUTE_TYPE t)
{
	switch (t) {
	case CKA_TOKEN: case CKA_PRIVATE: case CKA_SENSITIVE:
	case CKA_ENCRYPT: case CKA_DECRYPT: case CKA_WRAP: case CKA_UNWRAP:
	case CKA_SIGN: case CKA_SIGN_RECOVER: case CKA_VERIFY:
	case CKA_VERIFY_RECOVER: case CKA_DERIVE: case CKA_EXTRACTABLE:
	case CKA_LOCAL: case CKA_NEVER_EXTRACTABLE: case CKA_ALWAYS_SENSITIVE:
	case CKA_MODIFIABLE: case CKA_COPYABLE: case CKA_DESTROYABLE:
	case CKA_ALWAYS_AUTHENTICATE: case CKA_WRAP_WITH_TRUSTED:
	case CKA_TRUSTED:
		return true;
	default:
		return false;
	}
}

/* libhsm's encoders (<hsm/p11attr.h>), shared with hsmctl. */
_Static_assert(HSM_CKA_CLASS == CKA_CLASS && HSM_CKA_EC_POINT == CKA_EC_POINT &&
	       HSM_CKK_EC == CKK_EC && HSM_CKO_PRIVATE_KEY == CKO_PRIVATE_KEY,
	       "the shared numbers are PKCS#11's");

void p11_put_ulong(unsigned char out[8], CK_ULONG v)
{
	hsm_p11_put_ulong(out, (uint64_t)v);
}

bool p11_get_ulong(const void *p, size_t len, CK_ULONG *v)
{
	uint64_t x;

	if (hsm_p11_get_ulong(p, len, &x))
		return false;
	*v = (CK_ULONG)x;
	return true;
}

long p11_encode_value(CK_ATTRIBUTE_TYPE type, const void *value, CK_ULONG len,
		      unsigned char *out)
{
	if (p11_is_ulong_attr(type)) {
		CK_ULONG v;

		if (len != sizeof(CK_ULONG) || !value)
			return -1;
		memcpy(&v, value, sizeof(v));
		p11_put_ulong(out, v);
		return 8;
	}
	if (p11_is_bool_attr(type)) {
		if (len != sizeof(CK_BBOOL) || !value)
			return -1;
		out[0] = *(const CK_BBOOL *)value ? 1 : 0;
		return 1;
	}
	if (len && !value)
		return -1;
	if (len)
		memcpy(out, value, len);
	return (long)len;
}

/* ---- curves ------------------------------------------------------------ */

static const unsigned char oid_p256[] = {
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const unsigned char oid_p384[] = {
	0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const unsigned char oid_p521[] = {
	0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23 };

static const struct {
	uint32_t curve;
	const unsigned char *oid;
	size_t len;
	const char *name;	/* PrintableString form some tools send */
} curves[] = {
	{ HSM_CURVE_P256, oid_p256, sizeof(oid_p256), "prime256v1" },
	{ HSM_CURVE_P384, oid_p384, sizeof(oid_p384), "secp384r1" },
	{ HSM_CURVE_P521, oid_p521, sizeof(oid_p521), "secp521r1" },
};

uint32_t p11_curve_from_params(const void *der, size_t len)
{
	const unsigned char *p = der;
	size_t i;

	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		if (len == curves[i].len && !memcmp(der, curves[i].oid, len))
			return curves[i].curve;
		/* ecParameters as a PrintableString curve name */
		if (len >= 2 && p[0] == 0x13 && p[1] == len - 2 &&
		    strlen(curves[i].name) == len - 2 &&
		    !memcmp(p + 2, curves[i].name, len - 2))
			return curves[i].curve;
	}
	return 0;
}

const unsigned char *p11_curve_params(uint32_t curve, size_t *len)
{
	size_t i;

	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		if (curves[i].curve == curve) {
			*len = curves[i].len;
			return curves[i].oid;
		}
	}
	return NULL;
}
