// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hsmctl backup: move every exportable token key from one board to another
 * wrapped under the destination's KEKEK (--from A --to B), or the three
 * upstream cryptech_backup steps on their own (setup, export, import),
 * each writing or reading a bundle file (bundle.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup.h"
#include "exitcodes.h"
#include "json.h"
#include "report.h"

#define KEKEK_BITS_DEFAULT	2048

static int parse_kekek_bits(const char *cmd, const char *s, unsigned int *bits)
{
	unsigned long v;
	char *end;

	*bits = KEKEK_BITS_DEFAULT;
	if (!s)
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s < '1' || *s > '9' || errno || *end || v < 1024 || v > 4096 ||
	    v % 8)
		return report_usage("%s: --bits must be 1024 to 4096, a multiple of 8, not '%s'",
				    cmd, cli_shown(s));
	*bits = (unsigned int)v;
	return -1;
}

/* Open a board's session as the key user @user_opt names. */
static int open_board(struct cli *c, const char *cmd, const char *user_opt,
		      const char *pin_file, struct keysess *k)
{
	uint32_t user;
	int ret;

	ret = keysess_key_user(cmd, user_opt, &user);
	if (ret >= 0)
		return ret;
	return keysess_open(c, cmd, user, pin_file, k);
}

/* ---- setup -------------------------------------------------------------- */

static int backup_setup_cmd(struct cli *c, int argc, char **argv)
{
	const char *out, *bits_opt, *user_opt, *pin_file;
	const struct cmd_opt opts[] = {
		{ "out", &out }, { "bits", &bits_opt },
		{ "user", &user_opt }, { "pin-file", &pin_file },
		{ NULL, NULL },
	};
	const char *cmd = "backup setup";
	struct bundle b = { 0 };
	struct keysess k;
	unsigned int bits;
	char *pos[1];
	int ret, n, generated;

	ret = cli_parse(c, cmd, argc, argv, opts, NULL, pos, 0, &n);
	if (ret >= 0)
		return ret;
	if (!out)
		return report_usage("%s: where to write the KEKEK's public key? (--out FILE)", cmd);
	ret = parse_kekek_bits(cmd, bits_opt, &bits);
	if (ret < 0)
		ret = open_board(c, cmd, user_opt, pin_file, &k);
	if (ret >= 0)
		return ret;
	ret = backup_setup(&k, cmd, bits, &b, &generated);
	keysess_close(&k);
	if (ret < 0)
		ret = backup_write_bundle(cmd, out, &b);
	if (ret < 0) {
		if (c->json) {
			struct json j;

			json_init(&j, stdout);
			json_object_begin(&j);
			json_kv_string(&j, "device", k.dev_name);
			json_kv_string(&j, "kekek_uuid", b.kekek_uuid);
			json_kv_bool(&j, "generated", generated);
			json_kv_string(&j, "out", out);
			json_object_end(&j);
			json_end(&j);
		} else {
			printf("%s KEKEK %s on %s; its public key is in %s\n",
			       generated ? "generated" : "using the existing",
			       b.kekek_uuid, k.dev_name, out);
		}
		ret = HSMCTL_EXIT_OK;
	}
	bundle_free(&b);
	return ret;
}

/* ---- export ------------------------------------------------------------- */

static int backup_export_cmd(struct cli *c, int argc, char **argv)
{
	const char *out, *kekek_file, *user_opt, *pin_file;
	const struct cmd_opt opts[] = {
		{ "kekek", &kekek_file }, { "out", &out },
		{ "user", &user_opt }, { "pin-file", &pin_file },
		{ NULL, NULL },
	};
	const char *cmd = "backup export";
	struct backup_report rep = { 0 };
	struct bundle b;
	struct keysess k;
	uint32_t kekek;
	char *pos[1];
	int ret, n;

	ret = cli_parse(c, cmd, argc, argv, opts, NULL, pos, 0, &n);
	if (ret >= 0)
		return ret;
	ret = backup_start_export(cmd, kekek_file, out, &b);
	if (ret >= 0)
		return ret;
	ret = open_board(c, cmd, user_opt, pin_file, &k);
	if (ret >= 0) {
		bundle_free(&b);
		return ret;
	}
	ret = backup_kekek_load(&k, cmd, &b, &kekek);
	if (ret < 0) {
		ret = backup_export_all(&k, cmd, kekek, &b, &rep);
		backup_kekek_unload(&k, kekek);
	}
	keysess_close(&k);
	if (ret < 0)
		ret = backup_write_bundle(cmd, out, &b);
	if (ret < 0) {
		backup_report_print(c, &rep, b.kekek_uuid);
		ret = HSMCTL_EXIT_OK;
	}
	backup_report_free(&rep);
	bundle_free(&b);
	return ret;
}

/* ---- import ------------------------------------------------------------- */

/* Report a partial import on stderr (the list is on stdout). */
static int import_result(const char *cmd, const char *dev,
			 const struct backup_report *rep, int ret)
{
	size_t i, failed = 0;

	if (ret < 0)
		return HSMCTL_EXIT_OK;
	for (i = 0; i < rep->n; i++)
		failed += rep->items[i].status == BACKUP_FAILED ||
			  rep->items[i].status == BACKUP_FAILED_LEFT;
	fprintf(stderr, "hsmctl: %s: %zu of %zu keys were not moved to %s (see the list; the others are complete on it)\n",
		cmd, failed, rep->n, dev);
	return ret;
}

int backup_import_command(struct cli *c, const char *cmd, int argc,
			  char **argv)
{
	const char *user_opt, *pin_file;
	const struct cmd_opt opts[] = {
		{ "user", &user_opt }, { "pin-file", &pin_file },
		{ NULL, NULL },
	};
	struct backup_report rep = { 0 };
	struct bundle b;
	struct keysess k;
	char *pos[1];
	int ret, n;

	ret = cli_parse(c, cmd, argc, argv, opts, NULL, pos, 1, &n);
	if (ret >= 0)
		return ret;
	if (n < 1)
		return report_usage("%s: which bundle? (a file 'backup export' or 'key export' wrote)", cmd);
	ret = backup_read_bundle(cmd, pos[0], &b);
	if (ret >= 0)
		return ret;
	if (!b.has_keys) {
		bundle_free(&b);
		fprintf(stderr, "hsmctl: %s: bundle %s: has no keys member: it is what 'backup setup' wrote, not an export\n",
			cmd, pos[0]);
		return HSMCTL_EXIT_USAGE;
	}
	ret = open_board(c, cmd, user_opt, pin_file, &k);
	if (ret >= 0) {
		bundle_free(&b);
		return ret;
	}
	ret = backup_import(&k, cmd, &b, &rep);
	keysess_close(&k);
	if (ret < 0 || rep.n) {
		backup_report_print(c, &rep, b.kekek_uuid);
		ret = import_result(cmd, k.dev_name, &rep, ret);
	}
	backup_report_free(&rep);
	bundle_free(&b);
	return ret;
}

/* ---- --from A --to B ---------------------------------------------------- */

static int backup_boards(struct cli *c, int argc, char **argv)
{
	const char *from, *to, *bits_opt, *user_opt, *pin_file, *from_pin,
		   *to_pin;
	const struct cmd_opt opts[] = {
		{ "from", &from }, { "to", &to }, { "bits", &bits_opt },
		{ "user", &user_opt }, { "pin-file", &pin_file },
		{ "from-pin-file", &from_pin }, { "to-pin-file", &to_pin },
		{ NULL, NULL },
	};
	const char *cmd = "backup";
	struct backup_report rep = { 0 };
	struct cli ca = *c, cb = *c;
	struct bundle b = { 0 };
	struct keysess ka, kb;
	unsigned int bits;
	uint32_t kekek;
	char *pos[1];
	int ret, n, generated;

	ret = cli_parse(c, cmd, argc, argv, opts, NULL, pos, 0, &n);
	if (ret >= 0)
		return ret;
	if (!from || !to)
		return report_usage("%s: give both boards (--from A --to B), or a step: setup, export, import",
				    cmd);
	if (c->device)
		return report_usage("%s: -d does not apply: the boards are --from and --to", cmd);
	ret = parse_kekek_bits(cmd, bits_opt, &bits);
	if (ret >= 0)
		return ret;
	ca.json = cb.json = c->json;
	ca.device = from;
	cb.device = to;
	ret = open_board(&cb, cmd, user_opt, to_pin ? to_pin : pin_file, &kb);
	if (ret >= 0)
		return ret;
	ret = open_board(&ca, cmd, user_opt, from_pin ? from_pin : pin_file, &ka);
	if (ret >= 0) {
		keysess_close(&kb);
		return ret;
	}
	if (strcmp(ka.dev_name, kb.dev_name) == 0) {
		keysess_close(&ka);
		keysess_close(&kb);
		return report_usage("%s: --from and --to name the same board (%s)",
				    cmd, ka.dev_name);
	}
	b.has_keys = 1;
	ret = backup_setup(&kb, cmd, bits, &b, &generated);
	if (ret < 0)
		ret = backup_kekek_load(&ka, cmd, &b, &kekek);
	if (ret < 0) {
		struct backup_report exported = { 0 };
		size_t i;

		ret = backup_export_all(&ka, cmd, kekek, &b, &exported);
		backup_kekek_unload(&ka, kekek);
		/* The keys left on A are listed with the others. */
		for (i = 0; i < exported.n && ret < 0; i++)
			if (exported.items[i].status == BACKUP_NOT_EXPORTABLE) {
				void *p = realloc(rep.items, (rep.n + 1) * sizeof(*rep.items));

				if (!p) {
					ret = HSMCTL_EXIT_FAILED;
					break;
				}
				rep.items = p;
				rep.items[rep.n++] = exported.items[i];
			}
		backup_report_free(&exported);
	}
	keysess_close(&ka);
	if (ret < 0) {
		ret = backup_import(&kb, cmd, &b, &rep);
		backup_report_print(c, &rep, b.kekek_uuid);
		ret = import_result(cmd, kb.dev_name, &rep, ret);
	}
	keysess_close(&kb);
	backup_report_free(&rep);
	bundle_free(&b);
	return ret;
}

int cmd_backup(struct cli *c, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "setup") == 0)
		return backup_setup_cmd(c, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "export") == 0)
		return backup_export_cmd(c, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "import") == 0)
		return backup_import_command(c, "backup import", argc - 1,
					     argv + 1);
	return backup_boards(c, argc, argv);
}
