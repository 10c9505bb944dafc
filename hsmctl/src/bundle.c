// SPDX-License-Identifier: GPL-2.0-or-later
/* The backup bundle's JSON + Base64 format (bundle.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include <hsm/hsm.h>

#include "bundle.h"

/* ---- Base64 ------------------------------------------------------------- */

char *bundle_b64_encode(const void *data, size_t len)
{
	size_t out_len = 4 * ((len + 2) / 3);
	char *out;

	if (len > (size_t)INT32_MAX / 2)
		return NULL;
	out = malloc(out_len + 1);
	if (!out)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	out[out_len] = '\0';
	return out;
}

static int b64_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= '0' && ch <= '9') || ch == '+' || ch == '/';
}

int bundle_b64_decode(const char *in, size_t in_len, unsigned char **out,
		      size_t *out_len)
{
	size_t pad = 0, i;
	int n;

	*out = NULL;
	*out_len = 0;
	/* EVP_DecodeBlock() skips whitespace and ignores bad padding: check first. */
	if (in_len % 4 || in_len > (size_t)INT32_MAX / 2)
		return -EINVAL;
	if (in_len && in[in_len - 1] == '=')
		pad = in_len > 1 && in[in_len - 2] == '=' ? 2 : 1;
	for (i = 0; i < in_len - pad; i++)
		if (!b64_char(in[i]))
			return -EINVAL;
	*out = malloc(in_len / 4 * 3 + 1);
	if (!*out)
		return -ENOMEM;
	if (in_len == 0)
		return 0;
	n = EVP_DecodeBlock(*out, (const unsigned char *)in, (int)in_len);
	if (n < 0 || (size_t)n < pad) {
		free(*out);
		*out = NULL;
		return -EINVAL;
	}
	*out_len = (size_t)n - pad;
	return 0;
}

/* ---- Reading ------------------------------------------------------------ */

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int bundle_blob_set(struct bundle_blob *blob, const void *data, size_t len)
{
	/* Never NULL, so that an empty value is told from an absent one. */
	blob->data = malloc(len ? len : 1);
	if (!blob->data)
		return -ENOMEM;
	if (len)
		memcpy(blob->data, data, len);
	blob->len = len;
	return 0;
}

/* An array of Base64 lines (any split), joined and decoded into @blob. */
static int get_lines(json_object *v, const char *what, struct bundle_blob *blob,
		     char *err, size_t errlen)
{
	size_t n, i, total = 0, l;
	char *joined;
	int ret;

	if (!json_object_is_type(v, json_type_array))
		return fail(err, errlen, "%s: not an array of Base64 lines", what);
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		json_object *line = json_object_array_get_idx(v, i);

		if (!json_object_is_type(line, json_type_string))
			return fail(err, errlen, "%s[%zu]: not a string", what, i);
		total += (size_t)json_object_get_string_len(line);
	}
	joined = malloc(total + 1);
	if (!joined)
		return fail(err, errlen, "%s: out of memory", what);
	total = 0;
	for (i = 0; i < n; i++) {
		json_object *line = json_object_array_get_idx(v, i);

		l = (size_t)json_object_get_string_len(line);
		memcpy(joined + total, json_object_get_string(line), l);
		total += l;
	}
	ret = bundle_b64_decode(joined, total, &blob->data, &blob->len);
	free(joined);
	if (ret == -ENOMEM)
		return fail(err, errlen, "%s: out of memory", what);
	if (ret)
		return fail(err, errlen, "%s: not valid Base64", what);
	return 0;
}

static json_object *member(json_object *o, const char *name)
{
	json_object *v;

	return json_object_object_get_ex(o, name, &v) ? v : NULL;
}

/* A required 8-4-4-4-12 UUID string member into @out (37 bytes). */
static int get_uuid(json_object *o, const char *name, const char *where,
		    char *out, char *err, size_t errlen)
{
	json_object *v = member(o, name);
	uint8_t bin[HSM_UUID_LEN];

	if (!v)
		return fail(err, errlen, "%s%s: missing", where, name);
	if (!json_object_is_type(v, json_type_string) ||
	    hsm_uuid_parse(json_object_get_string(v), bin))
		return fail(err, errlen, "%s%s: not a UUID (8-4-4-4-12 hex text)",
			    where, name);
	hsm_uuid_format(bin, out, 37);
	return 0;
}

/* "0x" and 1 to 8 hex digits. */
static int parse_attr_type(const char *s, uint32_t *type)
{
	size_t n;
	char *end;

	if (strncmp(s, "0x", 2) != 0)
		return -EINVAL;
	n = strspn(s + 2, "0123456789abcdefABCDEF");
	if (n < 1 || n > 8 || s[2 + n])
		return -EINVAL;
	*type = (uint32_t)strtoul(s + 2, &end, 16);
	return 0;
}

static int get_attrs(json_object *v, const char *where, struct bundle_key *k,
		     char *err, size_t errlen)
{
	char what[96];
	size_t n, i;
	int ret;

	if (!json_object_is_type(v, json_type_object))
		return fail(err, errlen, "%sattributes: not an object", where);
	n = (size_t)json_object_object_length(v);
	if (n > BUNDLE_MAX_ATTRS)
		return fail(err, errlen, "%sattributes: %zu attributes, at most %d",
			    where, n, BUNDLE_MAX_ATTRS);
	k->attrs = calloc(n ? n : 1, sizeof(*k->attrs));
	if (!k->attrs)
		return fail(err, errlen, "%sattributes: out of memory", where);
	json_object_object_foreach(v, name, val) {
		struct bundle_attr *a = &k->attrs[k->n_attrs];

		snprintf(what, sizeof(what), "%sattributes.%.20s", where, name);
		if (parse_attr_type(name, &a->type))
			return fail(err, errlen, "%s: not an attribute type (0x and 1 to 8 hex digits)",
				    what);
		for (i = 0; i < k->n_attrs; i++)
			if (k->attrs[i].type == a->type)
				return fail(err, errlen, "%s: attribute given twice", what);
		ret = get_lines(val, what, &a->value, err, errlen);
		if (ret)
			return ret;
		k->n_attrs++;
	}
	return 0;
}

static int get_key(json_object *o, size_t idx, struct bundle_key *k,
		   char *err, size_t errlen)
{
	json_object *flags, *pkcs8, *kek, *spki, *attrs;
	char where[32], what[64];
	int64_t f;
	int ret;

	snprintf(where, sizeof(where), "keys[%zu].", idx);
	if (!json_object_is_type(o, json_type_object))
		return fail(err, errlen, "keys[%zu]: not an object", idx);
	ret = get_uuid(o, "uuid", where, k->uuid, err, errlen);
	if (ret)
		return ret;
	flags = member(o, "flags");
	if (!flags)
		return fail(err, errlen, "%sflags: missing", where);
	if (!json_object_is_type(flags, json_type_int))
		return fail(err, errlen, "%sflags: not an integer", where);
	f = json_object_get_int64(flags);
	if (f < 0 || f > HSM_KEY_F_ALL)
		return fail(err, errlen, "%sflags: %lld has bits outside 0x%x",
			    where, (long long)f, HSM_KEY_F_ALL);
	k->flags = (uint32_t)f;
	pkcs8 = member(o, "pkcs8");
	kek = member(o, "kek");
	spki = member(o, "spki");
	if (spki && (pkcs8 || kek))
		return fail(err, errlen, "%s: has both spki and pkcs8/kek", where);
	if (!spki && !(pkcs8 && kek))
		return fail(err, errlen, "%s: needs pkcs8 and kek (a private key) or spki (a public key)",
			    where);
	if (spki) {
		snprintf(what, sizeof(what), "%sspki", where);
		ret = get_lines(spki, what, &k->spki, err, errlen);
		if (!ret && !k->spki.len)
			ret = fail(err, errlen, "%s: empty", what);
	} else {
		snprintf(what, sizeof(what), "%spkcs8", where);
		ret = get_lines(pkcs8, what, &k->pkcs8, err, errlen);
		if (!ret && !k->pkcs8.len)
			ret = fail(err, errlen, "%s: empty", what);
		snprintf(what, sizeof(what), "%skek", where);
		if (!ret)
			ret = get_lines(kek, what, &k->kek, err, errlen);
		if (!ret && !k->kek.len)
			ret = fail(err, errlen, "%s: empty", what);
	}
	if (ret)
		return ret;
	attrs = member(o, "attributes");
	if (attrs)
		return get_attrs(attrs, where, k, err, errlen);
	return 0;
}

static int parse_tree(json_object *root, struct bundle *b, char *err,
		      size_t errlen)
{
	json_object *pub, *keys;
	size_t n, i;
	int ret;

	if (!json_object_is_type(root, json_type_object))
		return fail(err, errlen, "not a JSON object");
	pub = member(root, "kekek_pubkey");
	if (!pub)
		return fail(err, errlen, "kekek_pubkey: missing (not a backup bundle?)");
	ret = get_lines(pub, "kekek_pubkey", &b->kekek_pubkey, err, errlen);
	if (!ret && !b->kekek_pubkey.len)
		ret = fail(err, errlen, "kekek_pubkey: empty");
	if (!ret)
		ret = get_uuid(root, "kekek_uuid", "", b->kekek_uuid, err, errlen);
	if (ret)
		return ret;
	keys = member(root, "keys");
	if (!keys)
		return 0;
	if (!json_object_is_type(keys, json_type_array))
		return fail(err, errlen, "keys: not an array");
	b->has_keys = 1;
	n = json_object_array_length(keys);
	for (i = 0; i < n; i++) {
		struct bundle_key *k = bundle_add_key(b);

		if (!k)
			return fail(err, errlen, "keys: out of memory");
		ret = get_key(json_object_array_get_idx(keys, i), i, k, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

int bundle_parse(const char *text, size_t len, struct bundle *b, char *err,
		 size_t errlen)
{
	struct json_tokener *tok;
	json_object *root;
	size_t end;
	int ret;

	memset(b, 0, sizeof(*b));
	if (len > BUNDLE_MAX_BYTES)
		return fail(err, errlen, "larger than %u bytes", BUNDLE_MAX_BYTES);
	if (len > INT32_MAX || memchr(text, '\0', len))
		return fail(err, errlen, "not JSON text (has a NUL byte)");
	tok = json_tokener_new();
	if (!tok)
		return fail(err, errlen, "out of memory");
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (!root) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		ret = fail(err, errlen, "not valid JSON: %s",
			   e == json_tokener_continue ? "unexpected end" :
			   json_tokener_error_desc(e));
		json_tokener_free(tok);
		return ret;
	}
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	for (; end < len; end++)
		if (!strchr(" \t\r\n", text[end])) {
			json_object_put(root);
			return fail(err, errlen, "not valid JSON: text after the document");
		}
	ret = parse_tree(root, b, err, errlen);
	json_object_put(root);
	if (ret)
		bundle_free(b);
	return ret;
}

int bundle_read_file(const char *path, struct bundle *b, char *err,
		     size_t errlen)
{
	size_t len = 0, cap = 0;
	char *text = NULL, *p;
	ssize_t n;
	int fd, ret;

	memset(b, 0, sizeof(*b));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s", strerror(-ret));
		return ret;
	}
	for (;;) {
		if (len == cap) {
			if (cap > BUNDLE_MAX_BYTES) {
				ret = fail(err, errlen, "larger than %u bytes",
					   BUNDLE_MAX_BYTES);
				goto out;
			}
			cap = cap ? 2 * cap : 65536;
			p = realloc(text, cap + 1);
			if (!p) {
				ret = fail(err, errlen, "out of memory");
				goto out;
			}
			text = p;
		}
		n = read(fd, text + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			snprintf(err, errlen, "%s", strerror(-ret));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	ret = bundle_parse(text ? text : "", len, b, err, errlen);
out:
	free(text);
	close(fd);
	return ret;
}

/* ---- Writing (Python's json.dump(indent=4, sort_keys=True)) ------------- */

static void indent(FILE *f, int level)
{
	fprintf(f, "%*s", 4 * level, "");
}

/* A blob as an array of Base64 lines at nesting @level. */
static int put_lines(FILE *f, int level, const struct bundle_blob *blob)
{
	char *b64 = bundle_b64_encode(blob->data, blob->len);
	size_t len, off;

	if (!b64)
		return -ENOMEM;
	len = strlen(b64);
	if (!len) {
		fputs("[]", f);
		free(b64);
		return 0;
	}
	fputs("[\n", f);
	for (off = 0; off < len; off += BUNDLE_B64_LINE) {
		size_t n = len - off < BUNDLE_B64_LINE ? len - off : BUNDLE_B64_LINE;

		indent(f, level + 1);
		fprintf(f, "\"%.*s\"%s\n", (int)n, b64 + off,
			off + n < len ? "," : "");
	}
	indent(f, level);
	fputc(']', f);
	free(b64);
	return 0;
}

static int cmp_attr(const void *a, const void *b)
{
	uint32_t x = ((const struct bundle_attr *)a)->type;
	uint32_t y = ((const struct bundle_attr *)b)->type;

	return x < y ? -1 : x > y;
}

static int put_key(FILE *f, const struct bundle_key *k)
{
	struct bundle_attr *sorted = NULL;
	size_t i;
	int ret = 0;

	indent(f, 2);
	fputs("{\n", f);
	if (k->n_attrs) {
		/* "0x%08x" sorts as the numbers do. */
		sorted = malloc(k->n_attrs * sizeof(*sorted));
		if (!sorted)
			return -ENOMEM;
		memcpy(sorted, k->attrs, k->n_attrs * sizeof(*sorted));
		qsort(sorted, k->n_attrs, sizeof(*sorted), cmp_attr);
		indent(f, 3);
		fputs("\"attributes\": {\n", f);
		for (i = 0; i < k->n_attrs && !ret; i++) {
			indent(f, 4);
			fprintf(f, "\"0x%08x\": ", sorted[i].type);
			ret = put_lines(f, 4, &sorted[i].value);
			fputs(i + 1 < k->n_attrs ? ",\n" : "\n", f);
		}
		indent(f, 3);
		fputs("},\n", f);
		free(sorted);
	}
	indent(f, 3);
	fprintf(f, "\"comment\": \"%s\",\n",
		k->spki.data ? BUNDLE_COMMENT_PUBLIC : BUNDLE_COMMENT_PRIVATE);
	indent(f, 3);
	fprintf(f, "\"flags\": %u,\n", k->flags);
	if (k->spki.data) {
		indent(f, 3);
		fputs("\"spki\": ", f);
		if (!ret)
			ret = put_lines(f, 3, &k->spki);
		fputs(",\n", f);
	} else {
		indent(f, 3);
		fputs("\"kek\": ", f);
		if (!ret)
			ret = put_lines(f, 3, &k->kek);
		fputs(",\n", f);
		indent(f, 3);
		fputs("\"pkcs8\": ", f);
		if (!ret)
			ret = put_lines(f, 3, &k->pkcs8);
		fputs(",\n", f);
	}
	indent(f, 3);
	fprintf(f, "\"uuid\": \"%s\"\n", k->uuid);
	indent(f, 2);
	fputc('}', f);
	return ret;
}

int bundle_write(FILE *f, const struct bundle *b)
{
	size_t i;
	int ret;

	fprintf(f, "{\n    \"comment\": \"%s\",\n    \"kekek_pubkey\": ",
		b->has_keys ? BUNDLE_COMMENT_BACKUP : BUNDLE_COMMENT_SETUP);
	ret = put_lines(f, 1, &b->kekek_pubkey);
	fprintf(f, ",\n    \"kekek_uuid\": \"%s\"", b->kekek_uuid);
	if (b->has_keys) {
		fputs(",\n    \"keys\": [", f);
		for (i = 0; i < b->n_keys && !ret; i++) {
			fputs(i ? ",\n" : "\n", f);
			ret = put_key(f, &b->keys[i]);
		}
		fputs(b->n_keys ? "\n    ]" : "]", f);
	}
	/* Python's json.dump() adds no newline; a text file wants one. */
	fputs("\n}\n", f);
	if (ret)
		return ret;
	return ferror(f) ? -EIO : 0;
}

int bundle_write_file(const char *path, const struct bundle *b)
{
	size_t len = strlen(path);
	char *tmp = malloc(len + 16);
	FILE *f;
	int fd, ret;

	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, len + 16, "%s.tmpXXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		ret = -errno;
		free(tmp);
		return ret;
	}
	f = fdopen(fd, "w");
	if (!f) {
		ret = -errno;
		close(fd);
		goto fail;
	}
	ret = bundle_write(f, b);
	if (fflush(f) && !ret)
		ret = -errno;
	if (fsync(fileno(f)) && !ret)
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (!ret) {
		free(tmp);
		return 0;
	}
fail:
	unlink(tmp);
	free(tmp);
	return ret;
}

/* ---- Building ----------------------------------------------------------- */

struct bundle_key *bundle_add_key(struct bundle *b)
{
	struct bundle_key *k;

	/* Grow one at a time: bundles hold at most a keystore's keys. */
	k = realloc(b->keys, (b->n_keys + 1) * sizeof(*k));
	if (!k)
		return NULL;
	b->keys = k;
	k = &b->keys[b->n_keys++];
	memset(k, 0, sizeof(*k));
	return k;
}

static void blob_free(struct bundle_blob *blob)
{
	free(blob->data);
	blob->data = NULL;
	blob->len = 0;
}

void bundle_free(struct bundle *b)
{
	size_t i, j;

	for (i = 0; i < b->n_keys; i++) {
		struct bundle_key *k = &b->keys[i];

		blob_free(&k->pkcs8);
		blob_free(&k->kek);
		blob_free(&k->spki);
		for (j = 0; j < k->n_attrs; j++)
			blob_free(&k->attrs[j].value);
		free(k->attrs);
	}
	free(b->keys);
	blob_free(&b->kekek_pubkey);
	memset(b, 0, sizeof(*b));
}
