/*
 * module.c: load a PKCS#11 module and log in to one of its tokens, the
 * path csignd and csign-admin share (see module.h).
 */
#include "token/module.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "token/pin.h"

int
p11_module_load(struct p11_module *m, const char *path, char *err,
    size_t errlen)
{
	memset(m, 0, sizeof(*m));
	if ((m->path = strdup(path)) == NULL ||
	    (m->ctx = PKCS11_CTX_new()) == NULL) {
		free(m->path);
		m->path = NULL;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (PKCS11_CTX_load(m->ctx, path) != 0) {
		snprintf(err, errlen, "cannot load PKCS#11 module %s", path);
		goto fail;
	}
	if (PKCS11_enumerate_slots(m->ctx, &m->slots, &m->nslots) != 0) {
		snprintf(err, errlen, "%s: cannot list slots", path);
		PKCS11_CTX_unload(m->ctx);
		goto fail;
	}
	return 0;
fail:
	PKCS11_CTX_free(m->ctx);
	free(m->path);
	memset(m, 0, sizeof(*m));
	return -1;
}

int
p11_module_is(const struct p11_module *m, enum p11_module_kind kind)
{
	static const char *const makers[] = {
		[P11_MOD_SOFTHSM] = "SoftHSM",
		[P11_MOD_TPM2] = "tpm2-software.github.io",
	};
	const char *who;

	if (m->ctx == NULL || (who = m->ctx->manufacturer) == NULL ||
	    kind <= P11_MOD_OTHER || kind > P11_MOD_TPM2)
		return 0;
	return strncmp(who, makers[kind], strlen(makers[kind])) == 0;
}

void
p11_module_unload(struct p11_module *m)
{
	if (m->ctx != NULL) {
		if (m->slots != NULL)
			PKCS11_release_all_slots(m->ctx, m->slots, m->nslots);
		PKCS11_CTX_unload(m->ctx);
		PKCS11_CTX_free(m->ctx);
	}
	free(m->path);
	memset(m, 0, sizeof(*m));
	ERR_clear_error();
}

PKCS11_SLOT *
p11_slot_find(const struct p11_module *m, const char *label, long slotid)
{
	for (unsigned int i = 0; i < m->nslots; i++) {
		PKCS11_SLOT *s = &m->slots[i];

		if (s->token == NULL || !s->token->initialized)
			continue;
		if (label != NULL && strcmp(s->token->label, label) == 0)
			return s;
		if (label == NULL &&
		    (long)PKCS11_get_slotid_from_slot(s) == slotid)
			return s;
	}
	return NULL;
}

/*
 * Put in dst the labels of the initialized tokens of a module, as
 * "'a' (slot 1), 'b' (slot 2)" (or "none"), for a Token block that names
 * none of them.
 */
static void
module_labels(const struct p11_module *m, char *dst, size_t len)
{
	size_t n = 0;

	dst[0] = '\0';
	for (unsigned int i = 0; i < m->nslots && n < len; i++) {
		PKCS11_SLOT *s = &m->slots[i];

		if (s->token == NULL || !s->token->initialized)
			continue;
		n += (size_t)snprintf(dst + n, len - n, "%s'%s' (slot %lu)",
		    n > 0 ? ", " : "", s->token->label,
		    PKCS11_get_slotid_from_slot(s));
	}
	if (n == 0)
		snprintf(dst, len, "none");
}

/* The Token block's TokenLabel or Slot names no token of its module. */
static void
token_missing(const struct p11_module *m, const struct cfg_token *ct, char *err,
    size_t errlen)
{
	char there[256];

	module_labels(m, there, sizeof(there));
	if (ct->label != NULL)
		snprintf(err, errlen,
		    "token %s: no initialized token labelled "
		    "'%s' in %s (tokens there: %s)",
		    ct->name, ct->label, ct->module, there);
	else
		snprintf(err, errlen,
		    "token %s: no initialized token in slot "
		    "%ld of %s (tokens there: %s)",
		    ct->name, ct->slot, ct->module, there);
}

/*
 * Log in to the token in slot.  The PIN lives in a stack buffer only for
 * the login (and the hook) and is wiped on every path.
 */
static int
slot_login(PKCS11_SLOT *slot, const struct cfg_token *ct, int rw,
    p11_pin_hook hook, void *arg, char *err, size_t errlen)
{
	char pin[PIN_MAX];
	int r = -1;

	if (PKCS11_open_session(slot, rw) != 0) {
		snprintf(err, errlen, "token %s: cannot open a %ssession",
		    ct->name, rw ? "read-write " : "");
		return -1;
	}
	if (pin_read(ct->pinfile, pin, sizeof(pin), err, errlen) == -1)
		goto out;
	if (PKCS11_login(slot, 0, pin) != 0) {
		snprintf(err, errlen,
		    "token %s: login failed with the PIN "
		    "of PinFile %s (wrong PIN or token locked); not retrying: "
		    "each wrong PIN brings the token closer to locking",
		    ct->name, ct->pinfile);
		r = P11_LOGIN_REFUSED;
		goto out;
	}
	r = hook != NULL ? hook(arg, slot, pin, err, errlen) : 0;
out:
	explicit_bzero(pin, sizeof(pin));
	return r;
}

int
p11_login(const struct p11_module *m, const struct cfg_token *ct, int rw,
    p11_pin_hook hook, void *arg, PKCS11_SLOT **slot, char *err, size_t errlen)
{
	PKCS11_SLOT *s;
	int r;

	*slot = NULL;
	if ((s = p11_slot_find(m, ct->label, ct->slot)) == NULL) {
		token_missing(m, ct, err, errlen);
		return -1;
	}
	if ((r = slot_login(s, ct, rw, hook, arg, err, errlen)) == 0)
		*slot = s;
	return r;
}
