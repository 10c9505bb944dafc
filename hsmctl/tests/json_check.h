/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Checking hsmctl's JSON with an independent parser (Python's json). */
#ifndef HSMCTL_TESTS_JSON_CHECK_H
#define HSMCTL_TESTS_JSON_CHECK_H

#include <stdio.h>

/*
 * Feed @doc to Python's json module with a check script, in which d is the
 * parsed document; returns the exit status (0 when the document parses
 * and the checks hold).
 */
static inline int python_check(const char *doc, const char *script)
{
	char cmd[2048];
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json,sys; d=json.load(sys.stdin); %s'",
		 script);
	p = popen(cmd, "w");
	if (!p)
		return -1;
	fputs(doc, p);
	return pclose(p);
}

#endif
