// SPDX-License-Identifier: GPL-2.0
/*
 * ECDSA verification on the boards for in-kernel users (issue 10 points 3
 * and 5): while a board is attached the crypto API lists
 * cryptech-ecdsa-nist-p256 and -p384 in /proc/crypto with "selftest :
 * passed", the kernel's test vectors having been verified by the board (its
 * PKEY_LOAD/VERIFY/DELETE counters move); the priority is the module's
 * akcipher_priority; with two boards, detaching one keeps them, its
 * requests going to the other, and detaching both removes them. The kernel's X.509 path: keyctl padd of an
 * openssl-made self-signed ECDSA certificate (P-256 and P-384) succeeds
 * only while a board is attached (Debian's 6.1 has no software ECDSA), and
 * keyctl pkey_verify with its key accepts openssl's signature and rejects a
 * corrupted one. A board detached while the crypto manager's self-tests
 * run on it (the window held open by the akcipher_selftest delay point)
 * leaves the algorithms unregistered without a kernel warning, and the
 * next attach registers them; self-tests slower than the handshake's
 * time limit do not fail the attach. Kernel warnings fail the run (tests/vm/run
 * checks the log). An in-kernel user module (tests/kmod) allocates them by
 * name and driver name and verifies from several threads. Signing with an
 * openssl-made key given to set_priv_key (the module's sign_key): after
 * kernel-login, signatures through the name and the driver name that
 * openssl accepts, the module's own checks (verify on the same transform,
 * digest length, dst too small, a table of malformed keys, threads on one
 * transform and on several) and the keys deleted from the board's volatile
 * keystore when the transforms are freed; without kernel-login -EACCES and
 * a log line; the board unplugged while a sign holds the key on it (the
 * akcipher_sign delay point) -> the other board signs, or -ENODEV when
 * none is left. pkcs1pad(rsa,sha1/256/384/512): listed with "selftest :
 * passed" from the first kernel-login (the kernel's sha256 vector signed
 * on the board) until the last logout or detach of a logged-in board; with
 * an openssl-made RSA-2048 key, signatures through name and driver name
 * that openssl accepts and that equal openssl's own (PKCS#1 v1.5 is
 * deterministic), verify with set_pub_key and on the private-key
 * transform, malformed keys, threads, the keys deleted afterwards. Group
 * "akcipher", two emulator boards.
 */
#include <pthread.h>

#include "kselftest_harness.h"
#include "hsm_ioctl.h"
#include "hsm_hooks.h"

#define PRIORITY_PARAM	"/sys/module/cryptech_hsm/parameters/akcipher_priority"
#define DIR		"/run/hsm-akc"
#define P256		"cryptech-ecdsa-nist-p256"
#define P384		"cryptech-ecdsa-nist-p384"

static char crypto_buf[1 << 18];

/*
 * The /proc/crypto entry whose driver is @driver, into @out (empty if not
 * listed). Entries are separated by blank lines.
 */
static void crypto_entry(const char *driver, char *out, size_t size)
{
	char key[128], *p, *start, *end;
	long n = hsm_read_file("/proc/crypto", crypto_buf,
			       sizeof(crypto_buf) - 1);

	out[0] = 0;
	if (n <= 0)
		return;
	crypto_buf[n] = 0;
	snprintf(key, sizeof(key), "driver       : %s\n", driver);
	p = strstr(crypto_buf, key);
	if (!p)
		return;
	for (start = p; start > crypto_buf && !(start[-1] == '\n' &&
		     start - 1 > crypto_buf && start[-2] == '\n'); start--)
		;
	end = strstr(p, "\n\n");
	end = end ? end + 1 : crypto_buf + n;
	snprintf(out, size, "%.*s", (int)(end - start), start);
}

static bool listed(const char *driver)
{
	char e[2048];

	crypto_entry(driver, e, sizeof(e));
	return e[0] != 0;
}

/* Listed, tested and passed, ours, an akcipher, at @prio. */
static bool listed_passed(const char *driver, long prio)
{
	char e[2048], want[64];

	crypto_entry(driver, e, sizeof(e));
	snprintf(want, sizeof(want), "priority     : %ld\n", prio);
	return strstr(e, "selftest     : passed\n") &&
	       strstr(e, "module       : cryptech_hsm\n") &&
	       strstr(e, "type         : akcipher\n") && strstr(e, want);
}

static long priority_param(void)
{
	char buf[32];
	long n = hsm_read_file(PRIORITY_PARAM, buf, sizeof(buf) - 1);

	if (n <= 0)
		return -1;
	buf[n] = 0;
	return strtol(buf, NULL, 10);
}

/* Board @board's request count of @func, or -1. */
static long emu_requests(int board, const char *func)
{
	static char js[65536];

	if (hsm_test_board_ctl(board, "stats", js, sizeof(js)))
		return -1;
	return hsm_json_func_requests(js, func);
}

/*
 * In DIR: an ECDSA key on @curve (openssl's name), a self-signed X.509
 * certificate of it (c.der), the @hash digest of a message (d), openssl's
 * signature of it (s, a DER Ecdsa-Sig-Value) and that signature with its
 * last byte (in s) flipped (bad).
 */
static int make_cert(const char *curve, const char *hash)
{
	char cmd[1024], sig[256];
	long n;

	snprintf(cmd, sizeof(cmd),
		 "set -e; rm -rf " DIR "; mkdir -p " DIR "; cd " DIR "; "
		 "openssl ecparam -name %s -genkey -noout -out k.pem; "
		 "openssl req -new -x509 -key k.pem -%s -subj /CN=cryptech-akc "
		 "-days 2 -outform DER -out c.der; "
		 "printf 'signed by openssl' > m; "
		 "openssl dgst -%s -binary m > d; "
		 "openssl pkeyutl -sign -inkey k.pem -in d -out s",
		 curve, hash, hash);
	if (hsm_test_run(cmd, NULL, 0))
		return -1;
	n = hsm_read_file(DIR "/s", sig, sizeof(sig));
	if (n < 8)
		return -1;
	sig[n - 1] ^= 0x01;
	return hsm_write_file(DIR "/bad", sig, n) ? -1 : 0;
}

/* keyctl padd of DIR/c.der to the user keyring: the key's id, or -1. */
static long padd_cert(void)
{
	char out[64];

	if (hsm_test_run("keyctl padd asymmetric '' @u < " DIR "/c.der 2>&1",
			 out, sizeof(out)))
		return -1;
	return strtol(out, NULL, 10);
}

/* keyctl pkey_verify of DIR/d with signature file @sig: its exit status. */
static int pkey_verify(long id, const char *sig, const char *hash)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd),
		 "keyctl pkey_verify %ld 0 " DIR "/d " DIR "/%s enc=x962 hash=%s 2>&1",
		 id, sig, hash);
	return hsm_test_run(cmd, NULL, 0);
}

static void unlink_key(long id)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "keyctl unlink %ld @u", id);
	hsm_test_run(cmd, NULL, 0);
}

FIXTURE(akc) {
	struct hsm_board_desc d;
};

FIXTURE_SETUP(akc)
{
	hsm_t_detach_all();
	ASSERT_FALSE(listed(P256));
	ASSERT_EQ(0, hsm_t_attach(0, &self->d));
}

FIXTURE_TEARDOWN(akc)
{
	hsm_t_detach_all();
}

/*
 * Registered by the attach, the kernel's vectors verified on the board;
 * gone after the detach.
 */
TEST_F_TIMEOUT(akc, registered_while_attached, 120)
{
	long prio = priority_param(), load, verify, del;

	ASSERT_LE(0, prio);
	EXPECT_TRUE(listed_passed(P256, prio));
	EXPECT_TRUE(listed_passed(P384, prio));
	EXPECT_GT(100, prio);

	/* Once more, counting the self-tests' requests on the board. */
	ASSERT_EQ(0, hsm_detach(self->d.index, NULL, 0));
	ASSERT_FALSE(listed(P256));
	ASSERT_FALSE(listed(P384));
	load = emu_requests(0, "PKEY_LOAD");
	verify = emu_requests(0, "PKEY_VERIFY");
	del = emu_requests(0, "PKEY_DELETE");
	ASSERT_LE(0, load);
	ASSERT_EQ(0, hsm_t_attach(0, &self->d));
	ASSERT_TRUE(listed_passed(P256, prio));
	ASSERT_TRUE(listed_passed(P384, prio));
	/* crypto/testmgr.h has several vectors for each curve. */
	EXPECT_LE(verify + 4, emu_requests(0, "PKEY_VERIFY"));
	EXPECT_EQ(emu_requests(0, "PKEY_VERIFY") - verify,
		  emu_requests(0, "PKEY_LOAD") - load);
	EXPECT_EQ(emu_requests(0, "PKEY_VERIFY") - verify,
		  emu_requests(0, "PKEY_DELETE") - del);

	ASSERT_EQ(0, hsm_detach(self->d.index, NULL, 0));
	EXPECT_FALSE(listed(P256));
	EXPECT_FALSE(listed(P384));
}

/*
 * Shared by the boards: the last detach removes them; meanwhile requests go
 * to the board that is left.
 */
TEST_F_TIMEOUT(akc, two_boards, 120)
{
	struct hsm_board_desc d1;
	long prio = priority_param(), verify, id;

	ASSERT_EQ(0, hsm_t_attach(1, &d1));
	ASSERT_TRUE(listed_passed(P256, prio));
	ASSERT_EQ(0, hsm_detach(self->d.index, NULL, 0));
	EXPECT_TRUE(listed_passed(P256, prio));
	EXPECT_TRUE(listed_passed(P384, prio));

	ASSERT_EQ(0, make_cert("prime256v1", "sha256"));
	verify = emu_requests(1, "PKEY_VERIFY");
	id = padd_cert();
	ASSERT_LT(0, id);
	EXPECT_LT(verify, emu_requests(1, "PKEY_VERIFY"));
	EXPECT_EQ(0, pkey_verify(id, "s", "sha256"));
	unlink_key(id);

	ASSERT_EQ(0, hsm_detach(d1.index, NULL, 0));
	EXPECT_FALSE(listed(P256));
	EXPECT_FALSE(listed(P384));
}

/* The priority parameter is taken at registration. */
TEST_F_TIMEOUT(akc, priority_parameter, 120)
{
	long old = priority_param();
	char v[16];
	int n;

	ASSERT_LE(0, old);
	ASSERT_EQ(0, hsm_detach(self->d.index, NULL, 0));
	ASSERT_EQ(0, hsm_write_file(PRIORITY_PARAM, "77", 2));
	EXPECT_NE(0, hsm_write_file(PRIORITY_PARAM, "1001", 4));
	EXPECT_EQ(77, priority_param());
	ASSERT_EQ(0, hsm_t_attach(0, &self->d));
	EXPECT_TRUE(listed_passed(P256, 77));
	EXPECT_TRUE(listed_passed(P384, 77));
	ASSERT_EQ(0, hsm_detach(self->d.index, NULL, 0));
	n = snprintf(v, sizeof(v), "%ld", old);
	ASSERT_EQ(0, hsm_write_file(PRIORITY_PARAM, v, n));
}

/* The X.509 path of the kernel, through keyctl, on curve @curve. */
static void x509_case(struct __test_metadata *_metadata,
		      struct hsm_board_desc *d, const char *curve,
		      const char *hash)
{
	long id, verify;

	ASSERT_EQ(0, make_cert(curve, hash));
	verify = emu_requests(0, "PKEY_VERIFY");

	/* The certificate's self-signature is verified on the board. */
	id = padd_cert();
	ASSERT_LT(0, id);
	EXPECT_LT(verify, emu_requests(0, "PKEY_VERIFY"));

	EXPECT_EQ(0, pkey_verify(id, "s", hash));
	EXPECT_NE(0, pkey_verify(id, "bad", hash));
	unlink_key(id);

	/* No board, no ECDSA: the kernel cannot take the certificate. */
	ASSERT_EQ(0, hsm_detach(d->index, NULL, 0));
	ASSERT_FALSE(listed(P256));
	EXPECT_GT(0, padd_cert());
}

/*
 * 120 s: under the checker kernel (KASAN, lockdep, TCG) on a busy host,
 * the attach and the self-tests in the fixture alone can take 30 s.
 */
TEST_F_TIMEOUT(akc, x509_p256, 120)
{
	x509_case(_metadata, &self->d, "prime256v1", "sha256");
}

/*
 * SHA-256 here too: the test VM's kernel has SHA-384 only as a module
 * (CONFIG_CRYPTO_SHA512=m) that the guest does not load, and without the
 * hash the kernel skips a certificate's self-signature check.
 */
TEST_F_TIMEOUT(akc, x509_p384, 120)
{
	x509_case(_metadata, &self->d, "secp384r1", "sha256");
}

struct attach_thread {
	pthread_t t;
	int err;
	struct hsm_board_desc d;
};

static void *attach_main(void *arg)
{
	struct attach_thread *a = arg;

	a->err = hsm_attach(hsm_test_tty(0), &a->d, NULL, 0);
	return NULL;
}

static void *detach_main(void *arg)
{
	struct attach_thread *a = arg;

	a->err = hsm_detach(a->d.index, NULL, 0);
	return NULL;
}

/* How many times the kernel log says a self-test found no board. */
static long logged_self_test_failures(void)
{
	return hsm_test_dmesg_count("no board could answer the crypto self-test");
}

static bool board_gone(uint32_t index)
{
	struct hsm_board_desc d;
	int err = hsm_get_board(index, &d, NULL, 0);

	return err == -ENODEV || (!err && d.state == HSM_BOARD_GONE);
}

#define USER_MODULE	"tests/kmod/cryptech_akc_user.ko"

/*
 * An in-kernel user (tests/kmod/cryptech_akc_user.c): allocates the
 * algorithm by name and by driver name, verifies good and bad signatures,
 * and then from 8 threads at once; its load succeeds only if all passed.
 * Without a board nothing provides the algorithm and the load fails.
 */
TEST_F_TIMEOUT(akc, in_kernel_user, 120)
{
	char out[4096];
	long verify = emu_requests(0, "PKEY_VERIFY");
	int st;

	ASSERT_LE(0, verify);
	ASSERT_TRUE(hsm_path_exists(USER_MODULE)) TH_LOG("no %s: run make module", USER_MODULE);
	st = hsm_test_run("insmod " USER_MODULE " threads=8 rounds=10 2>&1", out, sizeof(out));
	EXPECT_EQ(0, st) TH_LOG("insmod: %s (see the kernel log)", out);
	if (!st)
		EXPECT_EQ(0, hsm_test_run("rmmod cryptech_akc_user 2>&1", NULL, 0));
	/* 2 names x (good + bad), then 8 x 10, all on the board. */
	EXPECT_LE(verify + 4 + 80, emu_requests(0, "PKEY_VERIFY"));

	ASSERT_EQ(0, hsm_detach(self->d.index, NULL, 0));
	ASSERT_FALSE(listed(P256));
	st = hsm_test_run("insmod " USER_MODULE " 2>&1", out, sizeof(out));
	EXPECT_NE(0, st);
	if (!st)
		hsm_test_run("rmmod cryptech_akc_user", NULL, 0);
}

/*
 * The board goes away while the self-tests run on it: they fail with
 * -ENOENT (logged by testmgr, no WARN), the untested algorithms are
 * withdrawn, and the next attach registers them, tested.
 */
TEST_F_TIMEOUT(akc, board_gone_during_self_tests, 120)
{
	struct attach_thread a = { 0 }, det = { 0 };
	long prio = priority_param(), hits, before;
	const char *why = hsm_hooks_missing();

	ASSERT_EQ(NULL, why) TH_LOG("%s", why);
	ASSERT_EQ(0, hsm_detach(self->d.index, NULL, 0));
	ASSERT_FALSE(listed(P256));
	before = logged_self_test_failures();
	ASSERT_LE(0, before);

	hits = hsm_hook_hits("akcipher_selftest");
	ASSERT_EQ(0, hsm_hook_set("akcipher_selftest", 60000));
	ASSERT_EQ(0, pthread_create(&a.t, NULL, attach_main, &a));
	/* Inside the window: a self-test request waits before the board. */
	ASSERT_TRUE(hsm_wait_until(hsm_hook_hits("akcipher_selftest") > hits,
				   HSM_WAIT_MS));
	ASSERT_EQ(0, hsm_hook_set("akcipher_selftest", 0));
	ASSERT_EQ(0, hsm_test_find_board(hsm_test_tty(0) + 5, &det.d));
	ASSERT_EQ(0, pthread_create(&det.t, NULL, detach_main, &det));
	/* The detach marked the board gone; it now waits for the probe. */
	ASSERT_TRUE(hsm_wait_until(board_gone(det.d.index), HSM_WAIT_MS));
	ASSERT_EQ(0, hsm_hook_release());
	pthread_join(det.t, NULL);
	pthread_join(a.t, NULL);
	/* The attach itself may have succeeded: the board was published. */
	EXPECT_EQ(0, det.err);
	EXPECT_FALSE(listed(P256));
	EXPECT_FALSE(listed(P384));
	EXPECT_LT(before, logged_self_test_failures());

	/* The next board registers them, tested. */
	ASSERT_EQ(0, hsm_t_attach(0, &self->d));
	EXPECT_TRUE(listed_passed(P256, prio));
	EXPECT_TRUE(listed_passed(P384, prio));
}

/*
 * Self-tests that outlast the attach's handshake budget (2 x
 * handshake_timeout_ms + 1 s, ldisc.c): the board has answered the
 * handshake, so the attach waits for them and succeeds, the algorithms
 * registered and tested. Before, it failed with ETIMEDOUT, blamed the
 * handshake and took the board away under its self-tests. The first
 * self-test request is held past the budget (the akcipher_selftest delay
 * point).
 */
TEST_F_TIMEOUT(akc, slow_self_tests_do_not_fail_attach, 180)
{
	struct attach_thread a = { 0 };
	long prio = priority_param(), hits, held;
	long ms = hsm_param_get("handshake_timeout_ms");
	const char *why = hsm_hooks_missing();

	ASSERT_EQ(NULL, why) TH_LOG("%s", why);
	ASSERT_LT(0, ms);
	held = 2 * ms + 1000 + 2000;
	/* testhooks.c caps a delay at 60 s */
	ASSERT_GE(60000, held) TH_LOG("handshake_timeout_ms %ld is too long for this test", ms);
	ASSERT_EQ(0, hsm_detach(self->d.index, NULL, 0));
	ASSERT_FALSE(listed(P256));

	hits = hsm_hook_hits("akcipher_selftest");
	ASSERT_EQ(0, hsm_hook_set("akcipher_selftest", held));
	ASSERT_EQ(0, pthread_create(&a.t, NULL, attach_main, &a));
	ASSERT_TRUE(hsm_wait_until(hsm_hook_hits("akcipher_selftest") > hits,
				   HSM_WAIT_MS));
	/* The first request is held; the others go at once. */
	ASSERT_EQ(0, hsm_hook_set("akcipher_selftest", 0));
	pthread_join(a.t, NULL);
	EXPECT_EQ(0, a.err) TH_LOG("attach: %s", strerror(-a.err));
	EXPECT_TRUE(listed_passed(P256, prio));
	EXPECT_TRUE(listed_passed(P384, prio));
}

/* ---- Sign with keys from set_priv_key (tests/kmod sign_key) ---------- */

#define SDIR		"/run/hsm-akc-sign"
#define SIG_PARAM	"/sys/module/cryptech_akc_user/parameters/"

/*
 * In SDIR: an openssl-made key on each curve, as ECPrivateKey DER in hex
 * (k256.hex, k384.hex) and its public key (p256.pem, p384.pem); a message's
 * SHA-256 and SHA-384 digests (d256, d384) and in hex (d256.hex, d384.hex).
 */
static int make_sign_keys(void)
{
	return hsm_test_run(
		"set -e; rm -rf " SDIR "; mkdir -p " SDIR "; cd " SDIR "; "
		"hex() { od -An -tx1 -v \"$1\" | tr -d ' \\n' > \"$2\"; }; "
		"printf 'signed in the kernel' > m; "
		"for c in 256:prime256v1 384:secp384r1; do n=${c%%:*}; "
		"openssl ecparam -name ${c#*:} -genkey -noout -outform DER -out k$n.der; "
		"openssl ec -inform DER -in k$n.der -pubout -out p$n.pem 2>/dev/null; "
		"openssl dgst -sha$n -binary m > d$n; "
		"hex k$n.der k$n.hex; hex d$n d$n.hex; done", NULL, 0);
}

/* SDIR/@name's contents (a hex string) into @out, NUL-terminated. */
static int read_hex(const char *name, char *out, size_t size)
{
	char path[128];
	long n;

	snprintf(path, sizeof(path), SDIR "/%s", name);
	n = hsm_read_file(path, out, size - 1);
	if (n <= 0)
		return -1;
	out[n] = 0;
	return 0;
}

/*
 * insmod the user module with sign_key (SDIR/k@bits), sign_alg and
 * sign_digest (SDIR/d@bits), other_key (the other curve's) and @extra;
 * its exit status. Leaves the module loaded on success.
 */
static int insmod_sign(int bits, const char *extra, char *out, size_t size)
{
	static char key[1024], other[1024], dig[256], cmd[4096];
	char kname[16], oname[16], dname[16];

	snprintf(kname, sizeof(kname), "k%d.hex", bits);
	snprintf(oname, sizeof(oname), "k%d.hex", bits == 256 ? 384 : 256);
	snprintf(dname, sizeof(dname), "d%d.hex", bits);
	if (read_hex(kname, key, sizeof(key)) ||
	    read_hex(oname, other, sizeof(other)) ||
	    read_hex(dname, dig, sizeof(dig)))
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "insmod " USER_MODULE " sign_key=%s sign_alg=ecdsa-nist-p%d sign_digest=%s other_key=%s %s 2>&1",
		 key, bits, dig, other, extra);
	return hsm_test_run(cmd, out, size);
}

/*
 * The module's signature parameter @param (hex) checked by openssl against
 * the @bits key and digest; with @flip, the signature's last byte changed
 * first (openssl must then refuse it). openssl's exit status.
 */
static int openssl_verify_with(const char *param, const char *pub,
			       const char *dig, const char *opt,
			       unsigned char flip)
{
	char hex[1100], cmd[512];
	unsigned char sig[600];
	long n, i;

	n = hsm_read_file(param, hex, sizeof(hex) - 1);
	if (n < 4)
		return -1;
	hex[n] = 0;
	for (i = 0; i < (long)sizeof(sig) && sscanf(hex + 2 * i, "%2hhx", &sig[i]) == 1; i++)
		;
	if (i < 8)
		return -1;
	sig[i - 1] ^= flip;
	if (hsm_write_file(SDIR "/s", sig, i))
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "openssl pkeyutl -verify -pubin -inkey " SDIR "/%s -in " SDIR "/%s -sigfile " SDIR "/s %s 2>&1",
		 pub, dig, opt);
	return hsm_test_run(cmd, NULL, 0);
}

static int openssl_verify(const char *param, int bits, unsigned char flip)
{
	char pub[16], dig[16];

	snprintf(pub, sizeof(pub), "p%d.pem", bits);
	snprintf(dig, sizeof(dig), "d%d", bits);
	return openssl_verify_with(param, pub, dig, "", flip);
}

/* The same for the RSA key (PKCS#1 v1.5 with SHA-@bits). */
static int rsa_openssl_verify(const char *param, int bits, unsigned char flip)
{
	char dig[16], opt[32];

	snprintf(dig, sizeof(dig), "d%d", bits);
	snprintf(opt, sizeof(opt), "-pkeyopt digest:sha%d", bits);
	return openssl_verify_with(param, "rp.pem", dig, opt, flip);
}

static int kernel_login(const struct hsm_board_desc *d, int board)
{
	uint32_t bs;
	int fd = hsm_t_open_dev(d), err;

	if (fd < 0)
		return fd;
	err = hsm_t_bringup(fd, board);
	if (!err)
		err = hsm_t_pin_op(fd, CRYPTECH_HSM_IOC_KERNEL_LOGIN,
				   CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, &bs);
	close(fd);
	return err;
}

static int kernel_logout(const struct hsm_board_desc *d)
{
	struct cryptech_hsm_status a;
	int fd = hsm_t_open_dev(d), err;

	if (fd < 0)
		return fd;
	HSM_INIT(a);
	err = hsm_ioc(fd, CRYPTECH_HSM_IOC_KERNEL_LOGOUT, &a);
	close(fd);
	return err;
}

static long emu_volatile_keys(int board)
{
	static char js[65536];
	struct hsm_emu_stats st;

	if (hsm_test_board_ctl(board, "stats", js, sizeof(js)) ||
	    hsm_emu_parse_stats(js, &st))
		return -1;
	return st.volatile_keys;
}

/*
 * Sign through the name and the driver name with an openssl-made key
 * (set_priv_key); openssl accepts both signatures and refuses a changed
 * one; the module's own checks (in-kernel verify, dst too small, digest
 * lengths, the malformed keys, 4 threads x 4 on one tfm and on their own)
 * pass; the keys loaded on the board are gone once the module freed its
 * transforms.
 */
static void sign_case(struct __test_metadata *_metadata,
		      const struct hsm_board_desc *d, int bits)
{
	long load, sign, verify, vol;
	char out[4096];
	int st;

	ASSERT_EQ(0, make_sign_keys());
	ASSERT_TRUE(hsm_path_exists(USER_MODULE)) TH_LOG("no %s: run make module", USER_MODULE);
	ASSERT_EQ(0, kernel_login(d, 0));
	vol = emu_volatile_keys(0);
	load = emu_requests(0, "PKEY_LOAD");
	sign = emu_requests(0, "PKEY_SIGN");
	verify = emu_requests(0, "PKEY_VERIFY");
	ASSERT_LE(0, vol);
	st = insmod_sign(bits, "threads=4 rounds=4", out, sizeof(out));
	ASSERT_EQ(0, st) TH_LOG("insmod: %s (see the kernel log)", out);
	EXPECT_EQ(0, openssl_verify(SIG_PARAM "sig_by_name", bits, 0));
	EXPECT_EQ(0, openssl_verify(SIG_PARAM "sig_by_driver", bits, 0));
	EXPECT_NE(0, openssl_verify(SIG_PARAM "sig_by_name", bits, 0x01));
	EXPECT_EQ(0, hsm_test_run("rmmod cryptech_akc_user 2>&1", NULL, 0));
	/* 2 names, the control after the malformed keys, 2 x 4 x 4. */
	EXPECT_LE(sign + 3 + 32, emu_requests(0, "PKEY_SIGN"));
	/* Loaded once per transform (and once per verify), not per sign. */
	EXPECT_GT(load + 32, emu_requests(0, "PKEY_LOAD") -
		  emu_requests(0, "PKEY_VERIFY") + verify);
	/* Every transform freed: every key it loaded deleted. */
	EXPECT_EQ(vol, emu_volatile_keys(0));
}

TEST_F_TIMEOUT(akc, sign_p256, 120)
{
	sign_case(_metadata, &self->d, 256);
}

TEST_F_TIMEOUT(akc, sign_p384, 120)
{
	sign_case(_metadata, &self->d, 384);
}

/* Lines of the kernel log naming "hsmctl kernel-login". */
static long login_log_lines(void)
{
	char out[64];

	if (hsm_test_run("dmesg | grep -c 'kernel session is not logged in (run .hsmctl kernel-login.)'",
			 out, sizeof(out)) > 1)
		return -1;
	return atol(out);
}

/* Without kernel-login: -EACCES, and the log says what to run. */
TEST_F_TIMEOUT(akc, sign_needs_kernel_login, 120)
{
	long before = login_log_lines(), load = emu_requests(0, "PKEY_LOAD");
	char out[4096];
	int st;

	ASSERT_LE(0, before);
	ASSERT_EQ(0, make_sign_keys());
	st = insmod_sign(256, "sign_once=1 sign_err=-13", out, sizeof(out));
	ASSERT_EQ(0, st) TH_LOG("insmod: %s (see the kernel log)", out);
	EXPECT_EQ(0, hsm_test_run("rmmod cryptech_akc_user 2>&1", NULL, 0));
	EXPECT_LT(before, login_log_lines());
	/* Refused before the board was asked. */
	EXPECT_EQ(load, emu_requests(0, "PKEY_LOAD"));
}

/* Whether the board behind open file @fd is dead (requests fail). */
static bool fd_board_dead(int fd)
{
	struct cryptech_hsm_board_info bi;

	HSM_INIT(bi);
	return hsm_ioc(fd, CRYPTECH_HSM_IOC_BOARD_INFO, &bi) == -ENODEV;
}

struct insmod_thread {
	pthread_t t;
	int bits, st;
	const char *extra;
	char out[4096];
};

static void *insmod_main(void *arg)
{
	struct insmod_thread *a = arg;

	a->st = insmod_sign(a->bits, a->extra, a->out, sizeof(a->out));
	return NULL;
}

/*
 * Board 0 unplugged while a sign has the key loaded on it (the
 * akcipher_sign delay point holds the window open): the sign loads the
 * key on board 1 and signs there when @two, else fails with -ENODEV.
 */
static void unplug_case(struct __test_metadata *_metadata,
			struct hsm_board_desc *d, bool two)
{
	struct insmod_thread ins = { .bits = 256 };
	struct attach_thread det = { .d = *d };
	struct hsm_board_desc d1;
	const char *why = hsm_hooks_missing();
	long hits, sign1 = 0;
	int fd;

	ASSERT_EQ(NULL, why) TH_LOG("%s", why);
	ASSERT_EQ(0, make_sign_keys());
	ASSERT_EQ(0, kernel_login(d, 0));
	if (two) {
		ASSERT_EQ(0, hsm_t_attach(1, &d1));
		ASSERT_EQ(0, kernel_login(&d1, 1));
		sign1 = emu_requests(1, "PKEY_SIGN");
	}
	ins.extra = two ? "sign_once=1" : "sign_once=1 sign_err=-19";
	fd = hsm_t_open_dev(d);
	ASSERT_LE(0, fd);
	hits = hsm_hook_hits("akcipher_sign");
	ASSERT_EQ(0, hsm_hook_set("akcipher_sign", 60000));
	ASSERT_EQ(0, pthread_create(&ins.t, NULL, insmod_main, &ins));
	/* Inside the window: the key is on board 0, the sign not sent. */
	ASSERT_TRUE(hsm_wait_until(hsm_hook_hits("akcipher_sign") > hits,
				   HSM_WAIT_MS));
	ASSERT_EQ(0, hsm_hook_set("akcipher_sign", 0));
	/*
	 * The detach marks the board gone, then waits for the sign. Netlink
	 * waits for the detach meanwhile: the board's own file tells.
	 */
	ASSERT_EQ(0, pthread_create(&det.t, NULL, detach_main, &det));
	ASSERT_TRUE(hsm_wait_until(fd_board_dead(fd), HSM_WAIT_MS));
	close(fd);
	ASSERT_EQ(0, hsm_hook_release());
	pthread_join(det.t, NULL);
	pthread_join(ins.t, NULL);
	EXPECT_EQ(0, det.err);
	ASSERT_EQ(0, ins.st) TH_LOG("insmod: %s (see the kernel log)", ins.out);
	if (two) {
		EXPECT_LT(sign1, emu_requests(1, "PKEY_SIGN"));
		EXPECT_EQ(0, openssl_verify(SIG_PARAM "sig_by_name", 256, 0));
	}
	EXPECT_EQ(0, hsm_test_run("rmmod cryptech_akc_user 2>&1", NULL, 0));
	/*
	 * With no board left the transform kept the algorithms registered;
	 * the next board's detach (the teardown's) unregisters the ECDSA
	 * ones, its next kernel-logout the RSA ones.
	 */
	if (!two) {
		ASSERT_EQ(0, hsm_t_attach(0, d));
		ASSERT_EQ(0, kernel_login(d, 0));
		ASSERT_EQ(0, kernel_logout(d));
	}
}

TEST_F_TIMEOUT(akc, sign_board_unplugged_next_board, 120)
{
	unplug_case(_metadata, &self->d, true);
}

TEST_F_TIMEOUT(akc, sign_board_unplugged_none_left, 120)
{
	unplug_case(_metadata, &self->d, false);
}

/* ---- pkcs1pad(rsa,...): registered while a kernel session is logged in */

static const char *const rsa_drivers[] = {
	"cryptech-pkcs1pad-rsa-sha1", "cryptech-pkcs1pad-rsa-sha256",
	"cryptech-pkcs1pad-rsa-sha384", "cryptech-pkcs1pad-rsa-sha512",
};

static int rsa_listed_passed(long prio)
{
	int i, n = 0;

	for (i = 0; i < 4; i++)
		n += listed_passed(rsa_drivers[i], prio);
	return n;
}

static int rsa_listed(void)
{
	int i, n = 0;

	for (i = 0; i < 4; i++)
		n += listed(rsa_drivers[i]);
	return n;
}

/*
 * The four RSA algorithms come with the first kernel-login (the kernel's
 * pkcs1pad(rsa,sha256) vector signed on the board) and go with the last
 * logout or detach; the ECDSA ones stay with the boards.
 */
TEST_F_TIMEOUT(akc, rsa_registered_while_logged_in, 120)
{
	long prio = priority_param(), sign;
	struct hsm_board_desc d1;

	ASSERT_LE(0, prio);
	ASSERT_EQ(0, rsa_listed());
	sign = emu_requests(0, "PKEY_SIGN");
	ASSERT_EQ(0, kernel_login(&self->d, 0));
	EXPECT_EQ(4, rsa_listed_passed(prio));
	EXPECT_LT(sign, emu_requests(0, "PKEY_SIGN"));
	ASSERT_EQ(0, kernel_logout(&self->d));
	EXPECT_EQ(0, rsa_listed());
	EXPECT_TRUE(listed_passed(P256, prio));

	/* Two boards logged in: shared; the last one out removes them. */
	ASSERT_EQ(0, hsm_t_attach(1, &d1));
	ASSERT_EQ(0, kernel_login(&self->d, 0));
	ASSERT_EQ(0, kernel_login(&d1, 1));
	ASSERT_EQ(4, rsa_listed_passed(prio));
	ASSERT_EQ(0, kernel_logout(&self->d));
	EXPECT_EQ(4, rsa_listed_passed(prio));
	/* A detach ends board 1's login: the last one. */
	ASSERT_EQ(0, hsm_detach(d1.index, NULL, 0));
	EXPECT_EQ(0, rsa_listed());
	EXPECT_TRUE(listed_passed(P256, prio));
}

/*
 * In SDIR: an openssl-made RSA-2048 key as PKCS#1 RSAPrivateKey DER in hex
 * (rk.hex), its public key (rp.pem); the message's digests d1 and d512 too.
 */
static int make_rsa_key(void)
{
	if (make_sign_keys())
		return -1;
	return hsm_test_run(
		"set -e; cd " SDIR "; "
		"hex() { od -An -tx1 -v \"$1\" | tr -d ' \\n' > \"$2\"; }; "
		"openssl genrsa -out rk.pem 2048 2>/dev/null; "
		"openssl rsa -in rk.pem -traditional -outform DER -out rk.der 2>/dev/null; "
		"openssl rsa -in rk.pem -pubout -out rp.pem 2>/dev/null; "
		"openssl rsa -in rk.pem -RSAPublicKey_out -outform DER -out rpub.der 2>/dev/null; "
		"hex rk.der rk.hex; "
		"for n in 1 512; do openssl dgst -sha$n -binary m > d$n; hex d$n d$n.hex; done",
		NULL, 0);
}

/*
 * Sign through pkcs1pad(rsa,sha@bits) by name and by driver name (the
 * priority raised above the kernel's software pkcs1pad so that the name
 * finds the board's), openssl accepting the signatures; the module's own
 * checks (verify on the board, a changed digest refused, dst too small,
 * digest lengths, malformed keys, 2 threads x 2 on one and on several
 * transforms); the loaded keys deleted once the transforms are freed.
 */
static void rsa_sign_case(struct __test_metadata *_metadata,
			  struct hsm_board_desc *d, int bits)
{
	static char dig[256], cmd[1024];
	char dname[16], v[16], verify[512];
	long old = priority_param(), vol, sign;
	int st, n;

	ASSERT_EQ(0, make_rsa_key());
	ASSERT_LE(0, old);
	ASSERT_EQ(0, hsm_write_file(PRIORITY_PARAM, "300", 3));
	st = kernel_login(d, 0);
	n = snprintf(v, sizeof(v), "%ld", old);
	ASSERT_EQ(0, hsm_write_file(PRIORITY_PARAM, v, n));
	ASSERT_EQ(0, st);
	ASSERT_EQ(4, rsa_listed_passed(300));
	snprintf(dname, sizeof(dname), "d%d.hex", bits);
	ASSERT_EQ(0, read_hex(dname, dig, sizeof(dig)));
	vol = emu_volatile_keys(0);
	sign = emu_requests(0, "PKEY_SIGN");
	snprintf(cmd, sizeof(cmd),
		 "insmod " USER_MODULE " sign_key_file=" SDIR "/rk.der pub_key_file=" SDIR "/rpub.der 'sign_alg=pkcs1pad(rsa,sha%d)' sign_driver=cryptech-pkcs1pad-rsa-sha%d sign_digest=%s threads=2 rounds=2 2>&1",
		 bits, bits, dig);
	st = hsm_test_run(cmd, verify, sizeof(verify));
	ASSERT_EQ(0, st) TH_LOG("insmod: %s (see the kernel log)", verify);
	EXPECT_EQ(0, rsa_openssl_verify(SIG_PARAM "sig_by_name", bits, 0));
	EXPECT_EQ(0, rsa_openssl_verify(SIG_PARAM "sig_by_driver", bits, 0));
	EXPECT_NE(0, rsa_openssl_verify(SIG_PARAM "sig_by_name", bits, 0x01));
	/*
	 * PKCS#1 v1.5 is deterministic: openssl's signature is the same.
	 * (Through cat: sysfs files claim 4096 bytes, cmp trusts sizes.)
	 */
	snprintf(cmd, sizeof(cmd),
		 "cd " SDIR " && openssl pkeyutl -sign -inkey rk.pem -in d%d -pkeyopt digest:sha%d | od -An -tx1 -v | tr -d ' \n' > os.hex && echo >> os.hex && cat " SIG_PARAM "sig_by_driver | cmp -s os.hex -",
		 bits, bits);
	EXPECT_EQ(0, hsm_test_run(cmd, NULL, 0));
	EXPECT_EQ(0, hsm_test_run("rmmod cryptech_akc_user 2>&1", NULL, 0));
	/* 2 names, the control, 2 x 2 x 2. */
	EXPECT_LE(sign + 2 + 8, emu_requests(0, "PKEY_SIGN"));
	EXPECT_EQ(vol, emu_volatile_keys(0));
}

TEST_F_TIMEOUT(akc, rsa_sign_sha1, 180)
{
	rsa_sign_case(_metadata, &self->d, 1);
}

TEST_F_TIMEOUT(akc, rsa_sign_sha256, 180)
{
	rsa_sign_case(_metadata, &self->d, 256);
}

TEST_F_TIMEOUT(akc, rsa_sign_sha384, 180)
{
	rsa_sign_case(_metadata, &self->d, 384);
}

TEST_F_TIMEOUT(akc, rsa_sign_sha512, 180)
{
	rsa_sign_case(_metadata, &self->d, 512);
}

HSM_TEST_HARNESS_MAIN
