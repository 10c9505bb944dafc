// SPDX-License-Identifier: GPL-2.0
/*
 * Signatures on the boards, for in-kernel users (issue 10 point 3), as
 * akcipher algorithms of the crypto API, driver names "cryptech-*":
 *   ecdsa-nist-p256       cryptech-ecdsa-nist-p256
 *   ecdsa-nist-p384       cryptech-ecdsa-nist-p384
 *   pkcs1pad(rsa,sha1)    cryptech-pkcs1pad-rsa-sha1
 *   pkcs1pad(rsa,sha256)  cryptech-pkcs1pad-rsa-sha256
 *   pkcs1pad(rsa,sha384)  cryptech-pkcs1pad-rsa-sha384
 *   pkcs1pad(rsa,sha512)  cryptech-pkcs1pad-rsa-sha512
 * Each verifies with a key from set_pub_key and signs (and verifies) with
 * a key from set_priv_key. The kernel's X.509 parser and keyctl
 * pkey_verify reach them by name; Debian's 6.1 has no software ECDSA.
 *
 * Key formats, as crypto/ecdsa.c and crypto/rsa.c take them where they
 * can. ECDSA: set_pub_key the uncompressed point 04 || X || Y;
 * set_priv_key an RFC 5915 ECPrivateKey DER, SEQUENCE { INTEGER 1, OCTET
 * STRING d (the curve's length, 0 < d < n), [0] curve OID (optional; must
 * be the algorithm's), [1] BIT STRING the uncompressed public point
 * (required: RFC 5915 says to include it, the board stores it, and it
 * lets verify work on the same transform) }. RSA: set_pub_key a PKCS#1
 * RSAPublicKey DER SEQUENCE { n, e }; set_priv_key a PKCS#1 RSAPrivateKey
 * DER SEQUENCE { 0, n, e, d, p, q, dP, dQ, qInv }; every INTEGER positive
 * and minimal, n of 1024 to 4096 bits in whole bytes and e = 65537 (what
 * the board signs with, protocol §6.11). Both: strict DER, nothing after
 * it. set_priv_key parses every byte (hostile input) without asking the
 * board, keeps the key as the PKCS#8 PrivateKeyInfo PKEY_LOAD takes (wiped
 * on replace and at exit_tfm) and derives the SubjectPublicKeyInfo.
 *
 * Registration is shared by all boards, per group of algorithms
 * (struct hsm_akc_group): the first board counted registers the group, the
 * last one uncounted unregisters it, in reverse order. The ECDSA group
 * counts boards READY with their kernel session (hsm_akcipher_board_up()
 * from hsm_board_publish(), hsm_akcipher_board_down() from
 * hsm_board_kill()). The RSA group counts boards whose kernel session is
 * logged in (hsm_akcipher_login_changed() after a KERNEL_LOGIN or
 * KERNEL_LOGOUT, and hsm_akcipher_board_down()): testmgr's
 * pkcs1pad(rsa,sha256) vector signs with a private key after
 * set_priv_key, and the board loads private keys only under a login, which
 * no board has when it comes up (the ECDSA vectors of 6.1 only verify).
 * Registering runs the crypto manager's self-tests synchronously in
 * another thread, and their requests go to the boards: the registering
 * thread holds the board's state_mutex and hsm_akc_lock meanwhile (never
 * ksession_rwsem), so the request path takes neither. A board that
 * cannot answer them (unplugged, broken, hostile) fails them with -ENOENT,
 * which testmgr only logs, and the untested group is withdrawn until the
 * next board is counted. The crypto API must not unregister an algorithm
 * while a transform of it exists (it warns and leaks): while any transform
 * is alive the last board leaves the group registered, its requests
 * failing with -ENODEV, and the next uncount or the module's unload
 * unregisters it.
 *
 * Requests: the caller may not sleep, so each one is a work item on
 * hsm_akc_wq that completes the request. A verify uses the kernel session
 * (ksession.c) of the first listed board that is alive, without login: the
 * key is loaded as a volatile PUBLIC key (DIGITALSIGNATURE|PUBLIC, not
 * TOKEN), which needs none (protocol §5.5, §7.3). Per request: PKEY_LOAD of
 * the key as SubjectPublicKeyInfo, PKEY_VERIFY (of the digest against
 * r || s, or of the DigestInfo against the RSA signature), PKEY_DELETE of
 * the key. A board that goes away meanwhile (-ENODEV) is given up for the
 * next; when none is left the request fails with -ENODEV.
 *
 * A sign needs the private key on a board: the first one loads it
 * (volatile, DIGITALSIGNATURE only) into the kernel session of the first
 * listed board that is alive and logged in (hsmctl kernel-login; without
 * one, -EACCES and a rate-limited log line from hsm_ksession_get()), and
 * the transform remembers that board (referenced; a board never comes back
 * to life, so the pointer and its liveness are its instance) and the
 * key's handle, under the transform's mutex. Later signs use that copy; a
 * board gone (-ENODEV), or a kernel-logout having deleted the key
 * (KEY_NOT_FOUND), makes the sign load it again, on another board if need
 * be. ECDSA: PKEY_SIGN of the digest gives r || s, returned as DER
 * Ecdsa-Sig-Value (what the x962 encoding and crypto/ecdsa.c verify take).
 * RSA: PKEY_SIGN of the DigestInfo of the algorithm's hash (the digest
 * must be that hash's length) gives the modulus-long signature. exit_tfm
 * deletes the key from the board if that board is still alive. Requests
 * on one transform may run at once: the mutex is held only while the key
 * is loaded or given up, not across PKEY_SIGN.
 *
 * Locking: hsm_akc_lock (a mutex) protects the groups' counts and
 * registered flags; it is taken under a board's state_mutex and held
 * across (un)registration. board->akcipher_up and board->akcipher_login
 * are under board->state_mutex. hsm_akc_tfms is an atomic count of live
 * transforms. A transform's mutex (struct hsm_akc_ctx) is taken before a
 * board's ksession_rwsem and never under it.
 */
#include <linux/atomic.h>
#include <linux/fips.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include <crypto/akcipher.h>
#include <crypto/internal/akcipher.h>

#include "compat.h"
#include "hsm.h"

#if HSM_HAVE_AKCIPHER_SIG

/* Bytes of a coordinate, and of the group order, of the largest curve. */
#define HSM_AKC_LEN_MAX		48
/* The longest digest a caller may give (SHA-512); longer ones are cut. */
#define HSM_AKC_DIGEST_MAX	64
/* The longest DER Ecdsa-Sig-Value: two INTEGERs of up to LEN_MAX + 1. */
#define HSM_AKC_SIG_MAX		(2 + 2 * (2 + HSM_AKC_LEN_MAX + 1))
/* The largest SubjectPublicKeyInfo: RSA-4096 with a 4-byte exponent. */
#define HSM_AKC_SPKI_MAX	600

#define HSM_AKC_KEY_FLAGS	(CRYPTECH_HSM_KEY_F_SIGN | CRYPTECH_HSM_KEY_F_PUBLIC)

/*
 * Priority of the algorithms in the crypto API. The kernel's software
 * implementations register at 100; below that, a kernel that has them
 * prefers them, and the board serves what the kernel lacks.
 */
static unsigned int hsm_akc_priority = 50;

static int hsm_akc_priority_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0, 1000);
}

static const struct kernel_param_ops hsm_akc_priority_ops = {
	.set = hsm_akc_priority_set,
	.get = param_get_uint,
};

module_param_cb(akcipher_priority, &hsm_akc_priority_ops, &hsm_akc_priority,
		0644);
MODULE_PARM_DESC(akcipher_priority,
		 "Crypto API priority of the boards' akcipher algorithms, ECDSA and pkcs1pad(rsa,...) (0..1000, default 50: below the software ones at 100). Taken when they are registered (ECDSA: first board attached; RSA: first kernel-login)");

/**
 * struct hsm_akc_curve - a curve the algorithms support
 * @spki_prefix:	DER of a SubjectPublicKeyInfo of the curve up to the
 *			BIT STRING's unused-bits octet; the point follows
 * @prefix_len:		bytes of @spki_prefix
 * @oid:		DER of the curve's OBJECT IDENTIFIER, in @spki_prefix
 * @oid_len:		bytes of @oid
 * @order:		the group order n, big-endian, @len bytes
 * @len:		bytes of a coordinate and of the group order
 */
struct hsm_akc_curve {
	const u8 *spki_prefix;
	unsigned int prefix_len;
	const u8 *oid;
	unsigned int oid_len;
	const u8 *order;
	unsigned int len;
};

/* SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING 00 ... } */
static const u8 hsm_akc_spki_p256[] = {
	0x30, 0x59, 0x30, 0x13,
	0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
	0x03, 0x42, 0x00,
};

/* SEQUENCE { SEQUENCE { id-ecPublicKey, secp384r1 }, BIT STRING 00 ... } */
static const u8 hsm_akc_spki_p384[] = {
	0x30, 0x76, 0x30, 0x10,
	0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
	0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22,
	0x03, 0x62, 0x00,
};

static const u8 hsm_akc_order_p256[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
	0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

static const u8 hsm_akc_order_p384[48] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xc7, 0x63, 0x4d, 0x81, 0xf4, 0x37, 0x2d, 0xdf,
	0x58, 0x1a, 0x0d, 0xb2, 0x48, 0xb0, 0xa7, 0x7a,
	0xec, 0xec, 0x19, 0x6a, 0xcc, 0xc5, 0x29, 0x73,
};

/* The curve OID starts after SEQUENCE, SEQUENCE and id-ecPublicKey. */
#define HSM_AKC_OID_OFF		13

static const struct hsm_akc_curve hsm_akc_p256 = {
	.spki_prefix = hsm_akc_spki_p256,
	.prefix_len = sizeof(hsm_akc_spki_p256),
	.oid = hsm_akc_spki_p256 + HSM_AKC_OID_OFF,
	.oid_len = 10,
	.order = hsm_akc_order_p256,
	.len = 32,
};

static const struct hsm_akc_curve hsm_akc_p384 = {
	.spki_prefix = hsm_akc_spki_p384,
	.prefix_len = sizeof(hsm_akc_spki_p384),
	.oid = hsm_akc_spki_p384 + HSM_AKC_OID_OFF,
	.oid_len = 7,
	.order = hsm_akc_order_p384,
	.len = 48,
};

/**
 * struct hsm_akc_hash - the hash of a pkcs1pad(rsa,...) algorithm
 * @prefix:	DER of its DigestInfo up to the digest (RFC 8017 §9.2)
 * @prefix_len:	bytes of @prefix
 * @len:	bytes of its digest
 */
struct hsm_akc_hash {
	const u8 *prefix;
	unsigned int prefix_len;
	unsigned int len;
};

/**
 * struct hsm_akc_alg - one registered algorithm
 * @alg:	what the crypto API sees
 * @curve:	its curve (ECDSA), or NULL
 * @hash:	its hash (RSA), or NULL
 */
struct hsm_akc_alg {
	struct akcipher_alg alg;
	const struct hsm_akc_curve *curve;
	const struct hsm_akc_hash *hash;
};

/**
 * struct hsm_akc_ctx - a transform
 * @curve:	its algorithm's curve (ECDSA), or NULL
 * @hash:	its algorithm's hash (RSA), or NULL
 * @key_size:	RSA: bytes of the key's modulus; 0 while no key is set
 * @spki:	the public key as SubjectPublicKeyInfo, for PKEY_LOAD
 * @spki_len:	bytes in @spki; 0 while no key is set
 * @priv:	the private key as PKCS#8 PrivateKeyInfo, for PKEY_LOAD
 *		(kmalloc'd, wiped when freed); NULL while none is set
 * @priv_len:	bytes in @priv
 * @lock:	protects @board, @handle and @stale; held while the private
 *		key is loaded or given up, not while a request signs
 * @board:	the board whose kernel session holds the loaded private key
 *		(referenced), or NULL while it is loaded nowhere
 * @handle:	the kernel session's handle of the loaded key, on @board
 * @stale:	the loaded key is not @priv any more (set_priv_key replaced
 *		it): the next sign deletes it and loads @priv
 */
struct hsm_akc_ctx {
	const struct hsm_akc_curve *curve;
	const struct hsm_akc_hash *hash;
	unsigned int key_size;
	u8 spki[HSM_AKC_SPKI_MAX];
	unsigned int spki_len;
	u8 *priv;
	unsigned int priv_len;
	struct mutex lock;	/* the loaded key; rules above */
	struct hsm_board *board;
	u32 handle;
	bool stale;
};

/**
 * struct hsm_akc_req - a request's context
 * @work:	runs the request on hsm_akc_wq
 * @req:	the request this context belongs to
 * @sign:	a sign, else a verify
 */
struct hsm_akc_req {
	struct work_struct work;
	struct akcipher_request *req;
	bool sign;
};

static struct workqueue_struct *hsm_akc_wq;
static DEFINE_MUTEX(hsm_akc_lock);	/* rules in the header comment */
/*
 * Set while hsm_akc_register() waits for the crypto manager's self-tests:
 * the algorithms are not usable by anyone else until those pass, so every
 * request meanwhile is a self-test's (written under hsm_akc_lock).
 */
static bool hsm_akc_self_testing;
static atomic_t hsm_akc_tfms = ATOMIC_INIT(0);

static const struct hsm_akc_alg *hsm_akc_tfm_alg(struct crypto_akcipher *tfm)
{
	return container_of(crypto_akcipher_alg(tfm), struct hsm_akc_alg, alg);
}

static int hsm_akc_init_tfm(struct crypto_akcipher *tfm)
{
	struct hsm_akc_ctx *ctx = akcipher_tfm_ctx(tfm);

	ctx->curve = hsm_akc_tfm_alg(tfm)->curve;
	ctx->hash = hsm_akc_tfm_alg(tfm)->hash;
	ctx->key_size = 0;
	ctx->spki_len = 0;
	ctx->priv = NULL;
	ctx->priv_len = 0;
	mutex_init(&ctx->lock);
	ctx->board = NULL;
	ctx->stale = false;
	atomic_inc(&hsm_akc_tfms);
	return 0;
}

/*
 * Give up the loaded private key: delete it from the board's volatile
 * keystore if that board is still alive. Deleting needs the login the key
 * was loaded under; without it the board has deleted the key already (a
 * LOGOUT deletes the client's volatile keys, protocol §7.4) and closing
 * the handle is what is left to do. The caller holds ctx->lock or owns
 * the transform alone.
 */
static void hsm_akc_unload(struct hsm_akc_ctx *ctx)
{
	struct hsm_board *b = ctx->board;
	struct hsm_session *s;
	u32 st;

	if (!b)
		return;
	ctx->board = NULL;
	ctx->stale = false;
	s = hsm_ksession_get(b, false);
	if (!IS_ERR(s)) {
		if (hsm_key_delete(s, ctx->handle, &st))
			hsm_key_close(s, ctx->handle, &st);
		hsm_ksession_put(b);
	}
	hsm_board_put(b);
}

static void hsm_akc_forget_priv(struct hsm_akc_ctx *ctx)
{
	kfree_sensitive(ctx->priv);
	ctx->priv = NULL;
	ctx->priv_len = 0;
}

static void hsm_akc_exit_tfm(struct crypto_akcipher *tfm)
{
	struct hsm_akc_ctx *ctx = akcipher_tfm_ctx(tfm);

	hsm_akc_unload(ctx);
	hsm_akc_forget_priv(ctx);
	mutex_destroy(&ctx->lock);
	atomic_dec(&hsm_akc_tfms);
}

/* Keep the public point 04 || X || Y of @ctx's curve as SubjectPublicKeyInfo. */
static int hsm_akc_set_point(struct hsm_akc_ctx *ctx, const u8 *point,
			     unsigned int len)
{
	const struct hsm_akc_curve *c = ctx->curve;

	ctx->spki_len = 0;
	if (len != 1 + 2 * c->len || point[0] != 0x04)
		return -EINVAL;
	memcpy(ctx->spki, c->spki_prefix, c->prefix_len);
	memcpy(ctx->spki + c->prefix_len, point, len);
	ctx->spki_len = c->prefix_len + len;
	return 0;
}

/* Drop the private key; a copy loaded on a board goes at the next sign. */
static void hsm_akc_drop_priv(struct hsm_akc_ctx *ctx)
{
	mutex_lock(&ctx->lock);
	hsm_akc_forget_priv(ctx);
	ctx->stale = !!ctx->board;
	mutex_unlock(&ctx->lock);
}

/*
 * The key as crypto/ecdsa.c takes it: the uncompressed point 04 || X || Y,
 * each coordinate the curve's length. Whether the point is on the curve is
 * the board's to check, at verify. Replaces a private key.
 */
static int hsm_akc_set_pub_key(struct crypto_akcipher *tfm, const void *key,
			       unsigned int keylen)
{
	struct hsm_akc_ctx *ctx = akcipher_tfm_ctx(tfm);

	hsm_akc_drop_priv(ctx);
	return hsm_akc_set_point(ctx, key, keylen);
}

/*
 * Read the DER header of one element at *@p (before @end) with tag @tag:
 * *@val and *@len get its contents, which lie wholly before @end, and *@p
 * moves past it. Strict DER: definite lengths in their shortest form, up
 * to two length octets (no key here is longer).
 */
static int hsm_der_take(const u8 **p, const u8 *end, u8 tag, const u8 **val,
			size_t *len)
{
	const u8 *v = *p;
	size_t n, avail;

	if (end - v < 2 || v[0] != tag)
		return -EBADMSG;
	n = v[1];
	v += 2;
	if (n == 0x81) {
		if (end - v < 1 || v[0] < 0x80)
			return -EBADMSG;
		n = v[0];
		v += 1;
	} else if (n == 0x82) {
		if (end - v < 2 || v[0] == 0)
			return -EBADMSG;
		n = (size_t)v[0] << 8 | v[1];
		v += 2;
	} else if (n & 0x80) {
		return -EBADMSG;
	}
	avail = end - v;
	if (n > avail)
		return -EBADMSG;
	*val = v;
	*len = n;
	*p = v + n;
	return 0;
}

/* Write a DER header of @tag and @len at @out; return its length. */
static unsigned int hsm_der_put_hdr(u8 *out, u8 tag, size_t len)
{
	out[0] = tag;
	if (len < 0x80) {
		out[1] = len;
		return 2;
	}
	if (len < 0x100) {
		out[1] = 0x81;
		out[2] = len;
		return 3;
	}
	out[1] = 0x82;
	out[2] = len >> 8;
	out[3] = len;
	return 4;
}

/* The bytes of a DER header for @len content bytes. */
static unsigned int hsm_der_hdr_len(size_t len)
{
	return len < 0x80 ? 2 : len < 0x100 ? 3 : 4;
}

/* Whether the @len-byte big-endian @d is in [1, @n - 1]. */
static bool hsm_akc_scalar_ok(const u8 *d, const u8 *n, unsigned int len)
{
	return memchr_inv(d, 0, len) && memcmp(d, n, len) < 0;
}

/* id-ecPublicKey, the algorithm of an EC PrivateKeyInfo with the curve. */
static const u8 hsm_akc_ec_alg_oid[] = {
	0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
};

/*
 * The PKCS#8 PrivateKeyInfo the board takes (protocol §5.5, §7.5) of the
 * private scalar @d and public @point of @c, into a new buffer:
 * SEQUENCE { INTEGER 0, SEQUENCE { id-ecPublicKey, curve }, OCTET STRING
 * { ECPrivateKey: SEQUENCE { INTEGER 1, OCTET STRING d, [1] BIT STRING
 * point } } }.
 */
static u8 *hsm_akc_ec_pkcs8(const struct hsm_akc_curve *c, const u8 *d,
			    const u8 *point, unsigned int *out_len)
{
	size_t pt = 1 + 2 * c->len, bits = 1 + pt, ctx1, ecpk, alg, octet, all;
	u8 *buf, *o;

	ctx1 = hsm_der_hdr_len(bits) + bits;
	ecpk = 3 + 2 + c->len + hsm_der_hdr_len(ctx1) + ctx1;
	octet = hsm_der_hdr_len(ecpk) + ecpk;
	alg = sizeof(hsm_akc_ec_alg_oid) + c->oid_len;
	all = 3 + 2 + alg + hsm_der_hdr_len(octet) + octet;
	buf = kmalloc(hsm_der_hdr_len(all) + all, GFP_KERNEL);
	if (!buf)
		return NULL;
	o = buf;
	o += hsm_der_put_hdr(o, 0x30, all);
	*o++ = 0x02;
	*o++ = 0x01;
	*o++ = 0x00;
	o += hsm_der_put_hdr(o, 0x30, alg);
	memcpy(o, hsm_akc_ec_alg_oid, sizeof(hsm_akc_ec_alg_oid));
	o += sizeof(hsm_akc_ec_alg_oid);
	memcpy(o, c->oid, c->oid_len);
	o += c->oid_len;
	o += hsm_der_put_hdr(o, 0x04, octet);
	o += hsm_der_put_hdr(o, 0x30, ecpk);
	*o++ = 0x02;
	*o++ = 0x01;
	*o++ = 0x01;
	o += hsm_der_put_hdr(o, 0x04, c->len);
	memcpy(o, d, c->len);
	o += c->len;
	o += hsm_der_put_hdr(o, 0xa1, ctx1);
	o += hsm_der_put_hdr(o, 0x03, bits);
	*o++ = 0x00;
	memcpy(o, point, pt);
	o += pt;
	*out_len = o - buf;
	return buf;
}

/*
 * The private key as RFC 5915 ECPrivateKey DER (what "openssl ec -outform
 * DER" writes): SEQUENCE { INTEGER 1, OCTET STRING d (the curve's length,
 * 0 < d < n), [0] the curve's OID (optional; if present, this algorithm's
 * curve), [1] BIT STRING the uncompressed public point (required: the
 * board stores it, and verify on this transform uses it) }, nothing after
 * it. The board is not asked: the key is loaded at the first sign.
 */
static int hsm_akc_set_priv_key(struct crypto_akcipher *tfm, const void *key,
				unsigned int keylen)
{
	struct hsm_akc_ctx *ctx = akcipher_tfm_ctx(tfm);
	const struct hsm_akc_curve *c = ctx->curve;
	const u8 *p = key, *end = p + keylen, *seq, *v, *d, *point;
	unsigned int der_len;
	size_t n;
	u8 *der;
	int err;

	hsm_akc_drop_priv(ctx);
	ctx->spki_len = 0;
	if (hsm_der_take(&p, end, 0x30, &seq, &n) || p != end)
		return -EBADMSG;
	p = seq;
	end = seq + n;
	if (hsm_der_take(&p, end, 0x02, &v, &n) || n != 1 || v[0] != 1)
		return -EBADMSG;
	if (hsm_der_take(&p, end, 0x04, &d, &n) || n != c->len)
		return -EBADMSG;
	if (!hsm_akc_scalar_ok(d, c->order, c->len))
		return -EINVAL;
	if (p < end && p[0] == 0xa0) {
		if (hsm_der_take(&p, end, 0xa0, &v, &n))
			return -EBADMSG;
		if (n != c->oid_len || memcmp(v, c->oid, n))
			return -EINVAL;
	}
	if (hsm_der_take(&p, end, 0xa1, &v, &n) || p != end)
		return -EBADMSG;
	end = p;
	p = v;
	if (hsm_der_take(&p, end, 0x03, &v, &n) || p != end || n < 1 ||
	    v[0] != 0)
		return -EBADMSG;
	point = v + 1;
	err = hsm_akc_set_point(ctx, point, n - 1);
	if (err)
		return err;
	der = hsm_akc_ec_pkcs8(c, d, point, &der_len);
	if (!der) {
		ctx->spki_len = 0;
		return -ENOMEM;
	}
	mutex_lock(&ctx->lock);
	ctx->priv = der;
	ctx->priv_len = der_len;
	mutex_unlock(&ctx->lock);
	return 0;
}

static unsigned int hsm_akc_max_size(struct crypto_akcipher *tfm)
{
	struct hsm_akc_ctx *ctx = akcipher_tfm_ctx(tfm);

	return ctx->curve ? ctx->curve->len : ctx->key_size;
}

/*
 * Read one INTEGER at *@p (before @end) into @out as an unsigned number of
 * @len bytes, left-padded with zeros; advance *@p past it. As crypto/ecdsa.c
 * takes it: at most @len bytes, or @len + 1 with a leading zero octet.
 */
static int hsm_akc_der_uint(const u8 **p, const u8 *end, u8 *out,
			    unsigned int len)
{
	const u8 *v = *p;
	size_t n;

	if (end - v < 2 || v[0] != 0x02 || v[1] & 0x80)
		return -EBADMSG;
	n = v[1];
	v += 2;
	if (n > (size_t)(end - v))
		return -EBADMSG;
	*p = v + n;
	if (!n)
		return -EINVAL;
	if (n == len + 1 && !v[0]) {
		v++;
		n--;
	}
	if (n > len)
		return -EINVAL;
	memset(out, 0, len - n);
	memcpy(out + len - n, v, n);
	return 0;
}

/*
 * The signature as crypto/ecdsa.c takes it, an Ecdsa-Sig-Value
 * SEQUENCE { r INTEGER, s INTEGER } at the start of the @sig_len bytes at
 * @sig, into r || s as the board takes it, each @len bytes. Lengths here
 * stay below 128, so only the short form is valid. Bytes after the
 * SEQUENCE are ignored, as the kernel's ASN.1 decoder does: keyctl
 * pkey_verify on 6.1 passes max_sig_size bytes whatever the signature's
 * length.
 */
static int hsm_akc_parse_sig(const u8 *sig, size_t sig_len, u8 *rs,
			     unsigned int len)
{
	const u8 *p = sig + 2, *end;
	int err;

	if (sig_len < 2 || sig[0] != 0x30 || sig[1] & 0x80 ||
	    sig[1] > sig_len - 2)
		return -EBADMSG;
	end = p + sig[1];
	err = hsm_akc_der_uint(&p, end, rs, len);
	if (!err)
		err = hsm_akc_der_uint(&p, end, rs + len, len);
	if (!err && p != end)
		err = -EBADMSG;
	return err;
}

/* One verify on board @b: load the key, verify, delete the key. */
static int hsm_akc_verify_on(struct hsm_board *b, const struct hsm_akc_ctx *ctx,
			     const u8 *input, u32 input_len, const u8 *sig,
			     u32 sig_len)
{
	u8 uuid[HAL_UUID_LEN];
	struct hsm_session *s;
	u32 handle, st;
	int err, derr;

	s = hsm_ksession_get(b, false);
	if (IS_ERR(s))
		return PTR_ERR(s);
	err = hsm_key_load(s, ctx->spki, ctx->spki_len, HSM_AKC_KEY_FLAGS,
			   &handle, uuid, &st);
	if (!err) {
		err = hsm_key_verify(s, handle, input, input_len, sig, sig_len,
				     &st);
		derr = hsm_key_delete(s, handle, &st);
		/* Kept in the session's table; its clean-up deletes it. */
		if (derr && derr != -ENODEV)
			dev_warn_ratelimited(&b->dev,
					     "akcipher: deleting a loaded public key failed: %d\n",
					     derr);
	}
	hsm_ksession_put(b);
	return err;
}

/* The verify on the first listed board that does not go away under it. */
static int hsm_akc_verify_any(const struct hsm_akc_ctx *ctx, const u8 *input,
			      u32 input_len, const u8 *sig, u32 sig_len)
{
	unsigned long index = 0;
	struct hsm_board *b;
	int err = -ENODEV;

	while ((b = hsm_board_get_next(&index))) {
		err = hsm_akc_verify_on(b, ctx, input, input_len, sig,
					sig_len);
		hsm_board_put(b);
		if (err != -ENODEV)
			break;
		index++;
	}
	return err;
}

static int hsm_akc_verify_req(struct akcipher_request *req)
{
	struct hsm_akc_ctx *ctx = akcipher_tfm_ctx(crypto_akcipher_reqtfm(req));
	unsigned int len = ctx->curve->len;
	u8 buf[HSM_AKC_SIG_MAX + HSM_AKC_DIGEST_MAX];
	u8 rs[2 * HSM_AKC_LEN_MAX];
	unsigned int total;
	int nents, err;

	if (!ctx->spki_len)
		return -EINVAL;
	if (!req->src_len || req->src_len > 2 * (2 + len + 1) + 2 ||
	    !req->dst_len || req->dst_len > HSM_AKC_DIGEST_MAX)
		return -EINVAL;
	total = req->src_len + req->dst_len;
	nents = sg_nents_for_len(req->src, total);
	if (nents < 0)
		return nents;
	if (sg_pcopy_to_buffer(req->src, nents, buf, total, 0) != total)
		return -EINVAL;
	err = hsm_akc_parse_sig(buf, req->src_len, rs, len);
	if (err)
		return err;
	/* A digest longer than the order counts by its leftmost bytes. */
	return hsm_akc_verify_any(ctx, buf + req->src_len,
				  min(req->dst_len, len), rs, 2 * len);
}

/* The longest DER Ecdsa-Sig-Value of a curve of @len-byte order. */
static unsigned int hsm_akc_sig_der_max(unsigned int len)
{
	return 2 + 2 * (2 + len + 1);
}

/* Write one unsigned @len-byte big-endian number as a DER INTEGER. */
static unsigned int hsm_akc_put_uint(u8 *out, const u8 *v, unsigned int len)
{
	unsigned int n;

	while (len > 1 && !v[0]) {
		v++;
		len--;
	}
	n = len + (v[0] & 0x80 ? 1 : 0);
	out[0] = 0x02;
	out[1] = n;
	out[2] = 0;
	memcpy(out + 2 + n - len, v, len);
	return 2 + n;
}

/*
 * The board's r || s (@len bytes each) as the DER Ecdsa-Sig-Value that
 * crypto/ecdsa.c and the X.509 code take (x962 encoding); its length.
 */
static unsigned int hsm_akc_encode_sig(const u8 *rs, unsigned int len, u8 *out)
{
	unsigned int n;

	n = hsm_akc_put_uint(out + 2, rs, len);
	n += hsm_akc_put_uint(out + 2 + n, rs + len, len);
	out[0] = 0x30;
	out[1] = n;
	return 2 + n;
}

/*
 * Make sure the private key is loaded on a live board, into the kernel
 * session of the first listed board that takes it; hold that board in
 * *@bp (referenced) with the key's handle in *@handle. A copy on a board
 * that went away went with its kernel session.
 */
static int hsm_akc_load(struct hsm_akc_ctx *ctx, struct hsm_board **bp,
			u32 *handle)
{
	unsigned long index = 0;
	u8 uuid[HAL_UUID_LEN];
	struct hsm_session *s;
	struct hsm_board *b;
	int err = -ENODEV;
	u32 st;

	mutex_lock(&ctx->lock);
	if (ctx->board && (ctx->stale || !hsm_board_alive(ctx->board)))
		hsm_akc_unload(ctx);
	if (!ctx->priv) {
		err = -EINVAL;
		goto out;
	}
	while (!ctx->board && (b = hsm_board_get_next(&index))) {
		index++;
		s = hsm_ksession_get(b, true);
		if (IS_ERR(s)) {
			/* Not logged in here: -EACCES unless another board is. */
			if (err == -ENODEV)
				err = PTR_ERR(s);
			hsm_board_put(b);
			continue;
		}
		err = hsm_key_load(s, ctx->priv, ctx->priv_len,
				   CRYPTECH_HSM_KEY_F_SIGN, &ctx->handle, uuid,
				   &st);
		hsm_ksession_put(b);
		if (err) {
			hsm_board_put(b);
			if (err != -ENODEV)
				break;
			continue;
		}
		ctx->board = b;
	}
	if (ctx->board) {
		get_device(&ctx->board->dev);
		*bp = ctx->board;
		*handle = ctx->handle;
		err = 0;
	}
out:
	mutex_unlock(&ctx->lock);
	return err;
}

/*
 * After a sign on @b with @handle failed with @err: whether to load the key
 * again and retry. The board went away (-ENODEV), or its kernel session was
 * logged out and in again, which deleted the key (KEY_NOT_FOUND).
 */
static bool hsm_akc_sign_retry(struct hsm_akc_ctx *ctx, struct hsm_board *b,
			       u32 handle, int err, u32 st)
{
	if (err != -ENODEV && st != HAL_ERROR_KEY_NOT_FOUND)
		return false;
	mutex_lock(&ctx->lock);
	if (ctx->board == b && ctx->handle == handle)
		hsm_akc_unload(ctx);
	mutex_unlock(&ctx->lock);
	return true;
}

/*
 * Sign @input (@input_len bytes, as PKEY_SIGN takes it) with the private
 * key, on the board that holds it or, if that one is gone or lost the key,
 * on another; the signature into @out (room for *@out_len bytes; out: its
 * length).
 */
static int hsm_akc_sign_raw(struct hsm_akc_ctx *ctx, const u8 *input,
			    u32 input_len, u8 *out, u32 *out_len)
{
	struct hsm_session *s;
	struct hsm_board *b;
	unsigned int tries;
	u32 handle, st, room = *out_len;
	int err = -ENODEV;

	/* Each retry follows a board gone or a key lost: bounded by boards. */
	for (tries = 0; tries < HSM_MAX_BOARDS; tries++) {
		err = hsm_akc_load(ctx, &b, &handle);
		if (err)
			return err;
		s = hsm_ksession_get(b, true);
		if (IS_ERR(s)) {
			err = PTR_ERR(s);
			st = HAL_OK;
		} else {
			hsm_test_delay(HSM_DELAY_AKC_SIGN);
			*out_len = room;
			err = hsm_key_sign(s, handle, input, input_len, out,
					   out_len, &st);
			hsm_ksession_put(b);
		}
		if (!err || !hsm_akc_sign_retry(ctx, b, handle, err, st)) {
			hsm_board_put(b);
			break;
		}
		hsm_board_put(b);
	}
	return err;
}

/* Copy @n bytes at @buf to @req->dst; set dst_len. */
static int hsm_akc_put_dst(struct akcipher_request *req, const u8 *buf,
			   unsigned int n)
{
	int nents = sg_nents_for_len(req->dst, n);

	if (nents < 0)
		return nents;
	if (sg_pcopy_from_buffer(req->dst, nents, buf, n, 0) != n)
		return -EINVAL;
	req->dst_len = n;
	return 0;
}

static int hsm_akc_sign_req(struct akcipher_request *req)
{
	struct hsm_akc_ctx *ctx = akcipher_tfm_ctx(crypto_akcipher_reqtfm(req));
	u8 digest[HSM_AKC_DIGEST_MAX], rs[2 * HSM_AKC_LEN_MAX];
	unsigned int len = ctx->curve->len;
	u8 sig[HSM_AKC_SIG_MAX];
	u32 rs_len = sizeof(rs);
	int nents, err;

	nents = sg_nents_for_len(req->src, req->src_len);
	if (nents < 0)
		return nents;
	if (sg_pcopy_to_buffer(req->src, nents, digest, req->src_len, 0) !=
	    req->src_len)
		return -EINVAL;
	/* The board takes the digest whole: cut it to the order. */
	err = hsm_akc_sign_raw(ctx, digest, min(req->src_len, len), rs,
			       &rs_len);
	if (err)
		return err;
	if (rs_len != 2 * len)
		return -EIO;
	return hsm_akc_put_dst(req, sig, hsm_akc_encode_sig(rs, len, sig));
}

/* ---- RSA: pkcs1pad(rsa,sha*) ------------------------------------------ */

/* Moduli the board signs with (protocol §6.11): 1024 to 4096 bits. */
#define HSM_RSA_MIN_BYTES	128
#define HSM_RSA_MAX_BYTES	512
/* The longest DigestInfo: SHA-512's. */
#define HSM_RSA_DIGEST_INFO_MAX	(19 + 64)

static const u8 hsm_rsa_prefix_sha1[] = {
	0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05,
	0x00, 0x04, 0x14,
};

static const u8 hsm_rsa_prefix_sha256[] = {
	0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
	0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
};

static const u8 hsm_rsa_prefix_sha384[] = {
	0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
	0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30,
};

static const u8 hsm_rsa_prefix_sha512[] = {
	0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
	0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40,
};

#define HSM_RSA_HASH(name_, len_)					\
	static const struct hsm_akc_hash hsm_rsa_##name_ = {		\
		.prefix = hsm_rsa_prefix_##name_,			\
		.prefix_len = sizeof(hsm_rsa_prefix_##name_),		\
		.len = len_,						\
	}

HSM_RSA_HASH(sha1, 20);
HSM_RSA_HASH(sha256, 32);
HSM_RSA_HASH(sha384, 48);
HSM_RSA_HASH(sha512, 64);

/* SEQUENCE { rsaEncryption, NULL }, of PrivateKeyInfo and SPKI alike. */
static const u8 hsm_rsa_alg_id[] = {
	0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01,
	0x01, 0x05, 0x00,
};

/* 65537, the only public exponent the board takes (protocol §6.11). */
static const u8 hsm_rsa_f4[] = { 0x01, 0x00, 0x01 };

/*
 * Take one INTEGER at *@p (before @end) that is positive and minimally
 * encoded; *@tlv points at its tag, *@tlv_len covers tag, length and value,
 * *@val and *@len at its value without a leading zero octet.
 */
static int hsm_rsa_uint(const u8 **p, const u8 *end, const u8 **tlv,
			size_t *tlv_len, const u8 **val, size_t *len)
{
	const u8 *start = *p, *v;
	size_t n;

	if (hsm_der_take(p, end, 0x02, &v, &n) || !n || v[0] & 0x80)
		return -EBADMSG;
	if (!v[0]) {
		/* A leading zero only where the next octet needs it. */
		if (n == 1 || !(v[1] & 0x80))
			return -EBADMSG;
		v++;
		n--;
	}
	*tlv = start;
	*tlv_len = *p - start;
	*val = v;
	*len = n;
	return 0;
}

/*
 * The modulus and exponent INTEGERs of a key (at @n_tlv and @e_tlv) as a
 * SubjectPublicKeyInfo into @ctx; check the sizes the board takes.
 */
static int hsm_rsa_set_public(struct hsm_akc_ctx *ctx, const u8 *n_tlv,
			      size_t n_tlv_len, const u8 *n, size_t n_len,
			      const u8 *e_tlv, size_t e_tlv_len, const u8 *e,
			      size_t e_len)
{
	size_t rsapub = n_tlv_len + e_tlv_len, bits, all;
	u8 *o = ctx->spki;

	ctx->spki_len = 0;
	ctx->key_size = 0;
	/* Whole bytes only: the board's moduli are multiples of 8 bits. */
	if (n_len < HSM_RSA_MIN_BYTES || n_len > HSM_RSA_MAX_BYTES ||
	    !(n[0] & 0x80))
		return -EINVAL;
	if (e_len != sizeof(hsm_rsa_f4) || memcmp(e, hsm_rsa_f4, e_len))
		return -EINVAL;
	bits = 1 + hsm_der_hdr_len(rsapub) + rsapub;
	all = sizeof(hsm_rsa_alg_id) + hsm_der_hdr_len(bits) + bits;
	if (hsm_der_hdr_len(all) + all > HSM_AKC_SPKI_MAX)
		return -EINVAL;
	o += hsm_der_put_hdr(o, 0x30, all);
	memcpy(o, hsm_rsa_alg_id, sizeof(hsm_rsa_alg_id));
	o += sizeof(hsm_rsa_alg_id);
	o += hsm_der_put_hdr(o, 0x03, bits);
	*o++ = 0x00;
	o += hsm_der_put_hdr(o, 0x30, rsapub);
	memcpy(o, n_tlv, n_tlv_len);
	o += n_tlv_len;
	memcpy(o, e_tlv, e_tlv_len);
	o += e_tlv_len;
	ctx->spki_len = o - ctx->spki;
	ctx->key_size = n_len;
	return 0;
}

/*
 * The key as crypto/rsa.c takes it: PKCS#1 RSAPublicKey DER,
 * SEQUENCE { n INTEGER, e INTEGER }, nothing after it. Replaces a private
 * key.
 */
static int hsm_rsa_set_pub_key(struct crypto_akcipher *tfm, const void *key,
			       unsigned int keylen)
{
	struct hsm_akc_ctx *ctx = akcipher_tfm_ctx(tfm);
	const u8 *p = key, *end = p + keylen, *seq, *nt, *n, *et, *e;
	size_t len, ntl, nl, etl, el;

	hsm_akc_drop_priv(ctx);
	ctx->spki_len = 0;
	ctx->key_size = 0;
	if (hsm_der_take(&p, end, 0x30, &seq, &len) || p != end)
		return -EBADMSG;
	p = seq;
	end = seq + len;
	if (hsm_rsa_uint(&p, end, &nt, &ntl, &n, &nl) ||
	    hsm_rsa_uint(&p, end, &et, &etl, &e, &el) || p != end)
		return -EBADMSG;
	return hsm_rsa_set_public(ctx, nt, ntl, n, nl, et, etl, e, el);
}

/*
 * The key as crypto/rsa.c takes it: PKCS#1 RSAPrivateKey DER, SEQUENCE {
 * INTEGER 0, n, e, d, p, q, dP, dQ, qInv } (two-prime), every INTEGER
 * positive and minimally encoded, nothing after it. Kept as the PKCS#8
 * PrivateKeyInfo the board takes, SEQUENCE { INTEGER 0, SEQUENCE {
 * rsaEncryption, NULL }, OCTET STRING { the RSAPrivateKey as given } }.
 */
static int hsm_rsa_set_priv_key(struct crypto_akcipher *tfm, const void *key,
				unsigned int keylen)
{
	struct hsm_akc_ctx *ctx = akcipher_tfm_ctx(tfm);
	const u8 *p = key, *end = p + keylen, *seq, *v, *nt, *n, *et, *e, *t;
	size_t len, ntl, nl, etl, el, tl, l, octet, all;
	unsigned int i;
	u8 *der, *o;
	int err;

	hsm_akc_drop_priv(ctx);
	ctx->spki_len = 0;
	ctx->key_size = 0;
	if (hsm_der_take(&p, end, 0x30, &seq, &len) || p != end)
		return -EBADMSG;
	p = seq;
	end = seq + len;
	if (hsm_der_take(&p, end, 0x02, &v, &l) || l != 1 || v[0] != 0)
		return -EBADMSG;
	if (hsm_rsa_uint(&p, end, &nt, &ntl, &n, &nl) ||
	    hsm_rsa_uint(&p, end, &et, &etl, &e, &el))
		return -EBADMSG;
	/* d, p, q, dP, dQ, qInv: none longer than the modulus. */
	for (i = 0; i < 6; i++)
		if (hsm_rsa_uint(&p, end, &t, &tl, &v, &l) || l > nl)
			return -EBADMSG;
	if (p != end)
		return -EBADMSG;
	err = hsm_rsa_set_public(ctx, nt, ntl, n, nl, et, etl, e, el);
	if (err)
		return err;
	octet = keylen;
	all = 3 + sizeof(hsm_rsa_alg_id) + hsm_der_hdr_len(octet) + octet;
	der = kmalloc(hsm_der_hdr_len(all) + all, GFP_KERNEL);
	if (!der) {
		ctx->spki_len = 0;
		ctx->key_size = 0;
		return -ENOMEM;
	}
	o = der;
	o += hsm_der_put_hdr(o, 0x30, all);
	*o++ = 0x02;
	*o++ = 0x01;
	*o++ = 0x00;
	memcpy(o, hsm_rsa_alg_id, sizeof(hsm_rsa_alg_id));
	o += sizeof(hsm_rsa_alg_id);
	o += hsm_der_put_hdr(o, 0x04, octet);
	memcpy(o, key, keylen);
	o += keylen;
	mutex_lock(&ctx->lock);
	ctx->priv = der;
	ctx->priv_len = o - der;
	mutex_unlock(&ctx->lock);
	return 0;
}

/* DigestInfo of @ctx's hash and the @len-byte @digest into @out: its length. */
static unsigned int hsm_rsa_digest_info(const struct hsm_akc_ctx *ctx,
					const u8 *digest, unsigned int len,
					u8 *out)
{
	memcpy(out, ctx->hash->prefix, ctx->hash->prefix_len);
	memcpy(out + ctx->hash->prefix_len, digest, len);
	return ctx->hash->prefix_len + len;
}

/*
 * pkcs1pad verify, as crypto/rsa-pkcs1pad.c takes it: @req->src holds the
 * signature (src_len, the modulus' bytes) and then the digest (dst_len,
 * the hash's bytes).
 */
static int hsm_rsa_verify_req(struct akcipher_request *req)
{
	struct hsm_akc_ctx *ctx = akcipher_tfm_ctx(crypto_akcipher_reqtfm(req));
	u8 info[HSM_RSA_DIGEST_INFO_MAX];
	unsigned int total, n;
	int nents, err;
	u8 *buf;

	if (!ctx->spki_len || req->src_len != ctx->key_size ||
	    req->dst_len != ctx->hash->len)
		return -EINVAL;
	total = req->src_len + req->dst_len;
	nents = sg_nents_for_len(req->src, total);
	if (nents < 0)
		return nents;
	buf = kmalloc(total, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	err = -EINVAL;
	if (sg_pcopy_to_buffer(req->src, nents, buf, total, 0) == total) {
		n = hsm_rsa_digest_info(ctx, buf + req->src_len, req->dst_len,
					info);
		err = hsm_akc_verify_any(ctx, info, n, buf, req->src_len);
	}
	kfree(buf);
	return err;
}

/* pkcs1pad sign: the digest in @req->src, the signature into @req->dst. */
static int hsm_rsa_sign_req(struct akcipher_request *req)
{
	struct hsm_akc_ctx *ctx = akcipher_tfm_ctx(crypto_akcipher_reqtfm(req));
	u8 digest[HSM_AKC_DIGEST_MAX], info[HSM_RSA_DIGEST_INFO_MAX];
	u32 sig_len = ctx->key_size;
	unsigned int n;
	int nents, err;
	u8 *sig;

	nents = sg_nents_for_len(req->src, req->src_len);
	if (nents < 0)
		return nents;
	if (sg_pcopy_to_buffer(req->src, nents, digest, req->src_len, 0) !=
	    req->src_len)
		return -EINVAL;
	n = hsm_rsa_digest_info(ctx, digest, req->src_len, info);
	sig = kmalloc(sig_len, GFP_KERNEL);
	if (!sig)
		return -ENOMEM;
	err = hsm_akc_sign_raw(ctx, info, n, sig, &sig_len);
	if (!err && sig_len != ctx->key_size)
		err = -EIO;
	if (!err)
		err = hsm_akc_put_dst(req, sig, sig_len);
	kfree(sig);
	return err;
}

static void hsm_akc_work(struct work_struct *work)
{
	struct hsm_akc_req *rctx = container_of(work, struct hsm_akc_req, work);
	struct akcipher_request *req = rctx->req;
	struct hsm_akc_ctx *ctx = akcipher_tfm_ctx(crypto_akcipher_reqtfm(req));
	bool self_test = READ_ONCE(hsm_akc_self_testing);
	int err;

	if (self_test)
		hsm_test_delay(HSM_DELAY_AKC_SELFTEST);
	if (rctx->sign)
		err = ctx->hash ? hsm_rsa_sign_req(req) : hsm_akc_sign_req(req);
	else
		err = ctx->hash ? hsm_rsa_verify_req(req) :
				  hsm_akc_verify_req(req);
	/*
	 * A board unplugged, broken or hostile during the self-tests must not
	 * make the crypto manager WARN (or, with panic_on_fail, panic): to it
	 * -ENOENT means "cannot be tested here", which it only logs. The
	 * algorithms then stay untested, and hsm_akc_register() withdraws
	 * them for the next board to try again.
	 */
	if (err && self_test) {
		pr_warn_ratelimited("cryptech_hsm: no board could answer the crypto self-test of %s (error %d)\n",
				    crypto_tfm_alg_driver_name(req->base.tfm),
				    err);
		err = -ENOENT;
	}
	akcipher_request_complete(req, err);
}

static int hsm_akc_queue(struct akcipher_request *req, bool sign)
{
	struct hsm_akc_req *rctx = akcipher_request_ctx(req);

	rctx->req = req;
	rctx->sign = sign;
	INIT_WORK(&rctx->work, hsm_akc_work);
	queue_work(hsm_akc_wq, &rctx->work);
	return -EINPROGRESS;
}

/*
 * The crypto API's verify: @req->src holds the DER signature (src_len
 * bytes) followed by the digest (dst_len bytes). Runs on hsm_akc_wq, as
 * the board's answer needs sleeping, which the caller may not allow.
 */
static int hsm_akc_verify(struct akcipher_request *req)
{
	return hsm_akc_queue(req, false);
}

/*
 * The crypto API's sign: the digest in @req->src (src_len bytes, 1 to 64;
 * one longer than the order counts by its leftmost bytes), the DER
 * signature into @req->dst. A @req->dst_len below the longest signature of
 * the curve fails at once with -EOVERFLOW and the length needed in
 * @req->dst_len. Runs on hsm_akc_wq, like verify.
 */
static int hsm_akc_sign(struct akcipher_request *req)
{
	struct hsm_akc_ctx *ctx = akcipher_tfm_ctx(crypto_akcipher_reqtfm(req));
	unsigned int need = hsm_akc_sig_der_max(ctx->curve->len);

	if (!req->src_len || req->src_len > HSM_AKC_DIGEST_MAX)
		return -EINVAL;
	if (req->dst_len < need) {
		req->dst_len = need;
		return -EOVERFLOW;
	}
	return hsm_akc_queue(req, true);
}

/*
 * The crypto API's sign of pkcs1pad(rsa,...): the digest (exactly the
 * hash's length) in @req->src, the signature (the modulus' length) into
 * @req->dst; a shorter dst fails at once with -EOVERFLOW and the length
 * needed in dst_len, as crypto/rsa-pkcs1pad.c does.
 */
static int hsm_rsa_sign(struct akcipher_request *req)
{
	struct hsm_akc_ctx *ctx = akcipher_tfm_ctx(crypto_akcipher_reqtfm(req));

	if (!ctx->key_size || req->src_len != ctx->hash->len)
		return -EINVAL;
	if (req->dst_len < ctx->key_size) {
		req->dst_len = ctx->key_size;
		return -EOVERFLOW;
	}
	return hsm_akc_queue(req, true);
}

#define HSM_AKC_ALG_BASE(name_, driver_)				\
			.verify = hsm_akc_verify,			\
			.max_size = hsm_akc_max_size,			\
			.init = hsm_akc_init_tfm,			\
			.exit = hsm_akc_exit_tfm,			\
			.reqsize = sizeof(struct hsm_akc_req),		\
			.base = {					\
				.cra_name = name_,			\
				.cra_driver_name = driver_,		\
				.cra_flags = CRYPTO_ALG_ASYNC,		\
				.cra_module = THIS_MODULE,		\
				.cra_ctxsize = sizeof(struct hsm_akc_ctx), \
			}

#define HSM_AKC_ALG(curve_, name_, driver_)				\
	{								\
		.alg = {						\
			.sign = hsm_akc_sign,				\
			.set_pub_key = hsm_akc_set_pub_key,		\
			.set_priv_key = hsm_akc_set_priv_key,		\
			HSM_AKC_ALG_BASE(name_, driver_),		\
		},							\
		.curve = &(curve_),					\
	}

#define HSM_RSA_ALG(hash_, name_, driver_)				\
	{								\
		.alg = {						\
			.sign = hsm_rsa_sign,				\
			.set_pub_key = hsm_rsa_set_pub_key,		\
			.set_priv_key = hsm_rsa_set_priv_key,		\
			HSM_AKC_ALG_BASE(name_, driver_),		\
		},							\
		.hash = &(hash_),					\
	}

static struct hsm_akc_alg hsm_akc_ecdsa_algs[] = {
	HSM_AKC_ALG(hsm_akc_p256, "ecdsa-nist-p256",
		    "cryptech-ecdsa-nist-p256"),
	HSM_AKC_ALG(hsm_akc_p384, "ecdsa-nist-p384",
		    "cryptech-ecdsa-nist-p384"),
};

static struct hsm_akc_alg hsm_akc_rsa_algs[] = {
	HSM_RSA_ALG(hsm_rsa_sha1, "pkcs1pad(rsa,sha1)",
		    "cryptech-pkcs1pad-rsa-sha1"),
	HSM_RSA_ALG(hsm_rsa_sha256, "pkcs1pad(rsa,sha256)",
		    "cryptech-pkcs1pad-rsa-sha256"),
	HSM_RSA_ALG(hsm_rsa_sha384, "pkcs1pad(rsa,sha384)",
		    "cryptech-pkcs1pad-rsa-sha384"),
	HSM_RSA_ALG(hsm_rsa_sha512, "pkcs1pad(rsa,sha512)",
		    "cryptech-pkcs1pad-rsa-sha512"),
};

/**
 * struct hsm_akc_group - algorithms registered and unregistered together
 * @algs:	the algorithms, registered in this order
 * @n:		how many
 * @what:	for log lines
 * @count:	boards counted for them (under hsm_akc_lock)
 * @registered:	they are registered (under hsm_akc_lock)
 */
struct hsm_akc_group {
	struct hsm_akc_alg *algs;
	unsigned int n;
	const char *what;
	unsigned int count;
	bool registered;
};

/* Counted per board READY (hsm_akcipher_board_up()). */
static struct hsm_akc_group hsm_akc_ecdsa = {
	.algs = hsm_akc_ecdsa_algs,
	.n = ARRAY_SIZE(hsm_akc_ecdsa_algs),
	.what = "ecdsa",
};

/* Counted per board whose kernel session is logged in. */
static struct hsm_akc_group hsm_akc_rsa = {
	.algs = hsm_akc_rsa_algs,
	.n = ARRAY_SIZE(hsm_akc_rsa_algs),
	.what = "pkcs1pad(rsa)",
};

/* Unregister the first @n algorithms of @g, in reverse order. */
static void hsm_akc_unregister(struct hsm_akc_group *g, int n)
{
	while (n--)
		crypto_unregister_akcipher(&g->algs[n].alg);
}

/* Register every algorithm of @g, or none. Runs their self-tests. */
static int hsm_akc_register(struct hsm_akc_group *g)
{
	unsigned int prio = READ_ONCE(hsm_akc_priority);
	int i, err = 0;

	/*
	 * The crypto manager's self-tests run against the board, and in FIPS
	 * mode a failed one panics the kernel: a board unplugged, broken or
	 * hostile while they run must not be able to do that.
	 */
	if (fips_enabled) {
		pr_info_once("cryptech_hsm: FIPS mode: the boards' akcipher algorithms are not registered\n");
		return -EPERM;
	}
	WRITE_ONCE(hsm_akc_self_testing, true);
	for (i = 0; i < g->n; i++) {
		struct crypto_alg *base = &g->algs[i].alg.base;

		base->cra_priority = prio;
		err = crypto_register_akcipher(&g->algs[i].alg);
		if (err)
			break;
		/*
		 * Registering waited for the self-tests; a failed one leaves
		 * the algorithm registered but never usable. Withdraw all.
		 */
		if (!(base->cra_flags & CRYPTO_ALG_TESTED)) {
			i++;
			err = -ENODEV;
			break;
		}
	}
	WRITE_ONCE(hsm_akc_self_testing, false);
	if (err)
		hsm_akc_unregister(g, i);
	return err;
}

/* Count board @b for @g; the first registers. Under b->state_mutex. */
static void hsm_akc_group_up(struct hsm_akc_group *g, struct hsm_board *b)
{
	int err = 0;

	mutex_lock(&hsm_akc_lock);
	g->count++;
	if (!g->registered) {
		err = hsm_akc_register(g);
		g->registered = !err;
	}
	mutex_unlock(&hsm_akc_lock);
	if (err == -ENODEV)
		dev_warn(&b->dev, "%s algorithms not registered: their self-tests failed on the board; the next board tries again\n",
			 g->what);
	else if (err)
		dev_warn(&b->dev, "%s algorithms not registered: error %d\n",
			 g->what, err);
}

/* Uncount board @b for @g; the last unregisters. Under b->state_mutex. */
static void hsm_akc_group_down(struct hsm_akc_group *g, struct hsm_board *b)
{
	mutex_lock(&hsm_akc_lock);
	if (!--g->count && g->registered) {
		if (!atomic_read(&hsm_akc_tfms)) {
			hsm_akc_unregister(g, g->n);
			g->registered = false;
		} else {
			dev_info(&b->dev,
				 "%s algorithms in use: they stay registered until a later detach or the module's unload\n",
				 g->what);
		}
	}
	mutex_unlock(&hsm_akc_lock);
}

/**
 * hsm_akcipher_board_up() - count a READY board; the first registers
 * @b: board, READY, with its kernel session; the caller holds
 *     b->state_mutex
 *
 * Registers the ECDSA algorithms, whose self-tests (verify only) go to a
 * board (normally @b). The board works without the algorithms: a failure
 * is logged, not returned, and the next board up tries again.
 */
void hsm_akcipher_board_up(struct hsm_board *b)
{
	lockdep_assert_held(&b->state_mutex);
	if (!hsm_akc_wq || b->akcipher_up)
		return;
	b->akcipher_up = true;
	hsm_akc_group_up(&hsm_akc_ecdsa, b);
}

/**
 * hsm_akcipher_login_changed() - count or uncount a board for RSA
 * @b: board whose kernel session was just logged in or out; the caller
 *     holds no lock of the board
 *
 * pkcs1pad(rsa,sha256)'s self-test signs with a private key, which only a
 * logged-in kernel session can load: the RSA algorithms are registered
 * while at least one board's kernel session is logged in. The first such
 * board registers them (their self-tests run here, on a logged-in board),
 * the last one logged out or gone unregisters them.
 */
void hsm_akcipher_login_changed(struct hsm_board *b)
{
	bool in;

	mutex_lock(&b->state_mutex);
	in = b->akcipher_up && hsm_ksession_user(b) != HAL_USER_NONE;
	if (in != b->akcipher_login) {
		b->akcipher_login = in;
		if (in)
			hsm_akc_group_up(&hsm_akc_rsa, b);
		else
			hsm_akc_group_down(&hsm_akc_rsa, b);
	}
	mutex_unlock(&b->state_mutex);
}

/**
 * hsm_akcipher_board_down() - uncount a board; the last unregisters
 * @b: board, GONE (its requests fail); the caller holds b->state_mutex
 *
 * Does not wait for the board. While a transform of the algorithms is
 * alive they stay registered (requests fail with -ENODEV without a board),
 * until a later board down or the module's unload.
 */
void hsm_akcipher_board_down(struct hsm_board *b)
{
	lockdep_assert_held(&b->state_mutex);
	if (b->akcipher_login) {
		b->akcipher_login = false;
		hsm_akc_group_down(&hsm_akc_rsa, b);
	}
	if (!b->akcipher_up)
		return;
	b->akcipher_up = false;
	hsm_akc_group_down(&hsm_akc_ecdsa, b);
}

/**
 * hsm_akcipher_init() - prepare the algorithms' workqueue
 *
 * Return: 0 or -ENOMEM.
 */
int hsm_akcipher_init(void)
{
	hsm_akc_wq = alloc_workqueue("cryptech_hsm_akc", WQ_UNBOUND, 0);
	return hsm_akc_wq ? 0 : -ENOMEM;
}

/**
 * hsm_akcipher_exit() - unregister what a board down left, at unload
 *
 * No board is attached and no transform is alive (each holds a module
 * reference), so no request is queued.
 */
void hsm_akcipher_exit(void)
{
	if (hsm_akc_rsa.registered)
		hsm_akc_unregister(&hsm_akc_rsa, hsm_akc_rsa.n);
	hsm_akc_rsa.registered = false;
	if (hsm_akc_ecdsa.registered)
		hsm_akc_unregister(&hsm_akc_ecdsa, hsm_akc_ecdsa.n);
	hsm_akc_ecdsa.registered = false;
	destroy_workqueue(hsm_akc_wq);
	hsm_akc_wq = NULL;
}

#else /* !HSM_HAVE_AKCIPHER_SIG */

void hsm_akcipher_board_up(struct hsm_board *b) { }
void hsm_akcipher_board_down(struct hsm_board *b) { }
void hsm_akcipher_login_changed(struct hsm_board *b) { }

int hsm_akcipher_init(void)
{
	pr_info(HSM_DRV_NAME ": no ECDSA algorithms: " HSM_NO_AKCIPHER_WHY "\n");
	return 0;
}

void hsm_akcipher_exit(void) { }

#endif /* HSM_HAVE_AKCIPHER_SIG */
