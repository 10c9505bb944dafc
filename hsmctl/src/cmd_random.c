// SPDX-License-Identifier: GPL-2.0-or-later
/* hsmctl random N [--raw|--hex]: bytes from the board's TRNG. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hsm/hsm.h>

#include "cli.h"
#include "exitcodes.h"
#include "json.h"
#include "report.h"

/* Enough for any key or seed; larger amounts belong to /dev/hwrng. */
#define RANDOM_MAX_BYTES (1u << 20)

enum { OPT_RAW = 1u << 0, OPT_HEX = 1u << 1 };

static const struct cmd_opt random_opts[] = {
	{ "raw", NULL }, { "hex", NULL }, { NULL, NULL },
};

static int parse_count(const char *s, size_t *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > RANDOM_MAX_BYTES)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Lower-case hex of @n bytes, or NULL when out of memory. */
static char *to_hex(const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *h = malloc(2 * n + 1);
	size_t i;

	if (!h)
		return NULL;
	for (i = 0; i < n; i++) {
		h[2 * i] = digits[p[i] >> 4];
		h[2 * i + 1] = digits[p[i] & 15];
	}
	h[2 * n] = '\0';
	return h;
}

int cmd_random(struct cli *c, int argc, char **argv)
{
	struct hsm_session *s;
	unsigned char *buf;
	char dev[4096], what[4200];
	uint32_t status = 0;
	unsigned flags;
	char *pos[2];
	size_t count;
	int ret, n;

	ret = cli_parse(c, "random", argc, argv, random_opts, &flags, pos, 2, &n);
	if (ret >= 0)
		return ret;
	if (n == 2 && c->device && strcmp(pos[1], c->device) != 0)
		return report_usage("random: board named twice ('%s' and -d '%s')",
				    pos[1], c->device);
	if (n == 2)
		c->device = pos[1];
	if (n < 1)
		return report_usage("random: how many bytes? (hsmctl random N)");
	if (parse_count(pos[0], &count))
		return report_usage("random: N must be a number from 1 to %u, not '%s'",
				    RANDOM_MAX_BYTES, pos[0]);
	if ((flags & OPT_RAW) && (flags & OPT_HEX))
		return report_usage("random: --raw and --hex exclude each other");
	if ((flags & OPT_RAW) && c->json)
		return report_usage("random: --raw and --json exclude each other");

	ret = cli_device_path(c, "random", dev, sizeof(dev));
	if (ret >= 0)
		return ret;

	ret = hsm_open(dev, &s);
	if (ret) {
		snprintf(what, sizeof(what), "cannot open %s", dev);
		return report_failure(what, ret, 0, NULL,
				      cli_open_hint(ret));
	}
	buf = malloc(count);
	if (!buf) {
		hsm_close(s);
		return report_failure("random", -ENOMEM, 0, NULL, NULL);
	}
	ret = hsm_random(s, buf, count, &status);
	hsm_close(s);
	if (ret) {
		free(buf);
		snprintf(what, sizeof(what), "reading random bytes from %s", dev);
		return report_failure(what, ret, status, NULL,
				      ret == -ENOTTY ? "not a cryptech_hsm device?" : NULL);
	}

	if (flags & OPT_RAW) {
		fwrite(buf, 1, count, stdout);
	} else {
		char *hex = to_hex(buf, count);

		if (!hex) {
			explicit_bzero(buf, count);
			free(buf);
			return report_failure("random", -ENOMEM, 0, NULL, NULL);
		}
		if (c->json) {
			struct json j;

			json_init(&j, stdout);
			json_object_begin(&j);
			json_kv_u64(&j, "bytes", count);
			json_kv_string(&j, "hex", hex);
			json_object_end(&j);
			json_end(&j);
		} else {
			printf("%s\n", hex);
		}
		explicit_bzero(hex, 2 * count);
		free(hex);
	}
	explicit_bzero(buf, count);
	free(buf);
	return HSMCTL_EXIT_OK;
}
