// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * LD_PRELOAD shim for the hsmctl tests: answers the cryptech_hsm ioctls on
 * any file (the tests use /dev/null) the way the kernel would, as chosen by
 * $FAKE_HSM: "ok" (random bytes are 'a'..'z' repeated), "csprng" (board
 * status 8, EIO), "timeout", "eacces", "enodev". In mode "ok" it is also a
 * board with PINs and keys (below).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/cryptech_hsm.h>

static unsigned next;

static int fake_random(struct cryptech_hsm_random *r)
{
	const char *mode = getenv("FAKE_HSM");
	unsigned char *p = (unsigned char *)(unsigned long)r->buf;
	unsigned i;

	if (r->size != sizeof(*r) || r->reserved || r->len == 0 ||
	    r->len > CRYPTECH_HSM_RANDOM_MAX || !mode) {
		errno = EINVAL;
		return -1;
	}
	if (strcmp(mode, "csprng") == 0) {
		r->board_status = 8;
		errno = EIO;
		return -1;
	}
	if (strcmp(mode, "timeout") == 0 || strcmp(mode, "eacces") == 0 ||
	    strcmp(mode, "enodev") == 0) {
		errno = mode[0] == 't' ? ETIMEDOUT :
			mode[1] == 'a' ? EACCES : ENODEV;
		return -1;
	}
	for (i = 0; i < r->len; i++)
		p[i] = (unsigned char)('a' + next++ % 26);
	return 0;
}

/* ---- A fake board with keys, for the key and PIN commands --------------- */

/*
 * PINs: user "user-pin", so "so-pin-1", wheel "wheel-pin". Keys (UUIDs
 * 1111..., 2222..., ...): a token EC P-256 "zsk" with id 0102, a token
 * RSA-2048 "ksk", and two keys labelled "dup". Every request that changes
 * something is logged to $FAKE_HSM_LOG, one line each, for the tests to
 * check. State lives only as long as the hsmctl process.
 */
static const char *const pins[4] = { NULL, "user-pin", "so-pin-1", "wheel-pin" };

struct fkey {
	uint8_t uuid[16];
	uint32_t type, curve, flags;
	char label[64];
	unsigned char id[16];
	uint32_t label_len, id_len;
	int live;
};

static struct fkey keys[40] = {
	{ { 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x41, 0x11, 0x81, 0x11, 0x11,
	    0x11, 0x11, 0x11, 0x11, 0x11 }, 3, 1, 0x09, "zsk", { 1, 2 }, 3, 2, 1 },
	{ { 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x42, 0x22, 0x82, 0x22, 0x22,
	    0x22, 0x22, 0x22, 0x22, 0x22 }, 1, 0, 0x29, "ksk", { 0 }, 3, 0, 1 },
	{ { 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x43, 0x33, 0x83, 0x33, 0x33,
	    0x33, 0x33, 0x33, 0x33, 0x33 }, 3, 2, 0x01, "dup", { 0 }, 3, 0, 1 },
	{ { 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x84, 0x44, 0x44,
	    0x44, 0x44, 0x44, 0x44, 0x44 }, 3, 1, 0x09, "dup", { 0 }, 3, 0, 1 },
	/* a backup's KEKEK: encrypts keys, signs nothing */
	{ { 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x45, 0x55, 0x85, 0x55, 0x55,
	    0x55, 0x55, 0x55, 0x55, 0x55 }, 1, 0, 0x0a, "kekek", { 0 }, 5, 0, 1 },
};
static unsigned nkeys = 5;
static uint32_t logged_in;
static int handles[64];		/* handle - 1 -> key index + 1 */

static const unsigned char rsa_der[] = {
	0x30, 0x82, 0x01, 0x22, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
	0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00, 0x03, 0x82, 0x01, 0x0f, 0x00,
	0x30, 0x82, 0x01, 0x0a, 0x02, 0x82, 0x01, 0x01, 0x00, 0xc9, 0x66, 0xce,
	0x17, 0xb8, 0x60, 0x1c, 0xfd, 0x38, 0x51, 0xa9, 0xf8, 0x0d, 0x9e, 0xce,
	0x82, 0xd8, 0x2e, 0x45, 0x12, 0xe7, 0x3d, 0x3f, 0x43, 0x11, 0xfd, 0x97,
	0xfd, 0xd3, 0xc1, 0xbf, 0xe4, 0x1d, 0x0e, 0xe5, 0x9e, 0x48, 0x9a, 0x36,
	0xe6, 0x93, 0xbb, 0x48, 0x0c, 0xb7, 0x3a, 0x61, 0xa0, 0xa5, 0x94, 0x78,
	0xaa, 0x53, 0x2c, 0x07, 0x33, 0xde, 0x2d, 0xd6, 0x54, 0x87, 0x16, 0x5d,
	0xee, 0x42, 0x20, 0x94, 0xae, 0x80, 0x55, 0xfc, 0x8c, 0xae, 0x3c, 0xe1,
	0x67, 0xe1, 0x14, 0x94, 0xa2, 0xb0, 0x1c, 0x91, 0xcb, 0x45, 0xd1, 0x8c,
	0x15, 0x7b, 0x05, 0x26, 0x1f, 0xb0, 0x43, 0xf1, 0x44, 0x62, 0x0d, 0x47,
	0x04, 0xbe, 0x9f, 0xde, 0x12, 0xa2, 0x72, 0x5d, 0xf2, 0x2c, 0x5d, 0x0a,
	0xf0, 0x37, 0x5c, 0x46, 0x78, 0x9c, 0xec, 0x8c, 0xb4, 0x6b, 0x39, 0x56,
	0x49, 0xf9, 0x18, 0x67, 0x68, 0x61, 0x55, 0x5f, 0x51, 0x5a, 0x08, 0x94,
	0x1c, 0x03, 0xd8, 0x96, 0x9d, 0xab, 0xda, 0xd5, 0x3a, 0x30, 0x52, 0x5b,
	0xad, 0x0e, 0xcd, 0x09, 0xa9, 0xf8, 0x16, 0x48, 0xf8, 0xe6, 0xe2, 0x1c,
	0xf7, 0xfa, 0x06, 0xba, 0x8d, 0x29, 0x44, 0xab, 0xc5, 0x38, 0xe4, 0xf6,
	0x59, 0x27, 0x4e, 0xd7, 0xdc, 0x65, 0xfb, 0xf5, 0x8e, 0x62, 0x5c, 0xf2,
	0x25, 0xc3, 0x53, 0xed, 0x18, 0xe1, 0x9d, 0x79, 0xd1, 0x23, 0x5b, 0x7f,
	0xd2, 0x36, 0x5d, 0xc7, 0x37, 0xe6, 0x2f, 0xa2, 0x3f, 0xd9, 0xb1, 0xed,
	0xdc, 0x0d, 0x88, 0x22, 0x77, 0xe8, 0x26, 0xa4, 0x03, 0x21, 0x6f, 0xc1,
	0x84, 0x92, 0x5d, 0x19, 0xf9, 0x15, 0x62, 0x5e, 0x1a, 0x33, 0x4d, 0x6f,
	0xd4, 0x2c, 0x66, 0x79, 0x60, 0x9b, 0x20, 0x17, 0x1e, 0x92, 0x98, 0xba,
	0xfd, 0xc8, 0xb9, 0x75, 0xbb, 0x76, 0x56, 0xf0, 0x9a, 0xe0, 0x09, 0x4c,
	0x07, 0x02, 0x03, 0x01, 0x00, 0x01,
};
static const unsigned char ec_der[] = {
	0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
	0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03,
	0x42, 0x00, 0x04, 0x8a, 0xf7, 0x86, 0x85, 0x11, 0x7f, 0xed, 0x9d, 0x54,
	0x7f, 0xd5, 0x9a, 0x11, 0xfc, 0x6d, 0xb7, 0x3f, 0xf6, 0x5c, 0x9a, 0xaf,
	0xc7, 0x3e, 0xe1, 0x91, 0x5a, 0xb6, 0x8b, 0xba, 0x3a, 0x4f, 0x4a, 0x9e,
	0x97, 0x73, 0xf3, 0xc3, 0x3a, 0xbe, 0xec, 0x0c, 0x6d, 0xd7, 0xb6, 0xce,
	0x4c, 0x86, 0x5b, 0xf4, 0xe5, 0x4f, 0xaf, 0x7c, 0xd7, 0xef, 0xb2, 0x5a,
	0x9f, 0x8d, 0x1d, 0x26, 0xc2, 0x86, 0xab,
};

static const unsigned char ec384_der[] = {
	0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
	0x01, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00, 0x04,
	0xdf, 0xcf, 0xb8, 0xc9, 0x42, 0xc5, 0xdf, 0x8d, 0x04, 0x82, 0x0a, 0x74,
	0x51, 0x8b, 0x54, 0xdd, 0x8d, 0x13, 0x9e, 0xcc, 0x2d, 0xad, 0x92, 0x25,
	0x4b, 0x51, 0x4f, 0x61, 0x2c, 0xe1, 0x65, 0xe3, 0x19, 0xe5, 0x88, 0x09,
	0x3c, 0x60, 0xf3, 0xfb, 0xc0, 0xd1, 0x57, 0xf4, 0xb7, 0x00, 0x66, 0xd6,
	0x03, 0x2f, 0xe5, 0xc4, 0x62, 0x04, 0xc1, 0x0e, 0x0e, 0xc3, 0x08, 0x1e,
	0x7c, 0xd0, 0x44, 0x7c, 0x6c, 0x53, 0x71, 0x82, 0x65, 0x10, 0x17, 0xb0,
	0xb3, 0x1a, 0x3d, 0xf8, 0x4a, 0x4a, 0x47, 0x65, 0xf3, 0x4c, 0x65, 0x50,
	0x89, 0x95, 0xcd, 0x57, 0x15, 0x52, 0xdf, 0x76, 0x4e, 0xcd, 0xbd, 0x6e,
};

static void logf_(const char *fmt, ...)
{
	const char *path = getenv("FAKE_HSM_LOG");
	va_list ap;
	FILE *f;

	if (!path || !(f = fopen(path, "a")))
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fclose(f);
}

static int fail(uint32_t *board_status, uint32_t st, int err)
{
	*board_status = st;
	errno = err;
	return -1;
}

static int no_masterkey(uint32_t *board_status);

static struct fkey *by_handle(uint32_t h)
{
	if (h == 0 || h > 64 || !handles[h - 1])
		return NULL;
	return &keys[handles[h - 1] - 1];
}

static uint32_t new_handle(unsigned idx)
{
	uint32_t h;

	for (h = 0; h < 64; h++)
		if (!handles[h]) {
			handles[h] = (int)idx + 1;
			return h + 1;
		}
	return 0;
}

static int fake_pin(unsigned long req, struct cryptech_hsm_pin *p)
{
	const char *pin = (const char *)(unsigned long)p->pin;

	if (p->size != sizeof(*p) || p->user < 1 || p->user > 3 ||
	    p->pin_len < 4 || p->pin_len > 4096)
		return fail(&p->board_status, 0, EINVAL);
	if (req == CRYPTECH_HSM_IOC_SET_PIN) {
		if (logged_in != 3 && !(logged_in == 2 && p->user == 1))
			return fail(&p->board_status, 26, EPERM);
		logf_("SET_PIN user=%u pin=%.*s", p->user, (int)p->pin_len, pin);
		return 0;
	}
	if (req == CRYPTECH_HSM_IOC_KERNEL_LOGIN) {
		/* $FAKE_HSM_NO_SYS_ADMIN: the caller lacks CAP_SYS_ADMIN. */
		if (getenv("FAKE_HSM_NO_SYS_ADMIN"))
			return fail(&p->board_status, 0, EPERM);
		logf_("KERNEL_LOGIN user=%u", p->user);
		if (strlen(pins[p->user]) != p->pin_len ||
		    memcmp(pins[p->user], pin, p->pin_len) != 0)
			return fail(&p->board_status, 24, EACCES);
		return 0;
	}
	logf_("LOGIN user=%u", p->user);
	if (strlen(pins[p->user]) != p->pin_len ||
	    memcmp(pins[p->user], pin, p->pin_len) != 0)
		return fail(&p->board_status, 24, EACCES);
	logged_in = p->user;
	return 0;
}

static int fake_generate(struct cryptech_hsm_generate *g)
{
	struct fkey *k;

	if (g->size != sizeof(*g) || g->flags & ~0x3fu)
		return fail(&g->board_status, 0, EINVAL);
	logf_("GENERATE alg=%u bits=%u exp=%u curve=%u flags=0x%x", g->alg,
	      g->rsa_bits, g->rsa_exponent, g->curve, g->flags);
	if (logged_in != 1 && logged_in != 3)
		return fail(&g->board_status, 26, EPERM);
	if (no_masterkey(&g->board_status))
		return -1;
	if (nkeys == 40)
		return fail(&g->board_status, 41, ENOSPC);
	k = &keys[nkeys];
	memset(k, 0, sizeof(*k));
	memset(k->uuid, 0x4f + nkeys, 16);	/* the first made: 5454... */
	k->type = g->alg == 1 ? 1 : 3;
	k->curve = g->curve;
	k->flags = g->flags;
	k->live = 1;
	g->handle = new_handle(nkeys++);
	memcpy(g->uuid, k->uuid, 16);
	return 0;
}

static int fake_open(struct cryptech_hsm_open *o)
{
	unsigned i;

	if (logged_in != 1 && logged_in != 3)
		return fail(&o->board_status, 26, EPERM);
	for (i = 0; i < nkeys; i++)
		if (keys[i].live && !memcmp(keys[i].uuid, o->uuid, 16)) {
			o->handle = new_handle(i);
			return 0;
		}
	return fail(&o->board_status, 21, ENOENT);
}

static int fake_key(unsigned long req, struct cryptech_hsm_key *a)
{
	struct fkey *k = by_handle(a->handle);

	if (!k)
		return fail(&a->board_status, 0, ENOENT);
	if (req == CRYPTECH_HSM_IOC_DELETE) {
		char u[40];
		int i;

		for (i = 0; i < 16; i++)
			sprintf(u + 2 * i, "%02x", k->uuid[i]);
		logf_("DELETE %s", u);
		k->live = 0;
	}
	handles[a->handle - 1] = 0;
	return 0;
}

static int fake_key_info(struct cryptech_hsm_key_info *a)
{
	struct fkey *k = by_handle(a->handle);

	if (!k)
		return fail(&a->board_status, 0, ENOENT);
	a->type = k->type;
	a->curve = k->curve;
	a->flags = k->flags;
	memcpy(a->uuid, k->uuid, 16);
	return 0;
}

static int fake_pubkey(struct cryptech_hsm_public_key *a)
{
	struct fkey *k = by_handle(a->handle);
	const unsigned char *der = rsa_der;
	uint32_t len = sizeof(rsa_der);

	if (!k)
		return fail(&a->board_status, 0, ENOENT);
	if (k->type == 3 && k->curve == 2) {
		der = ec384_der;
		len = sizeof(ec384_der);
	} else if (k->type == 3) {
		der = ec_der;
		len = sizeof(ec_der);
	}
	if (a->der_len < len) {
		a->der_len = len;
		errno = ENOSPC;
		return -1;
	}
	memcpy((void *)(unsigned long)a->der, der, len);
	a->der_len = len;
	return 0;
}

/* The "signature" is the input itself: the tests check what was signed. */
static int fake_sign(struct cryptech_hsm_sign *a)
{
	struct fkey *k = by_handle(a->handle);

	if (!k || a->reserved || !a->input_len)
		return fail(&a->board_status, 0, k ? EINVAL : ENOENT);
	if (!(k->flags & 1))
		return fail(&a->board_status, 26, EPERM);
	if (a->sig_len < a->input_len) {
		a->sig_len = a->input_len;
		errno = ENOSPC;
		return -1;
	}
	memcpy((void *)(unsigned long)a->sig, (void *)(unsigned long)a->input,
	       a->input_len);
	a->sig_len = a->input_len;
	return 0;
}

/* Valid when the "signature" is the input, as fake_sign() makes them. */
static int fake_verify(struct cryptech_hsm_sign *a)
{
	struct fkey *k = by_handle(a->handle);

	if (!k || a->reserved || !a->input_len || !a->sig_len)
		return fail(&a->board_status, 0, k ? EINVAL : ENOENT);
	if (!(k->flags & 1))
		return fail(&a->board_status, 26, EPERM);
	logf_("VERIFY in=%u sig=%u", a->input_len, a->sig_len);
	if (a->sig_len != a->input_len ||
	    memcmp((void *)(unsigned long)a->sig,
		   (void *)(unsigned long)a->input, a->input_len))
		return fail(&a->board_status, 17, EKEYREJECTED);
	return 0;
}

static int fake_set_attrs(struct cryptech_hsm_set_attrs *a)
{
	const unsigned char *p = (const unsigned char *)(unsigned long)a->attrs;
	struct fkey *k = by_handle(a->handle);
	char line[4096];
	size_t off = 0, o = 0;
	uint32_t i;

	if (!k)
		return fail(&a->board_status, 0, ENOENT);
	o += (size_t)snprintf(line, sizeof(line), "SET_ATTRS n=%u", a->n_attrs);
	for (i = 0; i < a->n_attrs && off + 8 <= a->attrs_len; i++) {
		struct cryptech_hsm_key_attr h;
		uint32_t j;

		memcpy(&h, p + off, 8);
		off += 8;
		o += (size_t)snprintf(line + o, sizeof(line) - o, " 0x%x=", h.type);
		for (j = 0; j < h.len && o < sizeof(line) - 3; j++)
			o += (size_t)snprintf(line + o, sizeof(line) - o, "%02x", p[off + j]);
		if (h.type == 3 && h.len < sizeof(k->label)) {
			memcpy(k->label, p + off, h.len);
			k->label_len = h.len;
		}
		if (h.type == 0x102 && h.len <= sizeof(k->id)) {
			memcpy(k->id, p + off, h.len);
			k->id_len = h.len;
		}
		off += (h.len + 3) & ~3u;
	}
	logf_("%s", line);
	if (getenv("FAKE_HSM_SET_ATTRS_FAIL"))
		return fail(&a->board_status, 13, ENOMEM);
	return 0;
}

static int fake_get_attrs(struct cryptech_hsm_get_attrs *a)
{
	const uint32_t *types = (const uint32_t *)(unsigned long)a->types;
	unsigned char *out = (unsigned char *)(unsigned long)a->buf;
	struct fkey *k = by_handle(a->handle);
	int lengths = a->flags & CRYPTECH_HSM_GET_ATTRS_LENGTHS;
	uint32_t i, off = 0, need = 0;

	if (!k)
		return fail(&a->board_status, 0, ENOENT);
	for (i = 0; i < a->n_types; i++) {
		uint32_t len = types[i] == 3 ? k->label_len :
			       types[i] == 0x102 ? k->id_len : 0;

		if (!lengths && !len)
			return fail(&a->board_status, 40, ENODATA);
		need += 8 + (lengths ? 0 : (len + 3) & ~3u);
	}
	if (need > a->buf_len) {
		a->buf_len = need;
		errno = ENOSPC;
		return -1;
	}
	for (i = 0; i < a->n_types; i++) {
		struct cryptech_hsm_key_attr h = { types[i], types[i] == 3 ?
			k->label_len : types[i] == 0x102 ? k->id_len : 0 };

		memcpy(out + off, &h, 8);
		off += 8;
		if (lengths)
			continue;
		memset(out + off, 0, (h.len + 3) & ~3u);
		memcpy(out + off, h.type == 3 ? (void *)k->label : (void *)k->id, h.len);
		off += (h.len + 3) & ~3u;
	}
	a->buf_len = off;
	return 0;
}

/* As the ABI says: a page shorter than asked ends the walk. */
static int fake_match(struct cryptech_hsm_match *m)
{
	const unsigned char *f = (const unsigned char *)(unsigned long)m->attrs;
	uint8_t (*out)[16] = (uint8_t (*)[16])(unsigned long)m->uuids;
	unsigned i, start = 0, n = 0;

	if (m->size != sizeof(*m) || m->count == 0)
		return fail(&m->board_status, 0, EINVAL);
	if (m->state) {
		for (i = 0; i < nkeys; i++)
			if (!memcmp(keys[i].uuid, m->prev_uuid, 16))
				start = i + 1;
	}
	for (i = start; i < nkeys && n < m->count; i++) {
		struct fkey *k = &keys[i];
		uint32_t a, off = 0;
		int ok = k->live && (logged_in == 1 || logged_in == 3) &&
			 !((k->flags ^ m->flags) & m->mask);

		for (a = 0; ok && a < m->n_attrs; a++) {
			struct cryptech_hsm_key_attr h;

			memcpy(&h, f + off, 8);
			ok = h.type == 3 && h.len == k->label_len &&
			     !memcmp(f + off + 8, k->label, h.len);
			off += 8 + ((h.len + 3) & ~3u);
		}
		if (ok)
			memcpy(out[n++], k->uuid, 16);
		memcpy(m->prev_uuid, k->uuid, 16);
	}
	m->count = n;
	m->state = i >= nkeys ? CRYPTECH_HSM_MATCH_DONE : 1;
	return 0;
}

/*
 * $FAKE_HSM_BOARD_ID: the board's identity (kind USB serial), else none,
 * as a kernel without the identity reports.
 */
static int fake_board_info(struct cryptech_hsm_board_info *b)
{
	const char *id = getenv("FAKE_HSM_BOARD_ID");

	if (b->size != sizeof(*b))
		return fail(&b->board_status, 0, EINVAL);
	b->index = 0;
	b->protocol_version = 0x01010100;
	strcpy(b->tty_name, "ttyUSB0");
	if (id) {
		snprintf(b->board_id, sizeof(b->board_id), "%s", id);
		b->board_id_kind = CRYPTECH_HSM_BOARD_ID_USB_SERIAL;
	}
	return 0;
}

/* $FAKE_HSM_NO_MASTERKEY: key material operations answer 32 (ENOKEY). */
static int no_masterkey(uint32_t *board_status)
{
	if (!getenv("FAKE_HSM_NO_MASTERKEY"))
		return 0;
	*board_status = 32;
	errno = ENOKEY;
	return 1;
}

/* Key and PIN requests: 1 when handled (result in *ret), else 0. */
static int fake_keys(unsigned long req, void *arg, int *ret)
{
	switch (req) {
	case CRYPTECH_HSM_IOC_BOARD_INFO:
		*ret = fake_board_info(arg);
		return 1;
	case CRYPTECH_HSM_IOC_LOGIN:
	case CRYPTECH_HSM_IOC_SET_PIN:
	case CRYPTECH_HSM_IOC_KERNEL_LOGIN:
		*ret = fake_pin(req, arg);
		return 1;
	case CRYPTECH_HSM_IOC_KERNEL_LOGOUT:
		if (getenv("FAKE_HSM_NO_SYS_ADMIN")) {
			*ret = fail(&((struct cryptech_hsm_status *)arg)->board_status,
				    0, EPERM);
			return 1;
		}
		logf_("KERNEL_LOGOUT");
		*ret = 0;
		return 1;
	case CRYPTECH_HSM_IOC_LOGIN_STATUS:
		((struct cryptech_hsm_login_status *)arg)->user = logged_in;
		*ret = 0;
		return 1;
	case CRYPTECH_HSM_IOC_GENERATE:
		*ret = fake_generate(arg);
		return 1;
	case CRYPTECH_HSM_IOC_OPEN:
		*ret = fake_open(arg);
		return 1;
	case CRYPTECH_HSM_IOC_CLOSE:
	case CRYPTECH_HSM_IOC_DELETE:
		*ret = fake_key(req, arg);
		return 1;
	case CRYPTECH_HSM_IOC_KEY_INFO:
		*ret = fake_key_info(arg);
		return 1;
	case CRYPTECH_HSM_IOC_PUBLIC_KEY:
		*ret = fake_pubkey(arg);
		return 1;
	case CRYPTECH_HSM_IOC_SIGN:
		if (no_masterkey(&((struct cryptech_hsm_sign *)arg)->board_status)) {
			*ret = -1;
			return 1;
		}
		*ret = fake_sign(arg);
		return 1;
	case CRYPTECH_HSM_IOC_VERIFY:
		*ret = fake_verify(arg);
		return 1;
	case CRYPTECH_HSM_IOC_SET_ATTRS:
		*ret = fake_set_attrs(arg);
		return 1;
	case CRYPTECH_HSM_IOC_GET_ATTRS:
		*ret = fake_get_attrs(arg);
		return 1;
	case CRYPTECH_HSM_IOC_MATCH:
		*ret = fake_match(arg);
		return 1;
	}
	return 0;
}

int ioctl(int fd, unsigned long req, ...)
{
	int (*real)(int, unsigned long, ...);
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	const char *mode = getenv("FAKE_HSM");
	int ret;

	if (req == CRYPTECH_HSM_IOC_RANDOM)
		return fake_random(arg);
	if (mode && strcmp(mode, "ok") == 0 && fake_keys(req, arg, &ret))
		return ret;
	real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	return real(fd, req, arg);
}
