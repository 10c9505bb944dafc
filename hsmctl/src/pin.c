// SPDX-License-Identifier: GPL-2.0-or-later
/* PINs from a file, the environment or the terminal (see pin.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "exitcodes.h"
#include "pin.h"
#include "report.h"

void pin_wipe(struct pin *p)
{
	explicit_bzero(p, sizeof(*p));
}

/* Drop one line end: files written by editors and echo(1) have one. */
static void chomp(struct pin *p)
{
	if (p->len && p->buf[p->len - 1] == '\n')
		p->len--;
	if (p->len && p->buf[p->len - 1] == '\r')
		p->len--;
}

static int check_len(const struct pin *p, const char *who, const char *src)
{
	if (p->len < HSM_PIN_MIN || p->len > HSM_PIN_MAX)
		return report_usage("the %s PIN from %s must be %d to %d bytes long",
				    who, src, HSM_PIN_MIN, HSM_PIN_MAX);
	return -1;
}

/*
 * A PIN file that cannot be read is a bad argument (exit status 2), not a
 * missing device, whatever the errno.
 */
static int bad_file(const char *who, const char *file, int err)
{
	fprintf(stderr, "hsmctl: cannot read the %s PIN from %s: %s\n", who,
		file, strerror(err));
	return HSMCTL_EXIT_USAGE;
}

int pin_file_check(const char *file, const char *who)
{
	int fd;

	if (!file)
		return -1;
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return bad_file(who, file, errno);
	close(fd);
	return -1;
}

static int from_file(struct pin *p, const char *file, const char *who)
{
	char what[4200];
	ssize_t n;
	int fd;

	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return bad_file(who, file, errno);
	p->len = 0;
	while (p->len < sizeof(p->buf)) {
		n = read(fd, p->buf + p->len, sizeof(p->buf) - p->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;

			close(fd);
			return bad_file(who, file, err);
		}
		if (n == 0)
			break;
		p->len += (size_t)n;
	}
	close(fd);
	chomp(p);
	snprintf(what, sizeof(what), "file %s", file);
	return check_len(p, who, what);
}

/*
 * The terminal's settings while echo is off, so that a signal that ends
 * hsmctl at the prompt (Ctrl-C) does not leave the terminal silent.
 */
static struct termios saved_termios;
static volatile sig_atomic_t saved_tty = -1;

static void restore_and_die(int sig)
{
	if (saved_tty >= 0)
		tcsetattr(saved_tty, TCSAFLUSH, &saved_termios);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* One line from the terminal without echo; 0 or -errno. */
static int prompt_line(int tty, const char *prompt, struct pin *p)
{
	static const int sigs[] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP };
	struct sigaction sa, old_sa[4];
	struct termios old, quiet;
	int ret = 0, restore;
	unsigned int i;
	char c;

	restore = tcgetattr(tty, &old) == 0;
	if (restore) {
		saved_termios = old;
		saved_tty = tty;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = restore_and_die;
		for (i = 0; i < 4; i++)
			sigaction(sigs[i], &sa, &old_sa[i]);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		tcsetattr(tty, TCSAFLUSH, &quiet);
	}
	if (write(tty, prompt, strlen(prompt)) < 0)
		ret = -errno;
	p->len = 0;
	while (!ret) {
		ssize_t n = read(tty, &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		if (n == 0 || c == '\n')
			break;
		if (p->len < sizeof(p->buf))
			p->buf[p->len++] = c;
	}
	explicit_bzero(&c, sizeof(c));
	if (restore) {
		tcsetattr(tty, TCSAFLUSH, &old);
		saved_tty = -1;
		for (i = 0; i < 4; i++)
			sigaction(sigs[i], &old_sa[i], NULL);
	}
	if (write(tty, "\n", 1) < 0 && !ret)
		ret = -errno;
	return ret;
}

static int from_tty(struct pin *p, const char *who, const char *env,
		    int confirm)
{
	char prompt[128];
	struct pin again;
	int tty, ret;

	tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (tty < 0)
		return report_usage("no %s PIN: give %s FILE, set %s, or run on a terminal to be asked",
				    who, env && strstr(env, "NEW") ? "--new-pin-file" : "--pin-file",
				    env ? env : "HSMCTL_PIN");
	snprintf(prompt, sizeof(prompt), "%s PIN: ", who);
	ret = prompt_line(tty, prompt, p);
	if (!ret && check_len(p, who, "the terminal") >= 0) {
		close(tty);
		return HSMCTL_EXIT_USAGE;
	}
	if (!ret && confirm) {
		snprintf(prompt, sizeof(prompt), "%s PIN again: ", who);
		ret = prompt_line(tty, prompt, &again);
		if (!ret && (again.len != p->len ||
			     memcmp(again.buf, p->buf, p->len) != 0)) {
			pin_wipe(&again);
			close(tty);
			return report_usage("the two %s PINs differ", who);
		}
		pin_wipe(&again);
	}
	close(tty);
	if (ret)
		return report_failure("reading the PIN from the terminal", ret,
				      0, NULL, NULL);
	return -1;
}

int pin_read(struct pin *p, const char *file, const char *env,
	     const char *who, int confirm)
{
	const char *val;
	char src[64];

	p->len = 0;
	if (file)
		return from_file(p, file, who);
	val = env ? getenv(env) : NULL;
	if (val) {
		p->len = strnlen(val, sizeof(p->buf));
		memcpy(p->buf, val, p->len);
		snprintf(src, sizeof(src), "$%s", env);
		return check_len(p, who, src);
	}
	return from_tty(p, who, env, confirm);
}
