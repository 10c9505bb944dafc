/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Printing board descriptions: a table, a detail view and JSON. */
#ifndef HSMCTL_BOARD_OUT_H
#define HSMCTL_BOARD_OUT_H

#include <stddef.h>
#include <stdio.h>

#include <hsm/hsm.h>

#include "json.h"

/* "usb-serial", "usb-path", "tty" or "unknown". */
const char *board_id_kind_name(uint32_t kind);

/* The board as a JSON object (the shape documented in hsmctl.rst). */
void board_json(struct json *j, const struct hsm_board_desc *d);

/* One line per board under a header, columns sized to fit. */
void board_table(FILE *f, const struct hsm_board_desc *d, size_t n);

/* "label: value" lines for one board. */
void board_details(FILE *f, const struct hsm_board_desc *d);

#endif /* HSMCTL_BOARD_OUT_H */
