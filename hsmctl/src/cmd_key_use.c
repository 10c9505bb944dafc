// SPDX-License-Identifier: GPL-2.0-or-later
/* hsmctl key pubkey, hsmctl key sign: using a key. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

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
	char *pos[1], what[160], uuid[HSM_UUID_STR_LEN];
	uint32_t handle, st = 0;
	unsigned char *der;
	unsigned int oflags;
	struct keysess k;
	size_t len;
	int ret, n;

	ret = cli_parse(c, cmd, argc, argv, opts, &oflags, pos, 1, &n);
	if (ret >= 0)
		return ret;
	if ((oflags & PUB_PEM) && (oflags & PUB_DER))
		return report_usage("%s: --pem and --der exclude each other", cmd);
	if ((oflags & PUB_DER) && c->json)
		return report_usage("%s: --der and --json exclude each other", cmd);
	ret = keysess_open_named(c, cmd, n ? pos[0] : NULL, user_opt, pin_file,
				 &k, &handle);
	if (ret >= 0)
		return ret;
	ret = hsm_key_info(k.s, handle, &info, &st);
	if (ret == 0)
		ret = hsm_public_key_alloc(k.s, handle, &der, &len, &st);
	keysess_close(&k);
	if (ret) {
		snprintf(what, sizeof(what), "%s: reading the public key of %.100s",
			 cmd, pos[0]);
		return report_failure(what, ret, st, NULL, NULL);
	}
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

/* Bytes of an ECDSA curve's order: longer digests are not truncated. */
static size_t order_bytes(uint32_t curve)
{
	return curve == HSM_CURVE_P256 ? 32 : curve == HSM_CURVE_P384 ? 48 : 66;
}

enum { SIGN_HEX = 1u << 0, SIGN_RAW = 1u << 1 };

int key_sign(struct cli *c, int argc, char **argv)
{
	const char *digest_hex, *in, *hash_name, *user_opt, *pin_file;
	const struct cmd_opt opts[] = {
		{ "hex", NULL }, { "raw", NULL },
		{ "digest", &digest_hex }, { "in", &in }, { "hash", &hash_name },
		{ "user", &user_opt }, { "pin-file", &pin_file }, { NULL, NULL },
	};
	const char *cmd = "key sign";
	const struct hash *h = NULL;
	unsigned char *digest = NULL, *sig = NULL, input[19 + 64];
	unsigned char sigbuf[HSM_SIGNATURE_MAX], file_digest[64];
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
	if (!digest_hex == !in)
		return report_usage("%s: give exactly one of --digest HEX and --in FILE", cmd);
	if ((oflags & SIGN_HEX) && (oflags & SIGN_RAW))
		return report_usage("%s: --raw and --hex exclude each other", cmd);
	if ((oflags & SIGN_RAW) && c->json)
		return report_usage("%s: --raw and --json exclude each other", cmd);
	if (hash_name && !(h = hash_by_name(hash_name)))
		return report_usage("%s: unknown hash '%s' (sha256, sha384 or sha512)",
				    cmd, hash_name);
	if (digest_hex) {
		if (hex_decode(digest_hex, &digest, &dlen) ||
		    !hash_by_len(dlen) || (h && h->len != dlen)) {
			free(digest);
			return report_usage("%s: --digest must be the hex of a %s digest (%s)",
					    cmd, h ? h->name : "SHA-256, SHA-384 or SHA-512",
					    h ? "" : "32, 48 or 64 bytes");
		}
		h = hash_by_len(dlen);
	}
	/* A missing input is the caller's mistake (2), board or not. */
	if (in && strcmp(in, "-") != 0) {
		int fd = open(in, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			fprintf(stderr, "hsmctl: %s: cannot read --in %s: %s\n",
				cmd, in, strerror(errno));
			free(digest);
			return HSMCTL_EXIT_USAGE;
		}
		close(fd);
	}
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
		ret = hash_file(h, in, file_digest);
		if (ret) {
			snprintf(what, sizeof(what), "%s: reading %.100s", cmd, in);
			goto fail;
		}
		digest = malloc(h->len);
		if (!digest) {
			ret = -ENOMEM;
			snprintf(what, sizeof(what), "%s", cmd);
			goto fail;
		}
		memcpy(digest, file_digest, h->len);
		dlen = h->len;
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
			json_kv_string(&j, "format", rsa ? "pkcs1-v1.5" : "ecdsa-r-s");
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
	if (sig && sig != sigbuf)
		free(sig);
	free(digest);
	return report_failure(what, ret, st, NULL, NULL);
}
