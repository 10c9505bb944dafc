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
 * nothing and says so once at load (HSM_NO_AKCIPHER_WHY), as on a kernel
 * built without the akcipher API at all (the checker kernel's config).
 */
#ifndef CRYPTECH_HSM_COMPAT_H
#define CRYPTECH_HSM_COMPAT_H

#include <linux/kconfig.h>
#include <linux/version.h>

#if !IS_REACHABLE(CONFIG_CRYPTO_AKCIPHER2)
#define HSM_HAVE_AKCIPHER_SIG	0
#define HSM_NO_AKCIPHER_WHY	"this kernel has no akcipher API (CONFIG_CRYPTO_AKCIPHER)"
#elif LINUX_VERSION_MAJOR > 6 || \
	(LINUX_VERSION_MAJOR == 6 && LINUX_VERSION_PATCHLEVEL >= 13)
#define HSM_HAVE_AKCIPHER_SIG	0
#define HSM_NO_AKCIPHER_WHY	"this kernel verifies through crypto_sig, not yet supported"
#else
#define HSM_HAVE_AKCIPHER_SIG	1
#endif

#endif /* CRYPTECH_HSM_COMPAT_H */
