// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * LD_PRELOAD shim for the hsmctl tests: answers the cryptech_hsm ioctls on
 * any file (the tests use /dev/null) the way the kernel would, as chosen by
 * $FAKE_HSM: "ok" (random bytes are 'a'..'z' repeated), "csprng" (board
 * status 8, EIO), "timeout", "eacces", "enodev".
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <linux/cryptech_hsm.h>

static unsigned next;

static int fake_random(struct cryptech_hsm_random *r)
{
	const char *mode = getenv("FAKE_HSM");
	unsigned char *p = (unsigned char *)(unsigned long)r->buf;
	unsigned i;

	if (r->size != sizeof(*r) || r->reserved || r->len == 0 ||
	    r->len > CRYPTECH_HSM_RANDOM_MAX || !mode) {
		errno = EINVAL;
		return -1;
	}
	if (strcmp(mode, "csprng") == 0) {
		r->board_status = 8;
		errno = EIO;
		return -1;
	}
	if (strcmp(mode, "timeout") == 0 || strcmp(mode, "eacces") == 0 ||
	    strcmp(mode, "enodev") == 0) {
		errno = mode[0] == 't' ? ETIMEDOUT :
			mode[1] == 'a' ? EACCES : ENODEV;
		return -1;
	}
	for (i = 0; i < r->len; i++)
		p[i] = (unsigned char)('a' + next++ % 26);
	return 0;
}

int ioctl(int fd, unsigned long req, ...)
{
	int (*real)(int, unsigned long, ...);
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (req == CRYPTECH_HSM_IOC_RANDOM)
		return fake_random(arg);
	real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	return real(fd, req, arg);
}
