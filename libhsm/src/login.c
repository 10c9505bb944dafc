// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Users and PINs: LOGIN, LOGOUT, SET_PIN, LOGIN_STATUS, and the kernel
 * session's KERNEL_LOGIN, KERNEL_LOGOUT.
 */
#include <errno.h>
#include <string.h>

#include <linux/cryptech_hsm.h>

#include <hsm/hsm.h>

#include "internal.h"

_Static_assert(HSM_USER_WHEEL == CRYPTECH_HSM_USER_WHEEL &&
	       HSM_USER_SO == CRYPTECH_HSM_USER_SO &&
	       HSM_USER_NORMAL == CRYPTECH_HSM_USER_NORMAL &&
	       HSM_PIN_MAX == CRYPTECH_HSM_PIN_MAX &&
	       HSM_PIN_MIN == CRYPTECH_HSM_PIN_MIN, "users and PINs match the ABI");

static void set_status(uint32_t *board_status, uint32_t v)
{
	if (board_status)
		*board_status = v;
}

static int pin_op(struct hsm_session *s, unsigned long cmd, uint32_t user,
		  const void *pin, size_t pin_len, uint32_t *board_status)
{
	struct cryptech_hsm_pin req;
	int ret;

	set_status(board_status, 0);
	if (!pin || pin_len < HSM_PIN_MIN || pin_len > HSM_PIN_MAX ||
	    user < HSM_USER_NORMAL || user > HSM_USER_WHEEL)
		return -EINVAL;
	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.user = user;
	req.pin_len = (__u32)pin_len;
	req.pin = (__u64)(uintptr_t)pin;
	ret = hsm_session_ioctl(s, cmd, &req);
	if (ret)
		set_status(board_status, req.board_status);
	return ret;
}

int hsm_login(struct hsm_session *s, uint32_t user, const void *pin,
	      size_t pin_len, uint32_t *board_status)
{
	return pin_op(s, CRYPTECH_HSM_IOC_LOGIN, user, pin, pin_len,
		      board_status);
}

int hsm_set_pin(struct hsm_session *s, uint32_t user, const void *pin,
		size_t pin_len, uint32_t *board_status)
{
	return pin_op(s, CRYPTECH_HSM_IOC_SET_PIN, user, pin, pin_len,
		      board_status);
}

int hsm_kernel_login(struct hsm_session *s, uint32_t user, const void *pin,
		     size_t pin_len, uint32_t *board_status)
{
	return pin_op(s, CRYPTECH_HSM_IOC_KERNEL_LOGIN, user, pin, pin_len,
		      board_status);
}

static int status_op(struct hsm_session *s, unsigned long cmd,
		     uint32_t *board_status)
{
	struct cryptech_hsm_status req;
	int ret;

	set_status(board_status, 0);
	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	ret = hsm_session_ioctl(s, cmd, &req);
	if (ret)
		set_status(board_status, req.board_status);
	return ret;
}

int hsm_logout(struct hsm_session *s, uint32_t *board_status)
{
	return status_op(s, CRYPTECH_HSM_IOC_LOGOUT, board_status);
}

int hsm_kernel_logout(struct hsm_session *s, uint32_t *board_status)
{
	return status_op(s, CRYPTECH_HSM_IOC_KERNEL_LOGOUT, board_status);
}

int hsm_login_status(struct hsm_session *s, uint32_t *user,
		     uint32_t *board_status)
{
	struct cryptech_hsm_login_status req;
	int ret;

	set_status(board_status, 0);
	if (!user)
		return -EINVAL;
	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	ret = hsm_session_ioctl(s, CRYPTECH_HSM_IOC_LOGIN_STATUS, &req);
	if (ret) {
		set_status(board_status, req.board_status);
		return ret;
	}
	if (req.user > HSM_USER_WHEEL)
		return -EPROTO;
	*user = req.user;
	return 0;
}

static const char *const user_names[] = {
	[HSM_USER_NONE] = "none",
	[HSM_USER_NORMAL] = "user",
	[HSM_USER_SO] = "so",
	[HSM_USER_WHEEL] = "wheel",
};

const char *hsm_user_name(uint32_t user)
{
	return user <= HSM_USER_WHEEL ? user_names[user] : "unknown";
}

int hsm_user_parse(const char *name, uint32_t *user)
{
	uint32_t u;

	if (!name || !user)
		return -EINVAL;
	for (u = HSM_USER_NORMAL; u <= HSM_USER_WHEEL; u++) {
		if (strcmp(name, user_names[u]) == 0) {
			*user = u;
			return 0;
		}
	}
	return -EINVAL;
}
