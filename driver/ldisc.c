// SPDX-License-Identifier: GPL-2.0
/*
 * The tty side: a line discipline that carries SLIP frames to and from the
 * board, and attach/detach without a resident daemon (the kernel opens the
 * tty itself, as speakup does).
 *
 * Locking:
 *   hsm_attach_mutex serialises attach and detach requests and protects
 *   hsm_attaching, the tty the kernel is attaching right now (its ldisc open
 *   marks the board as owning that tty).
 *   The tty layer serialises receive_buf calls and keeps the ldisc alive
 *   while one runs; open and close run under the tty's ldisc lock.
 *   Everything else is under board->lock (see hsm.h).
 */
#include <linux/capability.h>
#include <linux/module.h>
#include <linux/namei.h>
#include <linux/serial.h>
#include <linux/tty.h>
#include <linux/tty_driver.h>
#include <linux/tty_flip.h>
#include <linux/tty_ldisc.h>

#include "hsm.h"

#define HSM_BAUD	921600

static DEFINE_MUTEX(hsm_attach_mutex);
static struct tty_struct *hsm_attaching;

/**
 * hsm_line_tx_locked() - write what is queued for the board
 * @b: board; caller holds board->lock
 *
 * Every write to the line happens here, under board->lock, so frames
 * never interleave (§2.8 item 6). Called when a request is queued and from
 * board->tx_work after a write wakeup; tty write operations do not sleep.
 */
void hsm_line_tx_locked(struct hsm_board *b)
{
	struct tty_struct *tty = b->tty;

	if (!tty || b->state == HSM_BOARD_GONE)
		return;
	/* Ask for the wakeup before writing, or it could be missed. */
	set_bit(TTY_DO_WRITE_WAKEUP, &tty->flags);
	if (!hsm_rpc_tx_locked(b, tty))
		clear_bit(TTY_DO_WRITE_WAKEUP, &tty->flags);
}

/**
 * hsm_line_kick_tx() - the body of board->tx_work
 * @b: board
 */
void hsm_line_kick_tx(struct hsm_board *b)
{
	unsigned long flags;

	spin_lock_irqsave(&b->lock, flags);
	hsm_line_tx_locked(b);
	spin_unlock_irqrestore(&b->lock, flags);
}

/**
 * hsm_ldisc_open() - the line discipline is being set on a tty
 * @tty: the line
 *
 * Creates the board (not yet visible) and queues the handshake, which
 * cannot run here: replies arrive only once the discipline is installed.
 *
 * Return: 0, -EPERM without CAP_SYS_ADMIN, -EOPNOTSUPP for a tty that
 * cannot be written, -ENOSPC when HSM_MAX_BOARDS are attached, -ENOMEM.
 */
static int hsm_ldisc_open(struct tty_struct *tty)
{
	struct hsm_board *b;

	/* Unprivileged ldisc attach has been a recurring source of CVEs. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (!tty->ops->write)
		return -EOPNOTSUPP;

	b = hsm_board_create(tty);
	if (IS_ERR(b))
		return PTR_ERR(b);
	if (tty == READ_ONCE(hsm_attaching))
		b->owned_tty = tty;
	hsm_test_delay(HSM_DELAY_LDISC_OPEN);
	tty->disc_data = b;
	tty->receive_room = 65536;
	queue_work(hsm_wq, &b->probe_work);
	return 0;
}

/**
 * hsm_ldisc_close() - the line discipline is leaving the tty
 * @tty: the line
 *
 * Runs on detach, on another discipline being set, on the tty's last close
 * and after a hangup. Tears the board down and drops the discipline's
 * reference; open files keep the board's memory until they are closed.
 */
static void hsm_ldisc_close(struct tty_struct *tty)
{
	struct hsm_board *b = tty->disc_data;

	hsm_board_kill(b);
	/* A write wakeup may have queued it again after the kill. */
	cancel_work_sync(&b->tx_work);
	tty->disc_data = NULL;
	hsm_board_put(b);
}

/**
 * hsm_ldisc_hangup() - the line hung up (e.g. the USB adapter was pulled)
 * @tty: the line
 *
 * Fails everything in flight at once; close follows.
 */
static void hsm_ldisc_hangup(struct tty_struct *tty)
{
	hsm_board_kill(tty->disc_data);
}

/**
 * hsm_ldisc_receive() - bytes arrived from the board
 * @tty:	the line
 * @cp:		the bytes
 * @fp:		per-byte flags (TTY_NORMAL or a line error), may be NULL
 * @count:	number of bytes
 *
 * Called by the tty layer in process context, one call at a time. Decodes
 * SLIP and routes each complete frame; anything malformed is dropped and
 * counted.
 */
static void hsm_ldisc_receive(struct tty_struct *tty, const u8 *cp,
			      const char *fp, int count)
{
	struct hsm_board *b = tty->disc_data;
	enum slip_result res;
	size_t used;

	if (READ_ONCE(b->state) == HSM_BOARD_GONE || count <= 0)
		return;
	atomic64_add(count, &b->stats.bytes_in);

	while (count > 0) {
		/* A line error spoils the frame holding the bad byte only. */
		res = slip_decode_flagged(&b->rx, cp, fp, count, &used);
		cp += used;
		if (fp)
			fp += used;
		count -= used;
		if (res == SLIP_FRAME) {
			hsm_rpc_receive(b, b->rx.buf, b->rx.len);
		} else if (res == SLIP_OVERSIZE) {
			atomic64_inc(&b->stats.proto_errors);
			dev_dbg(&b->dev, "dropped an oversized or corrupt frame\n");
			hsm_netlink_event(b, CRYPTECH_HSM_EVENT_PROTO_ERROR);
		}
		if (res != SLIP_MORE)
			slip_decoder_reset_frame(&b->rx);
	}
}

/**
 * hsm_ldisc_write_wakeup() - the tty can take more output
 * @tty: the line
 *
 * May be called in interrupt context: only queues the transmit work.
 */
static void hsm_ldisc_write_wakeup(struct tty_struct *tty)
{
	struct hsm_board *b = tty->disc_data;

	queue_work(hsm_tx_wq, &b->tx_work);
}

static struct tty_ldisc_ops hsm_ldisc_ops = {
	.owner		= THIS_MODULE,
	.name		= HSM_DRV_NAME,
	.open		= hsm_ldisc_open,
	.close		= hsm_ldisc_close,
	.hangup		= hsm_ldisc_hangup,
	.receive_buf	= hsm_ldisc_receive,
	.write_wakeup	= hsm_ldisc_write_wakeup,
};

int hsm_ldisc_register(void)
{
	hsm_ldisc_ops.num = hsm_ldisc_num;
	return tty_register_ldisc(&hsm_ldisc_ops);
}

void hsm_ldisc_unregister(void)
{
	tty_unregister_ldisc(&hsm_ldisc_ops);
}

/* 921600 8N1, raw, no flow control, modem lines left asserted (§2.1). */
static void hsm_tty_set_raw(struct tty_struct *tty)
{
	struct ktermios t;

	down_read(&tty->termios_rwsem);
	t = tty->termios;
	up_read(&tty->termios_rwsem);

	t.c_iflag = 0;
	t.c_oflag = 0;
	t.c_lflag = 0;
	t.c_cflag &= ~(CSIZE | PARENB | CSTOPB | CRTSCTS | CBAUD | CIBAUD);
	t.c_cflag |= CS8 | CREAD | CLOCAL;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	tty_termios_encode_baud_rate(&t, HSM_BAUD, HSM_BAUD);
	tty_set_termios(tty, &t);
}

/*
 * USB-serial bridges hold received bytes until their packet fills or a
 * latency timer expires: 16 ms by default on the board's FTDI FT232H, far
 * longer than many board operations. Ask for the shortest timer; ttys that
 * do not know the flag ignore it.
 */
static void hsm_tty_set_low_latency(struct tty_struct *tty)
{
	struct serial_struct ss = {};

	if (!tty->ops->get_serial || !tty->ops->set_serial)
		return;
	if (tty->ops->get_serial(tty, &ss))
		return;
	if (ss.flags & ASYNC_LOW_LATENCY)
		return;
	ss.flags |= ASYNC_LOW_LATENCY;
	tty->ops->set_serial(tty, &ss);
}

/*
 * Close a tty opened with tty_kopen_exclusive(). After a hangup the tty
 * driver has already shut the port down: closing it again would only
 * unbalance its counts.
 */
static void hsm_tty_kclose(struct tty_struct *tty)
{
	tty_lock(tty);
	if (tty->ops->close && !test_bit(TTY_HUPPED, &tty->flags))
		tty->ops->close(tty, NULL);
	tty_unlock(tty);
	tty_kclose(tty);
}

/**
 * hsm_release_owned_tty() - close the tty the driver opened, once
 * @b: board; torn down already, or about to be by the close
 */
void hsm_release_owned_tty(struct hsm_board *b)
{
	struct tty_struct *tty = xchg(&b->owned_tty, NULL);

	if (tty)
		hsm_tty_kclose(tty);
}

static int hsm_tty_lookup(const char *path, dev_t *devt,
			  struct netlink_ext_ack *extack)
{
	struct path p;
	struct inode *inode;
	int err;

	err = kern_path(path, LOOKUP_FOLLOW, &p);
	if (err) {
		NL_SET_ERR_MSG(extack, "tty device not found");
		return err;
	}
	inode = d_backing_inode(p.dentry);
	if (!S_ISCHR(inode->i_mode)) {
		NL_SET_ERR_MSG(extack, "not a character device");
		err = -ENOTTY;
	} else {
		*devt = inode->i_rdev;
	}
	path_put(&p);
	return err;
}

/*
 * Open the tty and give it our line discipline; returns the board.
 *
 * From tty_set_ldisc() on, a hangup can close the discipline, and its
 * teardown queues the work that closes the tty and drops the reference
 * tty_kopen_exclusive() took: this function holds a reference of its own
 * across the whole sequence so the tty it still looks at stays allocated.
 */
static struct hsm_board *hsm_tty_take(dev_t devt,
				      struct netlink_ext_ack *extack)
{
	struct hsm_board *b = NULL;
	struct tty_struct *tty;
	struct tty_ldisc *ld;
	int err;

	tty = tty_kopen_exclusive(devt);
	if (IS_ERR(tty)) {
		err = PTR_ERR(tty);
		if (err == -EBUSY)
			NL_SET_ERR_MSG(extack, "tty is in use (open, or already attached)");
		else
			NL_SET_ERR_MSG(extack, "cannot open the tty");
		return ERR_PTR(err);
	}
	/* tty_kopen_exclusive() returns the tty locked and not yet opened. */
	err = tty->ops->open ? tty->ops->open(tty, NULL) : -ENODEV;
	if (err) {
		tty_unlock(tty);
		tty_kclose(tty);
		NL_SET_ERR_MSG(extack, "the tty driver refused to open the line");
		return ERR_PTR(err);
	}
	clear_bit(TTY_HUPPED, &tty->flags);
	hsm_tty_set_raw(tty);
	hsm_tty_set_low_latency(tty);
	tty_unlock(tty);

	tty_kref_get(tty);
	WRITE_ONCE(hsm_attaching, tty);
	err = tty_set_ldisc(tty, hsm_ldisc_num);
	WRITE_ONCE(hsm_attaching, NULL);
	if (err) {
		hsm_tty_kclose(tty);
		tty_kref_put(tty);
		NL_SET_ERR_MSG(extack, "cannot set the cryptech_hsm line discipline");
		return ERR_PTR(err);
	}
	hsm_test_delay(HSM_DELAY_ATTACH_SET_LDISC);

	/* A hangup may already have replaced our ldisc: look, don't assume. */
	ld = tty_ldisc_ref(tty);
	if (ld) {
		if (ld->ops == &hsm_ldisc_ops && tty->disc_data) {
			b = tty->disc_data;
			get_device(&b->dev);
		}
		tty_ldisc_deref(ld);
	}
	tty_kref_put(tty);
	if (!b) {
		/* Our close ran and queued the kclose; nothing more to do. */
		NL_SET_ERR_MSG(extack, "the line hung up during attach");
		return ERR_PTR(-ENODEV);
	}
	return b;
}

/**
 * hsm_attach_tty() - attach a board on a tty named by path (netlink ATTACH)
 * @path:	path of the tty device node
 * @extack:	for a message naming the cause of a failure
 *
 * Return: the board, READY, with a reference; or an ERR_PTR.
 */
struct hsm_board *hsm_attach_tty(const char *path,
				 struct netlink_ext_ack *extack)
{
	struct hsm_board *b;
	unsigned int ms;
	dev_t devt;
	long left;
	int err;

	err = hsm_tty_lookup(path, &devt, extack);
	if (err)
		return ERR_PTR(err);

	mutex_lock(&hsm_attach_mutex);
	b = hsm_tty_take(devt, extack);
	mutex_unlock(&hsm_attach_mutex);
	if (IS_ERR(b))
		return b;

	/* The probe times itself out; the margin covers its LOGOUT_ALL. */
	ms = hsm_handshake_timeout_ms;
	left = wait_for_completion_killable_timeout(&b->probed,
						    msecs_to_jiffies(2 * ms + 1000));
	/*
	 * A board that answered the handshake is only publishing, which may
	 * take longer: the first board runs the crypto manager's self-tests
	 * of the ECDSA algorithms on itself (akcipher.c), each request bounded
	 * by op_timeout_ms. Failing the attach then would blame the handshake
	 * and take the board away under its self-tests.
	 */
	if (!left && READ_ONCE(b->handshake_done))
		left = wait_for_completion_killable(&b->probed) ? -ERESTARTSYS : 1;
	err = left > 0 ? READ_ONCE(b->probe_err) : (left ? -EINTR : -ETIMEDOUT);
	if (!err && (READ_ONCE(b->state) != HSM_BOARD_READY ||
		     READ_ONCE(b->closing)))
		err = -ENODEV;
	if (!err)
		return b;

	switch (err) {
	case -ETIMEDOUT:
		NL_SET_ERR_MSG(extack,
			       "no answer to the GET_VERSION handshake within handshake_timeout_ms: is this a CrypTech board's RPC port?");
		break;
	case -EPROTONOSUPPORT:
		NL_SET_ERR_MSG(extack, "the board speaks an unsupported protocol version");
		break;
	case -EPROTO:
		NL_SET_ERR_MSG(extack, "the board answered the handshake with an error");
		break;
	default:
		NL_SET_ERR_MSG(extack, "attach failed");
	}
	hsm_detach(b);
	hsm_board_put(b);
	return ERR_PTR(err);
}

/**
 * hsm_detach() - detach a board (netlink DETACH, failed attach)
 * @b: board, referenced by the caller
 *
 * Closes what the open sessions hold on the board first, within
 * detach_timeout_ms (hsm_board_close_sessions()), then releases the line.
 *
 * Return: 0, or -EOPNOTSUPP for a board attached by TIOCSETD from userspace
 * (that process owns the tty and detaches by setting another discipline).
 */
int hsm_detach(struct hsm_board *b)
{
	int err = 0;

	mutex_lock(&hsm_attach_mutex);
	if (READ_ONCE(b->owned_tty)) {
		hsm_board_close_sessions(b);
		hsm_test_delay(HSM_DELAY_DETACH);
		/* Stop all use of the line before the tty driver closes it. */
		hsm_board_kill(b);
		flush_work(&b->release_work);
		hsm_release_owned_tty(b);
	} else if (!READ_ONCE(b->killed)) {
		err = -EOPNOTSUPP;
	}
	mutex_unlock(&hsm_attach_mutex);
	return err;
}
