// SPDX-License-Identifier: GPL-2.0-or-later
/* A redundancy group's boards and keys (group.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "encode.h"
#include "exitcodes.h"
#include "group.h"
#include "report.h"

#define CKA_CLASS	0x000u

int group_config_load(const char *cmd, const char *path,
		      struct hsm_group **groups, size_t *n)
{
	char err[512];
	int ret;

	ret = hsm_groups_load(path, groups, n, err, sizeof(err));
	if (ret == 0)
		return -1;
	fprintf(stderr, "hsmctl: %s: %s\n", cmd, err);
	return HSMCTL_EXIT_USAGE;	/* as an input file that cannot be read */
}

/* The group's board with identity @id, or NULL. */
static struct group_board *board_of(struct group_state *gs, const char *id)
{
	size_t i;

	for (i = 0; i < gs->g->n_boards; i++)
		if (strcmp(gs->boards[i].id, id) == 0)
			return &gs->boards[i];
	return NULL;
}

/* $HSMCTL_DEVICES: each path's identity from the board itself. */
static void find_seam_boards(struct group_state *gs, const char *list)
{
	struct hsm_board_info info;
	struct hsm_session *s;
	struct group_board *b;
	char *copy = strdup(list), *tok, *save = NULL;

	for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (hsm_open(tok, &s))
			continue;
		if (hsm_board_info(s, &info) == 0 &&
		    (b = board_of(gs, info.board_id)) != NULL) {
			snprintf(b->dev, sizeof(b->dev), "%s", tok);
			b->state = GROUP_BOARD_READY;
		}
		hsm_close(s);
	}
	free(copy);
}

/* The kernel's list: a ready board of the group is attached. */
static int find_boards(const char *cmd, struct group_state *gs)
{
	const char *seam = getenv(GROUP_DEVICES_ENV);
	struct hsm_board_desc *list = NULL;
	struct group_board *b;
	char errmsg[256], what[160];
	size_t n = 0, i;
	int ret;

	if (seam) {
		find_seam_boards(gs, seam);
		return -1;
	}
	ret = hsm_list_boards(&list, &n, errmsg, sizeof(errmsg));
	if (ret) {
		snprintf(what, sizeof(what), "%s: cannot list boards", cmd);
		return report_failure(what, ret, 0, errmsg, NULL);
	}
	for (i = 0; i < n; i++) {
		if (list[i].state != HSM_BOARD_READY || !list[i].board_id[0])
			continue;
		b = board_of(gs, list[i].board_id);
		if (b) {
			snprintf(b->dev, sizeof(b->dev), "/dev/%s",
				 list[i].dev_name);
			b->state = GROUP_BOARD_READY;
		}
	}
	hsm_free_boards(list);
	return -1;
}

/* The key with public key @spki, or a new one; NULL without memory. */
static struct group_key *key_of(struct group_state *gs,
				const unsigned char *spki, size_t len)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	struct group_key *k;
	size_t i;

	for (i = 0; i < gs->n_keys; i++)
		if (gs->keys[i].spki_len == len &&
		    memcmp(gs->keys[i].spki, spki, len) == 0)
			return &gs->keys[i];
	k = realloc(gs->keys, (gs->n_keys + 1) * sizeof(*k));
	if (!k)
		return NULL;
	gs->keys = k;
	k = &gs->keys[gs->n_keys];
	memset(k, 0, sizeof(*k));
	k->spki = malloc(len);
	if (!k->spki)
		return NULL;
	memcpy(k->spki, spki, len);
	k->spki_len = len;
	SHA256(spki, len, md);
	for (i = 0; i < 8; i++)
		snprintf(k->fingerprint + 2 * i, 3, "%02x", md[i]);
	gs->n_keys++;
	return k;
}

/*
 * A board's KEKEK (backup setup, hsm_kekek_get()) is its own, never a key
 * of the group: an RSA private key for KEYENC only, not exportable, without
 * the CKA_CLASS every PKCS#11 object has.
 */
static int is_kekek(struct hsm_session *s, uint32_t h,
		    const struct hsm_key_info *info)
{
	static const uint32_t class_type = CKA_CLASS;
	struct hsm_attr *a = NULL;
	uint32_t st;
	int kekek;

	if (info->type != HSM_KEY_RSA_PRIVATE ||
	    !(info->flags & HSM_KEY_F_KEYENC) ||
	    (info->flags & (HSM_KEY_F_EXPORTABLE | HSM_KEY_F_SIGN)))
		return 0;
	if (hsm_get_attributes(s, h, &class_type, 1, HSM_ATTRS_OPTIONAL, &a,
			       &st))
		return 0;
	kekek = a[0].value == NULL;
	free(a);
	return kekek;
}

/* A public-key object seen on a board, matched to its pair afterwards. */
struct pub_seen {
	unsigned char *spki;
	size_t len;
	uint8_t uuid[HSM_UUID_LEN];
};

/* One key of board @bi: a private key joins the list, a public one @pubs. */
static int read_key(struct group_state *gs, size_t bi,
		    const uint8_t uuid[HSM_UUID_LEN], struct pub_seen **pubs,
		    size_t *n_pubs, uint32_t *st)
{
	struct group_board *b = &gs->boards[bi];
	struct hsm_key_info info;
	struct group_key *k;
	unsigned char *spki = NULL;
	size_t len = 0;
	uint32_t h, st2;
	int ret;

	ret = hsm_open_key(b->k.s, uuid, &h, st);
	if (ret == -ENOENT) {
		*st = 0;
		return 0;	/* deleted since listed */
	}
	if (ret)
		return ret;
	ret = hsm_key_info(b->k.s, h, &info, st);
	if (ret == 0)
		ret = hsm_public_key_alloc(b->k.s, h, &spki, &len, st);
	if (ret == 0 && (info.type == HSM_KEY_RSA_PUBLIC ||
			 info.type == HSM_KEY_EC_PUBLIC)) {
		struct pub_seen *p = realloc(*pubs, (*n_pubs + 1) * sizeof(*p));

		if (!p) {
			ret = -ENOMEM;
		} else {
			*pubs = p;
			p[*n_pubs].spki = spki;
			p[*n_pubs].len = len;
			memcpy(p[*n_pubs].uuid, uuid, HSM_UUID_LEN);
			(*n_pubs)++;
			spki = NULL;
		}
	} else if (ret == 0 && !is_kekek(b->k.s, h, &info)) {
		k = key_of(gs, spki, len);
		if (!k)
			ret = -ENOMEM;
		else if (!k->desc.attrs)
			ret = key_describe(b->k.s, h, b->token, &k->desc, st);
		if (k && ret == 0 && !k->copies[bi].present) {
			k->copies[bi].present = 1;
			memcpy(k->copies[bi].uuid, uuid, HSM_UUID_LEN);
		}
	}
	free(spki);
	hsm_close_key(b->k.s, h, &st2);
	return ret;
}

/* Every token key of board @bi. */
static int read_keys(struct group_state *gs, size_t bi, uint32_t *st)
{
	const struct hsm_match_filter f = {
		.mask = HSM_KEY_F_TOKEN, .flags = HSM_KEY_F_TOKEN,
	};
	struct group_board *b = &gs->boards[bi];
	uint8_t (*found)[HSM_UUID_LEN] = NULL;
	struct pub_seen *pubs = NULL;
	size_t n = 0, n_pubs = 0, i, j;
	int ret;

	ret = hsm_match_all(b->k.s, &f, &found, &n, st);
	for (i = 0; i < n && ret == 0; i++)
		ret = read_key(gs, bi, found[i], &pubs, &n_pubs, st);
	free(found);
	/* The pair's public-key object: same SPKI (as the PKCS#11 module). */
	for (i = 0; i < n_pubs; i++) {
		for (j = 0; j < gs->n_keys && ret == 0; j++) {
			struct group_copy *c = &gs->keys[j].copies[bi];

			if (c->present && !c->has_public &&
			    gs->keys[j].spki_len == pubs[i].len &&
			    memcmp(gs->keys[j].spki, pubs[i].spki, pubs[i].len) == 0) {
				c->has_public = 1;
				memcpy(c->pub_uuid, pubs[i].uuid, HSM_UUID_LEN);
				break;
			}
		}
		free(pubs[i].spki);
	}
	free(pubs);
	return ret;
}

static void board_failed(struct group_state *gs, struct group_board *b,
			 int code)
{
	if (b->k.s)
		keysess_close(&b->k);
	b->state = GROUP_BOARD_ERROR;
	b->exit_code = code;
	if (!gs->exit_code)
		gs->exit_code = code;
}

int group_state_open(struct cli *c, const char *cmd, const struct hsm_group *g,
		     uint32_t user, const char *pin_file,
		     struct group_state *gs)
{
	struct cli bc = *c;
	char what[200];
	uint32_t st = 0;
	size_t i;
	int ret;

	memset(gs, 0, sizeof(*gs));
	gs->g = g;
	for (i = 0; i < g->n_boards; i++) {
		snprintf(gs->boards[i].id, sizeof(gs->boards[i].id), "%s",
			 g->boards[i]);
		if (hsm_token_label(g->boards[i], gs->boards[i].token,
				    sizeof(gs->boards[i].token)))
			gs->boards[i].token[0] = '\0';
	}
	ret = find_boards(cmd, gs);
	if (ret >= 0)
		return ret;
	for (i = 0; i < g->n_boards; i++) {
		struct group_board *b = &gs->boards[i];

		if (b->state != GROUP_BOARD_READY)
			continue;
		bc.device = b->dev;
		ret = keysess_open(&bc, cmd, user, pin_file, &b->k);
		if (ret >= 0) {
			b->k.s = NULL;
			board_failed(gs, b, ret);
			continue;
		}
		ret = read_keys(gs, i, &st);
		if (ret) {
			snprintf(what, sizeof(what), "%s: reading the keys of %s (%s)",
				 cmd, b->id, b->dev);
			board_failed(gs, b, report_failure(what, ret, st, NULL, NULL));
		}
	}
	return -1;
}

void group_state_close(struct group_state *gs)
{
	size_t i;

	for (i = 0; gs->g && i < gs->g->n_boards; i++)
		if (gs->boards[i].state == GROUP_BOARD_READY)
			keysess_close(&gs->boards[i].k);
	for (i = 0; i < gs->n_keys; i++) {
		free(gs->keys[i].spki);
		key_desc_free(&gs->keys[i].desc);
	}
	free(gs->keys);
	memset(gs, 0, sizeof(*gs));
}

size_t group_key_copies(const struct group_state *gs, const struct group_key *k)
{
	size_t i, n = 0;

	for (i = 0; i < gs->g->n_boards; i++)
		n += gs->boards[i].state == GROUP_BOARD_READY &&
		     k->copies[i].present;
	return n;
}

void group_key_add_copy(struct group_key *k, size_t b,
			const uint8_t uuid[HSM_UUID_LEN],
			const uint8_t pub_uuid[HSM_UUID_LEN])
{
	static const uint8_t zero[HSM_UUID_LEN];

	k->copies[b].present = 1;
	memcpy(k->copies[b].uuid, uuid, HSM_UUID_LEN);
	k->copies[b].has_public = memcmp(pub_uuid, zero, HSM_UUID_LEN) != 0;
	memcpy(k->copies[b].pub_uuid, pub_uuid, HSM_UUID_LEN);
}

char *group_key_label(const struct group_key *k)
{
	const struct hsm_attr *a = k->desc.attrs;

	if (!a || !a[0].value)
		return strdup("-");
	return text_safe(a[0].value, a[0].len);
}

char *group_key_id(const struct group_key *k)
{
	const struct hsm_attr *a = k->desc.attrs;

	if (!a || !a[1].value || !a[1].len)
		return strdup("-");
	return hex_encode(a[1].value, a[1].len);
}

void group_key_algorithm(const struct group_key *k, char *buf, size_t len)
{
	const char *curve = hsm_curve_name(k->desc.info.curve);
	char size[16];
	size_t i, o = 0;

	if (k->desc.info.type == HSM_KEY_RSA_PRIVATE) {
		key_size_text(&k->desc, size, sizeof(size));
		snprintf(buf, len, "rsa-%s", size);
		return;
	}
	/* "P-256" as "ec-p256" */
	for (i = 0; curve[i] && o + 1 < sizeof(size); i++)
		if (curve[i] != '-')
			size[o++] = (char)(curve[i] | 0x20);
	size[o] = '\0';
	snprintf(buf, len, "ec-%s", size);
}
