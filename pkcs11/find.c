// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * C_FindObjects*. Every C_FindObjectsInit asks the board which keys exist
 * (PKEY_MATCH: one request per 818 names, with the template's CKA_ID and
 * CKA_LABEL as board-side filters and CKA_TOKEN as a flag filter), so keys
 * added or deleted by other processes and hosts are seen at once. The rest
 * of the template is checked against the attribute cache, which costs a
 * board request only for keys not seen before or whose entry is older than
 * the TTL. "Not found" is never cached.
 *
 * Before C_Login nothing is found: the board needs a login to open any key,
 * even a public one (protocol §9 item 3), so no attribute could be read.
 */
#include <stdlib.h>
#include <string.h>

#include "p11.h"

/* Template values that narrow the board's search. */
struct narrow {
	bool none;			/* the template excludes every key */
	bool have_class;
	CK_OBJECT_CLASS cls;
	struct hsm_match_filter f;
	struct hsm_attr attrs[2];
};

static void narrow_search(const CK_ATTRIBUTE *t, CK_ULONG n, struct narrow *nw)
{
	CK_ULONG i, v;
	CK_BBOOL b;

	memset(nw, 0, sizeof(*nw));
	nw->f.attrs = nw->attrs;
	for (i = 0; i < n; i++) {
		switch (t[i].type) {
		case CKA_CLASS:
			if (t[i].ulValueLen != sizeof(v) || !t[i].pValue) {
				nw->none = true;
				break;
			}
			memcpy(&v, t[i].pValue, sizeof(v));
			nw->have_class = true;
			nw->cls = v;
			if (v != CKO_PRIVATE_KEY && v != CKO_PUBLIC_KEY)
				nw->none = true;
			break;
		case CKA_KEY_TYPE:
			if (t[i].ulValueLen != sizeof(v) || !t[i].pValue) {
				nw->none = true;
				break;
			}
			memcpy(&v, t[i].pValue, sizeof(v));
			if (v != CKK_RSA && v != CKK_EC)
				nw->none = true;
			break;
		case CKA_TOKEN:
			if (t[i].ulValueLen != 1 || !t[i].pValue) {
				nw->none = true;
				break;
			}
			b = *(const CK_BBOOL *)t[i].pValue;
			nw->f.mask |= HSM_KEY_F_TOKEN;
			nw->f.flags |= b ? HSM_KEY_F_TOKEN : 0;
			break;
		case CKA_ID:
		case CKA_LABEL:
			/* Exact bytes on the board; an empty value also
			 * matches keys without the attribute, so it is
			 * left to the cache. */
			if (t[i].ulValueLen && t[i].pValue &&
			    t[i].ulValueLen <= 4096 && nw->f.n_attrs < 2) {
				struct hsm_attr *a = &nw->attrs[nw->f.n_attrs++];

				a->type = (uint32_t)t[i].type;
				a->len = (uint32_t)t[i].ulValueLen;
				a->value = t[i].pValue;
			}
			break;
		default:
			break;
		}
	}
}

/* Whether the cache agrees with the board's filters for object @h. */
static bool board_agrees(struct p11_slot *slot, CK_OBJECT_HANDLE h,
			 const struct narrow *nw)
{
	CK_ATTRIBUTE t[2];
	struct p11_object *o;
	bool ok;
	size_t i;

	for (i = 0; i < nw->f.n_attrs; i++) {
		t[i].type = nw->attrs[i].type;
		t[i].pValue = (void *)nw->attrs[i].value;
		t[i].ulValueLen = nw->attrs[i].len;
	}
	p11_lock(g.lock);
	o = obj_lookup(slot->id, h);
	ok = o && obj_matches(o, t, nw->f.n_attrs);
	p11_unlock(g.lock);
	return ok;
}

/*
 * Whether a public key object among @handles has @priv's public key: key
 * pairs made by a PKCS#11 module are two board keys, while keys made by
 * hsmctl or restored from a backup are a private key alone, whose public
 * half the module then shows itself. Caller holds g.lock.
 */
static bool has_public_key(struct p11_slot *slot, const CK_OBJECT_HANDLE *handles,
			   size_t n, const struct p11_object *priv)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct p11_object *o = obj_lookup(slot->id, handles[i]);

		if (o && !obj_is_private(o) && o->spki && priv->spki &&
		    o->spki_len == priv->spki_len &&
		    !memcmp(o->spki, priv->spki, o->spki_len))
			return true;
	}
	return false;
}

static int collect(const uint8_t uuid[HSM_UUID_LEN], void *arg)
{
	struct { uint8_t (*u)[HSM_UUID_LEN]; size_t n, max; } *c = arg;

	if (c->n == c->max) {
		size_t m = c->max ? c->max * 2 : 64;
		void *p = realloc(c->u, m * HSM_UUID_LEN);

		if (!p)
			return -1;
		c->u = p;
		c->max = m;
	}
	memcpy(c->u[c->n++], uuid, HSM_UUID_LEN);
	return 0;
}

/* Whether a private key among @handles has no public key among them. */
static bool lone_private(struct p11_slot *slot, const CK_OBJECT_HANDLE *handles,
			 size_t n)
{
	bool lone = false;
	size_t i;

	p11_lock(g.lock);
	for (i = 0; i < n && !lone; i++) {
		const struct p11_object *o = obj_lookup(slot->id, handles[i]);

		lone = o && obj_is_private(o) &&
		       !has_public_key(slot, handles, n, o);
	}
	p11_unlock(g.lock);
	return lone;
}

/*
 * Every public key on the board (two MATCH requests; their entries are
 * usually cached): a search filtered by CKA_LABEL may leave out the public
 * half of a pair that has no label.
 */
static CK_RV public_keys(struct p11_slot *slot, struct pool_session *ps,
			 CK_OBJECT_HANDLE **out, size_t *n)
{
	static const uint32_t types[] = { HSM_KEY_RSA_PUBLIC, HSM_KEY_EC_PUBLIC };
	struct { uint8_t (*u)[HSM_UUID_LEN]; size_t n, max; } found = { 0 };
	struct hsm_match_filter f;
	uint32_t st = 0;
	size_t i, k;
	CK_RV rv = CKR_OK;
	int ret;

	*out = NULL;
	*n = 0;
	for (k = 0; k < 2; k++) {
		memset(&f, 0, sizeof(f));
		f.type = types[k];
		ret = hsm_match(ps->s, &f, collect, &found, &st);
		if (ret) {
			free(found.u);
			return ret == -1 ? CKR_HOST_MEMORY : p11_rv(slot, ret, st);
		}
	}
	*out = calloc(found.n + 1, sizeof(**out));
	if (!*out) {
		free(found.u);
		return CKR_HOST_MEMORY;
	}
	for (i = 0; i < found.n; i++) {
		CK_OBJECT_HANDLE h;

		p11_lock(g.lock);
		h = obj_handle(slot->id, found.u[i], false);
		p11_unlock(g.lock);
		if (h == CK_INVALID_HANDLE) {
			rv = CKR_HOST_MEMORY;
			break;
		}
		rv = obj_refresh(slot, ps, h, false);
		if (rv == CKR_OBJECT_HANDLE_INVALID) {
			rv = CKR_OK;
			continue;
		}
		if (rv != CKR_OK)
			break;
		(*out)[(*n)++] = h;
	}
	free(found.u);
	return rv;
}

/* Append the slot's live session objects to @handles (@n of them). */
static CK_RV add_session_objects(struct p11_slot *slot,
				 CK_OBJECT_HANDLE **handles, size_t *n)
{
	CK_OBJECT_HANDLE *grown;
	size_t i, extra = 0;

	p11_lock(g.lock);
	for (i = 0; i < g.n_objects; i++) {
		const struct p11_object *o = g.objects[i];

		if (o->slot == slot->id && o->vol && !o->gone && o->loaded_ms)
			extra++;
	}
	if (!extra) {
		p11_unlock(g.lock);
		return CKR_OK;
	}
	grown = realloc(*handles, (*n + extra + 1) * sizeof(**handles));
	if (!grown) {
		p11_unlock(g.lock);
		return CKR_HOST_MEMORY;
	}
	*handles = grown;
	for (i = 0; i < g.n_objects; i++) {
		const struct p11_object *o = g.objects[i];

		if (o->slot == slot->id && o->vol && !o->gone && o->loaded_ms)
			(*handles)[(*n)++] = i + 1;
	}
	p11_unlock(g.lock);
	return CKR_OK;
}

CK_RV find_on_board(struct p11_slot *slot, const CK_ATTRIBUTE *pTemplate,
		    CK_ULONG ulCount, CK_OBJECT_HANDLE **out, size_t *n_out)
{
	struct { uint8_t (*u)[HSM_UUID_LEN]; size_t n, max; } found = { 0 };
	struct pool_session *ps = NULL;
	CK_OBJECT_HANDLE *handles = NULL, *hp, *pubs = NULL;
	struct narrow nw;
	size_t i, nh = 0, npubs = 0, nfound = 0;
	uint32_t st = 0;
	CK_RV rv;
	int ret;

	*out = NULL;
	*n_out = 0;
	narrow_search(pTemplate, ulCount, &nw);
	if (nw.none)
		goto done;
	rv = pool_get(slot, &ps);
	if (rv == CKR_USER_NOT_LOGGED_IN) {
		rv = CKR_OK;	/* nothing can be read before login */
		goto done;
	}
	if (rv != CKR_OK)
		goto out;
	if (slot->user != CKU_USER)
		goto done;	/* an SO login sees no keys */
	ret = hsm_match(ps->s, &nw.f, collect, &found, &st);
	if (ret) {
		rv = ret == -1 ? CKR_HOST_MEMORY : p11_rv(slot, ret, st);
		goto out;
	}
	/* Each key, and the public half of keys that have none of their own. */
	handles = calloc(found.n * 2 + 1, sizeof(*handles));
	if (!handles) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	for (i = 0; i < found.n; i++) {
		CK_OBJECT_HANDLE h;

		p11_lock(g.lock);
		h = obj_handle(slot->id, found.u[i], false);
		p11_unlock(g.lock);
		if (h == CK_INVALID_HANDLE) {
			rv = CKR_HOST_MEMORY;
			goto out;
		}
		rv = obj_refresh(slot, ps, h, false);
		if (rv == CKR_OK && nw.f.n_attrs && !board_agrees(slot, h, &nw)) {
			/* The board matched values the cache does not have:
			 * changed elsewhere since it was read. */
			rv = obj_refresh(slot, ps, h, true);
		}
		if (rv == CKR_OBJECT_HANDLE_INVALID) {
			rv = CKR_OK;	/* deleted since the search */
			continue;
		}
		if (rv != CKR_OK)
			goto out;
		handles[nh++] = h;
	}
	/* This process's session objects: on the board only their holders
	 * see them, so they come from the object table (never stale: only
	 * this process can change them). */
	if (!(nw.f.mask & HSM_KEY_F_TOKEN) || !(nw.f.flags & HSM_KEY_F_TOKEN)) {
		rv = add_session_objects(slot, &handles, &nh);
		if (rv != CKR_OK)
			goto out;
	}
	/* The public keys the filters hid, to tell pairs from lone keys. */
	if ((nw.f.n_attrs || nw.f.mask) &&
	    (!nw.have_class || nw.cls == CKO_PUBLIC_KEY) &&
	    lone_private(slot, handles, nh)) {
		rv = public_keys(slot, ps, &pubs, &npubs);
		if (rv != CKR_OK)
			goto out;
	}
done:
	/* Match the whole template against the cache. */
	rv = CKR_OK;
	p11_lock(g.lock);
	hp = calloc(nh * 2 + 1, sizeof(*hp));
	if (!hp) {
		p11_unlock(g.lock);
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	for (i = 0; i < nh; i++) {
		struct p11_object *o = obj_lookup(slot->id, handles[i]);

		if (!o)
			continue;
		if (obj_matches(o, pTemplate, ulCount))
			hp[nfound++] = handles[i];
		if (obj_is_private(o) && !has_public_key(slot, handles, nh, o) &&
		    !has_public_key(slot, pubs, npubs, o)) {
			CK_OBJECT_HANDLE ph = obj_handle(slot->id, o->uuid,
							 true);
			struct p11_object *po = obj_lookup(slot->id, ph);

			if (po && obj_matches(po, pTemplate, ulCount))
				hp[nfound++] = ph;
		}
	}
	p11_unlock(g.lock);
	*out = hp;
	*n_out = nfound;
out:
	if (ps)
		pool_put(slot, ps);
	free(found.u);
	free(handles);
	free(pubs);
	return rv;
}

CK_RV C_FindObjectsInit(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate,
			CK_ULONG ulCount)
{
	struct p11_session *s;
	struct p11_slot *slot;
	CK_OBJECT_HANDLE *hp = NULL;
	size_t n = 0;
	CK_RV rv;

	rv = session_get(hSession, &s, &slot);
	if (rv != CKR_OK)
		return rv;
	if (!pTemplate && ulCount) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (s->find.kind != OP_NONE) {
		rv = CKR_OPERATION_ACTIVE;
		goto out;
	}
	if (slot->is_group)
		rv = group_find(slot, pTemplate, ulCount, &hp, &n);
	else
		rv = find_on_board(slot, pTemplate, ulCount, &hp, &n);
	if (rv != CKR_OK)
		goto out;
	p11_lock(g.lock);
	s->find.found = hp;
	s->find.n_found = n;
	s->find.found_pos = 0;
	s->find.kind = OP_FIND;
	p11_unlock(g.lock);
out:
	session_put(s);
	return rv;
}

CK_RV C_FindObjects(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR phObject,
		    CK_ULONG ulMaxObjectCount, CK_ULONG_PTR pulObjectCount)
{
	struct p11_session *s;
	CK_ULONG n = 0;
	CK_RV rv;

	rv = session_get(hSession, &s, NULL);
	if (rv != CKR_OK)
		return rv;
	if (!phObject || !pulObjectCount) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (s->find.kind != OP_FIND) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
		goto out;
	}
	while (n < ulMaxObjectCount && s->find.found_pos < s->find.n_found)
		phObject[n++] = s->find.found[s->find.found_pos++];
	*pulObjectCount = n;
out:
	session_put(s);
	return rv;
}

CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE hSession)
{
	struct p11_session *s;
	CK_RV rv;

	rv = session_get(hSession, &s, NULL);
	if (rv != CKR_OK)
		return rv;
	if (s->find.kind != OP_FIND) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
	} else {
		free(s->find.found);
		s->find.found = NULL;
		s->find.kind = OP_NONE;
	}
	session_put(s);
	return rv;
}
