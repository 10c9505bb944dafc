// SPDX-License-Identifier: GPL-2.0
/*
 * Board-resident keys in the kernel's keyrings (issue 10 point 4): "keyctl
 * padd asymmetric" of the documented payload (board identity, key UUID)
 * makes a key whose pkey_query answers from what it learnt at padd, whose
 * pkey_sign runs on the board (ECDSA P-256 and P-384 as x962 and raw, RSA
 * PKCS#1 v1.5 with sha1/256/384/512) with signatures openssl verifies
 * against "hsmctl key pubkey", and whose pkey_verify accepts them and
 * rejects corrupted ones. Failure paths, each with its errno: payloads
 * that are not ours (EBADMSG) or break the grammar in any byte (EINVAL),
 * an unknown board (ENODEV) or key (ENOENT), padd and sign without the
 * kernel login (EACCES and the log line naming "hsmctl kernel-login"; verify
 * and query need none), wrong encodings, hashes and digest lengths
 * (EINVAL), a public-only key asked to sign (EOPNOTSUPP) or encrypt
 * (EINVAL: not offered), a P-521 key (EOPNOTSUPP at padd).
 * Unplug: detaching the board under a thread that signs in a loop fails its
 * signs with ENODEV and nothing else; re-attach of the same board and
 * kernel login make them work again, three times over. A line dropped
 * while the board works on a sign fails that sign with ENODEV at once.
 * Each key holds a
 * module reference: rmmod is refused while one exists, and the reference
 * goes with the key; with none left the module unloads and loads again.
 * Kernel warnings fail the run (tests/vm/run checks the
 * log). Group "keyring", one emulator board.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <linux/keyctl.h>

#include "kselftest_harness.h"
#include "hsm_ioctl.h"

#define HSMCTL		"hsmctl/hsmctl"
#define DIR		"/run/hsm-kr"
#define REFCNT		"/sys/module/cryptech_hsm/refcnt"
#define LOGIN_LINE	"kernel session is not logged in (run .hsmctl kernel-login.)"
#define GC_MS		20000	/* the key garbage collector's deadline */

static long add_key(const char *payload, size_t len)
{
	long id = syscall(SYS_add_key, "asymmetric", "", payload, len,
			  KEY_SPEC_USER_KEYRING);

	return id < 0 ? -errno : id;
}

static long add_key_str(const char *payload)
{
	return add_key(payload, strlen(payload));
}

/* KEYCTL_PKEY_SIGN: the signature's length, or a negative errno. */
static long pkey_sign(long id, const char *info, const void *in, size_t in_len,
		      void *out, size_t out_len)
{
	struct keyctl_pkey_params p = {
		.key_id = id, .in_len = in_len, .out_len = out_len,
	};
	long n = syscall(SYS_keyctl, KEYCTL_PKEY_SIGN, &p, info, in, out);

	return n < 0 ? -errno : n;
}

static long pkey_verify(long id, const char *info, const void *in,
			size_t in_len, const void *sig, size_t sig_len)
{
	struct keyctl_pkey_params p = {
		.key_id = id, .in_len = in_len, .in2_len = sig_len,
	};
	long n = syscall(SYS_keyctl, KEYCTL_PKEY_VERIFY, &p, info, in, sig);

	return n < 0 ? -errno : n;
}

static long pkey_query(long id, const char *info, struct keyctl_pkey_query *q)
{
	long n = syscall(SYS_keyctl, KEYCTL_PKEY_QUERY, id, 0, info, q);

	return n < 0 ? -errno : n;
}

static long pkey_encrypt(long id, const void *in, size_t in_len, void *out,
			 size_t out_len)
{
	struct keyctl_pkey_params p = {
		.key_id = id, .in_len = in_len, .out_len = out_len,
	};
	long n = syscall(SYS_keyctl, KEYCTL_PKEY_ENCRYPT, &p, "enc=pkcs1", in,
			 out);

	return n < 0 ? -errno : n;
}

static void uuid_str(const uint8_t *u, char *out)
{
	sprintf(out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		u[10], u[11], u[12], u[13], u[14], u[15]);
}

static void payload(char *out, size_t size, const char *board,
		    const uint8_t *uuid)
{
	char u[37];

	uuid_str(uuid, u);
	snprintf(out, size, "cryptech-hsm:v1 board=%s key=%s", board, u);
}

static int kernel_login(int fd)
{
	return hsm_t_pin_op(fd, CRYPTECH_HSM_IOC_KERNEL_LOGIN,
			    CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, NULL);
}

static int kernel_logout(int fd)
{
	struct cryptech_hsm_status a;

	HSM_INIT(a);
	return hsm_ioc(fd, CRYPTECH_HSM_IOC_KERNEL_LOGOUT, &a);
}

static int log_lines(void)
{
	char out[64];

	if (hsm_test_run("dmesg | grep -c '" LOGIN_LINE "'", out,
			 sizeof(out)) > 1)
		return -1;
	return atoi(out);
}

static long refcnt(void)
{
	char buf[32];
	long n = hsm_read_file(REFCNT, buf, sizeof(buf) - 1);

	if (n <= 0)
		return -1;
	buf[n] = 0;
	return strtol(buf, NULL, 10);
}

/* Run a shell command line built from @fmt; its exit status. */
static int shf(char *out, size_t len, const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return hsm_test_run(cmd, out, len);
}

FIXTURE(kr) {
	struct hsm_board_desc d;
	int fd;
	struct hsm_t_key keys[8];
	int n_keys;
	char out[8192];
};

/* A token key of this test, deleted at teardown. */
static int gen_ec(struct _test_data_kr *self, uint32_t curve, uint8_t *uuid)
{
	struct hsm_t_key *k = &self->keys[self->n_keys];
	int err = hsm_t_gen_ec(self->fd, curve, CRYPTECH_HSM_KEY_F_SIGN |
			       CRYPTECH_HSM_KEY_F_TOKEN, k, NULL);

	if (!err) {
		memcpy(uuid, k->uuid, 16);
		self->n_keys++;
	}
	return err;
}

static int gen_rsa(struct _test_data_kr *self, uint8_t *uuid)
{
	struct hsm_t_key *k = &self->keys[self->n_keys];
	int err = hsm_t_gen_rsa(self->fd, 2048, CRYPTECH_HSM_KEY_F_SIGN |
				CRYPTECH_HSM_KEY_F_TOKEN, k, NULL);

	if (!err) {
		memcpy(uuid, k->uuid, 16);
		self->n_keys++;
	}
	return err;
}

FIXTURE_SETUP(kr)
{
	self->fd = -1;
	self->n_keys = 0;
	hsm_test_run("keyctl clear @u", NULL, 0);
	hsm_t_detach_all();	/* a test killed by its timeout skips teardown */
	ASSERT_EQ(0, hsm_t_attach(0, &self->d));
	ASSERT_NE(0, self->d.board_id[0]);
	self->fd = hsm_t_open_dev(&self->d);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, hsm_t_bringup(self->fd, 0));
	ASSERT_EQ(0, hsm_t_login(self->fd, CRYPTECH_HSM_USER_NORMAL,
				 HSM_USER_PIN, NULL));
	ASSERT_EQ(0, kernel_login(self->fd));
	ASSERT_EQ(0, setenv("HSMCTL_PIN", HSM_USER_PIN, 1));
	ASSERT_EQ(0, hsm_test_run("set -e; rm -rf " DIR "; mkdir -p " DIR
				  "; cd " DIR "; printf 'a file to sign' > m; "
				  "for h in sha1 sha256 sha384 sha512; do "
				  "openssl dgst -$h -binary m > $h; done",
				  NULL, 0));
}

FIXTURE_TEARDOWN(kr)
{
	int i;

	hsm_test_run("keyctl clear @u", NULL, 0);
	if (self->fd >= 0) {
		for (i = 0; i < self->n_keys; i++)
			hsm_t_delete(self->fd, self->keys[i].handle, NULL);
		kernel_logout(self->fd);
		close(self->fd);
	}
	hsm_t_detach_all();
}

/* padd through keyctl, as the documentation shows; the key's id. */
static long padd_shell(struct _test_data_kr *self, const uint8_t *uuid)
{
	char p[256];

	payload(p, sizeof(p), self->d.board_id, uuid);
	if (shf(self->out, sizeof(self->out),
		"printf '%%s' '%s' | keyctl padd asymmetric '' @u 2>&1", p))
		return -1;
	return strtol(self->out, NULL, 10);
}

/*
 * Sign DIR/@hash with keyctl into DIR/sig (@enc), check it with openssl
 * against hsmctl's public key and with keyctl pkey_verify, and a corrupted
 * copy with both.
 */
static void sign_check(struct __test_metadata *_metadata,
		       struct _test_data_kr *self, long id,
		       const uint8_t *uuid, const char *enc, const char *hash,
		       bool rsa)
{
	char u[37], *out = self->out;
	size_t len = sizeof(self->out);
	uint8_t sig[1024];
	long n;

	uuid_str(uuid, u);
	ASSERT_EQ(0, shf(out, len, HSMCTL " key pubkey %s > " DIR
			 "/pub.pem 2>&1", u)) {
		TH_LOG("%s", out);
	}
	ASSERT_EQ(0, shf(out, len, "cd " DIR " && keyctl pkey_sign %ld 0 %s "
			 "enc=%s hash=%s > sig 2>err || cat err", id, hash,
			 enc, hash)) {
		TH_LOG("%s", out);
	}
	ASSERT_EQ(0, shf(out, len, "cd " DIR " && test -s sig && "
			 "openssl pkeyutl -verify -pubin -inkey pub.pem -in %s "
			 "-sigfile sig %s%s 2>&1", hash,
			 rsa ? "-pkeyopt digest:" : "", rsa ? hash : "")) {
		TH_LOG("openssl: %s", out);
	}
	ASSERT_EQ(0, shf(out, len, "cd " DIR " && keyctl pkey_verify %ld 0 %s "
			 "sig enc=%s hash=%s 2>&1", id, hash, enc, hash)) {
		TH_LOG("%s", out);
	}
	/* The same signature, one bit off in its middle. */
	n = hsm_read_file(DIR "/sig", sig, sizeof(sig));
	ASSERT_LT(8, n);
	sig[n / 2] ^= 1;
	ASSERT_EQ(0, hsm_write_file(DIR "/bad", sig, n));
	EXPECT_NE(0, shf(out, len, "cd " DIR " && openssl pkeyutl -verify "
			 "-pubin -inkey pub.pem -in %s -sigfile bad %s%s 2>&1",
			 hash, rsa ? "-pkeyopt digest:" : "", rsa ? hash : ""));
	EXPECT_NE(0, shf(out, len, "cd " DIR " && keyctl pkey_verify %ld 0 %s "
			 "bad enc=%s hash=%s 2>&1", id, hash, enc, hash));
}

static long file_bytes(const char *name, void *buf, size_t size)
{
	char path[128];

	snprintf(path, sizeof(path), DIR "/%s", name);
	return hsm_read_file(path, buf, size);
}

TEST_F_TIMEOUT(kr, ecdsa_p256_p384, 300)
{
	uint8_t p256[16], p384[16], d[64], sig[256];
	struct keyctl_pkey_query q;
	long id256, id384, n;
	char hex[33];
	int i;

	ASSERT_EQ(0, gen_ec(self, CRYPTECH_HSM_CURVE_P256, p256));
	ASSERT_EQ(0, gen_ec(self, CRYPTECH_HSM_CURVE_P384, p384));
	id256 = padd_shell(self, p256);
	ASSERT_LT(0, id256) {
		TH_LOG("%s", self->out);
	}
	id384 = padd_shell(self, p384);
	ASSERT_LT(0, id384);

	/* Found by the id derived from the UUID; described in /proc/keys. */
	for (i = 0; i < 16; i++)
		sprintf(hex + 2 * i, "%02x", p256[i]);
	ASSERT_EQ(0, shf(self->out, sizeof(self->out),
			 "keyctl search @u asymmetric id:%s 2>&1", hex)) {
		TH_LOG("%s", self->out);
	}
	ASSERT_EQ(id256, strtol(self->out, NULL, 10));
	ASSERT_EQ(0, shf(self->out, sizeof(self->out),
			 "grep '^%08lx ' /proc/keys", id256));
	EXPECT_NE(NULL, strstr(self->out, "cryptech-hsm ecdsa-p256 board=")) {
		TH_LOG("%s", self->out);
	}

	ASSERT_EQ(0, pkey_query(id256, "enc=x962 hash=sha256", &q));
	EXPECT_EQ(256, q.key_size);
	EXPECT_EQ(KEYCTL_SUPPORTS_SIGN | KEYCTL_SUPPORTS_VERIFY,
		  q.supported_ops);
	EXPECT_EQ(32, q.max_data_size);
	EXPECT_EQ(72, q.max_sig_size);
	ASSERT_EQ(0, pkey_query(id384, "enc=raw", &q));
	EXPECT_EQ(384, q.key_size);
	EXPECT_EQ(96, q.max_sig_size);
	ASSERT_EQ(0, shf(self->out, sizeof(self->out),
			 "keyctl pkey_query %ld 0 enc=x962 2>&1", id384));
	EXPECT_NE(NULL, strstr(self->out, "key_size=384\n"));
	EXPECT_NE(NULL, strstr(self->out, "sign=y\n"));

	sign_check(_metadata, self, id256, p256, "x962", "sha256", false);
	sign_check(_metadata, self, id256, p256, "x962", "sha1", false);
	sign_check(_metadata, self, id384, p384, "x962", "sha384", false);
	sign_check(_metadata, self, id384, p384, "x962", "sha256", false);

	/* raw: r || s, verified as such. */
	ASSERT_EQ(48, file_bytes("sha384", d, sizeof(d)));
	n = pkey_sign(id384, "enc=raw hash=sha384", d, 48, sig, 96);
	ASSERT_EQ(96, n);
	EXPECT_EQ(0, pkey_verify(id384, "enc=raw hash=sha384", d, 48, sig, 96));
	sig[10] ^= 1;
	EXPECT_EQ(-EKEYREJECTED,
		  pkey_verify(id384, "enc=raw hash=sha384", d, 48, sig, 96));
}

TEST_F_TIMEOUT(kr, rsa_pkcs1_hashes, 600)
{
	static const char * const hashes[] = {
		"sha1", "sha256", "sha384", "sha512",
	};
	struct keyctl_pkey_query q;
	uint8_t rsa[16];
	unsigned int i;
	long id;

	ASSERT_EQ(0, gen_rsa(self, rsa));
	id = padd_shell(self, rsa);
	ASSERT_LT(0, id) {
		TH_LOG("%s", self->out);
	}
	ASSERT_EQ(0, pkey_query(id, "enc=pkcs1 hash=sha256", &q));
	EXPECT_EQ(2048, q.key_size);
	EXPECT_EQ(256, q.max_sig_size);
	for (i = 0; i < 4; i++)
		sign_check(_metadata, self, id, rsa, "pkcs1", hashes[i], true);
}

/* Encodings, hashes and digest lengths the key cannot do: EINVAL. */
TEST_F_TIMEOUT(kr, wrong_parameters, 600)
{
	uint8_t p256[16], rsa[16], d[64], sig[600];
	long ec, rs;

	memset(d, 0x5a, sizeof(d));
	ASSERT_EQ(0, gen_ec(self, CRYPTECH_HSM_CURVE_P256, p256));
	ASSERT_EQ(0, gen_rsa(self, rsa));
	ec = padd_shell(self, p256);
	ASSERT_LT(0, ec);
	rs = padd_shell(self, rsa);
	ASSERT_LT(0, rs);

	EXPECT_LT(0, pkey_sign(ec, "enc=x962 hash=sha256", d, 32, sig, 72));
	EXPECT_EQ(-EINVAL, pkey_sign(ec, "enc=pkcs1 hash=sha256", d, 32, sig, 72));
	EXPECT_EQ(-EINVAL, pkey_sign(ec, "enc=x962 hash=md5", d, 16, sig, 72));
	EXPECT_EQ(-EINVAL, pkey_sign(ec, "enc=x962 hash=sha256", d, 20, sig, 72));
	EXPECT_EQ(-EINVAL, pkey_sign(ec, "enc=x962 hash=sha384", d, 32, sig, 72));
	EXPECT_EQ(-EINVAL, pkey_sign(ec, "enc=x962", d, 31, sig, 72));
	/* Longer than the curve's order: the board would not cut it. */
	EXPECT_EQ(-EINVAL, pkey_sign(ec, "enc=x962 hash=sha384", d, 48, sig, 104));
	/* A DER SEQUENCE longer than the signature: malformed. */
	memcpy(sig, "\x30\x46\x02\x01\x01\x02\x01\x01", 8);
	EXPECT_EQ(-EBADMSG, pkey_verify(ec, "enc=x962 hash=sha256", d, 32,
					sig, 72));
	/* r given in 33 bytes without need: not DER. */
	memcpy(sig, "\x30\x26\x02\x21\x00\x01", 6);
	EXPECT_EQ(-EBADMSG, pkey_verify(ec, "enc=x962 hash=sha256", d, 32,
					sig, 72));

	EXPECT_EQ(256, pkey_sign(rs, "enc=pkcs1 hash=sha256", d, 32, sig, 256));
	EXPECT_EQ(-EINVAL, pkey_sign(rs, "enc=pkcs1", d, 32, sig, 256));
	EXPECT_EQ(-EINVAL, pkey_sign(rs, "enc=raw hash=sha256", d, 32, sig, 256));
	EXPECT_EQ(-EINVAL, pkey_sign(rs, "enc=x962 hash=sha256", d, 32, sig, 256));
	EXPECT_EQ(-EINVAL, pkey_sign(rs, "enc=pkcs1 hash=md5", d, 16, sig, 256));
	EXPECT_EQ(-EINVAL, pkey_sign(rs, "enc=pkcs1 hash=sha256", d, 20, sig, 256));
	EXPECT_EQ(-EINVAL, pkey_sign(rs, "enc=pkcs1 hash=sha512", d, 48, sig, 256));
	EXPECT_EQ(-EINVAL, pkey_verify(rs, "enc=pkcs1 hash=sha1", d, 32, sig, 256));
}

/*
 * Payloads: not ours -> EBADMSG; ours but off the grammar in any byte ->
 * EINVAL; an unknown board -> ENODEV; an unknown key -> ENOENT.
 */
TEST_F_TIMEOUT(kr, malformed_payloads, 120)
{
	static const uint8_t no_key[16] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3,
					    4, 5, 6, 7, 8, 9, 10, 11, 12 };
	char good[256], bad[320], u[37], upper[37];
	const char *b = self->d.board_id;
	uint8_t p256[16];
	long id;
	int i;

	ASSERT_EQ(0, gen_ec(self, CRYPTECH_HSM_CURVE_P256, p256));
	uuid_str(p256, u);
	payload(good, sizeof(good), b, p256);

	EXPECT_EQ(-EBADMSG, add_key_str("cryptech-hsm"));
	EXPECT_EQ(-EBADMSG, add_key_str("Cryptech-hsm:v1 board=x key=y"));
	EXPECT_EQ(-EBADMSG, add_key_str("not a key at all"));

#define BAD(...) do {							\
		snprintf(bad, sizeof(bad), __VA_ARGS__);		\
		EXPECT_EQ(-EINVAL, add_key_str(bad)) {			\
			TH_LOG("payload \"%s\"", bad);			\
		}							\
	} while (0)
	BAD("cryptech-hsm:");
	BAD("cryptech-hsm:v2 board=%s key=%s", b, u);
	BAD("cryptech-hsm:v1  board=%s key=%s", b, u);
	BAD("cryptech-hsm:v1 board= key=%s", u);
	BAD("cryptech-hsm:v1 board=%s  key=%s", b, u);
	BAD("cryptech-hsm:v1 board=%s key=%s ", b, u);
	BAD("cryptech-hsm:v1 board=%s key=%s\n\n", b, u);
	BAD("cryptech-hsm:v1 board=%s key=%s\r\n", b, u);
	BAD("cryptech-hsm:v1 board=%s key=%sx", b, u);
	BAD("cryptech-hsm:v1 board=%s key=%.35s", b, u);
	BAD("cryptech-hsm:v1 key=%s board=%s", u, b);
	BAD("cryptech-hsm:v1 board=%s key=%s board=%s", b, u, b);
	BAD("cryptech-hsm:v1 board=%s", b);
	BAD("cryptech-hsm:v1 board=%s\tkey=%s", b, u);
	BAD("cryptech-hsm:v1 board=%.*s key=%s", 64,
	    "0123456789012345678901234567890123456789012345678901234567890123",
	    u);
	/* Every byte of the UUID: a hyphen moved, a non-hex digit. */
	for (i = 0; i < 36; i++) {
		char v[37];

		strcpy(v, u);
		v[i] = (v[i] == '-') ? '0' : (i == 7 ? '-' : 'g');
		BAD("cryptech-hsm:v1 board=%s key=%s", b, v);
	}
#undef BAD
	/* A NUL inside, and a NUL at the end: counted bytes, both refused. */
	strcpy(bad, good);
	bad[strlen("cryptech-hsm:v1 board=") + 1] = 0;
	EXPECT_EQ(-EINVAL, add_key(bad, strlen(good)));
	EXPECT_EQ(-EINVAL, add_key(good, strlen(good) + 1));

	snprintf(bad, sizeof(bad), "cryptech-hsm:v1 board=%s-not key=%s", b, u);
	EXPECT_EQ(-ENODEV, add_key_str(bad));
	payload(bad, sizeof(bad), b, no_key);
	EXPECT_EQ(-ENOENT, add_key_str(bad));

	/* The good one, with one trailing newline, and in upper case. */
	id = add_key_str(good);
	EXPECT_LT(0, id);
	snprintf(bad, sizeof(bad), "%s\n", good);
	EXPECT_LT(0, add_key_str(bad));
	for (i = 0; i <= 36; i++)
		upper[i] = toupper((unsigned char)u[i]);
	snprintf(bad, sizeof(bad), "cryptech-hsm:v1 board=%s key=%s", b, upper);
	EXPECT_LT(0, add_key_str(bad));
}

/*
 * Without the kernel login: padd and sign fail with EACCES and the log
 * line naming "hsmctl kernel-login"; query and verify need none.
 */
TEST_F_TIMEOUT(kr, not_logged_in, 120)
{
	uint8_t p256[16], d[32], sig[80];
	char p[256];
	int before;
	long id, n;

	memset(d, 0x11, sizeof(d));
	ASSERT_EQ(0, gen_ec(self, CRYPTECH_HSM_CURVE_P256, p256));
	payload(p, sizeof(p), self->d.board_id, p256);
	ASSERT_EQ(0, kernel_logout(self->fd));
	before = log_lines();
	ASSERT_LE(0, before);
	EXPECT_EQ(-EACCES, add_key_str(p));
	EXPECT_LT(before, log_lines());

	ASSERT_EQ(0, kernel_login(self->fd));
	id = add_key_str(p);
	ASSERT_LT(0, id);
	n = pkey_sign(id, "enc=x962 hash=sha256", d, 32, sig, 72);
	ASSERT_LT(0, n);
	ASSERT_EQ(0, kernel_logout(self->fd));
	before = log_lines();
	EXPECT_EQ(-EACCES, pkey_sign(id, "enc=x962 hash=sha256", d, 32, sig,
				     72));
	EXPECT_LT(before, log_lines());
	EXPECT_EQ(0, pkey_verify(id, "enc=x962 hash=sha256", d, 32, sig, n));
	ASSERT_EQ(0, shf(self->out, sizeof(self->out),
			 "keyctl pkey_query %ld 0 enc=x962 2>&1", id));
	EXPECT_NE(NULL, strstr(self->out, "key_size=256\n"));
}

/*
 * A public-only key: query says verify only, sign fails EOPNOTSUPP, and
 * encrypt is not offered at all.
 */
TEST_F_TIMEOUT(kr, public_key_cannot_sign, 120)
{
	uint8_t p256[16], der[256], d[32], sig[80];
	struct keyctl_pkey_query q;
	struct hsm_t_key pub;
	uint32_t len = sizeof(der);
	char p[256];
	long id, priv, n;

	memset(d, 0x22, sizeof(d));
	ASSERT_EQ(0, gen_ec(self, CRYPTECH_HSM_CURVE_P256, p256));
	ASSERT_EQ(0, hsm_t_pubkey(self->fd, self->keys[0].handle, der, &len,
				  NULL));
	ASSERT_EQ(0, hsm_t_load(self->fd, der, len, CRYPTECH_HSM_KEY_F_SIGN |
				CRYPTECH_HSM_KEY_F_TOKEN, &pub, NULL));
	self->keys[self->n_keys++] = pub;
	payload(p, sizeof(p), self->d.board_id, pub.uuid);
	id = add_key_str(p);
	ASSERT_LT(0, id);
	ASSERT_EQ(0, pkey_query(id, "enc=x962", &q));
	EXPECT_EQ(KEYCTL_SUPPORTS_VERIFY, q.supported_ops);
	EXPECT_EQ(-EOPNOTSUPP, pkey_sign(id, "enc=x962 hash=sha256", d, 32,
					 sig, 72));
	/* Not offered: query says max_enc_size 0, so keyctl refuses. */
	EXPECT_EQ(0, q.max_enc_size);
	EXPECT_EQ(-EINVAL, pkey_encrypt(id, d, 16, sig, 72));

	/* The private key's signature verifies with the public one. */
	payload(p, sizeof(p), self->d.board_id, p256);
	priv = add_key_str(p);
	ASSERT_LT(0, priv);
	n = pkey_sign(priv, "enc=x962 hash=sha256", d, 32, sig, 72);
	ASSERT_LT(0, n);
	EXPECT_EQ(0, pkey_verify(id, "enc=x962 hash=sha256", d, 32, sig, n));
}

/* A key on a curve the subtype does not take: refused at padd. */
TEST_F_TIMEOUT(kr, p521_refused, 120)
{
	uint8_t p521[16];
	char p[256];

	ASSERT_EQ(0, gen_ec(self, CRYPTECH_HSM_CURVE_P521, p521));
	payload(p, sizeof(p), self->d.board_id, p521);
	EXPECT_EQ(-EOPNOTSUPP, add_key_str(p));
	ASSERT_EQ(0, shf(self->out, sizeof(self->out),
			 "dmesg | grep -c 'only P-256 and P-384 are supported'"));
	EXPECT_LE(1, atoi(self->out));
}

struct signer {
	long id;
	atomic_int ok;
	atomic_int stop;
	atomic_int other;	/* an errno other than ENODEV, or 0 */
	atomic_int enodev;
};

static void *sign_loop(void *arg)
{
	struct signer *s = arg;
	uint8_t d[32] = { 1 }, sig[80];
	long n;

	while (!atomic_load(&s->stop)) {
		n = pkey_sign(s->id, "enc=x962 hash=sha256", d, 32, sig, 72);
		if (n > 0) {
			atomic_fetch_add(&s->ok, 1);
		} else if (n == -ENODEV) {
			atomic_store(&s->enodev, 1);
			break;
		} else {
			atomic_store(&s->other, (int)-n);
			break;
		}
	}
	return NULL;
}

/*
 * Unplugged under a signing thread, three times: its signs succeed until
 * they fail with ENODEV, never otherwise; verify fails with ENODEV, query
 * still answers; the same board attached again and logged in signs again.
 */
TEST_F_TIMEOUT(kr, unplug_replug, 300)
{
	uint8_t p256[16], d[32] = { 1 }, sig[80], good[80] = { 0 };
	struct keyctl_pkey_query q;
	struct signer s = { 0 };
	long good_len;
	pthread_t t;
	char p[256];
	int round;
	long n;

	ASSERT_EQ(0, gen_ec(self, CRYPTECH_HSM_CURVE_P256, p256));
	payload(p, sizeof(p), self->d.board_id, p256);
	s.id = add_key_str(p);
	ASSERT_LT(0, s.id);
	/* Its token key outlives the detaches; the handle does not. */
	self->n_keys = 0;
	good_len = pkey_sign(s.id, "enc=x962 hash=sha256", d, 32, good, 72);
	ASSERT_LT(0, good_len);

	for (round = 0; round < 3; round++) {
		atomic_store(&s.ok, 0);
		atomic_store(&s.stop, 0);
		atomic_store(&s.enodev, 0);
		atomic_store(&s.other, 0);
		ASSERT_EQ(0, pthread_create(&t, NULL, sign_loop, &s));
		ASSERT_TRUE(hsm_wait_until(atomic_load(&s.ok) >= 3, 20000));
		ASSERT_EQ(0, hsm_detach(self->d.index, NULL, 0));
		close(self->fd);
		self->fd = -1;
		/* Bounded: every sign after the detach fails at once. */
		EXPECT_TRUE(hsm_wait_until(atomic_load(&s.enodev) ||
					    atomic_load(&s.other), 20000));
		atomic_store(&s.stop, 1);
		pthread_join(t, NULL);
		EXPECT_EQ(0, atomic_load(&s.other)) {
			TH_LOG("round %d: sign failed with %s", round,
			       strerror(atomic_load(&s.other)));
		}
		EXPECT_EQ(1, atomic_load(&s.enodev));

		EXPECT_EQ(-ENODEV, pkey_sign(s.id, "enc=x962 hash=sha256", d,
					     32, sig, 72));
		EXPECT_EQ(-ENODEV, pkey_verify(s.id, "enc=x962 hash=sha256", d,
					       32, good, 72));
		EXPECT_EQ(0, pkey_query(s.id, "enc=x962", &q));

		ASSERT_EQ(0, hsm_t_attach(0, &self->d));
		self->fd = hsm_t_open_dev(&self->d);
		ASSERT_LE(0, self->fd);
		/* A re-attached board starts logged out. */
		EXPECT_EQ(-EACCES, pkey_sign(s.id, "enc=x962 hash=sha256", d,
					     32, sig, 72));
		ASSERT_EQ(0, kernel_login(self->fd));
		n = pkey_sign(s.id, "enc=x962 hash=sha256", d, 32, sig, 72);
		ASSERT_LT(0, n);
		EXPECT_EQ(0, pkey_verify(s.id, "enc=x962 hash=sha256", d, 32,
					 sig, n));
		EXPECT_EQ(0, pkey_verify(s.id, "enc=x962 hash=sha256", d, 32,
					 good, 72));
	}
	/* Delete the key through a fresh handle. */
	ASSERT_EQ(0, hsm_t_login(self->fd, CRYPTECH_HSM_USER_NORMAL,
				 HSM_USER_PIN, NULL));
	ASSERT_EQ(0, hsm_t_open(self->fd, p256, &self->keys[0].handle, NULL));
	self->n_keys = 1;
}

struct one_sign {
	long id;
	long result;
	long ms;
};

static void *sign_once(void *arg)
{
	struct one_sign *o = arg;
	uint8_t d[32] = { 2 }, sig[80];
	long t0 = hsm_test_now_ms();

	o->result = pkey_sign(o->id, "enc=x962 hash=sha256", d, 32, sig, 72);
	o->ms = hsm_test_now_ms() - t0;
	return NULL;
}

/*
 * The line drops (as at an unplug) while the board works on a keyring
 * sign: it fails with ENODEV at once, not when the board would have
 * answered; once the board is back and attached and logged in, it signs.
 */
TEST_F_TIMEOUT(kr, unplugged_mid_sign, 180)
{
	struct one_sign o = { .result = 1 };
	uint8_t p256[16], d[32] = { 2 }, sig[80];
	struct hsm_emu_stats st;
	pthread_t t;
	char p[256];

	ASSERT_EQ(0, gen_ec(self, CRYPTECH_HSM_CURVE_P256, p256));
	payload(p, sizeof(p), self->d.board_id, p256);
	o.id = add_key_str(p);
	ASSERT_LT(0, o.id);
	self->n_keys = 0;	/* the handle goes with the line */
	ASSERT_EQ(0, hsm_test_board_set(0, "service_ms.PKEY_SIGN", 12000));
	ASSERT_EQ(0, pthread_create(&t, NULL, sign_once, &o));
	ASSERT_TRUE(hsm_wait_until(hsm_test_emu_stats(0, &st) == 0 &&
				   st.busy == 1, HSM_WAIT_MS));
	ASSERT_EQ(0, hsm_test_board_ctl(0, "disconnect", NULL, 0));
	pthread_join(t, NULL);
	EXPECT_EQ(-ENODEV, o.result);
	EXPECT_GT(12000, o.ms);
	EXPECT_EQ(-ENODEV, pkey_sign(o.id, "enc=x962 hash=sha256", d, 32, sig,
				     72));
	close(self->fd);
	self->fd = -1;
	ASSERT_TRUE(hsm_wait_until(hsm_test_board_count() == 0, HSM_WAIT_MS));
	ASSERT_EQ(0, hsm_test_board_set(0, "service_ms", 0));

	/* QEMU reconnects: the same board (same identity) comes back. */
	ASSERT_TRUE(hsm_wait_until(hsm_path_exists("/dev/ttyUSB0"), 20000));
	ASSERT_TRUE(hsm_wait_until(hsm_t_attach(0, &self->d) == 0, 40000));
	self->fd = hsm_t_open_dev(&self->d);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, kernel_login(self->fd));
	EXPECT_LT(0, pkey_sign(o.id, "enc=x962 hash=sha256", d, 32, sig, 72));
	ASSERT_EQ(0, hsm_t_login(self->fd, CRYPTECH_HSM_USER_NORMAL,
				 HSM_USER_PIN, NULL));
	ASSERT_EQ(0, hsm_t_open(self->fd, p256, &self->keys[0].handle, NULL));
	self->n_keys = 1;
}

/*
 * Each key holds a reference to the module: with one present and no board
 * attached rmmod is refused and the module stays; the reference goes with
 * the key.
 */
TEST_F_TIMEOUT(kr, module_reference_per_key, 120)
{
	long base, id;
	uint8_t p256[16];
	char p[256];

	ASSERT_EQ(0, gen_ec(self, CRYPTECH_HSM_CURVE_P256, p256));
	payload(p, sizeof(p), self->d.board_id, p256);
	base = refcnt();
	ASSERT_LE(0, base);
	id = add_key_str(p);
	ASSERT_LT(0, id);
	EXPECT_EQ(base + 1, refcnt());

	/* Keep the session's keys for teardown: only the line goes. */
	ASSERT_EQ(0, hsm_t_delete(self->fd, self->keys[0].handle, NULL));
	self->n_keys = 0;
	close(self->fd);
	self->fd = -1;
	hsm_t_detach_all();
	/* The line's reference goes when its tty is released. */
	ASSERT_TRUE(hsm_wait_until(refcnt() == 1, HSM_WAIT_MS)) {
		TH_LOG("refcnt %ld with one key and no board", refcnt());
	}
	EXPECT_NE(0, hsm_test_run("rmmod cryptech_hsm 2>&1", NULL, 0));
	EXPECT_TRUE(hsm_path_exists(REFCNT));
	EXPECT_EQ(1, refcnt());

	ASSERT_EQ(0, shf(NULL, 0, "keyctl unlink %ld @u", id));
	/* The key garbage collector frees it, and with it the reference. */
	ASSERT_TRUE(hsm_wait_until(refcnt() == 0, GC_MS)) {
		TH_LOG("refcnt %ld after the key went", refcnt());
	}
	/* With no key and no board left the module unloads, and loads again. */
	EXPECT_EQ(0, shf(self->out, sizeof(self->out),
			 "rmmod cryptech_hsm 2>&1")) {
		TH_LOG("rmmod: %s", self->out);
	}
	EXPECT_FALSE(hsm_path_exists(REFCNT));
	ASSERT_EQ(0, shf(self->out, sizeof(self->out),
			 "insmod cryptech_hsm.ko 2>&1")) {
		TH_LOG("insmod: %s", self->out);
	}
	EXPECT_EQ(0, refcnt());
}

HSM_TEST_HARNESS_MAIN
