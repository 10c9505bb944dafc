/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A small test client for the emulator: starts cryptech-emu in a private
 * state directory, speaks SLIP-framed requests over its Unix socket and
 * talks to its control socket.
 */
#ifndef EMU_TEST_CLIENT_H
#define EMU_TEST_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../driver/protocol.h"
#include "slip.h"

#ifndef EMU_BIN
#define EMU_BIN "./cryptech-emu"
#endif

struct emu {
	pid_t pid;
	char dir[256];		/* scratch directory: state/, rpc.sock, ctl.sock */
	char state[300];
	char sock[300];
	char ctl[300];
	int fd;			/* RPC connection */
	int ctl_fd;
	struct slip_decoder dec;
	uint8_t rbuf[65536];
	size_t rlen, roff;
};

/* Start an emulator; state_dir NULL = a fresh board. Extra args end with NULL. */
int emu_start(struct emu *e, const char *state_dir, ...);
int emu_start_argv(struct emu *e, const char *state_dir, const char *const *extra);
/* Any transport: port_opt "--unix", "--pty" or "--serial"; port NULL = in the scratch dir. */
int emu_spawn(struct emu *e, const char *state_dir, const char *port_opt, const char *port,
	      const char *const *extra);
int emu_connect(struct emu *e);
int emu_spawn_reopen_pty(struct emu *e);	/* reopen the --pty symlink */
void emu_disconnect(struct emu *e);
/* SIGTERM and wait; returns the exit status (or -1). Keeps the directory. */
int emu_stop(struct emu *e);
void emu_kill(struct emu *e);		/* SIGKILL and wait */
void emu_cleanup(struct emu *e);	/* remove the scratch directory */

int emu_send_raw(struct emu *e, const void *bytes, size_t len);
int emu_send(struct emu *e, const uint8_t *payload, size_t len);
/* Next decoded frame; -1 on timeout or EOF. */
int emu_recv(struct emu *e, uint8_t *buf, size_t *len, int timeout_ms);
/* Control command; the answer line (static buffer, no newline) or NULL. */
const char *emu_control(struct emu *e, const char *fmt, ...);
/* A numeric member "key":N of a JSON answer, -1 if absent. */
long json_num(const char *json, const char *key);

struct req {
	size_t len;
	uint8_t buf[HAL_RPC_MAX_PKT_SIZE + 1024];
};

struct rep {
	size_t len, off;
	bool bad;		/* a read went past the end */
	uint8_t buf[HAL_RPC_MAX_PKT_SIZE + 16];
};

void req_init(struct req *r, uint32_t op, uint32_t client);
void req_u32(struct req *r, uint32_t v);
void req_opaque(struct req *r, const void *data, size_t len);

/* Send r and wait for its reply (10 s); returns the status or -1. */
int emu_call(struct emu *e, const struct req *r, struct rep *p);
uint32_t rep_u32(struct rep *p);
const uint8_t *rep_opaque(struct rep *p, uint32_t *len);

size_t hex2bin(const char *hex, uint8_t *out, size_t max);

#endif
