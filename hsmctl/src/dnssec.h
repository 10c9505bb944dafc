/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DNSSEC records of a public key: DNSKEY RDATA (RFC 4034 §2, RSA in the
 * RFC 3110 format, ECDSA in RFC 6605's), its key tag (RFC 4034
 * Appendix B) and the SHA-256 DS record (RFC 4509).
 */
#ifndef HSMCTL_DNSSEC_H
#define HSMCTL_DNSSEC_H

#include <stddef.h>
#include <stdint.h>

/* The DNSSEC algorithm numbers hsmctl writes. */
#define DNSSEC_ALG_RSASHA256		8
#define DNSSEC_ALG_RSASHA512		10
#define DNSSEC_ALG_ECDSAP256SHA256	13
#define DNSSEC_ALG_ECDSAP384SHA384	14

#define DNSSEC_FLAGS_ZSK	256	/* Zone Key */
#define DNSSEC_FLAGS_KSK	257	/* Zone Key + Secure Entry Point */

#define DNSSEC_NAME_MAX		255	/* a name in wire form */

struct dnskey {
	uint16_t flags;
	uint8_t protocol;		/* always 3 */
	uint8_t algorithm;
	uint16_t tag;
	unsigned char *rdata;		/* malloc()ed: flags, protocol,
					 * algorithm, public key */
	size_t rdata_len;
};

/* The mnemonic of a DNSSEC algorithm ("RSASHA256"), or NULL. */
const char *dnssec_alg_name(unsigned int alg);

/*
 * The algorithm of the key in the DER SubjectPublicKeyInfo @der: RSA keys
 * get @rsa_alg (8 or 10), EC keys the one of their curve (P-256: 13,
 * P-384: 14). 0 when the key has none (another curve or type).
 */
unsigned int dnssec_alg_for_spki(const unsigned char *der, size_t len,
				 unsigned int rsa_alg);

/*
 * The DNSKEY of @der (SubjectPublicKeyInfo) with @flags and the algorithm
 * of dnssec_alg_for_spki(). 0, -EINVAL (not a public key), -ENOTSUP (no
 * DNSSEC algorithm for it) or -ENOMEM. Free with dnskey_free().
 */
int dnssec_dnskey(const unsigned char *der, size_t len, unsigned int rsa_alg,
		  uint16_t flags, struct dnskey *k);
void dnskey_free(struct dnskey *k);

/* The key tag of DNSKEY RDATA (RFC 4034 Appendix B). */
uint16_t dnssec_key_tag(const unsigned char *rdata, size_t len);

/*
 * @name ("example.com", "example.com." or "." for the root) in canonical
 * wire form (RFC 4034 §6.2: lower case) into @out of DNSSEC_NAME_MAX
 * bytes; its length in *@len. -EINVAL when it is not a valid name (empty
 * label, label over 63 bytes, name over 255, characters other than
 * letters, digits, '-', '_' and '*').
 */
int dnssec_name_wire(const char *name, unsigned char *out, size_t *len);

/*
 * @name in the presentation form written in records: lower case, with
 * the final dot. malloc()ed, NULL when out of memory; call on names
 * dnssec_name_wire() accepted.
 */
char *dnssec_name_text(const char *name);

/* SHA-256 over the owner @name (wire form) and @k's RDATA: the DS digest. */
int dnssec_ds_sha256(const unsigned char *name, size_t name_len,
		     const struct dnskey *k, unsigned char digest[32]);

#endif /* HSMCTL_DNSSEC_H */
