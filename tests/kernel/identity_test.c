// SPDX-License-Identifier: GPL-2.0
/*
 * A stable board identity (issue 7 point 4): BOARD_INFO and the netlink
 * board attributes carry the USB serial number of the board's bridge. The
 * VM runner gives board i's adapter the serial "EMU%05d"; the identity
 * follows the board when the boards are plugged back in the other order,
 * while /dev/ttyUSBn and /dev/hsmN follow plug order. Group "identity";
 * two emulator boards.
 */
#include <poll.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "hsm_ioctl.h"
#include "hsm_hooks.h"

FIXTURE(identity) {
	struct hsm_board_desc d[2];
};

FIXTURE_SETUP(identity)
{
	hsm_t_detach_all();
	ASSERT_TRUE(hsm_wait_until(hsm_path_exists("/dev/ttyUSB0") &&
				   hsm_path_exists("/dev/ttyUSB1"), 20000));
}

FIXTURE_TEARDOWN(identity)
{
	hsm_t_detach_all();
}

/* BOARD_INFO of the board attached on ttyUSB@tty. */
static int board_info(const struct hsm_board_desc *d,
		      struct cryptech_hsm_board_info *bi)
{
	int fd = hsm_t_open_dev(d), err;

	if (fd < 0)
		return -errno;
	HSM_INIT(*bi);
	err = hsm_ioc(fd, CRYPTECH_HSM_IOC_BOARD_INFO, bi);
	close(fd);
	return err;
}

static void expect_identity(struct __test_metadata *_metadata,
			    const struct hsm_board_desc *d, const char *tty,
			    const char *id)
{
	struct cryptech_hsm_board_info bi;
	const struct hsm_nl_board *nb;
	struct hsm_nl_dump dump;

	ASSERT_EQ(0, board_info(d, &bi));
	EXPECT_STREQ(tty, bi.tty_name);
	EXPECT_EQ(CRYPTECH_HSM_BOARD_ID_USB_SERIAL, bi.board_id_kind);
	EXPECT_STREQ(id, bi.board_id);
	/* the kernel session is not logged in */
	EXPECT_EQ(CRYPTECH_HSM_USER_NONE, bi.kernel_user);

	ASSERT_EQ(0, hsm_nl_dump_boards(&dump));
	nb = hsm_nl_find(&dump, tty);
	ASSERT_NE(NULL, nb);
	EXPECT_EQ((int)d->index, nb->index);
	ASSERT_TRUE(nb->has_board_id);
	EXPECT_STREQ(id, nb->board_id);
	EXPECT_EQ(CRYPTECH_HSM_BOARD_ID_USB_SERIAL, nb->board_id_kind);
}

/* At boot board i is ttyUSBi: its identity is its adapter's serial. */
TEST_F(identity, usb_serial_in_board_info_and_netlink)
{
	ASSERT_EQ(0, hsm_t_attach(0, &self->d[0]));
	ASSERT_EQ(0, hsm_t_attach(1, &self->d[1]));
	expect_identity(_metadata, &self->d[0], "ttyUSB0", "EMU00000");
	expect_identity(_metadata, &self->d[1], "ttyUSB1", "EMU00001");
}

static int on_event(struct nl_msg *msg, void *arg)
{
	struct nlattr *a[CRYPTECH_HSM_A_MAX + 1];
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(msg));
	char *id = arg;

	if (gh->cmd != CRYPTECH_HSM_CMD_EVENT ||
	    genlmsg_parse(nlmsg_hdr(msg), 0, a, CRYPTECH_HSM_A_MAX, NULL) ||
	    !a[CRYPTECH_HSM_A_EVENT] ||
	    nla_get_u32(a[CRYPTECH_HSM_A_EVENT]) != CRYPTECH_HSM_EVENT_ATTACHED)
		return NL_OK;
	snprintf(id, 64, "%s", a[CRYPTECH_HSM_A_BOARD_ID] ?
		 nla_get_string(a[CRYPTECH_HSM_A_BOARD_ID]) : "(none)");
	return NL_OK;
}

/* The ATTACHED event names the board by its identity too. */
TEST_F(identity, attached_event_carries_the_identity)
{
	char id[64] = "";
	struct nl_sock *sk;
	struct pollfd p;
	long end;
	int grp;

	sk = nl_socket_alloc();
	ASSERT_NE(NULL, sk);
	ASSERT_EQ(0, genl_connect(sk));
	grp = genl_ctrl_resolve_grp(sk, CRYPTECH_HSM_GENL_NAME,
				    CRYPTECH_HSM_GENL_MCGRP_EVENTS);
	ASSERT_GE(grp, 0);
	ASSERT_EQ(0, nl_socket_add_membership(sk, grp));
	nl_socket_disable_seq_check(sk);
	ASSERT_EQ(0, nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_event, id));
	ASSERT_EQ(0, nl_socket_set_nonblocking(sk));
	ASSERT_EQ(0, hsm_t_attach(1, &self->d[1]));
	p.fd = nl_socket_get_fd(sk);
	p.events = POLLIN;
	end = hsm_test_now_ms() + 10000;
	while (!id[0] && hsm_test_now_ms() < end)
		if (poll(&p, 1, 1000) > 0)
			nl_recvmsgs_default(sk);
	nl_socket_free(sk);
	ASSERT_STREQ("EMU00001", id);
}

/* A caller of the first BOARD_INFO size gets no identity and no overrun. */
TEST_F(identity, board_info_ver0_size)
{
	struct {
		struct cryptech_hsm_board_info bi;
		unsigned char guard[8];
	} u;
	int fd;

	ASSERT_EQ(0, hsm_t_attach(0, &self->d[0]));
	fd = hsm_t_open_dev(&self->d[0]);
	ASSERT_GE(fd, 0);
	memset(&u, 0xa5, sizeof(u));
	memset(&u.bi, 0, CRYPTECH_HSM_BOARD_INFO_SIZE_VER0);
	u.bi.size = CRYPTECH_HSM_BOARD_INFO_SIZE_VER0;
	ASSERT_EQ(0, ioctl(fd, CRYPTECH_HSM_IOC_BOARD_INFO, &u.bi));
	ASSERT_STREQ("ttyUSB0", u.bi.tty_name);
	/* Nothing written past the 80 bytes the caller has. */
	ASSERT_EQ(0xa5a5a5a5, u.bi.board_id_kind);
	ASSERT_EQ(0xa5, (unsigned char)u.bi.board_id[0]);
	close(fd);
}

/*
 * Unplug both boards and plug them back in the other order: the ttys swap,
 * the identities stay with the boards.
 */
TEST_F_TIMEOUT(identity, identity_follows_the_board_across_replug, 300)
{
	ASSERT_EQ(0, hsm_test_run("tests/vm/vmctl unplug 0", NULL, 0));
	ASSERT_EQ(0, hsm_test_run("tests/vm/vmctl unplug 1", NULL, 0));
	ASSERT_TRUE(hsm_wait_until(!hsm_path_exists("/dev/ttyUSB0") &&
				   !hsm_path_exists("/dev/ttyUSB1"), 20000));
	ASSERT_EQ(0, hsm_test_run("tests/vm/vmctl plug 1", NULL, 0));
	ASSERT_TRUE(hsm_wait_until(hsm_path_exists("/dev/ttyUSB0"), 20000));
	ASSERT_EQ(0, hsm_test_run("tests/vm/vmctl plug 0", NULL, 0));
	ASSERT_TRUE(hsm_wait_until(hsm_path_exists("/dev/ttyUSB1"), 20000));

	ASSERT_TRUE(hsm_wait_until(hsm_t_attach(0, &self->d[0]) == 0, 20000));
	ASSERT_TRUE(hsm_wait_until(hsm_t_attach(1, &self->d[1]) == 0, 20000));
	expect_identity(_metadata, &self->d[0], "ttyUSB0", "EMU00001");
	expect_identity(_metadata, &self->d[1], "ttyUSB1", "EMU00000");
}

HSM_TEST_HARNESS_MAIN
