// SPDX-License-Identifier: GPL-2.0-or-later
/* Error reporting and the mapping from errors to exit codes. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hsm/hsm.h>

#include "exitcodes.h"
#include "json.h"
#include "report.h"

/* --json: the real stderr, the buffer standing in for it, the first
 * structured error reported. */
static FILE *json_stderr;
static char *json_buf;
static size_t json_len;
static char *json_what, *json_cause, *json_board;

static void json_record(const char *what, const char *cause, const char *board)
{
	if (!json_stderr || json_what)
		return;
	json_what = strdup(what);
	json_cause = cause ? strdup(cause) : NULL;
	json_board = board ? strdup(board) : NULL;
}

int hsmctl_exit_code(int err, uint32_t board_status)
{
	/* The board's own verdict is the most specific information. */
	if (board_status != 0)
		return HSMCTL_EXIT_BOARD;
	switch (err < 0 ? -err : err) {
	case 0:
		return HSMCTL_EXIT_OK;
	case ETIMEDOUT:
		return HSMCTL_EXIT_TIMEOUT;
	case EPERM:
	case EACCES:
		return HSMCTL_EXIT_PERMISSION;
	case ENOENT:
	case ENODEV:
	case ENXIO:
		return HSMCTL_EXIT_NO_DEVICE;
	default:
		return HSMCTL_EXIT_FAILED;
	}
}

int report_failure(const char *what, int err, uint32_t board_status,
		   const char *detail, const char *hint)
{
	char cause[512];
	size_t n;

	if (board_status != 0)
		snprintf(cause, sizeof(cause), "board error %s (%s)",
			 hsm_strerror(err, board_status),
			 hsm_board_status_name(board_status));
	else if (detail && *detail)
		snprintf(cause, sizeof(cause), "%s", detail);
	else
		snprintf(cause, sizeof(cause), "%s", hsm_strerror(err, 0));
	n = strlen(cause);
	if (hint)
		snprintf(cause + n, sizeof(cause) - n, " (%s)", hint);
	fprintf(stderr, "hsmctl: %s: %s\n", what, cause);
	json_record(what, cause, board_status ? hsm_board_status_name(board_status) : NULL);
	/* Only the board's console can fix this one: say how. */
	if (board_status == HSMCTL_STATUS_MASTERKEY_NOT_SET)
		fputs("hsmctl: the board has no master key, so no key can be created or used\n"
		      "hsmctl: (a freshly flashed board, or its master key memory was wiped).\n"
		      "hsmctl: Fix: on the board's console (its management port, not the RPC port)\n"
		      "hsmctl: log in and run 'masterkey set'; then try again. Keys made under an\n"
		      "hsmctl: earlier master key stay unusable unless that key is set again.\n",
		      stderr);
	return hsmctl_exit_code(err, board_status);
}

/* The command being run, so a usage error points at its own help. */
static const char *usage_command;

void report_set_command(const char *name)
{
	usage_command = name;
}

int report_usage(const char *fmt, ...)
{
	char msg[1024], hint[64], cause[96];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (usage_command)
		snprintf(hint, sizeof(hint), "see 'hsmctl help %s'", usage_command);
	else
		snprintf(hint, sizeof(hint), "see 'hsmctl --help'");
	snprintf(cause, sizeof(cause), "usage error (%s)", hint);
	fprintf(stderr, "hsmctl: %s (%s)\n", msg, hint);
	json_record(msg, cause, NULL);
	return HSMCTL_EXIT_USAGE;
}

void report_split(const char *line, char **what, char **cause)
{
	const char *sep = NULL, *p;
	int depth = 0, quoted = 0;

	if (strncmp(line, "hsmctl: ", 8) == 0)
		line += 8;
	for (p = line; *p; p++) {
		if (*p == '\'')
			quoted = !quoted;
		else if (!quoted && *p == '(')
			depth++;
		else if (!quoted && *p == ')' && depth > 0)
			depth--;
		else if (!quoted && !depth && p[0] == ':' && p[1] == ' ') {
			sep = p;
			break;
		}
	}
	if (!sep) {
		*what = strdup(line);
		*cause = NULL;
		return;
	}
	*what = strndup(line, (size_t)(sep - line));
	*cause = strdup(sep + 2);
}

void report_json_begin(void)
{
	FILE *m;

	if (json_stderr)
		return;
	m = open_memstream(&json_buf, &json_len);
	if (!m)
		return;		/* errors stay text */
	json_stderr = stderr;
	stderr = m;
}

int report_json_end(int code)
{
	FILE *real = json_stderr;
	char *what = NULL, *cause = NULL, *nl;
	struct json j;

	if (!real)
		return code;
	fclose(stderr);
	stderr = real;
	json_stderr = NULL;
	if (code == 0 || !json_buf || !*json_buf) {
		if (json_buf)
			fputs(json_buf, stderr);
	} else {
		if (json_what) {
			what = json_what;
			cause = json_cause;
		} else {
			nl = strchr(json_buf, '\n');
			if (nl)
				*nl = '\0';
			report_split(json_buf, &what, &cause);
		}
		json_init(&j, stderr);
		json_object_begin(&j);
		json_kv_string(&j, "error", what ? what : "");
		if (cause)
			json_kv_string(&j, "cause", cause);
		else
			json_kv_null(&j, "cause");
		json_kv_u64(&j, "exit", (uint64_t)code);
		if (json_board)
			json_kv_string(&j, "board_status", json_board);
		/* What followed a recorded error (the master key advice). */
		if (what == json_what && (nl = strchr(json_buf, '\n')) && nl[1]) {
			char *d = malloc(strlen(nl + 1) + 1), *o = d;
			const char *l;

			for (l = nl + 1; d && *l; ) {
				const char *e = strchrnul(l, '\n');

				if (strncmp(l, "hsmctl: ", 8) == 0)
					l += 8;
				if (o != d)
					*o++ = ' ';
				memcpy(o, l, (size_t)(e - l));
				o += e - l;
				l = *e ? e + 1 : e;
			}
			if (d) {
				*o = '\0';
				json_kv_string(&j, "details", d);
			}
			free(d);
		}
		json_object_end(&j);
		json_end(&j);
		free(what);
		free(cause);
		json_what = json_cause = NULL;
	}
	free(json_board);
	free(json_buf);
	json_board = NULL;
	json_buf = NULL;
	return code;
}
