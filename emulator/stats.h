/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The control socket's `stats` answer: one line of JSON. */
#ifndef EMU_STATS_H
#define EMU_STATS_H

#include <stddef.h>

struct server;

void stats_json(struct server *s, char *out, size_t outlen);
/* The `keys` answer: every key of both keystores (names and metadata, no key material). */
void keys_json(struct server *s, char *out, size_t outlen);

#endif
