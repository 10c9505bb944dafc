// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * In the VM (tests/dnssec/vm-pkcs11.sh runs it, board 0 attached and its
 * PINs set): pull board 0's cable and plug it back in, and check that the
 * module follows. C_WaitForSlotEvent reports the slot each time; the
 * session in use answers CKR_DEVICE_REMOVED, new ones CKR_TOKEN_NOT_PRESENT;
 * after re-attach the token is back in the same slot with the same label
 * and serial, and works after a new login. Prints TAP.
 *
 * Usage: vm_slot_events MODULE HSMCTL PIN   (from the project tree)
 */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

static int n, fails;

static void check(int cond, const char *what)
{
	n++;
	if (!cond)
		fails++;
	printf("%sok %d - %s\n", cond ? "" : "not ", n, what);
	fflush(stdout);
}

/* Wait for a device node to come or go, for at most @secs seconds. */
static int wait_path(const char *path, int present, int secs)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	int i;

	for (i = 0; i < secs * 20; i++) {
		if ((access(path, F_OK) == 0) == present)
			return 1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

int main(int argc, char **argv)
{
	CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR);
	CK_FUNCTION_LIST_PTR f = NULL;
	CK_TOKEN_INFO ti, ti2;
	CK_SLOT_ID slot = 99, ev = 99, slots[4];
	CK_SESSION_HANDLE s, s2;
	CK_ULONG cnt = 4;
	unsigned char rnd[8];
	char cmd[512];
	void *dl;

	if (argc != 4) {
		fprintf(stderr, "usage: %s MODULE HSMCTL PIN\n", argv[0]);
		return 2;
	}
	printf("TAP version 13\n1..12\n");
	/* A lost event must fail the test, not hang the VM. */
	alarm(120);
	dl = dlopen(argv[1], RTLD_NOW);
	get = dl ? (CK_RV (*)(CK_FUNCTION_LIST_PTR_PTR))dlsym(dl, "C_GetFunctionList") : NULL;
	if (!get || get(&f) != CKR_OK || f->C_Initialize(NULL) != CKR_OK ||
	    f->C_GetSlotList(CK_TRUE, slots, &cnt) != CKR_OK || cnt != 1) {
		printf("# cannot load %s or it sees no board\n", argv[1]);
		while (n < 12)
			check(0, "set-up");
		return 1;
	}
	slot = slots[0];
	f->C_GetTokenInfo(slot, &ti);
	check(f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s) == CKR_OK &&
	      f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)argv[3], strlen(argv[3])) == CKR_OK &&
	      f->C_GenerateRandom(s, rnd, sizeof(rnd)) == CKR_OK,
	      "a session works before the unplug");
	check(f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev, NULL) == CKR_NO_EVENT,
	      "no slot event yet");

	check(system("tests/vm/vmctl unplug 0") == 0, "board 0 unplugged");
	check(f->C_WaitForSlotEvent(0, &ev, NULL) == CKR_OK && ev == slot,
	      "C_WaitForSlotEvent reports the slot");
	check(f->C_GenerateRandom(s, rnd, sizeof(rnd)) == CKR_DEVICE_REMOVED,
	      "the open session answers CKR_DEVICE_REMOVED");
	cnt = 4;
	check(f->C_GetSlotList(CK_TRUE, NULL, &cnt) == CKR_OK && cnt == 0,
	      "no token present");
	check(f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s2) ==
	      CKR_TOKEN_NOT_PRESENT, "a new session: CKR_TOKEN_NOT_PRESENT");

	check(system("tests/vm/vmctl plug 0") == 0 && wait_path("/dev/ttyUSB0", 1, 30),
	      "board 0 plugged back in");
	snprintf(cmd, sizeof(cmd), "%s attach /dev/ttyUSB0", argv[2]);
	check(system(cmd) == 0, "board 0 attached again");
	check(f->C_WaitForSlotEvent(0, &ev, NULL) == CKR_OK && ev == slot,
	      "C_WaitForSlotEvent reports the same slot");
	check(f->C_GetTokenInfo(slot, &ti2) == CKR_OK &&
	      !memcmp(ti.label, ti2.label, sizeof(ti.label)) &&
	      !memcmp(ti.serialNumber, ti2.serialNumber, sizeof(ti.serialNumber)),
	      "the same token label and serial after re-attach");
	check(f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s2) == CKR_OK &&
	      f->C_Login(s2, CKU_USER, (CK_UTF8CHAR_PTR)argv[3], strlen(argv[3])) == CKR_OK &&
	      f->C_GenerateRandom(s2, rnd, sizeof(rnd)) == CKR_OK,
	      "a new session works after a new login");
	f->C_Finalize(NULL);
	return fails ? 1 : 0;
}
