// SPDX-License-Identifier: GPL-2.0
/*
 * The stable board identity's fallbacks (issue 7 point 4,
 * Documentation/userspace-api: CRYPTECH_HSM_BOARD_ID_*): a bridge without a
 * USB serial number is named by its USB path ("usb-1-1"), a board on a tty
 * that is not USB by the tty's name ("tty-pts0"). Group "identity-fallback":
 * one emulator board whose adapter reports no serial (tests/vm/run
 * --usb-serial 0=), and a second emulator started here on a pseudo-terminal.
 */
#include <limits.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "kselftest_harness.h"
#include "hsm_ioctl.h"
#include "hsm_hooks.h"

#define PTY_LINK	"/tmp/identity-pty-board"
#define PTY_STATE	"/tmp/identity-pty-state"

FIXTURE(fallback) {
	pid_t emu;
};

FIXTURE_SETUP(fallback)
{
	self->emu = -1;
	hsm_t_detach_all();
	ASSERT_TRUE(hsm_wait_until(hsm_path_exists("/dev/ttyUSB0"), 20000));
}

FIXTURE_TEARDOWN(fallback)
{
	hsm_t_detach_all();
	if (self->emu > 0) {
		kill(self->emu, SIGTERM);
		waitpid(self->emu, NULL, 0);
	}
}

/* BOARD_INFO and the netlink dump name board @d alike: @kind, @id. */
static void expect_identity(struct __test_metadata *_metadata,
			    const struct hsm_board_desc *d, const char *tty,
			    int kind, const char *id)
{
	struct cryptech_hsm_board_info bi;
	const struct hsm_nl_board *nb;
	struct hsm_nl_dump dump;
	int fd;

	fd = hsm_t_open_dev(d);
	ASSERT_LE(0, fd);
	HSM_INIT(bi);
	ASSERT_EQ(0, hsm_ioc(fd, CRYPTECH_HSM_IOC_BOARD_INFO, &bi));
	close(fd);
	EXPECT_STREQ(tty, bi.tty_name);
	EXPECT_EQ(kind, (int)bi.board_id_kind);
	EXPECT_STREQ(id, bi.board_id);

	ASSERT_EQ(0, hsm_nl_dump_boards(&dump));
	nb = hsm_nl_find(&dump, tty);
	ASSERT_NE(NULL, nb);
	ASSERT_TRUE(nb->has_board_id);
	EXPECT_STREQ(id, nb->board_id);
	EXPECT_EQ(kind, nb->board_id_kind);
}

/*
 * The sysfs name of the USB device above @tty ("1-1"): the first directory
 * up from the tty's device that has an idVendor file.
 */
static int usb_device_of(const char *tty, char *name, size_t len,
			 bool *has_serial)
{
	char link[PATH_MAX], dir[PATH_MAX], probe[PATH_MAX + 16];
	char *slash;

	snprintf(link, sizeof(link), "/sys/class/tty/%s/device", tty);
	if (!realpath(link, dir))
		return -errno;
	while ((slash = strrchr(dir, '/')) && slash != dir) {
		snprintf(probe, sizeof(probe), "%s/idVendor", dir);
		if (hsm_path_exists(probe)) {
			snprintf(probe, sizeof(probe), "%s/serial", dir);
			*has_serial = hsm_path_exists(probe);
			snprintf(name, len, "%s", slash + 1);
			return 0;
		}
		*slash = '\0';
	}
	return -ENOENT;
}

/* An adapter that reports no serial number: its USB path names the board. */
TEST_F(fallback, usb_path_when_the_adapter_has_no_serial)
{
	struct hsm_board_desc d;
	char usbdev[64], id[80];
	bool has_serial = true;

	ASSERT_EQ(0, usb_device_of("ttyUSB0", usbdev, sizeof(usbdev),
				   &has_serial));
	/* The run gave the adapter an empty serial: the USB core has none. */
	ASSERT_FALSE(has_serial);
	ASSERT_EQ(0, hsm_t_attach(0, &d));
	snprintf(id, sizeof(id), "usb-%s", usbdev);
	expect_identity(_metadata, &d, "ttyUSB0",
			CRYPTECH_HSM_BOARD_ID_USB_PATH, id);
}

/* Start the emulator on a pseudo-terminal; its slave's path in @pts. */
static pid_t start_pty_board(char *pts, size_t len)
{
	char *argv[] = {
		"emulator/cryptech-emu", "--state", PTY_STATE,
		"--pty", PTY_LINK, "--quiet", NULL,
	};
	ssize_t n;
	pid_t pid;

	unlink(PTY_LINK);
	if (mkdir(PTY_STATE, 0700) && errno != EEXIST)
		return -1;
	pid = fork();
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || !hsm_wait_until(hsm_path_exists(PTY_LINK), HSM_WAIT_MS))
		return -1;
	n = readlink(PTY_LINK, pts, len - 1);
	if (n < 0)
		return -1;
	pts[n] = '\0';
	return pid;
}

/*
 * A board on a tty that is not USB (here a pseudo-terminal, attached by
 * its owner with TIOCSETD): the tty's name names it.
 */
TEST_F(fallback, tty_name_for_a_board_without_usb)
{
	int ld = HSM_LDISC, ntty = N_TTY, fd;
	char pts[64], tty[64], id[80];
	struct hsm_board_desc d;
	struct termios t;

	self->emu = start_pty_board(pts, sizeof(pts));
	ASSERT_LT(0, self->emu) TH_LOG("the emulator did not create %s",
				       PTY_LINK);
	/* /dev/pts/N is the kernel's tty "ptsN" */
	ASSERT_EQ(0, strncmp(pts, "/dev/pts/", 9)) TH_LOG("%s", pts);
	snprintf(tty, sizeof(tty), "pts%s", pts + 9);

	fd = open(PTY_LINK, O_RDWR | O_NOCTTY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, tcgetattr(fd, &t));
	cfmakeraw(&t);
	ASSERT_EQ(0, tcsetattr(fd, TCSANOW, &t));
	ASSERT_EQ(0, ioctl(fd, TIOCSETD, &ld));
	ASSERT_TRUE(hsm_wait_until(hsm_test_find_board(tty, &d) == 0 &&
				   d.state == HSM_BOARD_READY, HSM_WAIT_MS))
		TH_LOG("no ready board on %s", tty);
	snprintf(id, sizeof(id), "/dev/%s", d.dev_name);
	ASSERT_TRUE(hsm_wait_until(hsm_path_exists(id), HSM_WAIT_MS));

	snprintf(id, sizeof(id), "tty-%s", tty);
	expect_identity(_metadata, &d, tty, CRYPTECH_HSM_BOARD_ID_TTY, id);

	ASSERT_EQ(0, ioctl(fd, TIOCSETD, &ntty));
	close(fd);
}

HSM_TEST_HARNESS_MAIN
