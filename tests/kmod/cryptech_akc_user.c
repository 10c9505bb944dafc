// SPDX-License-Identifier: GPL-2.0
/*
 * A test-only in-kernel user of the boards' ECDSA and RSA algorithms
 * (issue 10, point 5): loaded by tests/kernel/akcipher_test.c while a board is
 * attached. Loading succeeds only when every check passed; each failure is
 * logged. The test removes it afterwards.
 *
 * Without sign_key: it allocates "ecdsa-nist-p256" by name and
 * "cryptech-ecdsa-nist-p256" by driver name, checks that both resolve to
 * the board's algorithm, verifies a signature made by openssl (and a
 * tampered one) through each, then verifies from @threads kernel threads at
 * once, @rounds times each.
 *
 * With sign_key (an openssl-made ECPrivateKey DER in hex, or an
 * RSAPrivateKey DER as the file sign_key_file) for sign_alg (driver name
 * sign_driver): through the name and the driver name it sets the key with
 * set_priv_key, signs sign_digest and leaves the signatures (DER for
 * ECDSA) in hex in the read-only
 * parameters sig_by_name and sig_by_driver for the test to check with
 * openssl; verifies them on the same transform (the public key derived
 * from the private one) and rejects a changed digest; checks the digest
 * length and dst-too-small (-EOVERFLOW with the length needed) errors;
 * with pub_key_file, verifies them on a transform with set_pub_key too;
 * rejects a table of malformed keys made from sign_key (and other_key, of
 * the other curve); and signs from @threads threads at once on one shared
 * transform and on one transform each, verifying every signature. With
 * sign_once it only signs once by name and expects error sign_err (0 or a
 * negative errno), for the tests of the failure paths.
 */
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/kernel.h>
#include <linux/kernel_read_file.h>
#include <crypto/akcipher.h>

static unsigned int threads = 4;
module_param(threads, uint, 0444);
MODULE_PARM_DESC(threads, "Kernel threads verifying at once (1..32)");

static unsigned int rounds = 8;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "Verifications per thread (1..1000)");

static char *sign_key;
module_param(sign_key, charp, 0444);
MODULE_PARM_DESC(sign_key, "ECPrivateKey DER in hex: run the sign checks with it");

static char *sign_key_file;
module_param(sign_key_file, charp, 0444);
MODULE_PARM_DESC(sign_key_file, "The key of sign_key as a DER file instead (string parameters stop at 1024 bytes)");

static char *pub_key_file;
module_param(pub_key_file, charp, 0444);
MODULE_PARM_DESC(pub_key_file, "The public key of sign_key as set_pub_key takes it, a file: verify the signatures with it too");

static char *sign_alg = "ecdsa-nist-p256";
module_param(sign_alg, charp, 0444);
MODULE_PARM_DESC(sign_alg, "Algorithm of sign_key");

static char *sign_driver;
module_param(sign_driver, charp, 0444);
MODULE_PARM_DESC(sign_driver, "Driver name of sign_alg (default cryptech-<sign_alg>)");

static char *sign_digest;
module_param(sign_digest, charp, 0444);
MODULE_PARM_DESC(sign_digest, "The digest to sign, in hex");

static char *other_key;
module_param(other_key, charp, 0444);
MODULE_PARM_DESC(other_key, "An ECPrivateKey DER of another curve, in hex (must be refused)");

static bool sign_once;
module_param(sign_once, bool, 0444);
MODULE_PARM_DESC(sign_once, "Only sign once by name, expecting sign_err");

static int sign_err;
module_param(sign_err, int, 0444);
MODULE_PARM_DESC(sign_err, "The error sign_once expects (0 or a negative errno)");

/* Room for RSA-4096 signatures in hex. */
#define SIG_HEX_MAX	1025
static char sig_by_name[SIG_HEX_MAX];
module_param_string(sig_by_name, sig_by_name, sizeof(sig_by_name), 0444);
MODULE_PARM_DESC(sig_by_name, "Out: the signature made through sign_alg, DER in hex");

static char sig_by_driver[SIG_HEX_MAX];
module_param_string(sig_by_driver, sig_by_driver, sizeof(sig_by_driver), 0444);
MODULE_PARM_DESC(sig_by_driver, "Out: the signature made through cryptech-<sign_alg>, DER in hex");

/* A P-256 key, the SHA-256 digest of a message and openssl's signature. */
static const u8 vec_pub[] = {
	0x04, 0xb9, 0x46, 0xe7, 0xb2, 0xa0, 0x09, 0x46, 0x77, 0x08, 0x14, 0xde,
	0x19, 0x1a, 0x42, 0xe0, 0x74, 0x90, 0x80, 0x58, 0x9c, 0x7e, 0x04, 0xe7,
	0x76, 0x95, 0x82, 0x90, 0xff, 0x05, 0xea, 0xc3, 0x9e, 0x8b, 0x08, 0x4d,
	0x07, 0xfd, 0x48, 0xf2, 0x4c, 0xb0, 0x52, 0xc7, 0xea, 0x48, 0x1c, 0xea,
	0xaa, 0x85, 0xc4, 0xf4, 0x3d, 0x8e, 0x04, 0x39, 0xc3, 0x80, 0x9c, 0x30,
	0x99, 0xd2, 0x3d, 0x4f, 0xd4,
};

static const u8 vec_digest[] = {
	0xae, 0x68, 0x08, 0x0d, 0x6b, 0x6e, 0xc5, 0x6d, 0xca, 0x01, 0x5c, 0x1a,
	0xbb, 0xd2, 0xf2, 0xc5, 0xe9, 0x70, 0xcc, 0xae, 0xb8, 0x3e, 0x46, 0x7d,
	0x78, 0x51, 0xf7, 0x20, 0x75, 0xcc, 0xcb, 0xe5,
};

static const u8 vec_sig[] = {
	0x30, 0x45, 0x02, 0x20, 0x3c, 0x12, 0x6d, 0xa9, 0xb3, 0x9c, 0xd4, 0xfe,
	0x45, 0x4d, 0x03, 0xd3, 0x34, 0xe9, 0xe9, 0x43, 0x13, 0x01, 0x0f, 0x51,
	0xcb, 0x34, 0xae, 0x17, 0x56, 0x13, 0xfd, 0x0a, 0x4a, 0x4e, 0x51, 0x97,
	0x02, 0x21, 0x00, 0xcc, 0x3b, 0xa0, 0x48, 0xcd, 0x30, 0x37, 0x5c, 0x2b,
	0x11, 0xf6, 0x0a, 0x1e, 0x50, 0x4a, 0x6d, 0x58, 0x58, 0x17, 0xb7, 0x62,
	0xc1, 0x99, 0x48, 0x27, 0x6b, 0xf1, 0xab, 0xbf, 0x63, 0x36, 0x18,
};

#define USER_ALG	"ecdsa-nist-p256"
#define USER_DRIVER	"cryptech-ecdsa-nist-p256"

static atomic_t failures = ATOMIC_INIT(0);

/* Log a failed check and count it. */
#define check(cond, fmt, ...)						\
	do {								\
		if (!(cond)) {						\
			pr_err("cryptech_akc_user: FAILED: " fmt "\n",	\
			       ##__VA_ARGS__);				\
			atomic_inc(&failures);				\
		}							\
	} while (0)

/* A transform of @name with the vector's key set, or an ERR_PTR. */
static struct crypto_akcipher *user_tfm(const char *name)
{
	struct crypto_akcipher *tfm;
	int err;

	tfm = crypto_alloc_akcipher(name, 0, 0);
	if (IS_ERR(tfm))
		return tfm;
	err = crypto_akcipher_set_pub_key(tfm, vec_pub, sizeof(vec_pub));
	if (err) {
		crypto_free_akcipher(tfm);
		return ERR_PTR(err);
	}
	return tfm;
}

/* Verify the vector's signature, with its last byte xored by @flip. */
static int user_verify(struct crypto_akcipher *tfm, u8 flip)
{
	struct akcipher_request *req;
	struct scatterlist sg;
	DECLARE_CRYPTO_WAIT(wait);
	u8 *buf;
	int err;

	/* The crypto API takes the signature and the digest in one list. */
	buf = kmalloc(sizeof(vec_sig) + sizeof(vec_digest), GFP_KERNEL);
	req = akcipher_request_alloc(tfm, GFP_KERNEL);
	if (!buf || !req) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(buf, vec_sig, sizeof(vec_sig));
	buf[sizeof(vec_sig) - 1] ^= flip;
	memcpy(buf + sizeof(vec_sig), vec_digest, sizeof(vec_digest));
	sg_init_one(&sg, buf, sizeof(vec_sig) + sizeof(vec_digest));
	akcipher_request_set_crypt(req, &sg, NULL, sizeof(vec_sig),
				   sizeof(vec_digest));
	akcipher_request_set_callback(req, CRYPTO_TFM_REQ_MAY_SLEEP,
				      crypto_req_done, &wait);
	err = crypto_wait_req(crypto_akcipher_verify(req), &wait);
out:
	akcipher_request_free(req);
	kfree(buf);
	return err;
}

/* Allocate @name, check it is the board's, verify good and bad. */
static void user_check_name(const char *name)
{
	struct crypto_akcipher *tfm = user_tfm(name);
	const char *driver;
	int err;

	check(!IS_ERR(tfm), "%s: allocating: %ld", name, PTR_ERR(tfm));
	if (IS_ERR(tfm))
		return;
	driver = crypto_tfm_alg_driver_name(crypto_akcipher_tfm(tfm));
	check(!strcmp(driver, USER_DRIVER), "%s: driver %s, not %s", name,
	      driver, USER_DRIVER);
	err = user_verify(tfm, 0);
	check(!err, "%s: a good signature: error %d", name, err);
	err = user_verify(tfm, 0x01);
	check(err == -EKEYREJECTED, "%s: a bad signature: %d, not -EKEYREJECTED",
	      name, err);
	crypto_free_akcipher(tfm);
}

struct user_thread {
	struct completion done;
	unsigned int index;
	int err;
};

static int user_thread_main(void *arg)
{
	struct user_thread *t = arg;
	struct crypto_akcipher *tfm;
	unsigned int i;

	/* Half the threads by name, half by driver name. */
	tfm = user_tfm(t->index % 2 ? USER_DRIVER : USER_ALG);
	t->err = PTR_ERR_OR_ZERO(tfm);
	for (i = 0; !t->err && i < rounds; i++)
		t->err = user_verify(tfm, 0);
	if (!IS_ERR(tfm))
		crypto_free_akcipher(tfm);
	complete(&t->done);
	return 0;
}

/* @threads threads verifying at once; every verification must pass. */
static void user_check_concurrent(void)
{
	struct user_thread *t;
	struct task_struct *task;
	unsigned int i, started = 0;

	t = kcalloc(threads, sizeof(*t), GFP_KERNEL);
	check(t, "allocating %u threads", threads);
	if (!t)
		return;
	for (i = 0; i < threads; i++) {
		init_completion(&t[i].done);
		t[i].index = i;
		task = kthread_run(user_thread_main, &t[i], "akc_user/%u", i);
		check(!IS_ERR(task), "starting thread %u: %ld", i,
		      PTR_ERR(task));
		if (IS_ERR(task))
			break;
		started++;
	}
	for (i = 0; i < started; i++) {
		wait_for_completion(&t[i].done);
		check(!t[i].err, "thread %u: error %d", i, t[i].err);
	}
	kfree(t);
}

/* ---- Sign checks (sign_key) -------------------------------------------- */

#define KEY_MAX		2048
#define DIGEST_MAX	64
#define SIG_MAX		512

static u8 key_der[KEY_MAX], other_der[KEY_MAX], digest[DIGEST_MAX];
static u8 pub_der[KEY_MAX];
static unsigned int key_len, other_len, digest_len, pub_len;

/* Decode the hex string @hex into @out (at most @max bytes): its length. */
static int user_unhex(const char *hex, u8 *out, unsigned int max)
{
	size_t n = hex ? strlen(hex) : 0;

	if (!n || n % 2 || n / 2 > max || hex2bin(out, hex, n / 2))
		return -EINVAL;
	return n / 2;
}

static void user_hex(char *out, const u8 *p, unsigned int n)
{
	bin2hex(out, p, n);
	out[2 * n] = 0;
}

/* A transform of @name with @key set by set_priv_key, or an ERR_PTR. */
static struct crypto_akcipher *user_priv_tfm(const char *name, const u8 *key,
					     unsigned int len)
{
	struct crypto_akcipher *tfm;
	int err;

	tfm = crypto_alloc_akcipher(name, 0, 0);
	if (IS_ERR(tfm))
		return tfm;
	err = crypto_akcipher_set_priv_key(tfm, key, len);
	if (err) {
		crypto_free_akcipher(tfm);
		return ERR_PTR(err);
	}
	return tfm;
}

/*
 * Sign @dlen bytes of the digest into @sig (room for *@sig_len bytes;
 * out: the signature's length).
 */
static int user_sign(struct crypto_akcipher *tfm, unsigned int dlen, u8 *sig,
		     unsigned int *sig_len)
{
	struct akcipher_request *req;
	struct scatterlist src, dst;
	DECLARE_CRYPTO_WAIT(wait);
	u8 *in, *out;
	int err;

	in = kmemdup(digest, DIGEST_MAX, GFP_KERNEL);
	out = kzalloc(SIG_MAX, GFP_KERNEL);
	req = akcipher_request_alloc(tfm, GFP_KERNEL);
	if (!in || !out || !req) {
		err = -ENOMEM;
		goto out;
	}
	sg_init_one(&src, in, dlen ? dlen : 1);
	sg_init_one(&dst, out, SIG_MAX);
	akcipher_request_set_crypt(req, &src, &dst, dlen, *sig_len);
	akcipher_request_set_callback(req, CRYPTO_TFM_REQ_MAY_SLEEP,
				      crypto_req_done, &wait);
	err = crypto_wait_req(crypto_akcipher_sign(req), &wait);
	if (!err)
		memcpy(sig, out, req->dst_len);
	if (!err || err == -EOVERFLOW)
		*sig_len = req->dst_len;
out:
	akcipher_request_free(req);
	kfree(out);
	kfree(in);
	return err;
}

/* Verify @sig over the digest, its first byte xored by @flip. */
static int user_verify_sig(struct crypto_akcipher *tfm, const u8 *sig,
			   unsigned int sig_len, u8 flip)
{
	struct akcipher_request *req;
	struct scatterlist sg;
	DECLARE_CRYPTO_WAIT(wait);
	u8 *buf;
	int err;

	buf = kmalloc(sig_len + digest_len, GFP_KERNEL);
	req = akcipher_request_alloc(tfm, GFP_KERNEL);
	if (!buf || !req) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(buf, sig, sig_len);
	memcpy(buf + sig_len, digest, digest_len);
	buf[sig_len] ^= flip;
	sg_init_one(&sg, buf, sig_len + digest_len);
	akcipher_request_set_crypt(req, &sg, NULL, sig_len, digest_len);
	akcipher_request_set_callback(req, CRYPTO_TFM_REQ_MAY_SLEEP,
				      crypto_req_done, &wait);
	err = crypto_wait_req(crypto_akcipher_verify(req), &wait);
out:
	akcipher_request_free(req);
	kfree(buf);
	return err;
}

static bool user_rsa(void)
{
	return !strncmp(sign_alg, "pkcs1pad(", 9);
}

/*
 * The longest signature: RSA's is the modulus' length (maxsize), ECDSA's a
 * DER of two INTEGERs of the order's length (maxsize) plus a zero octet.
 */
static unsigned int user_sig_max(struct crypto_akcipher *tfm)
{
	unsigned int len = crypto_akcipher_maxsize(tfm);

	return user_rsa() ? len : 2 + 2 * (2 + len + 1);
}

/* Verify @sig on a transform of @name with pub_key_file's key. */
static void user_verify_pub(const char *name, const u8 *sig, unsigned int len)
{
	struct crypto_akcipher *tfm = crypto_alloc_akcipher(name, 0, 0);
	int err;

	check(!IS_ERR(tfm), "%s: allocating: %ld", name, PTR_ERR(tfm));
	if (IS_ERR(tfm))
		return;
	err = crypto_akcipher_set_pub_key(tfm, pub_der, pub_len);
	check(!err, "%s: set_pub_key: %d", name, err);
	if (!err) {
		err = user_verify_sig(tfm, sig, len, 0);
		check(!err, "%s: verify with the public key: %d", name, err);
		err = user_verify_sig(tfm, sig, len, 0x01);
		check(err == -EKEYREJECTED,
		      "%s: verify of another digest with the public key: %d",
		      name, err);
	}
	/* Truncated, and with a byte after it: refused. */
	err = crypto_akcipher_set_pub_key(tfm, pub_der, pub_len - 1);
	check(err < 0, "%s: a truncated public key accepted", name);
	crypto_free_akcipher(tfm);
}

/* Sign through @name, verify, check the error paths; hex into @out. */
static void user_sign_name(const char *name, const char *driver, char *out)
{
	struct crypto_akcipher *tfm = user_priv_tfm(name, key_der, key_len);
	unsigned int len, need;
	u8 sig[SIG_MAX];
	int err;

	check(!IS_ERR(tfm), "%s: set_priv_key: %ld", name, PTR_ERR(tfm));
	if (IS_ERR(tfm))
		return;
	check(!strcmp(crypto_tfm_alg_driver_name(crypto_akcipher_tfm(tfm)),
		      driver), "%s: driver %s, not %s", name,
	      crypto_tfm_alg_driver_name(crypto_akcipher_tfm(tfm)), driver);
	need = user_sig_max(tfm);
	len = SIG_MAX;
	err = user_sign(tfm, digest_len, sig, &len);
	check(!err, "%s: sign: error %d", name, err);
	if (!err) {
		user_hex(out, sig, len);
		err = user_verify_sig(tfm, sig, len, 0);
		check(!err, "%s: verify of its own signature: %d", name, err);
		err = user_verify_sig(tfm, sig, len, 0x01);
		check(err == -EKEYREJECTED,
		      "%s: verify of another digest: %d, not -EKEYREJECTED",
		      name, err);
		if (pub_len)
			user_verify_pub(name, sig, len);
	}
	/* dst too small: nothing signed, the length needed reported. */
	len = need - 1;
	err = user_sign(tfm, digest_len, sig, &len);
	check(err == -EOVERFLOW && len == need,
	      "%s: dst too small: %d (dst_len %u), not -EOVERFLOW (%u)", name,
	      err, len, need);
	len = SIG_MAX;
	err = user_sign(tfm, 0, sig, &len);
	check(err == -EINVAL, "%s: empty digest: %d, not -EINVAL", name, err);
	len = SIG_MAX;
	err = user_sign(tfm, DIGEST_MAX + 1, sig, &len);
	check(err == -EINVAL, "%s: 65-byte digest: %d, not -EINVAL", name,
	      err);
	crypto_free_akcipher(tfm);
}

/* Where the parts of an openssl-made ECPrivateKey are. */
struct key_layout {
	unsigned int hdr, ver, d, dlen, params, pub, bits;
};

static int user_layout(struct key_layout *l)
{
	const u8 *k = key_der;

	l->hdr = k[1] & 0x80 ? 2 + (k[1] & 0x7f) : 2;
	l->ver = l->hdr;		/* 02 01 01 */
	l->d = l->ver + 3 + 2;		/* 04 LL d */
	l->dlen = k[l->ver + 4];
	l->params = l->d + l->dlen;	/* a0 LL 06 ... */
	if (k[l->params] != 0xa0)
		return -EINVAL;
	l->pub = l->params + 2 + k[l->params + 1];	/* a1 LL */
	l->bits = l->pub + 2;		/* 03 LL 00 04 X Y */
	if (l->bits + 4 > key_len || k[l->pub] != 0xa1 || k[l->bits] != 0x03)
		return -EINVAL;
	return 0;
}

enum mut_kind { MUT_TRUNC, MUT_BYTE, MUT_APPEND, MUT_HDR, MUT_FILL };

/* One malformed key: sign_key with one change. */
struct mutation {
	const char *what;
	enum mut_kind kind;
	unsigned int off;	/* MUT_TRUNC: new length; else where */
	u8 val;
};

/* Make mutation @m of sign_key into @out: its length. */
static unsigned int user_mutate(const struct mutation *m,
				const struct key_layout *l, u8 *out)
{
	unsigned int n = key_len;

	memcpy(out, key_der, key_len);
	switch (m->kind) {
	case MUT_TRUNC:
		return m->off;
	case MUT_BYTE:
		out[m->off] = m->val;
		return n;
	case MUT_APPEND:
		out[n] = m->val;
		return n + 1;
	case MUT_FILL:
		memset(out + l->d, m->val, l->dlen);
		return n;
	case MUT_HDR:
		/* The outer header replaced by @val-selected bad forms. */
		if (m->val == 0) {		/* long form, 4 length bytes */
			memmove(out + 6, key_der + l->hdr, n - l->hdr);
			out[1] = 0x84;
			memset(out + 2, 0xff, 4);
			return n - l->hdr + 6;
		}
		if (m->val == 1) {		/* indefinite length */
			memmove(out + 2, key_der + l->hdr, n - l->hdr);
			out[1] = 0x80;
			return n - l->hdr + 2;
		}
		/* a longer form than needed: 81 LL for LL < 128, 82 00 LL */
		memmove(out + 4, key_der + l->hdr, n - l->hdr);
		out[1] = 0x82;
		out[2] = 0;
		out[3] = n - l->hdr;
		return n - l->hdr + 4;
	}
	return 0;
}

/* Every one must be refused by set_priv_key; sign_key itself accepted. */
static void user_check_malformed_at(const struct key_layout *l)
{
	const struct mutation muts[] = {
		{ "empty", MUT_TRUNC, 0 },
		{ "one byte", MUT_TRUNC, 1 },
		{ "the outer header only", MUT_TRUNC, 2 },
		{ "cut in the version", MUT_TRUNC, l->ver + 2 },
		{ "cut in the private key", MUT_TRUNC, l->d + 5 },
		{ "cut before the public key", MUT_TRUNC, l->pub },
		{ "cut in the public point", MUT_TRUNC, key_len - 10 },
		{ "last byte missing", MUT_TRUNC, key_len - 1 },
		{ "a trailing byte", MUT_APPEND, 0, 0x00 },
		{ "outer length overflowing (4 octets)", MUT_HDR, 0, 0 },
		{ "indefinite outer length", MUT_HDR, 0, 1 },
		{ "non-minimal outer length", MUT_HDR, 0, 2 },
		{ "not a SEQUENCE", MUT_BYTE, 0, 0x31 },
		{ "version 0", MUT_BYTE, l->ver + 2, 0x00 },
		{ "version 2", MUT_BYTE, l->ver + 2, 0x02 },
		{ "version not an INTEGER", MUT_BYTE, l->ver, 0x04 },
		{ "private key length short", MUT_BYTE, l->d - 1, l->dlen - 1 },
		{ "private key length past the end", MUT_BYTE, l->d - 1, 0x7f },
		{ "private key zero", MUT_FILL, 0, 0x00 },
		{ "private key above the order", MUT_FILL, 0, 0xff },
		{ "unknown parameters tag", MUT_BYTE, l->params, 0xa2 },
		{ "parameters not the curve", MUT_BYTE,
		  l->params + 3 + key_der[l->params + 3], 0x00 },
		{ "no [1] public key", MUT_BYTE, l->pub, 0xa2 },
		{ "public key length overflowing", MUT_BYTE, l->pub + 1, 0xff },
		{ "BIT STRING length past the end", MUT_BYTE, l->bits + 1, 0x7f },
		{ "BIT STRING unused bits", MUT_BYTE, l->bits + 2, 0x01 },
		{ "compressed point", MUT_BYTE, l->bits + 3, 0x02 },
	};
	struct crypto_akcipher *tfm;
	unsigned int i, n, len;
	u8 *bad, sig[SIG_MAX];
	int err;

	tfm = crypto_alloc_akcipher(sign_alg, 0, 0);
	bad = kmalloc(KEY_MAX + 8, GFP_KERNEL);
	check(!IS_ERR(tfm) && bad, "malformed keys: allocating");
	if (IS_ERR(tfm) || !bad)
		goto out;
	for (i = 0; i < ARRAY_SIZE(muts); i++) {
		n = user_mutate(&muts[i], l, bad);
		err = crypto_akcipher_set_priv_key(tfm, bad, n);
		check(err < 0, "malformed key \"%s\" accepted", muts[i].what);
		len = SIG_MAX;
		err = user_sign(tfm, digest_len, sig, &len);
		check(err == -EINVAL, "sign after malformed key \"%s\": %d",
		      muts[i].what, err);
	}
	if (other_len) {
		/* Its scalar's length already gives it away (-EBADMSG). */
		err = crypto_akcipher_set_priv_key(tfm, other_der, other_len);
		check(err < 0, "a key of the other curve accepted");
	}
	/* The control: the unchanged key is taken and signs. */
	err = crypto_akcipher_set_priv_key(tfm, key_der, key_len);
	check(!err, "sign_key after the malformed ones: %d", err);
	len = SIG_MAX;
	err = user_sign(tfm, digest_len, sig, &len);
	check(!err, "sign after the malformed ones: %d", err);
	pr_info("cryptech_akc_user: %zu malformed keys refused\n",
		ARRAY_SIZE(muts) + (other_len ? 1 : 0));
out:
	kfree(bad);
	if (!IS_ERR(tfm))
		crypto_free_akcipher(tfm);
}

/*
 * An openssl-made RSAPrivateKey: 30 82 LL LL, version 02 01 00, n 02 82 ..
 * (or 02 81 .. ), e 02 03 01 00 01, ...
 */
static void user_check_malformed_rsa(void)
{
	/* 02 82 HH LL: a modulus of 256 to 65535 bytes, as the test makes. */
	unsigned int nl = key_der[9] << 8 | key_der[10];
	const struct mutation muts[] = {
		{ "empty", MUT_TRUNC, 0 },
		{ "one byte", MUT_TRUNC, 1 },
		{ "the outer header only", MUT_TRUNC, 4 },
		{ "cut in the modulus", MUT_TRUNC, key_len / 8 },
		{ "cut in half", MUT_TRUNC, key_len / 2 },
		{ "last byte missing", MUT_TRUNC, key_len - 1 },
		{ "a trailing byte", MUT_APPEND, 0, 0x00 },
		{ "outer length overflowing (4 octets)", MUT_HDR, 0, 0 },
		{ "indefinite outer length", MUT_HDR, 0, 1 },
		{ "not a SEQUENCE", MUT_BYTE, 0, 0x31 },
		{ "version 1 (multi-prime)", MUT_BYTE, 6, 0x01 },
		{ "modulus not an INTEGER", MUT_BYTE, 7, 0x04 },
		{ "exponent 65539", MUT_BYTE, 7 + 4 + nl + 4, 0x03 },
	};
	struct crypto_akcipher *tfm;
	struct key_layout l = { .hdr = 4 };
	unsigned int i, n;
	int err;

	if (key_len < 7 + 4 + nl + 5 || key_der[7] != 0x02 || key_der[8] != 0x82) {
		check(0, "sign_key is not an RSAPrivateKey as openssl writes it");
		return;
	}
	tfm = crypto_alloc_akcipher(sign_alg, 0, 0);
	check(!IS_ERR(tfm), "malformed keys: allocating");
	if (IS_ERR(tfm))
		return;
	for (i = 0; i < ARRAY_SIZE(muts); i++) {
		const struct mutation m = muts[i];
		u8 *bad = kmalloc(KEY_MAX + 8, GFP_KERNEL);

		if (!bad)
			break;
		n = user_mutate(&m, &l, bad);
		err = crypto_akcipher_set_priv_key(tfm, bad, n);
		check(err < 0, "malformed key \"%s\" accepted", m.what);
		kfree(bad);
	}
	err = crypto_akcipher_set_priv_key(tfm, key_der, key_len);
	check(!err, "sign_key after the malformed ones: %d", err);
	pr_info("cryptech_akc_user: %zu malformed keys refused\n",
		ARRAY_SIZE(muts));
	crypto_free_akcipher(tfm);
}

static void user_check_malformed(void)
{
	struct key_layout l;

	if (user_rsa()) {
		user_check_malformed_rsa();
		return;
	}

	if (user_layout(&l)) {
		check(0, "sign_key is not laid out as openssl writes it");
		return;
	}
	user_check_malformed_at(&l);
}

struct sign_thread {
	struct completion done;
	struct crypto_akcipher *shared;
	int err;
};

/* @rounds signatures, each verified; on @shared, else on its own tfm. */
static int user_sign_thread(void *arg)
{
	struct sign_thread *t = arg;
	struct crypto_akcipher *tfm = t->shared;
	unsigned int i, len;
	u8 sig[SIG_MAX];

	if (!tfm)
		tfm = user_priv_tfm(sign_alg, key_der, key_len);
	t->err = PTR_ERR_OR_ZERO(tfm);
	for (i = 0; !t->err && i < rounds; i++) {
		len = SIG_MAX;
		t->err = user_sign(tfm, digest_len, sig, &len);
		if (!t->err)
			t->err = user_verify_sig(tfm, sig, len, 0);
	}
	if (!t->shared && !IS_ERR(tfm))
		crypto_free_akcipher(tfm);
	complete(&t->done);
	return 0;
}

static void user_sign_concurrent(struct crypto_akcipher *shared)
{
	struct task_struct *task;
	struct sign_thread *t;
	unsigned int i, started = 0;

	t = kcalloc(threads, sizeof(*t), GFP_KERNEL);
	check(t, "allocating %u threads", threads);
	if (!t)
		return;
	for (i = 0; i < threads; i++) {
		init_completion(&t[i].done);
		t[i].shared = shared;
		task = kthread_run(user_sign_thread, &t[i], "akc_sign/%u", i);
		check(!IS_ERR(task), "starting thread %u: %ld", i,
		      PTR_ERR(task));
		if (IS_ERR(task))
			break;
		started++;
	}
	for (i = 0; i < started; i++) {
		wait_for_completion(&t[i].done);
		check(!t[i].err, "%s thread %u: error %d",
		      shared ? "shared-tfm" : "own-tfm", i, t[i].err);
	}
	kfree(t);
}

static int user_sign_checks(void)
{
	struct crypto_akcipher *tfm;
	char driver[CRYPTO_MAX_ALG_NAME];
	unsigned int len;
	u8 sig[SIG_MAX];
	int n, err;

	if (sign_key_file) {
		void *buf = key_der;

		n = kernel_read_file_from_path(sign_key_file, 0, &buf, KEY_MAX,
					       NULL, READING_UNKNOWN);
	} else {
		n = user_unhex(sign_key, key_der, KEY_MAX);
	}
	if (n <= 0)
		return n ? n : -EINVAL;
	key_len = n;
	if (pub_key_file) {
		void *buf = pub_der;

		n = kernel_read_file_from_path(pub_key_file, 0, &buf, KEY_MAX,
					       NULL, READING_UNKNOWN);
		if (n <= 0)
			return n ? n : -EINVAL;
		pub_len = n;
	}
	n = user_unhex(sign_digest, digest, DIGEST_MAX);
	if (n < 0)
		return n;
	digest_len = n;
	if (other_key) {
		n = user_unhex(other_key, other_der, KEY_MAX);
		if (n < 0)
			return n;
		other_len = n;
	}
	if (sign_once) {
		tfm = user_priv_tfm(sign_alg, key_der, key_len);
		if (IS_ERR(tfm))
			return PTR_ERR(tfm);
		len = SIG_MAX;
		err = user_sign(tfm, digest_len, sig, &len);
		check(err == sign_err, "sign: %d, not %d", err, sign_err);
		if (!err)
			user_hex(sig_by_name, sig, len);
		crypto_free_akcipher(tfm);
		return 0;
	}
	if (sign_driver)
		strscpy(driver, sign_driver, sizeof(driver));
	else
		snprintf(driver, sizeof(driver), "cryptech-%s", sign_alg);
	user_sign_name(sign_alg, driver, sig_by_name);
	user_sign_name(driver, driver, sig_by_driver);
	user_check_malformed();
	tfm = user_priv_tfm(sign_alg, key_der, key_len);
	check(!IS_ERR(tfm), "shared tfm: %ld", PTR_ERR(tfm));
	if (!IS_ERR(tfm)) {
		user_sign_concurrent(tfm);
		crypto_free_akcipher(tfm);
	}
	user_sign_concurrent(NULL);
	return 0;
}

static int __init cryptech_akc_user_init(void)
{
	if (!threads || threads > 32 || !rounds || rounds > 1000)
		return -EINVAL;
	if (sign_key || sign_key_file) {
		int err = user_sign_checks();

		if (err)
			return err;
	} else {
		user_check_name(USER_ALG);
		user_check_name(USER_DRIVER);
		user_check_concurrent();
	}
	if (atomic_read(&failures))
		return -EBADE;
	pr_info("cryptech_akc_user: all checks passed (%u threads x %u %s)\n",
		threads, rounds,
		sign_key || sign_key_file ? "signatures" : "verifications");
	return 0;
}

static void __exit cryptech_akc_user_exit(void)
{
}

module_init(cryptech_akc_user_init);
module_exit(cryptech_akc_user_exit);
MODULE_DESCRIPTION("Test-only in-kernel user of the CrypTech boards' ECDSA algorithms");
MODULE_LICENSE("GPL");
