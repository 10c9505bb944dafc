// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a new user ran into (issue 7, points 4 and 7), against the fake
 * board of tests/shim/fake_ioctl.c on /dev/null: PINs on the command line
 * and abbreviated options, exit codes of missing files, the so user and
 * keys, duplicate labels, per-command help, a board without a master key,
 * and the stable board identity in URIs and board names.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "exitcodes.h"
#include "run_hsmctl.h"

static char dir[64], logpath[128], pinfile[128];

/* @env: NULL or "A=1\nB=2" style list separated by ';' (no spaces). */
static void child_env(const void *env)
{
	char *e, *tok, *save = NULL;

	setsid();		/* no terminal: a prompt is impossible */
	setenv("LD_PRELOAD", HSMCTL_SHIM, 1);
	setenv("FAKE_HSM", "ok", 1);
	setenv("FAKE_HSM_LOG", logpath, 1);
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 1);
	unsetenv("HSMCTL_PIN");
	unsetenv("HSMCTL_NEW_PIN");
	if (!env)
		return;
	e = strdup(env);
	for (tok = strtok_r(e, ";", &save); tok; tok = strtok_r(NULL, ";", &save))
		putenv(strdup(tok));
}

static void hsmctl(struct run *r, const char *env, ...)
{
	char *argv[40];
	va_list ap;
	int n = 1;

	argv[0] = "hsmctl";
	va_start(ap, env);
	while (n < 39 && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	run_hsmctl(r, argv, child_env, env);
}

static const char *board_log(void)
{
	static char buf[16384];
	int fd = open(logpath, O_RDONLY);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static int starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

FIXTURE(p) {
	struct run r;
};

FIXTURE_SETUP(p)
{
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/hsmctl-papercuts-%d", (int)getpid());
	ASSERT_EQ(0, mkdir(dir, 0700));
	snprintf(logpath, sizeof(logpath), "%s/board.log", dir);
	snprintf(pinfile, sizeof(pinfile), "%s/user-pin", dir);
	fd = open(pinfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(9, write(fd, "user-pin\n", 9));
	close(fd);
}

FIXTURE_TEARDOWN(p)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		TH_LOG("cleanup failed");
}

#define PIN "HSMCTL_PIN=user-pin"
#define DEV "-d", "/dev/null"
#define SECRET "s3cr3t-1234"

/* A usage error (2) that never repeats SECRET and leaves stdout empty. */
#define EXPECT_REFUSED(r, needle) do {					\
	EXPECT_EQ(HSMCTL_EXIT_USAGE, (r).status) TH_LOG("%s", (r).err);	\
	EXPECT_NE(NULL, strstr((r).err, needle)) TH_LOG("%s", (r).err);	\
	EXPECT_EQ(NULL, strstr((r).err, SECRET)) TH_LOG("%s", (r).err);	\
	EXPECT_EQ(NULL, strstr((r).err, "1234")) TH_LOG("%s", (r).err);	\
	EXPECT_STREQ("", (r).out);					\
} while (0)

#define NO_PIN_ON_CMDLINE \
	"PINs are never taken on the command line; use --pin-file, HSMCTL_PIN or the prompt"

TEST_F(p, pin_options_refused_never_echoed)
{
	struct run *r = &self->r;

	/* getopt_long took "--pin" for "--pin-file" and echoed the PIN. */
	hsmctl(r, NULL, DEV, "key", "list", "--pin", SECRET, NULL);
	EXPECT_REFUSED(*r, "key list: " NO_PIN_ON_CMDLINE);
	hsmctl(r, NULL, DEV, "key", "list", "--pin=" SECRET, NULL);
	EXPECT_REFUSED(*r, NO_PIN_ON_CMDLINE);
	hsmctl(r, NULL, DEV, "login-status", "--user", "user", "-p", SECRET, NULL);
	EXPECT_REFUSED(*r, "login-status: " NO_PIN_ON_CMDLINE);
	hsmctl(r, NULL, DEV, "set-pin", "--user", "user", "-p" SECRET, NULL);
	EXPECT_REFUSED(*r, NO_PIN_ON_CMDLINE);
	hsmctl(r, NULL, "--pin", SECRET, "login-status", NULL);
	EXPECT_REFUSED(*r, NO_PIN_ON_CMDLINE);
	hsmctl(r, NULL, "-p", SECRET, "list", NULL);
	EXPECT_REFUSED(*r, NO_PIN_ON_CMDLINE);
	/* Nothing reached the board. */
	EXPECT_STREQ("", board_log());
}

TEST_F(p, no_abbreviated_options)
{
	struct run *r = &self->r;

	hsmctl(r, NULL, DEV, "key", "list", "--pin-f", SECRET, NULL);
	EXPECT_REFUSED(*r, "key list: unknown option '--pin-f'");
	hsmctl(r, NULL, "list", "--js", NULL);
	EXPECT_REFUSED(*r, "list: unknown option '--js'");
	hsmctl(r, NULL, "--dev", "hsm0", "info", NULL);
	EXPECT_REFUSED(*r, "unknown option '--dev'");
	hsmctl(r, NULL, DEV, "key", "generate", "ec", "p256", "--tok", NULL);
	EXPECT_REFUSED(*r, "unknown option '--tok'");
	/* A value after '=' is never shown, nor one that is no option name. */
	hsmctl(r, NULL, DEV, "key", "list", "--pinfile=" SECRET, NULL);
	EXPECT_REFUSED(*r, "unknown option '--pinfile'");
	hsmctl(r, NULL, DEV, "key", "list", "--" SECRET, NULL);
	EXPECT_REFUSED(*r, "unknown option '--(not shown");
	/* An option's value may look like an option. */
	hsmctl(r, PIN, DEV, "key", "generate", "ec", "p256", "--label", "--pin", NULL);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
}

TEST_F(p, misplaced_pins_not_echoed)
{
	struct run *r = &self->r;

	hsmctl(r, NULL, SECRET, NULL);
	EXPECT_REFUSED(*r, "unknown command");
	hsmctl(r, NULL, "key", SECRET, NULL);
	EXPECT_REFUSED(*r, "key: unknown subcommand");
	hsmctl(r, NULL, DEV, "key", "list", "--user", SECRET, NULL);
	EXPECT_REFUSED(*r, "--user must be user, so or wheel");
	hsmctl(r, NULL, DEV, "login-status", SECRET, NULL);
	EXPECT_REFUSED(*r, "login-status: too many arguments");
	hsmctl(r, NULL, DEV, "key", "info", "label:zsk", SECRET, NULL);
	EXPECT_REFUSED(*r, "key info: too many arguments");
}

TEST_F(p, no_pin_names_the_variable)
{
	struct run *r = &self->r;

	hsmctl(r, NULL, DEV, "key", "list", NULL);
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r->status);
	EXPECT_NE(NULL, strstr(r->err, "no user PIN: give --pin-file FILE, set HSMCTL_PIN, or run on a terminal"))
		TH_LOG("%s", r->err);
}

TEST_F(p, missing_input_files_are_usage_errors)
{
	struct run *r = &self->r;

	/* No board at all (hsm7 does not exist): still the file's fault. */
	hsmctl(r, NULL, "-d", "hsm7", "key", "list", "--pin-file", "/nonexistent/pin", NULL);
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r->status) TH_LOG("%s", r->err);
	EXPECT_NE(NULL, strstr(r->err, "cannot read the user PIN from /nonexistent/pin: No such file"))
		TH_LOG("%s", r->err);
	hsmctl(r, PIN, "-d", "hsm7", "key", "sign", "label:zsk", "--in", "/nonexistent/data", NULL);
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r->status) TH_LOG("%s", r->err);
	EXPECT_NE(NULL, strstr(r->err, "cannot read --in /nonexistent/data"));
	hsmctl(r, NULL, "-d", "hsm7", "set-pin", "--user", "user", "--pin-file", pinfile,
	       "--new-pin-file", "/nonexistent/new", NULL);
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r->status) TH_LOG("%s", r->err);
	EXPECT_NE(NULL, strstr(r->err, "cannot read the new user PIN from /nonexistent/new"));
	/* With the files there, the missing board is what is reported. */
	hsmctl(r, NULL, "-d", "hsm7", "key", "list", "--pin-file", pinfile, NULL);
	EXPECT_EQ(HSMCTL_EXIT_NO_DEVICE, r->status) TH_LOG("%s", r->err);
}

TEST_F(p, so_cannot_use_keys)
{
	struct run *r = &self->r;
	static const char *const cmds[][3] = {
		{ "list", NULL, NULL },
		{ "info", "label:zsk", NULL },
		{ "sign", "label:zsk", "--digest=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "generate", "ec", "p256" },
	};
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		hsmctl(r, "HSMCTL_PIN=so-pin-1", DEV, "key", cmds[i][0], "--user", "so",
		       cmds[i][1], cmds[i][2], NULL);
		EXPECT_EQ(HSMCTL_EXIT_PERMISSION, r->status) TH_LOG("%s: %s", cmds[i][0], r->err);
		EXPECT_NE(NULL, strstr(r->err, "the so user cannot use keys: it may only set the user PIN"))
			TH_LOG("%s", r->err);
		EXPECT_EQ(NULL, strstr(r->err, "no key")) TH_LOG("%s", r->err);
	}
}

TEST_F(p, duplicate_labels_refused)
{
	struct run *r = &self->r;

	/* "zsk" is on the fake board already. */
	hsmctl(r, PIN, DEV, "key", "generate", "ec", "p256", "--token", "--label", "zsk", NULL);
	EXPECT_EQ(HSMCTL_EXIT_FAILED, r->status);
	EXPECT_NE(NULL, strstr(r->err, "the label 'zsk' is already used on hsm0 (key 11111111-1111-4111-8111-111111111111)"))
		TH_LOG("%s", r->err);
	EXPECT_NE(NULL, strstr(r->err, "--allow-duplicate-label"));
	EXPECT_EQ(NULL, strstr(board_log(), "GENERATE")) TH_LOG("%s", board_log());
	hsmctl(r, PIN, DEV, "key", "generate", "ec", "p256", "--token", "--label", "zsk",
	       "--allow-duplicate-label", NULL);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_NE(NULL, strstr(board_log(), "GENERATE"));
	/* A new label is fine without the option. */
	hsmctl(r, PIN, DEV, "key", "generate", "ec", "p256", "--label", "fresh", NULL);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
}

TEST_F(p, command_help)
{
	struct run *r = &self->r;

	hsmctl(r, NULL, "key", "sign", "--help", NULL);
	EXPECT_EQ(0, r->status);
	EXPECT_TRUE(starts_with(r->out, "usage: hsmctl [--json] [-d DEV] key sign KEY (--digest HEX | --in FILE)"))
		TH_LOG("%s", r->out);
	EXPECT_EQ(NULL, strstr(r->out, "key generate")) TH_LOG("%s", r->out);
	hsmctl(r, NULL, "key", "generate", "-h", NULL);
	EXPECT_EQ(0, r->status);
	EXPECT_NE(NULL, strstr(r->out, "--allow-duplicate-label"));
	EXPECT_EQ(NULL, strstr(r->out, "key sign"));
	hsmctl(r, NULL, "random", "--help", NULL);
	EXPECT_EQ(0, r->status);
	EXPECT_TRUE(starts_with(r->out, "usage: hsmctl [--json] [-d DEV] random N"));
	hsmctl(r, NULL, "list", "--help", NULL);
	EXPECT_TRUE(starts_with(r->out, "usage: hsmctl [--json] [-d DEV] list\n"));
	/* Help wins over a missing argument. */
	hsmctl(r, NULL, "set-pin", "--help", NULL);
	EXPECT_EQ(0, r->status);
	EXPECT_NE(NULL, strstr(r->out, "set-pin --user U"));
}

TEST_F(p, no_master_key_says_what_to_do)
{
	struct run *r = &self->r;

	hsmctl(r, PIN ";FAKE_HSM_NO_MASTERKEY=1", DEV, "key", "generate", "ec", "p256", NULL);
	EXPECT_EQ(HSMCTL_EXIT_BOARD, r->status);
	EXPECT_NE(NULL, strstr(r->err, "MASTERKEY_NOT_SET")) TH_LOG("%s", r->err);
	EXPECT_NE(NULL, strstr(r->err, "the board has no master key")) TH_LOG("%s", r->err);
	EXPECT_NE(NULL, strstr(r->err, "on the board's console")) TH_LOG("%s", r->err);
	EXPECT_NE(NULL, strstr(r->err, "'masterkey set'")) TH_LOG("%s", r->err);
	hsmctl(r, PIN ";FAKE_HSM_NO_MASTERKEY=1", DEV, "key", "sign", "label:zsk",
	       "--digest", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", NULL);
	EXPECT_EQ(HSMCTL_EXIT_BOARD, r->status);
	EXPECT_NE(NULL, strstr(r->err, "'masterkey set'")) TH_LOG("%s", r->err);
	/* LOGIN still works on such a board. */
	hsmctl(r, PIN ";FAKE_HSM_NO_MASTERKEY=1", DEV, "login-status", "--user", "user", NULL);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
}

TEST_F(p, token_label_from_board_id)
{
	struct run *r = &self->r;

	hsmctl(r, PIN ";FAKE_HSM_BOARD_ID=EMU00000", DEV, "key", "info", "label:zsk", NULL);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_NE(NULL, strstr(r->out, "uri:    pkcs11:token=cryptech-EMU00000;object=zsk;id=%01%02;type=private\n"))
		TH_LOG("%s", r->out);
	hsmctl(r, PIN ";FAKE_HSM_BOARD_ID=EMU00000", DEV, "--json", "key", "list", "--token", NULL);
	EXPECT_NE(NULL, strstr(r->out, "\"uri\":\"pkcs11:token=cryptech-EMU00000;object=ksk;type=private\""))
		TH_LOG("%s", r->out);
	/* A long id with odd bytes: hashed, no percent-encoding in the token. */
	hsmctl(r, PIN ";FAKE_HSM_BOARD_ID=usb-1-1.2:with/odd chars and a long tail", DEV,
	       "key", "info", "label:zsk", NULL);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_NE(NULL, strstr(r->out, "pkcs11:token=cryptech-usb-1-1.2-with-bff632ef;object=zsk;"))
		TH_LOG("%s", r->out);
	/* No identity (an older kernel): the URI names no token at all. */
	hsmctl(r, PIN, DEV, "key", "info", "label:zsk", NULL);
	EXPECT_NE(NULL, strstr(r->out, "uri:    pkcs11:object=zsk;id=%01%02;type=private\n"))
		TH_LOG("%s", r->out);
	EXPECT_EQ(NULL, strstr(r->out, "hsm0")) TH_LOG("%s", r->out);
}

TEST_F(p, all_zero_uuid_is_no_key)
{
	struct run *r = &self->r;

	hsmctl(r, PIN, DEV, "key", "info", "00000000-0000-0000-0000-000000000000", NULL);
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r->status);
	EXPECT_NE(NULL, strstr(r->err, "the all-zero UUID is the board's PIN block, never a key"))
		TH_LOG("%s", r->err);
	EXPECT_EQ(NULL, strstr(board_log(), "LOGIN")) TH_LOG("%s", board_log());
}

TEST_F(p, board_named_by_identity)
{
	struct run *r = &self->r;

	/*
	 * No kernel module here: an id is looked up over netlink, so the
	 * answer is "not loaded" (3), never a usage error; bad syntax is 2.
	 */
	hsmctl(r, NULL, "-d", "EMU00000", "info", NULL);
	EXPECT_EQ(HSMCTL_EXIT_NO_DEVICE, r->status) TH_LOG("%s", r->err);
	EXPECT_TRUE(strstr(r->err, "kernel module is not loaded") ||
		    strstr(r->err, "no attached board has the id or token label 'EMU00000'"))
		TH_LOG("%s", r->err);
	hsmctl(r, NULL, "-d", "cryptech-EMU00000", "key", "list", "--pin-file", pinfile, NULL);
	EXPECT_EQ(HSMCTL_EXIT_NO_DEVICE, r->status) TH_LOG("%s", r->err);
	hsmctl(r, NULL, "-d", "EMU 0", "info", NULL);
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r->status) TH_LOG("%s", r->err);
	EXPECT_NE(NULL, strstr(r->err, "not a board name"));
}

TEST_HARNESS_MAIN
