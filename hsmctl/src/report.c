// SPDX-License-Identifier: GPL-2.0-or-later
/* Error reporting and the mapping from errors to exit codes. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include <hsm/hsm.h>

#include "exitcodes.h"
#include "report.h"

int hsmctl_exit_code(int err, uint32_t board_status)
{
	/* The board's own verdict is the most specific information. */
	if (board_status != 0)
		return HSMCTL_EXIT_BOARD;
	switch (err < 0 ? -err : err) {
	case 0:
		return HSMCTL_EXIT_OK;
	case ETIMEDOUT:
		return HSMCTL_EXIT_TIMEOUT;
	case EPERM:
	case EACCES:
		return HSMCTL_EXIT_PERMISSION;
	case ENOENT:
	case ENODEV:
	case ENXIO:
		return HSMCTL_EXIT_NO_DEVICE;
	default:
		return HSMCTL_EXIT_FAILED;
	}
}

int report_failure(const char *what, int err, uint32_t board_status,
		   const char *detail, const char *hint)
{
	if (board_status != 0)
		fprintf(stderr, "hsmctl: %s: board error %s (%s)", what,
			hsm_strerror(err, board_status),
			hsm_board_status_name(board_status));
	else if (detail && *detail)
		fprintf(stderr, "hsmctl: %s: %s", what, detail);
	else
		fprintf(stderr, "hsmctl: %s: %s", what, hsm_strerror(err, 0));
	if (hint)
		fprintf(stderr, " (%s)", hint);
	fputc('\n', stderr);
	/* Only the board's console can fix this one: say how. */
	if (board_status == HSMCTL_STATUS_MASTERKEY_NOT_SET)
		fputs("hsmctl: the board has no master key, so no key can be created or used\n"
		      "hsmctl: (a freshly flashed board, or its master key memory was wiped).\n"
		      "hsmctl: Fix: on the board's console (its management port, not the RPC port)\n"
		      "hsmctl: log in and run 'masterkey set'; then try again. Keys made under an\n"
		      "hsmctl: earlier master key stay unusable unless that key is set again.\n",
		      stderr);
	return hsmctl_exit_code(err, board_status);
}

int report_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("hsmctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see 'hsmctl --help')\n", stderr);
	return HSMCTL_EXIT_USAGE;
}
