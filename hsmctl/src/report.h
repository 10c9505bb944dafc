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

#endif /* HSMCTL_REPORT_H */
