// SPDX-License-Identifier: GPL-2.0
/*
 * Signatures per second a board makes when driven directly through libhsm,
 * with N concurrent sessions, each logged in as the user with its own
 * volatile key: the baseline of the DNSSEC benchmark
 * (tests/bench/dnssec-bench.sh), which compares Knot signing through the
 * PKCS#11 module with it on the same board in the same run.
 *
 *   libhsm_sign_rate --device /dev/hsm0 --pin-file FILE --alg ec|rsa
 *                    [--sessions N] [--seconds S]
 *
 * Prints one line: "rate R sessions N alg ALG signatures C seconds S".
 * ECDSA P-256 signs a SHA-256 digest; RSA-2048 a SHA-256 DigestInfo, as
 * the module's CKM_ECDSA and CKM_RSA_PKCS (what Knot, through GnuTLS, calls).
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hsm/hsm.h>

#define MAX_SESSIONS	10	/* the board's login slots */

struct sess {
	struct hsm_session *s;
	uint32_t key;
	long n;
	int err;
};

static atomic_bool go, stop;
static int rsa;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *run(void *arg)
{
	/* SHA-256 DigestInfo prefix, then the digest */
	static const uint8_t di[19] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86,
		0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
	struct sess *s = arg;
	uint8_t in[51], sig[HSM_SIGNATURE_MAX];
	size_t off = rsa ? sizeof(di) : 0;

	memcpy(in, di, sizeof(di));
	memset(in + off, 0x5c, 32);
	while (!atomic_load(&go))
		usleep(1000);
	while (!atomic_load(&stop)) {
		size_t len = sizeof(sig);

		s->err = hsm_sign(s->s, s->key, in, off + 32, sig, &len, NULL);
		if (s->err)
			break;
		s->n++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "pin-file", required_argument, NULL, 'p' },
		{ "alg", required_argument, NULL, 'a' },
		{ "sessions", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dev = "/dev/hsm0", *pinfile = NULL, *alg = "ec";
	struct sess s[MAX_SESSIONS];
	pthread_t th[MAX_SESSIONS];
	double seconds = 5, t0, el;
	char pin[256];
	size_t pinlen;
	long total = 0;
	int nsess = 1, c, i, rc = 0;
	FILE *f;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dev = optarg; break;
		case 'p': pinfile = optarg; break;
		case 'a': alg = optarg; break;
		case 'n': nsess = atoi(optarg); break;
		case 't': seconds = atof(optarg); break;
		default: goto usage;
		}
	}
	rsa = !strcmp(alg, "rsa");
	if (!pinfile || (!rsa && strcmp(alg, "ec")) || nsess < 1 || nsess > MAX_SESSIONS ||
	    seconds <= 0)
		goto usage;
	f = fopen(pinfile, "r");
	if (!f || !fgets(pin, sizeof(pin), f)) {
		fprintf(stderr, "libhsm_sign_rate: cannot read %s\n", pinfile);
		return 1;
	}
	fclose(f);
	pinlen = strcspn(pin, "\n");

	for (i = 0; i < nsess; i++) {
		int e;

		s[i].n = 0;
		s[i].err = 0;
		e = hsm_open(dev, &s[i].s);
		if (!e)
			e = hsm_login(s[i].s, HSM_USER_NORMAL, pin, pinlen, NULL);
		if (!e)
			e = rsa ? hsm_generate_rsa(s[i].s, 2048, 0, HSM_KEY_F_SIGN, &s[i].key,
						   NULL, NULL)
				: hsm_generate_ec(s[i].s, HSM_CURVE_P256, HSM_KEY_F_SIGN,
						  &s[i].key, NULL, NULL);
		if (e) {
			fprintf(stderr, "libhsm_sign_rate: session %d set-up: %s\n", i,
				strerror(-e));
			return 1;
		}
		pthread_create(&th[i], NULL, run, &s[i]);
	}
	memset(pin, 0, sizeof(pin));
	t0 = now();
	atomic_store(&go, true);
	while (now() - t0 < seconds)
		usleep(20000);	/* the measuring window */
	atomic_store(&stop, true);
	for (i = 0; i < nsess; i++) {
		pthread_join(th[i], NULL);
		if (s[i].err) {
			fprintf(stderr, "libhsm_sign_rate: session %d: sign: %s\n", i,
				strerror(-s[i].err));
			rc = 1;
		}
		total += s[i].n;
	}
	el = now() - t0;
	for (i = 0; i < nsess; i++)
		hsm_close(s[i].s);	/* logs out; the volatile keys go */
	printf("rate %.1f sessions %d alg %s signatures %ld seconds %.2f\n", total / el, nsess,
	       alg, total, el);
	return rc;
usage:
	fprintf(stderr, "usage: libhsm_sign_rate --device DEV --pin-file FILE --alg ec|rsa "
		"[--sessions N] [--seconds S]\n");
	return 2;
}
