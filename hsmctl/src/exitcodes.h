/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hsmctl's exit codes. They are part of the interface scripts rely on:
 * never renumber, only add (Documentation/hsmctl.rst lists them).
 */
#ifndef HSMCTL_EXITCODES_H
#define HSMCTL_EXITCODES_H

#include <stdint.h>

enum hsmctl_exit {
	HSMCTL_EXIT_OK = 0,		/* success */
	HSMCTL_EXIT_FAILED = 1,		/* the operation failed (other causes) */
	HSMCTL_EXIT_USAGE = 2,		/* bad command line */
	HSMCTL_EXIT_NO_DEVICE = 3,	/* no such device or board, or the
					 * cryptech_hsm module is not loaded */
	HSMCTL_EXIT_PERMISSION = 4,	/* permission denied (EPERM, EACCES) */
	HSMCTL_EXIT_BOARD = 5,		/* the board reported an error status */
	HSMCTL_EXIT_TIMEOUT = 6,	/* the board did not answer in time */
	HSMCTL_EXIT_NO_KEY = 7,		/* no key with that UUID or label */
	HSMCTL_EXIT_NOT_RPC = 8,	/* probe: the tty is not a board's RPC port */
	HSMCTL_EXIT_BAD_SIGNATURE = 9,	/* key verify: the signature does not
					 * verify */
	/* + the signal's number: key generate cancelled by SIGINT (130) or
	 * SIGTERM (143), as a shell reports a command a signal killed */
	HSMCTL_EXIT_SIGNAL_BASE = 128,
};

/* Board status codes hsmctl explains (protocol §6.1). */
#define HSMCTL_STATUS_PIN_INCORRECT		24
#define HSMCTL_STATUS_FORBIDDEN			26
#define HSMCTL_STATUS_MASTERKEY_NOT_SET		32

/* The exit code for a failure with errno -@err and board status @status. */
int hsmctl_exit_code(int err, uint32_t board_status);

#endif /* HSMCTL_EXITCODES_H */
