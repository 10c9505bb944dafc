// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Key attributes: SET_ATTRS and GET_ATTRS, and the packed list format the
 * kernel uses for them and for MATCH filters (struct cryptech_hsm_key_attr
 * headers, each followed by its value padded to 4 bytes). Callers only see
 * arrays of struct hsm_attr.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/cryptech_hsm.h>

#include <hsm/hsm.h>

#include "internal.h"

_Static_assert(HSM_ATTR_DELETE == CRYPTECH_HSM_ATTR_DELETE &&
	       HSM_ATTRS_MAX == CRYPTECH_HSM_ATTRS_MAX &&
	       HSM_ATTRS_MAX_BYTES == CRYPTECH_HSM_ATTRS_MAX_BYTES,
	       "attribute limits match the ABI");

#define HDR sizeof(struct cryptech_hsm_key_attr)

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static void set_status(uint32_t *board_status, uint32_t v)
{
	if (board_status)
		*board_status = v;
}

int hsm_attrs_pack(const struct hsm_attr *attrs, size_t n, int allow_delete,
		   unsigned char **out, size_t *len)
{
	size_t i, total = 0, off = 0;
	unsigned char *buf;

	*out = NULL;
	*len = 0;
	if (n > HSM_ATTRS_MAX || (n && !attrs))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (attrs[i].len == HSM_ATTR_DELETE) {
			if (!allow_delete)
				return -EINVAL;
			total += HDR;
			continue;
		}
		if (attrs[i].len > HSM_ATTRS_MAX_BYTES ||
		    (attrs[i].len && !attrs[i].value))
			return -EINVAL;
		total += HDR + pad4(attrs[i].len);
		if (total > HSM_ATTRS_MAX_BYTES)
			return -EINVAL;
	}
	if (n == 0)
		return 0;
	buf = calloc(1, total);	/* zeroed: the padding must be 0 */
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct cryptech_hsm_key_attr h = {
			.type = attrs[i].type, .len = attrs[i].len,
		};

		memcpy(buf + off, &h, HDR);
		off += HDR;
		if (attrs[i].len == HSM_ATTR_DELETE)
			continue;
		if (attrs[i].len)
			memcpy(buf + off, attrs[i].value, attrs[i].len);
		off += pad4(attrs[i].len);
	}
	*out = buf;
	*len = total;
	return 0;
}

int hsm_attrs_unpack(const unsigned char *buf, size_t len,
		     const uint32_t *types, size_t n, int lengths_only,
		     struct hsm_attr *out)
{
	size_t i, off = 0;

	for (i = 0; i < n; i++) {
		struct cryptech_hsm_key_attr h;

		if (len - off < HDR)
			return -EPROTO;
		memcpy(&h, buf + off, HDR);
		off += HDR;
		if (h.type != types[i])
			return -EPROTO;
		out[i].type = h.type;
		out[i].len = h.len;
		out[i].value = NULL;
		if (lengths_only) {
			if (h.len > CRYPTECH_HSM_BLOB_MAX)
				return -EPROTO;
			continue;
		}
		if (h.len > len - off)
			return -EPROTO;
		out[i].value = buf + off;
		off += h.len;
		/* The padding may be missing only at the very end. */
		off += pad4(h.len) - h.len <= len - off ?
		       pad4(h.len) - h.len : len - off;
	}
	return off == len ? 0 : -EPROTO;
}

int hsm_set_attributes(struct hsm_session *s, uint32_t handle,
		       const struct hsm_attr *attrs, size_t n,
		       uint32_t *board_status)
{
	struct cryptech_hsm_set_attrs req;
	unsigned char *packed;
	size_t len;
	int ret;

	set_status(board_status, 0);
	if (n == 0)
		return -EINVAL;
	ret = hsm_attrs_pack(attrs, n, 1, &packed, &len);
	if (ret)
		return ret;
	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.handle = handle;
	req.n_attrs = (__u32)n;
	req.attrs_len = (__u32)len;
	req.attrs = (__u64)(uintptr_t)packed;
	ret = hsm_session_ioctl(s, CRYPTECH_HSM_IOC_SET_ATTRS, &req);
	if (ret)
		set_status(board_status, req.board_status);
	free(packed);
	return ret;
}

/*
 * One GET_ATTRS into @buf of @room bytes. On success *@used is the packed
 * length (checked against @room); on -ENOSPC, the length needed.
 */
static int get_attrs(struct hsm_session *s, uint32_t handle,
		     const uint32_t *types, size_t n, int lengths_only,
		     unsigned char *buf, size_t room, size_t *used,
		     uint32_t *board_status)
{
	struct cryptech_hsm_get_attrs req;
	int ret;

	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.handle = handle;
	req.n_types = (__u32)n;
	req.types = (__u64)(uintptr_t)types;
	req.buf_len = (__u32)room;
	req.flags = lengths_only ? CRYPTECH_HSM_GET_ATTRS_LENGTHS : 0;
	req.buf = (__u64)(uintptr_t)buf;
	ret = hsm_session_ioctl(s, CRYPTECH_HSM_IOC_GET_ATTRS, &req);
	if (ret == -ENOSPC) {
		if (req.buf_len <= room)
			return -EPROTO;	/* would loop the caller */
		*used = req.buf_len;
		return ret;
	}
	if (ret) {
		set_status(board_status, req.board_status);
		return ret;
	}
	if (req.buf_len > room)
		return -EPROTO;
	*used = req.buf_len;
	return 0;
}

/* Largest packed reply worth allocating for: 64 values of a packet each. */
#define GET_ROOM_MAX	(2 * 16384u)

int hsm_get_attribute(struct hsm_session *s, uint32_t handle, uint32_t type,
		      void *buf, size_t *len, uint32_t *board_status)
{
	struct hsm_attr a;
	unsigned char *tmp;
	size_t room, used;
	int ret;

	set_status(board_status, 0);
	if (!len || (!buf && *len))
		return -EINVAL;
	room = HDR + pad4(*len < GET_ROOM_MAX ? *len : GET_ROOM_MAX);
	tmp = malloc(room);
	if (!tmp)
		return -ENOMEM;
	ret = get_attrs(s, handle, &type, 1, 0, tmp, room, &used, board_status);
	if (ret == 0)
		ret = hsm_attrs_unpack(tmp, used, &type, 1, 0, &a);
	if (ret == 0 && a.len > *len) {
		/* It fitted our padded room but not the caller's buffer. */
		*len = a.len;
		ret = -ENOSPC;
	} else if (ret == 0) {
		memcpy(buf, a.value, a.len);
		*len = a.len;
	} else if (ret == -ENOSPC && used > room) {
		/* The packed size includes padding: ask for the exact one. */
		unsigned char hdr[HDR];
		int r2 = get_attrs(s, handle, &type, 1, 1, hdr, sizeof(hdr),
				   &used, NULL);

		if (r2 == 0)
			r2 = hsm_attrs_unpack(hdr, used, &type, 1, 1, &a);
		if (r2 == 0 && a.len > *len)
			*len = a.len;
		else
			ret = r2 ? r2 : -EAGAIN;  /* it changed meanwhile */
	}
	free(tmp);
	return ret;
}

/* Copy @n parsed entries into one block: the array, then the values. */
static int copy_out(const struct hsm_attr *in, size_t n, struct hsm_attr **out)
{
	size_t i, total = n * sizeof(**out);
	unsigned char *p;
	struct hsm_attr *a;

	for (i = 0; i < n; i++)
		total += in[i].len;
	a = malloc(total);
	if (!a)
		return -ENOMEM;
	p = (unsigned char *)(a + n);
	for (i = 0; i < n; i++) {
		a[i] = in[i];
		if (in[i].value && in[i].len) {
			memcpy(p, in[i].value, in[i].len);
			a[i].value = p;
			p += in[i].len;
		} else {
			a[i].value = in[i].len ? NULL : (in[i].value ? p : NULL);
		}
	}
	*out = a;
	return 0;
}

/*
 * All of @types with values: one request when @room (the packed size) is
 * right, a second one when it was a guess that fell short.
 */
static int get_values(struct hsm_session *s, uint32_t handle,
		      const uint32_t *types, size_t n, size_t room,
		      struct hsm_attr *parsed, unsigned char **bufp,
		      uint32_t *board_status)
{
	size_t used = 0;
	int tries, ret = -EPROTO;

	for (tries = 0; tries < 3; tries++) {
		unsigned char *buf = malloc(room ? room : 1);

		if (!buf)
			return -ENOMEM;
		ret = get_attrs(s, handle, types, n, 0, buf, room, &used,
				board_status);
		if (ret == 0) {
			ret = hsm_attrs_unpack(buf, used, types, n, 0, parsed);
			if (ret == 0) {
				*bufp = buf;
				return 0;
			}
		}
		free(buf);
		if (ret != -ENOSPC)
			return ret;
		if (used > GET_ROOM_MAX)
			return -EPROTO;
		room = used;
	}
	return ret == -ENOSPC ? -EAGAIN : ret;
}

/*
 * Which of the zero-length @types[0..@n-1] exist (empty) rather than being
 * absent: the board's value read fails as a whole when one is absent, so
 * read them together and split the group in halves when refused. Sets
 * @exists[i].
 */
static int probe_empty(struct hsm_session *s, uint32_t handle,
		       const uint32_t *types, size_t n, int *exists)
{
	struct hsm_attr parsed[HSM_ATTRS_MAX];
	unsigned char *buf = NULL;
	size_t i;
	int ret;

	ret = get_values(s, handle, types, n, n * HDR, parsed, &buf, NULL);
	free(buf);
	if (ret == 0) {
		for (i = 0; i < n; i++)
			exists[i] = 1;
		return 0;
	}
	if (ret != -ENODATA)
		return ret;
	if (n == 1) {
		exists[0] = 0;
		return 0;
	}
	ret = probe_empty(s, handle, types, n / 2, exists);
	if (ret == 0)
		ret = probe_empty(s, handle, types + n / 2, n - n / 2,
				  exists + n / 2);
	return ret;
}

int hsm_get_attributes(struct hsm_session *s, uint32_t handle,
		       const uint32_t *types, size_t n, unsigned int flags,
		       struct hsm_attr **out, uint32_t *board_status)
{
	struct hsm_attr parsed[HSM_ATTRS_MAX], sub[HSM_ATTRS_MAX];
	uint32_t present[HSM_ATTRS_MAX], zero[HSM_ATTRS_MAX];
	unsigned char hdrs[HSM_ATTRS_MAX * HDR], *buf = NULL;
	int exists[HSM_ATTRS_MAX];
	size_t i, np = 0, nz = 0, used, room = 0;
	static const unsigned char empty;
	int ret;

	set_status(board_status, 0);
	if (!out || !types || n == 0 || n > HSM_ATTRS_MAX ||
	    flags & ~(HSM_ATTRS_OPTIONAL | HSM_ATTRS_TELL_EMPTY) ||
	    (flags & HSM_ATTRS_TELL_EMPTY && !(flags & HSM_ATTRS_OPTIONAL)))
		return -EINVAL;
	*out = NULL;
	if (!(flags & HSM_ATTRS_OPTIONAL)) {
		ret = get_values(s, handle, types, n, n * HDR + 1024, parsed,
				 &buf, board_status);
		if (ret == 0)
			ret = copy_out(parsed, n, out);
		free(buf);
		return ret;
	}

	/* Lengths first (absent ones report 0), then the present values. */
	ret = get_attrs(s, handle, types, n, 1, hdrs, n * HDR, &used,
			board_status);
	if (ret == -ENOSPC)
		ret = -EPROTO;	/* n headers always fit */
	if (ret == -ENODATA) {
		/* A key with no attributes at all: the board refuses even
		 * the length read. Every one is absent. */
		set_status(board_status, 0);
		for (i = 0; i < n; i++)
			parsed[i] = (struct hsm_attr){ .type = types[i] };
		return copy_out(parsed, n, out);
	}
	if (ret == 0)
		ret = hsm_attrs_unpack(hdrs, used, types, n, 1, parsed);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		if (parsed[i].len) {
			present[np++] = types[i];
			room += HDR + pad4(parsed[i].len);
		} else {
			zero[nz++] = types[i];
		}
	}
	if (np) {
		ret = get_values(s, handle, present, np, room, sub, &buf,
				 board_status);
		if (ret == -ENODATA)
			ret = -EAGAIN;	/* deleted since the first request */
		if (ret)
			return ret;
		for (i = 0, np = 0; i < n; i++)
			if (parsed[i].len)
				parsed[i] = sub[np++];
	}
	if (nz && flags & HSM_ATTRS_TELL_EMPTY) {
		ret = probe_empty(s, handle, zero, nz, exists);
		if (ret) {
			free(buf);
			return ret;
		}
		for (i = 0, nz = 0; i < n; i++)
			if (!parsed[i].len && exists[nz++])
				parsed[i].value = &empty;
	}
	ret = copy_out(parsed, n, out);
	free(buf);
	return ret;
}
