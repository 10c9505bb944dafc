// SPDX-License-Identifier: GPL-2.0
/*
 * Sessions: an open file of /dev/hsmN is one board client handle with its
 * own login state and its own table of key handles. The driver writes the
 * client handle into every request itself (§2.8 item 1), and userspace only
 * ever sees per-file virtual key handles: the board checks neither login nor
 * ownership when a pkey handle is used, so this table is what keeps one
 * session away from another's keys.
 *
 * Locking: session->lock (a mutex, held across the wait for the board)
 * serialises the session's requests, so its client handle never has two
 * requests outstanding, and protects the key table and the request buffer.
 * Nothing but the session's own ioctls waits on it.
 *
 * Clean-up at close runs from a work item: it first waits for a request the
 * session abandoned (so a LOGOUT never races, e.g., a key generation), then
 * closes every key handle the session holds and logs the client handle out.
 * It runs exactly once, whether the file was closed or its process died, or
 * earlier, for every open session, when a netlink DETACH begins
 * (hsm_board_close_sessions()).
 *
 * Lock order: board->sessions_mutex, then session->lock, then board->lock.
 */
#include <linux/slab.h>

#include "hsm.h"
#include "xdr.h"

/* GET_RANDOM may answer CSPRNG_BROKEN on all-zero output (§5.3): retry. */
#define HSM_RANDOM_TRIES	3

static void hsm_session_settle_work(struct work_struct *work);

/**
 * hsm_session_open() - start a session on a board, with a fresh client handle
 * @b: board; the session takes a reference
 *
 * For an open file of /dev/hsmN or for the driver's own use (ksession.c). Nothing
 * is sent to the board until the first request. End it with
 * hsm_session_close().
 *
 * Return: the session, or NULL when out of memory.
 */
struct hsm_session *hsm_session_open(struct hsm_board *b)
{
	struct hsm_session *s;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return NULL;
	s->req = kmalloc(HAL_RPC_MAX_PKT_SIZE, GFP_KERNEL);
	if (!s->req) {
		kfree(s);
		return NULL;
	}
	get_device(&b->dev);
	s->board = b;
	s->client = hsm_board_alloc_client(b);
	mutex_init(&s->lock);
	xa_init_flags(&s->keys, XA_FLAGS_ALLOC1);
	INIT_DELAYED_WORK(&s->settle_work, hsm_session_settle_work);
	s->abandoned.notify = &s->settle_work;
	mutex_lock(&b->sessions_mutex);
	list_add_tail(&s->node, &b->sessions);
	mutex_unlock(&b->sessions_mutex);
	return s;
}

/* Take a session off its board's list, before it is freed. */
static void hsm_session_unlist(struct hsm_session *s)
{
	struct hsm_board *b = s->board;

	mutex_lock(&b->sessions_mutex);
	list_del(&s->node);
	mutex_unlock(&b->sessions_mutex);
}

/**
 * hsm_req_begin() - start a request of this session in its buffer
 * @s:		session, locked
 * @w:		writer to initialise
 * @opcode:	RPC function
 */
void hsm_req_begin(struct hsm_session *s, struct xdr_writer *w, u32 opcode)
{
	xdr_writer_init(w, s->req, HAL_RPC_MAX_PKT_SIZE);
	xdr_put_u32(w, opcode);
	xdr_put_u32(w, s->client);
}

/*
 * Send the request in @w on the session's client handle. A request given
 * up on is kept in s->abandoned until settled (below). Caller holds s->lock.
 */
static int hsm_session_send(struct hsm_session *s, struct xdr_writer *w,
			    unsigned int timeout_ms, enum hsm_wait wait,
			    struct hsm_reply *r, u32 *board_status)
{
	int err;

	*board_status = HAL_OK;
	if (w->err)
		return -EMSGSIZE;
	/* After a DETACH closed the session on the board: nothing more. */
	if (s->board_done && wait == HSM_WAIT_KILLABLE)
		return -ENODEV;
	if (s->abandoned.call)
		return -EBUSY;
	s->used = true;
	err = hsm_rpc(s->board, w->buf, w->len, timeout_ms, wait, r,
		      &s->abandoned);
	if (err)
		return err;
	*board_status = r->status;
	err = hsm_status_to_errno(r->status);
	if (err)
		hsm_reply_free(r);
	return err;
}

/* A request with one u32 argument whose reply carries no results. */
static int hsm_session_simple(struct hsm_session *s, u32 opcode, u32 arg,
			      bool has_arg, unsigned int timeout_ms,
			      enum hsm_wait wait, u32 *board_status)
{
	struct xdr_writer w;
	struct hsm_reply r;
	int err;

	hsm_req_begin(s, &w, opcode);
	if (has_arg)
		xdr_put_u32(&w, arg);
	err = hsm_session_send(s, &w, timeout_ms, wait, &r, board_status);
	if (!err)
		hsm_reply_free(&r);
	return err;
}

/*
 * Deal with the request this session abandoned, once the board answered
 * it. If it created a key, nobody ever learnt the key's handle or name: the
 * key is deleted, so an interrupted GENERATE leaves nothing behind (an
 * interrupted OPEN's handle is just closed). Until the answer comes the
 * client handle stays quarantined. Caller holds s->lock.
 *
 * Return: 0, or -EBUSY while the board has not answered yet.
 */
static int hsm_session_settle(struct hsm_session *s, unsigned int wait_ms)
{
	struct hsm_call *c = s->abandoned.call;
	u32 created, opcode, st;

	if (!c)
		return 0;
	if (!hsm_call_settled(s->board, c, wait_ms, &created))
		return -EBUSY;
	opcode = hsm_call_opcode(c);
	s->abandoned.call = NULL;
	hsm_call_release(c);
	if (!created)
		return 0;
	if (opcode != RPC_FUNC_PKEY_OPEN &&
	    !hsm_session_simple(s, RPC_FUNC_PKEY_DELETE, created, true,
				hsm_op_timeout_ms, HSM_WAIT_UNKILLABLE, &st))
		return 0;
	/* DELETE refused (or an OPEN): at least free the board's slot. */
	hsm_session_simple(s, RPC_FUNC_PKEY_CLOSE, created, true,
			   hsm_op_timeout_ms, HSM_WAIT_UNKILLABLE, &st);
	return 0;
}

/*
 * The late reply of an abandoned request landed: act on it now. Whoever
 * holds the session's lock settles before sending anything, but may hold
 * the lock for minutes (an RSA generation): never block on it here, look
 * again shortly.
 */
static void hsm_session_settle_work(struct work_struct *work)
{
	struct hsm_session *s = container_of(to_delayed_work(work),
					     struct hsm_session, settle_work);

	if (!mutex_trylock(&s->lock)) {
		mod_delayed_work(hsm_wq, &s->settle_work, HZ / 10);
		return;
	}
	hsm_session_settle(s, 0);
	mutex_unlock(&s->lock);
}

/**
 * hsm_session_call() - send the request in @w and wait for the reply
 * @s:			session, locked
 * @w:			the request; -EMSGSIZE if it overflowed the packet
 * @timeout_ms:		operation class timeout
 * @r:			out: the reply, on success; free with hsm_reply_free()
 * @board_status:	out: the board's status word, 0 if no reply came
 *
 * Fails with -EBUSY while an earlier request of the session that timed out
 * or was interrupted has not been answered by the board.
 *
 * Return: 0 if the board answered HAL_OK; otherwise a negative errno (the
 * board's status mapped, or a transport error) and no reply to free.
 */
int hsm_session_call(struct hsm_session *s, struct xdr_writer *w,
		     unsigned int timeout_ms, struct hsm_reply *r,
		     u32 *board_status)
{
	int err;

	*board_status = HAL_OK;
	err = hsm_session_settle(s, 0);
	if (err)
		return err;
	return hsm_session_send(s, w, timeout_ms, HSM_WAIT_KILLABLE, r,
				board_status);
}

/**
 * hsm_reply_malformed() - the board's results do not parse
 * @b: board
 *
 * Return: -EPROTO, after counting the event.
 */
int hsm_reply_malformed(struct hsm_board *b)
{
	atomic64_inc(&b->stats.proto_errors);
	atomic64_inc(&b->stats.errors);
	hsm_netlink_event(b, CRYPTECH_HSM_EVENT_PROTO_ERROR);
	return -EPROTO;
}

/*
 * Stop the late reply of an abandoned request from queueing settle_work,
 * and wait for an instance already queued. settle_work takes s->lock, so
 * the lock is dropped around the cancel.
 */
static void hsm_session_quiesce(struct hsm_session *s)
{
	if (s->abandoned.call)
		hsm_call_disarm(s->board, s->abandoned.call);
	mutex_unlock(&s->lock);
	cancel_delayed_work_sync(&s->settle_work);
	mutex_lock(&s->lock);
}

/*
 * One clean-up request. If the board does not answer it in time, it is
 * forgotten at once (its late reply, if any, is dropped as it names another
 * opcode than the next request's, §2.8 item 12) so the client handle stays
 * usable and the clean-up still ends with its LOGOUT. A request that a slow
 * line had not carried yet still goes out (hsm_rpc()). Caller holds
 * s->lock. Returns false if the board may still hold what the request was
 * to free.
 */
static bool hsm_session_cleanup_call(struct hsm_session *s, u32 opcode,
				     u32 arg, bool has_arg)
{
	u32 st;
	int err;

	err = hsm_session_simple(s, opcode, arg, has_arg, hsm_op_timeout_ms,
				 HSM_WAIT_UNKILLABLE, &st);
	/*
	 * No answer in time: the request was sent and is abandoned, or is
	 * still queued for a slow line, or never got a slot under
	 * max_in_flight; or there was no memory, here or on the board.
	 */
	if (s->abandoned.call || err == -ETIMEDOUT || err == -ENOMEM) {
		dev_warn(&s->board->dev,
			 "session 0x%08x: no answer to clean-up request %u (%d)\n",
			 s->client, opcode, err);
		if (s->abandoned.call) {
			hsm_call_forget(s->board, s->abandoned.call);
			hsm_session_settle(s, 0);
		}
		return false;
	}
	/* Not sent: the line is gone or a DETACH's deadline passed. */
	return err != -ENODEV;
}

/*
 * Give back everything the session holds on the board: first the request
 * it abandoned (so LOGOUT never races it, §2.8 item 8; waited for once more
 * as long as its own timeout, then forgotten), then every key handle, then
 * the login, always ending with LOGOUT. Runs once, from the clean-up work
 * after the last close or from a DETACH, whichever comes first. Caller holds
 * s->lock; it is dropped and retaken to quiesce settle_work. Returns false
 * if a clean-up request went unanswered or unsent (the board may keep a key
 * handle or the login).
 */
static bool hsm_session_release_board(struct hsm_session *s)
{
	struct hsm_board *b = s->board;
	struct hsm_key *k;
	unsigned long id;
	bool done = true;

	if (s->board_done)
		return true;
	s->board_done = true;
	WRITE_ONCE(s->user, HAL_USER_NONE);
	hsm_session_quiesce(s);
	if (!s->used)
		return true;
	hsm_test_delay(HSM_DELAY_SESSION_CLEANUP);
	if (s->abandoned.call &&
	    hsm_session_settle(s, hsm_call_timeout(s->abandoned.call))) {
		dev_warn(&b->dev,
			 "session 0x%08x: the board never answered its last request\n",
			 s->client);
		hsm_call_forget(b, s->abandoned.call);
		hsm_session_settle(s, 0);
	}

	xa_for_each(&s->keys, id, k) {
		done &= hsm_session_cleanup_call(s, RPC_FUNC_PKEY_CLOSE,
						 k->board_handle, true);
		xa_erase(&s->keys, id);
		kfree(k);
	}
	done &= hsm_session_cleanup_call(s, RPC_FUNC_LOGOUT, 0, false);
	return done;
}

static void hsm_session_cleanup(struct work_struct *work)
{
	struct hsm_session *s = container_of(work, struct hsm_session,
					     cleanup_work);
	struct hsm_board *b = s->board;

	mutex_lock(&s->lock);
	hsm_session_release_board(s);
	/* A late reply may have queued settle_work again. */
	hsm_session_quiesce(s);
	if (s->abandoned.call) {
		hsm_call_release(s->abandoned.call);
		s->abandoned.call = NULL;
	}
	mutex_unlock(&s->lock);
	/* A DETACH still working on this session holds the list: wait. */
	hsm_session_unlist(s);

	xa_destroy(&s->keys);
	mutex_destroy(&s->lock);
	kfree_sensitive(s->req);
	kfree(s);
	hsm_board_put(b);
}

/**
 * hsm_board_close_sessions() - close what open sessions hold on the board
 * @b: board, referenced; the caller holds hsm_attach_mutex
 *
 * For a netlink DETACH, before the line is released. From now on requests
 * of open files are refused (-ENODEV); requests in flight may finish until
 * the deadline of detach_timeout_ms. If they do, every session's key
 * handles are closed and its login ended on the board, each request bounded
 * by the same deadline (hsm_rpc() caps it). If they do not, nothing is sent:
 * teardown fails them with -ENODEV, and the board's state stays until its
 * next attach (whose LOGOUT_ALL ends the logins). Either way a warning says
 * when something may have stayed on the board.
 *
 * Lock order: board->sessions_mutex, then session->lock.
 */
void hsm_board_close_sessions(struct hsm_board *b)
{
	struct hsm_session *s;
	unsigned long flags;
	unsigned int left = 0;
	long wait_left;

	spin_lock_irqsave(&b->lock, flags);
	b->close_deadline = jiffies + msecs_to_jiffies(hsm_detach_timeout_ms);
	b->closing = true;
	spin_unlock_irqrestore(&b->lock, flags);

	wait_left = wait_event_idle_timeout(b->wq,
					    !atomic_read(&b->stats.in_flight) ||
					    READ_ONCE(b->state) == HSM_BOARD_GONE,
					    msecs_to_jiffies(hsm_detach_timeout_ms));
	if (!wait_left || READ_ONCE(b->state) == HSM_BOARD_GONE) {
		dev_warn(&b->dev,
			 "detach: requests still in flight; open sessions are not closed on the board\n");
		return;
	}

	mutex_lock(&b->sessions_mutex);
	list_for_each_entry(s, &b->sessions, node) {
		mutex_lock(&s->lock);
		left += !hsm_session_release_board(s);
		mutex_unlock(&s->lock);
	}
	mutex_unlock(&b->sessions_mutex);
	/* A clean-up request unanswered in op_timeout_ms counts here too. */
	if (left)
		dev_warn(&b->dev,
			 "detach: detach_timeout_ms ran out while closing the sessions, or the board left a clean-up request unanswered; %u may have left keys or a login on the board\n",
			 left);
}

/**
 * hsm_session_close() - end a session (the file's release)
 * @s: session; no ioctl of it can be running
 *
 * Never blocks: a dying process must not wait for the board.
 */
void hsm_session_close(struct hsm_session *s)
{
	/*
	 * Always from the work, also with nothing to clean up on the board:
	 * taking the session off the board's list may wait for a DETACH.
	 */
	INIT_WORK(&s->cleanup_work, hsm_session_cleanup);
	queue_work(hsm_wq, &s->cleanup_work);
}

static bool hsm_user_valid(u32 user)
{
	return user == HAL_USER_NORMAL || user == HAL_USER_SO ||
	       user == HAL_USER_WHEEL;
}

/* LOGIN and SET_PIN share their arguments: user, PIN. */
static int hsm_session_pin(struct hsm_session *s, u32 opcode, u32 user,
			   const u8 *pin, u32 pin_len, u32 *board_status)
{
	struct xdr_writer w;
	struct hsm_reply r;
	int err;

	*board_status = HAL_OK;
	if (!hsm_session_pin_valid(user, pin_len))
		return -EINVAL;
	if (mutex_lock_killable(&s->lock))
		return -EINTR;
	hsm_req_begin(s, &w, opcode);
	xdr_put_u32(&w, user);
	xdr_put_opaque(&w, pin, pin_len);
	err = hsm_session_call(s, &w, hsm_op_timeout_ms, &r, board_status);
	/* The PIN was in the request buffer: wipe it. */
	memzero_explicit(s->req, w.len);
	/* A wrong PIN leaves the board's login as it was. */
	if (!err && opcode == RPC_FUNC_LOGIN)
		WRITE_ONCE(s->user, user);
	mutex_unlock(&s->lock);
	if (!err)
		hsm_reply_free(&r);
	return err;
}

/**
 * hsm_session_pin_valid() - whether a user and a PIN length are valid
 * @user:	HAL_USER_NORMAL, _SO or _WHEEL
 * @pin_len:	CRYPTECH_HSM_PIN_MIN..CRYPTECH_HSM_PIN_MAX
 *
 * Return: true if they are.
 */
bool hsm_session_pin_valid(u32 user, u32 pin_len)
{
	return hsm_user_valid(user) && pin_len >= CRYPTECH_HSM_PIN_MIN &&
	       pin_len <= CRYPTECH_HSM_PIN_MAX;
}

/**
 * hsm_session_login() - log the session in as @user
 * @s:			session
 * @user:		HAL_USER_*
 * @pin:		the PIN; the caller wipes its copy
 * @pin_len:		CRYPTECH_HSM_PIN_MIN..CRYPTECH_HSM_PIN_MAX
 * @board_status:	out: the board's status word
 *
 * Return: 0; -EINVAL; or a request error (a wrong PIN is -EACCES).
 */
int hsm_session_login(struct hsm_session *s, u32 user, const u8 *pin,
		      u32 pin_len, u32 *board_status)
{
	return hsm_session_pin(s, RPC_FUNC_LOGIN, user, pin, pin_len,
			       board_status);
}

/**
 * hsm_session_set_pin() - set @user's PIN (the session must be allowed to)
 * @s:			session
 * @user:		HAL_USER_*
 * @pin:		the new PIN; the caller wipes its copy
 * @pin_len:		CRYPTECH_HSM_PIN_MIN..CRYPTECH_HSM_PIN_MAX
 * @board_status:	out: the board's status word
 *
 * Return: 0; -EINVAL; or a request error.
 */
int hsm_session_set_pin(struct hsm_session *s, u32 user, const u8 *pin,
			u32 pin_len, u32 *board_status)
{
	return hsm_session_pin(s, RPC_FUNC_SET_PIN, user, pin, pin_len,
			       board_status);
}

/**
 * hsm_session_logout() - end the session's login
 * @s:			session
 * @board_status:	out: the board's status word
 *
 * Return: 0 or a request error.
 */
int hsm_session_logout(struct hsm_session *s, u32 *board_status)
{
	int err;

	*board_status = HAL_OK;
	if (mutex_lock_killable(&s->lock))
		return -EINTR;
	err = hsm_session_settle(s, 0);
	if (!err)
		err = hsm_session_simple(s, RPC_FUNC_LOGOUT, 0, false,
					 hsm_op_timeout_ms, HSM_WAIT_KILLABLE,
					 board_status);
	if (!err)
		WRITE_ONCE(s->user, HAL_USER_NONE);
	mutex_unlock(&s->lock);
	return err;
}

/**
 * hsm_session_login_status() - which user the session is logged in as
 * @s:			session
 * @user:		out: HAL_USER_NONE, _NORMAL, _SO or _WHEEL
 * @board_status:	out: the board's status word
 *
 * The board only answers "is this session logged in as exactly USER"
 * (§5.3), so this asks for each user in turn.
 *
 * Return: 0 or a request error.
 */
int hsm_session_login_status(struct hsm_session *s, u32 *user,
			     u32 *board_status)
{
	static const u32 users[] = {
		HAL_USER_NORMAL, HAL_USER_SO, HAL_USER_WHEEL,
	};
	unsigned int i;
	u32 st;
	int err = 0;

	*board_status = HAL_OK;
	if (mutex_lock_killable(&s->lock))
		return -EINTR;
	*user = HAL_USER_NONE;
	err = hsm_session_settle(s, 0);
	for (i = 0; !err && i < ARRAY_SIZE(users); i++) {
		err = hsm_session_simple(s, RPC_FUNC_IS_LOGGED_IN, users[i],
					 true, hsm_op_timeout_ms,
					 HSM_WAIT_KILLABLE, &st);
		if (!err) {
			*user = users[i];
			break;
		}
		if (st != HAL_ERROR_FORBIDDEN) {
			*board_status = st;
			break;
		}
		err = 0;
	}
	mutex_unlock(&s->lock);
	return err;
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
	int err = 0, tries;

	*board_status = HAL_OK;
	if (len == 0 || len > CRYPTECH_HSM_RANDOM_MAX)
		return -EINVAL;

	if (mutex_lock_killable(&s->lock))
		return -EINTR;
	for (tries = 0; tries < HSM_RANDOM_TRIES; tries++) {
		hsm_req_begin(s, &w, RPC_FUNC_GET_RANDOM);
		xdr_put_u32(&w, len);
		err = hsm_session_call(s, &w, hsm_op_timeout_ms, &r, board_status);
		if (err && *board_status == HAL_ERROR_CSPRNG_BROKEN)
			continue;
		if (err)
			break;
		/* The board must return exactly what was asked. */
		xdr_reader_init(&rd, r.data, r.len);
		if (!xdr_get_opaque(&rd, &data, &got, len) || got != len)
			err = hsm_reply_malformed(s->board);
		else
			memcpy(buf, data, len);
		hsm_reply_free(&r);
		break;
	}
	mutex_unlock(&s->lock);
	return err;
}
