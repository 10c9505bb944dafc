// SPDX-License-Identifier: GPL-2.0
/*
 * SLIP codec. Pure functions over caller-owned buffers: no allocation, no
 * locking, so it can be unit-tested on the host against the protocol vectors.
 */
#include "slip.h"
#include "protocol.h"

/**
 * slip_encode() - frame @src as END, escaped bytes, END
 * @dst:	output buffer
 * @dst_size:	capacity of @dst; SLIP_ENCODED_MAX(@len) always suffices
 * @src:	payload
 * @len:	payload length
 *
 * Return: bytes written, or 0 if @dst is too small (nothing useful written).
 */
size_t slip_encode(u8 *dst, size_t dst_size, const u8 *src, size_t len)
{
	size_t o = 0, i;

	if (dst_size < 2)
		return 0;
	dst[o++] = SLIP_END;
	for (i = 0; i < len; i++) {
		u8 c = src[i];

		if (c == SLIP_END || c == SLIP_ESC) {
			if (o + 2 > dst_size - 1)
				return 0;
			dst[o++] = SLIP_ESC;
			dst[o++] = c == SLIP_END ? SLIP_ESC_END : SLIP_ESC_ESC;
		} else {
			if (o + 1 > dst_size - 1)
				return 0;
			dst[o++] = c;
		}
	}
	dst[o++] = SLIP_END;
	return o;
}

void slip_decoder_init(struct slip_decoder *d, u8 *buf, size_t size)
{
	d->buf = buf;
	d->size = size;
	slip_decoder_reset_frame(d);
}

/* Forget the frame in progress or just delivered; start a new one. */
void slip_decoder_reset_frame(struct slip_decoder *d)
{
	d->len = 0;
	d->escaped = false;
	d->overflow = false;
}

static void slip_store(struct slip_decoder *d, u8 c)
{
	if (d->len < d->size)
		d->buf[d->len++] = c;
	else
		d->overflow = true;
}

/**
 * slip_decode() - feed received bytes to the decoder
 * @d:		decoder state
 * @in:		received bytes
 * @n:		number of bytes in @in
 * @consumed:	out: bytes of @in used, up to and including a frame's END
 *
 * Stops at the end of each non-empty frame so the caller can handle it and
 * call slip_decoder_reset_frame() before feeding the rest. Empty frames
 * (END END) are skipped, as the board does. ESC before a byte other than
 * ESC_END/ESC_ESC yields that byte, and ESC before END ends the frame: both
 * as the firmware's own decoder, but without its escape state leaking into
 * the next frame.
 *
 * Return: SLIP_FRAME when d->buf holds a complete frame of d->len bytes,
 * SLIP_OVERSIZE when a frame longer than the buffer ended (it is dropped),
 * SLIP_MORE when all of @in was consumed inside a frame.
 */
enum slip_result slip_decode(struct slip_decoder *d, const u8 *in, size_t n,
			     size_t *consumed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		u8 c = in[i];

		if (c == SLIP_END) {
			if (d->overflow) {
				*consumed = i + 1;
				return SLIP_OVERSIZE;
			}
			if (d->len == 0) {
				d->escaped = false;
				continue;
			}
			*consumed = i + 1;
			return SLIP_FRAME;
		}
		if (d->escaped) {
			d->escaped = false;
			if (c == SLIP_ESC_END)
				c = SLIP_END;
			else if (c == SLIP_ESC_ESC)
				c = SLIP_ESC;
			slip_store(d, c);
		} else if (c == SLIP_ESC) {
			d->escaped = true;
		} else {
			slip_store(d, c);
		}
	}
	*consumed = n;
	return SLIP_MORE;
}
