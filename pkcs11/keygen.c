// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * C_GenerateKeyPair and C_DestroyObject.
 *
 * A key pair is two board keys, as CrypTech's own module makes them
 * (protocol §7.8): the private key the board generates, and its public key
 * loaded back from the SubjectPublicKeyInfo; each gets its PKCS#11
 * attributes in one all-or-nothing SET_ATTRIBUTES. Flags: TOKEN from
 * CKA_TOKEN, DIGITALSIGNATURE from CKA_SIGN/CKA_VERIFY, DATAENCIPHERMENT
 * from CKA_DECRYPT/CKA_ENCRYPT, KEYENCIPHERMENT from CKA_UNWRAP/CKA_WRAP,
 * PUBLIC when CKA_PRIVATE is false, EXPORTABLE on public keys and on
 * private keys with CKA_EXTRACTABLE.
 *
 * The templates signers send differ (Knot's has no CKA_CLASS or
 * CKA_KEY_TYPE and asks for CKA_DECRYPT on RSA; OpenDNSSEC's sets it
 * false): every attribute PKCS#11 defines for the object is accepted and
 * stored, and values the board cannot honour are refused.
 *
 * Generation runs on a libhsm session of its own (RSA takes the board
 * seconds to minutes) so that signing on the pool goes on meanwhile.
 * A pair with a session object (CKA_TOKEN false or absent, the PKCS#11
 * default) is made on the PKCS#11 session's holder (vol_get(), p11.h):
 * the board keeps the volatile key for that libhsm session alone and
 * deletes it when the holder closes with the PKCS#11 session.
 *
 * On a group token (group.c) the pair is generated on one board and copied
 * to every other attached board of the group (hsm_key_replicate(): export
 * under the destination's KEKEK, import, attributes restored) before the
 * call returns; if a copy fails, every copy goes again. So the private key
 * must be exportable: CKA_EXTRACTABLE false is refused there, and absent
 * means true. Session objects cannot be copied and are refused too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <hsm/replicate.h>

#include "p11.h"

struct tmpl {
	bool is_private;
	CK_ULONG cls, key_type, bits;
	bool have_cls, have_key_type, have_bits;
	const void *ec_params;
	size_t ec_params_len;
	bool have_exp;
	int token, priv, sign, crypt, wrap, extractable, sensitive; /* -1 unset */
	/* what is stored, board encoding */
	struct hsm_attr attrs[HSM_ATTRS_MAX];
	unsigned char vals[HSM_ATTRS_MAX][8];
	size_t n;
};

static CK_RV add_attr(struct tmpl *t, CK_ATTRIBUTE_TYPE type, const void *v,
		      size_t len)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		if (t->attrs[i].type != type)
			continue;
		/* the same attribute twice: the same value, or inconsistent */
		if (t->attrs[i].len != len ||
		    (len && memcmp(t->attrs[i].value, v, len)))
			return CKR_TEMPLATE_INCONSISTENT;
		return CKR_OK;
	}
	if (t->n == HSM_ATTRS_MAX)
		return CKR_TEMPLATE_INCONSISTENT;
	t->attrs[t->n].type = (uint32_t)type;
	t->attrs[t->n].len = (uint32_t)len;
	t->attrs[t->n].value = v;
	t->n++;
	return CKR_OK;
}

/* A CK_ULONG or CK_BBOOL in the board's encoding, kept in t->vals. */
static CK_RV add_fixed(struct tmpl *t, CK_ATTRIBUTE_TYPE type, CK_ULONG v,
		       bool is_bool)
{
	unsigned char *buf = t->vals[t->n < HSM_ATTRS_MAX ? t->n : 0];

	if (t->n == HSM_ATTRS_MAX)
		return CKR_TEMPLATE_INCONSISTENT;
	if (is_bool) {
		buf[0] = v ? 1 : 0;
		return add_attr(t, type, buf, 1);
	}
	p11_put_ulong(buf, v);
	return add_attr(t, type, buf, 8);
}

static bool get_bool(const CK_ATTRIBUTE *a, int *out)
{
	if (a->ulValueLen != sizeof(CK_BBOOL) || !a->pValue)
		return false;
	*out = *(const CK_BBOOL *)a->pValue ? 1 : 0;
	return true;
}

static bool get_ulong(const CK_ATTRIBUTE *a, CK_ULONG *out)
{
	if (a->ulValueLen != sizeof(CK_ULONG) || !a->pValue)
		return false;
	memcpy(out, a->pValue, sizeof(*out));
	return true;
}

/* A boolean the template may give twice, with the same value only. */
static bool set_once(int *field, int b)
{
	if (*field != -1 && *field != b)
		return false;
	*field = b;
	return true;
}

/* Parse one template; nothing the board cannot honour gets through. */
static CK_RV parse(const CK_ATTRIBUTE *a, CK_ULONG n, bool is_private,
		   CK_KEY_TYPE want, struct tmpl *t)
{
	static const unsigned char exp65537[] = { 0x01, 0x00, 0x01 };
	CK_ULONG i, v;
	int b;
	CK_RV rv;

	memset(t, 0, sizeof(*t));
	t->is_private = is_private;
	t->token = t->priv = t->sign = t->crypt = t->wrap = -1;
	t->extractable = t->sensitive = -1;
	if (!a && n)
		return CKR_ARGUMENTS_BAD;
	for (i = 0; i < n; i++) {
		CK_ATTRIBUTE_TYPE ty = a[i].type;

		if (a[i].ulValueLen && !a[i].pValue)
			return CKR_ATTRIBUTE_VALUE_INVALID;
		switch (ty) {
		case CKA_CLASS:
			if (!get_ulong(&a[i], &t->cls))
				return CKR_ATTRIBUTE_VALUE_INVALID;
			if (t->cls != (is_private ? CKO_PRIVATE_KEY :
				       CKO_PUBLIC_KEY))
				return CKR_TEMPLATE_INCONSISTENT;
			t->have_cls = true;
			continue;
		case CKA_KEY_TYPE:
			if (!get_ulong(&a[i], &t->key_type))
				return CKR_ATTRIBUTE_VALUE_INVALID;
			if (t->key_type != want)
				return CKR_TEMPLATE_INCONSISTENT;
			t->have_key_type = true;
			continue;
		case CKA_LABEL: case CKA_ID: case CKA_SUBJECT:
		case CKA_START_DATE: case CKA_END_DATE:
			if (a[i].ulValueLen > 1024)
				return CKR_ATTRIBUTE_VALUE_INVALID;
			rv = add_attr(t, ty, a[i].pValue, a[i].ulValueLen);
			if (rv != CKR_OK)
				return rv;
			continue;
		case CKA_MODULUS_BITS:
			if (is_private || want != CKK_RSA)
				return CKR_ATTRIBUTE_TYPE_INVALID;
			if (!get_ulong(&a[i], &v))
				return CKR_ATTRIBUTE_VALUE_INVALID;
			if (t->have_bits && v != t->bits)
				return CKR_TEMPLATE_INCONSISTENT;
			t->bits = v;
			t->have_bits = true;
			continue;
		case CKA_PUBLIC_EXPONENT: {
			const unsigned char *e = a[i].pValue;
			size_t len = a[i].ulValueLen;

			if (want != CKK_RSA)
				return CKR_ATTRIBUTE_TYPE_INVALID;
			/* The board knows only 65537: any encoding of it. */
			while (len > 3 && *e == 0) {
				e++;
				len--;
			}
			if (len != 3 || memcmp(e, exp65537, 3))
				return CKR_ATTRIBUTE_VALUE_INVALID;
			t->have_exp = true;
			continue;
		}
		case CKA_EC_PARAMS:
			if (want != CKK_EC || is_private)
				return CKR_ATTRIBUTE_TYPE_INVALID;
			if (!p11_curve_from_params(a[i].pValue, a[i].ulValueLen))
				return CKR_CURVE_NOT_SUPPORTED;
			t->ec_params = a[i].pValue;
			t->ec_params_len = a[i].ulValueLen;
			continue;
		default:
			break;
		}
		if (!p11_is_bool_attr(ty))
			return CKR_ATTRIBUTE_TYPE_INVALID;
		if (!get_bool(&a[i], &b))
			return CKR_ATTRIBUTE_VALUE_INVALID;
		switch (ty) {
		case CKA_TOKEN:
			if (!set_once(&t->token, b))
				return CKR_TEMPLATE_INCONSISTENT;
			continue;
		case CKA_PRIVATE:
			if (!set_once(&t->priv, b))
				return CKR_TEMPLATE_INCONSISTENT;
			continue;
		case CKA_SIGN: case CKA_VERIFY:
			if ((ty == CKA_SIGN) != is_private)
				return CKR_ATTRIBUTE_TYPE_INVALID;
			if (!set_once(&t->sign, b))
				return CKR_TEMPLATE_INCONSISTENT;
			continue;
		case CKA_DECRYPT: case CKA_ENCRYPT:
			if ((ty == CKA_DECRYPT) != is_private)
				return CKR_ATTRIBUTE_TYPE_INVALID;
			t->crypt = b;
			break;
		case CKA_UNWRAP: case CKA_WRAP:
			if ((ty == CKA_UNWRAP) != is_private)
				return CKR_ATTRIBUTE_TYPE_INVALID;
			t->wrap = b;
			break;
		case CKA_EXTRACTABLE:
			if (!is_private)
				return CKR_ATTRIBUTE_TYPE_INVALID;
			if (!set_once(&t->extractable, b))
				return CKR_TEMPLATE_INCONSISTENT;
			continue;
		case CKA_SENSITIVE:
			if (!is_private)
				return CKR_ATTRIBUTE_TYPE_INVALID;
			if (!b)		/* keys never leave the board */
				return CKR_ATTRIBUTE_VALUE_INVALID;
			t->sensitive = b;
			continue;
		case CKA_MODIFIABLE:
		case CKA_DESTROYABLE:
			if (!b)
				return CKR_ATTRIBUTE_VALUE_INVALID;
			break;
		case CKA_DERIVE:
			/* Stored as asked (pkcs11-tool asks for it on EC
			 * keys), like CKA_DECRYPT; no derive mechanism is
			 * offered, so nothing can use it. */
			break;
		case CKA_SIGN_RECOVER: case CKA_VERIFY_RECOVER:
		case CKA_ALWAYS_AUTHENTICATE:
		case CKA_WRAP_WITH_TRUSTED: case CKA_TRUSTED:
		case CKA_COPYABLE:
			/* Nothing the board can do: only "false" is true. */
			if (b)
				return CKR_ATTRIBUTE_VALUE_INVALID;
			break;
		case CKA_LOCAL: case CKA_NEVER_EXTRACTABLE:
		case CKA_ALWAYS_SENSITIVE:
			return CKR_ATTRIBUTE_READ_ONLY;
		default:
			return CKR_ATTRIBUTE_TYPE_INVALID;
		}
		rv = add_fixed(t, ty, (CK_ULONG)b, true);
		if (rv != CKR_OK)
			return rv;
	}
	return CKR_OK;
}

/* The key's flags from its template, protocol §7.8. */
static uint32_t key_flags(const struct tmpl *t)
{
	uint32_t f = 0;

	if (t->token == 1)
		f |= HSM_KEY_F_TOKEN;
	if (t->sign != 0)
		f |= HSM_KEY_F_SIGN;	/* a signing key unless told not */
	if (t->crypt == 1)
		f |= HSM_KEY_F_DATAENC;
	if (t->wrap == 1)
		f |= HSM_KEY_F_KEYENC;
	if (t->is_private) {
		if (t->priv == 0)
			f |= HSM_KEY_F_PUBLIC;
		if (t->extractable == 1)
			f |= HSM_KEY_F_EXPORTABLE;
	} else {
		if (t->priv != 1)
			f |= HSM_KEY_F_PUBLIC;
		f |= HSM_KEY_F_EXPORTABLE;
	}
	return f;
}

/* The attributes made here, after the template's own. */
static CK_RV complete(struct tmpl *t, CK_KEY_TYPE kt, CK_MECHANISM_TYPE mech,
		      uint32_t flags, const unsigned char *mod, size_t mod_len,
		      const unsigned char *exp, size_t exp_len,
		      const unsigned char *ecp, size_t ecp_len,
		      const unsigned char *point, size_t point_len, CK_ULONG bits)
{
	CK_RV rv = CKR_OK;

#define FIX(type, v, isb) do { if (rv == CKR_OK) rv = add_fixed(t, type, v, isb); } while (0)
#define BYTES(type, v, l) do { if (rv == CKR_OK) rv = add_attr(t, type, v, l); } while (0)
	FIX(CKA_CLASS, t->is_private ? CKO_PRIVATE_KEY : CKO_PUBLIC_KEY, false);
	FIX(CKA_KEY_TYPE, kt, false);
	FIX(CKA_TOKEN, !!(flags & HSM_KEY_F_TOKEN), true);
	FIX(CKA_PRIVATE, !(flags & HSM_KEY_F_PUBLIC), true);
	FIX(t->is_private ? CKA_SIGN : CKA_VERIFY, !!(flags & HSM_KEY_F_SIGN), true);
	FIX(CKA_LOCAL, 1, true);
	FIX(CKA_KEY_GEN_MECHANISM, mech, false);
	if (t->is_private) {
		FIX(CKA_SENSITIVE, 1, true);
		FIX(CKA_ALWAYS_SENSITIVE, 1, true);
		FIX(CKA_EXTRACTABLE, !!(flags & HSM_KEY_F_EXPORTABLE), true);
		FIX(CKA_NEVER_EXTRACTABLE, !(flags & HSM_KEY_F_EXPORTABLE), true);
	}
	if (kt == CKK_RSA) {
		BYTES(CKA_MODULUS, mod, mod_len);
		BYTES(CKA_PUBLIC_EXPONENT, exp, exp_len);
		if (!t->is_private)
			FIX(CKA_MODULUS_BITS, bits, false);
	} else {
		BYTES(CKA_EC_PARAMS, ecp, ecp_len);
		BYTES(CKA_EC_POINT, point, point_len);
	}
#undef FIX
#undef BYTES
	return rv;
}

/* A libhsm session for a long generation: a new login if the board has a
 * slot free, else one of the pool's. */
static CK_RV gen_session(struct p11_slot *slot, struct hsm_session **own,
			 struct pool_session **shared)
{
	unsigned char *pin = NULL;
	size_t pin_len = 0;
	uint32_t st = 0;
	int ret = -EPERM;

	*own = NULL;
	*shared = NULL;
	p11_lock(slot->pool_lock);
	if (slot->pin && slot->user == CKU_USER) {
		pin = malloc(slot->pin_len);
		if (pin) {
			memcpy(pin, slot->pin, slot->pin_len);
			pin_len = slot->pin_len;
		}
	}
	p11_unlock(slot->pool_lock);
	if (pin) {
		ret = hsm_open(slot->dev, own);
		if (ret == 0) {
			ret = hsm_login(*own, HSM_USER_NORMAL, pin, pin_len, &st);
			if (ret) {
				hsm_close(*own);
				*own = NULL;
			}
		}
		p11_wipe(pin, pin_len);
		free(pin);
	}
	if (ret == 0)
		return CKR_OK;
	if (ret == -ENODEV)
		return p11_rv(slot, ret, st);
	return pool_get(slot, shared);
}

/* A copy of the new pair on another board of the group. */
struct replica {
	uint8_t priv[HSM_UUID_LEN], pub[HSM_UUID_LEN];
};

/* Delete key @uuid (if not all-zero) on the board of @s. */
static void delete_by_name(struct hsm_session *s, const uint8_t uuid[HSM_UUID_LEN])
{
	static const uint8_t zero[HSM_UUID_LEN];
	uint32_t h;

	if (memcmp(uuid, zero, HSM_UUID_LEN) &&
	    hsm_open_key(s, uuid, &h, NULL) == 0 &&
	    hsm_delete_key(s, h, NULL) != 0)
		hsm_close_key(s, h, NULL);
}

/*
 * Copy the pair whose private key is @uuid (on the board of @src) to each
 * of @dst: all or nothing, the copies made so far go again on failure.
 */
static CK_RV replicate(struct p11_slot **dst, size_t n, struct hsm_session *src,
		       const uint8_t uuid[HSM_UUID_LEN], struct replica *made)
{
	struct pool_session *ps;
	uint32_t st = 0;
	size_t i, done;
	CK_RV rv = CKR_OK;
	int ret;

	for (done = 0; done < n; done++) {
		rv = pool_get(dst[done], &ps);
		if (rv != CKR_OK)
			break;
		ret = hsm_key_replicate(src, ps->s, uuid, made[done].priv,
					made[done].pub, &st);
		pool_put(dst[done], ps);
		if (ret) {
			fprintf(stderr, "libhsm-pkcs11: copying the new key to board %s of the group failed: %s; the key was not made\n",
				dst[done]->label, hsm_strerror(ret, st));
			rv = p11_rv(dst[done], ret, st);
			break;
		}
	}
	if (rv == CKR_OK)
		return rv;
	for (i = 0; i < done; i++) {
		if (pool_get(dst[i], &ps) != CKR_OK)
			continue;	/* that board's copy: group sync */
		delete_by_name(ps->s, made[i].pub);
		delete_by_name(ps->s, made[i].priv);
		pool_put(dst[i], ps);
	}
	return rv;
}

/* The board object of key @uuid of @m, its cache loaded. */
static CK_OBJECT_HANDLE board_object(struct p11_slot *m, const uint8_t uuid[HSM_UUID_LEN])
{
	struct pool_session *ps;
	CK_OBJECT_HANDLE h;

	p11_lock(g.lock);
	h = obj_handle(m->id, uuid, false);
	p11_unlock(g.lock);
	if (h && pool_get(m, &ps) == CKR_OK) {
		obj_refresh(m, ps, h, true);
		pool_put(m, ps);
	}
	return h;
}

/* The group objects of the new pair, every copy recorded. */
static CK_RV group_handles(struct p11_slot *grp, struct p11_slot *gen,
			   CK_OBJECT_HANDLE hpriv, CK_OBJECT_HANDLE hpub,
			   struct p11_slot **dst, size_t n,
			   const struct replica *made, CK_OBJECT_HANDLE *gpriv,
			   CK_OBJECT_HANDLE *gpub)
{
	static const uint8_t zero[HSM_UUID_LEN];
	CK_OBJECT_HANDLE dh[P11_MAX_SLOTS][2];
	size_t i;

	for (i = 0; i < n; i++) {
		dh[i][0] = board_object(dst[i], made[i].priv);
		dh[i][1] = memcmp(made[i].pub, zero, HSM_UUID_LEN) ?
			   board_object(dst[i], made[i].pub) : CK_INVALID_HANDLE;
	}
	p11_lock(g.lock);
	*gpriv = group_adopt(grp, gen, hpriv);
	*gpub = group_adopt(grp, gen, hpub);
	for (i = 0; i < n; i++) {
		if (dh[i][0])
			group_adopt(grp, dst[i], dh[i][0]);
		if (dh[i][1])
			group_adopt(grp, dst[i], dh[i][1]);
	}
	p11_unlock(g.lock);
	return *gpriv && *gpub ? CKR_OK : CKR_HOST_MEMORY;
}

CK_RV C_GenerateKeyPair(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
			CK_ATTRIBUTE_PTR pPublicKeyTemplate,
			CK_ULONG ulPublicKeyAttributeCount,
			CK_ATTRIBUTE_PTR pPrivateKeyTemplate,
			CK_ULONG ulPrivateKeyAttributeCount,
			CK_OBJECT_HANDLE_PTR phPublicKey,
			CK_OBJECT_HANDLE_PTR phPrivateKey)
{
	unsigned char mod[600], exp[16], point[140];
	size_t mod_len = 0, exp_len = 0, point_len = 0, spki_len = 0, ecp_len = 0;
	const unsigned char *ecp = NULL;
	struct tmpl *pub = NULL, *priv = NULL;
	struct pool_session *shared = NULL, *ps = NULL;
	struct hsm_session *own = NULL, *hs;
	struct p11_session *s;
	struct p11_slot *slot;
	unsigned char *spki = NULL;
	uint8_t priv_uuid[HSM_UUID_LEN], pub_uuid[HSM_UUID_LEN];
	uint32_t priv_h = 0, pub_h = 0, st = 0, curve = 0;
	uint32_t priv_flags, pub_flags;
	CK_KEY_TYPE kt;
	CK_OBJECT_HANDLE hpub, hpriv;
	struct p11_slot *grp = NULL, *boards[P11_MAX_SLOTS];
	struct replica made[P11_MAX_SLOTS];
	size_t nb = 0;
	bool session_keys;
	CK_RV rv;
	int ret;

	rv = session_get(hSession, &s, &slot);
	if (rv != CKR_OK)
		return rv;
	if (!pMechanism || !phPublicKey || !phPrivateKey) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (pMechanism->mechanism == CKM_RSA_PKCS_KEY_PAIR_GEN)
		kt = CKK_RSA;
	else if (pMechanism->mechanism == CKM_EC_KEY_PAIR_GEN)
		kt = CKK_EC;
	else {
		rv = CKR_MECHANISM_INVALID;
		goto out;
	}
	if (pMechanism->pParameter || pMechanism->ulParameterLen) {
		rv = CKR_MECHANISM_PARAM_INVALID;
		goto out;
	}
	pub = malloc(sizeof(*pub));
	priv = malloc(sizeof(*priv));
	if (!pub || !priv) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	rv = parse(pPublicKeyTemplate, ulPublicKeyAttributeCount, false, kt, pub);
	if (rv == CKR_OK)
		rv = parse(pPrivateKeyTemplate, ulPrivateKeyAttributeCount, true,
			   kt, priv);
	if (rv != CKR_OK)
		goto out;
	if (kt == CKK_RSA && !pub->have_bits) {
		rv = CKR_TEMPLATE_INCOMPLETE;
		goto out;
	}
	if (kt == CKK_RSA && (pub->bits < 1024 || pub->bits > 4096 ||
			      pub->bits % 8)) {
		rv = CKR_KEY_SIZE_RANGE;
		goto out;
	}
	if (kt == CKK_EC && !pub->ec_params) {
		rv = CKR_TEMPLATE_INCOMPLETE;
		goto out;
	}
	session_keys = pub->token != 1 || priv->token != 1;
	/* A R/O session may make session objects only. */
	if ((pub->token == 1 || priv->token == 1) &&
	    !(s->flags & CKF_RW_SESSION)) {
		rv = CKR_SESSION_READ_ONLY;
		goto out;
	}
	if (slot->user != CKU_USER) {
		rv = CKR_USER_NOT_LOGGED_IN;
		goto out;
	}
	if (slot->is_group) {
		if (session_keys || priv->extractable == 0) {
			fprintf(stderr, "libhsm-pkcs11: a group token copies every key to each of its boards: its keys must be token objects (CKA_TOKEN true) and exportable (CKA_EXTRACTABLE true or absent)\n");
			rv = CKR_TEMPLATE_INCONSISTENT;
			goto out;
		}
		priv->extractable = 1;
		grp = slot;
		nb = group_serving_boards(grp, boards);
		if (!nb) {
			rv = CKR_DEVICE_REMOVED;
			goto out;
		}
		slot = boards[0];	/* generates; the others get copies */
	}
	priv_flags = key_flags(priv);
	pub_flags = key_flags(pub);

	if (session_keys)
		rv = vol_get(slot, s, &shared);
	else
		rv = gen_session(slot, &own, &shared);
	if (rv != CKR_OK)
		goto out;
	hs = own ? own : shared->s;
	if (kt == CKK_RSA) {
		ret = hsm_generate_rsa(hs, (unsigned)pub->bits, 65537,
				       priv_flags, &priv_h, priv_uuid, &st);
	} else {
		curve = p11_curve_from_params(pub->ec_params, pub->ec_params_len);
		ret = hsm_generate_ec(hs, curve, priv_flags, &priv_h, priv_uuid,
				      &st);
	}
	if (ret) {
		rv = ret == -EPERM ? CKR_USER_NOT_LOGGED_IN : p11_rv(slot, ret, st);
		goto release;
	}
	ret = hsm_public_key_alloc(hs, priv_h, &spki, &spki_len, &st);
	if (ret == 0)
		ret = hsm_load_der(hs, spki, spki_len, pub_flags, &pub_h,
				   pub_uuid, &st);
	if (ret) {
		rv = p11_rv(slot, ret, st);
		goto undo;
	}
	if (kt == CKK_RSA) {
		mod_len = p11_spki_part(spki, spki_len, CKA_MODULUS, mod,
					sizeof(mod));
		exp_len = p11_spki_part(spki, spki_len, CKA_PUBLIC_EXPONENT,
					exp, sizeof(exp));
	} else {
		ecp = p11_curve_params(curve, &ecp_len);
		point_len = p11_spki_part(spki, spki_len, CKA_EC_POINT, point,
					  sizeof(point));
	}
	rv = complete(priv, kt, pMechanism->mechanism, priv_flags, mod, mod_len,
		      exp, exp_len, ecp, ecp_len, point, point_len, pub->bits);
	if (rv == CKR_OK)
		rv = complete(pub, kt, pMechanism->mechanism, pub_flags, mod,
			      mod_len, exp, exp_len, ecp, ecp_len, point,
			      point_len, pub->bits);
	if (rv != CKR_OK)
		goto undo;
	ret = hsm_set_attributes(hs, priv_h, priv->attrs, priv->n, &st);
	if (ret == 0)
		ret = hsm_set_attributes(hs, pub_h, pub->attrs, pub->n, &st);
	if (ret) {
		rv = ret == -EOVERFLOW ? CKR_DEVICE_MEMORY : p11_rv(slot, ret, st);
		goto undo;
	}
	if (grp) {
		rv = replicate(boards + 1, nb - 1, hs, priv_uuid, made);
		if (rv != CKR_OK)
			goto undo;
	}
	hsm_close_key(hs, priv_h, NULL);
	hsm_close_key(hs, pub_h, NULL);
	priv_h = pub_h = 0;

	p11_lock(g.lock);
	hpriv = obj_handle(slot->id, priv_uuid, false);
	hpub = obj_handle(slot->id, pub_uuid, false);
	if (hpriv && priv->token != 1)
		g.objects[hpriv - 1]->vol = shared;
	if (hpub && pub->token != 1)
		g.objects[hpub - 1]->vol = shared;
	p11_unlock(g.lock);
	if (!hpriv || !hpub) {
		rv = CKR_HOST_MEMORY;
		goto release;
	}
	/* Fill the cache now: the caller reads the new keys next. */
	if (obj_pool_get(slot, hpriv, &ps) == CKR_OK) {
		obj_refresh(slot, ps, hpriv, true);
		pool_put(slot, ps);
	}
	if (obj_pool_get(slot, hpub, &ps) == CKR_OK) {
		obj_refresh(slot, ps, hpub, true);
		pool_put(slot, ps);
	}
	if (grp) {
		rv = group_handles(grp, slot, hpriv, hpub, boards + 1, nb - 1,
				   made, &hpriv, &hpub);
		if (rv != CKR_OK)
			goto release;
	}
	*phPrivateKey = hpriv;
	*phPublicKey = hpub;
	goto release;
undo:
	/* All or nothing: the keys made so far go again. */
	if (pub_h)
		hsm_delete_key(hs, pub_h, NULL);
	if (priv_h)
		hsm_delete_key(hs, priv_h, NULL);
release:
	free(spki);
	if (own)
		hsm_close(own);
	if (shared)
		pool_put(slot, shared);
out:
	free(pub);
	free(priv);
	session_put(s);
	return rv;
}

/* Delete board object @hObject of board slot @slot for session @s. */
static CK_RV destroy_on(struct p11_session *s, struct p11_slot *slot,
			CK_OBJECT_HANDLE hObject)
{
	struct pool_session *ps;
	struct p11_object *o;
	uint8_t uuid[HSM_UUID_LEN];
	uint32_t kh, st = 0;
	bool synth = false, token = false;
	CK_RV rv;
	int ret;

	if (slot->user != CKU_USER) {
		p11_lock(g.lock);
		o = obj_lookup(slot->id, hObject);
		p11_unlock(g.lock);
		return o ? CKR_USER_NOT_LOGGED_IN : CKR_OBJECT_HANDLE_INVALID;
	}
	rv = obj_pool_get(slot, hObject, &ps);
	if (rv != CKR_OK)
		return rv;
	rv = obj_refresh(slot, ps, hObject, false);
	if (rv == CKR_OK) {
		p11_lock(g.lock);
		o = obj_lookup(slot->id, hObject);
		if (o) {
			memcpy(uuid, o->uuid, sizeof(uuid));
			synth = o->synth_public;
			token = obj_view(o, &(struct p11_object){ 0 })->flags &
				HSM_KEY_F_TOKEN;
		} else {
			rv = CKR_OBJECT_HANDLE_INVALID;
		}
		p11_unlock(g.lock);
	}
	if (rv == CKR_OK && synth)
		rv = CKR_ACTION_PROHIBITED;	/* delete the private key */
	if (rv == CKR_OK && token && !(s->flags & CKF_RW_SESSION))
		rv = CKR_SESSION_READ_ONLY;
	if (rv == CKR_OK)
		rv = pool_key_get(slot, ps, uuid, &kh);
	if (rv == CKR_OK) {
		ret = hsm_delete_key(ps->s, kh, &st);
		if (ret == 0 || ret == -ENOENT) {
			pool_key_deleted(slot, ps, kh, uuid);
			p11_lock(g.lock);
			obj_gone(slot->id, uuid);
			p11_unlock(g.lock);
			rv = ret ? CKR_OBJECT_HANDLE_INVALID : CKR_OK;
		} else {
			pool_key_put(slot, ps, kh);
			rv = ret == -EPERM ? CKR_USER_NOT_LOGGED_IN :
			     p11_rv(slot, ret, st);
		}
	}
	pool_put(slot, ps);
	return rv;
}

/*
 * A group object: every copy on the attached boards goes. A copy on a
 * board that is away stays until "hsmctl group sync" (documented).
 */
static CK_RV group_destroy(struct p11_session *s, struct p11_slot *grp,
			   CK_OBJECT_HANDLE h)
{
	struct group_copy c[HSM_GROUP_MAX_BOARDS];
	struct p11_object *o;
	unsigned deleted = 0, halves = 0;
	uint8_t gid[HSM_UUID_LEN];
	char missing[64];
	CK_RV rv = CKR_OK, r;
	size_t i, n;

	p11_lock(g.lock);
	o = obj_lookup(grp->id, h);
	if (o)
		memcpy(gid, o->uuid, sizeof(gid));
	p11_unlock(g.lock);
	if (!o)
		return CKR_OBJECT_HANDLE_INVALID;
	if (grp->user != CKU_USER)
		return CKR_USER_NOT_LOGGED_IN;
	/* A copy left on an absent board would come back with it, and
	 * hsmctl group sync would copy it to the others again: a key is
	 * deleted only while every board of the group serves it. */
	if (!group_all_serving(grp, missing, sizeof(missing))) {
		static const char why[] = "group %s: board %s is not attached (or not logged in): a key of a group is deleted only while every board of the group is attached, else its copy there would come back; attach the board, or remove it from the groups file if it is gone for good";

		fprintf(stderr, "libhsm-pkcs11: ");
		fprintf(stderr, why, grp->conf->name, missing);
		fputc('\n', stderr);
		syslog(LOG_WARNING, why, grp->conf->name, missing);
		return CKR_FUNCTION_FAILED;
	}
	n = group_copies(grp, h, c);
	if (!n)
		return CKR_DEVICE_REMOVED;
	for (i = 0; i < n; i++) {
		group_request_start(c[i].slot);
		r = destroy_on(s, c[i].slot, c[i].h);
		group_request_end(c[i].slot);
		if (r == CKR_OK || r == CKR_OBJECT_HANDLE_INVALID)
			deleted++;		/* gone already counts */
		else if (r == CKR_ACTION_PROHIBITED)
			halves++;		/* the public half of a key */
		else
			rv = r;
	}
	if (rv == CKR_OK && !deleted && halves)
		rv = CKR_ACTION_PROHIBITED;
	if (rv == CKR_OK) {
		p11_lock(g.lock);
		obj_gone(grp->id, gid);
		p11_unlock(g.lock);
	}
	return rv;
}

CK_RV C_DestroyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject)
{
	struct p11_session *s;
	struct p11_slot *slot;
	CK_RV rv;

	rv = session_get(hSession, &s, &slot);
	if (rv != CKR_OK)
		return rv;
	if (slot->is_group)
		rv = group_destroy(s, slot, hObject);
	else
		rv = destroy_on(s, slot, hObject);
	session_put(s);
	return rv;
}
