/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Error messages on stderr, all of the form "hsmctl: <what>: <cause>". */
#ifndef HSMCTL_REPORT_H
#define HSMCTL_REPORT_H

#include <stdint.h>

/*
 * Report a failed operation and return its exit code. The cause is the
 * board's status when @board_status != 0, else @detail (a message from
 * libhsm or the kernel) when not empty, else the errno description;
 * @hint, if not NULL, is appended in parentheses.
 */
int report_failure(const char *what, int err, uint32_t board_status,
		   const char *detail, const char *hint);

/* Report a command-line error and return HSMCTL_EXIT_USAGE. */
int report_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* From here on, usage errors point at 'hsmctl help NAME' (a static string). */
void report_set_command(const char *name);

/*
 * --json: errors as one JSON document on stderr,
 *   {"error": WHAT, "cause": CAUSE, "exit": N}
 * report_json_begin() (main, before the command runs) diverts stderr into
 * a buffer; report_json_end() writes the document when @code is not 0
 * (else what was written, e.g. notes, as it was) and restores stderr.
 * report_failure() and report_usage() record their what and cause; other
 * messages ("hsmctl: WHAT: CAUSE") are split at their first ": " (outside
 * parentheses and quotes).
 */
void report_json_begin(void);
int report_json_end(int code);

/* Split one message line into what failed and why, at the first ": "
 * outside parentheses and quotes (malloc()ed; *@cause NULL when there is
 * none). Exposed for the tests. */
void report_split(const char *line, char **what, char **cause);

#endif /* HSMCTL_REPORT_H */
