// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Replays tests/vectors/ (the protocol's captured vectors) against the
 * emulator. The files are a session against the genuine firmware code in a documented order, so each
 * test replays every file up to its own on a fresh board. Reply bytes must be
 * equal except the fields marked [varies], which are checked for shape and
 * whose values are substituted into later requests (UUIDs, signatures).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "emu_client.h"
#include "xdr.h"

#ifndef VECTOR_DIR
#define VECTOR_DIR "../tests/vectors"
#endif

static const char *const order[] = {
	"get_version", "get_random_32", "login_user_unset_pin", "login_wheel_last_gasp",
	"set_pin_user", "login_user", "is_logged_in", "pkey_generate_ec_p256_volatile",
	"pkey_generate_ec_p256_token", "pkey_get_key_info", "pkey_get_public_key",
	"pkey_sign_ec_p256", "pkey_verify_ec_p256", "pkey_set_get_attributes", "pkey_match",
	"pkey_generate_rsa_1024", "pkey_sign_rsa_1024", "hash_sha256", "pkey_sign_ec_hash_handle",
	"pkey_delete", "pkey_close_and_open", "error_bad_pin", "error_bad_function",
	"error_bad_handle", "error_truncated", "client_handles", "logout", "logout_all",
};
#define NFILES (sizeof(order) / sizeof(order[0]))

struct range {
	size_t off, len;
	bool uuid;
};

struct msg {
	bool request;
	size_t len;
	uint8_t data[HAL_RPC_MAX_PKT_SIZE];
	struct range varies[8];
	int nvaries;
};

struct subst {
	size_t len;
	uint8_t from[1024], to[1024];
};

static struct subst substs[256];
static int nsubsts;

static void apply_substs(uint8_t *buf, size_t len)
{
	for (int s = 0; s < nsubsts; s++) {
		size_t n = substs[s].len;

		for (size_t i = 0; n <= len && i + n <= len; i++) {
			if (!memcmp(buf + i, substs[s].from, n)) {
				memcpy(buf + i, substs[s].to, n);
				i += n - 1;
			}
		}
	}
}

static void add_subst(const uint8_t *from, const uint8_t *to, size_t n)
{
	if (n < 16 || n > sizeof(substs[0].from) || nsubsts >= 256 || !memcmp(from, to, n))
		return;
	substs[nsubsts].len = n;
	memcpy(substs[nsubsts].from, from, n);
	memcpy(substs[nsubsts].to, to, n);
	nsubsts++;
}

/* Parse one vector file into messages; returns the count or -1. */
static int load_vectors(const char *name, struct msg *msgs, int max)
{
	char path[512], line[70000];
	int n = 0, cur = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.txt", VECTOR_DIR, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	memset(msgs, 0, sizeof(*msgs) * (size_t)max);
	while (fgets(line, sizeof(line), f)) {
		unsigned int idx, off, bytes;

		if (sscanf(line, "# [%u]", &idx) == 1) {
			cur = (int)idx - 1;
			continue;
		}
		if (line[0] == '#' && cur >= 0 && cur < max && strstr(line, "[varies]") &&
		    sscanf(line, "# +%u", &off) == 1) {
			char *b = strstr(line, ": ");
			struct msg *m = &msgs[cur];

			/* "...: N byte(s)" is an opaque whose data follows its length word */
			if (b && sscanf(b + 2, "%u byte", &bytes) == 1 && m->nvaries < 8) {
				m->varies[m->nvaries].off = off + 4;
				m->varies[m->nvaries].len = bytes;
				m->varies[m->nvaries].uuid = bytes == 16 &&
					(strstr(line, "UUID") || strstr(line, "key name"));
				m->nvaries++;
			}
			continue;
		}
		if ((line[0] == 'C' || line[0] == 'S') && line[2] == ' ' && n < max) {
			line[strcspn(line, "\r\n")] = '\0';
			msgs[n].request = line[0] == 'C';
			msgs[n].len = hex2bin(line + 3, msgs[n].data, sizeof(msgs[n].data));
			n++;
		}
	}
	fclose(f);
	return n;
}

static bool in_varies(const struct msg *m, size_t i)
{
	for (int v = 0; v < m->nvaries; v++)
		if (i >= m->varies[v].off && i < m->varies[v].off + m->varies[v].len)
			return true;
	return false;
}

/* Replay one file; returns 0 or -1 with a diagnostic. */
static int replay(struct __test_metadata *_metadata, struct emu *e, const char *name)
{
	static struct msg msgs[64];
	static const uint8_t probe[8] = { 0, 0, 0, 0, 0x70, 0x72, 0x6f, 0x62 };
	uint8_t got[HAL_RPC_MAX_PKT_SIZE];
	size_t glen;
	int n = load_vectors(name, msgs, 64);

	if (n <= 0) {
		TH_LOG("%s: cannot read vectors from %s", name, VECTOR_DIR);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct msg *m = &msgs[i];

		if (m->request) {
			apply_substs(m->data, m->len);
			if (emu_send(e, m->data, m->len) < 0)
				return -1;
			if (i + 1 < n && !msgs[i + 1].request)
				continue;
			/* no reply is due: the next frame must be the probe's reply */
			if (emu_send(e, probe, sizeof(probe)) < 0 ||
			    emu_recv(e, got, &glen, 10000) < 0 || glen != 16 ||
			    memcmp(got, probe, 8)) {
				TH_LOG("%s [%d]: expected no reply", name, i + 1);
				return -1;
			}
			continue;
		}
		if (emu_recv(e, got, &glen, 20000) < 0) {
			TH_LOG("%s [%d]: no reply", name, i + 1);
			return -1;
		}
		apply_substs(m->data, m->len);
		if (glen != m->len) {
			TH_LOG("%s [%d]: reply of %zu bytes, expected %zu (status %u)", name, i + 1,
			       glen, m->len, glen >= 12 ? get_be32(got + 8) : 0);
			return -1;
		}
		for (size_t j = 0; j < glen; j++) {
			if (got[j] != m->data[j] && !in_varies(m, j)) {
				TH_LOG("%s [%d]: byte %zu is %02x, expected %02x", name, i + 1, j,
				       got[j], m->data[j]);
				return -1;
			}
		}
		for (int v = 0; v < m->nvaries; v++) {
			struct range *r = &m->varies[v];

			if (r->uuid && ((got[r->off + 6] & 0xF0) != 0x40 ||
					(got[r->off + 8] & 0xC0) != 0x80)) {
				TH_LOG("%s [%d]: not a version-4 UUID", name, i + 1);
				return -1;
			}
			add_subst(m->data + r->off, got + r->off, r->len);
		}
	}
	return 0;
}

FIXTURE(vectors) {
	struct emu emu;
};

FIXTURE_SETUP(vectors)
{
	nsubsts = 0;
	ASSERT_EQ(0, emu_start(&self->emu, NULL, "--bad-pin-delay", "20", NULL));
}

FIXTURE_TEARDOWN(vectors)
{
	emu_cleanup(&self->emu);
}

static void replay_upto(struct __test_metadata *_metadata, struct emu *e, const char *last)
{
	for (size_t i = 0; i < NFILES; i++) {
		ASSERT_EQ(0, replay(_metadata, e, order[i]));
		if (!strcmp(order[i], last))
			return;
	}
}

#define VECTOR(name) TEST_F(vectors, name) { replay_upto(_metadata, &self->emu, #name); }
VECTOR(get_version)
VECTOR(get_random_32)
VECTOR(login_user_unset_pin)
VECTOR(login_wheel_last_gasp)
VECTOR(set_pin_user)
VECTOR(login_user)
VECTOR(is_logged_in)
VECTOR(pkey_generate_ec_p256_volatile)
VECTOR(pkey_generate_ec_p256_token)
VECTOR(pkey_get_key_info)
VECTOR(pkey_get_public_key)
VECTOR(pkey_sign_ec_p256)
VECTOR(pkey_verify_ec_p256)
VECTOR(pkey_set_get_attributes)
VECTOR(pkey_match)
VECTOR(pkey_generate_rsa_1024)
VECTOR(pkey_sign_rsa_1024)
VECTOR(hash_sha256)
VECTOR(pkey_sign_ec_hash_handle)
VECTOR(pkey_delete)
VECTOR(pkey_close_and_open)
VECTOR(error_bad_pin)
VECTOR(error_bad_function)
VECTOR(error_bad_handle)
VECTOR(error_truncated)
VECTOR(client_handles)
VECTOR(logout)
VECTOR(logout_all)

TEST_HARNESS_MAIN
