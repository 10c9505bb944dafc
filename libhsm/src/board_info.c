// SPDX-License-Identifier: LGPL-2.1-or-later
/* The board behind a session (CRYPTECH_HSM_IOC_BOARD_INFO). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/cryptech_hsm.h>

#include <hsm/hsm.h>

#include "internal.h"

int hsm_board_info(struct hsm_session *s, struct hsm_board_info *out)
{
	struct cryptech_hsm_board_info info;
	int fd = hsm_session_fd(s);

	if (fd < 0 || !out)
		return -EINVAL;
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	if (ioctl(fd, CRYPTECH_HSM_IOC_BOARD_INFO, &info) < 0)
		return -errno;

	memset(out, 0, sizeof(*out));
	out->index = info.index;
	out->protocol_version = info.protocol_version;
	snprintf(out->dev_name, sizeof(out->dev_name), "hsm%u", info.index);
	/* The kernel promises a NUL; do not rely on it. */
	hsm_copy_str(out->tty_name, sizeof(out->tty_name), info.tty_name,
		     sizeof(info.tty_name));
	/*
	 * A kernel older than the identity fills only the first 80 bytes
	 * and leaves the rest as we sent it: zero, so board_id is "".
	 */
	hsm_copy_str(out->board_id, sizeof(out->board_id), info.board_id,
		     sizeof(info.board_id));
	out->board_id_kind = out->board_id[0] ? info.board_id_kind : 0;
	/* Older kernels return the former reserved field as sent: zero. */
	out->kernel_user = info.kernel_user <= HSM_USER_WHEEL ?
			   info.kernel_user : HSM_USER_NONE;
	return 0;
}
