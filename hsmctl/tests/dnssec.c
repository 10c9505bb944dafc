// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The DNSSEC encoders (src/dnssec.c): owner names, the key tag against
 * RFC 4034's example, and DNSKEY/DS records of keys made by openssl
 * against ldns-key2ds (ldnsutils) reading the same DNSKEY.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "kselftest_harness.h"

#include "dnssec.h"
#include "encode.h"

TEST(names)
{
	unsigned char w[DNSSEC_NAME_MAX];
	char *t, long_label[70], long_name[300];
	size_t len;
	int i;

	ASSERT_EQ(0, dnssec_name_wire("Example.COM", w, &len));
	ASSERT_EQ(13, len);
	EXPECT_EQ(0, memcmp(w, "\007example\003com\000", 13));
	ASSERT_EQ(0, dnssec_name_wire("example.com.", w, &len));
	EXPECT_EQ(13, len);
	ASSERT_EQ(0, dnssec_name_wire(".", w, &len));
	EXPECT_EQ(1, len);
	EXPECT_EQ(0, w[0]);
	EXPECT_EQ(-EINVAL, dnssec_name_wire("", w, &len));
	EXPECT_EQ(-EINVAL, dnssec_name_wire("a..b", w, &len));
	EXPECT_EQ(-EINVAL, dnssec_name_wire(".com", w, &len));
	EXPECT_EQ(-EINVAL, dnssec_name_wire("a b.com", w, &len));
	EXPECT_EQ(-EINVAL, dnssec_name_wire("com..", w, &len));
	memset(long_label, 'a', 64);
	long_label[64] = '\0';
	EXPECT_EQ(-EINVAL, dnssec_name_wire(long_label, w, &len));
	long_label[63] = '\0';
	EXPECT_EQ(0, dnssec_name_wire(long_label, w, &len));
	/* 4 labels of 63 make 4 * 64 + 1 = 257 bytes: too long. */
	long_name[0] = '\0';
	for (i = 0; i < 4; i++) {
		strcat(long_name, long_label);
		strcat(long_name, ".");
	}
	EXPECT_EQ(-EINVAL, dnssec_name_wire(long_name, w, &len));
	t = dnssec_name_text("Example.COM");
	EXPECT_STREQ("example.com.", t);
	free(t);
	t = dnssec_name_text(".");
	EXPECT_STREQ(".", t);
	free(t);
}

/* RFC 4034 §5.4: the DNSKEY of dskey.example.com. has key tag 60485. */
TEST(key_tag_rfc4034)
{
	static const char b64[] =
		"AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMz"
		"NXxeYCmZDRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJ"
		"BjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==";
	unsigned char rdata[4 + 200];
	int n;

	rdata[0] = 1;		/* flags 256 */
	rdata[1] = 0;
	rdata[2] = 3;
	rdata[3] = 5;		/* RSASHA1 */
	n = EVP_DecodeBlock(rdata + 4, (const unsigned char *)b64,
			    (int)strlen(b64));
	ASSERT_GT(n, 2);
	n -= 2;			/* EVP_DecodeBlock counts the "==" padding */
	EXPECT_EQ(60485, dnssec_key_tag(rdata, 4 + (size_t)n));
}

TEST(not_a_key)
{
	static const unsigned char junk[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
	struct dnskey k;

	EXPECT_EQ(-EINVAL, dnssec_dnskey(junk, sizeof(junk), 8, 256, &k));
	EXPECT_EQ(0u, dnssec_alg_for_spki(junk, sizeof(junk), 8));
	EXPECT_EQ(NULL, dnssec_alg_name(5));
	EXPECT_STREQ("RSASHA512", dnssec_alg_name(10));
}

/* ---- Against ldns-key2ds ------------------------------------------------ */

static char dir[64];

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = malloc(65536);

	*len = f && buf ? fread(buf, 1, 65536, f) : 0;
	if (f)
		fclose(f);
	return buf;
}

/*
 * Make a key with "openssl genpkey @genargs", build its DNSKEY, and check
 * ldns-key2ds derives the same key tag, algorithm and SHA-256 DS digest.
 */
static void check_against_ldns(struct __test_metadata *_metadata,
			       const char *genargs, unsigned int rsa_alg,
			       uint16_t flags, const char *zone,
			       unsigned int want_alg)
{
	unsigned char *der, wire[DNSSEC_NAME_MAX], digest[32];
	char path[128], *b64, *hex, *name, line[2048], expect[512];
	size_t len, wlen;
	struct dnskey k;
	FILE *f;

	ASSERT_EQ(0, sh("openssl genpkey %s -out %s/k.pem 2>/dev/null && "
			"openssl pkey -in %s/k.pem -pubout -outform DER -out %s/k.der",
			genargs, dir, dir, dir));
	snprintf(path, sizeof(path), "%s/k.der", dir);
	der = slurp(path, &len);
	ASSERT_EQ(0, dnssec_dnskey(der, len, rsa_alg, flags, &k));
	EXPECT_EQ(want_alg, k.algorithm);
	EXPECT_EQ(want_alg, dnssec_alg_for_spki(der, len, rsa_alg));
	b64 = base64_encode(k.rdata + 4, k.rdata_len - 4);
	name = dnssec_name_text(zone);
	snprintf(path, sizeof(path), "%s/k.key", dir);
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "%s IN DNSKEY %u 3 %u %s\n", name, flags, k.algorithm, b64);
	fclose(f);
	ASSERT_EQ(0, dnssec_name_wire(zone, wire, &wlen));
	ASSERT_EQ(0, dnssec_ds_sha256(wire, wlen, &k, digest));
	hex = hex_encode(digest, 32);
	snprintf(expect, sizeof(expect), "%s\t3600\tIN\tDS\t%u %u 2 %s\n",
		 name, k.tag, k.algorithm, hex);
	ASSERT_EQ(0, sh("cd %s && ldns-key2ds -f -n -2 k.key > ds.txt", dir));
	snprintf(path, sizeof(path), "%s/ds.txt", dir);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(line, sizeof(line), f));
	fclose(f);
	EXPECT_STREQ(expect, line);
	free(hex);
	free(b64);
	free(name);
	free(der);
	dnskey_free(&k);
}

FIXTURE(ldns) { int unused; };

FIXTURE_SETUP(ldns)
{
	snprintf(dir, sizeof(dir), "/tmp/hsmctl-dnssec-%d", (int)getpid());
	ASSERT_EQ(0, mkdir(dir, 0700));
}

FIXTURE_TEARDOWN(ldns)
{
	if (sh("rm -rf '%s'", dir))
		TH_LOG("cleanup failed");
}

TEST_F(ldns, p256_ksk)
{
	check_against_ldns(_metadata, "-algorithm EC -pkeyopt ec_paramgen_curve:P-256",
			   8, 257, "Example.com", DNSSEC_ALG_ECDSAP256SHA256);
}

TEST_F(ldns, p384_zsk)
{
	check_against_ldns(_metadata, "-algorithm EC -pkeyopt ec_paramgen_curve:P-384",
			   8, 256, "sub.example.org.", DNSSEC_ALG_ECDSAP384SHA384);
}

TEST_F(ldns, rsa2048_sha256)
{
	check_against_ldns(_metadata, "-algorithm RSA -pkeyopt rsa_keygen_bits:2048",
			   8, 257, "example.net", DNSSEC_ALG_RSASHA256);
}

TEST_F(ldns, rsa1024_sha512_exponent3)
{
	check_against_ldns(_metadata, "-algorithm RSA -pkeyopt rsa_keygen_bits:1024 "
			   "-pkeyopt rsa_keygen_pubexp:3",
			   10, 256, ".", DNSSEC_ALG_RSASHA512);
}

TEST_F(ldns, p521_has_no_algorithm)
{
	unsigned char *der;
	char path[128];
	struct dnskey k;
	size_t len;

	ASSERT_EQ(0, sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 "
			"2>/dev/null | openssl pkey -pubout -outform DER -out %s/k.der",
			dir));
	snprintf(path, sizeof(path), "%s/k.der", dir);
	der = slurp(path, &len);
	EXPECT_EQ(-ENOTSUP, dnssec_dnskey(der, len, 8, 256, &k));
	EXPECT_EQ(0u, dnssec_alg_for_spki(der, len, 8));
	free(der);
}

TEST_HARNESS_MAIN
