/* SPDX-License-Identifier: GPL-2.0-or-later */
/* How "hsmctl monitor" prints one board event: a text line or JSON. */
#ifndef HSMCTL_EVENT_OUT_H
#define HSMCTL_EVENT_OUT_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <hsm/hsm.h>

/* ISO 8601 UTC with milliseconds, "2026-12-01T03:04:05.123Z". */
#define EVENT_TIME_LEN	48	/* room for any year; 24 bytes and the NUL until 9999 */

/* Format @ts (CLOCK_REALTIME) into @buf of at least EVENT_TIME_LEN bytes. */
void event_time_format(const struct timespec *ts, char *buf);

/*
 * One event, on one line ending in '\n':
 *   TIME EVENT DEVICE board=ID tty=TTY [kernel_user=USER]
 * ("-" for an identity or tty the kernel did not report); @kernel_user is
 * shown for kernel-session events only.
 */
void event_print_text(FILE *f, const char *time, const struct hsm_event *e,
		      uint32_t kernel_user);

/*
 * The same as one JSON object on one line:
 *   {"time": ..., "event": ..., "index": N, "device": "hsmN",
 *    "board_id": ID|null, "tty": TTY|null,
 *    "kernel_session": {"logged_in": B, "user": U}}   (kernel-session only)
 */
void event_print_json(FILE *f, const char *time, const struct hsm_event *e,
		      uint32_t kernel_user);

/*
 * The kernel dropped events (ENOBUFS): a line "TIME events-lost - ..." or
 * {"time": ..., "event": "events-lost", "cause": ...}.
 */
void event_print_lost(FILE *f, int json, const char *time);

#endif /* HSMCTL_EVENT_OUT_H */
