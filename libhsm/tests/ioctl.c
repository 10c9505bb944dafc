// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The ioctl side of sessions against a fake kernel: this test program
 * defines ioctl() itself, which the statically linked libhsm then calls,
 * so the request structs and the random-splitting loop can be checked
 * without the module. Sessions are opened on /dev/null.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include <linux/cryptech_hsm.h>

#include "kselftest_harness.h"

#include <hsm/hsm.h>

/* How the fake kernel answers; set by each test (single-threaded). */
static struct {
	unsigned max_reply;	/* cap on bytes per reply, 0 = as asked */
	int reply_zero;		/* answer 0 bytes */
	int reply_extra;	/* claim one byte more than asked */
	int fail_errno;		/* fail with this errno... */
	uint32_t fail_status;	/* ...and this board status */
	int eintr_once;		/* first call fails with EINTR */
	unsigned calls;
	unsigned lens[16];
	int bad_struct;		/* a request broke the ABI rules */
	unsigned char next;	/* pattern byte */
	int info_old;		/* BOARD_INFO of a kernel without board_id */
	int info_id;		/* BOARD_INFO with a board_id */
} fake;

static int fake_random(struct cryptech_hsm_random *r)
{
	unsigned char *p = (unsigned char *)(uintptr_t)r->buf;
	unsigned n, i;

	if (r->size != sizeof(*r) || r->reserved || r->board_status ||
	    r->len == 0 || r->len > CRYPTECH_HSM_RANDOM_MAX) {
		fake.bad_struct = 1;
		errno = EINVAL;
		return -1;
	}
	if (fake.calls < 16)
		fake.lens[fake.calls] = r->len;
	fake.calls++;
	if (fake.eintr_once) {
		fake.eintr_once = 0;
		errno = EINTR;
		return -1;
	}
	if (fake.fail_errno) {
		r->board_status = fake.fail_status;
		errno = fake.fail_errno;
		return -1;
	}
	n = r->len;
	if (fake.max_reply && n > fake.max_reply)
		n = fake.max_reply;
	if (fake.reply_zero)
		n = 0;
	for (i = 0; i < n; i++)
		p[i] = fake.next++;
	r->len = fake.reply_extra ? n + 1 : n;
	return 0;
}

static int fake_info(struct cryptech_hsm_board_info *b)
{
	if (b->size != sizeof(*b) || b->size != CRYPTECH_HSM_BOARD_INFO_SIZE_VER1) {
		fake.bad_struct = 1;
		errno = EINVAL;
		return -1;
	}
	/* The older kernel leaves the bytes past its 80 as they came. */
	if (!fake.info_old) {
		memset(b->board_id, 0, sizeof(b->board_id));
		b->board_id_kind = 0;
	}
	if (fake.info_id) {
		strcpy(b->board_id, "FT4XYZ01");
		b->board_id_kind = CRYPTECH_HSM_BOARD_ID_USB_SERIAL;
	}
	b->index = 3;
	b->protocol_version = 0x01010100;
	/* No NUL: libhsm must not trust the kernel to terminate it. */
	memset(b->tty_name, 'x', sizeof(b->tty_name));
	return 0;
}

int ioctl(int fd, unsigned long req, ...)
{
	static int (*real)(int, unsigned long, ...);
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (req == CRYPTECH_HSM_IOC_RANDOM)
		return fake_random(arg);
	if (req == CRYPTECH_HSM_IOC_BOARD_INFO)
		return fake_info(arg);
	if (!real)
		real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	return real(fd, req, arg);
}

FIXTURE(sess) {
	struct hsm_session *s;
	unsigned char buf[40000];
};

FIXTURE_SETUP(sess)
{
	memset(&fake, 0, sizeof(fake));
	memset(self->buf, 0xee, sizeof(self->buf));
	ASSERT_EQ(0, hsm_open("/dev/null", &self->s));
}

FIXTURE_TEARDOWN(sess)
{
	hsm_close(self->s);
	EXPECT_EQ(0, fake.bad_struct);
}

static int is_pattern(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != (unsigned char)i)
			return 0;
	return 1;
}

TEST_F(sess, large_request_is_split)
{
	uint32_t st = 7;

	ASSERT_EQ(0, hsm_random(self->s, self->buf, 40000, &st));
	EXPECT_EQ(0u, st);
	ASSERT_EQ(3u, fake.calls);
	EXPECT_EQ(16368u, fake.lens[0]);
	EXPECT_EQ(16368u, fake.lens[1]);
	EXPECT_EQ(40000u - 2 * 16368u, fake.lens[2]);
	EXPECT_TRUE(is_pattern(self->buf, 40000));
}

TEST_F(sess, exact_maximum_is_one_request)
{
	ASSERT_EQ(0, hsm_random(self->s, self->buf, 16368, NULL));
	EXPECT_EQ(1u, fake.calls);
	EXPECT_EQ(0xee, self->buf[16368]);
}

TEST_F(sess, short_replies_are_continued)
{
	fake.max_reply = 1000;
	ASSERT_EQ(0, hsm_random(self->s, self->buf, 2500, NULL));
	ASSERT_EQ(3u, fake.calls);
	EXPECT_EQ(2500u, fake.lens[0]);
	EXPECT_EQ(1500u, fake.lens[1]);
	EXPECT_EQ(500u, fake.lens[2]);
	EXPECT_TRUE(is_pattern(self->buf, 2500));
	EXPECT_EQ(0xee, self->buf[2500]);
}

TEST_F(sess, empty_reply_is_an_error)
{
	fake.reply_zero = 1;
	EXPECT_EQ(-EPROTO, hsm_random(self->s, self->buf, 10, NULL));
	EXPECT_EQ(1u, fake.calls);
}

TEST_F(sess, overlong_reply_is_an_error)
{
	fake.reply_extra = 1;
	EXPECT_EQ(-EPROTO, hsm_random(self->s, self->buf, 10, NULL));
}

TEST_F(sess, board_status_is_returned)
{
	uint32_t st = 0;
	int ret;

	fake.fail_errno = EIO;
	fake.fail_status = 8;
	ret = hsm_random(self->s, self->buf, 10, &st);
	EXPECT_EQ(-EIO, ret);
	EXPECT_EQ(8u, st);
	EXPECT_STREQ("CSPRNG_BROKEN: random generator output failed checks",
		     hsm_strerror(ret, st));
}

TEST_F(sess, interrupted_request_is_repeated)
{
	fake.eintr_once = 1;
	ASSERT_EQ(0, hsm_random(self->s, self->buf, 100, NULL));
	EXPECT_EQ(2u, fake.calls);
	EXPECT_TRUE(is_pattern(self->buf, 100));
}

TEST_F(sess, board_gone)
{
	uint32_t st = 5;

	fake.fail_errno = ENODEV;
	EXPECT_EQ(-ENODEV, hsm_random(self->s, self->buf, 10, &st));
	EXPECT_EQ(0u, st);
}

TEST_F(sess, board_info)
{
	struct hsm_board_info info;

	ASSERT_EQ(0, hsm_board_info(self->s, &info));
	EXPECT_EQ(3u, info.index);
	EXPECT_EQ(0x01010100u, info.protocol_version);
	EXPECT_STREQ("hsm3", info.dev_name);
	EXPECT_EQ(63u, strlen(info.tty_name));
	EXPECT_EQ('x', info.tty_name[62]);
	/* This kernel knows board_id but has none for this line. */
	EXPECT_STREQ("", info.board_id);
	EXPECT_EQ(0u, info.board_id_kind);
}

TEST_F(sess, board_info_identity)
{
	struct hsm_board_info info;

	fake.info_id = 1;
	ASSERT_EQ(0, hsm_board_info(self->s, &info));
	EXPECT_STREQ("FT4XYZ01", info.board_id);
	EXPECT_EQ((uint32_t)HSM_BOARD_ID_USB_SERIAL, info.board_id_kind);
	EXPECT_EQ(3u, info.index);
}

TEST_F(sess, board_info_older_kernel)
{
	struct hsm_board_info info;

	/* It fills 80 bytes only; libhsm sent zeros beyond them. */
	fake.info_old = 1;
	memset(&info, 0x5a, sizeof(info));
	ASSERT_EQ(0, hsm_board_info(self->s, &info));
	EXPECT_STREQ("", info.board_id);
	EXPECT_EQ(0u, info.board_id_kind);
	EXPECT_STREQ("hsm3", info.dev_name);
}

TEST_HARNESS_MAIN
