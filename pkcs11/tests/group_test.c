// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Redundancy groups through the test seam: two emulated boards named by a
 * groups file are one slot and one token; a key on both is one object;
 * signatures spread over the boards and survive unplugging one of them.
 * Each test runs in a process of its own with fresh boards.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <p11-kit/pkcs11.h>

#include "kselftest_harness.h"

#include <hsm/hsm.h>

#include "rpc.h"
#include "seam.h"

#ifndef MODULE_PATH
#define MODULE_PATH "../libhsm-pkcs11.so"
#endif

#define PIN ((CK_UTF8CHAR_PTR)SEAM_USER_PIN)
#define PIN_LEN (sizeof(SEAM_USER_PIN) - 1)
#define CKA_REPLICAS	(CKA_VENDOR_DEFINED | 0x43540001UL)
#define CKA_FULLY	(CKA_VENDOR_DEFINED | 0x43540002UL)

static CK_FUNCTION_LIST_PTR load_module(void **dl)
{
	CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR);
	CK_FUNCTION_LIST_PTR f = NULL;

	*dl = dlopen(MODULE_PATH, RTLD_NOW | RTLD_LOCAL);
	if (!*dl) {
		fprintf(stderr, "# dlopen %s: %s\n", MODULE_PATH, dlerror());
		return NULL;
	}
	get = (CK_RV (*)(CK_FUNCTION_LIST_PTR_PTR))dlsym(*dl, "C_GetFunctionList");
	if (!get || get(&f) != CKR_OK)
		return NULL;
	return f;
}

static void rm_rf(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", dir);
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* HSM_PKCS11_DEVICES: boards @a then @b. */
static int list_devices(int a, int b)
{
	char list[600];

	snprintf(list, sizeof(list), "%s,%s", seam_board_path(a),
		 seam_board_path(b));
	return setenv("HSM_PKCS11_DEVICES", list, 1);
}

static void token_info(CK_FUNCTION_LIST_PTR f, CK_SLOT_ID slot, char label[33],
		       char serial[17])
{
	CK_TOKEN_INFO ti;
	int i;

	memset(label, 0, 33);
	memset(serial, 0, 17);
	if (f->C_GetTokenInfo(slot, &ti) != CKR_OK)
		return;
	memcpy(label, ti.label, 32);
	memcpy(serial, ti.serialNumber, 16);
	for (i = 31; i >= 0 && label[i] == ' '; i--)
		label[i] = '\0';
	for (i = 15; i >= 0 && serial[i] == ' '; i--)
		serial[i] = '\0';
}

/* An EC P-256 private key as PKCS#8 DER, and its public key. */
static size_t new_ec_key(unsigned char *der, size_t room, EVP_PKEY **pub)
{
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	PKCS8_PRIV_KEY_INFO *p8 = pk ? EVP_PKEY2PKCS8(pk) : NULL;
	unsigned char *p = der;
	int len = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8, NULL) : -1;

	if (len > 0 && (size_t)len <= room)
		len = i2d_PKCS8_PRIV_KEY_INFO(p8, &p);
	else
		len = -1;
	PKCS8_PRIV_KEY_INFO_free(p8);
	*pub = pk;
	return len > 0 ? (size_t)len : 0;
}

static int verify_ecdsa(EVP_PKEY *pk, const unsigned char *dg, size_t dlen,
			const unsigned char *sig, size_t slen)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	unsigned char der[200], *dp = der;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pk, NULL);
	int ok, dl;

	ECDSA_SIG_set0(es, BN_bin2bn(sig, (int)slen / 2, NULL),
		       BN_bin2bn(sig + slen / 2, (int)slen / 2, NULL));
	dl = i2d_ECDSA_SIG(es, &dp);
	ok = EVP_PKEY_verify_init(ctx) == 1 &&
	     EVP_PKEY_verify(ctx, der, (size_t)dl, dg, dlen) == 1;
	ECDSA_SIG_free(es);
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

/* ---- two boards in group "dnssec", the module initialised ---------------- */

FIXTURE(grp) {
	char dir[256];
	char conf[300];
	int b[2];
	void *dl;
	CK_FUNCTION_LIST_PTR f;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s;
	EVP_PKEY *shared;	/* a key on both boards */
	uint8_t shared_uuid[2][16];
};

FIXTURE_SETUP(grp)
{
	static const char *const ids[] = { "EMU00000", "EMU00001" };
	char sub[300];
	CK_ULONG n = 4;
	CK_SLOT_ID slots[4];
	int i;

	snprintf(self->dir, sizeof(self->dir), "/tmp/p11group.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	for (i = 0; i < 2; i++) {
		snprintf(sub, sizeof(sub), "%s/b%d", self->dir, i);
		ASSERT_EQ(0, mkdir(sub, 0700));
		self->b[i] = seam_board_add(sub, ids[i]);
		ASSERT_LE(0, self->b[i]);
	}
	ASSERT_EQ(0, list_devices(self->b[0], self->b[1]));
	snprintf(self->conf, sizeof(self->conf), "%s/groups.conf", self->dir);
	ASSERT_EQ(0, write_file(self->conf,
				"# the signers\n[group dnssec]\nboards = EMU00000 EMU00001\n"));
	ASSERT_EQ(0, setenv("HSM_GROUPS_CONF", self->conf, 1));
	self->f = load_module(&self->dl);
	ASSERT_NE(NULL, self->f);
	ASSERT_EQ(CKR_OK, self->f->C_Initialize(NULL));
	ASSERT_EQ(CKR_OK, self->f->C_GetSlotList(CK_TRUE, slots, &n));
	ASSERT_EQ(1u, n);
	self->slot = slots[0];
	ASSERT_EQ(CKR_OK, self->f->C_OpenSession(self->slot,
						 CKF_SERIAL_SESSION | CKF_RW_SESSION,
						 NULL, NULL, &self->s));
}

FIXTURE_TEARDOWN(grp)
{
	if (self->f)
		self->f->C_Finalize(NULL);
	EVP_PKEY_free(self->shared);
	rm_rf(self->dir);
}

/* The same key pair loaded on both boards, as a backup restores it. */
static void load_shared(struct __test_metadata *_metadata,
			FIXTURE_DATA(grp) *self)
{
	unsigned char der[512];
	size_t len = new_ec_key(der, sizeof(der), &self->shared);

	ASSERT_LT(0u, len);
	ASSERT_EQ(0, seam_add_private_key(self->b[0], der, len, self->shared_uuid[0]));
	ASSERT_EQ(0, seam_add_private_key(self->b[1], der, len, self->shared_uuid[1]));
	ASSERT_NE(0, memcmp(self->shared_uuid[0], self->shared_uuid[1], 16));
}

/* Every private key object of the group, in *@h (up to @max). */
static CK_ULONG find_private(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s,
			     CK_OBJECT_HANDLE *h, CK_ULONG max)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_ULONG n = 0;

	if (f->C_FindObjectsInit(s, &t, 1) != CKR_OK)
		return 0;
	f->C_FindObjects(s, h, max, &n);
	f->C_FindObjectsFinal(s);
	return n;
}

static CK_ULONG replicas(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s,
			 CK_OBJECT_HANDLE h, CK_BBOOL *fully)
{
	CK_ULONG n = 99;
	CK_ATTRIBUTE a[] = {
		{ CKA_REPLICAS, &n, sizeof(n) },
		{ CKA_FULLY, fully, 1 },
	};

	if (f->C_GetAttributeValue(s, h, a, 2) != CKR_OK)
		return 99;
	return n;
}

static CK_RV sign_once(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s,
		       CK_OBJECT_HANDLE key, EVP_PKEY *pub)
{
	CK_MECHANISM m = { CKM_ECDSA, NULL, 0 };
	unsigned char dg[32], sig[64];
	CK_ULONG len = sizeof(sig);
	CK_RV rv;

	memset(dg, 0x5a, sizeof(dg));
	rv = f->C_SignInit(s, &m, key);
	if (rv != CKR_OK)
		return rv;
	rv = f->C_Sign(s, dg, sizeof(dg), sig, &len);
	if (rv == CKR_OK && pub && !verify_ecdsa(pub, dg, sizeof(dg), sig, len))
		return CKR_SIGNATURE_INVALID;
	return rv;
}

TEST_F(grp, one_slot_with_a_stable_label_and_serial)
{
	char label[33], serial[17], label2[33], serial2[17];
	CK_SLOT_ID slots[4];
	CK_TOKEN_INFO ti;
	CK_SLOT_INFO si;
	CK_ULONG n = 4;

	token_info(self->f, self->slot, label, serial);
	EXPECT_STREQ("cryptech-grp-dnssec", label);
	EXPECT_EQ(0, strncmp(serial, "grp-", 4));
	EXPECT_EQ(16u, strlen(serial));
	ASSERT_EQ(CKR_OK, self->f->C_GetSlotInfo(self->slot, &si));
	EXPECT_TRUE(si.flags & CKF_TOKEN_PRESENT);
	/* the boards have no slots of their own */
	ASSERT_EQ(CKR_OK, self->f->C_GetSlotList(CK_FALSE, slots, &n));
	EXPECT_EQ(1u, n);
	EXPECT_EQ(CKR_SLOT_ID_INVALID, self->f->C_GetSlotInfo(self->slot + 1, &si));
	EXPECT_EQ(CKR_SLOT_ID_INVALID, self->f->C_GetTokenInfo(self->slot + 1, &ti));
	EXPECT_EQ(CKR_SLOT_ID_INVALID, self->f->C_CloseAllSessions(self->slot + 1));
	EXPECT_EQ(CKR_SLOT_ID_INVALID,
		  self->f->C_OpenSession(self->slot + 2, CKF_SERIAL_SESSION, NULL,
					 NULL, &(CK_SESSION_HANDLE){ 0 }));

	/* one board away: still there, the same */
	seam_unplug(self->b[0]);
	n = 4;
	ASSERT_EQ(CKR_OK, self->f->C_GetSlotList(CK_TRUE, NULL, &n));
	EXPECT_EQ(1u, n);
	token_info(self->f, self->slot, label2, serial2);
	EXPECT_STREQ(label, label2);
	EXPECT_STREQ(serial, serial2);
	/* both away: no token, the slot stays */
	seam_unplug(self->b[1]);
	n = 4;
	ASSERT_EQ(CKR_OK, self->f->C_GetSlotList(CK_TRUE, NULL, &n));
	EXPECT_EQ(0u, n);
	n = 4;
	ASSERT_EQ(CKR_OK, self->f->C_GetSlotList(CK_FALSE, NULL, &n));
	EXPECT_EQ(1u, n);
	/* back in the other order, and a new process order */
	seam_replug(self->b[1]);
	seam_replug(self->b[0]);
	ASSERT_EQ(CKR_OK, self->f->C_Finalize(NULL));
	ASSERT_EQ(0, list_devices(self->b[1], self->b[0]));
	ASSERT_EQ(CKR_OK, self->f->C_Initialize(NULL));
	n = 4;
	ASSERT_EQ(CKR_OK, self->f->C_GetSlotList(CK_TRUE, slots, &n));
	ASSERT_EQ(1u, n);
	EXPECT_EQ(self->slot, slots[0]);
	token_info(self->f, slots[0], label2, serial2);
	EXPECT_STREQ(label, label2);
	EXPECT_STREQ(serial, serial2);
}

TEST(bad_groups_file_fails_initialize)
{
	char dir[] = "/tmp/p11group.XXXXXX", conf[300], log[300], text[512] = "";
	static const char *const ids[] = { "EMU00000" };
	CK_FUNCTION_LIST_PTR f;
	CK_ULONG n = 0;
	void *dl;
	int b, saved, fd;
	FILE *lf;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/b0", dir);
	ASSERT_EQ(0, mkdir(conf, 0700));
	b = seam_board_add(conf, ids[0]);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, setenv("HSM_PKCS11_DEVICES", seam_board_path(b), 1));
	snprintf(conf, sizeof(conf), "%s/groups.conf", dir);
	ASSERT_EQ(0, write_file(conf, "[group dnssec]\nboards = EMU00000\n"));
	ASSERT_EQ(0, setenv("HSM_GROUPS_CONF", conf, 1));
	f = load_module(&dl);
	ASSERT_NE(NULL, f);
	/* the message goes to stderr: catch it */
	snprintf(log, sizeof(log), "%s/stderr", dir);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	EXPECT_EQ(CKR_GENERAL_ERROR, f->C_Initialize(NULL));
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	lf = fopen(log, "r");
	ASSERT_NE(NULL, lf);
	if (!fgets(text, sizeof(text), lf))
		text[0] = '\0';
	fclose(lf);
	EXPECT_NE(NULL, strstr(text, "groups.conf:2: group \"dnssec\" needs at least 2 boards"))
		TH_LOG("stderr: %s", text);
	EXPECT_EQ(CKR_CRYPTOKI_NOT_INITIALIZED, f->C_GetSlotList(CK_TRUE, NULL, &n));
	/* fixed, it starts */
	ASSERT_EQ(0, write_file(conf, "[group dnssec]\nboards = EMU00000 EMU00001\n"));
	ASSERT_EQ(CKR_OK, f->C_Initialize(NULL));
	ASSERT_EQ(CKR_OK, f->C_GetSlotList(CK_TRUE, NULL, &n));
	EXPECT_EQ(1u, n);
	f->C_Finalize(NULL);
	rm_rf(dir);
}

TEST_F(grp, a_changed_groups_file_waits_for_a_restart)
{
	char log[300], text[512] = "", label[33], serial[17];
	CK_SLOT_ID slots[4];
	CK_ULONG n = 4;
	int fd, saved;
	FILE *lf;

	/* the boards go their own ways in the file */
	ASSERT_EQ(0, write_file(self->conf, "# no groups any more\n"));
	snprintf(log, sizeof(log), "%s/stderr", self->dir);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	ASSERT_EQ(CKR_OK, self->f->C_GetSlotList(CK_TRUE, NULL, &n));
	n = 4;
	ASSERT_EQ(CKR_OK, self->f->C_GetSlotList(CK_TRUE, NULL, &n));
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	/* the running process keeps its group */
	EXPECT_EQ(1u, n);
	n = 4;
	ASSERT_EQ(CKR_OK, self->f->C_GetSlotList(CK_TRUE, slots, &n));
	token_info(self->f, slots[0], label, serial);
	EXPECT_STREQ("cryptech-grp-dnssec", label);
	/* said once */
	lf = fopen(log, "r");
	ASSERT_NE(NULL, lf);
	n = fread(text, 1, sizeof(text) - 1, lf);
	fclose(lf);
	text[n] = '\0';
	EXPECT_NE(NULL, strstr(text, "the groups file changed; the groups read at C_Initialize stay in force until the application restarts\n"))
		TH_LOG("stderr: %s", text);
	EXPECT_EQ(NULL, strstr(strstr(text, "changed") + 1, "changed"));
	/* a restart applies it: each board its own token */
	ASSERT_EQ(CKR_OK, self->f->C_Finalize(NULL));
	ASSERT_EQ(CKR_OK, self->f->C_Initialize(NULL));
	n = 4;
	ASSERT_EQ(CKR_OK, self->f->C_GetSlotList(CK_TRUE, NULL, &n));
	EXPECT_EQ(2u, n);
}

TEST_F(grp, a_key_on_both_boards_is_one_object)
{
	CK_OBJECT_HANDLE h[8], pubs[8];
	CK_OBJECT_CLASS pc = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE pt = { CKA_CLASS, &pc, sizeof(pc) };
	CK_ULONG one = 1, n;
	CK_ATTRIBUTE only_one = { CKA_REPLICAS, &one, sizeof(one) };
	uint8_t lone[16];
	CK_BBOOL fully = CK_FALSE;
	CK_OBJECT_HANDLE shared, single;

	load_shared(_metadata, self);
	ASSERT_EQ(0, seam_add_bare_key(self->b[0], lone));
	ASSERT_EQ(CKR_OK, self->f->C_Login(self->s, CKU_USER, PIN, PIN_LEN));
	ASSERT_EQ(2u, find_private(self->f, self->s, h, 8));
	/* tell them apart by their copies */
	if (replicas(self->f, self->s, h[0], &fully) == 2) {
		shared = h[0];
		single = h[1];
	} else {
		shared = h[1];
		single = h[0];
	}
	EXPECT_EQ(2u, replicas(self->f, self->s, shared, &fully));
	EXPECT_EQ(CK_TRUE, fully);
	EXPECT_EQ(1u, replicas(self->f, self->s, single, &fully));
	EXPECT_EQ(CK_FALSE, fully);
	/* the public halves: one each, too */
	ASSERT_EQ(CKR_OK, self->f->C_FindObjectsInit(self->s, &pt, 1));
	ASSERT_EQ(CKR_OK, self->f->C_FindObjects(self->s, pubs, 8, &n));
	self->f->C_FindObjectsFinal(self->s);
	EXPECT_EQ(2u, n);
	/* the vendor attribute finds the keys that are not everywhere */
	ASSERT_EQ(CKR_OK, self->f->C_FindObjectsInit(self->s, &only_one, 1));
	ASSERT_EQ(CKR_OK, self->f->C_FindObjects(self->s, h, 8, &n));
	self->f->C_FindObjectsFinal(self->s);
	ASSERT_EQ(2u, n);	/* the lone key and its public half */
	EXPECT_TRUE(h[0] == single || h[1] == single);
	/* the handle is stable */
	ASSERT_EQ(2u, find_private(self->f, self->s, h, 8));
	EXPECT_TRUE(h[0] == shared || h[1] == shared);
}

TEST_F(grp, signatures_spread_over_both_boards)
{
	CK_OBJECT_HANDLE h[4];
	unsigned long s0, s1;
	int i;

	load_shared(_metadata, self);
	ASSERT_EQ(CKR_OK, self->f->C_Login(self->s, CKU_USER, PIN, PIN_LEN));
	ASSERT_EQ(1u, find_private(self->f, self->s, h, 4));
	s0 = seam_requests_of(self->b[0], RPC_FUNC_PKEY_SIGN);
	s1 = seam_requests_of(self->b[1], RPC_FUNC_PKEY_SIGN);
	for (i = 0; i < 20; i++)
		ASSERT_EQ(CKR_OK, sign_once(self->f, self->s, h[0], self->shared));
	s0 = seam_requests_of(self->b[0], RPC_FUNC_PKEY_SIGN) - s0;
	s1 = seam_requests_of(self->b[1], RPC_FUNC_PKEY_SIGN) - s1;
	EXPECT_EQ(20u, s0 + s1);
	EXPECT_LE(5u, s0);
	EXPECT_LE(5u, s1);
}

TEST_F(grp, unplugging_a_board_is_invisible_to_the_signer)
{
	CK_MECHANISM m = { CKM_ECDSA, NULL, 0 };
	unsigned char dg[32], sig[64];
	CK_OBJECT_HANDLE h[4];
	CK_SESSION_INFO info;
	CK_ULONG len = sizeof(sig);
	unsigned long before;
	int i;

	load_shared(_metadata, self);
	ASSERT_EQ(CKR_OK, self->f->C_Login(self->s, CKU_USER, PIN, PIN_LEN));
	ASSERT_EQ(1u, find_private(self->f, self->s, h, 4));
	/* between C_SignInit and C_Sign */
	memset(dg, 0x11, sizeof(dg));
	ASSERT_EQ(CKR_OK, self->f->C_SignInit(self->s, &m, h[0]));
	seam_unplug(self->b[0]);
	ASSERT_EQ(CKR_OK, self->f->C_Sign(self->s, dg, sizeof(dg), sig, &len));
	EXPECT_TRUE(verify_ecdsa(self->shared, dg, sizeof(dg), sig, len));
	for (i = 0; i < 5; i++)
		ASSERT_EQ(CKR_OK, sign_once(self->f, self->s, h[0], self->shared));
	ASSERT_EQ(CKR_OK, self->f->C_GetSessionInfo(self->s, &info));
	EXPECT_EQ(CKS_RW_USER_FUNCTIONS, info.state);
	/* the first board comes back, the second goes, mid-series */
	seam_replug(self->b[0]);
	before = seam_requests_of(self->b[0], RPC_FUNC_PKEY_SIGN);
	for (i = 0; i < 10; i++) {
		if (i == 4)
			seam_unplug(self->b[1]);
		ASSERT_EQ(CKR_OK, sign_once(self->f, self->s, h[0], self->shared))
			TH_LOG("signature %d", i);
	}
	EXPECT_LE(before + 6, seam_requests_of(self->b[0], RPC_FUNC_PKEY_SIGN));
	/* both gone: the key has no board left */
	seam_unplug(self->b[0]);
	EXPECT_EQ(CKR_DEVICE_REMOVED, sign_once(self->f, self->s, h[0], NULL));
	ASSERT_EQ(CKR_OK, self->f->C_GetSessionInfo(self->s, &info));
	/* back: the same session signs again, no C_Initialize, no C_Login */
	seam_replug(self->b[1]);
	ASSERT_EQ(CKR_OK, sign_once(self->f, self->s, h[0], self->shared));
	before = seam_requests_of(self->b[1], RPC_FUNC_PKEY_SIGN);
	ASSERT_EQ(CKR_OK, sign_once(self->f, self->s, h[0], self->shared));
	EXPECT_EQ(before + 1, seam_requests_of(self->b[1], RPC_FUNC_PKEY_SIGN));
}

/*
 * A board away when the signer found its key, back later: the signer's
 * requests go to it again without a new search (the module looks for
 * absent boards once a second, so this polls, bounded, for its first
 * signature there).
 */
TEST_F(grp, a_board_back_serves_keys_found_without_it)
{
	CK_OBJECT_HANDLE h[4];
	unsigned long before;
	int i;

	load_shared(_metadata, self);
	seam_unplug(self->b[0]);
	ASSERT_EQ(CKR_OK, self->f->C_Login(self->s, CKU_USER, PIN, PIN_LEN));
	ASSERT_EQ(1u, find_private(self->f, self->s, h, 4));
	ASSERT_EQ(CKR_OK, sign_once(self->f, self->s, h[0], self->shared));
	seam_replug(self->b[0]);
	before = seam_requests_of(self->b[0], RPC_FUNC_PKEY_SIGN);
	for (i = 0; i < 5000 &&
	     seam_requests_of(self->b[0], RPC_FUNC_PKEY_SIGN) == before; i++) {
		ASSERT_EQ(CKR_OK, sign_once(self->f, self->s, h[0], self->shared));
		usleep(1000);
	}
	EXPECT_LT(before, seam_requests_of(self->b[0], RPC_FUNC_PKEY_SIGN))
		TH_LOG("board 0 never signed again after %d signatures", i);
}

struct signer {
	CK_FUNCTION_LIST_PTR f;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE key;
	EVP_PKEY *pub;
	int done, failed;
	CK_RV first_error;
};

static void *sign_many(void *arg)
{
	struct signer *sg = arg;
	CK_RV rv;
	int i;

	for (i = 0; i < 40; i++) {
		rv = sign_once(sg->f, sg->s, sg->key, sg->pub);
		if (rv != CKR_OK && !sg->failed++)
			sg->first_error = rv;
		__atomic_add_fetch(&sg->done, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

TEST_F(grp, threads_sign_through_an_unplug)
{
	struct signer sg[4];
	pthread_t t[4];
	CK_OBJECT_HANDLE h[4];
	int i, total;

	load_shared(_metadata, self);
	ASSERT_EQ(CKR_OK, self->f->C_Login(self->s, CKU_USER, PIN, PIN_LEN));
	ASSERT_EQ(1u, find_private(self->f, self->s, h, 4));
	seam_set_service_ms(2);		/* requests overlap */
	seam_reset_parallel();
	for (i = 0; i < 4; i++) {
		memset(&sg[i], 0, sizeof(sg[i]));
		sg[i].f = self->f;
		sg[i].key = h[0];
		sg[i].pub = self->shared;
		ASSERT_EQ(CKR_OK, self->f->C_OpenSession(self->slot, CKF_SERIAL_SESSION,
							 NULL, NULL, &sg[i].s));
		ASSERT_EQ(0, pthread_create(&t[i], NULL, sign_many, &sg[i]));
	}
	/* unplug one board once the signers are under way */
	do {
		for (i = 0, total = 0; i < 4; i++)
			total += __atomic_load_n(&sg[i].done, __ATOMIC_SEQ_CST);
		sched_yield();
	} while (total < 40);
	seam_unplug(self->b[1]);
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(0, sg[i].failed) TH_LOG("signer %d: first error 0x%lx", i,
						   sg[i].first_error);
	}
	seam_set_service_ms(0);
	EXPECT_LE(2u, seam_max_parallel());
}

TEST_F(grp, a_timeout_is_retried_on_the_other_board)
{
	CK_OBJECT_HANDLE h[4];
	unsigned long before[2];
	int i;

	load_shared(_metadata, self);
	ASSERT_EQ(CKR_OK, self->f->C_Login(self->s, CKU_USER, PIN, PIN_LEN));
	ASSERT_EQ(1u, find_private(self->f, self->s, h, 4));
	for (i = 0; i < 2; i++)
		before[i] = seam_requests_of(self->b[i], RPC_FUNC_PKEY_SIGN);
	/* the board the request goes to times out, as the driver reports
	 * after op_timeout_ms: the other board signs */
	seam_fail_next_sign(ETIMEDOUT);
	ASSERT_EQ(CKR_OK, sign_once(self->f, self->s, h[0], self->shared));
	EXPECT_EQ(1u, seam_requests_of(self->b[0], RPC_FUNC_PKEY_SIGN) - before[0] +
		  seam_requests_of(self->b[1], RPC_FUNC_PKEY_SIGN) - before[1]);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(CKR_OK, sign_once(self->f, self->s, h[0], self->shared));
}

TEST_F(grp, a_key_on_an_absent_board_only)
{
	CK_OBJECT_HANDLE h[4], only1, shared;
	CK_BBOOL fully;
	uint8_t uuid[16];

	load_shared(_metadata, self);
	ASSERT_EQ(0, seam_add_bare_key(self->b[1], uuid));
	ASSERT_EQ(CKR_OK, self->f->C_Login(self->s, CKU_USER, PIN, PIN_LEN));
	ASSERT_EQ(2u, find_private(self->f, self->s, h, 4));
	if (replicas(self->f, self->s, h[0], &fully) == 1) {
		only1 = h[0];
		shared = h[1];
	} else {
		only1 = h[1];
		shared = h[0];
	}
	ASSERT_EQ(CKR_OK, sign_once(self->f, self->s, only1, NULL));
	seam_unplug(self->b[1]);
	EXPECT_EQ(CKR_DEVICE_REMOVED, sign_once(self->f, self->s, only1, NULL));
	EXPECT_EQ(CKR_OK, sign_once(self->f, self->s, shared, self->shared));
	EXPECT_EQ(1u, replicas(self->f, self->s, shared, &fully));
	EXPECT_EQ(CK_FALSE, fully);
}

TEST_F(grp, relabel_changes_every_copy)
{
	static const char label[] = "ksk-2027";
	CK_ATTRIBUTE set = { CKA_LABEL, (void *)label, sizeof(label) - 1 };
	CK_ATTRIBUTE by_label = set;
	CK_OBJECT_HANDLE h[4];
	CK_ULONG n = 0;
	int i;

	load_shared(_metadata, self);
	ASSERT_EQ(CKR_OK, self->f->C_Login(self->s, CKU_USER, PIN, PIN_LEN));
	ASSERT_EQ(1u, find_private(self->f, self->s, h, 4));
	ASSERT_EQ(CKR_OK, self->f->C_SetAttributeValue(self->s, h[0], &set, 1));
	/* each board alone finds it by the new label */
	for (i = 0; i < 2; i++) {
		seam_unplug(self->b[i]);
		ASSERT_EQ(CKR_OK, sign_once(self->f, self->s, h[0], NULL));
		ASSERT_EQ(CKR_OK, self->f->C_FindObjectsInit(self->s, &by_label, 1));
		ASSERT_EQ(CKR_OK, self->f->C_FindObjects(self->s, h + 1, 3, &n));
		self->f->C_FindObjectsFinal(self->s);
		/* the key and its public half, which shows its label */
		EXPECT_EQ(2u, n) TH_LOG("board %d alone", 1 - i);
		EXPECT_TRUE(h[1] == h[0] || h[2] == h[0]);
		seam_replug(self->b[i]);
	}
}

TEST_F(grp, destroy_removes_every_copy)
{
	CK_OBJECT_HANDLE h[4];

	load_shared(_metadata, self);
	ASSERT_EQ(CKR_OK, self->f->C_Login(self->s, CKU_USER, PIN, PIN_LEN));
	ASSERT_EQ(1u, find_private(self->f, self->s, h, 4));
	EXPECT_EQ(1u, seam_keys(self->b[0], true));
	EXPECT_EQ(1u, seam_keys(self->b[1], true));
	ASSERT_EQ(CKR_OK, self->f->C_DestroyObject(self->s, h[0]));
	EXPECT_EQ(0u, seam_keys(self->b[0], true));
	EXPECT_EQ(0u, seam_keys(self->b[1], true));
	EXPECT_EQ(0u, find_private(self->f, self->s, h, 4));
	EXPECT_EQ(CKR_KEY_HANDLE_INVALID, sign_once(self->f, self->s, h[0], NULL));
}

/* A copy left on an absent board would come back with it: refused. */
TEST_F(grp, destroy_waits_for_every_board)
{
	CK_OBJECT_HANDLE h[4];

	load_shared(_metadata, self);
	ASSERT_EQ(CKR_OK, self->f->C_Login(self->s, CKU_USER, PIN, PIN_LEN));
	ASSERT_EQ(1u, find_private(self->f, self->s, h, 4));
	seam_unplug(self->b[1]);
	EXPECT_EQ(CKR_FUNCTION_FAILED, self->f->C_DestroyObject(self->s, h[0]));
	EXPECT_EQ(1u, seam_keys(self->b[0], true));
	EXPECT_EQ(CKR_OK, sign_once(self->f, self->s, h[0], NULL));
	seam_replug(self->b[1]);
	EXPECT_EQ(1u, seam_keys(self->b[1], true));
	ASSERT_EQ(CKR_OK, self->f->C_DestroyObject(self->s, h[0]));
	EXPECT_EQ(0u, seam_keys(self->b[0], true));
	EXPECT_EQ(0u, seam_keys(self->b[1], true));
}

/* Give board @b another user PIN, as an operator's mistake would. */
static int set_user_pin(int b, const char *pin)
{
	struct hsm_session *hs;
	int ret = hsm_open(seam_board_path(b), &hs);

	if (ret)
		return ret;
	ret = hsm_login(hs, HSM_USER_SO, SEAM_SO_PIN, sizeof(SEAM_SO_PIN) - 1, NULL);
	if (!ret)
		ret = hsm_set_pin(hs, HSM_USER_NORMAL, pin, strlen(pin), NULL);
	hsm_close(hs);
	return ret;
}

TEST_F(grp, a_board_with_another_pin_is_left_out)
{
	static const char other[] = "other-pin-999";
	CK_OBJECT_HANDLE h[4];
	CK_BBOOL fully;
	unsigned long s1;
	int i;

	load_shared(_metadata, self);
	ASSERT_EQ(0, set_user_pin(self->b[1], other));
	/* the first board takes the PIN: the group is logged in */
	ASSERT_EQ(CKR_OK, self->f->C_Login(self->s, CKU_USER, PIN, PIN_LEN));
	EXPECT_LE(1u, seam_logins(self->b[0]));
	EXPECT_EQ(0u, seam_logins(self->b[1]));
	ASSERT_EQ(1u, find_private(self->f, self->s, h, 4));
	EXPECT_EQ(1u, replicas(self->f, self->s, h[0], &fully));
	s1 = seam_requests_of(self->b[1], RPC_FUNC_PKEY_SIGN);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(CKR_OK, sign_once(self->f, self->s, h[0], self->shared));
	/* not asked again (each wrong PIN costs the board's delay) */
	EXPECT_EQ(0u, seam_logins(self->b[1]));
	EXPECT_EQ(s1, seam_requests_of(self->b[1], RPC_FUNC_PKEY_SIGN));
	ASSERT_EQ(CKR_OK, self->f->C_Logout(self->s));
	/* the other board's PIN: now the first board is left out */
	ASSERT_EQ(CKR_OK, self->f->C_Login(self->s, CKU_USER, (CK_UTF8CHAR_PTR)other,
					   sizeof(other) - 1));
	EXPECT_EQ(0u, seam_logins(self->b[0]));
	EXPECT_LE(1u, seam_logins(self->b[1]));
}

TEST_F(grp, login_and_what_a_group_refuses)
{
	unsigned char rnd[8];

	EXPECT_EQ(CKR_PIN_INCORRECT,
		  self->f->C_Login(self->s, CKU_USER, (CK_UTF8CHAR_PTR)"wrong-pin", 9));
	EXPECT_EQ(0u, seam_logins(self->b[0]));
	EXPECT_EQ(0u, seam_logins(self->b[1]));
	EXPECT_EQ(CKR_USER_TYPE_INVALID,
		  self->f->C_Login(self->s, CKU_SO, (CK_UTF8CHAR_PTR)SEAM_SO_PIN,
				   sizeof(SEAM_SO_PIN) - 1));
	ASSERT_EQ(CKR_OK, self->f->C_Login(self->s, CKU_USER, PIN, PIN_LEN));
	/* every board is logged in */
	EXPECT_LE(1u, seam_logins(self->b[0]));
	EXPECT_LE(1u, seam_logins(self->b[1]));
	EXPECT_EQ(CKR_OK, self->f->C_GenerateRandom(self->s, rnd, sizeof(rnd)));
	EXPECT_EQ(CKR_FUNCTION_NOT_SUPPORTED,
		  self->f->C_InitPIN(self->s, PIN, PIN_LEN));
	EXPECT_EQ(CKR_FUNCTION_NOT_SUPPORTED,
		  self->f->C_SetPIN(self->s, PIN, PIN_LEN, PIN, PIN_LEN));
	ASSERT_EQ(CKR_OK, self->f->C_Logout(self->s));
	EXPECT_EQ(0u, seam_logins(self->b[0]));
	EXPECT_EQ(0u, seam_logins(self->b[1]));
}

static const unsigned char p256_oid[] = {
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };

/* Knot's EC template (no CKA_EXTRACTABLE), or with @extractable (0/1),
 * or session objects (@token false). */
static CK_RV gen_ec(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, const char *id,
		    int extractable, CK_BBOOL token, CK_OBJECT_HANDLE *pub,
		    CK_OBJECT_HANDLE *priv)
{
	static const CK_BBOOL yes = CK_TRUE;
	CK_BBOOL ex = extractable ? CK_TRUE : CK_FALSE;
	CK_MECHANISM m = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_ATTRIBUTE pt[] = {
		{ CKA_EC_PARAMS, (void *)p256_oid, sizeof(p256_oid) },
		{ CKA_TOKEN, &token, 1 },
		{ CKA_VERIFY, (void *)&yes, 1 },
		{ CKA_ID, (void *)id, strlen(id) },
	};
	CK_ATTRIBUTE kt[] = {
		{ CKA_TOKEN, &token, 1 },
		{ CKA_PRIVATE, (void *)&yes, 1 },
		{ CKA_SENSITIVE, (void *)&yes, 1 },
		{ CKA_SIGN, (void *)&yes, 1 },
		{ CKA_ID, (void *)id, strlen(id) },
		{ CKA_LABEL, (void *)id, strlen(id) },
		{ CKA_EXTRACTABLE, &ex, 1 },
	};

	return f->C_GenerateKeyPair(s, &m, pt, 4, kt, extractable < 0 ? 6 : 7,
				    pub, priv);
}

/* CKA_ID, CKA_LABEL and CKA_EC_POINT of @h, concatenated into @out. */
static size_t describe(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s,
		       CK_OBJECT_HANDLE h, unsigned char *out)
{
	unsigned char id[64], label[64], point[100];
	CK_ATTRIBUTE a[] = {
		{ CKA_ID, id, sizeof(id) },
		{ CKA_LABEL, label, sizeof(label) },
		{ CKA_EC_POINT, point, sizeof(point) },
	};
	size_t n = 0, i;

	if (f->C_GetAttributeValue(s, h, a, 3) != CKR_OK)
		return 0;
	for (i = 0; i < 3; i++) {
		memcpy(out + n, a[i].pValue, a[i].ulValueLen);
		n += a[i].ulValueLen;
	}
	return n;
}

TEST_F(grp, keygen_copies_the_pair_to_every_board)
{
	CK_OBJECT_HANDLE pub, priv, h[4];
	unsigned char before[300], after[300], pbefore[300], pafter[300];
	size_t nb, na, pnb, pna;
	unsigned long s0, s1;
	CK_BBOOL fully = CK_FALSE;
	int i;

	ASSERT_EQ(CKR_OK, self->f->C_Login(self->s, CKU_USER, PIN, PIN_LEN));
	/* what cannot be copied is refused before anything is made */
	EXPECT_EQ(CKR_TEMPLATE_INCONSISTENT,
		  gen_ec(self->f, self->s, "k0", 0, CK_TRUE, &pub, &priv));
	EXPECT_EQ(CKR_TEMPLATE_INCONSISTENT,
		  gen_ec(self->f, self->s, "k0", 1, CK_FALSE, &pub, &priv));
	EXPECT_EQ(0u, seam_keys(self->b[0], true) + seam_keys(self->b[1], true));

	ASSERT_EQ(CKR_OK, gen_ec(self->f, self->s, "zsk-1", -1, CK_TRUE, &pub, &priv));
	/* the pair on both boards (and the KEKEK the copy needed) */
	EXPECT_LE(2u, seam_keys(self->b[0], true));
	EXPECT_LE(2u, seam_keys(self->b[1], true));
	EXPECT_EQ(5u, seam_keys(self->b[0], true) + seam_keys(self->b[1], true));
	EXPECT_EQ(2u, replicas(self->f, self->s, priv, &fully));
	EXPECT_EQ(CK_TRUE, fully);
	EXPECT_EQ(2u, replicas(self->f, self->s, pub, &fully));
	/* one object each, the handles returned */
	ASSERT_EQ(1u, find_private(self->f, self->s, h, 4));
	EXPECT_EQ(priv, h[0]);
	/* the same public key and attributes from either board */
	nb = describe(self->f, self->s, priv, before);
	pnb = describe(self->f, self->s, pub, pbefore);
	ASSERT_LT(0u, nb);
	ASSERT_LT(0u, pnb);
	s0 = seam_requests_of(self->b[0], RPC_FUNC_PKEY_SIGN);
	s1 = seam_requests_of(self->b[1], RPC_FUNC_PKEY_SIGN);
	for (i = 0; i < 10; i++)
		ASSERT_EQ(CKR_OK, sign_once(self->f, self->s, priv, NULL));
	EXPECT_LT(s0, seam_requests_of(self->b[0], RPC_FUNC_PKEY_SIGN));
	EXPECT_LT(s1, seam_requests_of(self->b[1], RPC_FUNC_PKEY_SIGN));
	for (i = 0; i < 2; i++) {
		seam_unplug(self->b[i]);
		ASSERT_EQ(CKR_OK, sign_once(self->f, self->s, priv, NULL));
		na = describe(self->f, self->s, priv, after);
		pna = describe(self->f, self->s, pub, pafter);
		EXPECT_EQ(nb, na);
		EXPECT_EQ(0, memcmp(before, after, nb)) TH_LOG("board %d", 1 - i);
		EXPECT_EQ(pnb, pna);
		EXPECT_EQ(0, memcmp(pbefore, pafter, pnb));
		seam_replug(self->b[i]);
	}
}

/* A copy failing on the last of three boards: no copy is left anywhere. */
TEST(keygen_failing_copy_leaves_nothing)
{
	static const char *const ids[] = { "EMU00000", "EMU00001", "EMU00002" };
	char dir[] = "/tmp/p11group.XXXXXX", sub[300], list[1000] = "";
	CK_FUNCTION_LIST_PTR f;
	CK_OBJECT_HANDLE pub, priv, h[4];
	CK_SESSION_HANDLE s;
	CK_SLOT_ID slot;
	CK_ULONG n = 1;
	unsigned k0, k1;
	int b[3], i;
	void *dl;

	ASSERT_NE(NULL, mkdtemp(dir));
	for (i = 0; i < 3; i++) {
		snprintf(sub, sizeof(sub), "%s/b%d", dir, i);
		ASSERT_EQ(0, mkdir(sub, 0700));
		b[i] = seam_board_add(sub, ids[i]);
		ASSERT_LE(0, b[i]);
		if (i)
			strcat(list, ",");
		strcat(list, seam_board_path(b[i]));
	}
	ASSERT_EQ(0, setenv("HSM_PKCS11_DEVICES", list, 1));
	snprintf(sub, sizeof(sub), "%s/groups.conf", dir);
	ASSERT_EQ(0, write_file(sub, "[group three]\nboards = EMU00000 EMU00001 EMU00002\n"));
	ASSERT_EQ(0, setenv("HSM_GROUPS_CONF", sub, 1));
	f = load_module(&dl);
	ASSERT_NE(NULL, f);
	ASSERT_EQ(CKR_OK, f->C_Initialize(NULL));
	ASSERT_EQ(CKR_OK, f->C_GetSlotList(CK_TRUE, &slot, &n));
	ASSERT_EQ(1u, n);
	ASSERT_EQ(CKR_OK, f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
					   NULL, NULL, &s));
	ASSERT_EQ(CKR_OK, f->C_Login(s, CKU_USER, PIN, PIN_LEN));
	/* one key first, so every board has its KEKEK */
	ASSERT_EQ(CKR_OK, gen_ec(f, s, "first", 1, CK_TRUE, &pub, &priv));
	ASSERT_EQ(1u, find_private(f, s, h, 4));
	k0 = seam_keys(b[0], true);
	k1 = seam_keys(b[1], true);
	seam_fail_next_import(b[2]);
	EXPECT_EQ(CKR_DEVICE_ERROR, gen_ec(f, s, "second", 1, CK_TRUE, &pub, &priv));
	/* the generated pair and the copy on the second board went again */
	EXPECT_EQ(k0, seam_keys(b[0], true));
	EXPECT_EQ(k1, seam_keys(b[1], true));
	EXPECT_EQ(1u, find_private(f, s, h, 4));
	/* and the next one works */
	ASSERT_EQ(CKR_OK, gen_ec(f, s, "third", 1, CK_TRUE, &pub, &priv));
	EXPECT_EQ(3u, replicas(f, s, priv, &(CK_BBOOL){ 0 }));
	f->C_Finalize(NULL);
	rm_rf(dir);
}

TEST_HARNESS_MAIN
