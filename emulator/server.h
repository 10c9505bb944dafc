/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The request queue and the pool of dispatch workers (protocol §2.5), and the
 * reply path with its fault injection. The transport feeds decoded packets in
 * with server_submit() and tells the server where replies go.
 */
#ifndef EMU_SERVER_H
#define EMU_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "faults.h"

struct board;
struct request;

struct server {
	struct board *board;

	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	pthread_cond_t stopcond;	/* wakes sleeping workers at shutdown */
	struct request *head, *tail;
	unsigned int queued;
	bool stopping;
	atomic_bool stopping_flag;	/* same, readable without qlock */
	pthread_t *workers;
	unsigned int nworkers;

	/* reply path: whole frames are written under wlock, never interleaved */
	pthread_mutex_t wlock;
	int out_fd;			/* -1 when nobody is connected */
	uint64_t conn_gen;		/* replies of an old connection are discarded */

	struct faults faults;
	pthread_rwlock_t cpu;		/* held shared by each request, exclusively by a stalling keygen */
	atomic_bool rsa_keygen_stalls;	/* knob: RSA key generation blocks the board */
	atomic_bool stalled;		/* a stalling request holds the board now */
	atomic_uint baud;		/* knob: pace replies like a UART; 0 = unlimited */
	atomic_bool disconnect_now;	/* set by the reply path, acted on by the transport */
	int wake_fd;			/* read end: wakes the transport loop */
	int wake_write_fd;		/* write end */

	atomic_ulong frames_in, replies_out, replies_dropped, bytes_in, bytes_out;
	atomic_uint busy;		/* workers inside a request */
};

int server_start(struct server *s, struct board *b, unsigned int nworkers, int wake_fd);
void server_stop(struct server *s);
/* Queue a packet (copied) received on connection generation gen. */
void server_submit(struct server *s, const uint8_t *pkt, size_t len, uint64_t gen);
/* Connection changes: replies go to fd (or nowhere when -1). Returns the new generation. */
uint64_t server_set_output(struct server *s, int fd);

#endif
