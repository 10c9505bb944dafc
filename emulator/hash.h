/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Digest algorithms (§6.6) and the board's hash/HMAC handle slots (§5.4, §6.8). */
#ifndef EMU_HASH_H
#define EMU_HASH_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

struct board;
struct hash_slot;

struct digest_info {
	uint32_t alg;
	const char *ossl_name;
	uint32_t len;
	const uint8_t *alg_id;		/* DER AlgorithmIdentifier with NULL parameters */
	uint32_t alg_id_len;
};

/* NULL for unsupported algorithms, including SHA-224 (rejected over RPC, §9 #5). */
const struct digest_info *digest_lookup(uint32_t alg);
/* DigestInfo DER for digest d; returns its length (at most 19 + 64). */
size_t digest_info_encode(const struct digest_info *di, const uint8_t *d, uint8_t *out);

/* Slot management; callers hold board->lock. */
struct hash_slot *hash_find(struct board *b, uint32_t handle);
void hash_slot_free(struct hash_slot *s);
/* Finish a context into digest (di->len bytes) and free the slot. */
int hash_slot_finish(struct hash_slot *s, uint8_t *digest);
unsigned int hash_slots_in_use(struct board *b);

#endif
