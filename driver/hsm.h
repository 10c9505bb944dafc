/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cryptech_hsm internal interfaces.
 *
 * Where things are:
 *   board.c    board lifetime (struct device refcount), registry, teardown
 *   ldisc.c    the tty side: line discipline, SLIP, attach by tty_kopen
 *   rpc.c      request/reply pairing by client handle, timeouts, errno map
 *   session.c  one open file = one board session
 *   chardev.c  /dev/hsmN file operations and ioctls (the ABI)
 *   hwrng.c    the board's random number generator as hwrng cryptech-N
 *   ksession.c the kernel session: the one session of in-kernel users
 *   akcipher.c ECDSA and RSA signatures on the boards for in-kernel users
 *   keyring.c  board-resident keys in the kernel's keyrings (asymmetric
 *              key parser and subtype)
 *   sigfmt.c   signature encodings both use: DER, ECDSA r || s, DigestInfo
 *   compat.h   differences between kernel versions
 *   netlink.c  generic netlink family: attach, detach, list, events
 *   protocol.h wire constants; slip.c, xdr.c codecs (also built on the host)
 *
 * Lifetime: a board is freed by the release of its struct device. References
 * are held by the line discipline (from open to close), by every open file,
 * by the kernel session (which the hwrng uses) from READY until teardown,
 * by netlink while it reports a board, and by queued work. Teardown
 * (hsm_board_kill()) can start from a tty hangup, a detach or a failed
 * handshake, and runs once: it marks the board dead under @lock, fails
 * every request in flight with -ENODEV, stops transmission, uncounts the
 * board for the akcipher algorithms (the last board unregisters them),
 * unregisters the hwrng (waiting for its reads, which fail now), ends the kernel session
 * (and with it its login), removes /dev/hsmN and unlists the board.
 * Everything else checks the state under @lock first.
 */
#ifndef CRYPTECH_HSM_H
#define CRYPTECH_HSM_H

#include <linux/atomic.h>
#include <linux/cdev.h>
#include <linux/completion.h>
#include <linux/device.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/ratelimit.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/tty.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <linux/cryptech_hsm.h>

#include "protocol.h"
#include "slip.h"

#define HSM_DRV_NAME		"cryptech_hsm"
#define HSM_MAX_BOARDS		64

/* Module parameters (main.c). */
extern int hsm_ldisc_num;
extern unsigned int hsm_handshake_timeout_ms;
extern unsigned int hsm_op_timeout_ms;
extern unsigned int hsm_keygen_timeout_ms;
extern unsigned int hsm_max_in_flight;
extern unsigned int hsm_max_keys_per_session;
extern unsigned int hsm_detach_timeout_ms;

/* Upper bounds of the run-time writable parameters (main.c). */
#define HSM_HANDSHAKE_TIMEOUT_MAX_MS	60000U
#define HSM_OP_TIMEOUT_MAX_MS		3600000U
#define HSM_MAX_IN_FLIGHT_MAX		1024U
#define HSM_MAX_KEYS_PER_SESSION_MAX	256U

/*
 * Test-only delay points (testhooks.c, built with CRYPTECH_HSM_TEST_HOOKS=1;
 * see Documentation/test-hooks.rst). Each widens one
 * race window on purpose: a test sets a delay in debugfs, waits until the
 * point's hit counter moves (it is inside the window), then acts. In a
 * normal build hsm_test_delay() is an empty inline.
 */
enum hsm_delay_point {
	HSM_DELAY_ATTACH_SET_LDISC,	/* hsm_tty_take(): tty_set_ldisc() done */
	HSM_DELAY_LDISC_OPEN,		/* ldisc open, inside tty_set_ldisc() */
	HSM_DELAY_HANDSHAKE,		/* probe work, before GET_VERSION */
	HSM_DELAY_PUBLISH,		/* /dev/hsmN added, not yet READY */
	HSM_DELAY_SESSION_CLEANUP,	/* session clean-up, before its requests */
	HSM_DELAY_DETACH,		/* DETACH: sessions closed, line not yet released */
	HSM_DELAY_NL_DUMP,		/* netlink dump, before each board */
	HSM_DELAY_IOCTL,		/* ioctl: board alive, operation not begun */
	HSM_DELAY_AKC_SELFTEST,		/* akcipher self-test request, before the board */
	HSM_DELAY_AKC_SIGN,		/* akcipher sign: key loaded, before PKEY_SIGN */
	HSM_DELAY_TX,			/* transmit work, before it writes; all go through it */
	HSM_DELAY_NR,
};

#ifdef CRYPTECH_HSM_TEST_HOOKS
void hsm_test_delay(enum hsm_delay_point point);
bool hsm_test_delay_armed(enum hsm_delay_point point);
void hsm_test_hooks_init(void);
void hsm_test_hooks_exit(void);
#else
static inline void hsm_test_delay(enum hsm_delay_point point) { }

static inline bool hsm_test_delay_armed(enum hsm_delay_point point)
{
	return false;
}

static inline void hsm_test_hooks_init(void) { }
static inline void hsm_test_hooks_exit(void) { }
#endif

/* Work that may wait for the board: probe, clean-up, tty release. */
extern struct workqueue_struct *hsm_wq;
/*
 * The transmit work only: it never waits (but at the test-only "tx" delay
 * point), and the rest waits on it.
 */
extern struct workqueue_struct *hsm_tx_wq;

enum hsm_board_state {
	HSM_BOARD_PROBING = CRYPTECH_HSM_STATE_PROBING,
	HSM_BOARD_READY = CRYPTECH_HSM_STATE_READY,
	HSM_BOARD_GONE = CRYPTECH_HSM_STATE_GONE,
};

struct hsm_stats {
	atomic64_t requests;
	atomic64_t errors;
	atomic64_t timeouts;
	atomic64_t proto_errors;
	atomic64_t bytes_in;
	atomic64_t bytes_out;
	atomic_t in_flight;
	atomic_t sessions;
};

/**
 * struct hsm_board - one attached CrypTech board
 * @dev:	lifetime owner; its release frees the board
 * @cdev:	/dev/hsmN, added once the handshake succeeded
 * @index:	N of /dev/hsmN; reserved in the registry until release
 * @lock:	protects @state, @tty, @calls, @tx_queue, @next_client,
 *		@closing, @close_deadline and the fields of every struct
 *		hsm_call on those lists. A spinlock
 *		taken with interrupts off: tty write wakeups may come from
 *		interrupt context. Never held across a sleep.
 * @state:	enum hsm_board_state; only ever moves forward
 * @killed:	hsm_board_kill() has run or is running
 * @tty:	the line; valid while @state is not GONE
 * @calls:	requests awaiting a reply, at most one per client handle,
 *		including abandoned ones (quarantined handles)
 * @tx_queue:	requests whose frame is not yet fully written
 * @next_client: client handle counter (protocol §2.8 items 2, 3)
 * @wq:		woken when a request finishes: a slot under the bound on
 *		requests in flight, or a client handle, may have become free
 * @closing:	a DETACH is closing the sessions: only clean-up requests
 *		(HSM_WAIT_UNKILLABLE) are admitted, none after @close_deadline
 * @close_deadline: jiffies; valid once @closing is set
 * @tx_work:	continues writing @tx_queue after a tty write wakeup
 * @rx:		SLIP receive state; used only from the ldisc receive path,
 *		which the tty layer serialises
 * @rx_buf:	decoded frame buffer for @rx
 * @state_mutex: serialises publishing /dev/hsmN (probe) against removing it
 *		(teardown); protects @published, @hwrng, @akcipher_up and
 *		@akcipher_login.
 *		Held across hwrng_register() and hwrng_unregister(), and
 *		across the crypto algorithms' (un)registration with their
 *		self-tests, so nothing a hwrng read or an akcipher request
 *		needs may take it
 * @published:	cdev and device were added
 * @hwrng:	the board's hwrng (hwrng.c) while it is registered, or NULL
 * @akcipher_up: the board counts for the shared registration of the
 *		ECDSA algorithms (akcipher.c)
 * @akcipher_login: the board counts for the shared registration of the
 *		RSA algorithms, its kernel session being logged in
 * @sessions_mutex: protects @sessions; taken before any session->lock
 * @sessions:	every open session (struct hsm_session.node), until its
 *		clean-up has finished
 * @ksession_rwsem: protects @ksession. Held for reading by an in-kernel
 *		user for its whole operation (hsm_ksession_get()), for
 *		writing only to set or clear @ksession, under @state_mutex;
 *		taken after @state_mutex, before any session->lock
 * @ksession:	the kernel session (ksession.c), shared by all in-kernel
 *		users, from READY until teardown; NULL outside that
 * @probe_work:	GET_VERSION handshake after the line discipline opened,
 *		then the publish
 * @probed:	completed when the probe (handshake, then publish) finished,
 *		either way
 * @handshake_done: set once the board has answered the handshake, before
 *		the publish; never cleared (WRITE_ONCE/READ_ONCE, no lock)
 * @probe_err:	result of the probe, valid once @probed completed
 * @owned_tty:	the tty if the driver opened it itself (netlink attach);
 *		whoever takes it with xchg() closes it, exactly once
 * @release_work: closes @owned_tty after a hangup, outside the tty's locks
 * @protocol_version: from the handshake
 * @tty_name:	copy of the tty's name, kept after the tty is gone
 * @board_id:	stable identity (uapi CRYPTECH_HSM_BOARD_ID_*), read at
 *		attach, printable ASCII, NUL-terminated; never changes
 * @board_id_kind: where @board_id came from, CRYPTECH_HSM_BOARD_ID_*
 * @stats:	counters reported over netlink
 * @proto_event_rs: rate limit of PROTO_ERROR events (netlink.c); its own
 *		lock
 */
struct hsm_board {
	struct device dev;
	struct cdev cdev;
	int index;

	spinlock_t lock;	/* the board's state lock; rules above */
	enum hsm_board_state state;
	bool killed;
	struct tty_struct *tty;
	struct list_head calls;
	struct list_head tx_queue;
	u32 next_client;
	bool closing;
	unsigned long close_deadline;
	wait_queue_head_t wq;
	struct work_struct tx_work;

	struct slip_decoder rx;
	u8 *rx_buf;

	struct mutex state_mutex;	/* publish vs. teardown */
	bool published;
	struct hsm_hwrng *hwrng;
	bool akcipher_up;
	bool akcipher_login;
	struct mutex sessions_mutex;	/* protects @sessions */
	struct list_head sessions;
	struct rw_semaphore ksession_rwsem;	/* protects @ksession */
	struct hsm_session *ksession;
	struct work_struct probe_work;
	struct completion probed;
	bool handshake_done;
	int probe_err;

	struct tty_struct *owned_tty;
	struct work_struct release_work;

	u32 protocol_version;
	char tty_name[64];
	char board_id[64];
	u32 board_id_kind;
	struct hsm_stats stats;
	struct ratelimit_state proto_event_rs;
};

/* At most this many PROTO_ERROR events per board per interval. */
#define HSM_PROTO_EVENT_BURST		10
#define HSM_PROTO_EVENT_INTERVAL	(5 * HZ)

/* board.c */
struct hsm_board *hsm_board_create(struct tty_struct *tty);
void hsm_board_kill(struct hsm_board *b);
void hsm_board_put(struct hsm_board *b);
struct hsm_board *hsm_board_get_by_index(u32 index);
struct hsm_board *hsm_board_get_next(unsigned long *index);
u32 hsm_board_alloc_client(struct hsm_board *b);
int hsm_board_publish(struct hsm_board *b);
int hsm_boards_init(void);
void hsm_boards_exit(void);

/* ldisc.c */
int hsm_ldisc_register(void);
void hsm_ldisc_unregister(void);
void hsm_line_kick_tx(struct hsm_board *b);
void hsm_line_tx_locked(struct hsm_board *b);
struct hsm_board *hsm_attach_tty(const char *path,
				 struct netlink_ext_ack *extack);
int hsm_detach(struct hsm_board *b);
void hsm_release_owned_tty(struct hsm_board *b);

/* rpc.c */

/**
 * struct hsm_call - one request and, once it arrived, its reply
 * @ref:	held by the caller and by each board list the call is on
 * @node:	entry in board->calls while awaiting the reply
 * @tx_node:	entry in board->tx_queue while its frame is being written
 * @client:	client handle, bytes 4-7 of request and reply
 * @opcode:	function number, checked against the reply's
 * @frame:	the SLIP-encoded request
 * @frame_len:	bytes in @frame
 * @tx_off:	bytes of @frame already written
 * @reply:	the decoded reply (kmalloc'd), NULL until it arrived
 * @reply_len:	bytes in @reply
 * @result:	0 once a reply arrived, else a negative errno
 * @finished:	@result is final
 * @abandoned:	the caller gave up (timeout, signal); the handle is in
 *		quarantine until the reply arrives or the board goes away
 * @timeout_ms:	the caller's timeout, for its operation class
 * @late_work:	queued (on hsm_wq) when an abandoned call finishes; armed
 *		and disarmed under board->lock
 * @done:	completed when @finished is set
 */
struct hsm_call {
	struct kref ref;
	struct list_head node;
	struct list_head tx_node;
	u32 client;
	u32 opcode;
	u8 *frame;
	size_t frame_len;
	size_t tx_off;
	u8 *reply;
	size_t reply_len;
	int result;
	bool finished;
	bool abandoned;
	unsigned int timeout_ms;
	struct delayed_work *late_work;
	struct completion done;
};

/**
 * struct hsm_abandoned - where hsm_rpc() leaves a request given up on
 * @call:	the request, referenced, until hsm_call_release()
 * @notify:	work to queue when its late reply lands (or the board goes)
 */
struct hsm_abandoned {
	struct hsm_call *call;
	struct delayed_work *notify;
};

/**
 * struct hsm_reply - a board reply handed to the caller
 * @status:	board status word (hal_error_t)
 * @data:	results after the 12-byte header (valid if @status is 0)
 * @len:	bytes at @data
 * @call:	owner of the buffer; release with hsm_reply_free()
 */
struct hsm_reply {
	u32 status;
	const u8 *data;
	size_t len;
	struct hsm_call *call;
};

enum hsm_wait {
	HSM_WAIT_KILLABLE,
	/* clean-up that must reach the board, even after its timeout */
	HSM_WAIT_UNKILLABLE,
};

int hsm_rpc(struct hsm_board *b, const u8 *req, size_t req_len,
	    unsigned int timeout_ms, enum hsm_wait wait, struct hsm_reply *reply,
	    struct hsm_abandoned *abandoned);
bool hsm_call_settled(struct hsm_board *b, struct hsm_call *c,
		      unsigned int timeout_ms, u32 *created);
u32 hsm_call_opcode(const struct hsm_call *c);
unsigned int hsm_call_timeout(const struct hsm_call *c);
void hsm_call_disarm(struct hsm_board *b, struct hsm_call *c);
void hsm_call_forget(struct hsm_board *b, struct hsm_call *c);
void hsm_call_release(struct hsm_call *c);
void hsm_reply_free(struct hsm_reply *reply);
void hsm_rpc_receive(struct hsm_board *b, const u8 *frame, size_t len);
void hsm_rpc_fail_all(struct hsm_board *b);
bool hsm_rpc_tx_locked(struct hsm_board *b, struct tty_struct *tty);
void hsm_rpc_set_client(u8 *req, u32 client);
int hsm_status_to_errno(u32 status);

/* session.c */

/**
 * struct hsm_key - one entry of a session's key table
 * @board_handle:	the board's pkey handle
 * @uuid:		the key's name, as the board reported it
 * @orphan:		no caller got this handle: the board opened the key
 *			but its reply did not parse, and closing the handle
 *			at once failed. Lookups do not find it; the session's
 *			clean-up closes it on the board.
 */
struct hsm_key {
	u32 board_handle;
	u8 uuid[HAL_UUID_LEN];
	bool orphan;
};

/**
 * struct hsm_session - one open file of /dev/hsmN
 * @board:		the board, referenced
 * @client:		this session's board client handle
 * @node:		entry in board->sessions (board->sessions_mutex)
 * @lock:		serialises the session's requests; protects @keys,
 *			@req, @used and @board_done, and writes of @user
 * @keys:		virtual key handle (from 1) -> struct hsm_key
 * @req:		request buffer, HAL_RPC_MAX_PKT_SIZE bytes
 * @used:		a request reached the board: clean-up is needed
 * @board_done:		the session's keys and login were given back on the
 *			board (clean-up or DETACH); it sends nothing more
 * @user:		HAL_USER_* of the session's last successful LOGIN,
 *			HAL_USER_NONE after a successful LOGOUT or once
 *			@board_done; read without the lock with READ_ONCE()
 * @abandoned:		a request the session gave up on (timeout, signal)
 *			whose reply has not been dealt with yet; while it is
 *			unanswered the client handle is quarantined
 * @settle_work:	deals with @abandoned as soon as its reply lands
 * @cleanup_work:	closes the keys and logs out after release
 */
struct hsm_session {
	struct hsm_board *board;
	u32 client;
	struct list_head node;
	struct mutex lock;	/* the session's lock; rules above */
	struct xarray keys;
	u8 *req;
	bool used;
	bool board_done;
	u32 user;
	struct hsm_abandoned abandoned;
	struct delayed_work settle_work;
	struct work_struct cleanup_work;
};

struct xdr_writer;

struct hsm_session *hsm_session_open(struct hsm_board *b);
void hsm_session_close(struct hsm_session *s);
void hsm_board_close_sessions(struct hsm_board *b);
void hsm_req_begin(struct hsm_session *s, struct xdr_writer *w, u32 opcode);
int hsm_session_call(struct hsm_session *s, struct xdr_writer *w,
		     unsigned int timeout_ms, struct hsm_reply *r,
		     u32 *board_status);
int hsm_reply_malformed(struct hsm_board *b);
int hsm_session_random(struct hsm_session *s, u8 *buf, u32 len,
		       u32 *board_status);

/*
 * Board operations of a session, on kernel buffers (session.c, keys.c).
 * The ioctl ABI (ioctl.c) is a thin layer over them that only copies
 * between userspace and kernel memory; in-kernel users call them directly.
 * Each takes the session's lock; *board_status is the board's status word.
 */
bool hsm_session_pin_valid(u32 user, u32 pin_len);
int hsm_session_login(struct hsm_session *s, u32 user, const u8 *pin,
		      u32 pin_len, u32 *board_status);
int hsm_session_set_pin(struct hsm_session *s, u32 user, const u8 *pin,
			u32 pin_len, u32 *board_status);
int hsm_session_logout(struct hsm_session *s, u32 *board_status);
int hsm_session_login_status(struct hsm_session *s, u32 *user,
			     u32 *board_status);
int hsm_key_generate(struct hsm_session *s, struct cryptech_hsm_generate *a);
int hsm_key_load(struct hsm_session *s, const u8 *der, u32 der_len, u32 flags,
		 u32 *handle, u8 *uuid, u32 *board_status);
int hsm_key_open(struct hsm_session *s, const u8 *uuid, u32 *handle,
		 u32 *board_status);
int hsm_key_close(struct hsm_session *s, u32 handle, u32 *board_status);
int hsm_key_delete(struct hsm_session *s, u32 handle, u32 *board_status);
int hsm_key_info(struct hsm_session *s, struct cryptech_hsm_key_info *a);
int hsm_key_public(struct hsm_session *s, u32 handle, u8 *der, u32 *der_len,
		   u32 *board_status);
int hsm_key_sign(struct hsm_session *s, u32 handle, const u8 *input,
		 u32 input_len, u8 *sig, u32 *sig_len, u32 *board_status);
int hsm_key_verify(struct hsm_session *s, u32 handle, const u8 *input,
		   u32 input_len, const u8 *sig, u32 sig_len, u32 *board_status);
bool hsm_key_attrs_valid(u32 len, u32 n, u32 min_n);
bool hsm_key_match_valid(const struct cryptech_hsm_match *a);
int hsm_key_match(struct hsm_session *s, struct cryptech_hsm_match *a,
		  const u8 *attrs, u8 *uuids);
int hsm_key_set_attrs(struct hsm_session *s, u32 handle, const u8 *attrs,
		      u32 attrs_len, u32 n_attrs, u32 *board_status);
bool hsm_key_get_attrs_valid(u32 flags, u32 n_types);
int hsm_key_get_attrs(struct hsm_session *s, u32 handle, const u32 *types,
		      u32 n_types, u32 flags, u8 *buf, u32 *buf_len,
		      u32 *board_status);
int hsm_key_export(struct hsm_session *s, u32 handle, u32 kekek_handle,
		   u8 *pkcs8, u32 *pkcs8_len, u8 *kek, u32 *kek_len,
		   u32 *board_status);
int hsm_key_import(struct hsm_session *s, u32 kekek_handle, const u8 *pkcs8,
		   u32 pkcs8_len, const u8 *kek, u32 kek_len, u32 flags,
		   u32 *handle, u8 *uuid, u32 *board_status);

/* ioctl.c: the ioctl ABI of /dev/hsmN */
long hsm_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

/* chardev.c; whether a board admits new files and requests */
static inline bool hsm_board_alive(struct hsm_board *b)
{
	return READ_ONCE(b->state) == HSM_BOARD_READY && !READ_ONCE(b->closing);
}

int hsm_chardev_init(void);
void hsm_chardev_exit(void);
int hsm_chardev_add(struct hsm_board *b);
void hsm_chardev_del(struct hsm_board *b);

/* hwrng.c */
void hsm_hwrng_add(struct hsm_board *b);
void hsm_hwrng_remove(struct hsm_board *b);

/* akcipher.c */
int hsm_akcipher_init(void);
void hsm_akcipher_exit(void);
void hsm_akcipher_board_up(struct hsm_board *b);
void hsm_akcipher_board_down(struct hsm_board *b);
void hsm_akcipher_login_changed(struct hsm_board *b);

/*
 * keyring.c: register and unregister the asymmetric key parser. Its keys
 * hold a module reference each and no board pointer; it has no locks of
 * its own (rules in keyring.c).
 */
int hsm_keyring_init(void);
void hsm_keyring_exit(void);

/* ksession.c */
void hsm_ksession_start(struct hsm_board *b);
void hsm_ksession_stop(struct hsm_board *b);
struct hsm_session *hsm_ksession_get(struct hsm_board *b, bool private_key);
void hsm_ksession_put(struct hsm_board *b);
u32 hsm_ksession_user(struct hsm_board *b);
int hsm_ksession_login(struct hsm_board *b, u32 user, const u8 *pin,
		       u32 pin_len, u32 *board_status);
int hsm_ksession_logout(struct hsm_board *b, u32 *board_status);

/* netlink.c */
int hsm_netlink_init(void);
void hsm_netlink_exit(void);
void hsm_netlink_event(struct hsm_board *b, enum cryptech_hsm_event event);

#endif /* CRYPTECH_HSM_H */
