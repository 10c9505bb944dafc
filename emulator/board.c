// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Board lifetime: defaults, state directory, counters. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "board.h"

int board_init(struct board *b, const char *state_dir, char *err, size_t errlen)
{
	memset(b, 0, sizeof(*b));
	pthread_mutex_init(&b->lock, NULL);
	b->pin_iterations = EMU_PIN_ITERATIONS;
	atomic_store(&b->bad_pin_ms, EMU_DEFAULT_BAD_PIN_MS);
	b->token.token = true;
	b->token.max = EMU_TOKEN_KEYS_MAX;
	b->volatile_ks.max = EMU_VOLATILE_KEYS_MAX;

	b->state_dir = strdup(state_dir);
	if (!b->state_dir) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (mkdir(state_dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", state_dir, strerror(errno));
		return -1;
	}
	return 0;
}

void board_free(struct board *b)
{
	free(b->state_dir);
	pthread_mutex_destroy(&b->lock);
}

void board_count_request(struct board *b, uint32_t opcode, uint32_t status)
{
	uint32_t i = opcode < RPC_FUNC_COUNT ? opcode : RPC_FUNC_COUNT;

	atomic_fetch_add(&b->requests, 1);
	atomic_fetch_add(&b->req_by_func[i], 1);
	if (status != HAL_OK) {
		atomic_fetch_add(&b->errors, 1);
		atomic_fetch_add(&b->err_by_func[i], 1);
	}
}
