/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SLIP framing (RFC 1055) as the CrypTech board uses it (protocol §2.2).
 */
#ifndef CRYPTECH_SLIP_H
#define CRYPTECH_SLIP_H

#include "codec_types.h"

/* Worst case: every byte escaped, plus a leading and a trailing END. */
#define SLIP_ENCODED_MAX(len)	(2 * (len) + 2)

size_t slip_encode(u8 *dst, size_t dst_size, const u8 *src, size_t len);

enum slip_result {
	SLIP_MORE,	/* all input consumed, no frame completed */
	SLIP_FRAME,	/* a frame is in the buffer */
	SLIP_OVERSIZE,	/* a frame longer than the buffer was dropped */
};

/**
 * struct slip_decoder - receive state of one serial line
 * @buf:	decoded bytes of the frame being received
 * @size:	capacity of @buf; longer frames are dropped whole
 * @len:	bytes in @buf
 * @escaped:	the previous byte was ESC
 * @overflow:	the current frame has outgrown @buf and is being discarded
 */
struct slip_decoder {
	u8 *buf;
	size_t size;
	size_t len;
	bool escaped;
	bool overflow;
};

void slip_decoder_init(struct slip_decoder *d, u8 *buf, size_t size);
enum slip_result slip_decode(struct slip_decoder *d, const u8 *in, size_t n,
			     size_t *consumed);
enum slip_result slip_decode_flagged(struct slip_decoder *d, const u8 *in,
				     const char *flags, size_t n,
				     size_t *consumed);
void slip_decoder_reset_frame(struct slip_decoder *d);

#endif /* CRYPTECH_SLIP_H */
