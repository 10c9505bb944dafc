// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The hsmctl binary without a kernel module: usage errors, help, exit
 * codes and messages for missing boards and for a file that is not an HSM.
 */
#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "kselftest_harness.h"

#include "exitcodes.h"
#include "run_hsmctl.h"

/* Set in the child only: FAKE_HSM mode for the preloaded ioctl shim. */
static const char *fake_mode;

static void fake_board_env(const void *unused)
{
	(void)unused;
	if (!fake_mode)
		return;
	setenv("LD_PRELOAD", HSMCTL_SHIM, 1);
	setenv("FAKE_HSM", fake_mode, 1);
	/* a sanitized hsmctl tolerates the shim going first */
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 1);
}

/* Run hsmctl with a NULL-terminated argument list. */
static void hsmctl(struct run *r, ...)
{
	char *argv[32];
	va_list ap;
	int n = 1;

	argv[0] = "hsmctl";
	va_start(ap, r);
	while (n < 31 && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	run_hsmctl(r, argv, fake_board_env, NULL);
}

#define EXPECT_USAGE(r, needle) do {					\
	EXPECT_EQ(HSMCTL_EXIT_USAGE, (r).status) TH_LOG("%s", (r).err); \
	EXPECT_NE(NULL, strstr((r).err, needle)) TH_LOG("%s", (r).err);	\
	EXPECT_STREQ("", (r).out);					\
} while (0)

TEST(help_and_version)
{
	struct run r;

	hsmctl(&r, "--help", NULL);
	EXPECT_EQ(0, r.status);
	EXPECT_NE(NULL, strstr(r.out, "usage: hsmctl"));
	EXPECT_NE(NULL, strstr(r.out, "random"));
	EXPECT_STREQ("", r.err);

	hsmctl(&r, "help", "attach", NULL);
	EXPECT_EQ(0, r.status);
	EXPECT_NE(NULL, strstr(r.out, "hsmctl [--json] [-d DEV] attach TTY"));

	hsmctl(&r, "random", "-h", NULL);
	EXPECT_EQ(0, r.status);
	EXPECT_NE(NULL, strstr(r.out, "--raw"));

	hsmctl(&r, "list", "--help", NULL);
	EXPECT_EQ(0, r.status);

	hsmctl(&r, "--version", NULL);
	EXPECT_EQ(0, r.status);
	EXPECT_EQ(0, strncmp(r.out, "hsmctl ", 7));
}

TEST(usage_errors)
{
	struct run r;

	hsmctl(&r, NULL);
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r.status);
	EXPECT_NE(NULL, strstr(r.err, "usage: hsmctl"));

	hsmctl(&r, "frobnicate", NULL);
	EXPECT_USAGE(r, "hsmctl: unknown command 'frobnicate'");
	EXPECT_NE(NULL, strstr(r.err, "(see 'hsmctl --help')")) TH_LOG("%s", r.err);
	hsmctl(&r, "help", "frobnicate", NULL);
	EXPECT_USAGE(r, "unknown command 'frobnicate'");
	hsmctl(&r, "--bogus", "list", NULL);
	EXPECT_USAGE(r, "unknown option '--bogus'");
	hsmctl(&r, "-x", "list", NULL);
	EXPECT_USAGE(r, "unknown option '-x'");
	hsmctl(&r, "list", "--bogus", NULL);
	EXPECT_USAGE(r, "list: unknown option '--bogus'");
	hsmctl(&r, "-d", NULL);
	EXPECT_USAGE(r, "option '-d' needs an argument");
	hsmctl(&r, "info", "--device", NULL);
	EXPECT_USAGE(r, "info: option '--device' needs an argument");
	hsmctl(&r, "list", "extra", NULL);
	EXPECT_USAGE(r, "list: too many arguments");
	hsmctl(&r, "-d", "hsm0", "list", NULL);
	EXPECT_USAGE(r, "list: -d makes no sense");

	hsmctl(&r, "attach", NULL);
	EXPECT_USAGE(r, "attach: which tty?");
	hsmctl(&r, "attach", "a", "b", NULL);
	EXPECT_USAGE(r, "attach: too many arguments");
	hsmctl(&r, "-d", "0", "attach", "ttyUSB0", NULL);
	EXPECT_USAGE(r, "attach: -d makes no sense");

	hsmctl(&r, "info", "bo/ard", NULL);
	EXPECT_USAGE(r, "not a board name: '(not shown");
	hsmctl(&r, "-d", "/dev/null", "info", NULL);
	EXPECT_USAGE(r, "not a board name: '/dev/null'");
	hsmctl(&r, "-d", "hsm1", "detach", "hsm2", NULL);
	EXPECT_USAGE(r, "detach: board named twice");
	hsmctl(&r, "info", "-d", "hsm1", "-d", "hsm2", NULL);
	EXPECT_USAGE(r, "info: -d given twice");
}

/* backup and key export/import: refused before any board is asked. */
TEST(backup_usage_errors)
{
	char bad[] = "/tmp/hsmctl-cli-bundle-XXXXXX";
	struct run r;
	int fd;

	hsmctl(&r, "backup", NULL);
	EXPECT_USAGE(r, "backup: give both boards (--from A --to B)");
	/* The hint names the command's own help, also in --json form. */
	EXPECT_NE(NULL, strstr(r.err, "(see 'hsmctl help backup')")) TH_LOG("%s", r.err);
	hsmctl(&r, "--json", "backup", NULL);
	EXPECT_NE(NULL, strstr(r.err, "\"usage error (see 'hsmctl help backup')\""))
		TH_LOG("%s", r.err);
	hsmctl(&r, "backup", "--to", "hsm1", NULL);
	EXPECT_USAGE(r, "give both boards");
	hsmctl(&r, "-d", "hsm0", "backup", "--from", "hsm0", "--to", "hsm1", NULL);
	EXPECT_USAGE(r, "backup: -d does not apply");
	hsmctl(&r, "backup", "--from", "hsm0", "--to", "hsm1", "--bits", "1000", NULL);
	EXPECT_USAGE(r, "--bits must be 1024 to 4096");
	hsmctl(&r, "backup", "--from", "hsm0", "--to", "hsm1", "--pin", "x", NULL);
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r.status);
	hsmctl(&r, "backup", "setup", NULL);
	EXPECT_USAGE(r, "backup setup: where to write the KEKEK's public key? (--out FILE)");
	hsmctl(&r, "backup", "export", "--out", "x.json", NULL);
	EXPECT_USAGE(r, "backup export: which KEKEK? (--kekek FILE");
	hsmctl(&r, "backup", "export", "--kekek", "k.json", NULL);
	EXPECT_USAGE(r, "backup export: where to write the bundle? (--out FILE)");
	hsmctl(&r, "backup", "import", NULL);
	EXPECT_USAGE(r, "backup import: which bundle?");
	hsmctl(&r, "backup", "import", "/nonexistent/b.json", NULL);
	EXPECT_USAGE(r, "backup import: bundle /nonexistent/b.json: No such file or directory");
	hsmctl(&r, "key", "import", NULL);
	EXPECT_USAGE(r, "key import: which bundle?");
	hsmctl(&r, "key", "export", NULL);
	EXPECT_USAGE(r, "key export: which key?");
	hsmctl(&r, "key", "export", "label:k", "--out", "x.json", NULL);
	EXPECT_USAGE(r, "key export: which KEKEK?");
	hsmctl(&r, "key", "export", "label:k", "--kekek", "/nonexistent/k.json",
	       "--out", "x.json", NULL);
	EXPECT_USAGE(r, "key export: bundle /nonexistent/k.json: No such file");

	/* A malformed bundle: the file and the member at fault are named. */
	fd = mkstemp(bad);
	ASSERT_LE(0, fd);
	ASSERT_EQ(17, write(fd, "{\"kekek_uuid\": 1}", 17));
	close(fd);
	hsmctl(&r, "backup", "import", bad, NULL);
	EXPECT_USAGE(r, "kekek_pubkey: missing");
	EXPECT_NE(NULL, strstr(r.err, bad));
	hsmctl(&r, "--json", "key", "import", bad, NULL);
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r.status);
	EXPECT_NE(NULL, strstr(r.err, "\"exit\":2}")) TH_LOG("%s", r.err);
	unlink(bad);

	hsmctl(&r, "help", "backup", NULL);
	EXPECT_EQ(0, r.status);
	EXPECT_NE(NULL, strstr(r.out, "backup setup --out FILE [--bits N]"));
	hsmctl(&r, "backup", "import", "-h", NULL);
	EXPECT_EQ(0, r.status);
	EXPECT_NE(NULL, strstr(r.out, "usage: hsmctl [--json] [-d DEV] backup import FILE"))
		TH_LOG("%s", r.out);
	hsmctl(&r, "key", "export", "-h", NULL);
	EXPECT_EQ(0, r.status);
	EXPECT_NE(NULL, strstr(r.out, "key export KEY --kekek FILE --out FILE")) TH_LOG("%s", r.out);
}

TEST(random_usage_errors)
{
	static const char *const bad_n[] = {
		"0", "-1", "abc", "12x", "1048577", "99999999999999999999999",
		"", " 5",
	};
	struct run r;
	size_t i;

	hsmctl(&r, "random", NULL);
	EXPECT_USAGE(r, "random: how many bytes?");
	for (i = 0; i < sizeof(bad_n) / sizeof(bad_n[0]); i++) {
		hsmctl(&r, "random", "--", bad_n[i], NULL);
		EXPECT_USAGE(r, "random: N must be a number from 1 to 1048576");
	}
	hsmctl(&r, "random", "8", "--raw", "--hex", NULL);
	EXPECT_USAGE(r, "--raw and --hex exclude each other");
	hsmctl(&r, "--json", "random", "8", "--raw", NULL);
	EXPECT_USAGE(r, "--raw and --json exclude each other");
	hsmctl(&r, "random", "8", "hsm1", "-d", "hsm2", NULL);
	EXPECT_USAGE(r, "random: board named twice");
	hsmctl(&r, "random", "8", "hsm1", "extra", NULL);
	EXPECT_USAGE(r, "random: too many arguments");
	hsmctl(&r, "-d", "bo ard", "random", "8", NULL);
	EXPECT_USAGE(r, "not a board name");
}

TEST(random_on_missing_device)
{
	struct run r;

	/* The hint says whether the module or only the board is missing. */
	const char *hint = access("/sys/module/cryptech_hsm", F_OK) ?
		"the cryptech_hsm kernel module is not loaded; try: modprobe cryptech_hsm" :
		"no such board attached; see 'hsmctl list'";
	char want[256];

	snprintf(want, sizeof(want),
		 "hsmctl: cannot open /dev/hsm2147483647: No such file or directory (%s)\n",
		 hint);
	hsmctl(&r, "-d", "/dev/hsm2147483647", "random", "8", NULL);
	EXPECT_EQ(HSMCTL_EXIT_NO_DEVICE, r.status);
	EXPECT_STREQ(want, r.err);
	EXPECT_STREQ("", r.out);
}

TEST(random_on_non_hsm)
{
	struct run r;

	hsmctl(&r, "random", "8", "/dev/null", NULL);
	EXPECT_EQ(HSMCTL_EXIT_FAILED, r.status);
	EXPECT_STREQ("hsmctl: reading random bytes from /dev/null: Inappropriate ioctl for device (not a cryptech_hsm device?)\n",
		     r.err);
	EXPECT_STREQ("", r.out);
}

TEST(without_module)
{
	static const char *const cmds[][3] = {
		{ "list", NULL }, { "info", NULL }, { "detach", NULL },
		{ "random", "8", NULL }, { "attach", "ttyUSB0", NULL },
		{ "info", "hsm0", NULL },
	};
	struct run r;
	size_t i;

	if (hsm_family_present()) {
		/* Listing must then work, even with no board attached. */
		hsmctl(&r, "list", NULL);
		EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
		return;
	}
	hsmctl(&r, "list", NULL);
	EXPECT_EQ(HSMCTL_EXIT_NO_DEVICE, r.status);
	EXPECT_STREQ("hsmctl: cannot list boards: the cryptech_hsm kernel module is not loaded (generic netlink family \"cryptech_hsm\" not found; try: modprobe cryptech_hsm)\n",
		     r.err);
	EXPECT_STREQ("", r.out);

	hsmctl(&r, "--json", "list", NULL);
	EXPECT_EQ(HSMCTL_EXIT_NO_DEVICE, r.status);
	EXPECT_STREQ("", r.out);

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		hsmctl(&r, cmds[i][0], cmds[i][1], NULL);
		EXPECT_EQ(HSMCTL_EXIT_NO_DEVICE, r.status) TH_LOG("%s", cmds[i][0]);
		EXPECT_NE(NULL, strstr(r.err, "cryptech_hsm kernel module is not loaded"))
			TH_LOG("%s: %s", cmds[i][0], r.err);
		EXPECT_EQ(0, strncmp(r.err, "hsmctl: ", 8));
	}
	/* A board named by its node: the open fails, the hint says why. */
	hsmctl(&r, "-d", "hsm1", "kernel-logout", NULL);
	EXPECT_EQ(HSMCTL_EXIT_NO_DEVICE, r.status);
	EXPECT_STREQ("hsmctl: cannot open /dev/hsm1: No such file or directory (the cryptech_hsm kernel module is not loaded; try: modprobe cryptech_hsm)\n",
		     r.err);
}

/* The success path and board errors, with the ioctls answered by the shim. */
TEST(random_with_fake_board)
{
	struct run r;
	size_t i;

	fake_mode = "ok";
	hsmctl(&r, "random", "4", "-d", "/dev/null", NULL);
	EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
	EXPECT_STREQ("61626364\n", r.out);
	EXPECT_STREQ("", r.err);

	hsmctl(&r, "random", "3", "--hex", "/dev/null", NULL);
	EXPECT_STREQ("616263\n", r.out);

	hsmctl(&r, "--json", "random", "3", "/dev/null", NULL);
	EXPECT_EQ(0, r.status);
	EXPECT_STREQ("{\"bytes\":3,\"hex\":\"616263\"}\n", r.out);

	hsmctl(&r, "random", "5", "--raw", "/dev/null", NULL);
	EXPECT_EQ(0, r.status);
	EXPECT_STREQ("abcde", r.out);

	/* More than one request's worth: the pattern runs on unbroken. */
	hsmctl(&r, "random", "20000", "--raw", "/dev/null", NULL);
	EXPECT_EQ(0, r.status);
	ASSERT_EQ(20000u, strlen(r.out));
	for (i = 0; i < 20000; i++)
		if (r.out[i] != (char)('a' + i % 26))
			break;
	EXPECT_EQ(20000u, i);

	fake_mode = "csprng";
	hsmctl(&r, "random", "4", "/dev/null", NULL);
	EXPECT_EQ(HSMCTL_EXIT_BOARD, r.status);
	EXPECT_STREQ("hsmctl: reading random bytes from /dev/null: board error CSPRNG_BROKEN: random generator output failed checks (HAL_ERROR_CSPRNG_BROKEN)\n",
		     r.err);
	EXPECT_STREQ("", r.out);

	fake_mode = "timeout";
	hsmctl(&r, "random", "4", "/dev/null", NULL);
	EXPECT_EQ(HSMCTL_EXIT_TIMEOUT, r.status);
	EXPECT_STREQ("hsmctl: reading random bytes from /dev/null: Connection timed out\n",
		     r.err);

	fake_mode = "eacces";
	hsmctl(&r, "random", "4", "/dev/null", NULL);
	EXPECT_EQ(HSMCTL_EXIT_PERMISSION, r.status);

	fake_mode = "enodev";
	hsmctl(&r, "random", "4", "/dev/null", NULL);
	EXPECT_EQ(HSMCTL_EXIT_NO_DEVICE, r.status);
	fake_mode = NULL;
}

TEST(exit_code_mapping)
{
	EXPECT_EQ(HSMCTL_EXIT_OK, hsmctl_exit_code(0, 0));
	EXPECT_EQ(HSMCTL_EXIT_BOARD, hsmctl_exit_code(-EACCES, 24));
	EXPECT_EQ(HSMCTL_EXIT_BOARD, hsmctl_exit_code(-EIO, 57));
	EXPECT_EQ(HSMCTL_EXIT_TIMEOUT, hsmctl_exit_code(-ETIMEDOUT, 0));
	EXPECT_EQ(HSMCTL_EXIT_PERMISSION, hsmctl_exit_code(-EPERM, 0));
	EXPECT_EQ(HSMCTL_EXIT_PERMISSION, hsmctl_exit_code(-EACCES, 0));
	EXPECT_EQ(HSMCTL_EXIT_NO_DEVICE, hsmctl_exit_code(-ENOENT, 0));
	EXPECT_EQ(HSMCTL_EXIT_NO_DEVICE, hsmctl_exit_code(-ENODEV, 0));
	EXPECT_EQ(HSMCTL_EXIT_NO_DEVICE, hsmctl_exit_code(-ENXIO, 0));
	EXPECT_EQ(HSMCTL_EXIT_FAILED, hsmctl_exit_code(-EBUSY, 0));
	EXPECT_EQ(HSMCTL_EXIT_FAILED, hsmctl_exit_code(-EPROTO, 0));
}

TEST_HARNESS_MAIN
