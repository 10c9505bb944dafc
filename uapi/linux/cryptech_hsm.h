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
 */
struct cryptech_hsm_board_info {
	__u32 size;
	__u32 board_status;
	__u32 index;
	__u32 protocol_version;
	char tty_name[64];
};

/* Sizes of the first published version of each struct: the smallest accepted. */
#define CRYPTECH_HSM_RANDOM_SIZE_VER0		24
#define CRYPTECH_HSM_BOARD_INFO_SIZE_VER0	80

#define CRYPTECH_HSM_IOC_RANDOM \
	_IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x01, struct cryptech_hsm_random)
#define CRYPTECH_HSM_IOC_BOARD_INFO \
	_IOWR(CRYPTECH_HSM_IOC_MAGIC, 0x02, struct cryptech_hsm_board_info)

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
 *	_PROTOCOL_VERSION, _STATE and the nested _STATS.
 *
 * Multicast group CRYPTECH_HSM_GENL_MCGRP_EVENTS carries
 * CRYPTECH_HSM_CMD_EVENT messages: CRYPTECH_HSM_A_EVENT (u32, enum
 * cryptech_hsm_event), CRYPTECH_HSM_A_INDEX, CRYPTECH_HSM_A_DEV_NAME,
 * CRYPTECH_HSM_A_TTY_NAME.
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
};

#endif /* _UAPI_LINUX_CRYPTECH_HSM_H */
