// SPDX-License-Identifier: GPL-2.0-or-later
/* Printing board events for "hsmctl monitor". */
#include <stdio.h>
#include <time.h>

#include "event_out.h"
#include "json.h"

#define LOST_CAUSE "the kernel dropped events that were not read in time; " \
		   "'hsmctl list' shows the boards as they are now"

void event_time_format(const struct timespec *ts, char *buf)
{
	struct tm tm;
	time_t secs = ts->tv_sec;
	char date[32];

	gmtime_r(&secs, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, EVENT_TIME_LEN, "%s.%03ldZ", date,
		 (long)(ts->tv_nsec / 1000000) % 1000);
}

static const char *or_dash(const char *s)
{
	return *s ? s : "-";
}

void event_print_text(FILE *f, const char *time, const struct hsm_event *e,
		      uint32_t kernel_user)
{
	fprintf(f, "%s %s %s board=%s tty=%s", time, hsm_event_name(e->type),
		or_dash(e->dev_name), or_dash(e->board_id),
		or_dash(e->tty_name));
	if (e->type == HSM_EVENT_KERNEL_SESSION)
		fprintf(f, " kernel_user=%s", hsm_user_name(kernel_user));
	fputc('\n', f);
}

static void kv_string_or_null(struct json *j, const char *key, const char *s)
{
	if (*s)
		json_kv_string(j, key, s);
	else
		json_kv_null(j, key);
}

void event_print_json(FILE *f, const char *time, const struct hsm_event *e,
		      uint32_t kernel_user)
{
	struct json j;

	json_init(&j, f);
	json_object_begin(&j);
	json_kv_string(&j, "time", time);
	json_kv_string(&j, "event", hsm_event_name(e->type));
	json_kv_u64(&j, "index", e->index);
	kv_string_or_null(&j, "device", e->dev_name);
	kv_string_or_null(&j, "board_id", e->board_id);
	kv_string_or_null(&j, "tty", e->tty_name);
	if (e->type == HSM_EVENT_KERNEL_SESSION) {
		json_key(&j, "kernel_session");
		json_object_begin(&j);
		json_kv_bool(&j, "logged_in", kernel_user != HSM_USER_NONE);
		json_kv_string(&j, "user", hsm_user_name(kernel_user));
		json_object_end(&j);
	}
	json_object_end(&j);
	json_end(&j);
}

void event_print_lost(FILE *f, int json, const char *time)
{
	struct json j;

	if (!json) {
		fprintf(f, "%s events-lost - %s\n", time, LOST_CAUSE);
		return;
	}
	json_init(&j, f);
	json_object_begin(&j);
	json_kv_string(&j, "time", time);
	json_kv_string(&j, "event", "events-lost");
	json_kv_string(&j, "cause", LOST_CAUSE);
	json_object_end(&j);
	json_end(&j);
}
