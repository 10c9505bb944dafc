/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The board side of key backup (protocol §7.6, §7.6.1), shared by
 * "hsmctl backup" and "hsmctl key export/import": find or make the KEKEK,
 * export keys wrapped for it with their attributes, import them with
 * all-or-nothing attributes, and report what happened to each key.
 */
#ifndef HSMCTL_BACKUP_H
#define HSMCTL_BACKUP_H

#include <stdint.h>

#include "bundle.h"
#include "cli.h"
#include "keysess.h"

/* What became of one key. */
enum backup_status {
	BACKUP_MOVED,		/* imported with its attributes */
	BACKUP_PRESENT,		/* the destination already holds it: skipped */
	BACKUP_NOT_EXPORTABLE,	/* a token key without EXPORTABLE: left */
	BACKUP_EXPORTED,	/* written to a bundle */
	BACKUP_FAILED,		/* not moved; nothing of it was left behind */
	BACKUP_FAILED_LEFT,	/* failed and its partial copy could not be deleted */
};

struct backup_item {
	char uuid[37];		/* on the source board */
	char new_uuid[37];	/* on the destination, "" if none */
	char label[128];	/* CKA_LABEL, "" if none */
	enum backup_status status;
	char cause[256];	/* why it failed */
};

struct backup_report {
	struct backup_item *items;
	size_t n;
	int exit_code;		/* of the first failure, 0 if none */
};

/*
 * Backup step 1 on the destination board: its KEKEK (an existing token RSA
 * private key with KEYENC, else a new one of @bits) into @b's kekek_pubkey
 * and kekek_uuid; *@generated tells which. -1 or an exit code.
 */
int backup_setup(struct keysess *k, const char *cmd, unsigned int bits,
		 struct bundle *b, int *generated);

/*
 * Load @b's KEKEK public key into @k's session (volatile) for exports;
 * *@handle is deleted by backup_kekek_unload(). -1 or an exit code.
 */
int backup_kekek_load(struct keysess *k, const char *cmd,
		      const struct bundle *b, uint32_t *handle);
void backup_kekek_unload(struct keysess *k, uint32_t handle);

/*
 * Export the key @handle (its uuid, flags, wrapped key or SPKI and the
 * attributes of backup.c's list that it has) into a new entry of @b.
 * -1 or an exit code (reported).
 */
int backup_export_key(struct keysess *k, const char *cmd, uint32_t kekek,
		      uint32_t handle, struct bundle *b);

/*
 * Export every token key of @k's board: the EXPORTABLE ones into @b, the
 * others listed in @rep as not exportable. -1 or an exit code.
 */
int backup_export_all(struct keysess *k, const char *cmd, uint32_t kekek,
		      struct bundle *b, struct backup_report *rep);

/*
 * Import the keys of @b into @k's board with the KEKEK @b names, as token
 * keys. Each key ends up whole (attributes set) or not at all; keys
 * already present (same type and public key) are skipped. Each key gets
 * an item in @rep. -1 when all were moved or present, else the exit code
 * of the first failure (in @rep->exit_code too).
 */
int backup_import(struct keysess *k, const char *cmd, const struct bundle *b,
		  struct backup_report *rep);

/* Print @rep: a line per key and a summary, or with --json a document. */
void backup_report_print(const struct cli *c, const struct backup_report *rep,
			 const char *kekek_uuid);
void backup_report_free(struct backup_report *rep);

/*
 * The import command ("backup import FILE", "key import FILE"): argv[0] is
 * the subcommand's name. An exit code.
 */
int backup_import_command(struct cli *c, const char *cmd, int argc,
			  char **argv);

/* Read the bundle @path for @cmd, reporting a problem. -1 or an exit code. */
int backup_read_bundle(const char *cmd, const char *path, struct bundle *b);

/*
 * The start of an export ("backup export", "key export"): --kekek FILE and
 * --out FILE must be given; @b becomes a bundle of FILE's KEKEK with no key
 * yet (whatever keys the file held are dropped: an export's own file may
 * serve as --kekek). -1, or an exit code after reporting the problem.
 */
int backup_start_export(const char *cmd, const char *kekek_file,
			const char *out, struct bundle *b);

/* Write it; -1 or an exit code. */
int backup_write_bundle(const char *cmd, const char *path,
			const struct bundle *b);

#endif /* HSMCTL_BACKUP_H */
