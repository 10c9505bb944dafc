// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The XDR subset of protocol §3: big-endian words and opaque<>. */
#include <string.h>

#include "../driver/protocol.h"
#include "xdr.h"

int xdr_get_u32(struct xdr_in *in, uint32_t *v)
{
	if (xdr_in_left(in) < 4)
		return HAL_ERROR_XDR_BUFFER_OVERFLOW;
	*v = get_be32(in->p);
	in->p += 4;
	return 0;
}

int xdr_get_opaque(struct xdr_in *in, const uint8_t **data, uint32_t *len)
{
	uint32_t n;
	size_t pad;

	if (xdr_in_left(in) < 4)
		return HAL_ERROR_XDR_BUFFER_OVERFLOW;
	n = get_be32(in->p);
	if (n > xdr_in_left(in) - 4)
		return HAL_ERROR_XDR_BUFFER_OVERFLOW;
	in->p += 4;
	*data = in->p;
	*len = n;
	in->p += n;
	/* pad contents are not checked, and a final opaque may lack its pad */
	pad = (4 - n % 4) % 4;
	if (pad > xdr_in_left(in))
		pad = xdr_in_left(in);
	in->p += pad;
	return 0;
}

void xdr_put_u32(struct xdr_out *out, uint32_t v)
{
	if (xdr_out_left(out) < 4) {
		out->overflow = true;
		return;
	}
	put_be32(out->p, v);
	out->p += 4;
}

uint8_t *xdr_put_opaque_reserve(struct xdr_out *out, size_t len)
{
	size_t padded = (len + 3) & ~(size_t)3;
	uint8_t *data;

	if (len > UINT32_MAX || xdr_out_left(out) < 4 || xdr_out_left(out) - 4 < padded) {
		out->overflow = true;
		return NULL;
	}
	put_be32(out->p, (uint32_t)len);
	data = out->p + 4;
	memset(data + len, 0, padded - len);
	out->p += 4 + padded;
	return data;
}

void xdr_put_opaque(struct xdr_out *out, const void *data, size_t len)
{
	uint8_t *dst = xdr_put_opaque_reserve(out, len);

	if (dst && len)
		memcpy(dst, data, len);
}
