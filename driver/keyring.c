// SPDX-License-Identifier: GPL-2.0
/*
 * Board-resident keys in the kernel's keyrings (issue 10 point 4): an
 * asymmetric key parser and subtype, so that "keyctl padd asymmetric" makes
 * a key that names a key on a board, and keyctl pkey_query, pkey_sign and
 * pkey_verify use it there. The private key never leaves the board.
 *
 * Payload (Documentation/admin-guide/cryptech_hsm.rst has the grammar):
 *	cryptech-hsm:v1 board=<board id> key=<uuid>
 * with at most one trailing newline. A payload without the "cryptech-hsm:"
 * prefix is not ours (-EBADMSG: the next parser may try); one with it that
 * breaks the grammar in any byte is refused with -EINVAL.
 *
 * A key keeps the board's identity, the key's UUID, and what pkey_query
 * needs (type, size, whether it is private, the public key), never a board
 * pointer: each operation looks the board up by identity, so after unplug
 * it fails with -ENODEV and after re-attach of the same board it works
 * again. Adding the key opens it on the board (PKEY_OPEN always needs the
 * kernel login, "hsmctl kernel-login"), reads its type, curve, flags and
 * public key, and closes it. Sign opens it again, signs and closes it
 * (needs the login too: -EACCES and a log line otherwise). Verify loads the
 * public key as a volatile public key and verifies on the board, which
 * needs no login, as in akcipher.c.
 *
 * Lifetime: every key holds a reference to this module (taken by the
 * parser with try_module_get(), so none is made once an unload has begun;
 * put by the asymmetric key type when the key is destroyed), so
 * the module cannot be unloaded while any such key exists: "keyctl unlink"
 * or "keyctl clear" them first; the garbage collector then frees them.
 *
 * Locking: none of its own. An operation holds a board reference and the
 * board's kernel session (hsm_ksession_get(), board->ksession_rwsem for
 * reading) only for its own duration.
 */
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/key-type.h>
#include <linux/keyctl.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <keys/asymmetric-parser.h>
#include <keys/asymmetric-subtype.h>
#include <keys/asymmetric-type.h>
#include <crypto/public_key.h>

#include "hsm.h"
#include "sigfmt.h"

#if IS_REACHABLE(CONFIG_ASYMMETRIC_KEY_TYPE)

#define HSM_KR_MAGIC		"cryptech-hsm:"
#define HSM_KR_V1		"v1 board="
#define HSM_KR_KEY		" key="
#define HSM_KR_UUID_CHARS	36
#define HSM_KR_BOARD_ID_MAX	63
/* The longest public key kept: an RSA-8192 SubjectPublicKeyInfo. */
#define HSM_KR_SPKI_MAX		1100
/* The largest signature: RSA-8192. */
#define HSM_KR_SIG_MAX		1024
/* Bytes of a coordinate of the largest curve supported (P-384). */
#define HSM_KR_EC_LEN_MAX	48
#define HSM_KR_DIGEST_MAX	64

/**
 * struct hsm_kr_key - what a keyring key of this subtype keeps
 * @board_id:	the board's stable identity, NUL-terminated
 * @uuid:	the key's name on the board
 * @rsa:	an RSA key; else ECDSA
 * @private:	the board holds the private key: sign is possible
 * @len:	bytes of the RSA modulus, or of an EC coordinate
 * @bits:	the key's size in bits
 * @spki_len:	bytes in @spki
 * @spki:	the public key as SubjectPublicKeyInfo, for verify
 */
struct hsm_kr_key {
	char board_id[HSM_KR_BOARD_ID_MAX + 1];
	u8 uuid[HAL_UUID_LEN];
	bool rsa;
	bool private;
	unsigned int len;
	unsigned int bits;
	unsigned int spki_len;
	u8 spki[];
};

static int hsm_kr_hex(u8 c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A UUID as 8-4-4-4-12 hex digits, either case, into 16 bytes. */
static int hsm_kr_parse_uuid(const u8 *s, u8 *uuid)
{
	unsigned int i, n = 0;
	int hi, lo;

	for (i = 0; i < HSM_KR_UUID_CHARS; ) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i++] != '-')
				return -EINVAL;
			continue;
		}
		hi = hsm_kr_hex(s[i]);
		lo = hsm_kr_hex(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		uuid[n++] = hi << 4 | lo;
		i += 2;
	}
	return 0;
}

/*
 * Check every byte of a payload against the grammar and split it.
 * Return: 0; -EBADMSG if it is not ours; -EINVAL if it is, but malformed.
 */
static int hsm_kr_parse_payload(const u8 *data, size_t len, char *board_id,
				u8 *uuid)
{
	const size_t magic = sizeof(HSM_KR_MAGIC) - 1;
	const size_t v1 = sizeof(HSM_KR_V1) - 1;
	const size_t kw = sizeof(HSM_KR_KEY) - 1;
	size_t i, id_len;

	if (len < magic || memcmp(data, HSM_KR_MAGIC, magic))
		return -EBADMSG;
	data += magic;
	len -= magic;
	if (len && data[len - 1] == '\n')
		len--;
	if (len < v1 || memcmp(data, HSM_KR_V1, v1))
		return -EINVAL;
	data += v1;
	len -= v1;
	for (id_len = 0; id_len < len; id_len++)
		if (data[id_len] < 0x21 || data[id_len] > 0x7e)
			break;
	if (!id_len || id_len > HSM_KR_BOARD_ID_MAX)
		return -EINVAL;
	if (len - id_len != kw + HSM_KR_UUID_CHARS ||
	    memcmp(data + id_len, HSM_KR_KEY, kw))
		return -EINVAL;
	for (i = 0; i < id_len; i++)
		board_id[i] = data[i];
	board_id[id_len] = '\0';
	return hsm_kr_parse_uuid(data + id_len + kw, uuid);
}

static struct asymmetric_key_subtype hsm_kr_subtype;

/* The listed, alive board of this identity, referenced; or NULL. */
static struct hsm_board *hsm_kr_board_get(const char *board_id)
{
	unsigned long index = 0;
	struct hsm_board *b;

	while ((b = hsm_board_get_next(&index))) {
		if (hsm_board_alive(b) && !strcmp(b->board_id, board_id))
			return b;
		hsm_board_put(b);
		index++;
	}
	return NULL;
}

/* The RSA modulus's bytes and bits from a SubjectPublicKeyInfo. */
static int hsm_kr_rsa_size(const u8 *spki, size_t spki_len,
			   unsigned int *bytes, unsigned int *bits)
{
	const u8 *p = spki, *end = spki + spki_len, *v, *n;
	size_t len, n_len;

	if (hsm_der_take(&p, end, 0x30, &v, &len))
		return -EBADMSG;
	p = v;
	end = v + len;
	if (hsm_der_take(&p, end, 0x30, &v, &len) ||	/* AlgorithmIdentifier */
	    hsm_der_take(&p, end, 0x03, &v, &len) || len < 1 || v[0])
		return -EBADMSG;
	p = v + 1;
	end = v + len;
	if (hsm_der_take(&p, end, 0x30, &v, &len))
		return -EBADMSG;
	p = v;
	end = v + len;
	if (hsm_der_take(&p, end, 0x02, &n, &n_len))
		return -EBADMSG;
	while (n_len && !n[0]) {
		n++;
		n_len--;
	}
	if (n_len < 64 || n_len > HSM_KR_SIG_MAX)
		return -EBADMSG;
	*bytes = n_len;
	*bits = (n_len - 1) * 8 + fls(n[0]);
	return 0;
}

/* Open the key on the board, learn what query needs, close it. */
static int hsm_kr_describe_on(struct hsm_board *b, struct hsm_kr_key *k)
{
	struct cryptech_hsm_key_info info = { .size = sizeof(info) };
	u32 handle, st, spki_len = HSM_KR_SPKI_MAX;
	struct hsm_session *s;
	int err;

	s = hsm_ksession_get(b, true);
	if (IS_ERR(s))
		return PTR_ERR(s);
	err = hsm_key_open(s, k->uuid, &handle, &st);
	if (err) {
		if (st == HAL_ERROR_KEY_NOT_FOUND)
			dev_info_ratelimited(&b->dev,
					     "keyring: no key %pU on this board\n",
					     k->uuid);
		goto out;
	}
	info.handle = handle;
	err = hsm_key_info(s, &info);
	if (!err)
		err = hsm_key_public(s, handle, k->spki, &spki_len, &st);
	hsm_key_close(s, handle, &st);
	if (err)
		goto out;
	k->spki_len = spki_len;
	switch (info.type) {
	case CRYPTECH_HSM_KEY_RSA_PRIVATE:
	case CRYPTECH_HSM_KEY_RSA_PUBLIC:
		k->rsa = true;
		k->private = info.type == CRYPTECH_HSM_KEY_RSA_PRIVATE;
		err = hsm_kr_rsa_size(k->spki, k->spki_len, &k->len, &k->bits);
		if (err)
			dev_warn_ratelimited(&b->dev,
					     "keyring: key %pU: unreadable RSA public key\n",
					     k->uuid);
		break;
	case CRYPTECH_HSM_KEY_EC_PRIVATE:
	case CRYPTECH_HSM_KEY_EC_PUBLIC:
		k->private = info.type == CRYPTECH_HSM_KEY_EC_PRIVATE;
		if (info.curve == CRYPTECH_HSM_CURVE_P256) {
			k->len = 32;
		} else if (info.curve == CRYPTECH_HSM_CURVE_P384) {
			k->len = 48;
		} else {
			dev_info_ratelimited(&b->dev,
					     "keyring: key %pU: only P-256 and P-384 are supported\n",
					     k->uuid);
			err = -EOPNOTSUPP;
		}
		k->bits = k->len * 8;
		break;
	default:
		dev_info_ratelimited(&b->dev,
				     "keyring: key %pU is not an RSA or ECDSA key\n",
				     k->uuid);
		err = -EOPNOTSUPP;
	}
	if (!err && !(info.flags & CRYPTECH_HSM_KEY_F_SIGN)) {
		dev_info_ratelimited(&b->dev,
				     "keyring: key %pU has no DIGITALSIGNATURE usage\n",
				     k->uuid);
		err = -EOPNOTSUPP;
	}
out:
	hsm_ksession_put(b);
	return err;
}

/**
 * hsm_kr_parse() - the asymmetric key parser: a board-resident key
 * @prep: the payload of "keyctl padd asymmetric"
 *
 * Return: 0; -EBADMSG if the payload is not ours; -EINVAL if malformed;
 * -ENODEV if no attached board has that identity; -EACCES without the
 * kernel login; -ENOENT if the board has no such key; -EOPNOTSUPP for a key
 * that cannot sign; or another board error.
 */
static int hsm_kr_parse(struct key_preparsed_payload *prep)
{
	char board_id[HSM_KR_BOARD_ID_MAX + 1];
	struct asymmetric_key_ids *kids;
	struct asymmetric_key_id *id;
	u8 uuid[HAL_UUID_LEN];
	struct hsm_kr_key *k, *fit;
	struct hsm_board *b;
	char *desc;
	int err;

	err = hsm_kr_parse_payload(prep->data, prep->datalen, board_id, uuid);
	if (err)
		return err;
	/*
	 * The key's reference, taken first: once an unload has begun it
	 * fails, and no key may point into a module on its way out.
	 */
	if (!try_module_get(THIS_MODULE))
		return -ENODEV;
	err = -ENOMEM;
	k = kzalloc(struct_size(k, spki, HSM_KR_SPKI_MAX), GFP_KERNEL);
	if (!k)
		goto err_module;
	strscpy(k->board_id, board_id, sizeof(k->board_id));
	memcpy(k->uuid, uuid, HAL_UUID_LEN);
	b = hsm_kr_board_get(k->board_id);
	if (!b) {
		pr_info_ratelimited("cryptech_hsm: keyring: no attached board \"%s\" (see hsmctl list)\n",
				    k->board_id);
		err = -ENODEV;
		goto err_key;
	}
	err = hsm_kr_describe_on(b, k);
	hsm_board_put(b);
	if (err)
		goto err_key;
	fit = krealloc(k, struct_size(k, spki, k->spki_len), GFP_KERNEL);
	if (fit)
		k = fit;

	err = -ENOMEM;
	kids = kzalloc(sizeof(*kids), GFP_KERNEL);
	if (!kids)
		goto err_key;
	id = asymmetric_key_generate_id(k->uuid, HAL_UUID_LEN, NULL, 0);
	if (IS_ERR(id)) {
		err = PTR_ERR(id);
		goto err_kids;
	}
	kids->id[0] = id;
	desc = kasprintf(GFP_KERNEL, "cryptech-hsm %s %pU", k->board_id,
			 k->uuid);
	if (!desc)
		goto err_id;

	prep->payload.data[asym_subtype] = &hsm_kr_subtype;
	prep->payload.data[asym_key_ids] = kids;
	prep->payload.data[asym_crypto] = k;
	prep->payload.data[asym_auth] = NULL;
	prep->description = desc;
	prep->quotalen = 100;
	return 0;

err_id:
	kfree(id);
err_kids:
	kfree(kids);
err_key:
	kfree(k);
err_module:
	module_put(THIS_MODULE);
	return err;
}

static void hsm_kr_describe(const struct key *key, struct seq_file *m)
{
	const struct hsm_kr_key *k = key->payload.data[asym_crypto];

	if (k)
		seq_printf(m, "%s %s%u board=%s", hsm_kr_subtype.name,
			   k->rsa ? "rsa-" : "ecdsa-p", k->bits, k->board_id);
}

static void hsm_kr_destroy(void *payload_crypto, void *payload_auth)
{
	kfree(payload_crypto);
	kfree(payload_auth);
}

/*
 * Check an operation's encoding, hash and digest length against the key.
 * Return: the hash (NULL for ECDSA without "hash="), or an ERR_PTR:
 * -EINVAL for a combination the key cannot do.
 */
static const struct hsm_digest_info *
hsm_kr_check(const struct hsm_kr_key *k, const char *encoding,
	     const char *hash_algo, u32 digest_len)
{
	const struct hsm_digest_info *h = hsm_digest_info_find(hash_algo);

	if (hash_algo && !h)
		return ERR_PTR(-EINVAL);
	if (k->rsa) {
		/* The board pads PKCS#1 v1.5; the DigestInfo names the hash. */
		if (!encoding || strcmp(encoding, "pkcs1") || !h ||
		    digest_len != h->len)
			return ERR_PTR(-EINVAL);
		return h;
	}
	if (!encoding || (strcmp(encoding, "x962") && strcmp(encoding, "raw")))
		return ERR_PTR(-EINVAL);
	/* A digest longer than the curve's order would be cut: refuse it. */
	if (h ? digest_len != h->len : digest_len != 20 && digest_len != 32 &&
	    digest_len != 48)
		return ERR_PTR(-EINVAL);
	if (digest_len > k->len)
		return ERR_PTR(-EINVAL);
	return h;
}

/* The bytes of an ECDSA signature in @encoding at most. */
static unsigned int hsm_kr_ec_sig_max(const struct hsm_kr_key *k,
				      const char *encoding)
{
	if (encoding && !strcmp(encoding, "raw"))
		return 2 * k->len;
	return HSM_ECDSA_SIG_DER_MAX(k->len);
}

/* Sign @input on the key's board: open by UUID, sign, close. */
static int hsm_kr_sign_on_board(const struct hsm_kr_key *k, const u8 *input,
				u32 input_len, u8 *sig, u32 *sig_len)
{
	struct hsm_session *s;
	struct hsm_board *b;
	u32 handle, st;
	int err;

	b = hsm_kr_board_get(k->board_id);
	if (!b)
		return -ENODEV;
	s = hsm_ksession_get(b, true);
	if (IS_ERR(s)) {
		err = PTR_ERR(s);
		goto out_board;
	}
	err = hsm_key_open(s, k->uuid, &handle, &st);
	if (!err) {
		err = hsm_key_sign(s, handle, input, input_len, sig, sig_len,
				   &st);
		hsm_key_close(s, handle, &st);
	}
	hsm_ksession_put(b);
out_board:
	hsm_board_put(b);
	return err;
}

/*
 * Verify on the key's board with its public key loaded as a volatile
 * PUBLIC key, which needs no login; delete it after.
 */
static int hsm_kr_verify_on_board(const struct hsm_kr_key *k, const u8 *input,
				  u32 input_len, const u8 *sig, u32 sig_len)
{
	u8 uuid[HAL_UUID_LEN];
	struct hsm_session *s;
	struct hsm_board *b;
	u32 handle, st;
	int err;

	b = hsm_kr_board_get(k->board_id);
	if (!b)
		return -ENODEV;
	s = hsm_ksession_get(b, false);
	if (IS_ERR(s)) {
		err = PTR_ERR(s);
		goto out_board;
	}
	err = hsm_key_load(s, k->spki, k->spki_len,
			   CRYPTECH_HSM_KEY_F_SIGN | CRYPTECH_HSM_KEY_F_PUBLIC,
			   &handle, uuid, &st);
	if (!err) {
		err = hsm_key_verify(s, handle, input, input_len, sig, sig_len,
				     &st);
		hsm_key_delete(s, handle, &st);
	}
	hsm_ksession_put(b);
out_board:
	hsm_board_put(b);
	return err;
}

/**
 * hsm_kr_query() - the subtype's pkey_query
 * @params:	the key, encoding and hash
 * @info:	out: sizes and operations
 *
 * Answered from what the key keeps; no board is asked.
 *
 * Return: 0.
 */
static int hsm_kr_query(const struct kernel_pkey_params *params,
			struct kernel_pkey_query *info)
{
	const struct hsm_kr_key *k = params->key->payload.data[asym_crypto];

	memset(info, 0, sizeof(*info));
	info->key_size = k->bits;
	info->supported_ops = KEYCTL_SUPPORTS_VERIFY;
	if (k->private)
		info->supported_ops |= KEYCTL_SUPPORTS_SIGN;
	if (k->rsa) {
		info->max_data_size = HSM_KR_DIGEST_MAX;
		info->max_sig_size = k->len;
	} else {
		info->max_data_size = k->len;
		info->max_sig_size = hsm_kr_ec_sig_max(k, params->encoding);
	}
	return 0;
}

/**
 * hsm_kr_eds_op() - the subtype's pkey_sign (encrypt and decrypt are not
 *		     offered)
 * @params:	key, encoding, hash, @in_len and the room at @out
 * @in:		the digest
 * @out:	out: the signature
 *
 * Return: the signature's length; -EOPNOTSUPP for other operations or a
 * public key; -EINVAL for a bad encoding, hash or digest length; -ENODEV
 * if the board is not attached; -EACCES without the kernel login; or
 * another board error.
 */
static int hsm_kr_eds_op(struct kernel_pkey_params *params, const void *in,
			 void *out)
{
	const struct hsm_kr_key *k = params->key->payload.data[asym_crypto];
	u8 input[HSM_DIGEST_INFO_MAX], rs[2 * HSM_KR_EC_LEN_MAX];
	const struct hsm_digest_info *h;
	u32 input_len, sig_len;
	int err;

	if (params->op != kernel_pkey_sign || !k->private)
		return -EOPNOTSUPP;
	h = hsm_kr_check(k, params->encoding, params->hash_algo,
			 params->in_len);
	if (IS_ERR(h))
		return PTR_ERR(h);
	if (k->rsa) {
		if (params->out_len < k->len)
			return -EOVERFLOW;
		memcpy(input, h->prefix, h->prefix_len);
		memcpy(input + h->prefix_len, in, params->in_len);
		input_len = h->prefix_len + params->in_len;
		sig_len = k->len;
		err = hsm_kr_sign_on_board(k, input, input_len, out, &sig_len);
		if (!err && sig_len != k->len)
			err = -EPROTO;
		return err ? err : sig_len;
	}
	if (params->out_len < hsm_kr_ec_sig_max(k, params->encoding))
		return -EOVERFLOW;
	sig_len = sizeof(rs);
	err = hsm_kr_sign_on_board(k, in, params->in_len, rs, &sig_len);
	if (err)
		return err;
	if (sig_len != 2 * k->len)
		return -EPROTO;
	if (!strcmp(params->encoding, "raw")) {
		memcpy(out, rs, sig_len);
		return sig_len;
	}
	return hsm_ecdsa_sig_to_der(rs, k->len, out);
}

/**
 * hsm_kr_verify_signature() - the subtype's pkey_verify
 * @key:	the key
 * @sig:	signature, digest, encoding and hash
 *
 * Return: 0 for a good signature; -EKEYREJECTED for a bad one; -EINVAL
 * for a bad encoding, hash or length; -EBADMSG for a malformed signature;
 * -ENODEV if the board is not attached; or another board error.
 */
static int hsm_kr_verify_signature(const struct key *key,
				   const struct public_key_signature *sig)
{
	const struct hsm_kr_key *k = key->payload.data[asym_crypto];
	u8 input[HSM_DIGEST_INFO_MAX], rs[2 * HSM_KR_EC_LEN_MAX];
	const struct hsm_digest_info *h;
	int err;

	h = hsm_kr_check(k, sig->encoding, sig->hash_algo, sig->digest_size);
	if (IS_ERR(h))
		return PTR_ERR(h);
	if (k->rsa) {
		if (sig->s_size != k->len)
			return -EINVAL;
		memcpy(input, h->prefix, h->prefix_len);
		memcpy(input + h->prefix_len, sig->digest, sig->digest_size);
		return hsm_kr_verify_on_board(k, input,
					      h->prefix_len + sig->digest_size,
					      sig->s, sig->s_size);
	}
	if (!strcmp(sig->encoding, "raw")) {
		if (sig->s_size != 2 * k->len)
			return -EINVAL;
		memcpy(rs, sig->s, sig->s_size);
	} else {
		err = hsm_ecdsa_sig_from_der(sig->s, sig->s_size, rs, k->len);
		if (err)
			return err;
	}
	return hsm_kr_verify_on_board(k, sig->digest, sig->digest_size, rs,
				      2 * k->len);
}

static struct asymmetric_key_subtype hsm_kr_subtype = {
	.owner = THIS_MODULE,
	.name = "cryptech-hsm",
	.name_len = sizeof("cryptech-hsm") - 1,
	.describe = hsm_kr_describe,
	.destroy = hsm_kr_destroy,
	.query = hsm_kr_query,
	.eds_op = hsm_kr_eds_op,
	.verify_signature = hsm_kr_verify_signature,
};

static struct asymmetric_key_parser hsm_kr_parser = {
	.owner = THIS_MODULE,
	.name = "cryptech-hsm",
	.parse = hsm_kr_parse,
};

/**
 * hsm_keyring_init() - register the asymmetric key parser
 *
 * Return: 0 or a negative errno.
 */
int hsm_keyring_init(void)
{
	return register_asymmetric_key_parser(&hsm_kr_parser);
}

/**
 * hsm_keyring_exit() - unregister the parser
 *
 * No key of the subtype exists: each holds a module reference.
 */
void hsm_keyring_exit(void)
{
	unregister_asymmetric_key_parser(&hsm_kr_parser);
}

#else /* !CONFIG_ASYMMETRIC_KEY_TYPE */

int hsm_keyring_init(void)
{
	pr_info("cryptech_hsm: no asymmetric key type in this kernel: board keys cannot be added to keyrings\n");
	return 0;
}

void hsm_keyring_exit(void)
{
}

#endif
