// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The control socket's `stats` answer: one line of JSON. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board.h"
#include "hash.h"
#include "keystore.h"
#include "rpc.h"
#include "server.h"
#include "stats.h"

struct sbuf {
	char *p;
	size_t left;
};

static void emit(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!b->left)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p, b->left, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->left)
		n = (int)b->left - 1;
	b->p += n;
	b->left -= (size_t)n;
}

struct client_count {
	uint32_t client, user, pkeys, hashes, volatile_keys;
};

static struct client_count *client_entry(struct client_count *c, unsigned int *n,
					 unsigned int max, uint32_t client)
{
	for (unsigned int i = 0; i < *n; i++)
		if (c[i].client == client)
			return &c[i];
	if (*n == max)
		return NULL;
	memset(&c[*n], 0, sizeof(c[0]));
	c[*n].client = client;
	return &c[(*n)++];
}

/* Per-client login state, open handles and volatile keys, and keystore sizes. */
static void stats_board_json(struct board *bd, struct sbuf *b)
{
	unsigned int max = HAL_MAX_LOGGED_IN_CLIENTS + HAL_MAX_PKEY_HANDLES +
			   HAL_MAX_HASH_HANDLES + HAL_MAX_HMAC_HANDLES + EMU_VOLATILE_KEYS_MAX;
	struct client_count *c = calloc(max, sizeof(*c)), *e;
	unsigned int n = 0, pk = 0;

	if (!c)
		return;
	pthread_mutex_lock(&bd->lock);
	for (unsigned int i = 0; i < HAL_MAX_LOGGED_IN_CLIENTS; i++)
		if (bd->logins[i].user && (e = client_entry(c, &n, max, bd->logins[i].client)))
			e->user = bd->logins[i].user;
	for (unsigned int i = 0; i < HAL_MAX_PKEY_HANDLES; i++) {
		if (!bd->pkey_slots[i].handle)
			continue;
		pk++;
		if ((e = client_entry(c, &n, max, bd->pkey_slots[i].client)))
			e->pkeys++;
	}
	for (unsigned int i = 0; i < HAL_MAX_HASH_HANDLES + HAL_MAX_HMAC_HANDLES; i++) {
		struct hash_slot *h = i < HAL_MAX_HASH_HANDLES ? &bd->hash_slots[i]
						      : &bd->hmac_slots[i - HAL_MAX_HASH_HANDLES];

		if (h->handle && (e = client_entry(c, &n, max, h->client)))
			e->hashes++;
	}
	for (uint32_t i = 0; i < bd->volatile_ks.n; i++)
		if ((e = client_entry(c, &n, max, bd->volatile_ks.keys[i]->owner)))
			e->volatile_keys++;
	emit(b, ",\"keys\":{\"token\":%u,\"volatile\":%u,\"token_max\":%u,\"volatile_max\":%u}",
	     bd->token.n, bd->volatile_ks.n, bd->token.max, bd->volatile_ks.max);
	emit(b, ",\"pkey_handles_open\":%u,\"hash_handles_open\":%u,\"masterkey\":%s,"
	     "\"pin_iterations\":%u,\"bad_pin_ms\":%u,\"firmware\":%u,\"clients\":[",
	     pk, hash_slots_in_use(bd), bd->kek_set ? "true" : "false", bd->pin_iterations,
	     atomic_load(&bd->bad_pin_ms), atomic_load(&bd->firmware));
	for (unsigned int i = 0; i < n; i++)
		emit(b, "%s{\"client\":%u,\"user\":%u,\"pkey_handles\":%u,\"hash_handles\":%u,"
		     "\"volatile_keys\":%u}", i ? "," : "", c[i].client, c[i].user, c[i].pkeys,
		     c[i].hashes, c[i].volatile_keys);
	emit(b, "]");
	pthread_mutex_unlock(&bd->lock);
	free(c);
}

void stats_json(struct server *s, char *out, size_t outlen)
{
	struct board *bd = s->board;
	struct sbuf b = { out, outlen };

	emit(&b, "{\"requests\":%lu,\"errors\":%lu,\"frames_in\":%lu,\"replies_out\":%lu,"
	     "\"replies_dropped\":%lu,\"bytes_in\":%lu,\"bytes_out\":%lu,\"busy\":%u,",
	     atomic_load(&bd->requests), atomic_load(&bd->errors), atomic_load(&s->frames_in),
	     atomic_load(&s->replies_out), atomic_load(&s->replies_dropped),
	     atomic_load(&s->bytes_in), atomic_load(&s->bytes_out), atomic_load(&s->busy));
	emit(&b, "\"by_function\":{");
	for (int i = 0; i <= RPC_FUNC_COUNT; i++)
		emit(&b, "%s\"%s\":{\"requests\":%lu,\"errors\":%lu}", i ? "," : "",
		     i < RPC_FUNC_COUNT ? rpc_func_name(i) : "UNKNOWN",
		     atomic_load(&bd->req_by_func[i]), atomic_load(&bd->err_by_func[i]));
	emit(&b, "},\"faults\":{");
	for (int k = 0; k < FAULT_COUNT; k++)
		emit(&b, "%s\"%s\":%lu", k ? "," : "", fault_name(k),
		     atomic_load(&s->faults.injected[k]));
	emit(&b, "}");
	emit(&b, ",\"queued\":%u,\"stalled\":%d", s->queued, atomic_load(&s->stalled) ? 1 : 0);
	stats_board_json(bd, &b);
	emit(&b, "}");
}

static void key_json(struct sbuf *b, const struct key *k, bool first)
{
	emit(b, "%s{\"uuid\":\"", first ? "" : ",");
	for (unsigned int i = 0; i < HAL_UUID_LEN; i++)
		emit(b, "%02x%s", k->uuid[i], i == 3 || i == 5 || i == 7 || i == 9 ? "-" : "");
	emit(b, "\",\"type\":%u,\"curve\":%u,\"flags\":%u,\"owner\":%u,\"attributes\":%u,"
	     "\"block_bytes\":%zu}", k->type, k->curve, k->flags, k->owner, k->n_attrs,
	     key_block_used(k));
}

void keys_json(struct server *s, char *out, size_t outlen)
{
	struct board *bd = s->board;
	struct sbuf b = { out, outlen };

	pthread_mutex_lock(&bd->lock);
	emit(&b, "{\"token\":[");
	for (uint32_t i = 0; i < bd->token.n; i++)
		key_json(&b, bd->token.keys[i], i == 0);
	emit(&b, "],\"volatile\":[");
	for (uint32_t i = 0; i < bd->volatile_ks.n; i++)
		key_json(&b, bd->volatile_ks.keys[i], i == 0);
	emit(&b, "]}");
	pthread_mutex_unlock(&bd->lock);
}
