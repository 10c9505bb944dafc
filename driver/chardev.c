// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/hsmN: file operations and the ioctl ABI.
 *
 * ABI rules (uapi/linux/cryptech_hsm.h): every argument struct starts with
 * its size, and that member is the size the driver uses. The size encoded
 * in the command (_IOC_SIZE) is checked only for plausibility: direction
 * read-write and at least the first published size of the struct, so a
 * program built against an older or newer header keeps working. Sizes over
 * PAGE_SIZE are E2BIG (as openat2 and clone3); unknown trailing bytes must
 * be zero (E2BIG); reserved fields must be zero (EINVAL); unknown commands
 * are ENOTTY; a file whose board is gone gets ENODEV.
 *
 * Locking: none of its own. Each file holds a board reference for its life;
 * the board's state is checked by the RPC layer under board->lock.
 */
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "hsm.h"

/*
 * The uapi passes some protocol values through unchanged: they must be the
 * protocol's (protocol §6.2, §7.1), and board_status sits where the
 * ioctl code stores it for every command.
 */
static_assert(CRYPTECH_HSM_USER_NONE == HAL_USER_NONE);
static_assert(CRYPTECH_HSM_USER_NORMAL == HAL_USER_NORMAL);
static_assert(CRYPTECH_HSM_USER_SO == HAL_USER_SO);
static_assert(CRYPTECH_HSM_USER_WHEEL == HAL_USER_WHEEL);
static_assert(CRYPTECH_HSM_CURVE_P256 == HAL_CURVE_P256);
static_assert(CRYPTECH_HSM_CURVE_P384 == HAL_CURVE_P384);
static_assert(CRYPTECH_HSM_CURVE_P521 == HAL_CURVE_P521);
static_assert(CRYPTECH_HSM_RANDOM_MAX == HAL_RPC_MAX_OPAQUE_RESULT);

/* Large enough for every argument struct the driver knows. */
#define HSM_IOCTL_ARG_MAX	256

/* Every argument struct: board_status second, and room for it in hsm_ioctl(). */
#define HSM_ARG_ASSERT(type)						\
	static_assert(offsetof(type, board_status) == 4 &&		\
		      sizeof(type) <= HSM_IOCTL_ARG_MAX)
HSM_ARG_ASSERT(struct cryptech_hsm_random);
HSM_ARG_ASSERT(struct cryptech_hsm_board_info);
HSM_ARG_ASSERT(struct cryptech_hsm_status);
HSM_ARG_ASSERT(struct cryptech_hsm_pin);
HSM_ARG_ASSERT(struct cryptech_hsm_login_status);
HSM_ARG_ASSERT(struct cryptech_hsm_generate);
HSM_ARG_ASSERT(struct cryptech_hsm_load);
HSM_ARG_ASSERT(struct cryptech_hsm_open);
HSM_ARG_ASSERT(struct cryptech_hsm_key);
HSM_ARG_ASSERT(struct cryptech_hsm_key_info);
HSM_ARG_ASSERT(struct cryptech_hsm_public_key);
HSM_ARG_ASSERT(struct cryptech_hsm_sign);
HSM_ARG_ASSERT(struct cryptech_hsm_match);
HSM_ARG_ASSERT(struct cryptech_hsm_set_attrs);
HSM_ARG_ASSERT(struct cryptech_hsm_get_attrs);
HSM_ARG_ASSERT(struct cryptech_hsm_export);
HSM_ARG_ASSERT(struct cryptech_hsm_import);
static_assert(sizeof(struct cryptech_hsm_board_info) ==
	      CRYPTECH_HSM_BOARD_INFO_SIZE_VER1);

static dev_t hsm_devt;
static struct class *hsm_class;

static bool hsm_board_alive(struct hsm_board *b)
{
	return READ_ONCE(b->state) == HSM_BOARD_READY && !READ_ONCE(b->closing);
}

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
	hsm_session_close(file->private_data);
	return 0;
}

/*
 * Each command's argument sizes: the smallest accepted (its first published
 * version) and the kernel's.
 */
struct hsm_ioctl_desc {
	u32 min_size;
	u32 size;
};

#define HSM_IOCTL(cmd, type)						\
	[_IOC_NR(cmd)] = { .min_size = cmd##_SIZE, .size = sizeof(type) }

#define CRYPTECH_HSM_IOC_RANDOM_SIZE	CRYPTECH_HSM_RANDOM_SIZE_VER0
#define CRYPTECH_HSM_IOC_BOARD_INFO_SIZE CRYPTECH_HSM_BOARD_INFO_SIZE_VER0
#define CRYPTECH_HSM_IOC_LOGIN_SIZE	CRYPTECH_HSM_PIN_SIZE_VER0
#define CRYPTECH_HSM_IOC_LOGOUT_SIZE	CRYPTECH_HSM_STATUS_SIZE_VER0
#define CRYPTECH_HSM_IOC_SET_PIN_SIZE	CRYPTECH_HSM_PIN_SIZE_VER0
#define CRYPTECH_HSM_IOC_LOGIN_STATUS_SIZE CRYPTECH_HSM_LOGIN_STATUS_SIZE_VER0
#define CRYPTECH_HSM_IOC_GENERATE_SIZE	CRYPTECH_HSM_GENERATE_SIZE_VER0
#define CRYPTECH_HSM_IOC_LOAD_SIZE	CRYPTECH_HSM_LOAD_SIZE_VER0
#define CRYPTECH_HSM_IOC_OPEN_SIZE	CRYPTECH_HSM_OPEN_SIZE_VER0
#define CRYPTECH_HSM_IOC_CLOSE_SIZE	CRYPTECH_HSM_KEY_SIZE_VER0
#define CRYPTECH_HSM_IOC_DELETE_SIZE	CRYPTECH_HSM_KEY_SIZE_VER0
#define CRYPTECH_HSM_IOC_KEY_INFO_SIZE	CRYPTECH_HSM_KEY_INFO_SIZE_VER0
#define CRYPTECH_HSM_IOC_PUBLIC_KEY_SIZE CRYPTECH_HSM_PUBLIC_KEY_SIZE_VER0
#define CRYPTECH_HSM_IOC_SIGN_SIZE	CRYPTECH_HSM_SIGN_SIZE_VER0
#define CRYPTECH_HSM_IOC_VERIFY_SIZE	CRYPTECH_HSM_SIGN_SIZE_VER0
#define CRYPTECH_HSM_IOC_MATCH_SIZE	CRYPTECH_HSM_MATCH_SIZE_VER0
#define CRYPTECH_HSM_IOC_SET_ATTRS_SIZE	CRYPTECH_HSM_SET_ATTRS_SIZE_VER0
#define CRYPTECH_HSM_IOC_GET_ATTRS_SIZE	CRYPTECH_HSM_GET_ATTRS_SIZE_VER0
#define CRYPTECH_HSM_IOC_EXPORT_SIZE	CRYPTECH_HSM_EXPORT_SIZE_VER0
#define CRYPTECH_HSM_IOC_IMPORT_SIZE	CRYPTECH_HSM_IMPORT_SIZE_VER0

static int hsm_ioc_random(struct hsm_session *s, struct cryptech_hsm_random *a)
{
	u8 *buf;
	int err;

	if (a->reserved || a->len == 0 || a->len > CRYPTECH_HSM_RANDOM_MAX)
		return -EINVAL;
	buf = kmalloc(a->len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	err = hsm_session_random(s, buf, a->len, &a->board_status);
	if (!err && copy_to_user(u64_to_user_ptr(a->buf), buf, a->len))
		err = -EFAULT;
	kfree_sensitive(buf);
	return err;
}

static int hsm_ioc_board_info(struct hsm_session *s,
			      struct cryptech_hsm_board_info *a)
{
	struct hsm_board *b = s->board;

	if (a->reserved)
		return -EINVAL;
	a->index = b->index;
	a->protocol_version = b->protocol_version;
	strscpy(a->tty_name, b->tty_name, sizeof(a->tty_name));
	a->board_id_kind = b->board_id_kind;
	strscpy(a->board_id, b->board_id, sizeof(a->board_id));
	return 0;
}

static const struct hsm_ioctl_desc hsm_ioctls[] = {
	HSM_IOCTL(CRYPTECH_HSM_IOC_RANDOM, struct cryptech_hsm_random),
	HSM_IOCTL(CRYPTECH_HSM_IOC_BOARD_INFO, struct cryptech_hsm_board_info),
	HSM_IOCTL(CRYPTECH_HSM_IOC_LOGIN, struct cryptech_hsm_pin),
	HSM_IOCTL(CRYPTECH_HSM_IOC_LOGOUT, struct cryptech_hsm_status),
	HSM_IOCTL(CRYPTECH_HSM_IOC_SET_PIN, struct cryptech_hsm_pin),
	HSM_IOCTL(CRYPTECH_HSM_IOC_LOGIN_STATUS, struct cryptech_hsm_login_status),
	HSM_IOCTL(CRYPTECH_HSM_IOC_GENERATE, struct cryptech_hsm_generate),
	HSM_IOCTL(CRYPTECH_HSM_IOC_LOAD, struct cryptech_hsm_load),
	HSM_IOCTL(CRYPTECH_HSM_IOC_OPEN, struct cryptech_hsm_open),
	HSM_IOCTL(CRYPTECH_HSM_IOC_CLOSE, struct cryptech_hsm_key),
	HSM_IOCTL(CRYPTECH_HSM_IOC_DELETE, struct cryptech_hsm_key),
	HSM_IOCTL(CRYPTECH_HSM_IOC_KEY_INFO, struct cryptech_hsm_key_info),
	HSM_IOCTL(CRYPTECH_HSM_IOC_PUBLIC_KEY, struct cryptech_hsm_public_key),
	HSM_IOCTL(CRYPTECH_HSM_IOC_SIGN, struct cryptech_hsm_sign),
	HSM_IOCTL(CRYPTECH_HSM_IOC_VERIFY, struct cryptech_hsm_sign),
	HSM_IOCTL(CRYPTECH_HSM_IOC_MATCH, struct cryptech_hsm_match),
	HSM_IOCTL(CRYPTECH_HSM_IOC_SET_ATTRS, struct cryptech_hsm_set_attrs),
	HSM_IOCTL(CRYPTECH_HSM_IOC_GET_ATTRS, struct cryptech_hsm_get_attrs),
	HSM_IOCTL(CRYPTECH_HSM_IOC_EXPORT, struct cryptech_hsm_export),
	HSM_IOCTL(CRYPTECH_HSM_IOC_IMPORT, struct cryptech_hsm_import),
};

/* Run command @nr on its argument, already in kernel memory. */
static int hsm_ioctl_call(struct hsm_session *s, unsigned int nr, void *a)
{
	switch (nr) {
	case _IOC_NR(CRYPTECH_HSM_IOC_RANDOM):
		return hsm_ioc_random(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_BOARD_INFO):
		return hsm_ioc_board_info(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_LOGIN):
		return hsm_session_login(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_LOGOUT):
		return hsm_session_logout(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_SET_PIN):
		return hsm_session_set_pin(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_LOGIN_STATUS):
		return hsm_session_login_status(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_GENERATE):
		return hsm_key_generate(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_LOAD):
		return hsm_key_load(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_OPEN):
		return hsm_key_open(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_CLOSE):
		return hsm_key_close(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_DELETE):
		return hsm_key_delete(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_KEY_INFO):
		return hsm_key_info(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_PUBLIC_KEY):
		return hsm_key_public(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_SIGN):
		return hsm_key_sign(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_VERIFY):
		return hsm_key_verify(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_MATCH):
		return hsm_key_match(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_SET_ATTRS):
		return hsm_key_set_attrs(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_GET_ATTRS):
		return hsm_key_get_attrs(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_EXPORT):
		return hsm_key_export(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_IMPORT):
		return hsm_key_import(s, a);
	default:
		return -ENOTTY;
	}
}

/**
 * hsm_ioctl() - the ioctl ABI of uapi/linux/cryptech_hsm.h
 * @file:	the session's file
 * @cmd:	CRYPTECH_HSM_IOC_*
 * @arg:	user pointer to the command's size-first struct
 *
 * Return: 0 or a negative errno; the struct (with board_status) is copied
 * back in both cases, once it was read.
 */
static long hsm_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct hsm_session *s = file->private_data;
	void __user *uarg = (void __user *)arg;
	const struct hsm_ioctl_desc *d;
	u64 karg[HSM_IOCTL_ARG_MAX / sizeof(u64)];
	unsigned int nr;
	u32 usize;
	int err;

	if (_IOC_TYPE(cmd) != CRYPTECH_HSM_IOC_MAGIC ||
	    _IOC_NR(cmd) >= ARRAY_SIZE(hsm_ioctls))
		return -ENOTTY;
	nr = array_index_nospec(_IOC_NR(cmd), ARRAY_SIZE(hsm_ioctls));
	d = &hsm_ioctls[nr];
	if (!d->size || _IOC_DIR(cmd) != (_IOC_READ | _IOC_WRITE) ||
	    _IOC_SIZE(cmd) < d->min_size)
		return -ENOTTY;
	if (WARN_ON_ONCE(d->size > sizeof(karg)))
		return -ENOTTY;
	if (!hsm_board_alive(s->board))
		return -ENODEV;

	/*
	 * Size-first structs: at least the first version's size; bytes past
	 * what the kernel knows must be zero (copy_struct_from_user() says
	 * E2BIG otherwise); what is copied back never exceeds either size.
	 */
	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (usize < d->min_size)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	err = copy_struct_from_user(karg, d->size, uarg, usize);
	if (err)
		return err;
	((struct cryptech_hsm_status *)karg)->board_status = HAL_OK;

	err = hsm_ioctl_call(s, nr, karg);

	/* Outputs, and the board's status, reach the caller on errors too. */
	if (copy_to_user(uarg, karg, min(usize, d->size)))
		return -EFAULT;
	return err;
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
