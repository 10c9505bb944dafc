/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Byte strings as text: hex, Base64/PEM, RFC 7512 PKCS#11 URIs. */
#ifndef HSMCTL_ENCODE_H
#define HSMCTL_ENCODE_H

#include <stddef.h>
#include <stdio.h>

/* Lower-case hex of @n bytes, malloc()ed; NULL when out of memory. */
char *hex_encode(const unsigned char *p, size_t n);

/*
 * Parse hex (either case, even length, optional "0x" prefix, nothing
 * else) into a malloc()ed buffer. 0 or -EINVAL / -ENOMEM.
 */
int hex_decode(const char *s, unsigned char **out, size_t *len);

/* Standard Base64 (RFC 4648) of @n bytes, malloc()ed, NUL-terminated. */
char *base64_encode(const unsigned char *p, size_t n);

/* A PEM block: BEGIN/END @label lines around Base64 in 64-column lines. */
int pem_write(FILE *f, const char *label, const unsigned char *der, size_t n);

/*
 * Append @n bytes to @out (of @cap bytes, NUL-terminated) percent-encoded
 * as an RFC 7512 attribute value: every byte except the unreserved
 * characters (ALPHA DIGIT - . _ ~) as %XX; all of them when @all.
 * Returns 0, or -ENOSPC when @out is too small.
 */
int pct_append(char *out, size_t cap, const unsigned char *p, size_t n,
	       int all);

/*
 * The RFC 7512 URI of a key: "pkcs11:token=TOKEN;object=LABEL;
 * id=%XX..;type=private" (token, object and id only when @token, @label /
 * @id are given; type=public when @is_public).
 * Returns a malloc()ed string or NULL.
 */
char *pkcs11_uri(const char *token, const unsigned char *label,
		 size_t label_len, const unsigned char *id, size_t id_len,
		 int is_public);

/*
 * @n bytes of untrusted text made safe for a terminal: valid UTF-8 passes,
 * control characters and invalid bytes become \xNN. malloc()ed.
 */
char *text_safe(const unsigned char *p, size_t n);

#endif /* HSMCTL_ENCODE_H */
