// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What the PKCS#11 layer costs: ECDSA P-256 signatures per second through
 * the module (C_SignInit + C_Sign with CKM_ECDSA, as signers call it)
 * against libhsm's hsm_sign() on one session, both on the emulator's board
 * in this process (the test seam), so the difference is the module's own
 * work: session and object look-ups, the cache, the pool, locking. Then the
 * module with 1, 2 and 4 threads each on its own PKCS#11 session.
 *
 * Usage: bench [SECONDS]   (default 2 per measurement)
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

#include <hsm/hsm.h>

#include "seam.h"

#ifndef MODULE_PATH
#define MODULE_PATH "../libhsm-pkcs11.so"
#endif

static double secs = 2;
static CK_FUNCTION_LIST_PTR f;
static CK_SLOT_ID slot;
static CK_OBJECT_HANDLE key;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *p11_signer(void *arg)
{
	CK_MECHANISM m = { CKM_ECDSA, NULL, 0 };
	unsigned char dg[32] = { 1 }, sig[64];
	CK_SESSION_HANDLE s;
	CK_ULONG len;
	long *count = arg;
	double end = now() + secs;

	if (f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s) != CKR_OK)
		return NULL;
	while (now() < end) {
		len = sizeof(sig);
		if (f->C_SignInit(s, &m, key) != CKR_OK ||
		    f->C_Sign(s, dg, sizeof(dg), sig, &len) != CKR_OK)
			return NULL;
		(*count)++;
	}
	f->C_CloseSession(s);
	return NULL;
}

int main(int argc, char **argv)
{
	static const unsigned char p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48,
		0xce, 0x3d, 0x03, 0x01, 0x07 };
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE pt[] = { { CKA_EC_PARAMS, (void *)p256, sizeof(p256) },
			      { CKA_TOKEN, &yes, 1 } };
	CK_ATTRIBUTE kt[] = { { CKA_TOKEN, &yes, 1 }, { CKA_ID, "b", 1 } };
	CK_MECHANISM gen = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR);
	CK_OBJECT_HANDLE pub;
	CK_SESSION_HANDLE s;
	CK_ULONG n = 1;
	char dir[] = "/tmp/p11bench.XXXXXX", sub[64];
	struct hsm_session *hs;
	uint8_t (*uuids)[16] = NULL;
	size_t nu = 0;
	uint32_t h;
	unsigned char dg[32] = { 1 }, sig[64];
	double t0, base, rate[3];
	long count, counts[4];
	int b, i, k, threads[3] = { 1, 2, 4 };
	void *dl;

	if (argc > 1)
		secs = atof(argv[1]);
	if (!mkdtemp(dir))
		return 1;
	snprintf(sub, sizeof(sub), "%s/b0", dir);
	mkdir(sub, 0700);
	b = seam_board_add(sub, "EMU00000");
	setenv("HSM_PKCS11_DEVICES", seam_board_path(b), 1);
	dl = dlopen(MODULE_PATH, RTLD_NOW);
	get = dl ? (CK_RV (*)(CK_FUNCTION_LIST_PTR_PTR))dlsym(dl, "C_GetFunctionList") : NULL;
	if (b < 0 || !get || get(&f) != CKR_OK || f->C_Initialize(NULL) != CKR_OK ||
	    f->C_GetSlotList(CK_TRUE, &slot, &n) != CKR_OK ||
	    f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s) ||
	    f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)SEAM_USER_PIN,
		       strlen(SEAM_USER_PIN)) ||
	    f->C_GenerateKeyPair(s, &gen, pt, 2, kt, 2, &pub, &key)) {
		fprintf(stderr, "bench: set-up failed\n");
		return 1;
	}

	/* libhsm directly: one session, the key opened once. */
	if (hsm_open(seam_board_path(b), &hs) ||
	    hsm_login(hs, HSM_USER_NORMAL, SEAM_USER_PIN, strlen(SEAM_USER_PIN), NULL) ||
	    hsm_match_all(hs, &(struct hsm_match_filter){ .type = HSM_KEY_EC_PRIVATE },
			  &uuids, &nu, NULL) || nu != 1 ||
	    hsm_open_key(hs, uuids[0], &h, NULL)) {
		fprintf(stderr, "bench: libhsm set-up failed\n");
		return 1;
	}
	free(uuids);
	count = 0;
	t0 = now();
	while (now() < t0 + secs) {
		size_t len = sizeof(sig);

		if (hsm_sign(hs, h, dg, sizeof(dg), sig, &len, NULL))
			return 1;
		count++;
	}
	base = count / (now() - t0);
	hsm_close(hs);

	for (k = 0; k < 3; k++) {
		pthread_t th[4];

		t0 = now();
		for (i = 0; i < threads[k]; i++) {
			counts[i] = 0;
			pthread_create(&th[i], NULL, p11_signer, &counts[i]);
		}
		count = 0;
		for (i = 0; i < threads[k]; i++) {
			pthread_join(th[i], NULL);
			count += counts[i];
		}
		rate[k] = count / (now() - t0);
	}
	printf("ECDSA P-256 signatures/s on the emulator's board in-process:\n");
	printf("  libhsm hsm_sign, 1 session     %8.0f  (1.00)\n", base);
	for (k = 0; k < 3; k++)
		printf("  PKCS#11 C_Sign, %d thread%s      %8.0f  (%.2f)\n", threads[k],
		       threads[k] > 1 ? "s" : " ", rate[k], rate[k] / base);
	f->C_Finalize(NULL);
	snprintf(sub, sizeof(sub), "rm -rf %s", dir);
	return system(sub) == 0 ? 0 : 1;
}
