// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* SLIP framing as the CrypTech firmware does it (protocol §2.2). */
#include "slip.h"

void slip_decoder_init(struct slip_decoder *d)
{
	d->len = 0;
	d->esc = false;
	d->complete = false;
}

bool slip_decode_byte(struct slip_decoder *d, uint8_t c)
{
	/* A packet returned by the previous call is consumed now. */
	if (d->complete) {
		d->complete = false;
		d->len = 0;
	}
	if (c == SLIP_END) {
		/* END ends the frame even after ESC; the escape stays pending (§9 #10). */
		d->complete = d->len > 0;
		return d->complete;
	}
	if (d->esc) {
		d->esc = false;
		if (c == SLIP_ESC_END)
			c = SLIP_END;
		else if (c == SLIP_ESC_ESC)
			c = SLIP_ESC;
		/* any other byte is taken literally */
	} else if (c == SLIP_ESC) {
		d->esc = true;
		return false;
	}
	if (d->len < sizeof(d->buf))
		d->buf[d->len++] = c;
	/* bytes past 16384 are dropped; the frame is still dispatched, truncated */
	return false;
}

size_t slip_encode(const uint8_t *payload, size_t len, uint8_t *out)
{
	size_t n = 0;

	out[n++] = SLIP_END;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = payload[i];

		if (c == SLIP_END) {
			out[n++] = SLIP_ESC;
			out[n++] = SLIP_ESC_END;
		} else if (c == SLIP_ESC) {
			out[n++] = SLIP_ESC;
			out[n++] = SLIP_ESC_ESC;
		} else {
			out[n++] = c;
		}
	}
	out[n++] = SLIP_END;
	return n;
}
