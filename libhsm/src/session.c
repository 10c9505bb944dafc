// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Sessions. A session is an open file of /dev/hsmN: the kernel gives each
 * open file its own board client handle and login state, so the session
 * object is just the descriptor; it holds no mutable state, which is what
 * lets several threads use one session at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <hsm/hsm.h>

#include "internal.h"

struct hsm_session {
	int fd;
};

int hsm_session_path(const char *dev, char *buf, size_t len)
{
	uint32_t index;
	int n;

	if (!dev || !buf)
		return -EINVAL;
	if (hsm_parse_device(dev, &index) == 0)
		n = snprintf(buf, len, "/dev/hsm%u", index);
	else if (strchr(dev, '/'))
		n = snprintf(buf, len, "%s", dev);
	else
		return -EINVAL;
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

int hsm_open(const char *dev, struct hsm_session **out)
{
	struct hsm_session *s;
	char path[4096];
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	ret = hsm_session_path(dev, path, sizeof(path));
	if (ret)
		return ret;
	s = malloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	/* CLOEXEC: a session must not leak into programs we exec. */
	s->fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (s->fd < 0) {
		ret = -errno;
		free(s);
		return ret;
	}
	*out = s;
	return 0;
}

void hsm_close(struct hsm_session *s)
{
	if (!s)
		return;
	close(s->fd);
	free(s);
}

int hsm_session_fd(const struct hsm_session *s)
{
	return s ? s->fd : -EINVAL;
}

int hsm_session_ioctl(struct hsm_session *s, unsigned long cmd, void *arg)
{
	if (!s)
		return -EINVAL;
	return ioctl(s->fd, cmd, arg) < 0 ? -errno : 0;
}
