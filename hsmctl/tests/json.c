// SPDX-License-Identifier: GPL-2.0-or-later
/* The JSON writer: escaping, UTF-8 repair and separators. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "json.h"

/* Capture what the writer produces into a string. */
struct out {
	char *buf;
	size_t len;
	FILE *f;
};

static void out_open(struct out *o)
{
	o->buf = NULL;
	o->len = 0;
	o->f = open_memstream(&o->buf, &o->len);
}

static const char *out_close(struct out *o)
{
	fclose(o->f);
	return o->buf;
}

static char *quoted(const char *s)
{
	struct out o;

	out_open(&o);
	json_write_string(o.f, s);
	return (char *)out_close(&o);
}

#define EXPECT_QUOTED(expected, input) do {		\
	char *q_ = quoted(input);			\
	EXPECT_STREQ(expected, q_);			\
	free(q_);					\
} while (0)

TEST(escapes)
{
	EXPECT_QUOTED("\"\"", "");
	EXPECT_QUOTED("\"plain ttyUSB0\"", "plain ttyUSB0");
	EXPECT_QUOTED("\"a\\\"b\\\\c\"", "a\"b\\c");
	EXPECT_QUOTED("\"\\n\\r\\t\\b\\f\"", "\n\r\t\b\f");
	EXPECT_QUOTED("\"\\u0001\\u001f\\u007f\"", "\x01\x1f\x7f");
	EXPECT_QUOTED("\"/ stays\"", "/ stays");
	EXPECT_QUOTED("\"\"", NULL);
}

TEST(utf8)
{
	/* Valid sequences pass through untouched. */
	EXPECT_QUOTED("\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91\"",
		      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91");
	/* Invalid bytes become U+FFFD, one per byte. */
	EXPECT_QUOTED("\"a\\ufffdb\"", "a\xff" "b");
	EXPECT_QUOTED("\"\\ufffd\\ufffd\"", "\xc0\xaf");	/* overlong */
	EXPECT_QUOTED("\"\\ufffd\\ufffd\\ufffd\"", "\xed\xa0\x80"); /* surrogate */
	EXPECT_QUOTED("\"\\ufffd\\ufffd\\ufffd\\ufffd\"",
		      "\xf4\x90\x80\x80");			/* > U+10FFFF */
	EXPECT_QUOTED("\"\\ufffd\\ufffd\"", "\xe2\x82");	/* cut short */
	EXPECT_QUOTED("\"x\\ufffd\"", "x\xc3");
}

TEST(structure)
{
	struct json j;
	struct out o;

	out_open(&o);
	json_init(&j, o.f);
	json_object_begin(&j);
	json_kv_u64(&j, "n", 18446744073709551615ull);
	json_kv_string(&j, "s", "x");
	json_kv_bool(&j, "t", 1);
	json_kv_bool(&j, "f", 0);
	json_key(&j, "a");
	json_array_begin(&j);
	json_array_end(&j);
	json_key(&j, "b");
	json_array_begin(&j);
	json_u64(&j, 1);
	json_object_begin(&j);
	json_object_end(&j);
	json_string(&j, "z");
	json_array_end(&j);
	json_key(&j, "o");
	json_object_begin(&j);
	json_kv_u64(&j, "k", 0);
	json_object_end(&j);
	json_object_end(&j);
	json_end(&j);
	EXPECT_STREQ("{\"n\":18446744073709551615,\"s\":\"x\",\"t\":true,"
		     "\"f\":false,\"a\":[],\"b\":[1,{},\"z\"],\"o\":{\"k\":0}}\n",
		     out_close(&o));
	free(o.buf);
}

TEST(empty_array)
{
	struct json j;
	struct out o;

	out_open(&o);
	json_init(&j, o.f);
	json_array_begin(&j);
	json_array_end(&j);
	json_end(&j);
	EXPECT_STREQ("[]\n", out_close(&o));
	free(o.buf);
}

TEST_HARNESS_MAIN
