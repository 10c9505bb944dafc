// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel session: one session per board (a board client handle of the
 * driver's own) shared by every in-kernel user of the board: the hwrng
 * (hwrng.c) and, later, the akcipher algorithms and the key type. It exists
 * from the moment the board becomes READY until its teardown, independent
 * of any process. An administrator logs it in with the KERNEL_LOGIN ioctl
 * (hsmctl kernel-login, CAP_SYS_ADMIN) and out with KERNEL_LOGOUT; the
 * login then lasts until KERNEL_LOGOUT, a DETACH or the board's teardown,
 * whichever comes first. While logged in it holds one of the board's login
 * slots (10 per board).
 *
 * A login or logout that changes whether the session is logged in tells
 * akcipher.c (hsm_akcipher_login_changed(), no lock held), which registers
 * the RSA algorithms while at least one board's kernel session is logged
 * in.
 *
 * Operations with public keys and GET_RANDOM need no login. Private-key
 * operations of in-kernel users go through hsm_ksession_get() with
 * @private_key set, which refuses them with -EACCES and a rate-limited log
 * line naming "hsmctl kernel-login" while the session is not logged in.
 *
 * Locking: board->ksession_rwsem protects board->ksession (the pointer).
 * Users of the session hold it for reading for the whole operation, so the
 * session cannot be freed under them; hsm_ksession_start() and
 * hsm_ksession_stop() take it for writing, under board->state_mutex.
 * Teardown marks the board GONE before it stops the session, so readers'
 * requests fail at once and the writer never waits for the board. A reader
 * must not take it twice (a waiting writer would block the second read).
 * Lock order: state_mutex, then ksession_rwsem, then the session's lock.
 * The login state itself (session->user) is written under the session's
 * lock and read with READ_ONCE().
 */
#include "hsm.h"

/**
 * hsm_ksession_start() - create the board's kernel session
 * @b: board, just READY; the caller holds b->state_mutex
 *
 * Nothing is sent to the board until the session's first request. Without
 * memory the board works without a kernel session (no hwrng, in-kernel
 * users get -ENODEV): a failure is logged, not returned.
 */
void hsm_ksession_start(struct hsm_board *b)
{
	struct hsm_session *s;

	lockdep_assert_held(&b->state_mutex);
	s = hsm_session_open(b);
	if (!s) {
		dev_warn(&b->dev, "no kernel session: out of memory\n");
		return;
	}
	down_write(&b->ksession_rwsem);
	b->ksession = s;
	up_write(&b->ksession_rwsem);
}

/**
 * hsm_ksession_stop() - end the board's kernel session, and its login
 * @b: board, GONE; the caller holds b->state_mutex, and the hwrng, which
 *     uses the session, is already unregistered
 *
 * Waits for in-kernel users of the session, whose requests fail now; the
 * session's clean-up (hsm_session_close()) does not wait for the board.
 */
void hsm_ksession_stop(struct hsm_board *b)
{
	struct hsm_session *s;

	lockdep_assert_held(&b->state_mutex);
	down_write(&b->ksession_rwsem);
	s = b->ksession;
	b->ksession = NULL;
	up_write(&b->ksession_rwsem);
	if (s)
		hsm_session_close(s);
}

/**
 * hsm_ksession_get() - the board's kernel session, for an in-kernel user
 * @b:			board, referenced by the caller
 * @private_key:	the operation uses a private key, which needs the
 *			kernel login; false for public-key operations and
 *			GET_RANDOM
 *
 * The helper every in-kernel user calls before a board operation. On
 * success the caller uses the session's operations (hsm_key_*(),
 * hsm_session_random()) and then calls hsm_ksession_put(); it must not call
 * hsm_ksession_get() again before that. May sleep.
 *
 * Return: the session, or ERR_PTR(-ENODEV) when the board is gone (or has
 * no kernel session), or ERR_PTR(-EACCES) when @private_key is set and the
 * kernel session is not logged in; the latter also logs, rate-limited,
 * that an administrator must run "hsmctl kernel-login".
 */
struct hsm_session *hsm_ksession_get(struct hsm_board *b, bool private_key)
{
	struct hsm_session *s;

	down_read(&b->ksession_rwsem);
	s = b->ksession;
	if (!s || !hsm_board_alive(b)) {
		up_read(&b->ksession_rwsem);
		return ERR_PTR(-ENODEV);
	}
	if (private_key && READ_ONCE(s->user) == HAL_USER_NONE) {
		up_read(&b->ksession_rwsem);
		dev_warn_ratelimited(&b->dev,
				     "private-key operation refused: the kernel session is not logged in (run \"hsmctl kernel-login\")\n");
		return ERR_PTR(-EACCES);
	}
	return s;
}

/**
 * hsm_ksession_put() - end a use of the kernel session
 * @b: board whose hsm_ksession_get() succeeded
 */
void hsm_ksession_put(struct hsm_board *b)
{
	up_read(&b->ksession_rwsem);
}

/**
 * hsm_ksession_user() - who the kernel session is logged in as
 * @b: board
 *
 * Return: HAL_USER_NONE (also when the board has no kernel session) or the
 * user of the kernel session's last successful login.
 */
u32 hsm_ksession_user(struct hsm_board *b)
{
	u32 user = HAL_USER_NONE;

	down_read(&b->ksession_rwsem);
	if (b->ksession && hsm_board_alive(b))
		user = READ_ONCE(b->ksession->user);
	up_read(&b->ksession_rwsem);
	return user;
}

/**
 * hsm_ksession_login() - log the kernel session in (KERNEL_LOGIN)
 * @b:			board
 * @user:		HAL_USER_NORMAL, _SO or _WHEEL
 * @pin:		the PIN; the caller wipes its copy (the request buffer
 *			is wiped by hsm_session_login())
 * @pin_len:		CRYPTECH_HSM_PIN_MIN..CRYPTECH_HSM_PIN_MAX
 * @board_status:	out: the board's status word
 *
 * The caller must have checked CAP_SYS_ADMIN. A wrong PIN leaves the
 * session as it was.
 *
 * Return: 0, -ENODEV, -EINVAL, or a request error (a wrong PIN is -EACCES,
 * no free login slot on the board -EUSERS).
 */
int hsm_ksession_login(struct hsm_board *b, u32 user, const u8 *pin,
		       u32 pin_len, u32 *board_status)
{
	struct hsm_session *s;
	int err;

	*board_status = HAL_OK;
	s = hsm_ksession_get(b, false);
	if (IS_ERR(s))
		return PTR_ERR(s);
	err = hsm_session_login(s, user, pin, pin_len, board_status);
	hsm_ksession_put(b);
	if (!err) {
		dev_info(&b->dev, "kernel session logged in as user %u\n",
			 user);
		hsm_netlink_event(b, CRYPTECH_HSM_EVENT_KERNEL_SESSION);
		hsm_akcipher_login_changed(b);
	}
	return err;
}

/**
 * hsm_ksession_logout() - log the kernel session out (KERNEL_LOGOUT)
 * @b:			board
 * @board_status:	out: the board's status word
 *
 * The caller must have checked CAP_SYS_ADMIN. Logging out a session that
 * is not logged in succeeds.
 *
 * Return: 0, -ENODEV, or a request error.
 */
int hsm_ksession_logout(struct hsm_board *b, u32 *board_status)
{
	struct hsm_session *s;
	bool was;
	int err;

	*board_status = HAL_OK;
	s = hsm_ksession_get(b, false);
	if (IS_ERR(s))
		return PTR_ERR(s);
	was = READ_ONCE(s->user) != HAL_USER_NONE;
	err = hsm_session_logout(s, board_status);
	hsm_ksession_put(b);
	if (!err && was) {
		dev_info(&b->dev, "kernel session logged out\n");
		hsm_netlink_event(b, CRYPTECH_HSM_EVENT_KERNEL_SESSION);
		hsm_akcipher_login_changed(b);
	}
	return err;
}
