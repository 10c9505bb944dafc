// SPDX-License-Identifier: GPL-2.0
/*
 * Sessions: an open file of /dev/hsmN is one board client handle with its
 * own login state. The driver writes the handle into every request itself
 * (§2.8 item 1); userspace never chooses it.
 *
 * Locking: session->lock serialises the session's requests, so a handle
 * never has two requests outstanding; it is a mutex held across the wait
 * for the board, and nothing else waits on it.
 */
#include <linux/slab.h>

#include "hsm.h"
#include "xdr.h"

/* GET_RANDOM may answer CSPRNG_BROKEN on all-zero output (§5.3): retry. */
#define HSM_RANDOM_TRIES	3

struct hsm_session *hsm_session_open(struct hsm_board *b)
{
	struct hsm_session *s;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return NULL;
	get_device(&b->dev);
	s->board = b;
	s->client = hsm_board_alloc_client(b);
	mutex_init(&s->lock);
	atomic_inc(&b->stats.sessions);
	return s;
}

/*
 * The board keeps login state per client handle; drop it when the session
 * ends (§2.8 item 8). Not killable: this also runs when a killed process's
 * files are closed, and it is bounded by the operation timeout.
 */
static void hsm_session_logout(struct hsm_session *s)
{
	struct hsm_reply r;
	u8 req[8];
	struct xdr_writer w;

	xdr_writer_init(&w, req, sizeof(req));
	xdr_put_u32(&w, RPC_FUNC_LOGOUT);
	xdr_put_u32(&w, s->client);
	if (!hsm_rpc(s->board, req, w.len, hsm_op_timeout_ms,
		     HSM_WAIT_UNKILLABLE, &r))
		hsm_reply_free(&r);
}

void hsm_session_close(struct hsm_session *s)
{
	struct hsm_board *b = s->board;

	if (s->used)
		hsm_session_logout(s);
	atomic_dec(&b->stats.sessions);
	mutex_destroy(&s->lock);
	kfree(s);
	hsm_board_put(b);
}

/**
 * hsm_session_random() - GET_RANDOM for this session
 * @s:			session
 * @buf:		kernel buffer of @len bytes
 * @len:		1..CRYPTECH_HSM_RANDOM_MAX
 * @board_status:	out: the board's status word
 *
 * Return: 0, or a negative errno (board errors mapped).
 */
int hsm_session_random(struct hsm_session *s, u8 *buf, u32 len,
		       u32 *board_status)
{
	struct xdr_reader rd;
	struct xdr_writer w;
	struct hsm_reply r;
	const u8 *data;
	u32 got;
	u8 req[12];
	int err, tries;

	*board_status = HAL_OK;
	if (len == 0 || len > CRYPTECH_HSM_RANDOM_MAX)
		return -EINVAL;

	xdr_writer_init(&w, req, sizeof(req));
	xdr_put_u32(&w, RPC_FUNC_GET_RANDOM);
	xdr_put_u32(&w, s->client);
	xdr_put_u32(&w, len);

	if (mutex_lock_killable(&s->lock))
		return -EINTR;
	s->used = true;
	for (tries = 0; tries < HSM_RANDOM_TRIES; tries++) {
		err = hsm_rpc(s->board, req, w.len, hsm_op_timeout_ms,
			      HSM_WAIT_KILLABLE, &r);
		if (err)
			break;
		*board_status = r.status;
		if (r.status == HAL_ERROR_CSPRNG_BROKEN) {
			hsm_reply_free(&r);
			continue;
		}
		err = hsm_status_to_errno(r.status);
		if (!err) {
			/* The board must return exactly what was asked. */
			xdr_reader_init(&rd, r.data, r.len);
			if (!xdr_get_opaque(&rd, &data, &got, len) || got != len)
				err = -EPROTO;
			else
				memcpy(buf, data, len);
		}
		hsm_reply_free(&r);
		break;
	}
	if (tries == HSM_RANDOM_TRIES)
		err = hsm_status_to_errno(*board_status);
	mutex_unlock(&s->lock);
	if (err == -EPROTO && *board_status == HAL_OK)
		atomic64_inc(&s->board->stats.proto_errors);
	return err;
}
