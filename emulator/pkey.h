/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Key generation, encodings, signatures and RSA encryption through OpenSSL EVP (§7.7). */
#ifndef EMU_PKEY_H
#define EMU_PKEY_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/* Coordinate / order bytes of a curve (32, 48, 66), 0 if unknown. */
size_t ec_order_len(uint32_t curve);

/* DER (as stored) to EVP_PKEY: 0 or status 15. */
int pkey_from_der(const uint8_t *der, size_t len, uint32_t type, EVP_PKEY **out);
int pkey_generate_rsa(uint32_t bits, EVP_PKEY **out);
/*
 * Test hook, never set by cryptech-emu itself: when non-NULL, RSA key
 * generation returns this key, so the in-process fuzzer does not spend its
 * time searching primes.
 */
extern EVP_PKEY *pkey_test_rsa_key;
int pkey_generate_ec(uint32_t curve, EVP_PKEY **out);
/* PKCS#8 PrivateKeyInfo / SubjectPublicKeyInfo into new buffers; 0 or -1. */
int pkey_private_der(EVP_PKEY *pk, uint8_t **der, size_t *len);
int pkey_public_der(EVP_PKEY *pk, uint8_t **der, size_t *len);

/* RSASSA-PKCS1-v1_5 over the given bytes: sig gets exactly k bytes. 0 or status. */
int pkey_rsa_sign(EVP_PKEY *pk, const uint8_t *in, size_t inlen, uint8_t *sig, size_t k);
int pkey_rsa_verify(EVP_PKEY *pk, const uint8_t *in, size_t inlen, const uint8_t *sig,
		    size_t siglen);
/* ECDSA with e = whole input (no truncation); sig gets r||s, 2 * order bytes. */
int pkey_ec_sign(EVP_PKEY *pk, uint32_t curve, const uint8_t *in, size_t inlen, uint8_t *sig);
int pkey_ec_verify(EVP_PKEY *pk, uint32_t curve, const uint8_t *in, size_t inlen,
		   const uint8_t *sig, size_t siglen);
/* RSAES-PKCS1-v1_5 encryption (out has k bytes); raw RSA decryption (out has k bytes). */
int pkey_rsa_encrypt(EVP_PKEY *pk, const uint8_t *in, size_t inlen, uint8_t *out,
		     size_t *outlen);
int pkey_rsa_decrypt_raw(EVP_PKEY *pk, const uint8_t *in, size_t inlen, uint8_t *out,
			 size_t k);

#endif
