// SPDX-License-Identifier: GPL-2.0
/*
 * Key operations of a session on kernel buffers: each operation's request
 * encoding and reply decoding (protocol §5.5). The ioctl ABI (ioctl.c) and
 * the in-kernel users call these same functions; only ioctl.c touches user
 * memory. Keys are named by per-session virtual handles (session.c); the
 * board's own pkey handles never leave the kernel.
 *
 * Every count and size is checked before anything reaches the line: this
 * firmware trusts some of them (§2.6, §2.8 item 10). Every reply is parsed
 * as hostile: a result that does not parse is a protocol error (-EPROTO).
 *
 * Locking: each operation holds session->lock from the key lookup to the
 * end of the request (see session.c).
 */
#include <linux/slab.h>

#include "hsm.h"
#include "xdr.h"

/* Largest output the board returns in one opaque<> (§2.3). */
#define HSM_OUT_MAX		HAL_RPC_MAX_OPAQUE_RESULT
/* EXPORT: pkcs8_max + kek_max must stay below this (§2.8 item 10). */
#define HSM_EXPORT_MAX_SUM	16364u
#define HSM_EXPORT_KEK_MAX	1024u

/*
 * The key behind a session's handle, or ERR_PTR(-ENOENT). Once a DETACH
 * has closed the session's keys on the board (session.c), every handle is
 * ERR_PTR(-ENODEV): the board is gone, not the key.
 */
static struct hsm_key *hsm_key_lookup(struct hsm_session *s, u32 handle)
{
	struct hsm_key *k;

	if (s->board_done)
		return ERR_PTR(-ENODEV);
	k = handle ? xa_load(&s->keys, handle) : NULL;
	return k && !k->orphan ? k : ERR_PTR(-ENOENT);
}

static bool hsm_blob_len_ok(u32 len)
{
	return len && len <= CRYPTECH_HSM_BLOB_MAX;
}

static int hsm_lock(struct hsm_session *s)
{
	return mutex_lock_killable(&s->lock) ? -EINTR : 0;
}

/*
 * Close a board handle the session will not keep. Returns false if the
 * board may still hold it: refused (a DETACH closing the sessions, the
 * line gone), interrupted or unanswered.
 */
static bool hsm_board_key_close(struct hsm_session *s, u32 board_handle)
{
	struct xdr_writer w;
	struct hsm_reply r;
	u32 st;

	hsm_req_begin(s, &w, RPC_FUNC_PKEY_CLOSE);
	xdr_put_u32(&w, board_handle);
	if (!hsm_session_call(s, &w, hsm_op_timeout_ms, &r, &st)) {
		hsm_reply_free(&r);
		return true;
	}
	return st == HAL_ERROR_KEY_NOT_FOUND;
}

/*
 * Reserve a virtual handle before asking the board for a key, so a full
 * table fails before the board does any work.
 */
static int hsm_key_reserve(struct hsm_session *s, struct hsm_key **out,
			   u32 *id)
{
	struct hsm_key *k;
	int err;

	k = kzalloc(sizeof(*k), GFP_KERNEL);
	if (!k)
		return -ENOMEM;
	err = xa_alloc(&s->keys, id, k,
		       XA_LIMIT(1, READ_ONCE(hsm_max_keys_per_session)),
		       GFP_KERNEL);
	if (err) {
		kfree(k);
		return err == -EBUSY ? -EMFILE : err;
	}
	*out = k;
	return 0;
}

static void hsm_key_unreserve(struct hsm_session *s, struct hsm_key *k, u32 id)
{
	xa_erase(&s->keys, id);
	kfree(k);
}

/*
 * Send a request that creates or opens a key and record the result:
 * "u32 pkey_handle" and, if @uuid is NULL, "uuid name" (§5.5).
 */
static int hsm_key_create(struct hsm_session *s, struct xdr_writer *w,
			  unsigned int timeout_ms, const u8 *uuid,
			  u32 *board_status, u32 *handle, u8 *uuid_out)
{
	struct xdr_reader rd;
	struct hsm_reply r;
	struct hsm_key *k;
	const u8 *name;
	u32 id, len;
	int err;

	err = hsm_key_reserve(s, &k, &id);
	if (err)
		return err;
	err = hsm_session_call(s, w, timeout_ms, &r, board_status);
	if (err) {
		hsm_key_unreserve(s, k, id);
		return err;
	}
	xdr_reader_init(&rd, r.data, r.len);
	if (!xdr_get_u32(&rd, &k->board_handle)) {
		hsm_reply_free(&r);
		hsm_key_unreserve(s, k, id);
		return hsm_reply_malformed(s->board);
	}
	if (!uuid) {
		if (!xdr_get_opaque(&rd, &name, &len, HAL_UUID_LEN) ||
		    len != HAL_UUID_LEN) {
			hsm_reply_free(&r);
			/* If the board may keep it, the clean-up closes it. */
			if (hsm_board_key_close(s, k->board_handle))
				hsm_key_unreserve(s, k, id);
			else
				k->orphan = true;
			return hsm_reply_malformed(s->board);
		}
		uuid = name;
	}
	memcpy(k->uuid, uuid, HAL_UUID_LEN);
	memcpy(uuid_out, uuid, HAL_UUID_LEN);
	hsm_reply_free(&r);
	*handle = id;
	return 0;
}

/* Public exponent as the shortest big-endian byte string. */
static size_t hsm_exponent_bytes(u32 e, u8 *out)
{
	size_t n = 0;
	int shift;

	for (shift = 24; shift >= 0; shift -= 8) {
		if (n || (e >> shift) & 0xff)
			out[n++] = e >> shift;
	}
	return n;
}

/**
 * hsm_key_generate() - generate a key pair on the board
 * @s:	session
 * @a:	the request (alg, rsa_bits, rsa_exponent, curve, flags) and its
 *	result (handle, uuid, board_status); it holds no pointers
 *
 * Return: 0; -EINVAL for bad arguments; -EMFILE when the session has no
 * free handle; or a request error.
 */
int hsm_key_generate(struct hsm_session *s, struct cryptech_hsm_generate *a)
{
	struct xdr_writer w;
	unsigned int timeout;
	u32 e = a->rsa_exponent ? a->rsa_exponent : 65537;
	u8 ebuf[4];
	int err;

	if (a->flags & ~CRYPTECH_HSM_KEY_F_ALL)
		return -EINVAL;
	switch (a->alg) {
	case CRYPTECH_HSM_ALG_RSA:
		if (a->curve || a->rsa_bits < 1024 || a->rsa_bits > 4096 ||
		    a->rsa_bits % 8 || e < 3 || !(e & 1))
			return -EINVAL;
		timeout = hsm_keygen_timeout_ms;
		break;
	case CRYPTECH_HSM_ALG_EC:
		if (a->rsa_bits || a->rsa_exponent ||
		    a->curve < HAL_CURVE_P256 || a->curve > HAL_CURVE_P521)
			return -EINVAL;
		timeout = hsm_op_timeout_ms;
		break;
	default:
		return -EINVAL;
	}

	err = hsm_lock(s);
	if (err)
		return err;
	if (a->alg == CRYPTECH_HSM_ALG_RSA) {
		hsm_req_begin(s, &w, RPC_FUNC_PKEY_GENERATE_RSA);
		xdr_put_u32(&w, 0);		/* session: stored, unused */
		xdr_put_u32(&w, a->rsa_bits);
		xdr_put_opaque(&w, ebuf, hsm_exponent_bytes(e, ebuf));
	} else {
		hsm_req_begin(s, &w, RPC_FUNC_PKEY_GENERATE_EC);
		xdr_put_u32(&w, 0);
		xdr_put_u32(&w, a->curve);
	}
	xdr_put_u32(&w, a->flags);
	err = hsm_key_create(s, &w, timeout, NULL, &a->board_status,
			     &a->handle, a->uuid);
	mutex_unlock(&s->lock);
	return err;
}

/**
 * hsm_key_load() - load a private key into the board
 * @s:			session
 * @der:		the key, PKCS#8 DER
 * @der_len:		1..CRYPTECH_HSM_BLOB_MAX
 * @flags:		CRYPTECH_HSM_KEY_F_*
 * @handle:		out: the session's handle for the key
 * @uuid:		out: the key's name, HAL_UUID_LEN bytes
 * @board_status:	out: the board's status word
 *
 * The request buffer, which held the key, is wiped; @der is the caller's
 * to wipe.
 *
 * Return: 0; -EINVAL for bad arguments; -EMFILE; or a request error.
 */
int hsm_key_load(struct hsm_session *s, const u8 *der, u32 der_len, u32 flags,
		 u32 *handle, u8 *uuid, u32 *board_status)
{
	struct xdr_writer w;
	int err;

	*board_status = HAL_OK;
	if (flags & ~CRYPTECH_HSM_KEY_F_ALL || !hsm_blob_len_ok(der_len))
		return -EINVAL;
	err = hsm_lock(s);
	if (err)
		return err;
	hsm_req_begin(s, &w, RPC_FUNC_PKEY_LOAD);
	xdr_put_u32(&w, 0);
	xdr_put_opaque(&w, der, der_len);
	xdr_put_u32(&w, flags);
	err = hsm_key_create(s, &w, hsm_op_timeout_ms, NULL, board_status,
			     handle, uuid);
	memzero_explicit(s->req, HAL_RPC_MAX_PKT_SIZE);
	mutex_unlock(&s->lock);
	return err;
}

/**
 * hsm_key_open() - open a key of the board's keystore by name
 * @s:			session
 * @uuid:		the key's name, HAL_UUID_LEN bytes
 * @handle:		out: the session's handle for the key
 * @board_status:	out: the board's status word
 *
 * Return: 0; -EMFILE; or a request error.
 */
int hsm_key_open(struct hsm_session *s, const u8 *uuid, u32 *handle,
		 u32 *board_status)
{
	struct xdr_writer w;
	u8 name[HAL_UUID_LEN];
	int err;

	*board_status = HAL_OK;
	err = hsm_lock(s);
	if (err)
		return err;
	hsm_req_begin(s, &w, RPC_FUNC_PKEY_OPEN);
	xdr_put_u32(&w, 0);
	xdr_put_opaque(&w, uuid, HAL_UUID_LEN);
	err = hsm_key_create(s, &w, hsm_op_timeout_ms, uuid, board_status,
			     handle, name);
	mutex_unlock(&s->lock);
	return err;
}

/*
 * CLOSE and DELETE: the handle is gone once the board says so (§5.5). Not
 * on -ENODEV: while a DETACH closes the sessions it refuses this request
 * before it has reached this session, and its clean-up must still find
 * the key to close it on the board; after the clean-up, or once the board
 * is gone, the table is emptied there.
 */
static int hsm_key_release(struct hsm_session *s, u32 handle, u32 opcode,
			   u32 *board_status)
{
	struct xdr_writer w;
	struct hsm_reply r;
	struct hsm_key *k;
	int err;

	*board_status = HAL_OK;
	err = hsm_lock(s);
	if (err)
		return err;
	k = hsm_key_lookup(s, handle);
	if (IS_ERR(k)) {
		err = PTR_ERR(k);
		goto out;
	}
	hsm_req_begin(s, &w, opcode);
	xdr_put_u32(&w, k->board_handle);
	err = hsm_session_call(s, &w, hsm_op_timeout_ms, &r, board_status);
	if (!err)
		hsm_reply_free(&r);
	if (!err || *board_status == HAL_ERROR_KEY_NOT_FOUND) {
		xa_erase(&s->keys, handle);
		kfree(k);
	}
out:
	mutex_unlock(&s->lock);
	return err;
}

/**
 * hsm_key_close() - forget a key handle; the key stays on the board
 * @s:			session
 * @handle:		the session's handle
 * @board_status:	out: the board's status word
 *
 * Return: 0; -ENOENT for an unknown handle; or a request error.
 */
int hsm_key_close(struct hsm_session *s, u32 handle, u32 *board_status)
{
	return hsm_key_release(s, handle, RPC_FUNC_PKEY_CLOSE, board_status);
}

/**
 * hsm_key_delete() - delete a key from the board, and its handle
 * @s:			session
 * @handle:		the session's handle
 * @board_status:	out: the board's status word
 *
 * Return: 0; -ENOENT for an unknown handle; or a request error.
 */
int hsm_key_delete(struct hsm_session *s, u32 handle, u32 *board_status)
{
	return hsm_key_release(s, handle, RPC_FUNC_PKEY_DELETE, board_status);
}

/* GET_KEY_TYPE, _CURVE, _FLAGS: one u32 result each. */
static int hsm_key_get_u32(struct hsm_session *s, u32 opcode, u32 board_handle,
			   u32 *val, u32 *board_status)
{
	struct xdr_writer w;
	struct xdr_reader rd;
	struct hsm_reply r;
	int err;

	hsm_req_begin(s, &w, opcode);
	xdr_put_u32(&w, board_handle);
	err = hsm_session_call(s, &w, hsm_op_timeout_ms, &r, board_status);
	if (err)
		return err;
	xdr_reader_init(&rd, r.data, r.len);
	if (!xdr_get_u32(&rd, val))
		err = hsm_reply_malformed(s->board);
	hsm_reply_free(&r);
	return err;
}

/**
 * hsm_key_info() - a key's type, curve, flags and name
 * @s:	session
 * @a:	the key's handle in, the rest out; it holds no pointers
 *
 * Return: 0; -ENOENT for an unknown handle; or a request error.
 */
int hsm_key_info(struct hsm_session *s, struct cryptech_hsm_key_info *a)
{
	struct hsm_key *k;
	int err;

	err = hsm_lock(s);
	if (err)
		return err;
	k = hsm_key_lookup(s, a->handle);
	if (IS_ERR(k)) {
		err = PTR_ERR(k);
		goto out;
	}
	err = hsm_key_get_u32(s, RPC_FUNC_PKEY_GET_KEY_TYPE, k->board_handle,
			      &a->type, &a->board_status);
	if (!err)
		err = hsm_key_get_u32(s, RPC_FUNC_PKEY_GET_KEY_CURVE,
				      k->board_handle, &a->curve,
				      &a->board_status);
	if (!err)
		err = hsm_key_get_u32(s, RPC_FUNC_PKEY_GET_KEY_FLAGS,
				      k->board_handle, &a->flags,
				      &a->board_status);
	if (!err)
		memcpy(a->uuid, k->uuid, HAL_UUID_LEN);
out:
	mutex_unlock(&s->lock);
	return err;
}

/*
 * Copy one opaque<> result to a buffer of @*room bytes. If it does not fit,
 * report the size needed in @*room and fail with -ENOSPC.
 */
static int hsm_put_opaque(struct hsm_session *s, struct xdr_reader *rd,
			  u8 *out, u32 *room)
{
	const u8 *data;
	u32 len;

	if (!xdr_get_opaque(rd, &data, &len, HSM_OUT_MAX))
		return hsm_reply_malformed(s->board);
	if (len > *room) {
		*room = len;
		return -ENOSPC;
	}
	*room = len;
	memcpy(out, data, len);
	return 0;
}

/**
 * hsm_key_public() - the DER public key of a key of this session
 * @s:			session
 * @handle:		the session's (virtual) key handle
 * @der:		out: the key, buffer of @*der_len bytes
 * @der_len:		in: room at @der; out: the key's length, also when
 *			it did not fit (-ENOSPC)
 * @board_status:	out: the board's status word
 *
 * Outputs (public keys, signatures) are always requested at the protocol's
 * maximum size and then copied to what the caller has room for, so a
 * too-small buffer costs no second request and still learns the size.
 *
 * Return: 0; -ENOENT for an unknown handle; -ENOSPC; or a request error.
 */
int hsm_key_public(struct hsm_session *s, u32 handle, u8 *der, u32 *der_len,
		   u32 *board_status)
{
	struct xdr_writer w;
	struct xdr_reader rd;
	struct hsm_reply r;
	struct hsm_key *k;
	int err;

	*board_status = HAL_OK;
	err = hsm_lock(s);
	if (err)
		return err;
	k = hsm_key_lookup(s, handle);
	if (IS_ERR(k)) {
		err = PTR_ERR(k);
		goto out;
	}
	hsm_req_begin(s, &w, RPC_FUNC_PKEY_GET_PUBLIC_KEY);
	xdr_put_u32(&w, k->board_handle);
	xdr_put_u32(&w, HSM_OUT_MAX);
	err = hsm_session_call(s, &w, hsm_op_timeout_ms, &r, board_status);
	if (err)
		goto out;
	xdr_reader_init(&rd, r.data, r.len);
	err = hsm_put_opaque(s, &rd, der, der_len);
	hsm_reply_free(&r);
out:
	mutex_unlock(&s->lock);
	return err;
}

/* SIGN and VERIFY start alike: key, no hash handle, input (§5.5). */
static int hsm_key_sig_begin(struct hsm_session *s, struct xdr_writer *w,
			     u32 opcode, u32 handle, const u8 *input,
			     u32 input_len)
{
	struct hsm_key *k = hsm_key_lookup(s, handle);

	if (IS_ERR(k))
		return PTR_ERR(k);
	hsm_req_begin(s, w, opcode);
	xdr_put_u32(w, k->board_handle);
	xdr_put_u32(w, HAL_HANDLE_NONE);
	xdr_put_opaque(w, input, input_len);
	return 0;
}

/**
 * hsm_key_sign() - sign with a key of this session
 * @s:			session
 * @handle:		the session's (virtual) key handle
 * @input:		DigestInfo (RSA) or digest (ECDSA)
 * @input_len:		1..CRYPTECH_HSM_BLOB_MAX
 * @sig:		out: the signature, buffer of @*sig_len bytes
 * @sig_len:		in: room at @sig; out: the signature's length, also
 *			when it did not fit (-ENOSPC)
 * @board_status:	out: the board's status word
 *
 * Return: 0; -EINVAL for a bad length; -ENOENT for an unknown handle;
 * -ENOSPC; or a request error.
 */
int hsm_key_sign(struct hsm_session *s, u32 handle, const u8 *input,
		 u32 input_len, u8 *sig, u32 *sig_len, u32 *board_status)
{
	struct xdr_writer w;
	struct xdr_reader rd;
	struct hsm_reply r;
	int err;

	*board_status = HAL_OK;
	if (!hsm_blob_len_ok(input_len))
		return -EINVAL;
	err = hsm_lock(s);
	if (err)
		return err;
	err = hsm_key_sig_begin(s, &w, RPC_FUNC_PKEY_SIGN, handle, input,
				input_len);
	if (err)
		goto unlock;
	xdr_put_u32(&w, HSM_OUT_MAX);
	err = hsm_session_call(s, &w, hsm_op_timeout_ms, &r, board_status);
	if (err)
		goto unlock;
	xdr_reader_init(&rd, r.data, r.len);
	err = hsm_put_opaque(s, &rd, sig, sig_len);
	hsm_reply_free(&r);
unlock:
	mutex_unlock(&s->lock);
	return err;
}

/**
 * hsm_key_verify() - verify a signature with a key of this session
 * @s:			session
 * @handle:		the session's (virtual) key handle
 * @input:		DigestInfo (RSA) or digest (ECDSA)
 * @input_len:		1..CRYPTECH_HSM_BLOB_MAX
 * @sig:		the signature
 * @sig_len:		1..CRYPTECH_HSM_BLOB_MAX
 * @board_status:	out: the board's status word
 *
 * Return: 0 for a valid signature, -EKEYREJECTED for an invalid one;
 * -EINVAL for a bad length; -ENOENT for an unknown handle; or a request
 * error.
 */
int hsm_key_verify(struct hsm_session *s, u32 handle, const u8 *input,
		   u32 input_len, const u8 *sig, u32 sig_len, u32 *board_status)
{
	struct xdr_writer w;
	struct hsm_reply r;
	int err;

	*board_status = HAL_OK;
	if (!hsm_blob_len_ok(input_len) || !hsm_blob_len_ok(sig_len))
		return -EINVAL;
	err = hsm_lock(s);
	if (err)
		return err;
	err = hsm_key_sig_begin(s, &w, RPC_FUNC_PKEY_VERIFY, handle, input,
				input_len);
	if (!err) {
		xdr_put_opaque(&w, sig, sig_len);
		err = hsm_session_call(s, &w, hsm_op_timeout_ms, &r,
				       board_status);
		if (!err)
			hsm_reply_free(&r);
	}
	mutex_unlock(&s->lock);
	return err;
}

/**
 * hsm_key_attrs_valid() - whether a packed attribute list's counts are
 *			   within the protocol's bounds
 * @len:	bytes of the list
 * @n:		entries in it
 * @min_n:	fewest entries allowed
 *
 * The entries themselves are checked while they are encoded.
 *
 * Return: true if they are.
 */
bool hsm_key_attrs_valid(u32 len, u32 n, u32 min_n)
{
	return n >= min_n && n <= CRYPTECH_HSM_ATTRS_MAX &&
	       len <= CRYPTECH_HSM_ATTRS_MAX_BYTES && (!n || len);
}

/*
 * Encode a packed attribute list (uapi: struct cryptech_hsm_key_attr
 * entries, each value padded to 4 bytes) as the protocol's "count, then
 * (type, opaque<> value or the NIL marker)" (§3). Every entry must lie
 * within the buffer and the entries must use it all.
 */
static int hsm_put_attrs(struct xdr_writer *w, const u8 *buf, u32 len, u32 n,
			 bool allow_delete)
{
	struct cryptech_hsm_key_attr hdr;
	size_t off = 0;
	u32 i;

	xdr_put_u32(w, n);
	for (i = 0; i < n; i++) {
		if (len - off < sizeof(hdr))
			return -EINVAL;
		memcpy(&hdr, buf + off, sizeof(hdr));
		off += sizeof(hdr);
		xdr_put_u32(w, hdr.type);
		if (hdr.len == CRYPTECH_HSM_ATTR_DELETE) {
			if (!allow_delete)
				return -EINVAL;
			xdr_put_u32(w, HAL_PKEY_ATTRIBUTE_NIL);
			continue;
		}
		if (hdr.len > len - off)
			return -EINVAL;
		xdr_put_opaque(w, buf + off, hdr.len);
		off += hdr.len;
		off += min_t(size_t, xdr_pad4(hdr.len), len - off);
	}
	return off == len ? 0 : -EINVAL;
}

/**
 * hsm_key_match_valid() - whether a MATCH query's scalar members are valid
 * @a:	the query
 *
 * Return: true if they are (the attribute list is checked apart).
 */
bool hsm_key_match_valid(const struct cryptech_hsm_match *a)
{
	return a->state <= HAL_MATCH_DONE && a->count &&
	       a->count <= CRYPTECH_HSM_MATCH_MAX &&
	       !(a->mask & ~CRYPTECH_HSM_KEY_F_ALL) &&
	       !(a->flags & ~CRYPTECH_HSM_KEY_F_ALL) &&
	       a->type <= HAL_KEY_TYPE_HASHSIG_LMOTS &&
	       a->curve <= HAL_CURVE_P521 &&
	       hsm_key_attrs_valid(a->attrs_len, a->n_attrs, 0);
}

/**
 * hsm_key_match() - one step of a search of the board's keystore
 * @s:		session
 * @a:		the query (type, curve, mask, flags, n_attrs, attrs_len,
 *		state, count, prev_uuid) and its result (state, count,
 *		prev_uuid, board_status); its pointer members are not used
 * @attrs:	the attribute filters, @a->attrs_len bytes, packed as in the
 *		uapi
 * @uuids:	out: room for @a->count names of HAL_UUID_LEN bytes
 *
 * Return: 0; -EINVAL for a bad query; or a request error.
 */
int hsm_key_match(struct hsm_session *s, struct cryptech_hsm_match *a,
		  const u8 *attrs, u8 *uuids)
{
	struct xdr_writer w;
	struct xdr_reader rd;
	struct hsm_reply r;
	const u8 *name = NULL;
	u32 state, count, i, len;
	int err;

	a->board_status = HAL_OK;
	if (!hsm_key_match_valid(a))
		return -EINVAL;
	err = hsm_lock(s);
	if (err)
		return err;
	hsm_req_begin(s, &w, RPC_FUNC_PKEY_MATCH);
	xdr_put_u32(&w, 0);
	xdr_put_u32(&w, a->type);
	xdr_put_u32(&w, a->curve);
	xdr_put_u32(&w, a->mask);
	xdr_put_u32(&w, a->flags);
	err = hsm_put_attrs(&w, attrs, a->attrs_len, a->n_attrs, false);
	if (err)
		goto unlock;
	xdr_put_u32(&w, a->state);
	xdr_put_u32(&w, a->count);
	xdr_put_opaque(&w, a->prev_uuid, HAL_UUID_LEN);
	err = hsm_session_call(s, &w, hsm_op_timeout_ms, &r, &a->board_status);
	if (err)
		goto unlock;

	xdr_reader_init(&rd, r.data, r.len);
	if (!xdr_get_u32(&rd, &state) || !xdr_get_u32(&rd, &count) ||
	    state > HAL_MATCH_DONE || count > a->count) {
		err = hsm_reply_malformed(s->board);
		goto reply;
	}
	for (i = 0; i < count; i++) {
		if (!xdr_get_opaque(&rd, &name, &len, HAL_UUID_LEN) ||
		    len != HAL_UUID_LEN) {
			err = hsm_reply_malformed(s->board);
			goto reply;
		}
		memcpy(uuids + i * HAL_UUID_LEN, name, HAL_UUID_LEN);
	}
	a->state = state;
	a->count = count;
	if (name)
		memcpy(a->prev_uuid, name, HAL_UUID_LEN);
reply:
	hsm_reply_free(&r);
unlock:
	mutex_unlock(&s->lock);
	return err;
}

/**
 * hsm_key_set_attrs() - set or delete attributes of a key
 * @s:			session
 * @handle:		the session's key handle
 * @attrs:		the attributes, packed as in the uapi; a length of
 *			CRYPTECH_HSM_ATTR_DELETE deletes one
 * @attrs_len:		bytes at @attrs
 * @n_attrs:		entries at @attrs, 1..CRYPTECH_HSM_ATTRS_MAX
 * @board_status:	out: the board's status word
 *
 * Return: 0; -EINVAL for a bad list; -ENOENT for an unknown handle; or a
 * request error.
 */
int hsm_key_set_attrs(struct hsm_session *s, u32 handle, const u8 *attrs,
		      u32 attrs_len, u32 n_attrs, u32 *board_status)
{
	struct xdr_writer w;
	struct hsm_reply r;
	struct hsm_key *k;
	int err;

	*board_status = HAL_OK;
	if (!hsm_key_attrs_valid(attrs_len, n_attrs, 1))
		return -EINVAL;
	err = hsm_lock(s);
	if (err)
		return err;
	k = hsm_key_lookup(s, handle);
	if (IS_ERR(k)) {
		err = PTR_ERR(k);
		goto unlock;
	}
	hsm_req_begin(s, &w, RPC_FUNC_PKEY_SET_ATTRIBUTES);
	xdr_put_u32(&w, k->board_handle);
	err = hsm_put_attrs(&w, attrs, attrs_len, n_attrs, true);
	if (!err)
		err = hsm_session_call(s, &w, hsm_op_timeout_ms, &r,
				       board_status);
	if (!err)
		hsm_reply_free(&r);
unlock:
	mutex_unlock(&s->lock);
	return err;
}

/*
 * One GET_ATTRIBUTES request. @value_room 0 asks for lengths only. The
 * results are written to @out in the uapi's packed format as far as they
 * fit in @out_size bytes; *@used is the number of bytes that output needs,
 * and *@values_need what the output with values would need.
 */
static int hsm_get_attrs_once(struct hsm_session *s, u32 board_handle,
			      const u32 *types, u32 n, u32 value_room,
			      u8 *out, size_t out_size, size_t *used,
			      size_t *values_need, u32 *board_status)
{
	struct cryptech_hsm_key_attr hdr;
	struct xdr_writer w;
	struct xdr_reader rd;
	struct hsm_reply r;
	const u8 *val = NULL;
	size_t off = 0, need = 0, step;
	u32 i, count, type, len;
	int err;

	hsm_req_begin(s, &w, RPC_FUNC_PKEY_GET_ATTRIBUTES);
	xdr_put_u32(&w, board_handle);
	xdr_put_u32(&w, n);
	for (i = 0; i < n; i++)
		xdr_put_u32(&w, types[i]);
	xdr_put_u32(&w, value_room);
	err = hsm_session_call(s, &w, hsm_op_timeout_ms, &r, board_status);
	if (err)
		return err;

	xdr_reader_init(&rd, r.data, r.len);
	if (!xdr_get_u32(&rd, &count) || count != n)
		goto bad;
	for (i = 0; i < n; i++) {
		if (!xdr_get_u32(&rd, &type) || type != types[i])
			goto bad;
		if (value_room) {
			if (!xdr_get_opaque(&rd, &val, &len, value_room))
				goto bad;
		} else if (!xdr_get_u32(&rd, &len) || len > HSM_OUT_MAX) {
			goto bad;
		}
		step = sizeof(hdr) + (value_room ? len + xdr_pad4(len) : 0);
		if (out && off + step <= out_size) {
			hdr.type = type;
			hdr.len = len;
			memcpy(out + off, &hdr, sizeof(hdr));
			if (value_room) {
				memcpy(out + off + sizeof(hdr), val, len);
				memset(out + off + sizeof(hdr) + len, 0,
				       xdr_pad4(len));
			}
		}
		off += step;
		need += sizeof(hdr) + len + xdr_pad4(len);
	}
	*used = off;
	*values_need = need;
	hsm_reply_free(&r);
	return 0;
bad:
	hsm_reply_free(&r);
	return hsm_reply_malformed(s->board);
}

/**
 * hsm_key_get_attrs_valid() - whether GET_ATTRS arguments are valid
 * @flags:	CRYPTECH_HSM_GET_ATTRS_*
 * @n_types:	number of attribute types asked for
 *
 * Return: true if they are.
 */
bool hsm_key_get_attrs_valid(u32 flags, u32 n_types)
{
	return !(flags & ~CRYPTECH_HSM_GET_ATTRS_LENGTHS) && n_types &&
	       n_types <= CRYPTECH_HSM_ATTRS_MAX;
}

/**
 * hsm_key_get_attrs() - read attributes of a key
 * @s:			session
 * @handle:		the session's key handle
 * @types:		the attribute types, @n_types of them
 * @n_types:		1..CRYPTECH_HSM_ATTRS_MAX
 * @flags:		CRYPTECH_HSM_GET_ATTRS_LENGTHS for lengths only
 * @buf:		out: the attributes packed as in the uapi
 * @buf_len:		in: room at @buf (at most 2 * HAL_RPC_MAX_PKT_SIZE
 *			is used); out: the bytes written, or needed (-ENOSPC)
 * @board_status:	out: the board's status word
 *
 * Return: 0; -EINVAL; -ENOENT for an unknown handle; -ENOSPC; or a request
 * error.
 */
int hsm_key_get_attrs(struct hsm_session *s, u32 handle, const u32 *types,
		      u32 n_types, u32 flags, u8 *buf, u32 *buf_len,
		      u32 *board_status)
{
	bool lengths = flags & CRYPTECH_HSM_GET_ATTRS_LENGTHS;
	size_t hdrs, used = 0, need = 0, room;
	u32 value_room, limit, st;
	struct hsm_key *k;
	int err;

	*board_status = HAL_OK;
	if (!hsm_key_get_attrs_valid(flags, n_types))
		return -EINVAL;
	hdrs = n_types * sizeof(struct cryptech_hsm_key_attr);
	/* Headers, values and padding of one reply never exceed this. */
	room = min_t(size_t, *buf_len, 2 * HAL_RPC_MAX_PKT_SIZE);
	/* The board refuses requests whose reply could not fit (§5.5). */
	limit = HAL_RPC_MAX_PKT_SIZE - HAL_RPC_REPLY_HDR_SIZE -
		4 * (1 + 2 * n_types);
	value_room = lengths ? 0 : min_t(size_t, limit,
					 room > hdrs ? room - hdrs : 1);

	err = hsm_lock(s);
	if (err)
		return err;
	k = hsm_key_lookup(s, handle);
	if (IS_ERR(k)) {
		err = PTR_ERR(k);
		goto unlock;
	}
	err = hsm_get_attrs_once(s, k->board_handle, types, n_types,
				 value_room, buf, room, &used, &need,
				 board_status);
	if (err == -EOVERFLOW && !lengths) {
		/* Values did not fit: learn their lengths to say what would. */
		if (!hsm_get_attrs_once(s, k->board_handle, types, n_types,
					0, NULL, 0, &used, &need, &st)) {
			err = -ENOSPC;
			*buf_len = min_t(size_t, U32_MAX, need);
		}
		goto unlock;
	}
	if (err)
		goto unlock;
	if (used > room)
		err = -ENOSPC;
	*buf_len = used;
unlock:
	mutex_unlock(&s->lock);
	return err;
}

/**
 * hsm_key_export() - export a key wrapped under a KEKEK (§7.6)
 * @s:			session
 * @handle:		the session's handle of the key to export
 * @kekek_handle:	the session's handle of the key-encryption key's key
 * @pkcs8:		out: the wrapped key, buffer of @*pkcs8_len bytes
 * @pkcs8_len:		in: room at @pkcs8; out: its length, also when it
 *			did not fit (-ENOSPC)
 * @kek:		out: the wrapped KEK, buffer of @*kek_len bytes
 * @kek_len:		in and out, as @pkcs8_len
 * @board_status:	out: the board's status word
 *
 * Return: 0; -ENOENT for an unknown handle; -ENOSPC; or a request error.
 */
int hsm_key_export(struct hsm_session *s, u32 handle, u32 kekek_handle,
		   u8 *pkcs8, u32 *pkcs8_len, u8 *kek, u32 *kek_len,
		   u32 *board_status)
{
	struct xdr_writer w;
	struct xdr_reader rd;
	struct hsm_reply r;
	struct hsm_key *k, *kekek;
	u32 kek_max, pkcs8_max;
	int err;

	*board_status = HAL_OK;
	kek_max = min(*kek_len, HSM_EXPORT_KEK_MAX);
	pkcs8_max = min(*pkcs8_len, HSM_EXPORT_MAX_SUM - kek_max);
	err = hsm_lock(s);
	if (err)
		return err;
	k = hsm_key_lookup(s, handle);
	kekek = hsm_key_lookup(s, kekek_handle);
	if (IS_ERR(k) || IS_ERR(kekek)) {
		err = PTR_ERR(IS_ERR(k) ? k : kekek);
		goto out;
	}
	hsm_req_begin(s, &w, RPC_FUNC_PKEY_EXPORT);
	xdr_put_u32(&w, k->board_handle);
	xdr_put_u32(&w, kekek->board_handle);
	xdr_put_u32(&w, pkcs8_max);
	xdr_put_u32(&w, kek_max);
	err = hsm_session_call(s, &w, hsm_op_timeout_ms, &r, board_status);
	if (err)
		goto out;
	xdr_reader_init(&rd, r.data, r.len);
	err = hsm_put_opaque(s, &rd, pkcs8, pkcs8_len);
	if (!err)
		err = hsm_put_opaque(s, &rd, kek, kek_len);
	hsm_reply_free(&r);
out:
	mutex_unlock(&s->lock);
	return err;
}

/**
 * hsm_key_import() - import a key exported by hsm_key_export()
 * @s:			session
 * @kekek_handle:	the session's handle of the KEKEK it was wrapped for
 * @pkcs8:		the wrapped key
 * @pkcs8_len:		1..CRYPTECH_HSM_BLOB_MAX
 * @kek:		the wrapped KEK
 * @kek_len:		1..CRYPTECH_HSM_BLOB_MAX
 * @flags:		CRYPTECH_HSM_KEY_F_* of the new key
 * @handle:		out: the session's handle for the new key
 * @uuid:		out: its name, HAL_UUID_LEN bytes
 * @board_status:	out: the board's status word
 *
 * Return: 0; -EINVAL; -ENOENT for an unknown handle; -EMFILE; or a request
 * error.
 */
int hsm_key_import(struct hsm_session *s, u32 kekek_handle, const u8 *pkcs8,
		   u32 pkcs8_len, const u8 *kek, u32 kek_len, u32 flags,
		   u32 *handle, u8 *uuid, u32 *board_status)
{
	struct xdr_writer w;
	struct hsm_key *kekek;
	int err;

	*board_status = HAL_OK;
	if (flags & ~CRYPTECH_HSM_KEY_F_ALL || !hsm_blob_len_ok(pkcs8_len) ||
	    !hsm_blob_len_ok(kek_len))
		return -EINVAL;
	err = hsm_lock(s);
	if (err)
		return err;
	kekek = hsm_key_lookup(s, kekek_handle);
	if (IS_ERR(kekek)) {
		err = PTR_ERR(kekek);
	} else {
		hsm_req_begin(s, &w, RPC_FUNC_PKEY_IMPORT);
		xdr_put_u32(&w, 0);
		xdr_put_u32(&w, kekek->board_handle);
		xdr_put_opaque(&w, pkcs8, pkcs8_len);
		xdr_put_opaque(&w, kek, kek_len);
		xdr_put_u32(&w, flags);
		err = hsm_key_create(s, &w, hsm_op_timeout_ms, NULL,
				     board_status, handle, uuid);
		/* Wrapped key material passed through the request buffer. */
		memzero_explicit(s->req, HAL_RPC_MAX_PKT_SIZE);
	}
	mutex_unlock(&s->lock);
	return err;
}
