// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Generic netlink transactions over libnl-genl-3.
 *
 * Every call gets its own socket, callbacks and state on the stack: nothing
 * is shared between calls, so any number of threads may talk to the kernel
 * at once without locks of ours.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "internal.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct nl_state {
	const struct hsm_nl_request *req;
	int family;
	int done;
	int err;		/* first error seen, -errno */
	int have_msg;		/* errmsg holds the kernel's message */
	char *errmsg;
	size_t errmsg_len;
};

int hsm_nlerr_to_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case 0:				return 0;
	case NLE_INTR:			return -EINTR;
	case NLE_BAD_SOCK:		return -EBADF;
	case NLE_AGAIN:			return -EAGAIN;
	case NLE_NOMEM:			return -ENOMEM;
	case NLE_EXIST:			return -EEXIST;
	case NLE_INVAL:			return -EINVAL;
	case NLE_RANGE:			return -ERANGE;
	case NLE_MSGSIZE:		return -EMSGSIZE;
	case NLE_OPNOTSUPP:		return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:		return -EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND:		return -ENOENT;
	case NLE_NOATTR:		return -ENOENT;
	case NLE_MISSING_ATTR:		return -EINVAL;
	case NLE_AF_MISMATCH:		return -EAFNOSUPPORT;
	case NLE_SEQ_MISMATCH:		return -EPROTO;
	case NLE_MSG_OVERFLOW:		return -EOVERFLOW;
	case NLE_MSG_TRUNC:		return -EPROTO;
	case NLE_NOADDR:		return -EADDRNOTAVAIL;
	case NLE_SRCRT_NOSUPPORT:	return -EOPNOTSUPP;
	case NLE_MSG_TOOSHORT:		return -EPROTO;
	case NLE_MSGTYPE_NOSUPPORT:	return -EPROTO;
	case NLE_OBJ_MISMATCH:		return -EINVAL;
	case NLE_NOCACHE:		return -ENOENT;
	case NLE_BUSY:			return -EBUSY;
	case NLE_PROTO_MISMATCH:	return -EPROTONOSUPPORT;
	case NLE_NOACCESS:		return -EACCES;
	case NLE_PERM:			return -EPERM;
	case NLE_PKTLOC_FILE:		return -ENOENT;
	case NLE_PARSE_ERR:		return -EPROTO;
	case NLE_NODEV:			return -ENODEV;
	case NLE_IMMUTABLE:		return -EPERM;
	case NLE_DUMP_INTR:		return -EAGAIN;
	case NLE_ATTRSIZE:		return -EPROTO;
	default:			return -EIO;
	}
}

static void set_error(struct nl_state *st, int err)
{
	if (!st->err)
		st->err = err;
}

static void take_extack(struct nl_state *st, struct nlmsghdr *nlh)
{
	/* libnl checked nlmsg_len against what it received. */
	if (!st->have_msg &&
	    hsm_extack_msg(nlh, nlh->nlmsg_len, st->errmsg, st->errmsg_len) == 1)
		st->have_msg = 1;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct nl_state *st = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int ret;

	/* Only our family's messages carry our attributes. */
	if (nlh->nlmsg_type != st->family || !st->req->parse)
		return NL_OK;
	ret = st->req->parse(nlh, st->req->parse_arg);
	if (ret) {
		if (ret == -EPROTO && !st->have_msg) {
			hsm_errmsg_set(st->errmsg, st->errmsg_len,
				       "malformed message from the kernel");
			st->have_msg = 1;
		}
		set_error(st, ret);
		return NL_STOP;
	}
	return NL_OK;
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nl_state *st = arg;
	/* libnl hands us the payload of the NLMSG_ERROR message. */
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);

	(void)nla;
	set_error(st, e->error < 0 ? e->error : -EPROTO);
	take_extack(st, nlh);
	st->done = 1;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct nl_state *st = arg;

	(void)msg;
	st->done = 1;
	return NL_STOP;
}

static int on_finish(struct nl_msg *msg, void *arg)
{
	struct nl_state *st = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int derr;

	/* A dump that failed part way reports its error in NLMSG_DONE. */
	if (nlmsg_datalen(nlh) >= (int)sizeof(int)) {
		memcpy(&derr, nlmsg_data(nlh), sizeof(derr));
		if (derr < 0) {
			set_error(st, derr);
			take_extack(st, nlh);
		}
	}
	st->done = 1;
	return NL_STOP;
}

static int on_dump_intr(struct nl_msg *msg, void *arg)
{
	struct nl_state *st = arg;

	(void)msg;
	/* The board list changed under the dump: the result is not coherent. */
	set_error(st, -EAGAIN);
	hsm_errmsg_set(st->errmsg, st->errmsg_len,
		       "the list changed while it was read; try again");
	st->have_msg = 1;
	return NL_STOP;
}

static int resolve_family(struct nl_sock *sk, const char *name,
			  char *errmsg, size_t errmsg_len)
{
	int id = genl_ctrl_resolve(sk, name);

	if (id >= 0)
		return id;
	if (id == -NLE_OBJ_NOTFOUND) {
		hsm_errmsg_set(errmsg, errmsg_len,
			       "the %s kernel module is not loaded (generic netlink family \"%s\" not found; try: modprobe %s)",
			       name, name, name);
		return -ENOENT;
	}
	hsm_errmsg_set(errmsg, errmsg_len,
		       "cannot look up generic netlink family \"%s\": %s",
		       name, nl_geterror(id));
	return hsm_nlerr_to_errno(id);
}

static void enable_ext_ack(struct nl_sock *sk)
{
	int one = 1, fd = nl_socket_get_fd(sk);

	/* Best effort: older kernels just give no message. CAP_ACK keeps
	 * our own request out of error replies. */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
}

static int run(struct nl_sock *sk, struct nl_state *st)
{
	const struct hsm_nl_request *req = st->req;
	struct nl_cb *cb = NULL;
	struct nl_msg *msg = NULL;
	int ret;

	msg = nlmsg_alloc();
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!msg || !cb) {
		ret = -ENOMEM;
		goto out;
	}
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, st->family, 0,
			 req->dump ? NLM_F_DUMP : 0, req->cmd, req->version)) {
		ret = -ENOMEM;
		goto out;
	}
	if (req->put) {
		ret = req->put(msg, req->put_arg);
		if (ret)
			goto out;
	}

	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, st);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, st);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, st);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, on_dump_intr, st);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, st);

	/* nl_send_auto() adds NLM_F_ACK: every request ends in an ACK,
	 * an error or (dumps) NLMSG_DONE. */
	ret = nl_send_auto(sk, msg);
	if (ret < 0) {
		ret = hsm_nlerr_to_errno(ret);
		goto out;
	}
	while (!st->done && !st->err) {
		ret = nl_recvmsgs(sk, cb);
		if (ret < 0 && !st->err)
			set_error(st, hsm_nlerr_to_errno(ret));
	}
	ret = st->err;
out:
	nlmsg_free(msg);
	nl_cb_put(cb);
	return ret;
}

int hsm_nl_transact(const struct hsm_nl_request *req, char *errmsg,
		    size_t errmsg_len)
{
	struct nl_state st;
	struct nl_sock *sk;
	int ret;

	hsm_errmsg_set(errmsg, errmsg_len, "%s", "");
	if (!req || !req->family)
		return -EINVAL;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	ret = genl_connect(sk);
	if (ret < 0) {
		ret = hsm_nlerr_to_errno(ret);
		hsm_errmsg_set(errmsg, errmsg_len,
			       "cannot open a generic netlink socket: %s",
			       hsm_strerror(ret, 0));
		goto out;
	}
	enable_ext_ack(sk);

	ret = resolve_family(sk, req->family, errmsg, errmsg_len);
	if (ret < 0)
		goto out;

	memset(&st, 0, sizeof(st));
	st.req = req;
	st.family = ret;
	st.errmsg = errmsg;
	st.errmsg_len = errmsg_len;
	ret = run(sk, &st);
	if (ret && !st.have_msg)
		hsm_errmsg_set(errmsg, errmsg_len, "%s", hsm_strerror(ret, 0));
out:
	nl_socket_free(sk);
	return ret;
}
