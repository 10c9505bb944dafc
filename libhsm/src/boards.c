// SPDX-License-Identifier: LGPL-2.1-or-later
/* Board management over the "cryptech_hsm" generic netlink family. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/cryptech_hsm.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "internal.h"

/* Collects the board messages of a reply. */
struct board_list {
	struct hsm_board_desc *v;
	size_t n, cap;
};

static int collect_board(struct nlmsghdr *nlh, void *arg)
{
	struct board_list *l = arg;
	struct hsm_board_desc d;
	int ret = hsm_board_parse(nlh, &d);

	if (ret)
		return ret;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		struct hsm_board_desc *v = reallocarray(l->v, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = d;
	return 0;
}

static int put_tty(struct nl_msg *msg, const void *arg)
{
	return nla_put_string(msg, CRYPTECH_HSM_A_TTY_PATH, arg) ? -EMSGSIZE : 0;
}

static int put_index(struct nl_msg *msg, const void *arg)
{
	return nla_put_u32(msg, CRYPTECH_HSM_A_INDEX,
			   *(const uint32_t *)arg) ? -EMSGSIZE : 0;
}

static void init_req(struct hsm_nl_request *req, uint8_t cmd,
		     struct board_list *l)
{
	memset(req, 0, sizeof(*req));
	req->family = CRYPTECH_HSM_GENL_NAME;
	req->version = CRYPTECH_HSM_GENL_VERSION;
	req->cmd = cmd;
	req->parse = collect_board;
	req->parse_arg = l;
}

/* A doit that must answer with exactly one board. */
static int single_board(struct board_list *l, struct hsm_board_desc *out,
			char *errmsg, size_t errmsg_len)
{
	if (l->n != 1) {
		hsm_errmsg_set(errmsg, errmsg_len,
			       "the kernel sent %zu board descriptions instead of one",
			       l->n);
		return -EPROTO;
	}
	if (out)
		*out = l->v[0];
	return 0;
}

int hsm_attach(const char *tty_path, struct hsm_board_desc *out,
	       char *errmsg, size_t errmsg_len)
{
	struct hsm_nl_request req;
	struct board_list l = { 0 };
	char path[4096];
	int ret, n;

	hsm_errmsg_set(errmsg, errmsg_len, "%s", "");
	if (!tty_path || !*tty_path) {
		hsm_errmsg_set(errmsg, errmsg_len, "no tty given");
		return -EINVAL;
	}
	/* "ttyUSB0" means /dev/ttyUSB0; the kernel wants a path. */
	n = snprintf(path, sizeof(path), "%s%s",
		     strchr(tty_path, '/') ? "" : "/dev/", tty_path);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		hsm_errmsg_set(errmsg, errmsg_len, "tty path too long");
		return -ENAMETOOLONG;
	}
	init_req(&req, CRYPTECH_HSM_CMD_ATTACH, &l);
	req.put = put_tty;
	req.put_arg = path;
	ret = hsm_nl_transact(&req, errmsg, errmsg_len);
	if (!ret)
		ret = single_board(&l, out, errmsg, errmsg_len);
	free(l.v);
	return ret;
}

int hsm_detach(uint32_t index, char *errmsg, size_t errmsg_len)
{
	struct hsm_nl_request req;
	struct board_list l = { 0 };
	int ret;

	init_req(&req, CRYPTECH_HSM_CMD_DETACH, &l);
	req.parse = NULL;	/* nothing to read but the ACK */
	req.put = put_index;
	req.put_arg = &index;
	ret = hsm_nl_transact(&req, errmsg, errmsg_len);
	free(l.v);
	return ret;
}

int hsm_get_board(uint32_t index, struct hsm_board_desc *out,
		  char *errmsg, size_t errmsg_len)
{
	struct hsm_nl_request req;
	struct board_list l = { 0 };
	int ret;

	if (!out)
		return -EINVAL;
	init_req(&req, CRYPTECH_HSM_CMD_GET_BOARD, &l);
	req.put = put_index;
	req.put_arg = &index;
	ret = hsm_nl_transact(&req, errmsg, errmsg_len);
	if (!ret)
		ret = single_board(&l, out, errmsg, errmsg_len);
	free(l.v);
	return ret;
}

static int by_index(const void *a, const void *b)
{
	const struct hsm_board_desc *x = a, *y = b;

	return (x->index > y->index) - (x->index < y->index);
}

int hsm_list_boards(struct hsm_board_desc **out, size_t *count,
		    char *errmsg, size_t errmsg_len)
{
	struct hsm_nl_request req;
	struct board_list l = { 0 };
	int ret;

	if (!out || !count)
		return -EINVAL;
	*out = NULL;
	*count = 0;
	init_req(&req, CRYPTECH_HSM_CMD_GET_BOARD, &l);
	req.dump = 1;
	ret = hsm_nl_transact(&req, errmsg, errmsg_len);
	if (ret) {
		free(l.v);
		return ret;
	}
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), by_index);
	*out = l.v;
	*count = l.n;
	return 0;
}

void hsm_free_boards(struct hsm_board_desc *boards)
{
	free(boards);
}
