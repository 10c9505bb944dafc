// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/hsmN: the device node's life and its file operations; the ioctls
 * are in ioctl.c.
 *
 * Locking: none of its own. Each file holds a board reference for its life;
 * the board's state is checked by the RPC layer under board->lock.
 */
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/module.h>

#include "hsm.h"

static dev_t hsm_devt;
static struct class *hsm_class;

/**
 * hsm_open() - open /dev/hsmN: start a session
 * @inode:	the device node
 * @file:	the new file
 *
 * Return: 0, -ENODEV once the board is gone, -ENOMEM.
 */
static int hsm_open(struct inode *inode, struct file *file)
{
	struct hsm_board *b = container_of(inode->i_cdev, struct hsm_board,
					   cdev);
	struct hsm_session *s;

	if (!hsm_board_alive(b))
		return -ENODEV;
	s = hsm_session_open(b);
	if (!s)
		return -ENOMEM;
	/* Open files only: not the driver's own sessions (hwrng.c). */
	atomic_inc(&b->stats.sessions);
	file->private_data = s;
	return 0;
}

/**
 * hsm_release() - last close of a file: end its session
 * @inode:	the device node
 * @file:	the file
 *
 * Return: 0; the board-side clean-up continues in the background.
 */
static int hsm_release(struct inode *inode, struct file *file)
{
	struct hsm_session *s = file->private_data;

	/* The board's side of the session is closed in the background. */
	atomic_dec(&s->board->stats.sessions);
	hsm_session_close(s);
	return 0;
}

static const struct file_operations hsm_fops = {
	.owner		= THIS_MODULE,
	.open		= hsm_open,
	.release	= hsm_release,
	.unlocked_ioctl	= hsm_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/**
 * hsm_chardev_add() - create /dev/hsmN for a board
 * @b: board, handshake done
 *
 * Return: 0 or a negative errno.
 */
int hsm_chardev_add(struct hsm_board *b)
{
	cdev_init(&b->cdev, &hsm_fops);
	b->cdev.owner = THIS_MODULE;
	b->dev.devt = MKDEV(MAJOR(hsm_devt), b->index);
	b->dev.class = hsm_class;
	return cdev_device_add(&b->cdev, &b->dev);
}

/**
 * hsm_chardev_del() - remove /dev/hsmN; open files stay valid
 * @b: board
 */
void hsm_chardev_del(struct hsm_board *b)
{
	cdev_device_del(&b->cdev, &b->dev);
}

int hsm_chardev_init(void)
{
	int err;

	err = alloc_chrdev_region(&hsm_devt, 0, HSM_MAX_BOARDS, "hsm");
	if (err)
		return err;
	hsm_class = class_create(THIS_MODULE, "cryptech_hsm");
	if (IS_ERR(hsm_class)) {
		unregister_chrdev_region(hsm_devt, HSM_MAX_BOARDS);
		return PTR_ERR(hsm_class);
	}
	return 0;
}

void hsm_chardev_exit(void)
{
	class_destroy(hsm_class);
	unregister_chrdev_region(hsm_devt, HSM_MAX_BOARDS);
}
