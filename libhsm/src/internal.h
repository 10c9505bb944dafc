/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Interfaces between libhsm's source files. Not installed; the unit tests
 * include it to reach the pieces that can be tested without the kernel.
 */
#ifndef HSM_INTERNAL_H
#define HSM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <hsm/hsm.h>

struct nlmsghdr;
struct nl_msg;

/* Write the device node path for @dev into @buf (see hsm_open()). */
int hsm_session_path(const char *dev, char *buf, size_t len);

/* Copy a possibly unterminated string of at most @srclen bytes. */
void hsm_copy_str(char *dst, size_t dstlen, const char *src, size_t srclen);

/* printf into an optional caller buffer (NULL or 0 length: no-op). */
void hsm_errmsg_set(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Map a libnl error (negative NLE_*) to a negative errno. */
int hsm_nlerr_to_errno(int nlerr);

/*
 * The extended-ACK message of an NLMSG_ERROR or NLMSG_DONE message, copied
 * into @buf. Returns 1 if there was one, 0 if not, -EPROTO if malformed.
 * Only the first @avail bytes at @nlh are read, whatever nlmsg_len says.
 */
int hsm_extack_msg(const struct nlmsghdr *nlh, size_t avail, char *buf,
		   size_t len);

/* One generic netlink request and its replies. */
struct hsm_nl_request {
	const char *family;	/* generic netlink family name */
	uint8_t cmd;
	uint8_t version;
	int dump;		/* NLM_F_DUMP request */
	/* add the request's attributes; 0 or -errno */
	int (*put)(struct nl_msg *msg, const void *arg);
	const void *put_arg;
	/* called for each reply message of the family; 0 or -errno */
	int (*parse)(struct nlmsghdr *nlh, void *arg);
	void *parse_arg;
};

/*
 * Send @req on a new socket and wait for its ACK (or the end of the dump).
 * Returns 0 or -errno; @errmsg gets the kernel's message or our own cause.
 */
int hsm_nl_transact(const struct hsm_nl_request *req, char *errmsg,
		    size_t errmsg_len);

/* Fill @out from one board message (CRYPTECH_HSM_CMD_GET_BOARD shape). */
int hsm_board_parse(struct nlmsghdr *nlh, struct hsm_board_desc *out);

/* ioctl() on the session's file: 0 or -errno (-EINVAL without a session). */
int hsm_session_ioctl(struct hsm_session *s, unsigned long cmd, void *arg);

/*
 * Pack @n attributes in the kernel's format (header, value, pad to 4) into
 * a malloc()ed buffer (*@out NULL when @n is 0). HSM_ATTR_DELETE entries
 * are allowed only with @allow_delete. -EINVAL past the ABI's limits.
 */
int hsm_attrs_pack(const struct hsm_attr *attrs, size_t n, int allow_delete,
		   unsigned char **out, size_t *len);

/*
 * Parse @len bytes of packed entries from the kernel into @out[0..@n-1],
 * checking each entry's type against @types and every length against the
 * buffer (the kernel's data is not trusted). With @lengths_only the
 * entries are bare headers. Values point into @buf. -EPROTO if malformed.
 */
int hsm_attrs_unpack(const unsigned char *buf, size_t len,
		     const uint32_t *types, size_t n, int lengths_only,
		     struct hsm_attr *out);

/*
 * hsm_find_board() over the board list @boards[0..@n-1] (the netlink dump
 * of hsm_find_board()), for the unit tests.
 */
int hsm_board_match(const struct hsm_board_desc *boards, size_t n,
		    const char *name, uint32_t *index);

#endif /* HSM_INTERNAL_H */
