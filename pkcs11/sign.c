// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Signing on the board; verifying, digests and the hashing of the SHAxxx_
 * mechanisms on the host (OpenSSL); random bytes from the board.
 *
 * The board signs what it is given (protocol §5.5 PKEY_SIGN): for RSA the
 * DER DigestInfo, which it pads (PKCS#1 v1.5); for ECDSA the digest, which
 * it does not truncate to the order's length, so the host does. Signature
 * lengths come from the key (the cache), never from a signing request:
 * the kernel always asks the board for a whole signature, so the NULL-buffer
 * length query of C_Sign costs nothing here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "p11.h"

#define RAW_MAX 16384	/* data collected for the raw mechanisms */

static const EVP_MD *md_of(int md)
{
	switch (md) {
	case 1: return EVP_sha1();
	case 256: return EVP_sha256();
	case 384: return EVP_sha384();
	case 512: return EVP_sha512();
	default: return NULL;
	}
}

/* DER DigestInfo prefixes (RFC 8017 §9.2 note 1), followed by the digest. */
static const unsigned char di_sha1[] = {
	0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a,
	0x05, 0x00, 0x04, 0x14 };
static const unsigned char di_sha256[] = {
	0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
	0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
static const unsigned char di_sha384[] = {
	0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
	0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30 };
static const unsigned char di_sha512[] = {
	0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
	0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40 };

static const unsigned char *di_prefix(int md, size_t *len)
{
	switch (md) {
	case 1: *len = sizeof(di_sha1); return di_sha1;
	case 256: *len = sizeof(di_sha256); return di_sha256;
	case 384: *len = sizeof(di_sha384); return di_sha384;
	case 512: *len = sizeof(di_sha512); return di_sha512;
	default: return NULL;
	}
}

void sign_op_clear(struct p11_op *op)
{
	EVP_MD_CTX_free(op->md_ctx);
	op->md_ctx = NULL;
	if (op->data) {
		p11_wipe(op->data, op->data_len);
		free(op->data);
	}
	op->data = NULL;
	op->data_len = 0;
	op->kind = OP_NONE;
	op->key = 0;
}

/* Start @op: the digest for hashed mechanisms, nothing for raw ones. */
static CK_RV op_start(struct p11_op *op, int kind, const struct p11_mech *m,
		      CK_OBJECT_HANDLE key)
{
	memset(op, 0, sizeof(*op));
	op->mech = m->type;
	op->key = key;
	if (m->md) {
		op->md_ctx = EVP_MD_CTX_new();
		if (!op->md_ctx ||
		    !EVP_DigestInit_ex(op->md_ctx, md_of(m->md), NULL)) {
			EVP_MD_CTX_free(op->md_ctx);
			op->md_ctx = NULL;
			return CKR_HOST_MEMORY;
		}
	}
	op->kind = kind;
	return CKR_OK;
}

static CK_RV op_update(struct p11_op *op, const void *part, size_t len)
{
	if (op->md_ctx)
		return EVP_DigestUpdate(op->md_ctx, part, len) ? CKR_OK :
		       CKR_FUNCTION_FAILED;
	if (op->data_len + len > RAW_MAX)
		return CKR_DATA_LEN_RANGE;
	if (len) {
		unsigned char *p = realloc(op->data, op->data_len + len);

		if (!p)
			return CKR_HOST_MEMORY;
		memcpy(p + op->data_len, part, len);
		op->data = p;
		op->data_len += len;
	}
	return CKR_OK;
}

/*
 * What the board signs, from the collected data or digest: @out (room
 * 16 + 512 bytes) and its length. @order_bits: ECDSA's group order.
 */
static CK_RV op_tbs(struct p11_op *op, const struct p11_mech *m,
		    unsigned order_bits, unsigned char *out, size_t *len)
{
	unsigned char dg[EVP_MAX_MD_SIZE];
	const unsigned char *in = op->data, *pre;
	unsigned int dlen = 0;
	size_t n = op->data_len, plen = 0;

	if (op->md_ctx) {
		if (!EVP_DigestFinal_ex(op->md_ctx, dg, &dlen))
			return CKR_FUNCTION_FAILED;
		in = dg;
		n = dlen;
	}
	if (m->key_kind == CKK_RSA) {
		pre = m->md ? di_prefix(m->md, &plen) : NULL;
		if (plen + n > 512)
			return CKR_DATA_LEN_RANGE;
		if (pre)
			memcpy(out, pre, plen);
		if (n)
			memcpy(out + plen, in, n);
		*len = plen + n;
	} else {
		/* Leftmost order_bits bits of the digest (FIPS 186-4 6.4):
		 * the board takes the whole input as the integer. */
		size_t ob = (order_bits + 7) / 8;
		unsigned shift;

		if (n == 0)
			return CKR_DATA_LEN_RANGE;
		if (n * 8 <= order_bits) {
			memcpy(out, in, n);
			*len = n;
		} else {
			BIGNUM *bn = BN_bin2bn(in, (int)ob, NULL);

			shift = (unsigned)(ob * 8 - order_bits);
			if (!bn || !BN_rshift(bn, bn, (int)shift) ||
			    BN_bn2binpad(bn, out, (int)ob) < 0) {
				BN_free(bn);
				return CKR_HOST_MEMORY;
			}
			BN_free(bn);
			*len = ob;
		}
	}
	return CKR_OK;
}

static unsigned order_bits_of(uint32_t curve)
{
	return curve == HSM_CURVE_P256 ? 256 : curve == HSM_CURVE_P384 ? 384 :
	       curve == HSM_CURVE_P521 ? 521 : 0;
}

/* ---- init ------------------------------------------------------------------ */

struct key_facts {
	bool found, is_private;
	CK_KEY_TYPE key_type;
	uint32_t flags, curve;
	size_t sig_len;
	uint8_t uuid[HSM_UUID_LEN];
	unsigned char *spki;
	size_t spki_len;
};

/* Load @h's cache and copy what an operation needs. */
static CK_RV key_facts(struct p11_slot *slot, CK_OBJECT_HANDLE h,
		       struct key_facts *kf, bool want_spki)
{
	struct group_copy c[HSM_GROUP_MAX_BOARDS];
	struct pool_session *ps;
	struct p11_object view;
	const struct p11_object *o;
	struct p11_object *obj;
	size_t i, n;
	CK_RV rv;

	memset(kf, 0, sizeof(*kf));
	if (slot->is_group) {
		/* the copies are the same key: any one's facts */
		n = group_copies(slot, h, c);
		rv = CKR_DEVICE_REMOVED;
		for (i = 0; i < n; i++) {
			group_request_start(c[i].slot);
			rv = key_facts(c[i].slot, c[i].h, kf, want_spki);
			group_request_end(c[i].slot);
			if (rv != CKR_DEVICE_REMOVED && rv != CKR_DEVICE_ERROR)
				break;
			free(kf->spki);
			memset(kf, 0, sizeof(*kf));
		}
		if (!n) {
			p11_lock(g.lock);
			obj = obj_lookup(slot->id, h);
			p11_unlock(g.lock);
			if (!obj)
				rv = CKR_KEY_HANDLE_INVALID;
		}
		return rv;
	}
	rv = obj_pool_get(slot, h, &ps);
	if (rv == CKR_OBJECT_HANDLE_INVALID)
		return CKR_KEY_HANDLE_INVALID;
	if (rv != CKR_OK)
		return rv;
	rv = obj_refresh(slot, ps, h, false);
	pool_put(slot, ps);
	if (rv == CKR_OBJECT_HANDLE_INVALID)
		return CKR_KEY_HANDLE_INVALID;
	if (rv != CKR_OK)
		return rv;
	p11_lock(g.lock);
	obj = obj_lookup(slot->id, h);
	if (obj) {
		o = obj_view(obj, &view);
		kf->found = true;
		kf->is_private = obj_is_private(o);
		kf->key_type = obj_key_type(o);
		kf->flags = o->flags;
		kf->curve = o->curve;
		kf->sig_len = o->sig_len;
		memcpy(kf->uuid, o->uuid, HSM_UUID_LEN);
		if (want_spki && o->spki) {
			kf->spki = malloc(o->spki_len);
			if (kf->spki) {
				memcpy(kf->spki, o->spki, o->spki_len);
				kf->spki_len = o->spki_len;
			}
		}
	}
	p11_unlock(g.lock);
	if (!kf->found)
		return CKR_KEY_HANDLE_INVALID;
	if (want_spki && !kf->spki)
		return CKR_DEVICE_ERROR;
	return CKR_OK;
}

static CK_RV op_init(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
		     CK_OBJECT_HANDLE hKey, int kind)
{
	const struct p11_mech *m;
	struct p11_session *s;
	struct p11_slot *slot;
	struct p11_op *op;
	struct key_facts kf;
	CK_RV rv;

	rv = session_get(hSession, &s, &slot);
	if (rv != CKR_OK)
		return rv;
	op = kind == OP_SIGN ? &s->sign : &s->verify;
	if (!pMechanism) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (op->kind != OP_NONE) {
		rv = CKR_OPERATION_ACTIVE;
		goto out;
	}
	m = mech_find(pMechanism->mechanism);
	if (!m || !(m->flags & (kind == OP_SIGN ? CKF_SIGN : CKF_VERIFY))) {
		rv = CKR_MECHANISM_INVALID;
		goto out;
	}
	if (pMechanism->pParameter || pMechanism->ulParameterLen) {
		rv = CKR_MECHANISM_PARAM_INVALID;
		goto out;
	}
	if (slot->user != CKU_USER) {
		rv = CKR_USER_NOT_LOGGED_IN;
		goto out;
	}
	rv = key_facts(slot, hKey, &kf, false);
	if (rv != CKR_OK)
		goto out;
	if ((CK_KEY_TYPE)m->key_kind != kf.key_type) {
		rv = CKR_KEY_TYPE_INCONSISTENT;
		goto out;
	}
	if ((kind == OP_SIGN && !kf.is_private) || !(kf.flags & HSM_KEY_F_SIGN)) {
		rv = CKR_KEY_FUNCTION_NOT_PERMITTED;
		goto out;
	}
	rv = op_start(op, kind, m, hKey);
out:
	session_put(s);
	return rv;
}

CK_RV C_SignInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
		 CK_OBJECT_HANDLE hKey)
{
	return op_init(hSession, pMechanism, hKey, OP_SIGN);
}

CK_RV C_VerifyInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
		   CK_OBJECT_HANDLE hKey)
{
	return op_init(hSession, pMechanism, hKey, OP_VERIFY);
}

/* ---- sign ------------------------------------------------------------------ */

static CK_RV board_sign(struct p11_slot *slot, CK_OBJECT_HANDLE h,
			const uint8_t uuid[HSM_UUID_LEN],
			const unsigned char *tbs, size_t tbs_len,
			unsigned char *sig, size_t *sig_len);
static CK_RV group_sign(struct p11_slot *grp, CK_OBJECT_HANDLE h,
			const unsigned char *tbs, size_t tbs_len,
			unsigned char *sig, size_t *sig_len);

/*
 * Sign what @op collected (and @data when given, for C_Sign); the op ends
 * unless only the size was asked or the buffer was too small.
 */
static CK_RV sign_finish(struct p11_session *s, struct p11_slot *slot,
			 const void *data, size_t data_len,
			 CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	unsigned char tbs[16 + 512], sig[HSM_SIGNATURE_MAX];
	struct p11_op *op = &s->sign;
	const struct p11_mech *m = mech_find(op->mech);
	struct key_facts kf;
	size_t tbs_len = 0, sig_len = sizeof(sig);
	CK_RV rv;

	rv = key_facts(slot, op->key, &kf, false);
	if (rv != CKR_OK)
		goto end;
	if (!pSignature) {
		*pulSignatureLen = kf.sig_len;
		return CKR_OK;
	}
	if (*pulSignatureLen < kf.sig_len) {
		*pulSignatureLen = kf.sig_len;
		return CKR_BUFFER_TOO_SMALL;
	}
	if (data) {
		rv = op_update(op, data, data_len);
		if (rv != CKR_OK)
			goto end;
	}
	rv = op_tbs(op, m, order_bits_of(kf.curve), tbs, &tbs_len);
	if (rv != CKR_OK)
		goto end;
	if (m->key_kind == CKK_RSA && tbs_len + 11 > kf.sig_len) {
		rv = CKR_DATA_LEN_RANGE;
		goto end;
	}
	if (slot->is_group)
		rv = group_sign(slot, op->key, tbs, tbs_len, sig, &sig_len);
	else
		rv = board_sign(slot, op->key, kf.uuid, tbs, tbs_len, sig,
				&sig_len);
	if (rv == CKR_OK) {
		memcpy(pSignature, sig, sig_len);
		*pulSignatureLen = sig_len;
	}
end:
	sign_op_clear(op);
	return rv;
}

/* One signing request: key @h (@uuid) of board slot @slot signs @tbs. */
static CK_RV board_sign(struct p11_slot *slot, CK_OBJECT_HANDLE h,
			const uint8_t uuid[HSM_UUID_LEN],
			const unsigned char *tbs, size_t tbs_len,
			unsigned char *sig, size_t *sig_len)
{
	struct pool_session *ps;
	uint32_t kh, st = 0;
	CK_RV rv;
	int ret;

	rv = obj_pool_get(slot, h, &ps);
	if (rv == CKR_OBJECT_HANDLE_INVALID)
		rv = CKR_KEY_HANDLE_INVALID;
	if (rv != CKR_OK)
		return rv;
	rv = pool_key_get(slot, ps, uuid, &kh);
	if (rv == CKR_OK) {
		ret = hsm_sign(ps->s, kh, tbs, tbs_len, sig, sig_len, &st);
		pool_key_put(slot, ps, kh);
		pool_request_failed(slot, ps, ret);
		if (ret == -ENOENT) {
			/* deleted by someone else */
			pool_key_forget(slot, uuid);
			p11_lock(g.lock);
			obj_gone(slot->id, uuid);
			p11_unlock(g.lock);
			rv = CKR_KEY_HANDLE_INVALID;
		} else {
			rv = p11_rv(slot, ret, st);
		}
	} else if (rv == CKR_OBJECT_HANDLE_INVALID) {
		rv = CKR_KEY_HANDLE_INVALID;
	}
	pool_put(slot, ps);
	return rv;
}

/*
 * A group token signs on the least busy board holding the key; when that
 * board fails (gone, timed out, lost the key) the request goes once to
 * another. CKR_DEVICE_REMOVED only when no board holding the key is left.
 */
static CK_RV group_sign(struct p11_slot *grp, CK_OBJECT_HANDLE h,
			const unsigned char *tbs, size_t tbs_len,
			unsigned char *sig, size_t *sig_len)
{
	struct group_copy c[HSM_GROUP_MAX_BOARDS];
	struct p11_slot *failed = NULL;
	struct key_facts kf;
	size_t room = *sig_len, i, n;
	int attempt;
	CK_RV rv = CKR_DEVICE_REMOVED;

	for (attempt = 0; attempt < 2; attempt++) {
		n = group_copies(grp, h, c);
		for (i = 0; i < n && c[i].slot == failed; i++)
			;
		if (i == n) {
			/* no board (else: the failed board's answer) */
			if (attempt == 0) {
				p11_lock(g.lock);
				rv = obj_lookup(grp->id, h) ? CKR_DEVICE_REMOVED :
				     CKR_KEY_HANDLE_INVALID;
				p11_unlock(g.lock);
			}
			break;
		}
		group_request_start(c[i].slot);
		rv = key_facts(c[i].slot, c[i].h, &kf, false);
		if (rv == CKR_OK) {
			*sig_len = room;
			rv = board_sign(c[i].slot, c[i].h, kf.uuid, tbs, tbs_len,
					sig, sig_len);
		}
		group_request_end(c[i].slot);
		if (rv != CKR_DEVICE_REMOVED && rv != CKR_DEVICE_ERROR &&
		    rv != CKR_KEY_HANDLE_INVALID)
			break;
		failed = c[i].slot;
	}
	return rv;
}

CK_RV C_Sign(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
	     CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	static const unsigned char none;
	struct p11_session *s;
	struct p11_slot *slot;
	CK_RV rv;

	rv = session_get(hSession, &s, &slot);
	if (rv != CKR_OK)
		return rv;
	if (s->sign.kind != OP_SIGN) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
	} else if ((!pData && ulDataLen) || !pulSignatureLen) {
		sign_op_clear(&s->sign);
		rv = CKR_ARGUMENTS_BAD;
	} else if (s->sign.multi) {
		sign_op_clear(&s->sign);
		rv = CKR_OPERATION_ACTIVE;	/* C_SignUpdate was used */
	} else {
		rv = sign_finish(s, slot, pData ? (const void *)pData : &none,
				 ulDataLen, pSignature, pulSignatureLen);
	}
	session_put(s);
	return rv;
}

/*
 * C_SignUpdate, C_VerifyUpdate and C_DigestUpdate: add @part to the
 * session's operation of @kind. Any error but "not initialised" ends the
 * operation, as PKCS#11 requires.
 */
static CK_RV session_op_update(CK_SESSION_HANDLE hSession, int kind,
			       CK_BYTE_PTR part, CK_ULONG len)
{
	struct p11_session *s;
	struct p11_op *op;
	CK_RV rv;

	rv = session_get(hSession, &s, NULL);
	if (rv != CKR_OK)
		return rv;
	op = kind == OP_SIGN ? &s->sign : kind == OP_VERIFY ? &s->verify :
	     &s->digest;
	if (op->kind != kind)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	else if (!part && len)
		rv = CKR_ARGUMENTS_BAD;
	else
		rv = op_update(op, part, len);
	if (rv == CKR_OK)
		op->multi = true;
	if (rv != CKR_OK && rv != CKR_OPERATION_NOT_INITIALIZED)
		sign_op_clear(op);
	session_put(s);
	return rv;
}

CK_RV C_SignUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart,
		   CK_ULONG ulPartLen)
{
	return session_op_update(hSession, OP_SIGN, pPart, ulPartLen);
}

CK_RV C_SignFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature,
		  CK_ULONG_PTR pulSignatureLen)
{
	struct p11_session *s;
	struct p11_slot *slot;
	CK_RV rv;

	rv = session_get(hSession, &s, &slot);
	if (rv != CKR_OK)
		return rv;
	if (s->sign.kind != OP_SIGN)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	else if (!pulSignatureLen) {
		sign_op_clear(&s->sign);
		rv = CKR_ARGUMENTS_BAD;
	} else {
		rv = sign_finish(s, slot, NULL, 0, pSignature, pulSignatureLen);
	}
	session_put(s);
	return rv;
}

/* ---- verify (host side, with the public key) ------------------------------ */

static CK_RV verify_finish(struct p11_session *s, struct p11_slot *slot,
			   const unsigned char *sig, size_t sig_len)
{
	unsigned char tbs[16 + 512], der[160];
	struct p11_op *op = &s->verify;
	const struct p11_mech *m = mech_find(op->mech);
	const unsigned char *p;
	struct key_facts kf;
	EVP_PKEY *pk = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t tbs_len = 0;
	CK_RV rv;
	int ok = 0;

	rv = key_facts(slot, op->key, &kf, true);
	if (rv != CKR_OK)
		goto end;
	if (sig_len != kf.sig_len) {
		rv = CKR_SIGNATURE_LEN_RANGE;
		goto end;
	}
	rv = op_tbs(op, m, order_bits_of(kf.curve), tbs, &tbs_len);
	if (rv != CKR_OK)
		goto end;
	p = kf.spki;
	pk = d2i_PUBKEY(NULL, &p, (long)kf.spki_len);
	ctx = pk ? EVP_PKEY_CTX_new(pk, NULL) : NULL;
	if (!ctx || EVP_PKEY_verify_init(ctx) <= 0) {
		rv = CKR_DEVICE_ERROR;
		goto end;
	}
	if (m->key_kind == CKK_RSA) {
		/* The DigestInfo is our own: compare it raw. */
		if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0) {
			rv = CKR_DEVICE_ERROR;
			goto end;
		}
		ok = EVP_PKEY_verify(ctx, sig, sig_len, tbs, tbs_len) == 1;
	} else {
		/* r || s to the DER form OpenSSL verifies. */
		ECDSA_SIG *es = ECDSA_SIG_new();
		BIGNUM *r = BN_bin2bn(sig, (int)sig_len / 2, NULL);
		BIGNUM *sv = BN_bin2bn(sig + sig_len / 2, (int)sig_len / 2, NULL);
		unsigned char *dp = der;
		int dl;

		if (!es || !r || !sv || !ECDSA_SIG_set0(es, r, sv)) {
			ECDSA_SIG_free(es);
			BN_free(r);
			BN_free(sv);
			rv = CKR_HOST_MEMORY;
			goto end;
		}
		dl = i2d_ECDSA_SIG(es, NULL);
		if (dl > 0 && (size_t)dl <= sizeof(der) &&
		    i2d_ECDSA_SIG(es, &dp) == dl)
			ok = EVP_PKEY_verify(ctx, der, (size_t)dl, tbs,
					     tbs_len) == 1;
		ECDSA_SIG_free(es);
	}
	rv = ok ? CKR_OK : CKR_SIGNATURE_INVALID;
end:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	free(kf.spki);
	sign_op_clear(op);
	return rv;
}

CK_RV C_Verify(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
	       CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
	struct p11_session *s;
	struct p11_slot *slot;
	CK_RV rv;

	rv = session_get(hSession, &s, &slot);
	if (rv != CKR_OK)
		return rv;
	if (s->verify.kind != OP_VERIFY) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
	} else if ((!pData && ulDataLen) || !pSignature) {
		sign_op_clear(&s->verify);
		rv = CKR_ARGUMENTS_BAD;
	} else if (s->verify.multi) {
		sign_op_clear(&s->verify);
		rv = CKR_OPERATION_ACTIVE;
	} else {
		rv = op_update(&s->verify, pData, ulDataLen);
		if (rv == CKR_OK)
			rv = verify_finish(s, slot, pSignature, ulSignatureLen);
		else
			sign_op_clear(&s->verify);
	}
	session_put(s);
	return rv;
}

CK_RV C_VerifyUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart,
		     CK_ULONG ulPartLen)
{
	return session_op_update(hSession, OP_VERIFY, pPart, ulPartLen);
}

CK_RV C_VerifyFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature,
		    CK_ULONG ulSignatureLen)
{
	struct p11_session *s;
	struct p11_slot *slot;
	CK_RV rv;

	rv = session_get(hSession, &s, &slot);
	if (rv != CKR_OK)
		return rv;
	if (s->verify.kind != OP_VERIFY) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
	} else if (!pSignature) {
		sign_op_clear(&s->verify);
		rv = CKR_ARGUMENTS_BAD;
	} else {
		rv = verify_finish(s, slot, pSignature, ulSignatureLen);
	}
	session_put(s);
	return rv;
}

/* ---- digest ---------------------------------------------------------------- */

CK_RV C_DigestInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism)
{
	const struct p11_mech *m;
	struct p11_session *s;
	CK_RV rv;

	rv = session_get(hSession, &s, NULL);
	if (rv != CKR_OK)
		return rv;
	if (!pMechanism)
		rv = CKR_ARGUMENTS_BAD;
	else if (s->digest.kind != OP_NONE)
		rv = CKR_OPERATION_ACTIVE;
	else if (!(m = mech_find(pMechanism->mechanism)) ||
		 !(m->flags & CKF_DIGEST))
		rv = CKR_MECHANISM_INVALID;
	else if (pMechanism->pParameter || pMechanism->ulParameterLen)
		rv = CKR_MECHANISM_PARAM_INVALID;
	else
		rv = op_start(&s->digest, OP_DIGEST, m, 0);
	session_put(s);
	return rv;
}

static CK_RV digest_final(struct p11_op *op, CK_BYTE_PTR out,
			  CK_ULONG_PTR out_len)
{
	unsigned int n = 0;
	CK_ULONG size = (CK_ULONG)EVP_MD_CTX_get_size(op->md_ctx);

	if (!out) {
		*out_len = size;
		return CKR_OK;
	}
	if (*out_len < size) {
		*out_len = size;
		return CKR_BUFFER_TOO_SMALL;
	}
	if (!EVP_DigestFinal_ex(op->md_ctx, out, &n)) {
		sign_op_clear(op);
		return CKR_FUNCTION_FAILED;
	}
	*out_len = n;
	sign_op_clear(op);
	return CKR_OK;
}

CK_RV C_Digest(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
	       CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen)
{
	struct p11_session *s;
	CK_RV rv;

	rv = session_get(hSession, &s, NULL);
	if (rv != CKR_OK)
		return rv;
	if (s->digest.kind != OP_DIGEST) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
	} else if ((!pData && ulDataLen) || !pulDigestLen) {
		sign_op_clear(&s->digest);
		rv = CKR_ARGUMENTS_BAD;
	} else if (!pDigest) {
		*pulDigestLen = (CK_ULONG)EVP_MD_CTX_get_size(s->digest.md_ctx);
	} else if (*pulDigestLen < (CK_ULONG)EVP_MD_CTX_get_size(s->digest.md_ctx)) {
		*pulDigestLen = (CK_ULONG)EVP_MD_CTX_get_size(s->digest.md_ctx);
		rv = CKR_BUFFER_TOO_SMALL;
	} else {
		rv = op_update(&s->digest, pData, ulDataLen);
		if (rv == CKR_OK)
			rv = digest_final(&s->digest, pDigest, pulDigestLen);
		else
			sign_op_clear(&s->digest);
	}
	session_put(s);
	return rv;
}

CK_RV C_DigestUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart,
		     CK_ULONG ulPartLen)
{
	return session_op_update(hSession, OP_DIGEST, pPart, ulPartLen);
}

CK_RV C_DigestFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pDigest,
		    CK_ULONG_PTR pulDigestLen)
{
	struct p11_session *s;
	CK_RV rv;

	rv = session_get(hSession, &s, NULL);
	if (rv != CKR_OK)
		return rv;
	if (s->digest.kind != OP_DIGEST) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
	} else if (!pulDigestLen) {
		sign_op_clear(&s->digest);
		rv = CKR_ARGUMENTS_BAD;
	} else {
		rv = digest_final(&s->digest, pDigest, pulDigestLen);
	}
	session_put(s);
	return rv;
}

/* ---- random ---------------------------------------------------------------- */

CK_RV C_GenerateRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pRandomData,
		       CK_ULONG ulRandomLen)
{
	struct pool_session *ps = NULL;
	struct hsm_session *tmp = NULL, *hs;
	struct p11_session *s;
	struct p11_slot *slot;
	uint32_t st = 0;
	CK_RV rv;
	int ret;

	rv = session_get(hSession, &s, &slot);
	if (rv != CKR_OK)
		return rv;
	if (!pRandomData && ulRandomLen) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (ulRandomLen == 0)
		goto out;
	if (slot->is_group) {
		/* any board of the group */
		slot = group_any_board(slot);
		if (!slot) {
			rv = CKR_DEVICE_REMOVED;
			goto out;
		}
	}
	/* Random bytes need no login: before one, a session that takes no
	 * login slot. */
	rv = pool_get(slot, &ps);
	if (rv == CKR_OK) {
		hs = ps->s;
	} else if (rv == CKR_USER_NOT_LOGGED_IN) {
		ret = hsm_open(slot->dev, &tmp);
		if (ret) {
			rv = p11_open_rv(slot, ret);
			goto out;
		}
		hs = tmp;
	} else {
		goto out;
	}
	ret = hsm_random(hs, pRandomData, ulRandomLen, &st);
	rv = p11_rv(slot, ret, st);
	if (ps)
		pool_put(slot, ps);
	hsm_close(tmp);
out:
	session_put(s);
	return rv;
}
