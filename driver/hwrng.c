// SPDX-License-Identifier: GPL-2.0
/*
 * The board's random number generator as a hwrng, "cryptech-N" for
 * /dev/hsmN: registered when the board becomes READY, unregistered by its
 * teardown. Reads are GET_RANDOM requests of the board's kernel session
 * (ksession.c; hsm_session_random(), no login needed), never of a user's
 * open file. The hwrng is registered after the kernel session is created
 * and unregistered before it ends, both under board->state_mutex, so it
 * keeps its own pointer to the session without taking ksession_rwsem.
 *
 * Locking: board->state_mutex orders registration (hsm_board_publish())
 * against unregistration (hsm_board_kill()) and protects board->hwrng. The
 * read path takes none of the board's locks of its own: only the session's
 * lock, as every request of a session does, and board->lock for moments in
 * the RPC layer. So hwrng_unregister() may be called with state_mutex held
 * and with the tty's locks held (hangup). It waits for reads in progress;
 * those end at once, because teardown first marks the board GONE and fails
 * every request in flight with -ENODEV, and a GONE board sends nothing.
 */
#include <linux/hw_random.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>

#include "hsm.h"

/*
 * Bytes asked of the board per read: the hwrng core offers at least 32, and
 * at 16 or more bytes an all-zero answer (CSPRNG_BROKEN, retried by
 * hsm_session_random()) is vanishingly rare (protocol §5.3).
 */
#define HSM_HWRNG_MIN_READ	16U

/*
 * Entropy credited per 1024 bits, as the hwrng core counts it. 0 leaves it
 * to hw_random's default_quality (0, "credit nothing", on Debian 12): the
 * bytes come over a USB-serial line that nothing authenticates, so the
 * driver cannot tell a board's noise source from whatever a device posing
 * as a board sends. The bytes are mixed into the pool either way.
 */
static unsigned short hsm_hwrng_quality;

static int hsm_hwrng_quality_set(const char *val,
				 const struct kernel_param *kp)
{
	u16 q;
	int err;

	err = kstrtou16(val, 0, &q);
	if (err)
		return err;
	if (q > 1024)
		return -EINVAL;
	*(unsigned short *)kp->arg = q;
	return 0;
}

static const struct kernel_param_ops hsm_hwrng_quality_ops = {
	.set = hsm_hwrng_quality_set,
	.get = param_get_ushort,
};

module_param_cb(quality, &hsm_hwrng_quality_ops, &hsm_hwrng_quality, 0644);
MODULE_PARM_DESC(quality,
		 "Entropy of the boards' hwrng per 1024 bits (0..1024; 0: hw_random's default_quality). Boards attached later");

/**
 * struct hsm_hwrng - a board's hwrng
 * @rng:	registered with the hwrng core
 * @session:	the board's kernel session, for GET_RANDOM; not owned
 * @name:	"cryptech-N"
 */
struct hsm_hwrng {
	struct hwrng rng;
	struct hsm_session *session;
	char name[24];
};

/*
 * The hwrng core's read: up to @max bytes into @data. It may sleep only if
 * @wait is true; a board round trip always sleeps, so without @wait there
 * is nothing to give at once and the answer is 0 bytes.
 */
static int hsm_hwrng_read(struct hwrng *rng, void *data, size_t max,
			  bool wait)
{
	struct hsm_hwrng *h = container_of(rng, struct hsm_hwrng, rng);
	u32 len = min_t(size_t, max, CRYPTECH_HSM_RANDOM_MAX);
	u32 st;
	int err;

	if (!wait || len < HSM_HWRNG_MIN_READ)
		return 0;
	err = hsm_session_random(h->session, data, len, &st);
	return err ? err : len;
}

/**
 * hsm_hwrng_add() - register the board's hwrng
 * @b: board, READY, with its kernel session; the caller holds
 *     b->state_mutex
 *
 * The board works without one: a failure is logged, not returned.
 */
void hsm_hwrng_add(struct hsm_board *b)
{
	struct hsm_hwrng *h;
	int err = -ENOMEM;

	lockdep_assert_held(&b->state_mutex);
	if (!b->ksession)
		goto err;
	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		goto err;
	h->session = b->ksession;
	snprintf(h->name, sizeof(h->name), "cryptech-%d", b->index);
	h->rng.name = h->name;
	h->rng.read = hsm_hwrng_read;
	h->rng.quality = READ_ONCE(hsm_hwrng_quality);
	err = hwrng_register(&h->rng);
	if (err)
		goto err_free;
	b->hwrng = h;
	return;

err_free:
	kfree(h);
err:
	dev_warn(&b->dev, "no hwrng: error %d\n", err);
}

/**
 * hsm_hwrng_remove() - unregister the board's hwrng, if it has one
 * @b: board, GONE (its requests fail); the caller holds b->state_mutex
 *
 * Waits for reads in progress, which the GONE state ends at once. The
 * kernel session stays: hsm_ksession_stop() ends it after this.
 */
void hsm_hwrng_remove(struct hsm_board *b)
{
	struct hsm_hwrng *h = b->hwrng;

	lockdep_assert_held(&b->state_mutex);
	if (!h)
		return;
	b->hwrng = NULL;
	hwrng_unregister(&h->rng);
	kfree(h);
}
