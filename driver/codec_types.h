/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SLIP and XDR codecs are built both into the module and into host unit
 * tests, so they see the kernel's fixed-width types either way.
 */
#ifndef CRYPTECH_CODEC_TYPES_H
#define CRYPTECH_CODEC_TYPES_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/string.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
typedef unsigned char u8;
typedef unsigned int u32;
#endif

#endif /* CRYPTECH_CODEC_TYPES_H */
