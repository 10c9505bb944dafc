/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* AES key wrap with padding, RFC 5649 (protocol §7.5). */
#ifndef EMU_KEYWRAP_H
#define EMU_KEYWRAP_H

#include <stddef.h>
#include <stdint.h>

/* Wrapped size of an m-byte input: 8 * ceil(m / 8) + 8. */
static inline size_t keywrap_len(size_t m)
{
	return 8 * ((m + 7) / 8) + 8;
}

/* out must hold keywrap_len(len); returns the wrapped length or 0 on failure. */
size_t aes_keywrap(const uint8_t kek[32], const uint8_t *in, size_t len, uint8_t *out);
/* Returns 0 and the plaintext length, or a HAL_ERROR_KEYWRAP_* status. */
int aes_keyunwrap(const uint8_t kek[32], const uint8_t *in, size_t len, uint8_t *out,
		  size_t *outlen);

#endif
