/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libhsm board events: attach, detach, timeouts and protocol errors as the
 * kernel multicasts them on the netlink group "events". Kept out of hsm.h so
 * that it can evolve on its own; hsm.h includes it.
 *
 * Typical use (a PKCS#11 module's C_WaitForSlotEvent, a daemon noticing an
 * unplug): hsm_events_open(), poll() on hsm_events_fd() for POLLIN, then
 * hsm_events_read() until it returns 0.
 */
#ifndef HSM_EVENTS_H
#define HSM_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Mirrors enum cryptech_hsm_event of the kernel ABI. */
enum hsm_event_type {
	HSM_EVENT_ATTACHED = 1,		/* a board became /dev/hsmN */
	HSM_EVENT_DETACHED = 2,		/* /dev/hsmN is gone (unplug, detach) */
	HSM_EVENT_TIMEOUT = 3,		/* a request to the board timed out */
	HSM_EVENT_PROTO_ERROR = 4,	/* the board sent a malformed frame */
	HSM_EVENT_KERNEL_SESSION = 5,	/* the kernel session logged in or out */
};

struct hsm_event {
	uint32_t type;			/* enum hsm_event_type */
	uint32_t index;			/* N of /dev/hsmN */
	char dev_name[32];		/* "hsmN" */
	char tty_name[64];		/* "" if not reported */
	char board_id[64];		/* stable identity; "" if not reported */
};

struct hsm_events;

/*
 * Subscribe to the board events. The socket is non-blocking and
 * close-on-exec. -ENOENT (with a message) when the cryptech_hsm module is
 * not loaded. @errmsg may be NULL.
 */
int hsm_events_open(struct hsm_events **out, char *errmsg, size_t errmsg_len);

/* The descriptor to poll() for POLLIN. */
int hsm_events_fd(const struct hsm_events *ev);

/*
 * The next event: 1 with *@out filled, 0 when none is pending (never
 * blocks), -ENOBUFS when the kernel dropped events because they were not
 * read in time (rescan the boards with hsm_list_boards(), then go on
 * reading), other -errno on failure.
 */
int hsm_events_read(struct hsm_events *ev, struct hsm_event *out);

/*
 * As hsm_events_read(), and for a KERNEL_SESSION event *@kernel_user (may
 * be NULL) receives the kernel session's new login state (HSM_USER_*:
 * HSM_USER_NONE once logged out); HSM_USER_NONE for the other events. A
 * separate function so that struct hsm_event keeps its size.
 */
int hsm_events_read_ex(struct hsm_events *ev, struct hsm_event *out,
		       uint32_t *kernel_user);

/*
 * "attached", "detached", "timeout", "protocol-error", "kernel-session" or
 * "unknown".
 */
const char *hsm_event_name(uint32_t type);

/* Unsubscribe. NULL is ok. */
void hsm_events_close(struct hsm_events *ev);

#ifdef __cplusplus
}
#endif

#endif /* HSM_EVENTS_H */
