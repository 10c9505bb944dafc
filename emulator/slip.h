/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* SLIP framing as the CrypTech firmware does it (protocol §2.2). */
#ifndef EMU_SLIP_H
#define EMU_SLIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../driver/protocol.h"

struct slip_decoder {
	size_t len;		/* decoded bytes kept (never above the max) */
	bool esc;		/* global escape flag; leaks across END like the firmware */
	bool complete;		/* buf holds a finished packet */
	uint8_t buf[HAL_RPC_MAX_PKT_SIZE];
};

void slip_decoder_init(struct slip_decoder *d);

/*
 * Feed one byte. Returns true when a non-empty packet is complete; it is then
 * in d->buf[0..d->len) until the next call, which starts a new packet.
 */
bool slip_decode_byte(struct slip_decoder *d, uint8_t c);

/* Worst case encoded size of a payload of n bytes (END, escapes, END). */
#define SLIP_ENCODED_MAX(n) (2 * (n) + 2)

/* Encode payload into out (which must hold SLIP_ENCODED_MAX(len)); returns length. */
size_t slip_encode(const uint8_t *payload, size_t len, uint8_t *out);

#endif
