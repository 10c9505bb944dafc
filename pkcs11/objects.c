// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Objects and the attribute cache.
 *
 * Every board key is an object; a private key whose public key is not on
 * the board as a key of its own (hsmctl's keys, keys restored from a
 * backup) also shows its public half as a second object, built from its
 * SubjectPublicKeyInfo (find.c decides). Object handles are stable for the life of the
 * process: the same key always has the same handle.
 *
 * The cache holds, per key, what one refresh reads: the key's type, curve
 * and flags, every attribute the module may have stored (one
 * hsm_get_attributes() call), and the public key. Key UUIDs are random and
 * never reused, so entries are keyed by UUID. An entry older than the TTL
 * (HSM_PKCS11_CACHE_TTL_MS) is read again when used, to catch another
 * process's relabelling; a key deleted elsewhere is dropped when the board
 * says so (KEY_NOT_FOUND) and is never listed by a search, because every
 * C_FindObjectsInit asks the board which keys exist.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "p11.h"

/* ---- the handle table ------------------------------------------------- */

static size_t *hash;		/* open addressing: object index + 1, 0 free */
static size_t hash_size;

static size_t hash_of(CK_SLOT_ID slot, const uint8_t *uuid, bool synth)
{
	uint64_t h;

	memcpy(&h, uuid, sizeof(h));	/* UUIDs are random */
	h ^= (uint64_t)slot * 0x9e3779b97f4a7c15ull ^ (synth ? 0x5bd1e995 : 0);
	return (size_t)(h ^ h >> 29);
}

static bool hash_insert(size_t idx)
{
	struct p11_object *o = g.objects[idx];
	size_t i = hash_of(o->slot, o->uuid, o->synth_public) & (hash_size - 1);

	while (hash[i])
		i = (i + 1) & (hash_size - 1);
	hash[i] = idx + 1;
	return true;
}

static bool hash_grow(void)
{
	size_t n = hash_size ? hash_size * 2 : 256, i;
	size_t *old = hash;

	hash = calloc(n, sizeof(*hash));
	if (!hash) {
		hash = old;
		return false;
	}
	hash_size = n;
	free(old);
	for (i = 0; i < g.n_objects; i++)
		hash_insert(i);
	return true;
}

CK_OBJECT_HANDLE obj_handle(CK_SLOT_ID slot, const uint8_t uuid[16],
			    bool synth)
{
	struct p11_object *o, **grown;
	size_t i;

	if (hash_size) {
		i = hash_of(slot, uuid, synth) & (hash_size - 1);
		for (; hash[i]; i = (i + 1) & (hash_size - 1)) {
			o = g.objects[hash[i] - 1];
			if (o->slot == slot && o->synth_public == synth &&
			    !memcmp(o->uuid, uuid, HSM_UUID_LEN)) {
				o->gone = false;
				return hash[i];
			}
		}
	}
	o = calloc(1, sizeof(*o));
	if (!o)
		return CK_INVALID_HANDLE;
	o->slot = slot;
	memcpy(o->uuid, uuid, HSM_UUID_LEN);
	o->synth_public = synth;
	if (synth) {
		CK_OBJECT_HANDLE ph = obj_handle(slot, uuid, false);

		if (ph == CK_INVALID_HANDLE) {
			free(o);
			return CK_INVALID_HANDLE;
		}
		o->priv = g.objects[ph - 1];
		/* obj_handle() may have moved g.objects */
	}
	grown = realloc(g.objects, (g.n_objects + 1) * sizeof(*grown));
	if (!grown) {
		free(o);
		return CK_INVALID_HANDLE;
	}
	g.objects = grown;
	if ((g.n_objects + 1) * 2 > hash_size && !hash_grow()) {
		free(o);
		return CK_INVALID_HANDLE;
	}
	g.objects[g.n_objects++] = o;
	hash_insert(g.n_objects - 1);
	return g.n_objects;
}

const struct p11_object *obj_view(const struct p11_object *o,
				  struct p11_object *tmp)
{
	if (!o->synth_public)
		return o;
	*tmp = *o->priv;
	tmp->synth_public = true;
	return tmp;
}

struct p11_object *obj_lookup(CK_SLOT_ID slot, CK_OBJECT_HANDLE h)
{
	struct p11_object *o;

	if (h == CK_INVALID_HANDLE || h > g.n_objects)
		return NULL;
	o = g.objects[h - 1];
	return o->slot == slot && !o->gone ? o : NULL;
}

static void obj_clear_cache(struct p11_object *o)
{
	free(o->attrs);
	free(o->spki);
	o->attrs = NULL;
	o->spki = NULL;
	o->spki_len = 0;
	o->loaded_ms = 0;
}

struct pool_session *obj_vol(const struct p11_object *o)
{
	return o->synth_public ? o->priv->vol : o->vol;
}

void obj_gone_vol(struct pool_session *vol)
{
	size_t i;

	for (i = 0; i < g.n_objects; i++) {
		struct p11_object *o = g.objects[i];

		if (obj_vol(o) == vol) {
			o->gone = true;
			obj_clear_cache(o);
		}
	}
	for (i = 0; i < g.n_objects; i++)
		if (g.objects[i]->vol == vol)
			g.objects[i]->vol = NULL;
}

CK_RV obj_pool_get(struct p11_slot *slot, CK_OBJECT_HANDLE h,
		   struct pool_session **out)
{
	struct pool_session *v = NULL;
	struct p11_object *o;
	CK_RV rv = CKR_OK;

	p11_lock(g.lock);
	o = obj_lookup(slot->id, h);
	if (o)
		v = obj_vol(o);
	if (v) {
		p11_lock(slot->pool_lock);
		if (v->s && !v->doomed) {
			v->users++;
			*out = v;
		} else {
			rv = CKR_OBJECT_HANDLE_INVALID;	/* its keys are gone */
		}
		p11_unlock(slot->pool_lock);
	}
	p11_unlock(g.lock);
	return v ? rv : pool_get(slot, out);
}

void obj_gone(CK_SLOT_ID slot, const uint8_t uuid[16])
{
	size_t i;

	for (i = 0; i < g.n_objects; i++) {
		struct p11_object *o = g.objects[i];

		if (o->slot == slot && !memcmp(o->uuid, uuid, HSM_UUID_LEN)) {
			o->gone = true;
			obj_clear_cache(o);
		}
	}
}

void objects_free_all(void)
{
	size_t i;

	for (i = 0; i < g.n_objects; i++) {
		obj_clear_cache(g.objects[i]);
		free(g.objects[i]);
	}
	free(g.objects);
	free(hash);
	hash = NULL;
	hash_size = 0;
	g.objects = NULL;
	g.n_objects = 0;
}

/* ---- the cache ------------------------------------------------------------ */

static size_t sig_len_of(uint32_t type, uint32_t curve, const unsigned char *spki,
			 size_t spki_len)
{
	const unsigned char *p = spki;
	EVP_PKEY *pk;
	size_t n = 0;

	if (type == HSM_KEY_EC_PRIVATE || type == HSM_KEY_EC_PUBLIC)
		return curve == HSM_CURVE_P256 ? 64 : curve == HSM_CURVE_P384 ? 96 :
		       curve == HSM_CURVE_P521 ? 132 : 0;
	pk = d2i_PUBKEY(NULL, &p, (long)spki_len);
	if (pk) {
		n = (size_t)EVP_PKEY_get_size(pk);
		EVP_PKEY_free(pk);
	}
	return n;
}

CK_RV obj_refresh(struct p11_slot *slot, struct pool_session *ps,
		  CK_OBJECT_HANDLE h, bool force)
{
	struct p11_object *o;
	struct hsm_key_info ki;
	struct hsm_attr *attrs = NULL;
	unsigned char *spki = NULL;
	size_t spki_len = 0;
	uint8_t uuid[HSM_UUID_LEN];
	uint32_t kh, st = 0;
	bool have_spki;
	CK_RV rv;
	int ret;

	p11_lock(g.lock);
	o = obj_lookup(slot->id, h);
	if (o && o->synth_public) {
		/* The public half reads its private key's entry. */
		o = o->priv;
		h = obj_handle(slot->id, o->uuid, false);
	}
	if (!o) {
		p11_unlock(g.lock);
		return CKR_OBJECT_HANDLE_INVALID;
	}
	/* A session object changes only through this process: no TTL. */
	if (!force && o->loaded_ms &&
	    (o->vol || p11_now_ms() - o->loaded_ms < g.cfg.cache_ttl_ms)) {
		p11_unlock(g.lock);
		return CKR_OK;
	}
	memcpy(uuid, o->uuid, sizeof(uuid));
	have_spki = o->spki != NULL;	/* a key's public half never changes */
	p11_unlock(g.lock);

	rv = pool_key_get(slot, ps, uuid, &kh);
	if (rv != CKR_OK)
		goto fail;
	ret = hsm_key_info(ps->s, kh, &ki, &st);
	if (ret == 0)
		ret = hsm_get_attributes(ps->s, kh, p11_stored_types,
					 P11_STORED_N, HSM_ATTRS_OPTIONAL,
					 &attrs, &st);
	if (ret == 0 && !have_spki)
		ret = hsm_public_key_alloc(ps->s, kh, &spki, &spki_len, &st);
	pool_key_put(slot, ps, kh);
	pool_request_failed(slot, ps, ret);
	if (ret) {
		free(attrs);
		free(spki);
		rv = p11_rv(slot, ret, st);
		goto fail;
	}
	p11_lock(g.lock);
	free(o->attrs);
	o->attrs = attrs;
	o->type = ki.type;
	o->curve = ki.curve;
	o->flags = ki.flags;
	if (spki) {
		free(o->spki);
		o->spki = spki;
		o->spki_len = spki_len;
		o->sig_len = sig_len_of(ki.type, ki.curve, spki, spki_len);
	}
	o->loaded_ms = p11_now_ms();
	if (!o->loaded_ms)
		o->loaded_ms = 1;
	p11_unlock(g.lock);
	return CKR_OK;
fail:
	if (rv == CKR_OBJECT_HANDLE_INVALID) {
		/* Deleted, here or by another process or host. */
		pool_key_forget(slot, uuid);
		p11_lock(g.lock);
		obj_gone(slot->id, uuid);
		p11_unlock(g.lock);
	}
	return rv;
}

/* ---- attribute values ---------------------------------------------------- */

CK_OBJECT_CLASS obj_class(const struct p11_object *o)
{
	if (o->synth_public)
		return CKO_PUBLIC_KEY;
	return obj_is_private(o) ? CKO_PRIVATE_KEY : CKO_PUBLIC_KEY;
}

bool obj_is_private(const struct p11_object *o)
{
	return !o->synth_public && (o->type == HSM_KEY_RSA_PRIVATE ||
				    o->type == HSM_KEY_EC_PRIVATE);
}

CK_KEY_TYPE obj_key_type(const struct p11_object *o)
{
	return o->type == HSM_KEY_RSA_PRIVATE || o->type == HSM_KEY_RSA_PUBLIC ?
	       CKK_RSA : CKK_EC;
}

static const struct hsm_attr *stored(const struct p11_object *o,
				     CK_ATTRIBUTE_TYPE t)
{
	int i = p11_stored_index(t);

	if (i < 0 || !o->attrs || !o->attrs[i].value || !o->attrs[i].len)
		return NULL;
	return &o->attrs[i];
}

/* A stored CK_BBOOL, or @def when absent or malformed. */
static CK_BBOOL stored_bool(const struct p11_object *o, CK_ATTRIBUTE_TYPE t,
			    CK_BBOOL def)
{
	const struct hsm_attr *a = stored(o, t);

	if (!a || a->len != 1)
		return def;
	return *(const unsigned char *)a->value ? CK_TRUE : CK_FALSE;
}

/*
 * @pk's EC point, uncompressed, into @out: 0 if it does not fit. The form
 * the SPKI holds is not enough: a board may send a compressed point, libp11
 * keeps the form it is given, and BIND then writes the x coordinate alone
 * into the DNSKEY.
 */
static size_t ec_point_uncompressed(EVP_PKEY *pk, unsigned char *out, size_t room)
{
	unsigned char enc[160];
	char group[64];
	size_t enc_len = 0, n = 0;
	EC_GROUP *g = NULL;
	EC_POINT *pt = NULL;

	if (!EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group,
					    sizeof(group), NULL) ||
	    !EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, enc,
					     sizeof(enc), &enc_len))
		return 0;
	g = EC_GROUP_new_by_curve_name(OBJ_txt2nid(group));
	pt = g ? EC_POINT_new(g) : NULL;
	if (pt && EC_POINT_oct2point(g, pt, enc, enc_len, NULL) == 1)
		n = EC_POINT_point2oct(g, pt, POINT_CONVERSION_UNCOMPRESSED, out, room, NULL);
	EC_POINT_free(pt);
	EC_GROUP_free(g);
	return n;
}

/* RSA modulus/exponent or EC point of the SubjectPublicKeyInfo. */
size_t p11_spki_part(const unsigned char *spki, size_t spki_len,
		     CK_ATTRIBUTE_TYPE t, unsigned char *out, size_t room)
{
	const unsigned char *p = spki;
	EVP_PKEY *pk;
	BIGNUM *bn = NULL;
	size_t n = 0;

	if (!spki)
		return 0;
	pk = d2i_PUBKEY(NULL, &p, (long)spki_len);
	if (!pk)
		return 0;
	if (t == CKA_MODULUS || t == CKA_PUBLIC_EXPONENT) {
		if (EVP_PKEY_get_bn_param(pk, t == CKA_MODULUS ?
					  OSSL_PKEY_PARAM_RSA_N :
					  OSSL_PKEY_PARAM_RSA_E, &bn) &&
		    (size_t)BN_num_bytes(bn) <= room)
			n = (size_t)BN_bn2bin(bn, out);
		BN_free(bn);
	} else if (t == CKA_EC_POINT && room > 3) {
		/* DER OCTET STRING around the uncompressed point, as
		 * PKCS#11 2.40 specifies and GnuTLS and Knot expect. */
		size_t len = ec_point_uncompressed(pk, out + 3, room - 3);

		if (len && len < 128) {
			out[0] = 0x04;
			out[1] = (unsigned char)len;
			memmove(out + 2, out + 3, len);
			n = len + 2;
		} else if (len && len < 256) {
			out[0] = 0x04;
			out[1] = 0x81;
			out[2] = (unsigned char)len;
			n = len + 3;
		}
	}
	EVP_PKEY_free(pk);
	return n;
}

#define ATTR_TMP_MAX 1024

/*
 * The value of @t for @o into (@val, @len), using @tmp (ATTR_TMP_MAX bytes)
 * for values made here. CKR_ATTRIBUTE_SENSITIVE, _TYPE_INVALID.
 */
static CK_RV attr_value(const struct p11_object *o, CK_ATTRIBUTE_TYPE t,
			unsigned char *tmp, const void **val, size_t *len)
{
	bool priv = obj_is_private(o), rsa = obj_key_type(o) == CKK_RSA;
	const struct hsm_attr *a;
	CK_ULONG ul;
	CK_BBOOL b;

#define ULONG(v) do { ul = (v); memcpy(tmp, &ul, sizeof(ul));		\
		      *val = tmp; *len = sizeof(ul); return CKR_OK; } while (0)
#define BOOL(v) do { b = (v); tmp[0] = b; *val = tmp; *len = 1;	\
		     return CKR_OK; } while (0)
#define BYTES_OR_EMPTY(t_) do { a = stored(o, t_);			\
		*val = a ? a->value : tmp; *len = a ? a->len : 0;	\
		return CKR_OK; } while (0)

	switch (t) {
	case CKA_CLASS:
		ULONG(obj_class(o));
	case CKA_KEY_TYPE:
		ULONG(obj_key_type(o));
	case CKA_TOKEN:
		BOOL(o->flags & HSM_KEY_F_TOKEN ? CK_TRUE : CK_FALSE);
	case CKA_PRIVATE:
		/* The public half of a private key is public information. */
		BOOL(o->synth_public ? CK_FALSE :
		     o->flags & HSM_KEY_F_PUBLIC ? CK_FALSE : CK_TRUE);
	case CKA_LABEL:
	case CKA_ID:
	case CKA_SUBJECT:
	case CKA_START_DATE:
	case CKA_END_DATE:
		BYTES_OR_EMPTY(t);
	case CKA_MODIFIABLE:
		BOOL(stored_bool(o, t, CK_TRUE));
	case CKA_COPYABLE:
		BOOL(CK_FALSE);
	case CKA_DESTROYABLE:
		/* The public half of a private key goes with the key. */
		BOOL(o->synth_public ? CK_FALSE : CK_TRUE);
	case CKA_LOCAL:
		BOOL(stored_bool(o, t, CK_FALSE));
	case CKA_DERIVE:
		BOOL(o->synth_public ? CK_FALSE : stored_bool(o, t, CK_FALSE));
	case CKA_KEY_GEN_MECHANISM:
		a = stored(o, t);
		if (!a || !p11_get_ulong(a->value, a->len, &ul))
			ul = CK_UNAVAILABLE_INFORMATION;
		ULONG(ul);
	case CKA_PUBLIC_KEY_INFO:
		*val = o->spki ? o->spki : tmp;
		*len = o->spki ? o->spki_len : 0;
		return CKR_OK;
	case CKA_MODULUS:
	case CKA_PUBLIC_EXPONENT:
		if (!rsa)
			break;
		*val = tmp;
		*len = p11_spki_part(o->spki, o->spki_len, t, tmp, ATTR_TMP_MAX);
		return *len ? CKR_OK : CKR_DEVICE_ERROR;
	case CKA_MODULUS_BITS:
		if (!rsa)
			break;
		ULONG(o->sig_len * 8);
	case CKA_EC_PARAMS: {
		size_t n;
		const unsigned char *oid;

		if (rsa)
			break;
		oid = p11_curve_params(o->curve, &n);
		if (!oid)
			return CKR_DEVICE_ERROR;
		*val = oid;
		*len = n;
		return CKR_OK;
	}
	case CKA_EC_POINT:
		if (rsa)
			break;
		*val = tmp;
		*len = p11_spki_part(o->spki, o->spki_len, t, tmp, ATTR_TMP_MAX);
		return *len ? CKR_OK : CKR_DEVICE_ERROR;
	default:
		break;
	}
	if (priv) {
		switch (t) {
		case CKA_SENSITIVE:
		case CKA_ALWAYS_SENSITIVE:
			BOOL(stored_bool(o, t, CK_TRUE));
		case CKA_DECRYPT:
		case CKA_UNWRAP:
			BOOL(stored_bool(o, t, CK_FALSE));
		case CKA_SIGN:
			BOOL(o->flags & HSM_KEY_F_SIGN ? CK_TRUE : CK_FALSE);
		case CKA_SIGN_RECOVER:
		case CKA_WRAP_WITH_TRUSTED:
		case CKA_ALWAYS_AUTHENTICATE:
			BOOL(CK_FALSE);
		case CKA_EXTRACTABLE:
			BOOL(o->flags & HSM_KEY_F_EXPORTABLE ? CK_TRUE : CK_FALSE);
		case CKA_NEVER_EXTRACTABLE:
			BOOL(stored_bool(o, t, o->flags & HSM_KEY_F_EXPORTABLE ?
					 CK_FALSE : CK_TRUE));
		case CKA_PRIVATE_EXPONENT:
		case CKA_PRIME_1:
		case CKA_PRIME_2:
		case CKA_EXPONENT_1:
		case CKA_EXPONENT_2:
		case CKA_COEFFICIENT:
			return rsa ? CKR_ATTRIBUTE_SENSITIVE :
			       CKR_ATTRIBUTE_TYPE_INVALID;
		case CKA_VALUE:
			return rsa ? CKR_ATTRIBUTE_TYPE_INVALID :
			       CKR_ATTRIBUTE_SENSITIVE;
		default:
			break;
		}
	} else {
		switch (t) {
		case CKA_ENCRYPT:
		case CKA_WRAP:
			BOOL(o->synth_public ? CK_FALSE : stored_bool(o, t, CK_FALSE));
		case CKA_VERIFY:
			BOOL(o->flags & HSM_KEY_F_SIGN ? CK_TRUE : CK_FALSE);
		case CKA_VERIFY_RECOVER:
		case CKA_TRUSTED:
			BOOL(CK_FALSE);
		default:
			break;
		}
	}
	return CKR_ATTRIBUTE_TYPE_INVALID;
#undef ULONG
#undef BOOL
#undef BYTES_OR_EMPTY
}

CK_RV obj_attribute(const struct p11_object *obj, CK_ATTRIBUTE *t)
{
	unsigned char tmp[ATTR_TMP_MAX];
	struct p11_object view;
	const struct p11_object *o;
	const void *val;
	size_t len;
	CK_RV rv;

	if (obj->is_group)
		return group_obj_attribute(obj, t);
	o = obj_view(obj, &view);
	rv = attr_value(o, t->type, tmp, &val, &len);
	if (rv != CKR_OK) {
		t->ulValueLen = CK_UNAVAILABLE_INFORMATION;
		return rv == CKR_DEVICE_ERROR ? CKR_ATTRIBUTE_TYPE_INVALID : rv;
	}
	return p11_put_value(t, val, len);
}

CK_RV p11_put_value(CK_ATTRIBUTE *t, const void *val, size_t len)
{
	if (!t->pValue) {
		t->ulValueLen = len;
		return CKR_OK;
	}
	if (t->ulValueLen < len) {
		t->ulValueLen = CK_UNAVAILABLE_INFORMATION;
		return CKR_BUFFER_TOO_SMALL;
	}
	if (len)
		memcpy(t->pValue, val, len);
	t->ulValueLen = len;
	return CKR_OK;
}

bool obj_matches(const struct p11_object *obj, const CK_ATTRIBUTE *tmpl,
		 CK_ULONG n)
{
	struct p11_object view;
	const struct p11_object *o;
	unsigned char tmp[ATTR_TMP_MAX];
	const void *val;
	size_t len;
	CK_ULONG i;

	if (obj->is_group)
		return group_obj_matches(obj, tmpl, n);
	o = obj_view(obj, &view);
	for (i = 0; i < n; i++) {
		if (attr_value(o, tmpl[i].type, tmp, &val, &len) != CKR_OK ||
		    len != tmpl[i].ulValueLen ||
		    (len && (!tmpl[i].pValue || memcmp(val, tmpl[i].pValue, len))))
			return false;
	}
	return true;
}

/* ---- C_GetAttributeValue, C_SetAttributeValue ---------------------------- */

/*
 * Find @h in the session's slot and bring its cache up to date. Before
 * login nothing can be read from the board (it needs a login to open any
 * key), so only what is cached is served, and private objects are hidden.
 */
static CK_RV obj_prepare(struct p11_slot *slot, CK_OBJECT_HANDLE h)
{
	struct group_copy c[HSM_GROUP_MAX_BOARDS];
	struct p11_object view;
	struct pool_session *ps;
	struct p11_object *o;
	bool loaded, private_obj;
	size_t i, n;
	CK_RV rv;

	if (slot->is_group) {
		/* a copy answers; before login the copies' caches do */
		p11_lock(g.lock);
		o = obj_lookup(slot->id, h);
		p11_unlock(g.lock);
		if (!o)
			return CKR_OBJECT_HANDLE_INVALID;
		n = group_copies(slot, h, c);
		rv = CKR_OK;
		if (!n && slot->user != CKU_USER) {
			/* before login, as for a board: public objects only */
			CK_BBOOL priv = CK_TRUE;
			CK_ATTRIBUTE a = { CKA_PRIVATE, &priv, sizeof(priv) };

			p11_lock(g.lock);
			o = obj_lookup(slot->id, h);
			if (!o || obj_attribute(o, &a) != CKR_OK)
				priv = CK_TRUE;
			p11_unlock(g.lock);
			return priv ? CKR_OBJECT_HANDLE_INVALID : CKR_OK;
		}
		for (i = 0; i < n; i++) {
			group_request_start(c[i].slot);
			rv = obj_prepare(c[i].slot, c[i].h);
			group_request_end(c[i].slot);
			if (rv != CKR_DEVICE_REMOVED && rv != CKR_DEVICE_ERROR)
				break;
		}
		return rv;
	}

	p11_lock(g.lock);
	o = obj_lookup(slot->id, h);
	loaded = o && obj_view(o, &view)->loaded_ms;
	private_obj = o && !o->synth_public && !(o->flags & HSM_KEY_F_PUBLIC);
	p11_unlock(g.lock);
	if (!o)
		return CKR_OBJECT_HANDLE_INVALID;
	rv = obj_pool_get(slot, h, &ps);
	if (rv == CKR_USER_NOT_LOGGED_IN)
		return loaded && !private_obj ? CKR_OK :
		       CKR_OBJECT_HANDLE_INVALID;
	if (rv != CKR_OK)
		return rv;
	rv = obj_refresh(slot, ps, h, false);
	pool_put(slot, ps);
	return rv;
}

CK_RV C_GetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
			  CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	struct p11_session *s;
	struct p11_slot *slot;
	struct p11_object *o;
	CK_RV rv, r1;
	CK_ULONG i;

	rv = session_get(hSession, &s, &slot);
	if (rv != CKR_OK)
		return rv;
	if (!pTemplate && ulCount) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	rv = obj_prepare(slot, hObject);
	if (rv != CKR_OK)
		goto out;
	p11_lock(g.lock);
	o = obj_lookup(slot->id, hObject);
	for (i = 0; o && i < ulCount; i++) {
		r1 = obj_attribute(o, &pTemplate[i]);
		if (r1 != CKR_OK)
			rv = r1;
	}
	if (!o)
		rv = CKR_OBJECT_HANDLE_INVALID;
	p11_unlock(g.lock);
out:
	session_put(s);
	return rv;
}

/* Set @attrs (@n of them) on board object @h of board slot @slot. */
static CK_RV set_on(struct p11_session *s, struct p11_slot *slot,
		    CK_OBJECT_HANDLE h, const struct hsm_attr *attrs, CK_ULONG n)
{
	struct pool_session *ps = NULL;
	struct p11_object *o;
	uint8_t uuid[HSM_UUID_LEN];
	uint32_t kh = 0, st = 0;
	bool token = false;
	CK_RV rv;
	int ret;

	rv = obj_prepare(slot, h);
	if (rv != CKR_OK)
		return rv;
	p11_lock(g.lock);
	o = obj_lookup(slot->id, h);
	if (o) {
		memcpy(uuid, o->uuid, sizeof(uuid));
		token = o->flags & HSM_KEY_F_TOKEN;
	}
	p11_unlock(g.lock);
	if (!o)
		return CKR_OBJECT_HANDLE_INVALID;
	if (token && !(s->flags & CKF_RW_SESSION))
		return CKR_SESSION_READ_ONLY;
	if (n == 0)
		return CKR_OK;
	rv = obj_pool_get(slot, h, &ps);
	if (rv != CKR_OK)
		return rv;
	rv = pool_key_get(slot, ps, uuid, &kh);
	if (rv == CKR_OK) {
		ret = hsm_set_attributes(ps->s, kh, attrs, n, &st);
		pool_key_put(slot, ps, kh);
		rv = ret == -EOVERFLOW ? CKR_DEVICE_MEMORY : p11_rv(slot, ret, st);
	}
	if (rv == CKR_OK)
		rv = obj_refresh(slot, ps, h, true);
	pool_put(slot, ps);
	return rv;
}

/*
 * A group object: every copy on the attached boards. Not atomic across
 * boards: on an error the copies done keep the new values (documented;
 * the same call again, or hsmctl group sync, makes them agree).
 */
static CK_RV group_set(struct p11_session *s, struct p11_slot *grp,
		       CK_OBJECT_HANDLE h, const struct hsm_attr *attrs,
		       CK_ULONG n)
{
	struct group_copy c[HSM_GROUP_MAX_BOARDS];
	struct p11_object *o;
	size_t i, nc;
	CK_RV rv = CKR_OK, r;

	p11_lock(g.lock);
	o = obj_lookup(grp->id, h);
	p11_unlock(g.lock);
	if (!o)
		return CKR_OBJECT_HANDLE_INVALID;
	if (grp->user != CKU_USER)
		return CKR_USER_NOT_LOGGED_IN;
	nc = group_copies(grp, h, c);
	if (!nc)
		return CKR_DEVICE_REMOVED;
	for (i = 0; i < nc; i++) {
		group_request_start(c[i].slot);
		r = set_on(s, c[i].slot, c[i].h, attrs, n);
		group_request_end(c[i].slot);
		if (r != CKR_OK && rv == CKR_OK)
			rv = r;
	}
	return rv;
}

CK_RV C_SetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
			  CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	struct hsm_attr attrs[HSM_ATTRS_MAX];
	struct p11_session *s;
	struct p11_slot *slot;
	CK_ULONG i;
	CK_RV rv;

	rv = session_get(hSession, &s, &slot);
	if (rv != CKR_OK)
		return rv;
	if ((!pTemplate && ulCount) || ulCount > HSM_ATTRS_MAX) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	for (i = 0; i < ulCount; i++) {
		switch (pTemplate[i].type) {
		case CKA_LABEL: case CKA_ID: case CKA_SUBJECT:
		case CKA_START_DATE: case CKA_END_DATE:
			if (pTemplate[i].ulValueLen > 4096 ||
			    (pTemplate[i].ulValueLen && !pTemplate[i].pValue)) {
				rv = CKR_ATTRIBUTE_VALUE_INVALID;
				goto out;
			}
			attrs[i].type = (uint32_t)pTemplate[i].type;
			attrs[i].len = (uint32_t)pTemplate[i].ulValueLen;
			attrs[i].value = pTemplate[i].pValue;
			break;
		default:
			rv = CKR_ATTRIBUTE_READ_ONLY;
			goto out;
		}
	}
	if (slot->is_group)
		rv = group_set(s, slot, hObject, attrs, ulCount);
	else
		rv = set_on(s, slot, hObject, attrs, ulCount);
out:
	session_put(s);
	return rv;
}
