/*
 * fuzz_tsa: a TSA's reply as the sandbox reads it: the HTTP response
 * (framing, chunks), then its body as a TimeStampResp checked against a
 * request (status, token, nonce, imprint, genTime, signature, chain,
 * ESS); and the same bytes as the lookup process's answer to the monitor
 * (proto/resolve.c), which must decode only if exactly right.  The
 * seeds (corpus/tsa) are whole HTTP answers of the test TSA
 * (tests/tools/tsaserver) in each of its modes (tests/fuzz/seeds.sh).
 */
#include <stdint.h>
#include <string.h>

#include <openssl/asn1.h>

#include "fuzz_util.h"
#include "proto/buf.h"
#include "proto/names.h"
#include "proto/resolve.h"
#include "sandbox/http.h"
#include "sandbox/tsa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static ASN1_INTEGER *nonce;
	/* Anchors that are no certificate: the chain check fails closed. */
	static const uint8_t anchors[] = { 0x30, 0x00 };
	const struct tsa_trust trust = { .anchors = anchors,
		.anchorslen = sizeof(anchors),
		.now = 1767225600,
		.max_skew = 300,
		.window = 10 };
	uint8_t imprint[32], *tok = NULL;
	char gentime[TSA_GENTIME_MAX + 1], err[256];
	struct resolve_reply rr;
	struct buf body, view;
	size_t toklen;
	int status;

	if (nonce == NULL && (nonce = ASN1_INTEGER_new()) != NULL)
		ASN1_INTEGER_set_int64(nonce, 0x4142434445464748);
	memset(imprint, 0x5a, sizeof(imprint));
	buf_init(&body, HTTP_RESP_MAX);
	(void)http_parse_response(data, size, 0, &status, &body, err,
	    sizeof(err));
	if (http_parse_response(data, size, 1, &status, &body, err,
		sizeof(err)) == 1) {
		FUZZ_PASSED();
		if (tsa_check_response(buf_ptr(&body), buf_left(&body),
			DIG_SHA256, imprint, sizeof(imprint), nonce, &trust,
			&tok, &toklen, gentime, err, sizeof(err)) == 0)
			OPENSSL_free(tok);
	}
	/* The body alone too: most of the work is in the DER. */
	if (tsa_check_response(data, size, DIG_SHA256, imprint, sizeof(imprint),
		nonce, &trust, &tok, &toklen, gentime, err, sizeof(err)) == 0)
		OPENSSL_free(tok);
	buf_free(&body);
	buf_view(&view, data, size);
	if (resolve_dec(&view, &rr) == 0 && size != RESOLVE_REPLY_LEN)
		__builtin_trap();
	buf_free(&view);
	return 0;
}
