/*
 * p11admin.c: slots, objects, key generation and certificate storage for
 * csign-admin (see p11admin.h).
 *
 * libp11 does the module loading, login, listing and certificate
 * storage, as for the monitor.  Key generation alone goes to the module
 * directly: libp11's PKCS11_generate_key is deprecated, RSA only, and sets
 * CKA_DECRYPT on the private key and no CKA_EXTRACTABLE at all, so the
 * attributes would be the module's defaults.  We look up the module's
 * function list in the copy libp11 has loaded (dlopen with RTLD_NOLOAD
 * returns that very instance, already C_Initialize'd by libp11) and open
 * our own session on the same slot.
 *
 * Public keys are read through that session too (CKA_MODULUS and
 * CKA_PUBLIC_EXPONENT, or CKA_EC_PARAMS and CKA_EC_POINT): libp11 0.4's
 * PKCS11_get_public_key leaks the key object and, through it, the slot
 * with libp11's copy of the PIN.
 */
#include "token/p11admin.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libp11.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "common/sigcheck.h"
#include "common/util.h"
#include "token/pin.h"
#include "token/pkcs11_min.h"
#include "token/token.h"

struct p11a {
	char name[KEY_NAME_MAX + 1];
	PKCS11_CTX *ctx;
	PKCS11_SLOT *slots;
	unsigned int nslots;
	PKCS11_SLOT *slot;
	void *dl;			/* our reference to the module */
	CK_FUNCTION_LIST *fl;		/* the module's own functions */
	CK_SESSION_HANDLE sess;		/* our read-write session, or 0 */
};

/* DER OIDs of the curves, as CKA_EC_PARAMS wants them. */
static const uint8_t oid_p256[] = {
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07
};
static const uint8_t oid_p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };

/* What each key type is made of. */
static const struct keyspec {
	const char *name;
	int ec;
	CK_ULONG bits;
	const uint8_t *oid;	/* EC: CKA_EC_PARAMS */
	size_t oidlen;
} keyspecs[P11A_KT_COUNT] = {
	[P11A_RSA3072] = { "rsa:3072", 0, 3072, NULL, 0 },
	[P11A_RSA4096] = { "rsa:4096", 0, 4096, NULL, 0 },
	[P11A_EC_P256] = { "ec:p256", 1, 256, oid_p256, sizeof(oid_p256) },
	[P11A_EC_P384] = { "ec:p384", 1, 384, oid_p384, sizeof(oid_p384) },
};

/* The curves whose public keys we read, by CKA_EC_PARAMS. */
static const uint8_t oid_p521[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23 };
static const struct curve {
	const uint8_t *oid;
	size_t oidlen;
	const char *group;
	size_t ptlen;
} curves[] = {
	{ oid_p256, sizeof(oid_p256), "prime256v1", 65 },
	{ oid_p384, sizeof(oid_p384), "secp384r1", 97 },
	{ oid_p521, sizeof(oid_p521), "secp521r1", 133 },
};

int
p11a_keytype_from_name(const char *name)
{
	for (int i = 0; i < P11A_KT_COUNT; i++)
		if (strcmp(keyspecs[i].name, name) == 0)
			return i;
	return -1;
}

const char *
p11a_keytype_name(int kt)
{
	return kt >= 0 && kt < P11A_KT_COUNT ? keyspecs[kt].name : "unknown";
}

/* Load a module and list its slots. */
static int
module_load(const char *path, PKCS11_CTX **ctxp, PKCS11_SLOT **slots,
    unsigned int *nslots, char *err, size_t errlen)
{
	PKCS11_CTX *ctx;

	if ((ctx = PKCS11_CTX_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (PKCS11_CTX_load(ctx, path) != 0) {
		snprintf(err, errlen, "cannot load PKCS#11 module %s", path);
		PKCS11_CTX_free(ctx);
		return -1;
	}
	if (PKCS11_enumerate_slots(ctx, slots, nslots) != 0) {
		snprintf(err, errlen, "%s: cannot list slots", path);
		PKCS11_CTX_unload(ctx);
		PKCS11_CTX_free(ctx);
		return -1;
	}
	*ctxp = ctx;
	return 0;
}

static void
module_unload(PKCS11_CTX *ctx, PKCS11_SLOT *slots, unsigned int nslots)
{
	if (ctx == NULL)
		return;
	if (slots != NULL)
		PKCS11_release_all_slots(ctx, slots, nslots);
	PKCS11_CTX_unload(ctx);
	PKCS11_CTX_free(ctx);
	ERR_clear_error();
}

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
	PKCS11_SLOT *s = NULL;
	PKCS11_CTX *ctx;
	unsigned int n = 0;

	*slots = NULL;
	*nslots = 0;
	if (module_load(module, &ctx, &s, &n, err, errlen) == -1)
		return -1;
	if (n > 0 && (*slots = calloc(n, sizeof(**slots))) == NULL) {
		snprintf(err, errlen, "out of memory");
		module_unload(ctx, s, n);
		return -1;
	}
	for (unsigned int i = 0; i < n; i++)
		slot_info(&s[i], &(*slots)[i]);
	*nslots = n;
	module_unload(ctx, s, n);
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
raw_login(struct p11a *a, int rw, char *pin, char *err, size_t errlen)
{
	CK_SESSION_INFO info;
	CK_STATE want;
	CK_RV rv;

	rv = a->fl->C_OpenSession(PKCS11_get_slotid_from_slot(a->slot),
	    CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0), NULL, NULL,
	    &a->sess);
	if (rv != CKR_OK) {
		a->sess = CK_INVALID_HANDLE;
		snprintf(err, errlen, "token %s: cannot open a session "
		    "(0x%lx)", a->name, rv);
		return -1;
	}
	rv = a->fl->C_Login(a->sess, CKU_USER, (CK_BYTE *)pin, strlen(pin));
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
		snprintf(err, errlen, "token %s: login failed (0x%lx)",
		    a->name, rv);
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
 * Log in with the PIN of the Token block, for libp11 and in our own
 * session.  The PIN lives in a stack buffer wiped on every path.
 */
static int
token_login(struct p11a *a, const struct cfg_token *ct, int rw, char *err,
    size_t errlen)
{
	char pin[PIN_MAX];
	int r = -1;

	if (PKCS11_open_session(a->slot, rw) != 0) {
		snprintf(err, errlen, "token %s: cannot open a %s session",
		    a->name, rw ? "read-write" : "read-only");
		return -1;
	}
	if (pin_read(ct->pinfile, pin, sizeof(pin), err, errlen) == -1)
		goto out;
	if (PKCS11_login(a->slot, 0, pin) != 0) {
		snprintf(err, errlen, "token %s: login failed (wrong PIN or "
		    "token locked); not retrying", a->name);
		goto out;
	}
	if (raw_attach(a, ct->module, err, errlen) == -1 ||
	    raw_login(a, rw, pin, err, errlen) == -1)
		goto out;
	r = 0;
out:
	explicit_bzero(pin, sizeof(pin));
	return r;
}

/* Read one attribute of up to *len bytes into buf; 0 or -1. */
static int
get_attr(struct p11a *a, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
    uint8_t *buf, size_t *len)
{
	CK_ATTRIBUTE at = { type, buf, (CK_ULONG)*len };

	if (a->fl->C_GetAttributeValue(a->sess, h, &at, 1) != CKR_OK ||
	    at.ulValueLen == CK_UNAVAILABLE_INFORMATION || at.ulValueLen > *len)
		return -1;
	*len = at.ulValueLen;
	return 0;
}

/* The first object of class cls with this id (and label, if not NULL). */
static CK_OBJECT_HANDLE
raw_find(struct p11a *a, CK_OBJECT_CLASS cls, const uint8_t *id,
    size_t idlen, const char *label)
{
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ATTRIBUTE t[3] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, (void *)id, idlen },
		{ CKA_LABEL, (void *)label, label != NULL ? strlen(label) : 0 },
	};
	CK_ULONG n = 0;

	if (a->fl->C_FindObjectsInit(a->sess, t, label != NULL ? 3 : 2) !=
	    CKR_OK)
		return CK_INVALID_HANDLE;
	if (a->fl->C_FindObjects(a->sess, &h, 1, &n) != CKR_OK || n != 1)
		h = CK_INVALID_HANDLE;
	a->fl->C_FindObjectsFinal(a->sess);
	return h;
}

/* Build a public EVP_PKEY of type name from params. */
static EVP_PKEY *
pkey_from_params(const char *name, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, name, NULL);
	EVP_PKEY *pkey = NULL;

	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

/* An RSA public key from the modulus and exponent of object h. */
static EVP_PKEY *
rsa_pub(struct p11a *a, CK_OBJECT_HANDLE h, OSSL_PARAM_BLD *bld)
{
	uint8_t mod[1024], exp[64];
	size_t ml = sizeof(mod), el = sizeof(exp);
	BIGNUM *n = NULL, *e = NULL;
	EVP_PKEY *pkey = NULL;

	if (get_attr(a, h, CKA_MODULUS, mod, &ml) == 0 &&
	    get_attr(a, h, CKA_PUBLIC_EXPONENT, exp, &el) == 0 &&
	    (n = BN_bin2bn(mod, (int)ml, NULL)) != NULL &&
	    (e = BN_bin2bn(exp, (int)el, NULL)) != NULL &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) == 1 &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) == 1)
		pkey = pkey_from_params("RSA", bld);
	BN_free(n);
	BN_free(e);
	return pkey;
}

/* An EC public key from the curve and point of object h. */
static EVP_PKEY *
ec_pub(struct p11a *a, CK_OBJECT_HANDLE h, OSSL_PARAM_BLD *bld)
{
	uint8_t params[64], point[256];
	size_t parl = sizeof(params), ptl = sizeof(point), len;
	const struct curve *c = NULL;
	const uint8_t *pt;

	if (get_attr(a, h, CKA_EC_PARAMS, params, &parl) == -1 ||
	    get_attr(a, h, CKA_EC_POINT, point, &ptl) == -1)
		return NULL;
	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (curves[i].oidlen == parl &&
		    memcmp(curves[i].oid, params, parl) == 0)
			c = &curves[i];
	if (c == NULL || p11a_ec_point(point, ptl, c->ptlen, &pt, &len) == -1 ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
		c->group, 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt,
		len) != 1)
		return NULL;
	return pkey_from_params("EC", bld);
}

/*
 * The public key held by object h: a public key, or an RSA private key
 * (whose modulus and exponent are public).  NULL if unreadable.
 */
static EVP_PKEY *
raw_pub(struct p11a *a, CK_OBJECT_HANDLE h)
{
	OSSL_PARAM_BLD *bld;
	CK_KEY_TYPE kt;
	size_t l = sizeof(kt);
	EVP_PKEY *pkey = NULL;

	if (h == CK_INVALID_HANDLE ||
	    get_attr(a, h, CKA_KEY_TYPE, (uint8_t *)&kt, &l) == -1 ||
	    l != sizeof(kt) || (bld = OSSL_PARAM_BLD_new()) == NULL)
		return NULL;
	if (kt == CKK_RSA)
		pkey = rsa_pub(a, h, bld);
	else if (kt == CKK_EC)
		pkey = ec_pub(a, h, bld);
	OSSL_PARAM_BLD_free(bld);
	ERR_clear_error();
	return pkey;
}

struct p11a *
p11a_open(const struct cfg_token *ct, int rw, char *err, size_t errlen)
{
	struct p11a *a;

	err[0] = '\0';
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(a->name, sizeof(a->name), "%s", ct->name);
	if (module_load(ct->module, &a->ctx, &a->slots, &a->nslots, err,
	    errlen) == -1)
		goto fail;
	if ((a->slot = token_slot_find(a->slots, a->nslots, ct->label,
	    ct->slot)) == NULL) {
		if (ct->label != NULL)
			snprintf(err, errlen, "token %s: no initialized token "
			    "labelled %s in %s", a->name, ct->label,
			    ct->module);
		else
			snprintf(err, errlen, "token %s: no initialized token "
			    "in slot %ld of %s", a->name, ct->slot, ct->module);
		goto fail;
	}
	if (token_login(a, ct, rw, err, errlen) == -1)
		goto fail;
	return a;
fail:
	p11a_close(a);
	return NULL;
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
	module_unload(a->ctx, a->slots, a->nslots);
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

/* Fill the common fields of an object; 0, or -1 if out of memory. */
static int
object_init(struct p11a_object *o, enum p11a_kind kind, const char *label,
    const unsigned char *id, size_t idlen)
{
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	if ((o->label = strdup(label != NULL ? label : "")) == NULL)
		return -1;
	o->idlen = idlen < sizeof(o->id) ? idlen : sizeof(o->id);
	if (o->idlen > 0)
		memcpy(o->id, id, o->idlen);
	return 0;
}

/* The public key object of the same id as o, among objs[0..n). */
static EVP_PKEY *
pub_by_id(const struct p11a_object *objs, size_t n, const struct p11a_object *o)
{
	for (size_t i = 0; i < n; i++)
		if (objs[i].kind == P11A_PUBLIC && objs[i].pub != NULL &&
		    objs[i].idlen == o->idlen &&
		    memcmp(objs[i].id, o->id, o->idlen) == 0 &&
		    EVP_PKEY_up_ref(objs[i].pub) == 1)
			return objs[i].pub;
	return NULL;
}

/*
 * Copy out the certificates, then the public keys, then the private
 * keys, each list completely before asking libp11 for the next one (a
 * libp11 call may refresh a list and move its entries).
 */
static int
objects_fill(struct p11a *a, struct p11a_object *o, size_t *n, size_t max)
{
	PKCS11_TOKEN *tok = a->slot->token;
	PKCS11_CERT *c;
	PKCS11_KEY *k;
	unsigned int nc, nk;

	if (PKCS11_enumerate_certs(tok, &c, &nc) != 0)
		return -1;
	for (unsigned int i = 0; i < nc && *n < max; i++, (*n)++) {
		if (object_init(&o[*n], P11A_CERT, c[i].label, c[i].id,
		    c[i].id_len) == -1 ||
		    (c[i].x509 != NULL &&
		    (o[*n].cert = X509_dup(c[i].x509)) == NULL))
			return -1;
		if (o[*n].cert != NULL && (o[*n].pub =
		    X509_get_pubkey(o[*n].cert)) == NULL)
			ERR_clear_error();
	}
	if (PKCS11_enumerate_public_keys(tok, &k, &nk) != 0)
		return -1;
	for (unsigned int i = 0; i < nk && *n < max; i++, (*n)++) {
		if (object_init(&o[*n], P11A_PUBLIC, k[i].label, k[i].id,
		    k[i].id_len) == -1)
			return -1;
		o[*n].pub = raw_pub(a, raw_find(a, CKO_PUBLIC_KEY, k[i].id,
		    k[i].id_len, k[i].label));
	}
	if (PKCS11_enumerate_keys(tok, &k, &nk) != 0)
		return -1;
	for (unsigned int i = 0; i < nk && *n < max; i++, (*n)++) {
		if (object_init(&o[*n], P11A_PRIVATE, k[i].label, k[i].id,
		    k[i].id_len) == -1)
			return -1;
		if ((o[*n].pub = pub_by_id(o, *n, &o[*n])) == NULL)
			o[*n].pub = raw_pub(a, raw_find(a, CKO_PRIVATE_KEY,
			    k[i].id, k[i].id_len, k[i].label));
	}
	return 0;
}

#define OBJECTS_MAX 4096

int
p11a_objects(struct p11a *a, struct p11a_object **objs, size_t *nobjs,
    char *err, size_t errlen)
{
	struct p11a_object *o;
	size_t n = 0;

	*objs = NULL;
	*nobjs = 0;
	if ((o = calloc(OBJECTS_MAX, sizeof(*o))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (objects_fill(a, o, &n, OBJECTS_MAX) == -1) {
		snprintf(err, errlen, "token %s: cannot list objects",
		    a->name);
		p11a_objects_free(o, n + 1 < OBJECTS_MAX ? n + 1 : n);
		ERR_clear_error();
		return -1;
	}
	ERR_clear_error();
	*objs = o;
	*nobjs = n;
	return 0;
}

void
p11a_objects_free(struct p11a_object *objs, size_t nobjs)
{
	if (objs == NULL)
		return;
	for (size_t i = 0; i < nobjs; i++) {
		free(objs[i].label);
		EVP_PKEY_free(objs[i].pub);
		X509_free(objs[i].cert);
	}
	free(objs);
}

/* The public key of the certificate with k's id, if any. */
static EVP_PKEY *
cert_pub(struct p11a *a, const struct p11a_key *k)
{
	PKCS11_CERT *c;
	unsigned int n;

	if (PKCS11_enumerate_certs(a->slot->token, &c, &n) != 0)
		return NULL;
	for (unsigned int i = 0; i < n; i++)
		if (c[i].x509 != NULL && c[i].id_len == k->idlen &&
		    memcmp(c[i].id, k->id, k->idlen) == 0)
			return X509_get_pubkey(c[i].x509);
	return NULL;
}

/*
 * The public key of the private key k labelled label: from the public
 * key object of its id, from the key itself (RSA), or from the
 * certificate of its id.
 */
static EVP_PKEY *
key_pub(struct p11a *a, const struct p11a_key *k, const char *label)
{
	EVP_PKEY *pub;

	if ((pub = raw_pub(a, raw_find(a, CKO_PUBLIC_KEY, k->id, k->idlen,
	    NULL))) != NULL)
		return pub;
	if ((pub = raw_pub(a, raw_find(a, CKO_PRIVATE_KEY, k->id, k->idlen,
	    label))) != NULL)
		return pub;
	return cert_pub(a, k);
}

int
p11a_find_key(struct p11a *a, const char *label, struct p11a_key *k,
    char *err, size_t errlen)
{
	PKCS11_KEY *keys, *found = NULL;
	unsigned int n, count = 0;

	memset(k, 0, sizeof(*k));
	if (PKCS11_enumerate_keys(a->slot->token, &keys, &n) != 0) {
		snprintf(err, errlen, "token %s: cannot list keys", a->name);
		return -1;
	}
	for (unsigned int i = 0; i < n; i++) {
		if (keys[i].label == NULL || strcmp(keys[i].label, label) != 0)
			continue;
		found = &keys[i];
		count++;
	}
	if (count == 0) {
		snprintf(err, errlen, "token %s: no private key labelled "
		    "\"%s\"", a->name, label);
		return -1;
	}
	if (count > 1 || found->id_len > sizeof(k->id)) {
		snprintf(err, errlen, "token %s: %u private keys labelled "
		    "\"%s\" (or an overlong id); give each key its own label",
		    a->name, count, label);
		return -1;
	}
	k->idlen = found->id_len;
	memcpy(k->id, found->id, k->idlen);
	/* The signing handle first: later listings may move *found. */
	if ((k->priv = PKCS11_get_private_key(found)) == NULL) {
		snprintf(err, errlen, "token %s: cannot use the private key "
		    "\"%s\"", a->name, label);
		return -1;
	}
	if ((k->pub = key_pub(a, k, label)) == NULL) {
		snprintf(err, errlen, "token %s: cannot read the public key "
		    "of \"%s\"", a->name, label);
		p11a_key_clear(k);
		ERR_clear_error();
		return -1;
	}
	ERR_clear_error();
	return 0;
}

void
p11a_key_clear(struct p11a_key *k)
{
	EVP_PKEY_free(k->priv);
	EVP_PKEY_free(k->pub);
	memset(k, 0, sizeof(*k));
}

/* 1 if an object of the token has this label or (idlen > 0) this id. */
static int
object_exists(struct p11a *a, const char *label, const uint8_t *id,
    size_t idlen, char *err, size_t errlen)
{
	struct p11a_object *o;
	size_t n;
	int found = 0;

	if (p11a_objects(a, &o, &n, err, errlen) == -1)
		return -1;
	for (size_t i = 0; i < n && !found; i++) {
		if (strcmp(o[i].label, label) == 0)
			found = 1;
		else if (idlen > 0 && o[i].idlen == idlen &&
		    memcmp(o[i].id, id, idlen) == 0)
			found = 2;
	}
	p11a_objects_free(o, n);
	if (found == 1)
		snprintf(err, errlen, "token %s: an object labelled \"%s\" "
		    "exists already", a->name, label);
	else if (found == 2)
		snprintf(err, errlen, "token %s: an object with that id "
		    "exists already", a->name);
	return found ? -1 : 0;
}

/*
 * The attribute templates of a new pair.  The private key is a token
 * object, private, sensitive, never extractable, for signing only.
 */
struct gen_templates {
	CK_ATTRIBUTE pub[10];
	CK_ULONG npub;
	CK_ATTRIBUTE priv[12];
	CK_ULONG npriv;
};

static CK_BBOOL ck_true = CK_TRUE, ck_false = CK_FALSE;
static CK_BYTE rsa_e65537[] = { 0x01, 0x00, 0x01 };

#define ATTR(t, a, v, l) \
	((t)[n++] = (CK_ATTRIBUTE){ (a), (void *)(v), (CK_ULONG)(l) })

static void
gen_templates(struct gen_templates *g, const struct keyspec *ks,
    const char *label, const uint8_t *id, size_t idlen, CK_ULONG *bits)
{
	CK_ULONG n = 0;

	ATTR(g->pub, CKA_TOKEN, &ck_true, 1);
	ATTR(g->pub, CKA_PRIVATE, &ck_false, 1);
	ATTR(g->pub, CKA_VERIFY, &ck_true, 1);
	ATTR(g->pub, CKA_ENCRYPT, &ck_false, 1);
	ATTR(g->pub, CKA_WRAP, &ck_false, 1);
	ATTR(g->pub, CKA_LABEL, label, strlen(label));
	ATTR(g->pub, CKA_ID, id, idlen);
	if (ks->ec) {
		ATTR(g->pub, CKA_EC_PARAMS, ks->oid, ks->oidlen);
	} else {
		ATTR(g->pub, CKA_MODULUS_BITS, bits, sizeof(*bits));
		ATTR(g->pub, CKA_PUBLIC_EXPONENT, rsa_e65537,
		    sizeof(rsa_e65537));
	}
	g->npub = n;
	n = 0;
	ATTR(g->priv, CKA_TOKEN, &ck_true, 1);
	ATTR(g->priv, CKA_PRIVATE, &ck_true, 1);
	ATTR(g->priv, CKA_SENSITIVE, &ck_true, 1);
	ATTR(g->priv, CKA_EXTRACTABLE, &ck_false, 1);
	ATTR(g->priv, CKA_SIGN, &ck_true, 1);
	ATTR(g->priv, CKA_DECRYPT, &ck_false, 1);
	ATTR(g->priv, CKA_UNWRAP, &ck_false, 1);
	ATTR(g->priv, CKA_DERIVE, &ck_false, 1);
	ATTR(g->priv, CKA_LABEL, label, strlen(label));
	ATTR(g->priv, CKA_ID, id, idlen);
	g->npriv = n;
}

/*
 * Read back what the token made of the private key: every protection we
 * asked for must hold, and the key must never have been extractable.
 */
static int
check_private(struct p11a *a, CK_OBJECT_HANDLE h, char *err, size_t errlen)
{
	static const struct {
		CK_ATTRIBUTE_TYPE type;
		CK_BBOOL want;
		const char *name;
	} checks[] = {
		{ CKA_TOKEN, CK_TRUE, "CKA_TOKEN" },
		{ CKA_PRIVATE, CK_TRUE, "CKA_PRIVATE" },
		{ CKA_SENSITIVE, CK_TRUE, "CKA_SENSITIVE" },
		{ CKA_ALWAYS_SENSITIVE, CK_TRUE, "CKA_ALWAYS_SENSITIVE" },
		{ CKA_EXTRACTABLE, CK_FALSE, "CKA_EXTRACTABLE" },
		{ CKA_NEVER_EXTRACTABLE, CK_TRUE, "CKA_NEVER_EXTRACTABLE" },
		{ CKA_SIGN, CK_TRUE, "CKA_SIGN" },
		{ CKA_DECRYPT, CK_FALSE, "CKA_DECRYPT" },
	};

	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		CK_BBOOL v = 2;
		CK_ATTRIBUTE at = { checks[i].type, &v, sizeof(v) };

		if (a->fl->C_GetAttributeValue(a->sess, h, &at, 1) != CKR_OK ||
		    at.ulValueLen != sizeof(v) || v != checks[i].want) {
			snprintf(err, errlen, "token %s: the new private key "
			    "does not have %s %s; destroyed it", a->name,
			    checks[i].name, checks[i].want ? "true" : "false");
			return -1;
		}
	}
	return 0;
}

/*
 * Give both halves the key identifier as CKA_ID.  A module that refuses
 * to change CKA_ID keeps the random id the pair was made with (set back
 * on the public half if only the private half refused).
 */
static void
set_key_id(struct p11a *a, CK_OBJECT_HANDLE hpub, CK_OBJECT_HANDLE hpriv,
    struct p11a_key *k)
{
	uint8_t kid[P11A_KEY_ID_LEN];
	CK_ATTRIBUTE at = { CKA_ID, kid, sizeof(kid) };
	CK_ATTRIBUTE old = { CKA_ID, k->id, k->idlen };

	if (p11a_key_id(k->pub, kid) == -1 ||
	    a->fl->C_SetAttributeValue(a->sess, hpub, &at, 1) != CKR_OK)
		return;
	if (a->fl->C_SetAttributeValue(a->sess, hpriv, &at, 1) != CKR_OK) {
		a->fl->C_SetAttributeValue(a->sess, hpub, &old, 1);
		return;
	}
	memcpy(k->id, kid, sizeof(kid));
	k->idlen = sizeof(kid);
}

/* After C_GenerateKeyPair: check, read the public key, set the id. */
static int
keygen_finish(struct p11a *a, const struct keyspec *ks, CK_OBJECT_HANDLE hpub,
    CK_OBJECT_HANDLE hpriv, int derive_id, struct p11a_key *k, char *err,
    size_t errlen)
{
	if (check_private(a, hpriv, err, errlen) == -1)
		return -1;
	if ((k->pub = raw_pub(a, hpub)) == NULL ||
	    (CK_ULONG)EVP_PKEY_get_bits(k->pub) != ks->bits) {
		snprintf(err, errlen, "token %s: cannot read the new public "
		    "key; destroyed the pair", a->name);
		return -1;
	}
	if (derive_id)
		set_key_id(a, hpub, hpriv, k);
	return 0;
}

int
p11a_keygen(struct p11a *a, const char *label, int kt, const uint8_t *id,
    size_t idlen, struct p11a_key *k, char *err, size_t errlen)
{
	CK_MECHANISM mech = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_OBJECT_HANDLE hpub = CK_INVALID_HANDLE, hpriv = CK_INVALID_HANDLE;
	const struct keyspec *ks;
	struct gen_templates g;
	CK_ULONG bits;
	CK_RV rv;

	memset(k, 0, sizeof(*k));
	if (kt < 0 || kt >= P11A_KT_COUNT || a->fl == NULL ||
	    idlen > sizeof(k->id)) {
		snprintf(err, errlen, "internal error: bad keygen request");
		return -1;
	}
	ks = &keyspecs[kt];
	if (object_exists(a, label, id, idlen, err, errlen) != 0)
		return -1;
	/* Without an id: a random one until the key identifier is known. */
	k->idlen = idlen > 0 ? idlen : 16;
	if (idlen > 0)
		memcpy(k->id, id, idlen);
	else if (RAND_bytes(k->id, (int)k->idlen) != 1) {
		snprintf(err, errlen, "no random bytes for the key id");
		return -1;
	}
	bits = ks->bits;
	if (ks->ec)
		mech.mechanism = CKM_EC_KEY_PAIR_GEN;
	gen_templates(&g, ks, label, k->id, k->idlen, &bits);
	rv = a->fl->C_GenerateKeyPair(a->sess, &mech, g.pub, g.npub, g.priv,
	    g.npriv, &hpub, &hpriv);
	if (rv != CKR_OK) {
		snprintf(err, errlen, "token %s: key generation failed "
		    "(0x%lx)", a->name, rv);
		return -1;
	}
	if (keygen_finish(a, ks, hpub, hpriv, idlen == 0, k, err,
	    errlen) == -1) {
		a->fl->C_DestroyObject(a->sess, hpriv);
		a->fl->C_DestroyObject(a->sess, hpub);
		p11a_key_clear(k);
		return -1;
	}
	return 0;
}

int
p11a_store_cert(struct p11a *a, X509 *x, const char *label, const uint8_t *id,
    size_t idlen, char *err, size_t errlen)
{
	unsigned char idcopy[P11A_ID_MAX];
	char *lcopy;
	int r;

	/* libp11 takes non-const label and id. */
	if (idlen > sizeof(idcopy) || (lcopy = strdup(label)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (idlen > 0)
		memcpy(idcopy, id, idlen);
	r = PKCS11_store_certificate(a->slot->token, x, lcopy,
	    idlen > 0 ? idcopy : NULL, idlen, NULL);
	free(lcopy);
	ERR_clear_error();
	if (r != 0) {
		snprintf(err, errlen, "token %s: cannot store the certificate "
		    "\"%s\"", a->name, label);
		return -1;
	}
	return 0;
}

int
p11a_find_certs(struct p11a *a,
    int (*match)(const char *, const uint8_t *, size_t, const void *),
    const void *arg, char *label, size_t labellen, char *err, size_t errlen)
{
	PKCS11_CERT *c;
	unsigned int n;
	int count = 0;

	if (PKCS11_enumerate_certs(a->slot->token, &c, &n) != 0) {
		snprintf(err, errlen, "token %s: cannot list certificates",
		    a->name);
		return -1;
	}
	for (unsigned int i = 0; i < n; i++) {
		const char *l = c[i].label != NULL ? c[i].label : "";

		if (!match(l, c[i].id, c[i].id_len, arg))
			continue;
		if (count++ == 0)
			snprintf(label, labellen, "%s", l);
	}
	return count;
}

#define REMOVE_MAX 256	/* certificates looked at by one removal */

/* The handles of every certificate object, in our own session. */
static int
raw_certs(struct p11a *a, CK_OBJECT_HANDLE *h, CK_ULONG max, CK_ULONG *n)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_RV rv;

	*n = 0;
	if (a->fl->C_FindObjectsInit(a->sess, &t, 1) != CKR_OK)
		return -1;
	rv = a->fl->C_FindObjects(a->sess, h, max, n);
	a->fl->C_FindObjectsFinal(a->sess);
	return rv == CKR_OK ? 0 : -1;
}

/* Does the certificate object h match?  Unreadable fields never do. */
static int
raw_cert_matches(struct p11a *a, CK_OBJECT_HANDLE h,
    int (*match)(const char *, const uint8_t *, size_t, const void *),
    const void *arg)
{
	uint8_t label[256], id[P11A_ID_MAX];
	size_t llen = sizeof(label) - 1, idlen = sizeof(id);

	if (get_attr(a, h, CKA_LABEL, label, &llen) == -1)
		llen = 0;
	if (get_attr(a, h, CKA_ID, id, &idlen) == -1)
		idlen = 0;
	label[llen] = '\0';
	if (memchr(label, '\0', llen) != NULL)
		return 0;
	return match((const char *)label, id, idlen, arg);
}

/*
 * Removal goes through our own session: libp11 keeps listing an object
 * it has destroyed, so its list cannot tell what is left.  The matching
 * handles are collected first and destroyed after the search.
 */
int
p11a_remove_certs(struct p11a *a,
    int (*match)(const char *, const uint8_t *, size_t, const void *),
    const void *arg, size_t *removed, char *err, size_t errlen)
{
	CK_OBJECT_HANDLE h[REMOVE_MAX], doomed[REMOVE_MAX];
	CK_ULONG n, ndoomed = 0;

	*removed = 0;
	if (a->fl == NULL || raw_certs(a, h, REMOVE_MAX, &n) == -1) {
		snprintf(err, errlen, "token %s: cannot list certificates",
		    a->name);
		return -1;
	}
	for (CK_ULONG i = 0; i < n; i++)
		if (raw_cert_matches(a, h[i], match, arg))
			doomed[ndoomed++] = h[i];
	for (CK_ULONG i = 0; i < ndoomed; i++) {
		if (a->fl->C_DestroyObject(a->sess, doomed[i]) != CKR_OK) {
			snprintf(err, errlen, "token %s: cannot remove a "
			    "certificate", a->name);
			return -1;
		}
		(*removed)++;
	}
	return 0;
}

int
p11a_ec_point(const uint8_t *v, size_t vlen, size_t ptlen, const uint8_t **pt,
    size_t *len)
{
	/* DER OCTET STRING, short length form: 04 len point. */
	if (ptlen < 128 && vlen == ptlen + 2 && v[0] == 0x04 &&
	    v[1] == ptlen && v[2] == 0x04) {
		*pt = v + 2;
		*len = ptlen;
		return 0;
	}
	/* Long length form (one length byte): 04 81 len point. */
	if (ptlen >= 128 && ptlen < 256 && vlen == ptlen + 3 && v[0] == 0x04 &&
	    v[1] == 0x81 && v[2] == ptlen && v[3] == 0x04) {
		*pt = v + 3;
		*len = ptlen;
		return 0;
	}
	/* A bare uncompressed point. */
	if (vlen == ptlen && ptlen > 0 && v[0] == 0x04) {
		*pt = v;
		*len = ptlen;
		return 0;
	}
	return -1;
}

int
p11a_key_id(EVP_PKEY *pub, uint8_t id[P11A_KEY_ID_LEN])
{
	X509_PUBKEY *xpk = NULL;
	const unsigned char *bits;
	int len, r = -1;

	if (X509_PUBKEY_set(&xpk, pub) == 1 &&
	    X509_PUBKEY_get0_param(NULL, &bits, &len, NULL, xpk) == 1 &&
	    len > 0 && SHA1(bits, (size_t)len, id) != NULL)
		r = 0;
	X509_PUBKEY_free(xpk);
	return r;
}

int
p11a_spki_sha256(EVP_PKEY *pub, char hex[65])
{
	unsigned char *der = NULL;
	int len, r;

	if ((len = i2d_PUBKEY(pub, &der)) <= 0)
		return -1;
	r = util_sha256_hex(der, (size_t)len, hex);
	OPENSSL_free(der);
	return r;
}
