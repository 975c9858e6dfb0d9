/*
 * test_tsa.c: RFC 3161 timestamps on the child's side (sandbox/tsa.c,
 * sandbox/http.c) and the TSA URLs of the config (broker/tsaurl.c).
 *
 * Responses come from OpenSSL's own TSA implementation (TS_RESP_CTX) run
 * in-process with a certificate made here, answering requests that
 * tsa_make_request() built, some of them altered first: so the checks are
 * tested against real TimeStampResp structures, one fault at a time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include "broker/tsaurl.h"
#include "proto/names.h"
#include "sandbox/http.h"
#include "sandbox/tsa.h"

static EVP_PKEY *tsa_key;
static X509 *tsa_cert;
static const uint8_t sigval[] = "a signature value, as the token signed it";

/* Add extension nid with value v (X509V3 config syntax) to x. */
static void
add_ext(X509 *x, int nid, const char *v)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	assert_non_null(e = X509V3_EXT_conf_nid(NULL, &ctx, nid, v));
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

/* A self-signed P-256 timestamping certificate for the in-process TSA. */
static int
setup(void **state)
{
	X509_NAME *n;

	(void)state;
	tsa_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	tsa_cert = X509_new();
	if (tsa_key == NULL || tsa_cert == NULL)
		return -1;
	X509_set_version(tsa_cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(tsa_cert), 7);
	n = X509_get_subject_name(tsa_cert);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"unit test TSA", -1, -1, 0);
	X509_set_issuer_name(tsa_cert, n);
	X509_gmtime_adj(X509_getm_notBefore(tsa_cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(tsa_cert), 86400);
	X509_set_pubkey(tsa_cert, tsa_key);
	add_ext(tsa_cert, NID_basic_constraints, "critical,CA:FALSE");
	add_ext(tsa_cert, NID_ext_key_usage, "critical,timeStamping");
	return X509_sign(tsa_cert, tsa_key, EVP_sha256()) > 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	X509_free(tsa_cert);
	EVP_PKEY_free(tsa_key);
	return 0;
}

/* OpenSSL's TSA answering req; sha256 only unless all_mds. */
static uint8_t *
tsa_respond(const uint8_t *req, size_t reqlen, int all_mds, size_t *len)
{
	TS_RESP_CTX *ctx = TS_RESP_CTX_new();
	ASN1_OBJECT *policy = OBJ_txt2obj("1.2.3.4.1", 1);
	BIO *in = BIO_new_mem_buf(req, (int)reqlen);
	TS_RESP *resp;
	uint8_t *der = NULL;
	int n;

	assert_non_null(ctx);
	assert_int_equal(TS_RESP_CTX_set_signer_cert(ctx, tsa_cert), 1);
	assert_int_equal(TS_RESP_CTX_set_signer_key(ctx, tsa_key), 1);
	assert_int_equal(TS_RESP_CTX_set_def_policy(ctx, policy), 1);
	assert_int_equal(TS_RESP_CTX_add_md(ctx, EVP_sha256()), 1);
	if (all_mds) {
		TS_RESP_CTX_add_md(ctx, EVP_sha384());
		TS_RESP_CTX_add_md(ctx, EVP_sha512());
	}
	assert_non_null(resp = TS_RESP_create_response(ctx, in));
	assert_true((n = i2d_TS_RESP(resp, &der)) > 0);
	*len = (size_t)n;
	TS_RESP_free(resp);
	BIO_free(in);
	ASN1_OBJECT_free(policy);
	TS_RESP_CTX_free(ctx);
	return der;
}

/* A request as the child makes it, and what it must be checked with. */
struct exchange {
	uint8_t imprint[DIGEST_MAX];
	size_t implen;
	uint8_t *req;
	size_t reqlen;
	ASN1_INTEGER *nonce;
};

static void
exchange_new(struct exchange *x, int digest)
{
	assert_int_equal(tsa_make_request(digest, sigval, sizeof(sigval),
	    x->imprint, &x->implen, &x->req, &x->reqlen, &x->nonce), 0);
}

static void
exchange_free(struct exchange *x)
{
	OPENSSL_free(x->req);
	ASN1_INTEGER_free(x->nonce);
}

/* Re-encode x's request after change() altered it. */
static void
exchange_alter(struct exchange *x, void (*change)(TS_REQ *))
{
	const unsigned char *p = x->req;
	TS_REQ *q = d2i_TS_REQ(NULL, &p, (long)x->reqlen);
	int n;

	assert_non_null(q);
	change(q);
	OPENSSL_free(x->req);
	x->req = NULL;
	assert_true((n = i2d_TS_REQ(q, &x->req)) > 0);
	x->reqlen = (size_t)n;
	TS_REQ_free(q);
}

/* Check resp against x: the return value, and err in *err. */
static int
check(const struct exchange *x, int digest, const uint8_t *resp,
    size_t len, char *err, size_t errlen)
{
	char gentime[TSA_GENTIME_MAX + 1];
	uint8_t *tok = NULL;
	size_t toklen = 0;
	int r;

	err[0] = '\0';
	r = tsa_check_response(resp, len, digest, x->imprint, x->implen,
	    x->nonce, &tok, &toklen, gentime, err, errlen);
	if (r == 0) {
		const unsigned char *p = tok;
		PKCS7 *p7 = d2i_PKCS7(NULL, &p, (long)toklen);

		assert_non_null(p7);
		assert_ptr_equal(p, tok + toklen);
		PKCS7_free(p7);
		/* RFC 3339, UTC, seconds: 2026-11-23T18:00:00Z */
		assert_int_equal(strlen(gentime), 20);
		assert_int_equal(gentime[10], 'T');
		assert_int_equal(gentime[19], 'Z');
	} else
		assert_null(tok);
	OPENSSL_free(tok);
	return r;
}

static void
test_request_carries_hash_of_signature_nonce_and_cert_req(void **state)
{
	struct exchange x;
	const unsigned char *p;
	TS_REQ *q;
	uint8_t md[DIGEST_MAX];
	unsigned int mdlen;
	TS_MSG_IMPRINT *mi;

	(void)state;
	exchange_new(&x, DIG_SHA384);
	p = x.req;
	assert_non_null(q = d2i_TS_REQ(NULL, &p, (long)x.reqlen));
	assert_int_equal(TS_REQ_get_version(q), 1);
	assert_int_equal(TS_REQ_get_cert_req(q), 1);
	assert_int_equal(ASN1_INTEGER_cmp(TS_REQ_get_nonce(q), x.nonce), 0);
	mi = TS_REQ_get_msg_imprint(q);
	EVP_Digest(sigval, sizeof(sigval), md, &mdlen, EVP_sha384(), NULL);
	assert_int_equal(x.implen, mdlen);
	assert_memory_equal(x.imprint, md, mdlen);
	assert_int_equal(ASN1_STRING_length(TS_MSG_IMPRINT_get_msg(mi)),
	    (int)mdlen);
	assert_memory_equal(ASN1_STRING_get0_data(TS_MSG_IMPRINT_get_msg(mi)),
	    md, mdlen);
	TS_REQ_free(q);
	exchange_free(&x);
}

static void
test_two_requests_have_different_nonces(void **state)
{
	struct exchange a, b;

	(void)state;
	exchange_new(&a, DIG_SHA256);
	exchange_new(&b, DIG_SHA256);
	assert_int_not_equal(ASN1_INTEGER_cmp(a.nonce, b.nonce), 0);
	exchange_free(&a);
	exchange_free(&b);
}

static void
test_a_good_response_gives_the_token(void **state)
{
	struct exchange x;
	uint8_t *resp;
	size_t len;
	char err[256];

	(void)state;
	for (int d = DIG_SHA256; d < DIG_COUNT; d++) {
		exchange_new(&x, d);
		resp = tsa_respond(x.req, x.reqlen, 1, &len);
		assert_int_equal(check(&x, d, resp, len, err, sizeof(err)), 0);
		OPENSSL_free(resp);
		exchange_free(&x);
	}
}

static void
bump_nonce(TS_REQ *q)
{
	ASN1_INTEGER *n = ASN1_INTEGER_dup(TS_REQ_get_nonce(q));

	ASN1_INTEGER_set_int64(n, ASN1_INTEGER_get(n) ^ 1);
	TS_REQ_set_nonce(q, n);
	ASN1_INTEGER_free(n);
}

static void
flip_imprint(TS_REQ *q)
{
	ASN1_OCTET_STRING *h = TS_MSG_IMPRINT_get_msg(TS_REQ_get_msg_imprint(q));
	uint8_t b[DIGEST_MAX];
	int n = ASN1_STRING_length(h);

	memcpy(b, ASN1_STRING_get0_data(h), (size_t)n);
	b[0] ^= 0x80;
	ASN1_STRING_set(h, b, n);
}

static void
no_cert_req(TS_REQ *q)
{
	TS_REQ_set_cert_req(q, 0);
}

/* Answer an altered request; the check must fail with words in err. */
static void
refused(void (*change)(TS_REQ *), int digest, int all_mds,
    const char *words)
{
	struct exchange x;
	uint8_t *resp;
	size_t len;
	char err[256];

	exchange_new(&x, digest);
	if (change != NULL)
		exchange_alter(&x, change);
	resp = tsa_respond(x.req, x.reqlen, all_mds, &len);
	assert_int_equal(check(&x, digest, resp, len, err, sizeof(err)), -1);
	if (strstr(err, words) == NULL)
		fail_msg("'%s' not in '%s'", words, err);
	OPENSSL_free(resp);
	exchange_free(&x);
}

static void
test_a_wrong_nonce_is_refused(void **state)
{
	(void)state;
	refused(bump_nonce, DIG_SHA256, 1, "nonce does not match");
}

static void
test_a_wrong_imprint_is_refused(void **state)
{
	(void)state;
	refused(flip_imprint, DIG_SHA256, 1, "message imprint does not match");
}

static void
test_a_token_without_the_tsa_certificate_is_refused(void **state)
{
	(void)state;
	refused(no_cert_req, DIG_SHA256, 1, "no TSA certificate");
}

static void
test_a_rejection_names_status_and_failure(void **state)
{
	(void)state;
	/* The TSA knows only SHA-256: badAlg. */
	refused(NULL, DIG_SHA512, 0, "the TSA refused: status 2 (rejection)");
	refused(NULL, DIG_SHA512, 0, "failure badAlg");
}

static void
test_garbage_and_trailing_bytes_are_refused(void **state)
{
	struct exchange x;
	uint8_t *resp, *longer;
	size_t len;
	char err[256];
	static const uint8_t junk[] = "<html>not a TSA</html>";

	(void)state;
	exchange_new(&x, DIG_SHA256);
	assert_int_equal(check(&x, DIG_SHA256, junk, sizeof(junk), err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "not a TimeStampResp"));
	assert_int_equal(check(&x, DIG_SHA256, junk, 0, err, sizeof(err)), -1);
	resp = tsa_respond(x.req, x.reqlen, 1, &len);
	assert_non_null(longer = malloc(len + 1));
	memcpy(longer, resp, len);
	longer[len] = 0;
	assert_int_equal(check(&x, DIG_SHA256, longer, len + 1, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "not a TimeStampResp"));
	/* Every truncation too. */
	for (size_t n = 0; n < len; n += 7)
		assert_int_equal(check(&x, DIG_SHA256, resp, n, err,
		    sizeof(err)), -1);
	free(longer);
	OPENSSL_free(resp);
	exchange_free(&x);
}

static void
test_a_signature_altered_in_the_token_is_refused(void **state)
{
	struct exchange x;
	uint8_t *resp;
	size_t len;
	char err[256];
	int refusals = 0;

	(void)state;
	exchange_new(&x, DIG_SHA256);
	resp = tsa_respond(x.req, x.reqlen, 1, &len);
	/*
	 * The last bytes of the response are the token's ECDSA signature:
	 * flipping a bit there must never give a token that passes.
	 */
	for (size_t i = len - 8; i < len; i++) {
		resp[i] ^= 0x01;
		if (check(&x, DIG_SHA256, resp, len, err, sizeof(err)) == -1)
			refusals++;
		resp[i] ^= 0x01;
	}
	assert_int_equal(refusals, 8);
	OPENSSL_free(resp);
	exchange_free(&x);
}

/* Parse an HTTP response given as a string; the result and body. */
static int
http(const char *s, int eof, int *status, struct buf *body, char *err)
{
	return http_parse_response((const uint8_t *)s, strlen(s), eof, status,
	    body, err, 128);
}

static void
test_http_content_length_framing(void **state)
{
	struct buf body;
	char err[128];
	int st = 0;

	(void)state;
	buf_init(&body, HTTP_RESP_MAX);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
	    0, &st, &body, err), 1);
	assert_int_equal(st, 200);
	assert_int_equal(buf_left(&body), 3);
	assert_memory_equal(buf_ptr(&body), "abc", 3);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nab",
	    0, &st, &body, err), 0);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nab",
	    1, &st, &body, err), -1);
	assert_non_null(strstr(err, "middle of the HTTP body"));
	assert_int_equal(http("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n"
	    "abcd", 0, &st, &body, err), -1);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n", 0,
	    &st, &body, err), 0);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n", 1,
	    &st, &body, err), -1);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n",
	    0, &st, &body, err), -1);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
	    "Content-Length: 1\r\n\r\na", 0, &st, &body, err), -1);
	buf_free(&body);
}

static void
test_http_close_delimited_and_status(void **state)
{
	struct buf body;
	char err[128];
	int st = 0;

	(void)state;
	buf_init(&body, HTTP_RESP_MAX);
	assert_int_equal(http("HTTP/1.0 200 OK\r\n\r\nxyz", 0, &st, &body,
	    err), 0);
	assert_int_equal(http("HTTP/1.0 200 OK\r\n\r\nxyz", 1, &st, &body,
	    err), 1);
	assert_int_equal(buf_left(&body), 3);
	assert_int_equal(http("HTTP/1.1 500 Internal Server Error\r\n"
	    "Content-Length: 0\r\n\r\n", 0, &st, &body, err), 1);
	assert_int_equal(st, 500);
	assert_int_equal(http("HTTP/2 200\r\n\r\n", 1, &st, &body, err), -1);
	assert_int_equal(http("HTTP/1.1 2x0 OK\r\n\r\n", 1, &st, &body, err),
	    -1);
	assert_int_equal(http("garbage\r\n\r\n", 1, &st, &body, err), -1);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nno colon\r\n\r\n", 1, &st,
	    &body, err), -1);
	assert_int_equal(http("HTTP/1.1 200 OK\nContent-Length: 0\n\n", 1,
	    &st, &body, err), -1);
	buf_free(&body);
}

static void
test_http_chunked_bodies(void **state)
{
	struct buf body;
	char err[128];
	int st = 0;

	(void)state;
	buf_init(&body, HTTP_RESP_MAX);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n", 0, &st, &body,
	    err), 1);
	assert_int_equal(buf_left(&body), 5);
	assert_memory_equal(buf_ptr(&body), "abcde", 5);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n3\r\nabc\r\n", 0, &st, &body, err), 0);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n3\r\nabc\r\n", 1, &st, &body, err), -1);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
	    "\r\n\r\nzz\r\nabc\r\n", 0, &st, &body, err), -1);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n3\r\nabcX\r\n", 0, &st, &body, err), -1);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
	    "\r\n\r\nfffffff0\r\n", 0, &st, &body, err), -1);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip"
	    "\r\n\r\n", 1, &st, &body, err), -1);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
	    "\r\nContent-Length: 3\r\n\r\n", 1, &st, &body, err), -1);
	buf_free(&body);
}

static void
test_tsa_urls(void **state)
{
	struct tsa_url u;
	char why[128];

	(void)state;
	assert_int_equal(tsaurl_parse("http://tsa.example.com/tsr", &u, why,
	    sizeof(why)), 0);
	assert_string_equal(u.host, "tsa.example.com");
	assert_string_equal(u.port, "80");
	assert_string_equal(u.path, "/tsr");
	assert_string_equal(u.hostport, "tsa.example.com");
	assert_int_equal(tsaurl_parse("http://127.0.0.1:3180", &u, why,
	    sizeof(why)), 0);
	assert_string_equal(u.host, "127.0.0.1");
	assert_string_equal(u.port, "3180");
	assert_string_equal(u.path, "/");
	assert_string_equal(u.hostport, "127.0.0.1:3180");
	assert_int_equal(tsaurl_parse("HTTP://[::1]:8080/a?b=c", &u, why,
	    sizeof(why)), 0);
	assert_string_equal(u.host, "::1");
	assert_string_equal(u.port, "8080");
	assert_string_equal(u.path, "/a?b=c");
	assert_string_equal(u.hostport, "[::1]:8080");
	static const char *const bad[] = {
		"https://tsa.example.com/", "ftp://x/", "http://", "http:///x",
		"http://host:0/", "http://host:65536/", "http://host:/",
		"http://host:12a/", "http://user@host/", "http://ho st/",
		"http://[::1/", "http://[::1]x/", "http://host/a b",
		"http://host/#frag", "tsa.example.com",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (tsaurl_parse(bad[i], &u, why, sizeof(why)) != -1)
			fail_msg("accepted '%s'", bad[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_request_carries_hash_of_signature_nonce_and_cert_req),
		cmocka_unit_test(test_two_requests_have_different_nonces),
		cmocka_unit_test(test_a_good_response_gives_the_token),
		cmocka_unit_test(test_a_wrong_nonce_is_refused),
		cmocka_unit_test(test_a_wrong_imprint_is_refused),
		cmocka_unit_test(
		    test_a_token_without_the_tsa_certificate_is_refused),
		cmocka_unit_test(test_a_rejection_names_status_and_failure),
		cmocka_unit_test(test_garbage_and_trailing_bytes_are_refused),
		cmocka_unit_test(
		    test_a_signature_altered_in_the_token_is_refused),
		cmocka_unit_test(test_http_content_length_framing),
		cmocka_unit_test(test_http_close_delimited_and_status),
		cmocka_unit_test(test_http_chunked_bodies),
		cmocka_unit_test(test_tsa_urls),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
