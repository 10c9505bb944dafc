// SPDX-License-Identifier: GPL-2.0
/*
 * A test-only benchmark of signing through the crypto API's akcipher
 * interface (issue 10 point 9): tests/bench/kernel-users-bench.sh loads it
 * with an algorithm, a private key, a thread count and a duration. It
 * allocates @alg, sets the key, signs once (the board loads the key then),
 * and then signs a SHA-256 digest from @threads kernel threads at once for
 * @seconds, all with the one transform, each thread with its own request,
 * each request waited for with crypto_wait_req(). It logs one line:
 *
 *	cryptech_akc_bench: tag T rate R threads N alg A driver D signatures C seconds S
 *
 * or, when @alg cannot be allocated (e.g. no board registers it), resolves
 * to a driver whose name does not start with @driver_prefix (a software
 * implementation, not the board's), or refuses the private key (a driver
 * without sign support),
 *
 *	cryptech_akc_bench: tag T not available: WHY
 *
 * Init returns 0 only after a measurement in which every signature worked,
 * so insmod's status says whether the figure is good; the module then holds
 * nothing (the transform is freed), and the script removes it at once.
 * Returning an error even on success would keep it from staying loaded,
 * but would make every run look like a failure to insmod.
 */
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <crypto/akcipher.h>

#define BENCH_KEY_HEX_MAX	5000	/* an RSA-2048 key's DER is ~1.2 kB */
#define BENCH_SIG_MAX		1024U	/* RSA-8192 */
#define BENCH_THREADS_MAX	32

static char *alg = "cryptech-ecdsa-nist-p256";
module_param(alg, charp, 0444);
MODULE_PARM_DESC(alg, "Crypto API name or driver name of the algorithm");

/* charp parameters stop at 1024 bytes; an RSA key's hex is longer. */
static char key[BENCH_KEY_HEX_MAX];
module_param_string(key, key, sizeof(key), 0);
MODULE_PARM_DESC(key, "Hex of the private key's DER, as set_priv_key takes it");

static char *driver_prefix = "cryptech-";
module_param(driver_prefix, charp, 0444);
MODULE_PARM_DESC(driver_prefix, "What the driver name must start with (the boards')");

static unsigned int threads = 1;
module_param(threads, uint, 0444);
MODULE_PARM_DESC(threads, "Kernel threads signing at once (1..32)");

static unsigned int seconds = 5;
module_param(seconds, uint, 0444);
MODULE_PARM_DESC(seconds, "Length of the measurement (1..600)");

static unsigned int tag;
module_param(tag, uint, 0444);
MODULE_PARM_DESC(tag, "Echoed in the log line, for the caller to find it");

struct bench_thread {
	struct crypto_akcipher *tfm;
	struct completion done;
	atomic_t *stop;
	u64 signatures;
	int err;
};

/*
 * The room given for a signature: what the algorithm asks for, never more.
 * 6.1's pkcs1pad over rsa-generic overruns its buffer when given more than
 * the key's size; an ECDSA maxsize is the order's size, less than a DER
 * signature, and the sign then fails with -EOVERFLOW and the size needed.
 * Set by bench_first_sign() before the threads start.
 */
static unsigned int sig_room;

/* Sign a fixed SHA-256 digest once into @sig_room bytes; 0 or -errno. */
static int bench_sign(struct akcipher_request *req, u8 *buf)
{
	struct scatterlist src, dst;
	DECLARE_CRYPTO_WAIT(wait);

	memset(buf, 0x5c, 32);
	sg_init_one(&src, buf, 32);
	sg_init_one(&dst, buf + 32, sig_room);
	akcipher_request_set_crypt(req, &src, &dst, 32, sig_room);
	akcipher_request_set_callback(req, CRYPTO_TFM_REQ_MAY_SLEEP,
				      crypto_req_done, &wait);
	return crypto_wait_req(crypto_akcipher_sign(req), &wait);
}

static int bench_thread_main(void *arg)
{
	struct bench_thread *t = arg;
	struct akcipher_request *req;
	u8 *buf;

	/* Heap buffers: scatterlists must not point into the stack. */
	buf = kmalloc(32 + BENCH_SIG_MAX, GFP_KERNEL);
	req = akcipher_request_alloc(t->tfm, GFP_KERNEL);
	if (!buf || !req)
		t->err = -ENOMEM;
	while (!t->err && !atomic_read(t->stop)) {
		t->err = bench_sign(req, buf);
		if (!t->err)
			t->signatures++;
	}
	akcipher_request_free(req);
	kfree(buf);
	complete(&t->done);
	return 0;
}

/*
 * Sign once on the caller's thread: loads the key, sets @sig_room, and
 * says why signing fails before any thread starts.
 */
static int bench_first_sign(struct crypto_akcipher *tfm)
{
	struct akcipher_request *req = akcipher_request_alloc(tfm, GFP_KERNEL);
	u8 *buf = kmalloc(32 + BENCH_SIG_MAX, GFP_KERNEL);
	int err = -ENOMEM;

	sig_room = min(crypto_akcipher_maxsize(tfm), BENCH_SIG_MAX);
	if (req && buf) {
		err = bench_sign(req, buf);
		if (err == -EOVERFLOW && req->dst_len > sig_room &&
		    req->dst_len <= BENCH_SIG_MAX) {
			sig_room = req->dst_len;
			err = bench_sign(req, buf);
		}
	}
	akcipher_request_free(req);
	kfree(buf);
	return err;
}

/* @threads threads signing with @tfm for @seconds; logs the figure. */
static int bench_run(struct crypto_akcipher *tfm)
{
	struct bench_thread *t;
	struct task_struct *task;
	atomic_t stop = ATOMIC_INIT(0);
	unsigned int i, started = 0;
	u64 total = 0, ns, rate_x10;
	ktime_t t0;
	int err = 0;

	t = kcalloc(threads, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t0 = ktime_get();
	for (i = 0; i < threads; i++) {
		t[i].tfm = tfm;
		t[i].stop = &stop;
		init_completion(&t[i].done);
		task = kthread_run(bench_thread_main, &t[i], "akc_bench/%u", i);
		if (IS_ERR(task)) {
			err = PTR_ERR(task);
			break;
		}
		started++;
	}
	/* The measuring window, then each thread finishes its last request. */
	if (!err)
		msleep_interruptible(seconds * 1000);
	atomic_set(&stop, 1);
	for (i = 0; i < started; i++) {
		wait_for_completion(&t[i].done);
		if (t[i].err && !err) {
			pr_err("cryptech_akc_bench: tag %u thread %u: sign: error %d\n",
			       tag, i, t[i].err);
			err = t[i].err;
		}
		total += t[i].signatures;
	}
	ns = max_t(u64, ktime_to_ns(ktime_sub(ktime_get(), t0)), 1);
	kfree(t);
	if (err)
		return err;
	rate_x10 = div64_u64(total * 10 * NSEC_PER_SEC, ns);
	pr_info("cryptech_akc_bench: tag %u rate %llu.%llu threads %u alg %s driver %s signatures %llu seconds %llu.%02llu\n",
		tag, rate_x10 / 10, rate_x10 % 10, threads, alg,
		crypto_tfm_alg_driver_name(crypto_akcipher_tfm(tfm)), total,
		div64_u64(ns, NSEC_PER_SEC),
		div64_u64(ns % NSEC_PER_SEC, 10 * NSEC_PER_MSEC));
	return 0;
}

static int __init cryptech_akc_bench_init(void)
{
	struct crypto_akcipher *tfm;
	size_t hex_len = strlen(key);
	const char *driver;
	u8 *der;
	int err;

	if (!threads || threads > BENCH_THREADS_MAX || !seconds ||
	    seconds > 600 || !hex_len || hex_len % 2)
		return -EINVAL;
	der = kmalloc(hex_len / 2, GFP_KERNEL);
	if (!der)
		return -ENOMEM;
	err = hex2bin(der, key, hex_len / 2);
	memzero_explicit(key, sizeof(key));
	if (err) {
		kfree_sensitive(der);
		return -EINVAL;
	}

	tfm = crypto_alloc_akcipher(alg, 0, 0);
	if (IS_ERR(tfm)) {
		kfree_sensitive(der);
		pr_info("cryptech_akc_bench: tag %u not available: no algorithm %s (crypto_alloc_akcipher: error %ld)\n",
			tag, alg, PTR_ERR(tfm));
		return PTR_ERR(tfm);
	}
	driver = crypto_tfm_alg_driver_name(crypto_akcipher_tfm(tfm));
	if (strncmp(driver, driver_prefix, strlen(driver_prefix))) {
		kfree_sensitive(der);
		pr_info("cryptech_akc_bench: tag %u not available: alg %s is driver %s, not %s*\n",
			tag, alg, driver, driver_prefix);
		err = -ENOENT;
		goto out;
	}
	/* Without sign support the crypto API's default set_priv_key fails. */
	err = crypto_akcipher_set_priv_key(tfm, der, hex_len / 2);
	kfree_sensitive(der);
	if (err) {
		pr_info("cryptech_akc_bench: tag %u not available: alg %s (driver %s) takes no private key: set_priv_key error %d\n",
			tag, alg, driver, err);
		goto out;
	}
	err = bench_first_sign(tfm);
	if (err) {
		pr_err("cryptech_akc_bench: tag %u alg %s (driver %s): the first sign: error %d\n",
		       tag, alg, driver, err);
		goto out;
	}
	err = bench_run(tfm);
out:
	crypto_free_akcipher(tfm);
	return err;
}

static void __exit cryptech_akc_bench_exit(void)
{
}

module_init(cryptech_akc_bench_init);
module_exit(cryptech_akc_bench_exit);
MODULE_DESCRIPTION("Test-only benchmark of signing through the crypto API's akcipher interface");
MODULE_LICENSE("GPL");
