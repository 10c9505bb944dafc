// SPDX-License-Identifier: GPL-2.0-or-later
/* Board descriptions for people (tables) and for scripts (JSON). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "board_out.h"

const char *board_id_kind_name(uint32_t kind)
{
	switch (kind) {
	case HSM_BOARD_ID_USB_SERIAL:
		return "usb-serial";
	case HSM_BOARD_ID_USB_PATH:
		return "usb-path";
	case HSM_BOARD_ID_TTY:
		return "tty";
	default:
		return "unknown";
	}
}

void board_json(struct json *j, const struct hsm_board_desc *d)
{
	char ver[20], path[48], label[HSM_TOKEN_LABEL_LEN];

	hsm_format_version(d->protocol_version, ver, sizeof(ver));
	snprintf(path, sizeof(path), "/dev/%s", d->dev_name);
	json_object_begin(j);
	json_kv_u64(j, "index", d->index);
	json_kv_string(j, "device", d->dev_name);
	json_kv_string(j, "path", path);
	json_kv_string(j, "tty", d->tty_name);
	/* null, not "", when the kernel reports no identity */
	if (d->board_id[0]) {
		json_kv_string(j, "board_id", d->board_id);
		json_kv_string(j, "board_id_kind", board_id_kind_name(d->board_id_kind));
	} else {
		json_kv_null(j, "board_id");
		json_kv_null(j, "board_id_kind");
	}
	if (hsm_token_label(d->board_id, label, sizeof(label)) == 0)
		json_kv_string(j, "token", label);
	else
		json_kv_null(j, "token");
	json_kv_string(j, "protocol", ver);
	json_kv_u64(j, "protocol_version", d->protocol_version);
	json_kv_string(j, "state", hsm_board_state_name(d->state));
	json_key(j, "kernel_session");
	json_object_begin(j);
	json_kv_bool(j, "logged_in", d->kernel_user != HSM_USER_NONE);
	json_kv_string(j, "user", hsm_user_name(d->kernel_user));
	json_object_end(j);
	json_key(j, "stats");
	json_object_begin(j);
	json_kv_u64(j, "requests", d->stats.requests);
	json_kv_u64(j, "errors", d->stats.errors);
	json_kv_u64(j, "timeouts", d->stats.timeouts);
	json_kv_u64(j, "proto_errors", d->stats.proto_errors);
	json_kv_u64(j, "in_flight", d->stats.in_flight);
	json_kv_u64(j, "bytes_in", d->stats.bytes_in);
	json_kv_u64(j, "bytes_out", d->stats.bytes_out);
	json_kv_u64(j, "sessions", d->stats.sessions);
	json_object_end(j);
	json_object_end(j);
}

enum { COL_DEVICE, COL_ID, COL_TTY, COL_PROTOCOL, COL_STATE, COL_KLOGIN,
       COL_REQUESTS, COL_ERRORS, COL_TIMEOUTS, COL_PROTO_ERR, COL_INFLIGHT,
       COL_SESSIONS, NCOLS };

/* KLOGIN: who the kernel session is logged in as, "-" if nobody. */
static const char *const headers[NCOLS] = {
	"DEVICE", "ID", "TTY", "PROTOCOL", "STATE", "KLOGIN", "REQUESTS",
	"ERRORS", "TIMEOUTS", "PROTO_ERR", "INFLIGHT", "SESSIONS",
};

static void row_cells(const struct hsm_board_desc *d, char cells[NCOLS][72])
{
	const uint64_t nums[] = {
		d->stats.requests, d->stats.errors, d->stats.timeouts,
		d->stats.proto_errors, d->stats.in_flight, d->stats.sessions,
	};
	int c;

	snprintf(cells[COL_DEVICE], 72, "%s", d->dev_name);
	snprintf(cells[COL_ID], 72, "%s", d->board_id[0] ? d->board_id : "-");
	snprintf(cells[COL_TTY], 72, "%s", d->tty_name[0] ? d->tty_name : "-");
	hsm_format_version(d->protocol_version, cells[COL_PROTOCOL], 72);
	snprintf(cells[COL_STATE], 72, "%s", hsm_board_state_name(d->state));
	snprintf(cells[COL_KLOGIN], 72, "%s",
		 d->kernel_user == HSM_USER_NONE ? "-" :
		 hsm_user_name(d->kernel_user));
	for (c = COL_REQUESTS; c < NCOLS; c++)
		snprintf(cells[c], 72, "%" PRIu64, nums[c - COL_REQUESTS]);
}

static void print_row(FILE *f, const char *const *cells, const int *width)
{
	int c;

	for (c = 0; c < NCOLS; c++) {
		/* Text left-aligned, counters right-aligned (the last column
		 * is a counter, so lines end without blanks). */
		if (c >= COL_REQUESTS)
			fprintf(f, "%*s", width[c], cells[c]);
		else
			fprintf(f, "%-*s", width[c], cells[c]);
		fputs(c == NCOLS - 1 ? "\n" : "  ", f);
	}
}

void board_table(FILE *f, const struct hsm_board_desc *d, size_t n)
{
	char cells[NCOLS][72];
	const char *ptrs[NCOLS];
	int width[NCOLS];
	size_t i;
	int c;

	for (c = 0; c < NCOLS; c++)
		width[c] = (int)strlen(headers[c]);
	for (i = 0; i < n; i++) {
		row_cells(&d[i], cells);
		for (c = 0; c < NCOLS; c++)
			if ((int)strlen(cells[c]) > width[c])
				width[c] = (int)strlen(cells[c]);
	}
	print_row(f, headers, width);
	for (i = 0; i < n; i++) {
		row_cells(&d[i], cells);
		for (c = 0; c < NCOLS; c++)
			ptrs[c] = cells[c];
		print_row(f, ptrs, width);
	}
}

void board_details(FILE *f, const struct hsm_board_desc *d)
{
	char ver[20];

	hsm_format_version(d->protocol_version, ver, sizeof(ver));
	char label[HSM_TOKEN_LABEL_LEN];

	fprintf(f, "device:        %s (/dev/%s)\n", d->dev_name, d->dev_name);
	if (!d->board_id[0])
		fprintf(f, "board id:      unknown (this kernel reports none; name the board as %s)\n",
			d->dev_name);
	else
		fprintf(f, "board id:      %s (%s)\n", d->board_id,
			d->board_id_kind == HSM_BOARD_ID_USB_SERIAL ? "USB serial number" :
			d->board_id_kind == HSM_BOARD_ID_USB_PATH ? "USB port: stable while it stays on that port" :
			d->board_id_kind == HSM_BOARD_ID_TTY ? "tty name: not stable" : "unknown kind");
	if (hsm_token_label(d->board_id, label, sizeof(label)) == 0)
		fprintf(f, "token:         %s\n", label);
	else
		fprintf(f, "token:         - (no board id)\n");
	fprintf(f, "tty:           %s\n", d->tty_name[0] ? d->tty_name : "-");
	fprintf(f, "protocol:      %s (0x%08" PRIx32 ")\n", ver,
		d->protocol_version);
	fprintf(f, "state:         %s\n", hsm_board_state_name(d->state));
	if (d->kernel_user == HSM_USER_NONE)
		fprintf(f, "kernel login:  none (in-kernel private-key use needs 'hsmctl kernel-login')\n");
	else
		fprintf(f, "kernel login:  %s\n", hsm_user_name(d->kernel_user));
	fprintf(f, "requests:      %" PRIu64 "\n", d->stats.requests);
	fprintf(f, "errors:        %" PRIu64 "\n", d->stats.errors);
	fprintf(f, "timeouts:      %" PRIu64 "\n", d->stats.timeouts);
	fprintf(f, "proto_errors:  %" PRIu64 "\n", d->stats.proto_errors);
	fprintf(f, "in_flight:     %" PRIu64 "\n", d->stats.in_flight);
	fprintf(f, "bytes_in:      %" PRIu64 "\n", d->stats.bytes_in);
	fprintf(f, "bytes_out:     %" PRIu64 "\n", d->stats.bytes_out);
	fprintf(f, "sessions:      %" PRIu64 "\n", d->stats.sessions);
}
