// SPDX-License-Identifier: GPL-2.0
/*
 * hsmctl backup and key export/import against two emulated boards (issue
 * 11 points 1, 2 and 9): board 0 (A) is the source, board 1 (B) the
 * destination. Keys move with their attributes and keep their public
 * keys (signatures checked with openssl); non-exportable keys are listed;
 * a second run finds the keys already present; the bundle a reader that
 * knows only the upstream members parses, and a bundle written by hand
 * in the upstream format (openssl wraps the key) imports; a key whose
 * attributes B refuses leaves nothing behind; every error exit. Everything
 * goes through the hsmctl binary, as a script would use it.
 */
#include <stdarg.h>

#include "kselftest_harness.h"
#include "hsm_ioctl.h"
#include "hsmctl_cli.h"

#define DIR		"/tmp/hsmctl-backup"
#define PY		"/usr/bin/python3"
#define OPENSSL		"/usr/bin/openssl"
#define put(name, text)	hsmctl_put(DIR, name, text)

/*
 * A reader that knows only the upstream members (comment, kekek_pubkey,
 * kekek_uuid, keys[].flags/pkcs8/kek/spki/uuid): it checks the 76-column
 * Base64 lines, decodes every binary value (each must be DER) and prints
 * one line per key.
 */
static const char upstream_reader[] =
	"import base64, json, sys\n"
	"d = json.load(open(sys.argv[1]))\n"
	"def b64(lines):\n"
	"    assert all(len(l) == 76 for l in lines[:-1]) and len(lines[-1]) <= 76\n"
	"    der = base64.b64decode(''.join(lines), validate=True)\n"
	"    assert der[0] == 0x30\n"
	"    return der\n"
	"b64(d['kekek_pubkey'])\n"
	"print('comment', d['comment'])\n"
	"print('kekek', d['kekek_uuid'])\n"
	"for k in d.get('keys', []):\n"
	"    assert isinstance(k['flags'], int)\n"
	"    if 'spki' in k:\n"
	"        b64(k['spki'])\n"
	"        print('public', k['uuid'], k['flags'])\n"
	"    else:\n"
	"        b64(k['pkcs8']); b64(k['kek'])\n"
	"        print('private', k['uuid'], k['flags'])\n";

/*
 * The upstream export step done by hand from §7.6/§7.6.1: an RSA key in
 * PKCS#8 wrapped (RFC 5649) under a random KEK, the KEK encrypted for the
 * KEKEK of a setup file with RSAES-PKCS1-v1_5, both in the DER
 * EncryptedPrivateKeyInfo, and a public key as its SPKI; written as the
 * upstream tool writes (json.dump, indent 4, sorted keys, 76-char lines).
 * argv: setup.json out.json key.pkcs8.der pub.spki.der
 */
static const char upstream_writer[] =
	"import base64, json, os, subprocess, sys, uuid\n"
	"setup, out, pkcs8, spki = sys.argv[1:5]\n"
	"s = json.load(open(setup))\n"
	"kekek = '" DIR "/kekek.der'\n"
	"open(kekek, 'wb').write(base64.b64decode(''.join(s['kekek_pubkey'])))\n"
	"kek = os.urandom(32)\n"
	"def run(args, data):\n"
	"    return subprocess.run(args, input=data, stdout=subprocess.PIPE, check=True).stdout\n"
	"wrapped = run(['" OPENSSL "', 'enc', '-id-aes256-wrap-pad', '-K', kek.hex(),\n"
	"               '-iv', 'A65959A6'], open(pkcs8, 'rb').read())\n"
	"c = run(['" OPENSSL "', 'pkeyutl', '-encrypt', '-pubin', '-keyform', 'DER',\n"
	"         '-inkey', kekek, '-pkeyopt', 'rsa_padding_mode:pkcs1'], kek)\n"
	"def tlv(t, v):\n"
	"    n = len(v)\n"
	"    if n < 128: l = bytes([n])\n"
	"    else:\n"
	"        b = n.to_bytes((n.bit_length() + 7) // 8, 'big'); l = bytes([0x80 | len(b)]) + b\n"
	"    return bytes([t]) + l + v\n"
	"def epki(oid, data):\n"
	"    return tlv(0x30, tlv(0x30, bytes.fromhex(oid)) + tlv(0x04, data))\n"
	"def lines(b):\n"
	"    e = base64.b64encode(b).decode()\n"
	"    return [e[i:i + 76] for i in range(0, len(e), 76)]\n"
	"keys = [{'comment': 'Encrypted private key', 'flags': 0x29,\n"
	"         'pkcs8': lines(epki('0609608648016503040130', wrapped)),\n"
	"         'kek': lines(epki('06092a864886f70d010101', c)), 'uuid': str(uuid.uuid4())},\n"
	"        {'comment': 'Public key', 'flags': 0x39,\n"
	"         'spki': lines(open(spki, 'rb').read()), 'uuid': str(uuid.uuid4())}]\n"
	"doc = {'comment': 'Cryptech Alpha encrypted key backup', 'kekek_pubkey': s['kekek_pubkey'],\n"
	"       'kekek_uuid': s['kekek_uuid'], 'keys': keys}\n"
	"json.dump(doc, open(out, 'w'), indent=4, sort_keys=True)\n";

/*
 * Two one-key bundles into one whose second key carries an attribute too
 * big for any key block (12000 bytes: B refuses it, §6.11/§7.5).
 * argv: first.json second.json out.json
 */
static const char merge_with_huge_attr[] =
	"import base64, json, sys\n"
	"a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))\n"
	"e = base64.b64encode(b'x' * 12000).decode()\n"
	"b['keys'][0].setdefault('attributes', {})['0x80000001'] = [e[i:i + 76] for i in range(0, len(e), 76)]\n"
	"a['keys'].append(b['keys'][0])\n"
	"json.dump(a, open(sys.argv[3], 'w'), indent=4, sort_keys=True)\n";

FIXTURE(bak) {
	struct hsm_board_desc d[2];
	char a[48], b[64];	/* "-d" values: A by device, B by identity */
	char out[65536];
};

FIXTURE_SETUP(bak)
{
	char *out = self->out;
	int i, st, fd;

	hsm_t_detach_all();
	ASSERT_TRUE(hsm_wait_until(hsm_path_exists("/dev/ttyUSB0") &&
				   hsm_path_exists("/dev/ttyUSB1"), 20000))
		TH_LOG("two boards needed: run with tests/vm/run --boards 2");
	ASSERT_EQ(0, access(PY, X_OK)) TH_LOG("needs " PY " in the guest");
	ASSERT_EQ(0, sh(NULL, 0, "rm -rf " DIR " && mkdir -p " DIR));
	for (i = 0; i < 2; i++) {
		st = sh(out, sizeof(self->out), HSMCTL " attach %s 2>&1", hsm_test_tty(i));
		ASSERT_EQ(0, st) TH_LOG("%s", out);
		ASSERT_EQ(0, hsm_test_find_board(hsm_test_tty(i) + 5, &self->d[i]));
		fd = hsm_t_open_dev(&self->d[i]);
		ASSERT_GE(fd, 0);
		ASSERT_EQ(0, hsm_t_bringup(fd, i));
		close(fd);
	}
	snprintf(self->a, sizeof(self->a), "/dev/%s", self->d[0].dev_name);
	/* Board B by its stable identity (the emulator's serial number). */
	ASSERT_NE(0, self->d[1].board_id[0]);
	snprintf(self->b, sizeof(self->b), "%s", self->d[1].board_id);
	ASSERT_EQ(0, setenv("HSMCTL_PIN", HSM_USER_PIN, 1));
	ASSERT_EQ(0, put("user-pin", HSM_USER_PIN "\n"));
	ASSERT_EQ(0, put("wrong-pin", "not-the-pin\n"));
	ASSERT_EQ(0, put("data", "backed-up keys sign this\n"));
	ASSERT_EQ(0, put("reader.py", upstream_reader));
	ASSERT_EQ(0, put("writer.py", upstream_writer));
	ASSERT_EQ(0, put("merge.py", merge_with_huge_attr));
}

FIXTURE_TEARDOWN(bak)
{
	hsm_t_detach_all();
}

/* Generate a token key on board @dev; its UUID into @uuid. */
static void generate(struct __test_metadata *_metadata, char *out, size_t len,
		     const char *dev, const char *alg, const char *opts,
		     char *uuid)
{
	int st = sh(out, len, HSMCTL " -d %s --json key generate %s --token %s 2>&1",
		    dev, alg, opts);

	ASSERT_EQ(0, st) TH_LOG("%s", out);
	ASSERT_EQ(0, json_uuid(out, uuid)) TH_LOG("%s", out);
}

/* The "new_uuid" of the key @uuid in a report, into @new_uuid. */
static int new_uuid_of(const char *js, const char *uuid, char *new_uuid)
{
	char want[64];
	const char *p;

	snprintf(want, sizeof(want), "\"uuid\":\"%s\",\"new_uuid\":\"", uuid);
	p = strstr(js, want);
	if (!p)
		return -1;
	snprintf(new_uuid, 37, "%s", p + strlen(want));
	return 0;
}

/*
 * The key @ka on A and @kb on B have the same public key, and a signature
 * by each verifies with it (openssl).
 */
static void same_key(struct __test_metadata *_metadata, struct _test_data_bak *self,
		     const char *ka, const char *kb, const char *hash)
{
	char *out = self->out;
	size_t len = sizeof(self->out);
	const char *dev[2] = { self->a, self->b }, *key[2] = { ka, kb };
	int i, st;

	st = sh(out, len, HSMCTL " -d %s key pubkey %s > " DIR "/pa.pem", self->a, ka);
	ASSERT_EQ(0, st);
	st = sh(out, len, HSMCTL " -d %s key pubkey %s > " DIR "/pb.pem", self->b, kb);
	ASSERT_EQ(0, st);
	st = sh(out, len, "cmp " DIR "/pa.pem " DIR "/pb.pem 2>&1");
	ASSERT_EQ(0, st) TH_LOG("public keys differ: %s", out);
	for (i = 0; i < 2; i++) {
		st = sh(out, len, HSMCTL " -d %s key sign %s --in " DIR "/data --hash %s "
			"--format der --raw > " DIR "/sig", dev[i], key[i], hash);
		ASSERT_EQ(0, st);
		st = sh(out, len, OPENSSL " dgst -%s -verify " DIR "/pa.pem -signature "
			DIR "/sig " DIR "/data 2>&1", hash);
		ASSERT_EQ(0, st) TH_LOG("board %d: %s", i, out);
		ASSERT_NE(NULL, strstr(out, "Verified OK"));
	}
}

/* The number of token keys on board @dev. */
static int count_keys(char *out, size_t len, const char *dev)
{
	int st = sh(out, len, HSMCTL " -d %s --json key list --token | "
		    "grep -o '\"uuid\"' | wc -l", dev);

	return st ? -1 : atoi(out);
}

TEST_F_TIMEOUT(bak, backup_between_boards, 600)
{
	char ec[37], rsa[37], keep[37], ec_b[37], rsa_b[37], *out = self->out;
	size_t len = sizeof(self->out);
	int st, before;

	generate(_metadata, out, len, self->a, "ec p256",
		 "--exportable --label bk-ec --id 0a0b", ec);
	generate(_metadata, out, len, self->a, "rsa 2048",
		 "--exportable --label bk-rsa", rsa);
	generate(_metadata, out, len, self->a, "ec p256", "--label bk-kept", keep);

	st = sh(out, len, HSMCTL " --json backup --from %s --to %s 2>&1",
		self->a, self->b);
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	ASSERT_EQ(0, new_uuid_of(out, ec, ec_b)) TH_LOG("%s", out);
	ASSERT_EQ(0, new_uuid_of(out, rsa, rsa_b)) TH_LOG("%s", out);
	EXPECT_NE(0, strcmp(ec, ec_b));
	EXPECT_NE(NULL, strstr(out, "\"label\":\"bk-ec\",\"status\":\"moved\"")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"label\":\"bk-rsa\",\"status\":\"moved\"")) TH_LOG("%s", out);
	/* The non-exportable key is listed, not skipped silently. */
	{
		char want[128];

		snprintf(want, sizeof(want), "{\"uuid\":\"%s\",\"new_uuid\":null,"
			 "\"label\":\"bk-kept\",\"status\":\"not-exportable\"}", keep);
		EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	}
	EXPECT_NE(NULL, strstr(out, "\"failed\":0}")) TH_LOG("%s", out);

	/* The attributes came along: B finds the keys by label, with the id. */
	st = sh(out, len, HSMCTL " -d %s --json key info label:bk-ec 2>&1", self->b);
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, ec_b)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, ";object=bk-ec;id=%0A%0B;type=private\"")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"exportable\"")) TH_LOG("%s", out);
	st = sh(out, len, HSMCTL " -d %s key info label:bk-kept 2>&1", self->b);
	EXPECT_EQ(7, st) TH_LOG("%s", out);
	same_key(_metadata, self, ec, ec_b, "sha256");
	same_key(_metadata, self, "label:bk-rsa", "label:bk-rsa", "sha256");

	/* Again: nothing is duplicated, each key is already present. */
	before = count_keys(out, len, self->b);
	ASSERT_LT(0, before);
	/* Each board's PIN from its own file this time, none from the environment. */
	st = sh(out, len, "env -u HSMCTL_PIN " HSMCTL " backup --from %s --to %s "
		"--from-pin-file " DIR "/user-pin --to-pin-file " DIR "/user-pin 2>&1",
		self->a, self->b);
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	{
		char want[128];

		snprintf(want, sizeof(want), "already present %s as %s label bk-ec\n", ec, ec_b);
		EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
		snprintf(want, sizeof(want), "not exportable %s label bk-kept", keep);
		EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	}
	EXPECT_NE(NULL, strstr(out, "0 moved,")) TH_LOG("%s", out);
	EXPECT_EQ(before, count_keys(out, len, self->b));
	/* The KEKEK loaded on A (volatile) is gone with the run. */
	ASSERT_EQ(0, hsm_test_board_ctl(0, "keys", out, len));
	EXPECT_NE(NULL, strstr(out, "\"volatile\":[]}")) TH_LOG("%s", out);
}

TEST_F_TIMEOUT(bak, steps_and_the_upstream_reader, 600)
{
	char k1[37], k1_b[37], want[160], *out = self->out;
	size_t len = sizeof(self->out);
	int st;

	generate(_metadata, out, len, self->a, "ec p384",
		 "--exportable --label bk-step", k1);
	st = sh(out, len, HSMCTL " -d %s --json backup setup --out " DIR "/kekek.json 2>&1",
		self->b);
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"kekek_uuid\":\"")) TH_LOG("%s", out);
	st = sh(out, len, HSMCTL " -d %s backup setup --out " DIR "/kekek2.json 2>&1",
		self->b);
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	/* An existing KEKEK is reused (§7.6.1 step 1). */
	EXPECT_NE(NULL, strstr(out, "using the existing KEKEK")) TH_LOG("%s", out);
	st = sh(out, len, "cmp " DIR "/kekek.json " DIR "/kekek2.json");
	EXPECT_EQ(0, st);
	st = sh(out, len, PY " " DIR "/reader.py " DIR "/kekek.json 2>&1");
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "comment KEKEK public key\n")) TH_LOG("%s", out);

	st = sh(out, len, HSMCTL " -d %s --json backup export --kekek " DIR
		"/kekek.json --out " DIR "/bk.json 2>&1", self->a);
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "{\"uuid\":\"%s\",\"new_uuid\":null,\"label\":\"bk-step\",\"status\":\"exported\"}", k1);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	st = sh(out, len, PY " " DIR "/reader.py " DIR "/bk.json 2>&1");
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "comment Cryptech Alpha encrypted key backup\n")) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "private %s %d\n", k1, 0x01 | 0x08 | 0x20);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	/* The attributes ride along in hsmctl's own member. */
	st = sh(out, len, "grep -c '\"attributes\"' " DIR "/bk.json");
	EXPECT_EQ(0, st);

	st = sh(out, len, HSMCTL " -d %s --json backup import " DIR "/bk.json 2>&1", self->b);
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	ASSERT_EQ(0, new_uuid_of(out, k1, k1_b)) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "\"new_uuid\":\"%s\",\"label\":\"bk-step\",\"status\":\"moved\"", k1_b);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	same_key(_metadata, self, k1, "label:bk-step", "sha384");
	/* The same bundle twice: already present. */
	st = sh(out, len, HSMCTL " -d %s backup import " DIR "/bk.json 2>&1", self->b);
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "already present %s as %s label bk-step\n", k1, k1_b);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
}

TEST_F_TIMEOUT(bak, key_export_and_import, 600)
{
	char k[37], kb[37], want[160], *out = self->out;
	size_t len = sizeof(self->out);
	int st;

	generate(_metadata, out, len, self->a, "ec p256",
		 "--exportable --label bk-one --id 01", k);
	st = sh(out, len, HSMCTL " -d %s backup setup --out " DIR "/kekek.json 2>&1", self->b);
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	st = sh(out, len, HSMCTL " -d %s key export label:bk-one --kekek " DIR
		"/kekek.json --out " DIR "/one.json 2>&1", self->a);
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "exported %s label bk-one\n", k);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	st = sh(out, len, HSMCTL " -d %s --json key export %s --kekek " DIR
		"/kekek.json --out " DIR "/one.json 2>&1", self->a, k);
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"status\":\"exported\"")) TH_LOG("%s", out);
	st = sh(out, len, PY " " DIR "/reader.py " DIR "/one.json 2>&1");
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "private %s", k);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);

	st = sh(out, len, HSMCTL " -d %s --json key import " DIR "/one.json 2>&1", self->b);
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	ASSERT_EQ(0, new_uuid_of(out, k, kb)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"status\":\"moved\"")) TH_LOG("%s", out);
	st = sh(out, len, HSMCTL " -d %s --json key info label:bk-one 2>&1", self->b);
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, ";object=bk-one;id=%01;type=private\"")) TH_LOG("%s", out);
	same_key(_metadata, self, k, kb, "sha256");
	st = sh(out, len, HSMCTL " -d %s key import " DIR "/one.json 2>&1", self->b);
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "1 already present")) TH_LOG("%s", out);
}

TEST_F_TIMEOUT(bak, upstream_bundle_imports, 600)
{
	char *out = self->out, priv[37], pub[37];
	size_t len = sizeof(self->out);
	const char *p;
	int st;

	st = sh(out, len, HSMCTL " -d %s backup setup --out " DIR "/kekek.json 2>&1", self->b);
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	st = sh(out, len, "cd " DIR " && " OPENSSL " genpkey -algorithm RSA -pkeyopt "
		"rsa_keygen_bits:2048 -out up.pem 2>&1 && " OPENSSL " pkcs8 -topk8 -nocrypt "
		"-in up.pem -outform DER -out up.p8 && " OPENSSL " pkey -in up.pem -pubout -out up.pub.pem && "
		OPENSSL " genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.pem && "
		OPENSSL " pkey -in ec.pem -pubout -outform DER -out ec.spki 2>&1");
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	st = sh(out, len, PY " " DIR "/writer.py " DIR "/kekek.json " DIR "/up.json "
		DIR "/up.p8 " DIR "/ec.spki 2>&1");
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	/* Upstream layout: 76-column lines, no attributes member. */
	st = sh(out, len, "grep -c attributes " DIR "/up.json");
	EXPECT_EQ(1, st);
	st = sh(out, len, "grep -cE '^ {16}\"[A-Za-z0-9+/]{76}\",$' " DIR "/up.json");
	EXPECT_EQ(0, st);

	st = sh(out, len, HSMCTL " -d %s --json backup import " DIR "/up.json 2>&1", self->b);
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"moved\":2,")) TH_LOG("%s", out);
	/* The new UUIDs, in bundle order. */
	p = strstr(out, "\"new_uuid\":\"");
	ASSERT_NE(NULL, p);
	snprintf(priv, sizeof(priv), "%s", p + 12);
	p = strstr(p + 12, "\"new_uuid\":\"");
	ASSERT_NE(NULL, p);
	snprintf(pub, sizeof(pub), "%s", p + 12);

	/* The key openssl made is on B: same public key, B's signature verifies. */
	st = sh(out, len, HSMCTL " -d %s key pubkey %s > " DIR "/b.pem && cmp " DIR
		"/b.pem " DIR "/up.pub.pem 2>&1", self->b, priv);
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	st = sh(out, len, HSMCTL " -d %s key sign %s --in " DIR "/data --hash sha256 "
		"--format der --raw > " DIR "/sig", self->b, priv);
	ASSERT_EQ(0, st);
	st = sh(out, len, OPENSSL " dgst -sha256 -verify " DIR "/up.pub.pem -signature "
		DIR "/sig " DIR "/data 2>&1");
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	st = sh(out, len, HSMCTL " -d %s --json key info %s 2>&1", self->b, pub);
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"type\":\"ec-public\"")) TH_LOG("%s", out);
	st = sh(out, len, HSMCTL " -d %s key pubkey %s --der > " DIR "/b.spki && cmp "
		DIR "/b.spki " DIR "/ec.spki 2>&1", self->b, pub);
	EXPECT_EQ(0, st) TH_LOG("%s", out);
}

/* A key B refuses half-way leaves nothing; the keys before it are whole. */
TEST_F_TIMEOUT(bak, failure_half_way_leaves_nothing, 600)
{
	char x[37], y[37], xb[37], want[200], *out = self->out;
	size_t len = sizeof(self->out);
	int st, before;

	generate(_metadata, out, len, self->a, "ec p256", "--exportable --label bk-x", x);
	generate(_metadata, out, len, self->a, "ec p256", "--exportable --label bk-y", y);
	st = sh(out, len, HSMCTL " -d %s backup setup --out " DIR "/kekek.json 2>&1", self->b);
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	st = sh(out, len, HSMCTL " -d %s key export %s --kekek " DIR "/kekek.json --out "
		DIR "/x.json && " HSMCTL " -d %s key export %s --kekek " DIR
		"/kekek.json --out " DIR "/y.json 2>&1", self->a, x, self->a, y);
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	st = sh(out, len, PY " " DIR "/merge.py " DIR "/x.json " DIR "/y.json " DIR "/xy.json 2>&1");
	ASSERT_EQ(0, st) TH_LOG("%s", out);

	before = count_keys(out, len, self->b);
	ASSERT_LE(0, before);
	st = sh(out, len, HSMCTL " -d %s --json backup import " DIR "/xy.json 2>" DIR "/err",
		self->b);
	ASSERT_EQ(5, st) TH_LOG("%s", out);
	ASSERT_EQ(0, new_uuid_of(out, x, xb)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"label\":\"bk-x\",\"status\":\"moved\"")) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "{\"uuid\":\"%s\",\"new_uuid\":null,\"label\":\"bk-y\",\"status\":\"failed\",\"cause\":\"setting its attributes: board error", y);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"moved\":1,")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"failed\":1}")) TH_LOG("%s", out);
	st = sh(out, len, "cat " DIR "/err");
	EXPECT_NE(NULL, strstr(out, "1 of 2 keys were not moved")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"exit\":5}")) TH_LOG("%s", out);
	/* B holds X whole and nothing of Y. */
	EXPECT_EQ(before + 1, count_keys(out, len, self->b));
	st = sh(out, len, HSMCTL " -d %s key info label:bk-y 2>&1", self->b);
	EXPECT_EQ(7, st) TH_LOG("%s", out);
	st = sh(out, len, HSMCTL " -d %s key info label:bk-x 2>&1", self->b);
	EXPECT_EQ(0, st) TH_LOG("%s", out);
	/* In text: the failed key is named, and said to have left nothing. */
	st = sh(out, len, HSMCTL " -d %s backup import " DIR "/xy.json 2>&1", self->b);
	EXPECT_EQ(5, st);
	snprintf(want, sizeof(want), "failed %s label bk-y: setting its attributes: board error", y);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "(nothing of it was left)")) TH_LOG("%s", out);
	EXPECT_EQ(before + 1, count_keys(out, len, self->b));
}

TEST_F_TIMEOUT(bak, error_exits, 600)
{
	char k[37], *out = self->out;
	size_t len = sizeof(self->out);
	int st;

	/* Usage (2). */
	st = sh(out, len, HSMCTL " backup 2>&1");
	EXPECT_EQ(2, st) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "give both boards")) TH_LOG("%s", out);
	st = sh(out, len, HSMCTL " backup --from %s 2>&1", self->a);
	EXPECT_EQ(2, st) TH_LOG("%s", out);
	st = sh(out, len, HSMCTL " backup --from %s --to %s 2>&1", self->a, self->d[0].dev_name);
	EXPECT_EQ(2, st) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "name the same board")) TH_LOG("%s", out);
	st = sh(out, len, HSMCTL " backup --from %s --to %s --bits 12 2>&1", self->a, self->b);
	EXPECT_EQ(2, st) TH_LOG("%s", out);
	st = sh(out, len, HSMCTL " -d %s backup setup 2>&1", self->b);
	EXPECT_EQ(2, st) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "--out FILE")) TH_LOG("%s", out);
	st = sh(out, len, HSMCTL " -d %s backup export --out " DIR "/o.json 2>&1", self->a);
	EXPECT_EQ(2, st) TH_LOG("%s", out);
	st = sh(out, len, HSMCTL " -d %s backup export --kekek " DIR "/none.json --out "
		DIR "/o.json 2>&1", self->a);
	EXPECT_EQ(2, st) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "bundle " DIR "/none.json: No such file")) TH_LOG("%s", out);
	ASSERT_EQ(0, put("bad.json", "{\"kekek_pubkey\": [\"YWJj\"], \"kekek_uuid\": \"x\"}"));
	st = sh(out, len, HSMCTL " -d %s backup import " DIR "/bad.json 2>&1", self->b);
	EXPECT_EQ(2, st) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "bundle " DIR "/bad.json: kekek_uuid: not a UUID")) TH_LOG("%s", out);
	st = sh(out, len, HSMCTL " -d %s --json backup import " DIR "/bad.json 2>&1 >/dev/null",
		self->b);
	EXPECT_EQ(2, st) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"exit\":2}")) TH_LOG("%s", out);
	st = sh(out, len, HSMCTL " -d %s backup setup --out " DIR "/kekek.json 2>&1", self->b);
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	st = sh(out, len, HSMCTL " -d %s backup import " DIR "/kekek.json 2>&1", self->b);
	EXPECT_EQ(2, st) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "not an export")) TH_LOG("%s", out);
	st = sh(out, len, HSMCTL " -d %s key import 2>&1", self->b);
	EXPECT_EQ(2, st) TH_LOG("%s", out);
	st = sh(out, len, HSMCTL " -d %s key export 2>&1", self->a);
	EXPECT_EQ(2, st) TH_LOG("%s", out);

	/* No such board (3). */
	st = sh(out, len, HSMCTL " backup --from hsm97 --to %s 2>&1", self->b);
	EXPECT_EQ(3, st) TH_LOG("%s", out);
	st = sh(out, len, HSMCTL " --json backup --from %s --to NO-SUCH-BOARD 2>&1", self->a);
	EXPECT_EQ(3, st) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"exit\":3}")) TH_LOG("%s", out);

	/* Wrong PIN on one board (5), named by --to-pin-file. */
	st = sh(out, len, HSMCTL " backup --from %s --to %s --to-pin-file " DIR
		"/wrong-pin --from-pin-file " DIR "/user-pin 2>&1", self->a, self->b);
	EXPECT_EQ(5, st) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "PIN_INCORRECT")) TH_LOG("%s", out);

	/* No such key (7); the bundle's KEKEK not on the board (7). */
	st = sh(out, len, HSMCTL " -d %s key export label:bk-no-such --kekek " DIR
		"/kekek.json --out " DIR "/o.json 2>&1", self->a);
	EXPECT_EQ(7, st) TH_LOG("%s", out);
	generate(_metadata, out, len, self->a, "ec p256", "--exportable --label bk-err", k);
	st = sh(out, len, HSMCTL " -d %s key export %s --kekek " DIR "/kekek.json --out "
		DIR "/e.json 2>&1", self->a, k);
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	st = sh(out, len, HSMCTL " -d %s key import " DIR "/e.json 2>&1", self->a);
	EXPECT_EQ(7, st) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "made for another board")) TH_LOG("%s", out);

	/* A key without --exportable: the board refuses (5), with the fix. */
	generate(_metadata, out, len, self->a, "ec p256", "--label bk-err2", k);
	st = sh(out, len, HSMCTL " -d %s key export %s --kekek " DIR "/kekek.json --out "
		DIR "/e2.json 2>&1", self->a, k);
	EXPECT_EQ(5, st) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "--exportable")) TH_LOG("%s", out);
	EXPECT_FALSE(hsm_path_exists(DIR "/e2.json"));
}

HSM_TEST_HARNESS_MAIN
