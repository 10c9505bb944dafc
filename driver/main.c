// SPDX-License-Identifier: GPL-2.0
/*
 * cryptech_hsm: module parameters, initialisation and exit.
 *
 * Init registers, in order: the board registry, the char device region and
 * class, the netlink family, then the line discipline (the way in for new
 * boards). Exit undoes that in reverse; the line discipline holds a module
 * reference while attached and every open file holds one too, so no board is
 * live when exit runs. Work still queued then (session clean-up, closing a
 * tty after a hangup) is flushed by destroying the workqueues.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/tty.h>

#include "hsm.h"

int hsm_ldisc_num = N_DEVELOPMENT;
module_param_named(ldisc, hsm_ldisc_num, int, 0444);
MODULE_PARM_DESC(ldisc, "Line discipline number (default N_DEVELOPMENT, 29)");

unsigned int hsm_handshake_timeout_ms = 2000;
module_param_named(handshake_timeout_ms, hsm_handshake_timeout_ms, uint, 0644);
MODULE_PARM_DESC(handshake_timeout_ms,
		 "Time the board has to answer the attach handshake (ms)");

unsigned int hsm_op_timeout_ms = 30000;
module_param_named(op_timeout_ms, hsm_op_timeout_ms, uint, 0644);
MODULE_PARM_DESC(op_timeout_ms,
		 "Time the board has to answer a short operation (ms)");

unsigned int hsm_keygen_timeout_ms = 600000;
module_param_named(keygen_timeout_ms, hsm_keygen_timeout_ms, uint, 0644);
MODULE_PARM_DESC(keygen_timeout_ms,
		 "Time the board has to generate an RSA key (ms); minutes on real boards");

unsigned int hsm_max_in_flight = 16;
module_param_named(max_in_flight, hsm_max_in_flight, uint, 0644);
MODULE_PARM_DESC(max_in_flight,
		 "Requests a board may have outstanding at once, over all sessions");

unsigned int hsm_max_keys_per_session = 128;
module_param_named(max_keys_per_session, hsm_max_keys_per_session, uint, 0644);
MODULE_PARM_DESC(max_keys_per_session,
		 "Key handles one open file may hold (the board has 256 in all)");

struct workqueue_struct *hsm_wq;
struct workqueue_struct *hsm_tx_wq;

static int __init hsm_init(void)
{
	int err;

	if (!hsm_handshake_timeout_ms || !hsm_op_timeout_ms ||
	    !hsm_keygen_timeout_ms || !hsm_max_in_flight ||
	    !hsm_max_keys_per_session)
		return -EINVAL;

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
	err = hsm_ldisc_register();
	if (err)
		goto err_netlink;
	return 0;

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
