/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A tiny streaming JSON writer: enough for hsmctl's output, and always
 * valid JSON (commas are placed by the writer, strings are escaped and
 * invalid UTF-8 is replaced by U+FFFD).
 */
#ifndef HSMCTL_JSON_H
#define HSMCTL_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	int depth;
	int first[JSON_MAX_DEPTH];	/* no member written yet at this level */
	int after_key;			/* a key was written, its value is next */
};

void json_init(struct json *j, FILE *f);
void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_string(struct json *j, const char *s);
void json_u64(struct json *j, uint64_t v);
void json_bool(struct json *j, int v);
/* Finish the document with a newline. */
void json_end(struct json *j);

/* Shorthands for "key": value members. */
void json_kv_string(struct json *j, const char *key, const char *s);
void json_kv_u64(struct json *j, const char *key, uint64_t v);
void json_kv_bool(struct json *j, const char *key, int v);
void json_null(struct json *j);
void json_kv_null(struct json *j, const char *key);

/*
 * Length of the valid UTF-8 sequence at @s (1..4), or 0 if the bytes there
 * are not one. Reads past @s only while the bytes are continuation bytes,
 * so a NUL-terminated @s is never overrun.
 */
size_t json_utf8_len(const unsigned char *s);

/* Write @s as a JSON string literal, quotes included. */
void json_write_string(FILE *f, const char *s);

#endif /* HSMCTL_JSON_H */
