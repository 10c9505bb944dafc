// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The backup bundle format (bundle.c): the upstream layout byte for byte
 * (checked against Python's json.dumps(indent=4, sort_keys=True), what the
 * upstream tool writes), 76-character Base64 lines on write and any split
 * on read, the round trip with hsmctl's attributes, and malformed inputs
 * refused with the member at fault named.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "bundle.h"

#define PYTHON3 "/usr/bin/python3"

static char *written(const struct bundle *b)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (bundle_write(f, b)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	return buf;
}

static void fill(unsigned char *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + 7 * i + (i >> 3));
}

/* A backup document: a private key with attributes and a public key. */
static void sample(struct bundle *b)
{
	unsigned char pub[294], pkcs8[1300], kek[300], spki[91];
	struct bundle_key *k;

	memset(b, 0, sizeof(*b));
	fill(pub, sizeof(pub), 1);
	fill(pkcs8, sizeof(pkcs8), 2);
	fill(kek, sizeof(kek), 3);
	fill(spki, sizeof(spki), 4);
	bundle_blob_set(&b->kekek_pubkey, pub, sizeof(pub));
	strcpy(b->kekek_uuid, "6ba7b810-9dad-41d1-80b4-00c04fd430c8");
	b->has_keys = 1;
	k = bundle_add_key(b);
	strcpy(k->uuid, "11111111-2222-4333-8444-555555555555");
	k->flags = 0x29;
	bundle_blob_set(&k->pkcs8, pkcs8, sizeof(pkcs8));
	bundle_blob_set(&k->kek, kek, sizeof(kek));
	k->attrs = calloc(3, sizeof(*k->attrs));
	/* Out of order: written sorted. */
	k->attrs[0].type = 0x102;
	bundle_blob_set(&k->attrs[0].value, "\x0a\x0b", 2);
	k->attrs[1].type = 0x003;
	bundle_blob_set(&k->attrs[1].value, "my-label", 8);
	k->attrs[2].type = 0x80000001;
	bundle_blob_set(&k->attrs[2].value, "", 0);
	k->n_attrs = 3;
	k = bundle_add_key(b);
	strcpy(k->uuid, "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee");
	k->flags = 0x38;
	bundle_blob_set(&k->spki, spki, sizeof(spki));
}

static int parse(const char *text, struct bundle *b, char *err, size_t len)
{
	return bundle_parse(text, strlen(text), b, err, len);
}

TEST(setup_document_exact)
{
	struct bundle b = { 0 };
	char *out;

	bundle_blob_set(&b.kekek_pubkey, "abc", 3);
	strcpy(b.kekek_uuid, "6ba7b810-9dad-41d1-80b4-00c04fd430c8");
	out = written(&b);
	ASSERT_NE(NULL, out);
	EXPECT_STREQ("{\n"
		     "    \"comment\": \"KEKEK public key\",\n"
		     "    \"kekek_pubkey\": [\n"
		     "        \"YWJj\"\n"
		     "    ],\n"
		     "    \"kekek_uuid\": \"6ba7b810-9dad-41d1-80b4-00c04fd430c8\"\n"
		     "}\n", out);
	free(out);
	bundle_free(&b);
}

TEST(lines_are_76_characters)
{
	struct bundle b;
	char *out, *p, *q;
	int lines = 0;

	sample(&b);
	out = written(&b);
	ASSERT_NE(NULL, out);
	/* Every Base64 line but an array's last is 76 characters. */
	for (p = out; (p = strchr(p, '\n')); p++) {
		const char *s = p + 1 + strspn(p + 1, " ");

		if (*s != '"' || !(q = strchr(s + 1, '"')) || q[1] == ':')
			continue;
		if (q[1] == ',') {
			EXPECT_EQ(76, q - s - 1) TH_LOG("line: %.90s", s);
		} else {
			EXPECT_GE(76, q - s - 1);
		}
		lines++;
	}
	/* 294 + 1300 + 300 + 91 bytes and the attributes: many lines. */
	EXPECT_LT(30, lines);
	free(out);
	bundle_free(&b);
}

TEST(same_bytes_as_python_json)
{
	char path[] = "/tmp/hsmctl-bundle-XXXXXX", cmd[256], *out, *py;
	struct bundle b;
	size_t len = 0;
	FILE *f;
	int fd;

	ASSERT_EQ(0, access(PYTHON3, X_OK)) TH_LOG("needs " PYTHON3 " (scripts/deps.sh installs python3)");
	sample(&b);
	out = written(&b);
	ASSERT_NE(NULL, out);
	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)strlen(out), write(fd, out, strlen(out)));
	close(fd);
	/* Python's json module re-dumps it exactly as the upstream tool would. */
	snprintf(cmd, sizeof(cmd), PYTHON3 " -c 'import json,sys; "
		 "print(json.dumps(json.load(open(sys.argv[1])), indent=4, sort_keys=True))' %s",
		 path);
	f = popen(cmd, "r");
	ASSERT_NE(NULL, f);
	py = calloc(1, 1 << 16);
	ASSERT_NE(NULL, py);
	len = fread(py, 1, (1 << 16) - 1, f);
	EXPECT_EQ(0, pclose(f));
	EXPECT_EQ(strlen(out), len);
	EXPECT_STREQ(out, py);
	unlink(path);
	free(py);
	free(out);
	bundle_free(&b);
}

TEST(round_trip)
{
	struct bundle b, r;
	char err[256], *out;
	size_t i;

	sample(&b);
	out = written(&b);
	ASSERT_NE(NULL, out);
	ASSERT_EQ(0, parse(out, &r, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_STREQ(b.kekek_uuid, r.kekek_uuid);
	ASSERT_EQ(b.kekek_pubkey.len, r.kekek_pubkey.len);
	EXPECT_EQ(0, memcmp(b.kekek_pubkey.data, r.kekek_pubkey.data, r.kekek_pubkey.len));
	EXPECT_EQ(1, r.has_keys);
	ASSERT_EQ(2u, r.n_keys);
	EXPECT_STREQ(b.keys[0].uuid, r.keys[0].uuid);
	EXPECT_EQ(0x29u, r.keys[0].flags);
	ASSERT_EQ(b.keys[0].pkcs8.len, r.keys[0].pkcs8.len);
	EXPECT_EQ(0, memcmp(b.keys[0].pkcs8.data, r.keys[0].pkcs8.data, r.keys[0].pkcs8.len));
	ASSERT_EQ(b.keys[0].kek.len, r.keys[0].kek.len);
	EXPECT_EQ(0, memcmp(b.keys[0].kek.data, r.keys[0].kek.data, r.keys[0].kek.len));
	EXPECT_EQ(NULL, r.keys[0].spki.data);
	ASSERT_EQ(3u, r.keys[0].n_attrs);
	for (i = 0; i < 3; i++) {
		const struct bundle_attr *a = &r.keys[0].attrs[i];

		if (a->type == 0x003) {
			ASSERT_EQ(8u, a->value.len);
			EXPECT_EQ(0, memcmp("my-label", a->value.data, 8));
		} else if (a->type == 0x102) {
			ASSERT_EQ(2u, a->value.len);
			EXPECT_EQ(0, memcmp("\x0a\x0b", a->value.data, 2));
		} else {
			EXPECT_EQ(0x80000001u, a->type);
			/* Empty, and still present. */
			EXPECT_EQ(0u, a->value.len);
			EXPECT_NE(NULL, a->value.data);
		}
	}
	EXPECT_NE(NULL, strstr(out, "\"0x00000003\": [\n                    \"bXktbGFiZWw=\"\n"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"0x80000001\": []"));
	EXPECT_NE(NULL, strstr(out, "\"comment\": \"Encrypted private key\""));
	EXPECT_NE(NULL, strstr(out, "\"comment\": \"Public key\""));
	EXPECT_NE(NULL, strstr(out, "\"comment\": \"Cryptech Alpha encrypted key backup\""));
	EXPECT_EQ(0x38u, r.keys[1].flags);
	ASSERT_EQ(91u, r.keys[1].spki.len);
	EXPECT_EQ(0, memcmp(b.keys[1].spki.data, r.keys[1].spki.data, 91));
	EXPECT_EQ(0u, r.keys[1].n_attrs);
	free(out);
	bundle_free(&r);
	bundle_free(&b);
}

/* The reader joins lines however they were split, and ignores extras. */
TEST(any_line_split_and_unknown_members)
{
	const char *text =
		"{\"kekek_uuid\": \"6BA7B810-9DAD-41D1-80B4-00C04FD430C8\", "
		"\"other\": {\"x\": [1]}, "
		"\"kekek_pubkey\": [\"YW\", \"Jj\", \"\", \"ZGVm\"], "
		"\"keys\": [{\"uuid\": \"11111111-2222-4333-8444-555555555555\", "
		"\"flags\": 40, \"comment\": 7, \"pkcs8\": [\"AAEC\"], \"kek\": [\"AQ==\"]}]}";
	char err[256];
	struct bundle b;

	ASSERT_EQ(0, parse(text, &b, err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(6u, b.kekek_pubkey.len);
	EXPECT_EQ(0, memcmp("abcdef", b.kekek_pubkey.data, 6));
	EXPECT_STREQ("6ba7b810-9dad-41d1-80b4-00c04fd430c8", b.kekek_uuid);
	ASSERT_EQ(1u, b.n_keys);
	EXPECT_EQ(3u, b.keys[0].pkcs8.len);
	EXPECT_EQ(1u, b.keys[0].kek.len);
	EXPECT_EQ(40u, b.keys[0].flags);
	bundle_free(&b);

	/* A setup document has no keys. */
	ASSERT_EQ(0, parse("{\"kekek_pubkey\": [\"YWJj\"], \"kekek_uuid\": "
			   "\"6ba7b810-9dad-41d1-80b4-00c04fd430c8\"}", &b, err,
			   sizeof(err)));
	EXPECT_EQ(0, b.has_keys);
	bundle_free(&b);
}

TEST(base64)
{
	unsigned char *out;
	size_t len;
	char *s;

	ASSERT_EQ(0, bundle_b64_decode("YQ==", 4, &out, &len));
	EXPECT_EQ(1u, len);
	EXPECT_EQ('a', out[0]);
	free(out);
	ASSERT_EQ(0, bundle_b64_decode("YWI=", 4, &out, &len));
	EXPECT_EQ(2u, len);
	free(out);
	ASSERT_EQ(0, bundle_b64_decode("", 0, &out, &len));
	EXPECT_EQ(0u, len);
	free(out);
	EXPECT_EQ(-EINVAL, bundle_b64_decode("YQ=", 3, &out, &len));
	EXPECT_EQ(-EINVAL, bundle_b64_decode("YQ=a", 4, &out, &len));
	EXPECT_EQ(-EINVAL, bundle_b64_decode("Y===", 4, &out, &len));
	EXPECT_EQ(-EINVAL, bundle_b64_decode("YW J", 4, &out, &len));
	EXPECT_EQ(-EINVAL, bundle_b64_decode("YW\nJ", 4, &out, &len));
	EXPECT_EQ(-EINVAL, bundle_b64_decode("YW-_", 4, &out, &len));
	s = bundle_b64_encode("ab", 2);
	EXPECT_STREQ("YWI=", s);
	free(s);
}

struct bad_case {
	const char *text;
	const char *msg;	/* a part of the error */
};

#define PUB	"\"kekek_pubkey\": [\"YWJj\"]"
#define UUID	"\"kekek_uuid\": \"6ba7b810-9dad-41d1-80b4-00c04fd430c8\""
#define KUUID	"\"uuid\": \"11111111-2222-4333-8444-555555555555\""
#define KEY(...) "{" PUB ", " UUID ", \"keys\": [{" KUUID ", " __VA_ARGS__ "}]}"

TEST(malformed_refused_with_the_member_named)
{
	static const struct bad_case cases[] = {
		{ "", "not valid JSON" },
		{ "{", "not valid JSON" },
		{ "[1]", "not a JSON object" },
		{ "{} x", "text after the document" },
		{ "{" UUID "}", "kekek_pubkey: missing" },
		{ "{\"kekek_pubkey\": \"YWJj\", " UUID "}", "kekek_pubkey: not an array" },
		{ "{\"kekek_pubkey\": [7], " UUID "}", "kekek_pubkey[0]: not a string" },
		{ "{\"kekek_pubkey\": [\"YWJ\"], " UUID "}", "kekek_pubkey: not valid Base64" },
		{ "{\"kekek_pubkey\": [\"YW*j\"], " UUID "}", "kekek_pubkey: not valid Base64" },
		{ "{\"kekek_pubkey\": [], " UUID "}", "kekek_pubkey: empty" },
		{ "{" PUB "}", "kekek_uuid: missing" },
		{ "{" PUB ", \"kekek_uuid\": \"nope\"}", "kekek_uuid: not a UUID" },
		{ "{" PUB ", \"kekek_uuid\": 5}", "kekek_uuid: not a UUID" },
		{ "{" PUB ", " UUID ", \"keys\": {}}", "keys: not an array" },
		{ "{" PUB ", " UUID ", \"keys\": [3]}", "keys[0]: not an object" },
		{ "{" PUB ", " UUID ", \"keys\": [{\"flags\": 1, \"spki\": [\"YWJj\"]}]}", "keys[0].uuid: missing" },
		{ KEY("\"spki\": [\"YWJj\"]"), "keys[0].flags: missing" },
		{ KEY("\"flags\": \"40\", \"spki\": [\"YWJj\"]"), "keys[0].flags: not an integer" },
		{ KEY("\"flags\": 4.5, \"spki\": [\"YWJj\"]"), "keys[0].flags: not an integer" },
		{ KEY("\"flags\": -1, \"spki\": [\"YWJj\"]"), "keys[0].flags: -1 has bits outside" },
		{ KEY("\"flags\": 64, \"spki\": [\"YWJj\"]"), "keys[0].flags: 64 has bits outside" },
		{ KEY("\"flags\": 40"), "needs pkcs8 and kek" },
		{ KEY("\"flags\": 40, \"pkcs8\": [\"YWJj\"]"), "needs pkcs8 and kek" },
		{ KEY("\"flags\": 40, \"pkcs8\": [\"YWJj\"], \"kek\": [\"YWJj\"], \"spki\": [\"YWJj\"]"), "both spki and pkcs8" },
		{ KEY("\"flags\": 40, \"pkcs8\": [\"YWJj\"], \"kek\": [\"YW=J\"]"), "keys[0].kek: not valid Base64" },
		{ KEY("\"flags\": 40, \"pkcs8\": [], \"kek\": [\"YWJj\"]"), "keys[0].pkcs8: empty" },
		{ KEY("\"flags\": 40, \"spki\": [\"YWJj\"], \"attributes\": []"), "keys[0].attributes: not an object" },
		{ KEY("\"flags\": 40, \"spki\": [\"YWJj\"], \"attributes\": {\"3\": []}"), "keys[0].attributes.3: not an attribute type" },
		{ KEY("\"flags\": 40, \"spki\": [\"YWJj\"], \"attributes\": {\"0x123456789\": []}"), "not an attribute type" },
		{ KEY("\"flags\": 40, \"spki\": [\"YWJj\"], \"attributes\": {\"0x\": []}"), "not an attribute type" },
		{ KEY("\"flags\": 40, \"spki\": [\"YWJj\"], \"attributes\": {\"0x3\": [], \"0x03\": []}"), "attribute given twice" },
		{ KEY("\"flags\": 40, \"spki\": [\"YWJj\"], \"attributes\": {\"0x3\": \"bGFi\"}"), "keys[0].attributes.0x3: not an array" },
		{ KEY("\"flags\": 40, \"spki\": [\"YWJj\"], \"attributes\": {\"0x3\": [\"bGF\"]}"), "keys[0].attributes.0x3: not valid Base64" },
	};
	char err[256];
	struct bundle b;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		EXPECT_EQ(-EINVAL, parse(cases[i].text, &b, err, sizeof(err)))
			TH_LOG("case %zu accepted: %s", i, cases[i].text);
		EXPECT_NE(NULL, strstr(err, cases[i].msg))
			TH_LOG("case %zu: '%s', wanted '%s'", i, err, cases[i].msg);
		EXPECT_EQ(0u, b.n_keys);
		EXPECT_EQ(NULL, b.kekek_pubkey.data);
	}
}

TEST(too_many_attributes)
{
	char *text = malloc(65536), err[256];
	struct bundle b;
	size_t off;
	int i;

	ASSERT_NE(NULL, text);
	off = (size_t)sprintf(text, "{" PUB ", " UUID ", \"keys\": [{" KUUID
			      ", \"flags\": 40, \"spki\": [\"YWJj\"], \"attributes\": {");
	for (i = 0; i <= BUNDLE_MAX_ATTRS; i++)
		off += (size_t)sprintf(text + off, "%s\"0x%x\": []", i ? ", " : "", i);
	strcpy(text + off, "}}]}");
	EXPECT_EQ(-EINVAL, parse(text, &b, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "65 attributes, at most 64")) TH_LOG("%s", err);
	free(text);
}

TEST(huge_and_odd_inputs)
{
	char path[] = "/tmp/hsmctl-bundle-XXXXXX", err[256];
	struct bundle b;
	int fd;

	/* A file over the limit is refused before it is all read. */
	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, (off_t)BUNDLE_MAX_BYTES + 4096));
	close(fd);
	EXPECT_EQ(-EINVAL, bundle_read_file(path, &b, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "larger than")) TH_LOG("%s", err);
	unlink(path);
	EXPECT_EQ(-ENOENT, bundle_read_file(path, &b, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "No such file")) TH_LOG("%s", err);
	/* A NUL inside the text. */
	EXPECT_EQ(-EINVAL, bundle_parse("{}\0{}", 5, &b, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "NUL")) TH_LOG("%s", err);
	/* Deep nesting is refused by the parser, not a crash. */
	{
		char deep[4001];

		memset(deep, '[', 4000);
		deep[4000] = '\0';
		EXPECT_EQ(-EINVAL, parse(deep, &b, err, sizeof(err)));
	}
}

TEST(write_file_replaces_whole)
{
	char dir[] = "/tmp/hsmctl-bundle-XXXXXX", path[64], err[256];
	struct bundle b, r;
	struct stat st;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/b.json", dir);
	sample(&b);
	ASSERT_EQ(0, bundle_write_file(path, &b));
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(0600, st.st_mode & 0777);
	ASSERT_EQ(0, bundle_read_file(path, &r, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(2u, r.n_keys);
	bundle_free(&r);
	bundle_free(&b);
	unlink(path);
	rmdir(dir);
}

TEST_HARNESS_MAIN
