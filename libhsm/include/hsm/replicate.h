/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libhsm: copying keys from one board to another (protocol §7.6): the
 * destination's KEKEK, the attributes a copy carries, and the copy of a
 * whole key pair. hsmctl's backup and the redundancy groups (hsmctl group
 * sync, the PKCS#11 group token) are built on it.
 *
 * Conventions as in <hsm/hsm.h>: 0 or a negative errno, the board's status
 * through an optional uint32_t *board_status, thread-safe.
 */
#ifndef HSM_REPLICATE_H
#define HSM_REPLICATE_H

#include <stddef.h>
#include <stdint.h>

#include <hsm/hsm.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The size of the KEKEK hsm_key_replicate() makes on a board without one. */
#define HSM_KEKEK_BITS_DEFAULT	2048

/*
 * The attribute types a copy of a key carries: the non-sensitive PKCS#11
 * attributes a key object may have (CKA_CLASS, CKA_LABEL, CKA_ID, the
 * usage and key-description attributes...; sensitive values never live
 * in board attributes). *@types points to a static array; returns its
 * length.
 */
size_t hsm_copied_attribute_types(const uint32_t **types);

/*
 * The attributes of that list the key @handle has (empty ones included,
 * value non-NULL and len 0), in the list's order, as one malloc()ed block
 * *@out of *@n entries (free() it; NULL and 0 when it has none).
 */
int hsm_copied_attributes(struct hsm_session *s, uint32_t handle,
			  struct hsm_attr **out, size_t *n,
			  uint32_t *board_status);

/*
 * The board's KEKEK, the key other boards export keys to it under: its
 * first token RSA private key with HSM_KEY_F_KEYENC, else a new one of
 * @bits (1024..4096) generated now (TOKEN | KEYENC, not exportable).
 * *@handle is open in @s (close it), @uuid its name, *@spki (malloc()ed,
 * free() it) its public key of *@spki_len bytes; *@generated (may be NULL)
 * is 1 when it was made by this call. On failure *@generated tells whether
 * generating it failed (1) or finding or reading it (0).
 */
int hsm_kekek_get(struct hsm_session *s, unsigned int bits, uint32_t *handle,
		  uint8_t uuid[HSM_UUID_LEN], unsigned char **spki,
		  size_t *spki_len, int *generated, uint32_t *board_status);

/*
 * Copy the key pair whose private key is @uuid on the board of @src to the
 * board of @dst: the private key exported under @dst's KEKEK (found on
 * @dst, or generated there when @dst has none, as backup setup does) and
 * imported on @dst, with every carried attribute restored (the backup's
 * list); the public-key object of the pair, if @src has one (same public
 * key), is loaded on @dst with its attributes too. Both sessions logged in
 * as the board's user. On success @dst_uuid holds the new private key's
 * UUID on @dst (and @dst_pub_uuid the public object's, all-zero if none).
 * On failure nothing is left on @dst (every partial copy deleted). Returns
 * 0 or -errno; @board_status as the rest of libhsm. A key that may not be
 * exported (the board refuses: not exportable) gives -EPERM.
 */
int hsm_key_replicate(struct hsm_session *src, struct hsm_session *dst,
		      const uint8_t uuid[HSM_UUID_LEN],
		      uint8_t dst_uuid[HSM_UUID_LEN],
		      uint8_t dst_pub_uuid[HSM_UUID_LEN],
		      uint32_t *board_status);

#ifdef __cplusplus
}
#endif

#endif /* HSM_REPLICATE_H */
