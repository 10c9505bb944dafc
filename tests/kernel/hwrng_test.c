// SPDX-License-Identifier: GPL-2.0
/*
 * The board as a hwrng (issue 10 point 6): "cryptech-N" is listed by the
 * hwrng core while board N is attached and READY and gone after a detach or
 * an unplug; selected through rng_current, /dev/hwrng reads come from the
 * board's GET_RANDOM; the quality parameter; unplugging the board under a
 * reader of /dev/hwrng, also one whose request the board is still working
 * on, ends the read with ENODEV at once. Kernel warnings fail the run
 * (tests/vm/run checks the log). Group "hwrng"; one emulator board.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "kselftest_harness.h"
#include "hsm_ioctl.h"

#define RNG_SYS		"/sys/class/misc/hw_random/"
#define QUALITY_PARAM	"/sys/module/cryptech_hsm/parameters/quality"
#define READ_LEN	4096
#define REPLUG_MS	20000

/* Read a sysfs file into @buf, without the trailing newline. */
static int read_sys(const char *path, char *buf, size_t size)
{
	long n = hsm_read_file(path, buf, size - 1);

	if (n < 0)
		return (int)n;
	buf[n] = 0;
	while (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	return 0;
}

/* Whether rng_available lists @name as a whole word. */
static bool rng_listed(const char *name)
{
	char buf[4096], *tok, *save;

	if (read_sys(RNG_SYS "rng_available", buf, sizeof(buf)))
		return false;
	for (tok = strtok_r(buf, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save))
		if (!strcmp(tok, name))
			return true;
	return false;
}

static bool rng_current_is(const char *name)
{
	char buf[256];

	return !read_sys(RNG_SYS "rng_current", buf, sizeof(buf)) &&
	       !strcmp(buf, name);
}

static int rng_select(const char *name)
{
	return hsm_write_file(RNG_SYS "rng_current", name, strlen(name));
}

/* The board's count of GET_RANDOM requests, or -1. */
static long emu_get_random(int board)
{
	static char js[65536];

	if (hsm_test_board_ctl(board, "stats", js, sizeof(js)))
		return -1;
	return hsm_json_func_requests(js, "GET_RANDOM");
}

/* Read exactly @len bytes of /dev/hwrng; 0 or -errno. */
static int read_hwrng(void *buf, size_t len)
{
	int fd = open("/dev/hwrng", O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	int err = 0;

	if (fd < 0)
		return -errno;
	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			break;
		}
		got += n;
	}
	close(fd);
	return err;
}

/* A reader of /dev/hwrng, until a read fails or it is told to stop. */
struct reader {
	pthread_t t;
	atomic_long bytes;
	atomic_bool stop;
	atomic_bool ended;
	int err;		/* errno of the read that failed, or 0 */
	long ended_ms;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	char buf[64];
	int fd = open("/dev/hwrng", O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		r->err = errno;
	} else {
		while (!atomic_load(&r->stop)) {
			ssize_t n = read(fd, buf, sizeof(buf));

			if (n <= 0) {
				r->err = n < 0 ? errno : EIO;
				break;
			}
			atomic_fetch_add(&r->bytes, n);
		}
		close(fd);
	}
	r->ended_ms = hsm_test_now_ms();
	atomic_store(&r->ended, true);
	return NULL;
}

static int reader_start(struct reader *r)
{
	memset(r, 0, sizeof(*r));
	return pthread_create(&r->t, NULL, reader_main, r) ? -1 : 0;
}

FIXTURE(hwrng) {
	struct hsm_board_desc d;
	char name[32];
};

static void board_name(const struct hsm_board_desc *d, char *name, size_t n)
{
	snprintf(name, n, "cryptech-%u", d->index);
}

FIXTURE_SETUP(hwrng)
{
	hsm_t_detach_all();
	/* An earlier test may have failed with the cable pulled. */
	if (!hsm_path_exists("/dev/ttyUSB0"))
		hsm_test_run("tests/vm/vmctl plug 0", NULL, 0);
	ASSERT_TRUE(hsm_wait_until(hsm_path_exists("/dev/ttyUSB0"), REPLUG_MS));
	ASSERT_EQ(0, hsm_t_attach(0, &self->d));
	board_name(&self->d, self->name, sizeof(self->name));
}

FIXTURE_TEARDOWN(hwrng)
{
	hsm_test_board_set(0, "service_ms.GET_RANDOM", 0);
	hsm_write_file(QUALITY_PARAM, "0", 1);
	hsm_t_detach_all();
}

/* Listed while attached, not after the detach; the first board is 0. */
TEST_F(hwrng, listed_while_attached)
{
	ASSERT_EQ(0, self->d.index);
	ASSERT_STREQ("cryptech-0", self->name);
	ASSERT_TRUE(rng_listed(self->name));

	ASSERT_EQ(0, hsm_detach(self->d.index, NULL, 0));
	/* Unregistered by the teardown the DETACH itself waits for. */
	ASSERT_FALSE(rng_listed(self->name));
	ASSERT_FALSE(rng_current_is(self->name));
}

/* Selected, /dev/hwrng reads the board's GET_RANDOM. */
TEST_F(hwrng, dev_hwrng_reads_the_board)
{
	static unsigned char a[READ_LEN], b[READ_LEN];
	long before, after;

	ASSERT_EQ(0, rng_select(self->name));
	ASSERT_TRUE(rng_current_is(self->name));
	before = emu_get_random(0);
	ASSERT_LE(0, before);

	ASSERT_EQ(0, read_hwrng(a, sizeof(a)));
	ASSERT_EQ(0, read_hwrng(b, sizeof(b)));
	EXPECT_FALSE(hsm_all_zero(a, sizeof(a)));
	EXPECT_FALSE(hsm_all_zero(b, sizeof(b)));
	EXPECT_NE(0, memcmp(a, b, sizeof(a)));

	after = emu_get_random(0);
	/* The core asks for at most a cache line or so per request. */
	ASSERT_LE(before + 2 * READ_LEN / 1024, after) {
		TH_LOG("GET_RANDOM requests: %ld before, %ld after", before,
		       after);
	}
}

/*
 * The parameter is readable, bounded to 0..1024, and a board attached
 * after a change registers with the new value, which the core reports as
 * rng_quality while the board's hwrng is current.
 */
TEST_F(hwrng, quality_parameter)
{
	char buf[64];

	ASSERT_EQ(0, read_sys(QUALITY_PARAM, buf, sizeof(buf)));
	ASSERT_STREQ("0", buf);
	EXPECT_NE(0, hsm_write_file(QUALITY_PARAM, "1025", 4));
	ASSERT_EQ(0, read_sys(QUALITY_PARAM, buf, sizeof(buf)));
	ASSERT_STREQ("0", buf);

	ASSERT_EQ(0, hsm_write_file(QUALITY_PARAM, "512", 3));
	ASSERT_EQ(0, read_sys(QUALITY_PARAM, buf, sizeof(buf)));
	ASSERT_STREQ("512", buf);
	ASSERT_EQ(0, hsm_detach(self->d.index, NULL, 0));
	ASSERT_EQ(0, hsm_t_attach(0, &self->d));
	board_name(&self->d, self->name, sizeof(self->name));
	ASSERT_TRUE(rng_listed(self->name));
	ASSERT_EQ(0, rng_select(self->name));
	ASSERT_EQ(0, read_sys(RNG_SYS "rng_quality", buf, sizeof(buf)));
	ASSERT_STREQ("512", buf);
}

/* Replug board 0, attach it again; its hwrng is back and reads. */
static void replug_and_read(struct __test_metadata *_metadata,
			    FIXTURE_DATA(hwrng) *self)
{
	static unsigned char a[READ_LEN];

	ASSERT_EQ(0, hsm_test_run("tests/vm/vmctl plug 0", NULL, 0));
	ASSERT_TRUE(hsm_wait_until(hsm_path_exists("/dev/ttyUSB0"),
				   REPLUG_MS));
	ASSERT_TRUE(hsm_wait_until(hsm_t_attach(0, &self->d) == 0, REPLUG_MS));
	board_name(&self->d, self->name, sizeof(self->name));
	/* The old board was freed in time to leave its index: cryptech-0. */
	EXPECT_STREQ("cryptech-0", self->name);
	ASSERT_TRUE(rng_listed(self->name));
	ASSERT_EQ(0, rng_select(self->name));
	ASSERT_EQ(0, read_hwrng(a, sizeof(a)));
	EXPECT_FALSE(hsm_all_zero(a, sizeof(a)));
}

/*
 * The hwrng of the VM itself (tests/vm/run gives the guest a virtio-rng),
 * which the core falls back to when the board's goes.
 */
#define FALLBACK_RNG	"virtio_rng.0"

/*
 * After the unplug: the board's hwrng is gone, the core fell back to the
 * VM's own, and /dev/hwrng reads from it. The reader's read that was on the
 * board ended with ENODEV; one that began after the fallback just worked.
 */
static void check_unplugged(struct __test_metadata *_metadata,
			    FIXTURE_DATA(hwrng) *self, struct reader *r)
{
	static unsigned char buf[READ_LEN];
	char cur[256];

	ASSERT_TRUE(hsm_wait_until(hsm_test_board_count() == 0, HSM_WAIT_MS));
	ASSERT_FALSE(rng_listed(self->name));
	ASSERT_EQ(0, read_sys(RNG_SYS "rng_current", cur, sizeof(cur)));
	ASSERT_STREQ(FALLBACK_RNG, cur);
	atomic_store(&r->stop, true);
	pthread_join(r->t, NULL);
	EXPECT_TRUE(r->err == 0 || r->err == ENODEV) {
		TH_LOG("reader: %s", strerror(r->err));
	}
	ASSERT_EQ(0, read_hwrng(buf, sizeof(buf)));
	EXPECT_FALSE(hsm_all_zero(buf, sizeof(buf)));
}

/* The cable pulled under a reader reading /dev/hwrng in a loop. */
TEST_F_TIMEOUT(hwrng, unplug_while_reading, 300)
{
	struct reader r;
	long before;
	int it;

	for (it = 0; it < 5; it++) {
		ASSERT_EQ(0, rng_select(self->name));
		before = emu_get_random(0);
		ASSERT_LE(0, before);
		ASSERT_EQ(0, reader_start(&r));
		/* Reading, and at a different point each round. */
		ASSERT_TRUE(hsm_wait_until(atomic_load(&r.bytes) >=
					   (it + 1) * 256 &&
					   emu_get_random(0) > before,
					   HSM_WAIT_MS));
		ASSERT_FALSE(atomic_load(&r.ended));
		ASSERT_EQ(0, hsm_test_run("tests/vm/vmctl unplug 0", NULL, 0));
		check_unplugged(_metadata, self, &r);
		replug_and_read(_metadata, self);
	}
}

/*
 * The board still working on the reader's request when the cable goes:
 * teardown fails the request at once (ENODEV), rather than the read
 * waiting for a reply that cannot come until op_timeout_ms (ETIMEDOUT).
 */
TEST_F_TIMEOUT(hwrng, unplug_releases_a_blocked_read, 300)
{
	struct hsm_board_desc now;
	struct reader r;
	long t0;

	ASSERT_EQ(0, rng_select(self->name));
	ASSERT_EQ(0, hsm_test_board_set(0, "service_ms.GET_RANDOM", 15000));
	ASSERT_EQ(0, reader_start(&r));
	ASSERT_TRUE(hsm_wait_until(hsm_get_board(self->d.index, &now, NULL,
						 0) == 0 &&
				   now.stats.in_flight >= 1, HSM_WAIT_MS));
	ASSERT_FALSE(atomic_load(&r.ended));
	t0 = hsm_test_now_ms();
	ASSERT_EQ(0, hsm_test_run("tests/vm/vmctl unplug 0", NULL, 0));
	ASSERT_TRUE(hsm_wait_until(atomic_load(&r.ended), 12000));
	EXPECT_GT(15000, r.ended_ms - t0);
	EXPECT_EQ(ENODEV, r.err) {
		TH_LOG("reader: %s", strerror(r.err));
	}
	check_unplugged(_metadata, self, &r);
	ASSERT_EQ(0, hsm_test_board_set(0, "service_ms.GET_RANDOM", 0));
	replug_and_read(_metadata, self);
}

/*
 * A user's session on the board goes on while /dev/hwrng is read in a
 * loop: the hwrng holds no lock that sessions need.
 */
TEST_F(hwrng, sessions_work_while_reading)
{
	unsigned char buf[32];
	struct reader r;
	int fd, i;

	ASSERT_EQ(0, rng_select(self->name));
	ASSERT_EQ(0, reader_start(&r));
	ASSERT_TRUE(hsm_wait_until(atomic_load(&r.bytes) >= 256, HSM_WAIT_MS));
	fd = hsm_t_open_dev(&self->d);
	ASSERT_LE(0, fd);
	for (i = 0; i < 20; i++)
		ASSERT_EQ(0, hsm_t_random(fd, buf, sizeof(buf), NULL));
	close(fd);
	ASSERT_FALSE(atomic_load(&r.ended));
	atomic_store(&r.stop, true);
	pthread_join(r.t, NULL);
	ASSERT_EQ(0, r.err);
}

HSM_TEST_HARNESS_MAIN
