// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hsmctl key SUBCOMMAND: generate, list, info, delete (pubkey and sign are
 * in cmd_key_use.c). Every subcommand is one session, logged in first.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <hsm/hsm.h>
#include <hsm/p11attr.h>

#include "cli.h"
#include "encode.h"
#include "exitcodes.h"
#include "key_out.h"
#include "keycmd.h"
#include "keysess.h"
#include "progress.h"
#include "report.h"

/* Longest label and id we write: PKCS#11 tools keep them short. */
#define LABEL_MAX	1024
#define ID_MAX		256

static const struct {
	const char *name;
	int (*run)(struct cli *c, int argc, char **argv);
} subcommands[] = {
	{ "generate", key_generate }, { "list", key_list },
	{ "info", key_info }, { "delete", key_delete },
	{ "pubkey", key_pubkey }, { "sign", key_sign },
	{ "verify", key_verify }, { "dnskey", key_dnskey },
	{ "export", key_export }, { "import", key_import },
};

int cmd_key(struct cli *c, int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return report_usage("key: which subcommand? (generate, list, info, pubkey, sign, verify, dnskey, export, import, delete)");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		cli_usage("key", 0);
		return HSMCTL_EXIT_OK;
	}
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].run(c, argc - 1, argv + 1);
	return report_usage("key: unknown subcommand '%s'", cli_shown(argv[1]));
}

/* ---- generate ----------------------------------------------------------- */

static int parse_curve(const char *s, uint32_t *curve)
{
	static const char *const names[][3] = {
		{ "p256", "p-256", "prime256v1" },
		{ "p384", "p-384", "secp384r1" },
		{ "p521", "p-521", "secp521r1" },
	};
	uint32_t i, k;

	for (i = 0; i < 3; i++)
		for (k = 0; k < 3; k++)
			if (strcasecmp(s, names[i][k]) == 0) {
				*curve = HSM_CURVE_P256 + i;
				return 0;
			}
	return -EINVAL;
}

static int parse_bits(const char *s, unsigned int *bits)
{
	unsigned long v;
	char *end;

	if (*s < '1' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < 1024 || v > 4096 || v % 8)
		return -EINVAL;
	*bits = (unsigned int)v;
	return 0;
}

/*
 * The attributes of a generated private key, as the CrypTech PKCS#11
 * module stores them (protocol §7.8, <hsm/p11attr.h>, shared with our
 * PKCS#11 module), so the key is a PKCS#11 private key object its URI
 * finds.
 */
struct gen_attrs {
	unsigned char class[HSM_P11_ULONG_LEN], key_type[HSM_P11_ULONG_LEN];
	unsigned char yes[HSM_P11_BBOOL_LEN], no[HSM_P11_BBOOL_LEN];
	struct hsm_attr a[10];
	size_t n;
};

static void gen_attrs(struct gen_attrs *g, int rsa, uint32_t flags,
		      const char *label, const unsigned char *id, size_t id_len)
{
	hsm_p11_put_ulong(g->class, HSM_CKO_PRIVATE_KEY);
	hsm_p11_put_ulong(g->key_type, rsa ? HSM_CKK_RSA : HSM_CKK_EC);
	hsm_p11_put_bbool(g->yes, 1);
	hsm_p11_put_bbool(g->no, 0);
	g->n = 0;
#define ADD(t, l, v) (g->a[g->n++] = (struct hsm_attr){ (t), (uint32_t)(l), (v) })
	ADD(HSM_CKA_CLASS, sizeof(g->class), g->class);
	ADD(HSM_CKA_KEY_TYPE, sizeof(g->key_type), g->key_type);
	ADD(HSM_CKA_TOKEN, 1, flags & HSM_KEY_F_TOKEN ? g->yes : g->no);
	ADD(HSM_CKA_PRIVATE, 1, g->yes);
	ADD(HSM_CKA_SENSITIVE, 1, g->yes);
	ADD(HSM_CKA_SIGN, 1, g->yes);
	ADD(HSM_CKA_EXTRACTABLE, 1, flags & HSM_KEY_F_EXPORTABLE ? g->yes : g->no);
	ADD(HSM_CKA_LOCAL, 1, g->yes);
	if (label)
		ADD(HSM_CKA_LABEL, strlen(label), label);
	if (id)
		ADD(HSM_CKA_ID, id_len, id);
#undef ADD
}

enum { GEN_TOKEN = 1u << 0, GEN_EXPORTABLE = 1u << 1, GEN_ALLOW_DUP = 1u << 6 };	/* the bit of its place in opts[] */

/*
 * A label names a key in "label:TEXT" and in PKCS#11 URIs: refuse one
 * already in use (visible to this login) unless the caller insists.
 * -1 or an exit code.
 */
static int label_unused(struct keysess *k, const char *cmd, const char *label)
{
	struct hsm_attr a = { HSM_CKA_LABEL, (uint32_t)strlen(label), label };
	struct hsm_match_filter f = { .attrs = &a, .n_attrs = 1 };
	uint8_t (*found)[HSM_UUID_LEN];
	char what[200], text[HSM_UUID_STR_LEN];
	uint32_t st = 0;
	size_t n;
	int ret;

	ret = hsm_match_all(k->s, &f, &found, &n, &st);
	if (ret) {
		snprintf(what, sizeof(what), "%s: looking for keys labelled '%.100s'",
			 cmd, label);
		return report_failure(what, ret, st, NULL, NULL);
	}
	if (n == 0)
		return -1;
	hsm_uuid_format(found[0], text, sizeof(text));
	free(found);
	fprintf(stderr, "hsmctl: %s: the label '%s' is already used on %s (key %s%s); choose another label, or give --allow-duplicate-label (label:%s would then name several keys)\n",
		cmd, label, k->dev_name, text, n > 1 ? " and others" : "", label);
	return HSMCTL_EXIT_FAILED;
}

/* Print one key, as "info" does. */
static void print_key(const struct cli *c, const struct key_desc *d)
{
	if (c->json) {
		struct json j;

		json_init(&j, stdout);
		key_json(&j, d);
		json_end(&j);
	} else {
		key_details(stdout, d);
	}
}

int key_generate(struct cli *c, int argc, char **argv)
{
	const char *label, *id_hex, *user_opt, *pin_file, *timeout_arg;
	const struct cmd_opt opts[] = {
		{ "token", NULL }, { "exportable", NULL },
		{ "label", &label }, { "id", &id_hex },
		{ "user", &user_opt }, { "pin-file", &pin_file },
		{ "allow-duplicate-label", NULL },
		{ "timeout", &timeout_arg },
		{ NULL, NULL },
	};
	const char *cmd = "key generate";
	unsigned char *id = NULL;
	uint8_t uuid[HSM_UUID_LEN];
	char *pos[2], what[256], tokbuf[HSM_TOKEN_LABEL_LEN], text[HSM_UUID_STR_LEN];
	const char *token;
	uint32_t curve = 0, user, flags, handle, st = 0;
	unsigned int bits = 0, oflags;
	struct gen_attrs ga;
	struct key_desc d;
	struct keysess k;
	struct progress prog;
	unsigned int timeout_s = 0;
	size_t id_len = 0;
	int ret, n, rsa, watched;

	ret = cli_parse(c, cmd, argc, argv, opts, &oflags, pos, 2, &n);
	if (ret >= 0)
		return ret;
	if (n < 1)
		return report_usage("%s: which algorithm? (rsa BITS or ec p256|p384|p521)", cmd);
	rsa = strcmp(pos[0], "rsa") == 0;
	if (!rsa && strcmp(pos[0], "ec") != 0)
		return report_usage("%s: unknown algorithm '%s' (rsa or ec)", cmd, pos[0]);
	if (n < 2)
		return report_usage(rsa ? "%s: how many bits? (rsa 2048)" :
				    "%s: which curve? (ec p256|p384|p521)", cmd);
	if (rsa && parse_bits(pos[1], &bits))
		return report_usage("%s: RSA size must be 1024 to 4096 bits, a multiple of 8, not '%s'",
				    cmd, pos[1]);
	if (!rsa && parse_curve(pos[1], &curve))
		return report_usage("%s: unknown curve '%s' (p256, p384 or p521)", cmd, pos[1]);
	if (timeout_arg && progress_parse_timeout(timeout_arg, &timeout_s))
		return report_usage("%s: --timeout must be 1 to %d seconds", cmd,
				    PROGRESS_TIMEOUT_MAX);
	if (label && (!*label || strlen(label) > LABEL_MAX))
		return report_usage("%s: --label must be 1 to %d bytes", cmd, LABEL_MAX);
	if (id_hex && (hex_decode(id_hex, &id, &id_len) || id_len > ID_MAX)) {
		free(id);
		return report_usage("%s: --id must be 1 to %d bytes of hex, not '%s'",
				    cmd, ID_MAX, id_hex);
	}
	ret = keysess_key_user(cmd, user_opt, &user);
	if (ret < 0)
		ret = keysess_open(c, cmd, user, pin_file, &k);
	if (ret >= 0) {
		free(id);
		return ret;
	}
	if (label && !(oflags & GEN_ALLOW_DUP)) {
		ret = label_unused(&k, cmd, label);
		if (ret >= 0) {
			keysess_close(&k);
			free(id);
			return ret;
		}
	}

	flags = HSM_KEY_F_SIGN;
	if (oflags & GEN_TOKEN)
		flags |= HSM_KEY_F_TOKEN;
	if (oflags & GEN_EXPORTABLE)
		flags |= HSM_KEY_F_EXPORTABLE;
	if (rsa)
		snprintf(what, sizeof(what), "generating an RSA-%u key on %s",
			 bits, k.dev_name);
	else
		snprintf(what, sizeof(what), "generating a %s key on %s",
			 hsm_curve_name(curve), k.dev_name);
	/* Unwatched (no thread), Ctrl-C still ends the request: by default. */
	watched = progress_start(&prog, cmd, what, timeout_s,
				 progress_wanted(c->json)) == 0;
	if (!watched && timeout_s) {
		keysess_close(&k);
		free(id);
		return report_failure("key generate: cannot watch --timeout",
				      -EAGAIN, 0, NULL, NULL);
	}
	if (rsa)
		ret = hsm_generate_rsa(k.s, bits, 0, flags, &handle, uuid, &st);
	else
		ret = hsm_generate_ec(k.s, curve, flags, &handle, uuid, &st);
	if (watched)
		progress_stop(&prog);
	if (ret) {
		snprintf(what, sizeof(what), "%s: generating a key on %s", cmd, k.dev_name);
		goto fail;
	}
	gen_attrs(&ga, rsa, flags, label, id, id_len);
	ret = hsm_set_attributes(k.s, handle, ga.a, ga.n, &st);
	if (ret) {
		uint32_t st2;

		/* An unlabelled key is one nobody can find: take it back. */
		hsm_uuid_format(uuid, text, sizeof(text));
		snprintf(what, sizeof(what), "%s: setting the attributes of %s (key deleted)",
			 cmd, text);
		hsm_delete_key(k.s, handle, &st2);
		goto fail;
	}
	token = keysess_token(&k, tokbuf, sizeof(tokbuf));
	ret = key_describe(k.s, handle, token, &d, &st);
	if (ret) {
		hsm_uuid_format(uuid, text, sizeof(text));
		snprintf(what, sizeof(what), "%s: describing the new key %s", cmd, text);
		goto fail;
	}
	print_key(c, &d);
	if (!(flags & HSM_KEY_F_TOKEN))
		fprintf(stderr, "hsmctl: note: without --token the key is a session key, deleted when hsmctl exits\n");
	key_desc_free(&d);
	keysess_close(&k);
	free(id);
	return HSMCTL_EXIT_OK;
fail:
	keysess_close(&k);
	free(id);
	return report_failure(what, ret, st, NULL, NULL);
}

/* ---- list --------------------------------------------------------------- */

struct listing {
	struct keysess *k;
	const char *token;
	struct key_desc *d;
	size_t n, cap;
	uint32_t st;
	char failed_uuid[HSM_UUID_STR_LEN];
};

static int list_one(const uint8_t uuid[HSM_UUID_LEN], void *arg)
{
	struct listing *l = arg;
	uint32_t handle, st2;
	int ret;

	ret = hsm_open_key(l->k->s, uuid, &handle, &l->st);
	if (ret == -ENOENT)
		return 0;	/* deleted since it was listed */
	if (ret) {
		hsm_uuid_format(uuid, l->failed_uuid, sizeof(l->failed_uuid));
		return ret;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		void *p = realloc(l->d, cap * sizeof(*l->d));

		if (!p)
			ret = -ENOMEM;
		else {
			l->d = p;
			l->cap = cap;
		}
	}
	if (ret == 0) {
		ret = key_describe(l->k->s, handle, l->token, &l->d[l->n], &l->st);
		if (ret == 0)
			l->n++;
	}
	if (ret)
		hsm_uuid_format(uuid, l->failed_uuid, sizeof(l->failed_uuid));
	/* Close as we go: a session holds a bounded number of handles. */
	hsm_close_key(l->k->s, handle, &st2);
	return ret;
}

enum { LIST_TOKEN = 1u << 0, LIST_SESSION = 1u << 1 };

int key_list(struct cli *c, int argc, char **argv)
{
	const char *user_opt, *pin_file;
	const struct cmd_opt opts[] = {
		{ "token", NULL }, { "session", NULL },
		{ "user", &user_opt }, { "pin-file", &pin_file },
		{ NULL, NULL },
	};
	const char *cmd = "key list";
	struct hsm_match_filter f = { 0 };
	struct listing l = { 0 };
	char *pos[1], what[256], tokbuf[HSM_TOKEN_LABEL_LEN];
	const char *token;
	unsigned int oflags;
	struct keysess k;
	uint32_t user;
	size_t i;
	int ret, n;

	ret = cli_parse(c, cmd, argc, argv, opts, &oflags, pos, 0, &n);
	if (ret >= 0)
		return ret;
	if ((oflags & LIST_TOKEN) && (oflags & LIST_SESSION))
		return report_usage("%s: --token and --session exclude each other", cmd);
	if (oflags & (LIST_TOKEN | LIST_SESSION)) {
		f.mask = HSM_KEY_F_TOKEN;
		f.flags = oflags & LIST_TOKEN ? HSM_KEY_F_TOKEN : 0;
	}
	ret = keysess_key_user(cmd, user_opt, &user);
	if (ret < 0)
		ret = keysess_open(c, cmd, user, pin_file, &k);
	if (ret >= 0)
		return ret;

	token = keysess_token(&k, tokbuf, sizeof(tokbuf));
	l.k = &k;
	l.token = token;
	ret = hsm_match(k.s, &f, list_one, &l, &l.st);
	if (ret) {
		if (l.failed_uuid[0])
			snprintf(what, sizeof(what), "%s: describing key %s", cmd,
				 l.failed_uuid);
		else
			snprintf(what, sizeof(what), "%s: listing keys on %s", cmd,
				 k.dev_name);
		ret = report_failure(what, ret, l.st, NULL, NULL);
	} else if (c->json) {
		struct json j;

		json_init(&j, stdout);
		json_array_begin(&j);
		for (i = 0; i < l.n; i++)
			key_json(&j, &l.d[i]);
		json_array_end(&j);
		json_end(&j);
	} else {
		key_table(stdout, l.d, l.n);
	}
	for (i = 0; i < l.n; i++)
		key_desc_free(&l.d[i]);
	free(l.d);
	keysess_close(&k);
	return ret;
}

/* ---- info, delete ------------------------------------------------------- */

/* Parse "SUB KEY [--user U] [--pin-file F]", log in and open KEY. */
static int open_named_key(struct cli *c, const char *cmd, int argc,
			  char **argv, struct keysess *k, uint32_t *handle,
			  const char **ref)
{
	const char *user_opt, *pin_file;
	const struct cmd_opt opts[] = {
		{ "user", &user_opt }, { "pin-file", &pin_file }, { NULL, NULL },
	};
	char *pos[1];
	int ret, n;

	ret = cli_parse(c, cmd, argc, argv, opts, NULL, pos, 1, &n);
	if (ret >= 0)
		return ret;
	*ref = n ? pos[0] : NULL;
	return keysess_open_named(c, cmd, *ref, user_opt, pin_file, k, handle);
}

int key_info(struct cli *c, int argc, char **argv)
{
	const char *cmd = "key info", *ref;
	struct keysess k;
	struct key_desc d;
	char what[128], tokbuf[HSM_TOKEN_LABEL_LEN];
	const char *token;
	uint32_t handle, st = 0;
	int ret;

	ret = open_named_key(c, cmd, argc, argv, &k, &handle, &ref);
	if (ret >= 0)
		return ret;
	token = keysess_token(&k, tokbuf, sizeof(tokbuf));
	ret = key_describe(k.s, handle, token, &d, &st);
	keysess_close(&k);
	if (ret) {
		snprintf(what, sizeof(what), "%s: describing %.100s", cmd, ref);
		return report_failure(what, ret, st, NULL, NULL);
	}
	print_key(c, &d);
	key_desc_free(&d);
	return HSMCTL_EXIT_OK;
}

int key_delete(struct cli *c, int argc, char **argv)
{
	const char *cmd = "key delete", *ref;
	struct hsm_key_info info;
	char what[128], text[HSM_UUID_STR_LEN];
	uint32_t handle, st = 0;
	struct keysess k;
	int ret;

	ret = open_named_key(c, cmd, argc, argv, &k, &handle, &ref);
	if (ret >= 0)
		return ret;
	/* The name to report, also when the key was given by label. */
	ret = hsm_key_info(k.s, handle, &info, &st);
	if (ret == 0) {
		hsm_uuid_format(info.uuid, text, sizeof(text));
		ret = hsm_delete_key(k.s, handle, &st);
	} else {
		snprintf(text, sizeof(text), "%.36s", ref);
	}
	keysess_close(&k);
	if (ret) {
		snprintf(what, sizeof(what), "%s: deleting %s", cmd, text);
		return report_failure(what, ret, st, NULL, NULL);
	}
	if (c->json) {
		struct json j;

		json_init(&j, stdout);
		json_object_begin(&j);
		json_kv_string(&j, "uuid", text);
		json_kv_bool(&j, "deleted", 1);
		json_object_end(&j);
		json_end(&j);
	} else {
		printf("deleted %s\n", text);
	}
	return HSMCTL_EXIT_OK;
}
