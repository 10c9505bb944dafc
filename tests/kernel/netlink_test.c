// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink and capabilities, parameters, ioctl sizes (issue 7 points 2, 3):
 * ATTACH and DETACH need CAP_SYS_ADMIN and not CAP_NET_ADMIN; an ATTACH
 * waiting for its handshake does not stall other generic netlink families;
 * run-time writable parameters are bounded; PROTO_ERROR events are
 * rate-limited; ioctl structs over PAGE_SIZE and implausible command sizes
 * are refused. Group "netlink"; one emulator board.
 */
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "hsm_ioctl.h"
#include "hsm_hooks.h"

#define ASSERT_HOOKS() do {						\
	const char *__why = hsm_hooks_missing();			\
	if (__why)							\
		TH_LOG("%s", __why);					\
	ASSERT_EQ(NULL, __why);						\
} while (0)

FIXTURE(nl) {
	struct hsm_board_desc d;
};

FIXTURE_SETUP(nl)
{
	hsm_t_detach_all();
	ASSERT_TRUE(hsm_wait_until(hsm_path_exists("/dev/ttyUSB0"), 20000));
}

FIXTURE_TEARDOWN(nl)
{
	if (!hsm_hooks_missing())
		hsm_hook_set("handshake", 0);
	hsm_test_board_set(0, "noise_next", 0);
	hsm_t_detach_all();
}

/* Run @fn in a child without capability @cap; its exit status. */
static int without_cap(int cap, int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (hsm_test_drop_cap(cap))
			_exit(100);
		_exit(fn(arg));
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static int attach_then_detach(void *arg)
{
	struct hsm_board_desc d;
	char msg[256];

	(void)arg;
	if (hsm_attach(hsm_test_tty(0), &d, msg, sizeof(msg)))
		return 1;
	if (hsm_detach(d.index, msg, sizeof(msg)))
		return 2;
	return 0;
}

static int attach_refused(void *arg)
{
	char msg[256];
	int err;

	(void)arg;
	err = hsm_attach(hsm_test_tty(0), NULL, msg, sizeof(msg));
	if (err != -EPERM)
		return 1;
	return strstr(msg, "CAP_SYS_ADMIN") ? 0 : 2;
}

static int detach_refused(void *arg)
{
	const struct hsm_board_desc *d = arg;
	char msg[256];

	return hsm_detach(d->index, msg, sizeof(msg)) == -EPERM ? 0 : 1;
}

/* CAP_NET_ADMIN is not what ATTACH and DETACH ask for. */
TEST_F_TIMEOUT(nl, attach_detach_without_cap_net_admin, 120)
{
	ASSERT_EQ(0, without_cap(CAP_NET_ADMIN, attach_then_detach, NULL));
	ASSERT_EQ(0, hsm_test_board_count());
}

/* CAP_SYS_ADMIN is: without it, neither works (the docs' promise). */
TEST_F_TIMEOUT(nl, attach_detach_need_cap_sys_admin, 120)
{
	ASSERT_EQ(0, without_cap(CAP_SYS_ADMIN, attach_refused, NULL));
	ASSERT_EQ(0, hsm_test_board_count());
	ASSERT_EQ(0, hsm_t_attach(0, &self->d));
	ASSERT_EQ(0, without_cap(CAP_SYS_ADMIN, detach_refused, &self->d));
	ASSERT_EQ(1, hsm_test_board_count());
}

struct attacher {
	pthread_t t;
	int err;
	struct hsm_board_desc d;
};

static void *attacher_main(void *arg)
{
	struct attacher *a = arg;

	a->err = hsm_attach(hsm_test_tty(0), &a->d, NULL, 0);
	return NULL;
}

/* One request to another generic netlink family (nlctrl, not parallel). */
static long nlctrl_request_ms(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	long t0;
	int fam;

	if (!sk || genl_connect(sk))
		return -1;
	t0 = hsm_test_now_ms();
	fam = genl_ctrl_resolve(sk, "nlctrl");
	t0 = hsm_test_now_ms() - t0;
	nl_socket_free(sk);
	return fam < 0 ? -1 : t0;
}

/*
 * An ATTACH waits for the handshake (here held for 3 s at the handshake
 * delay point): meanwhile other families' requests, and our own GET_BOARD,
 * go through at once.
 */
TEST_F_TIMEOUT(nl, attach_does_not_stall_other_families, 120)
{
	struct attacher a = { 0 };
	long hits, ms, t0;
	int i;

	ASSERT_HOOKS();
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, hsm_hook_set("handshake", 3000));
		hits = hsm_hook_hits("handshake");
		ASSERT_EQ(0, pthread_create(&a.t, NULL, attacher_main, &a));
		ASSERT_TRUE(hsm_wait_until(hsm_hook_hits("handshake") > hits, 20000));
		t0 = hsm_test_now_ms();
		ms = nlctrl_request_ms();
		ASSERT_GE(ms, 0);
		ASSERT_LT(ms, 1500) TH_LOG("nlctrl waited %ld ms", ms);
		ASSERT_EQ(0, hsm_test_board_count());
		ASSERT_LT(hsm_test_now_ms() - t0, 2000);
		ASSERT_EQ(0, hsm_hook_set("handshake", 0));
		ASSERT_EQ(0, pthread_join(a.t, NULL));
		ASSERT_EQ(0, a.err);
		ASSERT_EQ(0, hsm_detach(a.d.index, NULL, 0));
	}
}

struct param_case {
	const char *name;
	unsigned long max;
};

/* Every writable parameter refuses 0 and values past its bound. */
TEST(params_are_bounded)
{
	static const struct param_case p[] = {
		{ "handshake_timeout_ms", 60000 },
		{ "op_timeout_ms", 3600000 },
		{ "keygen_timeout_ms", 3600000 },
		{ "detach_timeout_ms", 60000 },
		{ "max_in_flight", 1024 },
		{ "max_keys_per_session", 256 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		long before = hsm_param_get(p[i].name);

		ASSERT_GT(before, 0) TH_LOG("%s", p[i].name);
		EXPECT_EQ(-EINVAL, hsm_param_set(p[i].name, 0)) TH_LOG("%s", p[i].name);
		EXPECT_EQ(-EINVAL, hsm_param_set(p[i].name, p[i].max + 1))
			TH_LOG("%s", p[i].name);
		EXPECT_EQ(-EINVAL, hsm_param_set(p[i].name, 4294967295UL))
			TH_LOG("%s", p[i].name);
		EXPECT_EQ(-ERANGE, hsm_param_set(p[i].name, 4294967296UL))
			TH_LOG("%s", p[i].name);
		EXPECT_EQ(before, hsm_param_get(p[i].name)) TH_LOG("%s", p[i].name);
		EXPECT_EQ(0, hsm_param_set(p[i].name, p[i].max)) TH_LOG("%s", p[i].name);
		EXPECT_EQ((long)p[i].max, hsm_param_get(p[i].name));
		EXPECT_EQ(0, hsm_param_set(p[i].name, before)) TH_LOG("%s", p[i].name);
	}
}

struct ev_count {
	int proto, detached;
};

static int on_event(struct nl_msg *msg, void *arg)
{
	struct nlattr *a[CRYPTECH_HSM_A_MAX + 1];
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(msg));
	struct ev_count *c = arg;

	if (gh->cmd != CRYPTECH_HSM_CMD_EVENT ||
	    genlmsg_parse(nlmsg_hdr(msg), 0, a, CRYPTECH_HSM_A_MAX, NULL) ||
	    !a[CRYPTECH_HSM_A_EVENT])
		return NL_OK;
	switch (nla_get_u32(a[CRYPTECH_HSM_A_EVENT])) {
	case CRYPTECH_HSM_EVENT_PROTO_ERROR:
		c->proto++;
		break;
	case CRYPTECH_HSM_EVENT_DETACHED:
		c->detached++;
		break;
	}
	return NL_OK;
}

#define NOISY_REPLIES	60
#define EVENT_BURST	10	/* HSM_PROTO_EVENT_BURST */
#define EVENT_INTERVAL	5000	/* HSM_PROTO_EVENT_INTERVAL, ms */

/*
 * A noisy line (a garbage frame before each of 60 replies): every garbage
 * frame is counted, but at most 10 PROTO_ERROR events go out per 5 s.
 */
TEST_F_TIMEOUT(nl, proto_error_events_are_rate_limited, 120)
{
	struct ev_count c = { 0 };
	struct hsm_board_desc now;
	struct nl_sock *sk;
	unsigned char buf[16];
	long t0, took, end;
	struct pollfd p;
	int grp, fd, i;

	sk = nl_socket_alloc();
	ASSERT_NE(NULL, sk);
	ASSERT_EQ(0, genl_connect(sk));
	grp = genl_ctrl_resolve_grp(sk, CRYPTECH_HSM_GENL_NAME,
				    CRYPTECH_HSM_GENL_MCGRP_EVENTS);
	ASSERT_GE(grp, 0);
	ASSERT_EQ(0, nl_socket_add_membership(sk, grp));
	nl_socket_disable_seq_check(sk);
	ASSERT_EQ(0, nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_event, &c));
	ASSERT_EQ(0, nl_socket_set_nonblocking(sk));
	nl_socket_set_buffer_size(sk, 1 << 20, 0);

	ASSERT_EQ(0, hsm_t_attach(0, &self->d));
	fd = hsm_t_open_dev(&self->d);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, hsm_test_board_set(0, "noise_next", NOISY_REPLIES));
	t0 = hsm_test_now_ms();
	for (i = 0; i < NOISY_REPLIES; i++)
		ASSERT_EQ(0, hsm_t_random(fd, buf, sizeof(buf), NULL));
	took = hsm_test_now_ms() - t0;
	close(fd);
	ASSERT_EQ(0, hsm_get_board(self->d.index, &now, NULL, 0));
	ASSERT_GE(now.stats.proto_errors, NOISY_REPLIES);
	/* DETACHED comes after every PROTO_ERROR event that was sent. */
	ASSERT_EQ(0, hsm_detach(self->d.index, NULL, 0));
	p.fd = nl_socket_get_fd(sk);
	p.events = POLLIN;
	end = hsm_test_now_ms() + 10000;
	while (!c.detached && hsm_test_now_ms() < end)
		if (poll(&p, 1, 1000) > 0)
			nl_recvmsgs_default(sk);
	nl_socket_free(sk);
	ASSERT_EQ(1, c.detached);
	ASSERT_GE(c.proto, 1);
	ASSERT_LE(c.proto, EVENT_BURST * (1 + took / EVENT_INTERVAL + 1))
		TH_LOG("%d PROTO_ERROR events for %d noisy replies in %ld ms",
		       c.proto, NOISY_REPLIES, took);
}

/* An ioctl struct larger than a page is refused, as openat2 and clone3 do. */
TEST_F_TIMEOUT(nl, ioctl_struct_over_page_size_is_e2big, 120)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *big, out[16];
	struct cryptech_hsm_random *r;
	int fd;

	ASSERT_EQ(0, hsm_t_attach(0, &self->d));
	fd = hsm_t_open_dev(&self->d);
	ASSERT_GE(fd, 0);
	big = calloc(1, 2 * page);
	ASSERT_NE(NULL, big);
	r = (struct cryptech_hsm_random *)big;
	r->buf = HSM_PTR(out);
	r->len = sizeof(out);
	/* Exactly a page, zero past the struct: fine. */
	r->size = page;
	ASSERT_EQ(0, ioctl(fd, CRYPTECH_HSM_IOC_RANDOM, big));
	/* One byte more, although zero: E2BIG. */
	r->size = page + 1;
	ASSERT_EQ(-1, ioctl(fd, CRYPTECH_HSM_IOC_RANDOM, big));
	ASSERT_EQ(E2BIG, errno);
	r->size = 0xffffffff;
	ASSERT_EQ(-1, ioctl(fd, CRYPTECH_HSM_IOC_RANDOM, big));
	ASSERT_EQ(E2BIG, errno);
	free(big);
	close(fd);
}

/*
 * The size member is the size; the command's encoded size and direction
 * must still be plausible: read-write, and at least the first published
 * size of the struct.
 */
TEST_F_TIMEOUT(nl, ioctl_command_size_is_checked, 120)
{
	struct cryptech_hsm_board_info bi;
	struct cryptech_hsm_random r;
	unsigned char out[16];
	int fd;

	ASSERT_EQ(0, hsm_t_attach(0, &self->d));
	fd = hsm_t_open_dev(&self->d);
	ASSERT_GE(fd, 0);
	HSM_INIT(r);
	r.buf = HSM_PTR(out);
	r.len = sizeof(out);
	ASSERT_EQ(-1, ioctl(fd, _IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x01, __u32), &r));
	ASSERT_EQ(ENOTTY, errno);
	ASSERT_EQ(-1, ioctl(fd, _IOR(CRYPTECH_HSM_IOC_MAGIC, 0x01, struct cryptech_hsm_random), &r));
	ASSERT_EQ(ENOTTY, errno);
	ASSERT_EQ(-1, ioctl(fd, _IOW(CRYPTECH_HSM_IOC_MAGIC, 0x01, struct cryptech_hsm_random), &r));
	ASSERT_EQ(ENOTTY, errno);
	ASSERT_EQ(0, ioctl(fd, CRYPTECH_HSM_IOC_RANDOM, &r));
	/* A program built against the first BOARD_INFO (80 bytes) still works. */
	memset(&bi, 0, sizeof(bi));
	bi.size = CRYPTECH_HSM_BOARD_INFO_SIZE_VER0;
	ASSERT_EQ(0, ioctl(fd, _IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x02,
				     char[CRYPTECH_HSM_BOARD_INFO_SIZE_VER0]), &bi));
	ASSERT_STREQ("ttyUSB0", bi.tty_name);
	ASSERT_EQ(0, bi.board_id_kind);
	close(fd);
}

HSM_TEST_HARNESS_MAIN
