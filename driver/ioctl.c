// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl ABI of /dev/hsmN (uapi/linux/cryptech_hsm.h): argument structs
 * in and out, user memory in and out. The board operations themselves work
 * on kernel buffers (session.c, keys.c); each command here only checks what
 * it must before copying, copies, and calls one of them.
 *
 * ABI rules: every argument struct starts with its size, and that member
 * is the size the driver uses. The size encoded in the command (_IOC_SIZE)
 * is checked only for plausibility: direction read-write and at least the
 * first published size of the struct, so a program built against an older
 * or newer header keeps working. Sizes over PAGE_SIZE are E2BIG (as openat2
 * and clone3); unknown trailing bytes must be zero (E2BIG); reserved fields
 * must be zero (EINVAL); unknown commands are ENOTTY; a file whose board is
 * gone gets ENODEV.
 *
 * Buffers that held PINs, key material or random bytes are freed with
 * kfree_sensitive().
 *
 * Locking: none of its own (each operation takes the session's lock).
 */
#include <linux/capability.h>
#include <linux/fs.h>
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
#define CRYPTECH_HSM_IOC_KERNEL_LOGIN_SIZE CRYPTECH_HSM_PIN_SIZE_VER0
#define CRYPTECH_HSM_IOC_KERNEL_LOGOUT_SIZE CRYPTECH_HSM_STATUS_SIZE_VER0
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

	if (a->kernel_user)
		return -EINVAL;
	a->index = b->index;
	a->protocol_version = b->protocol_version;
	strscpy(a->tty_name, b->tty_name, sizeof(a->tty_name));
	a->board_id_kind = b->board_id_kind;
	strscpy(a->board_id, b->board_id, sizeof(a->board_id));
	a->kernel_user = hsm_ksession_user(b);
	return 0;
}

/* A caller's input blob, 1..CRYPTECH_HSM_BLOB_MAX bytes. */
static void *hsm_copy_blob(u64 uptr, u32 len)
{
	if (len == 0 || len > CRYPTECH_HSM_BLOB_MAX)
		return ERR_PTR(-EINVAL);
	return memdup_user(u64_to_user_ptr(uptr), len);
}

/*
 * A kernel buffer for an output of which the caller has room for @room
 * bytes: never more than the board can return.
 */
static u8 *hsm_out_buf(u32 room)
{
	return kmalloc(max(1u, min(room, HAL_RPC_MAX_OPAQUE_RESULT)),
		       GFP_KERNEL);
}

static u32 hsm_out_room(u32 room)
{
	return min(room, HAL_RPC_MAX_OPAQUE_RESULT);
}

static int hsm_copy_out(u64 uptr, const void *buf, u32 len)
{
	return copy_to_user(u64_to_user_ptr(uptr), buf, len) ? -EFAULT : 0;
}

static int hsm_ioc_pin(struct hsm_session *s, struct cryptech_hsm_pin *a,
		       bool login)
{
	u8 *pin;
	int err;

	if (!hsm_session_pin_valid(a->user, a->pin_len))
		return -EINVAL;
	pin = memdup_user(u64_to_user_ptr(a->pin), a->pin_len);
	if (IS_ERR(pin))
		return PTR_ERR(pin);
	if (login)
		err = hsm_session_login(s, a->user, pin, a->pin_len,
					&a->board_status);
	else
		err = hsm_session_set_pin(s, a->user, pin, a->pin_len,
					  &a->board_status);
	kfree_sensitive(pin);
	return err;
}

/*
 * KERNEL_LOGIN: the PIN goes to the board's kernel session, not to this
 * file's. CAP_SYS_ADMIN, as for the other administrative operations: the
 * login lets every in-kernel user of the board use its private keys.
 */
static int hsm_ioc_kernel_login(struct hsm_session *s,
				struct cryptech_hsm_pin *a)
{
	u8 *pin;
	int err;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (!hsm_session_pin_valid(a->user, a->pin_len))
		return -EINVAL;
	pin = memdup_user(u64_to_user_ptr(a->pin), a->pin_len);
	if (IS_ERR(pin))
		return PTR_ERR(pin);
	err = hsm_ksession_login(s->board, a->user, pin, a->pin_len,
				 &a->board_status);
	kfree_sensitive(pin);
	return err;
}

static int hsm_ioc_kernel_logout(struct hsm_session *s,
				 struct cryptech_hsm_status *a)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return hsm_ksession_logout(s->board, &a->board_status);
}

static int hsm_ioc_logout(struct hsm_session *s, struct cryptech_hsm_status *a)
{
	return hsm_session_logout(s, &a->board_status);
}

static int hsm_ioc_login_status(struct hsm_session *s,
				struct cryptech_hsm_login_status *a)
{
	if (a->reserved)
		return -EINVAL;
	return hsm_session_login_status(s, &a->user, &a->board_status);
}

static int hsm_ioc_load(struct hsm_session *s, struct cryptech_hsm_load *a)
{
	u8 *der;
	int err;

	if (a->flags & ~CRYPTECH_HSM_KEY_F_ALL || a->reserved)
		return -EINVAL;
	der = hsm_copy_blob(a->der, a->der_len);
	if (IS_ERR(der))
		return PTR_ERR(der);
	err = hsm_key_load(s, der, a->der_len, a->flags, &a->handle, a->uuid,
			   &a->board_status);
	kfree_sensitive(der);
	return err;
}

static int hsm_ioc_open(struct hsm_session *s, struct cryptech_hsm_open *a)
{
	if (a->reserved)
		return -EINVAL;
	return hsm_key_open(s, a->uuid, &a->handle, &a->board_status);
}

static int hsm_ioc_release(struct hsm_session *s, struct cryptech_hsm_key *a,
			   bool delete)
{
	if (a->reserved)
		return -EINVAL;
	if (delete)
		return hsm_key_delete(s, a->handle, &a->board_status);
	return hsm_key_close(s, a->handle, &a->board_status);
}

static int hsm_ioc_public(struct hsm_session *s,
			  struct cryptech_hsm_public_key *a)
{
	u8 *der = hsm_out_buf(a->der_len);
	u32 len = hsm_out_room(a->der_len);
	int err;

	if (!der)
		return -ENOMEM;
	err = hsm_key_public(s, a->handle, der, &len, &a->board_status);
	if (!err || err == -ENOSPC)
		a->der_len = len;
	if (!err)
		err = hsm_copy_out(a->der, der, len);
	kfree(der);
	return err;
}

static int hsm_ioc_sign(struct hsm_session *s, struct cryptech_hsm_sign *a)
{
	u32 len = hsm_out_room(a->sig_len);
	u8 *input, *sig;
	int err;

	if (a->reserved)
		return -EINVAL;
	input = hsm_copy_blob(a->input, a->input_len);
	if (IS_ERR(input))
		return PTR_ERR(input);
	sig = hsm_out_buf(a->sig_len);
	if (!sig) {
		kfree_sensitive(input);
		return -ENOMEM;
	}
	err = hsm_key_sign(s, a->handle, input, a->input_len, sig, &len,
			   &a->board_status);
	if (!err || err == -ENOSPC)
		a->sig_len = len;
	if (!err)
		err = hsm_copy_out(a->sig, sig, len);
	kfree(sig);
	kfree_sensitive(input);
	return err;
}

static int hsm_ioc_verify(struct hsm_session *s, struct cryptech_hsm_sign *a)
{
	u8 *input, *sig;
	int err;

	if (a->reserved)
		return -EINVAL;
	input = hsm_copy_blob(a->input, a->input_len);
	if (IS_ERR(input))
		return PTR_ERR(input);
	sig = hsm_copy_blob(a->sig, a->sig_len);
	if (IS_ERR(sig)) {
		kfree_sensitive(input);
		return PTR_ERR(sig);
	}
	err = hsm_key_verify(s, a->handle, input, a->input_len, sig,
			     a->sig_len, &a->board_status);
	kfree(sig);
	kfree_sensitive(input);
	return err;
}

/* A packed attribute list of the caller's; NULL when empty. */
static void *hsm_copy_attrs(u64 uptr, u32 len, u32 n, u32 min_n)
{
	if (!hsm_key_attrs_valid(len, n, min_n))
		return ERR_PTR(-EINVAL);
	if (!len)
		return NULL;
	return memdup_user(u64_to_user_ptr(uptr), len);
}

static int hsm_ioc_match(struct hsm_session *s, struct cryptech_hsm_match *a)
{
	struct cryptech_hsm_match query = *a;
	u8 *attrs, *uuids;
	int err;

	if (!hsm_key_match_valid(a))
		return -EINVAL;
	attrs = hsm_copy_attrs(a->attrs, a->attrs_len, a->n_attrs, 0);
	if (IS_ERR(attrs))
		return PTR_ERR(attrs);
	uuids = kmalloc_array(a->count, HAL_UUID_LEN, GFP_KERNEL);
	if (!uuids) {
		kfree(attrs);
		return -ENOMEM;
	}
	err = hsm_key_match(s, a, attrs, uuids);
	if (!err && hsm_copy_out(a->uuids, uuids, a->count * HAL_UUID_LEN)) {
		/* As if the step had not happened: the search can go on. */
		query.board_status = a->board_status;
		*a = query;
		err = -EFAULT;
	}
	kfree(uuids);
	kfree(attrs);
	return err;
}

static int hsm_ioc_set_attrs(struct hsm_session *s,
			     struct cryptech_hsm_set_attrs *a)
{
	u8 *attrs;
	int err;

	if (a->reserved)
		return -EINVAL;
	attrs = hsm_copy_attrs(a->attrs, a->attrs_len, a->n_attrs, 1);
	if (IS_ERR(attrs))
		return PTR_ERR(attrs);
	err = hsm_key_set_attrs(s, a->handle, attrs, a->attrs_len, a->n_attrs,
				&a->board_status);
	kfree(attrs);
	return err;
}

static int hsm_ioc_get_attrs(struct hsm_session *s,
			     struct cryptech_hsm_get_attrs *a)
{
	/* hsm_key_get_attrs() never uses more than this. */
	u32 len = min_t(u32, a->buf_len, 2 * HAL_RPC_MAX_PKT_SIZE);
	u32 *types;
	u8 *out;
	int err;

	if (!hsm_key_get_attrs_valid(a->flags, a->n_types))
		return -EINVAL;
	types = memdup_user(u64_to_user_ptr(a->types),
			    a->n_types * sizeof(*types));
	if (IS_ERR(types))
		return PTR_ERR(types);
	out = kzalloc(max(len, 1u), GFP_KERNEL);
	if (!out) {
		kfree(types);
		return -ENOMEM;
	}
	err = hsm_key_get_attrs(s, a->handle, types, a->n_types, a->flags,
				out, &len, &a->board_status);
	if (!err)
		err = hsm_copy_out(a->buf, out, len);
	if (!err || err == -ENOSPC)
		a->buf_len = len;
	kfree(out);
	kfree(types);
	return err;
}

static int hsm_ioc_export(struct hsm_session *s, struct cryptech_hsm_export *a)
{
	u32 pkcs8_len = hsm_out_room(a->pkcs8_len);
	u32 kek_len = hsm_out_room(a->kek_len);
	u8 *pkcs8, *kek;
	int err = -ENOMEM;

	pkcs8 = hsm_out_buf(a->pkcs8_len);
	kek = hsm_out_buf(a->kek_len);
	if (!pkcs8 || !kek)
		goto free;
	err = hsm_key_export(s, a->handle, a->kekek_handle, pkcs8, &pkcs8_len,
			     kek, &kek_len, &a->board_status);
	if (!err || err == -ENOSPC) {
		a->pkcs8_len = pkcs8_len;
		a->kek_len = kek_len;
	}
	if (!err)
		err = hsm_copy_out(a->pkcs8, pkcs8, pkcs8_len);
	if (!err)
		err = hsm_copy_out(a->kek, kek, kek_len);
free:
	kfree_sensitive(kek);
	kfree_sensitive(pkcs8);
	return err;
}

static int hsm_ioc_import(struct hsm_session *s, struct cryptech_hsm_import *a)
{
	u8 *pkcs8, *kek;
	int err;

	if (a->flags & ~CRYPTECH_HSM_KEY_F_ALL || a->reserved)
		return -EINVAL;
	pkcs8 = hsm_copy_blob(a->pkcs8, a->pkcs8_len);
	if (IS_ERR(pkcs8))
		return PTR_ERR(pkcs8);
	kek = hsm_copy_blob(a->kek, a->kek_len);
	if (IS_ERR(kek)) {
		kfree_sensitive(pkcs8);
		return PTR_ERR(kek);
	}
	err = hsm_key_import(s, a->kekek_handle, pkcs8, a->pkcs8_len, kek,
			     a->kek_len, a->flags, &a->handle, a->uuid,
			     &a->board_status);
	kfree_sensitive(kek);
	kfree_sensitive(pkcs8);
	return err;
}

static const struct hsm_ioctl_desc hsm_ioctls[] = {
	HSM_IOCTL(CRYPTECH_HSM_IOC_RANDOM, struct cryptech_hsm_random),
	HSM_IOCTL(CRYPTECH_HSM_IOC_BOARD_INFO, struct cryptech_hsm_board_info),
	HSM_IOCTL(CRYPTECH_HSM_IOC_LOGIN, struct cryptech_hsm_pin),
	HSM_IOCTL(CRYPTECH_HSM_IOC_LOGOUT, struct cryptech_hsm_status),
	HSM_IOCTL(CRYPTECH_HSM_IOC_SET_PIN, struct cryptech_hsm_pin),
	HSM_IOCTL(CRYPTECH_HSM_IOC_LOGIN_STATUS, struct cryptech_hsm_login_status),
	HSM_IOCTL(CRYPTECH_HSM_IOC_KERNEL_LOGIN, struct cryptech_hsm_pin),
	HSM_IOCTL(CRYPTECH_HSM_IOC_KERNEL_LOGOUT, struct cryptech_hsm_status),
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
		return hsm_ioc_pin(s, a, true);
	case _IOC_NR(CRYPTECH_HSM_IOC_LOGOUT):
		return hsm_ioc_logout(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_SET_PIN):
		return hsm_ioc_pin(s, a, false);
	case _IOC_NR(CRYPTECH_HSM_IOC_LOGIN_STATUS):
		return hsm_ioc_login_status(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_KERNEL_LOGIN):
		return hsm_ioc_kernel_login(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_KERNEL_LOGOUT):
		return hsm_ioc_kernel_logout(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_GENERATE):
		return hsm_key_generate(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_LOAD):
		return hsm_ioc_load(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_OPEN):
		return hsm_ioc_open(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_CLOSE):
		return hsm_ioc_release(s, a, false);
	case _IOC_NR(CRYPTECH_HSM_IOC_DELETE):
		return hsm_ioc_release(s, a, true);
	case _IOC_NR(CRYPTECH_HSM_IOC_KEY_INFO):
		return hsm_key_info(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_PUBLIC_KEY):
		return hsm_ioc_public(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_SIGN):
		return hsm_ioc_sign(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_VERIFY):
		return hsm_ioc_verify(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_MATCH):
		return hsm_ioc_match(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_SET_ATTRS):
		return hsm_ioc_set_attrs(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_GET_ATTRS):
		return hsm_ioc_get_attrs(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_EXPORT):
		return hsm_ioc_export(s, a);
	case _IOC_NR(CRYPTECH_HSM_IOC_IMPORT):
		return hsm_ioc_import(s, a);
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
long hsm_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
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

	hsm_test_delay(HSM_DELAY_IOCTL);
	err = hsm_ioctl_call(s, nr, karg);

	/* Outputs, and the board's status, reach the caller on errors too. */
	if (copy_to_user(uarg, karg, min(usize, d->size)))
		return -EFAULT;
	return err;
}

