// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * C_Initialize and C_Finalize, the module's locks, fork detection, and the
 * function lists (C_GetFunctionList, C_GetInterfaceList, C_GetInterface).
 *
 * Locks: with CKF_OS_LOCKING_OK (or no arguments) the module uses pthread
 * mutexes; with only the application's mutex callbacks it uses those. No
 * lock needs a condition variable, so callbacks suffice.
 *
 * fork(): the child inherits the parent's descriptors, which are the same
 * board sessions and logins. C_Initialize records getpid(); in any other
 * process every call answers CKR_CRYPTOKI_NOT_INITIALIZED until it calls
 * C_Initialize, which then only close(2)s the inherited descriptors (a
 * LOGOUT or key CLOSE would act on the parent's session) and starts anew.
 * No pthread_atfork handler is used: a dlopen()ed module may be unloaded.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "p11.h"

struct p11_global g;

/* Serialises C_Initialize and C_Finalize only. */
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

static CK_C_INITIALIZE_ARGS app_locks;	/* the application's callbacks */
static bool use_app_locks;

struct p11_mutex {
	pthread_mutex_t pm;
	void *app;
};

int p11_mutex_new(struct p11_mutex **out)
{
	struct p11_mutex *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	if (use_app_locks) {
		if (app_locks.CreateMutex(&m->app) != CKR_OK) {
			free(m);
			return -ENOMEM;
		}
	} else if (pthread_mutex_init(&m->pm, NULL)) {
		free(m);
		return -ENOMEM;
	}
	*out = m;
	return 0;
}

void p11_mutex_free(struct p11_mutex *m)
{
	if (!m)
		return;
	if (use_app_locks)
		app_locks.DestroyMutex(m->app);
	else
		pthread_mutex_destroy(&m->pm);
	free(m);
}

void p11_mutex_forget(struct p11_mutex *m)
{
	/* No other thread exists in a forked child: the memory is free to
	 * go, whatever state the parent's threads left the lock in. */
	free(m);
}

void p11_lock(struct p11_mutex *m)
{
	if (use_app_locks)
		app_locks.LockMutex(m->app);
	else
		pthread_mutex_lock(&m->pm);
}

void p11_unlock(struct p11_mutex *m)
{
	if (use_app_locks)
		app_locks.UnlockMutex(m->app);
	else
		pthread_mutex_unlock(&m->pm);
}

uint64_t p11_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void p11_wipe(void *p, size_t n)
{
	if (p && n)
		explicit_bzero(p, n);
}

CK_RV p11_ready(void)
{
	if (!g.initialized || g.pid != getpid())
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	return CKR_OK;
}

static unsigned env_uint(const char *name, unsigned def, unsigned min,
			 unsigned max)
{
	const char *v = secure_getenv(name);
	char *end;
	unsigned long n;

	if (!v || !*v)
		return def;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || n < min || n > max)
		return def;
	return (unsigned)n;
}

static void read_config(struct p11_config *c)
{
	c->pool_size = env_uint("HSM_PKCS11_POOL", P11_POOL_DEFAULT, 1,
				P11_POOL_MAX);
	c->cache_ttl_ms = env_uint("HSM_PKCS11_CACHE_TTL_MS",
				   P11_CACHE_TTL_MS_DEFAULT, 0, 3600000);
	/* The test seam: device paths instead of the kernel's board list.
	 * secure_getenv: never from a setuid program's environment. */
	c->devices = secure_getenv("HSM_PKCS11_DEVICES");
}

/* Free everything; after fork(), only close what was inherited. */
static void teardown(bool inherited)
{
	size_t i;

	slot_events_stop(inherited);
	slots_free_all(inherited);
	for (i = 0; i < g.n_sessions; i++) {
		if (g.sessions[i]) {
			struct pool_session *v = g.sessions[i]->vol;

			/* A holder: close(2) deletes its session objects
			 * (after fork, the parent's stay: it still holds
			 * the file). */
			if (v) {
				hsm_close(v->s);
				free(v);
			}
			session_free_ops(g.sessions[i]);
			free(g.sessions[i]);
		}
	}
	free(g.sessions);
	objects_free_all();
	groups_free();
	/* A parent's mutex may have been held by another of its threads
	 * at fork time: the child leaves it alone. */
	if (inherited)
		p11_mutex_forget(g.lock);
	else
		p11_mutex_free(g.lock);
	memset(&g, 0, sizeof(g));
}

CK_RV C_Initialize(CK_VOID_PTR pInitArgs)
{
	CK_C_INITIALIZE_ARGS *a = pInitArgs;
	CK_RV rv = CKR_OK;
	int n;

	if (a) {
		if (a->pReserved)
			return CKR_ARGUMENTS_BAD;
		n = !!a->CreateMutex + !!a->DestroyMutex + !!a->LockMutex +
		    !!a->UnlockMutex;
		if (n != 0 && n != 4)
			return CKR_ARGUMENTS_BAD;
	}
	pthread_mutex_lock(&init_lock);
	if (g.initialized && g.pid == getpid()) {
		rv = CKR_CRYPTOKI_ALREADY_INITIALIZED;
		goto out;
	}
	if (g.initialized)
		teardown(true);		/* a forked child starting anew */

	/* Application callbacks only when it cannot take OS locks. */
	use_app_locks = a && a->CreateMutex && !(a->flags & CKF_OS_LOCKING_OK);
	if (use_app_locks)
		app_locks = *a;
	read_config(&g.cfg);
	if (p11_mutex_new(&g.lock)) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	g.pid = getpid();
	g.initialized = true;
	/* A bad groups file is an error, not a silent fallback to boards
	 * of their own: keys would be made single-homed. */
	rv = groups_init();
	if (rv == CKR_OK) {
		p11_lock(g.lock);
		rv = slots_refresh();
		p11_unlock(g.lock);
	}
	if (rv != CKR_OK) {
		teardown(false);
		goto out;
	}
out:
	pthread_mutex_unlock(&init_lock);
	return rv;
}

CK_RV C_Finalize(CK_VOID_PTR pReserved)
{
	CK_RV rv;

	if (pReserved)
		return CKR_ARGUMENTS_BAD;
	pthread_mutex_lock(&init_lock);
	rv = p11_ready();
	if (rv == CKR_OK)
		teardown(false);
	pthread_mutex_unlock(&init_lock);
	return rv;
}

CK_RV C_GetInfo(CK_INFO_PTR pInfo)
{
	CK_RV rv = p11_ready();

	if (rv != CKR_OK)
		return rv;
	if (!pInfo)
		return CKR_ARGUMENTS_BAD;
	memset(pInfo, 0, sizeof(*pInfo));
	pInfo->cryptokiVersion.major = 2;
	pInfo->cryptokiVersion.minor = 40;
	p11_pad(pInfo->manufacturerID, sizeof(pInfo->manufacturerID),
		P11_MANUFACTURER);
	p11_pad(pInfo->libraryDescription, sizeof(pInfo->libraryDescription),
		P11_LIBRARY_DESC);
	pInfo->libraryVersion.major = 0;
	pInfo->libraryVersion.minor = 1;
	return CKR_OK;
}

/* ---- Functions the board cannot do -------------------------------------- */

#define UNSUPPORTED(name, params)					\
	CK_RV name params						\
	{								\
		CK_RV rv = p11_ready();					\
		return rv != CKR_OK ? rv : CKR_FUNCTION_NOT_SUPPORTED;	\
	}

/* The parameters of these are, by definition, unused. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
UNSUPPORTED(C_InitToken, (CK_SLOT_ID a, CK_UTF8CHAR_PTR b, CK_ULONG c,
			  CK_UTF8CHAR_PTR d))
UNSUPPORTED(C_GetOperationState, (CK_SESSION_HANDLE a, CK_BYTE_PTR b,
				  CK_ULONG_PTR c))
UNSUPPORTED(C_SetOperationState, (CK_SESSION_HANDLE a, CK_BYTE_PTR b,
				  CK_ULONG c, CK_OBJECT_HANDLE d,
				  CK_OBJECT_HANDLE e))
UNSUPPORTED(C_CopyObject, (CK_SESSION_HANDLE a, CK_OBJECT_HANDLE b,
			   CK_ATTRIBUTE_PTR c, CK_ULONG d,
			   CK_OBJECT_HANDLE_PTR e))
UNSUPPORTED(C_GetObjectSize, (CK_SESSION_HANDLE a, CK_OBJECT_HANDLE b,
			      CK_ULONG_PTR c))
UNSUPPORTED(C_EncryptInit, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b,
			    CK_OBJECT_HANDLE c))
UNSUPPORTED(C_Encrypt, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c,
			CK_BYTE_PTR d, CK_ULONG_PTR e))
UNSUPPORTED(C_EncryptUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c,
			      CK_BYTE_PTR d, CK_ULONG_PTR e))
UNSUPPORTED(C_EncryptFinal, (CK_SESSION_HANDLE a, CK_BYTE_PTR b,
			     CK_ULONG_PTR c))
UNSUPPORTED(C_DecryptInit, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b,
			    CK_OBJECT_HANDLE c))
UNSUPPORTED(C_Decrypt, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c,
			CK_BYTE_PTR d, CK_ULONG_PTR e))
UNSUPPORTED(C_DecryptUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c,
			      CK_BYTE_PTR d, CK_ULONG_PTR e))
UNSUPPORTED(C_DecryptFinal, (CK_SESSION_HANDLE a, CK_BYTE_PTR b,
			     CK_ULONG_PTR c))
UNSUPPORTED(C_DigestKey, (CK_SESSION_HANDLE a, CK_OBJECT_HANDLE b))
UNSUPPORTED(C_SignRecoverInit, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b,
				CK_OBJECT_HANDLE c))
UNSUPPORTED(C_SignRecover, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c,
			    CK_BYTE_PTR d, CK_ULONG_PTR e))
UNSUPPORTED(C_VerifyRecoverInit, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b,
				  CK_OBJECT_HANDLE c))
UNSUPPORTED(C_VerifyRecover, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c,
			      CK_BYTE_PTR d, CK_ULONG_PTR e))
UNSUPPORTED(C_DigestEncryptUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b,
				    CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e))
UNSUPPORTED(C_DecryptDigestUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b,
				    CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e))
UNSUPPORTED(C_SignEncryptUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b,
				  CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e))
UNSUPPORTED(C_DecryptVerifyUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b,
				    CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e))
UNSUPPORTED(C_GenerateKey, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b,
			    CK_ATTRIBUTE_PTR c, CK_ULONG d,
			    CK_OBJECT_HANDLE_PTR e))
UNSUPPORTED(C_WrapKey, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b,
			CK_OBJECT_HANDLE c, CK_OBJECT_HANDLE d, CK_BYTE_PTR e,
			CK_ULONG_PTR f))
UNSUPPORTED(C_UnwrapKey, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b,
			  CK_OBJECT_HANDLE c, CK_BYTE_PTR d, CK_ULONG e,
			  CK_ATTRIBUTE_PTR f, CK_ULONG g,
			  CK_OBJECT_HANDLE_PTR h))
UNSUPPORTED(C_DeriveKey, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b,
			  CK_OBJECT_HANDLE c, CK_ATTRIBUTE_PTR d, CK_ULONG e,
			  CK_OBJECT_HANDLE_PTR f))
UNSUPPORTED(C_SeedRandom, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c))
UNSUPPORTED(C_GetFunctionStatus, (CK_SESSION_HANDLE a))
UNSUPPORTED(C_CancelFunction, (CK_SESSION_HANDLE a))
UNSUPPORTED(C_CreateObject, (CK_SESSION_HANDLE a, CK_ATTRIBUTE_PTR b,
			     CK_ULONG c, CK_OBJECT_HANDLE_PTR d))
#pragma GCC diagnostic pop

/* ---- Function lists ----------------------------------------------------- */

static CK_FUNCTION_LIST function_list = {
	.version = { 2, 40 },
#define F(name) .name = name,
	F(C_Initialize) F(C_Finalize) F(C_GetInfo) F(C_GetFunctionList)
	F(C_GetSlotList) F(C_GetSlotInfo) F(C_GetTokenInfo)
	F(C_GetMechanismList) F(C_GetMechanismInfo) F(C_InitToken)
	F(C_InitPIN) F(C_SetPIN) F(C_OpenSession) F(C_CloseSession)
	F(C_CloseAllSessions) F(C_GetSessionInfo) F(C_GetOperationState)
	F(C_SetOperationState) F(C_Login) F(C_Logout) F(C_CreateObject)
	F(C_CopyObject) F(C_DestroyObject) F(C_GetObjectSize)
	F(C_GetAttributeValue) F(C_SetAttributeValue) F(C_FindObjectsInit)
	F(C_FindObjects) F(C_FindObjectsFinal) F(C_EncryptInit) F(C_Encrypt)
	F(C_EncryptUpdate) F(C_EncryptFinal) F(C_DecryptInit) F(C_Decrypt)
	F(C_DecryptUpdate) F(C_DecryptFinal) F(C_DigestInit) F(C_Digest)
	F(C_DigestUpdate) F(C_DigestKey) F(C_DigestFinal) F(C_SignInit)
	F(C_Sign) F(C_SignUpdate) F(C_SignFinal) F(C_SignRecoverInit)
	F(C_SignRecover) F(C_VerifyInit) F(C_Verify) F(C_VerifyUpdate)
	F(C_VerifyFinal) F(C_VerifyRecoverInit) F(C_VerifyRecover)
	F(C_DigestEncryptUpdate) F(C_DecryptDigestUpdate)
	F(C_SignEncryptUpdate) F(C_DecryptVerifyUpdate) F(C_GenerateKey)
	F(C_GenerateKeyPair) F(C_WrapKey) F(C_UnwrapKey) F(C_DeriveKey)
	F(C_SeedRandom) F(C_GenerateRandom) F(C_GetFunctionStatus)
	F(C_CancelFunction) F(C_WaitForSlotEvent)
#undef F
};

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList)
{
	if (!ppFunctionList)
		return CKR_ARGUMENTS_BAD;
	*ppFunctionList = &function_list;
	return CKR_OK;
}

/*
 * PKCS#11 3.0's interface discovery, offering the one interface this
 * module has: "PKCS 11" with the v2.40 function list. p11-kit's header is
 * v2.40 and lacks the type, so it is declared here as the 3.0 spec
 * defines it.
 */
#ifndef CKF_INTERFACE_FORK_SAFE
typedef struct CK_INTERFACE {
	CK_CHAR *pInterfaceName;
	CK_VOID_PTR pFunctionList;
	CK_FLAGS flags;
} CK_INTERFACE;
#endif

static CK_CHAR interface_name[] = "PKCS 11";
static CK_INTERFACE interfaces[] = {
	{ interface_name, &function_list, 0 },
};

CK_RV C_GetInterfaceList(CK_INTERFACE *pInterfacesList, CK_ULONG_PTR pulCount);
CK_RV C_GetInterface(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion,
		     CK_INTERFACE **ppInterface, CK_FLAGS flags);

CK_RV C_GetInterfaceList(CK_INTERFACE *pInterfacesList, CK_ULONG_PTR pulCount)
{
	CK_ULONG n = sizeof(interfaces) / sizeof(interfaces[0]);

	if (!pulCount)
		return CKR_ARGUMENTS_BAD;
	if (!pInterfacesList) {
		*pulCount = n;
		return CKR_OK;
	}
	if (*pulCount < n) {
		*pulCount = n;
		return CKR_BUFFER_TOO_SMALL;
	}
	memcpy(pInterfacesList, interfaces, sizeof(interfaces));
	*pulCount = n;
	return CKR_OK;
}

CK_RV C_GetInterface(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion,
		     CK_INTERFACE **ppInterface, CK_FLAGS flags)
{
	if (!ppInterface)
		return CKR_ARGUMENTS_BAD;
	if (pInterfaceName &&
	    strcmp((const char *)pInterfaceName, "PKCS 11") != 0)
		return CKR_ARGUMENTS_BAD;
	if (pVersion && (pVersion->major != 2 || pVersion->minor != 40))
		return CKR_ARGUMENTS_BAD;
	if (flags & ~interfaces[0].flags)
		return CKR_ARGUMENTS_BAD;
	*ppInterface = &interfaces[0];
	return CKR_OK;
}
