/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the guest-side tests. They run inside the test VM
 * (tests/vm/run) as root, with cryptech_hsm loaded and boards on
 * /dev/ttyUSB0..N-1 that are not attached yet.
 */
#ifndef HSM_TEST_H
#define HSM_TEST_H

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hsm/hsm.h>

#define HSM_LDISC		29	/* N_DEVELOPMENT, the module's default */
#define HSM_WAIT_MS		10000

/*
 * HSM_TIMEOUT_SCALE, set in the guest by tests/vm/run from
 * CRYPTECH_VM_TIMEOUT_SCALE (3 under the checker kernel): how much slower
 * than a stock kernel this run is. 1 when unset or not sensible.
 */
static inline double hsm_test_scale(void)
{
	const char *env = getenv("HSM_TIMEOUT_SCALE");
	double scale = env ? strtod(env, NULL) : 1;

	return scale > 1 && scale <= 100 ? scale : 1;
}

/* @ms for a stock kernel, in this run's time */
static inline long hsm_test_scaled_ms(long ms)
{
	return (long)(ms * hsm_test_scale());
}

static inline long hsm_test_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Poll @cond until true or @ms elapse. For state the kernel changes
 * asynchronously (device nodes, USB enumeration): a bounded wait for a
 * condition, not a sleep standing in for one.
 */
#define hsm_wait_until(cond, ms) ({					\
	long __end = hsm_test_now_ms() + (ms);				\
	bool __ok;							\
	while (!(__ok = (cond)) && hsm_test_now_ms() < __end)		\
		usleep(10000);						\
	__ok;								\
})

static inline bool hsm_path_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static inline const char *hsm_test_tty(int i)
{
	static const char *const ttys[] = {
		"/dev/ttyUSB0", "/dev/ttyUSB1", "/dev/ttyUSB2", "/dev/ttyUSB3",
	};

	return ttys[i];
}

/* The board (if any) currently attached on tty @name ("ttyUSB0"). */
static inline int hsm_test_find_board(const char *name,
				      struct hsm_board_desc *out)
{
	struct hsm_board_desc *boards;
	size_t n, i;
	int err, found = -ENOENT;

	err = hsm_list_boards(&boards, &n, NULL, 0);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		if (!strcmp(boards[i].tty_name, name)) {
			*out = boards[i];
			found = 0;
		}
	}
	hsm_free_boards(boards);
	return found;
}

static inline int hsm_test_board_count(void)
{
	struct hsm_board_desc *boards;
	size_t n;

	if (hsm_list_boards(&boards, &n, NULL, 0))
		return -1;
	hsm_free_boards(boards);
	return (int)n;
}

/* Remove CAP_SYS_ADMIN from this process's effective and permitted sets. */
static inline int hsm_test_drop_sys_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	data[CAP_TO_INDEX(CAP_SYS_ADMIN)].permitted &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	data[CAP_TO_INDEX(CAP_SYS_ADMIN)].inheritable &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	return 0;
}

/* Run a shell command; return its exit status and its stdout in @out. */
static inline int hsm_test_run(const char *cmd, char *out, size_t outlen)
{
	FILE *p = popen(cmd, "r");
	size_t n = 0;
	int st;

	if (!p)
		return -1;
	if (out && outlen) {
		n = fread(out, 1, outlen - 1, p);
		out[n] = 0;
	} else {
		char sink[256];

		while (fread(sink, 1, sizeof(sink), p) > 0)
			;
	}
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* How many lines of the kernel log contain @text (no quote in it), or -1. */
static inline long hsm_test_dmesg_count(const char *text)
{
	char cmd[256], out[32];

	if (strchr(text, '\'') ||
	    snprintf(cmd, sizeof(cmd), "dmesg | grep -c -F '%s'", text) >=
	    (int)sizeof(cmd) ||
	    hsm_test_run(cmd, out, sizeof(out)) < 0)
		return -1;
	return atol(out);
}

static inline bool hsm_all_zero(const unsigned char *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* ---- The emulator behind board @i, through the VM runner ---------------- */

/*
 * Send one control line to board @board's emulator (tests/vm/vmctl board N
 * COMMAND, relayed by the runner to the emulator's --control socket). The
 * answer text after "ok" (e.g. the stats JSON) goes to @out. Returns 0 on
 * "ok", non-zero otherwise. The one place that knows how to reach the
 * board's control socket from the guest.
 */
static inline int hsm_test_board_ctl(int board, const char *cmd, char *out,
				     size_t outlen)
{
	char line[512];

	snprintf(line, sizeof(line), "tests/vm/vmctl board %d %s", board, cmd);
	return hsm_test_run(line, out, outlen);
}

/* "set KNOB VALUE" on board @board; 0 on success. */
static inline int hsm_test_board_set(int board, const char *knob, long value)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "set %s %ld", knob, value);
	return hsm_test_board_ctl(board, cmd, NULL, 0);
}

#define HSM_EMU_MAX_CLIENTS	64

struct hsm_emu_client {
	unsigned int client, user, pkey_handles, hash_handles, volatile_keys;
};

/* The parts of the emulator's `stats` JSON the tests look at. */
struct hsm_emu_stats {
	unsigned long requests, errors, busy;
	unsigned long logout, logout_all, login, pkey_close, pkey_sign;
	unsigned long get_random;
	unsigned long token_keys, volatile_keys;
	unsigned long pkey_handles_open, hash_handles_open;
	unsigned int nclients;
	struct hsm_emu_client c[HSM_EMU_MAX_CLIENTS];
};

/* The number after "KEY": at or after @from, or -1. */
static inline long hsm_json_num(const char *from, const char *key)
{
	char pat[96];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = from ? strstr(from, pat) : NULL;
	if (!p)
		return -1;
	return strtol(p + strlen(pat), NULL, 10);
}

/* by_function.FUNC.requests */
static inline long hsm_json_func_requests(const char *js, const char *func)
{
	char pat[96];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":{\"requests\":", func);
	p = strstr(js, pat);
	return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

static inline int hsm_emu_parse_stats(const char *js, struct hsm_emu_stats *st)
{
	const char *p;

	memset(st, 0, sizeof(*st));
	if (js[0] != '{' || hsm_json_num(js, "requests") < 0)
		return -1;
	st->requests = hsm_json_num(js, "requests");
	st->errors = hsm_json_num(js, "errors");
	st->busy = hsm_json_num(js, "busy");
	st->logout = hsm_json_func_requests(js, "LOGOUT");
	st->logout_all = hsm_json_func_requests(js, "LOGOUT_ALL");
	st->login = hsm_json_func_requests(js, "LOGIN");
	st->pkey_close = hsm_json_func_requests(js, "PKEY_CLOSE");
	st->pkey_sign = hsm_json_func_requests(js, "PKEY_SIGN");
	st->get_random = hsm_json_func_requests(js, "GET_RANDOM");
	p = strstr(js, "\"keys\":{");
	st->token_keys = hsm_json_num(p, "token");
	st->volatile_keys = hsm_json_num(p, "volatile");
	st->pkey_handles_open = hsm_json_num(js, "pkey_handles_open");
	st->hash_handles_open = hsm_json_num(js, "hash_handles_open");
	p = strstr(js, "\"clients\":[");
	if (!p)
		return -1;
	p += strlen("\"clients\":[");
	while (*p == '{' || *p == ',') {
		struct hsm_emu_client *c = &st->c[st->nclients];
		int n;

		if (*p == ',')
			p++;
		if (st->nclients == HSM_EMU_MAX_CLIENTS)
			break;
		n = 0;
		if (sscanf(p, "{\"client\":%u,\"user\":%u,\"pkey_handles\":%u,"
			   "\"hash_handles\":%u,\"volatile_keys\":%u}%n",
			   &c->client, &c->user, &c->pkey_handles,
			   &c->hash_handles, &c->volatile_keys, &n) != 5 || !n)
			return -1;
		st->nclients++;
		p += n;
	}
	return 0;
}

/*
 * Requests other than GET_RANDOM. While the board's hwrng (cryptech-N) is
 * the kernel's current one, the kernel's hwrng thread asks the board for
 * random bytes now and then, on its own: a count that must not move
 * leaves those out.
 */
static inline unsigned long hsm_emu_requests_but_random(const struct hsm_emu_stats *st)
{
	return st->requests - st->get_random;
}

/* Fetch and parse board @board's stats; 0 on success. */
static inline int hsm_test_emu_stats(int board, struct hsm_emu_stats *st)
{
	static char js[65536];

	if (hsm_test_board_ctl(board, "stats", js, sizeof(js)))
		return -1;
	return hsm_emu_parse_stats(js, st);
}

/* The entry of client handle @client, or NULL when the board has none. */
static inline const struct hsm_emu_client *
hsm_emu_client(const struct hsm_emu_stats *st, unsigned int client)
{
	unsigned int i;

	for (i = 0; i < st->nclients; i++)
		if (st->c[i].client == client)
			return &st->c[i];
	return NULL;
}

/* Clients logged in as anyone. */
static inline unsigned int hsm_emu_logged_in(const struct hsm_emu_stats *st)
{
	unsigned int i, n = 0;

	for (i = 0; i < st->nclients; i++)
		n += st->c[i].user != 0;
	return n;
}

/*
 * The client handle that is logged in as @user in @after but was not
 * logged in in @before: how a test learns the handle the driver gave a
 * session (userspace never sees it). 0 if there is not exactly one.
 */
static inline unsigned int hsm_emu_new_login(const struct hsm_emu_stats *before,
					     const struct hsm_emu_stats *after,
					     unsigned int user)
{
	unsigned int i, found = 0, n = 0;

	for (i = 0; i < after->nclients; i++) {
		const struct hsm_emu_client *b;

		if (after->c[i].user != user)
			continue;
		b = hsm_emu_client(before, after->c[i].client);
		if (b && b->user == user)
			continue;
		found = after->c[i].client;
		n++;
	}
	return n == 1 ? found : 0;
}

/* Wait until board @board holds nothing for client @client: no login, no
 * key handle, no hash handle, no volatile key. */
static inline bool hsm_test_emu_client_gone(int board, unsigned int client,
					    long ms)
{
	struct hsm_emu_stats st;

	return hsm_wait_until(hsm_test_emu_stats(board, &st) == 0 &&
			      !hsm_emu_client(&st, client), ms);
}

#ifdef __KSELFTEST_HARNESS_H
/*
 * Use instead of TEST_HARNESS_MAIN. Every test's time limit (30 s unless
 * TEST_F_TIMEOUT says otherwise) is multiplied by HSM_TIMEOUT_SCALE, which
 * tests/vm/run sets in the guest from CRYPTECH_VM_TIMEOUT_SCALE: under the
 * checker kernel (make check-debug) everything takes that much longer, and
 * the harness would kill a test that is only slow.
 */
static inline void hsm_scale_test_timeouts(void)
{
	double scale = hsm_test_scale();
	struct __fixture_metadata *f;
	struct __test_metadata *t;

	if (scale == 1)
		return;
	for (f = __fixture_list; f; f = f->next)
		for (t = f->tests; t; t = t->next)
			t->timeout = (int)(t->timeout * scale);
}

static inline bool hsm_test_named(const struct __fixture_metadata *f,
				  const struct __test_metadata *t,
				  const char *name)
{
	size_t flen = strlen(f->name);

	return !strcmp(name, t->name) ||
	       (!strncmp(name, f->name, flen) && name[flen] == '.' &&
		!strcmp(name + flen + 1, t->name));
}

/*
 * 6.1's harness ignores its arguments (test selection came after it), so
 * take them here, for running one test of a group by hand:
 *   -t NAME   only this test (NAME or FIXTURE.NAME; repeat for more)
 *   -l        list the tests, FIXTURE.NAME a line, and run none
 * Returns -1 to run what is left, else the exit status (0 listed, 2 usage
 * or a name that matches no test).
 */
static inline int hsm_select_tests(int argc, char **argv)
{
	struct __test_metadata *t, *next, *head, *tail;
	struct __fixture_metadata *f;
	int i, names = 0, list = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-l")) {
			list = 1;
		} else if (!strcmp(argv[i], "-t") && i + 1 < argc) {
			argv[++names] = argv[++i];	/* names: argv[1..names] */
		} else {
			fprintf(stderr, "usage: %s [-l] [-t TEST]...\n", argv[0]);
			return 2;
		}
	}
	if (list) {
		for (f = __fixture_list; f; f = f->next)
			for (t = f->tests; t; t = t->next)
				printf("%s.%s\n", f->name, t->name);
		return 0;
	}
	if (!names)
		return -1;
	for (i = 1; i <= names; i++) {
		bool found = false;

		for (f = __fixture_list; f && !found; f = f->next)
			for (t = f->tests; t && !found; t = t->next)
				found = hsm_test_named(f, t, argv[i]);
		if (!found) {
			fprintf(stderr, "%s: no test '%s' (-l lists them)\n",
				argv[0], argv[i]);
			return 2;
		}
	}
	/* Keep the named tests, in order, as the harness's list expects:
	 * next ends in NULL, the head's prev is the tail. */
	for (f = __fixture_list; f; f = f->next) {
		head = tail = NULL;
		for (t = f->tests; t; t = next) {
			bool keep = false;

			next = t->next;
			for (i = 1; i <= names && !keep; i++)
				keep = hsm_test_named(f, t, argv[i]);
			if (!keep)
				continue;
			t->next = NULL;
			t->prev = tail;
			if (tail)
				tail->next = t;
			else
				head = t;
			tail = t;
		}
		if (head)
			head->prev = tail;
		f->tests = head;
	}
	return -1;
}

/* The harness's own main, with the scaling and -t/-l first (same order). */
#define HSM_TEST_HARNESS_MAIN						\
	static void __attribute__((constructor))			\
	hsm_harness_order_last(void)					\
	{								\
		if (!__constructor_order)				\
			__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD; \
	}								\
	int main(int argc, char **argv)					\
	{								\
		int rc = hsm_select_tests(argc, argv);			\
									\
		if (rc >= 0)						\
			return rc;					\
		hsm_scale_test_timeouts();				\
		return test_harness_run(argc, argv);			\
	}
#endif

#endif /* HSM_TEST_H */
