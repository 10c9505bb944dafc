// SPDX-License-Identifier: GPL-2.0
/*
 * A test-only in-kernel user of the boards' ECDSA algorithms (issue 10,
 * point 5): loaded by tests/kernel/akcipher_test.c while a board is
 * attached, it allocates "ecdsa-nist-p256" by name and
 * "cryptech-ecdsa-nist-p256" by driver name, checks that both resolve to
 * the board's algorithm, verifies a signature made by openssl (and a
 * tampered one) through each, then verifies from @threads kernel threads at
 * once, @rounds times each. Loading succeeds only when every check passed;
 * each failure is logged. Nothing stays loaded: the test removes it.
 */
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <crypto/akcipher.h>

static unsigned int threads = 4;
module_param(threads, uint, 0444);
MODULE_PARM_DESC(threads, "Kernel threads verifying at once (1..32)");

static unsigned int rounds = 8;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "Verifications per thread (1..1000)");

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

static int __init cryptech_akc_user_init(void)
{
	if (!threads || threads > 32 || !rounds || rounds > 1000)
		return -EINVAL;
	user_check_name(USER_ALG);
	user_check_name(USER_DRIVER);
	user_check_concurrent();
	if (atomic_read(&failures))
		return -EBADE;
	pr_info("cryptech_akc_user: all checks passed (%u threads x %u verifications)\n",
		threads, rounds);
	return 0;
}

static void __exit cryptech_akc_user_exit(void)
{
}

module_init(cryptech_akc_user_init);
module_exit(cryptech_akc_user_exit);
MODULE_DESCRIPTION("Test-only in-kernel user of the CrypTech boards' ECDSA algorithms");
MODULE_LICENSE("GPL");
