// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Keystores and their files. State directory layout:
 *   DIR/mkm          32-byte master key (the board's MKM); absent = not set
 *   DIR/pins         the PIN block
 *   DIR/keys/UUID    one file per token key, the key wrapped under the MKM
 * Every file is written to a temporary name, fsynced, renamed into place and
 * the directory fsynced, so a crash leaves either the old or the new file.
 * Each file ends with a SHA-256 of its contents; damaged files are ignored.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "keystore.h"
#include "hash.h"
#include "keywrap.h"
#include "pin.h"
#include "xdr.h"

#define PIN_MAGIC "CTEMUPIN"
#define KEY_MAGIC "CTEMUKEY"
#define MAGIC_LEN 8
#define SUM_LEN 32

static char *path_of(struct board *b, const char *rel)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s", b->state_dir, rel) < 0)
		return NULL;
	return p;
}

static void fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* Atomically replace DIR/rel with data (plus a checksum when sum is set). */
static int write_atomic(struct board *b, const char *rel, const uint8_t *data, size_t len,
			bool sum)
{
	char *path = path_of(b, rel), *tmp = NULL, *dir;
	uint8_t md[SUM_LEN];
	int fd = -1, rc = -1;

	if (!path || asprintf(&tmp, "%s.tmp", path) < 0)
		goto out;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		goto out;
	if (sum)
		EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL);
	if (write(fd, data, len) != (ssize_t)len ||
	    (sum && write(fd, md, SUM_LEN) != SUM_LEN) || fsync(fd) < 0)
		goto out;
	close(fd);
	fd = -1;
	if (rename(tmp, path) < 0)
		goto out;
	dir = strrchr(path, '/');
	*dir = '\0';
	fsync_dir(path);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0 && tmp)
		unlink(tmp);
	free(tmp);
	free(path);
	return rc;
}

/* Read a whole file; with sum, verify and strip the checksum. */
static uint8_t *read_file(const char *path, size_t *len, bool sum)
{
	struct stat st;
	uint8_t *buf = NULL, md[SUM_LEN];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || st.st_size > (64 << 20) || (sum && st.st_size < SUM_LEN))
		goto fail;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf || read(fd, buf, (size_t)st.st_size) != st.st_size)
		goto fail;
	close(fd);
	*len = (size_t)st.st_size;
	if (sum) {
		*len -= SUM_LEN;
		EVP_Digest(buf, *len, md, NULL, EVP_sha256(), NULL);
		if (memcmp(md, buf + *len, SUM_LEN)) {
			free(buf);
			return NULL;
		}
	}
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

int keystore_save_pins(struct board *b)
{
	uint8_t buf[MAGIC_LEN + 3 * (4 + EMU_PIN_DK_LEN + EMU_PIN_SALT_LEN)], *p = buf;

	memcpy(p, PIN_MAGIC, MAGIC_LEN);
	p += MAGIC_LEN;
	for (int u = HAL_USER_NORMAL; u <= HAL_USER_WHEEL; u++) {
		put_be32(p, b->pins[u].iterations);
		memcpy(p + 4, b->pins[u].dk, EMU_PIN_DK_LEN);
		memcpy(p + 4 + EMU_PIN_DK_LEN, b->pins[u].salt, EMU_PIN_SALT_LEN);
		p += 4 + EMU_PIN_DK_LEN + EMU_PIN_SALT_LEN;
	}
	return write_atomic(b, "pins", buf, sizeof(buf), true) < 0 ? HAL_ERROR_KEYSTORE_ACCESS : 0;
}

static int load_pins(struct board *b, const uint8_t *buf, size_t len)
{
	const uint8_t *p = buf + MAGIC_LEN;

	if (len != MAGIC_LEN + 3 * (4 + EMU_PIN_DK_LEN + EMU_PIN_SALT_LEN) ||
	    memcmp(buf, PIN_MAGIC, MAGIC_LEN))
		return -1;
	for (int u = HAL_USER_NORMAL; u <= HAL_USER_WHEEL; u++) {
		b->pins[u].iterations = get_be32(p);
		memcpy(b->pins[u].dk, p + 4, EMU_PIN_DK_LEN);
		memcpy(b->pins[u].salt, p + 4 + EMU_PIN_DK_LEN, EMU_PIN_SALT_LEN);
		p += 4 + EMU_PIN_DK_LEN + EMU_PIN_SALT_LEN;
	}
	return 0;
}

static void uuid_hex(const uint8_t *uuid, char *out)
{
	for (unsigned int i = 0; i < HAL_UUID_LEN; i++)
		sprintf(out + 2 * i, "%02x", uuid[i]);
}

static uint8_t *key_serialize(const struct key *k, size_t *len)
{
	size_t n = MAGIC_LEN + HAL_UUID_LEN + 6 * 4 + k->wrapped_len + 4;
	uint8_t *buf, *p;

	for (uint32_t i = 0; i < k->n_attrs; i++)
		n += 8 + k->attrs[i].len;
	buf = p = malloc(n);
	if (!buf)
		return NULL;
	memcpy(p, KEY_MAGIC, MAGIC_LEN);
	p += MAGIC_LEN;
	memcpy(p, k->uuid, HAL_UUID_LEN);
	p += HAL_UUID_LEN;
	put_be32(p, k->type);
	put_be32(p + 4, k->curve);
	put_be32(p + 8, k->flags);
	put_be32(p + 12, k->owner);
	put_be32(p + 16, k->extra);
	put_be32(p + 20, k->wrapped_len);
	p += 24;
	memcpy(p, k->wrapped, k->wrapped_len);
	p += k->wrapped_len;
	put_be32(p, k->n_attrs);
	p += 4;
	for (uint32_t i = 0; i < k->n_attrs; i++) {
		put_be32(p, k->attrs[i].type);
		put_be32(p + 4, k->attrs[i].len);
		memcpy(p + 8, k->attrs[i].value, k->attrs[i].len);
		p += 8 + k->attrs[i].len;
	}
	*len = n;
	return buf;
}

static struct key *key_parse(const uint8_t *buf, size_t len)
{
	const uint8_t *p = buf, *end = buf + len;
	struct key *k;

	if (len < MAGIC_LEN + HAL_UUID_LEN + 28 || memcmp(buf, KEY_MAGIC, MAGIC_LEN))
		return NULL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	p += MAGIC_LEN;
	memcpy(k->uuid, p, HAL_UUID_LEN);
	p += HAL_UUID_LEN;
	k->type = get_be32(p);
	k->curve = get_be32(p + 4);
	k->flags = get_be32(p + 8);
	k->owner = get_be32(p + 12);
	k->extra = get_be32(p + 16);
	k->wrapped_len = get_be32(p + 20);
	p += 24;
	if (k->wrapped_len > (size_t)(end - p) || (size_t)(end - p) - k->wrapped_len < 4)
		goto bad;
	k->wrapped = malloc(k->wrapped_len ? k->wrapped_len : 1);
	if (!k->wrapped)
		goto bad;
	memcpy(k->wrapped, p, k->wrapped_len);
	p += k->wrapped_len;
	k->n_attrs = get_be32(p);
	p += 4;
	if (k->n_attrs > EMU_KEY_BLOCK_ROOM / EMU_ATTR_HDR)
		goto bad;
	k->attrs = calloc(k->n_attrs ? k->n_attrs : 1, sizeof(*k->attrs));
	if (!k->attrs)
		goto bad;
	for (uint32_t i = 0; i < k->n_attrs; i++) {
		struct attr *a = &k->attrs[i];

		if (end - p < 8)
			goto bad;
		a->type = get_be32(p);
		a->len = get_be32(p + 4);
		p += 8;
		if (a->len > (size_t)(end - p))
			goto bad;
		a->value = malloc(a->len ? a->len : 1);
		if (!a->value)
			goto bad;
		memcpy(a->value, p, a->len);
		p += a->len;
	}
	if (p != end)
		goto bad;
	k->token = true;
	return k;
bad:
	key_free(k);
	return NULL;
}

void key_free(struct key *k)
{
	if (!k)
		return;
	for (uint32_t i = 0; k->attrs && i < k->n_attrs; i++)
		free(k->attrs[i].value);
	free(k->attrs);
	free(k->wrapped);
	EVP_PKEY_free(k->cache);
	free(k);
}

size_t key_block_used(const struct key *k)
{
	size_t n = k->wrapped_len + k->extra;

	for (uint32_t i = 0; i < k->n_attrs; i++)
		n += EMU_ATTR_HDR + k->attrs[i].len;
	return n;
}

/* Index of the first key whose UUID is >= uuid. */
static uint32_t ks_lower_bound(const struct keystore *ks, const uint8_t *uuid)
{
	uint32_t lo = 0, hi = ks->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (memcmp(ks->keys[mid]->uuid, uuid, HAL_UUID_LEN) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct key *keystore_find(struct keystore *ks, const uint8_t *uuid)
{
	uint32_t i = ks_lower_bound(ks, uuid);

	if (i < ks->n && !memcmp(ks->keys[i]->uuid, uuid, HAL_UUID_LEN))
		return ks->keys[i];
	return NULL;
}

static int ks_add(struct keystore *ks, struct key *k)
{
	uint32_t i;

	if (!ks->keys) {
		ks->keys = calloc(ks->max, sizeof(*ks->keys));
		if (!ks->keys)
			return HAL_ERROR_ALLOCATION_FAILURE;
	}
	if (ks->n >= ks->max)
		return HAL_ERROR_NO_KEY_INDEX_SLOTS;
	i = ks_lower_bound(ks, k->uuid);
	if (i < ks->n && !memcmp(ks->keys[i]->uuid, k->uuid, HAL_UUID_LEN))
		return HAL_ERROR_KEY_NAME_IN_USE;
	memmove(&ks->keys[i + 1], &ks->keys[i], (ks->n - i) * sizeof(*ks->keys));
	ks->keys[i] = k;
	ks->n++;
	return 0;
}

static void ks_del(struct keystore *ks, struct key *k)
{
	uint32_t i = ks_lower_bound(ks, k->uuid);

	if (i < ks->n && ks->keys[i] == k) {
		memmove(&ks->keys[i], &ks->keys[i + 1], (ks->n - i - 1) * sizeof(*ks->keys));
		ks->n--;
	}
}

static int save_key(struct board *b, const struct key *k)
{
	char rel[8 + 2 * HAL_UUID_LEN] = "keys/";
	size_t len;
	uint8_t *buf = key_serialize(k, &len);
	int rc;

	if (!buf)
		return HAL_ERROR_ALLOCATION_FAILURE;
	uuid_hex(k->uuid, rel + 5);
	rc = write_atomic(b, rel, buf, len, true);
	free(buf);
	return rc < 0 ? HAL_ERROR_KEYSTORE_ACCESS : 0;
}

int keystore_insert(struct board *b, struct key *k, bool token)
{
	struct keystore *ks = token ? &b->token : &b->volatile_ks;
	int rc;

	if (ks->n >= ks->max)
		return HAL_ERROR_NO_KEY_INDEX_SLOTS;
	if (keystore_find(ks, k->uuid))
		return HAL_ERROR_KEY_NAME_IN_USE;
	k->token = token;
	if (token) {
		rc = save_key(b, k);
		if (rc)
			return rc;
	}
	return ks_add(ks, k);
}

int keystore_update(struct board *b, struct key *k, bool token)
{
	return token ? save_key(b, k) : 0;
}

int keystore_remove(struct board *b, struct key *k, bool token)
{
	struct keystore *ks = token ? &b->token : &b->volatile_ks;

	if (token) {
		char rel[8 + 2 * HAL_UUID_LEN] = "keys/", *path, *dir;

		uuid_hex(k->uuid, rel + 5);
		path = path_of(b, rel);
		if (!path || (unlink(path) < 0 && errno != ENOENT)) {
			free(path);
			return HAL_ERROR_KEYSTORE_ACCESS;
		}
		dir = strrchr(path, '/');
		*dir = '\0';
		fsync_dir(path);
		free(path);
	}
	ks_del(ks, k);
	key_free(k);
	return 0;
}

void keystore_delete_owned(struct board *b, uint32_t client)
{
	struct keystore *ks = &b->volatile_ks;

	for (uint32_t i = 0; i < ks->n;) {
		struct key *k = ks->keys[i];

		if (k->owner == client) {
			memmove(&ks->keys[i], &ks->keys[i + 1], (ks->n - i - 1) * sizeof(*ks->keys));
			ks->n--;
			key_free(k);
		} else {
			i++;
		}
	}
}

bool key_visible(struct board *b, const struct key *k, uint32_t client)
{
	if (k->token)
		return true;
	return k->owner == client || k->owner == 0 || login_user(b, client) == HAL_USER_WHEEL;
}

int key_wrap_der(struct board *b, const uint8_t *der, size_t len, uint8_t **wrapped,
		 uint32_t *wlen)
{
	size_t n;

	if (!b->kek_set)
		return HAL_ERROR_MASTERKEY_NOT_SET;
	*wrapped = malloc(keywrap_len(len));
	if (!*wrapped)
		return HAL_ERROR_ALLOCATION_FAILURE;
	n = aes_keywrap(b->kek, der, len, *wrapped);
	if (!n) {
		free(*wrapped);
		return HAL_ERROR_IMPOSSIBLE;
	}
	*wlen = (uint32_t)n;
	return 0;
}

int key_unwrap_der(struct board *b, const struct key *k, uint8_t **der, size_t *len)
{
	int rc;

	if (!b->kek_set)
		return HAL_ERROR_MASTERKEY_NOT_SET;
	*der = OPENSSL_malloc(k->wrapped_len ? k->wrapped_len : 1);
	if (!*der)
		return HAL_ERROR_ALLOCATION_FAILURE;
	rc = aes_keyunwrap(b->kek, k->wrapped, k->wrapped_len, *der, len);
	if (rc) {
		OPENSSL_free(*der);
		*der = NULL;
	}
	return rc;
}

static int save_mkm(struct board *b)
{
	return write_atomic(b, "mkm", b->kek, HAL_KEK_LEN, false);
}

int keystore_set_masterkey(struct board *b, const char *value, char *err, size_t errlen)
{
	uint8_t kek[HAL_KEK_LEN];
	int rc = 0;

	if (!strcmp(value, "erase")) {
		char *p = path_of(b, "mkm");

		pthread_mutex_lock(&b->lock);
		b->kek_set = false;
		b->kek_gen++;
		if (p)
			unlink(p);
		pthread_mutex_unlock(&b->lock);
		free(p);
		return 0;
	}
	if (!strcmp(value, "random")) {
		RAND_bytes(kek, sizeof(kek));
	} else {
		if (strlen(value) != 2 * HAL_KEK_LEN)
			goto bad;
		for (int i = 0; i < (int)HAL_KEK_LEN; i++) {
			unsigned int x;

			if (sscanf(value + 2 * i, "%2x", &x) != 1)
				goto bad;
			kek[i] = (uint8_t)x;
		}
	}
	pthread_mutex_lock(&b->lock);
	memcpy(b->kek, kek, sizeof(kek));
	b->kek_set = true;
	b->kek_gen++;
	if (save_mkm(b) < 0) {
		snprintf(err, errlen, "cannot write the master key file");
		rc = -1;
	}
	pthread_mutex_unlock(&b->lock);
	return rc;
bad:
	snprintf(err, errlen, "masterkey wants erase, random or 64 hex digits");
	return -1;
}

int keystore_load(struct board *b, char *err, size_t errlen)
{
	char *pins = path_of(b, "pins"), *mkm = path_of(b, "mkm"), *keys = path_of(b, "keys");
	uint8_t *buf;
	size_t len;
	DIR *d;
	struct dirent *de;
	int rc = -1;

	if (!pins || !mkm || !keys) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* one emulator per state directory: the lock lives as long as the process */
	{
		char *lock = path_of(b, "lock");
		int fd = lock ? open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : -1;

		free(lock);
		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
			snprintf(err, errlen, "state directory %s is in use by another emulator",
				 b->state_dir);
			if (fd >= 0)
				close(fd);
			goto out;
		}
		b->lock_fd = fd;
	}
	if (mkdir(keys, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", keys, strerror(errno));
		goto out;
	}
	buf = read_file(pins, &len, true);
	if (buf) {
		if (load_pins(b, buf, len) < 0) {
			free(buf);
			snprintf(err, errlen, "%s is damaged", pins);
			goto out;
		}
		free(buf);
		if (b->start_without_masterkey && unlink(mkm) < 0 && errno != ENOENT) {
			snprintf(err, errlen, "cannot wipe %s: %s", mkm, strerror(errno));
			goto out;
		}
		buf = read_file(mkm, &len, false);
		if (buf && len == HAL_KEK_LEN) {
			memcpy(b->kek, buf, HAL_KEK_LEN);
			b->kek_set = true;
		} else if (buf) {
			fprintf(stderr, "cryptech-emu: %s has a wrong length; master key not set\n", mkm);
		}
		free(buf);
	} else if (access(pins, F_OK) == 0) {
		snprintf(err, errlen, "%s is damaged", pins);
		goto out;
	} else {
		/*
		 * No PIN block: the factory state (last-gasp wheel PIN). A master
		 * key already there is kept (never overwrite one: it would orphan
		 * every key wrapped under it); otherwise a new one is set.
		 */
		pin_factory(b);
		if (b->start_without_masterkey && unlink(mkm) < 0 && errno != ENOENT) {
			snprintf(err, errlen, "cannot wipe %s: %s", mkm, strerror(errno));
			goto out;
		}
		buf = read_file(mkm, &len, false);
		if (buf && len == HAL_KEK_LEN) {
			memcpy(b->kek, buf, HAL_KEK_LEN);
		} else if (buf) {
			free(buf);
			snprintf(err, errlen, "%s has a wrong length", mkm);
			goto out;
		} else if (!b->start_without_masterkey) {
			RAND_bytes(b->kek, HAL_KEK_LEN);
		}
		free(buf);
		/* a freshly flashed board whose MKM is empty has none */
		b->kek_set = !b->start_without_masterkey;
		if ((b->kek_set && save_mkm(b) < 0) || keystore_save_pins(b)) {
			snprintf(err, errlen, "cannot write to %s", b->state_dir);
			goto out;
		}
	}
	b->token.keys = calloc(b->token.max, sizeof(struct key *));
	b->volatile_ks.keys = calloc(b->volatile_ks.max, sizeof(struct key *));
	if (!b->token.keys || !b->volatile_ks.keys) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	d = opendir(keys);
	if (!d) {
		snprintf(err, errlen, "cannot read %s: %s", keys, strerror(errno));
		goto out;
	}
	while ((de = readdir(d))) {
		char *kp;
		struct key *k;

		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&kp, "%s/%s", keys, de->d_name) < 0)
			continue;
		if (strstr(de->d_name, ".tmp")) {
			unlink(kp);	/* an update that never completed */
			free(kp);
			continue;
		}
		buf = read_file(kp, &len, true);
		k = buf ? key_parse(buf, len) : NULL;
		free(buf);
		if (!k || ks_add(&b->token, k)) {
			fprintf(stderr, "cryptech-emu: ignoring damaged key file %s\n", kp);
			key_free(k);
		}
		free(kp);
	}
	closedir(d);
	rc = 0;
out:
	free(pins);
	free(mkm);
	free(keys);
	return rc;
}

void keystore_free(struct board *b)
{
	for (uint32_t i = 0; i < b->token.n; i++)
		key_free(b->token.keys[i]);
	for (uint32_t i = 0; i < b->volatile_ks.n; i++)
		key_free(b->volatile_ks.keys[i]);
	free(b->token.keys);
	free(b->volatile_ks.keys);
	b->token.keys = b->volatile_ks.keys = NULL;
	if (b->lock_fd >= 0)
		close(b->lock_fd);
	b->lock_fd = -1;
	b->token.n = b->volatile_ks.n = 0;
	for (unsigned int i = 0; i < HAL_MAX_HASH_HANDLES; i++)
		hash_slot_free(&b->hash_slots[i]);
	for (unsigned int i = 0; i < HAL_MAX_HMAC_HANDLES; i++)
		hash_slot_free(&b->hmac_slots[i]);
}
