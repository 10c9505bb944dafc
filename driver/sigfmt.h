/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cryptech_hsm: the encodings a signature crosses between an in-kernel
 * caller and a board (sigfmt.c), shared by akcipher.c and keyring.c.
 */
#ifndef CRYPTECH_HSM_SIGFMT_H
#define CRYPTECH_HSM_SIGFMT_H

#include <linux/types.h>

/*
 * The longest DER Ecdsa-Sig-Value for a curve whose order is @len bytes:
 * SEQUENCE { INTEGER r, INTEGER s }, each with a leading zero octet.
 */
#define HSM_ECDSA_SIG_DER_MAX(len)	(2 + 2 * (2 + (len) + 1))

/* The longest DigestInfo, SHA-512's: a 19-byte prefix and the digest. */
#define HSM_DIGEST_INFO_MAX		(19 + 64)

/**
 * struct hsm_digest_info - a hash an RSA PKCS#1 v1.5 signature names
 * @name:	the kernel's name for it ("sha256")
 * @len:	bytes of its digest
 * @prefix:	DER of its DigestInfo up to the digest (RFC 8017 §9.2),
 *		which the board wants in front of the digest (protocol §6.6)
 * @prefix_len:	bytes of @prefix
 */
struct hsm_digest_info {
	const char *name;
	unsigned int len;
	const u8 *prefix;
	unsigned int prefix_len;
};

extern const struct hsm_digest_info hsm_digest_sha1;
extern const struct hsm_digest_info hsm_digest_sha256;
extern const struct hsm_digest_info hsm_digest_sha384;
extern const struct hsm_digest_info hsm_digest_sha512;

const struct hsm_digest_info *hsm_digest_info_find(const char *name);
int hsm_der_take(const u8 **p, const u8 *end, u8 tag, const u8 **val,
		 size_t *len);
unsigned int hsm_der_put_hdr(u8 *out, u8 tag, size_t len);
unsigned int hsm_der_hdr_len(size_t len);
int hsm_ecdsa_sig_from_der(const u8 *sig, size_t sig_len, u8 *rs,
			   unsigned int len);
unsigned int hsm_ecdsa_sig_to_der(const u8 *rs, unsigned int len, u8 *out);

#endif /* CRYPTECH_HSM_SIGFMT_H */
