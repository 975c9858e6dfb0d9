/*
 * admin_open.c: csign-admin's way into a token (see p11admin.h): list a
 * module's slots, and open a Token block through module.c, the login
 * csignd takes, plus a session of our own in the module itself.
 *
 * libp11 does the module loading, login, listing and certificate
 * storage, as for the monitor.  Key generation, public keys and removal
 * go to the module directly (see admin_keygen.c, admin_pubkey.c,
 * admin_cert.c): we look up the module's function list in the copy
 * libp11 has loaded (dlopen with RTLD_NOLOAD returns that very instance,
 * already C_Initialize'd by libp11) and open our own session on the same
 * slot.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "token/admin_priv.h"

/* Copy a token string, without the blank padding PKCS#11 adds. */
static void
copy_trim(char *dst, size_t dstlen, const char *src)
{
	size_t n;

	snprintf(dst, dstlen, "%s", src != NULL ? src : "");
	n = strlen(dst);
	while (n > 0 && dst[n - 1] == ' ')
		dst[--n] = '\0';
}

/* Describe one slot. */
static void
slot_info(PKCS11_SLOT *s, struct p11a_slot *o)
{
	PKCS11_TOKEN *t = s->token;

	memset(o, 0, sizeof(*o));
	o->id = PKCS11_get_slotid_from_slot(s);
	if (t == NULL)
		return;
	o->has_token = 1;
	copy_trim(o->label, sizeof(o->label), t->label);
	copy_trim(o->model, sizeof(o->model), t->model);
	copy_trim(o->serial, sizeof(o->serial), t->serialnr);
	o->initialized = t->initialized;
	o->login_required = t->loginRequired;
	o->user_pin_set = t->userPinSet;
	o->read_only = t->readOnly;
	o->pin_count_low = t->userPinCountLow;
	o->pin_final_try = t->userPinFinalTry;
	o->pin_locked = t->userPinLocked;
}

int
p11a_list_slots(const char *module, struct p11a_slot **slots, size_t *nslots,
    char *err, size_t errlen)
{
	struct p11_module m;

	*slots = NULL;
	*nslots = 0;
	if (p11_module_load(&m, module, err, errlen) == -1)
		return -1;
	if (m.nslots > 0 &&
	    (*slots = calloc(m.nslots, sizeof(**slots))) == NULL) {
		snprintf(err, errlen, "out of memory");
		p11_module_unload(&m);
		return -1;
	}
	for (unsigned int i = 0; i < m.nslots; i++)
		slot_info(&m.slots[i], &(*slots)[i]);
	*nslots = m.nslots;
	p11_module_unload(&m);
	return 0;
}

/*
 * Reach the module's own function list: the instance libp11 loaded (so
 * RTLD_NOLOAD), already initialized by libp11, so no C_Initialize here.
 */
static int
raw_attach(struct p11a *a, const char *module, char *err, size_t errlen)
{
	CK_C_GetFunctionList getfl;

	if ((a->dl = dlopen(module, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD)) ==
	    NULL) {
		snprintf(err, errlen, "%s: module not loaded", module);
		return -1;
	}
	getfl = (CK_C_GetFunctionList)dlsym(a->dl, "C_GetFunctionList");
	if (getfl == NULL || getfl(&a->fl) != CKR_OK || a->fl == NULL ||
	    a->fl->version.major < 2) {
		snprintf(err, errlen, "%s: no usable C_GetFunctionList",
		    module);
		a->fl = NULL;
		return -1;
	}
	return 0;
}

/*
 * Our session (read-write if rw), logged in as the user.  Login state is
 * shared by all sessions of the application, so after libp11's login the
 * token may answer CKR_USER_ALREADY_LOGGED_IN, which is what we want.
 */
static int
raw_login(struct p11a *a, int rw, const char *pin, char *err, size_t errlen)
{
	CK_SESSION_INFO info;
	CK_STATE want;
	CK_RV rv;

	rv = a->fl->C_OpenSession(PKCS11_get_slotid_from_slot(a->slot),
	    CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0), NULL, NULL,
	    &a->sess);
	if (rv != CKR_OK) {
		a->sess = CK_INVALID_HANDLE;
		snprintf(err, errlen,
		    "token %s: cannot open a session "
		    "(0x%lx)",
		    a->name, rv);
		return -1;
	}
	rv = a->fl->C_Login(a->sess, CKU_USER, (CK_BYTE *)pin, strlen(pin));
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
		snprintf(err, errlen, "token %s: login failed (0x%lx)", a->name,
		    rv);
		return -1;
	}
	want = rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
	if (a->fl->C_GetSessionInfo(a->sess, &info) != CKR_OK ||
	    info.state != want) {
		snprintf(err, errlen, "token %s: our session is not logged in",
		    a->name);
		return -1;
	}
	return 0;
}

/*
 * The hook module.c runs after libp11's login, while it still holds the
 * PIN: attach to the module and log our own session in with it.
 */
static int
own_session(void *arg, PKCS11_SLOT *slot, const char *pin, char *err,
    size_t errlen)
{
	struct p11a *a = arg;

	a->slot = slot;
	if (raw_attach(a, a->mod.path, err, errlen) == -1)
		return -1;
	return raw_login(a, a->rw, pin, err, errlen);
}

struct p11a *
p11a_open(const struct cfg_token *ct, int rw, char *err, size_t errlen)
{
	PKCS11_SLOT *slot;
	struct p11a *a;

	err[0] = '\0';
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(a->name, sizeof(a->name), "%s", ct->name);
	a->rw = rw;
	if (p11_module_load(&a->mod, ct->module, err, errlen) == -1 ||
	    p11_login(&a->mod, ct, rw, own_session, a, &slot, err, errlen) !=
		0) {
		p11a_close(a);
		return NULL;
	}
	a->slot = slot;
	return a;
}

void
p11a_close(struct p11a *a)
{
	if (a == NULL)
		return;
	/* Our session and reference go before libp11 finalizes the module. */
	if (a->fl != NULL && a->sess != CK_INVALID_HANDLE)
		a->fl->C_CloseSession(a->sess);
	if (a->dl != NULL)
		dlclose(a->dl);
	p11_module_unload(&a->mod);
	free(a);
}

const char *
p11a_token_label(const struct p11a *a)
{
	return a->slot->token->label;
}

unsigned long
p11a_slot_id(const struct p11a *a)
{
	return PKCS11_get_slotid_from_slot(a->slot);
}
