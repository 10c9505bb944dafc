// SPDX-License-Identifier: LGPL-2.1-or-later
/* Random bytes from the board (CRYPTECH_HSM_IOC_RANDOM). */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/cryptech_hsm.h>

#include <hsm/hsm.h>

#include "internal.h"

int hsm_random(struct hsm_session *s, void *buf, size_t len,
	       uint32_t *board_status)
{
	unsigned char *p = buf;
	int fd = hsm_session_fd(s);

	if (board_status)
		*board_status = 0;
	if (fd < 0 || (!buf && len))
		return -EINVAL;

	/* The board answers at most CRYPTECH_HSM_RANDOM_MAX bytes per request. */
	while (len > 0) {
		struct cryptech_hsm_random req;
		size_t chunk = len < CRYPTECH_HSM_RANDOM_MAX ?
			       len : CRYPTECH_HSM_RANDOM_MAX;

		memset(&req, 0, sizeof(req));
		req.size = sizeof(req);
		req.len = (__u32)chunk;
		req.buf = (__u64)(uintptr_t)p;
		if (ioctl(fd, CRYPTECH_HSM_IOC_RANDOM, &req) < 0) {
			int err = -errno;

			if (err == -EINTR)
				continue;	/* nothing consumed: ask again */
			if (board_status)
				*board_status = req.board_status;
			return err;
		}
		/* A reply of zero bytes would loop forever; more than asked
		 * would mean the kernel wrote past our buffer. */
		if (req.len == 0 || req.len > chunk)
			return -EPROTO;
		p += req.len;
		len -= req.len;
	}
	return 0;
}
