// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Attaching with the module loaded on demand: the udev-started attach runs
 * before anything else has loaded cryptech_hsm (a line discipline has no
 * hardware alias that would load it), so "hsmctl attach" loads it itself.
 */
#include <errno.h>
#include <fcntl.h>
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

/*
 * Run "modprobe cryptech_hsm". Its messages become part of ours, so that
 * the failure is one line that starts with "hsmctl: ".
 */
static int run_modprobe(char *errmsg, size_t errmsg_len)
{
	char *const argv[] = { "modprobe", MODULE_NAME, NULL };
	char out[512], *nl;
	size_t len = 0;
	ssize_t n;
	int p[2], st, err;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC)) {
		err = errno;
		snprintf(errmsg, errmsg_len, "cannot run modprobe: %s",
			 strerror(err));
		return -err;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = errno;
		close(p[0]);
		close(p[1]);
		snprintf(errmsg, errmsg_len, "cannot run modprobe: %s",
			 strerror(err));
		return -err;
	}
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		/* PATH first (tests use it); a user's PATH may lack sbin. */
		execvp("modprobe", argv);
		execv("/sbin/modprobe", argv);
		_exit(127);
	}
	close(p[1]);
	while (len < sizeof(out) - 1) {
		n = read(p[0], out + len, sizeof(out) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	out[len] = '\0';
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			err = errno;
			snprintf(errmsg, errmsg_len, "waiting for modprobe: %s",
				 strerror(err));
			return -err;
		}
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	nl = strchr(out, '\n');
	if (nl)
		*nl = '\0';
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		snprintf(errmsg, errmsg_len, "the %s kernel module is not loaded "
			 "and there is no modprobe to load it (install kmod)",
			 MODULE_NAME);
	else
		snprintf(errmsg, errmsg_len,
			 "the %s kernel module is not loaded; 'modprobe %s' "
			 "failed: %.120s (is cryptech-hsm-dkms installed? "
			 "see 'dkms status')", MODULE_NAME, MODULE_NAME,
			 *out ? out : "no message");
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
