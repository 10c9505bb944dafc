// SPDX-License-Identifier: GPL-2.0
/*
 * cryptech_hsm: module parameters, initialisation and exit.
 *
 * Init registers, in order: the board registry, the char device region and
 * class, the netlink family, the ECDSA algorithms' workqueue (akcipher.c;
 * the algorithms themselves come with the first board), the keyring's
 * asymmetric key parser (keyring.c; its keys hold module references, so
 * exit runs only once none is left), then the line
 * discipline (the way in for new boards). Exit undoes that in reverse; the
 * line discipline holds a module reference while attached and every open
 * file holds one too, so no board is live when exit runs. Work still queued
 * then (session clean-up, closing a tty after a hangup) is flushed by
 * destroying the workqueues.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/tty.h>

#include "hsm.h"

int hsm_ldisc_num = N_DEVELOPMENT;
module_param_named(ldisc, hsm_ldisc_num, int, 0444);
MODULE_PARM_DESC(ldisc, "Line discipline number (default N_DEVELOPMENT, 29)");

/*
 * Every parameter writable at run time is bounded: a write outside its range
 * fails with EINVAL and leaves the value unchanged. The bounds keep the
 * arithmetic on them (msecs_to_jiffies(), the attach wait of twice the
 * handshake timeout plus a second) far from overflow.
 */
#define HSM_PARAM_UINT_RANGE(name, min, max)				\
static int hsm_param_set_##name(const char *val,			\
				const struct kernel_param *kp)		\
{									\
	return param_set_uint_minmax(val, kp, min, max);		\
}									\
static const struct kernel_param_ops hsm_param_ops_##name = {		\
	.set = hsm_param_set_##name,					\
	.get = param_get_uint,						\
}

HSM_PARAM_UINT_RANGE(handshake, 1, HSM_HANDSHAKE_TIMEOUT_MAX_MS);
HSM_PARAM_UINT_RANGE(op, 1, HSM_OP_TIMEOUT_MAX_MS);
HSM_PARAM_UINT_RANGE(in_flight, 1, HSM_MAX_IN_FLIGHT_MAX);
HSM_PARAM_UINT_RANGE(keys, 1, HSM_MAX_KEYS_PER_SESSION_MAX);

unsigned int hsm_handshake_timeout_ms = 2000;
module_param_cb(handshake_timeout_ms, &hsm_param_ops_handshake,
		&hsm_handshake_timeout_ms, 0644);
MODULE_PARM_DESC(handshake_timeout_ms,
		 "Time the board has to answer the attach handshake (ms, 1..60000)");

unsigned int hsm_op_timeout_ms = 30000;
module_param_cb(op_timeout_ms, &hsm_param_ops_op, &hsm_op_timeout_ms, 0644);
MODULE_PARM_DESC(op_timeout_ms,
		 "Time the board has to answer a short operation (ms, 1..3600000)");

unsigned int hsm_keygen_timeout_ms = 600000;
module_param_cb(keygen_timeout_ms, &hsm_param_ops_op, &hsm_keygen_timeout_ms,
		0644);
MODULE_PARM_DESC(keygen_timeout_ms,
		 "Time the board has to generate an RSA key (ms, 1..3600000); minutes on real boards");

unsigned int hsm_detach_timeout_ms = 5000;
module_param_cb(detach_timeout_ms, &hsm_param_ops_handshake,
		&hsm_detach_timeout_ms, 0644);
MODULE_PARM_DESC(detach_timeout_ms,
		 "Longest a netlink DETACH waits for requests in flight and closes open sessions' keys and logins (ms, 1..60000)");

unsigned int hsm_max_in_flight = 16;
module_param_cb(max_in_flight, &hsm_param_ops_in_flight, &hsm_max_in_flight,
		0644);
MODULE_PARM_DESC(max_in_flight,
		 "Requests a board may have outstanding at once, over all sessions (1..1024)");

unsigned int hsm_max_keys_per_session = 128;
module_param_cb(max_keys_per_session, &hsm_param_ops_keys,
		&hsm_max_keys_per_session, 0644);
MODULE_PARM_DESC(max_keys_per_session,
		 "Key handles one open file may hold (1..256; the board has 256 in all)");

struct workqueue_struct *hsm_wq;
struct workqueue_struct *hsm_tx_wq;

static int __init hsm_init(void)
{
	int err;

	hsm_wq = alloc_workqueue("cryptech_hsm", WQ_UNBOUND, 0);
	if (!hsm_wq)
		return -ENOMEM;
	/* Writing to the line must never wait behind work that waits on it. */
	hsm_tx_wq = alloc_workqueue("cryptech_hsm_tx", WQ_UNBOUND | WQ_HIGHPRI, 0);
	if (!hsm_tx_wq) {
		destroy_workqueue(hsm_wq);
		return -ENOMEM;
	}

	err = hsm_boards_init();
	if (err)
		goto err_wq;
	err = hsm_chardev_init();
	if (err)
		goto err_boards;
	err = hsm_netlink_init();
	if (err)
		goto err_chardev;
	err = hsm_akcipher_init();
	if (err)
		goto err_netlink;
	err = hsm_keyring_init();
	if (err)
		goto err_akcipher;
	hsm_test_hooks_init();
	err = hsm_ldisc_register();
	if (err)
		goto err_hooks;
	return 0;

err_hooks:
	hsm_test_hooks_exit();
	hsm_keyring_exit();
err_akcipher:
	hsm_akcipher_exit();
err_netlink:
	hsm_netlink_exit();
err_chardev:
	hsm_chardev_exit();
err_boards:
	hsm_boards_exit();
err_wq:
	destroy_workqueue(hsm_tx_wq);
	destroy_workqueue(hsm_wq);
	return err;
}

static void __exit hsm_exit(void)
{
	hsm_ldisc_unregister();
	hsm_test_hooks_exit();
	hsm_keyring_exit();
	hsm_akcipher_exit();
	hsm_netlink_exit();
	destroy_workqueue(hsm_wq);
	destroy_workqueue(hsm_tx_wq);
	hsm_chardev_exit();
	hsm_boards_exit();
}

module_init(hsm_init);
module_exit(hsm_exit);

MODULE_DESCRIPTION("CrypTech Alpha HSM over a serial line");
MODULE_LICENSE("GPL");
MODULE_ALIAS_LDISC(N_DEVELOPMENT);
