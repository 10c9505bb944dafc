// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hsmctl key verify, key dnskey and key sign --format der against the
 * fake board of tests/shim/fake_ioctl.c (whose "signature" is the signed
 * input itself), and key verify --pubkey against signatures made by the
 * openssl command. DNSKEY records are checked with ldns-key2ds.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "exitcodes.h"
#include "report.h"
#include "run_hsmctl.h"

static char dir[64];

static void fake_board_env(const void *env)
{
	setsid();
	setenv("LD_PRELOAD", HSMCTL_SHIM, 1);
	setenv("FAKE_HSM", "ok", 1);
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 1);
	setenv("HSMCTL_PIN", "user-pin", 1);
	if (env)
		putenv((char *)env);
}

static void hsmctl(struct run *r, const char *env, ...)
{
	char *argv[40];
	va_list ap;
	int n = 1;

	argv[0] = "hsmctl";
	va_start(ap, env);
	while (n < 39 && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	run_hsmctl(r, argv, fake_board_env, env);
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* @dir/@name holding @text; its path in @path. */
static void put(const char *name, const char *text, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static int json_valid(const char *text)
{
	char path[128];

	put("doc.json", text, path, sizeof(path));
	return sh("python3 -c 'import json,sys; json.load(open(sys.argv[1]))' %s",
		  path) == 0;
}

/* A JSON member of @doc via Python: the value printed, in @out. */
static void json_get(const char *doc, const char *expr, char *out, size_t len)
{
	char path[128], cmd[512];
	FILE *p;

	put("get.json", doc, path, sizeof(path));
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(%s)' %s",
		 expr, path);
	out[0] = '\0';
	p = popen(cmd, "r");
	if (p) {
		if (!fgets(out, (int)len, p))
			out[0] = '\0';
		pclose(p);
	}
	out[strcspn(out, "\n")] = '\0';
}

FIXTURE(t) { struct run r; char path[128]; };

FIXTURE_SETUP(t)
{
	snprintf(dir, sizeof(dir), "/tmp/hsmctl-keytools-%d", (int)getpid());
	ASSERT_EQ(0, mkdir(dir, 0700));
}

FIXTURE_TEARDOWN(t)
{
	if (sh("rm -rf '%s'", dir))
		TH_LOG("cleanup failed");
}

#define DEV "-d", "/dev/null"
#define ABC_SHA256 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

#define EXPECT_EXIT(code, r, needle) do {				\
	EXPECT_EQ(code, (r).status) TH_LOG("%s", (r).err);		\
	EXPECT_NE(NULL, strstr((r).err, needle)) TH_LOG("%s", (r).err);	\
} while (0)

/* ---- key dnskey --------------------------------------------------------- */

/* hsmctl -d /dev/null key dnskey KEY --zone ZONE [--ksk] [--ds] [--alg A] */
static void dnskey(struct run *r, const char *key, const char *zone, int ksk,
		   int ds, const char *alg)
{
	char *argv[16];
	int n = 0;

	argv[n++] = "hsmctl";
	argv[n++] = "-d";
	argv[n++] = "/dev/null";
	argv[n++] = "key";
	argv[n++] = "dnskey";
	argv[n++] = (char *)key;
	argv[n++] = "--zone";
	argv[n++] = (char *)zone;
	if (ksk)
		argv[n++] = "--ksk";
	if (ds)
		argv[n++] = "--ds";
	if (alg) {
		argv[n++] = "--alg";
		argv[n++] = (char *)alg;
	}
	argv[n] = NULL;
	run_hsmctl(r, argv, fake_board_env, NULL);
}

/*
 * The DNSKEY of @key for example.com, given to ldns-key2ds: the DS it
 * derives must be the one --ds prints (ldns writes lower-case hex, a TTL
 * and tabs; hsmctl writes dnssec-dsfromkey's format).
 */
static void check_ds(struct __test_metadata *_metadata, struct run *r,
		     const char *key, int ksk, const char *alg,
		     const char *want_line)
{
	char path[128], ldns[512], *t;
	FILE *f;

	dnskey(r, key, "Example.COM", ksk, 0, alg);
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_NE(NULL, strstr(r->out, want_line)) TH_LOG("%s", r->out);
	EXPECT_EQ(0, strncmp(r->out, ksk ? "; KSK, key tag " : "; ZSK, key tag ", 15));
	put("k.key", r->out, path, sizeof(path));
	ASSERT_EQ(0, sh("cd %s && ldns-key2ds -f -n -2 k.key > ds.txt", dir));
	snprintf(path, sizeof(path), "%s/ds.txt", dir);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(ldns, sizeof(ldns), f));
	fclose(f);
	/* "example.com.\t3600\tIN\tDS\t..." -> "example.com. IN DS ..." */
	t = strstr(ldns, "\tIN\tDS\t");
	ASSERT_NE(NULL, t);
	memmove(ldns + strlen("example.com."), t, strlen(t) + 1);
	for (t = ldns; *t; t++)
		*t = *t == '\t' ? ' ' : *t;
	dnskey(r, key, "example.com.", ksk, 1, alg);
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_EQ(0, strcasecmp(ldns, r->out)) TH_LOG("ldns %s hsmctl %s", ldns, r->out);
	/* upper-case hex, as dnssec-dsfromkey */
	EXPECT_EQ(NULL, strpbrk(strrchr(r->out, ' '), "abcdef")) TH_LOG("%s", r->out);
}

TEST_F(t, dnskey_ec_p256_ksk)
{
	check_ds(_metadata, &self->r, "label:zsk", 1, NULL,
		 "\nexample.com. IN DNSKEY 257 3 13 ");
}

TEST_F(t, dnskey_ec_p256_zsk)
{
	check_ds(_metadata, &self->r, "label:zsk", 0, NULL,
		 "\nexample.com. IN DNSKEY 256 3 13 ");
}

TEST_F(t, dnskey_rsa_default_alg8)
{
	check_ds(_metadata, &self->r, "label:ksk", 1, NULL,
		 "\nexample.com. IN DNSKEY 257 3 8 AwEAAclmzhe4");
}

TEST_F(t, dnskey_rsa_alg10)
{
	check_ds(_metadata, &self->r, "label:ksk", 1, "RSASHA512",
		 "\nexample.com. IN DNSKEY 257 3 10 AwEAAclmzhe4");
	check_ds(_metadata, &self->r, "label:ksk", 0, "10",
		 "\nexample.com. IN DNSKEY 256 3 10 AwEAAclmzhe4");
}

TEST_F(t, dnskey_json)
{
	struct run *r = &self->r;
	char v[256], tag[16];

	hsmctl(r, NULL, DEV, "--json", "key", "dnskey", "label:zsk", "--zone",
	       "example.com", "--ksk", NULL);
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	ASSERT_TRUE(json_valid(r->out)) TH_LOG("%s", r->out);
	json_get(r->out, "d[\"zone\"], d[\"flags\"], d[\"ksk\"], d[\"protocol\"], d[\"algorithm\"], d[\"algorithm_name\"], d[\"ds\"][\"digest_type\"], len(d[\"ds\"][\"digest\"])",
		 v, sizeof(v));
	EXPECT_STREQ("example.com. 257 True 3 13 ECDSAP256SHA256 2 64", v);
	json_get(r->out, "d[\"key_tag\"]", tag, sizeof(tag));
	json_get(r->out, "d[\"uuid\"]", v, sizeof(v));
	EXPECT_STREQ("11111111-1111-4111-8111-111111111111", v);
	/* the same tag and public key as the text form */
	hsmctl(r, NULL, DEV, "key", "dnskey", "label:zsk", "--zone", "example.com",
	       "--ksk", NULL);
	snprintf(v, sizeof(v), "key tag %s,", tag);
	EXPECT_NE(NULL, strstr(r->out, v)) TH_LOG("%s / %s", r->out, v);
}

TEST_F(t, dnskey_errors)
{
	struct run *r = &self->r;

	hsmctl(r, NULL, DEV, "key", "dnskey", "label:zsk", NULL);
	EXPECT_EXIT(HSMCTL_EXIT_USAGE, *r, "key dnskey: which zone? (--zone NAME)");
	hsmctl(r, NULL, DEV, "key", "dnskey", "label:zsk", "--zone", "a..b", NULL);
	EXPECT_EXIT(HSMCTL_EXIT_USAGE, *r, "--zone 'a..b' is not a DNS name");
	hsmctl(r, NULL, DEV, "key", "dnskey", "label:ksk", "--zone", "a.b",
	       "--alg", "5", NULL);
	EXPECT_EXIT(HSMCTL_EXIT_USAGE, *r, "--alg must be 8 (RSASHA256) or 10 (RSASHA512)");
	hsmctl(r, NULL, DEV, "key", "dnskey", "label:zsk", "--zone", "a.b",
	       "--alg", "8", NULL);
	EXPECT_EXIT(HSMCTL_EXIT_USAGE, *r, "--alg is for RSA keys");
	EXPECT_STREQ("", r->out);
	hsmctl(r, NULL, DEV, "key", "dnskey", "label:nosuch", "--zone", "a.b", NULL);
	EXPECT_EQ(HSMCTL_EXIT_NO_KEY, r->status) TH_LOG("%s", r->err);
	hsmctl(r, NULL, DEV, "key", "dnskey", "--zone", "a.b", NULL);
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r->status) TH_LOG("%s", r->err);
}

/* The "dup" key 3333... is P-384: algorithm 14. */
TEST_F(t, dnskey_p384)
{
	check_ds(_metadata, &self->r, "33333333-3333-4333-8333-333333333333", 1,
		 NULL, "\nexample.com. IN DNSKEY 257 3 14 ");
}

/* ---- key sign --format der ---------------------------------------------- */

TEST_F(t, sign_der)
{
	struct run *r = &self->r;
	char path[128];

	hsmctl(r, NULL, DEV, "key", "sign", "label:zsk", "--digest", ABC_SHA256,
	       "--format", "der", NULL);
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	/* the fake board's r || s is the digest: r and s its halves */
	EXPECT_STREQ("3026021100ba7816bf8f01cfea414140de5dae2223021100b00361a396177a9cb410ff61f20015ad\n",
		     r->out);
	hsmctl(r, NULL, DEV, "key", "sign", "label:zsk", "--digest", ABC_SHA256,
	       "--format", "der", "--raw", NULL);
	ASSERT_EQ(0, r->status);
	put("sig.der", "", path, sizeof(path));
	{
		FILE *f = fopen(path, "wb");

		ASSERT_NE(NULL, f);
		fwrite(r->out, 1, 40, f);
		fclose(f);
	}
	EXPECT_EQ(0, sh("openssl asn1parse -inform DER -in %s >/dev/null", path));
	hsmctl(r, NULL, DEV, "--json", "key", "sign", "label:zsk", "--digest",
	       ABC_SHA256, "--format", "der", NULL);
	ASSERT_EQ(0, r->status);
	EXPECT_NE(NULL, strstr(r->out, "\"format\":\"ecdsa-der\"")) TH_LOG("%s", r->out);
	/* RSA: PKCS#1 v1.5 signatures are already what OpenSSL takes */
	hsmctl(r, NULL, DEV, "--json", "key", "sign", "label:ksk", "--digest",
	       ABC_SHA256, "--format", "der", NULL);
	ASSERT_EQ(0, r->status);
	EXPECT_NE(NULL, strstr(r->out, "\"format\":\"pkcs1-v1.5\"")) TH_LOG("%s", r->out);
	hsmctl(r, NULL, DEV, "key", "sign", "label:zsk", "--digest", ABC_SHA256,
	       "--format", "pem", NULL);
	EXPECT_EXIT(HSMCTL_EXIT_USAGE, *r, "--format must be rs or der");
}

/* ---- key verify on the board -------------------------------------------- */

TEST_F(t, verify_board)
{
	struct run *r = &self->r;
	char sig[128], in[128], bad[128];

	hsmctl(r, NULL, DEV, "key", "sign", "label:zsk", "--digest", ABC_SHA256, NULL);
	ASSERT_EQ(0, r->status);
	put("sig.hex", r->out, sig, sizeof(sig));
	put("abc", "abc", in, sizeof(in));
	put("abd", "abd", bad, sizeof(bad));
	hsmctl(r, NULL, DEV, "key", "verify", "label:zsk", "--sig", sig, "--in", in, NULL);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_STREQ("valid\n", r->out);
	hsmctl(r, NULL, DEV, "key", "verify", "label:zsk", "--sig", sig,
	       "--digest", ABC_SHA256, NULL);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	hsmctl(r, NULL, DEV, "key", "verify", "label:zsk", "--sig", sig, "--in", bad, NULL);
	EXPECT_EXIT(HSMCTL_EXIT_BAD_SIGNATURE, *r, "key verify: the signature does not verify");
	EXPECT_STREQ("", r->out);
	hsmctl(r, NULL, DEV, "--json", "key", "verify", "label:zsk", "--sig", sig,
	       "--in", in, NULL);
	EXPECT_EQ(0, r->status);
	ASSERT_TRUE(json_valid(r->out)) TH_LOG("%s", r->out);
	EXPECT_STREQ("{\"uuid\":\"11111111-1111-4111-8111-111111111111\",\"hash\":\"sha256\","
		     "\"digest\":\"" ABC_SHA256 "\",\"verified_by\":\"board\",\"valid\":true}\n",
		     r->out);
	hsmctl(r, NULL, DEV, "--json", "key", "verify", "label:zsk", "--sig", sig,
	       "--in", bad, NULL);
	EXPECT_EQ(HSMCTL_EXIT_BAD_SIGNATURE, r->status);
	EXPECT_NE(NULL, strstr(r->out, "\"valid\":false")) TH_LOG("%s", r->out);
	/* RSA: the board is given the DigestInfo, as for sign */
	hsmctl(r, NULL, DEV, "key", "sign", "label:ksk", "--in", in, "--raw", NULL);
	ASSERT_EQ(0, r->status);
	{
		FILE *f = fopen(sig, "wb");

		ASSERT_NE(NULL, f);
		fwrite(r->out, 1, 19 + 32, f);
		fclose(f);
	}
	hsmctl(r, NULL, DEV, "key", "verify", "label:ksk", "--sig", sig, "--in", in, NULL);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
}

TEST_F(t, verify_errors)
{
	struct run *r = &self->r;
	char sig[128], in[128], empty[128];

	put("sig.hex", "00112233", sig, sizeof(sig));
	put("abc", "abc", in, sizeof(in));
	put("empty", "", empty, sizeof(empty));
	hsmctl(r, NULL, DEV, "key", "verify", "label:zsk", "--in", in, NULL);
	EXPECT_EXIT(HSMCTL_EXIT_USAGE, *r, "key verify: which signature? (--sig FILE)");
	hsmctl(r, NULL, DEV, "key", "verify", "label:zsk", "--sig", sig, NULL);
	EXPECT_EXIT(HSMCTL_EXIT_USAGE, *r, "give exactly one of --digest HEX and --in FILE");
	hsmctl(r, NULL, DEV, "key", "verify", "label:zsk", "--sig", "/nonexistent/sig",
	       "--in", in, NULL);
	EXPECT_EXIT(HSMCTL_EXIT_USAGE, *r, "cannot read --sig /nonexistent/sig");
	hsmctl(r, NULL, DEV, "key", "verify", "label:zsk", "--sig", empty, "--in", in, NULL);
	EXPECT_EXIT(HSMCTL_EXIT_USAGE, *r, "empty or larger than 16 KiB");
	hsmctl(r, NULL, DEV, "key", "verify", "label:zsk", "--sig", sig,
	       "--in", "/nonexistent/in", NULL);
	EXPECT_EXIT(HSMCTL_EXIT_USAGE, *r, "cannot read --in /nonexistent/in");
	hsmctl(r, NULL, DEV, "key", "verify", "label:zsk", "--sig", sig,
	       "--pubkey", in, "--in", in, NULL);
	EXPECT_EXIT(HSMCTL_EXIT_USAGE, *r, "give KEY or --pubkey FILE, not both");
	hsmctl(r, NULL, DEV, "key", "verify", "--pubkey", in, "--sig", sig, "--in", in, NULL);
	EXPECT_EXIT(HSMCTL_EXIT_USAGE, *r, "is not a readable PEM or DER public key");
	hsmctl(r, NULL, DEV, "key", "verify", "label:nosuch", "--sig", sig, "--in", in, NULL);
	EXPECT_EQ(HSMCTL_EXIT_NO_KEY, r->status) TH_LOG("%s", r->err);
	hsmctl(r, NULL, DEV, "key", "verify", "label:zsk", "--sig", sig, "--digest",
	       "00", NULL);
	EXPECT_EXIT(HSMCTL_EXIT_USAGE, *r, "--digest must be the hex of");
	hsmctl(r, NULL, DEV, "key", "verify", "label:zsk", "--sig", sig, "--in", in,
	       "--hash", "sha512", NULL);
	EXPECT_EXIT(HSMCTL_EXIT_USAGE, *r, "too long for P-256");
	/* so cannot use keys: 4, as for sign */
	hsmctl(r, NULL, DEV, "key", "verify", "label:zsk", "--sig", sig,
	       "--in", in, "--user", "so", NULL);
	EXPECT_EQ(HSMCTL_EXIT_PERMISSION, r->status) TH_LOG("%s", r->err);
}

/* ---- key verify --pubkey: signatures made by openssl -------------------- */

static void check_pubkey_verify(struct __test_metadata *_metadata, struct run *r,
				const char *genargs, const char *dgst)
{
	char key[128], sig[128], in[128], bad[128];

	put("msg", "hello, world\n", in, sizeof(in));
	put("msg2", "hello, world!\n", bad, sizeof(bad));
	snprintf(key, sizeof(key), "%s/pub.pem", dir);
	snprintf(sig, sizeof(sig), "%s/msg.sig", dir);
	ASSERT_EQ(0, sh("cd %s && openssl genpkey %s -out priv.pem 2>/dev/null && "
			"openssl pkey -in priv.pem -pubout -out pub.pem && "
			"openssl dgst -%s -sign priv.pem -out msg.sig msg",
			dir, genargs, dgst));
	hsmctl(r, NULL, "key", "verify", "--pubkey", key, "--sig", sig, "--in", in,
	       "--hash", dgst, NULL);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_STREQ("valid\n", r->out);
	hsmctl(r, NULL, "--json", "key", "verify", "--pubkey", key, "--sig", sig,
	       "--in", in, "--hash", dgst, NULL);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_NE(NULL, strstr(r->out, "\"verified_by\":\"openssl\",\"valid\":true")) TH_LOG("%s", r->out);
	hsmctl(r, NULL, "key", "verify", "--pubkey", key, "--sig", sig, "--in", bad,
	       "--hash", dgst, NULL);
	EXPECT_EXIT(HSMCTL_EXIT_BAD_SIGNATURE, *r, "does not verify");
	/* a DER public key works too */
	ASSERT_EQ(0, sh("cd %s && openssl pkey -pubin -in pub.pem -outform DER -out pub.der",
			dir));
	snprintf(key, sizeof(key), "%s/pub.der", dir);
	hsmctl(r, NULL, "key", "verify", "--pubkey", key, "--sig", sig, "--in", in,
	       "--hash", dgst, NULL);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
}

TEST_F(t, verify_pubkey_ec_p256)
{
	check_pubkey_verify(_metadata, &self->r,
			    "-algorithm EC -pkeyopt ec_paramgen_curve:P-256", "sha256");
}

TEST_F(t, verify_pubkey_ec_p384)
{
	check_pubkey_verify(_metadata, &self->r,
			    "-algorithm EC -pkeyopt ec_paramgen_curve:P-384", "sha384");
}

TEST_F(t, verify_pubkey_rsa)
{
	check_pubkey_verify(_metadata, &self->r,
			    "-algorithm RSA -pkeyopt rsa_keygen_bits:2048", "sha256");
	check_pubkey_verify(_metadata, &self->r,
			    "-algorithm RSA -pkeyopt rsa_keygen_bits:1024", "sha512");
}

/* ---- --json: errors as JSON on stderr ----------------------------------- */

/* stderr is one JSON document with "error", "cause" and "exit" = status. */
static void check_json_error(struct __test_metadata *_metadata,
			     const struct run *r, int code, const char *error,
			     const char *cause)
{
	char v[1024], want[16];

	EXPECT_EQ(code, r->status) TH_LOG("%s", r->err);
	ASSERT_TRUE(json_valid(r->err)) TH_LOG("%s", r->err);
	EXPECT_EQ('\n', r->err[strlen(r->err) - 1]);
	EXPECT_EQ(strchr(r->err, '\n') + 1, r->err + strlen(r->err))
		TH_LOG("one line: %s", r->err);
	json_get(r->err, "d[\"exit\"]", v, sizeof(v));
	snprintf(want, sizeof(want), "%d", code);
	EXPECT_STREQ(want, v);
	json_get(r->err, "d[\"error\"]", v, sizeof(v));
	EXPECT_STREQ(error, v);
	json_get(r->err, "d[\"cause\"]", v, sizeof(v));
	EXPECT_NE(NULL, strstr(v, cause)) TH_LOG("%s", v);
}

/*
 * About 30 hsmctl and python3 runs: 8 s on an idle machine, past the
 * harness's default 30 s when a kernel build shares the CPU.
 */
TEST_F_TIMEOUT(t, json_errors, 300)
{
	struct run *r = &self->r;
	char sig[128], in[128], v[256];

	put("sig.hex", "00112233", sig, sizeof(sig));
	put("abc", "abc", in, sizeof(in));
	/* usage (2), also with --json after the command */
	hsmctl(r, NULL, DEV, "--json", "key", "dnskey", "label:zsk", NULL);
	check_json_error(_metadata, r, HSMCTL_EXIT_USAGE,
			 "key dnskey: which zone? (--zone NAME)", "usage error");
	hsmctl(r, NULL, DEV, "key", "verify", "label:zsk", "--json", NULL);
	check_json_error(_metadata, r, HSMCTL_EXIT_USAGE,
			 "key verify: which signature? (--sig FILE)", "usage error");
	/* a message not from report_*(): split at its first ": " */
	hsmctl(r, NULL, DEV, "--json", "key", "verify", "label:zsk", "--sig",
	       "/nonexistent", "--in", in, NULL);
	check_json_error(_metadata, r, HSMCTL_EXIT_USAGE, "key verify",
			 "cannot read --sig /nonexistent: No such file or directory");
	/* no such key (7) */
	hsmctl(r, NULL, DEV, "--json", "key", "info", "label:nope", NULL);
	check_json_error(_metadata, r, HSMCTL_EXIT_NO_KEY, "key info",
			 "no key labelled 'nope' visible to user");
	/* permission (4) */
	hsmctl(r, NULL, DEV, "--json", "key", "info", "label:zsk", "--user", "so", NULL);
	check_json_error(_metadata, r, HSMCTL_EXIT_PERMISSION, "key info",
			 "the so user cannot use keys");
	/* board error (5): its status too, and the master key advice */
	hsmctl(r, "FAKE_HSM_NO_MASTERKEY=1", DEV, "--json", "key", "sign", "label:zsk",
	       "--digest", ABC_SHA256, NULL);
	check_json_error(_metadata, r, HSMCTL_EXIT_BOARD,
			 "key sign: signing with 11111111-1111-4111-8111-111111111111",
			 "board error MASTERKEY_NOT_SET");
	json_get(r->err, "d[\"board_status\"], \"masterkey set\" in d[\"details\"]", v, sizeof(v));
	EXPECT_STREQ("HAL_ERROR_MASTERKEY_NOT_SET True", v);
	EXPECT_STREQ("", r->out);
	/* a bad signature (9): the result on stdout, the error on stderr */
	hsmctl(r, NULL, DEV, "--json", "key", "verify", "label:zsk", "--sig", sig,
	       "--in", in, NULL);
	check_json_error(_metadata, r, HSMCTL_EXIT_BAD_SIGNATURE, "key verify",
			 "the signature does not verify with 11111111-1111-4111-8111-111111111111");
	EXPECT_NE(NULL, strstr(r->out, "\"valid\":false"));
	/* no device (3) */
	hsmctl(r, "FAKE_HSM=enodev", DEV, "--json", "random", "4", NULL);
	check_json_error(_metadata, r, HSMCTL_EXIT_NO_DEVICE, "reading random bytes from /dev/null", "");
	/* without --json, text as before */
	hsmctl(r, NULL, DEV, "key", "info", "label:nope", NULL);
	EXPECT_STREQ("hsmctl: key info: no key labelled 'nope' visible to user\n", r->err);
	/* success: notes stay text */
	hsmctl(r, NULL, DEV, "--json", "key", "generate", "ec", "p256", NULL);
	EXPECT_EQ(0, r->status);
	EXPECT_EQ(0, strncmp(r->err, "hsmctl: note: ", 14)) TH_LOG("%s", r->err);
}

TEST(split_messages)
{
	char *w, *c;

	report_split("hsmctl: key sign: reading /x: No such file", &w, &c);
	EXPECT_STREQ("key sign", w);
	EXPECT_STREQ("reading /x: No such file", c);
	free(w);
	free(c);
	/* not inside parentheses or quotes */
	report_split("hsmctl: a (see: c) 'd: e': b", &w, &c);
	EXPECT_STREQ("a (see: c) 'd: e'", w);
	EXPECT_STREQ("b", c);
	free(w);
	free(c);
	report_split("hsmctl: nothing to split", &w, &c);
	EXPECT_STREQ("nothing to split", w);
	EXPECT_EQ(NULL, c);
	free(w);
}

TEST_HARNESS_MAIN
