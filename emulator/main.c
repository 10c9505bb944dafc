// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* cryptech-emu: command line, signals, start-up and shutdown. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "board.h"
#include "control.h"
#include "keystore.h"
#include "server.h"
#include "transport.h"

static int stop_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (write(stop_pipe[1], &c, 1) < 0) {
		/* nothing more to do in a handler */
	}
	errno = saved;
}

/* A decimal number within [0, max], or -1. */
static long number(const char *s, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > max)
		return -1;
	return v;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cryptech-emu --state DIR (--unix PATH | --pty PATH | --serial DEV)\n"
		"                    [--control PATH] [--workers N] [--bad-pin-delay MS]\n"
		"                    [--no-masterkey] [--firmware 2018|2019]\n"
		"                    [--set KNOB=VALUE]... [--quiet]\n"
		"       cryptech-emu --control-cmd PATH 'COMMAND'...\n"
		"See Documentation/emulator.rst for the knobs and the control protocol.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "unix", required_argument, NULL, 'u' },
		{ "pty", required_argument, NULL, 'p' },
		{ "serial", required_argument, NULL, 'S' },
		{ "control", required_argument, NULL, 'c' },
		{ "control-cmd", required_argument, NULL, 'C' },
		{ "workers", required_argument, NULL, 'w' },
		{ "bad-pin-delay", required_argument, NULL, 'b' },
		{ "set", required_argument, NULL, 'k' },
		{ "no-masterkey", no_argument, NULL, 'M' },
		{ "firmware", required_argument, NULL, 'F' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *state = NULL, *port = NULL, *control_path = NULL, *cmd_path = NULL;
	enum transport_kind kind = TRANSPORT_UNIX;
	unsigned int workers = EMU_DEFAULT_WORKERS;
	long bad_pin = -1;
	char **knobs = calloc((size_t)argc + 1, sizeof(char *));
	int nknobs = 0, nports = 0, opt, rc = 0;
	bool quiet = false, no_masterkey = false;
	const char *firmware = "2018";
	static struct board board;
	static struct server server;
	struct transport tr;
	struct control ctl = { .fd = -1 };
	int wake[2];
	char err[512];

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's': state = optarg; break;
		case 'u': port = optarg; kind = TRANSPORT_UNIX; nports++; break;
		case 'p': port = optarg; kind = TRANSPORT_PTY; nports++; break;
		case 'S': port = optarg; kind = TRANSPORT_SERIAL; nports++; break;
		case 'c': control_path = optarg; break;
		case 'C': cmd_path = optarg; break;
		case 'w': workers = (unsigned int)number(optarg, 64); break;
		case 'b':
			bad_pin = number(optarg, 3600000);
			if (bad_pin < 0) {
				usage(stderr);
				return 2;
			}
			break;
		case 'k': knobs[nknobs++] = optarg; break;
		case 'M': no_masterkey = true; break;
		case 'F':
			if (strcmp(optarg, "2018") && strcmp(optarg, "2019")) {
				fprintf(stderr, "cryptech-emu: --firmware wants 2018 or 2019\n");
				return 2;
			}
			firmware = optarg;
			break;
		case 'q': quiet = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	if (cmd_path)
		return control_client(cmd_path, argc - optind, argv + optind);
	if (!state || nports != 1 || optind != argc || workers < 1 || workers > 64) {
		usage(stderr);
		return 2;
	}

	if (pipe2(stop_pipe, O_CLOEXEC) < 0 || pipe2(wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		perror("cryptech-emu: pipe");
		return 1;
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	if (board_init(&board, state, err, sizeof(err)) < 0) {
		fprintf(stderr, "cryptech-emu: %s\n", err);
		return 1;
	}
	board.start_without_masterkey = no_masterkey;
	atomic_store(&board.firmware, (unsigned int)atoi(firmware));
	if (keystore_load(&board, err, sizeof(err)) < 0) {
		fprintf(stderr, "cryptech-emu: %s\n", err);
		return 1;
	}
	if (bad_pin >= 0)
		atomic_store(&board.bad_pin_ms, (unsigned int)bad_pin);
	if (server_start(&server, &board, workers, wake[0]) < 0) {
		fprintf(stderr, "cryptech-emu: cannot start workers\n");
		return 1;
	}
	server.wake_write_fd = wake[1];
	for (int i = 0; i < nknobs; i++) {
		char *eq = strchr(knobs[i], '=');

		if (!eq) {
			fprintf(stderr, "cryptech-emu: --set wants KNOB=VALUE: %s\n", knobs[i]);
			rc = 2;
			goto out_server;
		}
		*eq = '\0';
		if (control_set(&server, knobs[i], eq + 1, err, sizeof(err)) < 0) {
			fprintf(stderr, "cryptech-emu: %s\n", err);
			rc = 2;
			goto out_server;
		}
	}
	if (control_path && control_start(&ctl, &server, control_path, err, sizeof(err)) < 0) {
		fprintf(stderr, "cryptech-emu: %s\n", err);
		rc = 1;
		goto out_server;
	}
	if (transport_open(&tr, kind, port, err, sizeof(err)) < 0) {
		fprintf(stderr, "cryptech-emu: %s\n", err);
		rc = 1;
		goto out_control;
	}
	if (!quiet) {
		printf("cryptech-emu ready on %s\n", port);
		fflush(stdout);
	}
	transport_run(&tr, &server, stop_pipe[0]);
	/* no worker may be writing to the port when it closes */
	atomic_store(&server.stopping_flag, true);
	server_set_output(&server, -1);
	transport_close(&tr);
out_control:
	control_stop(&ctl);
out_server:
	server_stop(&server);
	keystore_free(&board);
	board_free(&board);
	free(knobs);
	return rc;
}
