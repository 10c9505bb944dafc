// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Fuzz the board in-process: random and mutated frames go through the SLIP
 * decoder and straight into the dispatcher (no sockets, no threads), at
 * least FUZZ_FRAMES of them. Built with ASan+UBSan by `make check`, which
 * also makes LeakSanitizer check the board's teardown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "kselftest_harness.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#include "board.h"
#include "emu_client.h"
#include "hash.h"
#include "keystore.h"
#include "pin.h"
#include "pkey.h"
#include "rpc.h"
#include "slip.h"
#include "xdr.h"

#ifndef FUZZ_FRAMES
#define FUZZ_FRAMES 1000000
#endif

/* xorshift: fast, reproducible from the printed seed */
static uint64_t rng_state;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

struct frame {
	size_t len;
	uint8_t b[1024];
};

static struct frame corpus[64];
static int ncorpus;

static void add(const struct req *r)
{
	if (ncorpus < 64 && r->len <= sizeof(corpus[0].b)) {
		memcpy(corpus[ncorpus].b, r->buf, r->len);
		corpus[ncorpus].len = r->len;
		ncorpus++;
	}
}

/* One valid request of every function, naming the handles the setup created. */
struct extras {
	uint32_t hash;
	uint8_t spki[200], sig[64], p8[400], kek[400];
	uint32_t spki_len, p8_len, kek_len;
};

static void build_corpus(const uint8_t *uuid, uint32_t hec, uint32_t htok, uint32_t hrsa,
			 const struct extras *x)
{
	static const uint8_t digest[32] = { 1, 2, 3 };
	struct req r;

	req_init(&r, 0, 0); add(&r);
	req_init(&r, 1, 0); req_u32(&r, 16); add(&r);
	req_init(&r, 2, 0); req_u32(&r, 1); req_opaque(&r, "fnord", 5); add(&r);
	req_init(&r, 3, 0); req_u32(&r, 1); req_opaque(&r, "wrong", 5); add(&r);
	req_init(&r, 4, 9); add(&r);
	req_init(&r, 5, 0); add(&r);
	req_init(&r, 6, 0); req_u32(&r, 3); add(&r);
	req_init(&r, 7, 0); req_u32(&r, 3); add(&r);
	req_init(&r, 8, 0); req_u32(&r, 3); req_u32(&r, 64); add(&r);
	req_init(&r, 9, 0); req_u32(&r, x->hash); add(&r);
	req_init(&r, 12, 0); req_u32(&r, x->hash); req_u32(&r, 64); add(&r);
	req_init(&r, 13, 0); req_u32(&r, 0); req_opaque(&r, x->spki, x->spki_len);
	req_u32(&r, 0x11); add(&r);
	req_init(&r, 24, 0); req_u32(&r, hec); req_u32(&r, 0); req_opaque(&r, digest, 32);
	req_opaque(&r, x->sig, 64); add(&r);
	req_init(&r, 23, 0); req_u32(&r, hec); req_u32(&r, x->hash); req_opaque(&r, NULL, 0);
	req_u32(&r, 64); add(&r);
	if (x->p8_len) {
		req_init(&r, 30, 0); req_u32(&r, 0); req_u32(&r, hrsa);
		req_opaque(&r, x->p8, x->p8_len); req_opaque(&r, x->kek, x->kek_len);
		req_u32(&r, 1); add(&r);
	}
	req_init(&r, 10, 0); req_u32(&r, 0); req_u32(&r, 3); req_opaque(&r, NULL, 0); add(&r);
	req_init(&r, 10, 0); req_u32(&r, 0); req_u32(&r, 7); req_opaque(&r, "k", 1); add(&r);
	req_init(&r, 11, 0); req_u32(&r, x->hash); req_opaque(&r, "abc", 3); add(&r);
	req_init(&r, 14, 0); req_u32(&r, 0); req_opaque(&r, uuid, 16); add(&r);
	req_init(&r, 15, 0); req_u32(&r, 0); req_u32(&r, 1024); req_opaque(&r, "\1\0\1", 3);
	req_u32(&r, 0x11); add(&r);
	req_init(&r, 16, 0); req_u32(&r, 0); req_u32(&r, 1); req_u32(&r, 1); add(&r);
	req_init(&r, 16, 0); req_u32(&r, 0); req_u32(&r, 2); req_u32(&r, 0x29); add(&r);
	req_init(&r, 17, 0); req_u32(&r, 0x00050004); add(&r);
	req_init(&r, 18, 0); req_u32(&r, 0x00060005); add(&r);
	for (uint32_t op = 19; op <= 21; op++) {
		req_init(&r, op, 0); req_u32(&r, hec); add(&r);
	}
	req_init(&r, 22, 0); req_u32(&r, htok); req_u32(&r, 200); add(&r);
	req_init(&r, 23, 0); req_u32(&r, hec); req_u32(&r, 0); req_opaque(&r, digest, 32);
	req_u32(&r, 64); add(&r);
	req_init(&r, 23, 0); req_u32(&r, hrsa); req_u32(&r, 0); req_opaque(&r, digest, 32);
	req_u32(&r, 128); add(&r);
	req_init(&r, 24, 0); req_u32(&r, hec); req_u32(&r, 0); req_opaque(&r, digest, 32);
	req_opaque(&r, digest, 32); req_opaque(&r, digest, 32); add(&r);
	req_init(&r, 25, 0); req_u32(&r, 0); req_u32(&r, 0); req_u32(&r, 0); req_u32(&r, 8);
	req_u32(&r, 8); req_u32(&r, 1); req_u32(&r, 3); req_opaque(&r, "lbl", 3); req_u32(&r, 0);
	req_u32(&r, 10); req_opaque(&r, uuid, 16); add(&r);
	req_init(&r, 26, 0); req_u32(&r, htok); add(&r);
	req_init(&r, 27, 0); req_u32(&r, htok); req_u32(&r, 2); req_u32(&r, 3);
	req_opaque(&r, "lbl", 3); req_u32(&r, 4); req_u32(&r, 0xFFFFFFFF); add(&r);
	req_init(&r, 28, 0); req_u32(&r, htok); req_u32(&r, 2); req_u32(&r, 3);
	req_u32(&r, 4); req_u32(&r, 100); add(&r);
	req_init(&r, 29, 0); req_u32(&r, hec); req_u32(&r, hrsa); req_u32(&r, 6000);
	req_u32(&r, 300); add(&r);
	req_init(&r, 30, 0); req_u32(&r, 0); req_u32(&r, hrsa); req_opaque(&r, digest, 32);
	req_opaque(&r, digest, 32); req_u32(&r, 1); add(&r);
	req_init(&r, 31, 0); req_u32(&r, 0); req_u32(&r, 1); req_u32(&r, 5); req_u32(&r, 3);
	req_u32(&r, 1); add(&r);
}

static const uint32_t interesting[] = {
	0, 1, 2, 3, 4, 7, 8, 16, 31, 32, 64, 818, 819, 1024, 5480, 16364, 16368, 16369, 16384,
	0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE, 0x00010000, 0x80020001,
};

static size_t mutate(uint8_t *b, size_t len, size_t max)
{
	int n = 1 + (int)(rnd() % 4);

	while (n--) {
		switch (rnd() % 7) {
		case 0:		/* bit flip */
			if (len)
				b[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
			break;
		case 1:		/* random byte */
			if (len)
				b[rnd() % len] = (uint8_t)rnd();
			break;
		case 2:		/* interesting word at a word boundary */
			if (len >= 4) {
				size_t at = (rnd() % (len / 4)) * 4;

				put_be32(b + at, interesting[rnd() % (sizeof(interesting) / 4)]);
			}
			break;
		case 3:		/* truncate */
			if (len)
				len = rnd() % len;
			break;
		case 4:		/* extend with random bytes */
			for (int k = (int)(rnd() % 64); k > 0 && len < max; k--)
				b[len++] = (uint8_t)rnd();
			break;
		case 5:		/* opcode swap keeps the arguments of another function */
			if (len >= 4)
				put_be32(b, rnd() % 34);
			break;
		default:	/* client handle */
			if (len >= 8)
				put_be32(b + 4, rnd() % 4 ? 0 : rnd());
			break;
		}
	}
	return len;
}

static uint32_t call(struct board *b, struct req *r, uint8_t *reply)
{
	size_t rlen;
	unsigned int delay;

	rpc_dispatch(b, r->buf, r->len, reply, &rlen, &delay);
	return get_be32(reply + 8);
}

static void setup_board(struct board *b, char *dir)
{
	char err[256];

	if (!mkdtemp(dir) || board_init(b, dir, err, sizeof(err)) || keystore_load(b, err, sizeof(err))) {
		fprintf(stderr, "# setup: %s\n", err);
		exit(1);
	}
	/* cheap PINs: one PBKDF2 iteration everywhere */
	b->pin_iterations = 1;
	for (int u = 1; u <= 3; u++)
		b->pins[u].iterations = 0;
}

/*
 * Give the corpus live handles again: mutated frames close and delete keys
 * and fill the login table, so every few thousand frames all handles are
 * dropped, the three keys reopened (or recreated) and the corpus rebuilt.
 */
static void refresh(struct board *b)
{
	static uint8_t reply[HAL_RPC_MAX_PKT_SIZE], names[3][16];
	static bool have[3];
	uint32_t h[3];
	struct req r;

	pthread_mutex_lock(&b->lock);
	memset(b->logins, 0, sizeof(b->logins));
	login_set(b, 0, HAL_USER_WHEEL);
	memset(b->pkey_slots, 0, sizeof(b->pkey_slots));
	pthread_mutex_unlock(&b->lock);
	for (int i = 0; i < 3; i++) {
		if (have[i]) {
			req_init(&r, RPC_FUNC_PKEY_OPEN, 0);
			req_u32(&r, 0);
			req_opaque(&r, names[i], 16);
			if (call(b, &r, reply) == 0) {
				h[i] = get_be32(reply + 12);
				continue;
			}
		}
		if (i == 2) {
			req_init(&r, RPC_FUNC_PKEY_GENERATE_RSA, 0);
			req_u32(&r, 0);
			req_u32(&r, 1024);
			req_opaque(&r, "\1\0\1", 3);
			req_u32(&r, 0x2b);
		} else {
			req_init(&r, RPC_FUNC_PKEY_GENERATE_EC, 0);
			req_u32(&r, 0);
			req_u32(&r, 1);
			req_u32(&r, i ? 0x2b : 0x21);
		}
		have[i] = call(b, &r, reply) == 0;
		h[i] = get_be32(reply + 12);
		memcpy(names[i], reply + 20, 16);
	}
	/* a hash context, a public key, a signature and an export blob for the corpus */
	static struct extras x;
	static const uint8_t digest[32] = { 1, 2, 3 };
	memset(&x, 0, sizeof(x));
	pthread_mutex_lock(&b->lock);
	for (unsigned int i = 0; i < HAL_MAX_HASH_HANDLES; i++)
		hash_slot_free(&b->hash_slots[i]);
	pthread_mutex_unlock(&b->lock);
	req_init(&r, RPC_FUNC_HASH_INITIALIZE, 0); req_u32(&r, 0); req_u32(&r, 3);
	req_opaque(&r, NULL, 0);
	if (call(b, &r, reply) == 0)
		x.hash = get_be32(reply + 12);
	req_init(&r, RPC_FUNC_PKEY_GET_PUBLIC_KEY, 0); req_u32(&r, h[0]); req_u32(&r, 200);
	if (call(b, &r, reply) == 0) {
		x.spki_len = get_be32(reply + 12);
		memcpy(x.spki, reply + 16, x.spki_len);
	}
	req_init(&r, RPC_FUNC_PKEY_SIGN, 0); req_u32(&r, h[0]); req_u32(&r, 0);
	req_opaque(&r, digest, 32); req_u32(&r, 64);
	if (call(b, &r, reply) == 0)
		memcpy(x.sig, reply + 16, 64);
	req_init(&r, RPC_FUNC_PKEY_EXPORT, 0); req_u32(&r, h[0]); req_u32(&r, h[2]);
	req_u32(&r, 6000); req_u32(&r, 400);
	if (call(b, &r, reply) == 0) {
		const uint8_t *q = reply + 12;

		x.p8_len = get_be32(q);
		if (x.p8_len <= sizeof(x.p8)) {
			memcpy(x.p8, q + 4, x.p8_len);
			q += 4 + ((x.p8_len + 3) & ~3u);
			x.kek_len = get_be32(q);
			if (x.kek_len <= sizeof(x.kek))
				memcpy(x.kek, q + 4, x.kek_len);
			else
				x.p8_len = 0;
		} else {
			x.p8_len = 0;
		}
	}
	ncorpus = 0;
	build_corpus(names[1], h[0], h[1], h[2], &x);
}

TEST(dispatcher_survives_random_and_mutated_frames)
{
	static uint8_t reply[HAL_RPC_MAX_PKT_SIZE], buf[4096], enc[SLIP_ENCODED_MAX(4096)];
	static struct slip_decoder dec;
	static struct board b;
	char dir[] = "/dev/shm/emu-fuzz-XXXXXX", cmd[64];
	unsigned long frames = 0, replies = 0, hist[64] = { 0 }, okop[64] = { 0 };
	time_t t0 = time(NULL);
	size_t rlen;
	unsigned int delay;

	if (access("/dev/shm", W_OK))
		memcpy(dir, "/tmp/emu-fuzz-XXXXXX", sizeof("/tmp/emu-fuzz-XXXXXX"));
	RAND_bytes((uint8_t *)&rng_state, sizeof(rng_state));
	rng_state |= 1;
	TH_LOG("seed %llu", (unsigned long long)rng_state);
	pkey_test_rsa_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	ASSERT_NE(NULL, pkey_test_rsa_key);
	setup_board(&b, dir);
	refresh(&b);
	slip_decoder_init(&dec);

	while (frames < FUZZ_FRAMES) {
		size_t len;
		int mode = (int)(rnd() % 10);

		if (mode == 0) {
			/* raw random bytes through the SLIP decoder, every frame dispatched */
			len = rnd() % 256;
			for (size_t i = 0; i < len; i++)
				buf[i] = (uint8_t)(rnd() % 8 ? rnd() : (rnd() % 2 ? SLIP_END : SLIP_ESC));
			for (size_t i = 0; i < len; i++) {
				if (!slip_decode_byte(&dec, buf[i]))
					continue;
				frames++;
				if (rpc_dispatch(&b, dec.buf, dec.len, reply, &rlen, &delay))
					replies++;
			}
			continue;
		}
		if (mode == 1) {
			len = rnd() % 64;
			for (size_t i = 0; i < len; i++)
				buf[i] = (uint8_t)rnd();
			if (len >= 4 && rnd() % 2)
				put_be32(buf, rnd() % 33);
		} else {
			const struct frame *f = &corpus[rnd() % ncorpus];

			memcpy(buf, f->b, f->len);
			len = f->len;
			if (rnd() % 4)
				len = mutate(buf, f->len, sizeof(buf));
		}
		if (mode == 2) {
			/* through SLIP encoding and decoding, as on the wire */
			size_t n = slip_encode(buf, len, enc);

			for (size_t i = 0; i < n; i++) {
				if (slip_decode_byte(&dec, enc[i])) {
					frames++;
					if (rpc_dispatch(&b, dec.buf, dec.len, reply, &rlen, &delay))
						replies++;
				}
			}
			continue;
		}
		frames++;
		if (rpc_dispatch(&b, buf, len, reply, &rlen, &delay)) {
			replies++;
			ASSERT_LE(rlen, (size_t)HAL_RPC_MAX_PKT_SIZE);
			ASSERT_EQ(0, memcmp(reply, buf, 8));
			hist[get_be32(reply + 8) % 64]++;
			if (!get_be32(reply + 8))
				okop[get_be32(reply) % 64]++;
		} else {
			ASSERT_LT(len, (size_t)8);
		}
		if (frames % 4096 == 0)
			refresh(&b);
	}
	TH_LOG("%lu frames, %lu replies in %ld s; status 0: %lu, 27: %lu, 30: %lu", frames, replies,
	       (long)(time(NULL) - t0), hist[0], hist[27], hist[30]);
	for (int i = 0; i < 32; i++)
		if (okop[i])
			TH_LOG("function %d: %lu successful", i, okop[i]);
	printf("# fuzz: %lu frames dispatched, %lu replies\n", frames, replies);
	fflush(stdout);
	EXPECT_GE(frames, (unsigned long)FUZZ_FRAMES);
	keystore_free(&b);
	board_free(&b);
	EVP_PKEY_free(pkey_test_rsa_key);
	pkey_test_rsa_key = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ASSERT_EQ(0, system(cmd));
#ifdef __SANITIZE_ADDRESS__
	/* the harness leaves the test with _exit(), so ask LeakSanitizer now */
	EXPECT_EQ(0, __lsan_do_recoverable_leak_check());
#endif
}

TEST_HARNESS_MAIN
