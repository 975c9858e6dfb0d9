/*
 * signop.c: one signature from the monitor, checked before use.  A token
 * fault (or a confused monitor) must never ship a bad signature, so every
 * signature is verified against the key's certificate here.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "proto/sigcheck.h"
#include "proto/frame.h"
#include "sandbox/channel.h"
#include "sandbox/formats/formats.h"

/*
 * The verification context of the last key, digest and padding checked,
 * kept for the next signature of a batch: making one fetches the
 * algorithm from the provider and sets it up each time, a good part of
 * the check's cost for an EC key.  The context holds a reference to the
 * key, so a key freed and another allocated at its address cannot be
 * mistaken for it.  Verifying again with an initialised context is the
 * same check as with a fresh one (OpenSSL keeps no state between calls).
 */
static struct {
	EVP_PKEY_CTX *ctx;
	const EVP_PKEY *pub;
	int digest, padding;
} vc;

/* Verify sig over tbs as sig_verify() does: 1 good, 0 bad, -1 error. */
static int
signop_verify(EVP_PKEY *pub, int digest, int padding, const uint8_t *tbs,
    size_t tbslen, const uint8_t *sig, size_t siglen)
{
	if (tbslen != digest_len(digest))
		return 0;
	if (vc.ctx == NULL || vc.pub != pub || vc.digest != digest ||
	    vc.padding != padding) {
		EVP_PKEY_CTX_free(vc.ctx);
		vc.pub = NULL;
		if ((vc.ctx = EVP_PKEY_CTX_new(pub, NULL)) == NULL)
			return -1;
		if (EVP_PKEY_verify_init(vc.ctx) <= 0 ||
		    sig_ctx_setup(vc.ctx, pub, digest, padding) == -1) {
			EVP_PKEY_CTX_free(vc.ctx);
			vc.ctx = NULL;
			return -1;
		}
		vc.pub = pub;
		vc.digest = digest;
		vc.padding = padding;
	}
	return EVP_PKEY_verify(vc.ctx, sig, siglen, tbs, tbslen) == 1 ? 1 : 0;
}

int
signop_request(const struct sign_input *in, struct sign_output *out,
    const uint8_t *tbs, size_t tbslen, struct msg_sign *m)
{
	static uint32_t last_reqid;

	memset(m, 0, sizeof(*m));
	m->format = (uint8_t)in->format;
	m->digest = (uint8_t)in->digest;
	m->size = out->size;
	m->reqid = ++last_reqid; /* the monitor wants them increasing */
	if (in->flags & SIGN_F_NOWAIT)
		m->flags = MSG_SIGN_F_NOWAIT;
	if (tbslen > sizeof(m->tbs) || out->adigestlen > sizeof(m->adigest))
		return sign_fail(out, ST_INTERNAL, "digest too large");
	snprintf(m->key, sizeof(m->key), "%s", in->key);
	snprintf(m->name, sizeof(m->name), "%s", in->name);
	memcpy(m->tbs, tbs, tbslen);
	m->tbslen = tbslen;
	memcpy(m->adigest, out->adigest, out->adigestlen);
	m->adigestlen = out->adigestlen;
	return 0;
}

int
signop_check(const struct sign_input *in, struct sign_output *out,
    const struct msg_sign *m, const struct msg_sign_reply *r, uint8_t *sig,
    size_t *siglen)
{
	out->busy = r->busy;
	if (r->status != ST_OK)
		return sign_fail(out, r->status, "%s", r->message);
	if (signop_verify(in->pub, in->digest, in->padding, m->tbs, m->tbslen,
		r->sig, r->siglen) != 1)
		return sign_fail(out, ST_INTERNAL,
		    "the token returned a "
		    "signature that does not verify with the key's "
		    "certificate; nothing was written");
	if (r->siglen > *siglen)
		return sign_fail(out, ST_INTERNAL, "signature too large");
	memcpy(sig, r->sig, r->siglen);
	*siglen = r->siglen;
	return 0;
}

int
signop_sign(const struct sign_input *in, struct sign_output *out,
    const uint8_t *tbs, size_t tbslen, uint8_t *sig, size_t *siglen)
{
	struct msg_sign m;
	struct msg_sign_reply r;

	if (signop_request(in, out, tbs, tbslen, &m) == -1)
		return -1;
	if (sandbox_request_sign(&m, in->hold, &r) == -1)
		return sign_fail(out, ST_INTERNAL,
		    "cannot ask for a signature");
	return signop_check(in, out, &m, &r, sig, siglen);
}
