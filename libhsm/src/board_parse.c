// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Decode a board description message (CRYPTECH_HSM_CMD_GET_BOARD and
 * ATTACH replies). Kernel data is checked like any other input: the
 * policies fix every attribute's type and size, strings must be
 * NUL-terminated and fit our fields, and only the index is mandatory.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/cryptech_hsm.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "internal.h"

static void board_policy(struct nla_policy *p)
{
	memset(p, 0, sizeof(*p) * (CRYPTECH_HSM_A_MAX + 1));
	p[CRYPTECH_HSM_A_INDEX].type = NLA_U32;
	p[CRYPTECH_HSM_A_DEV_NAME].type = NLA_STRING;
	p[CRYPTECH_HSM_A_DEV_NAME].maxlen =
		sizeof(((struct hsm_board_desc *)0)->dev_name);
	p[CRYPTECH_HSM_A_TTY_NAME].type = NLA_STRING;
	p[CRYPTECH_HSM_A_TTY_NAME].maxlen =
		sizeof(((struct hsm_board_desc *)0)->tty_name);
	p[CRYPTECH_HSM_A_PROTOCOL_VERSION].type = NLA_U32;
	p[CRYPTECH_HSM_A_STATE].type = NLA_U32;
	p[CRYPTECH_HSM_A_STATS].type = NLA_NESTED;
	p[CRYPTECH_HSM_A_EVENT].type = NLA_U32;
	p[CRYPTECH_HSM_A_BOARD_ID].type = NLA_STRING;
	p[CRYPTECH_HSM_A_BOARD_ID].maxlen =
		sizeof(((struct hsm_board_desc *)0)->board_id);
	p[CRYPTECH_HSM_A_BOARD_ID_KIND].type = NLA_U32;
	p[CRYPTECH_HSM_A_KERNEL_USER].type = NLA_U32;
}

static int parse_stats(struct nlattr *nest, struct hsm_board_stats *st)
{
	struct nla_policy p[CRYPTECH_HSM_STAT_MAX + 1];
	struct nlattr *tb[CRYPTECH_HSM_STAT_MAX + 1];
	static const struct {
		int attr;
		size_t off;
	} map[] = {
		{ CRYPTECH_HSM_STAT_REQUESTS,
		  offsetof(struct hsm_board_stats, requests) },
		{ CRYPTECH_HSM_STAT_ERRORS,
		  offsetof(struct hsm_board_stats, errors) },
		{ CRYPTECH_HSM_STAT_TIMEOUTS,
		  offsetof(struct hsm_board_stats, timeouts) },
		{ CRYPTECH_HSM_STAT_PROTO_ERRORS,
		  offsetof(struct hsm_board_stats, proto_errors) },
		{ CRYPTECH_HSM_STAT_IN_FLIGHT,
		  offsetof(struct hsm_board_stats, in_flight) },
		{ CRYPTECH_HSM_STAT_BYTES_IN,
		  offsetof(struct hsm_board_stats, bytes_in) },
		{ CRYPTECH_HSM_STAT_BYTES_OUT,
		  offsetof(struct hsm_board_stats, bytes_out) },
		{ CRYPTECH_HSM_STAT_SESSIONS,
		  offsetof(struct hsm_board_stats, sessions) },
	};
	struct nlattr *pos;
	size_t i;
	int rem;

	/* libnl ignores bytes that do not form an attribute: we do not. */
	nla_for_each_nested(pos, nest, rem)
		;
	if (rem != 0)
		return -EPROTO;

	memset(p, 0, sizeof(p));
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		p[map[i].attr].type = NLA_U64;
		p[map[i].attr].maxlen = sizeof(uint64_t);
	}
	if (nla_parse_nested(tb, CRYPTECH_HSM_STAT_MAX, nest, p) < 0)
		return -EPROTO;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		uint64_t v = 0;

		if (tb[map[i].attr])
			v = nla_get_u64(tb[map[i].attr]);
		memcpy((char *)st + map[i].off, &v, sizeof(v));
	}
	return 0;
}

int hsm_board_parse(struct nlmsghdr *nlh, struct hsm_board_desc *out)
{
	struct nla_policy policy[CRYPTECH_HSM_A_MAX + 1];
	struct nlattr *tb[CRYPTECH_HSM_A_MAX + 1];
	struct hsm_board_desc d;
	int ret;

	board_policy(policy);
	if (!genlmsg_valid_hdr(nlh, 0))
		return -EPROTO;
	if (genlmsg_parse(nlh, 0, tb, CRYPTECH_HSM_A_MAX, policy) < 0)
		return -EPROTO;
	if (!tb[CRYPTECH_HSM_A_INDEX])
		return -EPROTO;

	memset(&d, 0, sizeof(d));
	d.index = nla_get_u32(tb[CRYPTECH_HSM_A_INDEX]);
	if (tb[CRYPTECH_HSM_A_DEV_NAME])
		hsm_copy_str(d.dev_name, sizeof(d.dev_name),
			     nla_data(tb[CRYPTECH_HSM_A_DEV_NAME]),
			     (size_t)nla_len(tb[CRYPTECH_HSM_A_DEV_NAME]));
	if (!d.dev_name[0])
		snprintf(d.dev_name, sizeof(d.dev_name), "hsm%u", d.index);
	if (tb[CRYPTECH_HSM_A_TTY_NAME])
		hsm_copy_str(d.tty_name, sizeof(d.tty_name),
			     nla_data(tb[CRYPTECH_HSM_A_TTY_NAME]),
			     (size_t)nla_len(tb[CRYPTECH_HSM_A_TTY_NAME]));
	if (tb[CRYPTECH_HSM_A_PROTOCOL_VERSION])
		d.protocol_version =
			nla_get_u32(tb[CRYPTECH_HSM_A_PROTOCOL_VERSION]);
	if (tb[CRYPTECH_HSM_A_STATE])
		d.state = nla_get_u32(tb[CRYPTECH_HSM_A_STATE]);
	if (tb[CRYPTECH_HSM_A_BOARD_ID])
		hsm_copy_str(d.board_id, sizeof(d.board_id),
			     nla_data(tb[CRYPTECH_HSM_A_BOARD_ID]),
			     (size_t)nla_len(tb[CRYPTECH_HSM_A_BOARD_ID]));
	if (tb[CRYPTECH_HSM_A_BOARD_ID_KIND] && d.board_id[0])
		d.board_id_kind = nla_get_u32(tb[CRYPTECH_HSM_A_BOARD_ID_KIND]);
	if (tb[CRYPTECH_HSM_A_KERNEL_USER]) {
		d.kernel_user = nla_get_u32(tb[CRYPTECH_HSM_A_KERNEL_USER]);
		if (d.kernel_user > HSM_USER_WHEEL)
			return -EPROTO;
	}
	if (tb[CRYPTECH_HSM_A_STATS]) {
		ret = parse_stats(tb[CRYPTECH_HSM_A_STATS], &d.stats);
		if (ret)
			return ret;
	}
	*out = d;
	return 0;
}
