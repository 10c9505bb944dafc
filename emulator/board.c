// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Board lifetime: defaults, state directory, counters. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "board.h"
#include "hash.h"
#include "keystore.h"

/* mkdir -p */
static int make_dirs(const char *path)
{
	char *p = strdup(path), *q;
	int rc = 0;

	if (!p)
		return -1;
	for (q = p + 1; *q && !rc; q++) {
		if (*q != '/')
			continue;
		*q = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			rc = -1;
		*q = '/';
	}
	if (!rc && mkdir(p, 0700) < 0 && errno != EEXIST)
		rc = -1;
	free(p);
	return rc;
}

int board_init(struct board *b, const char *state_dir, char *err, size_t errlen)
{
	memset(b, 0, sizeof(*b));
	pthread_mutex_init(&b->lock, NULL);
	b->lock_fd = -1;
	b->pin_iterations = EMU_PIN_ITERATIONS;
	atomic_store(&b->bad_pin_ms, EMU_DEFAULT_BAD_PIN_MS);
	atomic_store(&b->firmware, EMU_FIRMWARE_2018);
	b->token.token = true;
	b->token.max = EMU_TOKEN_KEYS_MAX;
	b->volatile_ks.max = EMU_VOLATILE_KEYS_MAX;

	b->state_dir = strdup(state_dir);
	if (!b->state_dir) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (make_dirs(state_dir) < 0) {
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

void board_reboot(struct board *b)
{
	pthread_mutex_lock(&b->lock);
	/* RAM is lost: volatile keys, logins, handles, hash contexts, console settings */
	for (uint32_t i = 0; i < b->volatile_ks.n; i++)
		key_free(b->volatile_ks.keys[i]);
	b->volatile_ks.n = 0;
	memset(b->logins, 0, sizeof(b->logins));
	memset(b->pkey_slots, 0, sizeof(b->pkey_slots));
	for (unsigned int i = 0; i < HAL_MAX_HASH_HANDLES; i++)
		hash_slot_free(&b->hash_slots[i]);
	for (unsigned int i = 0; i < HAL_MAX_HMAC_HANDLES; i++)
		hash_slot_free(&b->hmac_slots[i]);
	b->pkey_counter = b->hash_counter = 0;
	b->pin_iterations = EMU_PIN_ITERATIONS;
	pthread_mutex_unlock(&b->lock);
}
