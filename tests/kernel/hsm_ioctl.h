/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Raw ioctl helpers for the session/key ABI tests (uapi/linux/cryptech_hsm.h).
 * These tests exercise the kernel ABI itself, so they build the structs by
 * hand instead of going through libhsm (used only to attach and list boards).
 *
 * Every helper returns 0 or a negative errno and, where the struct has one,
 * reports board_status through @bs (may be NULL).
 */
#ifndef HSM_IOCTL_H
#define HSM_IOCTL_H

#include <stdint.h>
#include <sys/ioctl.h>

#include <linux/cryptech_hsm.h>

#include "hsm_test.h"

/* PINs set by the per-boot bring-up (the board starts with none). */
#define HSM_LAST_GASP_PIN	"YouReallyNeedToChangeThisPINRightNowWeAreNotKidding"
#define HSM_WHEEL_PIN		"wheel-pin-for-tests"
#define HSM_SO_PIN		"so-pin-for-tests"
#define HSM_USER_PIN		"user-pin-for-tests"

/* Board status codes (protocol §6.1) the tests expect verbatim. */
#define HAL_BAD_ARGUMENTS		1
#define HAL_UNSUPPORTED_KEY		2
#define HAL_ASN1_PARSE_FAILED		15
#define HAL_INVALID_SIGNATURE		17
#define HAL_KEY_NOT_FOUND		21
#define HAL_PIN_INCORRECT		24
#define HAL_NO_CLIENT_SLOTS		25
#define HAL_FORBIDDEN			26
#define HAL_ATTRIBUTE_NOT_FOUND		40

#define HSM_INIT(s) do { memset(&(s), 0, sizeof(s)); (s).size = sizeof(s); } while (0)
#define HSM_PTR(p) ((__u64)(uintptr_t)(p))

static inline int hsm_ioc(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline void hsm_bs(uint32_t *bs, uint32_t v)
{
	if (bs)
		*bs = v;
}

/* ---- sessions ---------------------------------------------------------- */

static inline int hsm_t_pin_op(int fd, unsigned long cmd, uint32_t user,
			       const char *pin, uint32_t *bs)
{
	struct cryptech_hsm_pin a;
	int err;

	HSM_INIT(a);
	a.user = user;
	a.pin_len = strlen(pin);
	a.pin = HSM_PTR(pin);
	err = hsm_ioc(fd, cmd, &a);
	hsm_bs(bs, a.board_status);
	return err;
}

static inline int hsm_t_login(int fd, uint32_t user, const char *pin, uint32_t *bs)
{
	return hsm_t_pin_op(fd, CRYPTECH_HSM_IOC_LOGIN, user, pin, bs);
}

static inline int hsm_t_set_pin(int fd, uint32_t user, const char *pin, uint32_t *bs)
{
	return hsm_t_pin_op(fd, CRYPTECH_HSM_IOC_SET_PIN, user, pin, bs);
}

static inline int hsm_t_logout(int fd, uint32_t *bs)
{
	struct cryptech_hsm_status a;
	int err;

	HSM_INIT(a);
	err = hsm_ioc(fd, CRYPTECH_HSM_IOC_LOGOUT, &a);
	hsm_bs(bs, a.board_status);
	return err;
}

/* The user this session is logged in as, or a negative errno. */
static inline int hsm_t_login_status(int fd)
{
	struct cryptech_hsm_login_status a;
	int err;

	HSM_INIT(a);
	a.user = 99;
	err = hsm_ioc(fd, CRYPTECH_HSM_IOC_LOGIN_STATUS, &a);
	return err ? err : (int)a.user;
}

static inline int hsm_t_random(int fd, void *buf, uint32_t len, uint32_t *bs)
{
	struct cryptech_hsm_random a;
	int err;

	HSM_INIT(a);
	a.len = len;
	a.buf = HSM_PTR(buf);
	err = hsm_ioc(fd, CRYPTECH_HSM_IOC_RANDOM, &a);
	hsm_bs(bs, a.board_status);
	return err;
}

/* ---- keys -------------------------------------------------------------- */

struct hsm_t_key {
	uint32_t handle;
	uint8_t uuid[CRYPTECH_HSM_UUID_LEN];
};

static inline int hsm_t_gen_ec(int fd, uint32_t curve, uint32_t flags,
			       struct hsm_t_key *k, uint32_t *bs)
{
	struct cryptech_hsm_generate a;
	int err;

	HSM_INIT(a);
	a.alg = CRYPTECH_HSM_ALG_EC;
	a.curve = curve;
	a.flags = flags;
	err = hsm_ioc(fd, CRYPTECH_HSM_IOC_GENERATE, &a);
	hsm_bs(bs, a.board_status);
	if (!err && k) {
		k->handle = a.handle;
		memcpy(k->uuid, a.uuid, sizeof(k->uuid));
	}
	return err;
}

static inline int hsm_t_gen_rsa(int fd, uint32_t bits, uint32_t flags,
				struct hsm_t_key *k, uint32_t *bs)
{
	struct cryptech_hsm_generate a;
	int err;

	HSM_INIT(a);
	a.alg = CRYPTECH_HSM_ALG_RSA;
	a.rsa_bits = bits;
	a.flags = flags;
	err = hsm_ioc(fd, CRYPTECH_HSM_IOC_GENERATE, &a);
	hsm_bs(bs, a.board_status);
	if (!err && k) {
		k->handle = a.handle;
		memcpy(k->uuid, a.uuid, sizeof(k->uuid));
	}
	return err;
}

static inline int hsm_t_load(int fd, const void *der, uint32_t len, uint32_t flags,
			     struct hsm_t_key *k, uint32_t *bs)
{
	struct cryptech_hsm_load a;
	int err;

	HSM_INIT(a);
	a.flags = flags;
	a.der_len = len;
	a.der = HSM_PTR(der);
	err = hsm_ioc(fd, CRYPTECH_HSM_IOC_LOAD, &a);
	hsm_bs(bs, a.board_status);
	if (!err && k) {
		k->handle = a.handle;
		memcpy(k->uuid, a.uuid, sizeof(k->uuid));
	}
	return err;
}

static inline int hsm_t_open(int fd, const uint8_t *uuid, uint32_t *handle,
			     uint32_t *bs)
{
	struct cryptech_hsm_open a;
	int err;

	HSM_INIT(a);
	memcpy(a.uuid, uuid, sizeof(a.uuid));
	err = hsm_ioc(fd, CRYPTECH_HSM_IOC_OPEN, &a);
	hsm_bs(bs, a.board_status);
	if (!err && handle)
		*handle = a.handle;
	return err;
}

static inline int hsm_t_key_op(int fd, unsigned long cmd, uint32_t handle,
			       uint32_t *bs)
{
	struct cryptech_hsm_key a;
	int err;

	HSM_INIT(a);
	a.handle = handle;
	a.board_status = 0xdeadbeef;
	err = hsm_ioc(fd, cmd, &a);
	hsm_bs(bs, a.board_status);
	return err;
}

static inline int hsm_t_close(int fd, uint32_t handle, uint32_t *bs)
{
	return hsm_t_key_op(fd, CRYPTECH_HSM_IOC_CLOSE, handle, bs);
}

static inline int hsm_t_delete(int fd, uint32_t handle, uint32_t *bs)
{
	return hsm_t_key_op(fd, CRYPTECH_HSM_IOC_DELETE, handle, bs);
}

static inline int hsm_t_key_info(int fd, uint32_t handle,
				 struct cryptech_hsm_key_info *out)
{
	HSM_INIT(*out);
	out->handle = handle;
	return hsm_ioc(fd, CRYPTECH_HSM_IOC_KEY_INFO, out);
}

/* *@len: in room, out DER length (or the room needed, with -ENOSPC). */
static inline int hsm_t_pubkey(int fd, uint32_t handle, void *der,
			       uint32_t *len, uint32_t *bs)
{
	struct cryptech_hsm_public_key a;
	int err;

	HSM_INIT(a);
	a.handle = handle;
	a.der_len = *len;
	a.der = HSM_PTR(der);
	err = hsm_ioc(fd, CRYPTECH_HSM_IOC_PUBLIC_KEY, &a);
	hsm_bs(bs, a.board_status);
	*len = a.der_len;
	return err;
}

static inline int hsm_t_sign(int fd, uint32_t handle, const void *in,
			     uint32_t inlen, void *sig, uint32_t *siglen,
			     uint32_t *bs)
{
	struct cryptech_hsm_sign a;
	int err;

	HSM_INIT(a);
	a.handle = handle;
	a.input_len = inlen;
	a.input = HSM_PTR(in);
	a.sig_len = *siglen;
	a.sig = HSM_PTR(sig);
	err = hsm_ioc(fd, CRYPTECH_HSM_IOC_SIGN, &a);
	hsm_bs(bs, a.board_status);
	*siglen = a.sig_len;
	return err;
}

static inline int hsm_t_verify(int fd, uint32_t handle, const void *in,
			       uint32_t inlen, const void *sig, uint32_t siglen,
			       uint32_t *bs)
{
	struct cryptech_hsm_sign a;
	int err;

	HSM_INIT(a);
	a.handle = handle;
	a.input_len = inlen;
	a.input = HSM_PTR(in);
	a.sig_len = siglen;
	a.sig = HSM_PTR(sig);
	err = hsm_ioc(fd, CRYPTECH_HSM_IOC_VERIFY, &a);
	hsm_bs(bs, a.board_status);
	return err;
}

/* Append one packed attribute entry (header, value, pad to 4) at *@off. */
static inline void hsm_t_attr_put(uint8_t *buf, size_t *off, uint32_t type,
				  const void *val, uint32_t len)
{
	struct cryptech_hsm_key_attr h = { .type = type, .len = len };

	memcpy(buf + *off, &h, sizeof(h));
	*off += sizeof(h);
	if (len != CRYPTECH_HSM_ATTR_DELETE && len) {
		memcpy(buf + *off, val, len);
		*off += len;
		while (*off % 4)
			buf[(*off)++] = 0;
	}
}

static inline int hsm_t_set_attrs(int fd, uint32_t handle, uint32_t n,
				  const void *attrs, uint32_t len, uint32_t *bs)
{
	struct cryptech_hsm_set_attrs a;
	int err;

	HSM_INIT(a);
	a.handle = handle;
	a.n_attrs = n;
	a.attrs_len = len;
	a.attrs = HSM_PTR(attrs);
	err = hsm_ioc(fd, CRYPTECH_HSM_IOC_SET_ATTRS, &a);
	hsm_bs(bs, a.board_status);
	return err;
}

static inline int hsm_t_get_attrs(int fd, uint32_t handle, const uint32_t *types,
				  uint32_t n, uint32_t flags, void *buf,
				  uint32_t *buflen, uint32_t *bs)
{
	struct cryptech_hsm_get_attrs a;
	int err;

	HSM_INIT(a);
	a.handle = handle;
	a.n_types = n;
	a.types = HSM_PTR(types);
	a.buf_len = *buflen;
	a.flags = flags;
	a.buf = HSM_PTR(buf);
	err = hsm_ioc(fd, CRYPTECH_HSM_IOC_GET_ATTRS, &a);
	hsm_bs(bs, a.board_status);
	*buflen = a.buf_len;
	return err;
}

/*
 * Every name MATCH lists for (@mask, @flags) and the attribute filter,
 * paging @page names at a time. Returns the number found or a negative
 * errno.
 */
static inline int hsm_t_match_all(int fd, uint32_t type, uint32_t mask,
				  uint32_t flags, uint32_t n_attrs,
				  const void *attrs, uint32_t attrs_len,
				  uint32_t page, uint8_t (*out)[16], int max)
{
	struct cryptech_hsm_match a;
	uint8_t buf[64][16];
	int n = 0, err;

	if (page > 64)
		return -EINVAL;
	HSM_INIT(a);
	for (;;) {
		a.size = sizeof(a);
		a.type = type;
		a.mask = mask;
		a.flags = flags;
		a.n_attrs = n_attrs;
		a.attrs_len = attrs_len;
		a.attrs = HSM_PTR(attrs);
		a.count = page;
		a.uuids = HSM_PTR(buf);
		err = hsm_ioc(fd, CRYPTECH_HSM_IOC_MATCH, &a);
		if (err)
			return err;
		for (uint32_t i = 0; i < a.count && n < max; i++)
			memcpy(out[n++], buf[i], 16);
		if (a.count < page || a.state == CRYPTECH_HSM_MATCH_DONE)
			return n;
	}
}

/* ---- boards ------------------------------------------------------------ */

/* Attach tty @i and wait for its /dev/hsmN. */
static inline int hsm_t_attach(int i, struct hsm_board_desc *d)
{
	char path[64], msg[256];
	int err;

	err = hsm_attach(hsm_test_tty(i), d, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "# attach %s: %s (%s)\n", hsm_test_tty(i),
			strerror(-err), msg);
		return err;
	}
	snprintf(path, sizeof(path), "/dev/%s", d->dev_name);
	return hsm_wait_until(hsm_path_exists(path), HSM_WAIT_MS) ? 0 : -ETIMEDOUT;
}

static inline int hsm_t_open_dev(const struct hsm_board_desc *d)
{
	char path[64];

	snprintf(path, sizeof(path), "/dev/%s", d->dev_name);
	return open(path, O_RDWR | O_CLOEXEC);
}

/* Detach every attached board (clean-up after a failed test). */
static inline void hsm_t_detach_all(void)
{
	struct hsm_board_desc *boards;
	size_t n, i;

	if (hsm_list_boards(&boards, &n, NULL, 0))
		return;
	for (i = 0; i < n; i++)
		hsm_detach(boards[i].index, NULL, 0);
	hsm_free_boards(boards);
}

/*
 * Fresh boards have only the wheel user's factory PIN (protocol §7.1): log
 * in with it and set all three PINs, once per board per boot. The marker
 * lives on the guest's tmpfs, so it goes with the boot, as the board state
 * does.
 */
static inline int hsm_t_bringup(int fd, int board)
{
	char marker[64];
	uint32_t bs;
	int err;

	snprintf(marker, sizeof(marker), "/run/hsm-test-pins-board%d", board);
	if (hsm_path_exists(marker))
		return 0;
	err = hsm_t_login(fd, CRYPTECH_HSM_USER_WHEEL, HSM_LAST_GASP_PIN, &bs);
	if (err) {
		fprintf(stderr, "# bring-up: wheel login with the factory PIN: %s (board status %u)\n",
			strerror(-err), bs);
		return err;
	}
	err = hsm_t_set_pin(fd, CRYPTECH_HSM_USER_WHEEL, HSM_WHEEL_PIN, &bs);
	if (!err)
		err = hsm_t_set_pin(fd, CRYPTECH_HSM_USER_SO, HSM_SO_PIN, &bs);
	if (!err)
		err = hsm_t_set_pin(fd, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, &bs);
	if (!err)
		err = hsm_t_logout(fd, &bs);
	if (err) {
		fprintf(stderr, "# bring-up: %s (board status %u)\n", strerror(-err), bs);
		return err;
	}
	close(open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	return 0;
}

/* ---- crypto helpers ---------------------------------------------------- */

/* SHA-256("abc") (protocol §8.3) and its DER DigestInfo. */
static const uint8_t hsm_sha256_abc[32] = {
	0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde,
	0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
	0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
};

static const uint8_t hsm_sha256_prefix[19] = {
	0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
	0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
};

/* DigestInfo(SHA-256, @digest) into @out (51 bytes). */
static inline uint32_t hsm_digest_info(const uint8_t digest[32], uint8_t *out)
{
	memcpy(out, hsm_sha256_prefix, sizeof(hsm_sha256_prefix));
	memcpy(out + sizeof(hsm_sha256_prefix), digest, 32);
	return sizeof(hsm_sha256_prefix) + 32;
}

/* One DER INTEGER from @n big-endian bytes; returns bytes written. */
static inline size_t hsm_der_int(const uint8_t *v, size_t n, uint8_t *out)
{
	size_t o = 0;

	while (n > 1 && !v[0]) {
		v++;
		n--;
	}
	out[o++] = 0x02;
	out[o++] = (uint8_t)(n + (v[0] & 0x80 ? 1 : 0));
	if (v[0] & 0x80)
		out[o++] = 0;
	memcpy(out + o, v, n);
	return o + n;
}

/* ECDSA r || s (as SIGN returns it) to DER Ecdsa-Sig-Value, for OpenSSL. */
static inline size_t hsm_ecdsa_to_der(const uint8_t *rs, size_t len, uint8_t *out)
{
	uint8_t body[160];
	size_t b = 0, o = 0;

	b += hsm_der_int(rs, len / 2, body + b);
	b += hsm_der_int(rs + len / 2, len / 2, body + b);
	out[o++] = 0x30;
	if (b >= 0x80)
		out[o++] = 0x81;
	out[o++] = (uint8_t)b;
	memcpy(out + o, body, b);
	return o + b;
}

static inline int hsm_write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "w");
	size_t w;

	if (!f)
		return -errno;
	w = fwrite(p, 1, n, f);
	if (fclose(f) || w != n)
		return -EIO;
	return 0;
}

static inline long hsm_read_file(const char *path, void *p, size_t max)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -errno;
	n = fread(p, 1, max, f);
	fclose(f);
	return (long)n;
}

#endif /* HSM_IOCTL_H */
