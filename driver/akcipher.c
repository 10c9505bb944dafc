// SPDX-License-Identifier: GPL-2.0
/*
 * ECDSA signature verification on the boards, for in-kernel users: the
 * akcipher algorithms "ecdsa-nist-p256" and "ecdsa-nist-p384" with driver
 * names "cryptech-ecdsa-nist-p256" and "cryptech-ecdsa-nist-p384" (issue 10
 * point 3; verify only so far: there is no set_priv_key, so sign fails with
 * -ENOSYS). The kernel's X.509 parser and keyctl pkey_verify reach them by
 * name; Debian's 6.1 has no software ECDSA at all.
 *
 * Registration is shared by all boards: hsm_akcipher_board_up(), called by
 * hsm_board_publish() once a board is READY with its kernel session, counts
 * the board, and the first one registers both algorithms;
 * hsm_akcipher_board_down(), called by hsm_board_kill() before the kernel
 * session ends, uncounts it, and the last one unregisters them, in reverse
 * order. Registering runs the crypto manager's self-tests (crypto/testmgr.h
 * vectors) synchronously in another thread, and their requests go to the
 * boards: the registering thread holds the board's state_mutex and
 * hsm_akc_lock meanwhile, so the request path takes neither. A board that
 * cannot answer them (unplugged, broken, hostile) fails them with -ENOENT,
 * which testmgr only logs, and the untested algorithms are withdrawn until
 * the next board comes up. The crypto API
 * must not unregister an algorithm while a transform of it exists (it warns
 * and leaks): while any transform is alive the last board leaves the
 * algorithms registered, their requests failing with -ENODEV, and the next
 * board down or the module's unload unregisters them.
 *
 * Requests: the caller may not sleep, so each verify is a work item on
 * hsm_akc_wq that completes the request. It uses the kernel session
 * (ksession.c) of the first listed board that is alive, without login: the
 * key is loaded as a volatile PUBLIC key (DIGITALSIGNATURE|PUBLIC, not
 * TOKEN), which needs none (protocol §5.5, §7.3). Per request: PKEY_LOAD of
 * the key as SubjectPublicKeyInfo, PKEY_VERIFY of the digest against r || s,
 * PKEY_DELETE of the key. A board that goes away meanwhile (-ENODEV) is
 * given up for the next; when none is left the request fails with -ENODEV.
 *
 * Locking: hsm_akc_lock (a mutex) protects hsm_akc_boards and
 * hsm_akc_registered; it is taken under a board's state_mutex and held
 * across (un)registration. board->akcipher_up is under board->state_mutex.
 * hsm_akc_tfms is an atomic count of live transforms.
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
#define HSM_AKC_SPKI_MAX	128

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
		 "Crypto API priority of the boards' ECDSA algorithms (0..1000, default 50: below the software ones at 100). Taken when they are registered (first board attached)");

/**
 * struct hsm_akc_curve - a curve the algorithms support
 * @spki_prefix:	DER of a SubjectPublicKeyInfo of the curve up to the
 *			BIT STRING's unused-bits octet; the point follows
 * @prefix_len:		bytes of @spki_prefix
 * @len:		bytes of a coordinate and of the group order
 */
struct hsm_akc_curve {
	const u8 *spki_prefix;
	unsigned int prefix_len;
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

static const struct hsm_akc_curve hsm_akc_p256 = {
	.spki_prefix = hsm_akc_spki_p256,
	.prefix_len = sizeof(hsm_akc_spki_p256),
	.len = 32,
};

static const struct hsm_akc_curve hsm_akc_p384 = {
	.spki_prefix = hsm_akc_spki_p384,
	.prefix_len = sizeof(hsm_akc_spki_p384),
	.len = 48,
};

/**
 * struct hsm_akc_alg - one registered algorithm
 * @alg:	what the crypto API sees
 * @curve:	its curve
 */
struct hsm_akc_alg {
	struct akcipher_alg alg;
	const struct hsm_akc_curve *curve;
};

/**
 * struct hsm_akc_ctx - a transform
 * @curve:	its algorithm's curve
 * @spki:	the public key as SubjectPublicKeyInfo, for PKEY_LOAD
 * @spki_len:	bytes in @spki; 0 while no key is set
 */
struct hsm_akc_ctx {
	const struct hsm_akc_curve *curve;
	u8 spki[HSM_AKC_SPKI_MAX];
	unsigned int spki_len;
};

/**
 * struct hsm_akc_req - a request's context
 * @work:	runs the request on hsm_akc_wq
 * @req:	the request this context belongs to
 */
struct hsm_akc_req {
	struct work_struct work;
	struct akcipher_request *req;
};

static struct workqueue_struct *hsm_akc_wq;
static DEFINE_MUTEX(hsm_akc_lock);	/* rules in the header comment */
static unsigned int hsm_akc_boards;
static bool hsm_akc_registered;
/*
 * Set while hsm_akc_register() waits for the crypto manager's self-tests:
 * the algorithms are not usable by anyone else until those pass, so every
 * request meanwhile is a self-test's (written under hsm_akc_lock).
 */
static bool hsm_akc_self_testing;
static atomic_t hsm_akc_tfms = ATOMIC_INIT(0);

static const struct hsm_akc_curve *hsm_akc_tfm_curve(struct crypto_akcipher *tfm)
{
	return container_of(crypto_akcipher_alg(tfm), struct hsm_akc_alg,
			    alg)->curve;
}

static int hsm_akc_init_tfm(struct crypto_akcipher *tfm)
{
	struct hsm_akc_ctx *ctx = akcipher_tfm_ctx(tfm);

	ctx->curve = hsm_akc_tfm_curve(tfm);
	ctx->spki_len = 0;
	atomic_inc(&hsm_akc_tfms);
	return 0;
}

static void hsm_akc_exit_tfm(struct crypto_akcipher *tfm)
{
	atomic_dec(&hsm_akc_tfms);
}

/*
 * The key as crypto/ecdsa.c takes it: the uncompressed point 04 || X || Y,
 * each coordinate the curve's length. Whether the point is on the curve is
 * the board's to check, at verify.
 */
static int hsm_akc_set_pub_key(struct crypto_akcipher *tfm, const void *key,
			       unsigned int keylen)
{
	struct hsm_akc_ctx *ctx = akcipher_tfm_ctx(tfm);
	const struct hsm_akc_curve *c = ctx->curve;
	const u8 *point = key;

	ctx->spki_len = 0;
	if (keylen != 1 + 2 * c->len || point[0] != 0x04)
		return -EINVAL;
	memcpy(ctx->spki, c->spki_prefix, c->prefix_len);
	memcpy(ctx->spki + c->prefix_len, point, keylen);
	ctx->spki_len = c->prefix_len + keylen;
	return 0;
}

static unsigned int hsm_akc_max_size(struct crypto_akcipher *tfm)
{
	struct hsm_akc_ctx *ctx = akcipher_tfm_ctx(tfm);

	return ctx->curve->len;
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
			     const u8 *digest, u32 digest_len, const u8 *rs)
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
		err = hsm_key_verify(s, handle, digest, digest_len, rs,
				     2 * ctx->curve->len, &st);
		derr = hsm_key_delete(s, handle, &st);
		/* Kept in the session's table; its clean-up deletes it. */
		if (derr && derr != -ENODEV)
			dev_warn_ratelimited(&b->dev,
					     "ecdsa: deleting a loaded public key failed: %d\n",
					     derr);
	}
	hsm_ksession_put(b);
	return err;
}

/* The verify on the first listed board that does not go away under it. */
static int hsm_akc_verify_any(const struct hsm_akc_ctx *ctx, const u8 *digest,
			      u32 digest_len, const u8 *rs)
{
	unsigned long index = 0;
	struct hsm_board *b;
	int err = -ENODEV;

	while ((b = hsm_board_get_next(&index))) {
		err = hsm_akc_verify_on(b, ctx, digest, digest_len, rs);
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
				  min(req->dst_len, len), rs);
}

static void hsm_akc_work(struct work_struct *work)
{
	struct hsm_akc_req *rctx = container_of(work, struct hsm_akc_req, work);
	struct akcipher_request *req = rctx->req;
	bool self_test = READ_ONCE(hsm_akc_self_testing);
	int err;

	if (self_test)
		hsm_test_delay(HSM_DELAY_AKC_SELFTEST);
	err = hsm_akc_verify_req(req);
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

/*
 * The crypto API's verify: @req->src holds the DER signature (src_len
 * bytes) followed by the digest (dst_len bytes). Runs on hsm_akc_wq, as
 * the board's answer needs sleeping, which the caller may not allow.
 */
static int hsm_akc_verify(struct akcipher_request *req)
{
	struct hsm_akc_req *rctx = akcipher_request_ctx(req);

	rctx->req = req;
	INIT_WORK(&rctx->work, hsm_akc_work);
	queue_work(hsm_akc_wq, &rctx->work);
	return -EINPROGRESS;
}

#define HSM_AKC_ALG(curve_, name_, driver_)				\
	{								\
		.alg = {						\
			.verify = hsm_akc_verify,			\
			.set_pub_key = hsm_akc_set_pub_key,		\
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
			},						\
		},							\
		.curve = &(curve_),					\
	}

static struct hsm_akc_alg hsm_akc_algs[] = {
	HSM_AKC_ALG(hsm_akc_p256, "ecdsa-nist-p256",
		    "cryptech-ecdsa-nist-p256"),
	HSM_AKC_ALG(hsm_akc_p384, "ecdsa-nist-p384",
		    "cryptech-ecdsa-nist-p384"),
};

/* Unregister the first @n algorithms, in reverse order. */
static void hsm_akc_unregister(int n)
{
	while (n--)
		crypto_unregister_akcipher(&hsm_akc_algs[n].alg);
}

/* Register every algorithm, or none. Runs their self-tests on a board. */
static int hsm_akc_register(void)
{
	unsigned int prio = READ_ONCE(hsm_akc_priority);
	int i, err;

	/*
	 * The crypto manager's self-tests run against the board, and in FIPS
	 * mode a failed one panics the kernel: a board unplugged, broken or
	 * hostile while they run must not be able to do that.
	 */
	if (fips_enabled) {
		pr_info_once("cryptech_hsm: FIPS mode: the boards' ECDSA algorithms are not registered\n");
		return -EPERM;
	}
	WRITE_ONCE(hsm_akc_self_testing, true);
	for (i = 0; i < ARRAY_SIZE(hsm_akc_algs); i++) {
		struct crypto_alg *base = &hsm_akc_algs[i].alg.base;

		base->cra_priority = prio;
		err = crypto_register_akcipher(&hsm_akc_algs[i].alg);
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
		hsm_akc_unregister(i);
	return err;
}

/**
 * hsm_akcipher_board_up() - count a READY board; the first registers
 * @b: board, READY, with its kernel session; the caller holds
 *     b->state_mutex
 *
 * Registering runs the algorithms' self-tests, whose requests go to a
 * board (normally @b). The board works without the algorithms: a failure is
 * logged, not returned, and the next board up tries again.
 */
void hsm_akcipher_board_up(struct hsm_board *b)
{
	int err = 0;

	lockdep_assert_held(&b->state_mutex);
	if (!hsm_akc_wq || b->akcipher_up)
		return;
	b->akcipher_up = true;
	mutex_lock(&hsm_akc_lock);
	hsm_akc_boards++;
	if (!hsm_akc_registered) {
		err = hsm_akc_register();
		hsm_akc_registered = !err;
	}
	mutex_unlock(&hsm_akc_lock);
	if (err == -ENODEV)
		dev_warn(&b->dev, "ecdsa algorithms not registered: their self-tests failed on the board; the next board attached tries again\n");
	else if (err)
		dev_warn(&b->dev, "ecdsa algorithms not registered: error %d\n",
			 err);
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
	if (!b->akcipher_up)
		return;
	b->akcipher_up = false;
	mutex_lock(&hsm_akc_lock);
	if (!--hsm_akc_boards && hsm_akc_registered) {
		if (!atomic_read(&hsm_akc_tfms)) {
			hsm_akc_unregister(ARRAY_SIZE(hsm_akc_algs));
			hsm_akc_registered = false;
		} else {
			dev_info(&b->dev,
				 "ecdsa algorithms in use: they stay registered until a later detach or the module's unload\n");
		}
	}
	mutex_unlock(&hsm_akc_lock);
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
	if (hsm_akc_registered)
		hsm_akc_unregister(ARRAY_SIZE(hsm_akc_algs));
	hsm_akc_registered = false;
	destroy_workqueue(hsm_akc_wq);
	hsm_akc_wq = NULL;
}

#else /* !HSM_HAVE_AKCIPHER_SIG */

void hsm_akcipher_board_up(struct hsm_board *b) { }
void hsm_akcipher_board_down(struct hsm_board *b) { }

int hsm_akcipher_init(void)
{
	pr_info(HSM_DRV_NAME ": no ECDSA algorithms: " HSM_NO_AKCIPHER_WHY "\n");
	return 0;
}

void hsm_akcipher_exit(void) { }

#endif /* HSM_HAVE_AKCIPHER_SIG */
