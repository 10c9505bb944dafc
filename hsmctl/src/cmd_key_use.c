// SPDX-License-Identifier: GPL-2.0-or-later
/* hsmctl key pubkey, hsmctl key sign: using a key. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <hsm/hsm.h>

#include "cli.h"
#include "encode.h"
#include "exitcodes.h"
#include "json.h"
#include "keycmd.h"
#include "keysess.h"
#include "report.h"

enum { PUB_PEM = 1u << 0, PUB_DER = 1u << 1 };

int key_pubkey(struct cli *c, int argc, char **argv)
{
	const char *user_opt, *pin_file;
	const struct cmd_opt opts[] = {
		{ "pem", NULL }, { "der", NULL },
		{ "user", &user_opt }, { "pin-file", &pin_file }, { NULL, NULL },
	};
	const char *cmd = "key pubkey";
	struct hsm_key_info info;
	char *pos[1], uuid[HSM_UUID_STR_LEN];
	unsigned char *der;
	unsigned int oflags;
	size_t len;
	int ret, n;

	ret = cli_parse(c, cmd, argc, argv, opts, &oflags, pos, 1, &n);
	if (ret >= 0)
		return ret;
	if ((oflags & PUB_PEM) && (oflags & PUB_DER))
		return report_usage("%s: --pem and --der exclude each other", cmd);
	if ((oflags & PUB_DER) && c->json)
		return report_usage("%s: --der and --json exclude each other", cmd);
	ret = keysess_read_public(c, cmd, n ? pos[0] : NULL, user_opt, pin_file,
				  &info, &der, &len);
	if (ret >= 0)
		return ret;
	hsm_uuid_format(info.uuid, uuid, sizeof(uuid));
	if (oflags & PUB_DER) {
		fwrite(der, 1, len, stdout);
	} else if (c->json) {
		char *pem = NULL;
		size_t pem_len = 0;
		FILE *m = open_memstream(&pem, &pem_len);
		struct json j;

		if (!m || pem_write(m, "PUBLIC KEY", der, len)) {
			if (m)
				fclose(m);
			free(pem);
			free(der);
			return report_failure(cmd, -ENOMEM, 0, NULL, NULL);
		}
		fclose(m);
		json_init(&j, stdout);
		json_object_begin(&j);
		json_kv_string(&j, "uuid", uuid);
		json_kv_string(&j, "type", hsm_key_type_name(info.type));
		json_kv_string(&j, "pem", pem);
		json_object_end(&j);
		json_end(&j);
		free(pem);
	} else if (pem_write(stdout, "PUBLIC KEY", der, len)) {
		free(der);
		return report_failure(cmd, -ENOMEM, 0, NULL, NULL);
	}
	free(der);
	return HSMCTL_EXIT_OK;
}

/* ---- sign --------------------------------------------------------------- */

struct hash {
	const char *name;
	size_t len;
	unsigned char prefix[19];	/* DER DigestInfo up to the digest */
	const EVP_MD *(*md)(void);
};

/* RFC 8017 §9.2 note 1: the DigestInfo prefixes, 19 bytes each. */
static const struct hash hashes[] = {
	{ "sha256", 32, { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
			  0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04,
			  0x20 }, EVP_sha256 },
	{ "sha384", 48, { 0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
			  0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04,
			  0x30 }, EVP_sha384 },
	{ "sha512", 64, { 0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
			  0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04,
			  0x40 }, EVP_sha512 },
};

#define NHASHES (sizeof(hashes) / sizeof(hashes[0]))

static const struct hash *hash_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < NHASHES; i++)
		if (strcmp(hashes[i].name, name) == 0)
			return &hashes[i];
	return NULL;
}

static const struct hash *hash_by_len(size_t len)
{
	size_t i;

	for (i = 0; i < NHASHES; i++)
		if (hashes[i].len == len)
			return &hashes[i];
	return NULL;
}

/* The hash that goes with a key: the curve's size, or SHA-256 for RSA. */
static const struct hash *hash_for_key(const struct hsm_key_info *info)
{
	if (info->type == HSM_KEY_EC_PRIVATE || info->type == HSM_KEY_EC_PUBLIC) {
		if (info->curve == HSM_CURVE_P384)
			return &hashes[1];
		if (info->curve == HSM_CURVE_P521)
			return &hashes[2];
	}
	return &hashes[0];
}

/* Hash @path ("-": stdin) into @out; 0 or -errno. */
static int hash_file(const struct hash *h, const char *path, unsigned char *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char buf[65536];
	unsigned int mdlen;
	int fd, ret = 0;
	ssize_t n;

	if (!ctx)
		return -ENOMEM;
	fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		EVP_MD_CTX_free(ctx);
		return ret;
	}
	if (!EVP_DigestInit_ex(ctx, h->md(), NULL))
		ret = -EIO;
	while (!ret) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ret = -errno;
		else if (n == 0)
			break;
		else if (!EVP_DigestUpdate(ctx, buf, (size_t)n))
			ret = -EIO;
	}
	if (!ret && (!EVP_DigestFinal_ex(ctx, out, &mdlen) || mdlen != h->len))
		ret = -EIO;
	if (fd != 0)
		close(fd);
	EVP_MD_CTX_free(ctx);
	return ret;
}

/* @path hashed with @h into a new buffer @digest of @dlen bytes; 0 or -errno. */
static int digest_of_file(const struct hash *h, const char *path,
			  unsigned char **digest, size_t *dlen)
{
	unsigned char md[64];
	int ret = hash_file(h, path, md);

	if (ret)
		return ret;
	*digest = malloc(h->len);
	if (!*digest)
		return -ENOMEM;
	memcpy(*digest, md, h->len);
	*dlen = h->len;
	return 0;
}

/* Bytes of an ECDSA curve's order: longer digests are not truncated. */
static size_t order_bytes(uint32_t curve)
{
	return curve == HSM_CURVE_P256 ? 32 : curve == HSM_CURVE_P384 ? 48 : 66;
}

/*
 * The digest options sign and verify share: --digest HEX or --in FILE
 * (checked readable: a missing input is the caller's mistake, exit 2,
 * board or not) and --hash. *@h stays NULL for --in without --hash (the
 * key's hash, known later). -1 or an exit code.
 */
static int digest_args(const char *cmd, const char *digest_hex, const char *in,
		       const char *hash_name, const struct hash **h,
		       unsigned char **digest, size_t *dlen)
{
	*h = NULL;
	*digest = NULL;
	*dlen = 0;
	if (!digest_hex == !in)
		return report_usage("%s: give exactly one of --digest HEX and --in FILE", cmd);
	if (hash_name && !(*h = hash_by_name(hash_name)))
		return report_usage("%s: unknown hash '%s' (sha256, sha384 or sha512)",
				    cmd, hash_name);
	if (digest_hex) {
		if (hex_decode(digest_hex, digest, dlen) ||
		    !hash_by_len(*dlen) || (*h && (*h)->len != *dlen)) {
			free(*digest);
			*digest = NULL;
			return report_usage("%s: --digest must be the hex of a %s digest (%s)",
					    cmd, *h ? (*h)->name : "SHA-256, SHA-384 or SHA-512",
					    *h ? "" : "32, 48 or 64 bytes");
		}
		*h = hash_by_len(*dlen);
	}
	if (in && strcmp(in, "-") != 0) {
		int fd = open(in, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			fprintf(stderr, "hsmctl: %s: cannot read --in %s: %s\n",
				cmd, in, strerror(errno));
			return HSMCTL_EXIT_USAGE;
		}
		close(fd);
	}
	return -1;
}

/* An ECDSA r || s as a DER ECDSA-Sig-Value (RFC 3279), malloc()ed. */
static int ecdsa_rs_to_der(const unsigned char *rs, size_t len,
			   unsigned char **out, size_t *out_len)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r, *s;
	unsigned char *p = NULL;
	int n;

	if (!es)
		return -ENOMEM;
	if (len == 0 || len % 2 || len > 2 * 66) {
		ECDSA_SIG_free(es);
		return -EINVAL;
	}
	r = BN_bin2bn(rs, (int)(len / 2), NULL);
	s = BN_bin2bn(rs + len / 2, (int)(len / 2), NULL);
	if (!r || !s || !ECDSA_SIG_set0(es, r, s)) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return -ENOMEM;
	}
	n = i2d_ECDSA_SIG(es, &p);
	ECDSA_SIG_free(es);
	if (n <= 0)
		return -ENOMEM;
	*out = p;
	*out_len = (size_t)n;
	return 0;
}

/*
 * A DER ECDSA-Sig-Value as r || s of @half bytes each, into @out of
 * 2 * @half bytes. 0, or -EINVAL when @der is not exactly one such value
 * with r and s fitting.
 */
static int ecdsa_der_to_rs(const unsigned char *der, size_t len, size_t half,
			   unsigned char *out)
{
	const unsigned char *p = der;
	const BIGNUM *r, *s;
	ECDSA_SIG *es;
	int ok;

	es = d2i_ECDSA_SIG(NULL, &p, (long)len);
	if (!es)
		return -EINVAL;
	ECDSA_SIG_get0(es, &r, &s);
	ok = p == der + len &&
	     BN_bn2binpad(r, out, (int)half) == (int)half &&
	     BN_bn2binpad(s, out + half, (int)half) == (int)half;
	ECDSA_SIG_free(es);
	return ok ? 0 : -EINVAL;
}

enum { SIGN_HEX = 1u << 0, SIGN_RAW = 1u << 1 };

int key_sign(struct cli *c, int argc, char **argv)
{
	const char *digest_hex, *in, *hash_name, *user_opt, *pin_file, *format;
	const struct cmd_opt opts[] = {
		{ "hex", NULL }, { "raw", NULL },
		{ "digest", &digest_hex }, { "in", &in }, { "hash", &hash_name },
		{ "user", &user_opt }, { "pin-file", &pin_file },
		{ "format", &format }, { NULL, NULL },
	};
	const char *cmd = "key sign";
	unsigned char *der_sig = NULL;
	int want_der = 0;
	const struct hash *h = NULL;
	unsigned char *digest = NULL, *sig = NULL, input[19 + 64];
	unsigned char sigbuf[HSM_SIGNATURE_MAX];
	char *pos[1], what[200], uuid[HSM_UUID_STR_LEN];
	size_t dlen = 0, in_len, sig_len;
	struct hsm_key_info info;
	uint32_t handle, st = 0;
	unsigned int oflags;
	struct keysess k;
	int ret, n, rsa;

	ret = cli_parse(c, cmd, argc, argv, opts, &oflags, pos, 1, &n);
	if (ret >= 0)
		return ret;
	if ((oflags & SIGN_HEX) && (oflags & SIGN_RAW))
		return report_usage("%s: --raw and --hex exclude each other", cmd);
	if ((oflags & SIGN_RAW) && c->json)
		return report_usage("%s: --raw and --json exclude each other", cmd);
	if (format && strcmp(format, "der") == 0)
		want_der = 1;
	else if (format && strcmp(format, "rs") != 0)
		return report_usage("%s: --format must be rs or der, not '%.20s'",
				    cmd, format);
	ret = digest_args(cmd, digest_hex, in, hash_name, &h, &digest, &dlen);
	if (ret >= 0)
		return ret;
	ret = keysess_open_named(c, cmd, n ? pos[0] : NULL, user_opt, pin_file,
				 &k, &handle);
	if (ret >= 0) {
		free(digest);
		return ret;
	}
	ret = hsm_key_info(k.s, handle, &info, &st);
	if (ret) {
		snprintf(what, sizeof(what), "%s: %.100s", cmd, pos[0]);
		goto fail;
	}
	hsm_uuid_format(info.uuid, uuid, sizeof(uuid));
	rsa = info.type == HSM_KEY_RSA_PRIVATE || info.type == HSM_KEY_RSA_PUBLIC;
	if (!h)
		h = hash_for_key(&info);
	if (in) {
		ret = digest_of_file(h, in, &digest, &dlen);
		if (ret) {
			snprintf(what, sizeof(what), "%s: reading %.100s", cmd, in);
			goto fail;
		}
	}
	if (!rsa && dlen > order_bytes(info.curve)) {
		keysess_close(&k);
		free(digest);
		return report_usage("%s: a %s digest is too long for %s (the board does not truncate; use %s)",
				    cmd, h->name, hsm_curve_name(info.curve),
				    hash_for_key(&info)->name);
	}
	/* RSA signs a DigestInfo (PKCS#1 v1.5); ECDSA the digest itself. */
	in_len = 0;
	if (rsa) {
		memcpy(input, h->prefix, sizeof(h->prefix));
		in_len = sizeof(h->prefix);
	}
	memcpy(input + in_len, digest, dlen);
	in_len += dlen;

	sig = sigbuf;
	sig_len = sizeof(sigbuf);
	ret = hsm_sign(k.s, handle, input, in_len, sig, &sig_len, &st);
	if (ret == -ENOSPC && sig_len <= 16384) {
		/* A board with keys larger than we know of. */
		sig = malloc(sig_len);
		ret = sig ? hsm_sign(k.s, handle, input, in_len, sig, &sig_len, &st) :
			    -ENOMEM;
	}
	if (ret) {
		snprintf(what, sizeof(what), "%s: signing with %s", cmd, uuid);
		goto fail;
	}
	keysess_close(&k);

	/* RSA signatures are the same bytes for OpenSSL: only ECDSA changes. */
	if (want_der && !rsa) {
		size_t der_len;

		ret = ecdsa_rs_to_der(sig, sig_len, &der_sig, &der_len);
		if (ret) {
			snprintf(what, sizeof(what), "%s: encoding the signature as DER", cmd);
			sig_len = 0;
			goto fail_closed;
		}
		if (sig != sigbuf)
			free(sig);
		sig = der_sig;
		sig_len = der_len;
	}

	if (oflags & SIGN_RAW) {
		fwrite(sig, 1, sig_len, stdout);
	} else {
		char *hs = hex_encode(sig, sig_len), *hd = hex_encode(digest, dlen);

		if (hs && hd && c->json) {
			struct json j;

			json_init(&j, stdout);
			json_object_begin(&j);
			json_kv_string(&j, "uuid", uuid);
			json_kv_string(&j, "hash", h->name);
			json_kv_string(&j, "digest", hd);
			json_kv_string(&j, "format", rsa ? "pkcs1-v1.5" :
				       want_der ? "ecdsa-der" : "ecdsa-r-s");
			json_kv_string(&j, "signature", hs);
			json_object_end(&j);
			json_end(&j);
		} else if (hs && hd) {
			printf("%s\n", hs);
		}
		ret = hs && hd ? 0 : -ENOMEM;
		free(hs);
		free(hd);
	}
	if (sig != sigbuf)
		free(sig);
	free(digest);
	return ret ? report_failure(cmd, ret, 0, NULL, NULL) : HSMCTL_EXIT_OK;
fail:
	keysess_close(&k);
fail_closed:
	if (sig && sig != sigbuf)
		free(sig);
	free(digest);
	return report_failure(what, ret, st, NULL, NULL);
}

/* ---- verify ------------------------------------------------------------- */

#define SIG_FILE_MAX	16384

/*
 * Read a signature file: the bytes themselves, or their hex (what "key
 * sign" prints; whitespace around it is ignored). 0, or -errno / -EINVAL
 * (empty, too large).
 */
static int read_sig_file(const char *path, unsigned char **out, size_t *len)
{
	unsigned char *buf = malloc(SIG_FILE_MAX + 1), *dec;
	size_t n = 0, a, b, i;
	int fd, ret = 0;
	ssize_t r;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		free(buf);
		return ret;
	}
	while (n <= SIG_FILE_MAX) {
		r = read(fd, buf + n, SIG_FILE_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (!ret && (n == 0 || n > SIG_FILE_MAX))
		ret = -EINVAL;
	if (ret) {
		free(buf);
		return ret;
	}
	/* Hex text? Trim blanks, then every character must be a hex digit. */
	for (a = 0; a < n && strchr(" \t\r\n", buf[a]); a++)
		;
	for (b = n; b > a && strchr(" \t\r\n", buf[b - 1]); b--)
		;
	for (i = a; i < b && strchr("0123456789abcdefABCDEF", buf[i]); i++)
		;
	if (b > a && i == b && (b - a) % 2 == 0) {
		buf[b] = '\0';
		if (hex_decode((char *)buf + a, &dec, len) == 0) {
			free(buf);
			*out = dec;
			return 0;
		}
	}
	*out = buf;
	*len = n;
	return 0;
}

/* Read a public key file, PEM or DER SubjectPublicKeyInfo. */
static EVP_PKEY *read_pubkey_file(const char *path)
{
	unsigned char buf[16384];
	const unsigned char *p = buf;
	EVP_PKEY *pk = NULL;
	FILE *f = fopen(path, "rb");
	size_t n;
	BIO *bio;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	bio = BIO_new_mem_buf(buf, (int)n);
	if (bio)
		pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!pk) {
		pk = d2i_PUBKEY(NULL, &p, (long)n);
		if (pk && p != buf + n) {
			EVP_PKEY_free(pk);
			pk = NULL;
		}
	}
	return pk;
}

/* Verify locally: 1 valid, 0 not, -errno on failure. @sig is r || s for EC. */
static int verify_with_pubkey(EVP_PKEY *pk, const struct hash *h,
			      const unsigned char *digest, size_t dlen,
			      const unsigned char *sig, size_t sig_len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pk, NULL);
	unsigned char *der = NULL;
	size_t der_len = 0;
	int ret;

	if (!ctx)
		return -ENOMEM;
	ret = EVP_PKEY_verify_init(ctx) > 0 ? 0 : -EIO;
	if (!ret && EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA) {
		if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0 ||
		    EVP_PKEY_CTX_set_signature_md(ctx, h->md()) <= 0)
			ret = -EIO;
		if (!ret)
			ret = EVP_PKEY_verify(ctx, sig, sig_len, digest, dlen) == 1;
	} else if (!ret) {
		ret = ecdsa_rs_to_der(sig, sig_len, &der, &der_len);
		if (ret == -EINVAL)
			ret = 0;	/* not a signature of this key */
		else if (!ret)
			ret = EVP_PKEY_verify(ctx, der, der_len, digest, dlen) == 1;
		OPENSSL_free(der);
	}
	EVP_PKEY_CTX_free(ctx);
	return ret;
}

int key_verify(struct cli *c, int argc, char **argv)
{
	const char *digest_hex, *in, *hash_name, *user_opt, *pin_file;
	const char *sig_path, *pubkey_path;
	const struct cmd_opt opts[] = {
		{ "digest", &digest_hex }, { "in", &in }, { "hash", &hash_name },
		{ "sig", &sig_path }, { "pubkey", &pubkey_path },
		{ "user", &user_opt }, { "pin-file", &pin_file }, { NULL, NULL },
	};
	const char *cmd = "key verify";
	const struct hash *h;
	unsigned char *digest = NULL, *sig = NULL, input[19 + 64];
	unsigned char rs[2 * 66];
	char *pos[1], what[200], uuid[HSM_UUID_STR_LEN] = "";
	struct hsm_key_info info;
	uint32_t handle, st = 0;
	EVP_PKEY *pk = NULL;
	struct keysess k;
	size_t dlen, sig_len, in_len, half;
	int ret, n, rsa, valid, have_sess = 0;

	ret = cli_parse(c, cmd, argc, argv, opts, NULL, pos, 1, &n);
	if (ret >= 0)
		return ret;
	if (!sig_path)
		return report_usage("%s: which signature? (--sig FILE)", cmd);
	if (pubkey_path && n)
		return report_usage("%s: give KEY or --pubkey FILE, not both", cmd);
	if (pubkey_path && (user_opt || pin_file))
		return report_usage("%s: --pubkey verifies without the board: no --user or --pin-file",
				    cmd);
	ret = digest_args(cmd, digest_hex, in, hash_name, &h, &digest, &dlen);
	if (ret >= 0)
		return ret;
	ret = read_sig_file(sig_path, &sig, &sig_len);
	if (ret) {
		fprintf(stderr, "hsmctl: %s: cannot read --sig %s: %s\n", cmd,
			sig_path, ret == -EINVAL ? "empty or larger than 16 KiB" :
			strerror(-ret));
		free(digest);
		return HSMCTL_EXIT_USAGE;
	}
	if (pubkey_path) {
		pk = read_pubkey_file(pubkey_path);
		if (!pk) {
			fprintf(stderr, "hsmctl: %s: --pubkey %s is not a readable PEM or DER public key\n",
				cmd, pubkey_path);
			free(digest);
			free(sig);
			return HSMCTL_EXIT_USAGE;
		}
		rsa = EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA;
		if (!rsa && EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC) {
			fprintf(stderr, "hsmctl: %s: --pubkey %s is neither RSA nor EC\n",
				cmd, pubkey_path);
			ret = HSMCTL_EXIT_USAGE;
			goto out;
		}
		memset(&info, 0, sizeof(info));
		info.type = rsa ? HSM_KEY_RSA_PUBLIC : HSM_KEY_EC_PUBLIC;
		info.curve = EVP_PKEY_get_bits(pk) <= 256 ? HSM_CURVE_P256 :
			     EVP_PKEY_get_bits(pk) <= 384 ? HSM_CURVE_P384 :
			     HSM_CURVE_P521;
	} else {
		ret = keysess_open_named(c, cmd, n ? pos[0] : NULL, user_opt,
					 pin_file, &k, &handle);
		if (ret >= 0)
			goto out;
		have_sess = 1;
		ret = hsm_key_info(k.s, handle, &info, &st);
		if (ret) {
			snprintf(what, sizeof(what), "%s: %.100s", cmd, pos[0]);
			goto fail;
		}
		hsm_uuid_format(info.uuid, uuid, sizeof(uuid));
		rsa = info.type == HSM_KEY_RSA_PRIVATE || info.type == HSM_KEY_RSA_PUBLIC;
	}
	if (!h)
		h = hash_for_key(&info);
	if (in) {
		ret = digest_of_file(h, in, &digest, &dlen);
		if (ret) {
			snprintf(what, sizeof(what), "%s: reading %.100s", cmd, in);
			goto fail;
		}
	}
	if (!rsa && dlen > order_bytes(info.curve)) {
		ret = report_usage("%s: a %s digest is too long for %s (the board does not truncate; use %s)",
				   cmd, h->name, hsm_curve_name(info.curve),
				   hash_for_key(&info)->name);
		goto out;
	}
	/* ECDSA: a DER signature (from OpenSSL) becomes r || s. */
	half = order_bytes(info.curve);
	if (!rsa && sig_len != 2 * half &&
	    ecdsa_der_to_rs(sig, sig_len, half, rs) == 0) {
		unsigned char *p = realloc(sig, 2 * half);

		if (!p) {
			ret = -ENOMEM;
			snprintf(what, sizeof(what), "%s", cmd);
			goto fail;
		}
		sig = p;
		memcpy(sig, rs, 2 * half);
		sig_len = 2 * half;
	}
	if (pk) {
		ret = verify_with_pubkey(pk, h, digest, dlen, sig, sig_len);
		if (ret < 0) {
			snprintf(what, sizeof(what), "%s: verifying with %.100s", cmd,
				 pubkey_path);
			goto fail;
		}
		valid = ret;
	} else {
		in_len = 0;
		if (rsa) {
			memcpy(input, h->prefix, sizeof(h->prefix));
			in_len = sizeof(h->prefix);
		}
		memcpy(input + in_len, digest, dlen);
		in_len += dlen;
		ret = hsm_verify(k.s, handle, input, in_len, sig, sig_len, &st);
		if (ret && ret != -EKEYREJECTED) {
			snprintf(what, sizeof(what), "%s: verifying with %s", cmd, uuid);
			goto fail;
		}
		valid = ret == 0;
	}
	if (c->json) {
		char *hd = hex_encode(digest, dlen);
		struct json j;

		json_init(&j, stdout);
		json_object_begin(&j);
		if (pk)
			json_kv_string(&j, "pubkey", pubkey_path);
		else
			json_kv_string(&j, "uuid", uuid);
		json_kv_string(&j, "hash", h->name);
		json_kv_string(&j, "digest", hd ? hd : "");
		json_kv_string(&j, "verified_by", pk ? "openssl" : "board");
		json_kv_bool(&j, "valid", valid);
		json_object_end(&j);
		json_end(&j);
		free(hd);
	} else if (valid) {
		printf("valid\n");
	}
	if (!valid)
		fprintf(stderr, "hsmctl: %s: the signature does not verify with %s\n",
			cmd, pk ? pubkey_path : uuid);
	ret = valid ? HSMCTL_EXIT_OK : HSMCTL_EXIT_BAD_SIGNATURE;
out:
	if (have_sess)
		keysess_close(&k);
	EVP_PKEY_free(pk);
	free(digest);
	free(sig);
	return ret;
fail:
	ret = report_failure(what, ret, st, NULL, NULL);
	goto out;
}
