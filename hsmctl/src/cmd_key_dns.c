// SPDX-License-Identifier: GPL-2.0-or-later
/* hsmctl key dnskey: a key's DNSKEY or DS record for a zone. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <hsm/hsm.h>

#include "cli.h"
#include "dnssec.h"
#include "encode.h"
#include "exitcodes.h"
#include "json.h"
#include "keycmd.h"
#include "keysess.h"
#include "report.h"

/* --alg for RSA keys: 8 / RSASHA256 or 10 / RSASHA512. 0 if neither. */
unsigned int dnssec_parse_rsa_alg(const char *s)
{
	if (strcmp(s, "8") == 0 || strcasecmp(s, "RSASHA256") == 0)
		return DNSSEC_ALG_RSASHA256;
	if (strcmp(s, "10") == 0 || strcasecmp(s, "RSASHA512") == 0)
		return DNSSEC_ALG_RSASHA512;
	return 0;
}

enum { DNS_KSK = 1u << 0, DNS_DS = 1u << 1 };

int key_dnskey(struct cli *c, int argc, char **argv)
{
	const char *zone, *alg_opt, *user_opt, *pin_file;
	const struct cmd_opt opts[] = {
		{ "ksk", NULL }, { "ds", NULL },
		{ "zone", &zone }, { "alg", &alg_opt },
		{ "user", &user_opt }, { "pin-file", &pin_file }, { NULL, NULL },
	};
	const char *cmd = "key dnskey";
	unsigned char wire[DNSSEC_NAME_MAX], digest[32], *der = NULL;
	char *pos[1], what[200], uuid[HSM_UUID_STR_LEN];
	char *owner = NULL, *b64 = NULL, *hex = NULL;
	unsigned int oflags, rsa_alg = DNSSEC_ALG_RSASHA256;
	struct hsm_key_info info;
	struct dnskey dk = { 0 };
	size_t wlen, len;
	uint16_t flags;
	int ret, n, rsa;

	ret = cli_parse(c, cmd, argc, argv, opts, &oflags, pos, 1, &n);
	if (ret >= 0)
		return ret;
	if (!zone)
		return report_usage("%s: which zone? (--zone NAME)", cmd);
	if (dnssec_name_wire(zone, wire, &wlen))
		return report_usage("%s: --zone '%.100s' is not a DNS name", cmd, zone);
	if (alg_opt && !(rsa_alg = dnssec_parse_rsa_alg(alg_opt)))
		return report_usage("%s: --alg must be 8 (RSASHA256) or 10 (RSASHA512), not '%.20s'",
				    cmd, alg_opt);
	ret = keysess_read_public(c, cmd, n ? pos[0] : NULL, user_opt, pin_file,
				  &info, &der, &len);
	if (ret >= 0)
		return ret;
	hsm_uuid_format(info.uuid, uuid, sizeof(uuid));
	rsa = info.type == HSM_KEY_RSA_PRIVATE || info.type == HSM_KEY_RSA_PUBLIC;
	if (alg_opt && !rsa) {
		free(der);
		return report_usage("%s: --alg is for RSA keys; an EC key's algorithm follows from its curve",
				    cmd);
	}
	flags = oflags & DNS_KSK ? DNSSEC_FLAGS_KSK : DNSSEC_FLAGS_ZSK;
	ret = dnssec_dnskey(der, len, rsa_alg, flags, &dk);
	free(der);
	if (ret == -ENOTSUP) {
		fprintf(stderr, "hsmctl: %s: %s has no DNSSEC algorithm (%s %s; DNSSEC signs with RSA, P-256 or P-384)\n",
			cmd, uuid, hsm_key_type_name(info.type),
			rsa ? "" : hsm_curve_name(info.curve));
		return HSMCTL_EXIT_FAILED;
	}
	if (ret) {
		snprintf(what, sizeof(what), "%s: the public key of %s", cmd, uuid);
		return report_failure(what, ret, 0,
				      ret == -EINVAL ? "the board's public key does not parse" : NULL,
				      NULL);
	}
	owner = dnssec_name_text(zone);
	b64 = base64_encode(dk.rdata + 4, dk.rdata_len - 4);
	ret = dnssec_ds_sha256(wire, wlen, &dk, digest);
	hex = ret ? NULL : hex_encode(digest, sizeof(digest));
	if (!owner || !b64 || !hex) {
		ret = report_failure(cmd, ret ? ret : -ENOMEM, 0, NULL, NULL);
		goto out;
	}
	for (char *p = hex; *p; p++)	/* as dnssec-dsfromkey writes it */
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	if (c->json) {
		struct json j;

		json_init(&j, stdout);
		json_object_begin(&j);
		json_kv_string(&j, "uuid", uuid);
		json_kv_string(&j, "zone", owner);
		json_kv_u64(&j, "flags", dk.flags);
		json_kv_bool(&j, "ksk", flags == DNSSEC_FLAGS_KSK);
		json_kv_u64(&j, "protocol", dk.protocol);
		json_kv_u64(&j, "algorithm", dk.algorithm);
		json_kv_string(&j, "algorithm_name", dnssec_alg_name(dk.algorithm));
		json_kv_u64(&j, "key_tag", dk.tag);
		json_kv_string(&j, "public_key", b64);
		json_key(&j, "ds");
		json_object_begin(&j);
		json_kv_u64(&j, "digest_type", 2);
		json_kv_string(&j, "digest", hex);
		json_object_end(&j);
		json_object_end(&j);
		json_end(&j);
	} else if (oflags & DNS_DS) {
		printf("%s IN DS %u %u 2 %s\n", owner, dk.tag, dk.algorithm, hex);
	} else {
		printf("; %s, key tag %u, algorithm %u (%s), key %s\n",
		       flags == DNSSEC_FLAGS_KSK ? "KSK" : "ZSK", dk.tag,
		       dk.algorithm, dnssec_alg_name(dk.algorithm), uuid);
		printf("%s IN DNSKEY %u %u %u %s\n", owner, dk.flags, dk.protocol,
		       dk.algorithm, b64);
	}
	ret = HSMCTL_EXIT_OK;
out:
	free(owner);
	free(b64);
	free(hex);
	dnskey_free(&dk);
	return ret;
}
