/*
 * tokens_priv: csignd's open tokens and keys as the files of token/ share
 * them (tokens.c opens and closes, keys.c finds and proves the keys,
 * certs.c reads their certificates, expiry.c watches them, sign.c signs).
 * Private to token/: it includes libp11.
 */
#ifndef CSIGN_TOKENS_PRIV_H
#define CSIGN_TOKENS_PRIV_H

#include <stdatomic.h>
#include <stddef.h>

#include <libp11.h>

#include "token/module.h"
#include "token/token.h"

/* One Token block, logged in (or not, see state). */
struct token {
	char name[KEY_NAME_MAX + 1];
	char *module_path;
	char *label;
	long slotid;
	struct p11_module *mod;
	PKCS11_SLOT *slot;
	PKCS11_KEY *keys; /* owned by libp11 */
	unsigned int nkeys;
	char *pinfile;		    /* to log in again (health.c) */
	unsigned timeout;	    /* its TokenTimeout, 0: the global one */
	unsigned long relogin_sess; /* its session, CK_INVALID_HANDLE (0) */
	atomic_int state;
	atomic_int why;	      /* enum token_why while not READY */
	atomic_int stuck;     /* abandoned threads inside it */
	atomic_uint marks;    /* token_mark() calls, see token_probe_done() */
	atomic_ulong signed_; /* signatures made */
	int reported;	      /* the state last audited (loop only) */
};

struct tokens {
	struct p11_module *mods; /* each distinct module, loaded once */
	size_t nmods;
	struct token *toks;
	size_t ntoks;
	struct token_key *keys;
	size_t nkeys;
};

/* tokens.c: the open token of a Token block name, or NULL. */
struct token *tokens_by_name(const struct tokens *t, const char *name);
/* tokens.c: put "CONFIG:LINE: " (the block at fault) before err. */
void tokens_err_at(const struct config *cfg, int line, char *err,
    size_t errlen);

/* keys.c: the libp11 private key of a Key block's Label and/or Id. */
PKCS11_KEY *token_p11key_find(const struct token *tk, const struct cfg_key *ck);
/* keys.c: find, describe and prove the next key of t: 0, or -1. */
int tokens_key_open(struct tokens *t, const struct cfg_key *ck, char *err,
    size_t errlen);
/* keys.c: refuse two Key blocks of one private key: 0, or -1. */
int tokens_check_aliases(const struct tokens *t, const struct config *cfg,
    char *err, size_t errlen);

/* certs.c: the certificate of a key, from its file or the token. */
X509 *token_key_cert(PKCS11_KEY *k, const struct cfg_key *ck, char *err,
    size_t errlen);
/* certs.c: the Chain file as DER certificates back to back: 0 or -1. */
int token_key_chain(struct token_key *k, const char *path, char *err,
    size_t errlen);
/* certs.c: fill a key's descriptive fields from its certificate. */
int token_key_describe(struct token_key *k, char *err, size_t errlen);

/* health.c: log in to tk again with its PinFile: 0, -1, P11_LOGIN_REFUSED. */
int token_relogin(struct token *tk);
/* tokens.c: 1 if a thread is stuck in some token of t. */
int tokens_any_stuck(const struct tokens *t);

/* expiry.c: warn about certificates expired or expiring within days. */
void tokens_warn_expiry(const struct tokens *t, unsigned days);

#endif
