/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PKCS#11 attributes as the board stores them (protocol §7.8), shared by
 * hsmctl and the PKCS#11 module so both write the same bytes:
 * - the board attribute type is the CKA_* number;
 * - CK_ULONG values (CKA_CLASS, CKA_KEY_TYPE, ...) are 8 bytes,
 *   little-endian (the CrypTech module's x86-64 Linux representation);
 * - CK_BBOOL values are one byte, 0x00 or 0x01;
 * - strings (CKA_LABEL) are stored without a NUL.
 * Prefixed HSM_ so that it can be included next to a PKCS#11 header.
 */
#ifndef HSM_P11ATTR_H
#define HSM_P11ATTR_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#define HSM_CKA_CLASS			0x000u
#define HSM_CKA_TOKEN			0x001u
#define HSM_CKA_PRIVATE			0x002u
#define HSM_CKA_LABEL			0x003u
#define HSM_CKA_KEY_TYPE		0x100u
#define HSM_CKA_ID			0x102u
#define HSM_CKA_SENSITIVE		0x103u
#define HSM_CKA_SIGN			0x108u
#define HSM_CKA_VERIFY			0x10Au
#define HSM_CKA_MODULUS			0x120u
#define HSM_CKA_PUBLIC_EXPONENT		0x122u
#define HSM_CKA_EXTRACTABLE		0x162u
#define HSM_CKA_LOCAL			0x163u
#define HSM_CKA_KEY_GEN_MECHANISM	0x166u
#define HSM_CKA_EC_PARAMS		0x180u
#define HSM_CKA_EC_POINT		0x181u

#define HSM_CKO_PUBLIC_KEY		2u
#define HSM_CKO_PRIVATE_KEY		3u
#define HSM_CKK_RSA			0u
#define HSM_CKK_EC			3u

#define HSM_P11_ULONG_LEN		8
#define HSM_P11_BBOOL_LEN		1

/* A CK_ULONG value as stored: 8 bytes, little-endian. */
static inline void hsm_p11_put_ulong(unsigned char out[HSM_P11_ULONG_LEN],
				     uint64_t v)
{
	int i;

	for (i = 0; i < HSM_P11_ULONG_LEN; i++)
		out[i] = (unsigned char)(v >> (8 * i));
}

/* Decode a stored CK_ULONG; -EINVAL unless it is exactly 8 bytes. */
static inline int hsm_p11_get_ulong(const void *p, size_t len, uint64_t *v)
{
	const unsigned char *b = (const unsigned char *)p;
	uint64_t r = 0;
	int i;

	if (!p || len != HSM_P11_ULONG_LEN)
		return -EINVAL;
	for (i = HSM_P11_ULONG_LEN - 1; i >= 0; i--)
		r = (r << 8) | b[i];
	*v = r;
	return 0;
}

/* A CK_BBOOL value as stored: one byte, 0x01 for true. */
static inline void hsm_p11_put_bbool(unsigned char out[HSM_P11_BBOOL_LEN],
				     int v)
{
	out[0] = v ? 1 : 0;
}

/* Decode a stored CK_BBOOL; -EINVAL unless it is one byte, 0 or 1. */
static inline int hsm_p11_get_bbool(const void *p, size_t len, int *v)
{
	const unsigned char *b = (const unsigned char *)p;

	if (!p || len != HSM_P11_BBOOL_LEN || b[0] > 1)
		return -EINVAL;
	*v = b[0];
	return 0;
}

#endif /* HSM_P11ATTR_H */
