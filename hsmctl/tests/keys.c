// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The PIN and key commands of the hsmctl binary against the fake board of
 * tests/shim/fake_ioctl.c (preloaded, on /dev/null): argument parsing and
 * exit codes, PIN sources, what reaches the board (logged by the shim),
 * output for people and JSON, RFC 7512 URIs. The encoders are tested
 * directly.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "encode.h"
#include "exitcodes.h"
#include "run_hsmctl.h"

static char logpath[128], dir[64];

/*
 * Run hsmctl on the fake board: @env is "NAME=VALUE" or NULL, then the
 * arguments, NULL-terminated. The child has no controlling terminal, so a
 * PIN prompt is impossible and must be reported.
 */
static void fake_board_env(const void *env)
{
	setsid();
	setenv("LD_PRELOAD", HSMCTL_SHIM, 1);
	setenv("FAKE_HSM", "ok", 1);
	setenv("FAKE_HSM_LOG", logpath, 1);
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 1);
	unsetenv("HSMCTL_PIN");
	unsetenv("HSMCTL_NEW_PIN");
	if (env)
		putenv((char *)env);
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
	run_hsmctl(r, argv, fake_board_env, env);
}

/* What the fake board was asked, one request per line. */
static char *board_log(void)
{
	static char buf[16384];
	int fd = open(logpath, O_RDONLY);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void write_file(const char *name, const char *text, char *path,
		       size_t len)
{
	int fd;

	snprintf(path, len, "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		if (write(fd, text, strlen(text)) < 0)
			perror("write");
		close(fd);
	}
}

/* Valid JSON, as judged by Python's parser. */
static int json_valid(const char *text)
{
	char path[128];
	int st;

	write_file("doc.json", text, path, sizeof(path));
	st = system("python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "
		    "\"$HSMCTL_TEST_DIR/doc.json\"");
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

FIXTURE(k) {
	struct run r;
	char pinfile[128];
};

FIXTURE_SETUP(k)
{
	snprintf(dir, sizeof(dir), "/tmp/hsmctl-keys-%d", (int)getpid());
	ASSERT_EQ(0, mkdir(dir, 0700));
	setenv("HSMCTL_TEST_DIR", dir, 1);
	snprintf(logpath, sizeof(logpath), "%s/board.log", dir);
	write_file("user-pin", "user-pin\n", self->pinfile, sizeof(self->pinfile));
}

FIXTURE_TEARDOWN(k)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		TH_LOG("cleanup failed");
}

#define EXPECT_USAGE(r, needle) do {					\
	EXPECT_EQ(HSMCTL_EXIT_USAGE, (r).status) TH_LOG("%s", (r).err); \
	EXPECT_NE(NULL, strstr((r).err, needle)) TH_LOG("%s", (r).err);	\
	EXPECT_STREQ("", (r).out);					\
} while (0)

#define PIN "HSMCTL_PIN=user-pin"
#define DEV "-d", "/dev/null"

TEST_F(k, usage_errors)
{
	struct run *r = &self->r;

	hsmctl(r, NULL, "key", NULL);
	EXPECT_USAGE(*r, "key: which subcommand?");
	hsmctl(r, NULL, "key", "frob", NULL);
	EXPECT_USAGE(*r, "key: unknown subcommand 'frob'");
	hsmctl(r, NULL, "key", "generate", NULL);
	EXPECT_USAGE(*r, "key generate: which algorithm?");
	hsmctl(r, NULL, "key", "generate", "dsa", "1024", NULL);
	EXPECT_USAGE(*r, "unknown algorithm 'dsa'");
	hsmctl(r, NULL, "key", "generate", "rsa", NULL);
	EXPECT_USAGE(*r, "how many bits?");
	hsmctl(r, NULL, "key", "generate", "rsa", "1000", NULL);
	EXPECT_USAGE(*r, "RSA size must be 1024 to 4096 bits");
	hsmctl(r, NULL, "key", "generate", "rsa", "8192", NULL);
	EXPECT_USAGE(*r, "RSA size must be");
	hsmctl(r, NULL, "key", "generate", "ec", "p255", NULL);
	EXPECT_USAGE(*r, "unknown curve 'p255'");
	hsmctl(r, NULL, "key", "generate", "ec", "p256", "--id", "xyz", NULL);
	EXPECT_USAGE(*r, "--id must be 1 to 256 bytes of hex");
	hsmctl(r, NULL, "key", "generate", "ec", "p256", "--id", "abc", NULL);
	EXPECT_USAGE(*r, "--id must be");
	hsmctl(r, NULL, "key", "generate", "ec", "p256", "--label", "", NULL);
	EXPECT_USAGE(*r, "--label must be 1 to 1024 bytes");
	hsmctl(r, NULL, "key", "generate", "ec", "p256", "--label", "a",
	       "--label", "b", NULL);
	EXPECT_USAGE(*r, "--label given twice");
	hsmctl(r, NULL, "key", "generate", "ec", "p256", "--user", "root", NULL);
	EXPECT_USAGE(*r, "--user must be user, so or wheel, not 'root'");
	hsmctl(r, NULL, "key", "generate", "ec", "p256", "--label", NULL);
	EXPECT_USAGE(*r, "option '--label' needs an argument");
	hsmctl(r, NULL, "key", "list", "--token", "--session", NULL);
	EXPECT_USAGE(*r, "--token and --session exclude each other");
	hsmctl(r, NULL, "key", "list", "extra", NULL);
	EXPECT_USAGE(*r, "key list: too many arguments");
	hsmctl(r, NULL, "key", "info", NULL);
	EXPECT_USAGE(*r, "key info: which key?");
	hsmctl(r, NULL, "key", "info", "zsk", NULL);
	EXPECT_USAGE(*r, "key info: not a key name: 'zsk'");
	hsmctl(r, NULL, "key", "delete", "label:", NULL);
	EXPECT_USAGE(*r, "key delete: empty label");
	hsmctl(r, NULL, "key", "pubkey", "label:x", "--pem", "--der", NULL);
	EXPECT_USAGE(*r, "--pem and --der exclude each other");
	hsmctl(r, NULL, "--json", "key", "pubkey", "label:x", "--der", NULL);
	EXPECT_USAGE(*r, "--der and --json exclude each other");
	hsmctl(r, NULL, "key", "sign", "label:x", NULL);
	EXPECT_USAGE(*r, "give exactly one of --digest HEX and --in FILE");
	hsmctl(r, NULL, "key", "sign", "label:x", "--digest", "00", "--in", "f", NULL);
	EXPECT_USAGE(*r, "give exactly one of");
	hsmctl(r, NULL, "key", "sign", "label:x", "--digest", "0011", NULL);
	EXPECT_USAGE(*r, "--digest must be the hex of a SHA-256, SHA-384 or SHA-512 digest");
	hsmctl(r, NULL, "key", "sign", "label:x", "--hash", "md5", "--in", "f", NULL);
	EXPECT_USAGE(*r, "unknown hash 'md5'");
	hsmctl(r, NULL, "key", "sign", "label:x", "--hash", "sha384", "--digest",
	       "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", NULL);
	EXPECT_USAGE(*r, "--digest must be the hex of a sha384 digest");
	hsmctl(r, NULL, "--json", "key", "sign", "label:x", "--raw", "--in", "f", NULL);
	EXPECT_USAGE(*r, "--raw and --json exclude each other");

	hsmctl(r, NULL, "set-pin", NULL);
	EXPECT_USAGE(*r, "set-pin: whose PIN? (--user user|so|wheel)");
	hsmctl(r, NULL, "set-pin", "--user", "so", "--as", "so", NULL);
	EXPECT_USAGE(*r, "so cannot set the so PIN");
	hsmctl(r, NULL, "set-pin", "--user", "user", "--as", "user", NULL);
	EXPECT_USAGE(*r, "user cannot set the user PIN");
	hsmctl(r, NULL, "set-pin", "--user", "user", "--pin-file", "a",
	       "--new-pin-file", "a", NULL);
	EXPECT_USAGE(*r, "name the same file");
	hsmctl(r, NULL, "login-status", "--pin-file", "a", NULL);
	EXPECT_USAGE(*r, "--pin-file needs --user");
	/* Nothing reached the board. */
	EXPECT_STREQ("", board_log());
}

TEST_F(k, help)
{
	struct run *r = &self->r;

	hsmctl(r, NULL, "key", "--help", NULL);
	EXPECT_EQ(0, r->status);
	EXPECT_NE(NULL, strstr(r->out, "key generate (rsa BITS | ec p256|p384|p521)"));
	hsmctl(r, NULL, "key", "sign", "-h", NULL);
	EXPECT_EQ(0, r->status);
	EXPECT_NE(NULL, strstr(r->out, "usage: hsmctl [--json] [-d DEV] key "));
	hsmctl(r, NULL, "help", "set-pin", NULL);
	EXPECT_EQ(0, r->status);
	EXPECT_NE(NULL, strstr(r->out, "--new-pin-file FILE"));
	hsmctl(r, NULL, "--help", NULL);
	EXPECT_NE(NULL, strstr(r->out, "7 no such key"));
}

TEST_F(k, pin_sources)
{
	struct run *r = &self->r;
	char path[128];

	/* A file (its newline is not part of the PIN). */
	hsmctl(r, NULL, DEV, "login-status", "--user", "user", "--pin-file",
	       self->pinfile, NULL);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_STREQ("hsm0: logged in as user\n", r->out);
	/* CRLF too. */
	write_file("crlf", "wheel-pin\r\n", path, sizeof(path));
	hsmctl(r, NULL, DEV, "--json", "login-status", "--user", "wheel",
	       "--pin-file", path, NULL);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_STREQ("{\"device\":\"hsm0\",\"user\":\"wheel\",\"logged_in\":true}\n", r->out);
	/* The environment; a file wins over it. */
	hsmctl(r, "HSMCTL_PIN=so-pin-1", DEV, "login-status", "--user", "so", NULL);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	hsmctl(r, "HSMCTL_PIN=wrong-pin", DEV, "login-status", "--user", "user",
	       "--pin-file", self->pinfile, NULL);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);

	/* Wrong PIN: the board's status is named. */
	hsmctl(r, "HSMCTL_PIN=wrong-pin", DEV, "login-status", "--user", "user", NULL);
	EXPECT_EQ(HSMCTL_EXIT_BOARD, r->status);
	EXPECT_STREQ("hsmctl: login-status: login as user on /dev/null: board error PIN_INCORRECT: wrong PIN (HAL_ERROR_PIN_INCORRECT) "
		     "(the user PIN may also be unset: a fresh board has only the wheel PIN; set it with 'hsmctl set-pin --user user')\n",
		     r->err);
	EXPECT_STREQ("", r->out);

	/* No source at all, and no terminal to ask on. */
	hsmctl(r, NULL, DEV, "key", "list", NULL);
	EXPECT_USAGE(*r, "no user PIN: give --pin-file FILE, set HSMCTL_PIN, or run on a terminal to be asked");
	/* Bad sources. */
	hsmctl(r, NULL, DEV, "key", "list", "--pin-file", "/nonexistent/pin", NULL);
	EXPECT_USAGE(*r, "cannot read the user PIN from /nonexistent/pin: No such file or directory");
	hsmctl(r, "HSMCTL_PIN=abc", DEV, "key", "list", NULL);
	EXPECT_USAGE(*r, "the user PIN from $HSMCTL_PIN must be 4 to 4096 bytes long");
	write_file("empty", "\n", path, sizeof(path));
	hsmctl(r, NULL, DEV, "key", "list", "--pin-file", path, NULL);
	EXPECT_USAGE(*r, "the user PIN from file");

	/* Without --user no login is made. */
	unlink(logpath);
	hsmctl(r, NULL, DEV, "login-status", NULL);
	EXPECT_EQ(0, r->status);
	EXPECT_STREQ("hsm0: not logged in\n", r->out);
	EXPECT_EQ(NULL, strstr(board_log(), "LOGIN"));
}

/*
 * The prompt: hsmctl runs on a pseudo-terminal as its controlling terminal;
 * the test answers the prompt and checks the PIN was not echoed.
 */
static int prompted(const char *answers[], int n, char *screen, size_t cap,
		    char *out, size_t outcap, const char *argv1, const char *argv2,
		    const char *argv3, const char *argv4, const char *argv5)
{
	int master, pipefd[2], st = -1, i = 0;
	size_t sl = 0, ol = 0;
	pid_t pid;

	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) || unlockpt(master) || pipe(pipefd))
		return -1;
	pid = fork();
	if (pid == 0) {
		char *argv[] = { "hsmctl", "-d", "/dev/null", (char *)argv1,
				 (char *)argv2, (char *)argv3, (char *)argv4,
				 (char *)argv5, NULL };
		int slave;

		setsid();
		slave = open(ptsname(master), O_RDWR);	/* our terminal now */
		if (slave < 0)
			_exit(126);
		setenv("LD_PRELOAD", HSMCTL_SHIM, 1);
		setenv("FAKE_HSM", "ok", 1);
		setenv("FAKE_HSM_LOG", logpath, 1);
		setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 1);
		unsetenv("HSMCTL_PIN");
		unsetenv("HSMCTL_NEW_PIN");
		dup2(pipefd[1], 1);
		dup2(slave, 2);
		close(pipefd[0]);
		close(master);
		execv(HSMCTL_BIN, argv);
		_exit(127);
	}
	close(pipefd[1]);
	/* Answer each prompt once it is on the screen (echo is off by then),
	 * until hsmctl closes its stdout; poll() bounds every wait. */
	for (;;) {
		struct pollfd p[2] = { { master, POLLIN, 0 }, { pipefd[0], POLLIN, 0 } };
		ssize_t r;

		if (poll(p, 2, 10000) <= 0)
			break;
		if (p[0].revents) {
			r = read(master, screen + sl, cap - 1 - sl);
			if (r <= 0) {
				close(master);	/* hsmctl is gone */
				master = -1;
			} else {
				sl += (size_t)r;
			}
			screen[sl] = '\0';
			if (master >= 0 && i < n && sl >= 2 &&
			    !strcmp(screen + sl - 2, ": ")) {
				/* a prompt ("... PIN: ", "... PIN again: ")
				 * is waiting: one answer per prompt */
				const char *q = screen;
				int seen = 0;

				while ((q = strstr(q, "PIN")) != NULL) {
					seen++;
					q += 3;
				}
				while (i < seen && i < n) {
					if (write(master, answers[i], strlen(answers[i])) < 0)
						break;
					i++;
				}
			}
		}
		if (p[1].revents) {
			r = read(pipefd[0], out + ol, outcap - 1 - ol);
			if (r <= 0)
				break;
			ol += (size_t)r;
			out[ol] = '\0';
		}
	}
	close(pipefd[0]);
	if (master >= 0)
		close(master);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* kernel-login, kernel-logout: PIN sources, errors, no login of the file. */
TEST_F(k, kernel_login)
{
	struct run *r = &self->r;

	unlink(logpath);
	hsmctl(r, NULL, DEV, "kernel-login", "--pin-file", self->pinfile, NULL);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_STREQ("hsm0: kernel session logged in as user\n", r->out);
	/* The PIN went to the kernel session, not to the file's session. */
	EXPECT_STREQ("KERNEL_LOGIN user=1\n", board_log());

	hsmctl(r, "HSMCTL_PIN=wheel-pin", DEV, "--json", "kernel-login",
	       "--user", "wheel", NULL);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_STREQ("{\"device\":\"hsm0\",\"kernel_session\":{\"logged_in\":true,\"user\":\"wheel\"}}\n",
		     r->out);
	EXPECT_TRUE(json_valid(r->out));

	hsmctl(r, "HSMCTL_PIN=wrong-pin", DEV, "kernel-login", NULL);
	EXPECT_EQ(HSMCTL_EXIT_BOARD, r->status);
	EXPECT_NE(NULL, strstr(r->err, "hsmctl: kernel-login: logging in the kernel session as user on /dev/null: board error PIN_INCORRECT"))
		TH_LOG("%s", r->err);
	EXPECT_STREQ("", r->out);

	/* so cannot use keys: refused before anything is asked. */
	unlink(logpath);
	hsmctl(r, "HSMCTL_PIN=so-pin-1", DEV, "kernel-login", "--user", "so", NULL);
	EXPECT_EQ(HSMCTL_EXIT_PERMISSION, r->status);
	EXPECT_STREQ("", board_log());

	/* Without CAP_SYS_ADMIN: exit 4 and why. */
	hsmctl(r, "FAKE_HSM_NO_SYS_ADMIN=1", DEV, "kernel-login", "--pin-file",
	       self->pinfile, NULL);
	EXPECT_EQ(HSMCTL_EXIT_PERMISSION, r->status);
	EXPECT_NE(NULL, strstr(r->err, "needs CAP_SYS_ADMIN")) TH_LOG("%s", r->err);
	hsmctl(r, "FAKE_HSM_NO_SYS_ADMIN=1", DEV, "kernel-logout", NULL);
	EXPECT_EQ(HSMCTL_EXIT_PERMISSION, r->status);
	EXPECT_NE(NULL, strstr(r->err, "needs CAP_SYS_ADMIN")) TH_LOG("%s", r->err);

	/* No PIN source and no terminal; a bad file. */
	hsmctl(r, NULL, DEV, "kernel-login", NULL);
	EXPECT_USAGE(*r, "no user PIN");
	hsmctl(r, NULL, DEV, "kernel-login", "--pin-file", "/nonexistent/pin", NULL);
	EXPECT_USAGE(*r, "cannot read the user PIN from /nonexistent/pin");
	hsmctl(r, PIN, DEV, "kernel-logout", "extra", NULL);
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r->status);

	unlink(logpath);
	hsmctl(r, NULL, DEV, "kernel-logout", NULL);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_STREQ("hsm0: kernel session logged out\n", r->out);
	EXPECT_STREQ("KERNEL_LOGOUT\n", board_log());
	hsmctl(r, NULL, DEV, "--json", "kernel-logout", NULL);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_STREQ("{\"device\":\"hsm0\",\"kernel_session\":{\"logged_in\":false,\"user\":\"none\"}}\n",
		     r->out);
}

TEST_F(k, pin_prompt)
{
	const char *one[] = { "user-pin\n" };
	const char *set[] = { "wheel-pin\n", "fresh-pin\n", "fresh-pin\n" };
	const char *differ[] = { "wheel-pin\n", "fresh-pin\n", "other-pin\n" };
	char screen[4096] = "", out[4096] = "";

	EXPECT_EQ(0, prompted(one, 1, screen, sizeof(screen), out, sizeof(out),
			      "login-status", "--user", "user", NULL, NULL));
	EXPECT_STREQ("hsm0: logged in as user\n", out);
	EXPECT_NE(NULL, strstr(screen, "user PIN: ")) TH_LOG("%s", screen);
	EXPECT_EQ(NULL, strstr(screen, "user-pin")) TH_LOG("echoed: %s", screen);

	/* set-pin asks the new PIN twice. */
	screen[0] = out[0] = '\0';
	EXPECT_EQ(0, prompted(set, 3, screen, sizeof(screen), out, sizeof(out),
			      "set-pin", "--user", "user", NULL, NULL));
	EXPECT_NE(NULL, strstr(screen, "wheel PIN: ")) TH_LOG("%s", screen);
	EXPECT_NE(NULL, strstr(screen, "new user PIN again: ")) TH_LOG("%s", screen);
	EXPECT_EQ(NULL, strstr(screen, "fresh-pin"));
	EXPECT_NE(NULL, strstr(board_log(), "SET_PIN user=1 pin=fresh-pin\n"));
	screen[0] = out[0] = '\0';
	EXPECT_EQ(HSMCTL_EXIT_USAGE, prompted(differ, 3, screen, sizeof(screen), out,
					      sizeof(out), "set-pin", "--user",
					      "user", NULL, NULL));
	EXPECT_NE(NULL, strstr(screen, "the two new user PINs differ")) TH_LOG("%s", screen);
}

TEST_F(k, set_pin)
{
	struct run *r = &self->r;
	char wheel[128], newpin[128];

	write_file("wheel", "wheel-pin\n", wheel, sizeof(wheel));
	write_file("new", "brand-new-pin\n", newpin, sizeof(newpin));
	hsmctl(r, NULL, DEV, "set-pin", "--user", "so", "--pin-file", wheel,
	       "--new-pin-file", newpin, NULL);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_STREQ("hsm0: so PIN set\n", r->out);
	EXPECT_STREQ("LOGIN user=3\nSET_PIN user=2 pin=brand-new-pin\n", board_log());

	/* SO sets the user PIN; the new PIN from the environment. */
	hsmctl(r, "HSMCTL_NEW_PIN=other-pin", DEV, "--json", "set-pin", "--user",
	       "user", "--as", "so", "--pin-file", newpin, NULL);
	/* the fake's SO PIN is so-pin-1, not the one just "set" */
	EXPECT_EQ(HSMCTL_EXIT_BOARD, r->status);
	write_file("so", "so-pin-1", newpin, sizeof(newpin));
	hsmctl(r, "HSMCTL_NEW_PIN=other-pin", DEV, "--json", "set-pin", "--user",
	       "user", "--as", "so", "--pin-file", newpin, NULL);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_STREQ("{\"device\":\"hsm0\",\"user\":\"user\",\"as\":\"so\",\"pin_set\":true}\n",
		     r->out);
	EXPECT_NE(NULL, strstr(board_log(), "SET_PIN user=1 pin=other-pin\n"));

	/* No new PIN and no terminal. */
	hsmctl(r, NULL, DEV, "set-pin", "--user", "user", "--pin-file", wheel, NULL);
	EXPECT_USAGE(*r, "no new user PIN: give --new-pin-file FILE, set HSMCTL_NEW_PIN");
	hsmctl(r, "HSMCTL_NEW_PIN=123", DEV, "set-pin", "--user", "user",
	       "--pin-file", wheel, NULL);
	EXPECT_USAGE(*r, "the new user PIN from $HSMCTL_NEW_PIN must be 4 to 4096");
}

TEST_F(k, generate)
{
	struct run *r = &self->r;
	const char *log;

	hsmctl(r, PIN, DEV, "key", "generate", "ec", "P-384", "--token",
	       "--label", "zone key/1;x", "--id", "0A0b", NULL);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_STREQ("uuid:   54545454-5454-5454-5454-545454545454\n"
		     "type:   ec-private\n"
		     "curve:  P-384\n"
		     "flags:  sign,token\n"
		     "label:  zone key/1;x\n"
		     "id:     0a0b\n"
		     "uri:    pkcs11:object=zone%20key%2F1%3Bx;id=%0A%0B;type=private\n"
		     "dnssec: algorithm 14 (ECDSAP384SHA384), key tag 2185 as ZSK, 2186 as KSK\n",
		     r->out);
	EXPECT_STREQ("", r->err);
	log = board_log();
	EXPECT_NE(NULL, strstr(log, "LOGIN user=1\nGENERATE alg=2 bits=0 exp=0 curve=2 flags=0x9\n"))
		TH_LOG("%s", log);
	/* The PKCS#11 attributes of §7.8: class, key type (CK_ULONG,
	 * native), token, private, sensitive, sign, extractable, local,
	 * label, id. */
	EXPECT_NE(NULL, strstr(log, "SET_ATTRS n=10 0x0=0300000000000000 0x100=0300000000000000 "
			       "0x1=01 0x2=01 0x103=01 0x108=01 0x162=00 0x163=01 "
			       "0x3=7a6f6e65206b65792f313b78 0x102=0a0b\n")) TH_LOG("%s", log);

	hsmctl(r, PIN, DEV, "--json", "key", "generate", "rsa", "2048",
	       "--exportable", NULL);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_STREQ("{\"uuid\":\"54545454-5454-5454-5454-545454545454\",\"type\":\"rsa-private\","
		     "\"algorithm\":\"rsa\",\"bits\":2048,\"flags\":[\"sign\",\"exportable\"],"
		     "\"flags_value\":33,\"token\":false,"
		     "\"uri\":\"pkcs11:type=private\",\"dnssec\":{\"algorithm\":8,"
		     "\"algorithm_name\":\"RSASHA256\",\"key_tag_zsk\":9394,\"key_tag_ksk\":9395}}\n",
		     r->out);
	EXPECT_NE(NULL, strstr(r->err, "session key"));
	EXPECT_TRUE(json_valid(r->out));
	EXPECT_NE(NULL, strstr(board_log(), "GENERATE alg=1 bits=2048 exp=0 curve=0 flags=0x21\n"
			       "SET_ATTRS n=8 0x0=0300000000000000 0x100=0000000000000000 0x1=00 "));

	/* Attributes refused: the key is taken back. */
	hsmctl(r, "FAKE_HSM_SET_ATTRS_FAIL=1", DEV, "key", "generate", "ec",
	       "p256", "--label", "x", "--pin-file", self->pinfile, NULL);
	EXPECT_EQ(HSMCTL_EXIT_BOARD, r->status);
	EXPECT_NE(NULL, strstr(r->err, "(key deleted): board error ALLOCATION_FAILURE"))
		TH_LOG("%s", r->err);
	EXPECT_NE(NULL, strstr(board_log(), "DELETE 54545454545454545454545454545454\n"));
	EXPECT_STREQ("", r->out);
}

TEST_F(k, list_and_info)
{
	struct run *r = &self->r;

	hsmctl(r, PIN, DEV, "key", "list", NULL);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	/* The URI column, as the README promises; no token without an id. */
	/* ALG and TAG: the DNSSEC algorithm, the key tags as ZSK/KSK. */
	EXPECT_STREQ("UUID                                  TYPE         SIZE   ALG  TAG          FLAGS                  LABEL  ID    URI\n"
		     "11111111-1111-4111-8111-111111111111  ec-private   P-256  13   44770/44771  sign,token             zsk    0102  pkcs11:object=zsk;id=%01%02;type=private\n"
		     "22222222-2222-4222-8222-222222222222  rsa-private  2048   8    9394/9395    sign,token,exportable  ksk    -     pkcs11:object=ksk;type=private\n"
		     "33333333-3333-4333-8333-333333333333  ec-private   P-384  14   2185/2186    sign                   dup    -     pkcs11:object=dup;type=private\n"
		     "44444444-4444-4444-8444-444444444444  ec-private   P-256  13   44770/44771  sign,token             dup    -     pkcs11:object=dup;type=private\n"
		     /* A KEKEK signs nothing: no DNSSEC algorithm or tags. */
		     "55555555-5555-4555-8555-555555555555  rsa-private  2048   -    -            keyenc,token           kekek  -     pkcs11:object=kekek;type=private\n",
		     r->out);
	hsmctl(r, PIN, DEV, "key", "list", "--session", NULL);
	EXPECT_EQ(0, r->status);
	EXPECT_NE(NULL, strstr(r->out, "33333333"));
	EXPECT_EQ(NULL, strstr(r->out, "11111111"));
	hsmctl(r, PIN, DEV, "--json", "key", "list", "--token", NULL);
	EXPECT_EQ(0, r->status);
	EXPECT_TRUE(json_valid(r->out)) TH_LOG("%s", r->out);
	EXPECT_EQ(NULL, strstr(r->out, "33333333"));
	EXPECT_NE(NULL, strstr(r->out, "{\"uuid\":\"11111111-1111-4111-8111-111111111111\","
			       "\"type\":\"ec-private\",\"algorithm\":\"ec\",\"curve\":\"P-256\","
			       "\"bits\":256,\"flags\":[\"sign\",\"token\"],\"flags_value\":9,"
			       "\"token\":true,\"label\":\"zsk\",\"id\":\"0102\","
			       "\"uri\":\"pkcs11:object=zsk;id=%01%02;type=private\","
			       "\"dnssec\":{\"algorithm\":13,\"algorithm_name\":\"ECDSAP256SHA256\","
			       "\"key_tag_zsk\":44770,\"key_tag_ksk\":44771}}"));

	hsmctl(r, PIN, DEV, "key", "info", "label:ksk", NULL);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_NE(NULL, strstr(r->out, "uuid:   22222222-2222-4222-8222-222222222222\n"
			       "type:   rsa-private\nbits:   2048\n"));
	EXPECT_NE(NULL, strstr(r->out, "\ndnssec: algorithm 8 (RSASHA256), key tag 9394 as ZSK, 9395 as KSK\n"))
		TH_LOG("%s", r->out);
	hsmctl(r, PIN, DEV, "--json", "key", "info", "11111111-1111-4111-8111-111111111111", NULL);
	EXPECT_EQ(0, r->status);
	EXPECT_TRUE(json_valid(r->out));

	/* Names that do not resolve. */
	hsmctl(r, PIN, DEV, "key", "info", "label:nope", NULL);
	EXPECT_EQ(HSMCTL_EXIT_NO_KEY, r->status);
	EXPECT_STREQ("hsmctl: key info: no key labelled 'nope' visible to user\n", r->err);
	hsmctl(r, PIN, DEV, "key", "info", "99999999-1111-4111-8111-111111111111", NULL);
	EXPECT_EQ(HSMCTL_EXIT_NO_KEY, r->status);
	EXPECT_STREQ("hsmctl: key info: no key 99999999-1111-4111-8111-111111111111 visible to user on /dev/null\n",
		     r->err);
	hsmctl(r, PIN, DEV, "key", "delete", "label:dup", NULL);
	EXPECT_EQ(HSMCTL_EXIT_USAGE, r->status);
	EXPECT_STREQ("hsmctl: key delete: 2 keys are labelled 'dup'; name one by UUID: "
		     "33333333-3333-4333-8333-333333333333 44444444-4444-4444-8444-444444444444\n",
		     r->err);
	EXPECT_EQ(NULL, strstr(board_log(), "DELETE"));
}

TEST_F(k, pubkey_sign_delete)
{
	struct run *r = &self->r;
	char path[128];

	hsmctl(r, PIN, DEV, "key", "pubkey", "label:zsk", NULL);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_EQ(0, strncmp(r->out, "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE", 63));
	EXPECT_NE(NULL, strstr(r->out, "==\n-----END PUBLIC KEY-----\n"));
	hsmctl(r, PIN, DEV, "key", "pubkey", "label:ksk", "--der", NULL);
	EXPECT_EQ(0, r->status);
	EXPECT_EQ(0x30, (unsigned char)r->out[0]);
	hsmctl(r, PIN, DEV, "--json", "key", "pubkey", "label:ksk", NULL);
	EXPECT_EQ(0, r->status);
	EXPECT_TRUE(json_valid(r->out));
	EXPECT_NE(NULL, strstr(r->out, "\"pem\":\"-----BEGIN PUBLIC KEY-----\\nMIIBIjAN"));

	/* The fake board "signs" by echoing its input: RSA gets the DER
	 * DigestInfo, ECDSA the digest. SHA-256("abc"): */
#define ABC256 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	hsmctl(r, PIN, DEV, "key", "sign", "label:ksk", "--digest", ABC256, NULL);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_STREQ("3031300d060960864801650304020105000420" ABC256 "\n", r->out);
	hsmctl(r, PIN, DEV, "key", "sign", "label:zsk", "--digest", "0x" ABC256, NULL);
	EXPECT_EQ(0, r->status);
	EXPECT_STREQ(ABC256 "\n", r->out);
	write_file("abc", "abc", path, sizeof(path));
	hsmctl(r, PIN, DEV, "--json", "key", "sign", "label:zsk", "--in", path, NULL);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_STREQ("{\"uuid\":\"11111111-1111-4111-8111-111111111111\",\"hash\":\"sha256\","
		     "\"digest\":\"" ABC256 "\",\"format\":\"ecdsa-r-s\","
		     "\"signature\":\"" ABC256 "\"}\n", r->out);
	hsmctl(r, PIN, DEV, "key", "sign", "label:ksk", "--hash", "sha512", "--in", path, NULL);
	EXPECT_EQ(0, r->status);
	/* DigestInfo(SHA-512("abc")) */
	EXPECT_EQ(0, strncmp(r->out, "3051300d060960864801650304020305000440ddaf35a193617aba", 54))
		TH_LOG("%s", r->out);
	hsmctl(r, PIN, DEV, "key", "sign", "label:ksk", "--in", path, "--raw", NULL);
	EXPECT_EQ(0, r->status);
	EXPECT_EQ(0, memcmp(r->out, "\x30\x31\x30\x0d", 4));
	/* Digest too long for the curve: refused, the board does not truncate. */
	hsmctl(r, PIN, DEV, "key", "sign", "label:zsk", "--hash", "sha384", "--in", path, NULL);
	EXPECT_USAGE(*r, "a sha384 digest is too long for P-256");
	/* P-384 keys default to SHA-384. */
	hsmctl(r, PIN, DEV, "key", "sign", "33333333-3333-4333-8333-333333333333",
	       "--in", path, NULL);
	EXPECT_EQ(0, r->status);
	EXPECT_EQ(97u, strlen(r->out));
	/* A missing input is a usage error, before the board is touched. */
	hsmctl(r, PIN, DEV, "key", "sign", "label:zsk", "--in", "/nonexistent", NULL);
	EXPECT_USAGE(*r, "cannot read --in /nonexistent: No such file");

	hsmctl(r, PIN, DEV, "key", "delete", "label:zsk", NULL);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_STREQ("deleted 11111111-1111-4111-8111-111111111111\n", r->out);
	hsmctl(r, PIN, DEV, "--json", "key", "delete", "22222222-2222-4222-8222-222222222222", NULL);
	EXPECT_EQ(0, r->status);
	EXPECT_STREQ("{\"uuid\":\"22222222-2222-4222-8222-222222222222\",\"deleted\":true}\n", r->out);
	EXPECT_NE(NULL, strstr(board_log(), "DELETE 11111111111141118111111111111111\n"));
}

TEST(uri_encoding)
{
	static const unsigned char id[] = { 0x00, 0xff, 0x41 };
	char *u;
	char buf[6];

	u = pkcs11_uri("Cryptech HSM hsm0", (const unsigned char *)"a-b.c_d~e", 9,
		       id, sizeof(id), 0);
	EXPECT_STREQ("pkcs11:token=Cryptech%20HSM%20hsm0;object=a-b.c_d~e;id=%00%FF%41;type=private", u);
	free(u);
	/* Every reserved or non-ASCII byte is escaped, the label exactly. */
	u = pkcs11_uri("t", (const unsigned char *)"a;b/c?d%e=f\xc3\xa9\0g", 15, NULL, 0, 0);
	EXPECT_STREQ("pkcs11:token=t;object=a%3Bb%2Fc%3Fd%25e%3Df%C3%A9%00g;type=private", u);
	free(u);
	u = pkcs11_uri("t", NULL, 0, NULL, 0, 0);
	EXPECT_STREQ("pkcs11:token=t;type=private", u);
	free(u);
	/* A public key's row names the public-key object. */
	u = pkcs11_uri("t", (const unsigned char *)"k", 1, NULL, 0, 1);
	EXPECT_STREQ("pkcs11:token=t;object=k;type=public", u);
	free(u);
	buf[0] = '\0';
	EXPECT_EQ(-ENOSPC, pct_append(buf, sizeof(buf), (const unsigned char *)"  ", 2, 0));
}

TEST(encoders)
{
	unsigned char *b;
	size_t n;
	char *s;

	s = base64_encode((const unsigned char *)"", 0);
	EXPECT_STREQ("", s);
	free(s);
	s = base64_encode((const unsigned char *)"f", 1);
	EXPECT_STREQ("Zg==", s);
	free(s);
	s = base64_encode((const unsigned char *)"fo", 2);
	EXPECT_STREQ("Zm8=", s);
	free(s);
	s = base64_encode((const unsigned char *)"foobar", 6);
	EXPECT_STREQ("Zm9vYmFy", s);
	free(s);
	ASSERT_EQ(0, hex_decode("0A0b", &b, &n));
	EXPECT_EQ(2u, n);
	EXPECT_EQ(0x0a, b[0]);
	free(b);
	EXPECT_EQ(-EINVAL, hex_decode("", &b, &n));
	EXPECT_EQ(-EINVAL, hex_decode("0x", &b, &n));
	EXPECT_EQ(-EINVAL, hex_decode("a", &b, &n));
	EXPECT_EQ(-EINVAL, hex_decode("zz", &b, &n));
	s = text_safe((const unsigned char *)"ok \x1b[31m\\ caf\xc3\xa9 \xc2\x9b \xff", 20);
	EXPECT_STREQ("ok \\x1b[31m\\x5c caf\xc3\xa9 \\xc2\\x9b \\xff", s);
	free(s);
}

TEST_HARNESS_MAIN
