// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The PKCS#11 module against the emulator's board, through the test seam
 * (seam.h): no kernel, no VM. The module is dlopen()ed as applications do
 * and driven through its function list. Each test runs in a process of its
 * own (the kselftest harness forks), with fresh boards.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
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

/* Boards in a scratch directory, listed for the module. */
static int make_boards(char *dir, size_t len, const char *const *ids, int n,
		       int *idx)
{
	char list[4096] = "", sub[512];
	int i;

	snprintf(dir, len, "/tmp/p11test.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	for (i = 0; i < n; i++) {
		snprintf(sub, sizeof(sub), "%s/b%d", dir, i);
		if (mkdir(sub, 0700) < 0)
			return -1;
		idx[i] = seam_board_add(sub, ids[i]);
		if (idx[i] < 0)
			return -1;
		if (i)
			strcat(list, ",");
		strcat(list, seam_board_path(idx[i]));
	}
	return setenv("HSM_PKCS11_DEVICES", list, 1);
}

static void rm_rf(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", dir);
}

/* ---- one board, the module initialised, one R/W session ---------------- */

FIXTURE(tok) {
	char dir[256];
	int board;
	void *dl;
	CK_FUNCTION_LIST_PTR f;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s;
};

FIXTURE_SETUP(tok)
{
	static const char *const ids[] = { "EMU00000" };
	CK_ULONG n = 1;

	ASSERT_EQ(0, make_boards(self->dir, sizeof(self->dir), ids, 1,
				 &self->board));
	self->f = load_module(&self->dl);
	ASSERT_NE(NULL, self->f);
	ASSERT_EQ(CKR_OK, self->f->C_Initialize(NULL));
	ASSERT_EQ(CKR_OK, self->f->C_GetSlotList(CK_TRUE, &self->slot, &n));
	ASSERT_EQ(1u, n);
	ASSERT_EQ(CKR_OK, self->f->C_OpenSession(self->slot,
						 CKF_SERIAL_SESSION | CKF_RW_SESSION,
						 NULL, NULL, &self->s));
}

FIXTURE_TEARDOWN(tok)
{
	if (self->f)
		self->f->C_Finalize(NULL);
	rm_rf(self->dir);
}

static CK_RV login(struct __test_metadata *_metadata, FIXTURE_DATA(tok) *self)
{
	(void)_metadata;
	return self->f->C_Login(self->s, CKU_USER, PIN, PIN_LEN);
}

static const CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
static const unsigned char p256_oid[] = {
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };

/* Knot's EC template (GnuTLS): no CKA_CLASS, no CKA_KEY_TYPE. */
static CK_RV gen_ec(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s,
		    const char *id, CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv)
{
	CK_MECHANISM m = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_ATTRIBUTE pt[] = {
		{ CKA_EC_PARAMS, (void *)p256_oid, sizeof(p256_oid) },
		{ CKA_TOKEN, (void *)&yes, 1 },
		{ CKA_VERIFY, (void *)&yes, 1 },
		{ CKA_ID, (void *)id, strlen(id) },
	};
	CK_ATTRIBUTE kt[] = {
		{ CKA_TOKEN, (void *)&yes, 1 },
		{ CKA_PRIVATE, (void *)&yes, 1 },
		{ CKA_SENSITIVE, (void *)&yes, 1 },
		{ CKA_SIGN, (void *)&yes, 1 },
		{ CKA_ID, (void *)id, strlen(id) },
		{ CKA_LABEL, (void *)id, strlen(id) },
	};

	return f->C_GenerateKeyPair(s, &m, pt, 4, kt, 6, pub, priv);
}

/* RSA, with CKA_DECRYPT true as Knot asks (or false, as OpenDNSSEC). */
static CK_RV gen_rsa(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s,
		     const char *id, CK_ULONG bits, CK_BBOOL decrypt,
		     CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv)
{
	static const unsigned char e[] = { 1, 0, 1 };
	CK_OBJECT_CLASS pc = CKO_PUBLIC_KEY, kc = CKO_PRIVATE_KEY;
	CK_KEY_TYPE ktype = CKK_RSA;
	CK_MECHANISM m = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_ATTRIBUTE pt[] = {
		{ CKA_CLASS, &pc, sizeof(pc) },
		{ CKA_KEY_TYPE, &ktype, sizeof(ktype) },
		{ CKA_MODULUS_BITS, &bits, sizeof(bits) },
		{ CKA_PUBLIC_EXPONENT, (void *)e, 3 },
		{ CKA_TOKEN, (void *)&yes, 1 },
		{ CKA_VERIFY, (void *)&yes, 1 },
		{ CKA_ENCRYPT, &decrypt, 1 },
		{ CKA_ID, (void *)id, strlen(id) },
	};
	CK_ATTRIBUTE kt[] = {
		{ CKA_CLASS, &kc, sizeof(kc) },
		{ CKA_KEY_TYPE, &ktype, sizeof(ktype) },
		{ CKA_TOKEN, (void *)&yes, 1 },
		{ CKA_PRIVATE, (void *)&yes, 1 },
		{ CKA_SENSITIVE, (void *)&yes, 1 },
		{ CKA_SIGN, (void *)&yes, 1 },
		{ CKA_DECRYPT, &decrypt, 1 },
		{ CKA_EXTRACTABLE, (void *)&no, 1 },
		{ CKA_ID, (void *)id, strlen(id) },
	};

	return f->C_GenerateKeyPair(s, &m, pt, 8, kt, 9, pub, priv);
}

/* An OpenSSL public key from the object's CKA_EC_POINT or modulus. */
static EVP_PKEY *pubkey_of(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s,
			   CK_OBJECT_HANDLE h)
{
	unsigned char buf[1024];
	CK_ATTRIBUTE a = { CKA_PUBLIC_KEY_INFO, buf, sizeof(buf) };
	const unsigned char *p = buf;

	if (f->C_GetAttributeValue(s, h, &a, 1) != CKR_OK)
		return NULL;
	return d2i_PUBKEY(NULL, &p, (long)a.ulValueLen);
}

static int ossl_verify_ecdsa(EVP_PKEY *pk, const unsigned char *dg, size_t dlen,
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

static int ossl_verify_rsa_sha256(EVP_PKEY *pk, const void *msg, size_t len,
				  const unsigned char *sig, size_t slen)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = EVP_DigestVerifyInit(c, NULL, EVP_sha256(), NULL, pk) == 1 &&
		 EVP_DigestVerify(c, sig, slen, msg, len) == 1;

	EVP_MD_CTX_free(c);
	return ok;
}

/* ---- initialisation ----------------------------------------------------- */

static int mutexes_made;
static CK_RV mk(CK_VOID_PTR_PTR m)
{
	pthread_mutex_t *p = malloc(sizeof(*p));

	pthread_mutex_init(p, NULL);
	*m = p;
	mutexes_made++;
	return CKR_OK;
}
static CK_RV rmm(CK_VOID_PTR m) { pthread_mutex_destroy(m); free(m); return CKR_OK; }
static CK_RV lk(CK_VOID_PTR m) { pthread_mutex_lock(m); return CKR_OK; }
static CK_RV ulk(CK_VOID_PTR m) { pthread_mutex_unlock(m); return CKR_OK; }

TEST(initialize_arguments)
{
	char dir[256];
	int b;
	static const char *const ids[] = { "EMU00000" };
	void *dl;
	CK_FUNCTION_LIST_PTR f;
	CK_C_INITIALIZE_ARGS a;
	CK_INFO info;
	CK_ULONG n = 0;

	ASSERT_EQ(0, make_boards(dir, sizeof(dir), ids, 1, &b));
	f = load_module(&dl);
	ASSERT_NE(NULL, f);
	EXPECT_EQ(2, f->version.major);
	EXPECT_EQ(40, f->version.minor);
	EXPECT_EQ(CKR_CRYPTOKI_NOT_INITIALIZED, f->C_GetInfo(&info));
	EXPECT_EQ(CKR_CRYPTOKI_NOT_INITIALIZED, f->C_GetSlotList(0, NULL, &n));
	EXPECT_EQ(CKR_CRYPTOKI_NOT_INITIALIZED, f->C_Finalize(NULL));

	memset(&a, 0, sizeof(a));
	a.pReserved = &a;
	EXPECT_EQ(CKR_ARGUMENTS_BAD, f->C_Initialize(&a));
	memset(&a, 0, sizeof(a));
	a.CreateMutex = mk;	/* some callbacks but not all */
	EXPECT_EQ(CKR_ARGUMENTS_BAD, f->C_Initialize(&a));

	/* OS locking */
	memset(&a, 0, sizeof(a));
	a.flags = CKF_OS_LOCKING_OK;
	ASSERT_EQ(CKR_OK, f->C_Initialize(&a));
	EXPECT_EQ(CKR_CRYPTOKI_ALREADY_INITIALIZED, f->C_Initialize(&a));
	ASSERT_EQ(CKR_OK, f->C_GetInfo(&info));
	EXPECT_EQ(2, info.cryptokiVersion.major);
	EXPECT_EQ(40, info.cryptokiVersion.minor);
	EXPECT_EQ(CKR_ARGUMENTS_BAD, f->C_Finalize(&a));
	ASSERT_EQ(CKR_OK, f->C_Finalize(NULL));

	/* only the application's mutex callbacks: they are used */
	memset(&a, 0, sizeof(a));
	a.CreateMutex = mk;
	a.DestroyMutex = rmm;
	a.LockMutex = lk;
	a.UnlockMutex = ulk;
	ASSERT_EQ(CKR_OK, f->C_Initialize(&a));
	EXPECT_LT(0, mutexes_made);
	ASSERT_EQ(CKR_OK, f->C_GetSlotList(CK_TRUE, NULL, &n));
	EXPECT_EQ(1u, n);
	ASSERT_EQ(CKR_OK, f->C_Finalize(NULL));
	rm_rf(dir);
}

TEST(interface_list)
{
	typedef struct { CK_CHAR *name; CK_VOID_PTR list; CK_FLAGS flags; } iface;
	CK_RV (*getlist)(iface *, CK_ULONG *);
	CK_RV (*get)(CK_UTF8CHAR_PTR, CK_VERSION *, iface **, CK_FLAGS);
	CK_FUNCTION_LIST_PTR f;
	iface list[2], *one = NULL;
	CK_VERSION v = { 2, 40 }, v3 = { 3, 0 };
	CK_ULONG n = 0;
	void *dl;

	f = load_module(&dl);
	ASSERT_NE(NULL, f);
	getlist = (CK_RV (*)(iface *, CK_ULONG *))dlsym(dl, "C_GetInterfaceList");
	get = (CK_RV (*)(CK_UTF8CHAR_PTR, CK_VERSION *, iface **, CK_FLAGS))
	      dlsym(dl, "C_GetInterface");
	ASSERT_NE(NULL, getlist);
	ASSERT_NE(NULL, get);
	ASSERT_EQ(CKR_OK, getlist(NULL, &n));
	ASSERT_EQ(1u, n);
	n = 0;
	EXPECT_EQ(CKR_BUFFER_TOO_SMALL, getlist(list, &n));
	EXPECT_EQ(1u, n);
	ASSERT_EQ(CKR_OK, getlist(list, &n));
	EXPECT_STREQ("PKCS 11", (char *)list[0].name);
	EXPECT_EQ((void *)f, list[0].list);
	ASSERT_EQ(CKR_OK, get((CK_UTF8CHAR_PTR)"PKCS 11", &v, &one, 0));
	EXPECT_EQ((void *)f, one->list);
	ASSERT_EQ(CKR_OK, get(NULL, NULL, &one, 0));
	EXPECT_EQ(CKR_ARGUMENTS_BAD, get(NULL, &v3, &one, 0));
	EXPECT_EQ(CKR_ARGUMENTS_BAD, get((CK_UTF8CHAR_PTR)"Vendor", NULL, &one, 0));
	EXPECT_EQ(CKR_ARGUMENTS_BAD, getlist(list, NULL));
}

/* ---- slots and tokens ------------------------------------------------------ */

static void token_label(CK_FUNCTION_LIST_PTR f, CK_SLOT_ID slot, char *label,
			char *serial)
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
		label[i] = 0;
	for (i = 15; i >= 0 && serial[i] == ' '; i--)
		serial[i] = 0;
}

TEST_F(tok, token_label_and_serial_from_the_board_identity)
{
	CK_TOKEN_INFO ti;
	CK_SLOT_INFO si;
	char label[33], serial[17];

	token_label(self->f, self->slot, label, serial);
	EXPECT_STREQ("cryptech-EMU00000", label);
	EXPECT_STREQ("EMU00000", serial);
	ASSERT_EQ(CKR_OK, self->f->C_GetTokenInfo(self->slot, &ti));
	EXPECT_TRUE(ti.flags & CKF_RNG);
	EXPECT_TRUE(ti.flags & CKF_LOGIN_REQUIRED);
	EXPECT_TRUE(ti.flags & CKF_TOKEN_INITIALIZED);
	EXPECT_EQ(1u, ti.ulSessionCount);
	ASSERT_EQ(CKR_OK, self->f->C_GetSlotInfo(self->slot, &si));
	EXPECT_TRUE(si.flags & CKF_TOKEN_PRESENT);
	EXPECT_TRUE(si.flags & CKF_HW_SLOT);
	EXPECT_EQ(CKR_SLOT_ID_INVALID, self->f->C_GetTokenInfo(99, &ti));
	EXPECT_EQ(CKR_ARGUMENTS_BAD, self->f->C_GetTokenInfo(self->slot, NULL));
	EXPECT_EQ(CKR_FUNCTION_NOT_SUPPORTED,
		  self->f->C_InitToken(self->slot, PIN, PIN_LEN,
				       (CK_UTF8CHAR_PTR)"x"));
	/* No cryptech_hsm netlink family here: no events to wait on. */
	EXPECT_EQ(CKR_ARGUMENTS_BAD,
		  self->f->C_WaitForSlotEvent(CKF_DONT_BLOCK, NULL, NULL));
	{
		CK_SLOT_ID ev;

		EXPECT_EQ(CKR_FUNCTION_NOT_SUPPORTED,
			  self->f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev, NULL));
	}
}

TEST(labels_follow_identity_not_attach_order)
{
	static const char *const ids[] = { "EMU00000", "EMU00001" };
	static const char *const no_id[] = { "" };
	char dir[256], dir2[256], list[1024], label[33], serial[17];
	CK_SLOT_ID slots[4];
	CK_ULONG n = 4;
	CK_FUNCTION_LIST_PTR f;
	int b[2], c;
	void *dl;

	ASSERT_EQ(0, make_boards(dir, sizeof(dir), ids, 2, b));
	f = load_module(&dl);
	ASSERT_NE(NULL, f);
	/* the second board attached first */
	snprintf(list, sizeof(list), "%s,%s", seam_board_path(b[1]),
		 seam_board_path(b[0]));
	setenv("HSM_PKCS11_DEVICES", list, 1);
	ASSERT_EQ(CKR_OK, f->C_Initialize(NULL));
	ASSERT_EQ(CKR_OK, f->C_GetSlotList(CK_TRUE, slots, &n));
	ASSERT_EQ(2u, n);
	token_label(f, slots[0], label, serial);
	EXPECT_STREQ("cryptech-EMU00001", label);
	EXPECT_STREQ("EMU00001", serial);
	token_label(f, slots[1], label, serial);
	EXPECT_STREQ("cryptech-EMU00000", label);
	ASSERT_EQ(CKR_OK, f->C_Finalize(NULL));

	/* A kernel without board identities: the documented fallback. */
	ASSERT_EQ(0, make_boards(dir2, sizeof(dir2), no_id, 1, &c));
	ASSERT_EQ(CKR_OK, f->C_Initialize(NULL));
	n = 4;
	ASSERT_EQ(CKR_OK, f->C_GetSlotList(CK_TRUE, slots, &n));
	ASSERT_EQ(1u, n);
	token_label(f, slots[0], label, serial);
	EXPECT_EQ(0, strncmp(label, "cryptech-hsm", 12));
	EXPECT_EQ(NULL, strchr(label, ' '));
	ASSERT_EQ(CKR_OK, f->C_Finalize(NULL));
	rm_rf(dir);
	rm_rf(dir2);
}

TEST_F(tok, unplug_and_replug)
{
	CK_SESSION_HANDLE s2;
	CK_SESSION_INFO info;
	CK_SLOT_ID slots[2];
	CK_ULONG n = 2;
	unsigned char rnd[8];

	ASSERT_EQ(CKR_OK, login(_metadata, self));
	seam_unplug(self->board);
	/* the session in use learns it first */
	EXPECT_EQ(CKR_DEVICE_REMOVED, self->f->C_GenerateRandom(self->s, rnd, 8));
	EXPECT_EQ(CKR_DEVICE_REMOVED, self->f->C_GetSessionInfo(self->s, &info));
	ASSERT_EQ(CKR_OK, self->f->C_GetSlotList(CK_TRUE, NULL, &n));
	EXPECT_EQ(0u, n);
	n = 2;
	ASSERT_EQ(CKR_OK, self->f->C_GetSlotList(CK_FALSE, slots, &n));
	EXPECT_EQ(1u, n);
	EXPECT_EQ(CKR_TOKEN_NOT_PRESENT,
		  self->f->C_OpenSession(self->slot, CKF_SERIAL_SESSION, NULL,
					 NULL, &s2));
	EXPECT_EQ(CKR_OK, self->f->C_CloseSession(self->s));

	seam_replug(self->board);
	n = 2;
	ASSERT_EQ(CKR_OK, self->f->C_GetSlotList(CK_TRUE, NULL, &n));
	ASSERT_EQ(1u, n);
	ASSERT_EQ(CKR_OK, self->f->C_GetSlotList(CK_TRUE, slots, &n));
	EXPECT_EQ(self->slot, slots[0]);	/* the same slot again */
	ASSERT_EQ(CKR_OK, self->f->C_OpenSession(self->slot, CKF_SERIAL_SESSION,
						 NULL, NULL, &s2));
	EXPECT_EQ(CKR_OK, self->f->C_Login(s2, CKU_USER, PIN, PIN_LEN));
	EXPECT_EQ(CKR_OK, self->f->C_GenerateRandom(s2, rnd, 8));
}

/* ---- login ----------------------------------------------------------------- */

TEST_F(tok, login_states)
{
	CK_SESSION_INFO info;
	CK_SESSION_HANDLE ro;

	EXPECT_EQ(CKR_PIN_INCORRECT,
		  self->f->C_Login(self->s, CKU_USER, (CK_UTF8CHAR_PTR)"wrong-pin", 9));
	EXPECT_EQ(CKR_PIN_INCORRECT,
		  self->f->C_Login(self->s, CKU_USER, (CK_UTF8CHAR_PTR)"abc", 3));
	EXPECT_EQ(CKR_ARGUMENTS_BAD, self->f->C_Login(self->s, CKU_USER, NULL, 4));
	EXPECT_EQ(CKR_USER_TYPE_INVALID, self->f->C_Login(self->s, 7, PIN, PIN_LEN));
	EXPECT_EQ(CKR_USER_NOT_LOGGED_IN, self->f->C_Logout(self->s));
	EXPECT_EQ(CKR_SESSION_HANDLE_INVALID,
		  self->f->C_Login(self->s + 100, CKU_USER, PIN, PIN_LEN));
	ASSERT_EQ(CKR_OK, login(_metadata, self));
	EXPECT_EQ(CKR_USER_ALREADY_LOGGED_IN, login(_metadata, self));
	EXPECT_EQ(CKR_USER_ANOTHER_ALREADY_LOGGED_IN,
		  self->f->C_Login(self->s, CKU_SO, (CK_UTF8CHAR_PTR)SEAM_SO_PIN,
				   sizeof(SEAM_SO_PIN) - 1));
	ASSERT_EQ(CKR_OK, self->f->C_GetSessionInfo(self->s, &info));
	EXPECT_EQ(CKS_RW_USER_FUNCTIONS, info.state);
	ASSERT_EQ(CKR_OK, self->f->C_Logout(self->s));
	ASSERT_EQ(CKR_OK, self->f->C_GetSessionInfo(self->s, &info));
	EXPECT_EQ(CKS_RW_PUBLIC_SESSION, info.state);
	EXPECT_EQ(0u, seam_logins(self->board));	/* the pool is closed */

	/* SO: not while a read-only session exists */
	ASSERT_EQ(CKR_OK, self->f->C_OpenSession(self->slot, CKF_SERIAL_SESSION,
						 NULL, NULL, &ro));
	EXPECT_EQ(CKR_SESSION_READ_ONLY_EXISTS,
		  self->f->C_Login(self->s, CKU_SO, (CK_UTF8CHAR_PTR)SEAM_SO_PIN,
				   sizeof(SEAM_SO_PIN) - 1));
	ASSERT_EQ(CKR_OK, self->f->C_CloseSession(ro));
	EXPECT_EQ(CKR_SESSION_PARALLEL_NOT_SUPPORTED,
		  self->f->C_OpenSession(self->slot, 0, NULL, NULL, &ro));
}

TEST_F(tok, so_sets_the_user_pin)
{
	static const char newpin[] = "a-new-user-pin";

	EXPECT_EQ(CKR_USER_NOT_LOGGED_IN,
		  self->f->C_InitPIN(self->s, (CK_UTF8CHAR_PTR)newpin, 14));
	ASSERT_EQ(CKR_OK, self->f->C_Login(self->s, CKU_SO,
					   (CK_UTF8CHAR_PTR)SEAM_SO_PIN,
					   sizeof(SEAM_SO_PIN) - 1));
	EXPECT_EQ(CKR_PIN_LEN_RANGE,
		  self->f->C_InitPIN(self->s, (CK_UTF8CHAR_PTR)"abc", 3));
	ASSERT_EQ(CKR_OK, self->f->C_InitPIN(self->s, (CK_UTF8CHAR_PTR)newpin, 14));
	ASSERT_EQ(CKR_OK, self->f->C_Logout(self->s));
	EXPECT_EQ(CKR_PIN_INCORRECT, login(_metadata, self));
	ASSERT_EQ(CKR_OK, self->f->C_Login(self->s, CKU_USER,
					   (CK_UTF8CHAR_PTR)newpin, 14));
}

TEST_F(tok, no_login_slot_left_is_reported)
{
	seam_take_logins(self->board, 0);
	EXPECT_EQ(CKR_DEVICE_MEMORY, login(_metadata, self));
	seam_release_logins(self->board);
	EXPECT_EQ(CKR_OK, login(_metadata, self));
}

/* ---- keys ------------------------------------------------------------------- */

TEST_F(tok, generate_and_read_public_attributes_from_both_objects)
{
	CK_OBJECT_HANDLE pub, priv, rpub, rpriv;
	unsigned char pt1[100], pt2[100], mod1[600], mod2[600], buf[64];
	CK_ATTRIBUTE a1 = { CKA_EC_POINT, pt1, sizeof(pt1) };
	CK_ATTRIBUTE a2 = { CKA_EC_POINT, pt2, sizeof(pt2) };
	CK_ATTRIBUTE m1 = { CKA_MODULUS, mod1, sizeof(mod1) };
	CK_ATTRIBUTE m2 = { CKA_MODULUS, mod2, sizeof(mod2) };
	CK_OBJECT_CLASS cls;
	CK_KEY_TYPE kt;
	CK_BBOOL b;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_SIGN, &b, 1 },
		{ CKA_ID, buf, sizeof(buf) },
	};

	EXPECT_EQ(CKR_USER_NOT_LOGGED_IN, gen_ec(self->f, self->s, "k1", &pub, &priv));
	ASSERT_EQ(CKR_OK, login(_metadata, self));
	ASSERT_EQ(CKR_OK, gen_ec(self->f, self->s, "k1", &pub, &priv));
	ASSERT_EQ(CKR_OK, self->f->C_GetAttributeValue(self->s, pub, &a1, 1));
	ASSERT_EQ(CKR_OK, self->f->C_GetAttributeValue(self->s, priv, &a2, 1));
	EXPECT_EQ(67u, a1.ulValueLen);	/* 04 41 04 X Y */
	ASSERT_EQ(a1.ulValueLen, a2.ulValueLen);
	EXPECT_EQ(0, memcmp(pt1, pt2, a1.ulValueLen));
	EXPECT_EQ(0x04, pt1[0]);
	EXPECT_EQ(0x41, pt1[1]);
	ASSERT_EQ(CKR_OK, self->f->C_GetAttributeValue(self->s, priv, t, 4));
	EXPECT_EQ(CKO_PRIVATE_KEY, cls);
	EXPECT_EQ(CKK_EC, kt);
	EXPECT_EQ(CK_TRUE, b);
	EXPECT_EQ(2u, t[3].ulValueLen);
	EXPECT_EQ(0, memcmp("k1", buf, 2));

	ASSERT_EQ(CKR_OK, gen_rsa(self->f, self->s, "r1", 1024, CK_TRUE, &rpub, &rpriv));
	ASSERT_EQ(CKR_OK, self->f->C_GetAttributeValue(self->s, rpub, &m1, 1));
	ASSERT_EQ(CKR_OK, self->f->C_GetAttributeValue(self->s, rpriv, &m2, 1));
	EXPECT_EQ(128u, m1.ulValueLen);
	ASSERT_EQ(m1.ulValueLen, m2.ulValueLen);
	EXPECT_EQ(0, memcmp(mod1, mod2, m1.ulValueLen));
	/* OpenDNSSEC's template: CKA_DECRYPT false */
	ASSERT_EQ(CKR_OK, gen_rsa(self->f, self->s, "r2", 1024, CK_FALSE, &rpub, &rpriv));
}

/* The board attributes are protocol §7.8's layout: read them raw. */
TEST_F(tok, attributes_are_stored_in_the_cryptech_layout)
{
	CK_OBJECT_HANDLE pub, priv;
	uint8_t uuid[16];
	CK_ATTRIBUTE a = { CKA_ID, NULL, 0 };
	struct hsm_session *hs;
	uint8_t (*uuids)[16] = NULL;
	size_t n = 0, len;
	uint32_t h;
	unsigned char v[16];
	struct hsm_attr id = { CKA_ID, 3, "raw" };
	struct hsm_match_filter flt = { .attrs = &id, .n_attrs = 1 };

	ASSERT_EQ(CKR_OK, login(_metadata, self));
	ASSERT_EQ(CKR_OK, gen_ec(self->f, self->s, "raw", &pub, &priv));
	(void)a;
	ASSERT_EQ(0, hsm_open(seam_board_path(self->board), &hs));
	ASSERT_EQ(0, hsm_login(hs, HSM_USER_NORMAL, SEAM_USER_PIN, PIN_LEN, NULL));
	ASSERT_EQ(0, hsm_match_all(hs, &flt, &uuids, &n, NULL));
	ASSERT_EQ(2u, n);		/* the private and the public key */
	memcpy(uuid, uuids[0], 16);
	free(uuids);
	ASSERT_EQ(0, hsm_open_key(hs, uuid, &h, NULL));
	len = sizeof(v);
	ASSERT_EQ(0, hsm_get_attribute(hs, h, CKA_CLASS, v, &len, NULL));
	ASSERT_EQ(8u, len);		/* CK_ULONG: 8 bytes little-endian */
	EXPECT_TRUE((v[0] == CKO_PRIVATE_KEY || v[0] == CKO_PUBLIC_KEY) &&
		    !v[1] && !v[7]);
	len = sizeof(v);
	ASSERT_EQ(0, hsm_get_attribute(hs, h, CKA_TOKEN, v, &len, NULL));
	ASSERT_EQ(1u, len);		/* CK_BBOOL: one byte */
	EXPECT_EQ(1, v[0]);
	len = sizeof(v);
	ASSERT_EQ(0, hsm_get_attribute(hs, h, CKA_KEY_TYPE, v, &len, NULL));
	ASSERT_EQ(8u, len);
	EXPECT_EQ(CKK_EC, v[0]);
	hsm_close(hs);
}

TEST_F(tok, template_checks)
{
	CK_OBJECT_HANDLE pub, priv;
	CK_OBJECT_CLASS wrong = CKO_SECRET_KEY;
	CK_ULONG bits = 512, big = 8192;
	CK_MECHANISM m = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_MECHANISM rm = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_MECHANISM bad = { CKM_DSA_KEY_PAIR_GEN, NULL, 0 };
	static const unsigned char p192[] = { 0x06, 0x08, 0x2a, 0x86, 0x48,
		0xce, 0x3d, 0x03, 0x01, 0x01 };
	CK_ATTRIBUTE pt[] = {
		{ CKA_EC_PARAMS, (void *)p256_oid, sizeof(p256_oid) },
		{ CKA_TOKEN, (void *)&yes, 1 },
	};
	CK_ATTRIBUTE kt_wrong[] = {
		{ CKA_CLASS, &wrong, sizeof(wrong) },
		{ CKA_TOKEN, (void *)&yes, 1 },
	};
	CK_ATTRIBUTE kt[] = { { CKA_TOKEN, (void *)&yes, 1 } };
	CK_ATTRIBUTE kt_dup[] = { { CKA_TOKEN, (void *)&yes, 1 },
				  { CKA_TOKEN, (void *)&no, 1 } };
	CK_ATTRIBUTE kt_unknown[] = { { CKA_TOKEN, (void *)&yes, 1 },
				      { 0x7ffffff0, (void *)&yes, 1 } };
	CK_ATTRIBUTE kt_insensitive[] = { { CKA_TOKEN, (void *)&yes, 1 },
					  { CKA_SENSITIVE, (void *)&no, 1 } };
	CK_ATTRIBUTE pt_192[] = {
		{ CKA_EC_PARAMS, (void *)p192, sizeof(p192) },
		{ CKA_TOKEN, (void *)&yes, 1 },
	};
	CK_ATTRIBUTE rpt[] = { { CKA_MODULUS_BITS, &bits, sizeof(bits) },
			       { CKA_TOKEN, (void *)&yes, 1 } };
	CK_ATTRIBUTE rpt_big[] = { { CKA_MODULUS_BITS, &big, sizeof(big) },
				   { CKA_TOKEN, (void *)&yes, 1 } };
	CK_ATTRIBUTE rpt_none[] = { { CKA_TOKEN, (void *)&yes, 1 } };

	ASSERT_EQ(CKR_OK, login(_metadata, self));
	EXPECT_EQ(CKR_TEMPLATE_INCONSISTENT,
		  self->f->C_GenerateKeyPair(self->s, &m, pt, 2, kt_wrong, 2, &pub, &priv));
	EXPECT_EQ(CKR_TEMPLATE_INCONSISTENT,
		  self->f->C_GenerateKeyPair(self->s, &m, pt, 2, kt_dup, 2, &pub, &priv));
	EXPECT_EQ(CKR_ATTRIBUTE_TYPE_INVALID,
		  self->f->C_GenerateKeyPair(self->s, &m, pt, 2, kt_unknown, 2, &pub, &priv));
	EXPECT_EQ(CKR_ATTRIBUTE_VALUE_INVALID,
		  self->f->C_GenerateKeyPair(self->s, &m, pt, 2, kt_insensitive, 2, &pub, &priv));
	EXPECT_EQ(CKR_CURVE_NOT_SUPPORTED,
		  self->f->C_GenerateKeyPair(self->s, &m, pt_192, 2, kt, 1, &pub, &priv));
	EXPECT_EQ(CKR_TEMPLATE_INCOMPLETE,
		  self->f->C_GenerateKeyPair(self->s, &m, kt, 1, kt, 1, &pub, &priv));
	EXPECT_EQ(CKR_KEY_SIZE_RANGE,
		  self->f->C_GenerateKeyPair(self->s, &rm, rpt, 2, kt, 1, &pub, &priv));
	EXPECT_EQ(CKR_KEY_SIZE_RANGE,
		  self->f->C_GenerateKeyPair(self->s, &rm, rpt_big, 2, kt, 1, &pub, &priv));
	EXPECT_EQ(CKR_TEMPLATE_INCOMPLETE,
		  self->f->C_GenerateKeyPair(self->s, &rm, rpt_none, 1, kt, 1, &pub, &priv));
	EXPECT_EQ(CKR_MECHANISM_INVALID,
		  self->f->C_GenerateKeyPair(self->s, &bad, pt, 2, kt, 1, &pub, &priv));
	EXPECT_EQ(CKR_ARGUMENTS_BAD,
		  self->f->C_GenerateKeyPair(self->s, NULL, pt, 2, kt, 1, &pub, &priv));
	EXPECT_EQ(CKR_ARGUMENTS_BAD,
		  self->f->C_GenerateKeyPair(self->s, &m, NULL, 2, kt, 1, &pub, &priv));
	/* nothing was created by any of these */
	EXPECT_EQ(0u, seam_requests_of(self->board, RPC_FUNC_PKEY_GENERATE_EC));
	EXPECT_EQ(0u, seam_requests_of(self->board, RPC_FUNC_PKEY_GENERATE_RSA));
}

TEST_F(tok, attribute_errors)
{
	CK_OBJECT_HANDLE pub, priv;
	unsigned char small[4], big[200];
	CK_ATTRIBUTE sens[] = { { CKA_VALUE, big, sizeof(big) } };
	CK_ATTRIBUTE unk[] = { { 0x7ffffff0, big, sizeof(big) },
			       { CKA_ID, big, sizeof(big) } };
	CK_ATTRIBUTE shortbuf[] = { { CKA_EC_POINT, small, sizeof(small) } };
	CK_ATTRIBUTE lenq[] = { { CKA_EC_POINT, NULL, 0 } };
	CK_ATTRIBUTE label = { CKA_LABEL, (void *)"renamed", 7 };
	CK_ATTRIBUTE ro = { CKA_SIGN, (void *)&no, 1 };

	ASSERT_EQ(CKR_OK, login(_metadata, self));
	ASSERT_EQ(CKR_OK, gen_ec(self->f, self->s, "ae", &pub, &priv));
	EXPECT_EQ(CKR_ATTRIBUTE_SENSITIVE,
		  self->f->C_GetAttributeValue(self->s, priv, sens, 1));
	EXPECT_EQ(CK_UNAVAILABLE_INFORMATION, sens[0].ulValueLen);
	EXPECT_EQ(CKR_ATTRIBUTE_TYPE_INVALID,
		  self->f->C_GetAttributeValue(self->s, priv, unk, 2));
	EXPECT_EQ(CK_UNAVAILABLE_INFORMATION, unk[0].ulValueLen);
	EXPECT_EQ(2u, unk[1].ulValueLen);	/* the others are still filled */
	EXPECT_EQ(CKR_BUFFER_TOO_SMALL,
		  self->f->C_GetAttributeValue(self->s, pub, shortbuf, 1));
	EXPECT_EQ(CK_UNAVAILABLE_INFORMATION, shortbuf[0].ulValueLen);
	ASSERT_EQ(CKR_OK, self->f->C_GetAttributeValue(self->s, pub, lenq, 1));
	EXPECT_EQ(67u, lenq[0].ulValueLen);
	EXPECT_EQ(CKR_OBJECT_HANDLE_INVALID,
		  self->f->C_GetAttributeValue(self->s, 9999, lenq, 1));
	EXPECT_EQ(CKR_ARGUMENTS_BAD,
		  self->f->C_GetAttributeValue(self->s, pub, NULL, 1));
	EXPECT_EQ(CKR_SESSION_HANDLE_INVALID,
		  self->f->C_GetAttributeValue(0, pub, lenq, 1));
	EXPECT_EQ(CKR_ATTRIBUTE_READ_ONLY,
		  self->f->C_SetAttributeValue(self->s, priv, &ro, 1));
	ASSERT_EQ(CKR_OK, self->f->C_SetAttributeValue(self->s, priv, &label, 1));
	{
		unsigned char lb[32];
		CK_ATTRIBUTE g = { CKA_LABEL, lb, sizeof(lb) };

		ASSERT_EQ(CKR_OK, self->f->C_GetAttributeValue(self->s, priv, &g, 1));
		EXPECT_EQ(7u, g.ulValueLen);
		EXPECT_EQ(0, memcmp("renamed", lb, 7));
	}
}

/* ---- find and the cache ------------------------------------------------------ */

static CK_ULONG find(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s,
		     CK_ATTRIBUTE *t, CK_ULONG n, CK_OBJECT_HANDLE *out,
		     CK_ULONG max)
{
	CK_ULONG got = 0, total = 0;
	CK_OBJECT_HANDLE one;

	if (f->C_FindObjectsInit(s, t, n) != CKR_OK)
		return 9999;
	while (f->C_FindObjects(s, out ? out + total : &one, 1, &got) == CKR_OK &&
	       got == 1)
		if (++total == max && out)
			break;
	f->C_FindObjectsFinal(s);
	return total;
}

TEST_F(tok, find_by_id_label_class_and_all)
{
	CK_OBJECT_HANDLE pub, priv, h[8];
	CK_OBJECT_CLASS pk = CKO_PRIVATE_KEY, pubc = CKO_PUBLIC_KEY, data = CKO_DATA;
	CK_KEY_TYPE ec = CKK_EC;
	CK_ATTRIBUTE by_id[] = { { CKA_ID, (void *)"k2", 2 } };
	CK_ATTRIBUTE by_id_priv[] = { { CKA_CLASS, &pk, sizeof(pk) },
				      { CKA_ID, (void *)"k2", 2 } };
	CK_ATTRIBUTE by_label[] = { { CKA_LABEL, (void *)"k1", 2 } };
	CK_ATTRIBUTE by_class[] = { { CKA_CLASS, &pubc, sizeof(pubc) } };
	CK_ATTRIBUTE by_type[] = { { CKA_KEY_TYPE, &ec, sizeof(ec) },
				   { CKA_CLASS, &pk, sizeof(pk) } };
	CK_ATTRIBUTE by_data[] = { { CKA_CLASS, &data, sizeof(data) } };

	EXPECT_EQ(0u, find(self->f, self->s, NULL, 0, NULL, 0));  /* no login */
	ASSERT_EQ(CKR_OK, login(_metadata, self));
	ASSERT_EQ(CKR_OK, gen_ec(self->f, self->s, "k1", &pub, &priv));
	ASSERT_EQ(CKR_OK, gen_ec(self->f, self->s, "k2", &pub, &priv));
	EXPECT_EQ(4u, find(self->f, self->s, NULL, 0, NULL, 0));
	EXPECT_EQ(2u, find(self->f, self->s, by_id, 1, NULL, 0));
	ASSERT_EQ(1u, find(self->f, self->s, by_id_priv, 2, h, 8));
	EXPECT_EQ(priv, h[0]);
	EXPECT_EQ(1u, find(self->f, self->s, by_label, 1, NULL, 0));
	EXPECT_EQ(2u, find(self->f, self->s, by_class, 1, NULL, 0));
	EXPECT_EQ(2u, find(self->f, self->s, by_type, 2, NULL, 0));
	EXPECT_EQ(0u, find(self->f, self->s, by_data, 1, NULL, 0));

	/* operation state */
	ASSERT_EQ(CKR_OK, self->f->C_FindObjectsInit(self->s, NULL, 0));
	EXPECT_EQ(CKR_OPERATION_ACTIVE, self->f->C_FindObjectsInit(self->s, NULL, 0));
	EXPECT_EQ(CKR_ARGUMENTS_BAD, self->f->C_FindObjects(self->s, NULL, 1, NULL));
	ASSERT_EQ(CKR_OK, self->f->C_FindObjectsFinal(self->s));
	EXPECT_EQ(CKR_OPERATION_NOT_INITIALIZED, self->f->C_FindObjectsFinal(self->s));
	EXPECT_EQ(CKR_OPERATION_NOT_INITIALIZED,
		  self->f->C_FindObjects(self->s, h, 1, &(CK_ULONG){ 0 }));
}

TEST_F(tok, searches_cost_no_request_per_object)
{
	CK_OBJECT_HANDLE pub, priv;
	CK_ATTRIBUTE by_id[] = { { CKA_ID, (void *)"k7", 2 } };
	char id[8];
	unsigned long attrs, all;
	CK_ULONG n = 1;
	int i;

	/* Within the cache's TTL (the default 5 s can pass under valgrind on
	 * a busy machine, and entries are then read again, as they should). */
	ASSERT_EQ(CKR_OK, self->f->C_Finalize(NULL));
	ASSERT_EQ(0, setenv("HSM_PKCS11_CACHE_TTL_MS", "3600000", 1));
	ASSERT_EQ(CKR_OK, self->f->C_Initialize(NULL));
	ASSERT_EQ(CKR_OK, self->f->C_GetSlotList(CK_TRUE, &self->slot, &n));
	ASSERT_EQ(CKR_OK, self->f->C_OpenSession(self->slot,
						 CKF_SERIAL_SESSION | CKF_RW_SESSION,
						 NULL, NULL, &self->s));
	ASSERT_EQ(CKR_OK, login(_metadata, self));
	for (i = 0; i < 10; i++) {
		snprintf(id, sizeof(id), "k%d", i);
		ASSERT_EQ(CKR_OK, gen_ec(self->f, self->s, id, &pub, &priv));
	}
	EXPECT_EQ(20u, find(self->f, self->s, NULL, 0, NULL, 0));
	attrs = seam_requests_of(self->board, RPC_FUNC_PKEY_GET_ATTRIBUTES);
	all = seam_requests(self->board);
	/* again, and by id: one MATCH each, nothing per object */
	EXPECT_EQ(20u, find(self->f, self->s, NULL, 0, NULL, 0));
	EXPECT_EQ(2u, find(self->f, self->s, by_id, 1, NULL, 0));
	EXPECT_EQ(attrs, seam_requests_of(self->board, RPC_FUNC_PKEY_GET_ATTRIBUTES));
	EXPECT_EQ(all + 2, seam_requests(self->board));
}

TEST_F(tok, cache_follows_other_processes)
{
	CK_OBJECT_HANDLE pub, priv, h[4];
	CK_ATTRIBUTE by_id[] = { { CKA_ID, (void *)"gone", 4 } };
	CK_ATTRIBUTE by_label[] = { { CKA_LABEL, (void *)"relabelled", 10 } };
	uint8_t uuid[16];
	unsigned char lb[32];
	CK_ATTRIBUTE g = { CKA_LABEL, lb, sizeof(lb) };
	CK_MECHANISM m = { CKM_ECDSA, NULL, 0 };

	ASSERT_EQ(CKR_OK, login(_metadata, self));
	ASSERT_EQ(CKR_OK, gen_ec(self->f, self->s, "gone", &pub, &priv));
	ASSERT_EQ(2u, find(self->f, self->s, by_id, 1, h, 4));
	/* a key added elsewhere (as hsmctl makes them: no attributes)
	 * appears at the next search, with its public half */
	ASSERT_EQ(0, seam_add_bare_key(self->board, uuid));
	EXPECT_EQ(4u, find(self->f, self->s, NULL, 0, NULL, 0));
	/* relabelled elsewhere: a search by the new label finds it */
	ASSERT_EQ(0, seam_relabel(self->board, uuid, "relabelled"));
	ASSERT_EQ(2u, find(self->f, self->s, by_label, 1, h, 4));
	ASSERT_EQ(CKR_OK, self->f->C_GetAttributeValue(self->s, h[0], &g, 1));
	EXPECT_EQ(10u, g.ulValueLen);
	/* deleted elsewhere: gone from searches and its handle fails */
	ASSERT_EQ(0, seam_delete_key(self->board, uuid));
	EXPECT_EQ(0u, find(self->f, self->s, by_label, 1, NULL, 0));
	EXPECT_EQ(CKR_OK, self->f->C_SignInit(self->s, &m, priv));
	self->f->C_SignFinal(self->s, NULL, &(CK_ULONG){ 0 });
}

TEST_F(tok, bare_key_has_a_public_half)
{
	uint8_t uuid[16];
	CK_OBJECT_CLASS pubc = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE by_class[] = { { CKA_CLASS, &pubc, sizeof(pubc) } };
	CK_OBJECT_HANDLE h[2];
	unsigned char pt[100];
	CK_BBOOL priv_flag = CK_TRUE, verify = CK_FALSE;
	CK_ATTRIBUTE a[] = { { CKA_EC_POINT, pt, sizeof(pt) },
			     { CKA_PRIVATE, &priv_flag, 1 },
			     { CKA_VERIFY, &verify, 1 } };

	ASSERT_EQ(0, seam_add_bare_key(self->board, uuid));
	ASSERT_EQ(CKR_OK, login(_metadata, self));
	ASSERT_EQ(1u, find(self->f, self->s, by_class, 1, h, 2));
	ASSERT_EQ(CKR_OK, self->f->C_GetAttributeValue(self->s, h[0], a, 3));
	EXPECT_EQ(67u, a[0].ulValueLen);
	EXPECT_EQ(CK_FALSE, priv_flag);
	EXPECT_EQ(CK_TRUE, verify);
	EXPECT_EQ(CKR_ACTION_PROHIBITED, self->f->C_DestroyObject(self->s, h[0]));
}

/*
 * CKA_EC_POINT is the uncompressed point whatever form the board's SPKI
 * holds: libp11 keeps the form it reads, and BIND then wrote a compressed
 * point's x coordinate alone into the DNSKEY ("public key is invalid").
 */
TEST_F(tok, ec_point_is_uncompressed_whatever_the_spki_holds)
{
	uint8_t uuid[16], x[32];
	unsigned char *der = NULL, pt[100];
	CK_OBJECT_CLASS pubc = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE by_class[] = { { CKA_CLASS, &pubc, sizeof(pubc) } };
	CK_ATTRIBUTE a = { CKA_EC_POINT, pt, sizeof(pt) };
	CK_OBJECT_HANDLE h[2];
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	size_t xlen = 0;
	BIGNUM *bx = NULL;
	int n;

	ASSERT_NE(NULL, pk);
	ASSERT_EQ(1, EVP_PKEY_set_utf8_string_param(pk, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
						     OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_COMPRESSED));
	n = i2d_PUBKEY(pk, &der);
	ASSERT_EQ(59, n);	/* 33-byte point: compressed */
	ASSERT_EQ(1, EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_X, &bx));
	xlen = (size_t)BN_bn2binpad(bx, x, sizeof(x));
	ASSERT_EQ(32u, xlen);
	ASSERT_EQ(0, seam_add_public_key(self->board, der, (size_t)n, uuid));
	ASSERT_EQ(CKR_OK, login(_metadata, self));
	ASSERT_EQ(1u, find(self->f, self->s, by_class, 1, h, 2));
	ASSERT_EQ(CKR_OK, self->f->C_GetAttributeValue(self->s, h[0], &a, 1));
	EXPECT_EQ(67u, a.ulValueLen);	/* 04 41 04 X Y */
	EXPECT_EQ(0x04, pt[0]);
	EXPECT_EQ(0x41, pt[1]);
	EXPECT_EQ(0x04, pt[2]);
	EXPECT_EQ(0, memcmp(pt + 3, x, 32));
	BN_free(bx);
	OPENSSL_free(der);
	EVP_PKEY_free(pk);
}

/* ---- signing ------------------------------------------------------------------- */

TEST_F(tok, ecdsa_sign_verify)
{
	CK_OBJECT_HANDLE pub, priv;
	CK_MECHANISM m = { CKM_ECDSA_SHA256, NULL, 0 }, raw = { CKM_ECDSA, NULL, 0 };
	unsigned char sig[200], dg[32];
	CK_ULONG len = 0;
	unsigned long signs;
	EVP_PKEY *pk;

	ASSERT_EQ(CKR_OK, login(_metadata, self));
	ASSERT_EQ(CKR_OK, gen_ec(self->f, self->s, "e", &pub, &priv));
	pk = pubkey_of(self->f, self->s, pub);
	ASSERT_NE(NULL, pk);

	ASSERT_EQ(CKR_OK, self->f->C_SignInit(self->s, &m, priv));
	EXPECT_EQ(CKR_OPERATION_ACTIVE, self->f->C_SignInit(self->s, &m, priv));
	signs = seam_requests_of(self->board, RPC_FUNC_PKEY_SIGN);
	ASSERT_EQ(CKR_OK, self->f->C_Sign(self->s, (CK_BYTE_PTR)"zone", 4, NULL, &len));
	EXPECT_EQ(64u, len);
	len = 10;
	EXPECT_EQ(CKR_BUFFER_TOO_SMALL,
		  self->f->C_Sign(self->s, (CK_BYTE_PTR)"zone", 4, sig, &len));
	EXPECT_EQ(64u, len);
	/* the size queries signed nothing */
	EXPECT_EQ(signs, seam_requests_of(self->board, RPC_FUNC_PKEY_SIGN));
	len = sizeof(sig);
	ASSERT_EQ(CKR_OK, self->f->C_Sign(self->s, (CK_BYTE_PTR)"zone", 4, sig, &len));
	ASSERT_EQ(64u, len);
	EXPECT_EQ(signs + 1, seam_requests_of(self->board, RPC_FUNC_PKEY_SIGN));
	SHA256((const unsigned char *)"zone", 4, dg);
	EXPECT_TRUE(ossl_verify_ecdsa(pk, dg, 32, sig, 64));
	EXPECT_EQ(CKR_OPERATION_NOT_INITIALIZED,
		  self->f->C_Sign(self->s, (CK_BYTE_PTR)"zone", 4, sig, &len));

	/* the module's own verify, good and bad */
	ASSERT_EQ(CKR_OK, self->f->C_VerifyInit(self->s, &m, pub));
	EXPECT_EQ(CKR_OK, self->f->C_Verify(self->s, (CK_BYTE_PTR)"zone", 4, sig, 64));
	ASSERT_EQ(CKR_OK, self->f->C_VerifyInit(self->s, &m, pub));
	EXPECT_EQ(CKR_SIGNATURE_INVALID,
		  self->f->C_Verify(self->s, (CK_BYTE_PTR)"zonf", 4, sig, 64));
	ASSERT_EQ(CKR_OK, self->f->C_VerifyInit(self->s, &m, pub));
	EXPECT_EQ(CKR_SIGNATURE_LEN_RANGE,
		  self->f->C_Verify(self->s, (CK_BYTE_PTR)"zone", 4, sig, 63));

	/* raw ECDSA over the caller's digest; multi-part SHA256 */
	ASSERT_EQ(CKR_OK, self->f->C_SignInit(self->s, &raw, priv));
	len = sizeof(sig);
	ASSERT_EQ(CKR_OK, self->f->C_Sign(self->s, dg, 32, sig, &len));
	EXPECT_TRUE(ossl_verify_ecdsa(pk, dg, 32, sig, len));
	ASSERT_EQ(CKR_OK, self->f->C_SignInit(self->s, &m, priv));
	ASSERT_EQ(CKR_OK, self->f->C_SignUpdate(self->s, (CK_BYTE_PTR)"zo", 2));
	ASSERT_EQ(CKR_OK, self->f->C_SignUpdate(self->s, (CK_BYTE_PTR)"ne", 2));
	len = sizeof(sig);
	ASSERT_EQ(CKR_OK, self->f->C_SignFinal(self->s, sig, &len));
	EXPECT_TRUE(ossl_verify_ecdsa(pk, dg, 32, sig, len));
	ASSERT_EQ(CKR_OK, self->f->C_VerifyInit(self->s, &m, pub));
	ASSERT_EQ(CKR_OK, self->f->C_VerifyUpdate(self->s, (CK_BYTE_PTR)"zone", 4));
	EXPECT_EQ(CKR_OK, self->f->C_VerifyFinal(self->s, sig, len));
	EVP_PKEY_free(pk);
}

/* RSA-2048 generation takes long under valgrind. */
TEST_F_TIMEOUT(tok, rsa_sign_verify_every_mechanism, 600)
{
	static const CK_MECHANISM_TYPE mechs[] = {
		CKM_SHA1_RSA_PKCS, CKM_SHA256_RSA_PKCS, CKM_SHA384_RSA_PKCS,
		CKM_SHA512_RSA_PKCS, CKM_RSA_PKCS };
	static const unsigned char di256[] = { 0x30, 0x31, 0x30, 0x0d, 0x06,
		0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
		0x05, 0x00, 0x04, 0x20 };
	CK_OBJECT_HANDLE pub, priv;
	unsigned char sig[512], tbs[51];
	CK_ULONG len;
	EVP_PKEY *pk;
	size_t i;

	ASSERT_EQ(CKR_OK, login(_metadata, self));
	ASSERT_EQ(CKR_OK, gen_rsa(self->f, self->s, "r", 2048, CK_TRUE, &pub, &priv));
	pk = pubkey_of(self->f, self->s, pub);
	ASSERT_NE(NULL, pk);
	memcpy(tbs, di256, sizeof(di256));
	SHA256((const unsigned char *)"msg", 3, tbs + sizeof(di256));
	for (i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++) {
		CK_MECHANISM m = { mechs[i], NULL, 0 };
		const void *in = mechs[i] == CKM_RSA_PKCS ? (void *)tbs : "msg";
		CK_ULONG inl = mechs[i] == CKM_RSA_PKCS ? sizeof(tbs) : 3;

		ASSERT_EQ(CKR_OK, self->f->C_SignInit(self->s, &m, priv));
		len = 0;
		ASSERT_EQ(CKR_OK, self->f->C_Sign(self->s, (CK_BYTE_PTR)in, inl, NULL, &len));
		EXPECT_EQ(256u, len);
		ASSERT_EQ(CKR_OK, self->f->C_Sign(self->s, (CK_BYTE_PTR)in, inl, sig, &len));
		ASSERT_EQ(256u, len);
		ASSERT_EQ(CKR_OK, self->f->C_VerifyInit(self->s, &m, pub));
		EXPECT_EQ(CKR_OK, self->f->C_Verify(self->s, (CK_BYTE_PTR)in, inl, sig, len));
		if (mechs[i] == CKM_SHA256_RSA_PKCS || mechs[i] == CKM_RSA_PKCS)
			EXPECT_TRUE(ossl_verify_rsa_sha256(pk, "msg", 3, sig, len));
	}
	EVP_PKEY_free(pk);
}

TEST_F(tok, sign_errors)
{
	CK_OBJECT_HANDLE pub, priv, rpub, rpriv;
	CK_MECHANISM ec = { CKM_ECDSA_SHA256, NULL, 0 };
	CK_MECHANISM rsa = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_MECHANISM bad = { CKM_MD5_RSA_PKCS, NULL, 0 };
	CK_MECHANISM param = { CKM_ECDSA, (void *)"x", 1 };
	unsigned char sig[256];
	CK_ULONG len = sizeof(sig);

	EXPECT_EQ(CKR_USER_NOT_LOGGED_IN, self->f->C_SignInit(self->s, &ec, 1));
	ASSERT_EQ(CKR_OK, login(_metadata, self));
	ASSERT_EQ(CKR_OK, gen_ec(self->f, self->s, "e", &pub, &priv));
	ASSERT_EQ(CKR_OK, gen_rsa(self->f, self->s, "r", 1024, CK_FALSE, &rpub, &rpriv));
	EXPECT_EQ(CKR_MECHANISM_INVALID, self->f->C_SignInit(self->s, &bad, priv));
	EXPECT_EQ(CKR_MECHANISM_PARAM_INVALID, self->f->C_SignInit(self->s, &param, priv));
	EXPECT_EQ(CKR_KEY_TYPE_INCONSISTENT, self->f->C_SignInit(self->s, &ec, rpriv));
	EXPECT_EQ(CKR_KEY_TYPE_INCONSISTENT, self->f->C_SignInit(self->s, &rsa, priv));
	EXPECT_EQ(CKR_KEY_FUNCTION_NOT_PERMITTED, self->f->C_SignInit(self->s, &ec, pub));
	EXPECT_EQ(CKR_KEY_HANDLE_INVALID, self->f->C_SignInit(self->s, &ec, 4242));
	EXPECT_EQ(CKR_ARGUMENTS_BAD, self->f->C_SignInit(self->s, NULL, priv));
	EXPECT_EQ(CKR_OPERATION_NOT_INITIALIZED,
		  self->f->C_SignUpdate(self->s, (CK_BYTE_PTR)"x", 1));
	EXPECT_EQ(CKR_OPERATION_NOT_INITIALIZED, self->f->C_SignFinal(self->s, sig, &len));
	EXPECT_EQ(CKR_OPERATION_NOT_INITIALIZED,
		  self->f->C_Verify(self->s, (CK_BYTE_PTR)"x", 1, sig, 64));
	ASSERT_EQ(CKR_OK, self->f->C_SignInit(self->s, &ec, priv));
	EXPECT_EQ(CKR_ARGUMENTS_BAD, self->f->C_Sign(self->s, NULL, 4, sig, &len));
	/* the error ended the operation */
	EXPECT_EQ(CKR_OPERATION_NOT_INITIALIZED,
		  self->f->C_Sign(self->s, (CK_BYTE_PTR)"x", 1, sig, &len));
	/* C_Sign after C_SignUpdate */
	ASSERT_EQ(CKR_OK, self->f->C_SignInit(self->s, &ec, priv));
	ASSERT_EQ(CKR_OK, self->f->C_SignUpdate(self->s, (CK_BYTE_PTR)"x", 1));
	EXPECT_EQ(CKR_OPERATION_ACTIVE,
		  self->f->C_Sign(self->s, (CK_BYTE_PTR)"x", 1, sig, &len));
	/* raw RSA input too long for the key */
	{
		CK_MECHANISM raw = { CKM_RSA_PKCS, NULL, 0 };
		unsigned char big[120];

		memset(big, 1, sizeof(big));
		ASSERT_EQ(CKR_OK, self->f->C_SignInit(self->s, &raw, rpriv));
		len = sizeof(sig);
		EXPECT_EQ(CKR_DATA_LEN_RANGE,
			  self->f->C_Sign(self->s, big, sizeof(big), sig, &len));
	}
	/* destroyed key */
	ASSERT_EQ(CKR_OK, self->f->C_DestroyObject(self->s, priv));
	EXPECT_EQ(CKR_KEY_HANDLE_INVALID, self->f->C_SignInit(self->s, &ec, priv));
	EXPECT_EQ(CKR_OBJECT_HANDLE_INVALID, self->f->C_DestroyObject(self->s, priv));
}

TEST_F(tok, mechanisms)
{
	CK_MECHANISM_TYPE list[32];
	CK_MECHANISM_INFO mi;
	CK_ULONG n = 2;

	EXPECT_EQ(CKR_BUFFER_TOO_SMALL,
		  self->f->C_GetMechanismList(self->slot, list, &n));
	EXPECT_EQ(16u, n);
	n = 32;
	ASSERT_EQ(CKR_OK, self->f->C_GetMechanismList(self->slot, list, &n));
	ASSERT_EQ(CKR_OK, self->f->C_GetMechanismInfo(self->slot, CKM_RSA_PKCS, &mi));
	EXPECT_EQ(1024u, mi.ulMinKeySize);
	EXPECT_EQ(4096u, mi.ulMaxKeySize);
	EXPECT_TRUE(mi.flags & CKF_HW);
	EXPECT_TRUE(mi.flags & CKF_SIGN);
	EXPECT_FALSE(mi.flags & CKF_DECRYPT);
	ASSERT_EQ(CKR_OK, self->f->C_GetMechanismInfo(self->slot, CKM_ECDSA, &mi));
	EXPECT_EQ(256u, mi.ulMinKeySize);
	EXPECT_EQ(521u, mi.ulMaxKeySize);
	ASSERT_EQ(CKR_OK, self->f->C_GetMechanismInfo(self->slot, CKM_SHA256, &mi));
	EXPECT_FALSE(mi.flags & CKF_HW);
	EXPECT_EQ(CKR_MECHANISM_INVALID,
		  self->f->C_GetMechanismInfo(self->slot, CKM_AES_CBC, &mi));
}

TEST_F(tok, digest_and_random)
{
	CK_MECHANISM m = { CKM_SHA256, NULL, 0 };
	unsigned char out[64], ref[32], r1[40], r2[40];
	CK_ULONG len = 0;

	ASSERT_EQ(CKR_OK, self->f->C_DigestInit(self->s, &m));
	EXPECT_EQ(CKR_OPERATION_ACTIVE, self->f->C_DigestInit(self->s, &m));
	ASSERT_EQ(CKR_OK, self->f->C_Digest(self->s, (CK_BYTE_PTR)"abc", 3, NULL, &len));
	EXPECT_EQ(32u, len);
	len = 8;
	EXPECT_EQ(CKR_BUFFER_TOO_SMALL,
		  self->f->C_Digest(self->s, (CK_BYTE_PTR)"abc", 3, out, &len));
	len = sizeof(out);
	ASSERT_EQ(CKR_OK, self->f->C_Digest(self->s, (CK_BYTE_PTR)"abc", 3, out, &len));
	SHA256((const unsigned char *)"abc", 3, ref);
	EXPECT_EQ(32u, len);
	EXPECT_EQ(0, memcmp(ref, out, 32));
	ASSERT_EQ(CKR_OK, self->f->C_DigestInit(self->s, &m));
	ASSERT_EQ(CKR_OK, self->f->C_DigestUpdate(self->s, (CK_BYTE_PTR)"a", 1));
	ASSERT_EQ(CKR_OK, self->f->C_DigestUpdate(self->s, (CK_BYTE_PTR)"bc", 2));
	len = sizeof(out);
	ASSERT_EQ(CKR_OK, self->f->C_DigestFinal(self->s, out, &len));
	EXPECT_EQ(0, memcmp(ref, out, 32));
	EXPECT_EQ(CKR_OPERATION_NOT_INITIALIZED, self->f->C_DigestFinal(self->s, out, &len));
	m.mechanism = CKM_MD5;
	EXPECT_EQ(CKR_MECHANISM_INVALID, self->f->C_DigestInit(self->s, &m));

	/* random works before login and comes from the board */
	ASSERT_EQ(CKR_OK, self->f->C_GenerateRandom(self->s, r1, sizeof(r1)));
	ASSERT_EQ(CKR_OK, self->f->C_GenerateRandom(self->s, r2, sizeof(r2)));
	EXPECT_NE(0, memcmp(r1, r2, sizeof(r1)));
	EXPECT_LT(1u, seam_requests_of(self->board, RPC_FUNC_GET_RANDOM));
	EXPECT_EQ(CKR_ARGUMENTS_BAD, self->f->C_GenerateRandom(self->s, NULL, 4));
}

/* ---- the pool: parallel signing without exhausting the board's logins ------- */

struct signer {
	CK_FUNCTION_LIST_PTR f;
	CK_SLOT_ID slot;
	CK_OBJECT_HANDLE key;
	int ok;
};

static void *sign_loop(void *arg)
{
	struct signer *sg = arg;
	CK_MECHANISM m = { CKM_ECDSA_SHA256, NULL, 0 };
	CK_SESSION_HANDLE s;
	unsigned char sig[64];
	CK_ULONG len;
	int i;

	if (sg->f->C_OpenSession(sg->slot, CKF_SERIAL_SESSION, NULL, NULL, &s))
		return NULL;
	for (i = 0; i < 6; i++) {
		len = sizeof(sig);
		if (sg->f->C_SignInit(s, &m, sg->key) != CKR_OK ||
		    sg->f->C_Sign(s, (CK_BYTE_PTR)"rr", 2, sig, &len) != CKR_OK)
			return NULL;
	}
	sg->ok = 1;
	return NULL;
}

TEST_F(tok, sessions_sign_in_parallel_on_a_small_pool)
{
	CK_OBJECT_HANDLE pub, priv;
	struct signer sg[6];
	pthread_t th[6];
	int i;

	ASSERT_EQ(CKR_OK, login(_metadata, self));
	ASSERT_EQ(CKR_OK, gen_ec(self->f, self->s, "p", &pub, &priv));
	seam_set_service_ms(20);	/* a board that takes its time */
	seam_reset_parallel();
	for (i = 0; i < 6; i++) {
		sg[i] = (struct signer){ self->f, self->slot, priv, 0 };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, sign_loop, &sg[i]));
	}
	for (i = 0; i < 6; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(1, sg[i].ok);
	}
	seam_set_service_ms(0);
	/* the default pool: 2 logins, both busy at once */
	EXPECT_EQ(2u, seam_max_parallel());
	EXPECT_EQ(2u, seam_logins(self->board));
}

TEST_F(tok, pool_shares_what_the_board_has)
{
	CK_OBJECT_HANDLE pub, priv;
	struct signer sg[3];
	pthread_t th[3];
	int i;

	/* one login slot left: C_Login works, the pool cannot grow */
	seam_take_logins(self->board, 1);
	ASSERT_EQ(CKR_OK, login(_metadata, self));
	ASSERT_EQ(CKR_OK, gen_ec(self->f, self->s, "q", &pub, &priv));
	for (i = 0; i < 3; i++) {
		sg[i] = (struct signer){ self->f, self->slot, priv, 0 };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, sign_loop, &sg[i]));
	}
	for (i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(1, sg[i].ok);
	}
	EXPECT_EQ(10u, seam_logins(self->board));
}

TEST_F(tok, a_timed_out_session_leaves_the_pool)
{
	CK_OBJECT_HANDLE pub, priv;
	CK_MECHANISM m = { CKM_ECDSA_SHA256, NULL, 0 };
	unsigned char sig[64];
	CK_ULONG len;
	int i;

	ASSERT_EQ(CKR_OK, login(_metadata, self));
	ASSERT_EQ(CKR_OK, gen_ec(self->f, self->s, "t", &pub, &priv));
	seam_fail_next_sign(ETIMEDOUT);
	ASSERT_EQ(CKR_OK, self->f->C_SignInit(self->s, &m, priv));
	len = sizeof(sig);
	EXPECT_EQ(CKR_DEVICE_ERROR,
		  self->f->C_Sign(self->s, (CK_BYTE_PTR)"x", 1, sig, &len));
	/* the session that timed out answers EBUSY: never used again */
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(CKR_OK, self->f->C_SignInit(self->s, &m, priv));
		len = sizeof(sig);
		EXPECT_EQ(CKR_OK, self->f->C_Sign(self->s, (CK_BYTE_PTR)"x", 1, sig, &len));
	}
	EXPECT_GE(2u, seam_logins(self->board));
}

/* ---- fork ------------------------------------------------------------------------- */

TEST_F(tok, forked_child_initializes_again)
{
	CK_OBJECT_HANDLE pub, priv;
	CK_MECHANISM m = { CKM_ECDSA_SHA256, NULL, 0 };
	unsigned char sig[64];
	CK_ULONG len = sizeof(sig), n = 1;
	int status;
	pid_t pid;

	ASSERT_EQ(CKR_OK, login(_metadata, self));
	ASSERT_EQ(CKR_OK, gen_ec(self->f, self->s, "f", &pub, &priv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		CK_SLOT_ID slot;
		CK_SESSION_HANDLE s;
		CK_ATTRIBUTE t[] = { { CKA_ID, (void *)"f", 1 } };
		CK_OBJECT_HANDLE h[2];
		CK_ULONG k = 1;
		int bad = 0;

		/* the parent's state is not the child's */
		bad |= self->f->C_GetSlotList(CK_TRUE, NULL, &k) !=
		       CKR_CRYPTOKI_NOT_INITIALIZED;
		bad |= self->f->C_Sign(self->s, (CK_BYTE_PTR)"x", 1, sig, &len) !=
		       CKR_CRYPTOKI_NOT_INITIALIZED;
		bad |= self->f->C_Initialize(NULL) != CKR_OK;
		bad |= self->f->C_GetSlotList(CK_TRUE, &slot, &k) != CKR_OK;
		bad |= self->f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL,
					      &s) != CKR_OK;
		bad |= self->f->C_Login(s, CKU_USER, PIN, PIN_LEN) != CKR_OK;
		bad |= find(self->f, s, t, 1, h, 2) != 2;
		bad |= self->f->C_Finalize(NULL) != CKR_OK;
		_exit(bad);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* the parent goes on */
	ASSERT_EQ(CKR_OK, self->f->C_GetSlotList(CK_TRUE, NULL, &n));
	ASSERT_EQ(CKR_OK, self->f->C_SignInit(self->s, &m, priv));
	ASSERT_EQ(CKR_OK, self->f->C_Sign(self->s, (CK_BYTE_PTR)"x", 1, sig, &len));
}

/* An EC pair as a session object: CKA_TOKEN false, or absent (the
 * PKCS#11 default) on the public key. */
static CK_RV gen_ec_session(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s,
			    const char *id, CK_OBJECT_HANDLE *pub,
			    CK_OBJECT_HANDLE *priv)
{
	CK_MECHANISM m = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_ATTRIBUTE pt[] = {
		{ CKA_EC_PARAMS, (void *)p256_oid, sizeof(p256_oid) },
		{ CKA_VERIFY, (void *)&yes, 1 },
		{ CKA_ID, (void *)id, strlen(id) },
	};
	CK_ATTRIBUTE kt[] = {
		{ CKA_TOKEN, (void *)&no, 1 },
		{ CKA_PRIVATE, (void *)&yes, 1 },
		{ CKA_SIGN, (void *)&yes, 1 },
		{ CKA_ID, (void *)id, strlen(id) },
	};

	return f->C_GenerateKeyPair(s, &m, pt, 3, kt, 4, pub, priv);
}

/* An ECDSA-SHA256 signature by @priv on session @s, checked with @pk. */
static int signs_ok(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s,
		    CK_OBJECT_HANDLE priv, EVP_PKEY *pk)
{
	CK_MECHANISM m = { CKM_ECDSA_SHA256, NULL, 0 };
	unsigned char sig[64], dg[32];
	CK_ULONG len = sizeof(sig);

	if (f->C_SignInit(s, &m, priv) != CKR_OK ||
	    f->C_Sign(s, (CK_BYTE_PTR)"zone", 4, sig, &len) != CKR_OK)
		return 0;
	SHA256((const unsigned char *)"zone", 4, dg);
	return ossl_verify_ecdsa(pk, dg, 32, sig, len);
}

TEST_F(tok, session_objects_live_on_the_board_with_their_session)
{
	CK_OBJECT_HANDLE pub, priv, pub2, priv2, tpub, tpriv, h[8];
	CK_SESSION_HANDLE s2, ro;
	CK_BBOOL tok = CK_TRUE;
	CK_ATTRIBUTE a = { CKA_TOKEN, &tok, 1 };
	CK_ATTRIBUTE by_id[] = { { CKA_ID, (void *)"s1", 2 } };
	CK_ATTRIBUTE session_only[] = { { CKA_TOKEN, (void *)&no, 1 } };
	CK_ATTRIBUTE token_only[] = { { CKA_TOKEN, (void *)&yes, 1 } };
	struct hsm_match_filter any = { 0 };
	struct hsm_session *other;
	uint8_t (*uuids)[16] = NULL;
	size_t n = 0;
	unsigned logins;
	EVP_PKEY *pk;

	ASSERT_EQ(CKR_OK, login(_metadata, self));
	ASSERT_EQ(CKR_OK, self->f->C_OpenSession(self->slot, CKF_SERIAL_SESSION,
						 NULL, NULL, &s2));
	ASSERT_EQ(CKR_OK, gen_ec(self->f, self->s, "t", &tpub, &tpriv));
	logins = seam_logins(self->board);
	ASSERT_EQ(CKR_OK, gen_ec_session(self->f, self->s, "s1", &pub, &priv));
	/* volatile keys on the board, held by one more login */
	EXPECT_EQ(2u, seam_keys(self->board, false));
	EXPECT_EQ(2u, seam_keys(self->board, true));
	EXPECT_EQ(logins + 1, seam_logins(self->board));
	ASSERT_EQ(CKR_OK, self->f->C_GetAttributeValue(self->s, priv, &a, 1));
	EXPECT_EQ(CK_FALSE, tok);
	tok = CK_TRUE;
	ASSERT_EQ(CKR_OK, self->f->C_GetAttributeValue(s2, pub, &a, 1));
	EXPECT_EQ(CK_FALSE, tok);

	/* usable from every session of the application */
	pk = pubkey_of(self->f, s2, pub);
	ASSERT_NE(NULL, pk);
	EXPECT_TRUE(signs_ok(self->f, self->s, priv, pk));
	EXPECT_TRUE(signs_ok(self->f, s2, priv, pk));
	EVP_PKEY_free(pk);
	EXPECT_EQ(2u, find(self->f, s2, by_id, 1, h, 8));
	EXPECT_EQ(2u, find(self->f, s2, session_only, 1, h, 8));
	EXPECT_EQ(2u, find(self->f, s2, token_only, 1, h, 8));
	EXPECT_EQ(4u, find(self->f, s2, NULL, 0, h, 8));

	/* invisible to every other board client (another application) */
	ASSERT_EQ(0, hsm_open(seam_board_path(self->board), &other));
	ASSERT_EQ(0, hsm_login(other, HSM_USER_NORMAL, SEAM_USER_PIN, PIN_LEN,
			       NULL));
	ASSERT_EQ(0, hsm_match_all(other, &any, &uuids, &n, NULL));
	EXPECT_EQ(2u, n);		/* the token pair only */
	free(uuids);
	hsm_close(other);

	/* a second pair in the same session shares the holder; destroy */
	ASSERT_EQ(CKR_OK, gen_ec_session(self->f, self->s, "s2", &pub2, &priv2));
	EXPECT_EQ(4u, seam_keys(self->board, false));
	EXPECT_EQ(logins + 1, seam_logins(self->board));
	EXPECT_EQ(CKR_OK, self->f->C_DestroyObject(s2, pub2));
	EXPECT_EQ(3u, seam_keys(self->board, false));

	/* closing the session that made them deletes them from the board */
	ASSERT_EQ(CKR_OK, self->f->C_CloseSession(self->s));
	self->s = s2;
	EXPECT_EQ(0u, seam_keys(self->board, false));
	EXPECT_EQ(2u, seam_keys(self->board, true));
	EXPECT_EQ(logins, seam_logins(self->board));
	EXPECT_EQ(CKR_OBJECT_HANDLE_INVALID,
		  self->f->C_GetAttributeValue(s2, priv, &a, 1));
	EXPECT_EQ(CKR_KEY_HANDLE_INVALID,
		  self->f->C_SignInit(s2, &(CK_MECHANISM){ CKM_ECDSA_SHA256,
							   NULL, 0 }, priv2));
	EXPECT_EQ(0u, find(self->f, s2, session_only, 1, h, 8));
	EXPECT_EQ(2u, find(self->f, s2, NULL, 0, h, 8));

	/* a read-only session makes session objects, not token objects */
	ASSERT_EQ(CKR_OK, self->f->C_OpenSession(self->slot, CKF_SERIAL_SESSION,
						 NULL, NULL, &ro));
	EXPECT_EQ(CKR_SESSION_READ_ONLY,
		  gen_ec(self->f, ro, "ro", &pub2, &priv2));
	ASSERT_EQ(CKR_OK, gen_ec_session(self->f, ro, "ro", &pub2, &priv2));
	EXPECT_EQ(2u, seam_keys(self->board, false));
	/* C_Logout: the login's session objects go */
	ASSERT_EQ(CKR_OK, self->f->C_Logout(ro));
	EXPECT_EQ(0u, seam_keys(self->board, false));
	EXPECT_EQ(0u, seam_logins(self->board));
	ASSERT_EQ(CKR_OK, login(_metadata, self));
	EXPECT_EQ(CKR_OBJECT_HANDLE_INVALID,
		  self->f->C_GetAttributeValue(ro, priv2, &a, 1));
	EXPECT_EQ(2u, find(self->f, ro, NULL, 0, h, 8));
}

/* One signature on session @s, the result in @rv. */
struct one_sign {
	CK_FUNCTION_LIST_PTR f;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE key;
	CK_RV rv;
};

static void *sign_once(void *arg)
{
	struct one_sign *o = arg;
	CK_MECHANISM m = { CKM_ECDSA_SHA256, NULL, 0 };
	unsigned char sig[64];
	CK_ULONG len = sizeof(sig);

	o->rv = o->f->C_SignInit(o->s, &m, o->key);
	if (o->rv == CKR_OK)
		o->rv = o->f->C_Sign(o->s, (CK_BYTE_PTR)"rr", 2, sig, &len);
	return NULL;
}

/*
 * The session that made a session object closes while another session's
 * signature with it is on the board: the request finishes, and the holder
 * is closed (its keys deleted) and freed by that last user.
 */
TEST_F(tok, session_objects_outlive_their_session_only_in_flight)
{
	CK_OBJECT_HANDLE pub, priv;
	CK_SESSION_HANDLE s2;
	struct one_sign o;
	pthread_t th;

	ASSERT_EQ(CKR_OK, login(_metadata, self));
	ASSERT_EQ(CKR_OK, self->f->C_OpenSession(self->slot, CKF_SERIAL_SESSION,
						 NULL, NULL, &s2));
	ASSERT_EQ(CKR_OK, gen_ec_session(self->f, self->s, "inflight", &pub, &priv));
	o = (struct one_sign){ self->f, s2, priv, CKR_GENERAL_ERROR };
	seam_set_service_ms(1000);
	seam_reset_parallel();
	ASSERT_EQ(0, pthread_create(&th, NULL, sign_once, &o));
	while (seam_max_parallel() == 0)	/* the SIGN is on the board */
		sched_yield();
	EXPECT_EQ(CKR_OK, self->f->C_CloseSession(self->s));
	self->s = s2;
	ASSERT_EQ(0, pthread_join(th, NULL));
	seam_set_service_ms(0);
	EXPECT_EQ(CKR_OK, o.rv);
	EXPECT_EQ(0u, seam_keys(self->board, false));
	EXPECT_EQ(CKR_KEY_HANDLE_INVALID,
		  self->f->C_SignInit(s2, &(CK_MECHANISM){ CKM_ECDSA_SHA256,
							   NULL, 0 }, priv));
}

TEST_F(tok, session_objects_are_not_made_before_login)
{
	CK_OBJECT_HANDLE pub, priv;

	EXPECT_EQ(CKR_USER_NOT_LOGGED_IN,
		  gen_ec_session(self->f, self->s, "n", &pub, &priv));
	EXPECT_EQ(0u, seam_keys(self->board, false));
	EXPECT_EQ(0u, seam_logins(self->board));
}

TEST_F(tok, session_objects_end_with_finalize)
{
	CK_OBJECT_HANDLE pub, priv;

	ASSERT_EQ(CKR_OK, login(_metadata, self));
	ASSERT_EQ(CKR_OK, gen_ec_session(self->f, self->s, "f", &pub, &priv));
	EXPECT_EQ(2u, seam_keys(self->board, false));
	ASSERT_EQ(CKR_OK, self->f->C_Finalize(NULL));
	self->f = NULL;
	EXPECT_EQ(0u, seam_keys(self->board, false));
	EXPECT_EQ(0u, seam_logins(self->board));
}

/* ---- interchange with CrypTech's own module (protocol §7.8) ------------- */

/* An attribute in §7.8's encoding: CK_ULONG as 8 bytes little-endian. */
struct lay {
	struct hsm_attr a[24];
	unsigned char u[24][8];
	size_t n;
};

static void lay_ulong(struct lay *l, uint32_t type, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		l->u[l->n][i] = (unsigned char)(v >> (8 * i));
	l->a[l->n] = (struct hsm_attr){ type, 8, l->u[l->n] };
	l->n++;
}

static void lay_bool(struct lay *l, uint32_t type, int v)
{
	l->u[l->n][0] = v ? 1 : 0;
	l->a[l->n] = (struct hsm_attr){ type, 1, l->u[l->n] };
	l->n++;
}

static void lay_bytes(struct lay *l, uint32_t type, const void *v, size_t len)
{
	l->a[l->n] = (struct hsm_attr){ type, (uint32_t)len, v };
	l->n++;
}

/*
 * A P-256 pair exactly as CrypTech's pkcs11.c makes one (§7.8): the private
 * key GENERATE_EC'd with TOKEN|SIGN, its SPKI loaded back as a public key
 * with TOKEN|SIGN|PUBLIC|EXPORTABLE, and on each key every template
 * attribute, the defaults and CKA_LOCAL, CKA_KEY_GEN_MECHANISM and the EC
 * parameters and point, in one SET_ATTRIBUTES.
 */
static int cryptech_make_pair(struct hsm_session *hs, const char *id,
			      const char *label, unsigned char point[67])
{
	unsigned char *spki = NULL;
	size_t spki_len = 0;
	uint32_t priv_h, pub_h;
	struct lay pv = { .n = 0 }, pb = { .n = 0 };
	int ret;

	ret = hsm_generate_ec(hs, HSM_CURVE_P256, HSM_KEY_F_TOKEN | HSM_KEY_F_SIGN,
			      &priv_h, NULL, NULL);
	if (!ret)
		ret = hsm_public_key_alloc(hs, priv_h, &spki, &spki_len, NULL);
	if (!ret)
		ret = spki_len == 91 ? 0 : -EPROTO;	/* P-256: the point ends it */
	if (!ret)
		ret = hsm_load_der(hs, spki, spki_len, HSM_KEY_F_TOKEN |
				   HSM_KEY_F_SIGN | HSM_KEY_F_PUBLIC |
				   HSM_KEY_F_EXPORTABLE, &pub_h, NULL, NULL);
	if (ret) {
		free(spki);
		return ret;
	}
	point[0] = 0x04;		/* DER OCTET STRING, 65 bytes */
	point[1] = 65;
	memcpy(point + 2, spki + spki_len - 65, 65);
	free(spki);

	lay_ulong(&pv, CKA_CLASS, CKO_PRIVATE_KEY);
	lay_ulong(&pv, CKA_KEY_TYPE, CKK_EC);
	lay_bool(&pv, CKA_TOKEN, 1);
	lay_bool(&pv, CKA_PRIVATE, 1);
	lay_bool(&pv, CKA_MODIFIABLE, 1);
	lay_bytes(&pv, CKA_LABEL, label, strlen(label));
	lay_bytes(&pv, CKA_ID, id, strlen(id));
	lay_bool(&pv, CKA_DERIVE, 0);
	lay_bool(&pv, CKA_LOCAL, 1);
	lay_ulong(&pv, CKA_KEY_GEN_MECHANISM, CKM_EC_KEY_PAIR_GEN);
	lay_bool(&pv, CKA_SENSITIVE, 1);
	lay_bool(&pv, CKA_DECRYPT, 0);
	lay_bool(&pv, CKA_SIGN, 1);
	lay_bool(&pv, CKA_SIGN_RECOVER, 0);
	lay_bool(&pv, CKA_UNWRAP, 0);
	lay_bool(&pv, CKA_EXTRACTABLE, 0);
	lay_bool(&pv, CKA_ALWAYS_SENSITIVE, 1);
	lay_bool(&pv, CKA_NEVER_EXTRACTABLE, 1);
	lay_bytes(&pv, CKA_EC_PARAMS, p256_oid, sizeof(p256_oid));
	lay_bytes(&pv, CKA_EC_POINT, point, 67);

	lay_ulong(&pb, CKA_CLASS, CKO_PUBLIC_KEY);
	lay_ulong(&pb, CKA_KEY_TYPE, CKK_EC);
	lay_bool(&pb, CKA_TOKEN, 1);
	lay_bool(&pb, CKA_PRIVATE, 0);
	lay_bool(&pb, CKA_MODIFIABLE, 1);
	lay_bytes(&pb, CKA_LABEL, label, strlen(label));
	lay_bytes(&pb, CKA_ID, id, strlen(id));
	lay_bool(&pb, CKA_DERIVE, 0);
	lay_bool(&pb, CKA_LOCAL, 1);
	lay_ulong(&pb, CKA_KEY_GEN_MECHANISM, CKM_EC_KEY_PAIR_GEN);
	lay_bool(&pb, CKA_ENCRYPT, 0);
	lay_bool(&pb, CKA_VERIFY, 1);
	lay_bool(&pb, CKA_VERIFY_RECOVER, 0);
	lay_bool(&pb, CKA_WRAP, 0);
	lay_bytes(&pb, CKA_EC_PARAMS, p256_oid, sizeof(p256_oid));
	lay_bytes(&pb, CKA_EC_POINT, point, 67);

	ret = hsm_set_attributes(hs, priv_h, pv.a, pv.n, NULL);
	if (!ret)
		ret = hsm_set_attributes(hs, pub_h, pb.a, pb.n, NULL);
	hsm_close_key(hs, priv_h, NULL);
	hsm_close_key(hs, pub_h, NULL);
	return ret;
}

/*
 * What CrypTech's module asks the board about an object this module made
 * must find it: its C_FindObjects is PKEY_MATCH with mask = flags = TOKEN
 * and the application's template as exact byte filters, and its
 * C_GetAttributeValue first reads CKA_CLASS, CKA_PRIVATE, CKA_TOKEN,
 * CKA_KEY_TYPE (and CKA_EXTRACTABLE, CKA_SENSITIVE on private keys) with a
 * value query that fails if any is missing; its signature length comes
 * from CKA_EC_PARAMS (or CKA_MODULUS).
 */
static size_t cryptech_find(struct hsm_session *hs, const struct lay *l,
			    uint8_t uuid[16])
{
	struct hsm_match_filter f = {
		.mask = HSM_KEY_F_TOKEN, .flags = HSM_KEY_F_TOKEN,
		.attrs = l->a, .n_attrs = l->n,
	};
	uint8_t (*u)[16] = NULL;
	size_t n = 0;

	if (hsm_match_all(hs, &f, &u, &n, NULL))
		return 99;
	if (n)
		memcpy(uuid, u[0], 16);
	free(u);
	return n;
}

TEST_F(tok, a_token_written_by_cryptechs_module_reads_here)
{
	CK_OBJECT_CLASS pk = CKO_PRIVATE_KEY, cls = 0;
	CK_KEY_TYPE kt = 0;
	CK_MECHANISM_TYPE gen = 0;
	CK_BBOOL local = CK_FALSE, tok = CK_FALSE;
	unsigned char point[67], got_point[80], label[32];
	CK_ATTRIBUTE by_id[] = { { CKA_ID, (void *)"ct", 2 } };
	CK_ATTRIBUTE priv_by_id[] = { { CKA_CLASS, &pk, sizeof(pk) },
				      { CKA_ID, (void *)"ct", 2 } };
	CK_ATTRIBUTE a[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_LABEL, label, sizeof(label) },
		{ CKA_LOCAL, &local, 1 },
		{ CKA_KEY_GEN_MECHANISM, &gen, sizeof(gen) },
		{ CKA_TOKEN, &tok, 1 },
	};
	CK_ATTRIBUTE ecp = { CKA_EC_POINT, got_point, sizeof(got_point) };
	CK_OBJECT_HANDLE h[4], priv, pub = CK_INVALID_HANDLE;
	struct hsm_session *hs;
	EVP_PKEY *pkey;
	CK_ULONG i;

	ASSERT_EQ(0, hsm_open(seam_board_path(self->board), &hs));
	ASSERT_EQ(0, hsm_login(hs, HSM_USER_NORMAL, SEAM_USER_PIN, PIN_LEN, NULL));
	ASSERT_EQ(0, cryptech_make_pair(hs, "ct", "made-by-cryptech", point));
	hsm_close(hs);

	ASSERT_EQ(CKR_OK, login(_metadata, self));
	/* two objects, the pair: the public key object is recognised as
	 * the private key's, so no public half is made up */
	ASSERT_EQ(2u, find(self->f, self->s, by_id, 1, h, 4));
	ASSERT_EQ(1u, find(self->f, self->s, priv_by_id, 2, &priv, 1));
	for (i = 0; i < 2; i++)
		if (h[i] != priv)
			pub = h[i];
	ASSERT_NE(CK_INVALID_HANDLE, pub);
	ASSERT_EQ(CKR_OK, self->f->C_GetAttributeValue(self->s, priv, a, 6));
	EXPECT_EQ(CKO_PRIVATE_KEY, cls);
	EXPECT_EQ(CKK_EC, kt);
	ASSERT_EQ(16u, a[2].ulValueLen);
	EXPECT_EQ(0, memcmp(label, "made-by-cryptech", 16));
	EXPECT_EQ(CK_TRUE, local);
	EXPECT_EQ(CKM_EC_KEY_PAIR_GEN, gen);
	EXPECT_EQ(CK_TRUE, tok);
	a[2].ulValueLen = sizeof(label);
	ASSERT_EQ(CKR_OK, self->f->C_GetAttributeValue(self->s, pub, a, 2));
	EXPECT_EQ(CKO_PUBLIC_KEY, cls);
	ASSERT_EQ(CKR_OK, self->f->C_GetAttributeValue(self->s, pub, &ecp, 1));
	ASSERT_EQ(67u, ecp.ulValueLen);
	EXPECT_EQ(0, memcmp(got_point, point, 67));
	/* and it signs, checked against the public key object */
	pkey = pubkey_of(self->f, self->s, pub);
	ASSERT_NE(NULL, pkey);
	EXPECT_TRUE(signs_ok(self->f, self->s, priv, pkey));
	EVP_PKEY_free(pkey);
	/* a relabel here is a relabel there: the same attribute */
	ASSERT_EQ(CKR_OK, self->f->C_SetAttributeValue(
		self->s, priv, &(CK_ATTRIBUTE){ CKA_LABEL, "renamed", 7 }, 1));
	{
		struct lay q = { .n = 0 };
		uint8_t uuid[16];

		lay_ulong(&q, CKA_CLASS, CKO_PRIVATE_KEY);
		lay_bytes(&q, CKA_LABEL, "renamed", 7);
		ASSERT_EQ(0, hsm_open(seam_board_path(self->board), &hs));
		ASSERT_EQ(0, hsm_login(hs, HSM_USER_NORMAL, SEAM_USER_PIN,
				       PIN_LEN, NULL));
		EXPECT_EQ(1u, cryptech_find(hs, &q, uuid));
		hsm_close(hs);
	}
}

TEST_F(tok, cryptechs_module_finds_and_reads_what_this_module_writes)
{
	static const uint32_t access[] = { CKA_CLASS, CKA_PRIVATE, CKA_TOKEN,
		CKA_KEY_TYPE, CKA_EXTRACTABLE, CKA_SENSITIVE, CKA_EC_PARAMS,
		CKA_EC_POINT, CKA_ID, CKA_SIGN };
	static const uint32_t pub_access[] = { CKA_CLASS, CKA_PRIVATE,
		CKA_TOKEN, CKA_KEY_TYPE, CKA_EC_PARAMS, CKA_EC_POINT, CKA_ID,
		CKA_VERIFY };
	CK_OBJECT_HANDLE pub, priv, rpub, rpriv;
	struct lay q = { .n = 0 };
	struct hsm_session *hs;
	struct hsm_key_info ki;
	struct hsm_attr *got = NULL;
	uint8_t uuid[16];
	uint32_t kh;

	ASSERT_EQ(CKR_OK, login(_metadata, self));
	ASSERT_EQ(CKR_OK, gen_ec(self->f, self->s, "ours", &pub, &priv));
	ASSERT_EQ(CKR_OK, gen_rsa(self->f, self->s, "rsa", 1024, CK_FALSE,
				  &rpub, &rpriv));
	ASSERT_EQ(0, hsm_open(seam_board_path(self->board), &hs));
	ASSERT_EQ(0, hsm_login(hs, HSM_USER_NORMAL, SEAM_USER_PIN, PIN_LEN, NULL));

	/* an application's template, as CrypTech's module passes it on */
	lay_ulong(&q, CKA_CLASS, CKO_PRIVATE_KEY);
	lay_ulong(&q, CKA_KEY_TYPE, CKK_EC);
	lay_bool(&q, CKA_TOKEN, 1);
	lay_bool(&q, CKA_SIGN, 1);
	lay_bytes(&q, CKA_ID, "ours", 4);
	ASSERT_EQ(1u, cryptech_find(hs, &q, uuid));
	ASSERT_EQ(0, hsm_open_key(hs, uuid, &kh, NULL));
	ASSERT_EQ(0, hsm_key_info(hs, kh, &ki, NULL));
	EXPECT_EQ((uint32_t)HSM_KEY_EC_PRIVATE, ki.type);
	EXPECT_EQ((uint32_t)(HSM_KEY_F_TOKEN | HSM_KEY_F_SIGN), ki.flags);
	/* every attribute it reads first is there (no OPTIONAL) */
	ASSERT_EQ(0, hsm_get_attributes(hs, kh, access, 10, 0, &got, NULL));
	EXPECT_EQ(1u, got[1].len);		/* CKA_PRIVATE */
	EXPECT_EQ(1, *(const unsigned char *)got[1].value);
	EXPECT_EQ(sizeof(p256_oid), got[6].len);	/* CKA_EC_PARAMS */
	EXPECT_EQ(0, memcmp(got[6].value, p256_oid, sizeof(p256_oid)));
	EXPECT_EQ(67u, got[7].len);		/* CKA_EC_POINT: 04 41 04 x y */
	EXPECT_EQ(0x04, ((const unsigned char *)got[7].value)[0]);
	EXPECT_EQ(65, ((const unsigned char *)got[7].value)[1]);
	free(got);
	hsm_close_key(hs, kh, NULL);

	q.n = 0;
	lay_ulong(&q, CKA_CLASS, CKO_PUBLIC_KEY);
	lay_bool(&q, CKA_VERIFY, 1);
	lay_bool(&q, CKA_PRIVATE, 0);
	lay_bytes(&q, CKA_ID, "ours", 4);
	ASSERT_EQ(1u, cryptech_find(hs, &q, uuid));
	ASSERT_EQ(0, hsm_open_key(hs, uuid, &kh, NULL));
	ASSERT_EQ(0, hsm_key_info(hs, kh, &ki, NULL));
	EXPECT_EQ((uint32_t)HSM_KEY_EC_PUBLIC, ki.type);
	EXPECT_EQ((uint32_t)(HSM_KEY_F_TOKEN | HSM_KEY_F_SIGN | HSM_KEY_F_PUBLIC |
			     HSM_KEY_F_EXPORTABLE), ki.flags);
	ASSERT_EQ(0, hsm_get_attributes(hs, kh, pub_access, 8, 0, &got, NULL));
	free(got);
	hsm_close_key(hs, kh, NULL);

	/* RSA: CKA_MODULUS and CKA_PUBLIC_EXPONENT on the private key too */
	q.n = 0;
	lay_ulong(&q, CKA_CLASS, CKO_PRIVATE_KEY);
	lay_ulong(&q, CKA_KEY_TYPE, CKK_RSA);
	lay_bytes(&q, CKA_ID, "rsa", 3);
	ASSERT_EQ(1u, cryptech_find(hs, &q, uuid));
	ASSERT_EQ(0, hsm_open_key(hs, uuid, &kh, NULL));
	{
		static const uint32_t rsa_attrs[] = { CKA_MODULUS,
			CKA_PUBLIC_EXPONENT, CKA_DECRYPT };

		ASSERT_EQ(0, hsm_get_attributes(hs, kh, rsa_attrs, 3, 0, &got,
						NULL));
		EXPECT_EQ(128u, got[0].len);
		EXPECT_EQ(3u, got[1].len);
		EXPECT_EQ(0, memcmp(got[1].value, "\x01\x00\x01", 3));
		EXPECT_EQ(1u, got[2].len);	/* as the template said: 00 */
		EXPECT_EQ(0, *(const unsigned char *)got[2].value);
		free(got);
	}
	hsm_close_key(hs, kh, NULL);
	/* the values are not the host's unsigned long by chance: a 4-byte
	 * CKA_CLASS finds nothing */
	q.n = 0;
	lay_bytes(&q, CKA_CLASS, "\x03\x00\x00\x00", 4);
	lay_bytes(&q, CKA_ID, "ours", 4);
	EXPECT_EQ(0u, cryptech_find(hs, &q, uuid));
	hsm_close(hs);
}

/* ---- a daemon that drops its privileges after C_Initialize ------------- */

#define STEP(cond, n) do { if (!(cond)) { \
	fprintf(stderr, "# step %d failed: %s\n", n, #cond); bad |= 1 << (n); } \
	} while (0)

/*
 * What knotd and ods-signerd do: C_Initialize and C_Login as root, then
 * setuid() to a user that may not open the board (not in group hsm), and
 * go on signing. Returns a bit per failed step.
 */
static int daemon_child(int board, uid_t uid, gid_t gid)
{
	CK_FUNCTION_LIST_PTR f;
	CK_SLOT_ID slot, again;
	CK_SESSION_HANDLE s, s2;
	CK_OBJECT_HANDLE pub, priv, pub2, priv2;
	CK_ULONG n = 1;
	EVP_PKEY *pk;
	void *dl;
	int bad = 0, fd;

	f = load_module(&dl);
	if (!f || f->C_Initialize(NULL) != CKR_OK ||
	    f->C_GetSlotList(CK_TRUE, &slot, &n) != CKR_OK || n != 1 ||
	    f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
			     NULL, &s) != CKR_OK ||
	    f->C_Login(s, CKU_USER, PIN, PIN_LEN) != CKR_OK ||
	    gen_ec(f, s, "d1", &pub, &priv) != CKR_OK)
		return 1;
	STEP(setgroups(0, NULL) == 0 && setgid(gid) == 0 && setuid(uid) == 0, 1);
	/* the board's node is closed to this user now */
	fd = open(seam_board_path(board), O_RDWR);
	STEP(fd < 0 && errno == EACCES, 2);
	if (fd >= 0)
		close(fd);

	/* the slot stays (a re-read of the boards cannot open it) */
	n = 0;
	STEP(f->C_GetSlotList(CK_TRUE, NULL, &n) == CKR_OK && n == 1, 3);
	n = 1;
	STEP(f->C_GetSlotList(CK_TRUE, &again, &n) == CKR_OK && n == 1 &&
	     again == slot, 4);
	/* new PKCS#11 sessions sign on the board sessions opened before */
	STEP(f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
			      NULL, &s2) == CKR_OK, 5);
	pk = pubkey_of(f, s2, pub);
	STEP(pk && signs_ok(f, s2, priv, pk) && signs_ok(f, s, priv, pk), 6);
	EVP_PKEY_free(pk);
	/* key generation and rollover go on too (on the pool) */
	STEP(gen_ec(f, s2, "d2", &pub2, &priv2) == CKR_OK, 7);
	pk = pubkey_of(f, s2, pub2);
	STEP(pk && signs_ok(f, s2, priv2, pk), 8);
	EVP_PKEY_free(pk);
	STEP(f->C_DestroyObject(s2, priv) == CKR_OK, 9);
	/* a new login cannot open the board: said so, not "wrong PIN" */
	STEP(f->C_Logout(s) == CKR_OK, 10);
	STEP(f->C_Login(s, CKU_USER, PIN, PIN_LEN) == CKR_DEVICE_ERROR, 11);
	STEP(f->C_Finalize(NULL) == CKR_OK, 12);
	return bad;
}

TEST(a_daemon_drops_privileges_after_initialize)
{
	static const char *const ids[] = { "EMU00000" };
	const uid_t uid = 65534;	/* nobody */
	const gid_t gid = 65534;	/* nogroup */
	char dir[256], path[600];
	int board, status;
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root, to drop privileges");
	ASSERT_EQ(0, make_boards(dir, sizeof(dir), ids, 1, &board));
	/*
	 * As on a host: the device node stays root's (mode 0600), but the
	 * emulator, which runs in this process, must still write its
	 * keystore after the drop.
	 */
	ASSERT_EQ(0, chmod(dir, 0711));
	snprintf(path, sizeof(path), "%s/b0", dir);
	ASSERT_EQ(0, chmod(path, 0711));
	snprintf(path, sizeof(path), "chown -R %u:%u '%s/b0/state'",
		 (unsigned)uid, (unsigned)gid, dir);
	ASSERT_EQ(0, system(path));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(daemon_child(board, uid, gid) ? 1 : 0);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	rm_rf(dir);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(tok, closing_the_last_session_logs_out)
{
	CK_SESSION_INFO info;
	CK_SESSION_HANDLE s2;

	ASSERT_EQ(CKR_OK, login(_metadata, self));
	ASSERT_EQ(CKR_OK, self->f->C_CloseSession(self->s));
	EXPECT_EQ(CKR_SESSION_HANDLE_INVALID, self->f->C_CloseSession(self->s));
	EXPECT_EQ(0u, seam_logins(self->board));
	ASSERT_EQ(CKR_OK, self->f->C_OpenSession(self->slot, CKF_SERIAL_SESSION,
						 NULL, NULL, &s2));
	ASSERT_EQ(CKR_OK, self->f->C_GetSessionInfo(s2, &info));
	EXPECT_EQ(CKS_RO_PUBLIC_SESSION, info.state);
	EXPECT_EQ(CKR_OK, self->f->C_CloseAllSessions(self->slot));
	EXPECT_EQ(CKR_SESSION_HANDLE_INVALID, self->f->C_GetSessionInfo(s2, &info));
}

TEST_HARNESS_MAIN
