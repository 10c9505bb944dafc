// SPDX-License-Identifier: GPL-2.0
/*
 * Request/reply pairing.
 *
 * The protocol has no sequence numbers: a reply is matched to its request by
 * the client handle alone (protocol §2.4), so each handle has at most one
 * request outstanding. A request whose caller gives up (timeout, signal)
 * stays on board->calls, abandoned, until its reply arrives or the board goes
 * away: its handle is quarantined so a late reply is never taken for a newer
 * request's.
 *
 * Locking: board->lock protects board->calls, board->tx_queue and the state
 * fields of every call (see struct hsm_call). A call's reference count has
 * one reference for the caller and one for each board list it is on.
 */
#include <linux/errno.h>
#include <linux/jiffies.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "hsm.h"

static void hsm_call_free(struct kref *ref)
{
	struct hsm_call *c = container_of(ref, struct hsm_call, ref);

	/* Requests carry PINs and key material, replies keys and random. */
	kfree_sensitive(c->reply);
	kfree_sensitive(c->frame);
	kfree(c);
}

static void hsm_call_put(struct hsm_call *c)
{
	kref_put(&c->ref, hsm_call_free);
}

static u32 hsm_get_be32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

static void hsm_put_be32(u8 *p, u32 v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* Finish a call that is on board->calls. Caller holds board->lock. */
static void hsm_call_finish_locked(struct hsm_board *b, struct hsm_call *c,
				   int result)
{
	list_del_init(&c->node);
	atomic_dec(&b->stats.in_flight);
	c->result = result;
	c->finished = true;
	if (c->late_work) {
		mod_delayed_work(hsm_wq, c->late_work, 0);
		c->late_work = NULL;
	}
	/* An abandoned call was counted when its caller gave up. */
	if (result && !c->abandoned)
		atomic64_inc(&b->stats.errors);
	complete_all(&c->done);
	hsm_call_put(c);	/* the list's reference */
	/* A slot and maybe a client handle became free. */
	wake_up_all(&b->wq);
}

/* Take a call off the transmit queue. Caller holds board->lock. */
static void hsm_call_unqueue_locked(struct hsm_call *c)
{
	if (!list_empty(&c->tx_node)) {
		list_del_init(&c->tx_node);
		hsm_call_put(c);
	}
}

static bool hsm_rpc_client_busy_locked(struct hsm_board *b, u32 client)
{
	struct hsm_call *c;

	list_for_each_entry(c, &b->calls, node) {
		if (c->client == client)
			return true;
	}
	return false;
}

/* The module parameter may be changed at any time; never below 1. */
static int hsm_rpc_in_flight_limit(void)
{
	return max_t(int, 1, min_t(unsigned int, READ_ONCE(hsm_max_in_flight),
				   INT_MAX));
}

static bool hsm_rpc_slot_free(struct hsm_board *b)
{
	return atomic_read(&b->stats.in_flight) < hsm_rpc_in_flight_limit() ||
	       READ_ONCE(b->state) == HSM_BOARD_GONE;
}

/*
 * Put a call on the board's lists, or say why not: -ENODEV (board gone, or
 * a DETACH closing the sessions refuses all but their clean-up),
 * -EBUSY (its client handle has a request outstanding or in quarantine),
 * -EAGAIN (at the bound on requests in flight). Caller holds board->lock.
 */
static int hsm_rpc_admit_locked(struct hsm_board *b, struct hsm_call *c,
				enum hsm_wait wait)
{
	/* Teardown began or the line is gone: nothing could ever answer. */
	if (b->state == HSM_BOARD_GONE || b->killed || !b->tty)
		return -ENODEV;
	/* A DETACH is closing the sessions: their clean-up only. */
	if (b->closing && (wait == HSM_WAIT_KILLABLE ||
			   time_after_eq(jiffies, b->close_deadline)))
		return -ENODEV;
	if (hsm_rpc_client_busy_locked(b, c->client))
		return -EBUSY;
	if (atomic_read(&b->stats.in_flight) >= hsm_rpc_in_flight_limit())
		return -EAGAIN;
	kref_get(&c->ref);
	list_add_tail(&c->node, &b->calls);
	kref_get(&c->ref);
	list_add_tail(&c->tx_node, &b->tx_queue);
	atomic_inc(&b->stats.in_flight);
	atomic64_inc(&b->stats.requests);
	/*
	 * Straight to the line: a trip through the workqueue costs latency.
	 * A test holding the transmit side sends everything through the work.
	 */
	if (hsm_test_delay_armed(HSM_DELAY_TX))
		queue_work(hsm_tx_wq, &b->tx_work);
	else
		hsm_line_tx_locked(b);
	return 0;
}

/*
 * Wait for a slot under the bound on requests in flight, until @deadline.
 * Return: > 0 when one may be free, 0 on timeout, < 0 on a fatal signal.
 */
static long hsm_rpc_wait_slot(struct hsm_board *b, unsigned long deadline,
			      enum hsm_wait wait)
{
	long left = (long)deadline - (long)jiffies;

	if (left <= 0)
		return hsm_rpc_slot_free(b);
	if (wait == HSM_WAIT_KILLABLE)
		return wait_event_killable_timeout(b->wq, hsm_rpc_slot_free(b),
						   left);
	return wait_event_idle_timeout(b->wq, hsm_rpc_slot_free(b), left);
}

/**
 * hsm_rpc() - send one request and wait for its reply
 * @b:		board
 * @req:	request payload: opcode, client handle, arguments
 * @req_len:	payload length, 8..HAL_RPC_MAX_PKT_SIZE
 * @timeout_ms:	how long the board has to answer
 * @wait:	whether a fatal signal ends the wait
 * @reply:	out: the reply, on success; release with hsm_reply_free()
 * @abandoned:	may be NULL; on timeout or fatal signal, receives a
 *		reference to the abandoned request, whose late reply will land
 *		in it, and ->notify is queued when it does
 *
 * On timeout or a fatal signal the request is abandoned and its client
 * handle stays quarantined until the late reply. A caller that passes
 * @abandoned learns what the late reply did (see hsm_call_settled()).
 * Clean-up on close must use HSM_WAIT_UNKILLABLE: a dying process has a
 * fatal signal pending.
 *
 * The timeout covers the wait for a slot under the bound on requests in
 * flight (module parameter max_in_flight) and the wait for the reply.
 *
 * Return: 0 when a well-formed reply arrived (its board status may still be
 * an error); -ENODEV if the board is or goes away; -EBUSY if the client
 * handle already has a request outstanding; -ETIMEDOUT; -EINTR; -ENOMEM;
 * -EINVAL for a malformed request.
 */
int hsm_rpc(struct hsm_board *b, const u8 *req, size_t req_len,
	    unsigned int timeout_ms, enum hsm_wait wait, struct hsm_reply *reply,
	    struct hsm_abandoned *abandoned)
{
	unsigned long flags, deadline;
	struct hsm_call *c;
	long left;
	int err;

	if (req_len < HAL_RPC_REQ_HDR_SIZE || req_len > HAL_RPC_MAX_PKT_SIZE)
		return -EINVAL;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->frame = kmalloc(SLIP_ENCODED_MAX(req_len), GFP_KERNEL);
	if (!c->frame) {
		kfree(c);
		return -ENOMEM;
	}
	kref_init(&c->ref);
	INIT_LIST_HEAD(&c->node);
	INIT_LIST_HEAD(&c->tx_node);
	init_completion(&c->done);
	c->opcode = hsm_get_be32(req);
	c->client = hsm_get_be32(req + 4);
	c->timeout_ms = timeout_ms;
	c->frame_len = slip_encode(c->frame, SLIP_ENCODED_MAX(req_len),
				   req, req_len);

	deadline = jiffies + msecs_to_jiffies(timeout_ms);
	/* While a DETACH closes the sessions, nothing waits past its end. */
	spin_lock_irqsave(&b->lock, flags);
	if (b->closing && time_before(b->close_deadline, deadline))
		deadline = b->close_deadline;
	spin_unlock_irqrestore(&b->lock, flags);
	for (;;) {
		spin_lock_irqsave(&b->lock, flags);
		err = hsm_rpc_admit_locked(b, c, wait);
		spin_unlock_irqrestore(&b->lock, flags);
		if (err != -EAGAIN)
			break;
		/* At the bound on requests in flight: wait for a slot. */
		left = hsm_rpc_wait_slot(b, deadline, wait);
		if (left <= 0) {
			err = left ? -EINTR : -ETIMEDOUT;
			break;
		}
	}
	if (err) {
		hsm_call_put(c);
		return err;
	}

	left = (long)deadline - (long)jiffies;
	if (left <= 0)
		left = 1;
	/*
	 * Unkillable waits are clean-up in a worker, possibly for minutes:
	 * TASK_IDLE keeps them out of the load average and away from the
	 * hung-task detector. Every finished call wakes b->wq.
	 */
	if (wait == HSM_WAIT_KILLABLE)
		left = wait_for_completion_killable_timeout(&c->done, left);
	else
		left = wait_event_idle_timeout(b->wq, completion_done(&c->done),
					       left);

	spin_lock_irqsave(&b->lock, flags);
	if (!c->finished) {
		c->abandoned = true;
		if (c->tx_off == 0 && wait == HSM_WAIT_UNKILLABLE) {
			/*
			 * Clean-up still waiting for a slow line: it must
			 * reach the board, or the board keeps a key handle or
			 * a login; only its reply is no longer awaited (it is
			 * dropped). Rule 4 of §2.8 bends here as after a
			 * forgotten request: the session's next clean-up
			 * request may reach the board before this one's reply.
			 */
			hsm_call_finish_locked(b, c, -ETIMEDOUT);
		} else if (c->tx_off == 0) {
			/* Never reached the line: no reply can come. */
			hsm_call_unqueue_locked(c);
			hsm_call_finish_locked(b, c, -ECANCELED);
		}
		atomic64_inc(&b->stats.errors);
		if (left == 0)
			atomic64_inc(&b->stats.timeouts);
		if (abandoned && !c->finished) {
			kref_get(&c->ref);
			abandoned->call = c;
			c->late_work = abandoned->notify;
		}
	}
	err = c->abandoned ? (left == 0 ? -ETIMEDOUT : -EINTR) : c->result;
	spin_unlock_irqrestore(&b->lock, flags);

	if (err == -ETIMEDOUT)
		hsm_netlink_event(b, CRYPTECH_HSM_EVENT_TIMEOUT);
	if (err) {
		hsm_call_put(c);
		return err;
	}
	reply->call = c;
	reply->status = hsm_get_be32(c->reply + 8);
	reply->data = c->reply + HAL_RPC_REPLY_HDR_SIZE;
	reply->len = c->reply_len - HAL_RPC_REPLY_HDR_SIZE;
	return 0;
}

/**
 * hsm_call_settled() - wait for an abandoned request's late reply
 * @b:		board
 * @c:		the request, from hsm_rpc()'s @abandoned
 * @timeout_ms:	longest wait; 0 to only look
 * @created:	out: if the late reply created or opened a key, its board
 *		handle, else 0
 *
 * Return: true when the request is finished (its handle left quarantine),
 * false if it is still waiting for the board.
 */
bool hsm_call_settled(struct hsm_board *b, struct hsm_call *c,
		      unsigned int timeout_ms, u32 *created)
{
	unsigned long flags, wait = msecs_to_jiffies(timeout_ms);

	*created = 0;
	spin_lock_irqsave(&b->lock, flags);
	if (wait && b->closing)
		wait = time_after(b->close_deadline, jiffies) ?
		       min(wait, b->close_deadline - jiffies) : 0;
	spin_unlock_irqrestore(&b->lock, flags);
	if (wait)
		wait_event_idle_timeout(b->wq, completion_done(&c->done), wait);
	if (!completion_done(&c->done))
		return false;
	if (!c->result && c->reply_len >= HAL_RPC_REPLY_HDR_SIZE + 4 &&
	    hsm_get_be32(c->reply + 8) == HAL_OK) {
		switch (c->opcode) {
		case RPC_FUNC_PKEY_LOAD:
		case RPC_FUNC_PKEY_OPEN:
		case RPC_FUNC_PKEY_GENERATE_RSA:
		case RPC_FUNC_PKEY_GENERATE_EC:
		case RPC_FUNC_PKEY_GENERATE_HASHSIG:
		case RPC_FUNC_PKEY_IMPORT:
			*created = hsm_get_be32(c->reply + HAL_RPC_REPLY_HDR_SIZE);
			break;
		}
	}
	return true;
}

/**
 * hsm_call_opcode() - the function an abandoned request asked for
 * @c: the request
 *
 * Return: its RPC function number.
 */
u32 hsm_call_opcode(const struct hsm_call *c)
{
	return c->opcode;
}

/**
 * hsm_call_timeout() - the timeout its caller gave an abandoned request
 * @c: the request
 *
 * Return: milliseconds.
 */
unsigned int hsm_call_timeout(const struct hsm_call *c)
{
	return c->timeout_ms;
}

/**
 * hsm_call_disarm() - no longer queue the notify work for this request
 * @b: board
 * @c: the request, from hsm_rpc()'s @abandoned
 *
 * After it returns the work is not queued again by this request; the
 * caller cancels what may already be queued.
 */
void hsm_call_disarm(struct hsm_board *b, struct hsm_call *c)
{
	unsigned long flags;

	spin_lock_irqsave(&b->lock, flags);
	c->late_work = NULL;
	spin_unlock_irqrestore(&b->lock, flags);
}

/**
 * hsm_call_forget() - end the quarantine of a request the board never
 * answered
 * @b: board
 * @c: the request, from hsm_rpc()'s @abandoned
 *
 * For a session that is ending and has waited long enough: its client
 * handle must be usable for the final LOGOUT. Should the board answer
 * after all, the reply names another opcode than the LOGOUT's and is
 * dropped (§2.8 item 12).
 *
 * A frame the line has started to carry is always written whole: SLIP has
 * no way to abort a frame, and the board executes a truncated request that
 * still parses (§2.3), so cutting it short could run a different request.
 * Only a frame not yet started is taken off the transmit queue.
 */
void hsm_call_forget(struct hsm_board *b, struct hsm_call *c)
{
	unsigned long flags;

	spin_lock_irqsave(&b->lock, flags);
	c->late_work = NULL;
	if (!c->finished) {
		if (c->tx_off == 0)
			hsm_call_unqueue_locked(c);
		hsm_call_finish_locked(b, c, -ETIMEDOUT);
	}
	spin_unlock_irqrestore(&b->lock, flags);
}

/**
 * hsm_call_release() - drop a reference from hsm_rpc()'s @abandoned
 * @c: the request
 */
void hsm_call_release(struct hsm_call *c)
{
	hsm_call_put(c);
}

void hsm_reply_free(struct hsm_reply *reply)
{
	if (reply->call)
		hsm_call_put(reply->call);
	reply->call = NULL;
}

static void hsm_rpc_proto_error(struct hsm_board *b, const char *why,
				u32 client)
{
	atomic64_inc(&b->stats.proto_errors);
	dev_dbg(&b->dev, "dropped frame from board: %s (client 0x%08x)\n",
		why, client);
	hsm_netlink_event(b, CRYPTECH_HSM_EVENT_PROTO_ERROR);
}

/**
 * hsm_rpc_receive() - route one decoded frame from the board
 * @b:		board
 * @frame:	the decoded payload
 * @len:	its length, at most HAL_RPC_MAX_PKT_SIZE
 *
 * Called from the line discipline's receive path (process context). A frame
 * that is too short, names no outstanding client handle, or carries another
 * opcode than the request is dropped and counted (§2.8 items 5 and 12).
 */
void hsm_rpc_receive(struct hsm_board *b, const u8 *frame, size_t len)
{
	struct hsm_call *c, *found = NULL;
	unsigned long flags;
	u32 opcode, client;
	const char *why = NULL;
	u8 *copy;

	if (len < HAL_RPC_REPLY_HDR_SIZE) {
		hsm_rpc_proto_error(b, "shorter than a reply header", 0);
		return;
	}
	opcode = hsm_get_be32(frame);
	client = hsm_get_be32(frame + 4);

	/* Copy first: the lock is a spinlock and the copy may be 16 KiB. */
	copy = kmemdup(frame, len, GFP_KERNEL);

	spin_lock_irqsave(&b->lock, flags);
	list_for_each_entry(c, &b->calls, node) {
		if (c->client == client) {
			found = c;
			break;
		}
	}
	if (!found) {
		why = "unknown client handle";
	} else if (found->opcode != opcode) {
		why = "opcode differs from the request's";
	} else if (!list_empty(&found->tx_node)) {
		why = "reply before the request was sent";
	} else if (!copy) {
		hsm_call_finish_locked(b, found, -ENOMEM);
	} else {
		found->reply = copy;
		found->reply_len = len;
		copy = NULL;
		/* Answered, but with the board's own error status. */
		if (hsm_get_be32(frame + 8) != HAL_OK && !found->abandoned)
			atomic64_inc(&b->stats.errors);
		hsm_call_finish_locked(b, found, 0);
	}
	spin_unlock_irqrestore(&b->lock, flags);
	kfree_sensitive(copy);

	if (why)
		hsm_rpc_proto_error(b, why, client);
}

/**
 * hsm_rpc_fail_all() - fail every outstanding request with -ENODEV
 * @b: board, already in state GONE so no new request can be queued
 */
void hsm_rpc_fail_all(struct hsm_board *b)
{
	struct hsm_call *c, *tmp;
	unsigned long flags;

	spin_lock_irqsave(&b->lock, flags);
	list_for_each_entry_safe(c, tmp, &b->tx_queue, tx_node)
		hsm_call_unqueue_locked(c);
	list_for_each_entry_safe(c, tmp, &b->calls, node)
		hsm_call_finish_locked(b, c, -ENODEV);
	spin_unlock_irqrestore(&b->lock, flags);
	/* Waiters for a slot or an idle handle see the board gone. */
	wake_up_all(&b->wq);
}

/**
 * hsm_rpc_tx_locked() - write queued frames to the line
 * @b:		board
 * @tty:	the line
 *
 * Caller holds board->lock. Writes as much as the tty accepts, in order,
 * never interleaving frames.
 *
 * Return: true if data remains (the caller asks for a write wakeup).
 */
bool hsm_rpc_tx_locked(struct hsm_board *b, struct tty_struct *tty)
{
	struct hsm_call *c;
	int n;

	while ((c = list_first_entry_or_null(&b->tx_queue, struct hsm_call,
					     tx_node))) {
		n = tty->ops->write(tty, c->frame + c->tx_off, c->frame_len - c->tx_off);
		if (n <= 0)
			return true;
		c->tx_off += n;
		atomic64_add(n, &b->stats.bytes_out);
		if (c->tx_off < c->frame_len)
			return true;
		hsm_call_unqueue_locked(c);
	}
	return false;
}

/* Board status (hal_error_t, protocol §6.1) to errno. */
static const s16 hsm_status_errno[HAL_ERROR_COUNT] = {
	[HAL_OK]				= 0,
	[HAL_ERROR_BAD_ARGUMENTS]		= EINVAL,
	[HAL_ERROR_UNSUPPORTED_KEY]		= EOPNOTSUPP,
	[HAL_ERROR_IO_SETUP_FAILED]		= EIO,
	[HAL_ERROR_IO_TIMEOUT]			= EIO,
	[HAL_ERROR_IO_UNEXPECTED]		= EIO,
	[HAL_ERROR_IO_OS_ERROR]			= EIO,
	[HAL_ERROR_IO_BAD_COUNT]		= EIO,
	[HAL_ERROR_CSPRNG_BROKEN]		= EIO,
	[HAL_ERROR_KEYWRAP_BAD_MAGIC]		= EBADMSG,
	[HAL_ERROR_KEYWRAP_BAD_LENGTH]		= EBADMSG,
	[HAL_ERROR_KEYWRAP_BAD_PADDING]		= EBADMSG,
	[HAL_ERROR_IMPOSSIBLE]			= EIO,
	[HAL_ERROR_ALLOCATION_FAILURE]		= ENOMEM,
	[HAL_ERROR_RESULT_TOO_LONG]		= EOVERFLOW,
	[HAL_ERROR_ASN1_PARSE_FAILED]		= EBADMSG,
	[HAL_ERROR_KEY_NOT_ON_CURVE]		= EINVAL,
	[HAL_ERROR_INVALID_SIGNATURE]		= EKEYREJECTED,
	[HAL_ERROR_CORE_NOT_FOUND]		= EIO,
	[HAL_ERROR_CORE_BUSY]			= EBUSY,
	[HAL_ERROR_KEYSTORE_ACCESS]		= EIO,
	[HAL_ERROR_KEY_NOT_FOUND]		= ENOENT,
	[HAL_ERROR_KEY_NAME_IN_USE]		= EEXIST,
	[HAL_ERROR_NO_KEY_SLOTS_AVAILABLE]	= EMFILE,
	[HAL_ERROR_PIN_INCORRECT]		= EACCES,
	[HAL_ERROR_NO_CLIENT_SLOTS_AVAILABLE]	= EUSERS,
	[HAL_ERROR_FORBIDDEN]			= EPERM,
	[HAL_ERROR_XDR_BUFFER_OVERFLOW]		= EPROTO,
	[HAL_ERROR_RPC_TRANSPORT]		= EIO,
	[HAL_ERROR_RPC_PACKET_OVERFLOW]		= EMSGSIZE,
	[HAL_ERROR_RPC_BAD_FUNCTION]		= EOPNOTSUPP,
	[HAL_ERROR_KEY_NAME_TOO_LONG]		= EINVAL,
	[HAL_ERROR_MASTERKEY_NOT_SET]		= ENOKEY,
	[HAL_ERROR_MASTERKEY_FAIL]		= ENOKEY,
	[HAL_ERROR_MASTERKEY_BAD_LENGTH]	= ENOKEY,
	[HAL_ERROR_KS_DRIVER_NOT_FOUND]		= EIO,
	[HAL_ERROR_KEYSTORE_BAD_CRC]		= EIO,
	[HAL_ERROR_KEYSTORE_BAD_BLOCK_TYPE]	= EIO,
	[HAL_ERROR_KEYSTORE_LOST_DATA]		= EIO,
	[HAL_ERROR_BAD_ATTRIBUTE_LENGTH]	= EIO,
	[HAL_ERROR_ATTRIBUTE_NOT_FOUND]		= ENODATA,
	[HAL_ERROR_NO_KEY_INDEX_SLOTS]		= ENOSPC,
	[HAL_ERROR_KS_INDEX_UUID_MISORDERED]	= EIO,
	[HAL_ERROR_KEYSTORE_WRONG_BLOCK_TYPE]	= EIO,
	[HAL_ERROR_RPC_PROTOCOL_ERROR]		= EPROTO,
	[HAL_ERROR_NOT_IMPLEMENTED]		= EOPNOTSUPP,
	[HAL_ERROR_CORE_REASSIGNED]		= EIO,
	[HAL_ERROR_ASSERTION_FAILED]		= EIO,
	[HAL_ERROR_HASHSIG_KEY_EXHAUSTED]	= EKEYEXPIRED,
	[HAL_ERROR_NOT_READY]			= EAGAIN,
};

/**
 * hsm_status_to_errno() - map a board status to a negative errno
 * @status: hal_error_t from a reply; codes from future firmware map to -EIO
 *
 * Return: 0 for HAL_OK, else a negative errno.
 */
int hsm_status_to_errno(u32 status)
{
	if (status >= HAL_ERROR_COUNT)
		return -EIO;
	return -hsm_status_errno[status];
}

/* Stamp a session's client handle into a request (§2.8 item 1). */
void hsm_rpc_set_client(u8 *req, u32 client)
{
	hsm_put_be32(req + 4, client);
}
