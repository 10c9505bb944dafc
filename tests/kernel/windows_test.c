// SPDX-License-Identifier: GPL-2.0
/*
 * Unplug inside each critical window (issue 9 point 4), under the checker
 * kernel (make check-debug, group debug-windows). Each window is held open
 * with the module's test-only delay points (CRYPTECH_HSM_TEST_HOOKS=1,
 * debugfs): the test waits until a thread is inside it (the point's hit
 * counter moves), pulls the board's cable, then releases the window.
 *
 *   handshake        probe work, before GET_VERSION
 *   publish          /dev/hsmN added, board not yet READY
 *   ldisc_open       the line discipline's open, inside tty_set_ldisc()
 *   session_cleanup  a closed session's clean-up, before its requests
 *   nl_dump          a netlink board dump, holding a board reference
 *
 * --iterations N each (default 100 with HSM_FULL=1, else 3). After every
 * iteration the board is plugged back; the driver must be left with no
 * board, and a new attach and session must work. What the unplug does to
 * memory and locks is for KASAN and lockdep to say (the runner fails the
 * run on any report). Prints TAP.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>

#include "../fuzz/fuzz_common.h"
#include "hsm_hooks.h"

#define HOLD_MS		30000	/* a window stays open until released */

struct bg {
	pthread_t t;
	atomic_int done;
	int err;
	int what;		/* 0: attach ttyUSB0, 1: netlink board dump */
	struct hsm_board_desc d;
};

static void *bg_main(void *p)
{
	struct bg *b = p;
	char msg[256];

	if (b->what == 0) {
		b->err = hsm_attach(hsm_test_tty(0), &b->d, msg, sizeof(msg));
	} else {
		struct hsm_board_desc *boards;
		size_t n;

		b->err = hsm_list_boards(&boards, &n, msg, sizeof(msg));
		if (!b->err)
			hsm_free_boards(boards);
	}
	atomic_store(&b->done, 1);
	return NULL;
}

static int bg_start(struct bg *b, int what)
{
	memset(b, 0, sizeof(*b));
	b->what = what;
	return pthread_create(&b->t, NULL, bg_main, b);
}

static int errs[FZ_ERRNO_MAX + 1];

static const char *unplug(void)
{
	if (hsm_test_run("tests/vm/vmctl unplug 0", NULL, 0))
		return "vmctl unplug 0 failed";
	return NULL;
}

/* Plug back, wait for the tty, and for the driver to hold no board. */
static const char *replug(void)
{
	if (!hsm_wait_until(!hsm_path_exists("/dev/ttyUSB0"), FZ_WAIT_MS))
		return "ttyUSB0 stayed after the unplug";
	if (!hsm_wait_until(hsm_test_board_count() == 0, FZ_WAIT_MS))
		return "the driver kept the unplugged board";
	if (hsm_test_run("tests/vm/vmctl plug 0", NULL, 0))
		return "vmctl plug 0 failed";
	if (!hsm_wait_until(hsm_path_exists("/dev/ttyUSB0"), FZ_WAIT_MS))
		return "ttyUSB0 did not come back";
	return NULL;
}

static const char *wait_hit(const char *point, long before)
{
	if (!hsm_wait_until(hsm_hook_hits(point) > before, FZ_WAIT_MS)) {
		snprintf(fz_why, sizeof(fz_why), "nothing entered %s", point);
		return fz_why;
	}
	return NULL;
}

/* An attach held at @point (handshake, publish, ldisc_open) when unplugged. */
static const char *attach_window(const char *point)
{
	long hits = hsm_hook_hits(point);
	const char *why;
	struct bg b;

	if (bg_start(&b, 0))
		return "pthread_create";
	why = wait_hit(point, hits);
	if (!why && atomic_load(&b.done))
		why = "attach finished inside the window";
	if (!why)
		why = unplug();
	hsm_hook_release();
	pthread_join(b.t, NULL);
	if (why)
		return why;
	errs[-b.err > FZ_ERRNO_MAX || b.err > 0 ? FZ_ERRNO_MAX : -b.err]++;
	return replug();
}

/* A closed session's clean-up held when unplugged. */
static const char *cleanup_window(void)
{
	long hits = hsm_hook_hits("session_cleanup");
	struct hsm_board_desc d;
	struct hsm_t_key k;
	const char *why;
	uint32_t bs;
	int fd;

	why = fz_attach(0, &d);
	if (why)
		return why;
	fd = hsm_t_open_dev(&d);
	if (fd < 0)
		return "cannot open the board";
	if (hsm_t_login(fd, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, &bs) ||
	    hsm_t_gen_ec(fd, CRYPTECH_HSM_CURVE_P256, CRYPTECH_HSM_KEY_F_SIGN,
			 &k, &bs)) {
		close(fd);
		return "login or key generation failed";
	}
	close(fd);		/* the clean-up work starts */
	why = wait_hit("session_cleanup", hits);
	if (!why)
		why = unplug();
	hsm_hook_release();
	return why ? why : replug();
}

/* A netlink dump held on the board when unplugged. */
static const char *dump_window(void)
{
	long hits = hsm_hook_hits("nl_dump");
	struct hsm_board_desc d;
	const char *why;
	struct bg b;

	why = fz_attach(0, &d);
	if (why)
		return why;
	if (bg_start(&b, 1))
		return "pthread_create";
	why = wait_hit("nl_dump", hits);
	if (!why)
		why = unplug();
	hsm_hook_release();
	pthread_join(b.t, NULL);
	if (why)
		return why;
	errs[-b.err > FZ_ERRNO_MAX || b.err > 0 ? FZ_ERRNO_MAX : -b.err]++;
	return replug();
}

static void window(int n, const char *point, int iterations)
{
	const char *why = NULL;
	struct hsm_board_desc d;
	long t0 = hsm_test_now_ms();
	int i;

	memset(errs, 0, sizeof(errs));
	hsm_t_detach_all();
	if (hsm_hook_set(point, HOLD_MS))
		why = "cannot set the delay point";
	for (i = 0; i < iterations && !why; i++) {
		if (!strcmp(point, "session_cleanup"))
			why = cleanup_window();
		else if (!strcmp(point, "nl_dump"))
			why = dump_window();
		else
			why = attach_window(point);
	}
	hsm_hook_set(point, 0);
	hsm_hook_release();
	if (!why)
		why = fz_setup_boards(1);
	if (!why)
		why = fz_fresh_session(0, &d);
	printf("# %s: %d unplugs in %.1f s; the held call returned:", point, i,
	       (hsm_test_now_ms() - t0) / 1000.0);
	for (int e = 0; e <= FZ_ERRNO_MAX; e++)
		if (errs[e])
			printf(" %s=%d", e ? strerrorname_np(e) ?: "?" : "ok", errs[e]);
	printf("\n");
	fz_tap(n, !why, "unplug inside %s, %d times; attach and a session work after%s%s",
	       point, iterations, why ? ": " : "", why ? why : "");
	if (why)
		printf("# failed at iteration %d\n", i);
}

int main(int argc, char **argv)
{
	static const char *const points[] = {
		"handshake", "publish", "ldisc_open", "session_cleanup", "nl_dump",
	};
	int iterations = fz_full() ? 100 : 3, opt, i;
	const char *why;
	static const struct option lo[] = {
		{ "iterations", required_argument, NULL, 'i' },
		{ 0 }
	};

	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (opt != 'i') {
			fprintf(stderr, "usage: windows_test [--iterations N]\n");
			return 2;
		}
		iterations = atoi(optarg);
	}
	printf("TAP version 13\n1..%d\n", 1 + (int)(sizeof(points) / sizeof(points[0])));
	why = hsm_hooks_missing();
	if (!why)
		why = fz_setup_boards(1);
	fz_tap(1, !why, "set-up: delay points present, board up%s%s",
	       why ? ": " : "", why ? why : "");
	if (why)
		return 1;
	for (i = 0; i < (int)(sizeof(points) / sizeof(points[0])); i++)
		window(2 + i, points[i], iterations);
	return fz_failed ? 1 : 0;
}
