/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the VM tests that drive hsmctl as a user would
 * (hsmctl_keys_test.c, hsmctl_dnssec_test.c): shell commands, files in the
 * test's scratch directory, and the key UUID in hsmctl's JSON.
 */
#ifndef HSMCTL_CLI_H
#define HSMCTL_CLI_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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
