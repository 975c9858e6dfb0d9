/*
 * sign.c: one signature on the token (token_sign), from any of the
 * monitor's signing threads: libp11 hands each caller its own session
 * from the slot's pool.
 */
#include <stdatomic.h>

#include <openssl/err.h>

#include "proto/sigcheck.h"
#include "token/tokens_priv.h"

/*
 * A failed operation is the token's (the monitor only asks for
 * well-formed signatures); the caller marks the token unavailable so that
 * requests fail fast or go to a replica, and the health probe or the
 * monitor's login (tokens_reopen) brings it back.  Not here: a signing
 * thread abandoned in a hung token returns with a failure once the token
 * heals, maybe after a probe brought it back, and must not take it out of
 * service again (token/signer.c marks only for a thread still its own).
 */
int
token_sign_on(const struct token_key *k, size_t rep, int digest, int padding,
    const uint8_t *tbs, size_t tbslen, uint8_t *sig, size_t *siglen)
{
	EVP_PKEY_CTX *ctx;
	size_t room = *siglen;
	int r = -1;

	if (rep >= k->nrep || tbslen != digest_len(digest) || room < k->maxsig)
		return -1;
	if ((ctx = EVP_PKEY_CTX_new(k->rep[rep].pkey, NULL)) == NULL)
		return -1;
	if (EVP_PKEY_sign_init(ctx) > 0 &&
	    sig_ctx_setup(ctx, k->pkey, digest, padding) == 0 &&
	    EVP_PKEY_sign(ctx, sig, siglen, tbs, tbslen) > 0)
		r = 0;
	EVP_PKEY_CTX_free(ctx);
	if (r == -1) {
		ERR_clear_error();
		*siglen = 0;
	}
	return r;
}

int
token_sign(const struct token_key *k, int digest, int padding,
    const uint8_t *tbs, size_t tbslen, uint8_t *sig, size_t *siglen)
{
	int r = token_pick(k, 0);

	if (r < 0)
		return -1;
	if (token_sign_on(k, (size_t)r, digest, padding, tbs, tbslen, sig,
		siglen) == -1) {
		token_mark(k, (size_t)r, TW_SIGN);
		return -1;
	}
	return 0;
}
