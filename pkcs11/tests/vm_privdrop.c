// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * In the VM (tests/dnssec/vm-pkcs11.sh runs it as root, board 0 attached
 * and its PINs set): a daemon that drops its privileges after C_Initialize,
 * as knotd and ods-signerd do. C_Initialize and C_Login as root, then
 * setuid() to nobody, who may not open /dev/hsm0; the module must go on
 * listing the token, signing, generating and deleting keys on the board
 * sessions it opened before, and say why a new login fails. Prints TAP.
 *
 * Usage: vm_privdrop MODULE PIN
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

static int n, fails;

static void check(int cond, const char *what)
{
	n++;
	if (!cond)
		fails++;
	printf("%sok %d - %s\n", cond ? "" : "not ", n, what);
	fflush(stdout);
}

static const CK_BBOOL yes = CK_TRUE;
static const unsigned char p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
				      0x3d, 0x03, 0x01, 0x07 };

static CK_RV gen(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, const char *id,
		 CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv)
{
	CK_MECHANISM m = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_ATTRIBUTE pt[] = {
		{ CKA_EC_PARAMS, (void *)p256, sizeof(p256) },
		{ CKA_TOKEN, (void *)&yes, 1 },
		{ CKA_VERIFY, (void *)&yes, 1 },
		{ CKA_ID, (void *)id, strlen(id) },
	};
	CK_ATTRIBUTE kt[] = {
		{ CKA_TOKEN, (void *)&yes, 1 },
		{ CKA_PRIVATE, (void *)&yes, 1 },
		{ CKA_SIGN, (void *)&yes, 1 },
		{ CKA_ID, (void *)id, strlen(id) },
	};

	return f->C_GenerateKeyPair(s, &m, pt, 4, kt, 4, pub, priv);
}

/* Sign with @priv, verify with @pub (the module's C_Verify). */
static int signs(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s,
		 CK_OBJECT_HANDLE priv, CK_OBJECT_HANDLE pub)
{
	CK_MECHANISM m = { CKM_ECDSA_SHA256, NULL, 0 };
	unsigned char sig[64];
	CK_ULONG len = sizeof(sig);

	return f->C_SignInit(s, &m, priv) == CKR_OK &&
	       f->C_Sign(s, (CK_BYTE_PTR)"zone", 4, sig, &len) == CKR_OK &&
	       f->C_VerifyInit(s, &m, pub) == CKR_OK &&
	       f->C_Verify(s, (CK_BYTE_PTR)"zone", 4, sig, len) == CKR_OK;
}

int main(int argc, char **argv)
{
	CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR);
	CK_FUNCTION_LIST_PTR f = NULL;
	CK_SLOT_ID slot, again;
	CK_SESSION_HANDLE s, s2;
	CK_OBJECT_HANDLE pub, priv, pub2, priv2;
	CK_ULONG count = 1;
	void *dl;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: %s MODULE PIN\n", argv[0]);
		return 2;
	}
	printf("TAP version 13\n1..10\n");
	dl = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	get = dl ? (CK_RV (*)(CK_FUNCTION_LIST_PTR_PTR))dlsym(dl, "C_GetFunctionList") : NULL;
	if (!get || get(&f) != CKR_OK) {
		printf("Bail out! cannot load %s\n", argv[1]);
		return 1;
	}
	check(f->C_Initialize(NULL) == CKR_OK &&
	      f->C_GetSlotList(CK_TRUE, &slot, &count) == CKR_OK && count == 1 &&
	      f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
			       NULL, &s) == CKR_OK &&
	      f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)argv[2],
			 strlen(argv[2])) == CKR_OK &&
	      gen(f, s, "privdrop-1", &pub, &priv) == CKR_OK,
	      "as root: C_Initialize, C_Login, a key pair");
	check(setgroups(0, NULL) == 0 && setgid(65534) == 0 && setuid(65534) == 0,
	      "setuid(nobody)");
	fd = open("/dev/hsm0", O_RDWR);
	check(fd < 0 && errno == EACCES, "nobody may not open /dev/hsm0");
	if (fd >= 0)
		close(fd);
	count = 0;
	check(f->C_GetSlotList(CK_TRUE, NULL, &count) == CKR_OK && count == 1 &&
	      f->C_GetSlotList(CK_TRUE, &again, &count) == CKR_OK &&
	      again == slot, "C_GetSlotList still lists the token");
	check(f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
			       NULL, &s2) == CKR_OK && signs(f, s2, priv, pub),
	      "a new PKCS#11 session signs on the sessions opened before");
	check(gen(f, s2, "privdrop-2", &pub2, &priv2) == CKR_OK &&
	      signs(f, s2, priv2, pub2), "a new key pair, and it signs");
	check(f->C_DestroyObject(s2, priv) == CKR_OK &&
	      f->C_DestroyObject(s2, pub) == CKR_OK &&
	      f->C_DestroyObject(s2, priv2) == CKR_OK &&
	      f->C_DestroyObject(s2, pub2) == CKR_OK, "keys deleted");
	check(f->C_Logout(s) == CKR_OK, "C_Logout");
	check(f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)argv[2],
			 strlen(argv[2])) == CKR_DEVICE_ERROR,
	      "a new login cannot open the board: CKR_DEVICE_ERROR, not PIN_INCORRECT");
	check(f->C_Finalize(NULL) == CKR_OK, "C_Finalize");
	return fails ? 1 : 0;
}
