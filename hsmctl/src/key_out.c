// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Key descriptions (key_out.h). Labels and ids are the board's bytes: they
 * are escaped before they reach a terminal, and the URI carries them
 * exactly.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "dnssec.h"
#include "encode.h"
#include "key_out.h"

static int is_rsa(uint32_t type)
{
	return type == HSM_KEY_RSA_PRIVATE || type == HSM_KEY_RSA_PUBLIC;
}

/*
 * What the public key tells (best effort, nothing when it does not parse):
 * the RSA modulus size, and for a signing key the DNSSEC algorithm and the
 * key tags.
 */
static void from_public_key(struct hsm_session *s, uint32_t handle,
			    struct key_desc *d, uint32_t *st)
{
	const unsigned char *p;
	unsigned char *der;
	struct dnskey dk;
	EVP_PKEY *pk;
	size_t len;

	if (hsm_public_key_alloc(s, handle, &der, &len, st))
		return;
	p = der;
	pk = d2i_PUBKEY(NULL, &p, (long)len);
	if (pk && EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA)
		d->bits = (unsigned int)EVP_PKEY_get_bits(pk);
	EVP_PKEY_free(pk);
	/* Only a signing key can be a DNSSEC key (not a backup's KEKEK). */
	if ((d->info.flags & HSM_KEY_F_SIGN) &&
	    dnssec_dnskey(der, len, DNSSEC_ALG_RSASHA256, DNSSEC_FLAGS_ZSK, &dk) == 0) {
		d->dnssec_alg = dk.algorithm;
		d->tag_zsk = dk.tag;
		dk.rdata[1] = DNSSEC_FLAGS_KSK & 0xff;
		d->tag_ksk = dnssec_key_tag(dk.rdata, dk.rdata_len);
		dnskey_free(&dk);
	}
	free(der);
}

int key_describe(struct hsm_session *s, uint32_t handle, const char *token,
		 struct key_desc *d, uint32_t *st)
{
	static const uint32_t types[2] = { HSM_CKA_LABEL, HSM_CKA_ID };
	static const unsigned int curve_bits[] = { 0, 256, 384, 521 };
	int ret;

	memset(d, 0, sizeof(*d));
	ret = hsm_key_info(s, handle, &d->info, st);
	if (ret)
		return ret;
	ret = hsm_get_attributes(s, handle, types, 2, HSM_ATTRS_OPTIONAL,
				 &d->attrs, st);
	if (ret)
		return ret;
	if (!is_rsa(d->info.type) && d->info.curve <= HSM_CURVE_P521)
		d->bits = curve_bits[d->info.curve];
	from_public_key(s, handle, d, st);	/* best effort */
	*st = 0;
	d->uri = pkcs11_uri(token, d->attrs[0].value, d->attrs[0].len,
			    d->attrs[1].value, d->attrs[1].len,
			    d->info.type == HSM_KEY_RSA_PUBLIC ||
			    d->info.type == HSM_KEY_EC_PUBLIC);
	if (!d->uri) {
		key_desc_free(d);
		return -ENOMEM;
	}
	return 0;
}

void key_desc_free(struct key_desc *d)
{
	free(d->attrs);
	free(d->uri);
	d->attrs = NULL;
	d->uri = NULL;
}

void key_size_text(const struct key_desc *d, char *buf, size_t len)
{
	if (!is_rsa(d->info.type))
		snprintf(buf, len, "%s", hsm_curve_name(d->info.curve));
	else if (d->bits)
		snprintf(buf, len, "%u", d->bits);
	else
		snprintf(buf, len, "-");
}

static const char *algorithm(uint32_t type)
{
	return is_rsa(type) ? "rsa" : type == HSM_KEY_EC_PRIVATE ||
	       type == HSM_KEY_EC_PUBLIC ? "ec" : "unknown";
}

/* A JSON string of untrusted bytes: stops at a NUL, repairs UTF-8. */
static void json_kv_bytes(struct json *j, const char *key,
			  const struct hsm_attr *a)
{
	char *t = malloc(a->len + 1);

	if (!t)
		return;
	memcpy(t, a->value, a->len);
	t[a->len] = '\0';
	json_kv_string(j, key, t);
	free(t);
}

void key_json(struct json *j, const struct key_desc *d)
{
	static const char *const flag_names[] = {
		"sign", "keyenc", "dataenc", "token", "public", "exportable",
	};
	char uuid[HSM_UUID_STR_LEN];
	unsigned int i;

	hsm_uuid_format(d->info.uuid, uuid, sizeof(uuid));
	json_object_begin(j);
	json_kv_string(j, "uuid", uuid);
	json_kv_string(j, "type", hsm_key_type_name(d->info.type));
	json_kv_string(j, "algorithm", algorithm(d->info.type));
	if (!is_rsa(d->info.type))
		json_kv_string(j, "curve", hsm_curve_name(d->info.curve));
	if (d->bits)
		json_kv_u64(j, "bits", d->bits);
	json_key(j, "flags");
	json_array_begin(j);
	for (i = 0; i < 6; i++)
		if (d->info.flags & (1u << i))
			json_string(j, flag_names[i]);
	json_array_end(j);
	json_kv_u64(j, "flags_value", d->info.flags);
	json_kv_bool(j, "token", !!(d->info.flags & HSM_KEY_F_TOKEN));
	if (d->attrs[0].value)
		json_kv_bytes(j, "label", &d->attrs[0]);
	if (d->attrs[1].value) {
		char *h = hex_encode(d->attrs[1].value, d->attrs[1].len);

		if (h)
			json_kv_string(j, "id", h);
		free(h);
	}
	json_kv_string(j, "uri", d->uri);
	if (d->dnssec_alg) {
		json_key(j, "dnssec");
		json_object_begin(j);
		json_kv_u64(j, "algorithm", d->dnssec_alg);
		json_kv_string(j, "algorithm_name", dnssec_alg_name(d->dnssec_alg));
		json_kv_u64(j, "key_tag_zsk", d->tag_zsk);
		json_kv_u64(j, "key_tag_ksk", d->tag_ksk);
		json_object_end(j);
	}
	json_object_end(j);
}

/* The label for people: escaped, or "-" when there is none. */
static char *label_text(const struct key_desc *d)
{
	if (!d->attrs[0].value)
		return strdup("-");
	return text_safe(d->attrs[0].value, d->attrs[0].len);
}

static char *id_text(const struct key_desc *d)
{
	if (!d->attrs[1].value)
		return strdup("-");
	return hex_encode(d->attrs[1].value, d->attrs[1].len);
}

void key_details(FILE *f, const struct key_desc *d)
{
	char uuid[HSM_UUID_STR_LEN], flags[128], size[32];
	char *label = label_text(d), *id = id_text(d);

	hsm_uuid_format(d->info.uuid, uuid, sizeof(uuid));
	hsm_key_flags_format(d->info.flags, flags, sizeof(flags));
	key_size_text(d, size, sizeof(size));
	fprintf(f, "uuid:   %s\n", uuid);
	fprintf(f, "type:   %s\n", hsm_key_type_name(d->info.type));
	fprintf(f, "%s  %s\n", is_rsa(d->info.type) ? "bits: " : "curve:", size);
	fprintf(f, "flags:  %s\n", flags[0] ? flags : "-");
	fprintf(f, "label:  %s\n", label ? label : "?");
	fprintf(f, "id:     %s\n", id ? id : "?");
	fprintf(f, "uri:    %s\n", d->uri);
	if (d->dnssec_alg)
		fprintf(f, "dnssec: algorithm %u (%s), key tag %u as ZSK, %u as KSK\n",
			d->dnssec_alg, dnssec_alg_name(d->dnssec_alg),
			d->tag_zsk, d->tag_ksk);
	else
		fprintf(f, "dnssec: -\n");
	free(label);
	free(id);
}

enum { COL_UUID, COL_TYPE, COL_SIZE, COL_ALG, COL_TAG, COL_FLAGS, COL_LABEL, COL_ID, COL_URI,
       NCOLS };

static const char *const headers[NCOLS] = {
	"UUID", "TYPE", "SIZE", "ALG", "TAG", "FLAGS", "LABEL", "ID", "URI",
};

static void cells(const struct key_desc *d, char *c[NCOLS])
{
	char flags[128], size[32], uuid[HSM_UUID_STR_LEN];

	hsm_uuid_format(d->info.uuid, uuid, sizeof(uuid));
	hsm_key_flags_format(d->info.flags, flags, sizeof(flags));
	key_size_text(d, size, sizeof(size));
	c[COL_UUID] = strdup(uuid);
	c[COL_TYPE] = strdup(hsm_key_type_name(d->info.type));
	c[COL_SIZE] = strdup(size);
	if (d->dnssec_alg) {
		char alg[16], tag[32];

		snprintf(alg, sizeof(alg), "%u", d->dnssec_alg);
		snprintf(tag, sizeof(tag), "%u/%u", d->tag_zsk, d->tag_ksk);
		c[COL_ALG] = strdup(alg);
		c[COL_TAG] = strdup(tag);
	} else {
		c[COL_ALG] = strdup("-");
		c[COL_TAG] = strdup("-");
	}
	c[COL_FLAGS] = strdup(flags[0] ? flags : "-");
	c[COL_LABEL] = label_text(d);
	c[COL_ID] = id_text(d);
	c[COL_URI] = strdup(d->uri);
}

static void print_row(FILE *f, char *const *c, const size_t *w)
{
	int i;

	for (i = 0; i < NCOLS; i++) {
		const char *s = c[i] ? c[i] : "?";

		/* the last column is not padded: no trailing blanks */
		if (i == NCOLS - 1)
			fprintf(f, "%s\n", s);
		else
			fprintf(f, "%-*s  ", (int)w[i], s);
	}
}

static void free_cells(char *c[NCOLS])
{
	int i;

	for (i = 0; i < NCOLS; i++)
		free(c[i]);
}

void key_table(FILE *f, const struct key_desc *d, size_t n)
{
	size_t w[NCOLS], i;
	char *c[NCOLS];
	int k;

	for (k = 0; k < NCOLS; k++)
		w[k] = strlen(headers[k]);
	for (i = 0; i < n; i++) {
		cells(&d[i], c);
		for (k = 0; k < NCOLS; k++)
			if (c[k] && strlen(c[k]) > w[k])
				w[k] = strlen(c[k]);
		free_cells(c);
	}
	print_row(f, (char *const *)headers, w);
	for (i = 0; i < n; i++) {
		cells(&d[i], c);
		print_row(f, c, w);
		free_cells(c);
	}
}
