// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A redundancy group against one board, in the same run: ECDSA P-256
 * signatures per second through the group token of two emulated boards
 * (the test seam) with a key on both boards, and with a key on the first
 * board only, which is what one board signs. Each board is given the same
 * service time per request (default 5 ms, sleeping, so the host's CPU does
 * not set the pace) and the module one board session per board
 * (HSM_PKCS11_POOL=1), so a board works one request at a time as the
 * emulated board of the VM tests does. Then the failover pause: signers
 * run, a board is unplugged, and the time from the unplug to the next
 * successful signature is printed.
 *
 * Usage: group_bench [SECONDS [SERVICE_MS]]   (default 2 s, 5 ms)
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <p11-kit/pkcs11.h>

#include "seam.h"

#ifndef MODULE_PATH
#define MODULE_PATH "../libhsm-pkcs11.so"
#endif

#define THREADS 4

static double secs = 2;
static CK_FUNCTION_LIST_PTR f;
static CK_SLOT_ID slot;
static CK_OBJECT_HANDLE key;
static atomic_bool stop;
static _Atomic double last_ok;	/* time of the latest good signature */
static atomic_long failures;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sign with @key until @secs passed (or stop is set); count in *arg. */
static void *signer(void *arg)
{
	CK_MECHANISM m = { CKM_ECDSA, NULL, 0 };
	unsigned char dg[32] = { 1 }, sig[64];
	CK_SESSION_HANDLE s;
	CK_ULONG len;
	long *count = arg;
	double end = now() + secs;

	if (f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s) != CKR_OK)
		return NULL;
	while (now() < end && !atomic_load(&stop)) {
		len = sizeof(sig);
		if (f->C_SignInit(s, &m, key) != CKR_OK ||
		    f->C_Sign(s, dg, sizeof(dg), sig, &len) != CKR_OK) {
			atomic_fetch_add(&failures, 1);
			continue;
		}
		atomic_store(&last_ok, now());
		(*count)++;
	}
	f->C_CloseSession(s);
	return NULL;
}

/* Signatures per second of @THREADS signers with key @k. */
static double rate_of(CK_OBJECT_HANDLE k)
{
	pthread_t th[THREADS];
	long counts[THREADS], count = 0;
	double t0 = now();
	int i;

	key = k;
	for (i = 0; i < THREADS; i++) {
		counts[i] = 0;
		pthread_create(&th[i], NULL, signer, &counts[i]);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		count += counts[i];
	}
	return count / (now() - t0);
}

/* A PKCS#8 P-256 key loaded on each board of @boards. */
static int load_key(const int *boards, int n)
{
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	PKCS8_PRIV_KEY_INFO *p8 = pk ? EVP_PKEY2PKCS8(pk) : NULL;
	unsigned char *der = NULL;
	uint8_t uuid[16];
	int len = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8, &der) : -1, i, ret = -1;

	for (i = 0; len > 0 && i < n; i++)
		if (seam_add_private_key(boards[i], der, (size_t)len, uuid))
			break;
	if (len > 0 && i == n)
		ret = 0;
	OPENSSL_free(der);
	PKCS8_PRIV_KEY_INFO_free(p8);
	EVP_PKEY_free(pk);
	return ret;
}

/* The private key objects: the one with CKA_CRYPTECH_REPLICAS @want. */
static CK_OBJECT_HANDLE key_with_replicas(CK_SESSION_HANDLE s, CK_ULONG want)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_VENDOR_DEFINED | 0x43540001UL, &want, sizeof(want) },
	};
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ULONG n = 0;

	if (f->C_FindObjectsInit(s, t, 2) != CKR_OK)
		return h;
	f->C_FindObjects(s, &h, 1, &n);
	f->C_FindObjectsFinal(s);
	return n == 1 ? h : CK_INVALID_HANDLE;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/p11gbench.XXXXXX", sub[200], list[600];
	CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR);
	CK_OBJECT_HANDLE both, one;
	CK_SESSION_HANDLE s;
	CK_ULONG n = 1;
	pthread_t th[THREADS];
	long counts[THREADS];
	double one_rate, group_rate, unplugged, pause;
	unsigned service_ms = 5;
	int b[2], i;
	FILE *conf;
	void *dl;

	if (argc > 1)
		secs = atof(argv[1]);
	if (argc > 2)
		service_ms = (unsigned)atoi(argv[2]);
	if (!mkdtemp(dir))
		return 1;
	for (i = 0; i < 2; i++) {
		snprintf(sub, sizeof(sub), "%s/b%d", dir, i);
		mkdir(sub, 0700);
		b[i] = seam_board_add(sub, i ? "EMU00001" : "EMU00000");
		if (b[i] < 0)
			return 1;
	}
	snprintf(list, sizeof(list), "%s,%s", seam_board_path(b[0]),
		 seam_board_path(b[1]));
	setenv("HSM_PKCS11_DEVICES", list, 1);
	snprintf(sub, sizeof(sub), "%s/groups.conf", dir);
	conf = fopen(sub, "w");
	if (!conf)
		return 1;
	fputs("[group bench]\nboards = EMU00000 EMU00001\n", conf);
	fclose(conf);
	setenv("HSM_GROUPS_CONF", sub, 1);
	setenv("HSM_PKCS11_POOL", "1", 1);	/* one request per board */
	if (load_key(b, 2) || load_key(b, 1)) {
		fprintf(stderr, "group_bench: loading the keys failed\n");
		return 1;
	}
	dl = dlopen(MODULE_PATH, RTLD_NOW);
	get = dl ? (CK_RV (*)(CK_FUNCTION_LIST_PTR_PTR))dlsym(dl, "C_GetFunctionList") : NULL;
	if (!get || get(&f) != CKR_OK || f->C_Initialize(NULL) != CKR_OK ||
	    f->C_GetSlotList(CK_TRUE, &slot, &n) != CKR_OK || n != 1 ||
	    f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s) ||
	    f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)SEAM_USER_PIN,
		       strlen(SEAM_USER_PIN))) {
		fprintf(stderr, "group_bench: set-up failed\n");
		return 1;
	}
	both = key_with_replicas(s, 2);
	one = key_with_replicas(s, 1);
	if (!both || !one) {
		fprintf(stderr, "group_bench: the keys were not found\n");
		return 1;
	}
	seam_set_service_ms(service_ms);
	one_rate = rate_of(one);
	group_rate = rate_of(both);
	printf("ECDSA P-256 signatures/s, %d threads, %u ms per board request, one board session per board:\n",
	       THREADS, service_ms);
	printf("  one board (key on board 1 only)   %8.1f\n", one_rate);
	printf("  group of two boards               %8.1f  (%.2f x one board)\n",
	       group_rate, group_rate / one_rate);

	/* The failover pause: unplug board 2 under the signers. */
	secs = 3600;
	key = both;
	atomic_store(&stop, false);
	atomic_store(&failures, 0);
	for (i = 0; i < THREADS; i++) {
		counts[i] = 0;
		pthread_create(&th[i], NULL, signer, &counts[i]);
	}
	while (atomic_load(&last_ok) == 0)
		sched_yield();
	usleep(200000);		/* signing in full swing */
	unplugged = now();
	seam_unplug(b[1]);
	while (atomic_load(&last_ok) <= unplugged)
		sched_yield();
	pause = atomic_load(&last_ok) - unplugged;
	usleep(200000);
	atomic_store(&stop, true);
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	printf("  failover pause (unplug to the next good signature)  %.1f ms, %ld failed signatures\n",
	       pause * 1000, atomic_load(&failures));
	seam_set_service_ms(0);
	f->C_Finalize(NULL);
	snprintf(sub, sizeof(sub), "rm -rf %s", dir);
	return system(sub) == 0 && atomic_load(&failures) == 0 ? 0 : 1;
}
