// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Keys: GENERATE, LOAD, OPEN, CLOSE, DELETE, KEY_INFO, PUBLIC_KEY, SIGN and
 * VERIFY. Each function fills one request struct; lengths the kernel
 * reports back are checked against what we gave it before they are used.
 *
 * Interrupted requests are not repeated here (unlike hsm_random()): the
 * kernel's waits are killable only, and a request that may have reached the
 * board (a key generation, say) must not be sent twice.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/cryptech_hsm.h>

#include <hsm/hsm.h>

#include "internal.h"

_Static_assert(HSM_KEY_F_ALL == CRYPTECH_HSM_KEY_F_ALL &&
	       HSM_KEY_F_TOKEN == CRYPTECH_HSM_KEY_F_TOKEN &&
	       HSM_KEY_F_EXPORTABLE == CRYPTECH_HSM_KEY_F_EXPORTABLE &&
	       HSM_KEY_EC_PRIVATE == CRYPTECH_HSM_KEY_EC_PRIVATE &&
	       HSM_CURVE_P521 == CRYPTECH_HSM_CURVE_P521 &&
	       HSM_UUID_LEN == CRYPTECH_HSM_UUID_LEN, "names match the ABI");

#define PTR(p) ((__u64)(uintptr_t)(p))
#define INIT(r) do { memset(&(r), 0, sizeof(r)); (r).size = sizeof(r); } while (0)

static void set_status(uint32_t *board_status, uint32_t v)
{
	if (board_status)
		*board_status = v;
}

/* Run one request; on failure report the board's status. */
#define CALL(s, cmd, req, board_status) ({				\
	int __ret = hsm_session_ioctl((s), (cmd), &(req));		\
	if (__ret)							\
		set_status((board_status), (req).board_status);		\
	__ret;								\
})

/* A new key's handle and name, as GENERATE, LOAD and IMPORT report them. */
static int new_key(uint32_t kh, const uint8_t *kuuid, uint32_t *handle,
		   uint8_t *uuid)
{
	if (kh == 0)
		return -EPROTO;	/* handles start at 1 */
	*handle = kh;
	if (uuid)
		memcpy(uuid, kuuid, HSM_UUID_LEN);
	return 0;
}

static int generate(struct hsm_session *s, struct cryptech_hsm_generate *req,
		    uint32_t *handle, uint8_t *uuid, uint32_t *board_status)
{
	int ret;

	set_status(board_status, 0);
	if (!handle || req->flags & ~HSM_KEY_F_ALL)
		return -EINVAL;
	ret = CALL(s, CRYPTECH_HSM_IOC_GENERATE, *req, board_status);
	return ret ? ret : new_key(req->handle, req->uuid, handle, uuid);
}

int hsm_generate_rsa(struct hsm_session *s, unsigned int bits,
		     uint32_t exponent, uint32_t flags, uint32_t *handle,
		     uint8_t uuid[HSM_UUID_LEN], uint32_t *board_status)
{
	struct cryptech_hsm_generate req;

	INIT(req);
	req.alg = CRYPTECH_HSM_ALG_RSA;
	req.flags = flags;
	req.rsa_bits = bits;
	req.rsa_exponent = exponent;
	return generate(s, &req, handle, uuid, board_status);
}

int hsm_generate_ec(struct hsm_session *s, uint32_t curve, uint32_t flags,
		    uint32_t *handle, uint8_t uuid[HSM_UUID_LEN],
		    uint32_t *board_status)
{
	struct cryptech_hsm_generate req;

	INIT(req);
	req.alg = CRYPTECH_HSM_ALG_EC;
	req.flags = flags;
	req.curve = curve;
	return generate(s, &req, handle, uuid, board_status);
}

int hsm_load_der(struct hsm_session *s, const void *der, size_t der_len,
		 uint32_t flags, uint32_t *handle, uint8_t uuid[HSM_UUID_LEN],
		 uint32_t *board_status)
{
	struct cryptech_hsm_load req;
	int ret;

	set_status(board_status, 0);
	if (!der || !handle || der_len == 0 || der_len > CRYPTECH_HSM_BLOB_MAX ||
	    flags & ~HSM_KEY_F_ALL)
		return -EINVAL;
	INIT(req);
	req.flags = flags;
	req.der_len = (__u32)der_len;
	req.der = PTR(der);
	ret = CALL(s, CRYPTECH_HSM_IOC_LOAD, req, board_status);
	return ret ? ret : new_key(req.handle, req.uuid, handle, uuid);
}

int hsm_open_key(struct hsm_session *s, const uint8_t uuid[HSM_UUID_LEN],
		 uint32_t *handle, uint32_t *board_status)
{
	struct cryptech_hsm_open req;
	int ret;

	set_status(board_status, 0);
	if (!uuid || !handle)
		return -EINVAL;
	INIT(req);
	memcpy(req.uuid, uuid, HSM_UUID_LEN);
	ret = CALL(s, CRYPTECH_HSM_IOC_OPEN, req, board_status);
	return ret ? ret : new_key(req.handle, req.uuid, handle, NULL);
}

static int key_op(struct hsm_session *s, unsigned long cmd, uint32_t handle,
		  uint32_t *board_status)
{
	struct cryptech_hsm_key req;

	set_status(board_status, 0);
	INIT(req);
	req.handle = handle;
	return CALL(s, cmd, req, board_status);
}

int hsm_close_key(struct hsm_session *s, uint32_t handle,
		  uint32_t *board_status)
{
	return key_op(s, CRYPTECH_HSM_IOC_CLOSE, handle, board_status);
}

int hsm_delete_key(struct hsm_session *s, uint32_t handle,
		   uint32_t *board_status)
{
	return key_op(s, CRYPTECH_HSM_IOC_DELETE, handle, board_status);
}

int hsm_key_info(struct hsm_session *s, uint32_t handle,
		 struct hsm_key_info *out, uint32_t *board_status)
{
	struct cryptech_hsm_key_info req;
	int ret;

	set_status(board_status, 0);
	if (!out)
		return -EINVAL;
	INIT(req);
	req.handle = handle;
	ret = CALL(s, CRYPTECH_HSM_IOC_KEY_INFO, req, board_status);
	if (ret)
		return ret;
	memset(out, 0, sizeof(*out));
	out->type = req.type;
	out->curve = req.curve;
	out->flags = req.flags;
	memcpy(out->uuid, req.uuid, HSM_UUID_LEN);
	return 0;
}

/* The ABI's lengths are 32-bit: larger buffers are offered as this much. */
static __u32 room32(size_t len)
{
	return len > 0xffffffffu ? 0xffffffffu : (__u32)len;
}

int hsm_public_key(struct hsm_session *s, uint32_t handle, void *buf,
		   size_t *len, uint32_t *board_status)
{
	struct cryptech_hsm_public_key req;
	__u32 room;
	int ret;

	set_status(board_status, 0);
	if (!len || (!buf && *len))
		return -EINVAL;
	room = room32(*len);
	INIT(req);
	req.handle = handle;
	req.der_len = room;
	req.der = PTR(buf);
	ret = CALL(s, CRYPTECH_HSM_IOC_PUBLIC_KEY, req, board_status);
	if (ret == -ENOSPC) {
		/* The size needed must be more than we had, or it would
		 * have fitted: anything else would loop the caller. */
		if (req.der_len <= room)
			return -EPROTO;
		*len = req.der_len;
		return ret;
	}
	if (ret)
		return ret;
	if (req.der_len == 0 || req.der_len > room)
		return -EPROTO;
	*len = req.der_len;
	return 0;
}

int hsm_public_key_alloc(struct hsm_session *s, uint32_t handle,
			 unsigned char **out, size_t *len,
			 uint32_t *board_status)
{
	/* Enough for any RSA-4096 or EC key: usually one request. */
	size_t room = 1024, n;
	unsigned char *buf;
	int ret, tries;

	set_status(board_status, 0);
	if (!out || !len)
		return -EINVAL;
	*out = NULL;
	*len = 0;
	/* The key cannot change, but its size is the kernel's word: retry a
	 * bounded number of times rather than trust it to converge. */
	for (tries = 0; tries < 3; tries++) {
		buf = malloc(room);
		if (!buf)
			return -ENOMEM;
		n = room;
		ret = hsm_public_key(s, handle, buf, &n, board_status);
		if (ret == 0) {
			*out = buf;
			*len = n;
			return 0;
		}
		free(buf);
		if (ret != -ENOSPC)
			return ret;
		if (n > CRYPTECH_HSM_BLOB_MAX)
			return -EPROTO;
		room = n;
	}
	return -EPROTO;
}

int hsm_sign(struct hsm_session *s, uint32_t handle, const void *in,
	     size_t in_len, void *sig, size_t *sig_len,
	     uint32_t *board_status)
{
	struct cryptech_hsm_sign req;
	__u32 room;
	int ret;

	set_status(board_status, 0);
	if (!in || !sig_len || (!sig && *sig_len) || in_len == 0 ||
	    in_len > CRYPTECH_HSM_BLOB_MAX)
		return -EINVAL;
	room = room32(*sig_len);
	INIT(req);
	req.handle = handle;
	req.input_len = (__u32)in_len;
	req.input = PTR(in);
	req.sig_len = room;
	req.sig = PTR(sig);
	ret = CALL(s, CRYPTECH_HSM_IOC_SIGN, req, board_status);
	/* The board's "keystore full" (41) is ENOSPC too: it has a status,
	 * a short buffer has none. */
	if (ret == -ENOSPC && req.board_status != 0)
		return ret;
	if (ret == -ENOSPC) {
		if (req.sig_len <= room)
			return -EPROTO;
		*sig_len = req.sig_len;
		return ret;
	}
	if (ret)
		return ret;
	if (req.sig_len == 0 || req.sig_len > room)
		return -EPROTO;
	*sig_len = req.sig_len;
	return 0;
}

int hsm_verify(struct hsm_session *s, uint32_t handle, const void *in,
	       size_t in_len, const void *sig, size_t sig_len,
	       uint32_t *board_status)
{
	struct cryptech_hsm_sign req;

	set_status(board_status, 0);
	if (!in || !sig || in_len == 0 || in_len > CRYPTECH_HSM_BLOB_MAX ||
	    sig_len == 0 || sig_len > CRYPTECH_HSM_BLOB_MAX)
		return -EINVAL;
	INIT(req);
	req.handle = handle;
	req.input_len = (__u32)in_len;
	req.input = PTR(in);
	req.sig_len = (__u32)sig_len;
	req.sig = PTR(sig);
	return CALL(s, CRYPTECH_HSM_IOC_VERIFY, req, board_status);
}
