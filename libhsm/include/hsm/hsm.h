/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libhsm: userspace API for CrypTech HSM boards driven by the cryptech_hsm
 * kernel module.
 *
 * Conventions (Documentation/libhsm.rst has the full reference):
 * - Every function returning int returns 0 on success or a negative errno.
 * - Board requests also report the board's own status code (hal_error_t,
 *   0 = success) through a uint32_t *board_status, which may be NULL.
 * - All functions are thread-safe. A session may be used by several threads
 *   at once (the kernel serialises the requests of one session); only
 *   hsm_close() must not race other calls on the same session.
 * - Netlink functions open one socket per call and take an optional errmsg
 *   buffer that receives a human-readable cause on failure (the kernel's
 *   extended-ACK message when it sent one), or "" on success.
 *
 * This header depends only on the C library; the kernel's uapi header is
 * needed to build libhsm, not to use it.
 */
#ifndef HSM_HSM_H
#define HSM_HSM_H

#include <stddef.h>
#include <stdint.h>

#include <hsm/events.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HSM_VERSION_STRING	"0.1.0"

/* Number of status codes the protocol defines (0 .. HSM_BOARD_STATUS_COUNT-1). */
#define HSM_BOARD_STATUS_COUNT	50

/* Mirrors enum cryptech_hsm_state of the kernel ABI. */
enum hsm_board_state {
	HSM_BOARD_PROBING = 0,	/* handshake in progress */
	HSM_BOARD_READY = 1,	/* /dev/hsmN usable */
	HSM_BOARD_GONE = 2,	/* line hung up or detached */
};

/* Library version, e.g. "0.1.0". */
const char *hsm_version(void);

/* ---- Sessions: an open /dev/hsmN --------------------------------------- */

struct hsm_session;

struct hsm_board_info {
	uint32_t index;			/* N of /dev/hsmN */
	uint32_t protocol_version;	/* e.g. 0x01010100 for 1.1.1.0 */
	char dev_name[32];		/* "hsmN" */
	char tty_name[64];		/* e.g. "ttyUSB0" */
	char board_id[64];		/* stable identity; "" if unknown */
	uint32_t board_id_kind;		/* HSM_BOARD_ID_*, 0 if unknown */
	uint32_t kernel_user;		/* HSM_USER_* of the kernel session,
					 * HSM_USER_NONE if not logged in */
};

/*
 * Parse a device name: "/dev/hsmN", "hsmN" or "N" (N decimal, no sign, no
 * leading zeros, < 2^31). -EINVAL if @dev is none of these.
 */
int hsm_parse_device(const char *dev, uint32_t *index);

/*
 * Open a session on a board. @dev is anything hsm_parse_device() accepts,
 * or any other path containing a '/' (e.g. a udev symlink), opened as is.
 * -ENOENT when the node does not exist, -EACCES without permission.
 */
int hsm_open(const char *dev, struct hsm_session **out);

/* End the session (the kernel logs it out and closes its keys). NULL is ok. */
void hsm_close(struct hsm_session *s);

/* The file descriptor behind the session (for poll(), fstat()). */
int hsm_session_fd(const struct hsm_session *s);

/*
 * Fill @buf with @len random bytes from the board. Requests larger than
 * the board's maximum are split. Returns 0 only when all @len bytes were
 * written; @len 0 succeeds without a request.
 */
int hsm_random(struct hsm_session *s, void *buf, size_t len,
	       uint32_t *board_status);

/* Describe the board behind the session (no board request is made). */
int hsm_board_info(struct hsm_session *s, struct hsm_board_info *out);

/* ---- Errors and names --------------------------------------------------- */

/*
 * A description of a failure: the board's own status ("PIN_INCORRECT: wrong
 * PIN") when @board_status != 0, else the description of errno -@err.
 * Known codes give static strings; an unknown code gives a string in a
 * thread-local buffer, valid until the calling thread's next call.
 */
const char *hsm_strerror(int err, uint32_t board_status);

/*
 * The status code's name, e.g. "HAL_ERROR_PIN_INCORRECT" or "HAL_OK";
 * "unknown status 57" (thread-local buffer, as above) for codes >= 50.
 */
const char *hsm_board_status_name(uint32_t status);

/* "probing", "ready", "gone", or "unknown" for any other value. */
const char *hsm_board_state_name(uint32_t state);

/*
 * Format a protocol version as "1.1.1.0" into @buf. Returns the length
 * snprintf() would have written (the result is always NUL-terminated
 * when @len > 0).
 */
int hsm_format_version(uint32_t version, char *buf, size_t len);

/* ---- Boards: the generic netlink family "cryptech_hsm" ----------------- */

struct hsm_board_stats {
	uint64_t requests;	/* requests sent */
	uint64_t errors;	/* requests that failed, any cause */
	uint64_t timeouts;	/* requests that timed out */
	uint64_t proto_errors;	/* frames dropped as malformed/unexpected */
	uint64_t in_flight;	/* requests awaiting a reply now */
	uint64_t bytes_in;	/* bytes received from the line */
	uint64_t bytes_out;	/* bytes written to the line */
	uint64_t sessions;	/* open files of /dev/hsmN now */
};

struct hsm_board_desc {
	uint32_t index;			/* N of /dev/hsmN */
	char dev_name[32];		/* "hsmN" */
	char tty_name[64];		/* e.g. "ttyUSB0"; "" if not reported */
	uint32_t protocol_version;	/* 0 if not reported */
	uint32_t state;			/* enum hsm_board_state */
	struct hsm_board_stats stats;	/* 0 where not reported */
	char board_id[64];		/* stable identity; "" if not reported */
	uint32_t board_id_kind;		/* HSM_BOARD_ID_*, 0 if not reported */
	uint32_t kernel_user;		/* HSM_USER_* of the kernel session;
					 * HSM_USER_NONE if not logged in or
					 * not reported */
};

/*
 * Ask the kernel to attach the board on @tty_path (a path, or a name under
 * /dev such as "ttyUSB0"). Needs CAP_SYS_ADMIN (-EPERM otherwise).
 * On success @out (may be NULL) describes the new board.
 * -ENOENT with a message saying so when the cryptech_hsm module is not
 * loaded; -ETIMEDOUT when the board did not answer; -EBUSY when the tty is
 * in use. @errmsg (may be NULL) receives the cause.
 */
int hsm_attach(const char *tty_path, struct hsm_board_desc *out,
	       char *errmsg, size_t errmsg_len);

/* Detach board @index. Needs CAP_SYS_ADMIN. */
int hsm_detach(uint32_t index, char *errmsg, size_t errmsg_len);

/*
 * List the attached boards, sorted by index. On success *@out is an array
 * of *@count entries (NULL when there are none) to release with
 * hsm_free_boards().
 */
int hsm_list_boards(struct hsm_board_desc **out, size_t *count,
		    char *errmsg, size_t errmsg_len);
void hsm_free_boards(struct hsm_board_desc *boards);

/* Describe board @index. */
int hsm_get_board(uint32_t index, struct hsm_board_desc *out,
		  char *errmsg, size_t errmsg_len);

/* ---- Board identity ---------------------------------------------------- */

/*
 * Where a board_id comes from (the kernel's CRYPTECH_HSM_BOARD_ID_*):
 * the USB serial number of the board's serial bridge (stable anywhere),
 * "usb-" and the USB port path (stable while it stays on that port), or
 * "tty-" and the tty name (not stable). An older kernel reports none:
 * board_id "" and kind 0.
 */
#define HSM_BOARD_ID_USB_SERIAL	1
#define HSM_BOARD_ID_USB_PATH	2
#define HSM_BOARD_ID_TTY	3

/* Sizes of what hsm_token_label() and hsm_token_serial() write. */
#define HSM_TOKEN_LABEL_LEN	33	/* at most 32 bytes and the NUL */
#define HSM_TOKEN_SERIAL_LEN	17	/* at most 16 bytes and the NUL */

/*
 * The PKCS#11 token label of the board with @board_id: "cryptech-" and the
 * id with every byte outside [A-Za-z0-9._-] replaced by '-'; when that is
 * longer than 32 bytes, "cryptech-", the first 14 of those bytes, '-' and
 * 8 lower-case hex digits of SHA-256(@board_id) (32 bytes). It needs no
 * percent-encoding in an RFC 7512 URI. -EINVAL for an empty @board_id,
 * -ENOSPC when @len < HSM_TOKEN_LABEL_LEN.
 */
int hsm_token_label(const char *board_id, char *buf, size_t len);

/*
 * The PKCS#11 token serial number: the id, sanitised as above, when it
 * fits 16 bytes, else its first 7 bytes, '-' and 8 hex digits of
 * SHA-256(@board_id). -EINVAL for "", -ENOSPC when @len < 17.
 */
int hsm_token_serial(const char *board_id, char *buf, size_t len);

/*
 * The index of the attached board named @name: "hsmN", "/dev/hsmN" or "N"
 * (the board must be attached), else a board_id or a token label
 * (exactly). -ENODEV when no attached board matches, -ENOTUNIQ when
 * several do, -EINVAL for NULL, "" or a name longer than 63 bytes, with
 * bytes that are not printable ASCII, or with a '/' (other than
 * /dev/hsmN); netlink errors as hsm_list_boards()
 * (-ENOENT without the module).
 */
int hsm_find_board(const char *name, uint32_t *index);

/* ---- Users and PINs ----------------------------------------------------- */

/* Board users (protocol §6.2); the values are the kernel ABI's. */
enum hsm_user {
	HSM_USER_NONE = 0,	/* not logged in */
	HSM_USER_NORMAL = 1,	/* the key user ("user") */
	HSM_USER_SO = 2,	/* may only set the NORMAL user's PIN */
	HSM_USER_WHEEL = 3,	/* administers the board */
};

#define HSM_PIN_MIN	4
#define HSM_PIN_MAX	4096

/*
 * Log the session in as @user with @pin_len bytes of @pin (no NUL needed).
 * A wrong PIN fails with -EACCES (board status PIN_INCORRECT) after the
 * board's delay. Logging in again replaces the login.
 */
int hsm_login(struct hsm_session *s, uint32_t user, const void *pin,
	      size_t pin_len, uint32_t *board_status);

/* Log the session out; the board deletes the session's volatile keys. */
int hsm_logout(struct hsm_session *s, uint32_t *board_status);

/*
 * Set @user's PIN. Needs a WHEEL login (any user) or an SO login (the
 * NORMAL user only); -EPERM otherwise.
 */
int hsm_set_pin(struct hsm_session *s, uint32_t user, const void *pin,
		size_t pin_len, uint32_t *board_status);

/* Who the session is logged in as (HSM_USER_*), as the board says. */
int hsm_login_status(struct hsm_session *s, uint32_t *user,
		     uint32_t *board_status);

/*
 * Log in the board's kernel session, the one session all in-kernel users
 * of the board share, as @user; @s only names the board (its own login is
 * unchanged). Needs CAP_SYS_ADMIN (-EPERM). The login outlives @s and the
 * process and lasts until hsm_kernel_logout() or the board's detach. Errors
 * as hsm_login(); -ENOTTY from a kernel without the kernel session.
 */
int hsm_kernel_login(struct hsm_session *s, uint32_t user, const void *pin,
		     size_t pin_len, uint32_t *board_status);

/* End the kernel session's login (CAP_SYS_ADMIN); 0 if it had none. */
int hsm_kernel_logout(struct hsm_session *s, uint32_t *board_status);

/* "none", "user", "so", "wheel", or "unknown". */
const char *hsm_user_name(uint32_t user);

/* The reverse of hsm_user_name() for "user", "so" and "wheel"; -EINVAL. */
int hsm_user_parse(const char *name, uint32_t *user);

/* ---- Keys --------------------------------------------------------------- */

#define HSM_UUID_LEN		16
#define HSM_UUID_STR_LEN	37	/* 8-4-4-4-12 text and its NUL */

/* Key flags (protocol §6.5), fixed when a key is created. */
enum hsm_key_flag {
	HSM_KEY_F_SIGN = 0x01,		/* DIGITALSIGNATURE: sign, verify */
	HSM_KEY_F_KEYENC = 0x02,	/* KEYENCIPHERMENT: a KEKEK */
	HSM_KEY_F_DATAENC = 0x04,	/* DATAENCIPHERMENT */
	HSM_KEY_F_TOKEN = 0x08,		/* persistent; else volatile */
	HSM_KEY_F_PUBLIC = 0x10,	/* PKCS#11 public object */
	HSM_KEY_F_EXPORTABLE = 0x20,	/* may be exported wrapped */
	HSM_KEY_F_ALL = 0x3f,
};

/* Key types (protocol §6.3) and curves (§6.4). */
enum hsm_key_type {
	HSM_KEY_RSA_PRIVATE = 1,
	HSM_KEY_RSA_PUBLIC = 2,
	HSM_KEY_EC_PRIVATE = 3,
	HSM_KEY_EC_PUBLIC = 4,
};

enum hsm_curve {
	HSM_CURVE_NONE = 0,
	HSM_CURVE_P256 = 1,
	HSM_CURVE_P384 = 2,
	HSM_CURVE_P521 = 3,
};

/* Largest signature the board makes (RSA-4096); ECDSA: 64, 96, 132. */
#define HSM_SIGNATURE_MAX	512

/*
 * Key handles are the kernel's per-session numbers (from 1): they name a
 * key in this session only and are released by hsm_close_key(),
 * hsm_delete_key() or the end of the session.
 */
struct hsm_key_info {
	uint32_t type;			/* enum hsm_key_type */
	uint32_t curve;			/* enum hsm_curve, 0 for RSA */
	uint32_t flags;			/* HSM_KEY_F_* */
	uint8_t uuid[HSM_UUID_LEN];	/* the key's name on the board */
};

/*
 * Generate an RSA key pair of @bits (1024..4096, multiple of 8) with
 * public exponent @exponent (0 means 65537, the only value real boards
 * accept), or an EC key pair on @curve. @flags are HSM_KEY_F_*. On success
 * *@handle is the new key's handle and @uuid (may be NULL) its name. Needs
 * a NORMAL or WHEEL login unless @flags has PUBLIC and not TOKEN. RSA
 * generation can take minutes on a real board.
 */
int hsm_generate_rsa(struct hsm_session *s, unsigned int bits,
		     uint32_t exponent, uint32_t flags, uint32_t *handle,
		     uint8_t uuid[HSM_UUID_LEN], uint32_t *board_status);
int hsm_generate_ec(struct hsm_session *s, uint32_t curve, uint32_t flags,
		    uint32_t *handle, uint8_t uuid[HSM_UUID_LEN],
		    uint32_t *board_status);

/* Store a DER PKCS#8 PrivateKeyInfo or SubjectPublicKeyInfo. */
int hsm_load_der(struct hsm_session *s, const void *der, size_t der_len,
		 uint32_t flags, uint32_t *handle, uint8_t uuid[HSM_UUID_LEN],
		 uint32_t *board_status);

/* Open an existing key by name. Unknown or invisible keys: -ENOENT. */
int hsm_open_key(struct hsm_session *s, const uint8_t uuid[HSM_UUID_LEN],
		 uint32_t *handle, uint32_t *board_status);

/* Release a handle; hsm_delete_key() also removes the key from the board. */
int hsm_close_key(struct hsm_session *s, uint32_t handle,
		  uint32_t *board_status);
int hsm_delete_key(struct hsm_session *s, uint32_t handle,
		   uint32_t *board_status);

/* Type, curve, flags and name of a key. */
int hsm_key_info(struct hsm_session *s, uint32_t handle,
		 struct hsm_key_info *out, uint32_t *board_status);

/*
 * The key's DER SubjectPublicKeyInfo into @buf of *@len bytes; *@len is
 * set to its length. -ENOSPC with *@len the size needed when too small.
 */
int hsm_public_key(struct hsm_session *s, uint32_t handle, void *buf,
		   size_t *len, uint32_t *board_status);

/* The same into a malloc()ed buffer *@out (free() it) of *@len bytes. */
int hsm_public_key_alloc(struct hsm_session *s, uint32_t handle,
			 unsigned char **out, size_t *len,
			 uint32_t *board_status);

/*
 * Sign @in: for RSA the DER DigestInfo (the board adds PKCS#1 v1.5
 * padding), for ECDSA the digest (pair it with the curve: the board does
 * not truncate). The signature goes to @sig of *@sig_len bytes (ECDSA:
 * r || s); -ENOSPC with the size needed when too small, but the board
 * signs anyway and the result is lost: size buffers with
 * hsm_signature_size() or HSM_SIGNATURE_MAX. -ENOSPC with board status 41
 * (NO_KEY_INDEX_SLOTS) and *@sig_len unchanged means the keystore is full:
 * an RSA key's first signature rewrites its key block. The key needs
 * HSM_KEY_F_SIGN (-EPERM otherwise).
 */
int hsm_sign(struct hsm_session *s, uint32_t handle, const void *in,
	     size_t in_len, void *sig, size_t *sig_len,
	     uint32_t *board_status);

/* 0 when @sig is a valid signature of @in, -EKEYREJECTED when not. */
int hsm_verify(struct hsm_session *s, uint32_t handle, const void *in,
	       size_t in_len, const void *sig, size_t sig_len,
	       uint32_t *board_status);

/* ---- Key attributes ---------------------------------------------------- */

/*
 * One key attribute: an arbitrary 32-bit type (the PKCS#11 module uses the
 * CKA_* numbers) and a byte string. The board keeps one value per type.
 */
struct hsm_attr {
	uint32_t type;
	uint32_t len;		/* HSM_ATTR_DELETE in hsm_set_attributes() */
	const void *value;	/* NULL for an absent attribute */
};

#define HSM_ATTR_DELETE		0xffffffffu
#define HSM_ATTRS_MAX		64	/* attributes per call */
#define HSM_ATTRS_MAX_BYTES	16000	/* their packed size (8 per header,
					 * values padded to 4) */

/* PKCS#11 attribute types the tools use (protocol §7.8). */
#define HSM_CKA_LABEL		0x003u
#define HSM_CKA_ID		0x102u

/*
 * Create, replace or (len HSM_ATTR_DELETE) delete @n attributes, all or
 * nothing. -EINVAL when the list exceeds the limits above.
 */
int hsm_set_attributes(struct hsm_session *s, uint32_t handle,
		       const struct hsm_attr *attrs, size_t n,
		       uint32_t *board_status);

/*
 * One attribute's value into @buf of *@len bytes; *@len is set to its
 * length. -ENODATA when the key has no such attribute, -ENOSPC with the
 * size needed when @buf is too small.
 */
int hsm_get_attribute(struct hsm_session *s, uint32_t handle, uint32_t type,
		      void *buf, size_t *len, uint32_t *board_status);

/* hsm_get_attributes() flags */
#define HSM_ATTRS_OPTIONAL	0x1	/* absent ones: value NULL, len 0 */
#define HSM_ATTRS_TELL_EMPTY	0x2	/* with OPTIONAL: empty != absent */

/*
 * The attributes @types[0..@n-1], in that order, as one malloc()ed block
 * *@out of @n entries (free() it; the values live in the same block).
 * Without HSM_ATTRS_OPTIONAL a missing attribute fails with -ENODATA.
 * With it, a missing attribute gets value NULL and len 0, also when the
 * key has no attributes at all (the board then fails every read); it costs
 * one request when nothing is present, else two, the second sized from the
 * lengths of the first. The board reports absent and empty attributes
 * alike, so both get value NULL unless HSM_ATTRS_TELL_EMPTY is given too:
 * then an empty attribute that exists gets a non-NULL value of len 0, at
 * the cost of further requests when some length was 0 (a value read of
 * the zero-length ones, split in halves while the board refuses it).
 */
int hsm_get_attributes(struct hsm_session *s, uint32_t handle,
		       const uint32_t *types, size_t n, unsigned int flags,
		       struct hsm_attr **out, uint32_t *board_status);

/* ---- Signature sizes ---------------------------------------------------- */

/*
 * The size of the signature hsm_sign() would make with @handle, without
 * signing: 64, 96 or 132 bytes for ECDSA on P-256/384/521 (from the key's
 * curve), the modulus length for RSA (from its public key). Use it to
 * answer "how big" questions: hsm_sign() with a short buffer costs a whole
 * signing operation on the board. -EINVAL for a key that cannot sign.
 */
int hsm_signature_size(struct hsm_session *s, uint32_t handle, size_t *len,
		       uint32_t *board_status);

/* ---- Finding keys ------------------------------------------------------- */

/* What hsm_match() looks for; all-zero matches every visible key. */
struct hsm_match_filter {
	uint32_t type;		/* enum hsm_key_type, 0 for any */
	uint32_t curve;		/* enum hsm_curve, 0 for any */
	uint32_t mask;		/* flag bits that must equal... */
	uint32_t flags;		/* ...these: ((key ^ flags) & mask) == 0 */
	const struct hsm_attr *attrs;	/* each must be present, exactly */
	size_t n_attrs;
};

/*
 * Call @cb with the name of every key matching @filter (NULL: all), token
 * keys first, then volatile keys (a WHEEL login sees every session's).
 * Without a NORMAL or WHEEL login the board lists only PUBLIC keys, and
 * only when the filter asks for them. A non-zero return of @cb stops the
 * walk and is returned. The pages of the kernel ABI are hidden.
 */
int hsm_match(struct hsm_session *s, const struct hsm_match_filter *filter,
	      int (*cb)(const uint8_t uuid[HSM_UUID_LEN], void *arg),
	      void *arg, uint32_t *board_status);

/*
 * The same into a malloc()ed array *@uuids (free() it; NULL when none) of
 * *@count names.
 */
int hsm_match_all(struct hsm_session *s, const struct hsm_match_filter *filter,
		  uint8_t (**uuids)[HSM_UUID_LEN], size_t *count,
		  uint32_t *board_status);

/* ---- Export and import (key backup between boards) ---------------------- */

/*
 * Wrap an EXPORTABLE private key for @kekek_handle, an RSA key of this
 * session with HSM_KEY_F_KEYENC (normally the destination board's KEKEK
 * loaded from its public key). *@pkcs8 (the wrapped key) and *@kek (the
 * one-time KEK encrypted for the KEKEK) are malloc()ed; free() them.
 */
int hsm_export_key(struct hsm_session *s, uint32_t handle,
		   uint32_t kekek_handle, unsigned char **pkcs8,
		   size_t *pkcs8_len, unsigned char **kek, size_t *kek_len,
		   uint32_t *board_status);

/* Unwrap what hsm_export_key() made, with this board's KEKEK private key. */
int hsm_import_key(struct hsm_session *s, uint32_t kekek_handle,
		   const void *pkcs8, size_t pkcs8_len, const void *kek,
		   size_t kek_len, uint32_t flags, uint32_t *handle,
		   uint8_t uuid[HSM_UUID_LEN], uint32_t *board_status);

/* ---- Key names ---------------------------------------------------------- */

/*
 * Write @uuid as lower-case 8-4-4-4-12 text ("6ba7b810-9dad-41d1-80b4-
 * 00c04fd430c8") into @buf of @len >= HSM_UUID_STR_LEN bytes (-ENOSPC).
 */
int hsm_uuid_format(const uint8_t uuid[HSM_UUID_LEN], char *buf, size_t len);

/* Parse 8-4-4-4-12 hex text (either case, nothing else around); -EINVAL. */
int hsm_uuid_parse(const char *text, uint8_t uuid[HSM_UUID_LEN]);

/* "rsa-private", "rsa-public", "ec-private", "ec-public" or "unknown". */
const char *hsm_key_type_name(uint32_t type);

/* "P-256", "P-384", "P-521", "none" (0) or "unknown". */
const char *hsm_curve_name(uint32_t curve);

/*
 * Flags as a comma-separated list of "sign", "keyenc", "dataenc", "token",
 * "public", "exportable" (unknown bits as "0x40"), "" for none. Returns
 * what snprintf() would have returned.
 */
int hsm_key_flags_format(uint32_t flags, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* HSM_HSM_H */
