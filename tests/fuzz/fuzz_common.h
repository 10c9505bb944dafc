/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the fuzzers and fault storms share (tests/fuzz/, run in the test VM):
 * TAP lines, the seed, the full-count switch, bringing boards up, replugging
 * them, and the checks that end every run: a fresh session works and the
 * boards hold nothing of closed sessions.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kernel/hsm_ioctl.h"

#define FZ_ERRNO_MAX	255
/* waits for the kernel or the boards; generous, KASAN under TCG is slow */
#define FZ_WAIT_MS	60000

static int fz_failed;

static inline void fz_tap(int n, int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		fz_failed = 1;
}

/* HSM_FULL=1 (make check-debug FULL=1): the full counts. */
static inline int fz_full(void)
{
	const char *f = getenv("HSM_FULL");

	return f && !strcmp(f, "1");
}

/* HSM_FUZZ_SEED if set (replay), else a new one from the clock. */
static inline unsigned long long fz_default_seed(void)
{
	const char *s = getenv("HSM_FUZZ_SEED");
	struct timespec ts;

	if (s && *s)
		return strtoull(s, NULL, 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((unsigned long long)ts.tv_sec * 1000000007ULL) ^
	       (unsigned long long)ts.tv_nsec ^ ((unsigned long long)getpid() << 32);
}

static inline void fz_print_errnos(atomic_long *by_errno)
{
	int e;

	printf("# results:");
	for (e = 0; e <= FZ_ERRNO_MAX; e++) {
		long n = atomic_load(&by_errno[e]);

		if (n)
			printf(" %s=%ld", e ? strerrorname_np(e) ?: "?" : "ok", n);
	}
	printf("\n");
}

static char fz_why[512];

/* Make sure board @i's tty is attached (attach it if not): NULL or why. */
static inline const char *fz_attach(int i, struct hsm_board_desc *d)
{
	char tty[32];
	int err = 0;

	snprintf(tty, sizeof(tty), "ttyUSB%d", i);
	if (!hsm_wait_until(hsm_path_exists(hsm_test_tty(i)), FZ_WAIT_MS)) {
		snprintf(fz_why, sizeof(fz_why), "no %s", hsm_test_tty(i));
		return fz_why;
	}
	if (!hsm_wait_until(hsm_test_find_board(tty, d) == 0 ||
			    (err = hsm_t_attach(i, d)) == 0, FZ_WAIT_MS)) {
		snprintf(fz_why, sizeof(fz_why), "cannot attach %s: %s", tty,
			 strerror(-err));
		return fz_why;
	}
	return NULL;
}

/* Every board attached and its PINs set. */
static inline const char *fz_setup_boards(int boards)
{
	struct hsm_board_desc d;
	const char *why;
	int i, fd, err;

	for (i = 0; i < boards; i++) {
		why = fz_attach(i, &d);
		if (why)
			return why;
		fd = hsm_t_open_dev(&d);
		if (fd < 0) {
			snprintf(fz_why, sizeof(fz_why), "open /dev/%s: %s",
				 d.dev_name, strerror(errno));
			return fz_why;
		}
		err = hsm_t_bringup(fd, i);
		close(fd);
		if (err) {
			snprintf(fz_why, sizeof(fz_why), "bring-up of board %d: %s",
				 i, strerror(-err));
			return fz_why;
		}
	}
	return NULL;
}

/* Pull board @i's cable, put it back, attach it again. */
static inline const char *fz_replug(int i)
{
	struct hsm_board_desc d;
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "tests/vm/vmctl unplug %d", i);
	if (hsm_test_run(cmd, NULL, 0))
		return "vmctl unplug failed";
	if (!hsm_wait_until(!hsm_path_exists(hsm_test_tty(i)), FZ_WAIT_MS))
		return "the tty stayed after unplug";
	snprintf(cmd, sizeof(cmd), "tests/vm/vmctl plug %d", i);
	if (hsm_test_run(cmd, NULL, 0))
		return "vmctl plug failed";
	return fz_attach(i, &d);
}

/* Detach board @i over netlink (if attached) and attach it again. */
static inline const char *fz_reattach(int i)
{
	struct hsm_board_desc d;
	char tty[32], msg[256];
	int err;

	snprintf(tty, sizeof(tty), "ttyUSB%d", i);
	if (hsm_test_find_board(tty, &d) == 0) {
		err = hsm_detach(d.index, msg, sizeof(msg));
		if (err && err != -ENODEV) {
			snprintf(fz_why, sizeof(fz_why), "detach %s: %s (%s)", tty,
				 strerror(-err), msg);
			return fz_why;
		}
	}
	return fz_attach(i, &d);
}

/*
 * After a leak: what the driver logged that may explain it, such as a
 * DETACH whose clean-up ran out of detach_timeout_ms. The console shows
 * only errors, so the run's log would not have it otherwise.
 */
static inline void fz_print_driver_log(void)
{
	char out[8192];

	if (hsm_test_run("dmesg | grep -c -e 'open sessions are not closed on the board' "
			 "-e 'ran out while closing the sessions' "
			 "-e 'no answer to clean-up request' "
			 "-e 'never answered its last request'; "
			 "dmesg | grep -E 'cryptech_hsm|hsm[0-9]+:' | "
			 "grep -v -E 'CrypTech board on|detached from|test hooks' | tail -n 25",
			 out, sizeof(out)) < 0)
		return;
	printf("# driver log: clean-up that may have left something on a board (count), then its last lines:\n");
	for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n"))
		printf("#   %s\n", l);
}

/*
 * A new session on board @board: login, random, an EC key, sign, verify,
 * close. NULL or what went wrong.
 */
static inline const char *fz_fresh_session(int board, struct hsm_board_desc *d)
{
	uint8_t rnd[32] = { 0 }, sig[512];
	uint32_t bs = 0, siglen = sizeof(sig);
	struct hsm_t_key k;
	const char *why, *step;
	int fd, err;

	why = fz_attach(board, d);
	if (why)
		return why;
	fd = hsm_t_open_dev(d);
	if (fd < 0)
		return "cannot open the board";
	step = "login";
	err = hsm_t_login(fd, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, &bs);
	if (!err) {
		step = "random";
		err = hsm_t_random(fd, rnd, sizeof(rnd), &bs);
	}
	if (!err && hsm_all_zero(rnd, sizeof(rnd))) {
		step = "random (all zero bytes)";
		err = -EIO;
	}
	if (!err) {
		step = "generate";
		err = hsm_t_gen_ec(fd, CRYPTECH_HSM_CURVE_P256,
				   CRYPTECH_HSM_KEY_F_SIGN, &k, &bs);
	}
	if (!err) {
		step = "sign";
		err = hsm_t_sign(fd, k.handle, hsm_sha256_abc, 32, sig, &siglen, &bs);
	}
	if (!err) {
		step = "verify";
		err = hsm_t_verify(fd, k.handle, hsm_sha256_abc, 32, sig, siglen, &bs);
	}
	if (!err) {
		step = "close the key";
		err = hsm_t_close(fd, k.handle, &bs);
	}
	close(fd);
	if (err) {
		snprintf(fz_why, sizeof(fz_why), "%s: %s (board status %u)",
			 step, strerror(-err), bs);
		fz_print_driver_log();
		return fz_why;
	}
	return NULL;
}

/* What board @board's emulator holds, client by client. */
static inline void fz_print_clients(int board, const struct hsm_emu_stats *st)
{
	for (unsigned int c = 0; c < st->nclients; c++)
		printf("# board %d client %u: user %u, %u key handles, %u hash handles, %u volatile keys\n",
		       board, st->c[c].client, st->c[c].user, st->c[c].pkey_handles,
		       st->c[c].hash_handles, st->c[c].volatile_keys);
}

/*
 * With every session closed, the boards must come to hold no login and no
 * key or hash handle (clean-up is asynchronous: wait for it).
 */
static inline const char *fz_no_leaks(int boards)
{
	struct hsm_emu_stats st;
	int i;

	for (i = 0; i < boards; i++) {
		if (hsm_wait_until(hsm_test_emu_stats(i, &st) == 0 &&
				   hsm_emu_logged_in(&st) == 0 &&
				   st.pkey_handles_open == 0 &&
				   st.hash_handles_open == 0, FZ_WAIT_MS)) {
			printf("# board %d: %u clients, 0 logged in, 0 key handles, %lu requests\n",
			       i, st.nclients, st.requests);
			continue;
		}
		if (hsm_test_emu_stats(i, &st)) {
			snprintf(fz_why, sizeof(fz_why), "board %d: no stats", i);
			return fz_why;
		}
		fz_print_clients(i, &st);
		snprintf(fz_why, sizeof(fz_why),
			 "board %d: %u logged in, %lu key handles, %lu hash handles open",
			 i, hsm_emu_logged_in(&st), st.pkey_handles_open,
			 st.hash_handles_open);
		fz_print_driver_log();
		return fz_why;
	}
	return NULL;
}

/*
 * For a board whose replies or cable were taken away mid-request: handles
 * it opened for a request whose reply the driver never saw are beyond the
 * driver's reach (it never learned them, and LOGOUT frees no pkey handle,
 * on the firmware as on the emulator: cryptech-rpc.md section 9), so count
 * them, and check what the driver does
 * control: no login is left, and a new session that ends with keys still
 * open leaves nothing behind. NULL or what is wrong.
 */
static inline const char *fz_no_leaks_after_loss(int board)
{
	struct hsm_emu_stats st0, st;
	struct hsm_board_desc d;
	struct hsm_t_key k;
	unsigned int i, new_held = 0;
	uint32_t bs;
	const char *why;
	int fd, err = 0;

	if (!hsm_wait_until(hsm_test_emu_stats(board, &st0) == 0 &&
			    hsm_emu_logged_in(&st0) == 0, FZ_WAIT_MS)) {
		snprintf(fz_why, sizeof(fz_why), "board %d: %u still logged in",
			 board, hsm_emu_logged_in(&st0));
		fz_print_clients(board, &st0);
		fz_print_driver_log();
		return fz_why;
	}
	printf("# board %d: no login; %lu key handles orphaned by lost replies or unplugs\n",
	       board, st0.pkey_handles_open);
	why = fz_attach(board, &d);
	if (why)
		return why;
	fd = hsm_t_open_dev(&d);
	if (fd < 0)
		return "cannot open the board";
	err = hsm_t_login(fd, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, &bs);
	for (i = 0; i < 3 && !err; i++)
		err = hsm_t_gen_ec(fd, CRYPTECH_HSM_CURVE_P256,
				   CRYPTECH_HSM_KEY_F_SIGN, &k, &bs);
	close(fd);		/* with its keys open: clean-up closes them */
	if (err) {
		snprintf(fz_why, sizeof(fz_why), "a new session: %s", strerror(-err));
		return fz_why;
	}
	if (hsm_wait_until(hsm_test_emu_stats(board, &st) == 0 &&
			   hsm_emu_logged_in(&st) == 0 &&
			   st.pkey_handles_open <= st0.pkey_handles_open, FZ_WAIT_MS))
		return NULL;
	for (i = 0; i < st.nclients; i++)
		new_held += !hsm_emu_client(&st0, st.c[i].client);
	snprintf(fz_why, sizeof(fz_why),
		 "board %d: a closed session left %lu key handles (%u new clients), %u logged in",
		 board, st.pkey_handles_open - st0.pkey_handles_open, new_held,
		 hsm_emu_logged_in(&st));
	fz_print_driver_log();
	return fz_why;
}

#endif /* FUZZ_COMMON_H */
