/*
 * keys.c: csignd's configured keys on their tokens: find each private
 * key, take its certificate (certs.c), prove the pair with a test
 * signature, and refuse two Key blocks of one private key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "proto/sigcheck.h"
#include "token/tokens_priv.h"

PKCS11_KEY *
token_p11key_find(const struct token *tk, const struct cfg_key *ck)
{
	for (unsigned int i = 0; i < tk->nkeys; i++) {
		PKCS11_KEY *k = &tk->keys[i];

		if (!k->isPrivate)
			continue;
		if (ck->label != NULL &&
		    (k->label == NULL || strcmp(k->label, ck->label) != 0))
			continue;
		if (ck->idlen > 0 &&
		    (k->id_len != ck->idlen ||
			memcmp(k->id, ck->id, ck->idlen) != 0))
			continue;
		return k;
	}
	return NULL;
}

/*
 * Prove that the token key and the certificate belong together and that
 * signing works: sign a random digest on the token, verify with the cert.
 */
static int
key_selftest(const struct token_key *k, size_t r, const struct cfg_key *ck,
    char *err, size_t errlen)
{
	uint8_t tbs[DIGEST_MAX], sig[SIG_MAX];
	size_t tbslen = digest_len(ck->default_digest), siglen = sizeof(sig);

	if (k->keytype != KT_RSA && ck->padding == PAD_PSS) {
		snprintf(err, errlen, "key %s: Padding pss needs an RSA key",
		    k->name);
		return -1;
	}
	if (RAND_bytes(tbs, (int)tbslen) != 1 ||
	    token_sign_on(k, r, ck->default_digest, ck->padding, tbs, tbslen,
		sig, &siglen) == -1) {
		snprintf(err, errlen,
		    "key %s: test signature on token %s "
		    "failed",
		    k->name, token_rep_name(k, r));
		return -1;
	}
	if (r > 0 &&
	    sig_verify(X509_get0_pubkey(k->cert), ck->default_digest,
		ck->padding, tbs, tbslen, sig, siglen) != 1) {
		snprintf(err, errlen,
		    "key %s: token %s does not hold the same key as token %s "
		    "(a test signature there does not verify with the key's "
		    "certificate); replicas must hold one key",
		    k->name, token_rep_name(k, r), token_rep_name(k, 0));
		return -1;
	}
	if (sig_verify(X509_get0_pubkey(k->cert), ck->default_digest,
		ck->padding, tbs, tbslen, sig, siglen) != 1) {
		snprintf(err, errlen,
		    "key %s: the certificate%s%s does not "
		    "match the key on the token (a test signature by the key "
		    "does not verify with it)",
		    k->name, ck->certfile != NULL ? " " : " on the token",
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
key_missing(const struct token *tk, const struct cfg_key *ck,
    const struct cfg_token *ct, char *err, size_t errlen)
{
	char what[160], there[200];
	size_t n = 0;

	key_object_text(ck, what, sizeof(what));
	there[0] = '\0';
	for (unsigned int i = 0;
	     tk != NULL && i < tk->nkeys && n < sizeof(there); i++)
		if (tk->keys[i].isPrivate)
			n += (size_t)snprintf(there + n, sizeof(there) - n,
			    "%s'%s'", n > 0 ? ", " : "",
			    tk->keys[i].label ? tk->keys[i].label : "");
	snprintf(err, errlen,
	    "key %s: no private key %s on token %s "
	    "(private keys there: %s)",
	    ck->name, what, ct->name, n > 0 ? there : "none");
}

/*
 * Find the key of ck on its r-th token (Label and/or Id, the same on
 * every replica) and take libp11's handle to it.
 */
static int
key_replica_open(struct tokens *t, struct token_key *k,
    const struct cfg_key *ck, size_t r, char *err, size_t errlen)
{
	struct token_replica *rep = &k->rep[r];
	PKCS11_KEY *p11;

	if ((rep->token = tokens_by_name(t, ck->tokens[r]->name)) == NULL ||
	    (p11 = token_p11key_find(rep->token, ck)) == NULL) {
		key_missing(rep->token, ck, ck->tokens[r], err, errlen);
		rep->token = NULL;
		return -1;
	}
	rep->p11key = p11;
	k->nrep = r + 1;
	/*
	 * libp11's handle serves every module tried, tpm2-pkcs11's keys too
	 * (also those tpm2_ptool made): the keys are listed after the login,
	 * so no direct PKCS#11 call is needed to sign (docs/tokens.md).
	 */
	if ((rep->pkey = PKCS11_get_private_key(p11)) == NULL) {
		snprintf(err, errlen,
		    "key %s: cannot use the private key on "
		    "token %s",
		    ck->name, ck->tokens[r]->name);
		return -1;
	}
	return 0;
}

int
tokens_key_open(struct tokens *t, const struct cfg_key *ck, char *err,
    size_t errlen)
{
	struct token_key *k = &t->keys[t->nkeys];

	memset(k, 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "%s", ck->name);
	k->probe_digest = ck->default_digest;
	k->probe_padding = ck->padding;
	if (key_replica_open(t, k, ck, 0, err, errlen) == -1) {
		if (k->nrep > 0)
			t->nkeys++;
		return -1;
	}
	t->nkeys++;
	k->token = k->rep[0].token;
	k->p11key = k->rep[0].p11key;
	k->pkey = k->rep[0].pkey;
	if ((k->cert = token_key_cert(k->p11key, ck, err, errlen)) == NULL ||
	    token_key_describe(k, err, errlen) == -1)
		return -1;
	if (ck->chainfile != NULL &&
	    token_key_chain(k, ck->chainfile, err, errlen) == -1)
		return -1;
	/*
	 * Every replica proves, with a test signature verified against the
	 * one certificate, that it holds the same private key: a failover
	 * must never sign with another key than the one described.
	 */
	for (size_t r = 0; r < ck->ntokens; r++)
		if ((r > 0 &&
			key_replica_open(t, k, ck, r, err, errlen) == -1) ||
		    key_selftest(k, r, ck, err, errlen) == -1)
			return -1;
	return 0;
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
	snprintf(err, errlen,
	    "%s:%d: Key '%s' and Key '%s' (line %d) are the "
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
int
tokens_check_aliases(const struct tokens *t, const struct config *cfg,
    char *err, size_t errlen)
{
	uint8_t(*h)[32];
	int r = 0;

	if ((h = calloc(t->nkeys + 1, sizeof(*h))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < t->nkeys && r == 0; i++)
		if (key_pubhash(&t->keys[i], h[i]) == -1) {
			snprintf(err, errlen,
			    "key %s: cannot encode its "
			    "public key",
			    t->keys[i].name);
			r = -1;
		}
	for (size_t j = 1; j < t->nkeys && r == 0; j++)
		for (size_t i = 0; i < j && r == 0; i++)
			if (memcmp(h[i], h[j], sizeof(h[i])) == 0)
				r = alias_error(cfg, i, j, err, errlen);
	free(h);
	return r;
}
