// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Board events: a netlink socket subscribed to the cryptech_hsm family's
 * "events" multicast group. The caller polls the descriptor; reads never
 * block. One datagram may hold several messages, so the last one received
 * is kept and handed out message by message.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/cryptech_hsm.h>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "events.h"
#include "internal.h"

_Static_assert((int)HSM_EVENT_ATTACHED == (int)CRYPTECH_HSM_EVENT_ATTACHED &&
	       (int)HSM_EVENT_PROTO_ERROR == (int)CRYPTECH_HSM_EVENT_PROTO_ERROR &&
	       (int)HSM_EVENT_KERNEL_SESSION ==
	       (int)CRYPTECH_HSM_EVENT_KERNEL_SESSION,
	       "event numbers match the ABI");

struct hsm_events {
	struct nl_sock *sk;
	int family;
	unsigned char buf[8192];	/* the datagram being handed out */
	size_t len, off;
};

int hsm_event_parse(struct nlmsghdr *nlh, struct hsm_event *out)
{
	return hsm_event_parse_ex(nlh, out, NULL);
}

int hsm_event_parse_ex(struct nlmsghdr *nlh, struct hsm_event *out,
		       uint32_t *kernel_user)
{
	struct nla_policy p[CRYPTECH_HSM_A_MAX + 1];
	struct nlattr *tb[CRYPTECH_HSM_A_MAX + 1];
	struct hsm_event e;

	memset(p, 0, sizeof(p));
	p[CRYPTECH_HSM_A_EVENT].type = NLA_U32;
	p[CRYPTECH_HSM_A_INDEX].type = NLA_U32;
	p[CRYPTECH_HSM_A_DEV_NAME].type = NLA_STRING;
	p[CRYPTECH_HSM_A_TTY_NAME].type = NLA_STRING;
	p[CRYPTECH_HSM_A_BOARD_ID].type = NLA_STRING;
	p[CRYPTECH_HSM_A_KERNEL_USER].type = NLA_U32;
	if (!genlmsg_valid_hdr(nlh, 0) ||
	    genlmsg_parse(nlh, 0, tb, CRYPTECH_HSM_A_MAX, p) < 0 ||
	    !tb[CRYPTECH_HSM_A_EVENT] || !tb[CRYPTECH_HSM_A_INDEX])
		return -EPROTO;
	memset(&e, 0, sizeof(e));
	e.type = nla_get_u32(tb[CRYPTECH_HSM_A_EVENT]);
	e.index = nla_get_u32(tb[CRYPTECH_HSM_A_INDEX]);
#define STR(field, attr)						\
	if (tb[attr])							\
		hsm_copy_str(e.field, sizeof(e.field), nla_data(tb[attr]), \
			     (size_t)nla_len(tb[attr]))
	STR(dev_name, CRYPTECH_HSM_A_DEV_NAME);
	STR(tty_name, CRYPTECH_HSM_A_TTY_NAME);
	STR(board_id, CRYPTECH_HSM_A_BOARD_ID);
#undef STR
	*out = e;
	if (kernel_user)
		*kernel_user = tb[CRYPTECH_HSM_A_KERNEL_USER] ?
			nla_get_u32(tb[CRYPTECH_HSM_A_KERNEL_USER]) : HSM_USER_NONE;
	return 0;
}

int hsm_events_open(struct hsm_events **out, char *errmsg, size_t errmsg_len)
{
	struct hsm_events *ev;
	int ret, grp, fd;

	hsm_errmsg_set(errmsg, errmsg_len, "%s", "");
	if (!out)
		return -EINVAL;
	*out = NULL;
	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	ev->sk = nl_socket_alloc();
	if (!ev->sk) {
		free(ev);
		return -ENOMEM;
	}
	ret = genl_connect(ev->sk);
	if (ret < 0) {
		ret = hsm_nlerr_to_errno(ret);
		hsm_errmsg_set(errmsg, errmsg_len,
			       "cannot open a generic netlink socket: %s",
			       hsm_strerror(ret, 0));
		goto fail;
	}
	fd = nl_socket_get_fd(ev->sk);
	/* libnl does not promise CLOEXEC: a subscription must not leak
	 * into programs we exec. */
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		ret = -errno;
		goto fail;
	}
	ev->family = genl_ctrl_resolve(ev->sk, CRYPTECH_HSM_GENL_NAME);
	grp = ev->family < 0 ? ev->family :
	      genl_ctrl_resolve_grp(ev->sk, CRYPTECH_HSM_GENL_NAME,
				    CRYPTECH_HSM_GENL_MCGRP_EVENTS);
	if (grp < 0) {
		ret = -ENOENT;
		hsm_errmsg_set(errmsg, errmsg_len,
			       "no netlink family \"%s\" with group \"%s\": is the cryptech_hsm module loaded?",
			       CRYPTECH_HSM_GENL_NAME,
			       CRYPTECH_HSM_GENL_MCGRP_EVENTS);
		goto fail;
	}
	ret = nl_socket_add_membership(ev->sk, grp);
	if (ret < 0) {
		ret = hsm_nlerr_to_errno(ret);
		hsm_errmsg_set(errmsg, errmsg_len,
			       "cannot join the events group: %s",
			       hsm_strerror(ret, 0));
		goto fail;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		ret = -errno;
		goto fail;
	}
	*out = ev;
	return 0;
fail:
	nl_socket_free(ev->sk);
	free(ev);
	return ret;
}

int hsm_events_fd(const struct hsm_events *ev)
{
	return ev ? nl_socket_get_fd(ev->sk) : -EINVAL;
}

int hsm_events_read(struct hsm_events *ev, struct hsm_event *out)
{
	return hsm_events_read_ex(ev, out, NULL);
}

int hsm_events_read_ex(struct hsm_events *ev, struct hsm_event *out,
		       uint32_t *kernel_user)
{
	if (!ev || !out)
		return -EINVAL;
	for (;;) {
		while (ev->off < ev->len) {
			struct nlmsghdr *nlh = (void *)(ev->buf + ev->off);
			size_t left = ev->len - ev->off;

			if (left < NLMSG_HDRLEN || nlh->nlmsg_len < NLMSG_HDRLEN ||
			    nlh->nlmsg_len > left) {
				ev->off = ev->len;	/* truncated: drop it */
				return -EPROTO;
			}
			ev->off += NLMSG_ALIGN(nlh->nlmsg_len);
			if (nlh->nlmsg_type != ev->family)
				continue;	/* not ours (e.g. NLMSG_NOOP) */
			if (genlmsg_hdr(nlh)->cmd != CRYPTECH_HSM_CMD_EVENT)
				continue;
			return hsm_event_parse_ex(nlh, out, kernel_user) == 0 ?
			       1 : -EPROTO;
		}
		ssize_t n = recv(nl_socket_get_fd(ev->sk), ev->buf,
				 sizeof(ev->buf), MSG_DONTWAIT);

		ev->off = ev->len = 0;
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			return -errno;	/* ENOBUFS: events were dropped */
		}
		ev->len = (size_t)n;
	}
}

const char *hsm_event_name(uint32_t type)
{
	switch (type) {
	case HSM_EVENT_ATTACHED:
		return "attached";
	case HSM_EVENT_DETACHED:
		return "detached";
	case HSM_EVENT_TIMEOUT:
		return "timeout";
	case HSM_EVENT_PROTO_ERROR:
		return "protocol-error";
	case HSM_EVENT_KERNEL_SESSION:
		return "kernel-session";
	default:
		return "unknown";
	}
}

void hsm_events_close(struct hsm_events *ev)
{
	if (!ev)
		return;
	nl_socket_free(ev->sk);
	free(ev);
}
