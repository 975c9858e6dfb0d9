/*
 * p11fault: a PKCS#11 module for the tests that loads a real module and
 * forwards every call to it, but can be told to corrupt the signatures
 * the token returns.  It stands for a faulty token (or HSM firmware), so
 * that a test can prove the session child never ships a signature that
 * does not verify.
 *
 * P11FAULT_MODULE   the real module (default SoftHSM's)
 * P11FAULT_CONTROL  a file; while it exists, C_Sign and C_SignFinal flip
 *                   one byte of every signature they return
 *
 * Built as a shared object for the test programs only.  Written from the
 * PKCS#11 v2.40 base specification: the function list is a version and
 * then 68 function pointers in the specification's order.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "token/pkcs11_min.h"

#define DEFAULT_MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define NFUNCS 68 /* functions of a v2.40 list */
#define IDX_GETFUNCTIONLIST 3
#define IDX_SIGN 43
#define IDX_SIGNFINAL 45

/* Any function: the one pointer type every other may be cast through. */
typedef void (*any_fn)(void);

/* The v2.40 list, all its entries as untyped pointers. */
struct fault_list {
	CK_VERSION version;
	any_fn fn[NFUNCS];
};

typedef CK_RV (
    *sign_fn)(CK_SESSION_HANDLE, CK_BYTE *, CK_ULONG, CK_BYTE *, CK_ULONG *);
typedef CK_RV (*sign_final_fn)(CK_SESSION_HANDLE, CK_BYTE *, CK_ULONG *);
typedef CK_RV (*get_list_fn)(struct fault_list **);

static struct fault_list *real; /* the real module's list */
static struct fault_list ours;	/* a copy with our entries */

CK_RV C_GetFunctionList(struct fault_list **list);

/* 1 while the control file exists. */
static int
faulty(void)
{
	const char *ctl = getenv("P11FAULT_CONTROL");

	return ctl != NULL && access(ctl, F_OK) == 0;
}

/* Flip the middle byte of a signature that was really returned. */
static void
corrupt(CK_RV rv, CK_BYTE *sig, const CK_ULONG *len)
{
	if (rv != 0 || sig == NULL || len == NULL || *len == 0 || !faulty())
		return;
	sig[*len / 2] ^= 0x5a;
	fprintf(stderr, "p11fault: corrupted a %lu-byte signature\n", *len);
}

static CK_RV
fault_sign(CK_SESSION_HANDLE s, CK_BYTE *data, CK_ULONG len, CK_BYTE *sig,
    CK_ULONG *siglen)
{
	CK_RV rv = ((sign_fn)real->fn[IDX_SIGN])(s, data, len, sig, siglen);

	corrupt(rv, sig, siglen);
	return rv;
}

static CK_RV
fault_sign_final(CK_SESSION_HANDLE s, CK_BYTE *sig, CK_ULONG *siglen)
{
	CK_RV rv = ((sign_final_fn)real->fn[IDX_SIGNFINAL])(s, sig, siglen);

	corrupt(rv, sig, siglen);
	return rv;
}

/* Load the real module once and build our list from its own. */
static int
load_real(void)
{
	const char *path = getenv("P11FAULT_MODULE");
	get_list_fn get;
	void *dl;

	if (real != NULL)
		return 0;
	if (path == NULL || *path == '\0')
		path = DEFAULT_MODULE;
	if ((dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		fprintf(stderr, "p11fault: %s\n", dlerror());
		return -1;
	}
	get = (get_list_fn)dlsym(dl, "C_GetFunctionList");
	if (get == NULL || get(&real) != 0 || real == NULL) {
		fprintf(stderr, "p11fault: %s: no function list\n", path);
		real = NULL;
		return -1;
	}
	memcpy(&ours, real, sizeof(ours));
	ours.fn[IDX_GETFUNCTIONLIST] = (any_fn)C_GetFunctionList;
	ours.fn[IDX_SIGN] = (any_fn)fault_sign;
	ours.fn[IDX_SIGNFINAL] = (any_fn)fault_sign_final;
	return 0;
}

CK_RV
C_GetFunctionList(struct fault_list **list)
{
	if (list == NULL)
		return 7; /* CKR_ARGUMENTS_BAD */
	if (load_real() == -1)
		return 5; /* CKR_GENERAL_ERROR */
	*list = &ours;
	return 0;
}
