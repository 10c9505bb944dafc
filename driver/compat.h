/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cryptech_hsm: the differences between the kernel versions the module is
 * built for, in one place. The module is developed and tested on 6.1
 * (Debian 12).
 *
 * Asymmetric signatures: up to 6.12, sign and verify are operations of
 * struct akcipher_alg, which is what akcipher.c implements. 6.13 moved
 * them to struct sig_alg (crypto_sig) and left akcipher with encrypt and
 * decrypt only; there HSM_HAVE_AKCIPHER_SIG is 0, akcipher.c registers
 * nothing and says so once at load.
 */
#ifndef CRYPTECH_HSM_COMPAT_H
#define CRYPTECH_HSM_COMPAT_H

#include <linux/version.h>

#if LINUX_VERSION_MAJOR > 6 || \
	(LINUX_VERSION_MAJOR == 6 && LINUX_VERSION_PATCHLEVEL >= 13)
#define HSM_HAVE_AKCIPHER_SIG	0
#else
#define HSM_HAVE_AKCIPHER_SIG	1
#endif

#endif /* CRYPTECH_HSM_COMPAT_H */
