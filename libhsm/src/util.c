// SPDX-License-Identifier: LGPL-2.1-or-later
/* Small string helpers shared by the library's files. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

void hsm_copy_str(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	size_t n;

	if (!dstlen)
		return;
	n = strnlen(src, srclen);
	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void hsm_errmsg_set(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}
