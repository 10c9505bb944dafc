// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* AES-256 key wrap with padding (RFC 5649) through OpenSSL's wrap-pad cipher. */
#include <openssl/evp.h>

#include "../driver/protocol.h"
#include "keywrap.h"

static size_t run(const uint8_t kek[32], const uint8_t *in, size_t len, uint8_t *out, int enc)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, m = 0;
	size_t res = 0;

	if (!c)
		return 0;
	EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	if (EVP_CipherInit_ex(c, EVP_aes_256_wrap_pad(), NULL, kek, NULL, enc) == 1 &&
	    EVP_CipherUpdate(c, out, &n, in, (int)len) == 1 && n > 0 &&
	    EVP_CipherFinal_ex(c, out + n, &m) == 1)
		res = (size_t)n + (size_t)m;
	EVP_CIPHER_CTX_free(c);
	return res;
}

size_t aes_keywrap(const uint8_t kek[32], const uint8_t *in, size_t len, uint8_t *out)
{
	if (len == 0)
		return 0;
	return run(kek, in, len, out, 1);
}

int aes_keyunwrap(const uint8_t kek[32], const uint8_t *in, size_t len, uint8_t *out,
		  size_t *outlen)
{
	if (len < 16 || len % 8)
		return HAL_ERROR_KEYWRAP_BAD_LENGTH;
	*outlen = run(kek, in, len, out, 0);
	/* OpenSSL does not say which check failed: report the integrity value */
	return *outlen ? 0 : HAL_ERROR_KEYWRAP_BAD_MAGIC;
}
