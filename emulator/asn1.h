/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The little DER the board needs: key classification, wrapper blobs (§5.5, §7.5, §7.6). */
#ifndef EMU_ASN1_H
#define EMU_ASN1_H

#include <stddef.h>
#include <stdint.h>

#define DER_SEQUENCE	0x30
#define DER_INTEGER	0x02
#define DER_BITSTRING	0x03
#define DER_OCTETSTRING	0x04
#define DER_NULL	0x05
#define DER_OID		0x06

extern const uint8_t oid_rsa_encryption[11];	/* with tag and length */
extern const uint8_t oid_ec_public_key[9];
extern const uint8_t oid_aes256_wrap_pad[11];
extern const uint8_t oid_hashsig[13];

/* Read one TLV at *p (single-byte tag, definite length); 0 or -1. */
int der_tlv(const uint8_t **p, const uint8_t *end, uint8_t *tag, const uint8_t **val,
	    size_t *len);
/* Write a header; returns its size. out may be NULL to measure. */
size_t der_hdr(uint8_t *out, uint8_t tag, size_t len);

/*
 * Classify a PKCS#8 PrivateKeyInfo or SubjectPublicKeyInfo by its outer
 * structure only: 0 with type and curve, or status 15, 2 or 1 as PKEY_LOAD.
 */
int der_key_classify(const uint8_t *der, size_t len, uint32_t *type, uint32_t *curve);

/*
 * If an RSA PKCS#8 key carries the board's private-class fields C0-C5 after
 * qInv, return a copy without them in *out (else *out = NULL). 0 or -1.
 */
int der_rsa_strip(const uint8_t *der, size_t len, uint8_t **out, size_t *outlen);

/* SEQUENCE { SEQUENCE { oid }, OCTET STRING data } into a new buffer. */
uint8_t *der_epki_build(const uint8_t *oid, size_t oidlen, const uint8_t *data, size_t len,
			size_t *outlen);
/* Parse that shape (a NULL parameter is tolerated); 0 or -1. */
int der_epki_parse(const uint8_t *der, size_t len, const uint8_t *oid, size_t oidlen,
		   const uint8_t **data, size_t *dlen);

#endif
