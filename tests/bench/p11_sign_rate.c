// SPDX-License-Identifier: GPL-2.0
/*
 * Signatures per second through a PKCS#11 token, and the pause a signer
 * sees when a board of a redundancy group goes away: the group benchmark
 * (tests/bench/group-bench.sh, issue 13 point 6).
 *
 *   p11_sign_rate --module SO --token LABEL --pin-file FILE (--key LABEL | --key-id HEX)
 *                 [--threads N] [--seconds S]
 *                 [--unplug-after S --unplug-cmd CMD [--after-cmd S]]
 *
 * N threads, each with a PKCS#11 session of its own, sign a SHA-256 digest
 * with the ECDSA private key labelled LABEL, or whose CKA_ID is HEX (as
 * Knot's keys, whose id is their CKA_ID), (CKM_ECDSA, as Knot through
 * GnuTLS) for S seconds. With --unplug-after, CMD is run (sh -c) that many
 * seconds in, and the pause is the longest a signature took from CMD's
 * start on (from CMD's start or the call's, the later): what a signer
 * waits when the board its request went to vanishes and the request is
 * retried on another board. --after-cmd S keeps signing at least S seconds
 * after CMD returns (a board it plugs back must get the time to serve),
 * however long CMD took. Every failed C_Sign is counted; a run with
 * failures exits 1.
 *
 * Prints one line: "rate R threads N signatures C failures F seconds S"
 * and, with --unplug-after, " pause_ms P".
 */
#include <dlfcn.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

#define MAX_THREADS 32

static CK_FUNCTION_LIST_PTR p11;
static CK_SLOT_ID slot;
static char pin[256];
static CK_ULONG pin_len;
static const char *key_label;
static unsigned char key_id[64];
static const char *key_id_hex;
static size_t key_id_len;
static atomic_bool go, stop;
static atomic_long signatures, failures;
/* nanoseconds: when the unplug command started (0: not yet), and the
 * longest signature since */
static atomic_ullong unplug_ns, pause_ns;

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static void die(const char *what, CK_RV rv)
{
	fprintf(stderr, "p11_sign_rate: %s: CKR 0x%lx\n", what, (unsigned long)rv);
	exit(2);
}

/* The token labelled @label (blank-padded in CK_TOKEN_INFO). */
static CK_SLOT_ID find_slot(const char *label)
{
	CK_SLOT_ID ids[32];
	CK_ULONG n = 32, i;
	CK_TOKEN_INFO ti;
	char padded[33];
	CK_RV rv;

	snprintf(padded, sizeof(padded), "%-32s", label);
	rv = p11->C_GetSlotList(CK_TRUE, ids, &n);
	if (rv != CKR_OK)
		die("C_GetSlotList", rv);
	for (i = 0; i < n; i++)
		if (p11->C_GetTokenInfo(ids[i], &ti) == CKR_OK &&
		    !memcmp(ti.label, padded, 32))
			return ids[i];
	fprintf(stderr, "p11_sign_rate: no token labelled %s\n", label);
	exit(2);
}

static CK_OBJECT_HANDLE find_key(CK_SESSION_HANDLE s)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_LABEL, (void *)key_label, key_label ? strlen(key_label) : 0 },
	};
	CK_OBJECT_HANDLE h;
	CK_ULONG n = 0;
	CK_RV rv;

	if (!key_label) {
		t[1].type = CKA_ID;
		t[1].pValue = key_id;
		t[1].ulValueLen = key_id_len;
	}
	rv = p11->C_FindObjectsInit(s, t, 2);
	if (rv == CKR_OK)
		rv = p11->C_FindObjects(s, &h, 1, &n);
	p11->C_FindObjectsFinal(s);
	if (rv != CKR_OK || n != 1) {
		fprintf(stderr, "p11_sign_rate: no private key %s %s\n",
			key_label ? "labelled" : "with the id", key_label ? key_label : key_id_hex);
		exit(2);
	}
	return h;
}

static void *signer(void *arg)
{
	CK_MECHANISM mech = { CKM_ECDSA, NULL, 0 };
	unsigned char digest[32], sig[256];
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE key;
	CK_RV rv;

	(void)arg;
	memset(digest, 0x5a, sizeof(digest));
	rv = p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s);
	if (rv != CKR_OK)
		die("C_OpenSession", rv);
	key = find_key(s);
	while (!atomic_load(&go))
		sched_yield();
	while (!atomic_load(&stop)) {
		unsigned long long start = now_ns(), end, from, u, max;
		CK_ULONG len = sizeof(sig);

		rv = p11->C_SignInit(s, &mech, key);
		if (rv == CKR_OK)
			rv = p11->C_Sign(s, digest, sizeof(digest), sig, &len);
		if (rv != CKR_OK) {
			if (atomic_fetch_add(&failures, 1) < 5)
				fprintf(stderr, "p11_sign_rate: C_Sign: CKR 0x%lx\n",
					(unsigned long)rv);
			continue;
		}
		atomic_fetch_add(&signatures, 1);
		u = atomic_load(&unplug_ns);
		if (!u)
			continue;
		end = now_ns();
		from = start > u ? start : u;
		max = atomic_load(&pause_ns);
		while (end - from > max &&
		       !atomic_compare_exchange_weak(&pause_ns, &max, end - from))
			;
	}
	p11->C_CloseSession(s);
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "module", 1, NULL, 'm' }, { "token", 1, NULL, 't' },
		{ "pin-file", 1, NULL, 'p' }, { "key", 1, NULL, 'k' },
		{ "key-id", 1, NULL, 'i' },
		{ "threads", 1, NULL, 'n' }, { "seconds", 1, NULL, 's' },
		{ "unplug-after", 1, NULL, 'u' }, { "unplug-cmd", 1, NULL, 'c' },
		{ "after-cmd", 1, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	const char *module = NULL, *token = NULL, *pin_file = NULL, *cmd = NULL;
	double seconds = 5, unplug_after = -1, after_cmd = 0, elapsed;
	CK_C_INITIALIZE_ARGS init = { .flags = CKF_OS_LOCKING_OK };
	pthread_t th[MAX_THREADS];
	int threads = 1, i, o;
	unsigned long long t0;
	CK_C_GetFunctionList get;
	CK_SESSION_HANDLE ls;
	void *so;
	FILE *f;
	CK_RV rv;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'm': module = optarg; break;
		case 't': token = optarg; break;
		case 'p': pin_file = optarg; break;
		case 'k': key_label = optarg; break;
		case 'i': key_id_hex = optarg; break;
		case 'n': threads = atoi(optarg); break;
		case 's': seconds = atof(optarg); break;
		case 'u': unplug_after = atof(optarg); break;
		case 'c': cmd = optarg; break;
		case 'a': after_cmd = atof(optarg); break;
		default: return 2;
		}
	}
	if (key_id_hex) {
		size_t hl = strlen(key_id_hex);
		unsigned int byte;

		for (key_id_len = 0; key_id_len < sizeof(key_id) && 2 * key_id_len + 1 < hl &&
		     sscanf(key_id_hex + 2 * key_id_len, "%2x", &byte) == 1; key_id_len++)
			key_id[key_id_len] = (unsigned char)byte;
		if (hl % 2 || 2 * key_id_len != hl)
			key_id_hex = NULL;	/* not hex: the usage below */
	}
	if (!module || !token || !pin_file || !key_label == !key_id_hex || threads < 1 ||
	    threads > MAX_THREADS || seconds <= 0 || (unplug_after >= 0) != !!cmd ||
	    unplug_after >= seconds || after_cmd < 0 || (after_cmd > 0 && !cmd)) {
		fprintf(stderr, "usage: p11_sign_rate --module SO --token LABEL --pin-file FILE "
			"(--key LABEL | --key-id HEX) [--threads 1-%d] [--seconds S] "
			"[--unplug-after S --unplug-cmd CMD [--after-cmd S]] (S after < seconds)\n",
			MAX_THREADS);
		return 2;
	}
	f = fopen(pin_file, "r");
	if (!f || !fgets(pin, sizeof(pin), f)) {
		fprintf(stderr, "p11_sign_rate: cannot read %s\n", pin_file);
		return 2;
	}
	fclose(f);
	pin[strcspn(pin, "\n")] = '\0';
	pin_len = strlen(pin);

	so = dlopen(module, RTLD_NOW);
	if (!so) {
		fprintf(stderr, "p11_sign_rate: %s\n", dlerror());
		return 2;
	}
	get = (CK_C_GetFunctionList)dlsym(so, "C_GetFunctionList");
	if (!get || get(&p11) != CKR_OK)
		die("C_GetFunctionList", CKR_GENERAL_ERROR);
	rv = p11->C_Initialize(&init);
	if (rv != CKR_OK)
		die("C_Initialize", rv);
	slot = find_slot(token);
	/* One login for the token, held by this session for the run. */
	rv = p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &ls);
	if (rv == CKR_OK)
		rv = p11->C_Login(ls, CKU_USER, (CK_UTF8CHAR_PTR)pin, pin_len);
	explicit_bzero(pin, sizeof(pin));
	if (rv != CKR_OK)
		die("C_Login", rv);

	for (i = 0; i < threads; i++)
		if (pthread_create(&th[i], NULL, signer, NULL))
			die("pthread_create", CKR_HOST_MEMORY);
	t0 = now_ns();
	atomic_store(&go, true);
	if (unplug_after >= 0) {
		usleep((useconds_t)(unplug_after * 1e6));
		atomic_store(&unplug_ns, now_ns());
		if (system(cmd) != 0)
			fprintf(stderr, "p11_sign_rate: %s failed\n", cmd);
		elapsed = (double)(now_ns() - t0) / 1e9;
		if (elapsed + after_cmd > seconds)
			seconds = elapsed + after_cmd;
	}
	elapsed = (double)(now_ns() - t0) / 1e9;
	if (elapsed < seconds)
		usleep((useconds_t)((seconds - elapsed) * 1e6));
	atomic_store(&stop, true);
	for (i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	elapsed = (double)(now_ns() - t0) / 1e9;
	printf("rate %.1f threads %d signatures %ld failures %ld seconds %.2f",
	       atomic_load(&signatures) / elapsed, threads, atomic_load(&signatures),
	       atomic_load(&failures), elapsed);
	if (unplug_after >= 0)
		printf(" pause_ms %.1f", (double)atomic_load(&pause_ns) / 1e6);
	printf("\n");
	p11->C_Logout(ls);
	p11->C_CloseSession(ls);
	p11->C_Finalize(NULL);
	return atomic_load(&failures) ? 1 : 0;
}
