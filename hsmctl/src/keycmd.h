/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "hsmctl key" subcommands (cmd_key.c dispatches to them). */
#ifndef HSMCTL_KEYCMD_H
#define HSMCTL_KEYCMD_H

#include "cli.h"

/* Each gets argv[0] = the subcommand's name. */
int key_generate(struct cli *c, int argc, char **argv);
int key_list(struct cli *c, int argc, char **argv);
int key_info(struct cli *c, int argc, char **argv);
int key_delete(struct cli *c, int argc, char **argv);
int key_pubkey(struct cli *c, int argc, char **argv);
int key_sign(struct cli *c, int argc, char **argv);
int key_verify(struct cli *c, int argc, char **argv);
int key_dnskey(struct cli *c, int argc, char **argv);
/* cmd_key_wrap.c: one key in a backup bundle. */
int key_export(struct cli *c, int argc, char **argv);
int key_import(struct cli *c, int argc, char **argv);

/* --alg of key dnskey: 8 or RSASHA256, 10 or RSASHA512; 0 if neither. */
unsigned int dnssec_parse_rsa_alg(const char *s);

#endif /* HSMCTL_KEYCMD_H */
