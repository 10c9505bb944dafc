// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Extended ACK (NETLINK_EXT_ACK): the kernel appends a message attribute
 * to its error replies, e.g. "board on ttyUSB0 did not answer GET_VERSION
 * within 2000 ms". libnl 3.7 has no helper for it, so we decode it here,
 * treating every length in the message as untrusted.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "internal.h"

int hsm_extack_msg(const struct nlmsghdr *nlh, size_t avail, char *buf,
		   size_t len)
{
	struct nla_policy policy[NLMSGERR_ATTR_MAX + 1];
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	const unsigned char *payload;
	size_t plen, off;

	if (avail < NLMSG_HDRLEN || nlh->nlmsg_len < NLMSG_HDRLEN)
		return -EPROTO;
	if (nlh->nlmsg_len < avail)
		avail = nlh->nlmsg_len;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;

	payload = (const unsigned char *)nlh + NLMSG_HDRLEN;
	plen = avail - NLMSG_HDRLEN;
	if (plen > INT_MAX)
		return -EPROTO;

	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = (const void *)payload;

		if (plen < sizeof(*e))
			return -EPROTO;
		off = sizeof(*e);
		/* Unless capped, the request's payload is echoed first. */
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
			if (e->msg.nlmsg_len < NLMSG_HDRLEN ||
			    e->msg.nlmsg_len - NLMSG_HDRLEN > plen)
				return -EPROTO;
			off += e->msg.nlmsg_len - NLMSG_HDRLEN;
		}
	} else if (nlh->nlmsg_type == NLMSG_DONE) {
		off = sizeof(int);	/* the dump's error code */
	} else {
		return 0;
	}
	off = NLMSG_ALIGN(off);
	if (off >= plen)
		return 0;

	memset(policy, 0, sizeof(policy));
	policy[NLMSGERR_ATTR_MSG].type = NLA_STRING;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)(payload + off),
		      (int)(plen - off), policy) < 0)
		return -EPROTO;
	if (!tb[NLMSGERR_ATTR_MSG])
		return 0;
	hsm_copy_str(buf, len, nla_data(tb[NLMSGERR_ATTR_MSG]),
		     (size_t)nla_len(tb[NLMSGERR_ATTR_MSG]));
	return 1;
}
