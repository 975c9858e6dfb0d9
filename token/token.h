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

/* A configured key found on its token. */
struct token_key {
	char name[KEY_NAME_MAX + 1];
	struct token *token;
	void *p11key;	/* PKCS11_KEY */
	EVP_PKEY *pkey; /* private key handle (operations go to the token) */
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
 * 0, or -1 if the token failed (the token is then marked unavailable).
 */
int token_sign(const struct token_key *k, int digest, int padding,
    const uint8_t *tbs, size_t tbslen, uint8_t *sig, size_t *siglen);

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
