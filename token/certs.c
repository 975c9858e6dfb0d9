/*
 * certs.c: the certificates of csignd's keys: read each key's certificate
 * (a file, or the token's object with the key's id) and Chain at start,
 * and stage a reload's new ones until the monitor puts them in use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "common/certfile.h"
#include "common/log.h"
#include "common/util.h"
#include "token/tokens_priv.h"

X509 *
token_key_cert(PKCS11_KEY *k, const struct cfg_key *ck, char *err,
    size_t errlen)
{
	PKCS11_CERT *c;
	X509 *x;

	if (ck->certfile != NULL) {
		char why[512];

		if ((x = certfile_load(ck->certfile, why, sizeof(why))) == NULL)
			snprintf(err, errlen,
			    "key %s: cannot read certificate "
			    "%s",
			    ck->name, why);
		return x;
	}
	if ((c = PKCS11_find_certificate(k)) == NULL || c->x509 == NULL) {
		snprintf(err, errlen,
		    "key %s: no certificate with the key's "
		    "id on the token (set Certificate PATH)",
		    ck->name);
		return NULL;
	}
	return X509_dup(c->x509);
}

/*
 * Load the Chain file (PEM, one or more certificates) as DER certificates
 * back to back, for the child to embed in signatures.
 */
int
token_key_chain(struct token_key *k, const char *path, char *err, size_t errlen)
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
		snprintf(err, errlen,
		    "key %s: Chain %s: no certificates or "
		    "too large",
		    k->name, path);
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

int
token_key_describe(struct token_key *tk, char *err, size_t errlen)
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
		snprintf(err, errlen,
		    "key %s: certificate without a readable "
		    "notAfter",
		    tk->name);
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
 * Certificates staged by a reload: for each key whose Certificate or
 * Chain changed, a copy of the key with the new ones (its token handles
 * are the running key's, borrowed).
 */
struct token_certs {
	struct token_key *keys;
	size_t *index; /* each one's place in the tokens' keys */
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
	if ((n->cert = token_key_cert(k->p11key, ck, err, errlen)) == NULL ||
	    token_key_describe(n, err, errlen) == -1 ||
	    (ck->chainfile != NULL &&
		token_key_chain(n, ck->chainfile, err, errlen) == -1))
		return -1;
	changed = der_differs(n->certder, n->certlen, k->certder, k->certlen);
	/*
	 * The running certificate was proved against the token key with a
	 * test signature at start: a new one with the same public key is
	 * proved too, without a token operation in the event loop.
	 */
	if (changed &&
	    EVP_PKEY_eq(X509_get0_pubkey(n->cert), X509_get0_pubkey(k->cert)) !=
		1) {
		snprintf(err, errlen,
		    "key %s: the certificate%s%s does not "
		    "match the key on the token (its public key is another "
		    "key's)",
		    k->name, ck->certfile != NULL ? " " : " on the token",
		    ck->certfile != NULL ? ck->certfile : "");
		return -1;
	}
	return changed ||
	    der_differs(n->chainder, n->chainlen, k->chainder, k->chainlen);
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
		const struct token_key *k =
		    tokens_find_key(t, cfg->keys[i].name);

		if (k == NULL)
			continue; /* tokens_check_config refused it */
		r = key_stage(k, &cfg->keys[i], &s->keys[s->n], err, errlen);
		if (r == -1) {
			staged_free(&s->keys[s->n]);
			tokens_err_at(cfg, cfg->keys[i].line, err, errlen);
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
