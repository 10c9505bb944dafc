/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* PIN records and the login table (protocol §7.1). Callers hold board->lock. */
#ifndef EMU_PIN_H
#define EMU_PIN_H

#include <stdbool.h>
#include <stdint.h>

#include "board.h"

/* The factory PIN block: SO and NORMAL unset, WHEEL the last-gasp PIN. */
void pin_factory(struct board *b);
/* PBKDF2-HMAC-SHA256, 64-byte output. Slow; call without the board lock. */
int pin_derive(const uint8_t *pin, uint32_t len, const uint8_t *salt, uint32_t iterations,
	       uint8_t dk[EMU_PIN_DK_LEN]);
bool pin_matches(const struct pin_record *rec, uint32_t default_iter, const uint8_t *pin,
		 uint32_t len);

uint32_t login_user(struct board *b, uint32_t client);	/* HAL_USER_NONE if none */
/* NORMAL, or else WHEEL (§7.3 "logged-in") */
bool logged_in(struct board *b, uint32_t client);
int login_set(struct board *b, uint32_t client, uint32_t user);	/* 0 or status 25 */
/* LOGOUT semantics (§5.3): wipe the client's volatile keys, then forget the login. */
void logout_client(struct board *b, uint32_t client);

#endif
