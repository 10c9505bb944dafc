// SPDX-License-Identifier: GPL-2.0
/*
 * Fault storms (issue 9 point 5), under the checker kernel (make
 * check-debug, group debug-storms); one emulator board.
 *
 *   unplug     16 sessions (the driver's max_in_flight) each with a
 *              request in flight (GET_RANDOM: the board's 10 login slots
 *              would not hold 16 sessions; it drops those 16 replies, so
 *              none can complete), and the cable is pulled: every call
 *              returns an error, the board is plugged back and attached
 *   kill-sign  kill -9 of a process whose sign is in flight (the board
 *              takes 5 s over it; the reply lands after the kill)
 *   kill-keygen  the same with a key generation in flight
 *
 * --runs N of each (default 100 with HSM_FULL=1, else 2). After each run
 * the board holds no login, a killed session leaves no key handle, and a
 * re-attach works. "In flight" is known, not guessed: the emulator has
 * received the request (its frames_in counter moved). What the storms do
 * to memory and locks is for KASAN, lockdep and kmemleak to say. TAP.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "../fuzz/fuzz_common.h"

#define INFLIGHT	16
#define SERVICE_MS	5000

/* Requests the driver has on the line awaiting a reply (netlink). */
static long in_flight(const struct hsm_board_desc *d)
{
	struct hsm_board_desc now;

	if (hsm_get_board(d->index, &now, NULL, 0))
		return -1;
	return (long)now.stats.in_flight;
}

static long logged_in(void)
{
	struct hsm_emu_stats st;

	return hsm_test_emu_stats(0, &st) ? -1 : (long)hsm_emu_logged_in(&st);
}

/* ---- unplug with 16 signs in flight -------------------------------------- */

struct signer {
	pthread_t t;
	const struct hsm_board_desc *d;
	atomic_int *ready, *go;
	int err;
};

static void *signer_main(void *p)
{
	struct signer *s = p;
	uint8_t buf[64];
	uint32_t bs;
	int fd = hsm_t_open_dev(s->d);

	s->err = fd < 0 ? -errno : 0;
	atomic_fetch_add(s->ready, 1);
	while (!atomic_load(s->go))
		usleep(1000);	/* a start line for all 16, not a wait for the kernel */
	if (!s->err) {
		s->err = hsm_t_random(fd, buf, sizeof(buf), &bs);
		/* the board was pulled under it: success is wrong */
		s->err = s->err ? s->err : 1;
	} else {
		s->err = -1000 + s->err;	/* failed before the storm */
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static const char *unplug_run(int *enodev)
{
	struct signer s[INFLIGHT];
	atomic_int ready = 0, go = 0;
	struct hsm_board_desc d;
	const char *why;
	int i;

	why = fz_attach(0, &d);
	if (why)
		return why;
	for (i = 0; i < INFLIGHT; i++) {
		s[i] = (struct signer){ .d = &d, .ready = &ready, .go = &go };
		if (pthread_create(&s[i].t, NULL, signer_main, &s[i]))
			return "pthread_create";
	}
	if (!hsm_wait_until(atomic_load(&ready) == INFLIGHT, FZ_WAIT_MS))
		why = "the sessions did not get ready";
	/* none may finish: the board drops their replies */
	if (!why && hsm_test_board_set(0, "drop_next", INFLIGHT))
		why = "cannot make the board drop replies";
	atomic_store(&go, 1);
	if (!why && !hsm_wait_until(in_flight(&d) >= INFLIGHT, FZ_WAIT_MS))
		why = "the driver never had the 16 requests in flight";
	if (!why && hsm_test_run("tests/vm/vmctl unplug 0", NULL, 0))
		why = "vmctl unplug 0 failed";
	for (i = 0; i < INFLIGHT; i++) {
		pthread_join(s[i].t, NULL);
		if (!why && s[i].err <= -1000) {
			snprintf(fz_why, sizeof(fz_why), "session %d failed before the unplug: %s",
				 i, strerror(-(s[i].err + 1000)));
			why = fz_why;
		} else if (!why && s[i].err == 1) {
			why = "a request whose reply was dropped succeeded";
		}
		*enodev += s[i].err == -ENODEV;
	}
	if (why)
		return why;
	if (!hsm_wait_until(!hsm_path_exists("/dev/ttyUSB0"), FZ_WAIT_MS))
		return "ttyUSB0 stayed after the unplug";
	if (!hsm_wait_until(hsm_test_board_count() == 0, FZ_WAIT_MS))
		return "the driver kept the unplugged board";
	if (hsm_test_run("tests/vm/vmctl plug 0", NULL, 0))
		return "vmctl plug 0 failed";
	why = fz_attach(0, &d);	/* its LOGOUT_ALL ends the 16 logins */
	if (why)
		return why;
	if (!hsm_wait_until(logged_in() == 0, FZ_WAIT_MS))
		return "logins left on the board after the re-attach";
	return NULL;
}

/* ---- kill -9 mid-operation -------------------------------------------------- */

static const char *kill_run(int keygen)
{
	int ready[2], go[2], st;
	struct hsm_board_desc d;
	struct hsm_emu_stats es, es0;
	const char *why;
	char c = 0;
	pid_t pid;

	why = fz_attach(0, &d);
	if (why)
		return why;
	if (hsm_test_emu_stats(0, &es0))
		return "no stats from the board";
	if (pipe(ready) || pipe(go))
		return "pipe";
	pid = fork();
	if (pid == 0) {
		uint8_t sig[512];
		uint32_t bs, siglen = sizeof(sig);
		struct hsm_t_key k = { 0 };
		int fd = hsm_t_open_dev(&d);

		if (fd < 0 ||
		    hsm_t_login(fd, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, &bs) ||
		    (!keygen && hsm_t_gen_ec(fd, CRYPTECH_HSM_CURVE_P256,
					     CRYPTECH_HSM_KEY_F_SIGN, &k, &bs)))
			_exit(1);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(1);
		if (keygen)
			st = hsm_t_gen_ec(fd, CRYPTECH_HSM_CURVE_P256,
					  CRYPTECH_HSM_KEY_F_SIGN, &k, &bs);
		else
			st = hsm_t_sign(fd, k.handle, hsm_sha256_abc, 32, sig,
					&siglen, &bs);
		_exit(100 - st);	/* not reached: killed mid-call */
	}
	close(ready[1]);
	close(go[0]);
	if (pid < 0 || read(ready[0], &c, 1) != 1)
		why = "the child did not get ready";
	if (!why && write(go[1], "g", 1) != 1)
		why = "cannot start the child";
	if (!why && !hsm_wait_until(in_flight(&d) > 0, FZ_WAIT_MS))
		why = "the request never got in flight";
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		if (!why && !(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)) {
			snprintf(fz_why, sizeof(fz_why),
				 "the child ended before the kill (status %d: %s)",
				 WEXITSTATUS(st), WEXITSTATUS(st) >= 100 ?
				 strerror(WEXITSTATUS(st) - 100) : "set-up failed");
			why = fz_why;
		}
	}
	close(ready[0]);
	close(go[1]);
	if (why)
		return why;
	/* the abandoned request settles when its reply lands, then clean-up */
	if (!hsm_wait_until(hsm_test_emu_stats(0, &es) == 0 &&
			    hsm_emu_logged_in(&es) == 0 &&
			    es.pkey_handles_open <= es0.pkey_handles_open &&
			    es.volatile_keys <= es0.volatile_keys, FZ_WAIT_MS)) {
		snprintf(fz_why, sizeof(fz_why),
			 "the killed session left %u logins, %ld key handles, %ld volatile keys",
			 hsm_emu_logged_in(&es),
			 (long)(es.pkey_handles_open - es0.pkey_handles_open),
			 (long)(es.volatile_keys - es0.volatile_keys));
		return fz_why;
	}
	return fz_reattach(0);
}

static void storm(int n, const char *name, int runs)
{
	long t0 = hsm_test_now_ms();
	const char *why = NULL, *knob;
	struct hsm_board_desc d;
	int i, enodev = 0;

	knob = !strcmp(name, "kill-keygen") ? "service_ms.PKEY_GENERATE_EC" :
					       "service_ms.PKEY_SIGN";
	/* the storm's call is slow on the board; the rest is quick */
	if (strcmp(name, "unplug") && hsm_test_board_set(0, knob, SERVICE_MS))
		why = "cannot slow the board down";
	for (i = 0; i < runs && !why; i++) {
		if (!strcmp(name, "unplug"))
			why = unplug_run(&enodev);
		else
			why = kill_run(!strcmp(name, "kill-keygen"));
	}
	hsm_test_board_set(0, "service_ms.PKEY_SIGN", 0);
	hsm_test_board_set(0, "service_ms.PKEY_GENERATE_EC", 0);
	hsm_test_board_set(0, "drop_next", 0);
	if (!hsm_path_exists("/dev/ttyUSB0"))
		hsm_test_run("tests/vm/vmctl plug 0", NULL, 0);
	if (!why)
		why = fz_fresh_session(0, &d);
	/* each kill run checked its own leaks; the unplugs orphan handles */
	if (!why)
		why = fz_no_leaks_after_loss(0);
	printf("# %s: %d runs in %.1f s\n", name, i,
	       (hsm_test_now_ms() - t0) / 1000.0);
	if (!strcmp(name, "unplug"))
		printf("# unplug: %d of %d in-flight requests returned ENODEV\n",
		       enodev, i * INFLIGHT);
	if (why)
		printf("# failed in run %d\n", i);
	fz_tap(n, !why, "%s, %d runs: no login or key handle left, re-attach works%s%s",
	       name, runs, why ? ": " : "", why ? why : "");
}

int main(int argc, char **argv)
{
	int runs = fz_full() ? 100 : 2, opt;
	const char *why;
	static const struct option lo[] = {
		{ "runs", required_argument, NULL, 'r' },
		{ 0 }
	};

	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (opt != 'r') {
			fprintf(stderr, "usage: storms_test [--runs N]\n");
			return 2;
		}
		runs = atoi(optarg);
	}
	printf("TAP version 13\n1..4\n");
	why = fz_setup_boards(1);
	fz_tap(1, !why, "set-up: board up, PINs set%s%s", why ? ": " : "",
	       why ? why : "");
	if (why)
		return 1;
	storm(2, "unplug", runs);
	storm(3, "kill-sign", runs);
	storm(4, "kill-keygen", runs);
	return fz_failed ? 1 : 0;
}
