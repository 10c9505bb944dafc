// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copying a key pair between boards (replicate.h): the private key wrapped
 * under the destination's KEKEK (protocol §7.6), its public-key object
 * (the PKCS#11 module keeps a pair as two board keys, §7.8) loaded from
 * its SPKI, both with their attributes; all or nothing on the destination.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <hsm/hsm.h>
#include <hsm/replicate.h>

/* CKA_* numbers (protocol §7.8 names the ones the CrypTech module sets). */
static const uint32_t copied[] = {
	0x000, 0x001, 0x002, 0x003,	/* CLASS TOKEN PRIVATE LABEL */
	0x010, 0x012,			/* APPLICATION OBJECT_ID */
	0x100, 0x101, 0x102, 0x103,	/* KEY_TYPE SUBJECT ID SENSITIVE */
	0x104, 0x105, 0x106, 0x107,	/* ENCRYPT DECRYPT WRAP UNWRAP */
	0x108, 0x109, 0x10a, 0x10b,	/* SIGN SIGN_RECOVER VERIFY VERIFY_RECOVER */
	0x10c, 0x110, 0x111,		/* DERIVE START_DATE END_DATE */
	0x120, 0x121, 0x122,		/* MODULUS MODULUS_BITS PUBLIC_EXPONENT */
	0x162, 0x163, 0x164, 0x165,	/* EXTRACTABLE LOCAL NEVER_EXTRACTABLE ALWAYS_SENSITIVE */
	0x166, 0x170, 0x171, 0x172,	/* KEY_GEN_MECHANISM MODIFIABLE COPYABLE DESTROYABLE */
	0x180, 0x181,			/* EC_PARAMS EC_POINT */
	0x202, 0x210, 0x211,		/* ALWAYS_AUTHENTICATE WRAP_WITH_TRUSTED TRUSTED */
};

#define N_COPIED (sizeof(copied) / sizeof(copied[0]))

size_t hsm_copied_attribute_types(const uint32_t **types)
{
	if (types)
		*types = copied;
	return N_COPIED;
}

int hsm_copied_attributes(struct hsm_session *s, uint32_t handle,
			  struct hsm_attr **out, size_t *n,
			  uint32_t *board_status)
{
	struct hsm_attr *a = NULL;
	size_t i, kept = 0;
	int ret;

	if (!out || !n)
		return -EINVAL;
	*out = NULL;
	*n = 0;
	ret = hsm_get_attributes(s, handle, copied, N_COPIED,
				 HSM_ATTRS_OPTIONAL | HSM_ATTRS_TELL_EMPTY,
				 &a, board_status);
	if (ret)
		return ret;
	/* Only the present ones; their values stay where they are. */
	for (i = 0; i < N_COPIED; i++)
		if (a[i].value)
			a[kept++] = a[i];
	if (!kept) {
		free(a);
		return 0;
	}
	*out = a;
	*n = kept;
	return 0;
}

int hsm_kekek_get(struct hsm_session *s, unsigned int bits, uint32_t *handle,
		  uint8_t uuid[HSM_UUID_LEN], unsigned char **spki,
		  size_t *spki_len, int *generated, uint32_t *board_status)
{
	const struct hsm_match_filter f = {
		.type = HSM_KEY_RSA_PRIVATE,
		.mask = HSM_KEY_F_KEYENC | HSM_KEY_F_TOKEN,
		.flags = HSM_KEY_F_KEYENC | HSM_KEY_F_TOKEN,
	};
	uint8_t (*found)[HSM_UUID_LEN] = NULL;
	uint32_t st2;
	size_t n = 0;
	int ret, made = 0;

	if (generated)
		*generated = 0;
	if (!handle || !uuid || !spki || !spki_len)
		return -EINVAL;
	*spki = NULL;
	*spki_len = 0;
	ret = hsm_match_all(s, &f, &found, &n, board_status);
	if (ret == 0 && n) {
		memcpy(uuid, found[0], HSM_UUID_LEN);
		ret = hsm_open_key(s, uuid, handle, board_status);
	} else if (ret == 0) {
		made = 1;
		ret = hsm_generate_rsa(s, bits, 0,
				       HSM_KEY_F_KEYENC | HSM_KEY_F_TOKEN,
				       handle, uuid, board_status);
	}
	free(found);
	if (generated)
		*generated = made;
	if (ret)
		return ret;
	ret = hsm_public_key_alloc(s, *handle, spki, spki_len, board_status);
	if (ret) {
		if (generated)
			*generated = 0;
		hsm_close_key(s, *handle, &st2);
	}
	return ret;
}

static int is_private(uint32_t type)
{
	return type == HSM_KEY_RSA_PRIVATE || type == HSM_KEY_EC_PRIVATE;
}

/* The search for the public-key object of a pair: same type of public key. */
struct pub_search {
	struct hsm_session *s;
	const unsigned char *spki;
	size_t spki_len;
	uint8_t uuid[HSM_UUID_LEN];
	uint32_t st;
};

static int pub_matches(const uint8_t uuid[HSM_UUID_LEN], void *arg)
{
	struct pub_search *ps = arg;
	unsigned char *spki = NULL;
	uint32_t h, st2;
	size_t len = 0;
	int ret, same;

	ret = hsm_open_key(ps->s, uuid, &h, &ps->st);
	if (ret == -ENOENT) {
		ps->st = 0;
		return 0;	/* deleted since listed */
	}
	if (ret)
		return ret;
	ret = hsm_public_key_alloc(ps->s, h, &spki, &len, &ps->st);
	hsm_close_key(ps->s, h, &st2);
	if (ret)
		return ret;
	same = len == ps->spki_len && memcmp(spki, ps->spki, len) == 0;
	free(spki);
	if (!same)
		return 0;
	memcpy(ps->uuid, uuid, HSM_UUID_LEN);
	return 1;
}

/*
 * The public-key object of @info's pair on @s, the one with the same SPKI
 * and the private key's TOKEN flag: 1 with its name in @uuid, 0 if none.
 */
static int find_public(struct hsm_session *s, const struct hsm_key_info *info,
		       const unsigned char *spki, size_t spki_len,
		       uint8_t uuid[HSM_UUID_LEN], uint32_t *st)
{
	const struct hsm_match_filter f = {
		.type = info->type == HSM_KEY_RSA_PRIVATE ? HSM_KEY_RSA_PUBLIC
							  : HSM_KEY_EC_PUBLIC,
		.curve = info->curve,
		.mask = HSM_KEY_F_TOKEN,
		.flags = info->flags & HSM_KEY_F_TOKEN,
	};
	struct pub_search ps = { .s = s, .spki = spki, .spki_len = spki_len };
	int ret;

	ret = hsm_match(s, &f, pub_matches, &ps, st);
	if (ret < 0 && ps.st)
		*st = ps.st;
	if (ret == 1)
		memcpy(uuid, ps.uuid, HSM_UUID_LEN);
	return ret;
}

/* Set @src_handle's copied attributes on @dst_handle. */
static int copy_attributes(struct hsm_session *src, uint32_t src_handle,
			   struct hsm_session *dst, uint32_t dst_handle,
			   uint32_t *st)
{
	struct hsm_attr *a = NULL;
	size_t n = 0;
	int ret;

	ret = hsm_copied_attributes(src, src_handle, &a, &n, st);
	if (ret == 0 && n)
		ret = hsm_set_attributes(dst, dst_handle, a, n, st);
	free(a);
	return ret;
}

/*
 * The public-key object @pub_uuid of @src onto @dst with its attributes:
 * its handle on @dst in *@handle (to delete on a later failure).
 */
static int copy_public(struct hsm_session *src, struct hsm_session *dst,
		       const uint8_t pub_uuid[HSM_UUID_LEN],
		       const unsigned char *spki, size_t spki_len,
		       uint32_t *handle, uint8_t uuid[HSM_UUID_LEN],
		       uint32_t *st)
{
	struct hsm_key_info info;
	uint32_t h, st2;
	int ret;

	ret = hsm_open_key(src, pub_uuid, &h, st);
	if (ret)
		return ret;
	ret = hsm_key_info(src, h, &info, st);
	if (ret == 0)
		ret = hsm_load_der(dst, spki, spki_len, info.flags, handle,
				   uuid, st);
	if (ret == 0) {
		ret = copy_attributes(src, h, dst, *handle, st);
		if (ret)
			hsm_delete_key(dst, *handle, &st2);
	}
	hsm_close_key(src, h, &st2);
	return ret;
}

/* Export @h of @src for @dst's KEKEK and import it there: *@dst_h, @uuid. */
static int move_private(struct hsm_session *src, uint32_t h,
			const struct hsm_key_info *info,
			struct hsm_session *dst, uint32_t *dst_h,
			uint8_t uuid[HSM_UUID_LEN], uint32_t *st)
{
	unsigned char *kekek_spki = NULL, *pkcs8 = NULL, *kek = NULL;
	size_t kekek_len = 0, pkcs8_len = 0, kek_len = 0;
	uint8_t kekek_uuid[HSM_UUID_LEN];
	uint32_t kekek, kekek_on_src, st2;
	int ret;

	ret = hsm_kekek_get(dst, HSM_KEKEK_BITS_DEFAULT, &kekek, kekek_uuid,
			    &kekek_spki, &kekek_len, NULL, st);
	if (ret)
		return ret;
	/* A volatile copy of its public half, to export under on @src. */
	ret = hsm_load_der(src, kekek_spki, kekek_len, HSM_KEY_F_KEYENC,
			   &kekek_on_src, NULL, st);
	free(kekek_spki);
	if (ret == 0) {
		ret = hsm_export_key(src, h, kekek_on_src, &pkcs8, &pkcs8_len,
				     &kek, &kek_len, st);
		hsm_delete_key(src, kekek_on_src, &st2);
	}
	if (ret == 0)
		ret = hsm_import_key(dst, kekek, pkcs8, pkcs8_len, kek,
				     kek_len, info->flags, dst_h, uuid, st);
	hsm_close_key(dst, kekek, &st2);
	free(pkcs8);
	free(kek);
	return ret;
}

int hsm_key_replicate(struct hsm_session *src, struct hsm_session *dst,
		      const uint8_t uuid[HSM_UUID_LEN],
		      uint8_t dst_uuid[HSM_UUID_LEN],
		      uint8_t dst_pub_uuid[HSM_UUID_LEN],
		      uint32_t *board_status)
{
	uint8_t pub_uuid[HSM_UUID_LEN], new_uuid[HSM_UUID_LEN],
		new_pub_uuid[HSM_UUID_LEN] = { 0 };
	unsigned char *spki = NULL;
	struct hsm_key_info info;
	uint32_t h, dst_h = 0, dst_pub_h, st = 0, st2;
	size_t spki_len = 0;
	int ret, have_pub = 0;

	if (board_status)
		*board_status = 0;
	if (!src || !dst || !uuid || !dst_uuid || !dst_pub_uuid || src == dst)
		return -EINVAL;
	ret = hsm_open_key(src, uuid, &h, &st);
	if (ret)
		goto out;
	ret = hsm_key_info(src, h, &info, &st);
	if (ret == 0 && !is_private(info.type))
		ret = -EINVAL;
	/* Refused before anything is made on @dst (even its KEKEK). */
	if (ret == 0 && !(info.flags & HSM_KEY_F_EXPORTABLE))
		ret = -EPERM;
	if (ret == 0)
		ret = hsm_public_key_alloc(src, h, &spki, &spki_len, &st);
	if (ret == 0) {
		have_pub = find_public(src, &info, spki, spki_len, pub_uuid,
				       &st);
		ret = have_pub < 0 ? have_pub : 0;
	}
	if (ret == 0)
		ret = move_private(src, h, &info, dst, &dst_h, new_uuid, &st);
	if (ret) {
		dst_h = 0;
		goto close;
	}
	ret = copy_attributes(src, h, dst, dst_h, &st);
	if (ret == 0 && have_pub == 1)
		ret = copy_public(src, dst, pub_uuid, spki, spki_len,
				  &dst_pub_h, new_pub_uuid, &st);
	if (ret == 0) {
		hsm_close_key(dst, dst_h, &st2);
		memcpy(dst_uuid, new_uuid, HSM_UUID_LEN);
		memcpy(dst_pub_uuid, new_pub_uuid, HSM_UUID_LEN);
		if (have_pub == 1)
			hsm_close_key(dst, dst_pub_h, &st2);
	} else {
		/* All or nothing: a key without its attributes or its
		 * public object is not the key. */
		hsm_delete_key(dst, dst_h, &st2);
	}
close:
	hsm_close_key(src, h, &st2);
	free(spki);
out:
	if (board_status)
		*board_status = st;
	return ret;
}
