// SPDX-License-Identifier: GPL-2.0
/*
 * Board lifetime and registry.
 *
 * Locking:
 *   hsm_boards (xarray, its own internal spinlock): index -> board. An entry
 *   is non-NULL only while the board is not yet torn down, and teardown
 *   clears it before dropping the line discipline's reference, so a board
 *   found under xa_lock always has a reference to take.
 *   board->lock, board->state_mutex: see struct hsm_board.
 */
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/usb.h>
#include <linux/xarray.h>

#include "hsm.h"

static DEFINE_XARRAY_ALLOC(hsm_boards);

static void hsm_board_release(struct device *dev)
{
	struct hsm_board *b = container_of(dev, struct hsm_board, dev);

	xa_erase(&hsm_boards, b->index);
	kfree_sensitive(b->rx_buf);
	kfree(b);
}

void hsm_board_put(struct hsm_board *b)
{
	put_device(&b->dev);
}

static void hsm_board_probe(struct work_struct *work);
static void hsm_board_set_gone(struct hsm_board *b);
static void hsm_board_tx(struct work_struct *work)
{
	/* tests only: hold the line's transmit side (a slow line) */
	hsm_test_delay(HSM_DELAY_TX);
	hsm_line_kick_tx(container_of(work, struct hsm_board, tx_work));
}

static void hsm_board_release_tty(struct work_struct *work)
{
	struct hsm_board *b = container_of(work, struct hsm_board,
					   release_work);

	hsm_release_owned_tty(b);
	hsm_board_put(b);
}

/*
 * Copy @src into @dst (a board_id buffer) after @prefix, as printable ASCII:
 * any other byte becomes '_'. Return: the number of bytes taken from @src.
 */
static size_t hsm_board_id_copy(char *dst, size_t size, const char *prefix,
				const char *src)
{
	ssize_t plen = strscpy(dst, prefix, size);
	size_t o = plen < 0 ? size - 1 : plen, n = 0;

	while (src[n] && o + 1 < size) {
		char c = src[n++];

		dst[o++] = (c >= 0x20 && c < 0x7f) ? c : '_';
	}
	dst[o] = '\0';
	return n;
}

/*
 * The board's stable identity (uapi CRYPTECH_HSM_BOARD_ID_*): walk from the
 * tty's device up to the USB device of its serial bridge, if there is one.
 * The USB core's device types are not exported to modules, so the USB
 * device is recognised by its device type's name. The tty holds a
 * reference to its device and every device to its parent: the chain stays
 * valid while the line discipline is open, which is where this runs.
 */
static void hsm_board_read_identity(struct hsm_board *b,
				    struct tty_struct *tty)
{
	struct usb_device *udev = NULL;
	struct device *d;

	for (d = tty->dev; d; d = d->parent) {
		if (d->type && d->type->name &&
		    !strcmp(d->type->name, "usb_device")) {
			udev = to_usb_device(d);
			break;
		}
	}
	if (udev && udev->serial &&
	    hsm_board_id_copy(b->board_id, sizeof(b->board_id), "",
			      udev->serial)) {
		b->board_id_kind = CRYPTECH_HSM_BOARD_ID_USB_SERIAL;
		return;
	}
	if (udev) {
		hsm_board_id_copy(b->board_id, sizeof(b->board_id), "usb-",
				  dev_name(&udev->dev));
		b->board_id_kind = CRYPTECH_HSM_BOARD_ID_USB_PATH;
		return;
	}
	hsm_board_id_copy(b->board_id, sizeof(b->board_id), "tty-",
			  tty_name(tty));
	b->board_id_kind = CRYPTECH_HSM_BOARD_ID_TTY;
}

/**
 * hsm_board_create() - allocate a board for a tty that got our ldisc
 * @tty: the line
 *
 * Return: the board with one reference (the line discipline's), in state
 * PROBING and not yet visible as /dev/hsmN; or an ERR_PTR.
 */
struct hsm_board *hsm_board_create(struct tty_struct *tty)
{
	struct hsm_board *b;
	u32 index;
	int err;

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return ERR_PTR(-ENOMEM);
	b->rx_buf = kmalloc(HAL_RPC_MAX_PKT_SIZE, GFP_KERNEL);
	if (!b->rx_buf) {
		kfree(b);
		return ERR_PTR(-ENOMEM);
	}

	/* Reserve the index now; the entry stays NULL until published. */
	err = xa_alloc(&hsm_boards, &index, NULL,
		       XA_LIMIT(0, HSM_MAX_BOARDS - 1), GFP_KERNEL);
	if (err) {
		kfree(b->rx_buf);
		kfree(b);
		return ERR_PTR(err == -EBUSY ? -ENOSPC : err);
	}
	b->index = index;

	spin_lock_init(&b->lock);
	b->state = HSM_BOARD_PROBING;
	b->tty = tty;
	INIT_LIST_HEAD(&b->calls);
	INIT_LIST_HEAD(&b->tx_queue);
	init_waitqueue_head(&b->wq);
	/* Seeded from the clock as the upstream daemon does (§2.8 item 3). */
	b->next_client = (u32)ktime_get_real_seconds() << 4;
	INIT_WORK(&b->tx_work, hsm_board_tx);
	INIT_WORK(&b->probe_work, hsm_board_probe);
	INIT_WORK(&b->release_work, hsm_board_release_tty);
	mutex_init(&b->state_mutex);
	mutex_init(&b->sessions_mutex);
	init_rwsem(&b->ksession_rwsem);
	INIT_LIST_HEAD(&b->sessions);
	init_completion(&b->probed);
	slip_decoder_init(&b->rx, b->rx_buf, HAL_RPC_MAX_PKT_SIZE);
	strscpy(b->tty_name, tty_name(tty), sizeof(b->tty_name));
	hsm_board_read_identity(b, tty);
	ratelimit_state_init(&b->proto_event_rs, HSM_PROTO_EVENT_INTERVAL,
			     HSM_PROTO_EVENT_BURST);
	ratelimit_set_flags(&b->proto_event_rs, RATELIMIT_MSG_ON_RELEASE);

	device_initialize(&b->dev);
	b->dev.release = hsm_board_release;
	err = dev_set_name(&b->dev, "hsm%u", index);
	if (err) {
		put_device(&b->dev);
		return ERR_PTR(err);
	}
	return b;
}

/**
 * hsm_board_alloc_client() - a fresh client handle for a session
 * @b: board
 *
 * Never 0 (shared by every client) nor 0xFFFFFFFF (the console's), and
 * never one a request is still outstanding on (protocol §2.8).
 *
 * Return: the handle.
 */
u32 hsm_board_alloc_client(struct hsm_board *b)
{
	struct hsm_call *c;
	unsigned long flags;
	bool busy;
	u32 h;

	spin_lock_irqsave(&b->lock, flags);
	do {
		h = ++b->next_client;
		busy = h == 0 || h == HAL_CLIENT_CONSOLE;
		list_for_each_entry(c, &b->calls, node)
			busy |= c->client == h;
	} while (busy);
	spin_unlock_irqrestore(&b->lock, flags);
	return h;
}

/* Build a request with no arguments. */
static size_t hsm_board_simple_req(u8 *buf, u32 opcode)
{
	buf[0] = opcode >> 24;
	buf[1] = opcode >> 16;
	buf[2] = opcode >> 8;
	buf[3] = opcode;
	memset(buf + 4, 0, 4);		/* client 0, as the daemon's probe */
	return 8;
}

/*
 * The attach handshake: GET_VERSION proves a board answers on this line,
 * then LOGOUT_ALL drops logins left by a previous host (§2.8 item 7).
 */
static int hsm_board_handshake(struct hsm_board *b)
{
	struct hsm_reply r;
	u8 req[8];
	int err;

	hsm_test_delay(HSM_DELAY_HANDSHAKE);
	hsm_board_simple_req(req, RPC_FUNC_GET_VERSION);
	err = hsm_rpc(b, req, sizeof(req), hsm_handshake_timeout_ms,
		      HSM_WAIT_UNKILLABLE, &r, NULL);
	if (err == -ETIMEDOUT) {
		dev_warn(&b->dev,
			 "%s: no answer to GET_VERSION within %u ms; is this a CrypTech board's RPC port?\n",
			 b->tty_name, hsm_handshake_timeout_ms);
		return err;
	}
	if (err)
		return err;
	if (r.status != HAL_OK || r.len < 4) {
		dev_warn(&b->dev, "%s: GET_VERSION failed (status %u)\n",
			 b->tty_name, r.status);
		hsm_reply_free(&r);
		return -EPROTO;
	}
	b->protocol_version = (u32)r.data[0] << 24 | (u32)r.data[1] << 16 |
			      (u32)r.data[2] << 8 | r.data[3];
	hsm_reply_free(&r);
	if (b->protocol_version != HAL_RPC_VERSION &&
	    b->protocol_version != HAL_RPC_VERSION_OLD) {
		dev_warn(&b->dev, "%s: unsupported protocol version 0x%08x\n",
			 b->tty_name, b->protocol_version);
		return -EPROTONOSUPPORT;
	}

	hsm_board_simple_req(req, RPC_FUNC_LOGOUT_ALL);
	err = hsm_rpc(b, req, sizeof(req), hsm_handshake_timeout_ms,
		      HSM_WAIT_UNKILLABLE, &r, NULL);
	if (err)
		return err;
	hsm_reply_free(&r);
	return 0;
}

/**
 * hsm_board_publish() - make /dev/hsmN appear and list the board
 * @b: board, handshake done
 *
 * Teardown may start at any moment, also while the device is being added
 * with board->lock dropped: the board moves from PROBING to READY only if it
 * is still PROBING and no DETACH has begun, so a teardown is never
 * overwritten. The device removal
 * is then left to hsm_board_kill(), which waits for this function through
 * state_mutex and sees @published. A READY board also gets its kernel
 * session (ksession.c), its hwrng (hwrng.c), which uses that session, and
 * counts for the ECDSA algorithms (akcipher.c), which the first board
 * registers; hsm_board_kill() undoes the three in reverse order under the
 * same mutex.
 *
 * Return: 0 when the board is READY; -ENODEV when teardown began first; or
 * the error of adding the device.
 */
int hsm_board_publish(struct hsm_board *b)
{
	unsigned long flags;
	int err;

	mutex_lock(&b->state_mutex);
	spin_lock_irqsave(&b->lock, flags);
	err = b->state == HSM_BOARD_PROBING ? 0 : -ENODEV;
	spin_unlock_irqrestore(&b->lock, flags);
	if (!err)
		err = hsm_chardev_add(b);
	if (!err) {
		b->published = true;
		xa_store(&hsm_boards, b->index, b, GFP_KERNEL);
		hsm_test_delay(HSM_DELAY_PUBLISH);
		spin_lock_irqsave(&b->lock, flags);
		if (b->state == HSM_BOARD_PROBING && !b->closing)
			b->state = HSM_BOARD_READY;
		else
			err = -ENODEV;
		spin_unlock_irqrestore(&b->lock, flags);
	}
	if (!err) {
		hsm_ksession_start(b);
		hsm_hwrng_add(b);
		hsm_akcipher_board_up(b);
	}
	mutex_unlock(&b->state_mutex);
	return err;
}

static void hsm_board_probe(struct work_struct *work)
{
	struct hsm_board *b = container_of(work, struct hsm_board, probe_work);
	int err;

	err = hsm_board_handshake(b);
	if (!err) {
		WRITE_ONCE(b->handshake_done, true);
		err = hsm_board_publish(b);
	}
	b->probe_err = err;
	if (err)
		hsm_board_set_gone(b);
	if (!err) {
		dev_info(&b->dev, "CrypTech board on %s, protocol %u.%u.%u.%u\n",
			 b->tty_name, b->protocol_version >> 24,
			 (b->protocol_version >> 16) & 0xff,
			 (b->protocol_version >> 8) & 0xff,
			 b->protocol_version & 0xff);
		hsm_netlink_event(b, CRYPTECH_HSM_EVENT_ATTACHED);
	}
	complete_all(&b->probed);
}

/* Fail the board for its users; the line stays until the ldisc closes. */
static void hsm_board_set_gone(struct hsm_board *b)
{
	unsigned long flags;

	spin_lock_irqsave(&b->lock, flags);
	b->state = HSM_BOARD_GONE;
	spin_unlock_irqrestore(&b->lock, flags);
	hsm_rpc_fail_all(b);
}

/**
 * hsm_board_kill() - tear a board down; idempotent
 * @b: board
 *
 * Called from the line discipline's close (hangup, detach, ldisc change) and
 * after a failed handshake. Must not be called from the probe work itself.
 * After it returns nothing touches the tty again and /dev/hsmN is gone; open
 * files stay valid and get -ENODEV.
 */
void hsm_board_kill(struct hsm_board *b)
{
	struct tty_struct *owned;
	unsigned long flags;
	bool was_killed;

	spin_lock_irqsave(&b->lock, flags);
	was_killed = b->killed;
	b->killed = true;
	spin_unlock_irqrestore(&b->lock, flags);
	if (was_killed)
		return;

	hsm_board_set_gone(b);
	cancel_work_sync(&b->probe_work);
	cancel_work_sync(&b->tx_work);

	mutex_lock(&b->state_mutex);
	/* GONE above: a read in progress fails now, unregistering waits. */
	hsm_akcipher_board_down(b);
	hsm_hwrng_remove(b);
	hsm_ksession_stop(b);
	if (b->published) {
		xa_store(&hsm_boards, b->index, NULL, GFP_KERNEL);
		hsm_chardev_del(b);
	} else if (!b->probe_err) {
		b->probe_err = -ENODEV;
	}
	mutex_unlock(&b->state_mutex);

	spin_lock_irqsave(&b->lock, flags);
	b->tty = NULL;
	spin_unlock_irqrestore(&b->lock, flags);

	if (b->published) {
		dev_info(&b->dev, "detached from %s\n", b->tty_name);
		hsm_netlink_event(b, CRYPTECH_HSM_EVENT_DETACHED);
	}

	/*
	 * A tty the driver opened itself must be closed, but not from here:
	 * this runs under the tty's own locks during a hangup.
	 */
	owned = READ_ONCE(b->owned_tty);
	if (owned) {
		get_device(&b->dev);
		if (!queue_work(hsm_wq, &b->release_work))
			hsm_board_put(b);
	}
	complete_all(&b->probed);
}

/**
 * hsm_board_get_by_index() - look up a listed board
 * @index: N of /dev/hsmN
 *
 * Return: the board with a reference the caller must put, or NULL.
 */
struct hsm_board *hsm_board_get_by_index(u32 index)
{
	struct hsm_board *b;

	xa_lock(&hsm_boards);
	b = xa_load(&hsm_boards, index);
	if (b)
		get_device(&b->dev);
	xa_unlock(&hsm_boards);
	return b;
}

/**
 * hsm_board_get_next() - iterate over listed boards
 * @index: in: first index to consider; out: the index of the board found
 *
 * Return: the board with a reference the caller must put, or NULL.
 */
struct hsm_board *hsm_board_get_next(unsigned long *index)
{
	struct hsm_board *b;

	xa_lock(&hsm_boards);
	b = xa_find(&hsm_boards, index, HSM_MAX_BOARDS - 1, XA_PRESENT);
	if (b)
		get_device(&b->dev);
	xa_unlock(&hsm_boards);
	return b;
}

int hsm_boards_init(void)
{
	return 0;
}

void hsm_boards_exit(void)
{
	WARN_ON(!xa_empty(&hsm_boards));
	xa_destroy(&hsm_boards);
}
