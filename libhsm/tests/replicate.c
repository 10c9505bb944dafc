// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * hsm_key_replicate() and its helpers against two emulated boards: the
 * emulator's board in this process behind the cryptech_hsm ioctls (the
 * PKCS#11 suite's seam, pkcs11/tests/seam.c). Pairs made as the PKCS#11
 * module makes them (private key, public-key object of the same SPKI, both
 * with attributes) are copied: public keys and attributes equal on the
 * destination, the source untouched; a key that is not exportable and
 * failures injected part-way (-Wl,--wrap=ioctl) leave nothing on it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <linux/cryptech_hsm.h>

#include "kselftest_harness.h"

#include <hsm/hsm.h>
#include <hsm/replicate.h>

#include "seam.h"

/* ---- Failure injection: libhsm's ioctl()s pass through here ---------- */

static struct {
	int fd;			/* the file whose requests fail */
	unsigned long cmd;	/* this request... */
	unsigned skip;		/* ...after this many went through */
	int err;		/* 0: injection off */
} inject;

int __real_ioctl(int fd, unsigned long cmd, ...);
int __wrap_ioctl(int fd, unsigned long cmd, ...);

int __wrap_ioctl(int fd, unsigned long cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (inject.err && fd == inject.fd && cmd == inject.cmd) {
		if (inject.skip) {
			inject.skip--;
		} else {
			errno = inject.err;
			inject.err = 0;
			return -1;
		}
	}
	return __real_ioctl(fd, cmd, arg);
}

/* ---- Keys as the PKCS#11 module makes them ---------------------------- */

#define CKA_CLASS	0x000u
#define CKA_LABEL	0x003u
#define CKA_ID		0x102u
#define CKA_SIGN	0x108u
#define CKA_VERIFY	0x10au

static const unsigned char priv_class[8] = { 3 }, pub_class[8] = { 2 };
static const unsigned char yes = 1;

struct pair {
	uint8_t priv[HSM_UUID_LEN], pub[HSM_UUID_LEN];
};

/* A pair on @s: generated private key and its SPKI loaded as a public key. */
static int make_pair(struct hsm_session *s, int rsa, uint32_t priv_flags,
		     const char *label, const char *id, struct pair *p)
{
	const struct hsm_attr priv_attrs[] = {
		{ CKA_CLASS, sizeof(priv_class), priv_class },
		{ CKA_LABEL, (uint32_t)strlen(label), label },
		{ CKA_ID, (uint32_t)strlen(id), id },
		{ CKA_SIGN, 1, &yes },
	};
	const struct hsm_attr pub_attrs[] = {
		{ CKA_CLASS, sizeof(pub_class), pub_class },
		{ CKA_LABEL, (uint32_t)strlen(label), label },
		{ CKA_ID, (uint32_t)strlen(id), id },
		{ CKA_VERIFY, 1, &yes },
	};
	const uint32_t pub_flags = HSM_KEY_F_SIGN | HSM_KEY_F_TOKEN |
				   HSM_KEY_F_PUBLIC | HSM_KEY_F_EXPORTABLE;
	unsigned char *spki = NULL;
	uint32_t h, ph, st;
	size_t len;
	int ret;

	ret = rsa ? hsm_generate_rsa(s, 2048, 0, priv_flags, &h, p->priv, &st)
		  : hsm_generate_ec(s, HSM_CURVE_P256, priv_flags, &h, p->priv,
				    &st);
	if (ret)
		return ret;
	ret = hsm_set_attributes(s, h, priv_attrs, 4, &st);
	if (!ret)
		ret = hsm_public_key_alloc(s, h, &spki, &len, &st);
	if (!ret)
		ret = hsm_load_der(s, spki, len, pub_flags, &ph, p->pub, &st);
	free(spki);
	if (!ret) {
		ret = hsm_set_attributes(s, ph, pub_attrs, 4, &st);
		hsm_close_key(s, ph, &st);
	}
	hsm_close_key(s, h, &st);
	return ret;
}

/* The SPKI, flags and copied attributes of key @uuid, as one string. */
struct key_view {
	uint32_t type, flags;
	unsigned char *spki;
	size_t spki_len;
	struct hsm_attr *attrs;
	size_t n_attrs;
};

static int view(struct hsm_session *s, const uint8_t uuid[HSM_UUID_LEN],
		struct key_view *v)
{
	struct hsm_key_info info;
	uint32_t h, st;
	int ret;

	memset(v, 0, sizeof(*v));
	ret = hsm_open_key(s, uuid, &h, &st);
	if (ret)
		return ret;
	ret = hsm_key_info(s, h, &info, &st);
	if (!ret)
		ret = hsm_public_key_alloc(s, h, &v->spki, &v->spki_len, &st);
	if (!ret)
		ret = hsm_copied_attributes(s, h, &v->attrs, &v->n_attrs, &st);
	v->type = info.type;
	v->flags = info.flags;
	hsm_close_key(s, h, &st);
	return ret;
}

static void view_free(struct key_view *v)
{
	free(v->spki);
	free(v->attrs);
}

/* 1 when both views show the same key: type, flags, SPKI, attributes. */
static int same(const struct key_view *a, const struct key_view *b)
{
	size_t i;

	if (a->type != b->type || a->flags != b->flags ||
	    a->spki_len != b->spki_len || a->n_attrs != b->n_attrs ||
	    memcmp(a->spki, b->spki, a->spki_len))
		return 0;
	for (i = 0; i < a->n_attrs; i++)
		if (a->attrs[i].type != b->attrs[i].type ||
		    a->attrs[i].len != b->attrs[i].len ||
		    memcmp(a->attrs[i].value, b->attrs[i].value, a->attrs[i].len))
			return 0;
	return 1;
}

static size_t token_keys(struct hsm_session *s)
{
	const struct hsm_match_filter f = {
		.mask = HSM_KEY_F_TOKEN, .flags = HSM_KEY_F_TOKEN,
	};
	uint8_t (*found)[HSM_UUID_LEN] = NULL;
	size_t n = 0;
	uint32_t st;

	if (hsm_match_all(s, &f, &found, &n, &st))
		return (size_t)-1;
	free(found);
	return n;
}

/* ---- The two boards ------------------------------------------------------ */

FIXTURE(boards) {
	char dir[64];
	struct hsm_session *a, *b;
};

FIXTURE_SETUP(boards)
{
	static const char *const ids[2] = { "EMU-REPL-A", "EMU-REPL-B" };
	struct hsm_session **s[2] = { &self->a, &self->b };
	char sub[128];
	uint32_t st;
	int i, bi;

	snprintf(self->dir, sizeof(self->dir), "/tmp/libhsm-replicate.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	for (i = 0; i < 2; i++) {
		snprintf(sub, sizeof(sub), "%s/%d", self->dir, i);
		ASSERT_EQ(0, mkdir(sub, 0700));
		bi = seam_board_add(sub, ids[i]);
		ASSERT_LE(0, bi) TH_LOG("the emulated board in %s did not start", sub);
		ASSERT_EQ(0, hsm_open(seam_board_path(bi), s[i]));
		ASSERT_EQ(0, hsm_login(*s[i], HSM_USER_NORMAL, SEAM_USER_PIN,
				       strlen(SEAM_USER_PIN), &st));
	}
}

FIXTURE_TEARDOWN(boards)
{
	char cmd[128];

	hsm_close(self->a);
	hsm_close(self->b);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	if (system(cmd) != 0)
		TH_LOG("could not remove %s", self->dir);
}

static const uint32_t exportable = HSM_KEY_F_SIGN | HSM_KEY_F_TOKEN |
				   HSM_KEY_F_EXPORTABLE;

static void check_copy(struct __test_metadata *_metadata,
		       struct hsm_session *src, struct hsm_session *dst,
		       const uint8_t *src_uuid, const uint8_t *dst_uuid)
{
	struct key_view x, y;

	ASSERT_EQ(0, view(src, src_uuid, &x));
	ASSERT_EQ(0, view(dst, dst_uuid, &y));
	EXPECT_NE(0, (int)x.n_attrs);
	EXPECT_TRUE(same(&x, &y));
	view_free(&x);
	view_free(&y);
}

static void replicate_pair(struct __test_metadata *_metadata,
			   FIXTURE_DATA(boards) *self, int rsa)
{
	uint8_t new_priv[HSM_UUID_LEN], new_pub[HSM_UUID_LEN];
	static const uint8_t zero[HSM_UUID_LEN];
	struct pair p;
	uint32_t st = 99;

	ASSERT_EQ(0, make_pair(self->a, rsa, exportable, "zone-ksk", "k1", &p));
	ASSERT_EQ(0, hsm_key_replicate(self->a, self->b, p.priv, new_priv,
				       new_pub, &st));
	EXPECT_EQ(0, st);
	EXPECT_NE(0, memcmp(new_pub, zero, sizeof(zero)));
	check_copy(_metadata, self->a, self->b, p.priv, new_priv);
	check_copy(_metadata, self->a, self->b, p.pub, new_pub);
	/* The pair, and the KEKEK made for it. */
	EXPECT_EQ(3, token_keys(self->b));
	EXPECT_EQ(2, token_keys(self->a));
}

TEST_F(boards, ec_p256_pair)
{
	replicate_pair(_metadata, self, 0);
}

TEST_F(boards, rsa_2048_pair)
{
	replicate_pair(_metadata, self, 1);
}

/* A private key alone (hsmctl key generate): no public object to copy. */
TEST_F(boards, private_key_alone)
{
	uint8_t uuid[HSM_UUID_LEN], new_priv[HSM_UUID_LEN], new_pub[HSM_UUID_LEN];
	static const uint8_t zero[HSM_UUID_LEN];
	uint32_t h, st;

	ASSERT_EQ(0, hsm_generate_ec(self->a, HSM_CURVE_P256, exportable, &h,
				     uuid, &st));
	hsm_close_key(self->a, h, &st);
	memset(new_pub, 0xff, sizeof(new_pub));
	ASSERT_EQ(0, hsm_key_replicate(self->a, self->b, uuid, new_priv,
				       new_pub, &st));
	EXPECT_EQ(0, memcmp(new_pub, zero, sizeof(zero)));
	EXPECT_EQ(2, token_keys(self->b));
}

/* The existing KEKEK of the destination is used, not a second one. */
TEST_F(boards, existing_kekek_reused)
{
	uint8_t kekek[HSM_UUID_LEN], again[HSM_UUID_LEN], n1[16], n2[16];
	unsigned char *spki = NULL;
	struct pair p, q;
	uint32_t h, st;
	size_t len;
	int generated = -1;

	ASSERT_EQ(0, hsm_kekek_get(self->b, 1024, &h, kekek, &spki, &len,
				   &generated, &st));
	EXPECT_EQ(1, generated);
	hsm_close_key(self->b, h, &st);
	free(spki);
	ASSERT_EQ(0, make_pair(self->a, 0, exportable, "a", "1", &p));
	ASSERT_EQ(0, make_pair(self->a, 0, exportable, "b", "2", &q));
	ASSERT_EQ(0, hsm_key_replicate(self->a, self->b, p.priv, n1, n2, &st));
	ASSERT_EQ(0, hsm_key_replicate(self->a, self->b, q.priv, n1, n2, &st));
	EXPECT_EQ(5, token_keys(self->b));
	ASSERT_EQ(0, hsm_kekek_get(self->b, 1024, &h, again, &spki, &len,
				   &generated, &st));
	EXPECT_EQ(0, generated);
	EXPECT_EQ(0, memcmp(kekek, again, sizeof(kekek)));
	hsm_close_key(self->b, h, &st);
	free(spki);
}

TEST_F(boards, not_exportable_is_eperm)
{
	uint8_t n1[HSM_UUID_LEN], n2[HSM_UUID_LEN];
	struct pair p;
	uint32_t st;

	ASSERT_EQ(0, make_pair(self->a, 0, HSM_KEY_F_SIGN | HSM_KEY_F_TOKEN,
			       "stay", "s", &p));
	EXPECT_EQ(-EPERM, hsm_key_replicate(self->a, self->b, p.priv, n1, n2,
					    &st));
	/* Nothing on B, not even a KEKEK. */
	EXPECT_EQ(0, token_keys(self->b));
}

/* A public key is no pair to copy; neither is the same session twice. */
TEST_F(boards, bad_arguments)
{
	uint8_t n1[HSM_UUID_LEN], n2[HSM_UUID_LEN], none[HSM_UUID_LEN] = { 1 };
	struct pair p;
	uint32_t st;

	ASSERT_EQ(0, make_pair(self->a, 0, exportable, "x", "x", &p));
	EXPECT_EQ(-EINVAL, hsm_key_replicate(self->a, self->b, p.pub, n1, n2, &st));
	EXPECT_EQ(-EINVAL, hsm_key_replicate(self->a, self->a, p.priv, n1, n2, &st));
	EXPECT_EQ(-ENOENT, hsm_key_replicate(self->a, self->b, none, n1, n2, &st));
	EXPECT_EQ(0, token_keys(self->b));
}

/*
 * A request failing on B part-way: after the private key's import (its
 * attributes, the public object's load, the public object's attributes).
 * Only B's KEKEK may remain.
 */
static void fail_on_b(struct __test_metadata *_metadata,
		      FIXTURE_DATA(boards) *self, unsigned long cmd,
		      unsigned skip)
{
	uint8_t n1[HSM_UUID_LEN], n2[HSM_UUID_LEN];
	struct pair p;
	uint32_t st;

	ASSERT_EQ(0, make_pair(self->a, 0, exportable, "half", "h", &p));
	inject.fd = hsm_session_fd(self->b);
	inject.cmd = cmd;
	inject.skip = skip;
	inject.err = EIO;
	EXPECT_EQ(-EIO, hsm_key_replicate(self->a, self->b, p.priv, n1, n2, &st));
	EXPECT_EQ(0, inject.err) TH_LOG("the injected failure never happened");
	EXPECT_EQ(1, token_keys(self->b));
	EXPECT_EQ(2, token_keys(self->a));
	/* And a second try, without the failure, copies the pair. */
	EXPECT_EQ(0, hsm_key_replicate(self->a, self->b, p.priv, n1, n2, &st));
	EXPECT_EQ(3, token_keys(self->b));
}

TEST_F(boards, fail_private_attributes)
{
	fail_on_b(_metadata, self, CRYPTECH_HSM_IOC_SET_ATTRS, 0);
}

TEST_F(boards, fail_public_load)
{
	fail_on_b(_metadata, self, CRYPTECH_HSM_IOC_LOAD, 0);
}

TEST_F(boards, fail_public_attributes)
{
	fail_on_b(_metadata, self, CRYPTECH_HSM_IOC_SET_ATTRS, 1);
}

TEST_F(boards, fail_import)
{
	fail_on_b(_metadata, self, CRYPTECH_HSM_IOC_IMPORT, 0);
}

TEST_HARNESS_MAIN
