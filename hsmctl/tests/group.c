// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hsmctl group status|sync against emulated boards: the emulator's board
 * in the hsmctl process (the PKCS#11 suite's seam, preloaded), the boards
 * named by $HSMCTL_DEVICES instead of the kernel's list. A group of three
 * boards, two attached: a key on one board, sync copies it, status shows
 * both copies, a second sync copies nothing; a key that is not exportable
 * fails and leaves nothing; both JSON documents parsed by Python; the
 * usage errors.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "exitcodes.h"
#include "json_check.h"
#include "run_hsmctl.h"

#define USER_PIN	"user-pin-1234"	/* pkcs11/tests/seam.h */

static char dir[64], dev_a[128], dev_b[128], seam_boards[256],
	    devices[300], conf[128];

static void seam_env(const void *env)
{
	setsid();
	setenv("LD_PRELOAD", HSMCTL_SEAM, 1);
	setenv("SEAM_BOARDS", seam_boards, 1);
	setenv("HSMCTL_DEVICES", devices, 1);
	setenv("HSM_GROUPS_CONF", conf, 1);
	setenv("HSMCTL_PIN", USER_PIN, 1);
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 1);
	if (env)
		putenv((char *)env);
}

/* Run hsmctl: @env "NAME=VALUE" or NULL, then the arguments, NULL-ended. */
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
	run_hsmctl(r, argv, seam_env, env);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

FIXTURE(group) {
	struct run r;
};

FIXTURE_SETUP(group)
{
	char sub[128];

	snprintf(dir, sizeof(dir), "/tmp/hsmctl-group.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/a", dir);
	ASSERT_EQ(0, mkdir(sub, 0700));
	snprintf(sub, sizeof(sub), "%s/b", dir);
	ASSERT_EQ(0, mkdir(sub, 0700));
	snprintf(dev_a, sizeof(dev_a), "%s/a/dev", dir);
	snprintf(dev_b, sizeof(dev_b), "%s/b/dev", dir);
	snprintf(seam_boards, sizeof(seam_boards), "%s/a:EMU-G0,%s/b:EMU-G1",
		 dir, dir);
	snprintf(devices, sizeof(devices), "%s,%s", dev_a, dev_b);
	snprintf(conf, sizeof(conf), "%s/groups.conf", dir);
	/* EMU-G2 is never attached. */
	write_file(conf, "[group dns]\nboards = EMU-G0 EMU-G1 EMU-G2\n"
			 "[group other]\nboards = EMU-X0 EMU-X1\n");
	ASSERT_EQ(0, access(HSMCTL_SEAM, R_OK))
		TH_LOG("the seam %s is missing: make -C pkcs11/tests bin/seam-preload.so",
		       HSMCTL_SEAM);
}

FIXTURE_TEARDOWN(group)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		TH_LOG("could not remove %s", dir);
}

/* An EC P-256 token key on @dev, labelled k1, id 0102. */
static void make_key(struct __test_metadata *_metadata, struct run *r,
		     const char *dev, int exportable)
{
	if (exportable)
		hsmctl(r, NULL, "-d", dev, "key", "generate", "ec", "p256",
		       "--token", "--exportable", "--label", "k1", "--id",
		       "0102", NULL);
	else
		hsmctl(r, NULL, "-d", dev, "key", "generate", "ec", "p256",
		       "--token", "--label", "k1", "--id", "0102", NULL);
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
}

TEST_F(group, status_sync_status_sync)
{
	struct run *r = &self->r;

	make_key(_metadata, r, dev_a, 1);
	hsmctl(r, NULL, "group", "status", "dns", NULL);
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_NE(NULL, strstr(r->out, "group dns: token cryptech-grp-dns, 3 boards, 2 attached, 1 key\n"));
	EXPECT_NE(NULL, strstr(r->out, "  board EMU-G0 (cryptech-EMU-G0): attached "));
	EXPECT_NE(NULL, strstr(r->out, "  board EMU-G2 (cryptech-EMU-G2): absent\n"));
	EXPECT_NE(NULL, strstr(r->out, "  key k1 id 0102 ec-p256 sha256:"));
	EXPECT_NE(NULL, strstr(r->out, ": on EMU-G0; missing on EMU-G1\n")) TH_LOG("%s", r->out);
	/* Only the group asked for. */
	EXPECT_EQ(NULL, strstr(r->out, "group other"));

	hsmctl(r, NULL, "group", "sync", "dns", NULL);
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_NE(NULL, strstr(r->out, "copied k1 (ec-p256 sha256:"));
	EXPECT_NE(NULL, strstr(r->out, ") from EMU-G0 to EMU-G1 as "));
	EXPECT_NE(NULL, strstr(r->out, "absent EMU-G2: not brought up to date; run 'hsmctl group sync dns' again"));
	EXPECT_NE(NULL, strstr(r->out, "1 copied, 0 already there, 0 failed\n")) TH_LOG("%s", r->out);

	hsmctl(r, NULL, "group", "status", NULL);
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_NE(NULL, strstr(r->out, ": on EMU-G0, EMU-G1\n")) TH_LOG("%s", r->out);
	EXPECT_NE(NULL, strstr(r->out, "group other: token cryptech-grp-other, 2 boards, 0 attached, 0 keys\n"));

	hsmctl(r, NULL, "group", "sync", "dns", NULL);
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_NE(NULL, strstr(r->out, "already there k1 (ec-p256 sha256:"));
	EXPECT_NE(NULL, strstr(r->out, "): on EMU-G0, EMU-G1\n"));
	EXPECT_NE(NULL, strstr(r->out, "0 copied, 1 already there, 0 failed\n")) TH_LOG("%s", r->out);

	/* B holds the copy with its label and id, and its KEKEK. */
	hsmctl(r, NULL, "--json", "-d", dev_b, "key", "list", NULL);
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_EQ(0, python_check(r->out,
		"k = [x for x in d if x.get(\"label\") == \"k1\"]; "
		"assert len(d) == 2 and len(k) == 1, d; "
		"assert k[0][\"id\"] == \"0102\" and \"exportable\" in k[0][\"flags\"], k"));
}

/* A key on B only is copied to A: any board holding it is a source. */
TEST_F(group, copies_towards_any_board)
{
	struct run *r = &self->r;

	make_key(_metadata, r, dev_b, 1);
	hsmctl(r, NULL, "group", "sync", "dns", NULL);
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_NE(NULL, strstr(r->out, ") from EMU-G1 to EMU-G0 as ")) TH_LOG("%s", r->out);
}

TEST_F(group, json)
{
	struct run *r = &self->r;

	make_key(_metadata, r, dev_a, 1);
	hsmctl(r, NULL, "--json", "group", "status", NULL);
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_EQ(0, python_check(r->out,
		"g = d[\"groups\"]; assert [x[\"name\"] for x in g] == [\"dns\", \"other\"], g; "
		"b = g[0][\"boards\"]; "
		"assert [x[\"id\"] for x in b] == [\"EMU-G0\", \"EMU-G1\", \"EMU-G2\"], b; "
		"assert [x[\"state\"] for x in b] == [\"attached\", \"attached\", \"absent\"], b; "
		"assert b[0][\"device\"].endswith(\"/a/dev\") and b[2][\"device\"] is None, b; "
		"assert b[0][\"token_label\"] == \"cryptech-EMU-G0\", b; "
		"assert g[0][\"token_label\"] == \"cryptech-grp-dns\"; "
		"k = g[0][\"keys\"]; assert len(k) == 1, k; k = k[0]; "
		"assert (k[\"label\"], k[\"id\"], k[\"algorithm\"]) == (\"k1\", \"0102\", \"ec-p256\"), k; "
		"assert k[\"exportable\"] is True; "
		"assert k[\"fingerprint\"].startswith(\"sha256:\") and len(k[\"fingerprint\"]) == 23, k; "
		"int(k[\"fingerprint\"][7:], 16); "
		"assert [c[\"board\"] for c in k[\"copies\"]] == [\"EMU-G0\"], k; "
		"assert k[\"copies\"][0][\"public_uuid\"] is None; "
		"assert k[\"missing\"] == [\"EMU-G1\"], k; "
		"assert g[1][\"keys\"] == []"));

	hsmctl(r, NULL, "--json", "group", "sync", "dns", NULL);
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_EQ(0, python_check(r->out,
		"assert d[\"group\"] == \"dns\"; "
		"assert (d[\"copied\"], d[\"already_there\"], d[\"failed\"]) == (1, 0, 0), d; "
		"assert d[\"absent\"] == [\"EMU-G2\"], d; "
		"k = d[\"keys\"][0]; assert k[\"status\"] == \"copied\" and k[\"label\"] == \"k1\", k; "
		"c = k[\"copies\"]; assert len(c) == 1, c; "
		"assert (c[0][\"from\"], c[0][\"to\"], c[0][\"status\"]) == (\"EMU-G0\", \"EMU-G1\", \"copied\"), c; "
		"assert len(c[0][\"uuid\"]) == 36"));

	/* The copy's UUID is the one status now lists for EMU-G1. */
	hsmctl(r, NULL, "--json", "group", "status", "dns", NULL);
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_EQ(0, python_check(r->out,
		"k = d[\"groups\"][0][\"keys\"][0]; "
		"assert [c[\"board\"] for c in k[\"copies\"]] == [\"EMU-G0\", \"EMU-G1\"], k; "
		"assert k[\"missing\"] == [], k"));

	hsmctl(r, NULL, "--json", "group", "sync", "dns", NULL);
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_EQ(0, python_check(r->out,
		"assert (d[\"copied\"], d[\"already_there\"], d[\"failed\"]) == (0, 1, 0), d; "
		"assert d[\"keys\"][0][\"status\"] == \"already-there\" and d[\"keys\"][0][\"copies\"] == []"));
}

/*
 * A pair as the PKCS#11 module stores it: the private key and a public-key
 * object of the same SPKI (loaded here from a bundle written by hand).
 * status pairs them; sync copies both.
 */
TEST_F(group, pair_with_public_object)
{
	static const char writer[] =
		"import base64, json, sys\n"
		"pem = open(sys.argv[1]).read().splitlines()\n"
		"body = [l for l in pem if l and not l.startswith('-----')]\n"
		"label = [base64.b64encode(b'k1').decode()]\n"
		"d = {'comment': 'x', 'kekek_pubkey': body, 'kekek_uuid': '00000000-0000-4000-8000-000000000000',\n"
		"     'keys': [{'comment': 'Public key', 'flags': 57, 'spki': body,\n"
		"               'uuid': '00000000-0000-4000-8000-000000000001',\n"
		"               'attributes': {'0x00000003': label}}]}\n"
		"json.dump(d, open(sys.argv[2], 'w'))\n";
	char pem[160], bundle[160], script[160], cmd[600];
	struct run *r = &self->r;

	make_key(_metadata, r, dev_a, 1);
	hsmctl(r, NULL, "-d", dev_a, "key", "pubkey", "label:k1", "--pem", NULL);
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	snprintf(pem, sizeof(pem), "%s/k1.pem", dir);
	snprintf(bundle, sizeof(bundle), "%s/k1-public.json", dir);
	snprintf(script, sizeof(script), "%s/writer.py", dir);
	write_file(pem, r->out);
	write_file(script, writer);
	snprintf(cmd, sizeof(cmd), "python3 %s %s %s", script, pem, bundle);
	ASSERT_EQ(0, system(cmd));
	hsmctl(r, NULL, "-d", dev_a, "key", "import", bundle, NULL);
	ASSERT_EQ(0, r->status) TH_LOG("%s %s", r->out, r->err);

	hsmctl(r, NULL, "--json", "group", "status", "dns", NULL);
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_EQ(0, python_check(r->out,
		"k = d[\"groups\"][0][\"keys\"]; assert len(k) == 1, k; "
		"c = k[0][\"copies\"]; assert len(c) == 1 and c[0][\"public_uuid\"], c"));

	hsmctl(r, NULL, "group", "sync", "dns", NULL);
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	hsmctl(r, NULL, "--json", "group", "status", "dns", NULL);
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_EQ(0, python_check(r->out,
		"c = d[\"groups\"][0][\"keys\"][0][\"copies\"]; "
		"assert [x[\"board\"] for x in c] == [\"EMU-G0\", \"EMU-G1\"], c; "
		"assert all(x[\"public_uuid\"] for x in c), c"));
	/* On B: the private key, its public object (labelled) and the KEKEK. */
	hsmctl(r, NULL, "--json", "-d", dev_b, "key", "list", NULL);
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_EQ(0, python_check(r->out,
		"t = sorted(x[\"type\"] for x in d); "
		"assert t == [\"ec-private\", \"ec-public\", \"rsa-private\"], d; "
		"assert [x.get(\"label\") for x in d if x[\"type\"] == \"ec-public\"] == [\"k1\"], d"));
}

/* Not exportable: the copy fails (exit 4, the reason), B gets nothing. */
TEST_F(group, not_exportable)
{
	struct run *r = &self->r;

	make_key(_metadata, r, dev_a, 0);
	hsmctl(r, NULL, "group", "sync", "dns", NULL);
	EXPECT_EQ(HSMCTL_EXIT_PERMISSION, r->status) TH_LOG("%s", r->err);
	EXPECT_NE(NULL, strstr(r->out, "failed k1 (ec-p256 sha256:"));
	EXPECT_NE(NULL, strstr(r->out, "from EMU-G0 to EMU-G1: not exportable: it was generated without --exportable"));
	EXPECT_NE(NULL, strstr(r->out, "0 copied, 0 already there, 1 failed\n")) TH_LOG("%s", r->out);

	hsmctl(r, NULL, "--json", "group", "sync", "dns", NULL);
	EXPECT_EQ(HSMCTL_EXIT_PERMISSION, r->status);
	EXPECT_EQ(0, python_check(r->out,
		"k = d[\"keys\"][0]; assert k[\"status\"] == \"failed\" and k[\"exportable\"] is False, k; "
		"assert k[\"copies\"][0][\"status\"] == \"failed\" and \"not exportable\" in k[\"copies\"][0][\"cause\"], k; "
		"assert d[\"failed\"] == 1"));

	/* Nothing on B: not even a KEKEK (refused before it is made). */
	hsmctl(r, NULL, "--json", "-d", dev_b, "key", "list", NULL);
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_EQ(0, python_check(r->out, "assert d == [], d"));
}

TEST_F(group, usage_errors)
{
	char bad[160], env[200];
	struct run *r = &self->r;

	hsmctl(r, NULL, "group", NULL);
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r->status);
	EXPECT_NE(NULL, strstr(r->err, "which subcommand? (status, sync)"));
	hsmctl(r, NULL, "group", "mend", NULL);
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r->status);
	hsmctl(r, NULL, "group", "sync", NULL);
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r->status);
	EXPECT_NE(NULL, strstr(r->err, "group sync: which group?"));
	hsmctl(r, NULL, "group", "sync", "nosuch", NULL);
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r->status);
	EXPECT_NE(NULL, strstr(r->err, "group sync: no group 'nosuch' in the groups file"));
	hsmctl(r, NULL, "group", "status", "nosuch", NULL);
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r->status);
	hsmctl(r, NULL, "-d", dev_a, "group", "status", NULL);
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r->status);
	EXPECT_NE(NULL, strstr(r->err, "-d does not apply"));
	hsmctl(r, NULL, "group", "status", "--user", "so", NULL);
	EXPECT_EQ(HSMCTL_EXIT_PERMISSION, r->status);
	/* The file: --groups over $HSM_GROUPS_CONF; a missing one, a bad one. */
	snprintf(bad, sizeof(bad), "%s/missing.conf", dir);
	hsmctl(r, NULL, "group", "status", "--groups", bad, NULL);
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r->status);
	EXPECT_NE(NULL, strstr(r->err, "missing.conf"));
	snprintf(bad, sizeof(bad), "%s/bad.conf", dir);
	write_file(bad, "[group dns]\nboards = EMU-G0\n");
	hsmctl(r, NULL, "group", "status", "--groups", bad, NULL);
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r->status);
	EXPECT_NE(NULL, strstr(r->err, "bad.conf")) TH_LOG("%s", r->err);
	snprintf(env, sizeof(env), "HSM_GROUPS_CONF=%s", bad);
	hsmctl(r, env, "group", "status", NULL);
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r->status);
	/* No PIN anywhere and no terminal: each board in error, not a prompt. */
	hsmctl(r, "HSMCTL_PIN", "group", "status", "dns", NULL);
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r->status);
	EXPECT_NE(NULL, strstr(r->out, "  board EMU-G1 (cryptech-EMU-G1): error ")) TH_LOG("%s", r->out);
	EXPECT_NE(NULL, strstr(r->err, "no user PIN"));
	hsmctl(r, "HSMCTL_PIN", "group", "sync", "dns", NULL);
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r->status);
	EXPECT_NE(NULL, strstr(r->out, "error EMU-G0: not brought up to date")) TH_LOG("%s", r->out);
}

TEST_HARNESS_MAIN
