// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Request queue, dispatch workers and the reply path (protocol §2.5).
 * Locks: qlock protects the queue and `stopping`; wlock protects out_fd and
 * conn_gen and is held while one whole reply frame is written.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "board.h"
#include "rpc.h"
#include "server.h"
#include "slip.h"

struct request {
	struct request *next;
	uint64_t gen;
	size_t len;
	uint8_t data[];
};

#define NOISE_MAX 16
/* opcode, client handle, status (protocol §4.2) */
#define REPLY_HEADER_LEN 12

/* Sleep up to ms, returning early when the server stops. */
static void server_sleep(struct server *s, int64_t ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&s->qlock);
	while (!s->stopping) {
		if (pthread_cond_timedwait(&s->stopcond, &s->qlock, &ts) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&s->qlock);
}

/*
 * The fd is non-blocking: wait for room, but give up when the server stops
 * or nobody has read for WRITE_STALL_MS (a pty nobody has open), dropping
 * the rest of the frame; the host resynchronises on the next END.
 */
#define WRITE_STALL_MS 5000

static int write_all(struct server *s, int fd, const uint8_t *p, size_t n)
{
	int waited = 0;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			struct pollfd pf = { .fd = fd, .events = POLLOUT };

			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -1;
			if (atomic_load(&s->stopping_flag) || waited >= WRITE_STALL_MS)
				return -1;
			if (poll(&pf, 1, 100) == 0)
				waited += 100;
			continue;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void send_reply(struct server *s, uint8_t *reply, size_t len, uint64_t gen, uint8_t *frame)
{
	struct faults *f = &s->faults;
	size_t n = 0, flen;
	int64_t stall;

	stall = atomic_load(&f->stall_until_ms) - now_ms();
	if (stall > 0)
		server_sleep(s, stall);

	if (fault_hit(f, FAULT_DROP)) {
		atomic_fetch_add(&s->replies_dropped, 1);
		return;
	}
	/* opcode, client and status stay whole: the results lose their tail */
	if (len >= REPLY_HEADER_LEN + 4 && fault_hit(f, FAULT_TRUNCATE))
		len -= 4;
	if (fault_hit(f, FAULT_WRONG_HANDLE))
		put_be32(reply + 4, ~get_be32(reply + 4));
	if (fault_hit(f, FAULT_CORRUPT))
		reply[fault_random() % len] ^= (uint8_t)(1u << (fault_random() % 8));
	if (fault_hit(f, FAULT_NOISE)) {
		size_t k = 1 + fault_random() % NOISE_MAX;

		/* stray bytes between frames, never END or ESC */
		while (n < k) {
			uint8_t c = (uint8_t)fault_random();

			if (c != SLIP_END && c != SLIP_ESC)
				frame[n++] = c;
		}
	}
	flen = n + slip_encode(reply, len, frame + n);

	pthread_mutex_lock(&s->wlock);
	if (s->out_fd >= 0 && gen == s->conn_gen) {
		int err = 0;

		if (fault_hit(f, FAULT_SPLIT)) {
			/* pieces of 1..flen-1 bytes, each its own write */
			size_t off = 0;

			while (!err && off < flen) {
				size_t piece = 1 + fault_random() % (flen - off);
				struct timespec gap = { 0, 1000000 };

				err = write_all(s, s->out_fd, frame + off, piece);
				off += piece;
				if (off < flen)
					nanosleep(&gap, NULL);
			}
		} else {
			err = write_all(s, s->out_fd, frame, flen);
		}
		if (!err) {
			unsigned int baud = atomic_load(&s->baud);

			atomic_fetch_add(&s->replies_out, 1);
			atomic_fetch_add(&s->bytes_out, flen);
			/* a UART at `baud` (8N1: 10 bits a byte) is busy this long */
			if (baud) {
				uint64_t us = (uint64_t)flen * 10 * 1000000 / baud;
				struct timespec ts = { (time_t)(us / 1000000), (long)(us % 1000000) * 1000 };

				nanosleep(&ts, NULL);
			}
		}
	} else {
		atomic_fetch_add(&s->replies_dropped, 1);
	}
	pthread_mutex_unlock(&s->wlock);
}

static void *worker_main(void *arg)
{
	struct server *s = arg;
	uint8_t *reply = malloc(HAL_RPC_MAX_PKT_SIZE);
	uint8_t *frame = malloc(NOISE_MAX + SLIP_ENCODED_MAX(HAL_RPC_MAX_PKT_SIZE));

	if (!reply || !frame)
		abort();
	for (;;) {
		struct request *r;
		size_t rlen;
		unsigned int delay;
		bool has_reply, exclusive;
		uint32_t op;
		unsigned int service;

		pthread_mutex_lock(&s->qlock);
		while (!s->head && !s->stopping)
			pthread_cond_wait(&s->qcond, &s->qlock);
		if (s->stopping) {
			pthread_mutex_unlock(&s->qlock);
			break;
		}
		r = s->head;
		s->head = r->next;
		if (!s->head)
			s->tail = NULL;
		s->queued--;
		pthread_mutex_unlock(&s->qlock);

		atomic_fetch_add(&s->busy, 1);
		/* the firmware zeroes its output buffer before each request */
		memset(reply, 0, HAL_RPC_MAX_PKT_SIZE);
		/*
		 * Optionally like the firmware, which does not yield during RSA
		 * prime search: a key generation excludes every other request.
		 */
		op = r->len >= 4 ? get_be32(r->data) : RPC_FUNC_COUNT;
		service = op < RPC_FUNC_COUNT ? atomic_load(&s->board->service_ms[op]) : 0;
		exclusive = op == RPC_FUNC_PKEY_GENERATE_RSA && atomic_load(&s->rsa_keygen_stalls);
		if (exclusive) {
			pthread_rwlock_wrlock(&s->cpu);
			atomic_store(&s->stalled, true);
		} else {
			pthread_rwlock_rdlock(&s->cpu);
		}
		has_reply = rpc_dispatch(s->board, r->data, r->len, reply, &rlen, &delay);
		if (!exclusive)
			pthread_rwlock_unlock(&s->cpu);
		if (has_reply) {
			server_sleep(s, (int64_t)delay + service);
			send_reply(s, reply, rlen, r->gen, frame);
		}
		/* a stalling request keeps the board until its reply is out, with its core time */
		if (exclusive) {
			atomic_store(&s->stalled, false);
			pthread_rwlock_unlock(&s->cpu);
		}
		atomic_fetch_sub(&s->busy, 1);
		free(r);
	}
	free(reply);
	free(frame);
	return NULL;
}

int server_start(struct server *s, struct board *b, unsigned int nworkers, int wake_fd)
{
	memset(s, 0, sizeof(*s));
	s->board = b;
	s->out_fd = -1;
	s->wake_fd = wake_fd;
	faults_init(&s->faults);
	pthread_mutex_init(&s->qlock, NULL);
	pthread_cond_init(&s->qcond, NULL);
	pthread_cond_init(&s->stopcond, NULL);
	pthread_mutex_init(&s->wlock, NULL);
	pthread_rwlock_init(&s->cpu, NULL);
	s->workers = calloc(nworkers, sizeof(*s->workers));
	if (!s->workers)
		return -1;
	for (unsigned int i = 0; i < nworkers; i++) {
		if (pthread_create(&s->workers[i], NULL, worker_main, s) != 0)
			return -1;
		s->nworkers++;
	}
	return 0;
}

void server_stop(struct server *s)
{
	struct request *r;

	atomic_store(&s->stopping_flag, true);
	pthread_mutex_lock(&s->qlock);
	s->stopping = true;
	pthread_cond_broadcast(&s->qcond);
	pthread_cond_broadcast(&s->stopcond);
	pthread_mutex_unlock(&s->qlock);
	for (unsigned int i = 0; i < s->nworkers; i++)
		pthread_join(s->workers[i], NULL);
	while ((r = s->head)) {
		s->head = r->next;
		free(r);
	}
	free(s->workers);
	pthread_cond_destroy(&s->qcond);
	pthread_cond_destroy(&s->stopcond);
	pthread_mutex_destroy(&s->qlock);
	pthread_mutex_destroy(&s->wlock);
	pthread_rwlock_destroy(&s->cpu);
}

void server_submit(struct server *s, const uint8_t *pkt, size_t len, uint64_t gen)
{
	struct request *r = malloc(sizeof(*r) + len);

	if (!r)
		return;		/* like a lost frame; the host times out */
	r->next = NULL;
	r->gen = gen;
	r->len = len;
	memcpy(r->data, pkt, len);
	atomic_fetch_add(&s->frames_in, 1);
	pthread_mutex_lock(&s->qlock);
	if (s->tail)
		s->tail->next = r;
	else
		s->head = r;
	s->tail = r;
	s->queued++;
	pthread_cond_signal(&s->qcond);
	pthread_mutex_unlock(&s->qlock);
}

uint64_t server_set_output(struct server *s, int fd)
{
	uint64_t gen;

	pthread_mutex_lock(&s->wlock);
	s->out_fd = fd;
	gen = ++s->conn_gen;
	pthread_mutex_unlock(&s->wlock);
	return gen;
}
