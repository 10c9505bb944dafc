// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Attaching with the module loaded on demand: the udev-started attach runs
 * before anything else has loaded cryptech_hsm (a line discipline has no
 * hardware alias that would load it), so "hsmctl attach" loads it itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe.h"

#define MODULE_NAME "cryptech_hsm"

/* Is the module's generic netlink family missing? */
static int family_missing(void)
{
	struct hsm_board_desc *b = NULL;
	size_t n = 0;
	int ret = hsm_list_boards(&b, &n, NULL, 0);

	hsm_free_boards(b);
	return ret == -ENOENT;
}

/* Run "modprobe cryptech_hsm"; its own messages go to our stderr. */
static int run_modprobe(char *errmsg, size_t errmsg_len)
{
	char *const argv[] = { "modprobe", MODULE_NAME, NULL };
	pid_t pid;
	int st;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(errmsg, errmsg_len, "cannot run modprobe: %s",
			 strerror(errno));
		return -errno;
	}
	if (pid == 0) {
		/* PATH first (tests use it); a user's PATH may lack sbin. */
		execvp("modprobe", argv);
		execv("/sbin/modprobe", argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			snprintf(errmsg, errmsg_len, "waiting for modprobe: %s",
				 strerror(errno));
			return -errno;
		}
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	snprintf(errmsg, errmsg_len,
		 "the %s module is not loaded and 'modprobe %s' failed (%s %d); "
		 "is the cryptech-hsm-dkms package installed and built for "
		 "this kernel ('dkms status', 'uname -r')?", MODULE_NAME,
		 MODULE_NAME, WIFEXITED(st) ? "exit status" : "signal",
		 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		snprintf(errmsg, errmsg_len, "the %s module is not loaded and "
			 "there is no modprobe to load it (install kmod)",
			 MODULE_NAME);
	return -ENOENT;
}

int attach_loading_module(const char *tty_path, struct hsm_board_desc *out,
			  char *errmsg, size_t errmsg_len)
{
	int ret = hsm_attach(tty_path, out, errmsg, errmsg_len);

	if (ret != -ENOENT || !family_missing())
		return ret;
	/* Not root: hsm_attach's message already says what to run. */
	if (geteuid() != 0)
		return ret;
	ret = run_modprobe(errmsg, errmsg_len);
	if (ret)
		return ret;
	return hsm_attach(tty_path, out, errmsg, errmsg_len);
}
