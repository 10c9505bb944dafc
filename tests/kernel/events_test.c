// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family's multicast events: attached, detached,
 * timeout and protocol error, each with the board's index and names.
 * Subscribes with libnl directly (libhsm has no event API yet).
 */
#include <poll.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <linux/cryptech_hsm.h>

#include "kselftest_harness.h"
#include "hsm_test.h"

#define EVENT_WAIT_MS	10000

struct event {
	int type;
	int index;
	char dev[32];
	char tty[64];
};

struct events {
	struct event ev[64];
	int n;
};

static int on_event(struct nl_msg *msg, void *arg)
{
	struct events *evs = arg;
	struct nlattr *a[CRYPTECH_HSM_A_MAX + 1];
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(msg));
	struct event *e;

	if (gh->cmd != CRYPTECH_HSM_CMD_EVENT || evs->n == 64)
		return NL_OK;
	if (genlmsg_parse(nlmsg_hdr(msg), 0, a, CRYPTECH_HSM_A_MAX, NULL))
		return NL_OK;
	e = &evs->ev[evs->n++];
	memset(e, 0, sizeof(*e));
	e->type = a[CRYPTECH_HSM_A_EVENT] ? (int)nla_get_u32(a[CRYPTECH_HSM_A_EVENT]) : -1;
	e->index = a[CRYPTECH_HSM_A_INDEX] ? (int)nla_get_u32(a[CRYPTECH_HSM_A_INDEX]) : -1;
	if (a[CRYPTECH_HSM_A_DEV_NAME])
		snprintf(e->dev, sizeof(e->dev), "%s", nla_get_string(a[CRYPTECH_HSM_A_DEV_NAME]));
	if (a[CRYPTECH_HSM_A_TTY_NAME])
		snprintf(e->tty, sizeof(e->tty), "%s", nla_get_string(a[CRYPTECH_HSM_A_TTY_NAME]));
	return NL_OK;
}

FIXTURE(events)
{
	struct nl_sock *sk;
	struct events evs;
};

FIXTURE_SETUP(events)
{
	int grp;

	memset(&self->evs, 0, sizeof(self->evs));
	self->sk = nl_socket_alloc();
	ASSERT_NE(NULL, self->sk);
	ASSERT_EQ(0, genl_connect(self->sk));
	grp = genl_ctrl_resolve_grp(self->sk, CRYPTECH_HSM_GENL_NAME,
				    CRYPTECH_HSM_GENL_MCGRP_EVENTS);
	ASSERT_GE(grp, 0);
	ASSERT_EQ(0, nl_socket_add_membership(self->sk, grp));
	nl_socket_disable_seq_check(self->sk);
	ASSERT_EQ(0, nl_socket_modify_cb(self->sk, NL_CB_VALID, NL_CB_CUSTOM,
					 on_event, &self->evs));
	ASSERT_EQ(0, nl_socket_set_nonblocking(self->sk));
}

FIXTURE_TEARDOWN(events)
{
	nl_socket_free(self->sk);
}

/* Receive until an event of @type arrives or EVENT_WAIT_MS pass. */
static struct event *wait_event(struct nl_sock *sk, struct events *evs,
				int type)
{
	long end = hsm_test_now_ms() + EVENT_WAIT_MS;
	struct pollfd p = { .fd = nl_socket_get_fd(sk), .events = POLLIN };
	int i;

	for (;;) {
		for (i = 0; i < evs->n; i++)
			if (evs->ev[i].type == type)
				return &evs->ev[i];
		if (hsm_test_now_ms() >= end)
			return NULL;
		if (poll(&p, 1, (int)(end - hsm_test_now_ms())) > 0)
			nl_recvmsgs_default(sk);
	}
}

static void set_param(const char *name, unsigned int v)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/cryptech_hsm/parameters/%s", name);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "%u\n", v);
		fclose(f);
	}
}

TEST_F(events, attached_and_detached)
{
	struct hsm_board_desc d;
	struct event *e;
	char msg[256];

	ASSERT_EQ(0, hsm_attach(hsm_test_tty(0), &d, msg, sizeof(msg)));
	e = wait_event(self->sk, &self->evs, CRYPTECH_HSM_EVENT_ATTACHED);
	ASSERT_NE(NULL, e);
	ASSERT_EQ((int)d.index, e->index);
	ASSERT_STREQ(d.dev_name, e->dev);
	ASSERT_STREQ("ttyUSB0", e->tty);
	ASSERT_EQ(0, hsm_detach(d.index, msg, sizeof(msg)));
	e = wait_event(self->sk, &self->evs, CRYPTECH_HSM_EVENT_DETACHED);
	ASSERT_NE(NULL, e);
	ASSERT_EQ((int)d.index, e->index);
	ASSERT_STREQ("ttyUSB0", e->tty);
}

/* A reply the board drops: the request times out and says so. */
TEST_F(events, timeout)
{
	struct hsm_board_desc d;
	struct hsm_session *s;
	unsigned char buf[16];
	struct event *e;
	char msg[256];

	ASSERT_EQ(0, hsm_attach(hsm_test_tty(0), &d, msg, sizeof(msg)));
	ASSERT_EQ(0, hsm_open(d.dev_name, &s));
	set_param("op_timeout_ms", 1000);
	ASSERT_EQ(0, hsm_test_board_set(0, "drop_next", 1));
	EXPECT_EQ(-ETIMEDOUT, hsm_random(s, buf, sizeof(buf), NULL));
	set_param("op_timeout_ms", 30000);
	e = wait_event(self->sk, &self->evs, CRYPTECH_HSM_EVENT_TIMEOUT);
	ASSERT_NE(NULL, e);
	ASSERT_EQ((int)d.index, e->index);
	hsm_close(s);
	ASSERT_EQ(0, hsm_detach(d.index, msg, sizeof(msg)));
}

/* Noise before a reply: dropped, counted, and announced. */
TEST_F(events, protocol_error)
{
	struct hsm_board_desc d, now;
	struct hsm_session *s;
	unsigned char buf[16];
	struct event *e;
	char msg[256];

	ASSERT_EQ(0, hsm_attach(hsm_test_tty(1), &d, msg, sizeof(msg)));
	ASSERT_EQ(0, hsm_open(d.dev_name, &s));
	ASSERT_EQ(0, hsm_test_board_set(1, "wrong_handle_next", 1));
	ASSERT_EQ(0, hsm_test_board_set(1, "drop_next", 0));
	set_param("op_timeout_ms", 1000);
	/* The reply comes back under another client handle: never ours. */
	EXPECT_EQ(-ETIMEDOUT, hsm_random(s, buf, sizeof(buf), NULL));
	set_param("op_timeout_ms", 30000);
	e = wait_event(self->sk, &self->evs, CRYPTECH_HSM_EVENT_PROTO_ERROR);
	ASSERT_NE(NULL, e);
	ASSERT_EQ((int)d.index, e->index);
	ASSERT_STREQ("ttyUSB1", e->tty);
	ASSERT_EQ(0, hsm_get_board(d.index, &now, NULL, 0));
	ASSERT_GE(now.stats.proto_errors, 1);
	hsm_close(s);
	ASSERT_EQ(0, hsm_detach(d.index, msg, sizeof(msg)));
}

HSM_TEST_HARNESS_MAIN
