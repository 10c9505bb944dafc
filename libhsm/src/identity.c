// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The stable board identity as PKCS#11 token label and serial number, and
 * finding an attached board by any of its names.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <hsm/hsm.h>
#include <openssl/sha.h>

#include "internal.h"

#define LABEL_PREFIX	"cryptech-"
#define LABEL_MAX	32
#define SERIAL_MAX	16

static int id_char_ok(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* The first @n bytes of @id, sanitised, to @out (no NUL written). */
static void sanitise(const char *id, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = id_char_ok((unsigned char)id[i]) ? id[i] : '-';
}

/* 8 lower-case hex digits of SHA-256(@id) to @out (no NUL written). */
static void short_hash(const char *id, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[SHA256_DIGEST_LENGTH];
	int i;

	SHA256((const unsigned char *)id, strlen(id), d);
	for (i = 0; i < 4; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
}

/*
 * @prefix and the sanitised @id when they fit @max bytes, else @prefix,
 * the first @keep sanitised bytes, '-' and the short hash.
 */
static int derive(const char *id, const char *prefix, size_t max,
		  size_t keep, char *buf, size_t len)
{
	size_t plen = strlen(prefix), n;

	if (!id || !*id || !buf)
		return -EINVAL;
	if (len < max + 1)
		return -ENOSPC;
	n = strlen(id);
	memcpy(buf, prefix, plen);
	if (plen + n <= max) {
		sanitise(id, n, buf + plen);
		buf[plen + n] = '\0';
		return 0;
	}
	sanitise(id, keep, buf + plen);
	buf[plen + keep] = '-';
	short_hash(id, buf + plen + keep + 1);
	buf[plen + keep + 9] = '\0';
	return 0;
}

int hsm_token_label(const char *board_id, char *buf, size_t len)
{
	return derive(board_id, LABEL_PREFIX, LABEL_MAX, 14, buf, len);
}

int hsm_token_serial(const char *board_id, char *buf, size_t len)
{
	return derive(board_id, "", SERIAL_MAX, 7, buf, len);
}

int hsm_board_match(const struct hsm_board_desc *boards, size_t n,
		    const char *name, uint32_t *index)
{
	char label[HSM_TOKEN_LABEL_LEN];
	uint32_t idx = 0;
	size_t i, found = 0;
	const char *p;

	if (!name || !*name || !index || strlen(name) > 63)
		return -EINVAL;
	/* Printable, no blank; a '/' only in /dev/hsmN (ids: use the label). */
	for (p = name; *p; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
			return -EINVAL;
	if (strchr(name, '/') && strncmp(name, "/dev/hsm", 8) != 0)
		return -EINVAL;
	/* Device names first: "hsm3" always means /dev/hsm3. */
	if (hsm_parse_device(name, &idx) == 0) {
		for (i = 0; i < n; i++)
			if (boards[i].index == idx) {
				*index = idx;
				return 0;
			}
		return -ENODEV;
	}
	for (i = 0; i < n; i++) {
		const char *id = boards[i].board_id;

		if (!*id)
			continue;
		if (strcmp(id, name) == 0 ||
		    (hsm_token_label(id, label, sizeof(label)) == 0 &&
		     strcmp(label, name) == 0)) {
			if (found++ && boards[i].index != idx)
				return -ENOTUNIQ;
			idx = boards[i].index;
		}
	}
	if (!found)
		return -ENODEV;
	*index = idx;
	return 0;
}

int hsm_find_board(const char *name, uint32_t *index)
{
	struct hsm_board_desc *boards;
	size_t n;
	uint32_t idx;
	int ret;

	/* Refuse bad syntax before asking the kernel anything. */
	ret = hsm_board_match(NULL, 0, name, &idx);
	if (ret == -EINVAL)
		return ret;
	ret = hsm_list_boards(&boards, &n, NULL, 0);
	if (ret)
		return ret;
	ret = hsm_board_match(boards, n, name, index);
	hsm_free_boards(boards);
	return ret;
}
