// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Netlink without the cryptech_hsm module: the transaction machinery is
 * exercised against the kernel's own "nlctrl" family, and the public
 * functions must say clearly that the module is missing.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <linux/cryptech_hsm.h>
#include <linux/genetlink.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "kselftest_harness.h"

#include "internal.h"

/* Ask the kernel directly, so the expectations hold with or without it. */
static int module_loaded(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	int id = -1;

	if (sk && genl_connect(sk) == 0)
		id = genl_ctrl_resolve(sk, CRYPTECH_HSM_GENL_NAME);
	nl_socket_free(sk);
	return id >= 0;
}

static void expect_module_message(struct __test_metadata *_metadata,
				  const char *errmsg)
{
	EXPECT_NE(NULL, strstr(errmsg, "cryptech_hsm kernel module is not loaded"))
		TH_LOG("errmsg: %s", errmsg);
	EXPECT_NE(NULL, strstr(errmsg, "modprobe cryptech_hsm"))
		TH_LOG("errmsg: %s", errmsg);
}

TEST(missing_family)
{
	struct hsm_nl_request req = {
		.family = "cryptech_hsm_no_such_family",
		.cmd = 1,
		.version = 1,
	};
	char errmsg[256];

	EXPECT_EQ(-ENOENT, hsm_nl_transact(&req, errmsg, sizeof(errmsg)));
	EXPECT_NE(NULL, strstr(errmsg, "cryptech_hsm_no_such_family kernel module is not loaded"))
		TH_LOG("errmsg: %s", errmsg);
	/* The message buffer is optional. */
	EXPECT_EQ(-ENOENT, hsm_nl_transact(&req, NULL, 0));
}

TEST(list_without_module)
{
	struct hsm_board_desc *b = (void *)1;
	size_t n = 99;
	char errmsg[256] = "junk";
	int ret = hsm_list_boards(&b, &n, errmsg, sizeof(errmsg));

	if (module_loaded()) {
		EXPECT_EQ(0, ret) TH_LOG("%s", errmsg);
		EXPECT_STREQ("", errmsg);
		hsm_free_boards(b);
		return;
	}
	EXPECT_EQ(-ENOENT, ret);
	EXPECT_EQ(NULL, b);
	EXPECT_EQ(0u, n);
	expect_module_message(_metadata, errmsg);
}

TEST(other_calls_without_module)
{
	struct hsm_board_desc d;
	char errmsg[256];

	if (module_loaded()) {
		/* Nothing to check without a board; the VM tests cover it. */
		EXPECT_EQ(-EINVAL, hsm_attach("", &d, errmsg, sizeof(errmsg)));
		return;
	}
	EXPECT_EQ(-ENOENT, hsm_attach("/dev/ttyUSB0", &d, errmsg, sizeof(errmsg)));
	expect_module_message(_metadata, errmsg);
	EXPECT_EQ(-ENOENT, hsm_attach("ttyUSB0", NULL, errmsg, sizeof(errmsg)));
	expect_module_message(_metadata, errmsg);
	EXPECT_EQ(-ENOENT, hsm_detach(0, errmsg, sizeof(errmsg)));
	expect_module_message(_metadata, errmsg);
	EXPECT_EQ(-ENOENT, hsm_get_board(0, &d, errmsg, sizeof(errmsg)));
	expect_module_message(_metadata, errmsg);
	EXPECT_EQ(-EINVAL, hsm_attach("", &d, errmsg, sizeof(errmsg)));
	EXPECT_EQ(-EINVAL, hsm_attach(NULL, &d, NULL, 0));
	EXPECT_EQ(-EINVAL, hsm_get_board(0, NULL, NULL, 0));
	EXPECT_EQ(-EINVAL, hsm_list_boards(NULL, NULL, NULL, 0));
	hsm_free_boards(NULL);
}

/* hsm_find_board() asks the kernel: without the module, -ENOENT. */
TEST(find_board_without_module)
{
	uint32_t i = 77;
	int ret = hsm_find_board("EMU00000", &i);

	if (module_loaded()) {
		/* No board in this process's view is guaranteed: no answer but these. */
		EXPECT_TRUE(ret == 0 || ret == -ENODEV) TH_LOG("%d", ret);
		return;
	}
	EXPECT_EQ(-ENOENT, ret);
	EXPECT_EQ(-ENOENT, hsm_find_board("hsm0", &i));
	EXPECT_EQ(77u, i);
	/* Bad syntax is refused before the kernel is asked. */
	EXPECT_EQ(-EINVAL, hsm_find_board("", &i));
	EXPECT_EQ(-EINVAL, hsm_find_board(NULL, &i));
}

/* nlctrl's family dump: one message per registered family. */
struct families {
	int count;
	int saw_nlctrl;
};

static int count_family(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[CTRL_ATTR_MAX + 1];
	struct families *f = arg;

	if (genlmsg_parse(nlh, 0, tb, CTRL_ATTR_MAX, NULL) < 0)
		return -EPROTO;
	f->count++;
	if (tb[CTRL_ATTR_FAMILY_NAME] &&
	    strcmp(nla_get_string(tb[CTRL_ATTR_FAMILY_NAME]), "nlctrl") == 0)
		f->saw_nlctrl = 1;
	return 0;
}

TEST(dump_round_trip)
{
	struct families f = { 0 };
	struct hsm_nl_request req = {
		.family = "nlctrl",
		.cmd = CTRL_CMD_GETFAMILY,
		.version = 1,
		.dump = 1,
		.parse = count_family,
		.parse_arg = &f,
	};
	char errmsg[256] = "junk";

	ASSERT_EQ(0, hsm_nl_transact(&req, errmsg, sizeof(errmsg)));
	EXPECT_STREQ("", errmsg);
	EXPECT_LT(1, f.count);
	EXPECT_EQ(1, f.saw_nlctrl);
}

static int put_name(struct nl_msg *msg, const void *arg)
{
	return nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, arg) ? -EMSGSIZE : 0;
}

TEST(doit_round_trip_and_kernel_error)
{
	struct families f = { 0 };
	struct hsm_nl_request req = {
		.family = "nlctrl",
		.cmd = CTRL_CMD_GETFAMILY,
		.version = 1,
		.put = put_name,
		.put_arg = "nlctrl",
		.parse = count_family,
		.parse_arg = &f,
	};
	char errmsg[256];

	ASSERT_EQ(0, hsm_nl_transact(&req, errmsg, sizeof(errmsg)));
	EXPECT_EQ(1, f.count);
	EXPECT_EQ(1, f.saw_nlctrl);

	/* The kernel's own error comes back as its errno, with a cause. */
	req.put_arg = "nosuchfamily";
	EXPECT_EQ(-ENOENT, hsm_nl_transact(&req, errmsg, sizeof(errmsg)));
	EXPECT_NE(0u, strlen(errmsg));
	TH_LOG("unknown family: %s", errmsg);

	/* A name longer than the policy allows: the kernel's policy check
	 * answers with an extended-ACK message. */
	req.put_arg = "cryptech_hsm_no_such_family";
	EXPECT_EQ(-EINVAL, hsm_nl_transact(&req, errmsg, sizeof(errmsg)));
	TH_LOG("long name: %s", errmsg);
	EXPECT_STRNE("Invalid argument", errmsg);
}

static int reject_all(struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	(void)arg;
	return -EPROTO;
}

TEST(parse_failure_reported)
{
	struct hsm_nl_request req = {
		.family = "nlctrl",
		.cmd = CTRL_CMD_GETFAMILY,
		.version = 1,
		.dump = 1,
		.parse = reject_all,
	};
	char errmsg[256];

	EXPECT_EQ(-EPROTO, hsm_nl_transact(&req, errmsg, sizeof(errmsg)));
	EXPECT_STREQ("malformed message from the kernel", errmsg);
}

static void *lister(void *arg)
{
	long bad = 0;
	int i;

	(void)arg;
	for (i = 0; i < 50; i++) {
		struct families f = { 0 };
		struct hsm_nl_request req = {
			.family = "nlctrl",
			.cmd = CTRL_CMD_GETFAMILY,
			.version = 1,
			.dump = 1,
			.parse = count_family,
			.parse_arg = &f,
		};
		char errmsg[128];

		if (hsm_nl_transact(&req, errmsg, sizeof(errmsg)) || !f.saw_nlctrl)
			bad++;
	}
	return (void *)bad;
}

TEST(concurrent_transactions)
{
	pthread_t t[8];
	void *bad;
	int i;

	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, lister, NULL));
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, pthread_join(t[i], &bad));
		EXPECT_EQ(0, (long)bad);
	}
}

TEST(nl_error_mapping)
{
	EXPECT_EQ(-ENOENT, hsm_nlerr_to_errno(-NLE_OBJ_NOTFOUND));
	EXPECT_EQ(-EPERM, hsm_nlerr_to_errno(-NLE_PERM));
	EXPECT_EQ(-EACCES, hsm_nlerr_to_errno(-NLE_NOACCESS));
	EXPECT_EQ(-ENOMEM, hsm_nlerr_to_errno(-NLE_NOMEM));
	EXPECT_EQ(-EBUSY, hsm_nlerr_to_errno(-NLE_BUSY));
	EXPECT_EQ(-EAGAIN, hsm_nlerr_to_errno(-NLE_DUMP_INTR));
	EXPECT_EQ(-EIO, hsm_nlerr_to_errno(-NLE_FAILURE));
	EXPECT_EQ(-EIO, hsm_nlerr_to_errno(-12345));
	EXPECT_EQ(0, hsm_nlerr_to_errno(0));
}

TEST_HARNESS_MAIN
