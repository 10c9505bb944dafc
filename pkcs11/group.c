// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Redundancy groups: the boards a groups file names together
 * (<hsm/groups.h>, Documentation/admin-guide/groups.rst) are one slot and
 * one token. Each board keeps its own struct p11_slot (pool, login, object
 * cache), hidden from the slot list and marked with its group; the group
 * slot has no board of its own and sends every request to one of them.
 *
 * A key is one object per public key and class, whatever board holds it:
 * its handle is found by the SHA-256 of the SubjectPublicKeyInfo, and its
 * copies are the boards' objects. Requests go to the attached board
 * holding the key with the fewest requests of this process under way (the
 * callers, sign.c, objects.c and keygen.c, try another when one fails). The group's
 * sessions and login outlive its boards: a board that comes back is logged
 * in again with the PIN the group keeps, at its next use.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <syslog.h>

#include <openssl/sha.h>

#include "p11.h"

/* How often an absent board of a group is looked for while signing. */
#define GROUP_LOOK_MS	1000

static void say(int prio, const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "libhsm-pkcs11: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	syslog(prio, fmt, a, b);
}

CK_RV groups_init(void)
{
	char err[512] = "";
	int ret;

	ret = hsm_groups_load(NULL, &g.groups, &g.n_groups, err, sizeof(err));
	if (ret) {
		say(LOG_ERR, "%s%s", err[0] ? err : "cannot read the groups file: ",
		    err[0] ? "" : strerror(-ret));
		return CKR_GENERAL_ERROR;
	}
	return CKR_OK;
}

void groups_free(void)
{
	hsm_groups_free(g.groups);
	g.groups = NULL;
	g.n_groups = 0;
}

CK_RV groups_refresh(void)
{
	struct hsm_group *now = NULL;
	char err[512] = "";
	size_t n = 0;
	int ret;

	/* Applying a changed file to a running process would move boards
	 * and keys between tokens under the signer: say so, once. */
	ret = hsm_groups_load(NULL, &now, &n, err, sizeof(err));
	if ((ret || n != g.n_groups ||
	     (n && memcmp(now, g.groups, n * sizeof(*now)))) &&
	    !g.groups_change_logged) {
		g.groups_change_logged = true;
		say(LOG_WARNING, "%s%sthe groups read at C_Initialize stay in force until the application restarts",
		    ret ? err : "the groups file changed",
		    "; ");
	}
	hsm_groups_free(now);
	return CKR_OK;
}

void groups_update_presence(void)
{
	size_t i, j;

	for (i = 0; i < P11_MAX_SLOTS; i++) {
		struct p11_slot *grp = g.slots[i];

		if (!grp || !grp->is_group)
			continue;
		grp->present = false;
		for (j = 0; j < P11_MAX_SLOTS; j++) {
			struct p11_slot *m = g.slots[j];

			if (m && m->group == grp && m->present) {
				grp->present = true;
				grp->protocol_version = m->protocol_version;
			}
		}
	}
}

void group_token_serial(const char *name, char serial[17])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[SHA256_DIGEST_LENGTH];
	int i;

	/* "grp-" and 12 hex digits of SHA-256 of the name: stable
	 * across boards coming and going, and across processes. */
	SHA256((const unsigned char *)name, strlen(name), d);
	memcpy(serial, "grp-", 4);
	for (i = 0; i < 6; i++) {
		serial[4 + 2 * i] = hex[d[i] >> 4];
		serial[5 + 2 * i] = hex[d[i] & 15];
	}
	serial[16] = '\0';
}

/* ---- login -------------------------------------------------------------- */

static CK_RV board_login(struct p11_slot *m, const unsigned char *pin,
			 size_t pin_len)
{
	CK_RV rv;

	p11_lock(m->login_lock);
	if (m->user == CKU_USER)
		rv = CKR_OK;
	else if (m->user == CKU_SO)
		rv = CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
	else
		rv = slot_board_login(m, CKU_USER, pin, pin_len);
	p11_unlock(m->login_lock);
	return rv;
}

/* A board that refused the group's PIN is not asked again until it is
 * plugged in anew or the next C_Login (every wrong PIN costs the board's
 * delay). */
static void refused(struct p11_slot *grp, struct p11_slot *m)
{
	p11_lock(g.lock);
	m->refused_gen = m->gen + 1;
	p11_unlock(g.lock);
	say(LOG_ERR, "board %s of group %s refused the PIN its other boards took: it serves the group again when plugged in anew or at the next C_Login; give every board of a group the same PINs",
	    m->label, grp->conf->name);
}

/* The attached boards of @grp (and whether they need a login). */
static size_t boards_of(struct p11_slot *grp, struct p11_slot **out,
			bool need_login)
{
	size_t j, n = 0;

	for (j = 0; j < P11_MAX_SLOTS; j++) {
		struct p11_slot *m = g.slots[j];

		if (!m || m->group != grp || !m->present)
			continue;
		if (need_login && (m->user == CKU_USER ||
				   m->refused_gen == m->gen + 1))
			continue;
		out[n++] = m;
	}
	return n;
}

CK_RV group_login(struct p11_slot *grp, CK_USER_TYPE user,
		  const unsigned char *pin, size_t pin_len)
{
	struct p11_slot *b[P11_MAX_SLOTS], *no[P11_MAX_SLOTS];
	CK_RV rv = CKR_OK, other = CKR_OK;
	unsigned ok = 0;
	unsigned char *copy;
	size_t i, n, refusals = 0;

	/* The SO administers each board (hsmctl, C_InitPIN on its own
	 * token); a group is used by its signers. */
	if (user != CKU_USER)
		return CKR_USER_TYPE_INVALID;
	p11_lock(grp->login_lock);
	if (grp->user == CKU_USER) {
		rv = CKR_USER_ALREADY_LOGGED_IN;
		goto out;
	}
	if (pin_len < HSM_PIN_MIN || pin_len > HSM_PIN_MAX) {
		rv = CKR_PIN_INCORRECT;
		goto out;
	}
	p11_lock(g.lock);
	n = boards_of(grp, b, false);
	for (i = 0; i < n; i++)
		b[i]->refused_gen = 0;
	p11_unlock(g.lock);
	for (i = 0; i < n; i++) {
		CK_RV r = board_login(b[i], pin, pin_len);

		if (r == CKR_OK) {
			ok++;
		} else if (r == CKR_PIN_INCORRECT) {
			no[refusals++] = b[i];
		} else {
			other = r;
		}
	}
	if (!ok) {
		rv = refusals && other == CKR_OK ? CKR_PIN_INCORRECT :
		     other != CKR_OK ? other : CKR_DEVICE_REMOVED;
		goto out;
	}
	/* others took it: those boards have other PINs */
	for (i = 0; i < refusals; i++)
		refused(grp, no[i]);
	/* The boards that come back later are logged in with it. */
	copy = malloc(pin_len);
	if (!copy) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	(void)mlock(copy, pin_len);
	memcpy(copy, pin, pin_len);
	p11_lock(grp->pool_lock);
	grp->pin = copy;
	grp->pin_len = pin_len;
	grp->user = CKU_USER;
	p11_unlock(grp->pool_lock);
out:
	p11_unlock(grp->login_lock);
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
		/* all or nothing: no board stays logged in for a failed login */
		p11_lock(g.lock);
		if (grp->user != CKU_USER)
			group_logout_boards(grp);
		p11_unlock(g.lock);
	}
	return rv;
}

void group_logout_boards(struct p11_slot *grp)
{
	size_t j;

	for (j = 0; j < P11_MAX_SLOTS; j++) {
		struct p11_slot *m = g.slots[j];

		if (m && m->group == grp) {
			slot_logout(m);
			m->refused_gen = 0;
		}
	}
}

/* Set while rejoin() re-reads the keys: group_find() comes back here. */
static __thread bool rescanning;

/*
 * Boards that came back (or were never logged in): the group's PIN. Then
 * their keys are read, so that the group's objects, found while they were
 * away, have their copies there too and a running signer's requests go to
 * them again without a new search.
 */
static void rejoin(struct p11_slot *grp)
{
	struct p11_slot *b[P11_MAX_SLOTS];
	unsigned char *pin = NULL;
	size_t i, n, pin_len = 0;
	bool joined = false;

	p11_lock(g.lock);
	n = grp->user == CKU_USER ? boards_of(grp, b, true) : 0;
	p11_unlock(g.lock);
	if (!n)
		return;
	p11_lock(grp->pool_lock);
	if (grp->pin && grp->user == CKU_USER) {
		pin = malloc(grp->pin_len);
		if (pin) {
			memcpy(pin, grp->pin, grp->pin_len);
			pin_len = grp->pin_len;
		}
	}
	p11_unlock(grp->pool_lock);
	if (!pin)
		return;
	for (i = 0; i < n; i++) {
		CK_RV rv = board_login(b[i], pin, pin_len);

		if (rv == CKR_PIN_INCORRECT)
			refused(grp, b[i]);
		p11_lock(g.lock);
		if (rv == CKR_OK && grp->user != CKU_USER)
			slot_logout(b[i]);	/* the group logged out meanwhile */
		else if (rv == CKR_OK)
			joined = true;
		p11_unlock(g.lock);
	}
	p11_wipe(pin, pin_len);
	free(pin);
	if (joined && !rescanning) {
		CK_OBJECT_HANDLE *found = NULL;
		size_t n_found = 0;

		rescanning = true;
		(void)group_find(grp, NULL, 0, &found, &n_found);
		rescanning = false;
		free(found);
	}
}

/* Re-read the boards when one of @grp's is away: now and then, or at
 * once (@force: no board can serve a request). */
static void look_for_boards(struct p11_slot *grp, bool force)
{
	struct p11_slot *b[P11_MAX_SLOTS];
	uint64_t now = p11_now_ms();

	p11_lock(g.lock);
	if (boards_of(grp, b, false) < grp->conf->n_boards &&
	    (force || now - g.groups_refreshed_ms >= GROUP_LOOK_MS)) {
		g.groups_refreshed_ms = now;
		slots_refresh();
	}
	p11_unlock(g.lock);
	rejoin(grp);
}

/* ---- which board serves a request ----------------------------------------- */

/* Caller holds g.lock. */
static size_t usable_copies(const struct p11_object *o, struct group_copy *out)
{
	size_t i, k, n = 0;

	for (i = 0; i < o->n_copies; i++) {
		struct p11_slot *m = g.slots[o->copies[i].slot];
		struct group_copy c;

		if (!m || !m->present || m->user != CKU_USER ||
		    !obj_lookup(m->id, o->copies[i].h))
			continue;
		c.slot = m;
		c.h = o->copies[i].h;
		/* the fewest requests under way, then the fewest sent */
		for (k = n; k > 0 && (out[k - 1].slot->inflight > m->inflight ||
				      (out[k - 1].slot->inflight == m->inflight &&
				       out[k - 1].slot->served > m->served)); k--)
			out[k] = out[k - 1];
		out[k] = c;
		n++;
	}
	return n;
}

size_t group_copies(struct p11_slot *grp, CK_OBJECT_HANDLE h,
		    struct group_copy *out)
{
	struct p11_object *o;
	size_t n = 0;
	int pass;

	look_for_boards(grp, false);
	for (pass = 0; pass < 2; pass++) {
		p11_lock(g.lock);
		o = obj_lookup(grp->id, h);
		n = o && o->is_group ? usable_copies(o, out) : 0;
		p11_unlock(g.lock);
		if (n || !o)
			break;
		look_for_boards(grp, true);	/* perhaps back by now */
	}
	return n;
}

void group_request_start(struct p11_slot *m)
{
	p11_lock(g.lock);
	m->inflight++;
	m->served++;
	p11_unlock(g.lock);
}

/* A request on board @m saw it go: forget it now. Caller holds g.lock. */
static void note_unplug(struct p11_slot *m)
{
	if (m->unplug_seen) {
		slot_unplugged(m);
		groups_update_presence();
	}
}

void group_request_end(struct p11_slot *m)
{
	p11_lock(g.lock);
	if (m->inflight)
		m->inflight--;
	note_unplug(m);
	p11_unlock(g.lock);
}

struct p11_slot *group_any_board(struct p11_slot *grp)
{
	struct p11_slot *b[P11_MAX_SLOTS], *best = NULL;
	size_t i, n;

	look_for_boards(grp, false);
	p11_lock(g.lock);
	n = boards_of(grp, b, false);
	for (i = 0; i < n; i++)
		if (!best || (b[i]->user == CKU_USER && best->user != CKU_USER))
			best = b[i];
	p11_unlock(g.lock);
	return best;
}

/*
 * Whether every board the groups file names for @grp is attached and
 * logged in (looked for now, not at the once-a-second pace). If not, the
 * first missing board's identity is in @missing.
 */
bool group_all_serving(struct p11_slot *grp, char *missing, size_t len)
{
	struct p11_slot *b[P11_MAX_SLOTS];
	size_t i, j, n;
	bool found;

	/* The kernel's board list now: a board unplugged since the last
	 * request still looks present here. */
	p11_lock(g.lock);
	g.groups_refreshed_ms = p11_now_ms();
	slots_refresh();
	p11_unlock(g.lock);
	n = group_serving_boards(grp, b);
	p11_lock(g.lock);
	for (i = 0; i < grp->conf->n_boards; i++) {
		for (found = false, j = 0; j < n && !found; j++)
			found = !strcmp(b[j]->board_id, grp->conf->boards[i]);
		if (!found) {
			snprintf(missing, len, "%s", grp->conf->boards[i]);
			p11_unlock(g.lock);
			return false;
		}
	}
	p11_unlock(g.lock);
	return true;
}

size_t group_serving_boards(struct p11_slot *grp, struct p11_slot **out)
{
	size_t i, n = 0;

	look_for_boards(grp, false);
	p11_lock(g.lock);
	for (i = 0; i < P11_MAX_SLOTS; i++) {
		struct p11_slot *m = g.slots[i];

		if (m && m->group == grp && m->present && m->user == CKU_USER)
			out[n++] = m;
	}
	p11_unlock(g.lock);
	return n;
}

/* ---- objects ------------------------------------------------------------------ */

static unsigned epochs;		/* group searches so far (g.lock) */

/* The copy whose cache answers: loaded, an attached board's first. */
static const struct p11_object *source_of(const struct p11_object *o)
{
	const struct p11_object *best = NULL;
	struct p11_object view;
	size_t i;

	for (i = 0; i < o->n_copies; i++) {
		struct p11_slot *m = g.slots[o->copies[i].slot];
		const struct p11_object *c = m ? obj_lookup(m->id, o->copies[i].h) : NULL;

		if (!c || !obj_view(c, &view)->loaded_ms)
			continue;
		if (m->present)
			return c;
		if (!best)
			best = c;
	}
	return best;
}

static unsigned replicas_of(const struct p11_object *o)
{
	unsigned i, n = 0;

	for (i = 0; i < o->n_copies; i++) {
		struct p11_slot *m = g.slots[o->copies[i].slot];

		if (m && m->present && obj_lookup(m->id, o->copies[i].h))
			n++;
	}
	return n;
}

CK_RV group_obj_attribute(const struct p11_object *o, CK_ATTRIBUTE *t)
{
	const struct p11_slot *grp = g.slots[o->slot];
	const struct p11_object *src;
	CK_ULONG n = replicas_of(o);
	CK_BBOOL full = grp && n >= grp->conf->n_boards;

	if (t->type == CKA_CRYPTECH_REPLICAS)
		return p11_put_value(t, &n, sizeof(n));
	if (t->type == CKA_CRYPTECH_FULLY_REPLICATED)
		return p11_put_value(t, &full, sizeof(full));
	src = source_of(o);
	if (!src) {
		t->ulValueLen = CK_UNAVAILABLE_INFORMATION;
		return CKR_ATTRIBUTE_TYPE_INVALID;
	}
	return obj_attribute(src, t);
}

bool group_obj_matches(const struct p11_object *o, const CK_ATTRIBUTE *tmpl,
		       CK_ULONG n)
{
	unsigned char buf[1200];
	CK_ATTRIBUTE a;
	CK_ULONG i;

	for (i = 0; i < n; i++) {
		a.type = tmpl[i].type;
		a.pValue = buf;
		a.ulValueLen = sizeof(buf);
		if (group_obj_attribute(o, &a) != CKR_OK ||
		    a.ulValueLen != tmpl[i].ulValueLen ||
		    (a.ulValueLen && (!tmpl[i].pValue ||
				      memcmp(buf, tmpl[i].pValue, a.ulValueLen))))
			return false;
	}
	return true;
}

static bool vendor_type(CK_ATTRIBUTE_TYPE t)
{
	return t == CKA_CRYPTECH_REPLICAS || t == CKA_CRYPTECH_FULLY_REPLICATED;
}

/*
 * The group object of board object @mh of @m, its copy recorded. Caller
 * holds g.lock. CK_INVALID_HANDLE when the board object is not loaded.
 */
static CK_OBJECT_HANDLE group_object(struct p11_slot *grp, struct p11_slot *m,
				     CK_OBJECT_HANDLE mh, unsigned epoch)
{
	unsigned char d[SHA256_DIGEST_LENGTH], *buf;
	const struct p11_object *v;
	struct p11_object view, *mo, *go;
	CK_OBJECT_HANDLE gh;
	unsigned i;

	mo = obj_lookup(m->id, mh);
	if (!mo)
		return CK_INVALID_HANDLE;
	v = obj_view(mo, &view);
	if (!v->spki)
		return CK_INVALID_HANDLE;
	/* A board's KEKEK (key encryption only, the key other boards copy
	 * keys to it under) is that board's own, not the group's. */
	if ((v->flags & HSM_KEY_F_KEYENC) && !(v->flags & HSM_KEY_F_SIGN))
		return CK_INVALID_HANDLE;
	/* The same public key is the same key: one object per class. */
	buf = malloc(v->spki_len + 1);
	if (!buf)
		return CK_INVALID_HANDLE;
	buf[0] = (unsigned char)obj_class(v);
	memcpy(buf + 1, v->spki, v->spki_len);
	SHA256(buf, v->spki_len + 1, d);
	free(buf);
	gh = obj_handle(grp->id, d, false);
	if (gh == CK_INVALID_HANDLE)
		return gh;
	go = g.objects[gh - 1];
	go->is_group = true;
	for (i = 0; i < go->n_copies; i++) {
		if (go->copies[i].slot != m->id)
			continue;
		/* one copy per board (a second key with the same public
		 * key on one board is left aside) */
		if (go->copies[i].epoch != epoch || go->copies[i].h == mh) {
			go->copies[i].h = mh;
			go->copies[i].epoch = epoch;
		}
		return gh;
	}
	if (go->n_copies < HSM_GROUP_MAX_BOARDS) {
		go->copies[go->n_copies].slot = m->id;
		go->copies[go->n_copies].h = mh;
		go->copies[go->n_copies].epoch = epoch;
		go->n_copies++;
	}
	return gh;
}

/* After a search of every key of the boards in @searched: copies those
 * boards no longer hold go. Caller holds g.lock. */
static void drop_stale_copies(struct p11_slot *grp, const bool *searched,
			      unsigned epoch)
{
	size_t i;
	unsigned k;

	for (i = 0; i < g.n_objects; i++) {
		struct p11_object *o = g.objects[i];

		if (!o->is_group || o->slot != grp->id)
			continue;
		for (k = 0; k < o->n_copies;) {
			if (searched[o->copies[k].slot] &&
			    o->copies[k].epoch != epoch)
				o->copies[k] = o->copies[--o->n_copies];
			else
				k++;
		}
		if (!o->n_copies)
			o->gone = true;
	}
}

CK_OBJECT_HANDLE group_adopt(struct p11_slot *grp, struct p11_slot *m,
			     CK_OBJECT_HANDLE mh)
{
	return group_object(grp, m, mh, epochs);
}

CK_RV group_find(struct p11_slot *grp, const CK_ATTRIBUTE *t, CK_ULONG n,
		 CK_OBJECT_HANDLE **out, size_t *n_out)
{
	struct p11_slot *b[P11_MAX_SLOTS];
	bool searched[P11_MAX_SLOTS] = { false };
	CK_OBJECT_HANDLE *res = NULL, *mh = NULL;
	CK_ATTRIBUTE *bt = NULL;
	size_t i, k, j, nb, nres = 0, nmh = 0;
	CK_ULONG nbt = 0;
	unsigned epoch;
	CK_RV rv = CKR_OK;

	*out = NULL;
	*n_out = 0;
	/* The boards know nothing of the vendor attributes. */
	bt = calloc(n + 1, sizeof(*bt));
	if (!bt)
		return CKR_HOST_MEMORY;
	for (i = 0; i < n; i++)
		if (!vendor_type(t[i].type))
			bt[nbt++] = t[i];
	look_for_boards(grp, false);
	p11_lock(g.lock);
	for (i = 0, nb = 0; i < P11_MAX_SLOTS; i++)
		if (g.slots[i] && g.slots[i]->group == grp &&
		    g.slots[i]->present && g.slots[i]->user == CKU_USER)
			b[nb++] = g.slots[i];
	epoch = ++epochs;
	p11_unlock(g.lock);
	for (k = 0; k < nb; k++) {
		CK_OBJECT_HANDLE *grown;

		rv = find_on_board(b[k], bt, nbt, &mh, &nmh);
		if (rv == CKR_HOST_MEMORY)
			goto out;
		if (rv != CKR_OK) {
			/* that board is failing: the others answer */
			p11_lock(g.lock);
			note_unplug(b[k]);
			p11_unlock(g.lock);
			free(mh);
			mh = NULL;
			rv = CKR_OK;
			continue;
		}
		searched[b[k]->id] = true;
		grown = realloc(res, (nres + nmh + 1) * sizeof(*res));
		if (!grown) {
			rv = CKR_HOST_MEMORY;
			goto out;
		}
		res = grown;
		p11_lock(g.lock);
		for (i = 0; i < nmh; i++) {
			CK_OBJECT_HANDLE gh = group_object(grp, b[k], mh[i], epoch);

			if (gh == CK_INVALID_HANDLE)
				continue;
			for (j = 0; j < nres && res[j] != gh; j++)
				;
			if (j == nres)
				res[nres++] = gh;
		}
		p11_unlock(g.lock);
		free(mh);
		mh = NULL;
	}
	p11_lock(g.lock);
	if (nbt == 0)
		drop_stale_copies(grp, searched, epoch);
	/* the whole template, vendor attributes included */
	for (i = 0, j = 0; i < nres; i++) {
		struct p11_object *o = obj_lookup(grp->id, res[i]);

		if (o && group_obj_matches(o, t, n))
			res[j++] = res[i];
	}
	nres = j;
	p11_unlock(g.lock);
	*out = res;
	*n_out = nres;
	res = NULL;
out:
	free(res);
	free(mh);
	free(bt);
	return rv;
}

CK_RV group_unsupported(const char *what)
{
	fprintf(stderr, "libhsm-pkcs11: %s is not supported on a group token yet; use a board's own token or hsmctl\n",
		what);
	return CKR_FUNCTION_NOT_SUPPORTED;
}
