/*
 * tsa: RFC 3161 timestamps of a signature, made inside the sandbox.
 *
 * The request is a TimeStampReq over the hash of the signature value
 * (the key's digest), with a fresh 64-bit nonce and certReq set.  It goes
 * to the key's TSAs in order, over sockets the monitor connects (the child
 * has no network), until one answers with a response that passes every
 * check: PKIStatus granted, a token whose TSTInfo has our nonce and our
 * message imprint and a genTime within a bound of the monitor's clock,
 * signed by the certificate it carries, which must be a timestamping
 * certificate that chains to one of the key's TimestampCA anchors (the
 * monitor reads that file and sends the certificates with the socket),
 * and named by the token's ESS signing-certificate attribute (v1 or v2),
 * as openssl ts -verify requires.  A TSA is trusted only through those
 * anchors: a self-signed certificate in the token is not enough.
 */
#ifndef CSIGN_TSA_H
#define CSIGN_TSA_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/asn1.h>

#include "sandbox/formats/formats.h"

#define TSA_GENTIME_MAX 31

/*
 * What a token is checked against, from the monitor (MSG_TSA_REPLY): its
 * genTime must lie in [now - max_skew, now + window + max_skew] (window:
 * the seconds the exchange may take after now was read), and its signer
 * must chain to one of the anchors at that genTime.
 */
struct tsa_trust {
	const uint8_t *anchors; /* DER certificates back to back */
	size_t anchorslen;
	int64_t now;	   /* the monitor's clock, Unix seconds */
	uint32_t max_skew; /* seconds */
	uint32_t window;   /* seconds */
};

/*
 * A DER TimeStampReq for the hash (with digest) of sig: *req (free with
 * OPENSSL_free) and the nonce chosen (free with ASN1_INTEGER_free).
 * imprint receives the hash.  0 or -1.
 */
int tsa_make_request(int digest, const uint8_t *sig, size_t siglen,
    uint8_t *imprint, size_t *implen, uint8_t **req, size_t *reqlen,
    ASN1_INTEGER **nonce);

/*
 * Check the DER TimeStampResp p[0..len) against the request (digest,
 * imprint, nonce) and trust.  0 with the token's DER in *tok (OPENSSL_free)
 * and its genTime in RFC 3339 form, or -1 with err saying what is wrong.
 */
int tsa_check_response(const uint8_t *p, size_t len, int digest,
    const uint8_t *imprint, size_t implen, const ASN1_INTEGER *nonce,
    const struct tsa_trust *trust, uint8_t **tok, size_t *toklen,
    char gentime[TSA_GENTIME_MAX + 1], char *err, size_t errlen);

/* Put a token into a signature: 0, or -1 if it could not be added. */
typedef int (*tsa_embed_fn)(void *ctx, const uint8_t *tok, size_t toklen);

/*
 * Timestamp the signature sig of the request in, the step of every
 * format that carries a timestamp: try the key's TSAs in order, report
 * the outcome to the monitor, and embed(ctx, token).  0, or -1 with out's
 * status (ST_UNAVAILABLE: no TSA gave a valid token) and message saying
 * why each TSA failed.
 */
int tsa_stamp_into(const struct sign_input *in, struct sign_output *out,
    const uint8_t *sig, size_t siglen, tsa_embed_fn embed, void *ctx);

#endif
