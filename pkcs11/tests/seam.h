/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The test seam: the emulator's board, in this process, behind the
 * cryptech_hsm ioctls. libhsm (inside the PKCS#11 module) opens a plain
 * file standing for /dev/hsmN; the seam answers every cryptech_hsm ioctl on
 * it the way the kernel driver does, by sending the board requests to the
 * emulator's dispatcher (emulator/dispatch.c) and translating the replies
 * (handles per open file, packed attributes, ENOSPC sizes, errno mapping).
 * close() of such a file logs its board client out, as the kernel does.
 */
#ifndef P11_TEST_SEAM_H
#define P11_TEST_SEAM_H

#include <stdbool.h>
#include <stdint.h>

#define SEAM_USER_PIN	"user-pin-1234"
#define SEAM_SO_PIN	"so-pin-5678"
#define SEAM_MAX_BOARDS	4

/*
 * A factory-fresh board in @dir (state in @dir/state, device file
 * @dir/dev), brought up with the PINs above and no bad-PIN delay. Its
 * identity (BOARD_INFO) is @board_id, "" for a kernel that has none.
 * Returns the board's index or -1.
 */
int seam_board_add(const char *dir, const char *board_id);

/*
 * Called by the first cryptech_hsm ioctl while no board is live: lets a
 * preloaded seam start its boards only in the processes that use them.
 */
extern void (*seam_lazy_init)(void);

/* The device path of board @i (what HSM_PKCS11_DEVICES lists). */
const char *seam_board_path(int i);

/* Unplug board @i (every request fails with ENODEV, the file goes), and
 * plug it back in (same keys, logins lost). */
void seam_unplug(int i);
void seam_replug(int i);

/* Requests board @i has answered, all or of one opcode (RPC_FUNC_*). */
unsigned long seam_requests(int i);
unsigned long seam_requests_of(int i, uint32_t opcode);

/* Board logins in use now (of its 10). */
unsigned seam_logins(int i);

/* Fill all but @left of board @i's login slots with other clients. */
void seam_take_logins(int i, unsigned left);
void seam_release_logins(int i);

/* Keys in board @i's token or volatile keystore now (every owner). */
unsigned seam_keys(int i, bool token);

/* Add a key as hsmctl makes it: EC P-256, token, sign, no attributes. */
int seam_add_bare_key(int i, uint8_t uuid[16]);
/* PKEY_LOAD of the SubjectPublicKeyInfo @der as a token key, as another
 * program would load one: its UUID in @uuid. */
int seam_add_public_key(int i, const uint8_t *der, size_t der_len, uint8_t uuid[16]);

/* PKEY_LOAD of the PKCS#8 private key @der as a token signing key, as a
 * backup restores one on each board: its UUID in @uuid. */
int seam_add_private_key(int i, const uint8_t *der, size_t der_len, uint8_t uuid[16]);

/* Delete a key by name, as another process or host would. */
int seam_delete_key(int i, const uint8_t uuid[16]);

/* Set CKA_LABEL of a key, as another process would. */
int seam_relabel(int i, const uint8_t uuid[16], const char *label);

/* Every board request from now on takes @ms (0: none), on every board. */
void seam_set_service_ms(unsigned ms);

/* The next SIGN ioctl fails with @err (ETIMEDOUT: as the kernel after
 * op_timeout_ms), and that file answers EBUSY from then on. */
void seam_fail_next_sign(int err);

/* The next IMPORT ioctl on board @i fails with EIO, as a board failing
 * while a key is copied to it. */
void seam_fail_next_import(int i);

/* The largest number of requests running at once since the last reset. */
unsigned seam_max_parallel(void);
void seam_reset_parallel(void);

#endif
