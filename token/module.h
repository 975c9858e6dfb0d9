/*
 * module: the one way into a PKCS#11 token, for csignd (tokens.c's
 * tokens_open) and csign-admin (p11admin's p11a_open) alike.
 *
 * p11_module_load() loads a module with libp11 and lists its slots;
 * p11_login() finds the slot of a Token block among them (by TokenLabel,
 * or by Slot when there is no label), opens a session and logs in with
 * the PIN of the block's PinFile (token/pin.c), which is wiped on every
 * path.  A refused PIN is reported, never retried: each wrong PIN brings
 * the token closer to locking.
 *
 * Private to token/: only token/ includes libp11.
 */
#ifndef CSIGN_TOKEN_MODULE_H
#define CSIGN_TOKEN_MODULE_H

#include <stddef.h>

#include <libp11.h>

#include "records/config.h"

/* A loaded module: its libp11 context and slots. */
struct p11_module {
	char *path;
	PKCS11_CTX *ctx;
	PKCS11_SLOT *slots;
	unsigned int nslots;
};

/*
 * Modules whose habits csign works around (docs/tokens.md), known by the
 * manufacturer their C_GetInfo gives.
 */
enum p11_module_kind {
	P11_MOD_OTHER = 0,
	P11_MOD_SOFTHSM, /* "SoftHSM" */
	P11_MOD_TPM2	 /* tpm2-pkcs11: "tpm2-software.github.io" */
};

/* Is the loaded module m of this kind? */
int p11_module_is(const struct p11_module *m, enum p11_module_kind kind);

/* Load the module at path into m: 0, or -1 with err set (m then empty). */
int p11_module_load(struct p11_module *m, const char *path, char *err,
    size_t errlen);
/* Release m's slots and unload it; an empty m is fine. */
void p11_module_unload(struct p11_module *m);

/*
 * The slot of a Token block among a module's slots: by TokenLabel, or by
 * Slot id when there is no label; NULL if none.
 */
PKCS11_SLOT *p11_slot_find(const struct p11_module *m, const char *label,
    long slotid);

/* p11_login(): the token refused the PIN (wrong, or the token locked). */
#define P11_LOGIN_REFUSED (-2)

/*
 * Runs inside p11_login() while the PIN is still held, after libp11's
 * login: 0, or -1 with err set.  csign-admin logs its own session in.
 */
typedef int (*p11_pin_hook)(void *arg, PKCS11_SLOT *slot, const char *pin,
    char *err, size_t errlen);

/*
 * Open and log in to the token of Token block ct in the loaded module m:
 * find its slot, open a session (read-write if rw), read the PIN of its
 * PinFile and log in as the user, then run hook (if not NULL) with the
 * PIN.  0 with *slot set; -1 with err set; P11_LOGIN_REFUSED with err
 * set if the token refused the PIN.
 */
int p11_login(const struct p11_module *m, const struct cfg_token *ct, int rw,
    p11_pin_hook hook, void *arg, PKCS11_SLOT **slot, char *err, size_t errlen);

#endif
