/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test helper: run the hsmctl under test as a child and collect its exit
 * status, stdout and stderr. Shared by the CLI test programs.
 */
#ifndef HSMCTL_TESTS_RUN_HSMCTL_H
#define HSMCTL_TESTS_RUN_HSMCTL_H

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

struct run {
	int status;		/* exit code, or -1 if it did not exit */
	char out[65536];
	char err[8192];
};

static inline void run_drain(int fd, char *buf, size_t cap, size_t *len,
			     int *open)
{
	ssize_t n = read(fd, buf + *len, cap - 1 - *len);

	if (n <= 0) {
		*open = 0;
		return;
	}
	*len += (size_t)n;
	buf[*len] = '\0';
	if (*len == cap - 1)
		*open = 0;	/* more than any test expects: stop */
}

/*
 * Run HSMCTL_BIN with @argv (NULL-terminated, argv[0] included). @setup,
 * if not NULL, prepares the child (environment, session) before exec.
 * Both pipes are read together so neither can fill up and stall hsmctl.
 */
static inline void run_hsmctl(struct run *r, char *const argv[],
			      void (*setup)(const void *arg), const void *arg)
{
	int out[2], err[2], st, oo = 1, eo = 1;
	size_t ol = 0, el = 0;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	if (pipe(out))
		return;
	if (pipe(err)) {
		close(out[0]);
		close(out[1]);
		return;
	}
	pid = fork();
	if (pid == 0) {
		if (setup)
			setup(arg);
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(out[0]);
		close(err[0]);
		execv(HSMCTL_BIN, argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	while (pid > 0 && (oo || eo)) {
		struct pollfd p[2] = { { out[0], POLLIN, 0 }, { err[0], POLLIN, 0 } };

		if (!oo)
			p[0].fd = -1;
		if (!eo)
			p[1].fd = -1;
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (oo && (p[0].revents & (POLLIN | POLLHUP)))
			run_drain(out[0], r->out, sizeof(r->out), &ol, &oo);
		if (eo && (p[1].revents & (POLLIN | POLLHUP)))
			run_drain(err[0], r->err, sizeof(r->err), &el, &eo);
	}
	close(out[0]);
	close(err[0]);
	if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st))
		r->status = WEXITSTATUS(st);
}

/* Is the cryptech_hsm module loaded (its generic netlink family there)? */
static inline int hsm_family_present(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	int id = -1;

	if (sk && genl_connect(sk) == 0)
		id = genl_ctrl_resolve(sk, "cryptech_hsm");
	nl_socket_free(sk);
	return id >= 0;
}

#endif /* HSMCTL_TESTS_RUN_HSMCTL_H */
