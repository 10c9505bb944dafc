// SPDX-License-Identifier: LGPL-2.1-or-later
/* Key names as text: UUIDs, key types, curves and flags. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <hsm/hsm.h>

static const char hexdigits[] = "0123456789abcdef";

/* Byte offsets after which the text form has a dash. */
static int dash_after(int i)
{
	return i == 3 || i == 5 || i == 7 || i == 9;
}

int hsm_uuid_format(const uint8_t uuid[HSM_UUID_LEN], char *buf, size_t len)
{
	char *p = buf;
	int i;

	if (!uuid || !buf)
		return -EINVAL;
	if (len < HSM_UUID_STR_LEN) {
		if (len)
			buf[0] = '\0';
		return -ENOSPC;
	}
	for (i = 0; i < HSM_UUID_LEN; i++) {
		*p++ = hexdigits[uuid[i] >> 4];
		*p++ = hexdigits[uuid[i] & 15];
		if (dash_after(i))
			*p++ = '-';
	}
	*p = '\0';
	return 0;
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

int hsm_uuid_parse(const char *text, uint8_t uuid[HSM_UUID_LEN])
{
	uint8_t out[HSM_UUID_LEN];
	const char *p = text;
	int i, hi, lo;

	if (!text || !uuid)
		return -EINVAL;
	for (i = 0; i < HSM_UUID_LEN; i++) {
		hi = hexval(p[0]);
		lo = hi < 0 ? -1 : hexval(p[1]);
		if (lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
		p += 2;
		if (dash_after(i) && *p++ != '-')
			return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	memcpy(uuid, out, HSM_UUID_LEN);
	return 0;
}

const char *hsm_key_type_name(uint32_t type)
{
	switch (type) {
	case HSM_KEY_RSA_PRIVATE:
		return "rsa-private";
	case HSM_KEY_RSA_PUBLIC:
		return "rsa-public";
	case HSM_KEY_EC_PRIVATE:
		return "ec-private";
	case HSM_KEY_EC_PUBLIC:
		return "ec-public";
	default:
		return "unknown";
	}
}

const char *hsm_curve_name(uint32_t curve)
{
	switch (curve) {
	case HSM_CURVE_NONE:
		return "none";
	case HSM_CURVE_P256:
		return "P-256";
	case HSM_CURVE_P384:
		return "P-384";
	case HSM_CURVE_P521:
		return "P-521";
	default:
		return "unknown";
	}
}

int hsm_key_flags_format(uint32_t flags, char *buf, size_t len)
{
	static const char *const names[] = {
		"sign", "keyenc", "dataenc", "token", "public", "exportable",
	};
	size_t off = 0;
	unsigned int bit;
	int n;

	if (buf && len)
		buf[0] = '\0';
	for (bit = 0; bit < 32; bit++) {
		char unknown[16];
		const char *name;

		if (!(flags & (1u << bit)))
			continue;
		if (bit < sizeof(names) / sizeof(names[0])) {
			name = names[bit];
		} else {
			snprintf(unknown, sizeof(unknown), "0x%x", 1u << bit);
			name = unknown;
		}
		n = snprintf(buf && off < len ? buf + off : NULL,
			     buf && off < len ? len - off : 0, "%s%s",
			     off ? "," : "", name);
		if (n < 0)
			return n;
		off += (size_t)n;
	}
	return (int)off;
}
