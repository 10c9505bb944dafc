// SPDX-License-Identifier: GPL-2.0-or-later
/* Key backup against the boards (backup.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hsm/hsm.h>
#include <hsm/p11attr.h>
#include <hsm/replicate.h>

#include "backup.h"
#include "exitcodes.h"
#include "json.h"
#include "report.h"

static int is_private(uint32_t type)
{
	return type == HSM_KEY_RSA_PRIVATE || type == HSM_KEY_EC_PRIVATE;
}

/* ---- Setup -------------------------------------------------------------- */

int backup_setup(struct keysess *k, const char *cmd, unsigned int bits,
		 struct bundle *b, int *generated)
{
	uint8_t uuid[HSM_UUID_LEN];
	unsigned char *spki = NULL;
	uint32_t handle = 0, st = 0, st2;
	char what[160];
	size_t len = 0;
	int ret;

	ret = hsm_kekek_get(k->s, bits, &handle, uuid, &spki, &len, generated,
			    &st);
	if (ret == 0) {
		hsm_close_key(k->s, handle, &st2);
		ret = bundle_blob_set(&b->kekek_pubkey, spki, len);
	}
	free(spki);
	if (ret) {
		if (*generated)
			snprintf(what, sizeof(what), "%s: generating an RSA-%u KEKEK on %s",
				 cmd, bits, k->dev_name);
		else
			snprintf(what, sizeof(what), "%s: looking for a KEKEK on %s",
				 cmd, k->dev_name);
		*generated = 0;
		return report_failure(what, ret, st, NULL, NULL);
	}
	hsm_uuid_format(uuid, b->kekek_uuid, sizeof(b->kekek_uuid));
	return -1;
}

/* ---- Export ------------------------------------------------------------- */

int backup_kekek_load(struct keysess *k, const char *cmd,
		      const struct bundle *b, uint32_t *handle)
{
	char what[160];
	uint32_t st = 0;
	int ret;

	ret = hsm_load_der(k->s, b->kekek_pubkey.data, b->kekek_pubkey.len,
			   HSM_KEY_F_KEYENC, handle, NULL, &st);
	if (ret == 0)
		return -1;
	snprintf(what, sizeof(what), "%s: loading the KEKEK public key on %s",
		 cmd, k->dev_name);
	return report_failure(what, ret, st, NULL,
			      st == 15 ? "kekek_pubkey is not an RSA public key" : NULL);
}

void backup_kekek_unload(struct keysess *k, uint32_t handle)
{
	uint32_t st;

	hsm_delete_key(k->s, handle, &st);
}

/* The carried attributes the key has (hsm_copied_attributes()), into @bk. */
static int export_attrs(struct keysess *k, uint32_t handle,
			struct bundle_key *bk, uint32_t *st)
{
	struct hsm_attr *a = NULL;
	size_t i, n = 0;
	int ret;

	ret = hsm_copied_attributes(k->s, handle, &a, &n, st);
	if (ret || !n)
		return ret;
	bk->attrs = calloc(n, sizeof(*bk->attrs));
	if (!bk->attrs)
		ret = -ENOMEM;
	for (i = 0; i < n && !ret; i++) {
		bk->attrs[bk->n_attrs].type = a[i].type;
		ret = bundle_blob_set(&bk->attrs[bk->n_attrs].value, a[i].value,
				      a[i].len);
		if (!ret)
			bk->n_attrs++;
	}
	free(a);
	return ret;
}

int backup_export_key(struct keysess *k, const char *cmd, uint32_t kekek,
		      uint32_t handle, struct bundle *b)
{
	unsigned char *pkcs8 = NULL, *kek = NULL, *spki = NULL;
	size_t pkcs8_len = 0, kek_len = 0, spki_len = 0;
	struct hsm_key_info info;
	struct bundle_key *bk;
	char what[160], text[HSM_UUID_STR_LEN] = "";
	uint32_t st = 0;
	int ret;

	ret = hsm_key_info(k->s, handle, &info, &st);
	if (ret == 0) {
		hsm_uuid_format(info.uuid, text, sizeof(text));
		if (is_private(info.type))
			ret = hsm_export_key(k->s, handle, kekek, &pkcs8,
					     &pkcs8_len, &kek, &kek_len, &st);
		else
			ret = hsm_public_key_alloc(k->s, handle, &spki,
						   &spki_len, &st);
	}
	bk = ret ? NULL : bundle_add_key(b);
	if (!ret && !bk)
		ret = -ENOMEM;
	if (bk) {
		memcpy(bk->uuid, text, sizeof(bk->uuid));
		bk->flags = info.flags;
		if (spki)
			ret = bundle_blob_set(&bk->spki, spki, spki_len);
		else
			ret = bundle_blob_set(&bk->pkcs8, pkcs8, pkcs8_len);
		if (!spki && !ret)
			ret = bundle_blob_set(&bk->kek, kek, kek_len);
		if (!ret)
			ret = export_attrs(k, handle, bk, &st);
	}
	free(pkcs8);
	free(kek);
	free(spki);
	if (!ret)
		return -1;
	snprintf(what, sizeof(what), "%s: exporting key %s from %s", cmd,
		 *text ? text : "?", k->dev_name);
	return report_failure(what, ret, st, NULL,
			      st == HSMCTL_STATUS_FORBIDDEN ? "only keys generated with --exportable can be exported" : NULL);
}

static struct backup_item *add_item(struct backup_report *rep)
{
	struct backup_item *it;

	it = realloc(rep->items, (rep->n + 1) * sizeof(*it));
	if (!it)
		return NULL;
	rep->items = it;
	it = &rep->items[rep->n++];
	memset(it, 0, sizeof(*it));
	return it;
}

static void label_of(const struct bundle_key *bk, char *buf, size_t len)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < bk->n_attrs; i++)
		if (bk->attrs[i].type == HSM_CKA_LABEL)
			snprintf(buf, len, "%.*s", (int)bk->attrs[i].value.len,
				 (const char *)bk->attrs[i].value.data);
}

/* The CKA_LABEL of @uuid's key, for listing keys left behind. */
static void board_label(struct keysess *k, const uint8_t uuid[HSM_UUID_LEN],
			char *buf, size_t len)
{
	char val[128];
	size_t n = sizeof(val) - 1;
	uint32_t h, st;

	buf[0] = '\0';
	if (hsm_open_key(k->s, uuid, &h, &st))
		return;
	if (hsm_get_attribute(k->s, h, HSM_CKA_LABEL, val, &n, &st) == 0)
		snprintf(buf, len, "%.*s", (int)n, val);
	hsm_close_key(k->s, h, &st);
}

int backup_export_all(struct keysess *k, const char *cmd, uint32_t kekek,
		      struct bundle *b, struct backup_report *rep)
{
	const uint32_t both = HSM_KEY_F_EXPORTABLE | HSM_KEY_F_TOKEN;
	struct hsm_match_filter yes = { .mask = both, .flags = both };
	struct hsm_match_filter no = { .mask = both, .flags = HSM_KEY_F_TOKEN };
	uint8_t (*found)[HSM_UUID_LEN] = NULL;
	struct backup_item *it;
	char what[160];
	uint32_t h, st = 0, st2;
	size_t n = 0, i;
	int ret;

	snprintf(what, sizeof(what), "%s: listing the keys of %s", cmd,
		 k->dev_name);
	ret = hsm_match_all(k->s, &yes, &found, &n, &st);
	if (ret)
		return report_failure(what, ret, st, NULL, NULL);
	for (i = 0; i < n; i++) {
		ret = hsm_open_key(k->s, found[i], &h, &st);
		if (ret) {
			free(found);
			snprintf(what, sizeof(what), "%s: opening a key of %s",
				 cmd, k->dev_name);
			return report_failure(what, ret, st, NULL, NULL);
		}
		ret = backup_export_key(k, cmd, kekek, h, b);
		hsm_close_key(k->s, h, &st2);
		if (ret >= 0) {
			free(found);
			return ret;
		}
		it = add_item(rep);
		if (!it)
			break;
		memcpy(it->uuid, b->keys[b->n_keys - 1].uuid, sizeof(it->uuid));
		label_of(&b->keys[b->n_keys - 1], it->label, sizeof(it->label));
		it->status = BACKUP_EXPORTED;
	}
	free(found);
	found = NULL;
	ret = hsm_match_all(k->s, &no, &found, &n, &st);
	if (ret)
		return report_failure(what, ret, st, NULL, NULL);
	for (i = 0; i < n; i++) {
		it = add_item(rep);
		if (!it)
			break;
		hsm_uuid_format(found[i], it->uuid, sizeof(it->uuid));
		board_label(k, found[i], it->label, sizeof(it->label));
		it->status = BACKUP_NOT_EXPORTABLE;
	}
	free(found);
	if (i < n) {
		fprintf(stderr, "hsmctl: %s: out of memory\n", cmd);
		return HSMCTL_EXIT_FAILED;
	}
	return -1;
}

/* ---- Import ------------------------------------------------------------- */

/* A key of the destination board, to recognise one imported twice. */
struct known_key {
	uint32_t type;
	char uuid[37];
	unsigned char *spki;
	size_t len;
};

struct known {
	struct known_key *k;
	size_t n;
};

static int known_add(struct known *kn, uint32_t type, const uint8_t *uuid,
		     unsigned char *spki, size_t len)
{
	struct known_key *p = realloc(kn->k, (kn->n + 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	kn->k = p;
	p = &kn->k[kn->n++];
	p->type = type;
	hsm_uuid_format(uuid, p->uuid, sizeof(p->uuid));
	p->spki = spki;
	p->len = len;
	return 0;
}

static void known_free(struct known *kn)
{
	size_t i;

	for (i = 0; i < kn->n; i++)
		free(kn->k[i].spki);
	free(kn->k);
}

/* The token keys already on the board, with their public keys. */
static int known_load(struct keysess *k, struct known *kn, uint32_t *st)
{
	struct hsm_match_filter f = {
		.mask = HSM_KEY_F_TOKEN, .flags = HSM_KEY_F_TOKEN,
	};
	uint8_t (*found)[HSM_UUID_LEN] = NULL;
	struct hsm_key_info info;
	unsigned char *spki;
	size_t n = 0, i, len;
	uint32_t h, st2;
	int ret;

	ret = hsm_match_all(k->s, &f, &found, &n, st);
	for (i = 0; i < n && !ret; i++) {
		ret = hsm_open_key(k->s, found[i], &h, st);
		if (ret == -ENOENT) {
			ret = 0;	/* deleted since listed */
			continue;
		}
		if (ret)
			break;
		ret = hsm_key_info(k->s, h, &info, st);
		if (!ret)
			ret = hsm_public_key_alloc(k->s, h, &spki, &len, st);
		hsm_close_key(k->s, h, &st2);
		if (ret && *st) {
			/* A key the board cannot show (e.g. too big to
			 * unwrap, §5.5) is no copy of anything importable. */
			*st = 0;
			ret = 0;
			continue;
		}
		if (!ret && known_add(kn, info.type, info.uuid, spki, len)) {
			free(spki);
			ret = -ENOMEM;
		}
	}
	free(found);
	return ret;
}

static const struct known_key *known_find(const struct known *kn,
					  uint32_t type,
					  const unsigned char *spki, size_t len)
{
	size_t i;

	for (i = 0; i < kn->n; i++)
		if (kn->k[i].type == type && kn->k[i].len == len &&
		    memcmp(kn->k[i].spki, spki, len) == 0)
			return &kn->k[i];
	return NULL;
}

/* Record a failure in @it and, the first time, the exit code in @rep. */
static void item_failed(struct backup_report *rep, struct backup_item *it,
			const char *step, int err, uint32_t st)
{
	const char *cause = hsm_strerror(err, st);

	snprintf(it->cause, sizeof(it->cause), "%s: %s%s", step,
		 st ? "board error " : "", cause);
	it->status = BACKUP_FAILED;
	if (!rep->exit_code)
		rep->exit_code = hsmctl_exit_code(err, st);
}

static void import_one(struct keysess *k, uint32_t kekek,
		       const struct bundle_key *bk, struct known *kn,
		       struct backup_report *rep, struct backup_item *it)
{
	struct hsm_attr attrs[BUNDLE_MAX_ATTRS];
	uint32_t flags = bk->flags | HSM_KEY_F_TOKEN, h, st = 0, st2;
	struct hsm_key_info info;
	const struct known_key *dup;
	uint8_t uuid[HSM_UUID_LEN];
	unsigned char *spki = NULL;
	size_t len, i;
	int ret;

	if (bk->spki.data)
		ret = hsm_load_der(k->s, bk->spki.data, bk->spki.len, flags,
				   &h, uuid, &st);
	else
		ret = hsm_import_key(k->s, kekek, bk->pkcs8.data, bk->pkcs8.len,
				     bk->kek.data, bk->kek.len, flags, &h, uuid,
				     &st);
	if (ret) {
		item_failed(rep, it, bk->spki.data ? "loading" : "unwrapping", ret, st);
		return;
	}
	hsm_uuid_format(uuid, it->new_uuid, sizeof(it->new_uuid));
	ret = hsm_key_info(k->s, h, &info, &st);
	if (!ret)
		ret = hsm_public_key_alloc(k->s, h, &spki, &len, &st);
	if (ret) {
		item_failed(rep, it, "reading the imported key", ret, st);
		goto undo;
	}
	dup = known_find(kn, info.type, spki, len);
	if (dup) {
		free(spki);
		snprintf(it->new_uuid, sizeof(it->new_uuid), "%s", dup->uuid);
		it->status = BACKUP_PRESENT;
		ret = hsm_delete_key(k->s, h, &st);
		if (ret) {
			item_failed(rep, it, "deleting the second copy", ret, st);
			hsm_uuid_format(uuid, it->new_uuid, sizeof(it->new_uuid));
			it->status = BACKUP_FAILED_LEFT;
		}
		return;
	}
	for (i = 0; i < bk->n_attrs; i++) {
		attrs[i].type = bk->attrs[i].type;
		attrs[i].len = (uint32_t)bk->attrs[i].value.len;
		/* Never NULL (bundle_blob_set()): an empty value stays one. */
		attrs[i].value = bk->attrs[i].value.data;
	}
	ret = bk->n_attrs ? hsm_set_attributes(k->s, h, attrs, bk->n_attrs, &st) : 0;
	if (ret) {
		free(spki);
		item_failed(rep, it, "setting its attributes", ret, st);
		goto undo;
	}
	if (known_add(kn, info.type, uuid, spki, len))
		free(spki);	/* only a second copy in this bundle goes unseen */
	it->status = BACKUP_MOVED;
	hsm_close_key(k->s, h, &st2);
	return;
undo:
	/* All or nothing: the key without its attributes is not the key. */
	if (hsm_delete_key(k->s, h, &st2) == 0) {
		it->new_uuid[0] = '\0';
		return;
	}
	it->status = BACKUP_FAILED_LEFT;
}

int backup_import(struct keysess *k, const char *cmd, const struct bundle *b,
		  struct backup_report *rep)
{
	struct known kn = { 0 };
	uint8_t uuid[HSM_UUID_LEN];
	struct backup_item *it;
	uint32_t kekek = 0, st = 0, st2;
	char what[200];
	int ret, have_kekek = 0;
	size_t i;

	for (i = 0; i < b->n_keys && !have_kekek; i++)
		have_kekek = !b->keys[i].spki.data;
	if (have_kekek) {
		hsm_uuid_parse(b->kekek_uuid, uuid);
		ret = hsm_open_key(k->s, uuid, &kekek, &st);
		if (ret == -ENOENT) {
			fprintf(stderr, "hsmctl: %s: the bundle's KEKEK %s is not on %s: the bundle was made for another board (run 'hsmctl backup setup' on this board and export again)\n",
				cmd, b->kekek_uuid, k->dev_name);
			return HSMCTL_EXIT_NO_KEY;
		}
		if (ret) {
			snprintf(what, sizeof(what), "%s: opening the KEKEK %s on %s",
				 cmd, b->kekek_uuid, k->dev_name);
			return report_failure(what, ret, st, NULL, NULL);
		}
	}
	ret = known_load(k, &kn, &st);
	if (ret) {
		known_free(&kn);
		if (have_kekek)
			hsm_close_key(k->s, kekek, &st2);
		snprintf(what, sizeof(what), "%s: reading the keys of %s", cmd,
			 k->dev_name);
		return report_failure(what, ret, st, NULL, NULL);
	}
	for (i = 0; i < b->n_keys; i++) {
		it = add_item(rep);
		if (!it) {
			rep->exit_code = HSMCTL_EXIT_FAILED;
			break;
		}
		memcpy(it->uuid, b->keys[i].uuid, sizeof(it->uuid));
		label_of(&b->keys[i], it->label, sizeof(it->label));
		import_one(k, kekek, &b->keys[i], &kn, rep, it);
	}
	known_free(&kn);
	if (have_kekek)
		hsm_close_key(k->s, kekek, &st2);
	return rep->exit_code ? rep->exit_code : -1;
}

/* ---- Reporting ---------------------------------------------------------- */

static const char *status_name(enum backup_status s)
{
	switch (s) {
	case BACKUP_MOVED: return "moved";
	case BACKUP_PRESENT: return "already-present";
	case BACKUP_NOT_EXPORTABLE: return "not-exportable";
	case BACKUP_EXPORTED: return "exported";
	case BACKUP_FAILED: return "failed";
	default: return "failed-left-behind";
	}
}

void backup_report_print(const struct cli *c, const struct backup_report *rep,
			 const char *kekek_uuid)
{
	size_t count[BACKUP_FAILED_LEFT + 1] = { 0 }, i;
	struct json j;

	for (i = 0; i < rep->n; i++)
		count[rep->items[i].status]++;
	if (c->json) {
		json_init(&j, stdout);
		json_object_begin(&j);
		json_kv_string(&j, "kekek_uuid", kekek_uuid);
		json_key(&j, "keys");
		json_array_begin(&j);
		for (i = 0; i < rep->n; i++) {
			const struct backup_item *it = &rep->items[i];

			json_object_begin(&j);
			json_kv_string(&j, "uuid", it->uuid);
			if (*it->new_uuid)
				json_kv_string(&j, "new_uuid", it->new_uuid);
			else
				json_kv_null(&j, "new_uuid");
			if (*it->label)
				json_kv_string(&j, "label", it->label);
			else
				json_kv_null(&j, "label");
			json_kv_string(&j, "status", status_name(it->status));
			if (*it->cause)
				json_kv_string(&j, "cause", it->cause);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_kv_u64(&j, "moved", count[BACKUP_MOVED]);
		json_kv_u64(&j, "already_present", count[BACKUP_PRESENT]);
		json_kv_u64(&j, "exported", count[BACKUP_EXPORTED]);
		json_kv_u64(&j, "not_exportable", count[BACKUP_NOT_EXPORTABLE]);
		json_kv_u64(&j, "failed", count[BACKUP_FAILED] + count[BACKUP_FAILED_LEFT]);
		json_object_end(&j);
		json_end(&j);
		return;
	}
	for (i = 0; i < rep->n; i++) {
		const struct backup_item *it = &rep->items[i];
		char label[160] = "";

		if (*it->label)
			snprintf(label, sizeof(label), " label %s", it->label);
		switch (it->status) {
		case BACKUP_MOVED:
			printf("moved %s -> %s%s\n", it->uuid, it->new_uuid, label);
			break;
		case BACKUP_PRESENT:
			printf("already present %s as %s%s\n", it->uuid,
			       it->new_uuid, label);
			break;
		case BACKUP_EXPORTED:
			printf("exported %s%s\n", it->uuid, label);
			break;
		case BACKUP_NOT_EXPORTABLE:
			printf("not exportable %s%s (left on the source board)\n",
			       it->uuid, label);
			break;
		case BACKUP_FAILED:
			printf("failed %s%s: %s (nothing of it was left)\n",
			       it->uuid, label, it->cause);
			break;
		case BACKUP_FAILED_LEFT:
			printf("failed %s%s: %s (its partial copy %s could not be deleted: delete it with 'hsmctl key delete %s')\n",
			       it->uuid, label, it->cause, it->new_uuid, it->new_uuid);
			break;
		}
	}
	printf("%zu moved, %zu already present, %zu exported, %zu not exportable, %zu failed\n",
	       count[BACKUP_MOVED], count[BACKUP_PRESENT], count[BACKUP_EXPORTED],
	       count[BACKUP_NOT_EXPORTABLE],
	       count[BACKUP_FAILED] + count[BACKUP_FAILED_LEFT]);
}

void backup_report_free(struct backup_report *rep)
{
	free(rep->items);
	memset(rep, 0, sizeof(*rep));
}

int backup_read_bundle(const char *cmd, const char *path, struct bundle *b)
{
	char err[256];
	int ret;

	ret = bundle_read_file(path, b, err, sizeof(err));
	if (ret == 0)
		return -1;
	fprintf(stderr, "hsmctl: %s: bundle %s: %s\n", cmd, path, err);
	return HSMCTL_EXIT_USAGE;
}

int backup_start_export(const char *cmd, const char *kekek_file,
			const char *out, struct bundle *b)
{
	struct bundle read;
	int ret;

	if (!kekek_file)
		return report_usage("%s: which KEKEK? (--kekek FILE, written by 'hsmctl backup setup' on the destination board)", cmd);
	if (!out)
		return report_usage("%s: where to write the bundle? (--out FILE)", cmd);
	ret = backup_read_bundle(cmd, kekek_file, &read);
	if (ret >= 0)
		return ret;
	memset(b, 0, sizeof(*b));
	b->kekek_pubkey = read.kekek_pubkey;
	read.kekek_pubkey.data = NULL;
	memcpy(b->kekek_uuid, read.kekek_uuid, sizeof(b->kekek_uuid));
	b->has_keys = 1;
	bundle_free(&read);
	return -1;
}

int backup_write_bundle(const char *cmd, const char *path,
			const struct bundle *b)
{
	char what[4200];
	int ret;

	ret = bundle_write_file(path, b);
	if (ret == 0)
		return -1;
	snprintf(what, sizeof(what), "%s: writing %s", cmd, path);
	return report_failure(what, ret, 0, NULL, NULL);
}
