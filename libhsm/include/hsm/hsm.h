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

#ifdef __cplusplus
}
#endif

#endif /* HSM_HSM_H */
