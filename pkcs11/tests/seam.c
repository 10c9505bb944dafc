// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The test seam (seam.h): cryptech_hsm ioctls answered by the emulator's
 * board in this process. This file plays the kernel driver's part only as
 * far as the module relies on it: one board client handle and one table of
 * key handles per open file, requests of one file run one at a time (a
 * mutex per file, like the driver's per-session mutex), board statuses
 * mapped to the driver's errno values, packed attribute lists, and the
 * ENOSPC size reports. EXPORT and IMPORT serve key copies between two
 * seam boards (libhsm's hsm_key_replicate()).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/cryptech_hsm.h>

#include "board.h"
#include "keystore.h"
#include "rpc.h"
#include "seam.h"

#define LAST_GASP "YouReallyNeedToChangeThisPINRightNowWeAreNotKidding"
#define MAX_FDS 1024
#define HANDLES 129		/* the kernel's 128 per file, from 1 */

struct seam_board {
	struct board b;
	char path[PATH_MAX];
	char board_id[64];
	bool live, unplugged;
};

struct seam_file {
	bool used;
	int board;
	uint32_t client;
	pthread_mutex_t m;
	uint32_t handles[HANDLES];	/* ours -> the board's; 0 free */
	uint8_t uuids[HANDLES][16];
	bool busy;		/* timed out: EBUSY until the late reply */
};

static struct seam_board boards[SEAM_MAX_BOARDS];
static struct seam_file files[MAX_FDS];
static pthread_mutex_t seam_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t next_client = 0x1000;
static atomic_uint service_ms, in_flight, max_in_flight;
void (*seam_lazy_init)(void);
static atomic_int fail_next_sign;

void seam_fail_next_sign(int err)
{
	atomic_store(&fail_next_sign, err);
}

static atomic_int fail_import_board = -1;

void seam_fail_next_import(int i)
{
	atomic_store(&fail_import_board, i);
}

/* ---- XDR -------------------------------------------------------------------- */

struct xw {
	uint8_t buf[HAL_RPC_MAX_PKT_SIZE + 64];
	size_t n;
};

struct xr {
	uint8_t buf[HAL_RPC_MAX_PKT_SIZE + 64];
	size_t n, off;
	bool bad;
};

static void put32(struct xw *w, uint32_t v)
{
	w->buf[w->n++] = (uint8_t)(v >> 24);
	w->buf[w->n++] = (uint8_t)(v >> 16);
	w->buf[w->n++] = (uint8_t)(v >> 8);
	w->buf[w->n++] = (uint8_t)v;
}

static void put_opaque(struct xw *w, const void *p, size_t len)
{
	put32(w, (uint32_t)len);
	if (len)
		memcpy(w->buf + w->n, p, len);
	w->n += len;
	while (w->n % 4)
		w->buf[w->n++] = 0;
}

static uint32_t get32(struct xr *r)
{
	const uint8_t *p = r->buf + r->off;

	if (r->off + 4 > r->n) {
		r->bad = true;
		return 0;
	}
	r->off += 4;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static const uint8_t *get_opaque(struct xr *r, uint32_t *len)
{
	const uint8_t *p;

	*len = get32(r);
	if (r->bad || *len > r->n - r->off) {
		r->bad = true;
		*len = 0;
		return NULL;
	}
	p = r->buf + r->off;
	r->off += (*len + 3) & ~3u;
	if (r->off > r->n)
		r->off = r->n;
	return p;
}

static void req(struct xw *w, uint32_t op, uint32_t client)
{
	w->n = 0;
	put32(w, op);
	put32(w, client);
}

/* Send @w to the board; the status, with @r positioned at the results. */
static uint32_t call(int bi, struct xw *w, struct xr *r)
{
	unsigned delay, ms = atomic_load(&service_ms), now;

	now = atomic_fetch_add(&in_flight, 1) + 1;
	for (unsigned m = atomic_load(&max_in_flight); now > m &&
	     !atomic_compare_exchange_weak(&max_in_flight, &m, now);)
		;
	if (ms) {
		/* the board's service time, the other requests going on */
		struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

		nanosleep(&ts, NULL);
	}
	r->n = 0;
	r->off = 12;
	r->bad = false;
	if (!rpc_dispatch(&boards[bi].b, w->buf, w->n, r->buf, &r->n, &delay) ||
	    r->n < 12) {
		atomic_fetch_sub(&in_flight, 1);
		return HAL_ERROR_RPC_PROTOCOL_ERROR;
	}
	atomic_fetch_sub(&in_flight, 1);
	r->off = 12;
	return (uint32_t)r->buf[8] << 24 | (uint32_t)r->buf[9] << 16 |
	       (uint32_t)r->buf[10] << 8 | r->buf[11];
}

/* The driver's map from board status to errno (driver/rpc.c). */
static int status_errno(uint32_t st)
{
	switch (st) {
	case 0: return 0;
	case 1: case 16: case 31: return EINVAL;
	case 2: case 30: case 45: return EOPNOTSUPP;
	case 9: case 10: case 11: case 15: return EBADMSG;
	case 13: return ENOMEM;
	case 14: return EOVERFLOW;
	case 17: return EKEYREJECTED;
	case 19: return EBUSY;
	case 21: return ENOENT;
	case 22: return EEXIST;
	case 23: return EMFILE;
	case 24: return EACCES;
	case 25: return EUSERS;
	case 26: return EPERM;
	case 27: case 44: return EPROTO;
	case 29: return EMSGSIZE;
	case 32: case 33: case 34: return ENOKEY;
	case 40: return ENODATA;
	case 41: return ENOSPC;
	case 48: return EKEYEXPIRED;
	case 49: return EAGAIN;
	default: return EIO;
	}
}

/* Fail the ioctl with the board's status in @status_field. */
static int board_fail(uint32_t *status_field, uint32_t st)
{
	*status_field = st;
	errno = status_errno(st);
	return -1;
}

static int fail(int err)
{
	errno = err;
	return -1;
}

/* ---- boards ---------------------------------------------------------------- */

static uint32_t simple(int bi, uint32_t op, uint32_t client, uint32_t a,
		       const char *pin)
{
	struct xw w;
	struct xr r;

	req(&w, op, client);
	put32(&w, a);
	if (pin)
		put_opaque(&w, pin, strlen(pin));
	return call(bi, &w, &r);
}

int seam_board_add(const char *dir, const char *board_id)
{
	char state[PATH_MAX], err[256];
	int bi, fd;

	for (bi = 0; bi < SEAM_MAX_BOARDS && boards[bi].live; bi++)
		;
	if (bi == SEAM_MAX_BOARDS)
		return -1;
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(boards[bi].path, sizeof(boards[bi].path), "%s/dev", dir);
	snprintf(boards[bi].board_id, sizeof(boards[bi].board_id), "%s",
		 board_id);
	if (board_init(&boards[bi].b, state, err, sizeof(err)) < 0 ||
	    keystore_load(&boards[bi].b, err, sizeof(err)) < 0) {
		fprintf(stderr, "# seam: %s\n", err);
		return -1;
	}
	atomic_store(&boards[bi].b.bad_pin_ms, 0);
	fd = open(boards[bi].path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	close(fd);
	boards[bi].live = true;
	/* Bring-up, as an operator does on a new board. */
	if (simple(bi, RPC_FUNC_LOGIN, 77, HAL_USER_WHEEL, LAST_GASP) ||
	    simple(bi, RPC_FUNC_SET_PIN, 77, HAL_USER_NORMAL, SEAM_USER_PIN) ||
	    simple(bi, RPC_FUNC_SET_PIN, 77, HAL_USER_SO, SEAM_SO_PIN) ||
	    simple(bi, RPC_FUNC_LOGOUT, 77, 0, NULL) != HAL_OK)
		return -1;
	return bi;
}

const char *seam_board_path(int i)
{
	return boards[i].path;
}

void seam_unplug(int i)
{
	boards[i].unplugged = true;
	unlink(boards[i].path);
}

void seam_replug(int i)
{
	int fd = open(boards[i].path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);

	if (fd >= 0)
		close(fd);
	board_reboot(&boards[i].b);
	boards[i].unplugged = false;
}

unsigned long seam_requests(int i)
{
	return atomic_load(&boards[i].b.requests);
}

unsigned long seam_requests_of(int i, uint32_t opcode)
{
	return atomic_load(&boards[i].b.req_by_func[opcode]);
}

unsigned seam_logins(int i)
{
	unsigned n = 0, k;

	pthread_mutex_lock(&boards[i].b.lock);
	for (k = 0; k < HAL_MAX_LOGGED_IN_CLIENTS; k++)
		if (boards[i].b.logins[k].user != HAL_USER_NONE)
			n++;
	pthread_mutex_unlock(&boards[i].b.lock);
	return n;
}

unsigned seam_keys(int i, bool token)
{
	unsigned n;

	pthread_mutex_lock(&boards[i].b.lock);
	n = token ? boards[i].b.token.n : boards[i].b.volatile_ks.n;
	pthread_mutex_unlock(&boards[i].b.lock);
	return n;
}

void seam_take_logins(int i, unsigned left)
{
	uint32_t c = 0x7000;

	while (seam_logins(i) + left < HAL_MAX_LOGGED_IN_CLIENTS &&
	       c < 0x7000 + HAL_MAX_LOGGED_IN_CLIENTS)
		if (simple(i, RPC_FUNC_LOGIN, c++, HAL_USER_NORMAL, SEAM_USER_PIN))
			break;
}

void seam_release_logins(int i)
{
	uint32_t c;

	for (c = 0x7000; c < 0x7000 + HAL_MAX_LOGGED_IN_CLIENTS; c++)
		simple(i, RPC_FUNC_LOGOUT, c, 0, NULL);
}

/* Send @w, a key-making request of client 0x6000 logged in by the caller;
 * the new key's UUID into @uuid, its handle closed, the client logged out. */
static int add_key_finish(int i, struct xw *w, uint8_t uuid[16])
{
	struct xr r;
	const uint8_t *u;
	uint32_t len, h;

	if (call(i, w, &r))
		return -1;
	h = get32(&r);
	u = get_opaque(&r, &len);
	if (!u || len != 16)
		return -1;
	memcpy(uuid, u, 16);
	simple(i, RPC_FUNC_PKEY_CLOSE, h, 0, NULL);	/* handle, no client */
	simple(i, RPC_FUNC_LOGOUT, 0x6000, 0, NULL);
	return 0;
}

int seam_add_bare_key(int i, uint8_t uuid[16])
{
	struct xw w;

	if (simple(i, RPC_FUNC_LOGIN, 0x6000, HAL_USER_NORMAL, SEAM_USER_PIN))
		return -1;
	req(&w, RPC_FUNC_PKEY_GENERATE_EC, 0x6000);
	put32(&w, 0);
	put32(&w, 1);		/* P-256 */
	put32(&w, 0x09);	/* sign, token */
	return add_key_finish(i, &w, uuid);
}

int seam_add_public_key(int i, const uint8_t *der, size_t der_len, uint8_t uuid[16])
{
	struct xw w;

	if (simple(i, RPC_FUNC_LOGIN, 0x6000, HAL_USER_NORMAL, SEAM_USER_PIN))
		return -1;
	req(&w, RPC_FUNC_PKEY_LOAD, 0x6000);
	put32(&w, 0);
	put_opaque(&w, der, (uint32_t)der_len);
	put32(&w, 0x09);	/* sign, token */
	return add_key_finish(i, &w, uuid);
}

int seam_add_private_key(int i, const uint8_t *der, size_t der_len, uint8_t uuid[16])
{
	/* The board tells a private key from a public one by its DER. */
	return seam_add_public_key(i, der, der_len, uuid);
}

static int open_other(int i, const uint8_t uuid[16], uint32_t *h)
{
	struct xw w;
	struct xr r;

	if (simple(i, RPC_FUNC_LOGIN, 0x6001, HAL_USER_NORMAL, SEAM_USER_PIN))
		return -1;
	req(&w, RPC_FUNC_PKEY_OPEN, 0x6001);
	put32(&w, 0);
	put_opaque(&w, uuid, 16);
	if (call(i, &w, &r))
		return -1;
	*h = get32(&r);
	return 0;
}

int seam_delete_key(int i, const uint8_t uuid[16])
{
	struct xw w;
	struct xr r;
	uint32_t h, st;

	if (open_other(i, uuid, &h))
		return -1;
	w.n = 0;
	put32(&w, RPC_FUNC_PKEY_DELETE);
	put32(&w, 0x6001);
	put32(&w, h);
	st = call(i, &w, &r);
	simple(i, RPC_FUNC_LOGOUT, 0x6001, 0, NULL);
	return st ? -1 : 0;
}

int seam_relabel(int i, const uint8_t uuid[16], const char *label)
{
	struct xw w;
	struct xr r;
	uint32_t h, st;

	if (open_other(i, uuid, &h))
		return -1;
	req(&w, RPC_FUNC_PKEY_SET_ATTRIBUTES, 0x6001);
	put32(&w, h);
	put32(&w, 1);
	put32(&w, 0x003);	/* CKA_LABEL */
	put_opaque(&w, label, strlen(label));
	st = call(i, &w, &r);
	w.n = 0;
	put32(&w, RPC_FUNC_PKEY_CLOSE);
	put32(&w, 0x6001);
	put32(&w, h);
	call(i, &w, &r);
	simple(i, RPC_FUNC_LOGOUT, 0x6001, 0, NULL);
	return st ? -1 : 0;
}

void seam_set_service_ms(unsigned ms)
{
	atomic_store(&service_ms, ms);
}

unsigned seam_max_parallel(void)
{
	return atomic_load(&max_in_flight);
}

void seam_reset_parallel(void)
{
	atomic_store(&max_in_flight, 0);
}

/* ---- the ioctls --------------------------------------------------------------- */

static uint32_t new_handle(struct seam_file *f, uint32_t bh, const uint8_t *uuid)
{
	uint32_t h;

	for (h = 1; h < HANDLES; h++) {
		if (!f->handles[h]) {
			f->handles[h] = bh;
			memcpy(f->uuids[h], uuid, 16);
			return h;
		}
	}
	return 0;
}

static uint32_t board_handle(struct seam_file *f, uint32_t h)
{
	return h && h < HANDLES ? f->handles[h] : 0;
}

/* A new key's handle from a GENERATE/LOAD reply. */
static int new_key_reply(struct seam_file *f, struct xr *r, uint32_t *handle,
			 uint8_t *uuid)
{
	uint32_t bh = get32(r), len, h;
	const uint8_t *u = get_opaque(r, &len);

	if (!u || len != 16)
		return fail(EPROTO);
	h = new_handle(f, bh, u);
	if (!h)
		return fail(EMFILE);
	*handle = h;
	memcpy(uuid, u, 16);
	return 0;
}

static int do_ioctl(struct seam_file *f, unsigned long cmd, void *arg)
{
	int bi = f->board;
	struct xw w;
	struct xr r;
	uint32_t st, len;
	const uint8_t *p;

	switch (cmd) {
	case CRYPTECH_HSM_IOC_BOARD_INFO: {
		struct cryptech_hsm_board_info *b = arg;

		if (b->size != CRYPTECH_HSM_BOARD_INFO_SIZE_VER0 &&
		    b->size != sizeof(*b))
			return fail(EINVAL);
		b->index = (uint32_t)bi;
		b->protocol_version = HAL_RPC_VERSION;
		snprintf(b->tty_name, sizeof(b->tty_name), "ttySEAM%d", bi);
		if (b->size == sizeof(*b)) {
			snprintf(b->board_id, sizeof(b->board_id), "%s",
				 boards[bi].board_id);
			b->board_id_kind = boards[bi].board_id[0] ?
					   CRYPTECH_HSM_BOARD_ID_USB_SERIAL : 0;
		}
		return 0;
	}
	case CRYPTECH_HSM_IOC_RANDOM: {
		struct cryptech_hsm_random *a = arg;

		req(&w, RPC_FUNC_GET_RANDOM, f->client);
		put32(&w, a->len);
		st = call(bi, &w, &r);
		if (st)
			return board_fail(&a->board_status, st);
		p = get_opaque(&r, &len);
		if (!p || len != a->len)
			return fail(EPROTO);
		memcpy((void *)(uintptr_t)a->buf, p, len);
		return 0;
	}
	case CRYPTECH_HSM_IOC_LOGIN:
	case CRYPTECH_HSM_IOC_SET_PIN: {
		struct cryptech_hsm_pin *a = arg;

		req(&w, cmd == CRYPTECH_HSM_IOC_LOGIN ? RPC_FUNC_LOGIN :
			RPC_FUNC_SET_PIN, f->client);
		put32(&w, a->user);
		put_opaque(&w, (void *)(uintptr_t)a->pin, a->pin_len);
		st = call(bi, &w, &r);
		explicit_bzero(w.buf, sizeof(w.buf));
		return st ? board_fail(&a->board_status, st) : 0;
	}
	case CRYPTECH_HSM_IOC_LOGOUT: {
		struct cryptech_hsm_status *a = arg;

		req(&w, RPC_FUNC_LOGOUT, f->client);
		st = call(bi, &w, &r);
		return st ? board_fail(&a->board_status, st) : 0;
	}
	case CRYPTECH_HSM_IOC_GENERATE: {
		struct cryptech_hsm_generate *a = arg;
		static const uint8_t e65537[3] = { 1, 0, 1 };

		if (a->alg == CRYPTECH_HSM_ALG_RSA) {
			req(&w, RPC_FUNC_PKEY_GENERATE_RSA, f->client);
			put32(&w, 0);
			put32(&w, a->rsa_bits);
			put_opaque(&w, e65537, 3);
			put32(&w, a->flags);
		} else {
			req(&w, RPC_FUNC_PKEY_GENERATE_EC, f->client);
			put32(&w, 0);
			put32(&w, a->curve);
			put32(&w, a->flags);
		}
		st = call(bi, &w, &r);
		if (st)
			return board_fail(&a->board_status, st);
		return new_key_reply(f, &r, &a->handle, a->uuid);
	}
	case CRYPTECH_HSM_IOC_LOAD: {
		struct cryptech_hsm_load *a = arg;

		req(&w, RPC_FUNC_PKEY_LOAD, f->client);
		put32(&w, 0);
		put_opaque(&w, (void *)(uintptr_t)a->der, a->der_len);
		put32(&w, a->flags);
		st = call(bi, &w, &r);
		if (st)
			return board_fail(&a->board_status, st);
		return new_key_reply(f, &r, &a->handle, a->uuid);
	}
	case CRYPTECH_HSM_IOC_OPEN: {
		struct cryptech_hsm_open *a = arg;
		uint32_t h;

		req(&w, RPC_FUNC_PKEY_OPEN, f->client);
		put32(&w, 0);
		put_opaque(&w, a->uuid, 16);
		st = call(bi, &w, &r);
		if (st)
			return board_fail(&a->board_status, st);
		h = new_handle(f, get32(&r), a->uuid);
		if (!h)
			return fail(EMFILE);
		a->handle = h;
		return 0;
	}
	case CRYPTECH_HSM_IOC_CLOSE:
	case CRYPTECH_HSM_IOC_DELETE: {
		struct cryptech_hsm_key *a = arg;
		uint32_t bh = board_handle(f, a->handle);

		if (!bh)
			return fail(ENOENT);
		req(&w, cmd == CRYPTECH_HSM_IOC_CLOSE ? RPC_FUNC_PKEY_CLOSE :
			RPC_FUNC_PKEY_DELETE, f->client);
		w.n = 4;	/* no client word: these take the handle */
		put32(&w, f->client);
		w.n = 8;
		put32(&w, bh);
		st = call(bi, &w, &r);
		/* DELETE frees the handle even when the key was gone. */
		if (!st || cmd == CRYPTECH_HSM_IOC_DELETE)
			f->handles[a->handle] = 0;
		return st ? board_fail(&a->board_status, st) : 0;
	}
	case CRYPTECH_HSM_IOC_KEY_INFO: {
		struct cryptech_hsm_key_info *a = arg;
		uint32_t bh = board_handle(f, a->handle), *out[3] = {
			&a->type, &a->curve, &a->flags };
		static const uint32_t ops[3] = { RPC_FUNC_PKEY_GET_KEY_TYPE,
			RPC_FUNC_PKEY_GET_KEY_CURVE, RPC_FUNC_PKEY_GET_KEY_FLAGS };

		if (!bh)
			return fail(ENOENT);
		for (int k = 0; k < 3; k++) {
			req(&w, ops[k], f->client);
			put32(&w, bh);
			st = call(bi, &w, &r);
			if (st)
				return board_fail(&a->board_status, st);
			*out[k] = get32(&r);
		}
		memcpy(a->uuid, f->uuids[a->handle], 16);
		return 0;
	}
	case CRYPTECH_HSM_IOC_PUBLIC_KEY: {
		struct cryptech_hsm_public_key *a = arg;
		uint32_t bh = board_handle(f, a->handle);

		if (!bh)
			return fail(ENOENT);
		req(&w, RPC_FUNC_PKEY_GET_PUBLIC_KEY, f->client);
		put32(&w, bh);
		put32(&w, 8192);
		st = call(bi, &w, &r);
		if (st)
			return board_fail(&a->board_status, st);
		p = get_opaque(&r, &len);
		if (!p)
			return fail(EPROTO);
		if (len > a->der_len) {
			a->der_len = len;
			return fail(ENOSPC);
		}
		memcpy((void *)(uintptr_t)a->der, p, len);
		a->der_len = len;
		return 0;
	}
	case CRYPTECH_HSM_IOC_EXPORT: {
		struct cryptech_hsm_export *a = arg;
		uint32_t bh = board_handle(f, a->handle),
			 kh = board_handle(f, a->kekek_handle), kek_len;
		const uint8_t *kek;

		if (!bh || !kh)
			return fail(ENOENT);
		req(&w, RPC_FUNC_PKEY_EXPORT, f->client);
		put32(&w, bh);
		put32(&w, kh);
		put32(&w, a->pkcs8_len);
		put32(&w, a->kek_len);
		st = call(bi, &w, &r);
		if (st)
			return board_fail(&a->board_status, st);
		p = get_opaque(&r, &len);
		kek = p ? get_opaque(&r, &kek_len) : NULL;
		if (!kek || len > a->pkcs8_len || kek_len > a->kek_len)
			return fail(EPROTO);
		memcpy((void *)(uintptr_t)a->pkcs8, p, len);
		memcpy((void *)(uintptr_t)a->kek, kek, kek_len);
		a->pkcs8_len = len;
		a->kek_len = kek_len;
		return 0;
	}
	case CRYPTECH_HSM_IOC_IMPORT: {
		struct cryptech_hsm_import *a = arg;
		uint32_t kh = board_handle(f, a->kekek_handle);

		if (!kh)
			return fail(ENOENT);
		req(&w, RPC_FUNC_PKEY_IMPORT, f->client);
		put32(&w, 0);
		put32(&w, kh);
		put_opaque(&w, (void *)(uintptr_t)a->pkcs8, a->pkcs8_len);
		put_opaque(&w, (void *)(uintptr_t)a->kek, a->kek_len);
		put32(&w, a->flags);
		st = call(bi, &w, &r);
		if (st)
			return board_fail(&a->board_status, st);
		return new_key_reply(f, &r, &a->handle, a->uuid);
	}
	case CRYPTECH_HSM_IOC_SIGN:
	case CRYPTECH_HSM_IOC_VERIFY: {
		struct cryptech_hsm_sign *a = arg;
		uint32_t bh = board_handle(f, a->handle);
		bool sign = cmd == CRYPTECH_HSM_IOC_SIGN;

		if (!bh)
			return fail(ENOENT);
		req(&w, sign ? RPC_FUNC_PKEY_SIGN : RPC_FUNC_PKEY_VERIFY,
		    f->client);
		w.n = 4;
		put32(&w, f->client);
		w.n = 8;
		put32(&w, bh);
		put32(&w, 0);
		put_opaque(&w, (void *)(uintptr_t)a->input, a->input_len);
		if (sign)
			put32(&w, HAL_RPC_MAX_OPAQUE_RESULT);	/* always all */
		else
			put_opaque(&w, (void *)(uintptr_t)a->sig, a->sig_len);
		st = call(bi, &w, &r);
		if (st)
			return board_fail(&a->board_status, st);
		if (!sign)
			return 0;
		p = get_opaque(&r, &len);
		if (!p)
			return fail(EPROTO);
		if (len > a->sig_len) {
			a->sig_len = len;
			return fail(ENOSPC);
		}
		memcpy((void *)(uintptr_t)a->sig, p, len);
		a->sig_len = len;
		return 0;
	}
	case CRYPTECH_HSM_IOC_MATCH: {
		struct cryptech_hsm_match *a = arg;
		const uint8_t *ap = (const uint8_t *)(uintptr_t)a->attrs;
		uint8_t (*out)[16] = (uint8_t (*)[16])(uintptr_t)a->uuids;
		size_t off = 0;
		uint32_t k, n;

		req(&w, RPC_FUNC_PKEY_MATCH, f->client);
		put32(&w, 0);
		put32(&w, a->type);
		put32(&w, a->curve);
		put32(&w, a->mask);
		put32(&w, a->flags);
		put32(&w, a->n_attrs);
		for (k = 0; k < a->n_attrs; k++) {
			struct cryptech_hsm_key_attr h;

			memcpy(&h, ap + off, sizeof(h));
			off += sizeof(h);
			put32(&w, h.type);
			put_opaque(&w, ap + off, h.len);
			off += (h.len + 3) & ~3u;
		}
		put32(&w, a->state);
		put32(&w, a->count);
		put_opaque(&w, a->prev_uuid, 16);
		st = call(bi, &w, &r);
		if (st)
			return board_fail(&a->board_status, st);
		a->state = get32(&r);
		n = get32(&r);
		if (n > a->count)
			return fail(EPROTO);
		for (k = 0; k < n; k++) {
			p = get_opaque(&r, &len);
			if (!p || len != 16)
				return fail(EPROTO);
			memcpy(out[k], p, 16);
		}
		if (n)
			memcpy(a->prev_uuid, out[n - 1], 16);
		if (n < a->count)
			a->state = CRYPTECH_HSM_MATCH_DONE;
		a->count = n;
		return 0;
	}
	case CRYPTECH_HSM_IOC_SET_ATTRS: {
		struct cryptech_hsm_set_attrs *a = arg;
		const uint8_t *ap = (const uint8_t *)(uintptr_t)a->attrs;
		uint32_t bh = board_handle(f, a->handle), k;
		size_t off = 0;

		if (!bh)
			return fail(ENOENT);
		req(&w, RPC_FUNC_PKEY_SET_ATTRIBUTES, f->client);
		w.n = 4;
		put32(&w, f->client);
		w.n = 8;
		put32(&w, bh);
		put32(&w, a->n_attrs);
		for (k = 0; k < a->n_attrs; k++) {
			struct cryptech_hsm_key_attr h;

			memcpy(&h, ap + off, sizeof(h));
			off += sizeof(h);
			put32(&w, h.type);
			if (h.len == CRYPTECH_HSM_ATTR_DELETE) {
				put32(&w, h.len);
				continue;
			}
			put_opaque(&w, ap + off, h.len);
			off += (h.len + 3) & ~3u;
		}
		st = call(bi, &w, &r);
		return st ? board_fail(&a->board_status, st) : 0;
	}
	case CRYPTECH_HSM_IOC_GET_ATTRS: {
		struct cryptech_hsm_get_attrs *a = arg;
		const uint32_t *types = (const uint32_t *)(uintptr_t)a->types;
		uint8_t *out = (uint8_t *)(uintptr_t)a->buf;
		bool lengths = a->flags & CRYPTECH_HSM_GET_ATTRS_LENGTHS;
		uint32_t bh = board_handle(f, a->handle), k, n;
		size_t hdrs = a->n_types * 8, used = 0;
		uint32_t value_room = lengths ? 0 :
			(uint32_t)(a->buf_len > hdrs ? a->buf_len - hdrs : 1);

		if (!bh)
			return fail(ENOENT);
		if (value_room > 8000)
			value_room = 8000;
again:
		req(&w, RPC_FUNC_PKEY_GET_ATTRIBUTES, f->client);
		w.n = 4;
		put32(&w, f->client);
		w.n = 8;
		put32(&w, bh);
		put32(&w, a->n_types);
		for (k = 0; k < a->n_types; k++)
			put32(&w, types[k]);
		put32(&w, value_room);
		st = call(bi, &w, &r);
		if (st == HAL_ERROR_RESULT_TOO_LONG && value_room) {
			/* learn the lengths to say what would fit */
			value_room = 0;
			lengths = true;
			goto again;
		}
		if (st)
			return board_fail(&a->board_status, st);
		n = get32(&r);
		if (n != a->n_types)
			return fail(EPROTO);
		for (k = 0; k < n; k++) {
			struct cryptech_hsm_key_attr h = { .type = get32(&r) };

			if (lengths) {
				h.len = get32(&r);
				p = NULL;
			} else {
				p = get_opaque(&r, &len);
				h.len = len;
			}
			if (!(a->flags & CRYPTECH_HSM_GET_ATTRS_LENGTHS) && lengths) {
				used += 8 + ((h.len + 3) & ~3u);
				continue;
			}
			if (used + 8 + (p ? ((h.len + 3) & ~3u) : 0) > a->buf_len) {
				used += 8 + (p ? ((h.len + 3) & ~3u) : 0);
				continue;
			}
			memcpy(out + used, &h, 8);
			used += 8;
			if (p) {
				memset(out + used, 0, (h.len + 3) & ~3u);
				memcpy(out + used, p, h.len);
				used += (h.len + 3) & ~3u;
			}
		}
		if (r.bad)
			return fail(EPROTO);
		if (used > a->buf_len) {
			a->buf_len = (uint32_t)used;
			return fail(ENOSPC);
		}
		a->buf_len = (uint32_t)used;
		return 0;
	}
	case CRYPTECH_HSM_IOC_LOGIN_STATUS: {
		struct cryptech_hsm_login_status *a = arg;

		a->user = 0;
		for (uint32_t u = 1; u <= 3; u++) {
			req(&w, RPC_FUNC_IS_LOGGED_IN, f->client);
			put32(&w, u);
			if (call(bi, &w, &r) == 0)
				a->user = u;
		}
		return 0;
	}
	default:
		return fail(ENOTTY);
	}
}

/* The board behind @fd, or -1 for files that are not a seam device. */
static int board_of(int fd)
{
	char link[64], path[PATH_MAX];
	ssize_t n;
	int i;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0)
		return -1;
	path[n] = '\0';
	/* an unplugged board's file is deleted: "(deleted)" follows */
	for (i = 0; i < SEAM_MAX_BOARDS; i++)
		if (boards[i].live &&
		    !strncmp(path, boards[i].path, strlen(boards[i].path)))
			return i;
	return -1;
}

int ioctl(int fd, unsigned long cmd, ...)
{
	static int (*real)(int, unsigned long, ...);
	struct seam_file *f;
	va_list ap;
	void *arg;
	int ret, bi;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (_IOC_TYPE(cmd) == CRYPTECH_HSM_IOC_MAGIC && seam_lazy_init) {
		pthread_mutex_lock(&seam_lock);
		if (seam_lazy_init) {
			void (*init)(void) = seam_lazy_init;

			seam_lazy_init = NULL;
			init();
		}
		pthread_mutex_unlock(&seam_lock);
	}
	if (_IOC_TYPE(cmd) != CRYPTECH_HSM_IOC_MAGIC || fd < 0 || fd >= MAX_FDS ||
	    (bi = board_of(fd)) < 0) {
		if (!real)
			real = (int (*)(int, unsigned long, ...))
			       dlsym(RTLD_NEXT, "ioctl");
		return real(fd, cmd, arg);
	}
	pthread_mutex_lock(&seam_lock);
	f = &files[fd];
	if (!f->used) {
		memset(f->handles, 0, sizeof(f->handles));
		f->busy = false;
		f->used = true;
		f->board = bi;
		f->client = next_client++;
		pthread_mutex_init(&f->m, NULL);
	}
	pthread_mutex_unlock(&seam_lock);
	pthread_mutex_lock(&f->m);	/* one request per file at a time */
	if (boards[f->board].unplugged) {
		ret = fail(ENODEV);
	} else if (f->busy) {
		ret = fail(EBUSY);
	} else if (cmd == CRYPTECH_HSM_IOC_SIGN && atomic_load(&fail_next_sign)) {
		ret = fail(atomic_exchange(&fail_next_sign, 0));
		f->busy = errno == ETIMEDOUT;
	} else if (cmd == CRYPTECH_HSM_IOC_IMPORT &&
		   atomic_load(&fail_import_board) == f->board) {
		atomic_store(&fail_import_board, -1);
		ret = fail(EIO);
	} else {
		ret = do_ioctl(f, cmd, arg);
	}
	pthread_mutex_unlock(&f->m);
	return ret;
}

int close(int fd)
{
	static int (*real)(int);
	struct seam_file *f = fd >= 0 && fd < MAX_FDS ? &files[fd] : NULL;

	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "close");
	if (f && f->used) {
		struct xw w;
		struct xr r;
		uint32_t h;

		/* What the kernel does when the last reference goes. */
		pthread_mutex_lock(&f->m);
		if (!boards[f->board].unplugged) {
			for (h = 1; h < HANDLES; h++) {
				if (!f->handles[h])
					continue;
				w.n = 0;
				put32(&w, RPC_FUNC_PKEY_CLOSE);
				put32(&w, f->client);
				put32(&w, f->handles[h]);
				call(f->board, &w, &r);
			}
			req(&w, RPC_FUNC_LOGOUT, f->client);
			call(f->board, &w, &r);
		}
		f->used = false;
		pthread_mutex_unlock(&f->m);
		pthread_mutex_destroy(&f->m);
	}
	return real(fd);
}
