/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Keystores (protocol §7.4, §7.5): the in-memory token and volatile stores,
 * the token store's files in the state directory and the master key (MKM).
 * Callers hold board->lock for everything here.
 */
#ifndef EMU_KEYSTORE_H
#define EMU_KEYSTORE_H

#include <stdbool.h>
#include <stddef.h>

#include "board.h"

/* Load PINs, master key and token keys; make a factory-fresh board if empty. */
int keystore_load(struct board *b, char *err, size_t errlen);
void keystore_free(struct board *b);
/* Console-style master key control: "erase", "random" or 64 hex digits. */
int keystore_set_masterkey(struct board *b, const char *value, char *err, size_t errlen);

/* Persist the PIN block; returns 0 or a HAL status. */
int keystore_save_pins(struct board *b);

struct key *keystore_find(struct keystore *ks, const uint8_t *uuid);
/* Add a new key (token keys are on disk when this returns 0); status otherwise. */
int keystore_insert(struct board *b, struct key *k, bool token);
/* Rewrite a token key after an attribute change (no-op for volatile keys). */
int keystore_update(struct board *b, struct key *k, bool token);
/* Remove and free a key. */
int keystore_remove(struct board *b, struct key *k, bool token);
/* LOGOUT: remove every volatile key owned by client. */
void keystore_delete_owned(struct board *b, uint32_t client);
/* Volatile-key visibility (§7.4). */
bool key_visible(struct board *b, const struct key *k, uint32_t client);
/* Block bytes used by wrapped key, RSA extra and attributes (§7.5). */
size_t key_block_used(const struct key *k);
void key_free(struct key *k);

/* Wrap DER under the KEK into a new buffer; 0 or a HAL status (32 without KEK). */
int key_wrap_der(struct board *b, const uint8_t *der, size_t len, uint8_t **wrapped,
		 uint32_t *wlen);
/* Unwrap a key's DER into a new OPENSSL_malloc buffer; 0 or a HAL status (32, 9, 10, 11). */
int key_unwrap_der(struct board *b, const struct key *k, uint8_t **der, size_t *len);

#endif
