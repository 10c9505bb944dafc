// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl fuzzer (issue 9 point 3a), run in the test VM under the checker
 * kernel (make check-debug). Several processes, two threads each, make
 * --calls ioctls in all on /dev/hsmN with random and mutated arguments
 * (sizes, pointers, flags, handles, lengths, near-miss ioctl numbers) while
 * the threads close and reopen their files under each other and a chaos
 * process unplugs, detaches and re-attaches the boards under them. The
 * kernel log (KASAN, lockdep, UBSAN, kmemleak...) is judged by the runner.
 * Afterwards a fresh session must work and the boards (emulators) must hold
 * no login and no key handle.
 *
 * usage: ioctl_fuzz [--calls N] [--procs P] [--seed S] [--no-chaos]
 * The seed (default: HSM_FUZZ_SEED, else from the clock) is printed first;
 * HSM_FUZZ_SEED=S replays a run's arguments (the interleaving of processes
 * and the chaos, being timing, does not replay exactly).
 * Prints TAP.
 */
#include <errno.h>
#include <execinfo.h>
#include <getopt.h>
#include <glob.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include "fuzz_args.h"
#include "fuzz_common.h"

#define SLOTS		4
#define THREADS		2

struct shared {
	atomic_long calls;			/* made so far, all processes */
	atomic_long by_errno[FZ_ERRNO_MAX + 1];	/* [0]: success */
	atomic_long by_ioctl[FZ_NIOCTLS];
	atomic_int done;
	atomic_long chaos_actions;
	atomic_int chaos_failed;
	char chaos_error[256];
};

static struct shared *sh;
static long calls_per_thread;
static uint64_t base_seed;

struct worker {
	pthread_mutex_t lock;
	int fd[SLOTS];
	struct fz_handles hs;		/* shared by its threads, racy on purpose */
};

/*
 * A worker that dies of a signal says where and in which call: a worker
 * SIGSEGV was seen once under the checker kernel and could not be
 * explained from the exit status alone. Each thread's last ioctl is kept
 * for the report; the handler uses only async-signal-safe calls (and
 * backtrace(), loaded once beforehand so that it does not allocate).
 */
struct last_call {
	const char *name;
	unsigned long cmd;
	uint64_t argp;
	uint64_t arena;		/* the thread's arena, to place argp */
	long seq;
};

static _Thread_local struct last_call last_call;

static void put_str(const char *s)
{
	ssize_t r = write(STDOUT_FILENO, s, strlen(s));

	(void)r;
}

static void put_hex(const char *label, uint64_t v)
{
	char b[32];
	int i = 18;

	b[19] = 0;
	do {
		b[i--] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v && i > 1);
	b[i--] = 'x';
	b[i] = '0';
	put_str(label);
	put_str(b + i);
}

static void crash_report(int sig, siginfo_t *si, void *uc)
{
	void *frames[32];
	int n;

	(void)uc;
	put_str("# worker crash: signal ");
	put_str(sig == SIGSEGV ? "SEGV" : sig == SIGBUS ? "BUS" : "other");
	put_hex(" si_code ", (uint64_t)si->si_code);
	put_hex(" si_addr ", (uint64_t)(uintptr_t)si->si_addr);
	put_str("\n# last ioctl of this thread: ");
	put_str(last_call.name ? last_call.name : "(none yet)");
	put_hex(" cmd ", last_call.cmd);
	put_hex(" arg ", last_call.argp);
	put_hex(" arena ", last_call.arena);
	put_hex(" call ", (uint64_t)last_call.seq);
	put_str("\n# backtrace (addr2line -e tests/fuzz/ioctl_fuzz -f OFFSET):\n");
	n = backtrace(frames, 32);
	backtrace_symbols_fd(frames, n, STDOUT_FILENO);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_crash_report(void)
{
	struct sigaction sa = { .sa_sigaction = crash_report,
				.sa_flags = SA_SIGINFO | SA_RESETHAND };
	void *frame;

	backtrace(&frame, 1);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

static int open_any_board(void)
{
	glob_t g;
	int fd = -1;

	if (glob("/dev/hsm[0-9]*", 0, NULL, &g))
		return -1;
	if (g.gl_pathc)
		fd = open(g.gl_pathv[fz_below(g.gl_pathc)], O_RDWR | O_CLOEXEC);
	globfree(&g);
	return fd;
}

struct thread_arg {
	struct worker *w;
	uint64_t seed;
};

static void *fuzz_thread(void *p)
{
	struct thread_arg *ta = p;
	struct worker *w = ta->w;
	struct fz_arena a;
	long i;

	fz_seed(ta->seed);
	if (fz_arena_init(&a))
		return (void *)1;
	for (i = 0; i < calls_per_thread; i++) {
		const struct fz_ioctl *io = fz_pick_ioctl();
		unsigned int slot = fz_below(SLOTS);
		uint8_t *arg;
		uint64_t argp;
		int fd, err;
		long r;

		if (fz_pct(3)) {	/* close a file, maybe in another thread's call */
			pthread_mutex_lock(&w->lock);
			fd = w->fd[slot];
			w->fd[slot] = -1;
			pthread_mutex_unlock(&w->lock);
			if (fd >= 0)
				close(fd);
		}
		pthread_mutex_lock(&w->lock);
		fd = w->fd[slot];
		pthread_mutex_unlock(&w->lock);
		if (fd < 0) {
			uint32_t bs;

			fd = open_any_board();
			if (fd < 0) {	/* every board detached right now */
				i--;
				if (atomic_load(&sh->done))
					break;
				usleep(1000);
				continue;
			}
			if (fz_pct(40))
				hsm_t_login(fd, CRYPTECH_HSM_USER_NORMAL,
					    HSM_USER_PIN, &bs);
			pthread_mutex_lock(&w->lock);
			if (w->fd[slot] < 0) {
				w->fd[slot] = fd;
			} else {
				close(fd);
				fd = w->fd[slot];
			}
			pthread_mutex_unlock(&w->lock);
		}
		arg = fz_arg(&a, io->size);
		fz_wellformed(io, arg, &a, &w->hs);
		if (fz_pct(80))
			fz_mutate(io, arg, &a, &w->hs);
		fz_tame(io, arg, &a);
		fz_confine(io, arg, &a);
		argp = (uint64_t)(uintptr_t)arg;
		if (fz_pct(3))
			argp = fz_pointer(&a, io->size);
		last_call = (struct last_call){ .name = io->name, .cmd = fz_cmd(io),
						.argp = argp, .seq = i,
						.arena = (uint64_t)(uintptr_t)a.data };
		r = ioctl(fd, last_call.cmd, (void *)(uintptr_t)argp);
		err = r < 0 ? errno : 0;
		atomic_fetch_add(&sh->calls, 1);
		atomic_fetch_add(&sh->by_errno[err > FZ_ERRNO_MAX ? FZ_ERRNO_MAX : err], 1);
		atomic_fetch_add(&sh->by_ioctl[io - fz_ioctls], 1);
		if (!err && argp == (uint64_t)(uintptr_t)arg)
			fz_learn(io, arg, &w->hs);
		if (err == ENODEV && fz_pct(50)) {	/* the board went away */
			pthread_mutex_lock(&w->lock);
			if (w->fd[slot] == fd) {
				w->fd[slot] = -1;
				close(fd);
			}
			pthread_mutex_unlock(&w->lock);
		}
	}
	return NULL;
}

static int worker_main(int index)
{
	struct worker w = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct thread_arg ta[THREADS];
	pthread_t t[THREADS];
	int i, bad = 0;

	install_crash_report();
	for (i = 0; i < SLOTS; i++)
		w.fd[i] = -1;
	fz_seed(base_seed + 1000 * (uint64_t)index);
	for (i = 0; i < THREADS; i++) {
		ta[i].w = &w;
		ta[i].seed = base_seed + 1000 * (uint64_t)index + i + 1;
		if (pthread_create(&t[i], NULL, fuzz_thread, &ta[i]))
			return 1;
	}
	for (i = 0; i < THREADS; i++) {
		void *ret;

		pthread_join(t[i], &ret);
		bad |= ret != NULL;
	}
	for (i = 0; i < SLOTS; i++)
		if (w.fd[i] >= 0)
			close(w.fd[i]);
	return bad;
}

static void chaos_fail(const char *fmt, const char *what)
{
	snprintf(sh->chaos_error, sizeof(sh->chaos_error), fmt, what);
	atomic_store(&sh->chaos_failed, 1);
}

/*
 * Unplug and replug board 1, or detach and re-attach either board over
 * netlink, until the workers are done.
 */
static int chaos_main(int boards)
{
	fz_seed(base_seed ^ 0xc4a05);
	while (!atomic_load(&sh->done) && !atomic_load(&sh->chaos_failed)) {
		unsigned int b = boards > 1 ? fz_below(boards) : 0;
		const char *err;

		if (b == 1 && fz_pct(50))	/* only board 1 is unplugged */
			err = fz_replug(1);
		else
			err = fz_reattach(b);
		if (err) {
			chaos_fail("%.200s", err);
			break;
		}
		atomic_fetch_add(&sh->chaos_actions, 1);
	}
	return 0;
}

int main(int argc, char **argv)
{
	long calls = fz_full() ? 1000000 : 20000;
	int procs = 4, chaos = 1, boards, i, opt, st, bad_workers = 0;
	pid_t pids[64], chaos_pid = -1;
	struct hsm_board_desc d;
	long t0, t1;
	const char *why;
	static const struct option lo[] = {
		{ "calls", required_argument, NULL, 'n' },
		{ "procs", required_argument, NULL, 'p' },
		{ "seed", required_argument, NULL, 's' },
		{ "no-chaos", no_argument, NULL, 'c' },
		{ 0 }
	};

	base_seed = fz_default_seed();
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 'n': calls = atol(optarg); break;
		case 'p': procs = atoi(optarg); break;
		case 's': base_seed = strtoull(optarg, NULL, 0); break;
		case 'c': chaos = 0; break;
		default:
			fprintf(stderr, "usage: ioctl_fuzz [--calls N] [--procs P] [--seed S] [--no-chaos]\n");
			return 2;
		}
	}
	if (procs < 1 || procs > 64 || calls < procs * THREADS) {
		fprintf(stderr, "ioctl_fuzz: bad --procs or --calls\n");
		return 2;
	}
	boards = atoi(getenv("HSM_VM_BOARDS") ? getenv("HSM_VM_BOARDS") : "1");
	printf("TAP version 13\n1..4\n");
	printf("# seed %llu: replay with HSM_FUZZ_SEED=%llu (calls %ld, processes %d x %d threads, chaos %s)\n",
	       (unsigned long long)base_seed, (unsigned long long)base_seed,
	       calls, procs, THREADS, chaos ? "on" : "off");
	fflush(stdout);

	why = fz_setup_boards(boards);
	fz_tap(1, why == NULL, "bring-up: %d board(s) attached, PINs set%s%s",
	       boards, why ? ": " : "", why ? why : "");
	if (why)
		return 1;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	memset(sh, 0, sizeof(*sh));
	calls_per_thread = calls / (procs * THREADS);
	t0 = hsm_test_now_ms();
	fflush(stdout);
	for (i = 0; i < procs; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(worker_main(i));
	}
	if (chaos) {
		chaos_pid = fork();
		if (chaos_pid == 0)
			_exit(chaos_main(boards));
	}
	for (i = 0; i < procs; i++) {
		if (waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st) ||
		    WEXITSTATUS(st)) {
			printf("# worker %d: %s %d\n", i,
			       WIFSIGNALED(st) ? "killed by signal" : "exit status",
			       WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
			bad_workers++;
		}
	}
	atomic_store(&sh->done, 1);
	if (chaos_pid > 0)
		waitpid(chaos_pid, &st, 0);
	t1 = hsm_test_now_ms();
	printf("# %ld calls in %.1f s (%.0f/s); chaos actions: %ld\n",
	       atomic_load(&sh->calls), (t1 - t0) / 1000.0,
	       atomic_load(&sh->calls) * 1000.0 / (t1 - t0 + 1),
	       atomic_load(&sh->chaos_actions));
	fz_print_errnos(sh->by_errno);
	for (i = 0; i < (int)FZ_NIOCTLS; i++)
		printf("#   %-12s %ld calls\n", fz_ioctls[i].name,
		       atomic_load(&sh->by_ioctl[i]));
	if (atomic_load(&sh->chaos_failed))
		printf("# chaos: %s\n", sh->chaos_error);
	fz_tap(2, !bad_workers && !atomic_load(&sh->chaos_failed) &&
	       atomic_load(&sh->calls) >= calls_per_thread * procs * THREADS,
	       "%ld fuzzed calls from %d processes, boards detached %ld times under them",
	       atomic_load(&sh->calls), procs, atomic_load(&sh->chaos_actions));

	why = fz_setup_boards(boards);
	if (!why)
		why = fz_fresh_session(0, &d);
	fz_tap(3, why == NULL, "a fresh session works afterwards%s%s",
	       why ? ": " : "", why ? why : "");
	/* board 0 is only ever detached by the driver: nothing may stay;
	 * board 1 is unplugged too (see fz_no_leaks_after_loss) */
	why = fz_no_leaks(1);
	if (!why && boards > 1)
		why = fz_no_leaks_after_loss(1);
	fz_tap(4, why == NULL, "no login or key handle left on the boards%s%s",
	       why ? ": " : "", why ? why : "");
	return fz_failed ? 1 : 0;
}
