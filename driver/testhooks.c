// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only delay points, built only with CRYPTECH_HSM_TEST_HOOKS=1 (the VM
 * tests build the module so; see tests/check.sh). They make race windows
 * wide enough to hit on purpose: for each point of enum hsm_delay_point,
 *
 *   /sys/kernel/debug/cryptech_hsm/delay_ms/<point>  (u32, 0 = off)
 *   /sys/kernel/debug/cryptech_hsm/hits/<point>      (count of delays taken)
 *   /sys/kernel/debug/cryptech_hsm/release           (write: end all delays)
 *
 * and one probe of the kernel session's helper, for the tests of in-kernel
 * users before there are any:
 *
 *   /sys/kernel/debug/cryptech_hsm/kernel_session    (write: "N private" or
 *       "N public"; the write fails with hsm_ksession_get()'s error for
 *       board N, e.g. EACCES for "private" while not logged in)
 *
 * A point with a non-zero delay counts a hit, then waits that long (at most
 * HSM_TEST_DELAY_MAX_MS) or until a write to "release". A test reads the
 * counter to know a thread is inside the window, acts, then releases it: a
 * wait for a condition, never a sleep.
 *
 * Locking: none; the values are read with READ_ONCE(), the counters and the
 * release generation are atomic. Every point is in process context where
 * sleeping is allowed.
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "hsm.h"

#define HSM_TEST_DELAY_MAX_MS	60000

static const char *const hsm_delay_names[HSM_DELAY_NR] = {
	[HSM_DELAY_ATTACH_SET_LDISC]	= "attach_set_ldisc",
	[HSM_DELAY_LDISC_OPEN]		= "ldisc_open",
	[HSM_DELAY_HANDSHAKE]		= "handshake",
	[HSM_DELAY_PUBLISH]		= "publish",
	[HSM_DELAY_SESSION_CLEANUP]	= "session_cleanup",
	[HSM_DELAY_DETACH]		= "detach",
	[HSM_DELAY_NL_DUMP]		= "nl_dump",
	[HSM_DELAY_IOCTL]		= "ioctl",
	[HSM_DELAY_AKC_SELFTEST]	= "akcipher_selftest",
	[HSM_DELAY_AKC_SIGN]		= "akcipher_sign",
	[HSM_DELAY_TX]			= "tx",
};

static u32 hsm_delay_ms[HSM_DELAY_NR];
static atomic_t hsm_delay_hits[HSM_DELAY_NR];
static atomic_t hsm_delay_release;	/* bumped by each write to "release" */
static DECLARE_WAIT_QUEUE_HEAD(hsm_delay_wq);
static struct dentry *hsm_test_dir;

static ssize_t hsm_release_write(struct file *file, const char __user *buf,
				 size_t len, loff_t *ppos)
{
	atomic_inc(&hsm_delay_release);
	wake_up_all(&hsm_delay_wq);
	return len;
}

/*
 * "N private" or "N public": take board N's kernel session as an in-kernel
 * user would for a private- or public-key operation, and give it back.
 */
static ssize_t hsm_ksession_probe_write(struct file *file,
					const char __user *ubuf, size_t len,
					loff_t *ppos)
{
	struct hsm_session *s;
	struct hsm_board *b;
	char buf[32], *kind;
	bool private_key;
	u32 index;
	int err;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	kind = strchr(strim(buf), ' ');
	if (!kind)
		return -EINVAL;
	*kind++ = '\0';
	if (!strcmp(kind, "private"))
		private_key = true;
	else if (!strcmp(kind, "public"))
		private_key = false;
	else
		return -EINVAL;
	err = kstrtou32(buf, 10, &index);
	if (err)
		return err;
	b = hsm_board_get_by_index(index);
	if (!b)
		return -ENODEV;
	s = hsm_ksession_get(b, private_key);
	if (IS_ERR(s)) {
		err = PTR_ERR(s);
	} else {
		hsm_ksession_put(b);
		err = 0;
	}
	hsm_board_put(b);
	return err ? err : len;
}

static const struct file_operations hsm_ksession_probe_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= hsm_ksession_probe_write,
	.llseek	= noop_llseek,
};

static const struct file_operations hsm_release_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= hsm_release_write,
	.llseek	= noop_llseek,
};

/**
 * hsm_test_delay_armed() - whether a test set a delay at a point
 * @point: the point
 *
 * For a point whose path must change while it is set (the transmit path
 * then goes through the work that can sleep). Any context.
 *
 * Return: true if the point's delay is non-zero.
 */
bool hsm_test_delay_armed(enum hsm_delay_point point)
{
	return point < HSM_DELAY_NR && READ_ONCE(hsm_delay_ms[point]);
}

/**
 * hsm_test_delay() - sleep at a named delay point if a test asked for it
 * @point: the point
 *
 * Process context only.
 */
void hsm_test_delay(enum hsm_delay_point point)
{
	int gen = atomic_read(&hsm_delay_release);
	u32 ms;

	if (point >= HSM_DELAY_NR)
		return;
	ms = min_t(u32, READ_ONCE(hsm_delay_ms[point]), HSM_TEST_DELAY_MAX_MS);
	if (!ms)
		return;
	atomic_inc(&hsm_delay_hits[point]);
	wait_event_idle_timeout(hsm_delay_wq,
				atomic_read(&hsm_delay_release) != gen,
				msecs_to_jiffies(ms));
}

/**
 * hsm_test_hooks_init() - create the debugfs files
 *
 * A missing debugfs only disables the hooks; it is not an error.
 */
void hsm_test_hooks_init(void)
{
	struct dentry *delay, *hits;
	int i;

	hsm_test_dir = debugfs_create_dir(HSM_DRV_NAME, NULL);
	delay = debugfs_create_dir("delay_ms", hsm_test_dir);
	hits = debugfs_create_dir("hits", hsm_test_dir);
	debugfs_create_file("release", 0200, hsm_test_dir, NULL,
			    &hsm_release_fops);
	debugfs_create_file("kernel_session", 0200, hsm_test_dir, NULL,
			    &hsm_ksession_probe_fops);
	for (i = 0; i < HSM_DELAY_NR; i++) {
		debugfs_create_u32(hsm_delay_names[i], 0600, delay,
				   &hsm_delay_ms[i]);
		debugfs_create_atomic_t(hsm_delay_names[i], 0400, hits,
					&hsm_delay_hits[i]);
	}
	pr_info("%s: built with test hooks (CRYPTECH_HSM_TEST_HOOKS=1): not for production\n",
		HSM_DRV_NAME);
}

/** hsm_test_hooks_exit() - remove the debugfs files */
void hsm_test_hooks_exit(void)
{
	debugfs_remove_recursive(hsm_test_dir);
}
