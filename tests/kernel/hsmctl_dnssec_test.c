// SPDX-License-Identifier: GPL-2.0
/*
 * hsmctl's operator tools for DNSSEC against the emulator (issue 11):
 * "key sign --format der" checked by the openssl command on the key's
 * exported public key, "key verify" on the board and with --pubkey, for
 * signatures from the board and tampered ones, "key dnskey" records
 * checked with ldns-key2ds, and the key tags of "key list". Board 0 is the
 * emulator; everything goes through the hsmctl binary.
 */
#include <stdarg.h>

#include "kselftest_harness.h"
#include "hsm_ioctl.h"
#include "hsmctl_cli.h"

#define DIR		"/tmp/hsmctl-dnssec"
#define put(name, text)	hsmctl_put(DIR, name, text)

FIXTURE(dns) {
	struct hsm_board_desc d;
	char out[16384];
};

FIXTURE_SETUP(dns)
{
	ASSERT_EQ(0, sh(NULL, 0, "rm -rf " DIR " && mkdir -p " DIR));
	ASSERT_EQ(0, hsmctl_attach_board0(&self->d, self->out, sizeof(self->out)))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, put("data", "example.com. zone data\n"));
	ASSERT_EQ(0, put("data2", "example.com. other data\n"));
}

FIXTURE_TEARDOWN(dns)
{
	sh(NULL, 0, HSMCTL " detach %s 2>&1", self->d.dev_name);
	hsm_t_detach_all();
}

/*
 * Sign DIR/data with @key (hash @hash), check the signature with openssl
 * on the exported public key, with "key verify" on the board and with
 * --pubkey; a signature of other data is refused by all three.
 */
static void sign_and_verify(struct __test_metadata *_metadata, char *out,
			    size_t len, const char *key, const char *hash,
			    const char *fmt)
{
	int st;

	st = sh(out, len, HSMCTL " key pubkey %s > " DIR "/pub.pem", key);
	ASSERT_EQ(0, st);
	st = sh(out, len, HSMCTL " key sign %s --in " DIR "/data --hash %s "
		"--format %s --raw > " DIR "/sig", key, hash, fmt);
	ASSERT_EQ(0, st);
	if (strcmp(fmt, "der") == 0) {
		st = sh(out, len, "openssl dgst -%s -verify " DIR "/pub.pem -signature "
			DIR "/sig " DIR "/data 2>&1", hash);
		ASSERT_EQ(0, st) TH_LOG("%s", out);
		ASSERT_NE(NULL, strstr(out, "Verified OK"));
		st = sh(out, len, "openssl dgst -%s -verify " DIR "/pub.pem -signature "
			DIR "/sig " DIR "/data2 2>&1", hash);
		ASSERT_NE(0, st) TH_LOG("%s", out);
	}
	st = sh(out, len, HSMCTL " key verify %s --sig " DIR "/sig --in " DIR
		"/data --hash %s 2>&1", key, hash);
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	ASSERT_STREQ("valid\n", out);
	st = sh(out, len, HSMCTL " key verify --pubkey " DIR "/pub.pem --sig " DIR
		"/sig --in " DIR "/data --hash %s 2>&1", hash);
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	st = sh(out, len, HSMCTL " key verify %s --sig " DIR "/sig --in " DIR
		"/data2 --hash %s 2>&1", key, hash);
	ASSERT_EQ(9, st) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "the signature does not verify"));
	st = sh(out, len, HSMCTL " --json key verify %s --sig " DIR "/sig --in " DIR
		"/data2 --hash %s 2>" DIR "/err", key, hash);
	ASSERT_EQ(9, st) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "\"verified_by\":\"board\",\"valid\":false"));
	st = sh(out, len, "cat " DIR "/err");
	ASSERT_NE(NULL, strstr(out, "\"exit\":9}")) TH_LOG("%s", out);
	st = sh(out, len, HSMCTL " key verify --pubkey " DIR "/pub.pem --sig " DIR
		"/sig --in " DIR "/data2 --hash %s 2>&1", hash);
	ASSERT_EQ(9, st) TH_LOG("%s", out);
}

/* "key dnskey" of @key, through ldns-key2ds: the DS it derives is --ds's. */
static void dnskey_vs_ldns(struct __test_metadata *_metadata, char *out,
			   size_t len, const char *key, const char *alg_opt,
			   const char *alg)
{
	char want[64], ds[512];
	int st;

	st = sh(out, len, HSMCTL " key dnskey %s --zone Example.COM --ksk %s > "
		DIR "/k.key 2>&1", key, alg_opt);
	ASSERT_EQ(0, st);
	st = sh(out, len, "cat " DIR "/k.key");
	snprintf(want, sizeof(want), "\nexample.com. IN DNSKEY 257 3 %s ", alg);
	ASSERT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	st = sh(out, len, "cd " DIR " && ldns-key2ds -n -2 k.key | "
		"sed 's/\\t3600\\t/ /; s/\\t/ /g'");
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	snprintf(ds, sizeof(ds), "%s", out);
	st = sh(out, len, HSMCTL " key dnskey %s --zone example.com. --ksk --ds %s 2>&1",
		key, alg_opt);
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	ASSERT_EQ(0, strcasecmp(ds, out)) TH_LOG("ldns: %s hsmctl: %s", ds, out);
}

TEST_F_TIMEOUT(dns, ec_and_rsa_keys, 400)
{
	char p256[37], p384[37], rsa[37], p521[37], *out = self->out, tag[32];
	size_t len = sizeof(self->out);
	const char *t;
	int st;

	st = sh(out, len, HSMCTL " --json key generate ec p256 --token --label dnssec-p256 2>&1");
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	ASSERT_EQ(0, json_uuid(out, p256));
	st = sh(out, len, HSMCTL " --json key generate ec p384 --token --label dnssec-p384 2>&1");
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	ASSERT_EQ(0, json_uuid(out, p384));
	st = sh(out, len, HSMCTL " --json key generate rsa 2048 --token --label dnssec-rsa 2>&1");
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	ASSERT_EQ(0, json_uuid(out, rsa));
	ASSERT_NE(NULL, strstr(out, "\"dnssec\":{\"algorithm\":8,")) TH_LOG("%s", out);

	sign_and_verify(_metadata, out, len, p256, "sha256", "der");
	sign_and_verify(_metadata, out, len, p256, "sha256", "rs");
	sign_and_verify(_metadata, out, len, p384, "sha384", "der");
	sign_and_verify(_metadata, out, len, rsa, "sha256", "der");
	sign_and_verify(_metadata, out, len, rsa, "sha512", "rs");

	dnskey_vs_ldns(_metadata, out, len, p256, "", "13");
	dnskey_vs_ldns(_metadata, out, len, p384, "", "14");
	dnskey_vs_ldns(_metadata, out, len, rsa, "", "8");
	dnskey_vs_ldns(_metadata, out, len, rsa, "--alg 10", "10");

	/* key list shows the KSK tag that key dnskey --ksk writes. */
	st = sh(out, len, HSMCTL " --json key dnskey %s --zone example.com --ksk", p256);
	ASSERT_EQ(0, st);
	t = strstr(out, "\"key_tag\":");
	ASSERT_NE(NULL, t);
	snprintf(tag, sizeof(tag), "\"key_tag_ksk\":%d}", atoi(t + 10));
	st = sh(out, len, HSMCTL " --json key info %s", p256);
	ASSERT_EQ(0, st);
	ASSERT_NE(NULL, strstr(out, tag)) TH_LOG("%s / %s", out, tag);

	/* P-521 has no DNSSEC algorithm. */
	st = sh(out, len, HSMCTL " --json key generate ec p521 --token 2>&1");
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	ASSERT_EQ(0, json_uuid(out, p521));
	ASSERT_EQ(NULL, strstr(out, "\"dnssec\""));
	st = sh(out, len, HSMCTL " key dnskey %s --zone example.com 2>&1", p521);
	ASSERT_EQ(1, st) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "has no DNSSEC algorithm")) TH_LOG("%s", out);
	st = sh(out, len, HSMCTL " key delete %s", p521);
	ASSERT_EQ(0, st) TH_LOG("%s", out);

	st = sh(out, len, HSMCTL " key delete %s && " HSMCTL " key delete %s && "
		HSMCTL " key delete %s", p256, p384, rsa);
	ASSERT_EQ(0, st) TH_LOG("%s", out);
}

HSM_TEST_HARNESS_MAIN
