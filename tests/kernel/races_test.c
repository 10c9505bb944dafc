// SPDX-License-Identifier: GPL-2.0
/*
 * Races, each repeated a bounded number of times (issue 4 point 7): unplug
 * during 16 concurrent operations, close racing the hangup, ioctls racing a
 * detach, module unload attempts while in use, and processes killed at
 * random points. Every ioctl returns success or ENODEV, nothing hangs beyond
 * its deadline, re-attach works afterwards; kernel warnings fail the run
 * (tests/vm/run checks the log). Group "races"; two emulator boards.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "kselftest_harness.h"
#include "hsm_ioctl.h"

#define F_SIGN		CRYPTECH_HSM_KEY_F_SIGN
#define F_PUBLIC	CRYPTECH_HSM_KEY_F_PUBLIC
#define NTHREADS	16
#define CLEANUP_MS	20000

FIXTURE(races) {
	struct hsm_board_desc d;
};

FIXTURE_SETUP(races)
{
	int fd;

	hsm_t_detach_all();
	ASSERT_TRUE(hsm_wait_until(hsm_path_exists("/dev/ttyUSB0"), 20000));
	ASSERT_EQ(0, hsm_t_attach(0, &self->d));
	fd = hsm_t_open_dev(&self->d);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, hsm_t_bringup(fd, 0));
	close(fd);
}

FIXTURE_TEARDOWN(races)
{
	hsm_test_board_set(0, "service_ms", 0);
	hsm_t_detach_all();
	if (!hsm_path_exists("/sys/module/cryptech_hsm")) {
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "insmod %s 2>&1",
			 getenv("HSM_VM_MODULE") ?: "./cryptech_hsm.ko");
		hsm_test_run(cmd, NULL, 0);
	}
}

/* One session hammering the board until it fails. */
struct worker {
	int fd;
	atomic_int *done;	/* shared count of completed operations */
	int ops;		/* close the file after this many (0: never) */
	int err;		/* the first failure */
	int bad;		/* failures other than ENODEV */
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint8_t rnd[32];
	int n = 0;

	for (;;) {
		int err;

		err = hsm_t_random(w->fd, rnd, sizeof(rnd), NULL);
		if (err) {
			w->err = err;
			w->bad += err != -ENODEV;
			/* Once gone, always gone. */
			if (hsm_t_login_status(w->fd) != -ENODEV)
				w->bad++;
			break;
		}
		atomic_fetch_add(w->done, 1);
		if (w->ops && ++n == w->ops) {
			if (close(w->fd))
				w->bad++;
			w->fd = -1;
			break;
		}
	}
	return NULL;
}

/*
 * Start NTHREADS sessions doing GET_RANDOM. Board resources (key handles,
 * volatile keys) held when the board vanishes can never be released on it,
 * so the rounds that pull the cable use none: twenty rounds of sixteen keys
 * would exhaust the board's 256 key slots.
 */
static int start_workers(const struct hsm_board_desc *d, struct worker *w,
			 pthread_t *t, atomic_int *done, int ops)
{
	int i;

	for (i = 0; i < NTHREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].done = done;
		w[i].ops = ops;
		w[i].fd = hsm_t_open_dev(d);
		if (w[i].fd < 0)
			return -1;
	}
	for (i = 0; i < NTHREADS; i++)
		if (pthread_create(&t[i], NULL, worker_main, &w[i]))
			return -1;
	return 0;
}

/* Replug board 0 and attach it again. */
static int replug(struct hsm_board_desc *d)
{
	if (hsm_test_run("tests/vm/vmctl plug 0", NULL, 0))
		return -1;
	if (!hsm_wait_until(hsm_path_exists("/dev/ttyUSB0"), 20000))
		return -1;
	return hsm_wait_until(hsm_t_attach(0, d) == 0, 20000) ? 0 : -1;
}

static void check_working(struct __test_metadata *_metadata,
			  const struct hsm_board_desc *d)
{
	uint8_t dig[32] = { 1 }, sig[64];
	struct hsm_t_key k;
	uint32_t sl = sizeof(sig);
	int fd = hsm_t_open_dev(d);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, hsm_t_gen_ec(fd, CRYPTECH_HSM_CURVE_P256, F_SIGN | F_PUBLIC, &k, NULL));
	ASSERT_EQ(0, hsm_t_sign(fd, k.handle, dig, 32, sig, &sl, NULL));
	close(fd);
}

/* Unplug the board while 16 sessions have operations in flight. */
TEST_F_TIMEOUT(races, unplug_during_16_concurrent_operations, 400)
{
	struct worker w[NTHREADS];
	pthread_t t[NTHREADS];
	struct hsm_board_desc now;
	atomic_int done;
	int it, i;

	/* A little service time keeps many requests on the board at once. */
	ASSERT_EQ(0, hsm_test_board_set(0, "service_ms.GET_RANDOM", 20));
	for (it = 0; it < 20; it++) {
		atomic_init(&done, 0);
		ASSERT_EQ(0, start_workers(&self->d, w, t, &done, 0));
		/* Unplug at a different point each round. */
		ASSERT_TRUE(hsm_wait_until(atomic_load(&done) >= it * 4 &&
					   hsm_get_board(self->d.index, &now, NULL, 0) == 0 &&
					   now.stats.in_flight >= 8, HSM_WAIT_MS));
		ASSERT_EQ(0, hsm_test_run("tests/vm/vmctl unplug 0", NULL, 0));
		for (i = 0; i < NTHREADS; i++) {
			pthread_join(t[i], NULL);
			EXPECT_EQ(-ENODEV, w[i].err);
			EXPECT_EQ(0, w[i].bad) {
				TH_LOG("round %d thread %d: %s", it, i, strerror(-w[i].err));
			}
			close(w[i].fd);
		}
		ASSERT_TRUE(hsm_wait_until(hsm_test_board_count() == 0, HSM_WAIT_MS));
		ASSERT_EQ(0, replug(&self->d)) {
			TH_LOG("round %d: re-attach failed", it);
		}
	}
	check_working(_metadata, &self->d);
}

/* Sessions close their files while the board hangs up under them. */
TEST_F_TIMEOUT(races, close_racing_hangup, 400)
{
	struct worker w[NTHREADS];
	pthread_t t[NTHREADS];
	atomic_int done;
	int it, i;

	for (it = 0; it < 20; it++) {
		atomic_init(&done, 0);
		/* Each worker closes its file after 1..16 operations. */
		ASSERT_EQ(0, start_workers(&self->d, w, t, &done, 0));
		for (i = 0; i < NTHREADS; i++)
			w[i].ops = 1 + (i + it) % NTHREADS;
		ASSERT_TRUE(hsm_wait_until(atomic_load(&done) >= NTHREADS + it * 3, HSM_WAIT_MS));
		ASSERT_EQ(0, hsm_test_run("tests/vm/vmctl unplug 0", NULL, 0));
		for (i = 0; i < NTHREADS; i++) {
			pthread_join(t[i], NULL);
			EXPECT_EQ(0, w[i].bad) {
				TH_LOG("round %d thread %d: %s", it, i, strerror(-w[i].err));
			}
			if (w[i].fd >= 0)
				EXPECT_EQ(0, close(w[i].fd));
		}
		ASSERT_TRUE(hsm_wait_until(hsm_test_board_count() == 0, HSM_WAIT_MS));
		ASSERT_EQ(0, replug(&self->d));
	}
	check_working(_metadata, &self->d);
}

/* A mix of commands in a loop, and opens, until the board is gone. */
struct mixer {
	const struct hsm_board_desc *d;
	atomic_int *done;
	atomic_bool *stop;
	bool keys;	/* also create, use and delete keys */
	int bad, last;
};

static void *mixer_main(void *arg)
{
	struct mixer *m = arg;
	uint8_t dig[32] = { 5 }, sig[64], rnd[32];
	struct cryptech_hsm_key_info ki;
	int fd = hsm_t_open_dev(m->d);

	if (fd < 0)
		return NULL;	/* lost the race with the detach: fine */
	while (!atomic_load(m->stop)) {
		struct hsm_t_key k;
		uint32_t sl = sizeof(sig);
		int err, nfd;

		err = 0;
		if (m->keys) {
			/* At most one key per thread is left on the board when
			 * the detach wins. */
			err = hsm_t_gen_ec(fd, CRYPTECH_HSM_CURVE_P256, F_SIGN | F_PUBLIC, &k,
					   NULL);
			if (!err)
				err = hsm_t_sign(fd, k.handle, dig, 32, sig, &sl, NULL);
			if (!err)
				err = hsm_t_key_info(fd, k.handle, &ki);
			if (!err)
				err = hsm_t_delete(fd, k.handle, NULL);
		}
		if (!err)
			err = hsm_t_random(fd, rnd, sizeof(rnd), NULL);
		if (!err) {
			err = hsm_t_login_status(fd);
			err = err < 0 ? err : 0;
		}
		if (err) {
			m->last = err;
			m->bad += err != -ENODEV;
			break;
		}
		atomic_fetch_add(m->done, 1);
		/* Opening races the detach too; a failed open is fine. */
		nfd = hsm_t_open_dev(m->d);
		if (nfd >= 0)
			close(nfd);
	}
	close(fd);
	return NULL;
}

TEST_F_TIMEOUT(races, ioctl_racing_detach, 400)
{
	struct mixer m[8];
	pthread_t t[8];
	atomic_int done;
	atomic_bool stop;
	int it, i;

	for (it = 0; it < 50; it++) {
		atomic_init(&done, 0);
		atomic_init(&stop, false);
		for (i = 0; i < 8; i++) {
			m[i] = (struct mixer){ .d = &self->d, .done = &done, .stop = &stop,
					       .keys = i < 2 };
			ASSERT_EQ(0, pthread_create(&t[i], NULL, mixer_main, &m[i]));
		}
		ASSERT_TRUE(hsm_wait_until(atomic_load(&done) >= it % 10, HSM_WAIT_MS));
		ASSERT_EQ(0, hsm_detach(self->d.index, NULL, 0));
		atomic_store(&stop, true);
		for (i = 0; i < 8; i++) {
			pthread_join(t[i], NULL);
			EXPECT_EQ(0, m[i].bad) {
				TH_LOG("round %d thread %d: %s", it, i, strerror(-m[i].last));
			}
		}
		ASSERT_EQ(0, hsm_t_attach(0, &self->d)) {
			TH_LOG("round %d: re-attach failed", it);
		}
	}
	check_working(_metadata, &self->d);
}

struct signer {
	int fd;
	struct hsm_t_key k;
	atomic_bool *stop;
	int bad;
};

static void *signer_main(void *arg)
{
	struct signer *s = arg;
	uint8_t dig[32] = { 6 }, sig[64];

	while (!atomic_load(s->stop)) {
		uint32_t sl = sizeof(sig);
		int err = hsm_t_sign(s->fd, s->k.handle, dig, 32, sig, &sl, NULL);

		if (err && err != -ENODEV)
			s->bad++;
		if (err)
			break;
	}
	return NULL;
}

static int rmmod(void)
{
	return hsm_test_run("rmmod cryptech_hsm 2>&1", NULL, 0);
}

static int insmod(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "insmod %s 2>&1", getenv("HSM_VM_MODULE") ?: "./cryptech_hsm.ko");
	return hsm_test_run(cmd, NULL, 0);
}

/* rmmod while files are open and requests in flight; while racing close
 * and detach; then unload, reload and attach again. */
TEST_F_TIMEOUT(races, module_unload_attempts_while_in_use, 400)
{
	struct signer s;
	atomic_bool stop;
	pthread_t t;
	int it, i, unloaded;

	for (it = 0; it < 20; it++) {
		atomic_init(&stop, false);
		memset(&s, 0, sizeof(s));
		s.stop = &stop;
		s.fd = hsm_t_open_dev(&self->d);
		ASSERT_GE(s.fd, 0);
		ASSERT_EQ(0, hsm_t_gen_ec(s.fd, CRYPTECH_HSM_CURVE_P256, F_SIGN | F_PUBLIC,
					  &s.k, NULL));
		ASSERT_EQ(0, pthread_create(&t, NULL, signer_main, &s));
		for (i = 0; i < 3; i++)
			ASSERT_NE(0, rmmod());
		atomic_store(&stop, true);
		pthread_join(t, NULL);
		EXPECT_EQ(0, s.bad);
		/* Close and detach race the unload attempts. */
		if (it % 2) {
			close(s.fd);
			ASSERT_EQ(0, hsm_detach(self->d.index, NULL, 0));
		} else {
			ASSERT_EQ(0, hsm_detach(self->d.index, NULL, 0));
			ASSERT_NE(0, rmmod());	/* the file still holds it */
			close(s.fd);
		}
		unloaded = hsm_wait_until(rmmod() == 0, HSM_WAIT_MS);
		ASSERT_TRUE(unloaded) {
			TH_LOG("round %d: rmmod kept failing", it);
		}
		ASSERT_FALSE(hsm_path_exists("/sys/module/cryptech_hsm"));
		ASSERT_EQ(0, insmod());
		ASSERT_EQ(0, hsm_t_attach(0, &self->d));
	}
	check_working(_metadata, &self->d);
}

/* Processes killed at random points of their work: nothing stays behind. */
TEST_F_TIMEOUT(races, kill9_at_random_points, 300)
{
	struct hsm_emu_stats st0, st1;
	struct hsm_board_desc now;
	unsigned int clients[20];
	uint64_t r0;
	int it, j;

	for (it = 0; it < 5; it++) {
		pid_t pids[4];
		int ready[4];

		ASSERT_EQ(0, hsm_test_emu_stats(0, &st0));
		for (j = 0; j < 4; j++) {
			int p[2];

			ASSERT_EQ(0, pipe(p));
			pids[j] = fork();
			ASSERT_GE(pids[j], 0);
			if (pids[j] == 0) {
				uint8_t dig[32] = { 4 }, sig[64];
				struct hsm_t_key k;
				int fd = hsm_t_open_dev(&self->d);

				close(p[0]);
				if (fd < 0 ||
				    hsm_t_login(fd, CRYPTECH_HSM_USER_NORMAL, HSM_USER_PIN, NULL) ||
				    hsm_t_gen_ec(fd, CRYPTECH_HSM_CURVE_P256, F_SIGN, &k, NULL) ||
				    write(p[1], "r", 1) != 1)
					_exit(1);
				/* Keep making keys and signing until killed. */
				for (;;) {
					uint32_t sl = sizeof(sig);

					hsm_t_gen_ec(fd, CRYPTECH_HSM_CURVE_P256, F_SIGN, &k, NULL);
					hsm_t_sign(fd, k.handle, dig, 32, sig, &sl, NULL);
				}
			}
			close(p[1]);
			ready[j] = p[0];
		}
		for (j = 0; j < 4; j++) {
			char c;

			ASSERT_EQ(1, read(ready[j], &c, 1));
			close(ready[j]);
		}
		ASSERT_EQ(0, hsm_test_emu_stats(0, &st1));
		ASSERT_EQ(0, hsm_get_board(self->d.index, &now, NULL, 0));
		r0 = now.stats.requests;
		for (j = 0; j < 4; j++) {
			int st;

			/* Stagger the kills by completed requests, not time. */
			ASSERT_TRUE(hsm_wait_until(hsm_get_board(self->d.index, &now, NULL, 0) == 0 &&
						   now.stats.requests >= r0 + j * 3,
						   HSM_WAIT_MS));
			kill(pids[j], SIGKILL);
			ASSERT_EQ(pids[j], waitpid(pids[j], &st, 0));
		}
		/* The four logins that appeared are the victims'. */
		for (j = 0; j < 4; j++)
			clients[it * 4 + j] = 0;
		for (j = 0; j < (int)st1.nclients; j++) {
			const struct hsm_emu_client *c = &st1.c[j];
			int k;

			if (c->user != CRYPTECH_HSM_USER_NORMAL || hsm_emu_client(&st0, c->client))
				continue;
			for (k = 0; k < 4; k++) {
				if (!clients[it * 4 + k]) {
					clients[it * 4 + k] = c->client;
					break;
				}
			}
		}
		for (j = 0; j < 4; j++) {
			ASSERT_NE(0, clients[it * 4 + j]);
			ASSERT_TRUE(hsm_test_emu_client_gone(0, clients[it * 4 + j], CLEANUP_MS)) {
				TH_LOG("round %d: client 0x%08x left behind", it, clients[it * 4 + j]);
			}
		}
	}
	ASSERT_TRUE(hsm_wait_until(hsm_get_board(self->d.index, &now, NULL, 0) == 0 &&
				   now.stats.sessions == 0, CLEANUP_MS));
	ASSERT_EQ(0, hsm_test_emu_stats(0, &st1));
	EXPECT_EQ(0, hsm_emu_logged_in(&st1));
	check_working(_metadata, &self->d);
}

HSM_TEST_HARNESS_MAIN
