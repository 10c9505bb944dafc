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

/**
 * slip_decode_flagged() - feed received bytes that carry line-error flags
 * @d:		decoder state
 * @in:		received bytes
 * @flags:	one flag per byte, 0 for a good byte (the tty layer's
 *		TTY_NORMAL), else a line error; NULL if all are good
 * @n:		number of bytes in @in
 * @consumed:	out: bytes of @in used, as for slip_decode()
 *
 * As slip_decode(), but a byte with a line error (framing, parity, overrun)
 * is dropped and spoils the frame it arrived in: the one being received at
 * that byte, not the one in progress when the chunk began. A spoiled frame
 * ends as SLIP_OVERSIZE at its END; a bad byte between frames spoils only
 * the empty frame before the next END.
 *
 * Return: as slip_decode().
 */
enum slip_result slip_decode_flagged(struct slip_decoder *d, const u8 *in,
				     const char *flags, size_t n,
				     size_t *consumed)
{
	enum slip_result res;
	size_t i = 0, run, used;

	while (i < n) {
		if (flags && flags[i]) {
			d->overflow = true;
			i++;
			continue;
		}
		run = 1;
		while (i + run < n && !(flags && flags[i + run]))
			run++;
		res = slip_decode(d, in + i, run, &used);
		i += used;
		if (res != SLIP_MORE) {
			*consumed = i;
			return res;
		}
	}
	*consumed = n;
	return SLIP_MORE;
}
