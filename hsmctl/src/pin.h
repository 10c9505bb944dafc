/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading PINs: from a file, an environment variable or a no-echo prompt
 * on the terminal, never from the command line (where every user of the
 * host could read it in /proc).
 */
#ifndef HSMCTL_PIN_H
#define HSMCTL_PIN_H

#include <stddef.h>

#include <hsm/hsm.h>

struct pin {
	char buf[HSM_PIN_MAX + 2];	/* room to notice a PIN that is too long */
	size_t len;
};

/*
 * Read a PIN for @who (e.g. "user", for messages and the prompt): from
 * @file if not NULL (one trailing newline is dropped), else from the
 * environment variable @env if set, else from a prompt on /dev/tty, asked
 * twice when @confirm. Returns -1 on success or an exit code after
 * reporting the problem. pin_wipe() when done, on every path.
 */
int pin_read(struct pin *p, const char *file, const char *env,
	     const char *who, int confirm);

void pin_wipe(struct pin *p);

/*
 * Check that the PIN file @file (NULL: nothing to check) can be read,
 * before anything else is done: a missing file is a usage error (2), also
 * when no board is attached. -1 or an exit code after reporting it.
 */
int pin_file_check(const char *file, const char *who);

#endif /* HSMCTL_PIN_H */
