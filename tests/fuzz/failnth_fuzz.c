// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation and user-copy failures inside every ioctl (issue 9 point 3c),
 * under the checker kernel (CONFIG_FAILSLAB, CONFIG_FAULT_INJECTION_USERCOPY).
 *
 * Phase 1, every point: for each ioctl (and open/close of /dev/hsmN), in a
 * seeded random order with seeded random well-formed arguments, fail the
 * 1st, 2nd, ... fault-injection point the calling task reaches
 * (/proc/thread-self/fail-nth: a slab allocation or a copy from/to user,
 * whichever comes n-th) until a call passes every point uninjected.
 * Phase 2, random points: failslab and fail_usercopy with a probability,
 * for this task only (make-it-fail), over random well-formed ioctls.
 * After every injected call the session must still answer RANDOM; at the
 * end a fresh session works and the board holds no login or key handle.
 * KASAN, kmemleak and friends are judged by the runner from the kernel log.
 *
 * usage: failnth_fuzz [--rounds R] [--random N] [--seed S]; prints TAP.
 */
#include <getopt.h>
#include <stdatomic.h>
#include <sys/ioctl.h>

#include "fuzz_args.h"
#include "fuzz_common.h"
#include "../kernel/hsm_hooks.h"

#define MAX_NTH		400
#define DBG		"/sys/kernel/debug"

static int write_str(const char *path, const char *v)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, v, strlen(v)) < 0)
		err = -errno;
	close(fd);
	return err;
}

static long read_num(const char *path)
{
	char b[32] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, b, sizeof(b) - 1);
	close(fd);
	return n > 0 ? strtol(b, NULL, 10) : -1;
}

/* Quiet, reclaim-capable, not task-filtered unless asked. */
static const char *setup_injection(void)
{
	static const char *const w[][2] = {
		{ DBG "/failslab/ignore-gfp-wait", "N" },
		{ DBG "/failslab/verbose", "0" },
		{ DBG "/failslab/times", "-1" },
		{ DBG "/failslab/probability", "0" },
		{ DBG "/failslab/task-filter", "Y" },
		{ DBG "/fail_usercopy/verbose", "0" },
		{ DBG "/fail_usercopy/times", "-1" },
		{ DBG "/fail_usercopy/probability", "0" },
		{ DBG "/fail_usercopy/task-filter", "Y" },
	};
	unsigned int i;

	if (!hsm_path_exists("/proc/thread-self/fail-nth"))
		return "no /proc/thread-self/fail-nth: this needs the checker kernel (make check-debug)";
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		if (write_str(w[i][0], w[i][1])) {
			snprintf(fz_why, sizeof(fz_why), "cannot write %s: %s",
				 w[i][0], strerror(errno));
			return fz_why;
		}
	}
	return NULL;
}

struct ctx {
	struct hsm_board_desc d;
	int fd;
	struct fz_arena a;
	struct fz_handles hs;
	long injected, calls, sanity_failures;
	atomic_long by_errno[FZ_ERRNO_MAX + 1];
};

/* A logged-in session on board 0 with two keys of its own. */
static const char *session(struct ctx *c)
{
	struct hsm_t_key k;
	uint32_t bs;
	int i;

	if (c->fd >= 0)
		close(c->fd);
	c->fd = hsm_t_open_dev(&c->d);
	if (c->fd < 0)
		return "cannot open the board";
	if (hsm_t_login(c->fd, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, &bs))
		return "cannot log in";
	c->hs.n = 0;
	for (i = 0; i < 2; i++) {
		if (hsm_t_gen_ec(c->fd, CRYPTECH_HSM_CURVE_P256,
				 CRYPTECH_HSM_KEY_F_SIGN, &k, &bs))
			return "cannot generate a key";
		fz_handle_add(&c->hs, k.handle);
	}
	return NULL;
}

/* The session still answers (no injection active). */
static int sane(struct ctx *c)
{
	uint8_t r[16];
	uint32_t bs;
	int err = hsm_t_random(c->fd, r, sizeof(r), &bs);

	if (err == -EPERM || err == -ENOTCONN) {	/* logged out by the call */
		err = hsm_t_login(c->fd, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, &bs);
		if (!err)
			err = hsm_t_random(c->fd, r, sizeof(r), &bs);
	}
	return err;
}

/* One call of @io (NULL: open and close the device) with fail-nth = @nth. */
static int call(struct ctx *c, const struct fz_ioctl *io, int nth, int *injected)
{
	char v[16];
	uint8_t *arg = NULL;
	long r;
	int err, fd2;

	if (io) {
		arg = fz_arg(&c->a, io->size);
		fz_wellformed(io, arg, &c->a, &c->hs);
		/* a fuzzer-chosen handle would miss the keys: use the session's */
		if (io->handle_off[0] != FZ_NONE && c->hs.n)
			fz_put32(arg, io->handle_off[0], c->hs.h[fz_below(2)]);
		fz_tame(io, arg, &c->a);
	}
	snprintf(v, sizeof(v), "%d", nth);
	if (write_str("/proc/thread-self/fail-nth", v))
		return -1000;
	if (io) {
		r = ioctl(c->fd, io->cmd, arg);
		err = r < 0 ? errno : 0;
	} else {
		fd2 = hsm_t_open_dev(&c->d);
		err = fd2 < 0 ? errno : 0;
		if (fd2 >= 0)
			close(fd2);
	}
	r = read_num("/proc/thread-self/fail-nth");
	*injected = r == 0;
	write_str("/proc/thread-self/fail-nth", "0");
	c->calls++;
	c->injected += *injected;
	atomic_fetch_add(&c->by_errno[err > FZ_ERRNO_MAX ? FZ_ERRNO_MAX : err], 1);
	if (io && !err)
		fz_learn(io, arg, &c->hs);
	return err;
}

static int sweep(struct ctx *c, const struct fz_ioctl *io, const char **why)
{
	int nth, injected = 1, err;

	for (nth = 1; nth <= MAX_NTH && injected; nth++) {
		err = call(c, io, nth, &injected);
		if (err == -1000) {
			*why = "cannot write fail-nth";
			return -1;
		}
		/* a call that ends the login or a key: start over */
		if (io && (io->cmd == CRYPTECH_HSM_IOC_LOGOUT ||
			   io->cmd == CRYPTECH_HSM_IOC_CLOSE ||
			   io->cmd == CRYPTECH_HSM_IOC_DELETE)) {
			*why = session(c);
			if (*why)
				return -1;
		}
		err = sane(c);
		if (err) {
			printf("# %s, fault at point %d: the session no longer answers: %s\n",
			       io ? io->name : "open", nth, strerror(-err));
			c->sanity_failures++;
			*why = session(c);
			if (*why)
				return -1;
		}
	}
	return nth - 1;
}

int main(int argc, char **argv)
{
	int rounds = fz_full() ? 20 : 2, nrandom = fz_full() ? 20000 : 500;
	unsigned long long seed = fz_default_seed();
	static struct ctx c = { .fd = -1 };
	const char *why;
	int opt, r, i, points = 0;
	long old_timeout;
	static const struct option lo[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "random", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ 0 }
	};

	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 'r': rounds = atoi(optarg); break;
		case 'n': nrandom = atoi(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: failnth_fuzz [--rounds R] [--random N] [--seed S]\n");
			return 2;
		}
	}
	printf("TAP version 13\n1..5\n");
	printf("# seed %llu: replay with HSM_FUZZ_SEED=%llu (rounds %d, random %d)\n",
	       seed, seed, rounds, nrandom);
	fz_seed(seed);

	why = setup_injection();
	if (!why)
		why = fz_setup_boards(1);
	if (!why)
		why = fz_attach(0, &c.d);
	if (!why && fz_arena_init(&c.a))
		why = "mmap";
	if (!why)
		why = session(&c);
	fz_tap(1, !why, "set-up: failslab and fail_usercopy quiet, board up%s%s",
	       why ? ": " : "", why ? why : "");
	if (why)
		return 1;

	/*
	 * A failed allocation under the tty write (usb-serial's URB, in this
	 * task) loses the request on its way to the board: the driver only
	 * learns it when the operation times out. Make that cost seconds,
	 * not the default 30, or a sweep spends nearly all its time waiting.
	 */
	old_timeout = hsm_param_get("op_timeout_ms");
	hsm_param_set("op_timeout_ms", 3000);

	/* phase 1: every fault point of every ioctl */
	for (r = 0; r < rounds && !why; r++) {
		unsigned int order[FZ_NIOCTLS + 1], j, k, t;

		for (j = 0; j <= FZ_NIOCTLS; j++)
			order[j] = j;
		for (j = FZ_NIOCTLS; j > 0; j--) {
			k = fz_below(j + 1);
			t = order[j];
			order[j] = order[k];
			order[k] = t;
		}
		for (j = 0; j <= FZ_NIOCTLS && !why; j++) {
			const struct fz_ioctl *io = order[j] < FZ_NIOCTLS ?
						    &fz_ioctls[order[j]] : NULL;
			int n = sweep(&c, io, &why);

			if (r == 0)
				printf("#   %-12s %d fault points\n",
				       io ? io->name : "open/close", n);
			if (n > 0)
				points += n;
		}
	}
	printf("# phase 1: %ld calls, %ld with a fault injected\n", c.calls, c.injected);
	fz_print_errnos(c.by_errno);
	fz_tap(2, !why && !c.sanity_failures && c.injected > 0,
	       "every fault point of every ioctl, %d round(s): %ld faults injected, session answered after each%s%s",
	       rounds, c.injected, why ? ": " : "", why ? why : "");

	/* phase 2: random points, this task only */
	memset(c.by_errno, 0, sizeof(c.by_errno));
	why = NULL;
	{
		/*
		 * This task's own flag last: once it is set, a write here
		 * (debugfs allocates, procfs copies from user) can fail.
		 */
		static const char *const on[][2] = {
			{ DBG "/failslab/probability", "10" },
			{ DBG "/fail_usercopy/probability", "10" },
			{ "/proc/self/make-it-fail", "1" },
		};

		unsigned int n;

		for (n = 0; n < 3 && !why; n++) {
			int e = write_str(on[n][0], on[n][1]);

			if (e) {
				snprintf(fz_why, sizeof(fz_why),
					 "cannot enable random failures: %s: %s",
					 on[n][0], strerror(-e));
				why = fz_why;
			}
		}
	}
	for (i = 0; i < nrandom && !why; i++) {
		const struct fz_ioctl *io = fz_pick_ioctl();
		uint8_t *arg = fz_arg(&c.a, io->size);
		long rr;

		fz_wellformed(io, arg, &c.a, &c.hs);
		if (io->handle_off[0] != FZ_NONE && c.hs.n && fz_pct(70))
			fz_put32(arg, io->handle_off[0], c.hs.h[fz_below(2)]);
		fz_tame(io, arg, &c.a);
		rr = ioctl(c.fd, io->cmd, arg);
		atomic_fetch_add(&c.by_errno[rr < 0 ? (errno > FZ_ERRNO_MAX ?
					     FZ_ERRNO_MAX : errno) : 0], 1);
		if (!rr)
			fz_learn(io, arg, &c.hs);
	}
	/*
	 * The flag first, and until it takes: the write itself is one of
	 * this task's user copies, and fails one time in ten.
	 */
	for (i = 0; i < 1000 && write_str("/proc/self/make-it-fail", "0"); i++)
		;
	write_str(DBG "/failslab/probability", "0");
	write_str(DBG "/fail_usercopy/probability", "0");
	hsm_param_set("op_timeout_ms", old_timeout > 0 ? old_timeout : 30000);
	printf("# phase 2, %d random ioctls\n", nrandom);
	fz_print_errnos(c.by_errno);
	r = sane(&c);
	fz_tap(3, !why && !r, "%d random ioctls with 10%% of allocations and user copies failing%s%s",
	       nrandom, why ? ": " : "", why ? why : "");

	close(c.fd);
	why = fz_fresh_session(0, &c.d);
	fz_tap(4, !why, "a fresh session works afterwards%s%s",
	       why ? ": " : "", why ? why : "");
	why = fz_no_leaks(1);
	fz_tap(5, !why, "no login or key handle left on the board%s%s",
	       why ? ": " : "", why ? why : "");
	return fz_failed ? 1 : 0;
}
