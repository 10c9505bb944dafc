/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the issue 7 tests: the module's test-only delay points
 * (debugfs, Documentation/test-hooks.rst), module
 * parameters, capabilities, and the netlink board attributes libhsm does
 * not parse yet (the stable board identity).
 */
#ifndef HSM_HOOKS_H
#define HSM_HOOKS_H

#include <sys/mount.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <linux/cryptech_hsm.h>

#include "hsm_test.h"

#define HSM_DEBUGFS	"/sys/kernel/debug/cryptech_hsm"

/*
 * 0 when the module has its delay points; otherwise a message saying why
 * not, for the test to fail with (a test that cannot run must not pass).
 */
static inline const char *hsm_hooks_missing(void)
{
	if (!hsm_path_exists("/sys/kernel/debug/cryptech_hsm") &&
	    !hsm_path_exists("/sys/kernel/debug/tracing"))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	if (!hsm_path_exists(HSM_DEBUGFS "/delay_ms"))
		return "no " HSM_DEBUGFS "/delay_ms: build the module with 'make module CRYPTECH_HSM_TEST_HOOKS=1' (tests/check.sh does)";
	return NULL;
}

static inline int hsm_hooks_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

static inline long hsm_read_num(const char *path)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return strtol(buf, NULL, 10);
}

/* Set delay point @name to @ms (0: off). */
static inline int hsm_hook_set(const char *name, unsigned int ms)
{
	char path[160], val[32];

	snprintf(path, sizeof(path), HSM_DEBUGFS "/delay_ms/%s", name);
	snprintf(val, sizeof(val), "%u", ms);
	return hsm_hooks_write(path, val);
}

/* End every delay in progress now. */
static inline int hsm_hook_release(void)
{
	return hsm_hooks_write(HSM_DEBUGFS "/release", "1");
}

/* How many times delay point @name has delayed. */
static inline long hsm_hook_hits(const char *name)
{
	char path[160];

	snprintf(path, sizeof(path), HSM_DEBUGFS "/hits/%s", name);
	return hsm_read_num(path);
}

static inline int hsm_param_set(const char *name, unsigned long v)
{
	char path[160], val[32];

	snprintf(path, sizeof(path), "/sys/module/cryptech_hsm/parameters/%s",
		 name);
	snprintf(val, sizeof(val), "%lu", v);
	return hsm_hooks_write(path, val);
}

static inline long hsm_param_get(const char *name)
{
	char path[160];

	snprintf(path, sizeof(path), "/sys/module/cryptech_hsm/parameters/%s",
		 name);
	return hsm_read_num(path);
}

/* Remove capability @cap from this process's sets. */
static inline int hsm_test_drop_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[CAP_TO_INDEX(cap)].effective &= ~CAP_TO_MASK(cap);
	data[CAP_TO_INDEX(cap)].permitted &= ~CAP_TO_MASK(cap);
	data[CAP_TO_INDEX(cap)].inheritable &= ~CAP_TO_MASK(cap);
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	return 0;
}

/* A board as the netlink GET_BOARD reply describes it. */
struct hsm_nl_board {
	int index;
	char tty[64];
	char board_id[64];
	int board_id_kind;	/* -1: attribute missing */
	bool has_board_id;
};

struct hsm_nl_dump {
	struct hsm_nl_board b[16];
	int n;
};

static inline int hsm_nl_on_board(struct nl_msg *msg, void *arg)
{
	struct hsm_nl_dump *d = arg;
	struct nlattr *a[CRYPTECH_HSM_A_MAX + 1];
	struct hsm_nl_board *e;

	if (d->n == 16 ||
	    genlmsg_parse(nlmsg_hdr(msg), 0, a, CRYPTECH_HSM_A_MAX, NULL))
		return NL_OK;
	e = &d->b[d->n++];
	memset(e, 0, sizeof(*e));
	e->index = a[CRYPTECH_HSM_A_INDEX] ?
		   (int)nla_get_u32(a[CRYPTECH_HSM_A_INDEX]) : -1;
	if (a[CRYPTECH_HSM_A_TTY_NAME])
		snprintf(e->tty, sizeof(e->tty), "%s",
			 nla_get_string(a[CRYPTECH_HSM_A_TTY_NAME]));
	e->has_board_id = a[CRYPTECH_HSM_A_BOARD_ID] != NULL;
	if (e->has_board_id)
		snprintf(e->board_id, sizeof(e->board_id), "%s",
			 nla_get_string(a[CRYPTECH_HSM_A_BOARD_ID]));
	e->board_id_kind = a[CRYPTECH_HSM_A_BOARD_ID_KIND] ?
			   (int)nla_get_u32(a[CRYPTECH_HSM_A_BOARD_ID_KIND]) : -1;
	return NL_OK;
}

/* Dump every board (GET_BOARD with NLM_F_DUMP); 0 or a negative error. */
static inline int hsm_nl_dump_boards(struct hsm_nl_dump *out)
{
	struct nl_sock *sk = nl_socket_alloc();
	int fam, err = -ENOMEM;

	memset(out, 0, sizeof(*out));
	if (!sk)
		return err;
	err = genl_connect(sk);
	if (err)
		goto out;
	fam = genl_ctrl_resolve(sk, CRYPTECH_HSM_GENL_NAME);
	if (fam < 0) {
		err = fam;
		goto out;
	}
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, hsm_nl_on_board, out);
	err = genl_send_simple(sk, fam, CRYPTECH_HSM_CMD_GET_BOARD,
			       CRYPTECH_HSM_GENL_VERSION, NLM_F_DUMP);
	if (err >= 0)
		err = nl_recvmsgs_default(sk);
out:
	nl_socket_free(sk);
	return err < 0 ? err : 0;
}

/* The dumped board on tty @tty ("ttyUSB0"), or NULL. */
static inline const struct hsm_nl_board *
hsm_nl_find(const struct hsm_nl_dump *d, const char *tty)
{
	int i;

	for (i = 0; i < d->n; i++)
		if (!strcmp(d->b[i].tty, tty))
			return &d->b[i];
	return NULL;
}

#endif /* HSM_HOOKS_H */
