/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Argument generation for the ioctl fuzzers (tests/fuzz/): a seeded PRNG,
 * a table of the ioctls with the fields that matter to a fuzzer, and a
 * builder that starts from a well-formed argument and mutates it. All of
 * it is deterministic given the seed, so a failure replays with
 * HSM_FUZZ_SEED=<the printed seed>.
 */
#ifndef FUZZ_ARGS_H
#define FUZZ_ARGS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/cryptech_hsm.h>

#include "../kernel/hsm_ioctl.h"

/* ---- PRNG: splitmix64, one state per process ---------------------------- */

static __thread uint64_t fz_state;

static inline void fz_seed(uint64_t seed)
{
	fz_state = seed;
}

static inline uint64_t fz_next(void)
{
	uint64_t z = (fz_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static inline uint32_t fz_below(uint32_t n)
{
	return n ? (uint32_t)(fz_next() % n) : 0;
}

/* True with probability @pct percent. */
static inline int fz_pct(unsigned int pct)
{
	return fz_below(100) < pct;
}

/* ---- the ioctls ----------------------------------------------------------- */

#define FZ_NONE	0xffff
#define FZ_MAX_PTRS	3

/* A (pointer, length) pair inside a struct; len_off FZ_NONE: no length. */
struct fz_buf {
	uint16_t ptr_off, len_off;
	uint32_t len;		/* the well-formed length */
};

struct fz_ioctl {
	const char *name;
	unsigned long cmd;
	uint32_t size;
	uint16_t handle_off[2];	/* u32 key handles, FZ_NONE: none */
	uint16_t flags_off;	/* a u32 flags or selector field */
	struct fz_buf buf[FZ_MAX_PTRS];
	unsigned int weight;	/* how often it is picked, relative */
};

#define OFF(s, f)	((uint16_t)offsetof(struct s, f))
#define NOBUF		{ FZ_NONE, FZ_NONE, 0 }

static const struct fz_ioctl fz_ioctls[] = {
	{ "RANDOM", CRYPTECH_HSM_IOC_RANDOM, sizeof(struct cryptech_hsm_random),
	  { FZ_NONE, FZ_NONE }, FZ_NONE,
	  { { OFF(cryptech_hsm_random, buf), OFF(cryptech_hsm_random, len), 32 },
	    NOBUF, NOBUF }, 10 },
	{ "BOARD_INFO", CRYPTECH_HSM_IOC_BOARD_INFO,
	  sizeof(struct cryptech_hsm_board_info), { FZ_NONE, FZ_NONE }, FZ_NONE,
	  { NOBUF, NOBUF, NOBUF }, 6 },
	{ "LOGIN", CRYPTECH_HSM_IOC_LOGIN, sizeof(struct cryptech_hsm_pin),
	  { FZ_NONE, FZ_NONE }, OFF(cryptech_hsm_pin, user),
	  { { OFF(cryptech_hsm_pin, pin), OFF(cryptech_hsm_pin, pin_len), 0 },
	    NOBUF, NOBUF }, 3 },
	{ "LOGOUT", CRYPTECH_HSM_IOC_LOGOUT, sizeof(struct cryptech_hsm_status),
	  { FZ_NONE, FZ_NONE }, FZ_NONE, { NOBUF, NOBUF, NOBUF }, 2 },
	{ "SET_PIN", CRYPTECH_HSM_IOC_SET_PIN, sizeof(struct cryptech_hsm_pin),
	  { FZ_NONE, FZ_NONE }, OFF(cryptech_hsm_pin, user),
	  { { OFF(cryptech_hsm_pin, pin), OFF(cryptech_hsm_pin, pin_len), 0 },
	    NOBUF, NOBUF }, 2 },
	{ "LOGIN_STATUS", CRYPTECH_HSM_IOC_LOGIN_STATUS,
	  sizeof(struct cryptech_hsm_login_status), { FZ_NONE, FZ_NONE },
	  OFF(cryptech_hsm_login_status, user), { NOBUF, NOBUF, NOBUF }, 5 },
	{ "GENERATE", CRYPTECH_HSM_IOC_GENERATE,
	  sizeof(struct cryptech_hsm_generate), { FZ_NONE, FZ_NONE },
	  OFF(cryptech_hsm_generate, flags), { NOBUF, NOBUF, NOBUF }, 4 },
	{ "LOAD", CRYPTECH_HSM_IOC_LOAD, sizeof(struct cryptech_hsm_load),
	  { FZ_NONE, FZ_NONE }, OFF(cryptech_hsm_load, flags),
	  { { OFF(cryptech_hsm_load, der), OFF(cryptech_hsm_load, der_len), 121 },
	    NOBUF, NOBUF }, 5 },
	{ "OPEN", CRYPTECH_HSM_IOC_OPEN, sizeof(struct cryptech_hsm_open),
	  { FZ_NONE, FZ_NONE }, FZ_NONE, { NOBUF, NOBUF, NOBUF }, 5 },
	{ "CLOSE", CRYPTECH_HSM_IOC_CLOSE, sizeof(struct cryptech_hsm_key),
	  { OFF(cryptech_hsm_key, handle), FZ_NONE }, FZ_NONE,
	  { NOBUF, NOBUF, NOBUF }, 5 },
	{ "DELETE", CRYPTECH_HSM_IOC_DELETE, sizeof(struct cryptech_hsm_key),
	  { OFF(cryptech_hsm_key, handle), FZ_NONE }, FZ_NONE,
	  { NOBUF, NOBUF, NOBUF }, 3 },
	{ "KEY_INFO", CRYPTECH_HSM_IOC_KEY_INFO,
	  sizeof(struct cryptech_hsm_key_info),
	  { OFF(cryptech_hsm_key_info, handle), FZ_NONE }, FZ_NONE,
	  { NOBUF, NOBUF, NOBUF }, 6 },
	{ "PUBLIC_KEY", CRYPTECH_HSM_IOC_PUBLIC_KEY,
	  sizeof(struct cryptech_hsm_public_key),
	  { OFF(cryptech_hsm_public_key, handle), FZ_NONE }, FZ_NONE,
	  { { OFF(cryptech_hsm_public_key, der),
	      OFF(cryptech_hsm_public_key, der_len), 512 }, NOBUF, NOBUF }, 6 },
	{ "SIGN", CRYPTECH_HSM_IOC_SIGN, sizeof(struct cryptech_hsm_sign),
	  { OFF(cryptech_hsm_sign, handle), FZ_NONE }, FZ_NONE,
	  { { OFF(cryptech_hsm_sign, input), OFF(cryptech_hsm_sign, input_len), 32 },
	    { OFF(cryptech_hsm_sign, sig), OFF(cryptech_hsm_sign, sig_len), 512 },
	    NOBUF }, 8 },
	{ "VERIFY", CRYPTECH_HSM_IOC_VERIFY, sizeof(struct cryptech_hsm_sign),
	  { OFF(cryptech_hsm_sign, handle), FZ_NONE }, FZ_NONE,
	  { { OFF(cryptech_hsm_sign, input), OFF(cryptech_hsm_sign, input_len), 32 },
	    { OFF(cryptech_hsm_sign, sig), OFF(cryptech_hsm_sign, sig_len), 64 },
	    NOBUF }, 5 },
	{ "MATCH", CRYPTECH_HSM_IOC_MATCH, sizeof(struct cryptech_hsm_match),
	  { FZ_NONE, FZ_NONE }, OFF(cryptech_hsm_match, mask),
	  { { OFF(cryptech_hsm_match, attrs), OFF(cryptech_hsm_match, attrs_len), 0 },
	    { OFF(cryptech_hsm_match, uuids), OFF(cryptech_hsm_match, count), 8 },
	    NOBUF }, 5 },
	{ "SET_ATTRS", CRYPTECH_HSM_IOC_SET_ATTRS,
	  sizeof(struct cryptech_hsm_set_attrs),
	  { OFF(cryptech_hsm_set_attrs, handle), FZ_NONE },
	  OFF(cryptech_hsm_set_attrs, n_attrs),
	  { { OFF(cryptech_hsm_set_attrs, attrs),
	      OFF(cryptech_hsm_set_attrs, attrs_len), 16 }, NOBUF, NOBUF }, 5 },
	{ "GET_ATTRS", CRYPTECH_HSM_IOC_GET_ATTRS,
	  sizeof(struct cryptech_hsm_get_attrs),
	  { OFF(cryptech_hsm_get_attrs, handle), FZ_NONE },
	  OFF(cryptech_hsm_get_attrs, flags),
	  { { OFF(cryptech_hsm_get_attrs, types),
	      OFF(cryptech_hsm_get_attrs, n_types), 2 },
	    { OFF(cryptech_hsm_get_attrs, buf),
	      OFF(cryptech_hsm_get_attrs, buf_len), 256 }, NOBUF }, 5 },
	{ "EXPORT", CRYPTECH_HSM_IOC_EXPORT, sizeof(struct cryptech_hsm_export),
	  { OFF(cryptech_hsm_export, handle),
	    OFF(cryptech_hsm_export, kekek_handle) }, FZ_NONE,
	  { { OFF(cryptech_hsm_export, pkcs8), OFF(cryptech_hsm_export, pkcs8_len), 1024 },
	    { OFF(cryptech_hsm_export, kek), OFF(cryptech_hsm_export, kek_len), 512 },
	    NOBUF }, 4 },
	{ "IMPORT", CRYPTECH_HSM_IOC_IMPORT, sizeof(struct cryptech_hsm_import),
	  { OFF(cryptech_hsm_import, kekek_handle), FZ_NONE },
	  OFF(cryptech_hsm_import, flags),
	  { { OFF(cryptech_hsm_import, pkcs8), OFF(cryptech_hsm_import, pkcs8_len), 200 },
	    { OFF(cryptech_hsm_import, kek), OFF(cryptech_hsm_import, kek_len), 256 },
	    NOBUF }, 4 },
};

#define FZ_NIOCTLS	(sizeof(fz_ioctls) / sizeof(fz_ioctls[0]))

static inline const struct fz_ioctl *fz_pick_ioctl(void)
{
	unsigned int total = 0, i, r;

	for (i = 0; i < FZ_NIOCTLS; i++)
		total += fz_ioctls[i].weight;
	r = fz_below(total);
	for (i = 0; i < FZ_NIOCTLS; i++) {
		if (r < fz_ioctls[i].weight)
			return &fz_ioctls[i];
		r -= fz_ioctls[i].weight;
	}
	return &fz_ioctls[0];
}

/* ---- memory the arguments point into ------------------------------------ */

/*
 * One arena per process: FZ_DATA bytes of data followed by a PROT_NONE
 * guard page, so a pointer can be valid, run off the end of valid memory,
 * or be unmapped.
 */
#define FZ_PAGE		4096
#define FZ_DATA		(24 * FZ_PAGE)

struct fz_arena {
	uint8_t *data;		/* FZ_DATA bytes */
	uint8_t *guard;		/* one PROT_NONE page right after */
	size_t next;		/* bump allocator inside data */
};

static inline int fz_arena_init(struct fz_arena *a)
{
	uint8_t *p = mmap(NULL, FZ_DATA + FZ_PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	if (mprotect(p + FZ_DATA, FZ_PAGE, PROT_NONE))
		return -1;
	memset(a, 0, sizeof(*a));
	a->data = p;
	a->guard = p + FZ_DATA;
	return 0;
}

/*
 * Where the ioctl argument of @size bytes goes: its end touches the guard
 * page, so a kernel that reads or writes past what the caller's size
 * field claims faults (EFAULT) instead of scribbling on the fuzzer.
 */
static inline uint8_t *fz_arg(struct fz_arena *a, uint32_t size)
{
	return a->guard - size;
}

/* @n bytes of valid memory for one call; never overlaps the argument. */
static inline uint8_t *fz_alloc(struct fz_arena *a, size_t n)
{
	uint8_t *p;

	if (a->next + n > FZ_DATA - 2 * FZ_PAGE)
		a->next = 0;
	p = a->data + a->next;
	a->next += (n + 15) & ~(size_t)15;
	return p;
}

/* A pointer to hold @len bytes: mostly valid, sometimes not. */
static inline uint64_t fz_pointer(struct fz_arena *a, uint32_t len)
{
	uint32_t l = len > FZ_DATA - 3 * FZ_PAGE ? 64 : len;

	switch (fz_below(20)) {
	case 0:
		return 0;
	case 1:
		return (uint64_t)(uintptr_t)a->guard;
	case 2:	/* runs into the guard page halfway */
		return (uint64_t)(uintptr_t)(a->guard - (l / 2 ? l / 2 : 1));
	case 3:	/* a kernel address */
		return 0xffff888000000000ULL + (fz_next() & 0xffffff);
	case 4:
		return fz_next();
	case 5:	/* misaligned, valid */
		return (uint64_t)(uintptr_t)(fz_alloc(a, l + 8) + 1 + fz_below(7));
	default: {
		uint8_t *p = fz_alloc(a, l ? l : 1);
		uint32_t i;

		for (i = 0; i < l; i++)
			p[i] = (uint8_t)fz_next();
		return (uint64_t)(uintptr_t)p;
	}
	}
}

/* An interesting 32-bit value for a length, size or count. */
static inline uint32_t fz_length(uint32_t good)
{
	static const uint32_t v[] = {
		0, 1, 2, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 255, 256,
		511, 512, 1023, 1024, 4095, 4096, 4097, 16000, 16367, 16368,
		16369, 65535, 65536, 0x7fffffff, 0x80000000, 0xfffffff0,
		0xffffffff,
	};

	switch (fz_below(4)) {
	case 0:
		return good;
	case 1:
		return good + fz_below(3) - 1;
	case 2:
		return (uint32_t)fz_next();
	default:
		return v[fz_below(sizeof(v) / sizeof(v[0]))];
	}
}

/* ---- handles a process has seen ------------------------------------------ */

#define FZ_HANDLES	32

struct fz_handles {
	uint32_t h[FZ_HANDLES];
	unsigned int n;
};

static inline void fz_handle_add(struct fz_handles *hs, uint32_t h)
{
	hs->h[hs->n++ % FZ_HANDLES] = h;
}

static inline uint32_t fz_handle(const struct fz_handles *hs)
{
	unsigned int n = hs->n < FZ_HANDLES ? hs->n : FZ_HANDLES;

	switch (fz_below(8)) {
	case 0:
		return 0;
	case 1:
		return 0xffffffff;
	case 2:
		return (uint32_t)fz_next();
	default:
		return n ? hs->h[fz_below(n)] : (uint32_t)fz_next();
	}
}

/* ---- building one argument ---------------------------------------------- */

static inline void fz_put32(uint8_t *arg, uint16_t off, uint32_t v)
{
	memcpy(arg + off, &v, 4);
}

static inline uint32_t fz_get32(const uint8_t *arg, uint16_t off)
{
	uint32_t v;

	memcpy(&v, arg + off, 4);
	return v;
}

static inline void fz_put64(uint8_t *arg, uint16_t off, uint64_t v)
{
	memcpy(arg + off, &v, 8);
}

/*
 * The well-formed argument of @io in @arg (at least io->size bytes): the
 * right size, a NORMAL-user PIN, volatile EC P-256 keys, valid buffers of
 * the usual lengths, a handle this process has seen.
 */
static inline void fz_wellformed(const struct fz_ioctl *io, uint8_t *arg,
				 struct fz_arena *a, const struct fz_handles *hs)
{
	unsigned int i;

	memset(arg, 0, io->size);
	fz_put32(arg, 0, io->size);
	for (i = 0; i < FZ_MAX_PTRS; i++) {
		const struct fz_buf *b = &io->buf[i];
		uint8_t *p;
		uint32_t j;

		if (b->ptr_off == FZ_NONE)
			continue;
		/* room beyond the length: MATCH's count is of UUIDs */
		p = fz_alloc(a, b->len * 16 + 16);
		for (j = 0; j < b->len; j++)
			p[j] = (uint8_t)fz_next();
		fz_put64(arg, b->ptr_off, (uint64_t)(uintptr_t)p);
		if (b->len_off != FZ_NONE)
			fz_put32(arg, b->len_off, b->len);
	}
	for (i = 0; i < 2; i++)
		if (io->handle_off[i] != FZ_NONE)
			fz_put32(arg, io->handle_off[i], fz_handle(hs));
	switch (io->cmd) {
	case CRYPTECH_HSM_IOC_LOGIN:
	case CRYPTECH_HSM_IOC_SET_PIN: {
		size_t n = strlen(HSM_USER_PIN);
		uint8_t *p = fz_alloc(a, n);

		memcpy(p, HSM_USER_PIN, n);
		fz_put32(arg, offsetof(struct cryptech_hsm_pin, user),
			 CRYPTECH_HSM_USER_NORMAL);
		fz_put32(arg, offsetof(struct cryptech_hsm_pin, pin_len), n);
		fz_put64(arg, offsetof(struct cryptech_hsm_pin, pin),
			 (uint64_t)(uintptr_t)p);
		break;
	}
	case CRYPTECH_HSM_IOC_GENERATE:
		fz_put32(arg, offsetof(struct cryptech_hsm_generate, alg),
			 CRYPTECH_HSM_ALG_EC);
		fz_put32(arg, offsetof(struct cryptech_hsm_generate, curve),
			 CRYPTECH_HSM_CURVE_P256);
		fz_put32(arg, offsetof(struct cryptech_hsm_generate, flags),
			 CRYPTECH_HSM_KEY_F_SIGN);
		break;
	case CRYPTECH_HSM_IOC_MATCH:
		fz_put32(arg, offsetof(struct cryptech_hsm_match, type), 0);
		break;
	default:
		break;
	}
}

/*
 * Mutate a well-formed argument: 0-3 of size, a length, a pointer, a
 * handle, the flags or selector, a reserved word, a random byte.
 */
static inline void fz_mutate(const struct fz_ioctl *io, uint8_t *arg,
			     struct fz_arena *a, const struct fz_handles *hs)
{
	unsigned int k = fz_below(4), i;

	for (i = 0; i < k; i++) {
		const struct fz_buf *b = &io->buf[fz_below(FZ_MAX_PTRS)];

		switch (fz_below(7)) {
		case 0:
			fz_put32(arg, 0, fz_length(io->size));
			break;
		case 1:
			if (b->len_off != FZ_NONE)
				fz_put32(arg, b->len_off, fz_length(b->len));
			break;
		case 2:
			if (b->ptr_off != FZ_NONE)
				fz_put64(arg, b->ptr_off,
					 fz_pointer(a, fz_get32(arg, b->len_off == FZ_NONE ?
							       0 : b->len_off)));
			break;
		case 3: {
			/* one of its handles; [1] may be FZ_NONE */
			uint16_t off = io->handle_off[fz_below(2)];

			if (off == FZ_NONE)
				off = io->handle_off[0];
			if (off != FZ_NONE)
				fz_put32(arg, off, fz_handle(hs));
			break;
		}
		case 4:
			if (io->flags_off != FZ_NONE)
				fz_put32(arg, io->flags_off,
					 fz_pct(50) ? 1u << fz_below(32) :
					 (uint32_t)fz_next());
			break;
		case 5:	/* any word past the header, e.g. a reserved one */
			if (io->size > 8)
				fz_put32(arg, 8 + 4 * fz_below((io->size - 8) / 4),
					 (uint32_t)fz_next());
			break;
		default:
			arg[fz_below(io->size)] = (uint8_t)fz_next();
			break;
		}
	}
}

/*
 * The fuzzer must not change the board's PINs (later logins would fail):
 * a SET_PIN whose PIN is not the user PIN for the NORMAL user, still
 * readable, gets its PIN pointer moved onto the guard page (EFAULT path).
 * A LOGIN with a wrong PIN costs the emulator's bad-PIN delay: keep those
 * rare the same way.
 */
static inline void fz_tame(const struct fz_ioctl *io, uint8_t *arg,
			   struct fz_arena *a)
{
	uint64_t p;
	uint32_t len, user;

	if (io->cmd != CRYPTECH_HSM_IOC_SET_PIN &&
	    !(io->cmd == CRYPTECH_HSM_IOC_LOGIN && fz_pct(90)))
		return;
	memcpy(&p, arg + offsetof(struct cryptech_hsm_pin, pin), 8);
	len = fz_get32(arg, offsetof(struct cryptech_hsm_pin, pin_len));
	user = fz_get32(arg, offsetof(struct cryptech_hsm_pin, user));
	if (user == CRYPTECH_HSM_USER_NORMAL && len == strlen(HSM_USER_PIN) &&
	    p >= (uint64_t)(uintptr_t)a->data &&
	    p + len <= (uint64_t)(uintptr_t)a->guard &&
	    !memcmp((void *)(uintptr_t)p, HSM_USER_PIN, len))
		return;
	fz_put64(arg, offsetof(struct cryptech_hsm_pin, pin),
		 (uint64_t)(uintptr_t)a->guard);
}

/*
 * A mutated word may have turned a pointer field into an address of some
 * other writable mapping of the fuzzer (a thread's stack, the heap): the
 * kernel would rightly write there and the fuzzer would crash. Keep every
 * pointer in the arena, on its guard page, NULL, or outside user space.
 */
static inline void fz_confine(const struct fz_ioctl *io, uint8_t *arg,
			      const struct fz_arena *a)
{
	unsigned int i;

	for (i = 0; i < FZ_MAX_PTRS; i++) {
		uint16_t off = io->buf[i].ptr_off;
		uint64_t p;

		if (off == FZ_NONE)
			continue;
		memcpy(&p, arg + off, 8);
		if (p == 0 || p >= 0x0000800000000000ULL ||
		    (p >= (uint64_t)(uintptr_t)a->data &&
		     p < (uint64_t)(uintptr_t)a->guard + FZ_PAGE))
			continue;
		fz_put64(arg, off, (uint64_t)(uintptr_t)a->guard);
	}
}

/* The ioctl number to use: mostly @io's, sometimes a near miss. */
static inline unsigned long fz_cmd(const struct fz_ioctl *io)
{
	unsigned long c = io->cmd;

	switch (fz_below(40)) {
	case 0:	/* another size in the number */
		return (c & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT)) |
		       ((unsigned long)fz_below(1 << 14) << _IOC_SIZESHIFT);
	case 1:	/* another direction */
		return (c & ~(_IOC_DIRMASK << _IOC_DIRSHIFT)) |
		       ((unsigned long)fz_below(4) << _IOC_DIRSHIFT);
	case 2:	/* another number under the magic */
		return (c & ~(_IOC_NRMASK << _IOC_NRSHIFT)) |
		       ((unsigned long)fz_below(256) << _IOC_NRSHIFT);
	case 3:
		return (uint32_t)fz_next();
	default:
		return c;
	}
}

/* After a successful call: remember the handle it returned, if any. */
static inline void fz_learn(const struct fz_ioctl *io, const uint8_t *arg,
			    struct fz_handles *hs)
{
	switch (io->cmd) {
	case CRYPTECH_HSM_IOC_GENERATE:
		fz_handle_add(hs, fz_get32(arg, offsetof(struct cryptech_hsm_generate, handle)));
		break;
	case CRYPTECH_HSM_IOC_LOAD:
		fz_handle_add(hs, fz_get32(arg, offsetof(struct cryptech_hsm_load, handle)));
		break;
	case CRYPTECH_HSM_IOC_OPEN:
		fz_handle_add(hs, fz_get32(arg, offsetof(struct cryptech_hsm_open, handle)));
		break;
	case CRYPTECH_HSM_IOC_IMPORT:
		fz_handle_add(hs, fz_get32(arg, offsetof(struct cryptech_hsm_import, handle)));
		break;
	default:
		break;
	}
}

#endif /* FUZZ_ARGS_H */
