// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The test seam as an LD_PRELOAD library, for running real PKCS#11
 * applications (pkcs11-tool, p11tool, Knot) on the host against the
 * emulator's board:
 *
 *   SEAM_BOARDS=/tmp/b0:EMU00000 HSM_PKCS11_DEVICES=/tmp/b0/dev \
 *   LD_PRELOAD=pkcs11/tests/bin/seam-preload.so pkcs11-tool --module ...
 *
 * SEAM_BOARDS lists DIR:IDENTITY pairs, comma-separated. Each process
 * loads the board from DIR/state (keys persist between runs) and brings it
 * up with the PINs of seam.h; processes must run one after another (the
 * emulator locks its state directory).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seam.h"

/* Start the boards: on the first cryptech_hsm ioctl of this process. */
static void start_boards(void)
{
	const char *env = getenv("SEAM_BOARDS");
	char *copy, *tok, *save = NULL, *colon;

	copy = env ? strdup(env) : NULL;
	for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok;
	     tok = strtok_r(NULL, ",", &save)) {
		colon = strchr(tok, ':');
		if (colon)
			*colon++ = '\0';
		if (seam_board_add(tok, colon ? colon : "") < 0)
			fprintf(stderr, "seam: cannot start the board in %s\n", tok);
	}
	free(copy);
}

/*
 * Only the device files here, so that every program of a script may have
 * the library preloaded: a board (and the emulator's lock on its state
 * directory) is taken only by a process that talks to it.
 */
__attribute__((constructor)) static void seam_preload_init(void)
{
	const char *env = getenv("SEAM_BOARDS");
	char *copy, *tok, *save = NULL, *colon, path[4096];
	FILE *f;

	if (!env)
		return;
	copy = strdup(env);
	for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok;
	     tok = strtok_r(NULL, ",", &save)) {
		colon = strchr(tok, ':');
		if (colon)
			*colon = '\0';
		snprintf(path, sizeof(path), "%s/dev", tok);
		f = fopen(path, "a");
		if (f)
			fclose(f);
	}
	free(copy);
	seam_lazy_init = start_boards;
}
