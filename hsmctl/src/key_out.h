/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Describing keys: gathering what the board knows, tables, details, JSON. */
#ifndef HSMCTL_KEY_OUT_H
#define HSMCTL_KEY_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <hsm/hsm.h>

#include "json.h"

struct key_desc {
	struct hsm_key_info info;
	unsigned int bits;		/* RSA modulus or EC curve size; 0 unknown */
	struct hsm_attr *attrs;		/* [0] CKA_LABEL, [1] CKA_ID (value
					 * NULL when absent) */
	char *uri;			/* RFC 7512 URI */
	unsigned int dnssec_alg;	/* its DNSSEC algorithm (RSA: 8), 0 none */
	uint16_t tag_zsk, tag_ksk;	/* its key tag with flags 256 / 257 */
};

/*
 * Describe the key behind @handle: info, size and the PKCS#11 label and
 * id. Returns 0 or -errno, with the board status in *@st.
 */
int key_describe(struct hsm_session *s, uint32_t handle, const char *token,
		 struct key_desc *d, uint32_t *st);
void key_desc_free(struct key_desc *d);

/* "P-256" for EC keys, "2048" (bits) for RSA, "-" if unknown. */
void key_size_text(const struct key_desc *d, char *buf, size_t len);

void key_json(struct json *j, const struct key_desc *d);
void key_details(FILE *f, const struct key_desc *d);
void key_table(FILE *f, const struct key_desc *d, size_t n);

#endif /* HSMCTL_KEY_OUT_H */
