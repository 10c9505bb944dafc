/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Fault and timing knobs for tests (issue point 6), settable at run time. */
#ifndef EMU_FAULTS_H
#define EMU_FAULTS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fault_kind {
	FAULT_DROP,		/* reply not sent */
	FAULT_CORRUPT,		/* one payload byte flipped */
	FAULT_SPLIT,		/* frame written in several pieces at random points */
	FAULT_NOISE,		/* random bytes sent before the frame */
	FAULT_WRONG_HANDLE,	/* client handle of the reply altered */
	FAULT_TRUNCATE,		/* last 4 bytes of a reply with results cut off */
	FAULT_COUNT,
};

struct faults {
	/* a fault hits the next `next` replies, then each reply with probability rate/1e6 */
	atomic_uint next[FAULT_COUNT];
	atomic_uint rate_ppm[FAULT_COUNT];
	atomic_ulong injected[FAULT_COUNT];
	atomic_long disconnect_after;	/* requests until a forced disconnect; <0 = off */
	atomic_long stall_until_ms;	/* replies held until this CLOCK_MONOTONIC time */
};

void faults_init(struct faults *f);
const char *fault_name(enum fault_kind k);
/* Decide whether fault k hits this reply (consumes one `next`). */
bool fault_hit(struct faults *f, enum fault_kind k);
uint32_t fault_random(void);
int64_t now_ms(void);

#endif
