/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Telling a board's RPC port from its console port (cryptech-rpc.md
 * §2.7.4), and loading the cryptech_hsm module on demand.
 */
#ifndef HSMCTL_PROBE_H
#define HSMCTL_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include <hsm/hsm.h>

/* Upstream cryptech_muxd waits 0.5 s for the answer. */
#define PROBE_DEFAULT_TIMEOUT_MS	500

enum probe_kind {
	PROBE_RPC,		/* a SLIP-framed GET_VERSION reply */
	PROBE_CONSOLE,		/* "Username:", "Password:" or "cryptech>" */
	PROBE_SILENT,		/* nothing came back in time */
	PROBE_OTHER,		/* something came back, neither of the above */
};

struct probe_result {
	enum probe_kind kind;
	uint32_t version;	/* PROBE_RPC: the board's protocol version */
	char prompt[16];	/* PROBE_CONSOLE: the prompt seen */
	size_t received;	/* bytes read in answer to the probe */
};

/* "rpc", "console", "silent", "other". */
const char *probe_kind_name(enum probe_kind kind);

/* Classify @len bytes a port sent back in answer to the probe. */
void probe_classify(const unsigned char *buf, size_t len,
		    struct probe_result *r);

/*
 * Probe the serial line @path as cryptech_muxd does: save its settings, set
 * it raw at 921600 8N1, send the probe, read for up to @timeout_ms (less
 * once the answer is recognised), send the after-probe byte (Ctrl-U to a
 * console, END to the RPC port), discard pending input and restore the
 * settings. Returns 0 with @r filled, or -errno with @errmsg set.
 */
int probe_tty(const char *path, int timeout_ms, struct probe_result *r,
	      char *errmsg, size_t errmsg_len);

/*
 * hsm_attach(), loading the module first when its generic netlink family
 * is missing and we are root ("modprobe cryptech_hsm"). Same contract as
 * hsm_attach().
 */
int attach_loading_module(const char *tty_path, struct hsm_board_desc *out,
			  char *errmsg, size_t errmsg_len);

#endif /* HSMCTL_PROBE_H */
