// SPDX-License-Identifier: GPL-2.0
/*
 * XDR cursors over caller-owned buffers. Every length read from the wire is
 * checked against the bytes actually present before it is used.
 */
#include "xdr.h"

void xdr_writer_init(struct xdr_writer *w, u8 *buf, size_t size)
{
	w->buf = buf;
	w->size = size;
	w->len = 0;
	w->err = false;
}

void xdr_put_u32(struct xdr_writer *w, u32 v)
{
	if (w->err || w->size - w->len < 4) {
		w->err = true;
		return;
	}
	w->buf[w->len++] = v >> 24;
	w->buf[w->len++] = v >> 16;
	w->buf[w->len++] = v >> 8;
	w->buf[w->len++] = v;
}

/* Length word, bytes, then zero padding to a multiple of 4. */
void xdr_put_opaque(struct xdr_writer *w, const void *data, size_t len)
{
	size_t pad = xdr_pad4(len);

	if (len > 0xFFFFFFFFu) {
		w->err = true;
		return;
	}
	xdr_put_u32(w, (u32)len);
	if (w->err || w->size - w->len < len + pad) {
		w->err = true;
		return;
	}
	if (len)
		memcpy(w->buf + w->len, data, len);
	w->len += len;
	memset(w->buf + w->len, 0, pad);
	w->len += pad;
}

void xdr_reader_init(struct xdr_reader *r, const u8 *buf, size_t len)
{
	r->buf = buf;
	r->len = len;
	r->pos = 0;
	r->err = false;
}

bool xdr_get_u32(struct xdr_reader *r, u32 *v)
{
	const u8 *p;

	if (r->err || r->len - r->pos < 4) {
		r->err = true;
		return false;
	}
	p = r->buf + r->pos;
	*v = (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
	r->pos += 4;
	return true;
}

/**
 * xdr_get_opaque() - read an opaque<> without copying it
 * @r:		reader
 * @data:	out: points into the reader's buffer
 * @len:	out: number of bytes
 * @max_len:	largest length the caller accepts
 *
 * Padding may be absent after the last item of a message (the board accepts
 * that too, protocol §2.6) and is not required to be zero.
 *
 * Return: true on success; false (and the reader is in error) if the length
 * exceeds @max_len or the bytes are not all present.
 */
bool xdr_get_opaque(struct xdr_reader *r, const u8 **data, u32 *len,
		    u32 max_len)
{
	u32 n;
	size_t avail, pad;

	if (!xdr_get_u32(r, &n))
		return false;
	avail = r->len - r->pos;
	if (n > max_len || n > avail) {
		r->err = true;
		return false;
	}
	*data = r->buf + r->pos;
	*len = n;
	pad = xdr_pad4(n);
	r->pos += n;
	r->pos += pad <= r->len - r->pos ? pad : r->len - r->pos;
	return true;
}
