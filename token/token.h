/*
 * token: the PKCS#11 layer (libp11), as csignd's monitor uses it.  This
 * header includes nothing of libp11; the files of token/ do (tokens.c,
 * keys.c, certs.c, expiry.c, sign.c; module.c is the login csign-admin
 * shares).
 *
 * tokens_open() loads each configured module once, logs in with the PIN
 * from its PinFile (zeroed right after), finds every configured key and its
 * certificate, and proves each pair with a test signature verified against
 * the certificate.  token_sign() may be called from several signing
 * threads at once (libp11 hands each caller its own session from the
 * slot's pool).
 */
#ifndef CSIGN_TOKEN_H
#define CSIGN_TOKEN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "records/config.h"
#include "proto/sigcheck.h"

enum token_state {
	TOKEN_READY = 0,
	TOKEN_LOCKED,
	TOKEN_UNAVAILABLE
};

struct token;

/* Why a token is out of service (it is READY when TW_NONE). */
enum token_why {
	TW_NONE = 0,
	TW_SIGN,    /* a C_Sign failed: device or session error */
	TW_TIMEOUT, /* a C_Sign did not return within TokenTimeout */
	TW_PROBE,   /* the health probe failed to sign */
	TW_WRONG,   /* the health probe's signature did not verify */
	TW_LOGIN,   /* logging in again was refused */
	TW_COUNT
};

/* One token holding a key: the key's first token or a replica. */
struct token_replica {
	struct token *token;
	void *p11key;	/* PKCS11_KEY */
	EVP_PKEY *pkey; /* private key handle (operations go to the token) */
};

/* A configured key found on its token(s). */
struct token_key {
	char name[KEY_NAME_MAX + 1];
	struct token *token; /* rep[0]'s, as are p11key and pkey */
	void *p11key;	     /* PKCS11_KEY */
	EVP_PKEY *pkey;
	struct token_replica rep[KEY_TOKENS_MAX];
	size_t nrep;
	int probe_digest; /* what the health probe signs with */
	int probe_padding;
	X509 *cert;
	uint8_t *certder;
	size_t certlen;
	uint8_t *chainder; /* Chain certificates, DER back to back */
	size_t chainlen;
	char fingerprint[65]; /* SHA-256 of certder, hex */
	int keytype;	      /* enum key_type */
	int bits;
	char alg[32];	 /* "rsa-2048", "ec-p256" */
	size_t maxsig;	 /* largest signature */
	time_t notafter; /* the certificate's notAfter */
};

struct tokens;

/*
 * Open every token and key of cfg; NULL with err set on any failure.
 * Certificates that expired or expire within CertificateExpiryWarning
 * days are logged as warnings.
 */
struct tokens *tokens_open(const struct config *cfg, char *err, size_t errlen);
void tokens_close(struct tokens *t);

/*
 * Map the keys of a (new) config onto the open tokens, for a reload: 0 if
 * every key of cfg is available, else -1 with err set.  Token blocks
 * themselves must be unchanged (a token change needs a restart).
 */
int tokens_check_config(struct tokens *t, const struct config *cfg, char *err,
    size_t errlen);

/*
 * A reload's certificates: after tokens_check_config() accepted cfg, read
 * each key's Certificate and Chain as cfg gives them.  A certificate that
 * differs from the one in use must have the public key of the one that
 * the start proved against the token key with a test signature.  NULL
 * with err set ("CONFIG:LINE: key K: ...") if one cannot be read or does
 * not match its key; nothing in t changes until tokens_certs_apply().
 */
struct token_certs;
struct token_certs *tokens_certs_load(struct tokens *t,
    const struct config *cfg, char *err, size_t errlen);
/* Put staged certificates in use (and free s): the number of keys changed. */
size_t tokens_certs_apply(struct tokens *t, struct token_certs *s);
void tokens_certs_free(struct token_certs *s);

/*
 * Log in again after a lost token: drop every handle of t and open the
 * tokens and keys of cfg anew.  Only while no signature is in flight.
 * 0, or -1 with err set (t then answers status, with no keys).
 */
int tokens_reopen(struct tokens *t, const struct config *cfg, char *err,
    size_t errlen);
/* 1 if a token is unavailable and none was refused its PIN. */
int tokens_need_recovery(const struct tokens *t);

const struct token_key *tokens_find_key(const struct tokens *t,
    const char *name);
size_t tokens_count(const struct tokens *t);
/* Name and state of the i-th token. */
const char *tokens_name(const struct tokens *t, size_t i);
enum token_state tokens_state(const struct tokens *t, size_t i);
const char *token_state_name(enum token_state s);
enum token_state token_key_state(const struct token_key *k);

/*
 * Sign the digest tbs (digest_len(digest) bytes) with k: PKCS#1 v1.5 or
 * PSS (salt = digest length) for RSA, DER ECDSA for EC.  Thread-safe.
 * 0, or -1 if the token failed.  token_sign() signs on the first ready
 * token of k and marks it unavailable if it fails; token_sign_on() signs
 * on its r-th token whatever its health and leaves the marking to its
 * caller (the signer picks, fails over, watches the time and marks only
 * for a thread it has not abandoned: token/signer.c).
 */
int token_sign(const struct token_key *k, int digest, int padding,
    const uint8_t *tbs, size_t tbslen, uint8_t *sig, size_t *siglen);
int token_sign_on(const struct token_key *k, size_t r, int digest, int padding,
    const uint8_t *tbs, size_t tbslen, uint8_t *sig, size_t *siglen);

/*
 * Health (token/health.c).  Each token is READY, LOCKED (a refused PIN,
 * never retried) or UNAVAILABLE with a reason; every function here is
 * thread-safe unless it says otherwise.
 */
/* The first ready token of k not in tried (bit r: rep[r]), or -1. */
int token_pick(const struct token_key *k, unsigned tried);
/* May a request that tried these tokens (tries of them) move on? */
int token_may_retry(const struct token_key *k, unsigned tried, unsigned tries);
/* Take k's r-th token out of service for why (a no-op if LOCKED). */
void token_mark(const struct token_key *k, size_t r, enum token_why why);
/* Threads abandoned inside k's r-th token: delta +1 or -1. */
void token_stuck(const struct token_key *k, size_t r, int delta);
const char *token_rep_name(const struct token_key *k, size_t r);
/* The TokenTimeout of k's r-th token: its own, else dflt. */
unsigned token_rep_timeout(const struct token_key *k, size_t r, unsigned dflt);
/* Count a signature made for a request on k's r-th token (not a probe). */
void token_signed(const struct token_key *k, size_t r);
/*
 * Probe k's r-th token: sign a random digest there and verify it with the
 * key's certificate; a token that fails to sign is logged in again once
 * and tried again.  TW_NONE if healthy, else why not.  It changes the
 * token's state only to lock it when its PIN is refused; the loop applies
 * the rest with token_probe_done().  From a signing thread (it may block
 * as long as the token does).
 */
enum token_why token_probe(const struct token_key *k, size_t r);
/* token_mark() calls on k's r-th token so far: taken before a probe. */
unsigned token_marks(const struct token_key *k, size_t r);
/*
 * The loop only: apply a probe's result why.  A failure takes the token
 * out of service; a success brings it back, unless it was marked since
 * token_marks() said marks (a request failed there meanwhile).  0 if the
 * token is ready now.  The loop audits the change before it serves
 * anyone else (tokens_health_report()), so no status shows a token ready
 * whose return is not in the audit log yet.
 */
int token_probe_done(const struct token_key *k, size_t r, enum token_why why,
    unsigned marks);
/*
 * The tokens to probe now, for the loop: for each token neither locked
 * nor holding a stuck thread, one key on it and its index there.  The
 * number written to keys/reps (at most max).
 */
size_t tokens_probe_list(const struct tokens *t, const struct token_key **keys,
    size_t *reps, size_t *toks, size_t max);
/*
 * For the loop: call cb once for every token whose health changed since
 * the last call (ready 1 when it is back in service), with a text saying
 * why.  Not thread-safe: the loop only.
 */
typedef void (
    *token_health_cb)(void *arg, const char *token, int ready, const char *why);
void tokens_health_report(struct tokens *t, token_health_cb cb, void *arg);
/* "ready", "locked", "unavailable: timeout", ... of the i-th token. */
void tokens_health_text(const struct tokens *t, size_t i, char *buf,
    size_t len);
/* Signatures the i-th token made since csignd started. */
unsigned long tokens_signatures(const struct tokens *t, size_t i);
/* The first ready token of k by name, or NULL if none is ready. */
const char *token_key_serving(const struct token_key *k);

/* The notAfter of x in seconds since the epoch: 0, or -1 if unreadable. */
int token_cert_not_after(const X509 *x, time_t *t);
/* t as RFC 3339 UTC, "2026-11-23T10:00:00Z", into buf (21 bytes). */
void token_time_str(time_t t, char buf[21]);
/* Whole days from now to t, rounded down: negative once t has passed. */
long token_days_left(time_t t, time_t now);

enum cert_expiry {
	CERT_VALID = 0,
	CERT_EXPIRING,
	CERT_EXPIRED
};
/* Has a certificate valid until notafter expired, or will it within days? */
enum cert_expiry token_cert_expiry(time_t notafter, time_t now, unsigned days);

#endif
