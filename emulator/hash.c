// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Digest algorithm table and hash/HMAC handle slots. */
#include <string.h>

#include <openssl/core_names.h>

#include "board.h"
#include "hash.h"

#define ALG_ID(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })
#define SHA2_ID(n) ALG_ID(0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, \
			  0x02, n, 0x05, 0x00)

static const struct digest_info digests[] = {
	{ HAL_DIGEST_SHA1, "SHA1", 20,
	  ALG_ID(0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00) },
	{ HAL_DIGEST_SHA256, "SHA256", 32, SHA2_ID(0x01) },
	{ HAL_DIGEST_SHA512_224, "SHA512-224", 28, SHA2_ID(0x05) },
	{ HAL_DIGEST_SHA512_256, "SHA512-256", 32, SHA2_ID(0x06) },
	{ HAL_DIGEST_SHA384, "SHA384", 48, SHA2_ID(0x02) },
	{ HAL_DIGEST_SHA512, "SHA512", 64, SHA2_ID(0x03) },
};

const struct digest_info *digest_lookup(uint32_t alg)
{
	for (size_t i = 0; i < sizeof(digests) / sizeof(digests[0]); i++)
		if (digests[i].alg == alg)
			return &digests[i];
	return NULL;
}

size_t digest_info_encode(const struct digest_info *di, const uint8_t *d, uint8_t *out)
{
	size_t n = 0;

	/* SEQUENCE { AlgorithmIdentifier, OCTET STRING digest } */
	out[n++] = 0x30;
	out[n++] = (uint8_t)(di->alg_id_len + 2 + di->len);
	memcpy(out + n, di->alg_id, di->alg_id_len);
	n += di->alg_id_len;
	out[n++] = 0x04;
	out[n++] = (uint8_t)di->len;
	memcpy(out + n, d, di->len);
	return n + di->len;
}

struct hash_slot *hash_find(struct board *b, uint32_t handle)
{
	uint32_t idx = handle & 0xFFFF;
	struct hash_slot *s;

	if (handle == HAL_HANDLE_NONE)
		return NULL;
	if (handle & 0x80000000u) {
		if (idx >= HAL_MAX_HMAC_HANDLES)
			return NULL;
		s = &b->hmac_slots[idx];
	} else {
		if (idx >= HAL_MAX_HASH_HANDLES)
			return NULL;
		s = &b->hash_slots[idx];
	}
	return s->handle == handle ? s : NULL;
}

void hash_slot_free(struct hash_slot *s)
{
	EVP_MD_CTX_free(s->md);
	EVP_MAC_CTX_free(s->mac);
	memset(s, 0, sizeof(*s));
}

int hash_slot_finish(struct hash_slot *s, uint8_t *digest)
{
	const struct digest_info *di = digest_lookup(s->alg);
	size_t outl = 0;
	unsigned int mdl = 0;
	int ok;

	if (s->mac)
		ok = EVP_MAC_final(s->mac, digest, &outl, EVP_MAX_MD_SIZE);
	else
		ok = EVP_DigestFinal_ex(s->md, digest, &mdl);
	hash_slot_free(s);
	return ok == 1 && di ? 0 : -1;
}

unsigned int hash_slots_in_use(struct board *b)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < HAL_MAX_HASH_HANDLES; i++)
		n += b->hash_slots[i].handle != 0;
	for (unsigned int i = 0; i < HAL_MAX_HMAC_HANDLES; i++)
		n += b->hmac_slots[i].handle != 0;
	return n;
}
