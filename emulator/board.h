/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The emulated board's state: logins, PINs, keystores, pkey and hash handle
 * slots, counters. Locking: board->lock protects everything here; a request
 * holds it while it touches state and drops it for slow crypto and sleeps.
 */
#ifndef EMU_BOARD_H
#define EMU_BOARD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "../driver/protocol.h"

/* Local constants the shared header does not (yet) have. */
#define EMU_TOKEN_KEYS_MAX	2047u	/* 2048 flash blocks, one is the PIN block */
#define EMU_VOLATILE_KEYS_MAX	1280u
#define EMU_KEY_BLOCK_ROOM	8148u	/* bytes for wrapped key + attributes */
#define EMU_ATTR_HDR		6u	/* stored attribute header: u32 type, u16 length */
#define EMU_RSA_SIGN_EXTRA	2048u	/* FPGA factors appended after the first RSA sign */
#define EMU_MAX_DER		8136u	/* largest DER that fits a key block once wrapped */
#define EMU_PIN_ITERATIONS	2000u	/* HAL_PIN_DEFAULT_ITERATIONS */
#define EMU_PIN_DK_LEN		64u
#define EMU_PIN_SALT_LEN	16u
#define EMU_DEFAULT_BAD_PIN_MS	5000u
#define EMU_DEFAULT_WORKERS	4u

struct attr {
	uint32_t type;
	uint32_t len;
	uint8_t *value;
};

struct key {
	uint8_t uuid[HAL_UUID_LEN];
	uint32_t type, curve, flags;
	uint32_t owner;			/* volatile keys: the creating client handle */
	bool token;			/* lives in the token keystore */
	uint8_t *wrapped;		/* DER wrapped with RFC 5649 under the KEK */
	uint32_t wrapped_len;
	uint32_t extra;			/* bytes charged after an RSA key's first sign */
	struct attr *attrs;		/* insertion order */
	uint32_t n_attrs;
	EVP_PKEY *cache;		/* unwrapped key, valid for kek_gen */
	uint64_t cache_gen;
};

struct keystore {
	bool token;
	struct key **keys;		/* sorted by UUID (memcmp) */
	uint32_t n, max;
};

struct pin_record {
	uint32_t iterations;
	uint8_t dk[EMU_PIN_DK_LEN];
	uint8_t salt[EMU_PIN_SALT_LEN];
};

struct pkey_slot {
	uint32_t handle;		/* 0 when free */
	uint32_t client, session;
	uint32_t type, curve, flags;
	uint8_t uuid[HAL_UUID_LEN];
	bool token;
};

struct hash_slot {
	uint32_t handle;		/* 0 when free */
	uint32_t alg;
	uint32_t client, session;
	EVP_MD_CTX *md;			/* plain hash */
	EVP_MAC_CTX *mac;		/* HMAC */
};

struct login {
	uint32_t client;
	uint32_t user;			/* HAL_USER_NONE when the entry is free */
};

/*
 * Firmware generations: the protocol's main text (the 2018 snapshot, the
 * default) and the later releases of its appendix A, which answer a few
 * edge cases differently (GET_RANDOM of 0 bytes, zero-length output
 * buffers, OPEN of the all-zero UUID).
 */
#define EMU_FIRMWARE_2018	2018
#define EMU_FIRMWARE_2019	2019

struct board {
	pthread_mutex_t lock;
	char *state_dir;
	int lock_fd;			/* flock on DIR/lock */

	/* §7.1 */
	struct pin_record pins[4];	/* indexed by hal_user; [0] unused */
	struct login logins[HAL_MAX_LOGGED_IN_CLIENTS];
	uint32_t pin_iterations;	/* default for SET_PIN */

	/* §7.6: the KEK; kek_gen changes whenever it does, invalidating caches */
	bool kek_set;
	uint8_t kek[HAL_KEK_LEN];
	uint64_t kek_gen;

	struct keystore token, volatile_ks;

	struct pkey_slot pkey_slots[HAL_MAX_PKEY_HANDLES];
	uint32_t pkey_counter;
	struct hash_slot hash_slots[HAL_MAX_HASH_HANDLES];
	struct hash_slot hmac_slots[HAL_MAX_HMAC_HANDLES];
	uint32_t hash_counter;

	/* knobs */
	bool start_without_masterkey;	/* --no-masterkey: the MKM is wiped */
	atomic_uint firmware;		/* EMU_FIRMWARE_2018 or _2019 */
	atomic_uint bad_pin_ms;
	atomic_uint service_ms[RPC_FUNC_COUNT];	/* simulated core time per function */

	/* counters (protocol-independent observability) */
	atomic_ulong req_by_func[RPC_FUNC_COUNT + 1];	/* last: unknown opcodes */
	atomic_ulong err_by_func[RPC_FUNC_COUNT + 1];
	atomic_ulong requests, errors;
};

/* Open the state directory (creating a factory-fresh board if empty). */
int board_init(struct board *b, const char *state_dir, char *err, size_t errlen);
void board_free(struct board *b);
void board_count_request(struct board *b, uint32_t opcode, uint32_t status);
/* What a power cycle loses: volatile keys, logins, handles (token store and PINs stay). */
void board_reboot(struct board *b);

#endif
