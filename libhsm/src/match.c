// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Finding keys (MATCH). The kernel lists names a page at a time, carrying
 * the walk's position in state/prev_uuid; this file hides the pages behind
 * a callback and an array.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/cryptech_hsm.h>

#include <hsm/hsm.h>

#include "internal.h"

/* Names per request: one RPC per 128 keys, 2 KiB of stack. */
#define PAGE		128
/*
 * More names than both keystores of a board can hold (2047 + 1280) means
 * the walk is not advancing: stop instead of looping for ever.
 */
#define NAMES_MAX	65536

int hsm_match(struct hsm_session *s, const struct hsm_match_filter *filter,
	      int (*cb)(const uint8_t uuid[HSM_UUID_LEN], void *arg),
	      void *arg, uint32_t *board_status)
{
	static const struct hsm_match_filter all;
	struct cryptech_hsm_match req;
	uint8_t names[PAGE][HSM_UUID_LEN];
	unsigned char *packed;
	size_t packed_len, seen = 0;
	uint32_t i;
	int ret;

	if (board_status)
		*board_status = 0;
	if (!cb)
		return -EINVAL;
	if (!filter)
		filter = &all;
	if (filter->mask & ~HSM_KEY_F_ALL || filter->flags & ~HSM_KEY_F_ALL)
		return -EINVAL;
	ret = hsm_attrs_pack(filter->attrs, filter->n_attrs, 0, &packed,
			     &packed_len);
	if (ret)
		return ret;

	memset(&req, 0, sizeof(req));
	for (;;) {
		/* state and prev_uuid are the kernel's; the rest is ours. */
		req.size = sizeof(req);
		req.board_status = 0;
		req.type = filter->type;
		req.curve = filter->curve;
		req.mask = filter->mask;
		req.flags = filter->flags;
		req.n_attrs = (__u32)filter->n_attrs;
		req.attrs_len = (__u32)packed_len;
		req.attrs = (__u64)(uintptr_t)packed;
		req.count = PAGE;
		req.uuids = (__u64)(uintptr_t)names;
		ret = hsm_session_ioctl(s, CRYPTECH_HSM_IOC_MATCH, &req);
		if (ret) {
			if (board_status)
				*board_status = req.board_status;
			break;
		}
		if (req.count > PAGE ||
		    (req.state > CRYPTECH_HSM_MATCH_DONE) ||
		    (seen += req.count) > NAMES_MAX) {
			ret = -EPROTO;
			break;
		}
		for (i = 0; i < req.count && !ret; i++)
			ret = cb(names[i], arg);
		if (ret || req.count < PAGE ||
		    req.state == CRYPTECH_HSM_MATCH_DONE)
			break;
	}
	free(packed);
	return ret;
}

struct collect {
	uint8_t (*uuids)[HSM_UUID_LEN];
	size_t n, cap;
};

static int collect_one(const uint8_t uuid[HSM_UUID_LEN], void *arg)
{
	struct collect *c = arg;

	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		void *p = realloc(c->uuids, cap * HSM_UUID_LEN);

		if (!p)
			return -ENOMEM;
		c->uuids = p;
		c->cap = cap;
	}
	memcpy(c->uuids[c->n++], uuid, HSM_UUID_LEN);
	return 0;
}

int hsm_match_all(struct hsm_session *s, const struct hsm_match_filter *filter,
		  uint8_t (**uuids)[HSM_UUID_LEN], size_t *count,
		  uint32_t *board_status)
{
	struct collect c = { NULL, 0, 0 };
	int ret;

	if (!uuids || !count) {
		if (board_status)
			*board_status = 0;
		return -EINVAL;
	}
	*uuids = NULL;
	*count = 0;
	ret = hsm_match(s, filter, collect_one, &c, board_status);
	if (ret) {
		free(c.uuids);
		return ret;
	}
	*uuids = c.uuids;
	*count = c.n;
	return 0;
}
