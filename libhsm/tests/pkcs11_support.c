// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What the PKCS#11 module needs from libhsm, against a fake kernel:
 * hsm_get_attributes(OPTIONAL) on keys with no, absent and empty
 * attributes; hsm_signature_size() without a SIGN request; hsm_sign()
 * reporting the board's "keystore full" as itself; and decoding of the
 * netlink board events.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <linux/cryptech_hsm.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "kselftest_harness.h"

#include <hsm/hsm.h>

#include "events.h"
#include "internal.h"

/* The fake key: up to 8 attributes, each absent, empty or with a value. */
#define NA 8
static struct {
	uint32_t types[NA];
	int present[NA];
	uint32_t lens[NA];
	unsigned get_calls, len_calls, sign_calls, info_calls, pub_calls;
	uint32_t last_room;	/* buf_len of the last value read */
	uint32_t key_type, curve;
	uint32_t sign_status;	/* fail SIGN with this board status */
	unsigned char spki[600];
	uint32_t spki_len;
} fk;

static int find(uint32_t t)
{
	int i;

	for (i = 0; i < NA; i++)
		if (fk.present[i] && fk.types[i] == t)
			return i;
	return -1;
}

static int any_present(void)
{
	int i;

	for (i = 0; i < NA; i++)
		if (fk.present[i])
			return 1;
	return 0;
}

static int fk_get_attrs(struct cryptech_hsm_get_attrs *g)
{
	const uint32_t *types = (const uint32_t *)(uintptr_t)g->types;
	unsigned char *out = (unsigned char *)(uintptr_t)g->buf;
	int lengths = g->flags & CRYPTECH_HSM_GET_ATTRS_LENGTHS;
	uint32_t i, need = 0, off = 0;

	if (lengths)
		fk.len_calls++;
	else
		fk.get_calls++, fk.last_room = g->buf_len;
	if (!any_present()) {	/* as the board: status 40 in both modes */
		g->board_status = 40;
		errno = ENODATA;
		return -1;
	}
	for (i = 0; i < g->n_types; i++) {
		int k = find(types[i]);

		if (!lengths && k < 0) {
			g->board_status = 40;
			errno = ENODATA;
			return -1;
		}
		need += 8 + (lengths ? 0 : (k < 0 ? 0 : (fk.lens[k] + 3) / 4 * 4));
	}
	if (need > g->buf_len) {
		g->buf_len = need;
		errno = ENOSPC;
		return -1;
	}
	for (i = 0; i < g->n_types; i++) {
		int k = find(types[i]);
		struct cryptech_hsm_key_attr h = {
			.type = types[i], .len = k < 0 ? 0 : fk.lens[k],
		};

		memcpy(out + off, &h, 8);
		off += 8;
		if (lengths)
			continue;
		memset(out + off, 'a' + k, (h.len + 3) / 4 * 4);
		off += (h.len + 3) / 4 * 4;
	}
	g->buf_len = off;
	return 0;
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	(void)fd;
	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	switch (req) {
	case CRYPTECH_HSM_IOC_GET_ATTRS:
		return fk_get_attrs(arg);
	case CRYPTECH_HSM_IOC_KEY_INFO: {
		struct cryptech_hsm_key_info *k = arg;

		fk.info_calls++;
		k->type = fk.key_type;
		k->curve = fk.curve;
		k->flags = HSM_KEY_F_SIGN;
		return 0;
	}
	case CRYPTECH_HSM_IOC_PUBLIC_KEY: {
		struct cryptech_hsm_public_key *p = arg;

		fk.pub_calls++;
		if (p->der_len < fk.spki_len) {
			p->der_len = fk.spki_len;
			errno = ENOSPC;
			return -1;
		}
		memcpy((void *)(uintptr_t)p->der, fk.spki, fk.spki_len);
		p->der_len = fk.spki_len;
		return 0;
	}
	case CRYPTECH_HSM_IOC_SIGN: {
		struct cryptech_hsm_sign *sg = arg;

		fk.sign_calls++;
		sg->board_status = fk.sign_status;
		/* The kernel's map: status 41 is ENOSPC; sig_len untouched. */
		errno = fk.sign_status == 41 ? ENOSPC : EIO;
		return -1;
	}
	}
	errno = ENOTTY;
	return -1;
}

FIXTURE(key) {
	struct hsm_session *s;
};

FIXTURE_SETUP(key)
{
	memset(&fk, 0, sizeof(fk));
	ASSERT_EQ(0, hsm_open("/dev/null", &self->s));
}

FIXTURE_TEARDOWN(key)
{
	hsm_close(self->s);
}

static void set_attr(int i, uint32_t type, int present, uint32_t len)
{
	fk.types[i] = type;
	fk.present[i] = present;
	fk.lens[i] = len;
}

TEST_F(key, optional_on_a_key_without_attributes)
{
	const uint32_t types[3] = { 0x0, 0x3, 0x102 };
	struct hsm_attr *a = NULL;
	uint32_t st = 7;
	int i;

	ASSERT_EQ(0, hsm_get_attributes(self->s, 1, types, 3,
					HSM_ATTRS_OPTIONAL, &a, &st));
	EXPECT_EQ(0u, st);
	EXPECT_EQ(1u, fk.len_calls);
	EXPECT_EQ(0u, fk.get_calls);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(types[i], a[i].type);
		EXPECT_EQ(0u, a[i].len);
		EXPECT_EQ(NULL, a[i].value);
	}
	free(a);
	/* Without OPTIONAL the board's refusal stands. */
	EXPECT_EQ(-ENODATA, hsm_get_attributes(self->s, 1, types, 3, 0, &a,
					       &st));
	EXPECT_EQ(40u, st);
}

TEST_F(key, second_read_is_sized_from_the_lengths)
{
	const uint32_t types[3] = { 0x3, 0x102, 0x999 };
	struct hsm_attr *a = NULL;

	set_attr(0, 0x3, 1, 2000);	/* bigger than any fixed first guess */
	set_attr(1, 0x102, 1, 5);
	ASSERT_EQ(0, hsm_get_attributes(self->s, 1, types, 3,
					HSM_ATTRS_OPTIONAL, &a, NULL));
	EXPECT_EQ(1u, fk.len_calls);
	EXPECT_EQ(1u, fk.get_calls);	/* no ENOSPC round */
	EXPECT_EQ(8u + 2000 + 8 + 8, fk.last_room);
	EXPECT_EQ(2000u, a[0].len);
	EXPECT_EQ('a', ((const char *)a[0].value)[1999]);
	EXPECT_EQ(5u, a[1].len);
	EXPECT_EQ('b', ((const char *)a[1].value)[4]);
	EXPECT_EQ(NULL, a[2].value);
	free(a);
}

TEST_F(key, tell_empty_from_absent)
{
	const uint32_t types[5] = { 0x3, 0x102, 0x999, 0x998, 0x0 };
	struct hsm_attr *a = NULL;

	set_attr(0, 0x3, 1, 0);		/* empty label: legal */
	set_attr(1, 0x102, 1, 3);
	set_attr(2, 0x0, 1, 0);		/* empty class, present */
	/* Without TELL_EMPTY both kinds look alike, in two requests. */
	ASSERT_EQ(0, hsm_get_attributes(self->s, 1, types, 5,
					HSM_ATTRS_OPTIONAL, &a, NULL));
	EXPECT_EQ(NULL, a[0].value);
	EXPECT_EQ(NULL, a[2].value);
	EXPECT_EQ(2u, fk.len_calls + fk.get_calls);
	free(a);

	ASSERT_EQ(0, hsm_get_attributes(self->s, 1, types, 5,
					HSM_ATTRS_OPTIONAL |
					HSM_ATTRS_TELL_EMPTY, &a, NULL));
	EXPECT_NE(NULL, a[0].value);
	EXPECT_EQ(0u, a[0].len);
	EXPECT_EQ(3u, a[1].len);
	EXPECT_EQ(NULL, a[2].value);
	EXPECT_EQ(NULL, a[3].value);
	EXPECT_NE(NULL, a[4].value);
	EXPECT_EQ(0u, a[4].len);
	free(a);
	/* TELL_EMPTY needs OPTIONAL. */
	EXPECT_EQ(-EINVAL, hsm_get_attributes(self->s, 1, types, 5,
					      HSM_ATTRS_TELL_EMPTY, &a, NULL));
}

/* Append a DER header (tag, 2-byte long-form length) to @p. */
static unsigned char *hdr(unsigned char *p, unsigned char tag, unsigned len)
{
	*p++ = tag;
	*p++ = 0x82;
	*p++ = (unsigned char)(len >> 8);
	*p++ = (unsigned char)len;
	return p;
}

/* An RSA SubjectPublicKeyInfo whose modulus has @bytes bytes (+ sign 00). */
static void make_rsa_spki(unsigned bytes)
{
	unsigned mod = bytes + 1, rsapub = 4 + mod + 5;
	unsigned bits = 1 + 4 + rsapub, total = 15 + 4 + bits;
	unsigned char *p = fk.spki;

	p = hdr(p, 0x30, total);
	memcpy(p, "\x30\x0d\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01\x05\x00", 15);
	p += 15;
	p = hdr(p, 0x03, bits);
	*p++ = 0;
	p = hdr(p, 0x30, rsapub);
	p = hdr(p, 0x02, mod);
	*p++ = 0;
	memset(p, 0xc5, bytes);
	p += bytes;
	memcpy(p, "\x02\x03\x01\x00\x01", 5);
	p += 5;
	fk.spki_len = (uint32_t)(p - fk.spki);
}

TEST_F(key, signature_size_never_signs)
{
	static const struct { uint32_t curve; size_t len; } ec[] = {
		{ HSM_CURVE_P256, 64 }, { HSM_CURVE_P384, 96 },
		{ HSM_CURVE_P521, 132 },
	};
	size_t len, i;

	fk.key_type = HSM_KEY_EC_PRIVATE;
	for (i = 0; i < 3; i++) {
		fk.curve = ec[i].curve;
		ASSERT_EQ(0, hsm_signature_size(self->s, 1, &len, NULL));
		EXPECT_EQ(ec[i].len, len);
	}
	EXPECT_EQ(0u, fk.pub_calls);

	fk.key_type = HSM_KEY_RSA_PRIVATE;
	fk.curve = 0;
	make_rsa_spki(256);
	ASSERT_EQ(0, hsm_signature_size(self->s, 1, &len, NULL));
	EXPECT_EQ(256u, len);
	make_rsa_spki(384);
	fk.key_type = HSM_KEY_RSA_PUBLIC;
	ASSERT_EQ(0, hsm_signature_size(self->s, 1, &len, NULL));
	EXPECT_EQ(384u, len);
	EXPECT_EQ(0u, fk.sign_calls);

	/* A truncated SPKI is the kernel's fault, not a size. */
	fk.spki_len = 30;
	EXPECT_EQ(-EPROTO, hsm_signature_size(self->s, 1, &len, NULL));
	fk.key_type = 7;
	EXPECT_EQ(-EINVAL, hsm_signature_size(self->s, 1, &len, NULL));
	EXPECT_EQ(-EINVAL, hsm_signature_size(self->s, 1, NULL, NULL));
}

TEST_F(key, sign_reports_keystore_full_as_itself)
{
	unsigned char sig[HSM_SIGNATURE_MAX];
	size_t len = sizeof(sig);
	uint32_t st = 0;

	fk.sign_status = 41;
	EXPECT_EQ(-ENOSPC, hsm_sign(self->s, 1, "digest", 6, sig, &len, &st));
	EXPECT_EQ(41u, st);
	EXPECT_EQ(sizeof(sig), len);
}

/* ---- events --------------------------------------------------------- */

static struct nl_msg *event_msg(int with_index)
{
	struct nl_msg *m = nlmsg_alloc();

	genlmsg_put(m, 0, 0, 0x20, 0, 0, CRYPTECH_HSM_CMD_EVENT, 1);
	nla_put_u32(m, CRYPTECH_HSM_A_EVENT, CRYPTECH_HSM_EVENT_DETACHED);
	if (with_index)
		nla_put_u32(m, CRYPTECH_HSM_A_INDEX, 2);
	nla_put_string(m, CRYPTECH_HSM_A_DEV_NAME, "hsm2");
	nla_put_string(m, CRYPTECH_HSM_A_BOARD_ID, "EMU00002");
	return m;
}

TEST(event_parse)
{
	struct nl_msg *m = event_msg(1);
	struct hsm_event e;

	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, hsm_event_parse(nlmsg_hdr(m), &e));
	EXPECT_EQ((uint32_t)HSM_EVENT_DETACHED, e.type);
	EXPECT_EQ(2u, e.index);
	EXPECT_STREQ("hsm2", e.dev_name);
	EXPECT_STREQ("", e.tty_name);
	EXPECT_STREQ("EMU00002", e.board_id);
	EXPECT_STREQ("detached", hsm_event_name(e.type));
	EXPECT_STREQ("unknown", hsm_event_name(99));
	nlmsg_free(m);
	/* The index is what a listener acts on: without it, malformed. */
	m = event_msg(0);
	EXPECT_EQ(-EPROTO, hsm_event_parse(nlmsg_hdr(m), &e));
	nlmsg_free(m);
}

/* A kernel-session event carries the new login state; others do not. */
TEST(event_parse_kernel_user)
{
	struct nl_msg *m = nlmsg_alloc();
	struct hsm_event e;
	uint32_t user = 99;

	ASSERT_NE(NULL, m);
	genlmsg_put(m, 0, 0, 0x20, 0, 0, CRYPTECH_HSM_CMD_EVENT, 1);
	nla_put_u32(m, CRYPTECH_HSM_A_EVENT, CRYPTECH_HSM_EVENT_KERNEL_SESSION);
	nla_put_u32(m, CRYPTECH_HSM_A_INDEX, 1);
	nla_put_u32(m, CRYPTECH_HSM_A_KERNEL_USER, CRYPTECH_HSM_USER_WHEEL);
	ASSERT_EQ(0, hsm_event_parse_ex(nlmsg_hdr(m), &e, &user));
	EXPECT_EQ((uint32_t)HSM_EVENT_KERNEL_SESSION, e.type);
	EXPECT_EQ((uint32_t)HSM_USER_WHEEL, user);
	EXPECT_STREQ("kernel-session", hsm_event_name(e.type));
	nlmsg_free(m);
	m = event_msg(1);
	user = 99;
	ASSERT_EQ(0, hsm_event_parse_ex(nlmsg_hdr(m), &e, &user));
	EXPECT_EQ((uint32_t)HSM_USER_NONE, user);
	nlmsg_free(m);
}

TEST(events_argument_checks)
{
	struct hsm_event e;

	EXPECT_EQ(-EINVAL, hsm_events_open(NULL, NULL, 0));
	EXPECT_EQ(-EINVAL, hsm_events_read(NULL, &e));
	EXPECT_EQ(-EINVAL, hsm_events_read_ex(NULL, &e, NULL));
	EXPECT_EQ(-EINVAL, hsm_events_fd(NULL));
	hsm_events_close(NULL);
}

TEST_HARNESS_MAIN
