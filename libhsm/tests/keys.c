// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The session and key functions against a fake kernel (as tests/ioctl.c
 * does for RANDOM): request encoding (sizes, flags, packed attributes),
 * MATCH paging, the ENOSPC retries of the allocating variants, and the
 * checks on what the kernel answers. Sessions are opened on /dev/null.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <linux/cryptech_hsm.h>

#include "kselftest_harness.h"

#include <hsm/hsm.h>

#include "internal.h"

#define NKEYS 300

/* The fake kernel's state and knobs; set by each test (single-threaded). */
static struct {
	unsigned calls, bad;		/* requests; ABI rule violations */
	unsigned long last_cmd;
	int fail_errno;
	uint32_t fail_status;
	/* LOGIN/SET_PIN */
	uint32_t user, pin_len;
	char pin[64];
	uint32_t status_user;
	/* GENERATE */
	struct cryptech_hsm_generate gen;
	uint32_t new_handle;
	/* PUBLIC_KEY, SIGN: the size of the result */
	uint32_t out_len, lie_len;
	unsigned enospc;
	/* attributes of the single key */
	unsigned char label[40];
	uint32_t label_len;		/* 0: absent */
	unsigned char set_buf[256];
	uint32_t set_len, set_n;
	unsigned get_calls, get_lengths_calls;
	/* MATCH */
	unsigned match_calls;
	uint32_t page_counts[16];
	int match_forever;
	unsigned char filter[128];
	uint32_t filter_len, filter_n;
} fk;

static void fk_uuid(uint8_t *u, unsigned i)
{
	memset(u, 0, 16);
	u[0] = 0xaa;
	u[14] = (uint8_t)(i >> 8);
	u[15] = (uint8_t)i;
}

static int fail(void *status_field)
{
	memcpy(status_field, &fk.fail_status, 4);
	errno = fk.fail_errno;
	return -1;
}

static int fk_pin(struct cryptech_hsm_pin *p)
{
	if (p->size != sizeof(*p))
		fk.bad++;
	fk.user = p->user;
	fk.pin_len = p->pin_len;
	memcpy(fk.pin, (void *)(uintptr_t)p->pin,
	       p->pin_len < sizeof(fk.pin) ? p->pin_len : sizeof(fk.pin) - 1);
	return fk.fail_errno ? fail(&p->board_status) : 0;
}

/* Copy @n bytes of pattern to a user buffer, or ENOSPC with the size. */
static int fk_out(uint64_t ptr, uint32_t *room, uint32_t n)
{
	uint32_t i;

	if (n > *room || fk.enospc) {
		if (fk.enospc)
			fk.enospc--;
		*room = fk.lie_len ? fk.lie_len : n;
		errno = ENOSPC;
		return -1;
	}
	for (i = 0; i < n; i++)
		((unsigned char *)(uintptr_t)ptr)[i] = (unsigned char)i;
	*room = fk.lie_len ? fk.lie_len : n;
	return 0;
}

static int fk_get_attrs(struct cryptech_hsm_get_attrs *g)
{
	const uint32_t *types = (const uint32_t *)(uintptr_t)g->types;
	unsigned char *out = (unsigned char *)(uintptr_t)g->buf;
	struct cryptech_hsm_key_attr h;
	uint32_t i, need = 0, off = 0;

	if (g->size != sizeof(*g) || g->n_types == 0 || g->n_types > 64)
		fk.bad++;
	if (g->flags & CRYPTECH_HSM_GET_ATTRS_LENGTHS)
		fk.get_lengths_calls++;
	else
		fk.get_calls++;
	for (i = 0; i < g->n_types; i++) {
		uint32_t len = types[i] == HSM_CKA_LABEL ? fk.label_len :
			       types[i] == HSM_CKA_ID ? 2 : 0;

		if (!(g->flags & CRYPTECH_HSM_GET_ATTRS_LENGTHS) && !len) {
			g->board_status = 40;
			errno = ENODATA;
			return -1;
		}
		need += 8 + (g->flags ? 0 : (len + 3) / 4 * 4);
	}
	if (need > g->buf_len) {
		g->buf_len = need;
		errno = ENOSPC;
		return -1;
	}
	for (i = 0; i < g->n_types; i++) {
		h.type = types[i];
		h.len = types[i] == HSM_CKA_LABEL ? fk.label_len :
			types[i] == HSM_CKA_ID ? 2 : 0;
		memcpy(out + off, &h, 8);
		off += 8;
		if (g->flags)
			continue;
		memset(out + off, 0, (h.len + 3) / 4 * 4);
		memcpy(out + off, types[i] == HSM_CKA_ID ? (void *)"\x01\x02" :
		       (void *)fk.label, h.len);
		off += (h.len + 3) / 4 * 4;
	}
	g->buf_len = off;
	return 0;
}

static int fk_match(struct cryptech_hsm_match *m)
{
	uint8_t (*out)[16] = (uint8_t (*)[16])(uintptr_t)m->uuids;
	unsigned start, i;

	if (m->size != sizeof(*m) || m->count == 0 || m->count > 818 ||
	    m->state > 3 || (m->state == 0 && fk.match_calls))
		fk.bad++;
	if (fk.match_calls == 0) {
		fk.filter_len = m->attrs_len;
		fk.filter_n = m->n_attrs;
		if (m->attrs_len && m->attrs_len <= sizeof(fk.filter))
			memcpy(fk.filter, (void *)(uintptr_t)m->attrs,
			       m->attrs_len);
	}
	fk.match_calls++;
	if (fk.fail_errno)
		return fail(&m->board_status);
	if (fk.match_forever) {
		for (i = 0; i < m->count; i++)
			fk_uuid(out[i], i);
		m->state = 1;
		return 0;
	}
	/* Continue after prev_uuid, as the board does. */
	start = m->state ? ((unsigned)m->prev_uuid[14] << 8 | m->prev_uuid[15]) + 1 : 0;
	for (i = 0; i < m->count && start + i < NKEYS; i++)
		fk_uuid(out[i], start + i);
	if (fk.match_calls <= 16)
		fk.page_counts[fk.match_calls - 1] = i;
	m->count = i;
	m->state = start + i >= NKEYS ? CRYPTECH_HSM_MATCH_DONE : 1;
	if (i)
		memcpy(m->prev_uuid, out[i - 1], 16);
	return 0;
}

int ioctl(int fd, unsigned long req, ...)
{
	static int (*real)(int, unsigned long, ...);
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	fk.calls++;
	fk.last_cmd = req;
	switch (req) {
	case CRYPTECH_HSM_IOC_LOGIN:
	case CRYPTECH_HSM_IOC_SET_PIN:
		return fk_pin(arg);
	case CRYPTECH_HSM_IOC_LOGIN_STATUS: {
		struct cryptech_hsm_login_status *l = arg;

		if (l->size != sizeof(*l) || l->reserved)
			fk.bad++;
		l->user = fk.status_user;
		return 0;
	}
	case CRYPTECH_HSM_IOC_GENERATE: {
		struct cryptech_hsm_generate *g = arg;

		if (g->size != sizeof(*g))
			fk.bad++;
		fk.gen = *g;
		if (fk.fail_errno)
			return fail(&g->board_status);
		g->handle = fk.new_handle;
		fk_uuid(g->uuid, 7);
		return 0;
	}
	case CRYPTECH_HSM_IOC_PUBLIC_KEY: {
		struct cryptech_hsm_public_key *p = arg;

		return fk_out(p->der, &p->der_len, fk.out_len);
	}
	case CRYPTECH_HSM_IOC_SIGN: {
		struct cryptech_hsm_sign *sg = arg;

		if (sg->reserved || sg->input_len == 0)
			fk.bad++;
		return fk_out(sg->sig, &sg->sig_len, fk.out_len);
	}
	case CRYPTECH_HSM_IOC_SET_ATTRS: {
		struct cryptech_hsm_set_attrs *sa = arg;

		if (sa->size != sizeof(*sa) || sa->reserved)
			fk.bad++;
		fk.set_n = sa->n_attrs;
		fk.set_len = sa->attrs_len;
		if (sa->attrs_len <= sizeof(fk.set_buf))
			memcpy(fk.set_buf, (void *)(uintptr_t)sa->attrs,
			       sa->attrs_len);
		return 0;
	}
	case CRYPTECH_HSM_IOC_GET_ATTRS:
		return fk_get_attrs(arg);
	case CRYPTECH_HSM_IOC_MATCH:
		return fk_match(arg);
	case CRYPTECH_HSM_IOC_EXPORT: {
		struct cryptech_hsm_export *e = arg;

		if (e->size != sizeof(*e))
			fk.bad++;
		/* the most the kernel takes: 1024 + the rest of a packet */
		if (e->kek_len != 1024 || e->pkcs8_len != 16364 - 1024 ||
		    e->handle != 4 || e->kekek_handle != 9)
			fk.bad++;
		if (fk.fail_errno)
			return fail(&e->board_status);
		memset((void *)(uintptr_t)e->pkcs8, 0x5a, 100);
		memset((void *)(uintptr_t)e->kek, 0xa5, 256);
		e->pkcs8_len = fk.lie_len ? fk.lie_len : 100;
		e->kek_len = 256;
		return 0;
	}
	case CRYPTECH_HSM_IOC_IMPORT: {
		struct cryptech_hsm_import *im = arg;

		if (im->size != sizeof(*im) || im->reserved ||
		    im->pkcs8_len != 100 || im->kek_len != 256 ||
		    im->kekek_handle != 9 || im->flags != 0x29)
			fk.bad++;
		im->handle = fk.new_handle;
		fk_uuid(im->uuid, 9);
		return 0;
	}
	}
	if (!real)
		real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	return real(fd, req, arg);
}

FIXTURE(k) {
	struct hsm_session *s;
};

FIXTURE_SETUP(k)
{
	memset(&fk, 0, sizeof(fk));
	fk.new_handle = 1;
	ASSERT_EQ(0, hsm_open("/dev/null", &self->s));
}

FIXTURE_TEARDOWN(k)
{
	hsm_close(self->s);
	EXPECT_EQ(0u, fk.bad);
}

TEST_F(k, login_encoding)
{
	uint32_t st = 9, user = 99;

	ASSERT_EQ(0, hsm_login(self->s, HSM_USER_WHEEL, "secret-pin", 10, &st));
	EXPECT_EQ(0u, st);
	EXPECT_EQ(CRYPTECH_HSM_USER_WHEEL, fk.user);
	EXPECT_EQ(10u, fk.pin_len);
	EXPECT_STREQ("secret-pin", fk.pin);
	EXPECT_EQ(CRYPTECH_HSM_IOC_LOGIN, fk.last_cmd);

	ASSERT_EQ(0, hsm_set_pin(self->s, HSM_USER_SO, "abcd", 4, NULL));
	EXPECT_EQ(CRYPTECH_HSM_IOC_SET_PIN, fk.last_cmd);
	EXPECT_EQ(CRYPTECH_HSM_USER_SO, fk.user);

	fk.fail_errno = EACCES;
	fk.fail_status = 24;
	EXPECT_EQ(-EACCES, hsm_login(self->s, HSM_USER_NORMAL, "wrong", 5, &st));
	EXPECT_EQ(24u, st);
	EXPECT_STREQ("PIN_INCORRECT: wrong PIN", hsm_strerror(-EACCES, st));

	fk.status_user = 2;
	ASSERT_EQ(0, hsm_login_status(self->s, &user, &st));
	EXPECT_EQ(HSM_USER_SO, user);
	fk.status_user = 4;	/* no such user: the kernel is not trusted */
	EXPECT_EQ(-EPROTO, hsm_login_status(self->s, &user, &st));
}

TEST_F(k, pin_and_user_validation)
{
	char big[HSM_PIN_MAX + 1];
	uint32_t u;

	memset(big, 'x', sizeof(big));
	fk.calls = 0;
	EXPECT_EQ(-EINVAL, hsm_login(self->s, HSM_USER_NORMAL, "abc", 3, NULL));
	EXPECT_EQ(-EINVAL, hsm_login(self->s, HSM_USER_NORMAL, big, sizeof(big), NULL));
	EXPECT_EQ(-EINVAL, hsm_login(self->s, HSM_USER_NONE, "abcd", 4, NULL));
	EXPECT_EQ(-EINVAL, hsm_login(self->s, 4, "abcd", 4, NULL));
	EXPECT_EQ(-EINVAL, hsm_set_pin(self->s, HSM_USER_NORMAL, NULL, 4, NULL));
	EXPECT_EQ(0u, fk.calls);
	EXPECT_EQ(0, hsm_login(self->s, HSM_USER_NORMAL, big, HSM_PIN_MAX, NULL));

	EXPECT_EQ(0, hsm_user_parse("wheel", &u));
	EXPECT_EQ(HSM_USER_WHEEL, u);
	EXPECT_EQ(0, hsm_user_parse("user", &u));
	EXPECT_EQ(HSM_USER_NORMAL, u);
	EXPECT_EQ(-EINVAL, hsm_user_parse("none", &u));
	EXPECT_EQ(-EINVAL, hsm_user_parse("root", &u));
	EXPECT_STREQ("so", hsm_user_name(HSM_USER_SO));
	EXPECT_STREQ("unknown", hsm_user_name(9));
}

TEST_F(k, generate_encoding)
{
	uint8_t uuid[16];
	uint32_t h = 0, st;

	fk.new_handle = 5;
	ASSERT_EQ(0, hsm_generate_ec(self->s, HSM_CURVE_P384,
				     HSM_KEY_F_SIGN | HSM_KEY_F_TOKEN, &h, uuid, &st));
	EXPECT_EQ(5u, h);
	EXPECT_EQ(0xaa, uuid[0]);
	EXPECT_EQ(7, uuid[15]);
	EXPECT_EQ(CRYPTECH_HSM_ALG_EC, fk.gen.alg);
	EXPECT_EQ(CRYPTECH_HSM_CURVE_P384, fk.gen.curve);
	EXPECT_EQ(0x09u, fk.gen.flags);
	EXPECT_EQ(0u, fk.gen.rsa_bits);

	ASSERT_EQ(0, hsm_generate_rsa(self->s, 2048, 0, HSM_KEY_F_SIGN, &h, NULL, NULL));
	EXPECT_EQ(CRYPTECH_HSM_ALG_RSA, fk.gen.alg);
	EXPECT_EQ(2048u, fk.gen.rsa_bits);
	EXPECT_EQ(0u, fk.gen.rsa_exponent);
	EXPECT_EQ(0u, fk.gen.curve);

	EXPECT_EQ(-EINVAL, hsm_generate_ec(self->s, 1, 0x40, &h, NULL, NULL));
	fk.new_handle = 0;	/* handles start at 1 */
	EXPECT_EQ(-EPROTO, hsm_generate_ec(self->s, 1, 1, &h, NULL, NULL));
	fk.fail_errno = EPERM;
	fk.fail_status = 26;
	EXPECT_EQ(-EPERM, hsm_generate_ec(self->s, 1, 1, &h, NULL, &st));
	EXPECT_EQ(26u, st);
}

TEST_F(k, public_key_alloc_retries_on_enospc)
{
	unsigned char *der = NULL, small[10];
	size_t len = 0;

	fk.out_len = 3000;	/* more than the first guess */
	ASSERT_EQ(0, hsm_public_key_alloc(self->s, 1, &der, &len, NULL));
	EXPECT_EQ(3000u, len);
	EXPECT_EQ(0xb7, der[2999]);
	free(der);

	fk.out_len = 91;
	len = sizeof(small);
	EXPECT_EQ(-ENOSPC, hsm_public_key(self->s, 1, small, &len, NULL));
	EXPECT_EQ(91u, len);

	/* A kernel that keeps asking for more is not followed for ever. */
	fk.out_len = 2000;
	fk.enospc = 100;
	fk.lie_len = 2000;
	EXPECT_EQ(-EPROTO, hsm_public_key_alloc(self->s, 1, &der, &len, NULL));
	EXPECT_EQ(NULL, der);
	/* "Too small" with a size that would have fitted. */
	fk.enospc = 1;
	fk.lie_len = 5;
	len = sizeof(small);
	EXPECT_EQ(-EPROTO, hsm_public_key(self->s, 1, small, &len, NULL));
	/* A result longer than the room we gave. */
	fk.enospc = 0;
	fk.out_len = 4;
	fk.lie_len = 11;
	len = sizeof(small);
	EXPECT_EQ(-EPROTO, hsm_public_key(self->s, 1, small, &len, NULL));
}

TEST_F(k, sign_lengths)
{
	unsigned char sig[HSM_SIGNATURE_MAX];
	size_t len = 10;

	fk.out_len = 64;
	EXPECT_EQ(-ENOSPC, hsm_sign(self->s, 1, "digest", 6, sig, &len, NULL));
	EXPECT_EQ(64u, len);
	len = sizeof(sig);
	ASSERT_EQ(0, hsm_sign(self->s, 1, "digest", 6, sig, &len, NULL));
	EXPECT_EQ(64u, len);
	EXPECT_EQ(-EINVAL, hsm_sign(self->s, 1, "", 0, sig, &len, NULL));
}

TEST_F(k, set_attributes_packing)
{
	struct hsm_attr a[3] = {
		{ HSM_CKA_LABEL, 5, "hello" },
		{ HSM_CKA_ID, 0, "" },
		{ 0x180, HSM_ATTR_DELETE, NULL },
	};
	static const unsigned char expect[] = {
		3, 0, 0, 0, 5, 0, 0, 0, 'h', 'e', 'l', 'l', 'o', 0, 0, 0,
		2, 1, 0, 0, 0, 0, 0, 0,
		0x80, 1, 0, 0, 0xff, 0xff, 0xff, 0xff,
	};

	ASSERT_EQ(0, hsm_set_attributes(self->s, 3, a, 3, NULL));
	EXPECT_EQ(3u, fk.set_n);
	ASSERT_EQ(sizeof(expect), fk.set_len);
	EXPECT_EQ(0, memcmp(expect, fk.set_buf, sizeof(expect)));

	EXPECT_EQ(-EINVAL, hsm_set_attributes(self->s, 3, a, 0, NULL));
}

TEST(pack_limits)
{
	static unsigned char big[HSM_ATTRS_MAX_BYTES];
	struct hsm_attr a[HSM_ATTRS_MAX + 1];
	unsigned char *p;
	size_t len, i;

	for (i = 0; i < HSM_ATTRS_MAX + 1; i++)
		a[i] = (struct hsm_attr){ (uint32_t)i, 1, "x" };
	ASSERT_EQ(0, hsm_attrs_pack(a, HSM_ATTRS_MAX, 0, &p, &len));
	EXPECT_EQ(HSM_ATTRS_MAX * 12u, len);
	free(p);
	EXPECT_EQ(-EINVAL, hsm_attrs_pack(a, HSM_ATTRS_MAX + 1, 0, &p, &len));
	a[0] = (struct hsm_attr){ 1, HSM_ATTRS_MAX_BYTES - 8, big };
	ASSERT_EQ(0, hsm_attrs_pack(a, 1, 0, &p, &len));
	EXPECT_EQ((size_t)HSM_ATTRS_MAX_BYTES, len);
	free(p);
	a[0].len++;
	EXPECT_EQ(-EINVAL, hsm_attrs_pack(a, 1, 0, &p, &len));
	a[0] = (struct hsm_attr){ 1, HSM_ATTR_DELETE, NULL };
	EXPECT_EQ(-EINVAL, hsm_attrs_pack(a, 1, 0, &p, &len));
	a[0] = (struct hsm_attr){ 1, 4, NULL };
	EXPECT_EQ(-EINVAL, hsm_attrs_pack(a, 1, 1, &p, &len));
}

TEST(unpack_rejects_malformed)
{
	const uint32_t types[2] = { 3, 0x102 };
	struct hsm_attr out[2];
	unsigned char buf[32] = {
		3, 0, 0, 0, 3, 0, 0, 0, 'a', 'b', 'c', 0,
		2, 1, 0, 0, 1, 0, 0, 0, 9, 0, 0, 0,
	};

	ASSERT_EQ(0, hsm_attrs_unpack(buf, 24, types, 2, 0, out));
	EXPECT_EQ(3u, out[0].len);
	EXPECT_EQ(0, memcmp("abc", out[0].value, 3));
	EXPECT_EQ(9, *(const unsigned char *)out[1].value);
	/* the last padding may be missing */
	EXPECT_EQ(0, hsm_attrs_unpack(buf, 21, types, 2, 0, out));
	EXPECT_EQ(-EPROTO, hsm_attrs_unpack(buf, 20, types, 2, 0, out));
	EXPECT_EQ(-EPROTO, hsm_attrs_unpack(buf, 28, types, 2, 0, out));
	buf[4] = 200;	/* value runs past the end */
	EXPECT_EQ(-EPROTO, hsm_attrs_unpack(buf, 24, types, 2, 0, out));
	buf[4] = 3;
	buf[12] = 7;	/* not the type asked for */
	EXPECT_EQ(-EPROTO, hsm_attrs_unpack(buf, 24, types, 2, 0, out));
}

TEST_F(k, get_attributes)
{
	const uint32_t types[3] = { HSM_CKA_LABEL, 0x999, HSM_CKA_ID };
	struct hsm_attr *a;
	unsigned char buf[64];
	size_t len;
	uint32_t st;

	memcpy(fk.label, "zone-signing", 12);
	fk.label_len = 12;
	ASSERT_EQ(0, hsm_get_attributes(self->s, 1, types, 3, HSM_ATTRS_OPTIONAL,
					&a, &st));
	EXPECT_EQ(1u, fk.get_lengths_calls);
	EXPECT_EQ(1u, fk.get_calls);
	EXPECT_EQ(12u, a[0].len);
	EXPECT_EQ(0, memcmp("zone-signing", a[0].value, 12));
	EXPECT_EQ(0x999u, a[1].type);
	EXPECT_EQ(0u, a[1].len);
	EXPECT_EQ(NULL, a[1].value);
	EXPECT_EQ(2u, a[2].len);
	EXPECT_EQ(0, memcmp("\x01\x02", a[2].value, 2));
	free(a);

	/* Without OPTIONAL an absent one fails the call, as the board does. */
	EXPECT_EQ(-ENODATA, hsm_get_attributes(self->s, 1, types, 3, 0, &a, &st));
	EXPECT_EQ(40u, st);
	EXPECT_EQ(NULL, a);

	/* A value larger than the first guess: ENOSPC, then the right size. */
	fk.label_len = 40;
	memset(fk.label, 'L', 40);
	fk.get_calls = 0;
	len = 10;
	EXPECT_EQ(-ENOSPC, hsm_get_attribute(self->s, 1, HSM_CKA_LABEL, buf, &len, NULL));
	EXPECT_EQ(40u, len);
	ASSERT_EQ(0, hsm_get_attribute(self->s, 1, HSM_CKA_LABEL, buf, &len, NULL));
	EXPECT_EQ(40u, len);
	EXPECT_EQ('L', buf[39]);
	len = sizeof(buf);
	EXPECT_EQ(-ENODATA, hsm_get_attribute(self->s, 1, 0x999, buf, &len, NULL));
	/* Fits the padded room (8 bytes for 5) but not the caller's 5. */
	fk.label_len = 7;
	len = 5;
	EXPECT_EQ(-ENOSPC, hsm_get_attribute(self->s, 1, HSM_CKA_LABEL, buf, &len, NULL));
	EXPECT_EQ(7u, len);
}

static int count_cb(const uint8_t uuid[16], void *arg)
{
	unsigned *n = arg;

	/* names arrive in order, across pages */
	if (uuid[0] != 0xaa || (unsigned)(uuid[14] << 8 | uuid[15]) != *n)
		return -EBADMSG;
	(*n)++;
	return 0;
}

static int stop_cb(const uint8_t uuid[16], void *arg)
{
	(void)uuid;
	return ++*(unsigned *)arg == 130 ? 42 : 0;
}

TEST_F(k, match_pages)
{
	uint8_t (*u)[16];
	unsigned n = 0;
	size_t count;

	ASSERT_EQ(0, hsm_match(self->s, NULL, count_cb, &n, NULL));
	EXPECT_EQ((unsigned)NKEYS, n);
	EXPECT_EQ(3u, fk.match_calls);	/* 128 + 128 + 44 */
	EXPECT_EQ(128u, fk.page_counts[0]);
	EXPECT_EQ(44u, fk.page_counts[2]);

	fk.match_calls = 0;
	ASSERT_EQ(0, hsm_match_all(self->s, NULL, &u, &count, NULL));
	EXPECT_EQ((size_t)NKEYS, count);
	EXPECT_EQ(299, u[299][15] | u[299][14] << 8);
	free(u);

	/* The callback can stop the walk. */
	fk.match_calls = 0;
	n = 0;
	EXPECT_EQ(42, hsm_match(self->s, NULL, stop_cb, &n, NULL));
	EXPECT_EQ(2u, fk.match_calls);
}

TEST_F(k, match_filter_encoding)
{
	const struct hsm_attr label = { HSM_CKA_LABEL, 3, "ksk" };
	struct hsm_match_filter f = {
		.mask = HSM_KEY_F_TOKEN, .flags = HSM_KEY_F_TOKEN,
		.attrs = &label, .n_attrs = 1,
	};
	static const unsigned char expect[] = {
		3, 0, 0, 0, 3, 0, 0, 0, 'k', 's', 'k', 0,
	};
	unsigned n = 0;

	ASSERT_EQ(0, hsm_match(self->s, &f, count_cb, &n, NULL));
	EXPECT_EQ(1u, fk.filter_n);
	ASSERT_EQ(sizeof(expect), fk.filter_len);
	EXPECT_EQ(0, memcmp(expect, fk.filter, sizeof(expect)));

	f.mask = 0x40;
	EXPECT_EQ(-EINVAL, hsm_match(self->s, &f, count_cb, &n, NULL));
}

TEST_F(k, match_errors)
{
	uint8_t (*u)[16] = (void *)1;
	size_t count = 5;
	uint32_t st;

	/* A kernel whose walk never ends. */
	fk.match_forever = 1;
	EXPECT_EQ(-EPROTO, hsm_match_all(self->s, NULL, &u, &count, NULL));
	EXPECT_EQ(NULL, u);
	EXPECT_EQ(0u, count);
	fk.match_forever = 0;
	fk.match_calls = 0;
	fk.fail_errno = ENODEV;
	EXPECT_EQ(-ENODEV, hsm_match_all(self->s, NULL, &u, &count, &st));
	EXPECT_EQ(0u, st);
}

TEST_F(k, export_import)
{
	unsigned char *p8, *kek;
	size_t p8_len, kek_len;
	uint8_t uuid[16];
	uint32_t h, st;

	ASSERT_EQ(0, hsm_export_key(self->s, 4, 9, &p8, &p8_len, &kek, &kek_len, &st));
	EXPECT_EQ(100u, p8_len);
	EXPECT_EQ(256u, kek_len);
	EXPECT_EQ(0x5a, p8[99]);
	EXPECT_EQ(0xa5, kek[255]);
	fk.new_handle = 3;
	ASSERT_EQ(0, hsm_import_key(self->s, 9, p8, p8_len, kek, kek_len,
				    HSM_KEY_F_SIGN | HSM_KEY_F_TOKEN | HSM_KEY_F_EXPORTABLE,
				    &h, uuid, &st));
	EXPECT_EQ(3u, h);
	EXPECT_EQ(9, uuid[15]);
	free(p8);
	free(kek);

	/* More than we had room for is not believed. */
	fk.lie_len = 20000;
	EXPECT_EQ(-EPROTO, hsm_export_key(self->s, 4, 9, &p8, &p8_len, &kek, &kek_len, &st));
	EXPECT_EQ(NULL, p8);
	fk.lie_len = 0;
	fk.fail_errno = EPERM;
	fk.fail_status = 26;
	EXPECT_EQ(-EPERM, hsm_export_key(self->s, 4, 9, &p8, &p8_len, &kek, &kek_len, &st));
	EXPECT_EQ(26u, st);
	EXPECT_EQ(-EINVAL, hsm_import_key(self->s, 9, "x", 0, "y", 1, 0, &h, NULL, NULL));
}

TEST(uuid_text)
{
	static const uint8_t u[16] = {
		0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x41, 0xd1,
		0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8,
	};
	static const char *const bad[] = {
		"", "6ba7b810-9dad-41d1-80b4-00c04fd430c", "6ba7b810-9dad-41d1-80b4-00c04fd430c8 ",
		"6ba7b8109dad41d180b400c04fd430c8", "6ba7b810-9dad-41d1-80b4-00c04fd430cg",
		"6ba7b810-9dad-41d1-80b400c04fd430c8-", "+ba7b810-9dad-41d1-80b4-00c04fd430c8",
		" 6ba7b810-9dad-41d1-80b4-00c04fd430c8",
	};
	char text[HSM_UUID_STR_LEN];
	uint8_t back[16];
	size_t i;

	ASSERT_EQ(0, hsm_uuid_format(u, text, sizeof(text)));
	EXPECT_STREQ("6ba7b810-9dad-41d1-80b4-00c04fd430c8", text);
	ASSERT_EQ(0, hsm_uuid_parse(text, back));
	EXPECT_EQ(0, memcmp(u, back, 16));
	ASSERT_EQ(0, hsm_uuid_parse("6BA7B810-9DAD-41D1-80B4-00C04FD430C8", back));
	EXPECT_EQ(0, memcmp(u, back, 16));
	EXPECT_EQ(-ENOSPC, hsm_uuid_format(u, text, 36));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(-EINVAL, hsm_uuid_parse(bad[i], back));
}

TEST(names)
{
	char buf[64];

	EXPECT_STREQ("ec-private", hsm_key_type_name(HSM_KEY_EC_PRIVATE));
	EXPECT_STREQ("rsa-public", hsm_key_type_name(HSM_KEY_RSA_PUBLIC));
	EXPECT_STREQ("unknown", hsm_key_type_name(0));
	EXPECT_STREQ("P-521", hsm_curve_name(HSM_CURVE_P521));
	EXPECT_STREQ("none", hsm_curve_name(0));
	EXPECT_STREQ("unknown", hsm_curve_name(4));
	EXPECT_EQ(21, hsm_key_flags_format(0x29, buf, sizeof(buf)));
	EXPECT_STREQ("sign,token,exportable", buf);
	EXPECT_EQ(0, hsm_key_flags_format(0, buf, sizeof(buf)));
	EXPECT_STREQ("", buf);
	hsm_key_flags_format(0x41, buf, sizeof(buf));
	EXPECT_STREQ("sign,0x40", buf);
	EXPECT_EQ(21, hsm_key_flags_format(0x29, buf, 5));
	EXPECT_STREQ("sign", buf);
	EXPECT_EQ(21, hsm_key_flags_format(0x29, NULL, 0));
}

TEST_HARNESS_MAIN
