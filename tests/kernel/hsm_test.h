/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the guest-side tests. They run inside the test VM
 * (tests/vm/run) as root, with cryptech_hsm loaded and boards on
 * /dev/ttyUSB0..N-1 that are not attached yet.
 */
#ifndef HSM_TEST_H
#define HSM_TEST_H

#include <errno.h>
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

static inline bool hsm_all_zero(const unsigned char *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

#endif /* HSM_TEST_H */
