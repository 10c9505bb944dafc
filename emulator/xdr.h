/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The XDR subset of protocol §3: big-endian words and opaque<>. */
#ifndef EMU_XDR_H
#define EMU_XDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xdr_in {
	const uint8_t *p, *end;
};

struct xdr_out {
	uint8_t *p, *end;
	bool overflow;		/* something did not fit: the reply becomes status 27 */
};

/* Readers return 0 or HAL_ERROR_XDR_BUFFER_OVERFLOW (27). */
int xdr_get_u32(struct xdr_in *in, uint32_t *v);
/* opaque<>: the data must be present; pad may be missing at the end (§2.6). */
int xdr_get_opaque(struct xdr_in *in, const uint8_t **data, uint32_t *len);
static inline size_t xdr_in_left(const struct xdr_in *in)
{
	return (size_t)(in->end - in->p);
}

void xdr_put_u32(struct xdr_out *out, uint32_t v);
void xdr_put_opaque(struct xdr_out *out, const void *data, size_t len);
/* Reserve room for an opaque of len bytes and return where to write its data. */
uint8_t *xdr_put_opaque_reserve(struct xdr_out *out, size_t len);
static inline size_t xdr_out_left(const struct xdr_out *out)
{
	return (size_t)(out->end - out->p);
}

static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

#endif
