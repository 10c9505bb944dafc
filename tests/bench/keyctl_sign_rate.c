// SPDX-License-Identifier: GPL-2.0
/*
 * Signatures per second through "keyctl pkey_sign" of one board key in the
 * kernel's keyrings (driver/keyring.c), with N threads signing with the
 * same key serial at once: the keyctl row of the in-kernel users benchmark
 * (tests/bench/kernel-users-bench.sh), which compares it with the ioctl
 * path's rate (libhsm_sign_rate) in the same run.
 *
 *   keyctl_sign_rate --key SERIAL --alg ec|rsa [--threads N] [--seconds S]
 *
 * Prints one line: "rate R threads N alg ALG signatures C seconds S".
 * Both sign a SHA-256 digest: ECDSA P-256 with enc=x962, RSA-2048 with
 * enc=pkcs1 (PKCS#1 v1.5; the kernel adds the DigestInfo).
 * Uses the raw syscall, so it needs no libkeyutils.
 */
#include <errno.h>
#include <getopt.h>
#include <linux/keyctl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS	32
#define SIG_MAX		512	/* RSA-4096, more than enough */

struct signer {
	pthread_t th;
	long n;
	int err;
};

static atomic_bool go, stop;
static long key_serial;
static const char *info;
static unsigned int sig_max;	/* the key's max_sig_size: out_len may not exceed it */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* KEYCTL_PKEY_SIGN of @digest: the signature's length, or -errno. */
static long pkey_sign(const unsigned char *digest, size_t len, unsigned char *sig)
{
	struct keyctl_pkey_params p = {
		.key_id = key_serial, .in_len = len, .out_len = sig_max,
	};
	long n = syscall(SYS_keyctl, KEYCTL_PKEY_SIGN, &p, info, digest, sig);

	return n < 0 ? -errno : n;
}

/* The key's largest signature for @info: pkey_sign refuses a larger out_len. */
static int query_sig_max(void)
{
	struct keyctl_pkey_query q;

	if (syscall(SYS_keyctl, KEYCTL_PKEY_QUERY, key_serial, 0, info, &q) < 0) {
		fprintf(stderr, "keyctl_sign_rate: pkey_query of key %ld (%s): %s\n", key_serial,
			info, strerror(errno));
		return -1;
	}
	sig_max = q.max_sig_size < SIG_MAX ? q.max_sig_size : SIG_MAX;
	return 0;
}

static void *run(void *arg)
{
	struct signer *s = arg;
	unsigned char digest[32], sig[SIG_MAX];
	long n;

	memset(digest, 0x5c, sizeof(digest));
	while (!atomic_load(&go))
		usleep(1000);
	while (!atomic_load(&stop)) {
		n = pkey_sign(digest, sizeof(digest), sig);
		if (n <= 0) {
			s->err = n ? (int)-n : EPROTO;
			break;
		}
		s->n++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "alg", required_argument, NULL, 'a' },
		{ "threads", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct signer s[MAX_THREADS] = { 0 };
	const char *alg = NULL;
	double seconds = 5, t0, el;
	unsigned char sig[SIG_MAX], digest[32] = { 0 };
	long total = 0, n;
	int nthreads = 1, c, i, rc = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			key_serial = strtol(optarg, NULL, 0);
			break;
		case 'a':
			alg = optarg;
			break;
		case 'n':
			nthreads = atoi(optarg);
			break;
		case 't':
			seconds = atof(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (!alg || key_serial <= 0 || nthreads < 1 || nthreads > MAX_THREADS || seconds <= 0)
		goto usage;
	if (!strcmp(alg, "ec"))
		info = "enc=x962 hash=sha256";
	else if (!strcmp(alg, "rsa"))
		info = "enc=pkcs1 hash=sha256";
	else
		goto usage;

	if (query_sig_max())
		return 1;
	/* One signature first, so that a key that cannot sign says why once. */
	n = pkey_sign(digest, sizeof(digest), sig);
	if (n <= 0) {
		fprintf(stderr, "keyctl_sign_rate: pkey_sign of key %ld (%s): %s%s\n", key_serial,
			info, n ? strerror((int)-n) : "empty signature",
			n == -EACCES ? " (the board's kernel session needs 'hsmctl kernel-login')"
				     : "");
		return 1;
	}

	for (i = 0; i < nthreads; i++) {
		errno = pthread_create(&s[i].th, NULL, run, &s[i]);
		if (errno) {
			perror("keyctl_sign_rate: pthread_create");
			return 1;
		}
	}
	t0 = now();
	atomic_store(&go, true);
	while (now() - t0 < seconds)
		usleep(20000);	/* the measuring window */
	atomic_store(&stop, true);
	for (i = 0; i < nthreads; i++) {
		pthread_join(s[i].th, NULL);
		if (s[i].err) {
			fprintf(stderr, "keyctl_sign_rate: thread %d: pkey_sign: %s\n", i,
				strerror(s[i].err));
			rc = 1;
		}
		total += s[i].n;
	}
	el = now() - t0;
	printf("rate %.1f threads %d alg %s signatures %ld seconds %.2f\n", total / el, nthreads,
	       alg, total, el);
	return rc;
usage:
	fprintf(stderr, "usage: keyctl_sign_rate --key SERIAL --alg ec|rsa [--threads N] "
		"[--seconds S]\n");
	return 2;
}
