// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hsmctl group status|sync: the redundancy groups of the groups file
 * (issue 13). status shows each board of a group and each key with the
 * boards holding a copy; sync copies every key missing on an attached
 * board from one that has it (hsm_key_replicate()). Sync never deletes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hsm/replicate.h>

#include "exitcodes.h"
#include "group.h"
#include "json.h"
#include "report.h"

static const char *state_name(enum group_board_state s)
{
	switch (s) {
	case GROUP_BOARD_READY: return "attached";
	case GROUP_BOARD_ABSENT: return "absent";
	default: return "error";
	}
}

/* Label, id and algorithm of @k for a line or a JSON object. */
struct key_names {
	char *label, *id;
	char alg[32];
};

static int key_names_get(const struct group_key *k, struct key_names *kn)
{
	kn->label = group_key_label(k);
	kn->id = group_key_id(k);
	group_key_algorithm(k, kn->alg, sizeof(kn->alg));
	return kn->label && kn->id ? 0 : -ENOMEM;
}

static void key_names_free(struct key_names *kn)
{
	free(kn->label);
	free(kn->id);
}

/* @v, or null when the key has no such attribute (@present 0). */
static void kv_text(struct json *j, const char *key, int present,
		    const char *v)
{
	if (present)
		json_kv_string(j, key, v);
	else
		json_kv_null(j, key);
}

static void key_json_names(struct json *j, const struct group_key *k,
			   const struct key_names *kn)
{
	const struct hsm_attr *a = k->desc.attrs;
	char fp[32];

	snprintf(fp, sizeof(fp), "sha256:%s", k->fingerprint);
	kv_text(j, "label", a && a[0].value, kn->label);
	kv_text(j, "id", a && a[1].value && a[1].len, kn->id);
	json_kv_string(j, "algorithm", kn->alg);
	json_kv_string(j, "fingerprint", fp);
	json_kv_bool(j, "exportable",
		     !!(k->desc.info.flags & HSM_KEY_F_EXPORTABLE));
}

/* The boards of @gs with (@want 1) or without (0) a copy of @k, comma-separated. */
static void boards_text(const struct group_state *gs, const struct group_key *k,
			int want, char *buf, size_t len)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < gs->g->n_boards && o < len; i++)
		if (gs->boards[i].state == GROUP_BOARD_READY &&
		    k->copies[i].present == want)
			o += (size_t)snprintf(buf + o, len - o, "%s%s",
					      o ? ", " : "", gs->boards[i].id);
}

/* ---- status ------------------------------------------------------------- */

static void status_json(struct json *j, const struct group_state *gs)
{
	char text[HSM_UUID_STR_LEN];
	struct key_names kn;
	size_t i, b;

	json_object_begin(j);
	json_kv_string(j, "name", gs->g->name);
	json_kv_string(j, "token_label", gs->g->label);
	json_key(j, "boards");
	json_array_begin(j);
	for (b = 0; b < gs->g->n_boards; b++) {
		const struct group_board *gb = &gs->boards[b];

		json_object_begin(j);
		json_kv_string(j, "id", gb->id);
		json_kv_string(j, "token_label", gb->token);
		json_kv_string(j, "state", state_name(gb->state));
		if (gb->dev[0])
			json_kv_string(j, "device", gb->dev);
		else
			json_kv_null(j, "device");
		json_object_end(j);
	}
	json_array_end(j);
	json_key(j, "keys");
	json_array_begin(j);
	for (i = 0; i < gs->n_keys; i++) {
		const struct group_key *k = &gs->keys[i];

		if (key_names_get(k, &kn)) {
			key_names_free(&kn);
			continue;
		}
		json_object_begin(j);
		key_json_names(j, k, &kn);
		json_key(j, "copies");
		json_array_begin(j);
		for (b = 0; b < gs->g->n_boards; b++) {
			if (!k->copies[b].present)
				continue;
			json_object_begin(j);
			json_kv_string(j, "board", gs->boards[b].id);
			hsm_uuid_format(k->copies[b].uuid, text, sizeof(text));
			json_kv_string(j, "uuid", text);
			if (k->copies[b].has_public) {
				hsm_uuid_format(k->copies[b].pub_uuid, text,
						sizeof(text));
				json_kv_string(j, "public_uuid", text);
			} else {
				json_kv_null(j, "public_uuid");
			}
			json_object_end(j);
		}
		json_array_end(j);
		json_key(j, "missing");
		json_array_begin(j);
		for (b = 0; b < gs->g->n_boards; b++)
			if (gs->boards[b].state == GROUP_BOARD_READY &&
			    !k->copies[b].present)
				json_string(j, gs->boards[b].id);
		json_array_end(j);
		json_object_end(j);
		key_names_free(&kn);
	}
	json_array_end(j);
	json_object_end(j);
}

static void status_text(const struct group_state *gs)
{
	char with[HSM_GROUP_MAX_BOARDS * 66], without[sizeof(with)];
	struct key_names kn;
	size_t i, b, attached = 0;

	for (b = 0; b < gs->g->n_boards; b++)
		attached += gs->boards[b].state == GROUP_BOARD_READY;
	printf("group %s: token %s, %zu boards, %zu attached, %zu key%s\n",
	       gs->g->name, gs->g->label, gs->g->n_boards, attached,
	       gs->n_keys, gs->n_keys == 1 ? "" : "s");
	for (b = 0; b < gs->g->n_boards; b++) {
		const struct group_board *gb = &gs->boards[b];

		printf("  board %s (%s): %s%s%s\n", gb->id, gb->token,
		       state_name(gb->state), gb->dev[0] ? " " : "", gb->dev);
	}
	for (i = 0; i < gs->n_keys; i++) {
		const struct group_key *k = &gs->keys[i];

		if (key_names_get(k, &kn)) {
			key_names_free(&kn);
			continue;
		}
		boards_text(gs, k, 1, with, sizeof(with));
		boards_text(gs, k, 0, without, sizeof(without));
		printf("  key %s id %s %s sha256:%s: on %s%s%s\n", kn.label,
		       kn.id, kn.alg, k->fingerprint, with,
		       *without ? "; missing on " : "", without);
		key_names_free(&kn);
	}
}

/* Options both subcommands take. */
struct group_opts {
	const char *groups_file, *user_opt, *pin_file;
	uint32_t user;
};

static int group_parse(struct cli *c, const char *cmd, int argc, char **argv,
		       struct group_opts *o, char **pos, int *n)
{
	const struct cmd_opt opts[] = {
		{ "groups", &o->groups_file }, { "user", &o->user_opt },
		{ "pin-file", &o->pin_file }, { NULL, NULL },
	};
	int ret;

	ret = cli_parse(c, cmd, argc, argv, opts, NULL, pos, 1, n);
	if (ret >= 0)
		return ret;
	if (c->device)
		return report_usage("%s: -d does not apply: the boards are the group's (see --groups)", cmd);
	return keysess_key_user(cmd, o->user_opt, &o->user);
}

/* The group called @name in @groups; reported when there is none. */
static const struct hsm_group *group_named(const char *cmd,
					   const struct hsm_group *groups,
					   size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(groups[i].name, name) == 0)
			return &groups[i];
	fprintf(stderr, "hsmctl: %s: no group '%s' in the groups file%s\n", cmd,
		cli_shown(name), n ? " (see 'hsmctl group status')" : ": it defines no groups");
	return NULL;
}

static int group_status(struct cli *c, int argc, char **argv)
{
	const char *cmd = "group status";
	struct group_opts o = { 0 };
	struct hsm_group *groups = NULL;
	struct group_state gs;
	struct json j;
	char *pos[1];
	size_t n = 0, i;
	int ret, np, code = HSMCTL_EXIT_OK;

	ret = group_parse(c, cmd, argc, argv, &o, pos, &np);
	if (ret < 0)
		ret = group_config_load(cmd, o.groups_file, &groups, &n);
	if (ret >= 0)
		return ret;
	if (np && !group_named(cmd, groups, n, pos[0])) {
		hsm_groups_free(groups);
		return HSMCTL_EXIT_USAGE;
	}
	if (!n && !c->json) {
		const char *file = o.groups_file ? o.groups_file :
				   getenv("HSM_GROUPS_CONF");

		/* where it looked, so that a misplaced file is found */
		printf("no groups are configured (%s; see Documentation/admin-guide/groups.rst)\n",
		       file && *file ? file : HSM_GROUPS_CONF_DEFAULT);
	}
	if (c->json) {
		json_init(&j, stdout);
		json_object_begin(&j);
		json_key(&j, "groups");
		json_array_begin(&j);
	}
	for (i = 0; i < n; i++) {
		if (np && strcmp(groups[i].name, pos[0]))
			continue;
		ret = group_state_open(c, cmd, &groups[i], o.user, o.pin_file, &gs);
		if (ret >= 0) {
			code = ret;
			break;
		}
		if (c->json)
			status_json(&j, &gs);
		else
			status_text(&gs);
		if (!code)
			code = gs.exit_code;
		group_state_close(&gs);
	}
	if (c->json) {
		json_array_end(&j);
		json_object_end(&j);
		json_end(&j);
	}
	hsm_groups_free(groups);
	return code;
}

/* ---- sync --------------------------------------------------------------- */

enum copy_status { COPY_DONE, COPY_FAILED };

/* One copy sync made or tried. */
struct sync_copy {
	size_t key, from, to;
	enum copy_status status;
	uint8_t uuid[HSM_UUID_LEN], pub_uuid[HSM_UUID_LEN];
	char cause[256];
};

struct sync_report {
	struct sync_copy *copies;
	size_t n;
	int exit_code;		/* of the first failure, else 0 */
};

static void copy_failed(struct sync_report *rep, struct sync_copy *sc,
			const struct group_state *gs, int err, uint32_t st)
{
	sc->status = COPY_FAILED;
	if (err == -EPERM && !st)
		snprintf(sc->cause, sizeof(sc->cause),
			 "not exportable: it was generated without --exportable (PKCS#11: CKA_EXTRACTABLE false) and can live on %s only; make a new exportable key to have it on every board",
			 gs->boards[sc->from].id);
	else
		snprintf(sc->cause, sizeof(sc->cause), "%s%s",
			 st ? "board error " : "", hsm_strerror(err, st));
	if (!rep->exit_code)
		rep->exit_code = hsmctl_exit_code(err, st);
}

/* Copy key @ki to every READY board of @gs without it. */
static int sync_key(struct group_state *gs, size_t ki, struct sync_report *rep)
{
	struct group_key *k = &gs->keys[ki];
	struct sync_copy *sc;
	size_t from, to, nb = gs->g->n_boards;
	uint32_t st;
	int ret;

	for (from = 0; from < nb; from++)
		if (gs->boards[from].state == GROUP_BOARD_READY &&
		    k->copies[from].present)
			break;
	for (to = 0; to < nb && from < nb; to++) {
		if (gs->boards[to].state != GROUP_BOARD_READY ||
		    k->copies[to].present)
			continue;
		sc = realloc(rep->copies, (rep->n + 1) * sizeof(*sc));
		if (!sc)
			return -ENOMEM;
		rep->copies = sc;
		sc = &rep->copies[rep->n++];
		memset(sc, 0, sizeof(*sc));
		sc->key = ki;
		sc->from = from;
		sc->to = to;
		st = 0;
		ret = hsm_key_replicate(gs->boards[from].k.s, gs->boards[to].k.s,
					k->copies[from].uuid, sc->uuid,
					sc->pub_uuid, &st);
		if (ret) {
			copy_failed(rep, sc, gs, ret, st);
			continue;
		}
		sc->status = COPY_DONE;
		group_key_add_copy(k, to, sc->uuid, sc->pub_uuid);
	}
	return 0;
}

/* The copies of key @ki in @rep, and how many failed. */
static size_t copies_of(const struct sync_report *rep, size_t ki,
			size_t *failed)
{
	size_t i, n = 0;

	*failed = 0;
	for (i = 0; i < rep->n; i++)
		if (rep->copies[i].key == ki) {
			n++;
			*failed += rep->copies[i].status == COPY_FAILED;
		}
	return n;
}

static void sync_json(const struct group_state *gs,
		      const struct sync_report *rep)
{
	char text[HSM_UUID_STR_LEN];
	size_t i, c, b, tried, failed, count[3] = { 0 };
	struct key_names kn;
	struct json j;

	json_init(&j, stdout);
	json_object_begin(&j);
	json_kv_string(&j, "group", gs->g->name);
	json_key(&j, "keys");
	json_array_begin(&j);
	for (i = 0; i < gs->n_keys; i++) {
		if (key_names_get(&gs->keys[i], &kn)) {
			key_names_free(&kn);
			continue;
		}
		tried = copies_of(rep, i, &failed);
		json_object_begin(&j);
		key_json_names(&j, &gs->keys[i], &kn);
		json_kv_string(&j, "status", !tried ? "already-there" :
			       failed ? "failed" : "copied");
		count[!tried ? 1 : failed ? 2 : 0]++;
		json_key(&j, "copies");
		json_array_begin(&j);
		for (c = 0; c < rep->n; c++) {
			const struct sync_copy *sc = &rep->copies[c];

			if (sc->key != i)
				continue;
			json_object_begin(&j);
			json_kv_string(&j, "from", gs->boards[sc->from].id);
			json_kv_string(&j, "to", gs->boards[sc->to].id);
			json_kv_string(&j, "status", sc->status == COPY_DONE ?
				       "copied" : "failed");
			if (sc->status == COPY_DONE) {
				hsm_uuid_format(sc->uuid, text, sizeof(text));
				json_kv_string(&j, "uuid", text);
			} else {
				json_kv_string(&j, "cause", sc->cause);
			}
			json_object_end(&j);
		}
		json_array_end(&j);
		json_object_end(&j);
		key_names_free(&kn);
	}
	json_array_end(&j);
	json_key(&j, "absent");
	json_array_begin(&j);
	for (b = 0; b < gs->g->n_boards; b++)
		if (gs->boards[b].state != GROUP_BOARD_READY)
			json_string(&j, gs->boards[b].id);
	json_array_end(&j);
	json_kv_u64(&j, "copied", count[0]);
	json_kv_u64(&j, "already_there", count[1]);
	json_kv_u64(&j, "failed", count[2]);
	json_object_end(&j);
	json_end(&j);
}

static void sync_text(const struct group_state *gs,
		      const struct sync_report *rep)
{
	char text[HSM_UUID_STR_LEN], with[HSM_GROUP_MAX_BOARDS * 66];
	size_t i, c, b, tried, failed, count[3] = { 0 };
	struct key_names kn;

	for (i = 0; i < gs->n_keys; i++) {
		const struct group_key *k = &gs->keys[i];

		if (key_names_get(k, &kn)) {
			key_names_free(&kn);
			continue;
		}
		tried = copies_of(rep, i, &failed);
		count[!tried ? 1 : failed ? 2 : 0]++;
		if (!tried) {
			boards_text(gs, k, 1, with, sizeof(with));
			printf("already there %s (%s sha256:%s): on %s\n",
			       kn.label, kn.alg, k->fingerprint, with);
		}
		for (c = 0; c < rep->n; c++) {
			const struct sync_copy *sc = &rep->copies[c];

			if (sc->key != i)
				continue;
			if (sc->status == COPY_DONE) {
				hsm_uuid_format(sc->uuid, text, sizeof(text));
				printf("copied %s (%s sha256:%s) from %s to %s as %s\n",
				       kn.label, kn.alg, k->fingerprint,
				       gs->boards[sc->from].id,
				       gs->boards[sc->to].id, text);
			} else {
				printf("failed %s (%s sha256:%s) from %s to %s: %s (nothing of it was left on %s)\n",
				       kn.label, kn.alg, k->fingerprint,
				       gs->boards[sc->from].id,
				       gs->boards[sc->to].id, sc->cause,
				       gs->boards[sc->to].id);
			}
		}
		key_names_free(&kn);
	}
	for (b = 0; b < gs->g->n_boards; b++)
		if (gs->boards[b].state != GROUP_BOARD_READY)
			printf("%s %s: not brought up to date; run 'hsmctl group sync %s' again once it is attached and usable\n",
			       state_name(gs->boards[b].state), gs->boards[b].id,
			       gs->g->name);
	printf("%zu copied, %zu already there, %zu failed\n", count[0],
	       count[1], count[2]);
}

static int group_sync(struct cli *c, int argc, char **argv)
{
	const char *cmd = "group sync";
	struct sync_report rep = { 0 };
	struct group_opts o = { 0 };
	struct hsm_group *groups = NULL;
	const struct hsm_group *g;
	struct group_state gs;
	char *pos[1];
	size_t n = 0, i;
	int ret, np;

	ret = group_parse(c, cmd, argc, argv, &o, pos, &np);
	if (ret >= 0)
		return ret;
	if (!np)
		return report_usage("%s: which group? (see 'hsmctl group status')", cmd);
	ret = group_config_load(cmd, o.groups_file, &groups, &n);
	if (ret >= 0)
		return ret;
	g = group_named(cmd, groups, n, pos[0]);
	if (!g) {
		hsm_groups_free(groups);
		return HSMCTL_EXIT_USAGE;
	}
	ret = group_state_open(c, cmd, g, o.user, o.pin_file, &gs);
	if (ret >= 0) {
		hsm_groups_free(groups);
		return ret;
	}
	for (i = 0; i < gs.n_keys && ret < 0; i++)
		if (sync_key(&gs, i, &rep))
			ret = report_failure(cmd, -ENOMEM, 0, NULL, NULL);
	if (ret < 0) {
		if (c->json)
			sync_json(&gs, &rep);
		else
			sync_text(&gs, &rep);
		ret = gs.exit_code ? gs.exit_code : rep.exit_code;
	}
	free(rep.copies);
	group_state_close(&gs);
	hsm_groups_free(groups);
	return ret;
}

int cmd_group(struct cli *c, int argc, char **argv)
{
	if (argc < 2)
		return report_usage("group: which subcommand? (status, sync)");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		cli_usage("group", 0);
		return HSMCTL_EXIT_OK;
	}
	if (strcmp(argv[1], "status") == 0)
		return group_status(c, argc - 1, argv + 1);
	if (strcmp(argv[1], "sync") == 0)
		return group_sync(c, argc - 1, argv + 1);
	return report_usage("group: unknown subcommand '%s'", cli_shown(argv[1]));
}
