// SPDX-License-Identifier: LGPL-2.1-or-later
/* Export and import of wrapped keys (EXPORT, IMPORT; protocol §7.6). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/cryptech_hsm.h>

#include <hsm/hsm.h>

#include "internal.h"

/*
 * The kernel caps the KEK at 1024 bytes and both together below one
 * packet; offering exactly that much makes one request enough.
 */
#define KEK_ROOM	1024u
#define PKCS8_ROOM	(16364u - KEK_ROOM)

int hsm_export_key(struct hsm_session *s, uint32_t handle,
		   uint32_t kekek_handle, unsigned char **pkcs8,
		   size_t *pkcs8_len, unsigned char **kek, size_t *kek_len,
		   uint32_t *board_status)
{
	struct cryptech_hsm_export req;
	unsigned char *p = NULL, *k = NULL;
	int ret;

	if (board_status)
		*board_status = 0;
	if (!pkcs8 || !pkcs8_len || !kek || !kek_len)
		return -EINVAL;
	*pkcs8 = *kek = NULL;
	*pkcs8_len = *kek_len = 0;
	p = malloc(PKCS8_ROOM);
	k = malloc(KEK_ROOM);
	if (!p || !k) {
		ret = -ENOMEM;
		goto fail;
	}
	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.handle = handle;
	req.kekek_handle = kekek_handle;
	req.pkcs8_len = PKCS8_ROOM;
	req.kek_len = KEK_ROOM;
	req.pkcs8 = (__u64)(uintptr_t)p;
	req.kek = (__u64)(uintptr_t)k;
	ret = hsm_session_ioctl(s, CRYPTECH_HSM_IOC_EXPORT, &req);
	if (ret) {
		if (board_status)
			*board_status = req.board_status;
		/* We offered the most the kernel takes: ENOSPC cannot be
		 * cured by asking again. */
		goto fail;
	}
	if (req.pkcs8_len == 0 || req.pkcs8_len > PKCS8_ROOM ||
	    req.kek_len == 0 || req.kek_len > KEK_ROOM) {
		ret = -EPROTO;
		goto fail;
	}
	*pkcs8 = p;
	*pkcs8_len = req.pkcs8_len;
	*kek = k;
	*kek_len = req.kek_len;
	return 0;
fail:
	free(p);
	free(k);
	return ret;
}

int hsm_import_key(struct hsm_session *s, uint32_t kekek_handle,
		   const void *pkcs8, size_t pkcs8_len, const void *kek,
		   size_t kek_len, uint32_t flags, uint32_t *handle,
		   uint8_t uuid[HSM_UUID_LEN], uint32_t *board_status)
{
	struct cryptech_hsm_import req;
	int ret;

	if (board_status)
		*board_status = 0;
	if (!pkcs8 || !kek || !handle || pkcs8_len == 0 ||
	    pkcs8_len > CRYPTECH_HSM_BLOB_MAX || kek_len == 0 ||
	    kek_len > CRYPTECH_HSM_BLOB_MAX || flags & ~HSM_KEY_F_ALL)
		return -EINVAL;
	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.kekek_handle = kekek_handle;
	req.flags = flags;
	req.pkcs8_len = (__u32)pkcs8_len;
	req.kek_len = (__u32)kek_len;
	req.pkcs8 = (__u64)(uintptr_t)pkcs8;
	req.kek = (__u64)(uintptr_t)kek;
	ret = hsm_session_ioctl(s, CRYPTECH_HSM_IOC_IMPORT, &req);
	if (ret) {
		if (board_status)
			*board_status = req.board_status;
		return ret;
	}
	if (req.handle == 0)
		return -EPROTO;
	*handle = req.handle;
	if (uuid)
		memcpy(uuid, req.uuid, HSM_UUID_LEN);
	return 0;
}
