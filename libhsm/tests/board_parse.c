// SPDX-License-Identifier: LGPL-2.1-or-later
/* Board descriptions built with libnl, as the kernel would send them. */
#include <errno.h>
#include <string.h>

#include <linux/cryptech_hsm.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "kselftest_harness.h"

#include "internal.h"

FIXTURE(msg) {
	struct nl_msg *m;
	struct hsm_board_desc d;
};

FIXTURE_SETUP(msg)
{
	self->m = nlmsg_alloc();
	ASSERT_NE(NULL, self->m);
	ASSERT_NE(NULL, genlmsg_put(self->m, 0, 0, 0x20, 0, 0,
				    CRYPTECH_HSM_CMD_GET_BOARD, 1));
	memset(&self->d, 0x5a, sizeof(self->d));
}

FIXTURE_TEARDOWN(msg)
{
	nlmsg_free(self->m);
}

static void put_stats(struct nl_msg *m, int with_pad)
{
	struct nlattr *n = nla_nest_start(m, CRYPTECH_HSM_A_STATS);
	uint64_t v;

	for (v = CRYPTECH_HSM_STAT_REQUESTS; v <= CRYPTECH_HSM_STAT_MAX; v++) {
		if (with_pad)
			nla_put(m, CRYPTECH_HSM_STAT_PAD, 0, NULL);
		nla_put_u64(m, (int)v, 1000 + v);
	}
	nla_nest_end(m, n);
}

TEST_F(msg, complete)
{
	struct nl_msg *m = self->m;
	struct hsm_board_desc *d = &self->d;

	nla_put_u32(m, CRYPTECH_HSM_A_INDEX, 3);
	nla_put_string(m, CRYPTECH_HSM_A_DEV_NAME, "hsm3");
	nla_put_string(m, CRYPTECH_HSM_A_TTY_NAME, "ttyUSB0");
	nla_put_u32(m, CRYPTECH_HSM_A_PROTOCOL_VERSION, 0x01010100);
	nla_put_u32(m, CRYPTECH_HSM_A_STATE, CRYPTECH_HSM_STATE_READY);
	put_stats(m, 1);
	ASSERT_EQ(0, hsm_board_parse(nlmsg_hdr(m), d));
	EXPECT_EQ(3u, d->index);
	EXPECT_STREQ("hsm3", d->dev_name);
	EXPECT_STREQ("ttyUSB0", d->tty_name);
	EXPECT_EQ(0x01010100u, d->protocol_version);
	EXPECT_EQ((uint32_t)HSM_BOARD_READY, d->state);
	EXPECT_EQ(1002u, d->stats.requests);
	EXPECT_EQ(1003u, d->stats.errors);
	EXPECT_EQ(1004u, d->stats.timeouts);
	EXPECT_EQ(1005u, d->stats.proto_errors);
	EXPECT_EQ(1006u, d->stats.in_flight);
	EXPECT_EQ(1007u, d->stats.bytes_in);
	EXPECT_EQ(1008u, d->stats.bytes_out);
	EXPECT_EQ(1009u, d->stats.sessions);
}

TEST_F(msg, only_index)
{
	nla_put_u32(self->m, CRYPTECH_HSM_A_INDEX, 12);
	ASSERT_EQ(0, hsm_board_parse(nlmsg_hdr(self->m), &self->d));
	EXPECT_EQ(12u, self->d.index);
	EXPECT_STREQ("hsm12", self->d.dev_name);
	EXPECT_STREQ("", self->d.tty_name);
	EXPECT_EQ(0u, self->d.protocol_version);
	EXPECT_EQ(0u, self->d.stats.requests);
	EXPECT_EQ(0u, self->d.stats.sessions);
	/* An older kernel reports no kernel session: not logged in. */
	EXPECT_EQ((uint32_t)HSM_USER_NONE, self->d.kernel_user);
}

TEST_F(msg, kernel_user)
{
	nla_put_u32(self->m, CRYPTECH_HSM_A_INDEX, 2);
	nla_put_u32(self->m, CRYPTECH_HSM_A_KERNEL_USER, CRYPTECH_HSM_USER_NORMAL);
	ASSERT_EQ(0, hsm_board_parse(nlmsg_hdr(self->m), &self->d));
	EXPECT_EQ((uint32_t)HSM_USER_NORMAL, self->d.kernel_user);
}

TEST_F(msg, kernel_user_out_of_range)
{
	struct hsm_board_desc before = self->d;

	nla_put_u32(self->m, CRYPTECH_HSM_A_INDEX, 2);
	nla_put_u32(self->m, CRYPTECH_HSM_A_KERNEL_USER, CRYPTECH_HSM_USER_WHEEL + 1);
	EXPECT_EQ(-EPROTO, hsm_board_parse(nlmsg_hdr(self->m), &self->d));
	EXPECT_EQ(0, memcmp(&before, &self->d, sizeof(before)));
}

TEST_F(msg, unknown_attributes_ignored)
{
	nla_put_u32(self->m, CRYPTECH_HSM_A_INDEX, 1);
	nla_put_u32(self->m, CRYPTECH_HSM_A_MAX + 5, 77);
	ASSERT_EQ(0, hsm_board_parse(nlmsg_hdr(self->m), &self->d));
	EXPECT_EQ(1u, self->d.index);
}

TEST_F(msg, missing_index)
{
	struct hsm_board_desc before = self->d;

	nla_put_string(self->m, CRYPTECH_HSM_A_DEV_NAME, "hsm0");
	EXPECT_EQ(-EPROTO, hsm_board_parse(nlmsg_hdr(self->m), &self->d));
	EXPECT_EQ(0, memcmp(&before, &self->d, sizeof(before)));
}

TEST_F(msg, short_index)
{
	uint16_t v = 1;

	nla_put(self->m, CRYPTECH_HSM_A_INDEX, sizeof(v), &v);
	EXPECT_EQ(-EPROTO, hsm_board_parse(nlmsg_hdr(self->m), &self->d));
}

TEST_F(msg, unterminated_string)
{
	nla_put_u32(self->m, CRYPTECH_HSM_A_INDEX, 0);
	nla_put(self->m, CRYPTECH_HSM_A_TTY_NAME, 4, "ttyS");
	EXPECT_EQ(-EPROTO, hsm_board_parse(nlmsg_hdr(self->m), &self->d));
}

TEST_F(msg, string_too_long)
{
	char name[100];

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	nla_put_u32(self->m, CRYPTECH_HSM_A_INDEX, 0);
	nla_put_string(self->m, CRYPTECH_HSM_A_TTY_NAME, name);
	EXPECT_EQ(-EPROTO, hsm_board_parse(nlmsg_hdr(self->m), &self->d));
}

TEST_F(msg, longest_string_fits)
{
	char name[64];

	memset(name, 'b', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	nla_put_u32(self->m, CRYPTECH_HSM_A_INDEX, 0);
	nla_put_string(self->m, CRYPTECH_HSM_A_TTY_NAME, name);
	ASSERT_EQ(0, hsm_board_parse(nlmsg_hdr(self->m), &self->d));
	EXPECT_STREQ(name, self->d.tty_name);
}

TEST_F(msg, board_identity)
{
	nla_put_u32(self->m, CRYPTECH_HSM_A_INDEX, 1);
	nla_put_string(self->m, CRYPTECH_HSM_A_BOARD_ID, "EMU00001");
	nla_put_u32(self->m, CRYPTECH_HSM_A_BOARD_ID_KIND,
		    CRYPTECH_HSM_BOARD_ID_USB_SERIAL);
	ASSERT_EQ(0, hsm_board_parse(nlmsg_hdr(self->m), &self->d));
	EXPECT_STREQ("EMU00001", self->d.board_id);
	EXPECT_EQ((uint32_t)HSM_BOARD_ID_USB_SERIAL, self->d.board_id_kind);
}

TEST_F(msg, board_identity_absent)
{
	nla_put_u32(self->m, CRYPTECH_HSM_A_INDEX, 1);
	ASSERT_EQ(0, hsm_board_parse(nlmsg_hdr(self->m), &self->d));
	EXPECT_STREQ("", self->d.board_id);
	EXPECT_EQ(0u, self->d.board_id_kind);
}

TEST_F(msg, board_identity_too_long)
{
	char id[65];

	memset(id, 'i', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	nla_put_u32(self->m, CRYPTECH_HSM_A_INDEX, 1);
	nla_put_string(self->m, CRYPTECH_HSM_A_BOARD_ID, id);
	EXPECT_EQ(-EPROTO, hsm_board_parse(nlmsg_hdr(self->m), &self->d));
}

TEST_F(msg, stat_of_wrong_size)
{
	struct nlattr *n;

	nla_put_u32(self->m, CRYPTECH_HSM_A_INDEX, 0);
	n = nla_nest_start(self->m, CRYPTECH_HSM_A_STATS);
	nla_put_u32(self->m, CRYPTECH_HSM_STAT_REQUESTS, 5);
	nla_nest_end(self->m, n);
	EXPECT_EQ(-EPROTO, hsm_board_parse(nlmsg_hdr(self->m), &self->d));
}

TEST_F(msg, stats_not_nested)
{
	nla_put_u32(self->m, CRYPTECH_HSM_A_INDEX, 0);
	nla_put(self->m, CRYPTECH_HSM_A_STATS, 3, "abc");
	EXPECT_EQ(-EPROTO, hsm_board_parse(nlmsg_hdr(self->m), &self->d));
}

TEST_F(msg, truncated_message)
{
	struct nlmsghdr *h;

	nla_put_u32(self->m, CRYPTECH_HSM_A_INDEX, 0);
	h = nlmsg_hdr(self->m);
	h->nlmsg_len = NLMSG_HDRLEN + 2;	/* not even a genl header */
	EXPECT_EQ(-EPROTO, hsm_board_parse(h, &self->d));
}

TEST_HARNESS_MAIN
