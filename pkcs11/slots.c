// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Slots and tokens: one slot per attached board. C_GetSlotList re-reads
 * the kernel's board list, so slots follow attach and detach. A slot is
 * tied to the board's stable identity, not to /dev/hsmN: a board that
 * comes back (on any /dev/hsmN, in any order) gets its old slot ID again,
 * and the token label and serial come from the identity alone.
 *
 * A board that a redundancy group names (group.c) gets a slot too, but a
 * hidden one: the group's slot, made for every configured group before
 * any board so that its ID does not depend on plug order, stands for it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "p11.h"

void p11_pad(CK_UTF8CHAR *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	memset(dst, ' ', len);
	memcpy(dst, src, n < len ? n : len);
}

/*
 * Label and serial: libhsm's, from the board identity (hsm_token_label(),
 * hsm_token_serial(): "cryptech-" and the identity, no byte that would need
 * percent-encoding in a PKCS#11 URI), so that hsmctl's URIs and the
 * module's tokens agree. Without an identity (a kernel that reports none)
 * the device name stands in: "cryptech-hsm0", serial "hsm0", stable only
 * while boards attach in the same order.
 */
void p11_token_label(const char *board_id, const char *dev_name,
		     char label[33])
{
	if (!board_id[0] || hsm_token_label(board_id, label, 33) != 0)
		snprintf(label, 33, "%s%s", P11_LABEL_PREFIX, dev_name);
}

void p11_token_serial(const char *board_id, const char *dev_name,
		      char serial[17])
{
	if (!board_id[0] || hsm_token_serial(board_id, serial, 17) != 0)
		snprintf(serial, 17, "%s", dev_name);
}

/* The board's identity, device name and protocol version (no request). */
static int read_identity(const char *dev, char board_id[64], char dev_name[32],
			 uint32_t *version)
{
	struct hsm_board_info bi;
	struct hsm_session *s;
	int ret;

	ret = hsm_open(dev, &s);
	if (ret)
		return ret;
	ret = hsm_board_info(s, &bi);
	hsm_close(s);
	if (ret)
		return ret;
	_Static_assert(sizeof(bi.board_id) == 64 && sizeof(bi.dev_name) == 32,
		       "identity sizes");
	memcpy(board_id, bi.board_id, 64);
	memcpy(dev_name, bi.dev_name, 32);
	*version = bi.protocol_version;
	return 0;
}

struct seen {
	char dev[64];
	char board_id[64];
	char dev_name[32];
	uint32_t version;
};

/* The boards attached now: the kernel's list, or the test seam's paths. */
static size_t list_boards(struct seen *out, size_t max)
{
	size_t n = 0;

	if (g.cfg.devices) {
		char *copy = strdup(g.cfg.devices), *tok, *save = NULL;

		for (tok = copy ? strtok_r(copy, ",", &save) : NULL;
		     tok && n < max; tok = strtok_r(NULL, ",", &save)) {
			snprintf(out[n].dev, sizeof(out[n].dev), "%s", tok);
			n++;
		}
		free(copy);
	} else {
		struct hsm_board_desc *b = NULL;
		size_t i, count = 0;

		if (hsm_list_boards(&b, &count, NULL, 0) == 0) {
			for (i = 0; i < count && n < max; i++) {
				if (b[i].state != HSM_BOARD_READY)
					continue;
				snprintf(out[n].dev, sizeof(out[n].dev),
					 "/dev/%s", b[i].dev_name);
				n++;
			}
		}
		hsm_free_boards(b);
	}
	return n;
}

static struct p11_slot *slot_new(CK_SLOT_ID id)
{
	struct p11_slot *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (p11_mutex_new(&s->pool_lock)) {
		free(s);
		return NULL;
	}
	if (p11_mutex_new(&s->login_lock)) {
		p11_mutex_free(s->pool_lock);
		free(s);
		return NULL;
	}
	s->id = id;
	s->user = (CK_USER_TYPE)-1;
	return s;
}

void slot_unplugged(struct p11_slot *slot)
{
	slot->unplug_seen = false;
	if (!slot->present)
		return;
	slot->present = false;
	slot->gen++;		/* its sessions now answer DEVICE_REMOVED */
	slot_logout(slot);
}

/* The slot of each configured group. Caller holds g.lock. */
static CK_RV group_slots(bool *listed)
{
	size_t k, j;

	groups_refresh();
	for (k = 0; k < g.n_groups; k++) {
		struct p11_slot *slot = NULL;

		for (j = 0; j < P11_MAX_SLOTS; j++)
			if (g.slots[j] && g.slots[j]->conf == &g.groups[k])
				slot = g.slots[j];
		if (!slot) {
			for (j = 0; j < P11_MAX_SLOTS && g.slots[j]; j++)
				;
			if (j == P11_MAX_SLOTS)
				return CKR_GENERAL_ERROR;
			slot = g.slots[j] = slot_new(j);
			if (!slot)
				return CKR_HOST_MEMORY;
			slot->is_group = true;
			slot->conf = &g.groups[k];
			memcpy(slot->label, g.groups[k].label, sizeof(slot->label));
			group_token_serial(g.groups[k].name, slot->serial);
		}
		listed[slot->id] = true;
	}
	return CKR_OK;
}

/* The group slot of board @board_id, or NULL. Caller holds g.lock. */
static struct p11_slot *group_slot_of(const char *board_id)
{
	const struct hsm_group *grp = hsm_group_of(g.groups, g.n_groups, board_id);
	size_t j;

	for (j = 0; grp && j < P11_MAX_SLOTS; j++)
		if (g.slots[j] && g.slots[j]->conf == grp)
			return g.slots[j];
	return NULL;
}

CK_RV slots_refresh(void)
{
	struct seen now[P11_MAX_SLOTS];
	bool listed[P11_MAX_SLOTS] = { false };
	size_t n, i, j;
	CK_RV rv;
	int ret;

	rv = group_slots(listed);
	if (rv != CKR_OK)
		return rv;
	n = list_boards(now, P11_MAX_SLOTS);
	for (i = 0; i < n; i++) {
		struct p11_slot *slot = NULL;
		char label[33];

		ret = read_identity(now[i].dev, now[i].board_id,
				    now[i].dev_name, &now[i].version);
		if (ret == -EACCES || ret == -EPERM) {
			/* A daemon that dropped its privileges after
			 * C_Initialize: the board it has is still there,
			 * and its open sessions still work. */
			for (j = 0; j < P11_MAX_SLOTS; j++)
				if (g.slots[j] && g.slots[j]->present &&
				    !strcmp(g.slots[j]->dev, now[i].dev))
					listed[j] = true;
			continue;
		}
		if (ret)
			continue;	/* gone meanwhile, or not ours */
		p11_token_label(now[i].board_id, now[i].dev_name, label);
		/* The same token is the same label: identity, or (without
		 * one) the device name. */
		for (j = 0; j < P11_MAX_SLOTS; j++)
			if (g.slots[j] && !g.slots[j]->is_group &&
			    !strcmp(g.slots[j]->label, label))
				slot = g.slots[j];
		if (!slot) {
			for (j = 0; j < P11_MAX_SLOTS && g.slots[j]; j++)
				;
			if (j == P11_MAX_SLOTS)
				continue;
			slot = g.slots[j] = slot_new(j);
			if (!slot)
				return CKR_HOST_MEMORY;
			slot->group = group_slot_of(now[i].board_id);
		}
		listed[slot->id] = true;
		if (slot->present && !strcmp(slot->dev, now[i].dev))
			continue;
		/* (Re)attached, possibly on another /dev/hsmN. */
		slot_unplugged(slot);
		slot->present = true;
		slot->gen++;
		_Static_assert(sizeof(slot->dev) == sizeof(now[i].dev) &&
			       sizeof(slot->board_id) == sizeof(now[i].board_id),
			       "same sizes");
		memcpy(slot->dev, now[i].dev, sizeof(slot->dev));
		memcpy(slot->board_id, now[i].board_id, sizeof(slot->board_id));
		memcpy(slot->label, label, sizeof(label));
		p11_token_serial(now[i].board_id, now[i].dev_name,
				 slot->serial);
		slot->protocol_version = now[i].version;
	}
	for (j = 0; j < P11_MAX_SLOTS; j++)
		if (g.slots[j] && !listed[j])
			slot_unplugged(g.slots[j]);
	groups_update_presence();
	return CKR_OK;
}

CK_RV slot_get(CK_SLOT_ID id, struct p11_slot **out)
{
	if (id >= P11_MAX_SLOTS || !g.slots[id] || g.slots[id]->group)
		return CKR_SLOT_ID_INVALID;
	if (!g.slots[id]->present)
		return CKR_TOKEN_NOT_PRESENT;
	*out = g.slots[id];
	return CKR_OK;
}

void slots_free_all(bool inherited)
{
	size_t j;

	for (j = 0; j < P11_MAX_SLOTS; j++) {
		struct p11_slot *s = g.slots[j];

		if (!s)
			continue;
		pool_close_all(s, inherited);
		if (s->pin) {
			p11_wipe(s->pin, s->pin_len);
			free(s->pin);
		}
		if (!inherited) {
			p11_mutex_free(s->pool_lock);
			p11_mutex_free(s->login_lock);
		} else {
			p11_mutex_forget(s->pool_lock);
			p11_mutex_forget(s->login_lock);
		}
		free(s);
		g.slots[j] = NULL;
	}
}

CK_RV C_GetSlotList(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList,
		    CK_ULONG_PTR pulCount)
{
	CK_ULONG n = 0;
	CK_RV rv = p11_ready();
	size_t j;

	if (rv != CKR_OK)
		return rv;
	if (!pulCount)
		return CKR_ARGUMENTS_BAD;
	p11_lock(g.lock);
	/* Re-read the boards on the length query only, so that the list
	 * cannot change between an application's two calls. */
	if (!pSlotList)
		rv = slots_refresh();
	for (j = 0; rv == CKR_OK && j < P11_MAX_SLOTS; j++) {
		if (!g.slots[j] || g.slots[j]->group ||
		    (tokenPresent && !g.slots[j]->present))
			continue;
		if (pSlotList && n < *pulCount)
			pSlotList[n] = j;
		n++;
	}
	if (rv == CKR_OK && pSlotList && n > *pulCount)
		rv = CKR_BUFFER_TOO_SMALL;
	*pulCount = n;
	p11_unlock(g.lock);
	return rv;
}

CK_RV C_GetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo)
{
	CK_RV rv = p11_ready();
	struct p11_slot *s;
	char desc[96];

	if (rv != CKR_OK)
		return rv;
	if (!pInfo)
		return CKR_ARGUMENTS_BAD;
	p11_lock(g.lock);
	if (slotID >= P11_MAX_SLOTS || !(s = g.slots[slotID]) || s->group) {
		p11_unlock(g.lock);
		return CKR_SLOT_ID_INVALID;
	}
	memset(pInfo, 0, sizeof(*pInfo));
	if (s->is_group)
		snprintf(desc, sizeof(desc), "CrypTech HSM group %s (%zu boards)",
			 s->conf->name, s->conf->n_boards);
	else
		snprintf(desc, sizeof(desc), "CrypTech HSM %s", s->label);
	p11_pad(pInfo->slotDescription, sizeof(pInfo->slotDescription), desc);
	p11_pad(pInfo->manufacturerID, sizeof(pInfo->manufacturerID),
		P11_MANUFACTURER);
	pInfo->flags = CKF_REMOVABLE_DEVICE | (s->is_group ? 0 : CKF_HW_SLOT) |
		       (s->present ? CKF_TOKEN_PRESENT : 0);
	pInfo->hardwareVersion.major = (CK_BYTE)(s->protocol_version >> 24);
	pInfo->hardwareVersion.minor = (CK_BYTE)(s->protocol_version >> 16);
	pInfo->firmwareVersion.major = (CK_BYTE)(s->protocol_version >> 24);
	pInfo->firmwareVersion.minor = (CK_BYTE)(s->protocol_version >> 16);
	p11_unlock(g.lock);
	return CKR_OK;
}

CK_RV C_GetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo)
{
	CK_RV rv = p11_ready();
	struct p11_slot *s;

	if (rv != CKR_OK)
		return rv;
	if (!pInfo)
		return CKR_ARGUMENTS_BAD;
	p11_lock(g.lock);
	rv = slot_get(slotID, &s);
	if (rv != CKR_OK) {
		p11_unlock(g.lock);
		return rv;
	}
	memset(pInfo, 0, sizeof(*pInfo));
	p11_pad(pInfo->label, sizeof(pInfo->label), s->label);
	p11_pad(pInfo->manufacturerID, sizeof(pInfo->manufacturerID),
		P11_MANUFACTURER);
	p11_pad(pInfo->model, sizeof(pInfo->model), P11_MODEL);
	p11_pad(pInfo->serialNumber, sizeof(pInfo->serialNumber), s->serial);
	pInfo->flags = CKF_RNG | CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED |
		       CKF_TOKEN_INITIALIZED;
	pInfo->ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
	pInfo->ulSessionCount = s->open_sessions;
	pInfo->ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
	pInfo->ulRwSessionCount = s->open_rw_sessions;
	pInfo->ulMaxPinLen = HSM_PIN_MAX;
	pInfo->ulMinPinLen = HSM_PIN_MIN;
	pInfo->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
	pInfo->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
	pInfo->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
	pInfo->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
	pInfo->hardwareVersion.major = (CK_BYTE)(s->protocol_version >> 24);
	pInfo->hardwareVersion.minor = (CK_BYTE)(s->protocol_version >> 16);
	pInfo->firmwareVersion.major = (CK_BYTE)(s->protocol_version >> 24);
	pInfo->firmwareVersion.minor = (CK_BYTE)(s->protocol_version >> 16);
	p11_unlock(g.lock);
	return CKR_OK;
}
