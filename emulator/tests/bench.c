// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * `make bench`: the emulator's native ECDSA P-256 and RSA-2048 sign rates
 * (one worker: PKEY_SIGN requests through the dispatcher in-process, and all
 * workers: pipelined over the Unix socket) next to `openssl speed` for the
 * same algorithms, measured in the same run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "board.h"
#include "emu_client.h"
#include "keystore.h"
#include "pin.h"
#include "rpc.h"
#include "rpc_helpers.h"
#include "xdr.h"

#define SECONDS 2.0

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static const uint8_t di[51] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
				0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20, 1, 2, 3 };

static void sign_req(struct req *r, uint32_t client, uint32_t h, bool rsa)
{
	req_init(r, RPC_FUNC_PKEY_SIGN, client);
	req_u32(r, h);
	req_u32(r, 0);
	if (rsa)
		req_opaque(r, di, sizeof(di));
	else
		req_opaque(r, di + 19, 32);
	req_u32(r, rsa ? 256 : 64);
}

/*
 * CPU time of this thread: `openssl speed` divides by CPU (user) time too,
 * so both figures stay comparable on a loaded machine.
 */
static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double inprocess_rate(struct board *b, uint32_t h, bool rsa)
{
	static uint8_t reply[HAL_RPC_MAX_PKT_SIZE];
	struct req r;
	size_t rlen;
	unsigned int delay;
	long n = 0;
	double t0 = cpu_now(), w0 = now(), t;

	sign_req(&r, 0, h, rsa);
	do {
		for (int i = 0; i < 10; i++) {
			rpc_dispatch(b, r.buf, r.len, reply, &rlen, &delay);
			if (get_be32(reply + 8)) {
				fprintf(stderr, "bench: sign failed with %u\n", get_be32(reply + 8));
				exit(1);
			}
		}
		n += 10;
		t = cpu_now() - t0;
	} while (now() - w0 < SECONDS);
	return n / t;
}

static uint32_t gen(struct board *b, bool rsa)
{
	static uint8_t reply[HAL_RPC_MAX_PKT_SIZE];
	struct req r;
	size_t rlen;
	unsigned int delay;

	if (rsa) {
		req_init(&r, RPC_FUNC_PKEY_GENERATE_RSA, 0);
		req_u32(&r, 0);
		req_u32(&r, 2048);
		req_opaque(&r, "\1\0\1", 3);
		req_u32(&r, HAL_KEY_FLAG_USAGE_DIGITALSIGNATURE);
	} else {
		req_init(&r, RPC_FUNC_PKEY_GENERATE_EC, 0);
		req_u32(&r, 0);
		req_u32(&r, HAL_CURVE_P256);
		req_u32(&r, HAL_KEY_FLAG_USAGE_DIGITALSIGNATURE);
	}
	rpc_dispatch(b, r.buf, r.len, reply, &rlen, &delay);
	if (get_be32(reply + 8)) {
		fprintf(stderr, "bench: key generation failed\n");
		exit(1);
	}
	return get_be32(reply + 12);
}

/* All workers: several clients' requests in flight over the socket. */
static double socket_rate(struct emu *e, uint32_t h, bool rsa)
{
	uint8_t buf[HAL_RPC_MAX_PKT_SIZE];
	size_t len;
	struct req r;
	long sent = 0, got = 0;
	double t0 = now(), t;

	for (int c = 0; c < 16; c++, sent++) {
		sign_req(&r, (uint32_t)c, h, rsa);
		emu_send(e, r.buf, r.len);
	}
	do {
		if (emu_recv(e, buf, &len, 10000) < 0 || get_be32(buf + 8)) {
			fprintf(stderr, "bench: socket sign failed\n");
			exit(1);
		}
		got++;
		sign_req(&r, get_be32(buf + 4), h, rsa);
		emu_send(e, r.buf, r.len);
		sent++;
		t = now() - t0;
	} while (t < SECONDS);
	while (got < sent && emu_recv(e, buf, &len, 10000) == 0)
		got++;
	return got / (now() - t0);
}

/* `openssl speed`'s sign/s for one algorithm, single thread, same run. */
static double openssl_rate(const char *alg, const char *match)
{
	char cmd[256], line[512];
	double rate = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "openssl speed -seconds %d %s 2>/dev/null", (int)SECONDS, alg);
	p = popen(cmd, "r");
	if (!p)
		return 0;
	while (fgets(line, sizeof(line), p)) {
		double a, b, c, d;
		char *m = strstr(line, match);

		if (!m)
			continue;
		m += strlen(match);
		if (sscanf(m, " %lfs %lfs %lf %lf", &a, &b, &c, &d) == 4)
			rate = c;
	}
	pclose(p);
	return rate;
}

int main(void)
{
	static struct board b;
	char dir[] = "/tmp/emu-bench-XXXXXX", err[256], cmd[64];
	uint32_t hec, hrsa, sec, srsa;
	double ec1, rsa1, ecs, rsas, oec, orsa;
	struct emu e;

	if (!mkdtemp(dir) || board_init(&b, dir, err, sizeof(err)) ||
	    keystore_load(&b, err, sizeof(err))) {
		fprintf(stderr, "bench: %s\n", err);
		return 1;
	}
	login_set(&b, 0, HAL_USER_WHEEL);
	hec = gen(&b, false);
	hrsa = gen(&b, true);
	ec1 = inprocess_rate(&b, hec, false);
	rsa1 = inprocess_rate(&b, hrsa, true);
	keystore_free(&b);
	board_free(&b);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		return 1;

	if (emu_start(&e, NULL, NULL) || bringup(&e) ||
	    cl_login(&e, 0, HAL_USER_WHEEL, WHEEL_PIN) ||
	    cl_gen_ec(&e, 0, HAL_CURVE_P256, HAL_KEY_FLAG_USAGE_DIGITALSIGNATURE, &sec, NULL) ||
	    cl_gen_rsa(&e, 0, 2048, HAL_KEY_FLAG_USAGE_DIGITALSIGNATURE, &srsa, NULL)) {
		fprintf(stderr, "bench: cannot start an emulator\n");
		return 1;
	}
	ecs = socket_rate(&e, sec, false);
	rsas = socket_rate(&e, srsa, true);
	emu_cleanup(&e);

	oec = openssl_rate("ecdsap256", "ecdsa (nistp256)");
	orsa = openssl_rate("rsa2048", "rsa 2048 bits");

	printf("%-44s %14s %14s\n", "sign rate (signatures/s)", "ECDSA P-256", "RSA-2048");
	printf("%-44s %14.0f %14.0f\n", "openssl speed, 1 thread (per CPU second)", oec, orsa);
	printf("%-44s %14.0f %14.0f\n", "emulator, 1 worker (per CPU second)", ec1, rsa1);
	printf("%-44s %13.0f%% %13.0f%%\n", "  ratio to openssl", oec ? 100 * ec1 / oec : 0,
	       orsa ? 100 * rsa1 / orsa : 0);
	printf("%-44s %14.0f %14.0f\n", "emulator, 4 workers, Unix socket (wall clock)", ecs, rsas);
	printf("(1 worker = PKEY_SIGN requests through the dispatcher in-process; the socket\n"
	       " figure has 16 clients in flight and includes SLIP and the client; %ld CPUs)\n",
	       sysconf(_SC_NPROCESSORS_ONLN));
	return (oec && orsa) ? 0 : 1;
}
