/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The subset of XDR (RFC 4506) the CrypTech RPC protocol uses (protocol §3):
 * big-endian u32 words and opaque<> byte strings padded to 4 bytes.
 *
 * Both cursors are sticky on error: after the first overrun every later call
 * fails too, so a caller can encode or decode a whole message and check
 * ->err once at the end.
 */
#ifndef CRYPTECH_XDR_H
#define CRYPTECH_XDR_H

#include "codec_types.h"

struct xdr_writer {
	u8 *buf;
	size_t size;
	size_t len;
	bool err;
};

struct xdr_reader {
	const u8 *buf;
	size_t len;
	size_t pos;
	bool err;
};

static inline size_t xdr_pad4(size_t n)
{
	return (4 - (n & 3)) & 3;
}

void xdr_writer_init(struct xdr_writer *w, u8 *buf, size_t size);
void xdr_put_u32(struct xdr_writer *w, u32 v);
void xdr_put_opaque(struct xdr_writer *w, const void *data, size_t len);

void xdr_reader_init(struct xdr_reader *r, const u8 *buf, size_t len);
bool xdr_get_u32(struct xdr_reader *r, u32 *v);
bool xdr_get_opaque(struct xdr_reader *r, const u8 **data, u32 *len,
		    u32 max_len);

#endif /* CRYPTECH_XDR_H */
