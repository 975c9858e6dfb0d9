/*
 * token.c: PKCS#11 tokens and keys through libp11 (see token.h).
 *
 * Each distinct module is loaded once (PKCS#11 allows one C_Initialize per
 * process); each Token block is a slot of such a module, logged in once
 * with its PIN.  Keys are looked up once at start; their libp11 handles
 * stay valid until tokens_close().
 */
#include "token/token.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libp11.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "common/certfile.h"
#include "common/log.h"
#include "common/util.h"
#include "token/pin.h"

struct module {
	char *path;
	PKCS11_CTX *ctx;
	PKCS11_SLOT *slots;
	unsigned int nslots;
};

struct token {
	char name[KEY_NAME_MAX + 1];
	char *module_path;
	char *label;
	long slotid;
	struct module *mod;
	PKCS11_SLOT *slot;
	PKCS11_KEY *keys;	/* owned by libp11 */
	unsigned int nkeys;
	atomic_int state;
};

struct tokens {
	struct module *mods;
	size_t nmods;
	struct token *toks;
	size_t ntoks;
	struct token_key *keys;
	size_t nkeys;
};

const char *
token_state_name(enum token_state s)
{
	static const char *const names[] = { "ready", "locked", "unavailable" };

	return s <= TOKEN_UNAVAILABLE ? names[s] : "unknown";
}

/* Find the loaded module for path, loading it if needed. */
static struct module *
module_get(struct tokens *t, const char *path, char *err, size_t errlen)
{
	struct module *m;

	for (size_t i = 0; i < t->nmods; i++)
		if (strcmp(t->mods[i].path, path) == 0)
			return &t->mods[i];
	m = &t->mods[t->nmods];
	memset(m, 0, sizeof(*m));
	if ((m->path = strdup(path)) == NULL || (m->ctx = PKCS11_CTX_new()) == NULL) {
		free(m->path);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (PKCS11_CTX_load(m->ctx, path) != 0) {
		snprintf(err, errlen, "cannot load PKCS#11 module %s", path);
		PKCS11_CTX_free(m->ctx);
		free(m->path);
		return NULL;
	}
	if (PKCS11_enumerate_slots(m->ctx, &m->slots, &m->nslots) != 0) {
		snprintf(err, errlen, "%s: cannot list slots", path);
		PKCS11_CTX_unload(m->ctx);
		PKCS11_CTX_free(m->ctx);
		free(m->path);
		return NULL;
	}
	t->nmods++;
	return m;
}

struct PKCS11_slot_st *
token_slot_find(struct PKCS11_slot_st *slots, unsigned int n,
    const char *label, long slotid)
{
	for (unsigned int i = 0; i < n; i++) {
		PKCS11_SLOT *s = &slots[i];

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
 * Log in to one token.  The PIN lives in a stack buffer only for the
 * duration of the login and is wiped on every path.
 */
static int
token_login(struct token *tk, const struct cfg_token *ct, char *err,
    size_t errlen)
{
	char pin[PIN_MAX];
	int r;

	if (PKCS11_open_session(tk->slot, 0) != 0) {
		snprintf(err, errlen, "token %s: cannot open a session",
		    tk->name);
		return -1;
	}
	if (pin_read(ct->pinfile, pin, sizeof(pin), err, errlen) == -1) {
		explicit_bzero(pin, sizeof(pin));
		return -1;
	}
	r = PKCS11_login(tk->slot, 0, pin);
	explicit_bzero(pin, sizeof(pin));
	if (r != 0) {
		atomic_store(&tk->state, TOKEN_LOCKED);
		snprintf(err, errlen, "token %s: login failed with the PIN "
		    "of PinFile %s (wrong PIN or token locked); not retrying: "
		    "each wrong PIN brings the token closer to locking",
		    tk->name, ct->pinfile);
		return -1;
	}
	if (PKCS11_enumerate_keys(tk->slot->token, &tk->keys, &tk->nkeys) != 0) {
		snprintf(err, errlen, "token %s: cannot list keys", tk->name);
		return -1;
	}
	return 0;
}

/*
 * Append to dst the labels of the initialized tokens of a module, as
 * "'a', 'b'" (or "none"), for a Token block that names none of them.
 */
static void
module_labels(const struct module *m, char *dst, size_t len)
{
	size_t n = 0;

	dst[0] = '\0';
	for (unsigned int i = 0; i < m->nslots && n < len; i++) {
		const PKCS11_SLOT *s = &m->slots[i];

		if (s->token == NULL || !s->token->initialized)
			continue;
		n += (size_t)snprintf(dst + n, len - n, "%s'%s' (slot %lu)",
		    n > 0 ? ", " : "", s->token->label,
		    PKCS11_get_slotid_from_slot((PKCS11_SLOT *)s));
	}
	if (n == 0)
		snprintf(dst, len, "none");
}

/* The Token block's TokenLabel or Slot names no token of its module. */
static void
token_missing(const struct token *tk, const struct cfg_token *ct, char *err,
    size_t errlen)
{
	char there[256];

	module_labels(tk->mod, there, sizeof(there));
	if (ct->label != NULL)
		snprintf(err, errlen, "token %s: no initialized token labelled "
		    "'%s' in %s (tokens there: %s)", tk->name, ct->label,
		    ct->module, there);
	else
		snprintf(err, errlen, "token %s: no initialized token in slot "
		    "%ld of %s (tokens there: %s)", tk->name, ct->slot,
		    ct->module, there);
}

/* Open the token of one Token block. */
static int
token_open(struct tokens *t, const struct cfg_token *ct, char *err,
    size_t errlen)
{
	struct token *tk = &t->toks[t->ntoks];

	memset(tk, 0, sizeof(*tk));
	snprintf(tk->name, sizeof(tk->name), "%s", ct->name);
	tk->slotid = ct->slot;
	if ((tk->module_path = strdup(ct->module)) == NULL ||
	    (ct->label != NULL && (tk->label = strdup(ct->label)) == NULL)) {
		free(tk->module_path);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	t->ntoks++;
	atomic_store(&tk->state, TOKEN_UNAVAILABLE);
	if ((tk->mod = module_get(t, ct->module, err, errlen)) == NULL)
		return -1;
	if ((tk->slot = token_slot_find(tk->mod->slots, tk->mod->nslots,
	    tk->label, tk->slotid)) == NULL) {
		token_missing(tk, ct, err, errlen);
		return -1;
	}
	if (token_login(tk, ct, err, errlen) == -1)
		return -1;
	atomic_store(&tk->state, TOKEN_READY);
	return 0;
}

/* The open token of a Token block name. */
static struct token *
token_by_name(const struct tokens *t, const char *name)
{
	for (size_t i = 0; i < t->ntoks; i++)
		if (strcmp(t->toks[i].name, name) == 0)
			return &t->toks[i];
	return NULL;
}

/* The libp11 private key that matches a Key block's Label and/or Id. */
static PKCS11_KEY *
p11key_find(const struct token *tk, const struct cfg_key *ck)
{
	for (unsigned int i = 0; i < tk->nkeys; i++) {
		PKCS11_KEY *k = &tk->keys[i];

		if (!k->isPrivate)
			continue;
		if (ck->label != NULL &&
		    (k->label == NULL || strcmp(k->label, ck->label) != 0))
			continue;
		if (ck->idlen > 0 && (k->id_len != ck->idlen ||
		    memcmp(k->id, ck->id, ck->idlen) != 0))
			continue;
		return k;
	}
	return NULL;
}

/* The certificate of a key: from the configured file or from the token. */
static X509 *
key_cert(PKCS11_KEY *k, const struct cfg_key *ck, char *err, size_t errlen)
{
	PKCS11_CERT *c;
	X509 *x;

	if (ck->certfile != NULL) {
		char why[512];

		if ((x = certfile_load(ck->certfile, why, sizeof(why))) == NULL)
			snprintf(err, errlen, "key %s: cannot read certificate "
			    "%s", ck->name, why);
		return x;
	}
	if ((c = PKCS11_find_certificate(k)) == NULL || c->x509 == NULL) {
		snprintf(err, errlen, "key %s: no certificate with the key's "
		    "id on the token (set Certificate PATH)", ck->name);
		return NULL;
	}
	return X509_dup(c->x509);
}

/*
 * Load the Chain file (PEM, one or more certificates) as DER certificates
 * back to back, for the child to embed in signatures.
 */
static int
key_chain(struct token_key *k, const char *path, char *err, size_t errlen)
{
	STACK_OF(X509) *chain;
	unsigned char *der = NULL;
	BIO *mem = BIO_new(BIO_s_mem());
	char why[512], *p;
	long len;
	int n, r = -1;

	if ((chain = certfile_load_chain(path, why, sizeof(why))) == NULL ||
	    mem == NULL) {
		snprintf(err, errlen, "key %s: cannot read Chain %s", k->name,
		    chain == NULL ? why : path);
		goto out;
	}
	for (int i = 0; i < sk_X509_num(chain); i++) {
		n = i2d_X509(sk_X509_value(chain, i), &der);
		if (n <= 0 || BIO_write(mem, der, n) != n)
			goto out;
		OPENSSL_free(der);
		der = NULL;
	}
	len = BIO_get_mem_data(mem, &p);
	if (len <= 0 || len > 32768 ||
	    (k->chainder = malloc((size_t)len)) == NULL) {
		snprintf(err, errlen, "key %s: Chain %s: no certificates or "
		    "too large", k->name, path);
		goto out;
	}
	memcpy(k->chainder, p, (size_t)len);
	k->chainlen = (size_t)len;
	r = 0;
out:
	OPENSSL_free(der);
	BIO_free(mem);
	sk_X509_pop_free(chain, X509_free);
	return r;
}

/* Fill the descriptive fields of a key from its certificate. */
static int
key_describe(struct token_key *tk, char *err, size_t errlen)
{
	EVP_PKEY *pub = X509_get0_pubkey(tk->cert);
	unsigned char *der = NULL;
	int len;

	if (pub == NULL || (len = i2d_X509(tk->cert, &der)) <= 0) {
		snprintf(err, errlen, "key %s: bad certificate", tk->name);
		return -1;
	}
	tk->certder = der;
	tk->certlen = (size_t)len;
	util_sha256_hex(der, tk->certlen, tk->fingerprint);
	if (token_cert_not_after(tk->cert, &tk->notafter) == -1) {
		snprintf(err, errlen, "key %s: certificate without a readable "
		    "notAfter", tk->name);
		return -1;
	}
	tk->bits = EVP_PKEY_get_bits(pub);
	tk->maxsig = (size_t)EVP_PKEY_get_size(pub);
	if (EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA) {
		tk->keytype = KT_RSA;
		snprintf(tk->alg, sizeof(tk->alg), "rsa-%d", tk->bits);
	} else if (EVP_PKEY_get_base_id(pub) == EVP_PKEY_EC) {
		tk->keytype = KT_EC;
		snprintf(tk->alg, sizeof(tk->alg), "ec-p%d", tk->bits);
	} else {
		snprintf(err, errlen, "key %s: unsupported key type", tk->name);
		return -1;
	}
	if (tk->maxsig > SIG_MAX) {
		snprintf(err, errlen, "key %s: key too large", tk->name);
		return -1;
	}
	return 0;
}

/*
 * Prove that the token key and the certificate belong together and that
 * signing works: sign a random digest on the token, verify with the cert.
 */
static int
key_selftest(const struct token_key *k, const struct cfg_key *ck, char *err,
    size_t errlen)
{
	uint8_t tbs[DIGEST_MAX], sig[SIG_MAX];
	size_t tbslen = digest_len(ck->default_digest), siglen = sizeof(sig);

	if (k->keytype != KT_RSA && ck->padding == PAD_PSS) {
		snprintf(err, errlen, "key %s: Padding pss needs an RSA key",
		    k->name);
		return -1;
	}
	if (RAND_bytes(tbs, (int)tbslen) != 1 ||
	    token_sign(k, ck->default_digest, ck->padding, tbs, tbslen, sig,
		&siglen) == -1) {
		snprintf(err, errlen, "key %s: test signature on the token "
		    "failed", k->name);
		return -1;
	}
	if (sig_verify(X509_get0_pubkey(k->cert), ck->default_digest,
	    ck->padding, tbs, tbslen, sig, siglen) != 1) {
		snprintf(err, errlen, "key %s: the certificate%s%s does not "
		    "match the key on the token (a test signature by the key "
		    "does not verify with it)", k->name,
		    ck->certfile != NULL ? " " : " on the token",
		    ck->certfile != NULL ? ck->certfile : "");
		return -1;
	}
	return 0;
}

/* "Label NAME" / "Id HEX" of a Key block, for messages. */
static void
key_object_text(const struct cfg_key *ck, char *dst, size_t len)
{
	size_t n;

	if (ck->label != NULL) {
		snprintf(dst, len, "labelled '%s'%s", ck->label,
		    ck->idlen > 0 ? " with its Id" : "");
		return;
	}
	n = (size_t)snprintf(dst, len, "with Id ");
	for (size_t i = 0; i < ck->idlen && n + 2 < len; i++, n += 2)
		snprintf(dst + n, len - n, "%02x", ck->id[i]);
}

/*
 * A Key block names no private key of its token: say which it looked
 * for, and which private keys the token has (by label).
 */
static void
key_missing(const struct token *tk, const struct cfg_key *ck, char *err,
    size_t errlen)
{
	char what[160], there[200];
	size_t n = 0;

	key_object_text(ck, what, sizeof(what));
	there[0] = '\0';
	for (unsigned int i = 0; tk != NULL && i < tk->nkeys &&
	    n < sizeof(there); i++)
		if (tk->keys[i].isPrivate)
			n += (size_t)snprintf(there + n, sizeof(there) - n,
			    "%s'%s'", n > 0 ? ", " : "", tk->keys[i].label ?
			    tk->keys[i].label : "");
	snprintf(err, errlen, "key %s: no private key %s on token %s "
	    "(private keys there: %s)", ck->name, what, ck->token->name,
	    n > 0 ? there : "none");
}

/* Find and check one configured key. */
static int
key_open(struct tokens *t, const struct cfg_key *ck, char *err, size_t errlen)
{
	struct token_key *k = &t->keys[t->nkeys];
	struct token *tk;
	PKCS11_KEY *p11;

	memset(k, 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "%s", ck->name);
	if ((tk = token_by_name(t, ck->token->name)) == NULL ||
	    (p11 = p11key_find(tk, ck)) == NULL) {
		key_missing(tk, ck, err, errlen);
		return -1;
	}
	t->nkeys++;
	k->token = tk;
	k->p11key = p11;
	if ((k->pkey = PKCS11_get_private_key(p11)) == NULL) {
		snprintf(err, errlen, "key %s: cannot use the private key",
		    ck->name);
		return -1;
	}
	if ((k->cert = key_cert(p11, ck, err, errlen)) == NULL ||
	    key_describe(k, err, errlen) == -1)
		return -1;
	if (ck->chainfile != NULL && key_chain(k, ck->chainfile, err,
	    errlen) == -1)
		return -1;
	return key_selftest(k, ck, err, errlen);
}

/* SHA-256 of a key's public key (DER SubjectPublicKeyInfo) into out. */
static int
key_pubhash(const struct token_key *k, uint8_t out[32])
{
	unsigned char *der = NULL;
	int len;

	if ((len = i2d_PUBKEY(X509_get0_pubkey(k->cert), &der)) <= 0)
		return -1;
	SHA256(der, (size_t)len, out);
	OPENSSL_free(der);
	return 0;
}

/* Report Key blocks i and j of cfg as one private key; -1. */
static int
alias_error(const struct config *cfg, size_t i, size_t j, char *err,
    size_t errlen)
{
	const struct cfg_key *a = &cfg->keys[i], *b = &cfg->keys[j];
	char where[2 * KEY_NAME_MAX + 32];

	if (a->token == b->token)
		snprintf(where, sizeof(where), "token %s", a->token->name);
	else
		snprintf(where, sizeof(where), "tokens %s and %s",
		    a->token->name, b->token->name);
	snprintf(err, errlen, "%s:%d: Key '%s' and Key '%s' (line %d) are the "
	    "same private key (same public key, on %s): use one Key block "
	    "per key, and 'formats' on Allow lines to narrow a grant",
	    cfg->path, b->line, b->name, a->name, a->line, where);
	return -1;
}

/*
 * One private key, one Key block, seen from the token: two blocks whose
 * keys have the same public key (their self-tests proved each certificate
 * matches its token key) are the same private key, however their Label
 * and Id differ, even on two tokens.  Formats, Approval, Timestamp, rates
 * and disable-key go by the block's name, so an alias would bypass them.
 */
static int
tokens_check_aliases(const struct tokens *t, const struct config *cfg,
    char *err, size_t errlen)
{
	uint8_t (*h)[32];
	int r = 0;

	if ((h = calloc(t->nkeys + 1, sizeof(*h))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < t->nkeys && r == 0; i++)
		if (key_pubhash(&t->keys[i], h[i]) == -1) {
			snprintf(err, errlen, "key %s: cannot encode its "
			    "public key", t->keys[i].name);
			r = -1;
		}
	for (size_t j = 1; j < t->nkeys && r == 0; j++)
		for (size_t i = 0; i < j && r == 0; i++)
			if (memcmp(h[i], h[j], sizeof(h[i])) == 0)
				r = alias_error(cfg, i, j, err, errlen);
	free(h);
	return r;
}

/* Put "CONFIG:LINE: " (the block at fault) before the message in err. */
static void
err_at(const struct config *cfg, int line, char *err, size_t errlen)
{
	char msg[CONFIG_ERR_MAX];

	snprintf(msg, sizeof(msg), "%s", err);
	snprintf(err, errlen, "%s:%d: %s", cfg->path, line, msg);
}

/*
 * Open every token and key of cfg.  *locked is set when a login was
 * refused (wrong PIN, locked token): that is never retried.
 */
static struct tokens *
tokens_build(const struct config *cfg, char *err, size_t errlen, int *locked)
{
	struct tokens *t;

	err[0] = '\0';
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->mods = calloc(cfg->ntokens + 1, sizeof(*t->mods))) == NULL ||
	    (t->toks = calloc(cfg->ntokens + 1, sizeof(*t->toks))) == NULL ||
	    (t->keys = calloc(cfg->nkeys + 1, sizeof(*t->keys))) == NULL) {
		snprintf(err, errlen, "out of memory");
		tokens_close(t);
		return NULL;
	}
	for (size_t i = 0; i < cfg->ntokens; i++)
		if (token_open(t, &cfg->tokens[i], err, errlen) == -1) {
			err_at(cfg, cfg->tokens[i].line, err, errlen);
			goto fail;
		}
	for (size_t i = 0; i < cfg->nkeys; i++)
		if (key_open(t, &cfg->keys[i], err, errlen) == -1) {
			err_at(cfg, cfg->keys[i].line, err, errlen);
			goto fail;
		}
	if (tokens_check_aliases(t, cfg, err, errlen) == -1)
		goto fail;
	return t;
fail:
	for (size_t i = 0; i < t->ntoks; i++)
		if (atomic_load(&t->toks[i].state) == TOKEN_LOCKED)
			*locked = 1;
	tokens_close(t);
	return NULL;
}

int
token_cert_not_after(const X509 *x, time_t *t)
{
	const ASN1_TIME *na = X509_get0_notAfter(x);
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (na == NULL || ASN1_TIME_to_tm(na, &tm) != 1)
		return -1;
	*t = timegm(&tm);
	return 0;
}

void
token_time_str(time_t t, char buf[21])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, 21, "unknown");
}

long
token_days_left(time_t t, time_t now)
{
	long long d = (long long)t - (long long)now;

	return (long)(d >= 0 ? d / 86400 : -((-d + 86399) / 86400));
}

enum cert_expiry
token_cert_expiry(time_t notafter, time_t now, unsigned days)
{
	if (notafter <= now)
		return CERT_EXPIRED;
	if ((long long)notafter - (long long)now < (long long)days * 86400)
		return CERT_EXPIRING;
	return CERT_VALID;
}

/*
 * Warn about each key whose certificate expired or expires within the
 * configured window, so that the renewal is noticed in time.
 */
static void
tokens_warn_expiry(const struct tokens *t, unsigned days)
{
	time_t now = time(NULL);
	char when[21];

	for (size_t i = 0; i < t->nkeys; i++) {
		const struct token_key *k = &t->keys[i];

		token_time_str(k->notafter, when);
		switch (token_cert_expiry(k->notafter, now, days)) {
		case CERT_EXPIRED:
			log_warnx("key %s: certificate EXPIRED on %s", k->name,
			    when);
			break;
		case CERT_EXPIRING:
			log_warnx("key %s: certificate expires in %ld days, "
			    "on %s", k->name, token_days_left(k->notafter, now),
			    when);
			break;
		case CERT_VALID:
			break;
		}
	}
}

struct tokens *
tokens_open(const struct config *cfg, char *err, size_t errlen)
{
	struct tokens *t;
	int locked = 0;

	if ((t = tokens_build(cfg, err, errlen, &locked)) != NULL)
		tokens_warn_expiry(t, cfg->cert_warn_days);
	return t;
}

/*
 * Drop every PKCS#11 handle (keys, sessions, modules) but keep the token
 * names, so that status still answers while the tokens are away.
 */
static void
tokens_release(struct tokens *t, enum token_state state)
{
	for (size_t i = 0; i < t->nkeys; i++) {
		EVP_PKEY_free(t->keys[i].pkey);
		X509_free(t->keys[i].cert);
		OPENSSL_free(t->keys[i].certder);
		free(t->keys[i].chainder);
	}
	t->nkeys = 0;
	for (size_t i = 0; i < t->nmods; i++) {
		PKCS11_release_all_slots(t->mods[i].ctx, t->mods[i].slots,
		    t->mods[i].nslots);
		PKCS11_CTX_unload(t->mods[i].ctx);
		PKCS11_CTX_free(t->mods[i].ctx);
		free(t->mods[i].path);
	}
	t->nmods = 0;
	for (size_t i = 0; i < t->ntoks; i++) {
		t->toks[i].mod = NULL;
		t->toks[i].slot = NULL;
		t->toks[i].keys = NULL;
		t->toks[i].nkeys = 0;
		atomic_store(&t->toks[i].state, state);
	}
	ERR_clear_error();
}

int
tokens_reopen(struct tokens *t, const struct config *cfg, char *err,
    size_t errlen)
{
	struct tokens *n;
	int locked = 0;

	tokens_release(t, TOKEN_UNAVAILABLE);
	if ((n = tokens_build(cfg, err, errlen, &locked)) == NULL) {
		if (locked)
			tokens_release(t, TOKEN_LOCKED);
		return -1;
	}
	for (size_t i = 0; i < t->ntoks; i++) {
		free(t->toks[i].module_path);
		free(t->toks[i].label);
	}
	free(t->keys);
	free(t->toks);
	free(t->mods);
	*t = *n;
	free(n);
	return 0;
}

int
tokens_need_recovery(const struct tokens *t)
{
	int lost = 0;

	for (size_t i = 0; i < t->ntoks; i++) {
		int st = atomic_load(&t->toks[i].state);

		if (st == TOKEN_LOCKED)
			return 0;	/* a refused PIN is never retried */
		if (st == TOKEN_UNAVAILABLE)
			lost = 1;
	}
	return lost;
}

void
tokens_close(struct tokens *t)
{
	if (t == NULL)
		return;
	if (t->keys != NULL && t->toks != NULL && t->mods != NULL)
		tokens_release(t, TOKEN_UNAVAILABLE);
	for (size_t i = 0; t->toks != NULL && i < t->ntoks; i++) {
		free(t->toks[i].module_path);
		free(t->toks[i].label);
	}
	free(t->keys);
	free(t->toks);
	free(t->mods);
	free(t);
}

/* Does the open token tk still match the Token block ct? */
static int
token_same(const struct token *tk, const struct cfg_token *ct)
{
	if (strcmp(tk->module_path, ct->module) != 0 || tk->slotid != ct->slot)
		return 0;
	if ((tk->label == NULL) != (ct->label == NULL))
		return 0;
	return tk->label == NULL || strcmp(tk->label, ct->label) == 0;
}

int
tokens_check_config(struct tokens *t, const struct config *cfg, char *err,
    size_t errlen)
{
	for (size_t i = 0; i < cfg->ntokens; i++) {
		struct token *tk = token_by_name(t, cfg->tokens[i].name);

		if (tk == NULL || !token_same(tk, &cfg->tokens[i])) {
			snprintf(err, errlen, "token %s is new or changed; "
			    "token changes need a restart",
			    cfg->tokens[i].name);
			return -1;
		}
	}
	for (size_t i = 0; i < cfg->nkeys; i++) {
		const struct token_key *k = tokens_find_key(t,
		    cfg->keys[i].name);

		if (k == NULL || k->token == NULL ||
		    k->token != token_by_name(t, cfg->keys[i].token->name) ||
		    k->p11key != p11key_find(k->token, &cfg->keys[i])) {
			snprintf(err, errlen, "key %s is new or changed; "
			    "new keys need a restart", cfg->keys[i].name);
			return -1;
		}
	}
	return 0;
}

/*
 * Certificates staged by a reload: for each key whose Certificate or
 * Chain changed, a copy of the key with the new ones (its token handles
 * are the running key's, borrowed).
 */
struct token_certs {
	struct token_key *keys;
	size_t *index;		/* each one's place in the tokens' keys */
	size_t n;
};

/* Free what a staged key owns (its cert, certder, chainder). */
static void
staged_free(struct token_key *k)
{
	X509_free(k->cert);
	OPENSSL_free(k->certder);
	free(k->chainder);
}

void
tokens_certs_free(struct token_certs *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		staged_free(&s->keys[i]);
	free(s->keys);
	free(s->index);
	free(s);
}

/* 1 if two DER blobs differ. */
static int
der_differs(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen != blen || (alen > 0 && memcmp(a, b, alen) != 0);
}

/*
 * Stage the certificate and Chain that ck gives the running key k, into
 * n (a copy of k): 1 if either changed, 0 if not, -1 with err set if
 * they cannot be read or the new certificate does not match the key.
 */
static int
key_stage(const struct token_key *k, const struct cfg_key *ck,
    struct token_key *n, char *err, size_t errlen)
{
	int changed;

	*n = *k;
	n->cert = NULL;
	n->certder = NULL;
	n->chainder = NULL;
	n->chainlen = 0;
	if ((n->cert = key_cert(k->p11key, ck, err, errlen)) == NULL ||
	    key_describe(n, err, errlen) == -1 ||
	    (ck->chainfile != NULL && key_chain(n, ck->chainfile, err,
	    errlen) == -1))
		return -1;
	changed = der_differs(n->certder, n->certlen, k->certder, k->certlen);
	/*
	 * The running certificate was proved against the token key with a
	 * test signature at start: a new one with the same public key is
	 * proved too, without a token operation in the event loop.
	 */
	if (changed && EVP_PKEY_eq(X509_get0_pubkey(n->cert),
	    X509_get0_pubkey(k->cert)) != 1) {
		snprintf(err, errlen, "key %s: the certificate%s%s does not "
		    "match the key on the token (its public key is another "
		    "key's)", k->name, ck->certfile != NULL ? " " :
		    " on the token", ck->certfile != NULL ? ck->certfile : "");
		return -1;
	}
	return changed || der_differs(n->chainder, n->chainlen, k->chainder,
	    k->chainlen);
}

struct token_certs *
tokens_certs_load(struct tokens *t, const struct config *cfg, char *err,
    size_t errlen)
{
	struct token_certs *s;
	int r;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->keys = calloc(cfg->nkeys + 1, sizeof(*s->keys))) == NULL ||
	    (s->index = calloc(cfg->nkeys + 1, sizeof(*s->index))) == NULL) {
		snprintf(err, errlen, "out of memory");
		tokens_certs_free(s);
		return NULL;
	}
	for (size_t i = 0; i < cfg->nkeys; i++) {
		const struct token_key *k = tokens_find_key(t,
		    cfg->keys[i].name);

		if (k == NULL)
			continue;	/* tokens_check_config refused it */
		r = key_stage(k, &cfg->keys[i], &s->keys[s->n], err, errlen);
		if (r == -1) {
			staged_free(&s->keys[s->n]);
			err_at(cfg, cfg->keys[i].line, err, errlen);
			tokens_certs_free(s);
			return NULL;
		}
		if (r == 0) {
			staged_free(&s->keys[s->n]);
			continue;
		}
		s->index[s->n++] = (size_t)(k - t->keys);
	}
	return s;
}

size_t
tokens_certs_apply(struct tokens *t, struct token_certs *s)
{
	size_t n = s->n;
	char when[21];

	for (size_t i = 0; i < s->n; i++) {
		struct token_key *k = &t->keys[s->index[i]];

		staged_free(k);
		*k = s->keys[i];
		token_time_str(k->notafter, when);
		log_info("key %s: now using certificate %s (valid until %s)",
		    k->name, k->fingerprint, when);
	}
	s->n = 0;
	tokens_certs_free(s);
	return n;
}

const struct token_key *
tokens_find_key(const struct tokens *t, const char *name)
{
	for (size_t i = 0; i < t->nkeys; i++)
		if (strcmp(t->keys[i].name, name) == 0)
			return &t->keys[i];
	return NULL;
}

size_t
tokens_count(const struct tokens *t)
{
	return t->ntoks;
}

const char *
tokens_name(const struct tokens *t, size_t i)
{
	return t->toks[i].name;
}

enum token_state
tokens_state(const struct tokens *t, size_t i)
{
	return (enum token_state)atomic_load(&t->toks[i].state);
}

enum token_state
token_key_state(const struct token_key *k)
{
	return (enum token_state)atomic_load(&k->token->state);
}

/*
 * After a failed operation (the monitor only asks for well-formed
 * signatures, so a failure is the token's): mark the token unavailable so
 * that requests fail fast, and let the monitor log in again
 * (tokens_reopen) once no signature is in flight.
 */
static void
token_health(struct token *tk)
{
	atomic_store(&tk->state, TOKEN_UNAVAILABLE);
	ERR_clear_error();
}

int
token_sign(const struct token_key *k, int digest, int padding,
    const uint8_t *tbs, size_t tbslen, uint8_t *sig, size_t *siglen)
{
	EVP_PKEY_CTX *ctx;
	size_t room = *siglen;
	int r = -1;

	if (tbslen != digest_len(digest) || room < k->maxsig)
		return -1;
	if ((ctx = EVP_PKEY_CTX_new(k->pkey, NULL)) == NULL)
		return -1;
	if (EVP_PKEY_sign_init(ctx) > 0 &&
	    sig_ctx_setup(ctx, k->pkey, digest, padding) == 0 &&
	    EVP_PKEY_sign(ctx, sig, siglen, tbs, tbslen) > 0)
		r = 0;
	EVP_PKEY_CTX_free(ctx);
	if (r == -1) {
		ERR_clear_error();
		*siglen = 0;
		token_health(k->token);
	}
	return r;
}
