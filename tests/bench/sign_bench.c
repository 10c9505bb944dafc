// SPDX-License-Identifier: GPL-2.0
/*
 * Sign rate through the driver with 1, 4 and 16 concurrent sessions, as a
 * ratio of the board's ideal rate (workers / service time), and the latency
 * the driver (plus the line and the emulator's own signing) adds to the
 * board's service time. Runs in the test VM against an emulator started with
 * a fixed PKEY_SIGN service time (tests/bench.sh):
 *
 *   sign_bench [--service-ms MS] [--workers N] [--seconds S]
 *
 * Each session is its own open file with its own volatile PUBLIC P-256 key,
 * so no login is needed (16 sessions exceed the board's 10 login slots).
 */
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>

#include "hsm_ioctl.h"

#define MAX_SESSIONS	16
#define MAX_SAMPLES	200000

struct sess {
	int fd;
	uint32_t handle;
	long n;
	int err;
	double *lat;		/* per-operation latency, ms */
	long nlat;
};

static atomic_bool go, stop;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *run(void *arg)
{
	struct sess *s = arg;
	uint8_t dig[32], sig[64];

	memset(dig, 0x5c, sizeof(dig));
	while (!atomic_load(&go))
		;
	while (!atomic_load(&stop)) {
		uint32_t sl = sizeof(sig);
		double t0 = now_ms();

		s->err = hsm_t_sign(s->fd, s->handle, dig, 32, sig, &sl, NULL);
		if (s->err)
			break;
		if (s->nlat < MAX_SAMPLES)
			s->lat[s->nlat++] = now_ms() - t0;
		s->n++;
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, long n, double p)
{
	long i = (long)(p * (n - 1) + 0.5);

	return n ? v[i] : 0;
}

int main(int argc, char **argv)
{
	static const int counts[] = { 1, 4, 16 };
	struct hsm_board_desc d;
	struct sess s[MAX_SESSIONS];
	double service_ms = 20, seconds = 5, ideal;
	int workers = 4, c, i, rc = 0;

	static const struct option opts[] = {
		{ "service-ms", required_argument, NULL, 's' },
		{ "workers", required_argument, NULL, 'w' },
		{ "seconds", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': service_ms = atof(optarg); break;
		case 'w': workers = atoi(optarg); break;
		case 't': seconds = atof(optarg); break;
		default:
			fprintf(stderr, "usage: sign_bench [--service-ms MS] [--workers N] [--seconds S]\n");
			return 2;
		}
	}
	if (service_ms <= 0 || workers <= 0 || seconds <= 0)
		return 2;
	ideal = workers * 1000.0 / service_ms;

	if (hsm_t_attach(0, &d))
		return 1;
	for (i = 0; i < MAX_SESSIONS; i++) {
		struct hsm_t_key k;

		s[i].fd = hsm_t_open_dev(&d);
		s[i].lat = malloc(MAX_SAMPLES * sizeof(double));
		if (s[i].fd < 0 || !s[i].lat ||
		    hsm_t_gen_ec(s[i].fd, CRYPTECH_HSM_CURVE_P256,
				 CRYPTECH_HSM_KEY_F_SIGN | CRYPTECH_HSM_KEY_F_PUBLIC, &k, NULL)) {
			fprintf(stderr, "sign_bench: session %d set-up failed\n", i);
			return 1;
		}
		s[i].handle = k.handle;
	}

	printf("sign_bench: ECDSA P-256 PKEY_SIGN, board service time %.1f ms, %d workers: "
	       "ideal %.1f signatures/s\n", service_ms, workers, ideal);
	printf("%-9s %10s %10s %12s %14s %14s\n", "sessions", "signs/s", "of ideal",
	       "of min(n,w)", "added p50 ms", "added p99 ms");
	for (c = 0; c < 3; c++) {
		int n = counts[c];
		pthread_t t[MAX_SESSIONS];
		double t0, el, rate, *all;
		long total = 0, nl = 0;

		atomic_store(&go, false);
		atomic_store(&stop, false);
		for (i = 0; i < n; i++) {
			s[i].n = s[i].nlat = 0;
			s[i].err = 0;
			pthread_create(&t[i], NULL, run, &s[i]);
		}
		t0 = now_ms();
		atomic_store(&go, true);
		while (now_ms() - t0 < seconds * 1000)
			usleep(20000);	/* the measuring window, not synchronisation */
		atomic_store(&stop, true);
		for (i = 0; i < n; i++)
			pthread_join(t[i], NULL);
		el = now_ms() - t0;
		all = malloc(MAX_SAMPLES * MAX_SESSIONS * sizeof(double));
		for (i = 0; i < n; i++) {
			if (s[i].err) {
				fprintf(stderr, "sign_bench: %d sessions: sign failed: %s\n", n,
					strerror(-s[i].err));
				rc = 1;
			}
			total += s[i].n;
			memcpy(all + nl, s[i].lat, s[i].nlat * sizeof(double));
			nl += s[i].nlat;
		}
		qsort(all, nl, sizeof(double), cmp_double);
		rate = total * 1000.0 / el;
		/*
		 * Latency over the service time: with n <= workers there is no
		 * queueing on the board, so this is what the driver, the line and
		 * the emulator's own signing add. With more sessions than
		 * workers it includes the wait for a free worker.
		 */
		printf("%-9d %10.1f %10.3f %12.3f %14.2f %14.2f\n", n, rate, rate / ideal,
		       rate / (ideal * (n < workers ? n : workers) / workers),
		       pct(all, nl, 0.5) - service_ms, pct(all, nl, 0.99) - service_ms);
		free(all);
	}
	printf("target: at least 0.900 of ideal with 4 and 16 sessions\n");
	for (i = 0; i < MAX_SESSIONS; i++)
		close(s[i].fd);
	hsm_detach(d.index, NULL, 0);
	return rc;
}
