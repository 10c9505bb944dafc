// SPDX-License-Identifier: GPL-2.0
/*
 * Keys (issue 4 point 7): GENERATE, LOAD, OPEN, CLOSE, DELETE, KEY_INFO,
 * PUBLIC_KEY, SIGN, VERIFY, MATCH, SET_ATTRS, GET_ATTRS, EXPORT and IMPORT:
 * each one's success path and its validation errors, per-file key handles,
 * signatures checked with OpenSSL, and the ABI rules that hold for every
 * command (size, E2BIG, EFAULT, ENOTTY, ENODEV). Group "keys" of
 * tests/kernel/run-group; board 0 is the emulator.
 */
#include <pthread.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "hsm_ioctl.h"

#define F_SIGN		CRYPTECH_HSM_KEY_F_SIGN
#define F_KEYENC	CRYPTECH_HSM_KEY_F_KEYENC
#define F_TOKEN		CRYPTECH_HSM_KEY_F_TOKEN
#define F_PUBLIC	CRYPTECH_HSM_KEY_F_PUBLIC
#define F_EXPORTABLE	CRYPTECH_HSM_KEY_F_EXPORTABLE

FIXTURE(keys) {
	struct hsm_board_desc d;
	int fd, fd2;
};

FIXTURE_SETUP(keys)
{
	self->fd = self->fd2 = -1;
	hsm_t_detach_all();	/* a test killed by its timeout skips teardown */
	ASSERT_EQ(0, hsm_t_attach(0, &self->d));
	self->fd = hsm_t_open_dev(&self->d);
	self->fd2 = hsm_t_open_dev(&self->d);
	ASSERT_GE(self->fd, 0);
	ASSERT_GE(self->fd2, 0);
	ASSERT_EQ(0, hsm_t_bringup(self->fd, 0));
	ASSERT_EQ(0, hsm_t_login(self->fd, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, NULL));
	ASSERT_EQ(0, hsm_t_login(self->fd2, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, NULL));
}

FIXTURE_TEARDOWN(keys)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->fd2 >= 0)
		close(self->fd2);
	hsm_t_detach_all();
}

static const struct {
	uint32_t curve, der_len, sig_len;
} curves[] = {
	{ CRYPTECH_HSM_CURVE_P256, 91, 64 },
	{ CRYPTECH_HSM_CURVE_P384, 120, 96 },
	{ CRYPTECH_HSM_CURVE_P521, 158, 132 },
};

static bool uuid_v4(const uint8_t *u)
{
	return (u[6] & 0xf0) == 0x40 && (u[8] & 0xc0) == 0x80;
}

TEST_F_TIMEOUT(keys, generate_ec_sign_verify, 120)
{
	struct cryptech_hsm_key_info ki;
	uint8_t der[512], dig[66], sig[256];
	struct hsm_t_key k;
	uint32_t bs, len, sl;
	size_t i;

	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		bs = 99;
		ASSERT_EQ(0, hsm_t_gen_ec(self->fd, curves[i].curve, F_SIGN, &k, &bs));
		ASSERT_EQ(0, bs);
		ASSERT_NE(0, k.handle);
		ASSERT_TRUE(uuid_v4(k.uuid));
		ASSERT_EQ(0, hsm_t_key_info(self->fd, k.handle, &ki));
		ASSERT_EQ(0, ki.board_status);
		ASSERT_EQ(CRYPTECH_HSM_KEY_EC_PRIVATE, ki.type);
		ASSERT_EQ(curves[i].curve, ki.curve);
		ASSERT_EQ(F_SIGN, ki.flags);
		ASSERT_EQ(0, memcmp(k.uuid, ki.uuid, 16));

		len = sizeof(der);
		ASSERT_EQ(0, hsm_t_pubkey(self->fd, k.handle, der, &len, &bs));
		ASSERT_EQ(curves[i].der_len, len);
		ASSERT_EQ(0x30, der[0]);

		memset(dig, 0x11 * (i + 1), sizeof(dig));
		sl = sizeof(sig);
		ASSERT_EQ(0, hsm_t_sign(self->fd, k.handle, dig, 32, sig, &sl, &bs));
		ASSERT_EQ(0, bs);
		ASSERT_EQ(curves[i].sig_len, sl);
		ASSERT_EQ(0, hsm_t_verify(self->fd, k.handle, dig, 32, sig, sl, &bs));
		sig[5] ^= 0x40;
		ASSERT_EQ(-EKEYREJECTED, hsm_t_verify(self->fd, k.handle, dig, 32, sig, sl, &bs));
		ASSERT_EQ(HAL_INVALID_SIGNATURE, bs);
		ASSERT_EQ(0, hsm_t_delete(self->fd, k.handle, &bs));
	}
}

/* Verify a board signature over "abc" with the openssl command line. */
static int openssl_verify(const uint8_t *spki, uint32_t spki_len,
			  const uint8_t *sig_der, size_t sig_len, char *out,
			  size_t outlen)
{
	if (hsm_write_file("/tmp/hsm-pub.der", spki, spki_len) ||
	    hsm_write_file("/tmp/hsm-sig.bin", sig_der, sig_len) ||
	    hsm_write_file("/tmp/hsm-abc", "abc", 3))
		return -1;
	return hsm_test_run("openssl pkey -pubin -inform DER -in /tmp/hsm-pub.der "
			    "-out /tmp/hsm-pub.pem 2>&1 && "
			    "openssl dgst -sha256 -verify /tmp/hsm-pub.pem "
			    "-signature /tmp/hsm-sig.bin /tmp/hsm-abc 2>&1", out, outlen);
}

TEST_F_TIMEOUT(keys, signatures_verify_with_openssl, 120)
{
	uint8_t spki[1024], di[64], sig[512], der[160];
	struct cryptech_hsm_key_info ki;
	struct hsm_t_key rsa, ec, pub;
	uint32_t len, sl, bs;
	char out[512];
	size_t dl;

	/* RSA: the board pads a DigestInfo (PKCS#1 v1.5). */
	ASSERT_EQ(0, hsm_t_gen_rsa(self->fd, 1024, F_SIGN, &rsa, &bs));
	len = sizeof(spki);
	ASSERT_EQ(0, hsm_t_pubkey(self->fd, rsa.handle, spki, &len, NULL));
	sl = sizeof(sig);
	ASSERT_EQ(0, hsm_t_sign(self->fd, rsa.handle, di, hsm_digest_info(hsm_sha256_abc, di),
				sig, &sl, &bs));
	ASSERT_EQ(128, sl);
	ASSERT_EQ(0, openssl_verify(spki, len, sig, sl, out, sizeof(out))) {
		TH_LOG("openssl: %s", out);
	}
	ASSERT_NE(NULL, strstr(out, "Verified OK"));
	/* The same SPKI loaded as a public key verifies through the driver. */
	ASSERT_EQ(0, hsm_t_load(self->fd, spki, len, F_SIGN, &pub, &bs));
	ASSERT_EQ(0, hsm_t_key_info(self->fd, pub.handle, &ki));
	ASSERT_EQ(CRYPTECH_HSM_KEY_RSA_PUBLIC, ki.type);
	ASSERT_EQ(0, hsm_t_verify(self->fd, pub.handle, di, 51, sig, sl, &bs));
	sig[100] ^= 1;
	ASSERT_EQ(-EKEYREJECTED, hsm_t_verify(self->fd, pub.handle, di, 51, sig, sl, &bs));
	ASSERT_EQ(HAL_INVALID_SIGNATURE, bs);
	ASSERT_NE(0, openssl_verify(spki, len, sig, sl, out, sizeof(out)));

	/* ECDSA P-256: r || s, converted to DER for OpenSSL. */
	ASSERT_EQ(0, hsm_t_gen_ec(self->fd, CRYPTECH_HSM_CURVE_P256, F_SIGN, &ec, &bs));
	len = sizeof(spki);
	ASSERT_EQ(0, hsm_t_pubkey(self->fd, ec.handle, spki, &len, NULL));
	sl = sizeof(sig);
	ASSERT_EQ(0, hsm_t_sign(self->fd, ec.handle, hsm_sha256_abc, 32, sig, &sl, &bs));
	ASSERT_EQ(64, sl);
	dl = hsm_ecdsa_to_der(sig, sl, der);
	ASSERT_EQ(0, openssl_verify(spki, len, der, dl, out, sizeof(out))) {
		TH_LOG("openssl: %s", out);
	}
	ASSERT_NE(NULL, strstr(out, "Verified OK"));
}

/* LOAD a PKCS#8 key made by OpenSSL, and its SubjectPublicKeyInfo. */
TEST_F_TIMEOUT(keys, load_openssl_keys, 120)
{
	uint8_t p8[2048], pub[512], board_pub[512], sig[64], der[80];
	struct cryptech_hsm_key_info ki;
	struct hsm_t_key priv, pubk;
	long p8len, publen;
	uint32_t len, sl, bs;
	char out[512];

	ASSERT_EQ(0, hsm_test_run("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 "
				  "-out /tmp/hsm-k.pem 2>&1 && "
				  "openssl pkcs8 -topk8 -nocrypt -in /tmp/hsm-k.pem -outform DER "
				  "-out /tmp/hsm-k.der 2>&1 && "
				  "openssl pkey -inform DER -in /tmp/hsm-k.der -pubout -outform DER "
				  "-out /tmp/hsm-kpub.der 2>&1", out, sizeof(out))) {
		TH_LOG("openssl: %s", out);
	}
	p8len = hsm_read_file("/tmp/hsm-k.der", p8, sizeof(p8));
	publen = hsm_read_file("/tmp/hsm-kpub.der", pub, sizeof(pub));
	ASSERT_GT(p8len, 0);
	ASSERT_GT(publen, 0);

	ASSERT_EQ(0, hsm_t_load(self->fd, p8, p8len, F_SIGN, &priv, &bs)) {
		TH_LOG("board status %u", bs);
	}
	ASSERT_EQ(0, bs);
	ASSERT_TRUE(uuid_v4(priv.uuid));
	ASSERT_EQ(0, hsm_t_key_info(self->fd, priv.handle, &ki));
	ASSERT_EQ(CRYPTECH_HSM_KEY_EC_PRIVATE, ki.type);
	ASSERT_EQ(CRYPTECH_HSM_CURVE_P256, ki.curve);
	len = sizeof(board_pub);
	ASSERT_EQ(0, hsm_t_pubkey(self->fd, priv.handle, board_pub, &len, NULL));
	ASSERT_EQ(publen, len);
	ASSERT_EQ(0, memcmp(pub, board_pub, len));

	sl = sizeof(sig);
	ASSERT_EQ(0, hsm_t_sign(self->fd, priv.handle, hsm_sha256_abc, 32, sig, &sl, NULL));
	ASSERT_EQ(0, hsm_write_file("/tmp/hsm-sig.bin", der, hsm_ecdsa_to_der(sig, sl, der)));
	ASSERT_EQ(0, hsm_write_file("/tmp/hsm-abc", "abc", 3));
	ASSERT_EQ(0, hsm_test_run("openssl dgst -sha256 -verify /tmp/hsm-kpub.der -keyform DER "
				  "-signature /tmp/hsm-sig.bin /tmp/hsm-abc 2>&1", out, sizeof(out))) {
		TH_LOG("openssl: %s", out);
	}

	/* The public half, loaded on its own without a login (PUBLIC, not
	 * TOKEN), verifies what the private half signed. */
	ASSERT_EQ(0, hsm_t_logout(self->fd2, NULL));
	ASSERT_EQ(0, hsm_t_load(self->fd2, pub, publen, F_SIGN | F_PUBLIC, &pubk, &bs));
	ASSERT_EQ(0, hsm_t_key_info(self->fd2, pubk.handle, &ki));
	ASSERT_EQ(CRYPTECH_HSM_KEY_EC_PUBLIC, ki.type);
	ASSERT_EQ(F_SIGN | F_PUBLIC, ki.flags);
	ASSERT_EQ(0, hsm_t_verify(self->fd2, pubk.handle, hsm_sha256_abc, 32, sig, sl, &bs));
	/* A public key cannot sign. */
	sl = sizeof(sig);
	ASSERT_NE(0, hsm_t_sign(self->fd2, pubk.handle, hsm_sha256_abc, 32, sig, &sl, &bs));
	ASSERT_NE(0, bs);
}

TEST_F_TIMEOUT(keys, load_validation, 120)
{
	struct cryptech_hsm_load a;
	static uint8_t junk[CRYPTECH_HSM_BLOB_MAX + 1];
	uint32_t bs;

	memset(junk, 0xa5, sizeof(junk));
	EXPECT_EQ(-EINVAL, hsm_t_load(self->fd, junk, 0, F_SIGN, NULL, NULL));
	EXPECT_EQ(-EINVAL, hsm_t_load(self->fd, junk, CRYPTECH_HSM_BLOB_MAX + 1, F_SIGN, NULL, NULL));
	EXPECT_EQ(-EINVAL, hsm_t_load(self->fd, junk, 16, 0x40, NULL, NULL));
	EXPECT_EQ(-EINVAL, hsm_t_load(self->fd, junk, 16, 0x80000000u, NULL, NULL));
	EXPECT_EQ(-EFAULT, hsm_t_load(self->fd, NULL, 16, F_SIGN, NULL, NULL));
	EXPECT_EQ(-EFAULT, hsm_t_load(self->fd, (void *)4096, 16, F_SIGN, NULL, NULL));
	HSM_INIT(a);
	a.der = HSM_PTR(junk);
	a.der_len = 16;
	a.reserved = 1;
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_LOAD, &a));
	/* Not DER at all: the board's ASN1_PARSE_FAILED, verbatim. */
	EXPECT_EQ(-EBADMSG, hsm_t_load(self->fd, junk, 16, F_SIGN, NULL, &bs));
	EXPECT_EQ(HAL_ASN1_PARSE_FAILED, bs);
}

TEST_F_TIMEOUT(keys, generate_validation, 120)
{
	struct cryptech_hsm_generate a;
	struct hsm_emu_stats st0, st1;
	struct hsm_t_key k;
	uint32_t bs;
	int fd3;

	ASSERT_EQ(0, hsm_test_emu_stats(0, &st0));
#define GEN(al, fl, bits, cv) do { HSM_INIT(a); a.alg = (al); a.flags = (fl); \
	a.rsa_bits = (bits); a.curve = (cv); } while (0)
	GEN(0, F_SIGN, 0, CRYPTECH_HSM_CURVE_P256);
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_GENERATE, &a));
	GEN(3, F_SIGN, 0, CRYPTECH_HSM_CURVE_P256);
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_GENERATE, &a));
	GEN(CRYPTECH_HSM_ALG_EC, 0x40, 0, CRYPTECH_HSM_CURVE_P256);
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_GENERATE, &a));
	GEN(CRYPTECH_HSM_ALG_EC, F_SIGN, 0, 0);
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_GENERATE, &a));
	GEN(CRYPTECH_HSM_ALG_EC, F_SIGN, 0, 4);
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_GENERATE, &a));
	GEN(CRYPTECH_HSM_ALG_RSA, F_SIGN | 0x100, 2048, 0);
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_GENERATE, &a));
	GEN(CRYPTECH_HSM_ALG_RSA, F_SIGN, 0, 0);
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_GENERATE, &a));
	GEN(CRYPTECH_HSM_ALG_RSA, F_SIGN, 1020, 0);	/* not a multiple of 8 */
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_GENERATE, &a));
	GEN(CRYPTECH_HSM_ALG_RSA, F_SIGN, 512, 0);
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_GENERATE, &a));
	GEN(CRYPTECH_HSM_ALG_RSA, F_SIGN, 4104, 0);
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_GENERATE, &a));
#undef GEN
	/* The driver caught all of these itself. */
	ASSERT_EQ(0, hsm_test_emu_stats(0, &st1));
	EXPECT_EQ(hsm_emu_requests_but_random(&st0), hsm_emu_requests_but_random(&st1));

	/* Who may create what (protocol §7.2), with the board's status. */
	fd3 = hsm_t_open_dev(&self->d);
	ASSERT_GE(fd3, 0);
	EXPECT_EQ(-EPERM, hsm_t_gen_ec(fd3, CRYPTECH_HSM_CURVE_P256, F_SIGN, &k, &bs));
	EXPECT_EQ(HAL_FORBIDDEN, bs);
	EXPECT_EQ(-EPERM, hsm_t_gen_ec(fd3, CRYPTECH_HSM_CURVE_P256,
				       F_SIGN | F_PUBLIC | F_TOKEN, &k, &bs));
	EXPECT_EQ(HAL_FORBIDDEN, bs);
	ASSERT_EQ(0, hsm_t_gen_ec(fd3, CRYPTECH_HSM_CURVE_P256, F_SIGN | F_PUBLIC, &k, &bs));
	ASSERT_EQ(0, hsm_t_login(fd3, CRYPTECH_HSM_USER_SO, HSM_SO_PIN, NULL));
	EXPECT_EQ(-EPERM, hsm_t_gen_ec(fd3, CRYPTECH_HSM_CURVE_P256, F_SIGN, &k, &bs));
	EXPECT_EQ(HAL_FORBIDDEN, bs);
	close(fd3);
}

TEST_F_TIMEOUT(keys, open_close_delete, 120)
{
	struct cryptech_hsm_key_info ki;
	struct cryptech_hsm_open o;
	struct cryptech_hsm_key kk;
	struct hsm_t_key k;
	uint32_t h, bs;
	uint8_t nouuid[16];
	int fd3;

	ASSERT_EQ(0, hsm_t_gen_ec(self->fd, CRYPTECH_HSM_CURVE_P256, F_SIGN | F_TOKEN, &k, &bs));
	ASSERT_EQ(0, hsm_t_close(self->fd, k.handle, &bs));
	ASSERT_EQ(0, bs);
	/* A closed handle is gone from this file: ENOENT, board_status 0. */
	ASSERT_EQ(-ENOENT, hsm_t_key_info(self->fd, k.handle, &ki));
	ASSERT_EQ(0, ki.board_status);
	ASSERT_EQ(-ENOENT, hsm_t_close(self->fd, k.handle, &bs));
	ASSERT_EQ(0, bs);

	ASSERT_EQ(0, hsm_t_open(self->fd, k.uuid, &h, &bs));
	ASSERT_EQ(0, hsm_t_key_info(self->fd, h, &ki));
	ASSERT_EQ(0, memcmp(k.uuid, ki.uuid, 16));
	ASSERT_EQ(F_SIGN | F_TOKEN, ki.flags);

	/* OPEN needs a login, even for the same board key (§5.5). */
	fd3 = hsm_t_open_dev(&self->d);
	ASSERT_GE(fd3, 0);
	ASSERT_EQ(-EPERM, hsm_t_open(fd3, k.uuid, &h, &bs));
	ASSERT_EQ(HAL_FORBIDDEN, bs);
	close(fd3);

	/* Validation. */
	HSM_INIT(o);
	memcpy(o.uuid, k.uuid, 16);
	o.reserved = 1;
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_OPEN, &o));
	HSM_INIT(kk);
	kk.handle = h;
	kk.reserved = 1;
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_CLOSE, &kk));
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_DELETE, &kk));
	EXPECT_EQ(-ENOENT, hsm_t_close(self->fd, 0, &bs));
	EXPECT_EQ(0, bs);
	EXPECT_EQ(-ENOENT, hsm_t_delete(self->fd, 0xdeadbeef, &bs));
	EXPECT_EQ(0, bs);

	ASSERT_EQ(0, hsm_t_delete(self->fd, h, &bs));
	ASSERT_EQ(0, bs);
	ASSERT_EQ(-ENOENT, hsm_t_key_info(self->fd, h, &ki));
	/* The name is gone from the board: its own KEY_NOT_FOUND. */
	ASSERT_EQ(-ENOENT, hsm_t_open(self->fd, k.uuid, &h, &bs));
	ASSERT_EQ(HAL_KEY_NOT_FOUND, bs);
	memset(nouuid, 0x77, sizeof(nouuid));
	ASSERT_EQ(-ENOENT, hsm_t_open(self->fd, nouuid, &h, &bs));
	ASSERT_EQ(HAL_KEY_NOT_FOUND, bs);
}

/* Every command naming a key with another file's handle: ENOENT, status 0. */
static void expect_foreign_handle(struct __test_metadata *_metadata, int fd,
				  uint32_t h)
{
	struct cryptech_hsm_key_info ki;
	struct cryptech_hsm_export ex;
	struct cryptech_hsm_import im;
	uint8_t buf[6000], kek[512], dig[32] = { 0 }, attrs[64];
	uint32_t len, bs, types[1] = { 3 };
	size_t off = 0;

	EXPECT_EQ(-ENOENT, hsm_t_key_info(fd, h, &ki));
	EXPECT_EQ(0, ki.board_status);
	len = sizeof(buf);
	EXPECT_EQ(-ENOENT, hsm_t_pubkey(fd, h, buf, &len, &bs));
	EXPECT_EQ(0, bs);
	len = sizeof(buf);
	EXPECT_EQ(-ENOENT, hsm_t_sign(fd, h, dig, 32, buf, &len, &bs));
	EXPECT_EQ(0, bs);
	EXPECT_EQ(-ENOENT, hsm_t_verify(fd, h, dig, 32, buf, 64, &bs));
	EXPECT_EQ(0, bs);
	hsm_t_attr_put(attrs, &off, 3, "x", 1);
	EXPECT_EQ(-ENOENT, hsm_t_set_attrs(fd, h, 1, attrs, off, &bs));
	EXPECT_EQ(0, bs);
	len = sizeof(buf);
	EXPECT_EQ(-ENOENT, hsm_t_get_attrs(fd, h, types, 1, 0, buf, &len, &bs));
	EXPECT_EQ(0, bs);
	HSM_INIT(ex);
	ex.handle = h;
	ex.kekek_handle = h;
	ex.pkcs8_len = sizeof(buf);
	ex.pkcs8 = HSM_PTR(buf);
	ex.kek_len = sizeof(kek);
	ex.kek = HSM_PTR(kek);
	EXPECT_EQ(-ENOENT, hsm_ioc(fd, CRYPTECH_HSM_IOC_EXPORT, &ex));
	EXPECT_EQ(0, ex.board_status);
	HSM_INIT(im);
	im.kekek_handle = h;
	im.flags = F_SIGN;
	im.pkcs8_len = 64;
	im.pkcs8 = HSM_PTR(buf);
	im.kek_len = 64;
	im.kek = HSM_PTR(kek);
	EXPECT_EQ(-ENOENT, hsm_ioc(fd, CRYPTECH_HSM_IOC_IMPORT, &im));
	EXPECT_EQ(0, im.board_status);
	EXPECT_EQ(-ENOENT, hsm_t_close(fd, h, &bs));
	EXPECT_EQ(0, bs);
	EXPECT_EQ(-ENOENT, hsm_t_delete(fd, h, &bs));
	EXPECT_EQ(0, bs);
}

TEST_F_TIMEOUT(keys, handles_are_per_file, 120)
{
	struct cryptech_hsm_key_info ki;
	struct hsm_t_key vk, tk, k2;
	uint8_t dig[32] = { 3 }, sig[64];
	uint32_t h2, bs, sl;
	int i;

	ASSERT_EQ(0, hsm_t_gen_ec(self->fd, CRYPTECH_HSM_CURVE_P256,
				  F_SIGN | F_EXPORTABLE | F_KEYENC, &vk, NULL));
	ASSERT_EQ(0, hsm_t_gen_ec(self->fd, CRYPTECH_HSM_CURVE_P384, F_SIGN | F_TOKEN, &tk, NULL));
	/* fd2 holds no key yet: no number at all names one of fd's keys. */
	expect_foreign_handle(_metadata, self->fd2, vk.handle);
	expect_foreign_handle(_metadata, self->fd2, tk.handle);
	for (i = 0; i < 64; i++)
		EXPECT_EQ(-ENOENT, hsm_t_key_info(self->fd2, i, &ki));
	EXPECT_EQ(-ENOENT, hsm_t_key_info(self->fd2, 0x80000000u | vk.handle, &ki));
	/* Nothing fd2 tried disturbed fd's keys. */
	sl = sizeof(sig);
	ASSERT_EQ(0, hsm_t_sign(self->fd, vk.handle, dig, 32, sig, &sl, NULL));
	ASSERT_EQ(0, hsm_t_key_info(self->fd, tk.handle, &ki));
	ASSERT_EQ(CRYPTECH_HSM_CURVE_P384, ki.curve);

	/* Another session's volatile key is invisible by name (not WHEEL). */
	ASSERT_EQ(-ENOENT, hsm_t_open(self->fd2, vk.uuid, &h2, &bs));
	ASSERT_EQ(HAL_KEY_NOT_FOUND, bs);
	/* A token key opened in both files: independent handles. */
	ASSERT_EQ(0, hsm_t_gen_rsa(self->fd2, 1024, F_SIGN, &k2, NULL));
	ASSERT_EQ(0, hsm_t_open(self->fd2, tk.uuid, &h2, &bs));
	ASSERT_EQ(0, hsm_t_key_info(self->fd2, h2, &ki));
	ASSERT_EQ(0, memcmp(tk.uuid, ki.uuid, 16));
	/* fd2's numbers name fd2's keys, whatever fd's numbers are. */
	ASSERT_EQ(0, hsm_t_key_info(self->fd2, k2.handle, &ki));
	ASSERT_EQ(CRYPTECH_HSM_KEY_RSA_PRIVATE, ki.type);
	ASSERT_EQ(0, hsm_t_close(self->fd2, h2, NULL));
	ASSERT_EQ(0, hsm_t_key_info(self->fd, tk.handle, &ki));
	ASSERT_EQ(0, memcmp(tk.uuid, ki.uuid, 16));

	/* A WHEEL session sees other sessions' volatile keys (§7.4). */
	ASSERT_EQ(0, hsm_t_login(self->fd2, CRYPTECH_HSM_USER_WHEEL, HSM_WHEEL_PIN, NULL));
	ASSERT_EQ(0, hsm_t_open(self->fd2, vk.uuid, &h2, &bs));
	ASSERT_EQ(0, hsm_t_close(self->fd2, h2, NULL));
	ASSERT_EQ(0, hsm_t_delete(self->fd, tk.handle, NULL));
}

TEST_F_TIMEOUT(keys, public_key_validation, 120)
{
	struct cryptech_hsm_public_key a;
	uint8_t der[512];
	struct hsm_t_key k;
	uint32_t len, bs;

	ASSERT_EQ(0, hsm_t_gen_ec(self->fd, CRYPTECH_HSM_CURVE_P256, F_SIGN, &k, NULL));
	len = 10;
	ASSERT_EQ(-ENOSPC, hsm_t_pubkey(self->fd, k.handle, der, &len, &bs));
	ASSERT_EQ(91, len);
	len = 0;
	ASSERT_EQ(-ENOSPC, hsm_t_pubkey(self->fd, k.handle, der, &len, &bs));
	ASSERT_EQ(91, len);
	len = 91;
	ASSERT_EQ(0, hsm_t_pubkey(self->fd, k.handle, der, &len, &bs));
	ASSERT_EQ(91, len);
	len = sizeof(der);
	ASSERT_EQ(-EFAULT, hsm_t_pubkey(self->fd, k.handle, NULL, &len, &bs));
	len = sizeof(der);
	ASSERT_EQ(-EFAULT, hsm_t_pubkey(self->fd, k.handle, (void *)4096, &len, &bs));
	/* Only the public_key struct has no reserved field; a bad size still
	 * is a bad size. */
	HSM_INIT(a);
	a.size = CRYPTECH_HSM_PUBLIC_KEY_SIZE_VER0 - 8;
	ASSERT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_PUBLIC_KEY, &a));
}

TEST_F_TIMEOUT(keys, sign_verify_validation, 120)
{
	static uint8_t big[CRYPTECH_HSM_BLOB_MAX + 1];
	struct cryptech_hsm_sign a;
	struct hsm_t_key k, nosign, rsa;
	uint8_t dig[32] = { 9 }, sig[512];
	uint32_t sl, bs;

	ASSERT_EQ(0, hsm_t_gen_ec(self->fd, CRYPTECH_HSM_CURVE_P256, F_SIGN, &k, NULL));
	sl = sizeof(sig);
	EXPECT_EQ(-EINVAL, hsm_t_sign(self->fd, k.handle, dig, 0, sig, &sl, NULL));
	sl = sizeof(sig);
	EXPECT_EQ(-EINVAL, hsm_t_sign(self->fd, k.handle, big, sizeof(big), sig, &sl, NULL));
	sl = sizeof(sig);
	EXPECT_EQ(-EFAULT, hsm_t_sign(self->fd, k.handle, NULL, 32, sig, &sl, NULL));
	sl = sizeof(sig);
	EXPECT_EQ(-EFAULT, hsm_t_sign(self->fd, k.handle, dig, 32, (void *)4096, &sl, NULL));
	HSM_INIT(a);
	a.handle = k.handle;
	a.input_len = 32;
	a.input = HSM_PTR(dig);
	a.sig_len = sizeof(sig);
	a.sig = HSM_PTR(sig);
	a.reserved = 1;
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_SIGN, &a));
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_VERIFY, &a));
	/* Too small a signature buffer: ENOSPC and the size needed. */
	sl = 10;
	EXPECT_EQ(-ENOSPC, hsm_t_sign(self->fd, k.handle, dig, 32, sig, &sl, NULL));
	EXPECT_EQ(64, sl);
	sl = 64;
	EXPECT_EQ(0, hsm_t_sign(self->fd, k.handle, dig, 32, sig, &sl, NULL));
	EXPECT_EQ(-EINVAL, hsm_t_verify(self->fd, k.handle, dig, 0, sig, 64, NULL));
	EXPECT_EQ(-EINVAL, hsm_t_verify(self->fd, k.handle, dig, 32, sig, 0, NULL));
	EXPECT_EQ(-EINVAL, hsm_t_verify(self->fd, k.handle, dig, 32, big, sizeof(big), NULL));
	EXPECT_EQ(-EFAULT, hsm_t_verify(self->fd, k.handle, dig, 32, NULL, 64, NULL));
	EXPECT_EQ(0, hsm_t_verify(self->fd, k.handle, dig, 32, sig, 64, NULL));

	ASSERT_EQ(0, hsm_t_gen_rsa(self->fd, 1024, F_SIGN, &rsa, NULL));
	sl = 100;
	EXPECT_EQ(-ENOSPC, hsm_t_sign(self->fd, rsa.handle, dig, 32, sig, &sl, NULL));
	EXPECT_EQ(128, sl);

	/* A key without the SIGN flag: the board's FORBIDDEN. */
	ASSERT_EQ(0, hsm_t_gen_ec(self->fd, CRYPTECH_HSM_CURVE_P256, 0, &nosign, NULL));
	sl = sizeof(sig);
	EXPECT_EQ(-EPERM, hsm_t_sign(self->fd, nosign.handle, dig, 32, sig, &sl, &bs));
	EXPECT_EQ(HAL_FORBIDDEN, bs);
	sl = sizeof(sig);
	EXPECT_EQ(-ENOENT, hsm_t_sign(self->fd, 0x4242, dig, 32, sig, &sl, &bs));
	EXPECT_EQ(0, bs);
}

TEST_F_TIMEOUT(keys, attributes, 120)
{
	uint8_t attrs[256], buf[256];
	const uint8_t id[5] = { 1, 2, 3, 4, 5 };
	uint32_t types[3] = { 3, 0x102, 0x999 };
	struct cryptech_hsm_key_attr *h;
	struct cryptech_hsm_get_attrs g;
	struct cryptech_hsm_set_attrs s;
	struct hsm_t_key k;
	uint32_t len, bs;
	size_t off = 0;

	ASSERT_EQ(0, hsm_t_gen_ec(self->fd, CRYPTECH_HSM_CURVE_P256, F_SIGN, &k, NULL));
	hsm_t_attr_put(attrs, &off, 3, "label", 5);
	hsm_t_attr_put(attrs, &off, 0x102, id, sizeof(id));
	ASSERT_EQ(16 + 16, off);	/* 8 + 5 + 3 pad, twice */
	ASSERT_EQ(0, hsm_t_set_attrs(self->fd, k.handle, 2, attrs, off, &bs));
	ASSERT_EQ(0, bs);

	/* Values, packed in request order. */
	len = sizeof(buf);
	ASSERT_EQ(0, hsm_t_get_attrs(self->fd, k.handle, types, 2, 0, buf, &len, &bs));
	ASSERT_EQ(off, len);
	ASSERT_EQ(0, memcmp(attrs, buf, off));
	/* Lengths only: bare headers. */
	len = sizeof(buf);
	ASSERT_EQ(0, hsm_t_get_attrs(self->fd, k.handle, types, 3,
				     CRYPTECH_HSM_GET_ATTRS_LENGTHS, buf, &len, &bs));
	ASSERT_EQ(24, len);
	h = (void *)buf;
	EXPECT_EQ(3, h[0].type);
	EXPECT_EQ(5, h[0].len);
	EXPECT_EQ(0x102, h[1].type);
	EXPECT_EQ(5, h[1].len);
	EXPECT_EQ(0x999, h[2].type);
	EXPECT_EQ(0, h[2].len);	/* absent reads as length 0, as the board does */
	/* A missing attribute with values requested: ENODATA. */
	len = sizeof(buf);
	EXPECT_EQ(-ENODATA, hsm_t_get_attrs(self->fd, k.handle, types, 3, 0, buf, &len, &bs));
	EXPECT_EQ(HAL_ATTRIBUTE_NOT_FOUND, bs);
	/* Too little room: ENOSPC and the room needed. */
	len = 10;
	EXPECT_EQ(-ENOSPC, hsm_t_get_attrs(self->fd, k.handle, types, 2, 0, buf, &len, &bs));
	EXPECT_EQ(off, len);
	/* Delete one; replace the other. */
	off = 0;
	hsm_t_attr_put(attrs, &off, 3, NULL, CRYPTECH_HSM_ATTR_DELETE);
	hsm_t_attr_put(attrs, &off, 0x102, "ab", 2);
	ASSERT_EQ(0, hsm_t_set_attrs(self->fd, k.handle, 2, attrs, off, &bs));
	len = sizeof(buf);
	ASSERT_EQ(0, hsm_t_get_attrs(self->fd, k.handle, types, 2,
				     CRYPTECH_HSM_GET_ATTRS_LENGTHS, buf, &len, &bs));
	EXPECT_EQ(0, h[0].len);
	EXPECT_EQ(2, h[1].len);

	/* SET_ATTRS validation. */
	off = 0;
	hsm_t_attr_put(attrs, &off, 3, "label", 5);
	EXPECT_EQ(-EINVAL, hsm_t_set_attrs(self->fd, k.handle, 0, attrs, off, NULL));
	EXPECT_EQ(-EINVAL, hsm_t_set_attrs(self->fd, k.handle, CRYPTECH_HSM_ATTRS_MAX + 1,
					   attrs, off, NULL));
	EXPECT_EQ(-EINVAL, hsm_t_set_attrs(self->fd, k.handle, 2, attrs, off, NULL));
	EXPECT_EQ(-EINVAL, hsm_t_set_attrs(self->fd, k.handle, 1, attrs, off - 4, NULL));
	EXPECT_EQ(-EINVAL, hsm_t_set_attrs(self->fd, k.handle, 1, attrs,
					   CRYPTECH_HSM_ATTRS_MAX_BYTES + 4, NULL));
	EXPECT_EQ(-EFAULT, hsm_t_set_attrs(self->fd, k.handle, 1, NULL, off, NULL));
	HSM_INIT(s);
	s.handle = k.handle;
	s.n_attrs = 1;
	s.attrs_len = off;
	s.attrs = HSM_PTR(attrs);
	s.reserved = 1;
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_SET_ATTRS, &s));
	/* GET_ATTRS validation. */
	len = sizeof(buf);
	EXPECT_EQ(-EINVAL, hsm_t_get_attrs(self->fd, k.handle, types, 0, 0, buf, &len, NULL));
	len = sizeof(buf);
	EXPECT_EQ(-EINVAL, hsm_t_get_attrs(self->fd, k.handle, types, 65, 0, buf, &len, NULL));
	len = sizeof(buf);
	EXPECT_EQ(-EINVAL, hsm_t_get_attrs(self->fd, k.handle, types, 1, 0x2, buf, &len, NULL));
	len = sizeof(buf);
	EXPECT_EQ(-EFAULT, hsm_t_get_attrs(self->fd, k.handle, NULL, 1, 0, buf, &len, NULL));
	len = sizeof(buf);
	EXPECT_EQ(-EFAULT, hsm_t_get_attrs(self->fd, k.handle, types + 1, 1, 0, NULL, &len, NULL));
	HSM_INIT(g);
	g.size = CRYPTECH_HSM_GET_ATTRS_SIZE_VER0 - 8;
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_GET_ATTRS, &g));
}

/* DELETE and SET_ATTRS are judged on the login of the file that opened the
 * key (protocol §7.3), with the board's FORBIDDEN passed through. */
TEST_F_TIMEOUT(keys, delete_and_set_attrs_need_the_opener_logged_in, 120)
{
	uint8_t attrs[32];
	struct hsm_t_key k;
	uint32_t bs;
	size_t off = 0;

	hsm_t_attr_put(attrs, &off, 3, "x", 1);
	ASSERT_EQ(0, hsm_t_gen_ec(self->fd, CRYPTECH_HSM_CURVE_P256, F_SIGN | F_TOKEN, &k, NULL));
	ASSERT_EQ(0, hsm_t_logout(self->fd, NULL));
	EXPECT_EQ(-EPERM, hsm_t_set_attrs(self->fd, k.handle, 1, attrs, off, &bs));
	EXPECT_EQ(HAL_FORBIDDEN, bs);
	EXPECT_EQ(-EPERM, hsm_t_delete(self->fd, k.handle, &bs));
	EXPECT_EQ(HAL_FORBIDDEN, bs);
	/* The refused DELETE left the handle with this file. */
	ASSERT_EQ(0, hsm_t_login(self->fd, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, NULL));
	ASSERT_EQ(0, hsm_t_set_attrs(self->fd, k.handle, 1, attrs, off, &bs));
	ASSERT_EQ(0, hsm_t_delete(self->fd, k.handle, &bs));
}

static bool has_uuid(uint8_t (*list)[16], int n, const uint8_t *u)
{
	for (int i = 0; i < n; i++)
		if (!memcmp(list[i], u, 16))
			return true;
	return false;
}

TEST_F_TIMEOUT(keys, match_and_paging, 120)
{
	struct cryptech_hsm_match m;
	struct hsm_t_key k[3];
	uint8_t attrs[64], found[16][16], tag[24];
	uint32_t page;
	size_t off = 0;
	int i, n, fd3;

	snprintf((char *)tag, sizeof(tag), "match-%d", getpid());
	hsm_t_attr_put(attrs, &off, 0x102, tag, strlen((char *)tag));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, hsm_t_gen_ec(self->fd, CRYPTECH_HSM_CURVE_P256,
					  F_SIGN | F_TOKEN, &k[i], NULL));
		ASSERT_EQ(0, hsm_t_set_attrs(self->fd, k[i].handle, 1, attrs, off, NULL));
	}
	for (page = 1; page <= 4; page++) {
		n = hsm_t_match_all(self->fd, 0, 0, 0, 1, attrs, off, page, found, 16);
		ASSERT_EQ(3, n) {
			TH_LOG("page size %u", page);
		}
		for (i = 0; i < 3; i++)
			ASSERT_TRUE(has_uuid(found, n, k[i].uuid));
	}
	/* One call with room to spare: all three, and the walk is done. */
	HSM_INIT(m);
	m.n_attrs = 1;
	m.attrs_len = off;
	m.attrs = HSM_PTR(attrs);
	m.count = 8;
	m.uuids = HSM_PTR(found);
	ASSERT_EQ(0, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_MATCH, &m));
	ASSERT_EQ(3, m.count);
	ASSERT_EQ(CRYPTECH_HSM_MATCH_DONE, m.state);
	/* A full page is not the end: state and prev_uuid carry on. */
	HSM_INIT(m);
	m.n_attrs = 1;
	m.attrs_len = off;
	m.attrs = HSM_PTR(attrs);
	m.count = 2;
	m.uuids = HSM_PTR(found);
	ASSERT_EQ(0, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_MATCH, &m));
	ASSERT_EQ(2, m.count);
	ASSERT_NE(CRYPTECH_HSM_MATCH_DONE, m.state);
	ASSERT_EQ(0, memcmp(m.prev_uuid, found[1], 16));
	m.count = 2;
	ASSERT_EQ(0, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_MATCH, &m));
	ASSERT_EQ(1, m.count);
	ASSERT_EQ(CRYPTECH_HSM_MATCH_DONE, m.state);
	/* Type and flag filters. */
	n = hsm_t_match_all(self->fd, CRYPTECH_HSM_KEY_RSA_PRIVATE, 0, 0, 1, attrs, off, 4,
			    found, 16);
	ASSERT_EQ(0, n);
	n = hsm_t_match_all(self->fd, 0, F_TOKEN, 0, 1, attrs, off, 4, found, 16);
	ASSERT_EQ(0, n);
	/* Without a login the board lists nothing (PUBLIC not asked). */
	fd3 = hsm_t_open_dev(&self->d);
	ASSERT_GE(fd3, 0);
	ASSERT_EQ(0, hsm_t_match_all(fd3, 0, 0, 0, 1, attrs, off, 4, found, 16));
	close(fd3);

	/* Validation. */
#define MATCH_ARGS() do { HSM_INIT(m); m.n_attrs = 1; m.attrs_len = off; \
	m.attrs = HSM_PTR(attrs); m.count = 4; m.uuids = HSM_PTR(found); } while (0)
	MATCH_ARGS();
	m.count = 0;
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_MATCH, &m));
	MATCH_ARGS();
	m.count = CRYPTECH_HSM_MATCH_MAX + 1;
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_MATCH, &m));
	MATCH_ARGS();
	m.n_attrs = CRYPTECH_HSM_ATTRS_MAX + 1;
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_MATCH, &m));
	MATCH_ARGS();
	m.n_attrs = 2;	/* more entries than the buffer holds */
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_MATCH, &m));
	MATCH_ARGS();
	m.attrs_len = CRYPTECH_HSM_ATTRS_MAX_BYTES + 4;
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_MATCH, &m));
	MATCH_ARGS();
	m.state = 4;
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_MATCH, &m));
	MATCH_ARGS();
	m.uuids = 0;
	EXPECT_EQ(-EFAULT, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_MATCH, &m));
	MATCH_ARGS();
	m.attrs = 0;
	EXPECT_EQ(-EFAULT, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_MATCH, &m));
#undef MATCH_ARGS
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, hsm_t_delete(self->fd, k[i].handle, NULL));
	ASSERT_EQ(0, hsm_t_match_all(self->fd, 0, 0, 0, 1, attrs, off, 4, found, 16));
}

TEST_F_TIMEOUT(keys, export_import, 60)
{
	static uint8_t pkcs8[6000], kek[512], spki[512], spki2[512];
	struct hsm_t_key kekek, kekek_pub, src, plain, imp;
	struct cryptech_hsm_export ex;
	struct cryptech_hsm_import im;
	uint8_t sig[64];
	uint32_t len, len2, sl, bs;

	/* The destination's KEKEK, its public half loaded for the export. */
	ASSERT_EQ(0, hsm_t_gen_rsa(self->fd, 1024, F_KEYENC, &kekek, NULL));
	len = sizeof(spki);
	ASSERT_EQ(0, hsm_t_pubkey(self->fd, kekek.handle, spki, &len, NULL));
	ASSERT_EQ(0, hsm_t_load(self->fd, spki, len, F_KEYENC, &kekek_pub, NULL));
	ASSERT_EQ(0, hsm_t_gen_ec(self->fd, CRYPTECH_HSM_CURVE_P256, F_SIGN | F_EXPORTABLE,
				  &src, NULL));
	ASSERT_EQ(0, hsm_t_gen_ec(self->fd, CRYPTECH_HSM_CURVE_P256, F_SIGN, &plain, NULL));

#define EXPORT_ARGS(h, kh) do { HSM_INIT(ex); ex.handle = (h); ex.kekek_handle = (kh); \
	ex.pkcs8_len = sizeof(pkcs8); ex.pkcs8 = HSM_PTR(pkcs8); \
	ex.kek_len = sizeof(kek); ex.kek = HSM_PTR(kek); } while (0)
	EXPORT_ARGS(src.handle, kekek_pub.handle);
	ASSERT_EQ(0, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_EXPORT, &ex));
	ASSERT_EQ(0, ex.board_status);
	ASSERT_GT(ex.pkcs8_len, 16);
	ASSERT_LT(ex.pkcs8_len, sizeof(pkcs8));
	ASSERT_GT(ex.kek_len, 128);
	ASSERT_EQ(0x30, pkcs8[0]);
	ASSERT_EQ(0x30, kek[0]);

#define IMPORT_ARGS() do { HSM_INIT(im); im.kekek_handle = kekek.handle; \
	im.flags = F_SIGN; im.pkcs8_len = ex.pkcs8_len; im.pkcs8 = HSM_PTR(pkcs8); \
	im.kek_len = ex.kek_len; im.kek = HSM_PTR(kek); } while (0)
	IMPORT_ARGS();
	ASSERT_EQ(0, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_IMPORT, &im)) {
		TH_LOG("board status %u", im.board_status);
	}
	ASSERT_EQ(0, im.board_status);
	ASSERT_TRUE(uuid_v4(im.uuid));
	ASSERT_NE(0, memcmp(im.uuid, src.uuid, 16));	/* a new name */
	imp.handle = im.handle;
	/* The same key: same public half; it signs what the source verifies. */
	len = sizeof(spki);
	ASSERT_EQ(0, hsm_t_pubkey(self->fd, src.handle, spki, &len, NULL));
	len2 = sizeof(spki2);
	ASSERT_EQ(0, hsm_t_pubkey(self->fd, imp.handle, spki2, &len2, NULL));
	ASSERT_EQ(len, len2);
	ASSERT_EQ(0, memcmp(spki, spki2, len));
	sl = sizeof(sig);
	ASSERT_EQ(0, hsm_t_sign(self->fd, imp.handle, hsm_sha256_abc, 32, sig, &sl, NULL));
	ASSERT_EQ(0, hsm_t_verify(self->fd, src.handle, hsm_sha256_abc, 32, sig, sl, NULL));

	/* The board's refusals, verbatim. */
	EXPORT_ARGS(plain.handle, kekek_pub.handle);
	EXPECT_EQ(-EPERM, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_EXPORT, &ex));
	EXPECT_EQ(HAL_FORBIDDEN, ex.board_status);
	EXPORT_ARGS(src.handle, plain.handle);	/* no KEYENC on the "KEKEK" */
	EXPECT_EQ(-EPERM, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_EXPORT, &ex));
	EXPECT_EQ(HAL_FORBIDDEN, ex.board_status);
	/* Bad pointers. */
	EXPORT_ARGS(src.handle, kekek_pub.handle);
	ex.pkcs8 = 0;
	EXPECT_EQ(-EFAULT, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_EXPORT, &ex));
	EXPORT_ARGS(src.handle, kekek_pub.handle);
	ex.kek = 4096;
	EXPECT_EQ(-EFAULT, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_EXPORT, &ex));
	/* IMPORT validation. */
	IMPORT_ARGS();
	im.flags = 0x40;
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_IMPORT, &im));
	IMPORT_ARGS();
	im.reserved = 1;
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_IMPORT, &im));
	IMPORT_ARGS();
	im.pkcs8_len = 0;
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_IMPORT, &im));
	IMPORT_ARGS();
	im.kek_len = 0;
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_IMPORT, &im));
	IMPORT_ARGS();
	im.kek_len = CRYPTECH_HSM_BLOB_MAX + 1;
	EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_IMPORT, &im));
	IMPORT_ARGS();
	im.pkcs8 = 4096;
	EXPECT_EQ(-EFAULT, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_IMPORT, &im));
	IMPORT_ARGS();
	memset(pkcs8, 0xee, 32);	/* not an EncryptedPrivateKeyInfo */
	EXPECT_EQ(-EBADMSG, hsm_ioc(self->fd, CRYPTECH_HSM_IOC_IMPORT, &im));
	EXPECT_EQ(HAL_ASN1_PARSE_FAILED, im.board_status);
#undef EXPORT_ARGS
#undef IMPORT_ARGS
	(void)bs;
}

/* ---- rules every command follows ---------------------------------------- */

static const struct abi_cmd {
	const char *name;
	unsigned long cmd;
	size_t ver0, ksize;
} abi_cmds[] = {
#define C(n, s) { #n, CRYPTECH_HSM_IOC_##n, CRYPTECH_HSM_##s##_SIZE_VER0, \
		  sizeof(struct cryptech_hsm_##s##_t) }
#define cryptech_hsm_RANDOM_t cryptech_hsm_random
#define cryptech_hsm_BOARD_INFO_t cryptech_hsm_board_info
#define cryptech_hsm_PIN_t cryptech_hsm_pin
#define cryptech_hsm_STATUS_t cryptech_hsm_status
#define cryptech_hsm_LOGIN_STATUS_t cryptech_hsm_login_status
#define cryptech_hsm_GENERATE_t cryptech_hsm_generate
#define cryptech_hsm_LOAD_t cryptech_hsm_load
#define cryptech_hsm_OPEN_t cryptech_hsm_open
#define cryptech_hsm_KEY_t cryptech_hsm_key
#define cryptech_hsm_KEY_INFO_t cryptech_hsm_key_info
#define cryptech_hsm_PUBLIC_KEY_t cryptech_hsm_public_key
#define cryptech_hsm_SIGN_t cryptech_hsm_sign
#define cryptech_hsm_MATCH_t cryptech_hsm_match
#define cryptech_hsm_SET_ATTRS_t cryptech_hsm_set_attrs
#define cryptech_hsm_GET_ATTRS_t cryptech_hsm_get_attrs
#define cryptech_hsm_EXPORT_t cryptech_hsm_export
#define cryptech_hsm_IMPORT_t cryptech_hsm_import
	C(RANDOM, RANDOM), C(BOARD_INFO, BOARD_INFO), C(LOGIN, PIN),
	C(LOGOUT, STATUS), C(SET_PIN, PIN), C(LOGIN_STATUS, LOGIN_STATUS),
	C(GENERATE, GENERATE), C(LOAD, LOAD), C(OPEN, OPEN), C(CLOSE, KEY),
	C(DELETE, KEY), C(KEY_INFO, KEY_INFO), C(PUBLIC_KEY, PUBLIC_KEY),
	C(SIGN, SIGN), C(VERIFY, SIGN), C(MATCH, MATCH),
	C(SET_ATTRS, SET_ATTRS), C(GET_ATTRS, GET_ATTRS), C(EXPORT, EXPORT),
	C(IMPORT, IMPORT),
#undef C
};

#define N_ABI_CMDS (sizeof(abi_cmds) / sizeof(abi_cmds[0]))

/* Size first, E2BIG for a non-zero unknown tail, EFAULT for bad memory. */
TEST_F_TIMEOUT(keys, abi_rules_for_every_command, 120)
{
	static uint8_t buf[512];
	struct hsm_emu_stats st0, st1;
	size_t i;

	ASSERT_EQ(0, hsm_test_emu_stats(0, &st0));
	for (i = 0; i < N_ABI_CMDS; i++) {
		const struct abi_cmd *c = &abi_cmds[i];
		uint32_t *size = (uint32_t *)buf;

		/* Structs only grow (BOARD_INFO did: 80, then 152). */
		ASSERT_LE(c->ver0, c->ksize) {
			TH_LOG("%s: struct smaller than its VER0 size", c->name);
		}
		memset(buf, 0, sizeof(buf));
		*size = c->ver0 - 1;
		EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, c->cmd, buf)) {
			TH_LOG("%s: size %zu", c->name, c->ver0 - 1);
		}
		*size = 0;
		EXPECT_EQ(-EINVAL, hsm_ioc(self->fd, c->cmd, buf)) {
			TH_LOG("%s: size 0", c->name);
		}
		memset(buf, 0, sizeof(buf));
		*size = c->ksize + 16;
		buf[c->ksize + 9] = 1;
		EXPECT_EQ(-E2BIG, hsm_ioc(self->fd, c->cmd, buf)) {
			TH_LOG("%s: non-zero tail", c->name);
		}
		EXPECT_EQ(-EFAULT, hsm_ioc(self->fd, c->cmd, NULL)) {
			TH_LOG("%s: NULL argument", c->name);
		}
		EXPECT_EQ(-EFAULT, hsm_ioc(self->fd, c->cmd, (void *)4096)) {
			TH_LOG("%s: unmapped argument", c->name);
		}
	}
	/* Nothing of this reached the board. */
	ASSERT_EQ(0, hsm_test_emu_stats(0, &st1));
	EXPECT_EQ(hsm_emu_requests_but_random(&st0), hsm_emu_requests_but_random(&st1));

	/* Unknown commands. */
	EXPECT_EQ(-ENOTTY, hsm_ioc(self->fd, _IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x00, struct cryptech_hsm_status), buf));
	EXPECT_EQ(-ENOTTY, hsm_ioc(self->fd, _IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x07, struct cryptech_hsm_status), buf));
	EXPECT_EQ(-ENOTTY, hsm_ioc(self->fd, _IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x22, struct cryptech_hsm_status), buf));
	EXPECT_EQ(-ENOTTY, hsm_ioc(self->fd, _IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x42, struct cryptech_hsm_status), buf));
	EXPECT_EQ(-ENOTTY, hsm_ioc(self->fd, _IOWR(CRYPTECH_HSM_IOC_MAGIC, 0xff, struct cryptech_hsm_status), buf));
	EXPECT_EQ(-ENOTTY, hsm_ioc(self->fd, _IOWR(0xC8, 0x06, struct cryptech_hsm_login_status), buf));
}

/*
 * The struct's size member is the size (issue 7): a command word with
 * another encoded size names the same command as long as that size is
 * plausible (at least the struct's first published size) and the direction
 * is read-write; otherwise ENOTTY.
 */
TEST_F_TIMEOUT(keys, command_size_and_direction_checked, 120)
{
	struct cryptech_hsm_login_status ls;
	struct cryptech_hsm_key_info ki;
	struct hsm_t_key k;

	HSM_INIT(ls);
	ls.user = 77;
	ASSERT_EQ(0, hsm_ioc(self->fd, _IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x06, char[100]), &ls));
	ASSERT_EQ(CRYPTECH_HSM_USER_NORMAL, ls.user);
	HSM_INIT(ls);
	ASSERT_EQ(-ENOTTY, hsm_ioc(self->fd, _IO(CRYPTECH_HSM_IOC_MAGIC, 0x06), &ls));
	ASSERT_EQ(-ENOTTY, hsm_ioc(self->fd, _IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x06, __u64), &ls));
	ASSERT_EQ(0, hsm_t_gen_ec(self->fd, CRYPTECH_HSM_CURVE_P256, F_SIGN, &k, NULL));
	HSM_INIT(ki);
	ki.handle = k.handle;
	ASSERT_EQ(-ENOTTY, hsm_ioc(self->fd, _IOR(CRYPTECH_HSM_IOC_MAGIC, 0x15, struct cryptech_hsm_key_info), &ki));
	ASSERT_EQ(-ENOTTY, hsm_ioc(self->fd, _IOW(CRYPTECH_HSM_IOC_MAGIC, 0x15, struct cryptech_hsm_key_info), &ki));
	ASSERT_EQ(0, hsm_ioc(self->fd, _IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x15, char[200]), &ki));
	ASSERT_EQ(CRYPTECH_HSM_KEY_EC_PRIVATE, ki.type);
}

/* Once the board is gone every command fails with ENODEV; close works. */
TEST_F_TIMEOUT(keys, every_command_enodev_after_detach, 120)
{
	static uint8_t buf[512];
	struct hsm_t_key k;
	size_t i;
	int fd;

	ASSERT_EQ(0, hsm_t_gen_ec(self->fd, CRYPTECH_HSM_CURVE_P256, F_SIGN, &k, NULL));
	ASSERT_EQ(0, hsm_detach(self->d.index, NULL, 0));
	for (i = 0; i < N_ABI_CMDS; i++) {
		uint32_t *size = (uint32_t *)buf;

		memset(buf, 0, sizeof(buf));
		*size = abi_cmds[i].ksize;
		EXPECT_EQ(-ENODEV, hsm_ioc(self->fd, abi_cmds[i].cmd, buf)) {
			TH_LOG("%s", abi_cmds[i].name);
		}
	}
	EXPECT_EQ(-ENODEV, hsm_t_key_info(self->fd, k.handle, (void *)buf));
	EXPECT_EQ(0, close(self->fd));
	self->fd = -1;
	/* A new attach gives a working board again. */
	ASSERT_EQ(0, hsm_t_attach(0, &self->d));
	fd = hsm_t_open_dev(&self->d);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, hsm_t_login(fd, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, NULL));
	ASSERT_EQ(0, hsm_t_gen_ec(fd, CRYPTECH_HSM_CURVE_P256, F_SIGN, &k, NULL));
	close(fd);
}

HSM_TEST_HARNESS_MAIN
