// SPDX-License-Identifier: GPL-2.0
/*
 * A board as a real one comes out of the factory, and both firmware
 * generations (issue 7, point 6). Board 0 is the emulator started with
 * --no-masterkey (tests/check.sh, group "masterkey"):
 *
 * 1. Without a master key LOGIN and SET_PIN work, every key operation
 *    fails with status 32 (ENOKEY), and hsmctl says what to do on the
 *    console; once the console (the emulator's control socket) runs
 *    "masterkey set", keys work.
 * 2. The edge cases later firmware answers differently (GET_RANDOM of 0
 *    bytes, zero-length output buffers, OPEN of the all-zero UUID): the
 *    driver and hsmctl give the same, correct results with "firmware 2018"
 *    and "firmware 2019", switched through the control socket.
 * 3. The board's stable identity in hsmctl: shown, usable as its name, and
 *    the token of its URIs (or, while the kernel reports none, said to be
 *    unknown and left out of URIs).
 * The tests run in this order and share the board.
 */
#include <stdarg.h>

#include "kselftest_harness.h"
#include "hsm_ioctl.h"

#define HSMCTL		"hsmctl/hsmctl"
#define DIR		"/tmp/hsm-masterkey"
#define HAL_MASTERKEY_NOT_SET		32
#define HAL_RESULT_TOO_LONG		14
#define HAL_KEYSTORE_WRONG_BLOCK_TYPE	43

static int sh(char *out, size_t outlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int sh(char *out, size_t outlen, const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return hsm_test_run(cmd, out, outlen);
}

/* The emulator's request count (its stats), -1 if unreadable. */
static long board_requests(void)
{
	char out[8192];

	if (hsm_test_board_ctl(0, "stats", out, sizeof(out)))
		return -1;
	return hsm_json_num(out, "requests");
}

FIXTURE(mk) {
	struct hsm_board_desc d;
	int fd;
	char out[16384];
};

FIXTURE_SETUP(mk)
{
	self->fd = -1;
	ASSERT_EQ(0, sh(NULL, 0, "mkdir -p " DIR));
	ASSERT_EQ(0, hsm_write_file(DIR "/user", HSM_USER_PIN "\n",
				    strlen(HSM_USER_PIN) + 1));
	ASSERT_EQ(0, hsm_t_attach(0, &self->d));
	self->fd = hsm_t_open_dev(&self->d);
	ASSERT_LE(0, self->fd);
	/* PINs need no master key: the factory wheel PIN, then all three. */
	ASSERT_EQ(0, hsm_t_bringup(self->fd, 0));
}

FIXTURE_TEARDOWN(mk)
{
	if (self->fd >= 0)
		close(self->fd);
	hsm_t_detach_all();
}

/* Generous timeouts: a loaded build machine slows the emulated VM many times. */
TEST_F_TIMEOUT(mk, no_master_key_until_the_console_sets_one, 300)
{
	struct hsm_session *s;
	struct hsm_t_key k;
	uint8_t buf[32], sig[64];
	uint32_t bs = 0, siglen = sizeof(sig);
	char *out = self->out, dev[64];
	size_t len = sizeof(self->out);
	uint32_t h, st = 0;
	int rc;

	ASSERT_EQ(0, hsm_test_board_ctl(0, "masterkey status", out, len));
	ASSERT_EQ(0, strncmp(out, "not set", 7)) TH_LOG("%s", out);

	/* The key ABI: 32 reaches userspace as ENOKEY with the status. */
	ASSERT_EQ(0, hsm_t_login(self->fd, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, &bs));
	ASSERT_EQ(-ENOKEY, hsm_t_gen_ec(self->fd, CRYPTECH_HSM_CURVE_P256,
					CRYPTECH_HSM_KEY_F_SIGN, &k, &bs));
	ASSERT_EQ((uint32_t)HAL_MASTERKEY_NOT_SET, bs);
	/* The rest of the board works. */
	ASSERT_EQ(0, hsm_t_random(self->fd, buf, sizeof(buf), &bs));
	ASSERT_EQ(CRYPTECH_HSM_USER_NORMAL, hsm_t_login_status(self->fd));

	/* libhsm names it... */
	snprintf(dev, sizeof(dev), "/dev/%s", self->d.dev_name);
	ASSERT_EQ(0, hsm_open(dev, &s));
	ASSERT_EQ(0, hsm_login(s, HSM_USER_NORMAL, HSM_USER_PIN, strlen(HSM_USER_PIN), &st));
	ASSERT_EQ(-ENOKEY, hsm_generate_ec(s, HSM_CURVE_P256, HSM_KEY_F_SIGN, &h, NULL, &st));
	ASSERT_EQ((uint32_t)HAL_MASTERKEY_NOT_SET, st);
	ASSERT_NE(NULL, strstr(hsm_board_status_name(st), "MASTERKEY_NOT_SET"));
	hsm_close(s);

	/* ...and hsmctl tells the operator what to do, on the console. */
	rc = sh(out, len, HSMCTL " key generate ec p256 --token --label mk-test "
		"--pin-file " DIR "/user 2>&1");
	ASSERT_EQ(5, rc) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "MASTERKEY_NOT_SET")) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "the board has no master key")) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "on the board's console")) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "'masterkey set'")) TH_LOG("%s", out);

	/* The operator runs "masterkey set" on the console. */
	ASSERT_EQ(0, hsm_test_board_ctl(0, "masterkey set", out, len)) TH_LOG("%s", out);
	ASSERT_EQ(0, hsm_test_board_ctl(0, "masterkey status", out, len));
	ASSERT_EQ(0, strncmp(out, "set", 3)) TH_LOG("%s", out);

	/* The same session, no reattach: keys work now. */
	ASSERT_EQ(0, hsm_t_gen_ec(self->fd, CRYPTECH_HSM_CURVE_P256,
				  CRYPTECH_HSM_KEY_F_SIGN, &k, &bs)) TH_LOG("status %u", bs);
	ASSERT_EQ(0, hsm_t_sign(self->fd, k.handle, hsm_sha256_abc, 32, sig, &siglen, &bs));
	ASSERT_EQ(64u, siglen);
	rc = sh(out, len, HSMCTL " key generate ec p256 --token --label mk-test "
		"--pin-file " DIR "/user 2>&1");
	ASSERT_EQ(0, rc) TH_LOG("%s", out);
	rc = sh(out, len, HSMCTL " key sign label:mk-test --digest "
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad "
		"--pin-file " DIR "/user 2>&1");
	ASSERT_EQ(0, rc) TH_LOG("%s", out);
	ASSERT_EQ(128u, strspn(out, "0123456789abcdef")) TH_LOG("%s", out);
}

/*
 * The edge cases of appendix A, on firmware generation @fw: what the
 * driver and hsmctl must do whichever generation the board runs.
 */
static void edge_cases(struct __test_metadata *_metadata,
		       FIXTURE_DATA(mk) *self, int fw)
{
	static const uint8_t zero_uuid[16];
	uint8_t der[512], sig[132], buf[16];
	uint32_t bs = 0, dlen, slen, h;
	struct hsm_t_key k;
	char *out = self->out, cmd[64];
	size_t len = sizeof(self->out);
	long before;
	int rc;

	snprintf(cmd, sizeof(cmd), "set firmware %d", fw);
	ASSERT_EQ(0, hsm_test_board_ctl(0, cmd, NULL, 0));
	ASSERT_EQ(0, hsm_test_board_ctl(0, "stats", out, len));
	ASSERT_EQ(fw, hsm_json_num(out, "firmware")) TH_LOG("%s", out);

	ASSERT_EQ(0, hsm_t_login(self->fd, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, &bs));
	ASSERT_EQ(0, hsm_t_gen_ec(self->fd, CRYPTECH_HSM_CURVE_P256,
				  CRYPTECH_HSM_KEY_F_SIGN, &k, &bs)) TH_LOG("status %u", bs);

	/* GET_RANDOM of 0 bytes never reaches the board. */
	before = board_requests();
	ASSERT_LT(0, before);
	ASSERT_EQ(-EINVAL, hsm_t_random(self->fd, buf, 0, &bs));
	ASSERT_EQ(before, board_requests());
	rc = sh(out, len, HSMCTL " random 0 2>&1");
	ASSERT_EQ(2, rc) TH_LOG("%s", out);

	/* A zero-length output buffer: ENOSPC and the size, either way. */
	dlen = 0;
	ASSERT_EQ(-ENOSPC, hsm_t_pubkey(self->fd, k.handle, der, &dlen, &bs));
	ASSERT_EQ(0u, bs);
	ASSERT_EQ(91u, dlen);		/* a P-256 SubjectPublicKeyInfo */
	dlen = sizeof(der);
	ASSERT_EQ(0, hsm_t_pubkey(self->fd, k.handle, der, &dlen, &bs));
	ASSERT_EQ(91u, dlen);
	slen = 0;
	ASSERT_EQ(-ENOSPC, hsm_t_sign(self->fd, k.handle, hsm_sha256_abc, 32, sig, &slen, &bs));
	ASSERT_EQ(64u, slen);

	/*
	 * OPEN of the all-zero UUID (the PIN block's name): the board's own
	 * answer (43 from 2018 firmware, 21 from later), passed through with
	 * its status, and the session goes on.
	 */
	rc = hsm_t_open(self->fd, zero_uuid, &h, &bs);
	if (fw == 2018) {
		ASSERT_EQ(-EIO, rc);
		ASSERT_EQ((uint32_t)HAL_KEYSTORE_WRONG_BLOCK_TYPE, bs);
	} else {
		ASSERT_EQ(-ENOENT, rc);
		ASSERT_EQ((uint32_t)HAL_KEY_NOT_FOUND, bs);
	}
	slen = sizeof(sig);
	ASSERT_EQ(0, hsm_t_sign(self->fd, k.handle, hsm_sha256_abc, 32, sig, &slen, &bs));
	/* hsmctl does not depend on either: it refuses that name itself. */
	rc = sh(out, len, HSMCTL " key info 00000000-0000-0000-0000-000000000000 "
		"--pin-file " DIR "/user 2>&1");
	ASSERT_EQ(2, rc) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "PIN block")) TH_LOG("%s", out);
	/* And the usual commands read whole outputs on both. */
	rc = sh(out, len, HSMCTL " key pubkey label:mk-test --pin-file " DIR "/user 2>&1");
	ASSERT_EQ(0, rc) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "-----BEGIN PUBLIC KEY-----")) TH_LOG("%s", out);
	rc = sh(out, len, HSMCTL " random 16 2>&1");
	ASSERT_EQ(0, rc) TH_LOG("%s", out);
	ASSERT_EQ(32u, strspn(out, "0123456789abcdef"));
	ASSERT_EQ(0, hsm_t_delete(self->fd, k.handle, &bs));
}

TEST_F_TIMEOUT(mk, firmware_2018, 300)
{
	edge_cases(_metadata, self, 2018);
}

TEST_F_TIMEOUT(mk, firmware_2019, 300)
{
	edge_cases(_metadata, self, 2019);
	ASSERT_EQ(0, hsm_test_board_ctl(0, "set firmware 2018", NULL, 0));
}

/* The value of "KEY":"..." in JSON into @val, or "" for null/absent. */
static void json_str(const char *js, const char *key, char *val, size_t n)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	p = strstr(js, pat);
	val[0] = '\0';
	if (p)
		snprintf(val, n, "%.*s", (int)strcspn(p + strlen(pat), "\""),
			 p + strlen(pat));
}

TEST_F_TIMEOUT(mk, board_identity_in_hsmctl, 300)
{
	char *out = self->out, id[64], token[64], kind[32];
	size_t len = sizeof(self->out);
	int rc;

	rc = sh(out, len, HSMCTL " --json list 2>&1");
	ASSERT_EQ(0, rc) TH_LOG("%s", out);
	json_str(out, "board_id", id, sizeof(id));
	json_str(out, "token", token, sizeof(token));
	json_str(out, "board_id_kind", kind, sizeof(kind));
	if (!id[0]) {
		/* A kernel without the identity: said so, never made up. */
		TH_LOG("the kernel reports no board id yet: checking the fallback");
		ASSERT_NE(NULL, strstr(out, "\"board_id\":null,\"board_id_kind\":null,\"token\":null"))
			TH_LOG("%s", out);
		rc = sh(out, len, HSMCTL " info 2>&1");
		ASSERT_EQ(0, rc) TH_LOG("%s", out);
		ASSERT_NE(NULL, strstr(out, "board id:      unknown")) TH_LOG("%s", out);
		rc = sh(out, len, HSMCTL " key info label:mk-test --pin-file " DIR "/user 2>&1");
		ASSERT_EQ(0, rc) TH_LOG("%s", out);
		ASSERT_NE(NULL, strstr(out, "uri:    pkcs11:object=mk-test;type=private"))
			TH_LOG("%s", out);
		return;
	}
	/* The runner gives board 0's adapter the USB serial EMU00000. */
	ASSERT_STREQ("EMU00000", id);
	ASSERT_STREQ("usb-serial", kind);
	ASSERT_STREQ("cryptech-EMU00000", token);
	rc = sh(out, len, HSMCTL " -d EMU00000 info 2>&1");
	ASSERT_EQ(0, rc) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "board id:      EMU00000 (USB serial number)")) TH_LOG("%s", out);
	rc = sh(out, len, HSMCTL " -d cryptech-EMU00000 key info label:mk-test "
		"--pin-file " DIR "/user 2>&1");
	ASSERT_EQ(0, rc) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "uri:    pkcs11:token=cryptech-EMU00000;object=mk-test;type=private"))
		TH_LOG("%s", out);
	rc = sh(out, len, HSMCTL " -d EMU00009 info 2>&1");
	ASSERT_EQ(3, rc) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "no attached board has the id")) TH_LOG("%s", out);
}

HSM_TEST_HARNESS_MAIN
