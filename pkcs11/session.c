// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * PKCS#11 sessions, login, and the pool of libhsm sessions behind them.
 *
 * PKCS#11 login is per application, the board's is per libhsm session
 * (one of the board's 10 login slots each). So a slot keeps a small pool
 * (HSM_PKCS11_POOL, default 2, at most the board's 4 workers) of logged-in
 * libhsm sessions that every PKCS#11 session of the process shares: a
 * request takes the least used one, and the pool grows while all are busy.
 * Several threads may share one libhsm session; the kernel runs their
 * requests in turn. No lock is held across a board request.
 *
 * The PIN is kept, mlock()ed, from C_Login to C_Logout so that the pool can
 * grow (and a key be generated on a session of its own) later; it is wiped
 * with explicit_bzero() at logout, finalize, unplug and in a forked child's
 * C_Initialize. It is never logged.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <syslog.h>

#include "p11.h"

CK_RV p11_rv(struct p11_slot *slot, int err, uint32_t st)
{
	switch (err) {
	case 0:
		return CKR_OK;
	case -ENODEV:
		if (slot)
			slot->unplug_seen = true;
		return CKR_DEVICE_REMOVED;
	case -ENOMEM:
		return CKR_HOST_MEMORY;
	case -EACCES:
		return CKR_PIN_INCORRECT;
	case -EUSERS:
		syslog(LOG_WARNING, "libhsm-pkcs11: the board has no free login slot (it has 10 for all its clients)");
		return CKR_DEVICE_MEMORY;
	case -ENOKEY:
		syslog(LOG_ERR, "libhsm-pkcs11: the board has no master key; set one on its console");
		return CKR_DEVICE_ERROR;
	case -ENOSPC:
		return st ? CKR_DEVICE_MEMORY : CKR_BUFFER_TOO_SMALL;
	case -EOVERFLOW:
		return CKR_DATA_LEN_RANGE;
	case -EPERM:
		return CKR_KEY_FUNCTION_NOT_PERMITTED;
	case -ENOENT:
		return CKR_OBJECT_HANDLE_INVALID;
	case -EMFILE:
		return CKR_DEVICE_MEMORY;
	default:
		return CKR_DEVICE_ERROR;
	}
}

CK_RV p11_open_rv(struct p11_slot *slot, int err)
{
	if (err == -EACCES || err == -EPERM) {
		/* Not a wrong PIN: a daemon that dropped its privileges and
		 * may not open the board any more. */
		syslog(LOG_ERR, "libhsm-pkcs11: cannot open %s: %s; the process's user must be in group hsm to open board sessions after dropping privileges",
		       slot->dev, strerror(-err));
		return CKR_DEVICE_ERROR;
	}
	return p11_rv(slot, err, 0);
}

/* ---- sessions ---------------------------------------------------------- */

void session_free_ops(struct p11_session *s)
{
	extern void sign_op_clear(struct p11_op *op);

	free(s->find.found);
	s->find.found = NULL;
	sign_op_clear(&s->sign);
	sign_op_clear(&s->verify);
	sign_op_clear(&s->digest);
	s->find.kind = OP_NONE;
}

CK_RV session_get(CK_SESSION_HANDLE h, struct p11_session **out,
		  struct p11_slot **slot)
{
	struct p11_session *s;
	struct p11_slot *sl;
	CK_RV rv = p11_ready();

	if (rv != CKR_OK)
		return rv;
	p11_lock(g.lock);
	if (h == 0 || h > g.n_sessions || !(s = g.sessions[h - 1]) ||
	    s->closed) {
		p11_unlock(g.lock);
		return CKR_SESSION_HANDLE_INVALID;
	}
	sl = g.slots[s->slot];
	if (sl->unplug_seen)
		slot_unplugged(sl);
	/* A group's sessions outlive its boards (group.c). */
	if (!sl->is_group && (!sl->present || sl->gen != s->slot_gen)) {
		p11_unlock(g.lock);
		return CKR_DEVICE_REMOVED;
	}
	s->refs++;
	p11_unlock(g.lock);
	*out = s;
	if (slot)
		*slot = sl;
	return CKR_OK;
}

/* Caller holds g.lock. */
static void session_unref(struct p11_session *s)
{
	if (--s->refs == 0) {
		session_free_ops(s);
		free(s);
	}
}

void session_put(struct p11_session *s)
{
	p11_lock(g.lock);
	session_unref(s);
	p11_unlock(g.lock);
}

CK_RV C_OpenSession(CK_SLOT_ID slotID, CK_FLAGS flags, CK_VOID_PTR pApplication,
		    CK_NOTIFY Notify, CK_SESSION_HANDLE_PTR phSession)
{
	struct p11_session *s, **grown;
	struct p11_slot *slot;
	CK_RV rv = p11_ready();
	size_t i;

	(void)pApplication;
	(void)Notify;
	if (rv != CKR_OK)
		return rv;
	if (!phSession)
		return CKR_ARGUMENTS_BAD;
	if (!(flags & CKF_SERIAL_SESSION))
		return CKR_SESSION_PARALLEL_NOT_SUPPORTED;
	p11_lock(g.lock);
	rv = slot_get(slotID, &slot);
	if (rv != CKR_OK)
		goto out;
	if (slot->user == CKU_SO && !(flags & CKF_RW_SESSION)) {
		rv = CKR_SESSION_READ_WRITE_SO_EXISTS;
		goto out;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	s->slot = slotID;
	s->slot_gen = slot->gen;
	s->flags = flags & (CKF_SERIAL_SESSION | CKF_RW_SESSION);
	s->refs = 1;
	for (i = 0; i < g.n_sessions && g.sessions[i]; i++)
		;
	if (i == g.n_sessions) {
		grown = realloc(g.sessions, (g.n_sessions + 16) * sizeof(*grown));
		if (!grown) {
			free(s);
			rv = CKR_HOST_MEMORY;
			goto out;
		}
		memset(grown + g.n_sessions, 0, 16 * sizeof(*grown));
		g.sessions = grown;
		g.n_sessions += 16;
	}
	g.sessions[i] = s;
	slot->open_sessions++;
	if (flags & CKF_RW_SESSION)
		slot->open_rw_sessions++;
	*phSession = i + 1;
out:
	p11_unlock(g.lock);
	return rv;
}

/* Caller holds g.lock; @i is a live session's index. */
static void close_session(size_t i)
{
	struct p11_session *s = g.sessions[i];
	struct p11_slot *slot = g.slots[s->slot];

	g.sessions[i] = NULL;
	s->closed = true;
	if (slot->open_sessions)
		slot->open_sessions--;
	if (s->flags & CKF_RW_SESSION && slot->open_rw_sessions)
		slot->open_rw_sessions--;
	/* Its session objects go with it. */
	vol_release(slot, s);
	/* PKCS#11: closing the last session logs the application out. */
	if (slot->open_sessions == 0)
		slot_logout(slot);
	session_unref(s);
}

CK_RV C_CloseSession(CK_SESSION_HANDLE hSession)
{
	CK_RV rv = p11_ready();

	if (rv != CKR_OK)
		return rv;
	p11_lock(g.lock);
	if (hSession == 0 || hSession > g.n_sessions ||
	    !g.sessions[hSession - 1])
		rv = CKR_SESSION_HANDLE_INVALID;
	else
		close_session(hSession - 1);
	p11_unlock(g.lock);
	return rv;
}

CK_RV C_CloseAllSessions(CK_SLOT_ID slotID)
{
	CK_RV rv = p11_ready();
	size_t i;

	if (rv != CKR_OK)
		return rv;
	p11_lock(g.lock);
	if (slotID >= P11_MAX_SLOTS || !g.slots[slotID] ||
	    g.slots[slotID]->group) {
		rv = CKR_SLOT_ID_INVALID;
	} else {
		for (i = 0; i < g.n_sessions; i++)
			if (g.sessions[i] && g.sessions[i]->slot == slotID)
				close_session(i);
	}
	p11_unlock(g.lock);
	return rv;
}

CK_RV C_GetSessionInfo(CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR pInfo)
{
	struct p11_session *s;
	struct p11_slot *slot;
	CK_RV rv;
	bool rw;

	if (!pInfo)
		return p11_ready() != CKR_OK ? p11_ready() : CKR_ARGUMENTS_BAD;
	rv = session_get(hSession, &s, &slot);
	if (rv != CKR_OK)
		return rv;
	rw = s->flags & CKF_RW_SESSION;
	memset(pInfo, 0, sizeof(*pInfo));
	pInfo->slotID = s->slot;
	pInfo->flags = s->flags;
	if (slot->user == CKU_USER)
		pInfo->state = rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
	else if (slot->user == CKU_SO)
		pInfo->state = CKS_RW_SO_FUNCTIONS;
	else
		pInfo->state = rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
	session_put(s);
	return CKR_OK;
}

/* ---- the pool ------------------------------------------------------------ */

static uint32_t board_user(CK_USER_TYPE u)
{
	return u == CKU_SO ? HSM_USER_SO : HSM_USER_NORMAL;
}

static void pool_session_close(struct pool_session *ps)
{
	/* close(2) is all: the kernel logs the session out and closes its
	 * keys. After fork() this is also all a child may do. */
	hsm_close(ps->s);
	memset(ps, 0, sizeof(*ps));
}

void pool_close_all(struct p11_slot *slot, bool inherited)
{
	size_t i;

	if (!inherited)
		p11_lock(slot->pool_lock);
	for (i = 0; i < P11_POOL_MAX; i++) {
		struct pool_session *ps = &slot->pool[i];

		if (!ps->s)
			continue;
		if (!inherited && (ps->users || ps->opening))
			ps->doomed = true;	/* closed by its last user */
		else
			pool_session_close(ps);
	}
	slot->pool_full = false;
	if (!inherited)
		p11_unlock(slot->pool_lock);
}

/*
 * Open and log in one libhsm session with the stored PIN (no lock held).
 * @open_failed: whether it was the open(2) that failed (after a daemon
 * dropped its privileges: -EACCES, which a LOGIN means a wrong PIN).
 */
static int pool_open_one(struct p11_slot *slot, const unsigned char *pin,
			 size_t pin_len, CK_USER_TYPE user,
			 struct hsm_session **out, uint32_t *st,
			 bool *open_failed)
{
	struct hsm_session *s;
	int ret;

	ret = hsm_open(slot->dev, &s);
	*open_failed = ret != 0;
	if (ret)
		return ret;
	ret = hsm_login(s, board_user(user), pin, pin_len, st);
	if (ret) {
		hsm_close(s);
		return ret;
	}
	*out = s;
	return 0;
}

CK_RV pool_get(struct p11_slot *slot, struct pool_session **out)
{
	struct pool_session *best = NULL, *spare = NULL;
	unsigned char *pin = NULL;
	struct hsm_session *s;
	CK_USER_TYPE user;
	size_t i, live = 0, pin_len = 0;
	uint32_t st = 0;
	bool open_failed;
	int ret;

	if (slot->is_group)
		return CKR_GENERAL_ERROR;	/* its boards have the pools */
	p11_lock(slot->pool_lock);
	user = slot->user;
	if (user != CKU_USER && user != CKU_SO) {
		p11_unlock(slot->pool_lock);
		return CKR_USER_NOT_LOGGED_IN;
	}
	for (i = 0; i < P11_POOL_MAX; i++) {
		struct pool_session *ps = &slot->pool[i];

		if (!ps->s && !ps->opening) {
			if (!spare)
				spare = ps;
			continue;
		}
		if (ps->opening) {
			live++;		/* counts against the pool size */
			continue;
		}
		if (ps->doomed)
			continue;
		live++;
		if (!best || ps->users < best->users)
			best = ps;
	}
	/* Grow while every session is busy, up to the configured size. */
	if ((!best || best->users > 0) && spare && !slot->pool_full &&
	    live < g.cfg.pool_size && slot->pin) {
		pin = malloc(slot->pin_len);
		if (pin) {
			memcpy(pin, slot->pin, slot->pin_len);
			pin_len = slot->pin_len;
			spare->opening = true;
		}
	}
	if (!pin) {
		if (best)
			best->users++;
		p11_unlock(slot->pool_lock);
		if (!best)
			return CKR_USER_NOT_LOGGED_IN;
		*out = best;
		return CKR_OK;
	}
	p11_unlock(slot->pool_lock);

	ret = pool_open_one(slot, pin, pin_len, user, &s, &st, &open_failed);
	p11_wipe(pin, pin_len);
	free(pin);

	p11_lock(slot->pool_lock);
	spare->opening = false;
	if (ret == 0 && slot->user == user && !spare->doomed) {
		spare->s = s;
		spare->logged_in = true;
		spare->users = 1;
		p11_unlock(slot->pool_lock);
		*out = spare;
		return CKR_OK;
	}
	spare->doomed = false;
	if (ret == 0)
		hsm_close(s);	/* logged out meanwhile */
	/* Share what we have: the board has no login slot left, or the
	 * process dropped the privileges it opened the board with. */
	if (ret == -EUSERS || open_failed)
		slot->pool_full = true;
	if (best && !best->doomed && best->s) {
		best->users++;
		p11_unlock(slot->pool_lock);
		*out = best;
		return CKR_OK;
	}
	p11_unlock(slot->pool_lock);
	if (open_failed)
		return p11_open_rv(slot, ret);
	return ret ? p11_rv(slot, ret, st) : CKR_USER_NOT_LOGGED_IN;
}

void pool_request_failed(struct p11_slot *slot, struct pool_session *ps,
			 int err)
{
	if (err != -ETIMEDOUT && err != -EBUSY)
		return;
	p11_lock(slot->pool_lock);
	ps->doomed = true;
	p11_unlock(slot->pool_lock);
}

/* Caller holds pool_lock. */
static void key_close_locked(struct pool_session *ps, size_t k,
			     uint32_t *to_close)
{
	*to_close = ps->keys[k].handle;
	ps->keys[k] = ps->keys[--ps->n_keys];
	memset(&ps->keys[ps->n_keys], 0, sizeof(ps->keys[0]));
}

void pool_put(struct p11_slot *slot, struct pool_session *ps)
{
	bool free_it = false;

	p11_lock(slot->pool_lock);
	if (ps->users)
		ps->users--;
	if (ps->doomed && ps->users == 0) {
		if (!ps->vol) {
			pool_session_close(ps);
		} else {
			/* A holder: closing it deletes its keys. */
			hsm_close(ps->s);
			ps->s = NULL;
			free_it = ps->vol_orphan;
		}
	}
	p11_unlock(slot->pool_lock);
	if (free_it)
		free(ps);
}

/* ---- session objects ------------------------------------------------------ */

CK_RV vol_get(struct p11_slot *slot, struct p11_session *s,
	      struct pool_session **out)
{
	struct pool_session *v = NULL;
	struct hsm_session *hs = NULL;
	unsigned char *pin = NULL;
	size_t pin_len = 0;
	uint32_t st = 0;
	CK_RV rv = CKR_OK;
	bool open_failed;
	int ret;

	for (;;) {
		p11_lock(g.lock);
		if (s->closed) {
			rv = CKR_SESSION_HANDLE_INVALID;
		} else if (s->vol) {
			p11_lock(slot->pool_lock);
			if (s->vol->s && !s->vol->doomed) {
				s->vol->users++;
				*out = s->vol;
			} else {
				/* timed out: its keys are gone; no new one */
				rv = CKR_DEVICE_ERROR;
			}
			p11_unlock(slot->pool_lock);
		} else if (v) {
			/* the new holder is ours */
			v->users = 1;
			s->vol = v;
			*out = v;
			v = NULL;
		} else {
			rv = CKR_USER_NOT_LOGGED_IN;
			p11_lock(slot->pool_lock);
			if (slot->pin && slot->user == CKU_USER) {
				pin = malloc(slot->pin_len);
				if (pin) {
					memcpy(pin, slot->pin, slot->pin_len);
					pin_len = slot->pin_len;
					rv = CKR_OK;
				} else {
					rv = CKR_HOST_MEMORY;
				}
			}
			p11_unlock(slot->pool_lock);
			p11_unlock(g.lock);
			if (rv != CKR_OK)
				return rv;
			/* One more board login, no lock held. */
			v = calloc(1, sizeof(*v));
			open_failed = false;
			ret = v ? pool_open_one(slot, pin, pin_len, CKU_USER,
						&hs, &st, &open_failed) : -ENOMEM;
			p11_wipe(pin, pin_len);
			free(pin);
			pin = NULL;
			if (ret) {
				free(v);
				return open_failed ? p11_open_rv(slot, ret) :
				       p11_rv(slot, ret, st);
			}
			v->s = hs;
			v->vol = true;
			v->logged_in = true;
			continue;	/* attach it, unless another thread did */
		}
		p11_unlock(g.lock);
		break;
	}
	if (v) {
		hsm_close(v->s);
		free(v);
	}
	return rv;
}

void vol_release(struct p11_slot *slot, struct p11_session *s)
{
	struct pool_session *v = s->vol;

	if (!v)
		return;
	s->vol = NULL;
	obj_gone_vol(v);
	p11_lock(slot->pool_lock);
	v->doomed = true;
	v->vol_orphan = true;
	if (v->users) {
		v = NULL;	/* its last user closes and frees it */
	} else if (v->s) {
		hsm_close(v->s);
		v->s = NULL;
	}
	p11_unlock(slot->pool_lock);
	free(v);
}

CK_RV pool_key_get(struct p11_slot *slot, struct pool_session *ps,
		   const uint8_t uuid[HSM_UUID_LEN], uint32_t *handle)
{
	uint32_t h = 0, evict = 0, st = 0;
	size_t k, lru = P11_KEY_HANDLES_PER_SESSION;
	int ret;

	p11_lock(slot->pool_lock);
	for (k = 0; k < ps->n_keys; k++) {
		if (!ps->keys[k].stale &&
		    !memcmp(ps->keys[k].uuid, uuid, HSM_UUID_LEN)) {
			ps->keys[k].users++;
			ps->keys[k].used = ++slot->keys_clock;
			*handle = ps->keys[k].handle;
			p11_unlock(slot->pool_lock);
			return CKR_OK;
		}
	}
	p11_unlock(slot->pool_lock);

	ret = hsm_open_key(ps->s, uuid, &h, &st);
	if (ret)
		return p11_rv(slot, ret, st);

	p11_lock(slot->pool_lock);
	if (ps->n_keys == P11_KEY_HANDLES_PER_SESSION) {
		for (k = 0; k < ps->n_keys; k++)
			if (!ps->keys[k].users &&
			    (lru == P11_KEY_HANDLES_PER_SESSION ||
			     ps->keys[k].used < ps->keys[lru].used))
				lru = k;
		if (lru < P11_KEY_HANDLES_PER_SESSION)
			key_close_locked(ps, lru, &evict);
	}
	if (ps->n_keys < P11_KEY_HANDLES_PER_SESSION) {
		k = ps->n_keys++;
		memcpy(ps->keys[k].uuid, uuid, HSM_UUID_LEN);
		ps->keys[k].handle = h;
		ps->keys[k].users = 1;
		ps->keys[k].stale = false;
		ps->keys[k].used = ++slot->keys_clock;
	}
	/* else: every cached handle is in use; h is closed at put. */
	p11_unlock(slot->pool_lock);
	if (evict)
		hsm_close_key(ps->s, evict, NULL);
	*handle = h;
	return CKR_OK;
}

void pool_key_put(struct p11_slot *slot, struct pool_session *ps,
		  uint32_t handle)
{
	uint32_t to_close = handle;
	size_t k;

	p11_lock(slot->pool_lock);
	for (k = 0; k < ps->n_keys; k++) {
		if (ps->keys[k].handle != handle)
			continue;
		to_close = 0;
		if (ps->keys[k].users)
			ps->keys[k].users--;
		if (ps->keys[k].stale && ps->keys[k].users == 0) {
			bool deleted = ps->keys[k].deleted;

			key_close_locked(ps, k, &to_close);
			if (deleted)
				to_close = 0;
		}
		break;
	}
	p11_unlock(slot->pool_lock);
	if (to_close)
		hsm_close_key(ps->s, to_close, NULL);
}

void pool_key_forget(struct p11_slot *slot, const uint8_t uuid[HSM_UUID_LEN])
{
	struct { struct hsm_session *s; uint32_t h; } close_later[P11_POOL_MAX];
	size_t i, k, n = 0;

	p11_lock(slot->pool_lock);
	for (i = 0; i < P11_POOL_MAX; i++) {
		struct pool_session *ps = &slot->pool[i];

		for (k = 0; ps->s && k < ps->n_keys; k++) {
			if (memcmp(ps->keys[k].uuid, uuid, HSM_UUID_LEN))
				continue;
			if (ps->keys[k].users) {
				ps->keys[k].stale = true;
			} else {
				close_later[n].s = ps->s;
				ps->users++;	/* keep ps->s open */
				key_close_locked(ps, k, &close_later[n].h);
				n++;
			}
			break;
		}
	}
	p11_unlock(slot->pool_lock);
	for (i = 0; i < n; i++) {
		hsm_close_key(close_later[i].s, close_later[i].h, NULL);
		for (k = 0; k < P11_POOL_MAX; k++)
			if (slot->pool[k].s == close_later[i].s)
				pool_put(slot, &slot->pool[k]);
	}
}

void pool_key_deleted(struct p11_slot *slot, struct pool_session *ps,
		      uint32_t handle, const uint8_t uuid[HSM_UUID_LEN])
{
	uint32_t ignored;
	size_t k;

	p11_lock(slot->pool_lock);
	for (k = 0; k < ps->n_keys; k++) {
		if (ps->keys[k].handle != handle)
			continue;
		if (ps->keys[k].users > 1) {
			ps->keys[k].users--;
			ps->keys[k].stale = ps->keys[k].deleted = true;
		} else {
			key_close_locked(ps, k, &ignored);
		}
		break;
	}
	p11_unlock(slot->pool_lock);
	pool_key_forget(slot, uuid);
}

/* ---- login ---------------------------------------------------------------- */

void slot_logout(struct p11_slot *slot)
{
	size_t i;

	/* The session objects: private ones must not outlive the login, and
	 * their holders were logged in with it. */
	for (i = 0; i < g.n_sessions; i++)
		if (g.sessions[i] && g.sessions[i]->slot == slot->id)
			vol_release(slot, g.sessions[i]);
	p11_lock(slot->pool_lock);
	if (slot->pin) {
		p11_wipe(slot->pin, slot->pin_len);
		munlock(slot->pin, slot->pin_len);
		free(slot->pin);
		slot->pin = NULL;
		slot->pin_len = 0;
	}
	slot->user = (CK_USER_TYPE)-1;
	p11_unlock(slot->pool_lock);
	pool_close_all(slot, false);
	if (slot->is_group)
		group_logout_boards(slot);
}

CK_RV slot_board_login(struct p11_slot *slot, CK_USER_TYPE user,
		       const unsigned char *pin_in, size_t pin_len)
{
	struct pool_session *first;
	struct hsm_session *hs;
	unsigned char *pin;
	uint32_t st = 0;
	size_t i;
	int ret;

	if (pin_len < HSM_PIN_MIN || pin_len > HSM_PIN_MAX)
		return CKR_PIN_INCORRECT;
	/* One session first: a wrong PIN costs the board's delay once. */
	ret = hsm_open(slot->dev, &hs);
	if (ret)
		return p11_open_rv(slot, ret);
	ret = hsm_login(hs, board_user(user), pin_in, pin_len, &st);
	if (ret) {
		hsm_close(hs);
		return p11_rv(slot, ret, st);
	}
	pin = malloc(pin_len);
	if (!pin) {
		hsm_close(hs);
		return CKR_HOST_MEMORY;
	}
	(void)mlock(pin, pin_len);	/* best effort: keep it off swap */
	memcpy(pin, pin_in, pin_len);
	p11_lock(slot->pool_lock);
	for (i = 0; i < P11_POOL_MAX && (slot->pool[i].s ||
					 slot->pool[i].opening); i++)
		;
	if (i == P11_POOL_MAX) {
		/* every position still held by sessions of an old login */
		p11_unlock(slot->pool_lock);
		p11_wipe(pin, pin_len);
		free(pin);
		hsm_close(hs);
		return CKR_DEVICE_ERROR;
	}
	first = &slot->pool[i];
	first->s = hs;
	first->logged_in = true;
	slot->pin = pin;
	slot->pin_len = pin_len;
	slot->user = user;
	slot->pool_full = false;
	p11_unlock(slot->pool_lock);
	return CKR_OK;
}

CK_RV C_Login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType,
	      CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen)
{
	struct p11_session *s;
	struct p11_slot *slot;
	CK_RV rv;
	size_t i;

	rv = session_get(hSession, &s, &slot);
	if (rv != CKR_OK)
		return rv;
	if (userType != CKU_USER && userType != CKU_SO) {
		rv = userType == CKU_CONTEXT_SPECIFIC ?
		     CKR_OPERATION_NOT_INITIALIZED : CKR_USER_TYPE_INVALID;
		goto out;
	}
	if (!pPin) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (slot->is_group) {
		rv = group_login(slot, userType, pPin, ulPinLen);
		goto out;
	}
	p11_lock(slot->login_lock);
	if (slot->user == userType) {
		rv = CKR_USER_ALREADY_LOGGED_IN;
		goto unlock;
	}
	if (slot->user == CKU_USER || slot->user == CKU_SO) {
		rv = CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
		goto unlock;
	}
	if (userType == CKU_SO) {
		p11_lock(g.lock);
		for (i = 0; i < g.n_sessions; i++)
			if (g.sessions[i] && g.sessions[i]->slot == slot->id &&
			    !(g.sessions[i]->flags & CKF_RW_SESSION))
				rv = CKR_SESSION_READ_ONLY_EXISTS;
		p11_unlock(g.lock);
		if (rv != CKR_OK)
			goto unlock;
	}
	rv = slot_board_login(slot, userType, pPin, ulPinLen);
unlock:
	p11_unlock(slot->login_lock);
out:
	session_put(s);
	return rv;
}

CK_RV C_Logout(CK_SESSION_HANDLE hSession)
{
	struct p11_session *s;
	struct p11_slot *slot;
	CK_RV rv;

	rv = session_get(hSession, &s, &slot);
	if (rv != CKR_OK)
		return rv;
	p11_lock(slot->login_lock);
	if (slot->user != CKU_USER && slot->user != CKU_SO) {
		rv = CKR_USER_NOT_LOGGED_IN;
	} else {
		p11_lock(g.lock);
		slot_logout(slot);
		p11_unlock(g.lock);
	}
	p11_unlock(slot->login_lock);
	session_put(s);
	return rv;
}

/*
 * C_InitPIN: the SO sets the user's PIN (SET_PIN NORMAL, which the board
 * allows an SO login). C_SetPIN: the logged-in user's own PIN, after
 * checking the old one with a login; the board lets only its wheel user
 * change the SO PIN and nobody but SO and wheel change the user PIN, so a
 * user's C_SetPIN fails with CKR_FUNCTION_FAILED (use C_InitPIN as SO).
 */
static CK_RV set_pin(CK_SESSION_HANDLE hSession, CK_USER_TYPE who,
		     CK_UTF8CHAR_PTR pOld, CK_ULONG ulOldLen,
		     CK_UTF8CHAR_PTR pNew, CK_ULONG ulNewLen, bool init)
{
	struct pool_session *ps;
	struct p11_session *s;
	struct p11_slot *slot;
	struct hsm_session *hs = NULL;
	uint32_t st = 0, target;
	CK_RV rv;
	int ret;

	rv = session_get(hSession, &s, &slot);
	if (rv != CKR_OK)
		return rv;
	if (slot->is_group) {
		/* each board's PINs are its own: set them there */
		rv = group_unsupported(init ? "C_InitPIN" : "C_SetPIN");
		goto out;
	}
	if (!pNew || (!init && !pOld)) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (!(s->flags & CKF_RW_SESSION)) {
		rv = CKR_SESSION_READ_ONLY;
		goto out;
	}
	if (ulNewLen < HSM_PIN_MIN || ulNewLen > HSM_PIN_MAX) {
		rv = CKR_PIN_LEN_RANGE;
		goto out;
	}
	if (init) {
		if (slot->user != CKU_SO) {
			rv = CKR_USER_NOT_LOGGED_IN;
			goto out;
		}
		rv = pool_get(slot, &ps);
		if (rv != CKR_OK)
			goto out;
		ret = hsm_set_pin(ps->s, HSM_USER_NORMAL, pNew, ulNewLen, &st);
		pool_put(slot, ps);
		rv = ret == -EPERM ? CKR_USER_NOT_LOGGED_IN : p11_rv(slot, ret, st);
		goto out;
	}
	/* C_SetPIN: prove the old PIN on a session of its own. */
	target = who == CKU_SO ? HSM_USER_SO : HSM_USER_NORMAL;
	ret = hsm_open(slot->dev, &hs);
	if (ret) {
		rv = p11_open_rv(slot, ret);
		goto out;
	}
	ret = hsm_login(hs, target, pOld, ulOldLen, &st);
	if (ret == 0)
		ret = hsm_set_pin(hs, target, pNew, ulNewLen, &st);
	rv = ret == -EPERM ? CKR_FUNCTION_FAILED : p11_rv(slot, ret, st);
	hsm_close(hs);
out:
	session_put(s);
	return rv;
}

CK_RV C_InitPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pPin,
		CK_ULONG ulPinLen)
{
	return set_pin(hSession, CKU_USER, NULL, 0, pPin, ulPinLen, true);
}

CK_RV C_SetPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pOldPin,
	       CK_ULONG ulOldLen, CK_UTF8CHAR_PTR pNewPin, CK_ULONG ulNewLen)
{
	struct p11_session *s;
	struct p11_slot *slot;
	CK_USER_TYPE who;
	CK_RV rv = session_get(hSession, &s, &slot);

	if (rv != CKR_OK)
		return rv;
	who = slot->user == CKU_SO ? CKU_SO : CKU_USER;
	session_put(s);
	return set_pin(hSession, who, pOldPin, ulOldLen, pNewPin, ulNewLen,
		       false);
}
