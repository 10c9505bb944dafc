// SPDX-License-Identifier: GPL-2.0-or-later
/* Byte strings as text (see encode.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "json.h"

static const char lower[] = "0123456789abcdef";
static const char upper[] = "0123456789ABCDEF";

char *hex_encode(const unsigned char *p, size_t n)
{
	char *h = malloc(2 * n + 1);
	size_t i;

	if (!h)
		return NULL;
	for (i = 0; i < n; i++) {
		h[2 * i] = lower[p[i] >> 4];
		h[2 * i + 1] = lower[p[i] & 15];
	}
	h[2 * n] = '\0';
	return h;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_decode(const char *s, unsigned char **out, size_t *len)
{
	size_t n, i;
	unsigned char *b;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	n = strlen(s);
	if (n == 0 || n % 2)
		return -EINVAL;
	b = malloc(n / 2);
	if (!b)
		return -ENOMEM;
	for (i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(b);
			return -EINVAL;
		}
		b[i] = (unsigned char)(hi << 4 | lo);
	}
	*out = b;
	*len = n / 2;
	return 0;
}

char *base64_encode(const unsigned char *p, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i + 2 < n; i += 3) {
		unsigned long v = (unsigned long)p[i] << 16 | p[i + 1] << 8 | p[i + 2];

		*o++ = tab[v >> 18];
		*o++ = tab[(v >> 12) & 63];
		*o++ = tab[(v >> 6) & 63];
		*o++ = tab[v & 63];
	}
	if (i < n) {
		unsigned long v = (unsigned long)p[i] << 16 |
				  (i + 1 < n ? p[i + 1] << 8 : 0);

		*o++ = tab[v >> 18];
		*o++ = tab[(v >> 12) & 63];
		*o++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

int pem_write(FILE *f, const char *label, const unsigned char *der, size_t n)
{
	char *b64 = base64_encode(der, n);
	size_t len, i;

	if (!b64)
		return -ENOMEM;
	len = strlen(b64);
	fprintf(f, "-----BEGIN %s-----\n", label);
	for (i = 0; i < len; i += 64)
		fprintf(f, "%.64s\n", b64 + i);
	fprintf(f, "-----END %s-----\n", label);
	free(b64);
	return 0;
}

static int unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

int pct_append(char *out, size_t cap, const unsigned char *p, size_t n,
	       int all)
{
	size_t o = strlen(out), i;

	for (i = 0; i < n; i++) {
		if (!all && unreserved(p[i])) {
			if (o + 1 >= cap)
				return -ENOSPC;
			out[o++] = (char)p[i];
		} else {
			if (o + 3 >= cap)
				return -ENOSPC;
			out[o++] = '%';
			out[o++] = upper[p[i] >> 4];
			out[o++] = upper[p[i] & 15];
		}
		out[o] = '\0';
	}
	return 0;
}

char *pkcs11_uri(const char *token, const unsigned char *label,
		 size_t label_len, const unsigned char *id, size_t id_len,
		 int is_public)
{
	size_t cap = 64 + 3 * ((token ? strlen(token) : 0) + label_len + id_len);
	char *u = malloc(cap);
	const char *sep = "";
	int err = 0;

	if (!u)
		return NULL;
	strcpy(u, "pkcs11:");
	if (token) {
		strcat(u, "token=");
		err = pct_append(u, cap, (const unsigned char *)token, strlen(token), 0);
		sep = ";";
	}
	if (!err && label) {
		strcat(u, sep);
		strcat(u, "object=");
		err = pct_append(u, cap, label, label_len, 0);
	}
	if (!err && id) {
		strcat(u, token || label ? ";id=" : "id=");
		/* An id is binary: always %XX, as RFC 7512's examples do. */
		err = pct_append(u, cap, id, id_len, 1);
	}
	if (!err)
		strcat(u, token || label || id ? ";type=" : "type=");
	if (!err)
		strcat(u, is_public ? "public" : "private");
	if (err) {
		free(u);
		return NULL;
	}
	return u;
}

char *text_safe(const unsigned char *p, size_t n)
{
	char *out = malloc(4 * n + 1), *o = out;
	size_t i = 0;

	if (!out)
		return NULL;
	while (i < n) {
		/* A copy bounded by n, NUL-terminated for json_utf8_len(). */
		unsigned char seq[5] = { 0 };
		size_t k, m = n - i < 4 ? n - i : 4;

		memcpy(seq, p + i, m);
		k = seq[0] >= 0x20 && seq[0] != 0x7f ? json_utf8_len(seq) : 0;
		/* C1 controls (U+0080..U+009F) are terminal escapes too. */
		if (k == 2 && seq[0] == 0xc2 && seq[1] < 0xa0)
			k = 0;
		if (k == 0 || (k == 1 && seq[0] == '\\')) {
			o += sprintf(o, "\\x%02x", p[i]);
			i++;
			continue;
		}
		memcpy(o, p + i, k);
		o += k;
		i += k;
	}
	*o = '\0';
	return out;
}
