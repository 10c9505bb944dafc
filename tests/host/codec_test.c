// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the driver's SLIP and XDR codecs (driver/slip.c,
 * driver/xdr.c, compiled here unchanged), checked against the worked
 * examples of the protocol spec and the captured vectors.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "protocol.h"
#include "slip.h"
#include "xdr.h"

static size_t unhex(const char *s, u8 *out, size_t max)
{
	size_t n = 0;
	unsigned int v;

	while (*s && n < max) {
		if (*s == ' ' || *s == '\n') {
			s++;
			continue;
		}
		if (sscanf(s, "%2x", &v) != 1)
			break;
		out[n++] = v;
		s += 2;
	}
	return n;
}

/*
 * Decode a whole buffer; return the number of frames. The last frame is
 * left in d->buf with its length in d->len, as a receiver would see it.
 */
static int decode_all(struct slip_decoder *d, const u8 *in, size_t n,
		      int *oversize)
{
	size_t used, last_len = 0;
	int frames = 0;
	enum slip_result r;

	*oversize = 0;
	while (n) {
		r = slip_decode(d, in, n, &used);
		in += used;
		n -= used;
		if (r == SLIP_FRAME) {
			frames++;
			last_len = d->len;
		}
		if (r == SLIP_OVERSIZE)
			(*oversize)++;
		if (r != SLIP_MORE)
			slip_decoder_reset_frame(d);
	}
	d->len = last_len;
	return frames;
}

/* §8.1: GET_VERSION with client 0x6559C0DB, whose bytes need escaping. */
TEST(slip_encode_spec_example)
{
	const u8 payload[] = { 0, 0, 0, 0, 0x65, 0x59, 0xC0, 0xDB };
	const u8 want[] = { 0xC0, 0, 0, 0, 0, 0x65, 0x59, 0xDB, 0xDC,
			    0xDB, 0xDD, 0xC0 };
	u8 out[SLIP_ENCODED_MAX(sizeof(payload))];
	size_t n = slip_encode(out, sizeof(out), payload, sizeof(payload));

	ASSERT_EQ(sizeof(want), n);
	ASSERT_EQ(0, memcmp(want, out, n));
}

/* §8.4: the ECDSA reply frame decodes to the documented payload. */
TEST(slip_decode_spec_example)
{
	u8 frame[256], want[256], buf[HAL_RPC_MAX_PKT_SIZE];
	size_t fn = unhex("C0 00 00 00 17 65 59 DB DC DB DD 00 00 00 00 00"
			  "00 00 40 D0 72 0B 69 05 9E 02 9F 20 01 10 0C DB"
			  "DD 2E EE 99 14 D7 D6 85 E0 35 84 31 3F 86 7B C9"
			  "63 74 0A 42 E2 AC 01 DC B1 E1 C5 F1 CB 19 54 F2"
			  "FD 8E 40 8F 0B C6 C8 2C 59 D9 4F F4 60 67 18 76"
			  "79 AC 14 E7 C0", frame, sizeof(frame));
	size_t wn = unhex("00000017 6559C0DB 00000000 00000040"
			  "D0720B69 059E029F 2001100C DB2EEE99 14D7D685 E0358431 3F867BC9 63740A42"
			  "E2AC01DC B1E1C5F1 CB1954F2 FD8E408F 0BC6C82C 59D94FF4 60671876 79AC14E7",
			  want, sizeof(want));
	struct slip_decoder d;
	int over;

	slip_decoder_init(&d, buf, sizeof(buf));
	ASSERT_EQ(1, decode_all(&d, frame, fn, &over));
	ASSERT_EQ(0, over);
	ASSERT_EQ(wn, d.len);
	ASSERT_EQ(0, memcmp(want, d.buf, wn));
}

TEST(slip_empty_frames_ignored)
{
	const u8 in[] = { 0xC0, 0xC0, 0xC0, 1, 2, 3, 0xC0, 0xC0 };
	u8 buf[64];
	struct slip_decoder d;
	int over;

	slip_decoder_init(&d, buf, sizeof(buf));
	ASSERT_EQ(1, decode_all(&d, in, sizeof(in), &over));
	ASSERT_EQ(3, d.len);
}

TEST(slip_escape_before_other_byte_is_literal)
{
	const u8 in[] = { 0xC0, 0xDB, 0x41, 0xC0 };
	u8 buf[64];
	struct slip_decoder d;
	int over;

	slip_decoder_init(&d, buf, sizeof(buf));
	ASSERT_EQ(1, decode_all(&d, in, sizeof(in), &over));
	ASSERT_EQ(1, d.len);
	ASSERT_EQ(0x41, d.buf[0]);
}

/* A frame longer than the buffer is dropped whole; the next one survives. */
TEST(slip_oversize_dropped_then_recovers)
{
	static u8 in[20000 + 16];
	u8 buf[HAL_RPC_MAX_PKT_SIZE];
	struct slip_decoder d;
	size_t n = 0;
	int over;

	in[n++] = 0xC0;
	memset(in + n, 0x55, 20000);
	n += 20000;
	in[n++] = 0xC0;
	in[n++] = 9;
	in[n++] = 8;
	in[n++] = 0xC0;
	slip_decoder_init(&d, buf, sizeof(buf));
	ASSERT_EQ(1, decode_all(&d, in, n, &over));
	ASSERT_EQ(1, over);
	ASSERT_EQ(2, d.len);
	ASSERT_EQ(9, d.buf[0]);
}

/* Bytes split at every possible point decode to the same frame. */
TEST(slip_split_anywhere)
{
	const u8 payload[] = { 0xC0, 0xDB, 1, 0xDB, 0xC0, 2 };
	u8 frame[32], buf[64];
	size_t fn = slip_encode(frame, sizeof(frame), payload, sizeof(payload));
	size_t cut, used, off;
	struct slip_decoder d;
	enum slip_result r;

	for (cut = 0; cut <= fn; cut++) {
		slip_decoder_init(&d, buf, sizeof(buf));
		r = slip_decode(&d, frame, cut, &used);
		off = used;
		if (r == SLIP_MORE)
			r = slip_decode(&d, frame + off, fn - off, &used);
		ASSERT_EQ(SLIP_FRAME, r);
		ASSERT_EQ(sizeof(payload), d.len);
		ASSERT_EQ(0, memcmp(payload, d.buf, d.len));
	}
}

TEST(slip_encode_refuses_small_buffer)
{
	const u8 payload[] = { 0xC0, 0xC0 };
	u8 out[5];

	ASSERT_EQ(0, slip_encode(out, sizeof(out), payload, sizeof(payload)));
}

TEST(xdr_round_trip)
{
	u8 buf[64];
	struct xdr_writer w;
	struct xdr_reader r;
	const u8 *data;
	u32 v, len;

	xdr_writer_init(&w, buf, sizeof(buf));
	xdr_put_u32(&w, 0x01020304);
	xdr_put_opaque(&w, "fnord", 5);
	xdr_put_opaque(&w, "", 0);
	ASSERT_FALSE(w.err);
	ASSERT_EQ(4 + 4 + 8 + 4, w.len);
	/* Pad bytes are zero (§3). */
	ASSERT_EQ(0, buf[13] | buf[14] | buf[15]);

	xdr_reader_init(&r, buf, w.len);
	ASSERT_TRUE(xdr_get_u32(&r, &v));
	ASSERT_EQ(0x01020304, v);
	ASSERT_TRUE(xdr_get_opaque(&r, &data, &len, 100));
	ASSERT_EQ(5, len);
	ASSERT_EQ(0, memcmp(data, "fnord", 5));
	ASSERT_TRUE(xdr_get_opaque(&r, &data, &len, 100));
	ASSERT_EQ(0, len);
	ASSERT_FALSE(xdr_get_u32(&r, &v));
	ASSERT_TRUE(r.err);
}

/* §8.2: LOGIN as NORMAL with "fnord" encodes to the documented bytes. */
TEST(xdr_login_spec_example)
{
	u8 buf[64], want[64];
	size_t wn = unhex("00000003 6559C0DB 00000001 00000005 666E6F72 64000000",
			  want, sizeof(want));
	struct xdr_writer w;

	xdr_writer_init(&w, buf, sizeof(buf));
	xdr_put_u32(&w, RPC_FUNC_LOGIN);
	xdr_put_u32(&w, 0x6559C0DB);
	xdr_put_u32(&w, HAL_USER_NORMAL);
	xdr_put_opaque(&w, "fnord", 5);
	ASSERT_EQ(wn, w.len);
	ASSERT_EQ(0, memcmp(want, buf, wn));
}

TEST(xdr_hostile_lengths)
{
	/* Claims 100 bytes, has 4 (§8.7's truncated LOGIN). */
	u8 in[] = { 0, 0, 0, 100, 'a', 'b', 'c', 'd' };
	u8 huge[] = { 0xFF, 0xFF, 0xFF, 0xFC, 0, 0, 0, 0 };
	struct xdr_reader r;
	const u8 *data;
	u32 len;

	xdr_reader_init(&r, in, sizeof(in));
	ASSERT_FALSE(xdr_get_opaque(&r, &data, &len, 1000));
	xdr_reader_init(&r, huge, sizeof(huge));
	ASSERT_FALSE(xdr_get_opaque(&r, &data, &len, 0xFFFFFFFF));
	/* Within the packet but above the caller's limit. */
	in[3] = 4;
	xdr_reader_init(&r, in, sizeof(in));
	ASSERT_FALSE(xdr_get_opaque(&r, &data, &len, 3));
	/* A final opaque without its padding is accepted (§2.6). */
	in[3] = 3;
	xdr_reader_init(&r, in, 7);
	ASSERT_TRUE(xdr_get_opaque(&r, &data, &len, 3));
	ASSERT_EQ(7, r.pos);
}

TEST(xdr_writer_overflow_is_sticky)
{
	u8 buf[6];
	struct xdr_writer w;

	xdr_writer_init(&w, buf, sizeof(buf));
	xdr_put_u32(&w, 1);
	xdr_put_u32(&w, 2);
	ASSERT_TRUE(w.err);
	xdr_put_opaque(&w, "", 0);
	ASSERT_TRUE(w.err);
	ASSERT_EQ(4, w.len);
}

static const char *vectors_dir(void)
{
	const char *d = getenv("HSM_VECTORS_DIR");

	return d ? d : HSM_VECTORS_DEFAULT;
}

/*
 * Every captured message survives a SLIP round trip, and every reply has
 * the request's opcode and client handle and a status word (§2.4, §4).
 */
TEST(vectors_round_trip)
{
	static u8 msg[HAL_RPC_MAX_PKT_SIZE], frame[SLIP_ENCODED_MAX(HAL_RPC_MAX_PKT_SIZE)];
	static u8 buf[HAL_RPC_MAX_PKT_SIZE];
	static char line[2 * HAL_RPC_MAX_PKT_SIZE + 16];
	u8 last_req[8];
	int files = 0, msgs = 0, replies = 0;
	struct dirent *de;
	DIR *dir;

	dir = opendir(vectors_dir());
	ASSERT_NE(NULL, dir) {
		TH_LOG("cannot open %s: %s (set HSM_VECTORS_DIR)",
		       vectors_dir(), strerror(errno));
	}
	while ((de = readdir(dir))) {
		char path[4096];
		FILE *f;
		bool have_req = false;

		if (!strstr(de->d_name, ".txt"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", vectors_dir(), de->d_name);
		f = fopen(path, "r");
		ASSERT_NE(NULL, f);
		files++;
		while (fgets(line, sizeof(line), f)) {
			struct slip_decoder d;
			size_t n, fn;
			int over;
			bool is_req = !strncmp(line, "C> ", 3);

			if (!is_req && strncmp(line, "S< ", 3))
				continue;
			n = unhex(line + 3, msg, sizeof(msg));
			fn = slip_encode(frame, sizeof(frame), msg, n);
			ASSERT_NE(0, fn);
			slip_decoder_init(&d, buf, sizeof(buf));
			/* Messages of 0 bytes are empty frames: nothing comes out. */
			ASSERT_EQ(n ? 1 : 0, decode_all(&d, frame, fn, &over));
			if (n) {
				ASSERT_EQ(n, d.len);
				ASSERT_EQ(0, memcmp(msg, d.buf, n));
			}
			msgs++;
			if (is_req) {
				have_req = n >= 8;
				if (have_req)
					memcpy(last_req, msg, 8);
				continue;
			}
			ASSERT_GE(n, HAL_RPC_REPLY_HDR_SIZE) {
				TH_LOG("%s: short reply", de->d_name);
			}
			ASSERT_TRUE(have_req);
			ASSERT_EQ(0, memcmp(last_req, msg, 8)) {
				TH_LOG("%s: reply does not echo opcode and client",
				       de->d_name);
			}
			/* Error replies are exactly the 12-byte header (§4.2). */
			if (msg[8] | msg[9] | msg[10] | msg[11])
				ASSERT_EQ(HAL_RPC_REPLY_HDR_SIZE, n);
			replies++;
		}
		fclose(f);
	}
	closedir(dir);
	ASSERT_GE(files, 20);
	TH_LOG("%d files, %d messages, %d replies", files, msgs, replies);
}

TEST_HARNESS_MAIN
