// SPDX-License-Identifier: LGPL-2.1-or-later
/* Version strings: the library's own and the board's protocol version. */
#include <stdio.h>

#include <hsm/hsm.h>

const char *hsm_version(void)
{
	return HSM_VERSION_STRING;
}

int hsm_format_version(uint32_t v, char *buf, size_t len)
{
	/* One byte per component, most significant first (protocol §6.10). */
	return snprintf(buf, len, "%u.%u.%u.%u", (v >> 24) & 0xff,
			(v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
}
