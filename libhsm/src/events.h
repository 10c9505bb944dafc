/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Between events.c and its unit test: decoding one event message. */
#ifndef HSM_EVENTS_INTERNAL_H
#define HSM_EVENTS_INTERNAL_H

#include <hsm/hsm.h>
#include <hsm/events.h>

struct nlmsghdr;

/* Fill @out from one CRYPTECH_HSM_CMD_EVENT message; -EPROTO if malformed. */
int hsm_event_parse(struct nlmsghdr *nlh, struct hsm_event *out);

/* The same, and the KERNEL_USER attribute into *@kernel_user (may be NULL). */
int hsm_event_parse_ex(struct nlmsghdr *nlh, struct hsm_event *out,
		       uint32_t *kernel_user);

#endif
