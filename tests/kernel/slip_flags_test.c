// SPDX-License-Identifier: GPL-2.0
/*
 * Line errors are marked per byte (issue 7 point 3): a byte the tty driver
 * flags (framing, parity, overrun) spoils only the frame that holds it, not
 * the frame in progress when the chunk began. The receive path's decoder,
 * driver/slip.c, built here as the module builds it; run in group
 * "netlink" (it needs no board).
 */
#include "kselftest_harness.h"

#include "slip.c"

#define END	0xC0

struct rx {
	struct slip_decoder d;
	u8 buf[64];
	int frames, spoiled;
	u8 last[64];
	size_t last_len;
};

/* Feed @n bytes with @flags as the ldisc does; count frames. */
static void feed(struct rx *r, const u8 *in, const char *flags, size_t n)
{
	enum slip_result res;
	size_t used;

	while (n > 0) {
		res = slip_decode_flagged(&r->d, in, flags, n, &used);
		in += used;
		if (flags)
			flags += used;
		n -= used;
		if (res == SLIP_FRAME) {
			r->frames++;
			memcpy(r->last, r->d.buf, r->d.len);
			r->last_len = r->d.len;
		} else if (res == SLIP_OVERSIZE) {
			r->spoiled++;
		}
		if (res != SLIP_MORE)
			slip_decoder_reset_frame(&r->d);
	}
}

static void rx_init(struct rx *r)
{
	memset(r, 0, sizeof(*r));
	slip_decoder_init(&r->d, r->buf, sizeof(r->buf));
}

/* Two frames in one chunk, a bad byte in the second: the first survives. */
TEST(bad_byte_spoils_its_own_frame)
{
	const u8 in[] = { END, 'a', 'b', END, END, 'c', 'd', END };
	const char fl[] = { 0, 0, 0, 0, 0, 0, 1, 0 };
	struct rx r;

	rx_init(&r);
	feed(&r, in, fl, sizeof(in));
	ASSERT_EQ(1, r.frames);
	ASSERT_EQ(1, r.spoiled);
	ASSERT_EQ(2, r.last_len);
	ASSERT_EQ(0, memcmp(r.last, "ab", 2));
}

/* A bad byte in the first frame: the second frame of the chunk survives. */
TEST(later_frame_survives)
{
	const u8 in[] = { END, 'a', 'b', END, END, 'c', 'd', END };
	const char fl[] = { 0, 1, 0, 0, 0, 0, 0, 0 };
	struct rx r;

	rx_init(&r);
	feed(&r, in, fl, sizeof(in));
	ASSERT_EQ(1, r.frames);
	ASSERT_EQ(1, r.spoiled);
	ASSERT_EQ(0, memcmp(r.last, "cd", 2));
}

/*
 * A frame that began in an earlier chunk is not spoiled by a bad byte that
 * belongs to the next frame of this chunk.
 */
TEST(frame_from_earlier_chunk_survives)
{
	const u8 c1[] = { END, 'a' };
	const u8 c2[] = { 'b', END, END, 'c', END };
	const char f2[] = { 0, 0, 0, 1, 0 };
	struct rx r;

	rx_init(&r);
	feed(&r, c1, NULL, sizeof(c1));
	feed(&r, c2, f2, sizeof(c2));
	ASSERT_EQ(1, r.frames);
	ASSERT_EQ(0, memcmp(r.last, "ab", 2));
	ASSERT_EQ(1, r.spoiled);
}

/* A bad byte between frames spoils no real frame. */
TEST(bad_byte_between_frames)
{
	const u8 in[] = { END, 'a', END, 0x55, END, 'b', END };
	const char fl[] = { 0, 0, 0, 1, 0, 0, 0 };
	struct rx r;

	rx_init(&r);
	feed(&r, in, fl, sizeof(in));
	ASSERT_EQ(2, r.frames);
	ASSERT_EQ(0, memcmp(r.last, "b", 1));
}

/* Without flags every byte is good. */
TEST(no_flags_means_all_good)
{
	const u8 in[] = { END, 'x', 'y', 'z', END };
	struct rx r;

	rx_init(&r);
	feed(&r, in, NULL, sizeof(in));
	ASSERT_EQ(1, r.frames);
	ASSERT_EQ(0, r.spoiled);
	ASSERT_EQ(3, r.last_len);
}

TEST_HARNESS_MAIN
