/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the VM tests that drive hsmctl as a user would
 * (hsmctl_keys_test.c, hsmctl_dnssec_test.c): shell commands, files in the
 * test's scratch directory, and the key UUID in hsmctl's JSON.
 */
#ifndef HSMCTL_CLI_H
#define HSMCTL_CLI_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hsm_ioctl.h"

#define HSMCTL		"hsmctl/hsmctl"

/* Run a shell command built from @fmt; its status, stdout (and stderr when
 * the command says 2>&1) in @out. */
static int sh(char *out, size_t outlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int sh(char *out, size_t outlen, const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return hsm_test_run(cmd, out, outlen);
}

/*
 * The start of a CLI test on board 0: "hsmctl attach /dev/ttyUSB0" into
 * @d, the board's PINs set once per boot (hsm_t_bringup()) and the user
 * PIN in $HSMCTL_PIN. 0, or -1 with the reason in @out.
 */
static inline int hsmctl_attach_board0(struct hsm_board_desc *d, char *out,
				       size_t outlen)
{
	int fd, err;

	if (sh(out, outlen, HSMCTL " attach /dev/ttyUSB0 2>&1"))
		return -1;
	if (hsm_test_find_board("ttyUSB0", d)) {
		snprintf(out, outlen, "ttyUSB0 attached but not listed");
		return -1;
	}
	if (setenv("HSMCTL_PIN", HSM_USER_PIN, 1))
		return -1;
	if (hsm_path_exists("/run/hsm-test-pins-board0"))
		return 0;
	fd = hsm_t_open_dev(d);
	if (fd < 0) {
		snprintf(out, outlen, "open /dev/%s: %s", d->dev_name, strerror(errno));
		return -1;
	}
	err = hsm_t_bringup(fd, 0);
	close(fd);
	if (err)
		snprintf(out, outlen, "setting the PINs: %s", strerror(-err));
	return err ? -1 : 0;
}

/* Write @text into the file @name of the directory @dir. */
static inline int hsmctl_put(const char *dir, const char *name, const char *text)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return hsm_write_file(path, text, strlen(text));
}

/* The value of "uuid" in hsmctl's JSON, into @uuid (37 bytes). */
static inline int json_uuid(const char *js, char *uuid)
{
	const char *p = strstr(js, "\"uuid\":\"");
	uint8_t bin[16];

	if (!p)
		return -1;
	snprintf(uuid, 37, "%s", p + 8);
	return hsm_uuid_parse(uuid, bin);
}

#endif
