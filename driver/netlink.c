// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "cryptech_hsm": attach, detach, list boards with
 * their counters, and multicast events. The message formats are documented
 * in uapi/linux/cryptech_hsm.h and Documentation/userspace-api/.
 *
 * Locking: the family is parallel_ops: its handlers do not hold the genetlink
 * mutex, so an ATTACH waiting for a slow handshake never stalls other
 * families. Attach and detach are serialised by hsm_attach_mutex (ldisc.c);
 * boards are looked up with a reference (board.c) and never used without
 * one.
 *
 * Permissions: ATTACH and DETACH need CAP_SYS_ADMIN (as setting the line
 * discipline does), checked in the handlers; CAP_NET_ADMIN is neither needed
 * nor enough. GET_BOARD and the events are open to everyone.
 */
#include <linux/capability.h>
#include <linux/ratelimit.h>
#include <net/genetlink.h>

#include "hsm.h"

static struct genl_family hsm_genl_family;

static const struct nla_policy hsm_genl_policy[CRYPTECH_HSM_A_MAX + 1] = {
	[CRYPTECH_HSM_A_TTY_PATH]	= { .type = NLA_NUL_STRING, .len = PATH_MAX - 1 },
	[CRYPTECH_HSM_A_INDEX]		= { .type = NLA_U32 },
};

enum hsm_genl_mcgrp {
	HSM_GENL_MCGRP_EVENTS,
};

static const struct genl_multicast_group hsm_genl_mcgrps[] = {
	[HSM_GENL_MCGRP_EVENTS] = { .name = CRYPTECH_HSM_GENL_MCGRP_EVENTS },
};

static int hsm_put_stats(struct sk_buff *skb, struct hsm_board *b)
{
	struct hsm_stats *st = &b->stats;
	struct nlattr *nest;

	nest = nla_nest_start(skb, CRYPTECH_HSM_A_STATS);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, CRYPTECH_HSM_STAT_REQUESTS,
			      atomic64_read(&st->requests), CRYPTECH_HSM_STAT_PAD) ||
	    nla_put_u64_64bit(skb, CRYPTECH_HSM_STAT_ERRORS,
			      atomic64_read(&st->errors), CRYPTECH_HSM_STAT_PAD) ||
	    nla_put_u64_64bit(skb, CRYPTECH_HSM_STAT_TIMEOUTS,
			      atomic64_read(&st->timeouts), CRYPTECH_HSM_STAT_PAD) ||
	    nla_put_u64_64bit(skb, CRYPTECH_HSM_STAT_PROTO_ERRORS,
			      atomic64_read(&st->proto_errors), CRYPTECH_HSM_STAT_PAD) ||
	    nla_put_u64_64bit(skb, CRYPTECH_HSM_STAT_IN_FLIGHT,
			      atomic_read(&st->in_flight), CRYPTECH_HSM_STAT_PAD) ||
	    nla_put_u64_64bit(skb, CRYPTECH_HSM_STAT_BYTES_IN,
			      atomic64_read(&st->bytes_in), CRYPTECH_HSM_STAT_PAD) ||
	    nla_put_u64_64bit(skb, CRYPTECH_HSM_STAT_BYTES_OUT,
			      atomic64_read(&st->bytes_out), CRYPTECH_HSM_STAT_PAD) ||
	    nla_put_u64_64bit(skb, CRYPTECH_HSM_STAT_SESSIONS,
			      atomic_read(&st->sessions), CRYPTECH_HSM_STAT_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int hsm_fill_board(struct sk_buff *skb, struct hsm_board *b, u32 portid,
			  u32 seq, int flags, u8 cmd)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &hsm_genl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, CRYPTECH_HSM_A_INDEX, b->index) ||
	    nla_put_string(skb, CRYPTECH_HSM_A_DEV_NAME, dev_name(&b->dev)) ||
	    nla_put_string(skb, CRYPTECH_HSM_A_TTY_NAME, b->tty_name) ||
	    nla_put_u32(skb, CRYPTECH_HSM_A_PROTOCOL_VERSION, b->protocol_version) ||
	    nla_put_u32(skb, CRYPTECH_HSM_A_STATE, READ_ONCE(b->state)) ||
	    nla_put_string(skb, CRYPTECH_HSM_A_BOARD_ID, b->board_id) ||
	    nla_put_u32(skb, CRYPTECH_HSM_A_BOARD_ID_KIND, b->board_id_kind) ||
	    nla_put_u32(skb, CRYPTECH_HSM_A_KERNEL_USER, hsm_ksession_user(b)) ||
	    hsm_put_stats(skb, b)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int hsm_reply_board(struct genl_info *info, struct hsm_board *b, u8 cmd)
{
	struct sk_buff *msg;
	int err;

	msg = nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	err = hsm_fill_board(msg, b, info->snd_portid, info->snd_seq, 0, cmd);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

/**
 * hsm_nl_attach() - CRYPTECH_HSM_CMD_ATTACH: attach the board on a tty
 * @skb:	the request
 * @info:	its attributes; CRYPTECH_HSM_A_TTY_PATH is required
 *
 * Return: 0 after replying with the board's attributes, or a negative
 * errno (-EPERM without CAP_SYS_ADMIN) with an extended-ACK message naming
 * the cause.
 */
static int hsm_nl_attach(struct sk_buff *skb, struct genl_info *info)
{
	struct hsm_board *b;
	int err;

	if (!capable(CAP_SYS_ADMIN)) {
		NL_SET_ERR_MSG(info->extack, "attaching a board needs CAP_SYS_ADMIN");
		return -EPERM;
	}
	if (GENL_REQ_ATTR_CHECK(info, CRYPTECH_HSM_A_TTY_PATH))
		return -EINVAL;
	b = hsm_attach_tty(nla_data(info->attrs[CRYPTECH_HSM_A_TTY_PATH]),
			   info->extack);
	if (IS_ERR(b))
		return PTR_ERR(b);
	err = hsm_reply_board(info, b, CRYPTECH_HSM_CMD_ATTACH);
	hsm_board_put(b);
	return err;
}

static struct hsm_board *hsm_nl_board(struct genl_info *info)
{
	struct hsm_board *b;

	if (GENL_REQ_ATTR_CHECK(info, CRYPTECH_HSM_A_INDEX))
		return ERR_PTR(-EINVAL);
	b = hsm_board_get_by_index(nla_get_u32(info->attrs[CRYPTECH_HSM_A_INDEX]));
	if (!b) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[CRYPTECH_HSM_A_INDEX],
				    "no such board");
		return ERR_PTR(-ENODEV);
	}
	return b;
}

/**
 * hsm_nl_detach() - CRYPTECH_HSM_CMD_DETACH: detach a board by index
 * @skb:	the request
 * @info:	its attributes; CRYPTECH_HSM_A_INDEX is required
 *
 * Closes what open sessions hold on the board first (see hsm_detach()).
 *
 * Return: 0, -EPERM without CAP_SYS_ADMIN, -ENODEV for no such board,
 * -EOPNOTSUPP for a board whose tty a process attached with TIOCSETD.
 */
static int hsm_nl_detach(struct sk_buff *skb, struct genl_info *info)
{
	struct hsm_board *b;
	int err;

	if (!capable(CAP_SYS_ADMIN)) {
		NL_SET_ERR_MSG(info->extack, "detaching a board needs CAP_SYS_ADMIN");
		return -EPERM;
	}
	b = hsm_nl_board(info);
	if (IS_ERR(b))
		return PTR_ERR(b);
	err = hsm_detach(b);
	if (err == -EOPNOTSUPP)
		NL_SET_ERR_MSG(info->extack,
			       "attached by TIOCSETD: its owner must set another line discipline");
	hsm_board_put(b);
	return err;
}

/**
 * hsm_nl_get_board() - CRYPTECH_HSM_CMD_GET_BOARD for one board
 * @skb:	the request
 * @info:	its attributes; CRYPTECH_HSM_A_INDEX is required
 *
 * Return: 0 after replying, -ENODEV for no such board.
 */
static int hsm_nl_get_board(struct sk_buff *skb, struct genl_info *info)
{
	struct hsm_board *b = hsm_nl_board(info);
	int err;

	if (IS_ERR(b))
		return PTR_ERR(b);
	err = hsm_reply_board(info, b, CRYPTECH_HSM_CMD_GET_BOARD);
	hsm_board_put(b);
	return err;
}

/**
 * hsm_nl_dump_boards() - CRYPTECH_HSM_CMD_GET_BOARD as a dump
 * @skb:	the message being filled
 * @cb:	dump state; args[0] is the next board index
 *
 * Return: the message length; 0 when no board is left.
 */
static int hsm_nl_dump_boards(struct sk_buff *skb, struct netlink_callback *cb)
{
	unsigned long index = cb->args[0];
	struct hsm_board *b;
	int err;

	while ((b = hsm_board_get_next(&index))) {
		hsm_test_delay(HSM_DELAY_NL_DUMP);
		err = hsm_fill_board(skb, b, NETLINK_CB(cb->skb).portid,
				     cb->nlh->nlmsg_seq, NLM_F_MULTI,
				     CRYPTECH_HSM_CMD_GET_BOARD);
		hsm_board_put(b);
		if (err)
			break;
		index++;
	}
	cb->args[0] = index;
	return skb->len;
}

static const struct genl_small_ops hsm_genl_ops[] = {
	{
		.cmd	= CRYPTECH_HSM_CMD_ATTACH,
		.doit	= hsm_nl_attach,
	},
	{
		.cmd	= CRYPTECH_HSM_CMD_DETACH,
		.doit	= hsm_nl_detach,
	},
	{
		.cmd	= CRYPTECH_HSM_CMD_GET_BOARD,
		.doit	= hsm_nl_get_board,
		.dumpit	= hsm_nl_dump_boards,
	},
};

static struct genl_family hsm_genl_family __ro_after_init = {
	.name		= CRYPTECH_HSM_GENL_NAME,
	.version	= CRYPTECH_HSM_GENL_VERSION,
	.maxattr	= CRYPTECH_HSM_A_MAX,
	.policy		= hsm_genl_policy,
	.netnsok	= false,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.small_ops	= hsm_genl_ops,
	.n_small_ops	= ARRAY_SIZE(hsm_genl_ops),
	.mcgrps		= hsm_genl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(hsm_genl_mcgrps),
};

/**
 * hsm_netlink_event() - multicast a board event
 * @b:		board
 * @event:	what happened
 *
 * Process context only. Lost events (no memory, no listener) are not errors.
 * PROTO_ERROR events are rate-limited per board (a noisy line produces
 * thousands); the proto_errors counter still counts every one.
 */
void hsm_netlink_event(struct hsm_board *b, enum cryptech_hsm_event event)
{
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&hsm_genl_family, &init_net, HSM_GENL_MCGRP_EVENTS))
		return;
	if (event == CRYPTECH_HSM_EVENT_PROTO_ERROR &&
	    !__ratelimit(&b->proto_event_rs))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &hsm_genl_family, 0, CRYPTECH_HSM_CMD_EVENT);
	if (!hdr ||
	    nla_put_u32(msg, CRYPTECH_HSM_A_EVENT, event) ||
	    nla_put_u32(msg, CRYPTECH_HSM_A_INDEX, b->index) ||
	    nla_put_string(msg, CRYPTECH_HSM_A_DEV_NAME, dev_name(&b->dev)) ||
	    nla_put_string(msg, CRYPTECH_HSM_A_TTY_NAME, b->tty_name) ||
	    nla_put_string(msg, CRYPTECH_HSM_A_BOARD_ID, b->board_id) ||
	    (event == CRYPTECH_HSM_EVENT_KERNEL_SESSION &&
	     nla_put_u32(msg, CRYPTECH_HSM_A_KERNEL_USER,
			 hsm_ksession_user(b)))) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&hsm_genl_family, msg, 0, HSM_GENL_MCGRP_EVENTS,
			  GFP_KERNEL);
}

int hsm_netlink_init(void)
{
	return genl_register_family(&hsm_genl_family);
}

void hsm_netlink_exit(void)
{
	genl_unregister_family(&hsm_genl_family);
}
