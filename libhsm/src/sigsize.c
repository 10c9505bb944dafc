// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * How long a key's signatures are, without signing: the kernel always asks
 * the board for a complete signature, so probing hsm_sign() with a short
 * buffer would spend a signing operation. ECDSA sizes follow from the
 * curve; an RSA signature is as long as the modulus, read from the DER
 * SubjectPublicKeyInfo with the few DER rules that structure needs.
 */
#include <errno.h>
#include <stdlib.h>

#include <hsm/hsm.h>

/* One DER header at *@p (< @end): tag and definite length. */
static int der_next(const unsigned char **p, const unsigned char *end,
		    unsigned char tag, size_t *len)
{
	const unsigned char *q = *p;
	size_t n, i;

	if (end - q < 2 || q[0] != tag)
		return -EPROTO;
	n = q[1];
	q += 2;
	if (n & 0x80) {
		size_t k = n & 0x7f;

		if (k == 0 || k > 3 || (size_t)(end - q) < k)
			return -EPROTO;
		for (n = 0, i = 0; i < k; i++)
			n = n << 8 | q[i];
		q += k;
	}
	if (n > (size_t)(end - q))
		return -EPROTO;
	*p = q;
	*len = n;
	return 0;
}

/* The modulus length in bytes of an RSA SubjectPublicKeyInfo. */
static int rsa_modulus_len(const unsigned char *der, size_t len, size_t *out)
{
	const unsigned char *p = der, *end = der + len;
	size_t n;

	if (der_next(&p, end, 0x30, &n))		/* SubjectPublicKeyInfo */
		return -EPROTO;
	end = p + n;
	if (der_next(&p, end, 0x30, &n))		/* AlgorithmIdentifier */
		return -EPROTO;
	p += n;
	if (der_next(&p, end, 0x03, &n) || n < 1 || *p != 0)	/* BIT STRING */
		return -EPROTO;
	p++;
	if (der_next(&p, end, 0x30, &n))		/* RSAPublicKey */
		return -EPROTO;
	if (der_next(&p, end, 0x02, &n) || n == 0)	/* modulus */
		return -EPROTO;
	while (n > 1 && *p == 0) {	/* the sign byte is not part of it */
		p++;
		n--;
	}
	*out = n;
	return 0;
}

int hsm_signature_size(struct hsm_session *s, uint32_t handle, size_t *len,
		       uint32_t *board_status)
{
	static const size_t ec_sig[] = {
		[HSM_CURVE_P256] = 64, [HSM_CURVE_P384] = 96,
		[HSM_CURVE_P521] = 132,
	};
	struct hsm_key_info ki;
	unsigned char *der;
	size_t der_len;
	int ret;

	if (board_status)
		*board_status = 0;
	if (!len)
		return -EINVAL;
	ret = hsm_key_info(s, handle, &ki, board_status);
	if (ret)
		return ret;
	switch (ki.type) {
	case HSM_KEY_EC_PRIVATE:
	case HSM_KEY_EC_PUBLIC:
		if (ki.curve < HSM_CURVE_P256 || ki.curve > HSM_CURVE_P521)
			return -EPROTO;
		*len = ec_sig[ki.curve];
		return 0;
	case HSM_KEY_RSA_PRIVATE:
	case HSM_KEY_RSA_PUBLIC:
		ret = hsm_public_key_alloc(s, handle, &der, &der_len,
					   board_status);
		if (ret)
			return ret;
		ret = rsa_modulus_len(der, der_len, len);
		free(der);
		return ret;
	default:
		return -EINVAL;
	}
}
