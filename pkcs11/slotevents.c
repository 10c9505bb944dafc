// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * C_WaitForSlotEvent over libhsm's board events (the kernel's netlink
 * "events" group): an attach or detach re-reads the boards, and the first
 * slot whose token came or went is the answer. Without the events (no
 * cryptech_hsm module, or the test seam) it answers
 * CKR_FUNCTION_NOT_SUPPORTED, which PKCS#11 allows; applications then poll
 * C_GetSlotList.
 *
 * A blocked call waits in poll() on the events descriptor and a pipe that
 * C_Finalize writes to; C_Finalize waits for such calls to leave before it
 * frees anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "p11.h"

/* Caller holds g.lock. */
static CK_RV events_start(void)
{
	if (g.events)
		return CKR_OK;
	if (hsm_events_open(&g.events, NULL, 0))
		return CKR_FUNCTION_NOT_SUPPORTED;
	if (pipe2(g.wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		hsm_events_close(g.events);
		g.events = NULL;
		return CKR_HOST_MEMORY;
	}
	return CKR_OK;
}

void slot_events_stop(bool inherited)
{
	if (!inherited) {
		/* Wake blocked callers and let them leave first. */
		p11_lock(g.lock);
		if (g.waiters && g.events)
			(void)!write(g.wake[1], "x", 1);
		while (g.waiters) {
			p11_unlock(g.lock);
			sched_yield();
			p11_lock(g.lock);
		}
		p11_unlock(g.lock);
	}
	if (g.events) {
		hsm_events_close(g.events);
		close(g.wake[0]);
		close(g.wake[1]);
		g.events = NULL;
	}
}

/*
 * Read the pending events; after an attach or detach (or lost events),
 * re-read the boards and put in *@slot the first slot that changed.
 * Caller holds g.lock. CKR_OK with a slot, CKR_NO_EVENT without.
 */
static CK_RV take_events(CK_SLOT_ID *slot)
{
	bool before[P11_MAX_SLOTS], existed[P11_MAX_SLOTS], changed = false;
	struct hsm_event e;
	size_t j;
	int r;

	while ((r = hsm_events_read(g.events, &e)) != 0) {
		if (r < 0 || e.type == HSM_EVENT_ATTACHED ||
		    e.type == HSM_EVENT_DETACHED)
			changed = true;
		if (r < 0 && r != -ENOBUFS)
			break;
	}
	for (j = 0; j < P11_MAX_SLOTS; j++) {
		existed[j] = g.slots[j] != NULL;
		before[j] = existed[j] && g.slots[j]->present;
		/* a request already saw the board go */
		if (existed[j] && g.slots[j]->unplug_seen) {
			slot_unplugged(g.slots[j]);
			changed = true;
		}
	}
	if (!changed)
		return CKR_NO_EVENT;
	if (slots_refresh() != CKR_OK)
		return CKR_NO_EVENT;
	for (j = 0; j < P11_MAX_SLOTS; j++) {
		bool now = g.slots[j] && g.slots[j]->present;

		if (g.slots[j] && g.slots[j]->group)
			continue;	/* a group's board: the group answers */
		if (now != before[j] || (g.slots[j] != NULL) != existed[j]) {
			*slot = j;
			return CKR_OK;
		}
	}
	return CKR_NO_EVENT;
}

CK_RV C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR pSlot,
			 CK_VOID_PTR pReserved)
{
	struct pollfd pfd[2];
	CK_RV rv = p11_ready();

	if (rv != CKR_OK)
		return rv;
	if (!pSlot || pReserved)
		return CKR_ARGUMENTS_BAD;
	p11_lock(g.lock);
	rv = events_start();
	if (rv != CKR_OK) {
		p11_unlock(g.lock);
		return rv;
	}
	g.waiters++;
	for (;;) {
		rv = take_events(pSlot);
		if (rv != CKR_NO_EVENT || flags & CKF_DONT_BLOCK)
			break;
		pfd[0].fd = hsm_events_fd(g.events);
		pfd[0].events = POLLIN;
		pfd[1].fd = g.wake[0];
		pfd[1].events = POLLIN;
		p11_unlock(g.lock);
		if (poll(pfd, 2, -1) < 0 && errno != EINTR) {
			p11_lock(g.lock);
			rv = CKR_FUNCTION_FAILED;
			break;
		}
		p11_lock(g.lock);
		if (pfd[1].revents) {
			rv = CKR_CRYPTOKI_NOT_INITIALIZED;	/* C_Finalize */
			break;
		}
	}
	g.waiters--;
	p11_unlock(g.lock);
	return rv;
}
