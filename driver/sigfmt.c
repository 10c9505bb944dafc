// SPDX-License-Identifier: GPL-2.0
/*
 * The encodings a signature crosses between an in-kernel caller (the
 * crypto API in akcipher.c, the keyrings in keyring.c) and a board, in one
 * place: strict DER headers; an ECDSA signature as the DER Ecdsa-Sig-Value
 * the kernel uses (its x962 encoding, X.509) against the board's r || s
 * (protocol §6.5); the DigestInfo prefixes the board needs in front of an
 * RSA digest (protocol §6.6). Every byte read here may come from a
 * hostile caller or board: readers check lengths before each access.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "sigfmt.h"

static const u8 hsm_digest_prefix_sha1[] = {
	0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05,
	0x00, 0x04, 0x14,
};

static const u8 hsm_digest_prefix_sha256[] = {
	0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
	0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
};

static const u8 hsm_digest_prefix_sha384[] = {
	0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
	0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30,
};

static const u8 hsm_digest_prefix_sha512[] = {
	0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
	0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40,
};

#define HSM_DIGEST_INFO(name_, len_)					\
	const struct hsm_digest_info hsm_digest_##name_ = {		\
		.name = #name_,						\
		.len = len_,						\
		.prefix = hsm_digest_prefix_##name_,			\
		.prefix_len = sizeof(hsm_digest_prefix_##name_),	\
	}

HSM_DIGEST_INFO(sha1, 20);
HSM_DIGEST_INFO(sha256, 32);
HSM_DIGEST_INFO(sha384, 48);
HSM_DIGEST_INFO(sha512, 64);

static const struct hsm_digest_info *const hsm_digest_infos[] = {
	&hsm_digest_sha1, &hsm_digest_sha256, &hsm_digest_sha384,
	&hsm_digest_sha512,
};

/**
 * hsm_digest_info_find() - look a hash up by the kernel's name for it
 * @name: "sha1", "sha256", "sha384" or "sha512"; may be NULL
 *
 * Return: the hash, or NULL for any other name.
 */
const struct hsm_digest_info *hsm_digest_info_find(const char *name)
{
	unsigned int i;

	if (!name)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(hsm_digest_infos); i++)
		if (!strcmp(hsm_digest_infos[i]->name, name))
			return hsm_digest_infos[i];
	return NULL;
}

/**
 * hsm_der_take() - read one DER element
 * @p:		where it starts; moved past it on success
 * @end:	the end of what may be read
 * @tag:	the tag it must have
 * @val:	its contents, which lie wholly before @end
 * @len:	bytes of its contents
 *
 * Strict DER: definite lengths in their shortest form, up to two length
 * octets (nothing here is longer than 65535 bytes).
 *
 * Return: 0, or -EBADMSG.
 */
int hsm_der_take(const u8 **p, const u8 *end, u8 tag, const u8 **val,
		 size_t *len)
{
	const u8 *v = *p;
	size_t n;

	if (end - v < 2 || v[0] != tag)
		return -EBADMSG;
	n = v[1];
	v += 2;
	if (n == 0x81) {
		if (end - v < 1 || v[0] < 0x80)
			return -EBADMSG;
		n = v[0];
		v += 1;
	} else if (n == 0x82) {
		if (end - v < 2 || v[0] == 0)
			return -EBADMSG;
		n = (size_t)v[0] << 8 | v[1];
		v += 2;
	} else if (n & 0x80) {
		return -EBADMSG;
	}
	if (n > (size_t)(end - v))
		return -EBADMSG;
	*val = v;
	*len = n;
	*p = v + n;
	return 0;
}

/**
 * hsm_der_put_hdr() - write a DER header
 * @out:	where; room for hsm_der_hdr_len(@len) bytes
 * @tag:	its tag
 * @len:	bytes of the contents that follow, below 65536
 *
 * Return: the bytes written.
 */
unsigned int hsm_der_put_hdr(u8 *out, u8 tag, size_t len)
{
	out[0] = tag;
	if (len < 0x80) {
		out[1] = len;
		return 2;
	}
	if (len < 0x100) {
		out[1] = 0x81;
		out[2] = len;
		return 3;
	}
	out[1] = 0x82;
	out[2] = len >> 8;
	out[3] = len;
	return 4;
}

/**
 * hsm_der_hdr_len() - the bytes of a DER header
 * @len: bytes of the contents, below 65536
 *
 * Return: what hsm_der_put_hdr() writes for @len.
 */
unsigned int hsm_der_hdr_len(size_t len)
{
	return len < 0x80 ? 2 : len < 0x100 ? 3 : 4;
}

/*
 * One INTEGER of an Ecdsa-Sig-Value at *@p into @out as @len bytes: positive
 * and minimally encoded (DER), at most @len bytes after a leading zero.
 */
static int hsm_ecdsa_take_uint(const u8 **p, const u8 *end, u8 *out,
			       unsigned int len)
{
	const u8 *v;
	size_t n;

	if (hsm_der_take(p, end, 0x02, &v, &n) || !n || v[0] & 0x80 ||
	    (n > 1 && !v[0] && !(v[1] & 0x80)))
		return -EBADMSG;
	if (!v[0] && n > 1) {
		v++;
		n--;
	}
	if (n > len)
		return -EBADMSG;
	memset(out, 0, len - n);
	memcpy(out + len - n, v, n);
	return 0;
}

/**
 * hsm_ecdsa_sig_from_der() - an Ecdsa-Sig-Value into the board's r || s
 * @sig:	the DER SEQUENCE { INTEGER r, INTEGER s } at its start
 * @sig_len:	bytes at @sig; bytes after the SEQUENCE are ignored, as the
 *		kernel's own decoder does (keyctl pkey_verify on 6.1 passes
 *		max_sig_size bytes whatever the signature's length)
 * @rs:		r then s, @len bytes each, big-endian
 * @len:	bytes of the curve's order
 *
 * Return: 0, or -EBADMSG for anything but strict DER that fits.
 */
int hsm_ecdsa_sig_from_der(const u8 *sig, size_t sig_len, u8 *rs,
			   unsigned int len)
{
	const u8 *p = sig, *end = sig + sig_len, *v;
	size_t n;

	if (hsm_der_take(&p, end, 0x30, &v, &n))
		return -EBADMSG;
	p = v;
	end = v + n;
	if (hsm_ecdsa_take_uint(&p, end, rs, len) ||
	    hsm_ecdsa_take_uint(&p, end, rs + len, len) || p != end)
		return -EBADMSG;
	return 0;
}

/**
 * hsm_ecdsa_sig_to_der() - the board's r || s as an Ecdsa-Sig-Value
 * @rs:		r then s, @len bytes each, big-endian
 * @len:	bytes of the curve's order, at most 60 (the SEQUENCE's
 *		length then fits in one octet)
 * @out:	room for HSM_ECDSA_SIG_DER_MAX(@len) bytes
 *
 * Return: the bytes written.
 */
unsigned int hsm_ecdsa_sig_to_der(const u8 *rs, unsigned int len, u8 *out)
{
	unsigned int i, o = 2;

	for (i = 0; i < 2; i++) {
		const u8 *v = rs + i * len;
		unsigned int n = len;

		while (n > 1 && !v[0]) {
			v++;
			n--;
		}
		out[o++] = 0x02;
		out[o++] = n + (v[0] >> 7);
		if (v[0] & 0x80)
			out[o++] = 0;
		memcpy(out + o, v, n);
		o += n;
	}
	out[0] = 0x30;
	out[1] = o - 2;
	return o;
}
