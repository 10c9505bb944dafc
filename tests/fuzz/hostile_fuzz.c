// SPDX-License-Identifier: GPL-2.0
/*
 * Sessions at work against a hostile board (issue 9 point 3b), under the
 * checker kernel. Board 0 is tests/boards/hostile_board.py: the emulator
 * behind a relay that, once told, mutates, duplicates, misaddresses, holds
 * back and replaces its replies and floods the line with random and stale
 * frames. Several processes open sessions, log in, draw random bytes,
 * generate, sign, verify and close keys, taking whatever error the driver
 * gives, until the relay has sent --frames hostile frames. Then the relay is
 * calmed: a fresh session must work and the board must hold no login and no
 * key handle of the closed sessions. The kernel log is the runner's to judge.
 *
 * usage: hostile_fuzz [--frames N] [--procs P]; prints TAP. The relay's
 * seed is printed (replay: HSM_HOSTILE_SEED=N make check-debug, or
 * hostile_board.py --seed N).
 */
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "fuzz_common.h"
#include "../kernel/hsm_hooks.h"

struct shared {
	atomic_int stop;
	atomic_long ops, failed_ops;
	atomic_long by_errno[FZ_ERRNO_MAX + 1];
};

static struct shared *sh;

static void note(int err)
{
	err = err < 0 ? -err : err;
	atomic_fetch_add(&sh->ops, 1);
	if (err)
		atomic_fetch_add(&sh->failed_ops, 1);
	atomic_fetch_add(&sh->by_errno[err > FZ_ERRNO_MAX ? FZ_ERRNO_MAX : err], 1);
}

static void worker(const struct hsm_board_desc *d)
{
	uint8_t buf[256], sig[512];
	struct hsm_t_key k;
	uint32_t bs, siglen;
	int fd, err;

	while (!atomic_load(&sh->stop)) {
		fd = hsm_t_open_dev(d);
		if (fd < 0) {
			note(errno);
			if (errno == ENOENT || errno == ENODEV)
				usleep(20000);	/* re-attach in progress */
			continue;
		}
		note(hsm_t_login(fd, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, &bs));
		for (int i = 0; i < 8 && !atomic_load(&sh->stop); i++) {
			note(hsm_t_random(fd, buf, 1 + (i * 37) % sizeof(buf), &bs));
			err = hsm_t_gen_ec(fd, CRYPTECH_HSM_CURVE_P256,
					   CRYPTECH_HSM_KEY_F_SIGN, &k, &bs);
			note(err);
			if (err)
				continue;
			siglen = sizeof(sig);
			err = hsm_t_sign(fd, k.handle, hsm_sha256_abc, 32, sig,
					 &siglen, &bs);
			note(err);
			if (!err)
				note(hsm_t_verify(fd, k.handle, hsm_sha256_abc, 32,
						  sig, siglen, &bs));
			if (i & 1)
				note(hsm_t_close(fd, k.handle, &bs));
		}
		close(fd);
	}
}

static long hostile_num(const char *key)
{
	static char js[4096];

	if (hsm_test_board_ctl(0, "hostile", js, sizeof(js)))
		return -1;
	return hsm_json_num(js, key);
}

/*
 * The bytes the relay has written towards the driver, once nothing more is
 * on its way from it (see "hostile" in hostile_board.py); -1 while
 * something is, or without an answer.
 */
static long relay_bytes_out_settled(void)
{
	static char js[4096];

	if (hsm_test_board_ctl(0, "hostile", js, sizeof(js)) ||
	    hsm_json_num(js, "pending") != 0)
		return -1;
	return hsm_json_num(js, "bytes_out");
}

/* The bytes board 0's line discipline has received; -1 if not attached. */
static long driver_bytes_in(void)
{
	struct hsm_board_desc d;

	if (hsm_test_find_board("ttyUSB0", &d))
		return -1;
	return (long)d.stats.bytes_in;
}

/*
 * Where the relay's and the driver's byte counts agree: the relay settled
 * and the driver has every byte it wrote (read in that order). NULL or why.
 */
static const char *line_mark(long *relay_out, long *driver_in)
{
	long out, in;

	if (!hsm_wait_until((out = relay_bytes_out_settled()) >= 0 &&
			    (in = driver_bytes_in()) >= 0 &&
			    relay_bytes_out_settled() == out, FZ_WAIT_MS))
		return "the relay never settled, or board 0 is not attached";
	*relay_out = out;
	*driver_in = in;
	return NULL;
}

/*
 * After "set hostile 0", the noise already written sits in socket buffers
 * and reaches the driver for seconds more, the longer the slower the guest:
 * a fresh session started before it has drained can be answered by a
 * mutated reply whose bit flips made its client handle the new session's.
 * Wait until the driver has received all that the relay wrote since
 * set-up (out0, in0). NULL or why.
 */
static const char *wait_line_drained(long out0, long in0)
{
	long out = -1, in = -1;

	if (hsm_wait_until((out = relay_bytes_out_settled()) >= 0 &&
			   (in = driver_bytes_in()) >= 0 &&
			   in - in0 == out - out0, 5 * FZ_WAIT_MS))
		return NULL;
	snprintf(fz_why, sizeof(fz_why),
		 "the line did not drain in %d s: the relay wrote %ld bytes since set-up, the driver received %ld",
		 5 * FZ_WAIT_MS / 1000, out - out0, in - in0);
	return fz_why;
}

int main(int argc, char **argv)
{
	long frames = fz_full() ? 1000000 : 20000, t0, t1, sent = 0;
	int procs = 4, opt, i, st, bad = 0;
	pid_t pids[32];
	struct hsm_board_desc d;
	const char *why;
	long old_timeout, relay_out0 = 0, driver_in0 = 0;
	static char js[4096];
	static const struct option lo[] = {
		{ "frames", required_argument, NULL, 'f' },
		{ "procs", required_argument, NULL, 'p' },
		{ 0 }
	};

	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 'f': frames = atol(optarg); break;
		case 'p': procs = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: hostile_fuzz [--frames N] [--procs P]\n");
			return 2;
		}
	}
	if (procs < 1 || procs > 32)
		return 2;
	printf("TAP version 13\n1..4\n");
	fflush(stdout);

	/* calm while attaching and setting the PINs */
	why = hsm_test_board_ctl(0, "set hostile 0", NULL, 0) ?
	      "board 0 is not the hostile board (no 'set hostile')" : NULL;
	if (!why)
		why = fz_setup_boards(1);
	if (!why)
		why = fz_attach(0, &d);
	if (!why && hsm_test_board_ctl(0, "hostile", js, sizeof(js)))
		why = "no counters from the hostile board";
	if (!why)
		why = line_mark(&relay_out0, &driver_in0);
	fz_tap(1, !why, "set-up: hostile board attached, PINs set%s%s",
	       why ? ": " : "", why ? why : "");
	if (why)
		return 1;
	printf("# hostile board seed %ld: replay with HSM_HOSTILE_SEED=%ld (frames %ld, processes %d)\n",
	       hsm_json_num(js, "seed"), hsm_json_num(js, "seed"), frames, procs);

	/* a lost reply should cost seconds, not the default 30 */
	old_timeout = hsm_param_get("op_timeout_ms");
	hsm_param_set("op_timeout_ms", 3000);

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	memset(sh, 0, sizeof(*sh));
	fflush(stdout);
	for (i = 0; i < procs; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			worker(&d);
			_exit(0);
		}
	}
	t0 = hsm_test_now_ms();
	hsm_test_board_ctl(0, "set hostile 1", NULL, 0);
	/* until the relay has sent the frames (bounded: 2 h) */
	hsm_wait_until((sent = hostile_num("hostile_frames")) >= frames ||
		       sent < 0, 7200 * 1000L);
	hsm_test_board_ctl(0, "set hostile 0", NULL, 0);
	atomic_store(&sh->stop, 1);
	for (i = 0; i < procs; i++)
		if (waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			bad++;
	t1 = hsm_test_now_ms();
	hsm_test_board_ctl(0, "hostile", js, sizeof(js));
	printf("# relay: %s\n", js);
	printf("# %ld session operations (%ld failed) in %.1f s\n",
	       atomic_load(&sh->ops), atomic_load(&sh->failed_ops),
	       (t1 - t0) / 1000.0);
	fz_print_errnos(sh->by_errno);
	fz_tap(2, !bad && sent >= frames && atomic_load(&sh->ops) > 0,
	       "%ld hostile frames while %d processes worked", sent, procs);
	hsm_param_set("op_timeout_ms", old_timeout > 0 ? old_timeout : 30000);

	t0 = hsm_test_now_ms();
	why = wait_line_drained(relay_out0, driver_in0);
	if (!why)
		printf("# the line drained %.1f s after the workers stopped\n",
		       (hsm_test_now_ms() - t0) / 1000.0);
	if (!why)
		why = fz_fresh_session(0, &d);
	fz_tap(3, !why, "a fresh session works once the board is calm%s%s",
	       why ? ": " : "", why ? why : "");
	why = fz_no_leaks_after_loss(0);
	fz_tap(4, !why, "no login left, and a closed session leaves no key handle%s%s",
	       why ? ": " : "", why ? why : "");
	return fz_failed ? 1 : 0;
}
