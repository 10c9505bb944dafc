// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hsmctl key export KEY --kekek FILE --out FILE, and key import FILE: one
 * key in a backup bundle (bundle.h), wrapped for the KEKEK that
 * "hsmctl backup setup" wrote to FILE.
 */
#include <stdio.h>
#include <string.h>

#include "backup.h"
#include "exitcodes.h"
#include "keycmd.h"
#include "report.h"

int key_export(struct cli *c, int argc, char **argv)
{
	const char *out, *kekek_file, *user_opt, *pin_file;
	const struct cmd_opt opts[] = {
		{ "kekek", &kekek_file }, { "out", &out },
		{ "user", &user_opt }, { "pin-file", &pin_file },
		{ NULL, NULL },
	};
	const char *cmd = "key export";
	struct backup_report rep = { 0 };
	struct backup_item item = { 0 };
	struct bundle fresh;
	uint32_t handle, kekek;
	struct keysess k;
	char *pos[1];
	int ret, n;

	ret = cli_parse(c, cmd, argc, argv, opts, NULL, pos, 1, &n);
	if (ret >= 0)
		return ret;
	ret = keyref_check(cmd, n ? pos[0] : NULL);
	if (ret >= 0)
		return ret;
	ret = backup_start_export(cmd, kekek_file, out, &fresh);
	if (ret >= 0)
		return ret;

	ret = keysess_open_named(c, cmd, pos[0], user_opt, pin_file, &k, &handle);
	if (ret >= 0) {
		bundle_free(&fresh);
		return ret;
	}
	ret = backup_kekek_load(&k, cmd, &fresh, &kekek);
	if (ret < 0) {
		ret = backup_export_key(&k, cmd, kekek, handle, &fresh);
		backup_kekek_unload(&k, kekek);
	}
	keysess_close(&k);
	if (ret < 0)
		ret = backup_write_bundle(cmd, out, &fresh);
	if (ret < 0) {
		size_t i;

		memcpy(item.uuid, fresh.keys[0].uuid, sizeof(item.uuid));
		for (i = 0; i < fresh.keys[0].n_attrs; i++)
			if (fresh.keys[0].attrs[i].type == 0x003)
				snprintf(item.label, sizeof(item.label), "%.*s",
					 (int)fresh.keys[0].attrs[i].value.len,
					 (const char *)fresh.keys[0].attrs[i].value.data);
		item.status = BACKUP_EXPORTED;
		rep.items = &item;
		rep.n = 1;
		backup_report_print(c, &rep, fresh.kekek_uuid);
		ret = HSMCTL_EXIT_OK;
	}
	bundle_free(&fresh);
	return ret;
}

int key_import(struct cli *c, int argc, char **argv)
{
	return backup_import_command(c, "key import", argc, argv);
}
