// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/hsmN: file operations and the ioctl ABI.
 *
 * ABI rules (uapi/linux/cryptech_hsm.h): every argument struct starts with
 * its size; commands are matched on type and number only; unknown trailing
 * bytes must be zero (E2BIG); reserved fields must be zero (EINVAL); unknown
 * commands are ENOTTY; a file whose board is gone gets ENODEV.
 *
 * Locking: none of its own. Each file holds a board reference for its life;
 * the board's state is checked by the RPC layer under board->lock.
 */
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "hsm.h"

static dev_t hsm_devt;
static struct class *hsm_class;

static_assert(sizeof(struct cryptech_hsm_random) >= CRYPTECH_HSM_RANDOM_SIZE_VER0);
static_assert(sizeof(struct cryptech_hsm_board_info) >=
	      CRYPTECH_HSM_BOARD_INFO_SIZE_VER0);

static bool hsm_board_alive(struct hsm_board *b)
{
	return READ_ONCE(b->state) == HSM_BOARD_READY;
}

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
	file->private_data = s;
	return 0;
}

static int hsm_release(struct inode *inode, struct file *file)
{
	hsm_session_close(file->private_data);
	return 0;
}

/*
 * Read a size-first struct: at least @min bytes, bytes beyond @ksize must
 * be zero. Returns the user's size so the reply can be copied back to it.
 */
static int hsm_copy_in(void *karg, size_t ksize, size_t min,
		       void __user *uarg, u32 *usize)
{
	int err;

	if (get_user(*usize, (u32 __user *)uarg))
		return -EFAULT;
	if (*usize < min)
		return -EINVAL;
	err = copy_struct_from_user(karg, ksize, uarg, *usize);
	if (err)
		return err;
	/* What comes back is never more than what the caller has room for. */
	*usize = min_t(u32, *usize, ksize);
	return 0;
}

static int hsm_copy_out(void __user *uarg, const void *karg, u32 usize)
{
	return copy_to_user(uarg, karg, usize) ? -EFAULT : 0;
}

static long hsm_ioc_random(struct hsm_session *s, void __user *uarg)
{
	struct cryptech_hsm_random a;
	u32 usize;
	u8 *buf;
	int err;

	err = hsm_copy_in(&a, sizeof(a), CRYPTECH_HSM_RANDOM_SIZE_VER0, uarg, &usize);
	if (err)
		return err;
	if (a.reserved)
		return -EINVAL;
	if (a.len == 0 || a.len > CRYPTECH_HSM_RANDOM_MAX)
		return -EINVAL;

	buf = kmalloc(a.len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	err = hsm_session_random(s, buf, a.len, &a.board_status);
	if (!err && copy_to_user(u64_to_user_ptr(a.buf), buf, a.len))
		err = -EFAULT;
	kfree_sensitive(buf);
	if (err && !a.board_status)
		return err;
	if (err)
		a.len = 0;
	/* Board errors still report the status to the caller. */
	if (hsm_copy_out(uarg, &a, usize))
		return -EFAULT;
	return err;
}

static long hsm_ioc_board_info(struct hsm_session *s, void __user *uarg)
{
	struct cryptech_hsm_board_info a;
	struct hsm_board *b = s->board;
	u32 usize;
	int err;

	err = hsm_copy_in(&a, sizeof(a), CRYPTECH_HSM_BOARD_INFO_SIZE_VER0, uarg, &usize);
	if (err)
		return err;
	if (!hsm_board_alive(b))
		return -ENODEV;

	a.board_status = HAL_OK;
	a.index = b->index;
	a.protocol_version = b->protocol_version;
	strscpy(a.tty_name, b->tty_name, sizeof(a.tty_name));
	return hsm_copy_out(uarg, &a, usize);
}

static long hsm_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct hsm_session *s = file->private_data;
	void __user *uarg = (void __user *)arg;

	if (_IOC_TYPE(cmd) != CRYPTECH_HSM_IOC_MAGIC)
		return -ENOTTY;
	if (!hsm_board_alive(s->board))
		return -ENODEV;

	switch (_IOC_NR(cmd)) {
	case _IOC_NR(CRYPTECH_HSM_IOC_RANDOM):
		return hsm_ioc_random(s, uarg);
	case _IOC_NR(CRYPTECH_HSM_IOC_BOARD_INFO):
		return hsm_ioc_board_info(s, uarg);
	default:
		return -ENOTTY;
	}
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
