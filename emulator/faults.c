// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Fault and timing knobs for tests (issue point 6). */
#include <time.h>

#include <openssl/rand.h>

#include "faults.h"

static const char *const names[FAULT_COUNT] = {
	[FAULT_DROP] = "drop",
	[FAULT_CORRUPT] = "corrupt",
	[FAULT_SPLIT] = "split",
	[FAULT_NOISE] = "noise",
	[FAULT_WRONG_HANDLE] = "wrong_handle",
	[FAULT_TRUNCATE] = "truncate",
};

void faults_init(struct faults *f)
{
	for (int i = 0; i < FAULT_COUNT; i++) {
		atomic_store(&f->next[i], 0);
		atomic_store(&f->rate_ppm[i], 0);
		atomic_store(&f->injected[i], 0);
	}
	atomic_store(&f->disconnect_after, -1);
	atomic_store(&f->stall_until_ms, 0);
}

const char *fault_name(enum fault_kind k)
{
	return k < FAULT_COUNT ? names[k] : NULL;
}

uint32_t fault_random(void)
{
	uint32_t r = 0;

	RAND_bytes((unsigned char *)&r, sizeof(r));
	return r;
}

bool fault_hit(struct faults *f, enum fault_kind k)
{
	unsigned int n = atomic_load(&f->next[k]);
	unsigned int rate;

	while (n > 0) {
		if (atomic_compare_exchange_weak(&f->next[k], &n, n - 1))
			goto hit;
	}
	rate = atomic_load(&f->rate_ppm[k]);
	if (rate && fault_random() % 1000000u < rate)
		goto hit;
	return false;
hit:
	atomic_fetch_add(&f->injected[k], 1);
	return true;
}

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
