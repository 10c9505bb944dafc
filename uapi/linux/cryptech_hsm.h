/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * cryptech_hsm: Linux driver for the CrypTech Alpha HSM.
 *
 * Two interfaces reach the driver from userspace:
 *
 * 1. The character device /dev/hsmN, one per attached board. Each open file
 *    is a session: it has its own board client handle and login state.
 *    Requests are structured ioctls (below); userspace never builds protocol
 *    frames.
 *
 * 2. The generic netlink family CRYPTECH_HSM_GENL_NAME, used to attach and
 *    detach boards, to list them with their counters, and to receive events.
 *
 * ioctl ABI rules
 * ---------------
 * Every ioctl argument is a struct whose first member is ``__u32 size``, set by
 * userspace to sizeof() of the struct it was compiled with, and whose second
 * member is ``__u32 board_status``, where the kernel returns the board's own
 * status code (0 on success, the hal_error_t of the protocol otherwise; see
 * Documentation/userspace-api/cryptech_hsm.rst).
 *
 * - The kernel accepts any size at least as large as the first published
 *   version of the struct. Bytes beyond the part the kernel knows must be
 *   zero, else the ioctl fails with E2BIG; a shorter struct is extended with
 *   zeros. Commands are matched on type and number only, so the size encoded
 *   in the command does not change when a struct grows.
 * - Pointers are passed as __u64; every struct has the same layout on 32- and
 *   64-bit ABIs.
 * - Reserved and padding fields must be zero (EINVAL otherwise) and unknown
 *   flag bits are rejected with EINVAL.
 * - Unknown commands fail with ENOTTY.
 * - Once the board is gone (unplugged, detached) every ioctl on an open file
 *   fails with ENODEV; the file can still be closed.
 * - A board status other than 0 is mapped to an errno (e.g. PIN_INCORRECT to
 *   EACCES) and also stored in board_status so tools can name the exact cause.
 */
#ifndef _UAPI_LINUX_CRYPTECH_HSM_H
#define _UAPI_LINUX_CRYPTECH_HSM_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define CRYPTECH_HSM_IOC_MAGIC		0xC7

/* Largest single GET_RANDOM the board answers (protocol §5.3). */
#define CRYPTECH_HSM_RANDOM_MAX		16368

/**
 * struct cryptech_hsm_random - read random bytes from the board's TRNG/CSPRNG
 * @size:		sizeof(struct cryptech_hsm_random)
 * @board_status:	out: board status code
 * @len:		in: bytes wanted, 1..CRYPTECH_HSM_RANDOM_MAX;
 *			out: bytes written to @buf
 * @reserved:		must be zero
 * @buf:		user pointer to at least @len bytes
 */
struct cryptech_hsm_random {
	__u32 size;
	__u32 board_status;
	__u32 len;
	__u32 reserved;
	__u64 buf;
};

/**
 * struct cryptech_hsm_board_info - describe the board behind this file
 * @size:		sizeof(struct cryptech_hsm_board_info)
 * @board_status:	out: always 0 (no board request is made)
 * @index:		out: N of /dev/hsmN
 * @protocol_version:	out: RPC version from the attach handshake,
 *			e.g. 0x01010100 for 1.1.1.0
 * @tty_name:		out: NUL-terminated name of the serial line
 * @board_id_kind:	out: where @board_id comes from, a
 *			CRYPTECH_HSM_BOARD_ID_* value (since size 152)
 * @kernel_user:	in: must be zero (it was a reserved field);
 *			out: CRYPTECH_HSM_USER_* the board's kernel session is
 *			logged in as, _NONE when it is not (since size 152,
 *			filled by kernels with CRYPTECH_HSM_IOC_KERNEL_LOGIN;
 *			older ones leave it 0)
 * @board_id:		out: NUL-terminated stable identity of the board,
 *			see CRYPTECH_HSM_BOARD_ID_USB_SERIAL (since size 152)
 */
struct cryptech_hsm_board_info {
	__u32 size;
	__u32 board_status;
	__u32 index;
	__u32 protocol_version;
	char tty_name[64];
	__u32 board_id_kind;
	__u32 kernel_user;
	char board_id[64];
};

/*
 * A board's stable identity. /dev/hsmN and the tty name follow plug order;
 * the identity does not, so PKCS#11 token labels and serials, keyring
 * payloads and hsmctl's --board use it. It is taken, in this order, from:
 *
 * CRYPTECH_HSM_BOARD_ID_USB_SERIAL: the USB serial number of the board's
 *	serial bridge (the FTDI chip), verbatim (printable ASCII, at most 63
 *	bytes). Stable across reboots, ports and plug order.
 * CRYPTECH_HSM_BOARD_ID_USB_PATH: the bridge has no serial number:
 *	"usb-" and its USB device name ("usb-1-1.2"), stable while the board
 *	stays on the same port.
 * CRYPTECH_HSM_BOARD_ID_TTY: the line is not on USB: "tty-" and the tty
 *	name. Not stable; say so to the user.
 */
#define CRYPTECH_HSM_BOARD_ID_USB_SERIAL	1
#define CRYPTECH_HSM_BOARD_ID_USB_PATH		2
#define CRYPTECH_HSM_BOARD_ID_TTY		3

/*
 * Users (protocol §6.2). NORMAL is the key user, SO may only set the NORMAL
 * user's PIN, WHEEL administers the board.
 */
#define CRYPTECH_HSM_USER_NONE		0
#define CRYPTECH_HSM_USER_NORMAL	1
#define CRYPTECH_HSM_USER_SO		2
#define CRYPTECH_HSM_USER_WHEEL		3

#define CRYPTECH_HSM_PIN_MIN		4
#define CRYPTECH_HSM_PIN_MAX		4096

/*
 * Key flags: the board's own flag bits (protocol §6.5), fixed when a key is
 * created. Any other bit is rejected with EINVAL.
 */
#define CRYPTECH_HSM_KEY_F_SIGN		0x01	/* DIGITALSIGNATURE: sign, verify */
#define CRYPTECH_HSM_KEY_F_KEYENC	0x02	/* KEYENCIPHERMENT: a KEKEK */
#define CRYPTECH_HSM_KEY_F_DATAENC	0x04	/* DATAENCIPHERMENT: stored only */
#define CRYPTECH_HSM_KEY_F_TOKEN	0x08	/* persistent; else volatile */
#define CRYPTECH_HSM_KEY_F_PUBLIC	0x10	/* PKCS#11 public object */
#define CRYPTECH_HSM_KEY_F_EXPORTABLE	0x20	/* may be exported wrapped */
#define CRYPTECH_HSM_KEY_F_ALL		0x3f

/* Key types (protocol §6.3) and curves (§6.4), as reported by KEY_INFO. */
#define CRYPTECH_HSM_KEY_RSA_PRIVATE	1
#define CRYPTECH_HSM_KEY_RSA_PUBLIC	2
#define CRYPTECH_HSM_KEY_EC_PRIVATE	3
#define CRYPTECH_HSM_KEY_EC_PUBLIC	4

#define CRYPTECH_HSM_CURVE_P256		1
#define CRYPTECH_HSM_CURVE_P384		2
#define CRYPTECH_HSM_CURVE_P521		3

/* Algorithms for CRYPTECH_HSM_IOC_GENERATE. */
#define CRYPTECH_HSM_ALG_RSA		1
#define CRYPTECH_HSM_ALG_EC		2

#define CRYPTECH_HSM_UUID_LEN		16

/* Largest DER, input, signature or wrapped blob the protocol can carry. */
#define CRYPTECH_HSM_BLOB_MAX		16368

/**
 * struct cryptech_hsm_status - an ioctl with no arguments (LOGOUT)
 * @size:		sizeof(struct cryptech_hsm_status)
 * @board_status:	out: board status code
 */
struct cryptech_hsm_status {
	__u32 size;
	__u32 board_status;
};

/**
 * struct cryptech_hsm_pin - LOGIN and SET_PIN
 * @size:		sizeof(struct cryptech_hsm_pin)
 * @board_status:	out: board status code
 * @user:		CRYPTECH_HSM_USER_NORMAL, _SO or _WHEEL
 * @pin_len:		CRYPTECH_HSM_PIN_MIN..CRYPTECH_HSM_PIN_MAX
 * @pin:		user pointer to the PIN bytes (no NUL needed)
 *
 * LOGIN: logs this session in as @user. A wrong PIN fails with EACCES after
 * the board's delay (about 5 s on real hardware); the wait is killable and
 * does not delay other sessions.
 * SET_PIN: sets @user's PIN. Allowed to WHEEL (any user) and to SO (the
 * NORMAL user's PIN only); EPERM otherwise.
 */
struct cryptech_hsm_pin {
	__u32 size;
	__u32 board_status;
	__u32 user;
	__u32 pin_len;
	__u64 pin;
};

/*
 * The kernel session: one session per board shared by every in-kernel user
 * of the board (the hwrng, the crypto API, the key type). It exists while
 * the board is attached, independent of any process.
 *
 * CRYPTECH_HSM_IOC_KERNEL_LOGIN (struct cryptech_hsm_pin; needs
 * CAP_SYS_ADMIN, else EPERM): logs the kernel session in as @user with the
 * PIN, exactly as LOGIN does for this file; the login outlives the calling
 * process and the file and lasts until KERNEL_LOGOUT or the board's detach
 * or unplug. It takes one of the board's login slots (EUSERS when none is
 * free). A wrong PIN fails with EACCES and leaves the kernel session as it
 * was. The file's own session is not logged in.
 *
 * CRYPTECH_HSM_IOC_KERNEL_LOGOUT (struct cryptech_hsm_status; needs
 * CAP_SYS_ADMIN): ends the kernel session's login; succeeds when it was not
 * logged in.
 *
 * Without a login, in-kernel private-key operations fail with EACCES and the
 * kernel log says to run "hsmctl kernel-login"; public-key operations and
 * random numbers work without it. The state is reported by BOARD_INFO
 * (@kernel_user) and netlink (CRYPTECH_HSM_A_KERNEL_USER).
 */

/**
 * struct cryptech_hsm_login_status - who this session is logged in as
 * @size:		sizeof(struct cryptech_hsm_login_status)
 * @board_status:	out: board status code
 * @user:		out: CRYPTECH_HSM_USER_*, _NONE when not logged in
 * @reserved:		must be zero
 */
struct cryptech_hsm_login_status {
	__u32 size;
	__u32 board_status;
	__u32 user;
	__u32 reserved;
};

/**
 * struct cryptech_hsm_generate - generate a key pair on the board
 * @size:		sizeof(struct cryptech_hsm_generate)
 * @board_status:	out: board status code
 * @alg:		CRYPTECH_HSM_ALG_RSA or CRYPTECH_HSM_ALG_EC
 * @flags:		CRYPTECH_HSM_KEY_F_*
 * @rsa_bits:		RSA modulus size, 1024..4096, multiple of 8; 0 for EC
 * @rsa_exponent:	RSA public exponent, 0 meaning 65537 (the only value
 *			real boards accept); 0 for EC
 * @curve:		CRYPTECH_HSM_CURVE_*; 0 for RSA
 * @handle:		out: this file's handle for the new key
 * @uuid:		out: the key's name on the board
 *
 * Needs a NORMAL or WHEEL login unless @flags has PUBLIC and not TOKEN.
 * RSA generation can take minutes on a real board; the wait is killable.
 */
struct cryptech_hsm_generate {
	__u32 size;
	__u32 board_status;
	__u32 alg;
	__u32 flags;
	__u32 rsa_bits;
	__u32 rsa_exponent;
	__u32 curve;
	__u32 handle;
	__u8 uuid[CRYPTECH_HSM_UUID_LEN];
};

/**
 * struct cryptech_hsm_load - store a key given as DER
 * @size:		sizeof(struct cryptech_hsm_load)
 * @board_status:	out: board status code
 * @flags:		CRYPTECH_HSM_KEY_F_*
 * @der_len:		1..CRYPTECH_HSM_BLOB_MAX
 * @der:		user pointer: PKCS#8 PrivateKeyInfo or SubjectPublicKeyInfo
 * @handle:		out: this file's handle for the new key
 * @reserved:		must be zero
 * @uuid:		out: the key's name on the board
 */
struct cryptech_hsm_load {
	__u32 size;
	__u32 board_status;
	__u32 flags;
	__u32 der_len;
	__u64 der;
	__u32 handle;
	__u32 reserved;
	__u8 uuid[CRYPTECH_HSM_UUID_LEN];
};

/**
 * struct cryptech_hsm_open - open an existing key by name
 * @size:		sizeof(struct cryptech_hsm_open)
 * @board_status:	out: board status code
 * @uuid:		the key's name
 * @handle:		out: this file's handle for the key
 * @reserved:		must be zero
 *
 * Needs a NORMAL or WHEEL login (the board requires it even for public
 * keys). Volatile keys of other sessions are not visible (ENOENT) unless
 * logged in as WHEEL.
 */
struct cryptech_hsm_open {
	__u32 size;
	__u32 board_status;
	__u8 uuid[CRYPTECH_HSM_UUID_LEN];
	__u32 handle;
	__u32 reserved;
};

/**
 * struct cryptech_hsm_key - name one of this file's keys (CLOSE, DELETE)
 * @size:		sizeof(struct cryptech_hsm_key)
 * @board_status:	out: board status code
 * @handle:		a handle this file got from GENERATE, LOAD, OPEN or
 *			IMPORT. Any other number, including another file's
 *			handle, fails with ENOENT and board_status 0.
 * @reserved:		must be zero
 *
 * CLOSE releases the handle; DELETE removes the key from its keystore and
 * releases the handle.
 */
struct cryptech_hsm_key {
	__u32 size;
	__u32 board_status;
	__u32 handle;
	__u32 reserved;
};

/**
 * struct cryptech_hsm_key_info - describe one of this file's keys
 * @size:		sizeof(struct cryptech_hsm_key_info)
 * @board_status:	out: board status code
 * @handle:		the key
 * @type:		out: CRYPTECH_HSM_KEY_*
 * @curve:		out: CRYPTECH_HSM_CURVE_*, 0 for RSA
 * @flags:		out: CRYPTECH_HSM_KEY_F_*
 * @uuid:		out: the key's name
 */
struct cryptech_hsm_key_info {
	__u32 size;
	__u32 board_status;
	__u32 handle;
	__u32 type;
	__u32 curve;
	__u32 flags;
	__u8 uuid[CRYPTECH_HSM_UUID_LEN];
};

/**
 * struct cryptech_hsm_public_key - read a key's public half
 * @size:		sizeof(struct cryptech_hsm_public_key)
 * @board_status:	out: board status code
 * @handle:		the key
 * @der_len:		in: room at @der; out: length of the DER
 *			SubjectPublicKeyInfo. When the room is too small the
 *			ioctl fails with ENOSPC and @der_len is the size needed.
 * @der:		user pointer
 */
struct cryptech_hsm_public_key {
	__u32 size;
	__u32 board_status;
	__u32 handle;
	__u32 der_len;
	__u64 der;
};

/**
 * struct cryptech_hsm_sign - sign, or verify, with one of this file's keys
 * @size:		sizeof(struct cryptech_hsm_sign)
 * @board_status:	out: board status code
 * @handle:		the key (needs CRYPTECH_HSM_KEY_F_SIGN)
 * @input_len:		1..CRYPTECH_HSM_BLOB_MAX
 * @input:		user pointer. RSA: the DER DigestInfo (the board adds
 *			PKCS#1 v1.5 padding). ECDSA: the digest.
 * @sig_len:		SIGN: in: room at @sig, out: signature length (ENOSPC
 *			and the size needed when too small). VERIFY: in: the
 *			signature's length.
 * @reserved:		must be zero
 * @sig:		user pointer. ECDSA signatures are r || s, each padded
 *			to the curve's order length (64, 96, 132 bytes).
 *
 * VERIFY returns 0 for a valid signature and EKEYREJECTED otherwise.
 */
struct cryptech_hsm_sign {
	__u32 size;
	__u32 board_status;
	__u32 handle;
	__u32 input_len;
	__u64 input;
	__u32 sig_len;
	__u32 reserved;
	__u64 sig;
};

/*
 * Attribute lists (MATCH filters, SET_ATTRIBUTES, GET_ATTRIBUTES results)
 * are packed in one buffer: each entry is a struct cryptech_hsm_key_attr
 * followed by @len value bytes, and the next entry starts at the next
 * multiple of 4 bytes. Attribute types are arbitrary 32-bit numbers; the
 * PKCS#11 module uses the CKA_* values.
 */
struct cryptech_hsm_key_attr {
	__u32 type;
	__u32 len;
};

/* SET_ATTRIBUTES: this @len deletes the attribute (no value follows). */
#define CRYPTECH_HSM_ATTR_DELETE	0xffffffff
#define CRYPTECH_HSM_ATTRS_MAX_BYTES	16000

/**
 * struct cryptech_hsm_match - list key names, a page at a time
 * @size:		sizeof(struct cryptech_hsm_match)
 * @board_status:	out: board status code
 * @type:		CRYPTECH_HSM_KEY_* to match, 0 for any
 * @curve:		CRYPTECH_HSM_CURVE_* to match, 0 for any
 * @mask:		flag bits that must match
 * @flags:		their values: a key matches when
 *			((key flags ^ @flags) & @mask) == 0
 * @n_attrs:		attribute filters in @attrs (0..CRYPTECH_HSM_ATTRS_MAX); a key
 *			matches when it has each attribute with exactly that
 *			value
 * @attrs_len:		bytes at @attrs, at most CRYPTECH_HSM_ATTRS_MAX_BYTES
 * @attrs:		user pointer to packed attribute entries
 * @state:		in/out: 0 to start; pass back what the previous page
 *			returned; CRYPTECH_HSM_MATCH_DONE when finished
 * @count:		in: room at @uuids, in names (1..818); out: names
 *			returned. Fewer than asked means the walk is done.
 * @uuids:		user pointer to @count * 16 bytes
 * @prev_uuid:		in/out: the last name of the previous page (ignored
 *			when @state is 0); updated for the next call
 *
 * Without a NORMAL or WHEEL login the board lists nothing unless @flags
 * has PUBLIC.
 */
struct cryptech_hsm_match {
	__u32 size;
	__u32 board_status;
	__u32 type;
	__u32 curve;
	__u32 mask;
	__u32 flags;
	__u32 n_attrs;
	__u32 attrs_len;
	__u64 attrs;
	__u32 state;
	__u32 count;
	__u64 uuids;
	__u8 prev_uuid[CRYPTECH_HSM_UUID_LEN];
};

#define CRYPTECH_HSM_MATCH_DONE		3
#define CRYPTECH_HSM_MATCH_MAX		818

/**
 * struct cryptech_hsm_set_attrs - create, replace or delete key attributes
 * @size:		sizeof(struct cryptech_hsm_set_attrs)
 * @board_status:	out: board status code
 * @handle:		the key
 * @n_attrs:		entries at @attrs, 1..CRYPTECH_HSM_ATTRS_MAX
 * @attrs_len:		bytes at @attrs, at most CRYPTECH_HSM_ATTRS_MAX_BYTES
 * @reserved:		must be zero
 * @attrs:		user pointer to packed entries; @len
 *			CRYPTECH_HSM_ATTR_DELETE deletes
 *
 * All or nothing. Judged on the login of the session that opened the key.
 */
struct cryptech_hsm_set_attrs {
	__u32 size;
	__u32 board_status;
	__u32 handle;
	__u32 n_attrs;
	__u32 attrs_len;
	__u32 reserved;
	__u64 attrs;
};

/**
 * struct cryptech_hsm_get_attrs - read key attributes
 * @size:		sizeof(struct cryptech_hsm_get_attrs)
 * @board_status:	out: board status code
 * @handle:		the key
 * @n_types:		entries at @types, 1..64
 * @types:		user pointer to @n_types __u32 attribute types
 * @buf_len:		in: room at @buf; out: bytes used, or needed when the
 *			call fails with ENOSPC
 * @flags:		CRYPTECH_HSM_GET_ATTRS_LENGTHS: return each attribute's
 *			length only (@buf receives @n_types bare headers; an
 *			absent attribute reports length 0, as the board does)
 * @buf:		user pointer; receives packed entries in @types order
 *
 * With values requested, a missing attribute fails the call with ENODATA.
 */
struct cryptech_hsm_get_attrs {
	__u32 size;
	__u32 board_status;
	__u32 handle;
	__u32 n_types;
	__u64 types;
	__u32 buf_len;
	__u32 flags;
	__u64 buf;
};

#define CRYPTECH_HSM_GET_ATTRS_LENGTHS	0x1
#define CRYPTECH_HSM_ATTRS_MAX		64

/**
 * struct cryptech_hsm_export - export a key wrapped for a KEKEK
 * @size:		sizeof(struct cryptech_hsm_export)
 * @board_status:	out: board status code
 * @handle:		the key (needs CRYPTECH_HSM_KEY_F_EXPORTABLE)
 * @kekek_handle:	an RSA key of this file with CRYPTECH_HSM_KEY_F_KEYENC,
 *			usually the destination board's KEKEK loaded by its
 *			SubjectPublicKeyInfo
 * @pkcs8_len:		in: room at @pkcs8 (at least 5480); out: used
 * @kek_len:		in: room at @kek (at least the KEKEK's modulus bytes
 *			+ 32); out: used
 * @pkcs8:		user pointer: receives the wrapped key
 *			(EncryptedPrivateKeyInfo, AES key wrap with padding)
 * @kek:		user pointer: receives the one-time KEK encrypted for
 *			the KEKEK (EncryptedPrivateKeyInfo, RSAES-PKCS1-v1_5)
 */
struct cryptech_hsm_export {
	__u32 size;
	__u32 board_status;
	__u32 handle;
	__u32 kekek_handle;
	__u32 pkcs8_len;
	__u32 kek_len;
	__u64 pkcs8;
	__u64 kek;
};

/**
 * struct cryptech_hsm_import - import a key exported for this board's KEKEK
 * @size:		sizeof(struct cryptech_hsm_import)
 * @board_status:	out: board status code
 * @kekek_handle:	this file's handle of the KEKEK's private key
 * @flags:		CRYPTECH_HSM_KEY_F_* for the imported key
 * @pkcs8_len:		1..CRYPTECH_HSM_BLOB_MAX
 * @kek_len:		1..CRYPTECH_HSM_BLOB_MAX
 * @pkcs8:		user pointer, as from EXPORT
 * @kek:		user pointer, as from EXPORT
 * @handle:		out: this file's handle for the imported key
 * @reserved:		must be zero
 * @uuid:		out: the imported key's new name
 */
struct cryptech_hsm_import {
	__u32 size;
	__u32 board_status;
	__u32 kekek_handle;
	__u32 flags;
	__u32 pkcs8_len;
	__u32 kek_len;
	__u64 pkcs8;
	__u64 kek;
	__u32 handle;
	__u32 reserved;
	__u8 uuid[CRYPTECH_HSM_UUID_LEN];
};

/* Sizes of the first published version of each struct: the smallest accepted. */
#define CRYPTECH_HSM_RANDOM_SIZE_VER0		24
#define CRYPTECH_HSM_BOARD_INFO_SIZE_VER0	80
#define CRYPTECH_HSM_BOARD_INFO_SIZE_VER1	152	/* + board_id */
#define CRYPTECH_HSM_STATUS_SIZE_VER0		8
#define CRYPTECH_HSM_PIN_SIZE_VER0		24
#define CRYPTECH_HSM_LOGIN_STATUS_SIZE_VER0	16
#define CRYPTECH_HSM_GENERATE_SIZE_VER0		48
#define CRYPTECH_HSM_LOAD_SIZE_VER0		48
#define CRYPTECH_HSM_OPEN_SIZE_VER0		32
#define CRYPTECH_HSM_KEY_SIZE_VER0		16
#define CRYPTECH_HSM_KEY_INFO_SIZE_VER0		40
#define CRYPTECH_HSM_PUBLIC_KEY_SIZE_VER0	24
#define CRYPTECH_HSM_SIGN_SIZE_VER0		40
#define CRYPTECH_HSM_MATCH_SIZE_VER0		72
#define CRYPTECH_HSM_SET_ATTRS_SIZE_VER0	32
#define CRYPTECH_HSM_GET_ATTRS_SIZE_VER0	40
#define CRYPTECH_HSM_EXPORT_SIZE_VER0		40
#define CRYPTECH_HSM_IMPORT_SIZE_VER0		64

#define CRYPTECH_HSM_IOC_RANDOM \
	_IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x01, struct cryptech_hsm_random)
#define CRYPTECH_HSM_IOC_BOARD_INFO \
	_IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x02, struct cryptech_hsm_board_info)
#define CRYPTECH_HSM_IOC_LOGIN \
	_IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x03, struct cryptech_hsm_pin)
#define CRYPTECH_HSM_IOC_LOGOUT \
	_IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x04, struct cryptech_hsm_status)
#define CRYPTECH_HSM_IOC_SET_PIN \
	_IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x05, struct cryptech_hsm_pin)
#define CRYPTECH_HSM_IOC_LOGIN_STATUS \
	_IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x06, struct cryptech_hsm_login_status)
#define CRYPTECH_HSM_IOC_KERNEL_LOGIN \
	_IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x07, struct cryptech_hsm_pin)
#define CRYPTECH_HSM_IOC_KERNEL_LOGOUT \
	_IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x08, struct cryptech_hsm_status)
#define CRYPTECH_HSM_IOC_GENERATE \
	_IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x10, struct cryptech_hsm_generate)
#define CRYPTECH_HSM_IOC_LOAD \
	_IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x11, struct cryptech_hsm_load)
#define CRYPTECH_HSM_IOC_OPEN \
	_IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x12, struct cryptech_hsm_open)
#define CRYPTECH_HSM_IOC_CLOSE \
	_IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x13, struct cryptech_hsm_key)
#define CRYPTECH_HSM_IOC_DELETE \
	_IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x14, struct cryptech_hsm_key)
#define CRYPTECH_HSM_IOC_KEY_INFO \
	_IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x15, struct cryptech_hsm_key_info)
#define CRYPTECH_HSM_IOC_PUBLIC_KEY \
	_IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x16, struct cryptech_hsm_public_key)
#define CRYPTECH_HSM_IOC_SIGN \
	_IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x20, struct cryptech_hsm_sign)
#define CRYPTECH_HSM_IOC_VERIFY \
	_IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x21, struct cryptech_hsm_sign)
#define CRYPTECH_HSM_IOC_MATCH \
	_IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x30, struct cryptech_hsm_match)
#define CRYPTECH_HSM_IOC_SET_ATTRS \
	_IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x31, struct cryptech_hsm_set_attrs)
#define CRYPTECH_HSM_IOC_GET_ATTRS \
	_IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x32, struct cryptech_hsm_get_attrs)
#define CRYPTECH_HSM_IOC_EXPORT \
	_IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x40, struct cryptech_hsm_export)
#define CRYPTECH_HSM_IOC_IMPORT \
	_IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x41, struct cryptech_hsm_import)

/*
 * Generic netlink
 * ---------------
 * Family CRYPTECH_HSM_GENL_NAME, version CRYPTECH_HSM_GENL_VERSION.
 *
 * CRYPTECH_HSM_CMD_ATTACH (needs CAP_SYS_ADMIN)
 *	in:  CRYPTECH_HSM_A_TTY_PATH (string, path of a tty device node)
 *	The kernel opens the tty exclusively, sets it raw at 921600 8N1, sets
 *	the driver's line discipline and performs the GET_VERSION handshake.
 *	reply: one CRYPTECH_HSM_CMD_ATTACH message with the board attributes
 *	listed for GET_BOARD. Errors: ETIMEDOUT when the far end does not
 *	answer, EBUSY when the tty is already in use; an extended ACK message
 *	names the cause.
 *
 * CRYPTECH_HSM_CMD_DETACH (needs CAP_SYS_ADMIN)
 *	in:  CRYPTECH_HSM_A_INDEX (u32, N of /dev/hsmN)
 *	Fails every request in flight with ENODEV, removes /dev/hsmN and
 *	releases the tty.
 *
 * CRYPTECH_HSM_CMD_GET_BOARD (dump, or doit with CRYPTECH_HSM_A_INDEX)
 *	One message per board with CRYPTECH_HSM_A_INDEX, _DEV_NAME, _TTY_NAME,
 *	_PROTOCOL_VERSION, _STATE, _BOARD_ID, _BOARD_ID_KIND, _KERNEL_USER
 *	and the nested _STATS.
 *
 * Multicast group CRYPTECH_HSM_GENL_MCGRP_EVENTS carries
 * CRYPTECH_HSM_CMD_EVENT messages: CRYPTECH_HSM_A_EVENT (u32, enum
 * cryptech_hsm_event), CRYPTECH_HSM_A_INDEX, CRYPTECH_HSM_A_DEV_NAME,
 * CRYPTECH_HSM_A_TTY_NAME, CRYPTECH_HSM_A_BOARD_ID; KERNEL_SESSION events
 * also CRYPTECH_HSM_A_KERNEL_USER, the kernel session's new login state.
 *
 * DETACH and GET_BOARD with an unknown index fail with ENODEV.
 * CRYPTECH_HSM_A_TTY_PATH is at most PATH_MAX - 1 bytes.
 */
#define CRYPTECH_HSM_GENL_NAME		"cryptech_hsm"
#define CRYPTECH_HSM_GENL_VERSION	1
#define CRYPTECH_HSM_GENL_MCGRP_EVENTS	"events"

enum cryptech_hsm_cmd {
	CRYPTECH_HSM_CMD_UNSPEC,
	CRYPTECH_HSM_CMD_ATTACH,
	CRYPTECH_HSM_CMD_DETACH,
	CRYPTECH_HSM_CMD_GET_BOARD,
	CRYPTECH_HSM_CMD_EVENT,
	__CRYPTECH_HSM_CMD_MAX,
};

#define CRYPTECH_HSM_CMD_MAX (__CRYPTECH_HSM_CMD_MAX - 1)

enum cryptech_hsm_attr {
	CRYPTECH_HSM_A_UNSPEC,
	CRYPTECH_HSM_A_TTY_PATH,	/* string */
	CRYPTECH_HSM_A_INDEX,		/* u32 */
	CRYPTECH_HSM_A_DEV_NAME,	/* string, "hsmN" */
	CRYPTECH_HSM_A_TTY_NAME,	/* string, e.g. "ttyUSB0" */
	CRYPTECH_HSM_A_PROTOCOL_VERSION,/* u32 */
	CRYPTECH_HSM_A_STATE,		/* u32, enum cryptech_hsm_state */
	CRYPTECH_HSM_A_STATS,		/* nested, enum cryptech_hsm_stat */
	CRYPTECH_HSM_A_EVENT,		/* u32, enum cryptech_hsm_event */
	CRYPTECH_HSM_A_BOARD_ID,	/* string, the stable identity */
	CRYPTECH_HSM_A_BOARD_ID_KIND,	/* u32, CRYPTECH_HSM_BOARD_ID_* */
	/* u32, CRYPTECH_HSM_USER_* of the kernel session, _NONE if logged out */
	CRYPTECH_HSM_A_KERNEL_USER,
	__CRYPTECH_HSM_A_MAX,
};

#define CRYPTECH_HSM_A_MAX (__CRYPTECH_HSM_A_MAX - 1)

/* Counters since attach, all u64 (CRYPTECH_HSM_STAT_PAD is for alignment). */
enum cryptech_hsm_stat {
	CRYPTECH_HSM_STAT_UNSPEC,
	CRYPTECH_HSM_STAT_PAD,
	CRYPTECH_HSM_STAT_REQUESTS,	/* requests sent */
	CRYPTECH_HSM_STAT_ERRORS,	/* requests that failed, any cause */
	CRYPTECH_HSM_STAT_TIMEOUTS,	/* requests that timed out */
	/* frames dropped: malformed, oversized, unknown handle, wrong opcode */
	CRYPTECH_HSM_STAT_PROTO_ERRORS,
	CRYPTECH_HSM_STAT_IN_FLIGHT,	/* requests awaiting a reply now */
	CRYPTECH_HSM_STAT_BYTES_IN,	/* bytes received from the line */
	CRYPTECH_HSM_STAT_BYTES_OUT,	/* bytes written to the line */
	CRYPTECH_HSM_STAT_SESSIONS,	/* open files of /dev/hsmN now */
	__CRYPTECH_HSM_STAT_MAX,
};

#define CRYPTECH_HSM_STAT_MAX (__CRYPTECH_HSM_STAT_MAX - 1)

enum cryptech_hsm_state {
	CRYPTECH_HSM_STATE_PROBING,	/* handshake in progress */
	CRYPTECH_HSM_STATE_READY,	/* /dev/hsmN usable */
	CRYPTECH_HSM_STATE_GONE,	/* line hung up or detached */
};

enum cryptech_hsm_event {
	CRYPTECH_HSM_EVENT_ATTACHED = 1,
	CRYPTECH_HSM_EVENT_DETACHED,
	CRYPTECH_HSM_EVENT_TIMEOUT,
	CRYPTECH_HSM_EVENT_PROTO_ERROR,
	/* the kernel session logged in or out (CRYPTECH_HSM_A_KERNEL_USER) */
	CRYPTECH_HSM_EVENT_KERNEL_SESSION,
};

#endif /* _UAPI_LINUX_CRYPTECH_HSM_H */
