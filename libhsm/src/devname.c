// SPDX-License-Identifier: LGPL-2.1-or-later
/* Board names: "/dev/hsmN", "hsmN" and "N" all mean board N. */
#include <errno.h>
#include <string.h>

#include <hsm/hsm.h>

#include "internal.h"

/* Strict decimal: no sign, no spaces, no leading zeros, below 2^31. */
static int parse_index(const char *s, uint32_t *out)
{
	uint32_t v = 0;

	if (*s == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (uint32_t)(*s - '0');
		if (v > 0x7fffffffu)
			return -EINVAL;
	}
	*out = v;
	return 0;
}

int hsm_parse_device(const char *dev, uint32_t *index)
{
	if (!dev || !index)
		return -EINVAL;
	if (strncmp(dev, "/dev/hsm", 8) == 0)
		dev += 8;
	else if (strncmp(dev, "hsm", 3) == 0)
		dev += 3;
	return parse_index(dev, index);
}
