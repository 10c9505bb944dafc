/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libhsm-pkcs11: the PKCS#11 v2.40 module over libhsm. Interfaces between
 * its files; one concern per file:
 *
 *   init.c      C_Initialize/C_Finalize, locking, fork, function lists
 *   slots.c     boards as slots and tokens, C_GetSlotList, token info
 *   session.c   PKCS#11 sessions, login, the pool of libhsm sessions
 *   objects.c   object handles, the attribute cache, C_GetAttributeValue
 *   find.c      C_FindObjects*
 *   sign.c      C_Sign*, C_Verify*, C_Digest*, C_GenerateRandom
 *   keygen.c    C_GenerateKeyPair and templates, C_DestroyObject
 *   mechs.c     mechanisms and their info
 *   slotevents.c C_WaitForSlotEvent
 *   group.c     redundancy groups: several boards as one token
 *   attrval.c   the board's attribute layout (protocol §7.8)
 *
 * Locking: one module lock (g.lock) guards the slot, session and object
 * tables; it is never held across a board request. Each slot's pool has
 * its own lock, also never held across a request. Board requests run on a
 * pool session taken with pool_get() and given back with pool_put().
 */
#ifndef P11_H
#define P11_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <p11-kit/pkcs11.h>

#include <hsm/groups.h>
#include <hsm/hsm.h>

#define P11_MANUFACTURER	"CrypTech Project"
#define P11_LIBRARY_DESC	"libhsm-pkcs11 (CrypTech HSM)"
#define P11_MODEL		"Alpha"
#define P11_LABEL_PREFIX	"cryptech-"

#define P11_MAX_SLOTS		16	/* boards a process can see */
#define P11_POOL_MAX		4	/* the board's RPC workers */
#define P11_POOL_DEFAULT	2
#define P11_KEY_HANDLES_PER_SESSION 48	/* well below 256 / P11_POOL_MAX */
#define P11_CACHE_TTL_MS_DEFAULT 5000

/* Vendor attributes of a group token's keys (Documentation/pkcs11.rst). */
#define CKA_CRYPTECH_REPLICAS		(CKA_VENDOR_DEFINED | 0x43540001UL)
#define CKA_CRYPTECH_FULLY_REPLICATED	(CKA_VENDOR_DEFINED | 0x43540002UL)

/* ---- init.c: locking and global state ---------------------------------- */

struct p11_mutex;

int p11_mutex_new(struct p11_mutex **m);
void p11_mutex_free(struct p11_mutex *m);
/* A forked child's copy of the parent's lock: release it unused. */
void p11_mutex_forget(struct p11_mutex *m);
void p11_lock(struct p11_mutex *m);
void p11_unlock(struct p11_mutex *m);

struct p11_config {
	unsigned pool_size;		/* HSM_PKCS11_POOL, 1..4 */
	unsigned cache_ttl_ms;		/* HSM_PKCS11_CACHE_TTL_MS */
	const char *devices;		/* HSM_PKCS11_DEVICES (test seam) */
};

struct p11_slot;
struct p11_session;
struct p11_object;

struct p11_global {
	bool initialized;
	pid_t pid;			/* of the process that initialised */
	struct p11_mutex *lock;
	struct p11_config cfg;
	struct p11_slot *slots[P11_MAX_SLOTS];	/* index = slot ID */
	struct p11_session **sessions;	/* index + 1 = session handle */
	size_t n_sessions;
	struct p11_object **objects;	/* index + 1 = object handle */
	size_t n_objects;
	/* slotevents.c: C_WaitForSlotEvent */
	struct hsm_events *events;	/* NULL until first used */
	int wake[2];			/* C_Finalize wakes waiters */
	unsigned waiters;		/* calls blocked in C_WaitForSlotEvent */
	/* group.c: the groups file as read at C_Initialize */
	struct hsm_group *groups;
	size_t n_groups;
	bool groups_change_logged;	/* "restart to apply" said once */
	uint64_t groups_refreshed_ms;	/* last board re-read for a group */
};

extern struct p11_global g;

/* CKR_OK when the module may be used by this process now. */
CK_RV p11_ready(void);

/* Monotonic milliseconds. */
uint64_t p11_now_ms(void);

/* Wipe secrets: never optimised away. */
void p11_wipe(void *p, size_t n);

/* ---- slots.c ------------------------------------------------------------ */

struct pool_session {
	struct hsm_session *s;
	unsigned users;			/* threads using it now */
	bool logged_in;
	/* key handles this session has open, by UUID (LRU by last use) */
	bool opening;			/* being opened and logged in */
	bool doomed;			/* logged out while in use: close at put */
	/* a session-object holder (not in the pool): see vol_get() */
	bool vol;
	bool vol_orphan;		/* its PKCS#11 session is gone: free at put */
	struct {
		uint8_t uuid[HSM_UUID_LEN];
		uint32_t handle;
		unsigned users;
		uint64_t used;
		bool stale;		/* forgotten while in use: close at put */
		bool deleted;		/* the kernel freed it: never close */
	} keys[P11_KEY_HANDLES_PER_SESSION];
	unsigned n_keys;
};

struct p11_slot {
	CK_SLOT_ID id;
	bool present;			/* the board is attached now */
	bool unplug_seen;		/* a request saw -ENODEV */
	unsigned gen;			/* changes at every unplug and attach */
	char dev[64];			/* "/dev/hsmN" or a test seam path */
	char board_id[64];		/* stable identity, "" if the kernel has none */
	char label[33];			/* token label, NUL-terminated */
	char serial[17];
	uint32_t protocol_version;
	/* login state, shared by every session of the slot */
	CK_USER_TYPE user;		/* CKU_USER / CKU_SO, or (CK_ULONG)-1 */
	unsigned char *pin;		/* mlock()ed copy while logged in */
	size_t pin_len;
	struct p11_mutex *login_lock;	/* serialises C_Login/C_Logout */
	/* the pool */
	struct p11_mutex *pool_lock;
	bool pool_full;			/* the board had no login slot left */
	struct pool_session pool[P11_POOL_MAX];	/* .s NULL: unused */
	uint64_t keys_clock;
	unsigned open_sessions, open_rw_sessions;
	/* groups (group.c) */
	bool is_group;			/* a group token: its boards serve it */
	const struct hsm_group *conf;	/* is_group: its configuration */
	struct p11_slot *group;		/* a board of a group: that group's
					 * slot (the board has no slot of its
					 * own in the slot list) */
	unsigned inflight;		/* board of a group: requests running
					 * now from this process (g.lock) */
	unsigned long served;		/* and sent so far: the tie-break */
	unsigned refused_gen;		/* gen + 1 when it refused the
					 * group's PIN: not asked again */
};

/* Re-read the attached boards into g.slots. Caller holds g.lock. */
CK_RV slots_refresh(void);

/* The slot @id if it is present; CKR_SLOT_ID_INVALID, TOKEN_NOT_PRESENT. */
CK_RV slot_get(CK_SLOT_ID id, struct p11_slot **out);

/* Forget a slot's board after an unplug (-ENODEV). Caller holds g.lock. */
void slot_unplugged(struct p11_slot *slot);

/* Free every slot; @inherited: after fork, only close the descriptors. */
void slots_free_all(bool inherited);

/* Token label and serial from the board identity (Documentation/pkcs11.rst). */
void p11_token_label(const char *board_id, const char *dev_name,
		     char label[33]);
void p11_token_serial(const char *board_id, const char *dev_name,
		      char serial[17]);

/* Blank-padded copy into a fixed PKCS#11 text field. */
void p11_pad(CK_UTF8CHAR *dst, size_t len, const char *src);

/* ---- slotevents.c ------------------------------------------------------- */

/* Stop the board events: wake and wait out blocked C_WaitForSlotEvent
 * calls (not in a forked child: it has none), then close. */
void slot_events_stop(bool inherited);

/* ---- session.c: sessions and the pool ---------------------------------- */

struct p11_op {
	int kind;			/* OP_NONE, OP_FIND, ... */
	CK_MECHANISM_TYPE mech;
	CK_OBJECT_HANDLE key;
	void *md_ctx;			/* EVP_MD_CTX * for hashed mechanisms */
	unsigned char *data;		/* raw mechanisms: data collected */
	size_t data_len;
	bool multi;			/* C_*Update was called */
	CK_OBJECT_HANDLE *found;	/* OP_FIND results */
	size_t n_found, found_pos;
};

enum { OP_NONE, OP_FIND, OP_SIGN, OP_VERIFY, OP_DIGEST };

struct p11_session {
	CK_SLOT_ID slot;
	unsigned slot_gen;		/* the slot's gen when opened */
	CK_FLAGS flags;
	unsigned refs;			/* calls running on it, +1 while open */
	bool closed;
	struct p11_op find, sign, verify, digest;
	/* the libhsm session holding the session objects this session made */
	struct pool_session *vol;
};

/*
 * Look up a session handle and mark it busy (so that C_CloseSession
 * cannot free it under us). Returns with g.lock NOT held.
 */
CK_RV session_get(CK_SESSION_HANDLE h, struct p11_session **out,
		  struct p11_slot **slot);
void session_put(struct p11_session *s);
void session_free_ops(struct p11_session *s);

/*
 * A logged-in libhsm session of @slot, shared with other threads (the
 * kernel runs one request at a time per session): the least used one,
 * growing the pool while every session is busy. CKR_USER_NOT_LOGGED_IN
 * before C_Login.
 */
CK_RV pool_get(struct p11_slot *slot, struct pool_session **out);
void pool_put(struct p11_slot *slot, struct pool_session *ps);

/*
 * A request on @ps failed with @err: after a timeout the kernel answers
 * -EBUSY on that session until the late reply arrives, so it leaves the
 * pool (closed by its last user) and later requests go to a fresh one.
 */
void pool_request_failed(struct p11_slot *slot, struct pool_session *ps,
			 int err);

/*
 * This pool session's handle for key @uuid, opening it on first use
 * (LRU, at most P11_KEY_HANDLES_PER_SESSION). Release with pool_key_put().
 */
CK_RV pool_key_get(struct p11_slot *slot, struct pool_session *ps,
		   const uint8_t uuid[HSM_UUID_LEN], uint32_t *handle);
void pool_key_put(struct p11_slot *slot, struct pool_session *ps,
		  uint32_t handle);
/* Drop the handle of a key that is gone (deleted, by us or others). */
void pool_key_forget(struct p11_slot *slot, const uint8_t uuid[HSM_UUID_LEN]);
/*
 * @handle of @ps was used to delete its key, which freed the handle in the
 * kernel: forget it without closing it (its number may be reused at once),
 * and drop the key's handles in the other pool sessions.
 */
void pool_key_deleted(struct p11_slot *slot, struct pool_session *ps,
		      uint32_t handle, const uint8_t uuid[HSM_UUID_LEN]);

/*
 * Session objects (CKA_TOKEN false). The board keeps a volatile key for
 * the client that made it only, and deletes it when that client logs out
 * (protocol §7.4). So the first session object a PKCS#11 session makes
 * gets that session a libhsm session of its own, logged in with the
 * stored PIN (one more board login), its "holder": the keys are made on
 * it and every request about them runs on it, from any PKCS#11 session of
 * the process. Closing the PKCS#11 session (or C_Logout, an unplug,
 * C_Finalize) closes the holder, and the kernel's LOGOUT deletes the keys.
 *
 * vol_get(): the holder of @s, opened on first use, taken like pool_get().
 * Give it back with pool_put().
 */
CK_RV vol_get(struct p11_slot *slot, struct p11_session *s,
	      struct pool_session **out);
/* Detach and close @s's holder; its objects are gone. Caller holds g.lock. */
void vol_release(struct p11_slot *slot, struct p11_session *s);

/* Close every pool session; @inherited: close(2) only (after fork). */
void pool_close_all(struct p11_slot *slot, bool inherited);

/* Log out a slot (wipe the PIN, close the pool). Caller holds g.lock. */
void slot_logout(struct p11_slot *slot);

/*
 * Log @slot (a board) in as @user with @pin: one board session first, the
 * PIN kept for the pool. Caller holds slot->login_lock and checked that
 * nobody is logged in.
 */
CK_RV slot_board_login(struct p11_slot *slot, CK_USER_TYPE user,
		       const unsigned char *pin, size_t pin_len);

/* Map a libhsm failure to a CKR_*; -ENODEV also marks the slot unplugged. */
CK_RV p11_rv(struct p11_slot *slot, int err, uint32_t board_status);
/* The same for a failed hsm_open(): -EACCES is no wrong PIN there, but a
 * process that may not open the board (logged, CKR_DEVICE_ERROR). */
CK_RV p11_open_rv(struct p11_slot *slot, int err);

/* ---- objects.c ---------------------------------------------------------- */

/*
 * An object: a board key, or the public half of a board private key that
 * has no public-key object of its own (made by hsmctl or restored from a
 * backup). Handles are stable for the life of the process.
 */
struct p11_object {
	CK_SLOT_ID slot;
	uint8_t uuid[HSM_UUID_LEN];
	bool synth_public;		/* the public half of a private key */
	struct p11_object *priv;	/* synth_public: that private key, whose
					 * cache this object reads */
	bool gone;			/* deleted: handle invalid */
	struct pool_session *vol;	/* a session object: its holder */
	/* a group token's object (group.c): one per public key and class,
	 * its copies the boards' objects; attributes come from a copy */
	bool is_group;
	struct {
		CK_SLOT_ID slot;	/* the board's (hidden) slot */
		CK_OBJECT_HANDLE h;	/* the board's object */
		unsigned epoch;		/* search that last saw it */
	} copies[HSM_GROUP_MAX_BOARDS];
	unsigned n_copies;
	unsigned replicas;		/* attached boards holding it */
	/* the cache: filled by obj_refresh() */
	uint64_t loaded_ms;		/* 0: never */
	uint32_t type, curve, flags;
	struct hsm_attr *attrs;		/* P11_STORED_N entries */
	unsigned char *spki;
	size_t spki_len;
	size_t sig_len;			/* signature size, 0 if none */
};

/* The handle of (slot, uuid, synth), creating it. Caller holds g.lock. */
CK_OBJECT_HANDLE obj_handle(CK_SLOT_ID slot, const uint8_t uuid[16],
			    bool synth_public);

/* The object of handle @h of @slot, or NULL. Caller holds g.lock. */
struct p11_object *obj_lookup(CK_SLOT_ID slot, CK_OBJECT_HANDLE h);

/*
 * The object whose cache answers for @o: @o, or for the public half of a
 * private key a copy of the private key's entry marked synth_public.
 */
const struct p11_object *obj_view(const struct p11_object *o,
				  struct p11_object *tmp);

/*
 * Make sure the cache of @o is loaded and younger than the TTL (or
 * @force), reading the board on @ps. Caller does not hold g.lock.
 */
CK_RV obj_refresh(struct p11_slot *slot, struct pool_session *ps,
		  CK_OBJECT_HANDLE h, bool force);

/*
 * The libhsm session to use for object @h: its holder for a session object
 * (CKR_OBJECT_HANDLE_INVALID once that is closed), else pool_get()'s.
 * Give it back with pool_put().
 */
CK_RV obj_pool_get(struct p11_slot *slot, CK_OBJECT_HANDLE h,
		   struct pool_session **out);

/* The holder of a session object, or NULL. Caller holds g.lock. */
struct pool_session *obj_vol(const struct p11_object *o);

/* Mark every object held by @vol gone. Caller holds g.lock. */
void obj_gone_vol(struct pool_session *vol);

/* Mark every object of @uuid gone. Caller holds g.lock. */
void obj_gone(CK_SLOT_ID slot, const uint8_t uuid[16]);

/*
 * One attribute of a loaded object into @t (the C_GetAttributeValue
 * rules). Caller holds g.lock.
 */
CK_RV obj_attribute(const struct p11_object *o, CK_ATTRIBUTE *t);

/* @len bytes of @val into @t by the C_GetAttributeValue rules (a NULL
 * pValue asks the length; too small a buffer: CKR_BUFFER_TOO_SMALL). */
CK_RV p11_put_value(CK_ATTRIBUTE *t, const void *val, size_t len);

/* Whether a loaded object matches every entry of @tmpl. Holds g.lock. */
bool obj_matches(const struct p11_object *o, const CK_ATTRIBUTE *tmpl,
		 CK_ULONG n);

/*
 * CKA_MODULUS, CKA_PUBLIC_EXPONENT or CKA_EC_POINT (DER OCTET STRING) of a
 * SubjectPublicKeyInfo into @out of @room bytes; the length, 0 on failure.
 */
size_t p11_spki_part(const unsigned char *spki, size_t spki_len,
		     CK_ATTRIBUTE_TYPE t, unsigned char *out, size_t room);

/* CKO_* and CKK_* of a loaded object. */
CK_OBJECT_CLASS obj_class(const struct p11_object *o);
CK_KEY_TYPE obj_key_type(const struct p11_object *o);
/* The board key that does the work: the object itself, or its private key. */
bool obj_is_private(const struct p11_object *o);

/* Free all objects. Caller holds g.lock or is single-threaded. */
void objects_free_all(void);

/* ---- find.c ------------------------------------------------------------- */

/*
 * The objects of board slot @slot matching @t (C_FindObjectsInit's
 * search): a malloc()ed array in *@out. Nothing before login.
 */
CK_RV find_on_board(struct p11_slot *slot, const CK_ATTRIBUTE *t, CK_ULONG n,
		    CK_OBJECT_HANDLE **out, size_t *n_out);

/* ---- group.c ------------------------------------------------------------ */

/* Read the groups file into g.groups at C_Initialize; on an error, say
 * FILE:LINE and the fix on stderr and syslog, CKR_GENERAL_ERROR. */
CK_RV groups_init(void);
/* At every slots_refresh(): the group slots exist, a changed file is
 * reported (once) and not applied. Caller holds g.lock. */
CK_RV groups_refresh(void);
/* A group is present while one of its boards is. Caller holds g.lock. */
void groups_update_presence(void);
void groups_free(void);
/* The group token's serial number: "grp-" and 12 hex digits of SHA-256
 * of the group's name. */
void group_token_serial(const char *name, char serial[17]);

/* C_Login / logout of a group token: every attached board. */
CK_RV group_login(struct p11_slot *grp, CK_USER_TYPE user,
		  const unsigned char *pin, size_t pin_len);
/* Caller holds g.lock. */
void group_logout_boards(struct p11_slot *grp);

/* C_FindObjectsInit on a group token: the matching group objects. */
CK_RV group_find(struct p11_slot *grp, const CK_ATTRIBUTE *t, CK_ULONG n,
		 CK_OBJECT_HANDLE **out, size_t *n_out);

/*
 * The boards that can serve group object @h now (attached, logged in,
 * holding it), the least busy first: up to HSM_GROUP_MAX_BOARDS (slot,
 * board object handle) pairs. Logs rejoining boards in first.
 */
struct group_copy {
	struct p11_slot *slot;
	CK_OBJECT_HANDLE h;
};
size_t group_copies(struct p11_slot *grp, CK_OBJECT_HANDLE h,
		    struct group_copy *out);

/* A request of this process starts / ended on board @m (g.lock not held). */
void group_request_start(struct p11_slot *m);
void group_request_end(struct p11_slot *m);

/* The attached, logged-in boards of @grp (rejoining ones logged in first). */
size_t group_serving_boards(struct p11_slot *grp, struct p11_slot **out);
/* Every board of @grp's file attached and logged in; else the first
 * missing one's identity in @missing. */
bool group_all_serving(struct p11_slot *grp, char *missing, size_t len);

/* The group object of board object @mh of board @m (loaded), its copy
 * recorded; CK_INVALID_HANDLE if it has no public key. Holds g.lock. */
CK_OBJECT_HANDLE group_adopt(struct p11_slot *grp, struct p11_slot *m,
			     CK_OBJECT_HANDLE mh);

/* An attached board of @grp, logged in if the group is, or NULL. */
struct p11_slot *group_any_board(struct p11_slot *grp);

/* The group attribute rules: vendor attributes here, the rest from a copy.
 * Caller holds g.lock. */
CK_RV group_obj_attribute(const struct p11_object *o, CK_ATTRIBUTE *t);
bool group_obj_matches(const struct p11_object *o, const CK_ATTRIBUTE *tmpl,
		       CK_ULONG n);

/* Refuse what a group token cannot do yet, with a stderr line saying so. */
CK_RV group_unsupported(const char *what);

/* ---- attrval.c: the board attribute layout (§7.8) ----------------------- */

/* The attribute types read into the cache, in this order. */
extern const uint32_t p11_stored_types[];
extern const size_t P11_STORED_N;

/* Index of @type in p11_stored_types, or -1. */
int p11_stored_index(CK_ATTRIBUTE_TYPE type);

/* The board's encoding of CK_ULONG (8 bytes LE) and CK_BBOOL (1 byte). */
void p11_put_ulong(unsigned char out[8], CK_ULONG v);
bool p11_get_ulong(const void *p, size_t len, CK_ULONG *v);

/*
 * An application's attribute value in the board's encoding (CK_ULONG
 * typed attributes become 8 LE bytes). @out must have room for
 * max(len, 8). Returns the encoded length, or -1 if malformed.
 */
long p11_encode_value(CK_ATTRIBUTE_TYPE type, const void *value, CK_ULONG len,
		      unsigned char *out);

/* Whether @type holds a CK_ULONG / CK_BBOOL. */
bool p11_is_ulong_attr(CK_ATTRIBUTE_TYPE type);
bool p11_is_bool_attr(CK_ATTRIBUTE_TYPE type);

/* ---- mechs.c ------------------------------------------------------------ */

struct p11_mech {
	CK_MECHANISM_TYPE type;
	CK_ULONG min_bits, max_bits;
	CK_FLAGS flags;
	int key_kind;			/* CKK_RSA, CKK_EC, or -1 (digest) */
	int md;				/* digest: 0 none, 1, 256, 384, 512 */
};

const struct p11_mech *mech_find(CK_MECHANISM_TYPE type);
extern const struct p11_mech p11_mechs[];
extern const size_t p11_n_mechs;

/* ---- the ASN.1 the module needs (in attrval.c) -------------------------- */

/* The curve of a DER OID (CKA_EC_PARAMS), HSM_CURVE_*, or 0. */
uint32_t p11_curve_from_params(const void *der, size_t len);
/* The DER OID of @curve and its length; NULL for unknown curves. */
const unsigned char *p11_curve_params(uint32_t curve, size_t *len);

#endif /* P11_H */
