// SPDX-License-Identifier: GPL-2.0
/*
 * A PKCS#11 module that times another one, for the DNSSEC benchmark
 * (tests/bench/dnssec-bench.sh): it loads the module named by
 * P11_TIMING_MODULE and hands the application that module's function list
 * with the calls a signer makes while signing replaced by wrappers that
 * count them and add up the wall time spent inside. The rest of the list
 * is the real module's own entry points, untouched.
 *
 * At C_Finalize (or at exit, if the application never calls it) the totals
 * are appended to the file P11_TIMING_OUT as one line per process:
 *
 *   p11-timing comm=kzonesign pid=N C_Sign=CALLS:NS C_SignInit=CALLS:NS ...
 *
 * so that the benchmark can split the signer's wall time into what it
 * spent inside the module (signing; object look-ups; sessions and login)
 * and what it spent outside (the signer's own work: canonical forms,
 * hashing, the NSEC chain, writing the zone).
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

enum timed {
	T_Initialize, T_GetSlotList, T_GetTokenInfo, T_OpenSession,
	T_CloseSession, T_Login, T_Logout, T_FindObjectsInit, T_FindObjects,
	T_FindObjectsFinal, T_GetAttributeValue, T_SignInit, T_Sign,
	T_SignUpdate, T_SignFinal, T_N
};

static const char *const timed_names[T_N] = {
	"C_Initialize", "C_GetSlotList", "C_GetTokenInfo", "C_OpenSession",
	"C_CloseSession", "C_Login", "C_Logout", "C_FindObjectsInit",
	"C_FindObjects", "C_FindObjectsFinal", "C_GetAttributeValue",
	"C_SignInit", "C_Sign", "C_SignUpdate", "C_SignFinal",
};

static struct {
	atomic_ulong calls;
	atomic_ullong ns;
} totals[T_N];

static CK_FUNCTION_LIST_PTR real;	/* the timed module's list */
static CK_FUNCTION_LIST timed_list;	/* handed to the application */
static atomic_bool reported;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void account(enum timed t, uint64_t start)
{
	atomic_fetch_add(&totals[t].calls, 1);
	atomic_fetch_add(&totals[t].ns, now_ns() - start);
}

/* One line per process, appended with a single write(2). */
static void report(void)
{
	const char *path = getenv("P11_TIMING_OUT");
	char line[2048], comm[64] = "?";
	size_t len;
	FILE *f;
	int fd, i;

	if (!path || atomic_exchange(&reported, true))
		return;
	f = fopen("/proc/self/comm", "r");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	len = (size_t)snprintf(line, sizeof(line), "p11-timing comm=%s pid=%d",
			       comm, (int)getpid());
	for (i = 0; i < T_N && len < sizeof(line); i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len,
					" %s=%lu:%llu", timed_names[i],
					atomic_load(&totals[i].calls),
					atomic_load(&totals[i].ns));
	if (len >= sizeof(line) - 1)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, line, len) != (ssize_t)len)
		fprintf(stderr, "p11-timing: cannot write %s\n", path);
	if (fd >= 0)
		close(fd);
}

#define TIMED(t, name, params, args)			\
	static CK_RV timed_##name params		\
	{						\
		uint64_t start = now_ns();		\
		CK_RV rv = real->name args;		\
							\
		account(t, start);			\
		return rv;				\
	}

TIMED(T_Initialize, C_Initialize, (CK_VOID_PTR a), (a))
TIMED(T_GetSlotList, C_GetSlotList,
      (CK_BBOOL a, CK_SLOT_ID_PTR b, CK_ULONG_PTR c), (a, b, c))
TIMED(T_GetTokenInfo, C_GetTokenInfo, (CK_SLOT_ID a, CK_TOKEN_INFO_PTR b),
      (a, b))
TIMED(T_OpenSession, C_OpenSession,
      (CK_SLOT_ID a, CK_FLAGS b, CK_VOID_PTR c, CK_NOTIFY d,
       CK_SESSION_HANDLE_PTR e), (a, b, c, d, e))
TIMED(T_CloseSession, C_CloseSession, (CK_SESSION_HANDLE a), (a))
TIMED(T_Login, C_Login,
      (CK_SESSION_HANDLE a, CK_USER_TYPE b, CK_UTF8CHAR_PTR c, CK_ULONG d),
      (a, b, c, d))
TIMED(T_Logout, C_Logout, (CK_SESSION_HANDLE a), (a))
TIMED(T_FindObjectsInit, C_FindObjectsInit,
      (CK_SESSION_HANDLE a, CK_ATTRIBUTE_PTR b, CK_ULONG c), (a, b, c))
TIMED(T_FindObjects, C_FindObjects,
      (CK_SESSION_HANDLE a, CK_OBJECT_HANDLE_PTR b, CK_ULONG c,
       CK_ULONG_PTR d), (a, b, c, d))
TIMED(T_FindObjectsFinal, C_FindObjectsFinal, (CK_SESSION_HANDLE a), (a))
TIMED(T_GetAttributeValue, C_GetAttributeValue,
      (CK_SESSION_HANDLE a, CK_OBJECT_HANDLE b, CK_ATTRIBUTE_PTR c,
       CK_ULONG d), (a, b, c, d))
TIMED(T_SignInit, C_SignInit,
      (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c),
      (a, b, c))
TIMED(T_Sign, C_Sign,
      (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d,
       CK_ULONG_PTR e), (a, b, c, d, e))
TIMED(T_SignUpdate, C_SignUpdate,
      (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c), (a, b, c))
TIMED(T_SignFinal, C_SignFinal,
      (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG_PTR c), (a, b, c))

static CK_RV timed_C_Finalize(CK_VOID_PTR a)
{
	CK_RV rv = real->C_Finalize(a);

	if (rv == CKR_OK)
		report();
	return rv;
}

static void report_at_exit(void)
{
	report();
}

static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static void load(void)
{
	const char *path = getenv("P11_TIMING_MODULE");
	CK_C_GetFunctionList get;
	void *so;

	if (!path) {
		fprintf(stderr, "p11-timing: set P11_TIMING_MODULE to the module to time\n");
		return;
	}
	so = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!so) {
		fprintf(stderr, "p11-timing: %s\n", dlerror());
		return;
	}
	get = (CK_C_GetFunctionList)dlsym(so, "C_GetFunctionList");
	if (!get || get(&real) != CKR_OK || !real) {
		fprintf(stderr, "p11-timing: %s has no usable C_GetFunctionList\n", path);
		real = NULL;
		return;
	}
	timed_list = *real;
#define SET(name) timed_list.name = timed_##name
	SET(C_Initialize); SET(C_Finalize); SET(C_GetSlotList);
	SET(C_GetTokenInfo); SET(C_OpenSession); SET(C_CloseSession);
	SET(C_Login); SET(C_Logout); SET(C_FindObjectsInit);
	SET(C_FindObjects); SET(C_FindObjectsFinal); SET(C_GetAttributeValue);
	SET(C_SignInit); SET(C_Sign); SET(C_SignUpdate); SET(C_SignFinal);
#undef SET
	timed_list.C_GetFunctionList = C_GetFunctionList;
	atexit(report_at_exit);
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	if (!list)
		return CKR_ARGUMENTS_BAD;
	pthread_once(&load_once, load);
	if (!real)
		return CKR_GENERAL_ERROR;
	*list = &timed_list;
	return CKR_OK;
}
