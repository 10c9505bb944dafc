// SPDX-License-Identifier: LGPL-2.1-or-later
/* Decoding the kernel's extended-ACK message from hand-built replies. */
#include <errno.h>
#include <string.h>

#include <linux/netlink.h>

#include "kselftest_harness.h"

#include "internal.h"

/* Room for a header, an nlmsgerr, an echoed request and attributes. */
struct buf {
	union {
		struct nlmsghdr h;
		unsigned char b[512];
	};
	size_t len;
};

static void begin(struct buf *m, uint16_t type, uint16_t flags)
{
	memset(m, 0, sizeof(*m));
	m->h.nlmsg_type = type;
	m->h.nlmsg_flags = flags;
	m->len = NLMSG_HDRLEN;
}

static void append(struct buf *m, const void *p, size_t n)
{
	memcpy(m->b + m->len, p, n);
	m->len = NLMSG_ALIGN(m->len + n);
}

static void add_attr(struct buf *m, uint16_t type, const void *p, size_t n)
{
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + n),
			    .nla_type = type };

	memcpy(m->b + m->len, &a, sizeof(a));
	memcpy(m->b + m->len + NLA_HDRLEN, p, n);
	m->len = NLMSG_ALIGN(m->len + NLA_HDRLEN + n);
}

static void end(struct buf *m)
{
	m->h.nlmsg_len = (uint32_t)m->len;
}

static const char msg[] = "board on ttyUSB0 did not answer GET_VERSION within 2000 ms";

static void error_reply(struct buf *m, uint16_t flags, size_t echoed)
{
	struct nlmsgerr e = { .error = -ETIMEDOUT };

	begin(m, NLMSG_ERROR, flags | NLM_F_ACK_TLVS);
	e.msg.nlmsg_len = (uint32_t)(NLMSG_HDRLEN + echoed);
	append(m, &e, sizeof(e));
	if (echoed) {
		unsigned char junk[64];

		memset(junk, 0xAB, sizeof(junk));
		append(m, junk, echoed);
	}
}

TEST(capped_error)
{
	struct buf m;
	char out[128] = "x";

	error_reply(&m, NLM_F_CAPPED, 0);
	add_attr(&m, NLMSGERR_ATTR_OFFS, "\0\0\0\0", 4);
	add_attr(&m, NLMSGERR_ATTR_MSG, msg, sizeof(msg));
	end(&m);
	ASSERT_EQ(1, hsm_extack_msg(&m.h, m.len, out, sizeof(out)));
	EXPECT_STREQ(msg, out);
}

TEST(uncapped_error_skips_echoed_request)
{
	struct buf m;
	char out[128];

	error_reply(&m, 0, 24);
	add_attr(&m, NLMSGERR_ATTR_MSG, msg, sizeof(msg));
	end(&m);
	ASSERT_EQ(1, hsm_extack_msg(&m.h, m.len, out, sizeof(out)));
	EXPECT_STREQ(msg, out);
}

TEST(truncated_to_buffer)
{
	struct buf m;
	char out[6];

	error_reply(&m, NLM_F_CAPPED, 0);
	add_attr(&m, NLMSGERR_ATTR_MSG, msg, sizeof(msg));
	end(&m);
	ASSERT_EQ(1, hsm_extack_msg(&m.h, m.len, out, sizeof(out)));
	EXPECT_STREQ("board", out);
}

TEST(no_message)
{
	struct buf m;
	char out[16] = "keep";

	/* No TLV flag: whatever follows is not an extended ACK. */
	error_reply(&m, NLM_F_CAPPED, 0);
	m.h.nlmsg_flags &= (uint16_t)~NLM_F_ACK_TLVS;
	add_attr(&m, NLMSGERR_ATTR_MSG, msg, sizeof(msg));
	end(&m);
	EXPECT_EQ(0, hsm_extack_msg(&m.h, m.len, out, sizeof(out)));
	/* TLVs but no message attribute. */
	error_reply(&m, NLM_F_CAPPED, 0);
	add_attr(&m, NLMSGERR_ATTR_OFFS, "\0\0\0\0", 4);
	end(&m);
	EXPECT_EQ(0, hsm_extack_msg(&m.h, m.len, out, sizeof(out)));
	/* TLV flag, nothing after the nlmsgerr. */
	error_reply(&m, NLM_F_CAPPED, 0);
	end(&m);
	EXPECT_EQ(0, hsm_extack_msg(&m.h, m.len, out, sizeof(out)));
	EXPECT_STREQ("keep", out);
}

TEST(hostile_lengths)
{
	struct buf m;
	char out[64] = "keep";
	struct nlmsgerr *e;

	/* Echoed request claims to be longer than the reply. */
	error_reply(&m, 0, 8);
	add_attr(&m, NLMSGERR_ATTR_MSG, msg, sizeof(msg));
	end(&m);
	e = (struct nlmsgerr *)(m.b + NLMSG_HDRLEN);
	e->msg.nlmsg_len = 0xfffffff0u;
	EXPECT_EQ(-EPROTO, hsm_extack_msg(&m.h, m.len, out, sizeof(out)));
	e->msg.nlmsg_len = 3;	/* shorter than a header */
	EXPECT_EQ(-EPROTO, hsm_extack_msg(&m.h, m.len, out, sizeof(out)));

	/* Message attribute not NUL-terminated. */
	error_reply(&m, NLM_F_CAPPED, 0);
	add_attr(&m, NLMSGERR_ATTR_MSG, "abcd", 4);
	end(&m);
	EXPECT_EQ(-EPROTO, hsm_extack_msg(&m.h, m.len, out, sizeof(out)));

	/* Attribute longer than the message. */
	error_reply(&m, NLM_F_CAPPED, 0);
	add_attr(&m, NLMSGERR_ATTR_MSG, msg, sizeof(msg));
	end(&m);
	EXPECT_NE(1, hsm_extack_msg(&m.h, m.len - 8, out, sizeof(out)));

	/* nlmsgerr cut short; header cut short. */
	error_reply(&m, NLM_F_CAPPED, 0);
	end(&m);
	EXPECT_EQ(-EPROTO, hsm_extack_msg(&m.h, NLMSG_HDRLEN + 4, out,
					  sizeof(out)));
	EXPECT_EQ(-EPROTO, hsm_extack_msg(&m.h, 8, out, sizeof(out)));
	m.h.nlmsg_len = 4;
	EXPECT_EQ(-EPROTO, hsm_extack_msg(&m.h, m.len, out, sizeof(out)));
	EXPECT_STREQ("keep", out);
}

TEST(dump_done)
{
	struct buf m;
	int err = -ENODEV;
	char out[128];

	begin(&m, NLMSG_DONE, NLM_F_MULTI | NLM_F_ACK_TLVS);
	append(&m, &err, sizeof(err));
	add_attr(&m, NLMSGERR_ATTR_MSG, "board gone", sizeof("board gone"));
	end(&m);
	ASSERT_EQ(1, hsm_extack_msg(&m.h, m.len, out, sizeof(out)));
	EXPECT_STREQ("board gone", out);
}

TEST(other_types_ignored)
{
	struct buf m;
	char out[16];

	begin(&m, 0x20, NLM_F_ACK_TLVS);
	add_attr(&m, NLMSGERR_ATTR_MSG, "x", 2);
	end(&m);
	EXPECT_EQ(0, hsm_extack_msg(&m.h, m.len, out, sizeof(out)));
}

TEST_HARNESS_MAIN
