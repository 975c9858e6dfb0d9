/*
 * test_tsa.c: RFC 3161 timestamps on the child's side (sandbox/tsa.c,
 * sandbox/http.c), the TSA URLs of the config (records/tsaurl.c), and the
 * monitor's way to a TSA (monitor/tsaconn.c) through the lookup process
 * (sandbox/resolve.c, proto/resolve.c).
 *
 * Responses come from OpenSSL's own TSA implementation (TS_RESP_CTX) run
 * in-process with certificates made here (a CA, a TSA it issued, a
 * self-signed TSA), answering requests that tsa_make_request() built,
 * some of them altered first, some of the responses altered after: so
 * the checks are tested against real TimeStampResp structures, one fault
 * at a time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/ess.h>
#include <openssl/evp.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include "records/tsaurl.h"
#include "monitor/tsaconn.h"
#include "proto/names.h"
#include "proto/resolve.h"
#include "sandbox/http.h"
#include "sandbox/resolve.h"
#include "sandbox/tsa.h"

/* A CA, the TSA it issued, a self-signed TSA, and another CA. */
static EVP_PKEY *ca_key, *tsa_key, *self_key, *other_key;
static X509 *ca_cert, *tsa_cert, *self_cert, *other_cert;
static uint8_t *anchors, *other_anchors; /* the CAs, DER */
static size_t anchorslen, other_anchorslen;
static const uint8_t sigval[] = "a signature value, as the token signed it";
static char lookup_program[4096]; /* the test csign-sandbox */

/* Add extension nid with value v (X509V3 config syntax) to x (by issuer). */
static void
add_ext(X509 *x, X509 *issuer, int nid, const char *v)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	assert_non_null(e = X509V3_EXT_conf_nid(NULL, &ctx, nid, v));
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

/*
 * A P-256 certificate for cn, valid from an hour ago for a day: a CA if
 * is_ca, else a timestamping certificate; issued by issuer (NULL: itself).
 */
static X509 *
make_cert(const char *cn, EVP_PKEY **key, int is_ca, X509 *issuer,
    EVP_PKEY *issuer_key, long serial)
{
	X509 *x = X509_new();
	X509_NAME *n;

	assert_non_null(*key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x,
	    issuer != NULL ? X509_get_subject_name(issuer) : n);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, *key);
	if (is_ca) {
		add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, x, NID_key_usage, "critical,keyCertSign");
	} else {
		add_ext(x, issuer != NULL ? issuer : x, NID_basic_constraints,
		    "critical,CA:FALSE");
		add_ext(x, issuer != NULL ? issuer : x, NID_ext_key_usage,
		    "critical,timeStamping");
	}
	assert_true(X509_sign(x, issuer_key != NULL ? issuer_key : *key,
			EVP_sha256()) > 0);
	return x;
}

/* The DER of x, malloc'd. */
static uint8_t *
cert_der(X509 *x, size_t *len)
{
	unsigned char *der = NULL;
	uint8_t *copy;
	int n;

	assert_true((n = i2d_X509(x, &der)) > 0);
	assert_non_null(copy = malloc((size_t)n));
	memcpy(copy, der, (size_t)n);
	OPENSSL_free(der);
	*len = (size_t)n;
	return copy;
}

static int
setup(void **state)
{
	(void)state;
	ca_cert = make_cert("unit test TSA CA", &ca_key, 1, NULL, NULL, 1);
	tsa_cert = make_cert("unit test TSA", &tsa_key, 0, ca_cert, ca_key, 7);
	self_cert =
	    make_cert("unit test self-signed TSA", &self_key, 0, NULL, NULL, 8);
	other_cert =
	    make_cert("unit test other CA", &other_key, 1, NULL, NULL, 9);
	anchors = cert_der(ca_cert, &anchorslen);
	other_anchors = cert_der(other_cert, &other_anchorslen);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	X509_free(ca_cert);
	X509_free(tsa_cert);
	X509_free(self_cert);
	X509_free(other_cert);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(tsa_key);
	EVP_PKEY_free(self_key);
	EVP_PKEY_free(other_key);
	free(anchors);
	free(other_anchors);
	return 0;
}

/* How the in-process TSA answers: a fault each, or none. */
enum ess_kind {
	ESS_V2 = 0,
	ESS_V1,
	ESS_NONE,
	ESS_OTHER
};
struct tsa_opts {
	int self_signed; /* sign with self_cert */
	long shift;	 /* genTime = now + shift */
	enum ess_kind ess;
};

/* The TSA's clock, shifted by *arg seconds. */
static int
shifted_clock(TS_RESP_CTX *ctx, void *arg, long *sec, long *usec)
{
	(void)ctx;
	*sec = (long)time(NULL) + *(const long *)arg;
	*usec = 0;
	return 1;
}

/* The token's one SignerInfo, with its ESS attribute changed, re-signed. */
static void
change_ess(TS_RESP *resp, enum ess_kind ess)
{
	PKCS7_SIGNER_INFO *si =
	    sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(
					   TS_RESP_get_token(resp)),
		0);
	ESS_SIGNING_CERT_V2 *sc;
	ASN1_STRING *seq;
	unsigned char *der = NULL;
	int i, n;

	assert_non_null(si);
	if (ess == ESS_NONE) {
		while ((i = X509at_get_attr_by_NID(si->auth_attr,
			    NID_id_smime_aa_signingCertificateV2, -1)) >= 0)
			X509_ATTRIBUTE_free(
			    X509at_delete_attr(si->auth_attr, i));
	} else {
		assert_non_null(
		    sc = OSSL_ESS_signing_cert_v2_new_init(EVP_sha256(),
			self_cert, NULL, 0));
		assert_true((n = i2d_ESS_SIGNING_CERT_V2(sc, &der)) > 0);
		assert_non_null(seq = ASN1_STRING_new());
		assert_int_equal(ASN1_STRING_set(seq, der, n), 1);
		assert_int_equal(PKCS7_add_signed_attribute(si,
				     NID_id_smime_aa_signingCertificateV2,
				     V_ASN1_SEQUENCE, seq),
		    1);
		OPENSSL_free(der);
		ESS_SIGNING_CERT_V2_free(sc);
	}
	assert_int_equal(PKCS7_SIGNER_INFO_sign(si), 1);
}

/* OpenSSL's TSA answering req as o says; sha256 only unless all_mds. */
static uint8_t *
tsa_respond_with(const uint8_t *req, size_t reqlen, int all_mds,
    const struct tsa_opts *o, size_t *len)
{
	TS_RESP_CTX *ctx = TS_RESP_CTX_new();
	ASN1_OBJECT *policy = OBJ_txt2obj("1.2.3.4.1", 1);
	BIO *in = BIO_new_mem_buf(req, (int)reqlen);
	TS_RESP *resp;
	uint8_t *der = NULL;
	int n;

	assert_non_null(ctx);
	assert_int_equal(TS_RESP_CTX_set_signer_cert(ctx,
			     o->self_signed ? self_cert : tsa_cert),
	    1);
	assert_int_equal(TS_RESP_CTX_set_signer_key(ctx,
			     o->self_signed ? self_key : tsa_key),
	    1);
	assert_int_equal(TS_RESP_CTX_set_def_policy(ctx, policy), 1);
	assert_int_equal(TS_RESP_CTX_add_md(ctx, EVP_sha256()), 1);
	assert_int_equal(TS_RESP_CTX_set_ess_cert_id_digest(ctx,
			     o->ess == ESS_V1 ? EVP_sha1() : EVP_sha256()),
	    1);
	if (o->shift != 0)
		TS_RESP_CTX_set_time_cb(ctx, shifted_clock, (void *)&o->shift);
	if (all_mds) {
		TS_RESP_CTX_add_md(ctx, EVP_sha384());
		TS_RESP_CTX_add_md(ctx, EVP_sha512());
	}
	assert_non_null(resp = TS_RESP_create_response(ctx, in));
	if ((o->ess == ESS_NONE || o->ess == ESS_OTHER) &&
	    TS_RESP_get_token(resp) != NULL)
		change_ess(resp, o->ess);
	assert_true((n = i2d_TS_RESP(resp, &der)) > 0);
	*len = (size_t)n;
	TS_RESP_free(resp);
	BIO_free(in);
	ASN1_OBJECT_free(policy);
	TS_RESP_CTX_free(ctx);
	return der;
}

/* OpenSSL's TSA answering req, without a fault. */
static uint8_t *
tsa_respond(const uint8_t *req, size_t reqlen, int all_mds, size_t *len)
{
	const struct tsa_opts none = { 0 };

	return tsa_respond_with(req, reqlen, all_mds, &none, len);
}

/* The trust of a key whose TimestampCA is the unit test CA, now. */
static struct tsa_trust
trust_now(void)
{
	return (struct tsa_trust){ .anchors = anchors,
		.anchorslen = anchorslen,
		.now = (int64_t)time(NULL),
		.max_skew = 300,
		.window = 11 };
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
			     x->imprint, &x->implen, &x->req, &x->reqlen,
			     &x->nonce),
	    0);
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

/* Check resp against x and tr: the return value, and err in *err. */
static int
check_with(const struct exchange *x, int digest, const uint8_t *resp,
    size_t len, const struct tsa_trust *tr, char *err, size_t errlen)
{
	char gentime[TSA_GENTIME_MAX + 1];
	uint8_t *tok = NULL;
	size_t toklen = 0;
	int r;

	err[0] = '\0';
	r = tsa_check_response(resp, len, digest, x->imprint, x->implen,
	    x->nonce, tr, &tok, &toklen, gentime, err, errlen);
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

/* Check resp against x under the unit test CA, now. */
static int
check(const struct exchange *x, int digest, const uint8_t *resp, size_t len,
    char *err, size_t errlen)
{
	struct tsa_trust tr = trust_now();

	return check_with(x, digest, resp, len, &tr, err, errlen);
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
	ASN1_OCTET_STRING *h =
	    TS_MSG_IMPRINT_get_msg(TS_REQ_get_msg_imprint(q));
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
refused(void (*change)(TS_REQ *), int digest, int all_mds, const char *words)
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
			     sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "not a TimeStampResp"));
	assert_int_equal(check(&x, DIG_SHA256, junk, 0, err, sizeof(err)), -1);
	resp = tsa_respond(x.req, x.reqlen, 1, &len);
	assert_non_null(longer = malloc(len + 1));
	memcpy(longer, resp, len);
	longer[len] = 0;
	assert_int_equal(check(&x, DIG_SHA256, longer, len + 1, err,
			     sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "not a TimeStampResp"));
	/* Every truncation too. */
	for (size_t n = 0; n < len; n += 7)
		assert_int_equal(check(&x, DIG_SHA256, resp, n, err,
				     sizeof(err)),
		    -1);
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

/* A response from a TSA with fault o, checked with tr: 0 or -1, err. */
static int
answer_with(const struct tsa_opts *o, const struct tsa_trust *tr, char *err,
    size_t errlen)
{
	struct exchange x;
	uint8_t *resp;
	size_t len;
	int r;

	exchange_new(&x, DIG_SHA256);
	resp = tsa_respond_with(x.req, x.reqlen, 1, o, &len);
	r = check_with(&x, DIG_SHA256, resp, len, tr, err, errlen);
	OPENSSL_free(resp);
	exchange_free(&x);
	return r;
}

/* The TSA's fault o must be refused with words in the message. */
static void
refused_with(const struct tsa_opts *o, const struct tsa_trust *tr,
    const char *words)
{
	char err[256];

	assert_int_equal(answer_with(o, tr, err, sizeof(err)), -1);
	if (strstr(err, words) == NULL)
		fail_msg("'%s' not in '%s'", words, err);
}

/* ... and what o changes must still be accepted. */
static void
accepted_with(const struct tsa_opts *o, const struct tsa_trust *tr)
{
	char err[256];

	if (answer_with(o, tr, err, sizeof(err)) != 0)
		fail_msg("refused: %s", err);
}

static void
test_a_self_signed_tsa_under_no_anchor_is_refused(void **state)
{
	const struct tsa_opts self = { .self_signed = 1 };
	struct tsa_trust tr = trust_now();
	uint8_t *der;

	(void)state;
	refused_with(&self, &tr, "does not chain to TimestampCA: self-signed");
	/* Made an anchor by the admin, it is trusted: that is the choice. */
	der = cert_der(self_cert, &tr.anchorslen);
	tr.anchors = der;
	accepted_with(&self, &tr);
	free(der);
}

static void
test_a_tsa_under_another_ca_is_refused(void **state)
{
	const struct tsa_opts none = { 0 };
	struct tsa_trust tr = trust_now();
	uint8_t *both;

	(void)state;
	tr.anchors = other_anchors;
	tr.anchorslen = other_anchorslen;
	refused_with(&none, &tr,
	    "does not chain to TimestampCA: unable to "
	    "get local issuer certificate");
	/* Any one of several anchors will do. */
	assert_non_null(both = malloc(other_anchorslen + anchorslen));
	memcpy(both, other_anchors, other_anchorslen);
	memcpy(both + other_anchorslen, anchors, anchorslen);
	tr.anchors = both;
	tr.anchorslen = other_anchorslen + anchorslen;
	accepted_with(&none, &tr);
	/* Anchors that are not exactly certificates: none is trusted. */
	tr.anchorslen--;
	refused_with(&none, &tr, "TimestampCA anchors are not usable");
	tr.anchorslen = 0;
	refused_with(&none, &tr, "TimestampCA anchors are not usable");
	free(both);
}

static void
test_a_gentime_far_from_the_monitors_clock_is_refused(void **state)
{
	const struct tsa_opts past = { .shift = -3600 };
	const struct tsa_opts future = { .shift = 3600 };
	const struct tsa_opts near_past = { .shift = -240 };
	const struct tsa_opts near_future = { .shift = 240 };
	const struct tsa_opts none = { 0 };
	struct tsa_trust tr = trust_now();

	(void)state;
	refused_with(&past, &tr, "behind the monitor's clock (at most 300 s");
	refused_with(&future, &tr, "ahead of the monitor's clock");
	accepted_with(&near_past, &tr);
	accepted_with(&near_future, &tr);
	/* The monitor's clock, not the child's: an hour off is refused. */
	tr.now += 3600;
	refused_with(&none, &tr, "behind the monitor's clock");
	tr.now -= 7200;
	refused_with(&none, &tr, "ahead of the monitor's clock");
}

static void
test_the_ess_signing_certificate_attribute_is_required(void **state)
{
	const struct tsa_opts noess = { .ess = ESS_NONE };
	const struct tsa_opts other = { .ess = ESS_OTHER };
	const struct tsa_opts v1 = { .ess = ESS_V1 };
	struct tsa_trust tr = trust_now();

	(void)state;
	refused_with(&noess, &tr,
	    "the token has no ESS signing-certificate "
	    "attribute");
	refused_with(&other, &tr,
	    "ESS signing-certificate attribute does "
	    "not name the certificate that signed it");
	accepted_with(&v1, &tr);
}

/* An answer of the lookup process, encoded. */
static void
resolve_encoded(struct buf *b)
{
	struct resolve_reply r = { .status = RES_OK,
		.count = 2,
		.a = { { .family = 6, .addr = { [15] = 1 } },
		    { .family = 4, .addr = { 127, 0, 0, 1 } } } };

	buf_init(b, RESOLVE_REPLY_LEN + 8);
	assert_int_equal(resolve_enc(b, &r), 0);
	assert_int_equal(buf_left(b), RESOLVE_REPLY_LEN);
}

/* Decode the bytes p[0..len): 0 or -1. */
static int
resolve_bytes(const uint8_t *p, size_t len, struct resolve_reply *r)
{
	struct buf v;

	buf_view(&v, p, len);
	return resolve_dec(&v, r);
}

static void
test_the_lookup_answer_decodes_exactly(void **state)
{
	struct resolve_reply r;
	struct buf b;
	uint8_t m[RESOLVE_REPLY_LEN + 1];

	(void)state;
	resolve_encoded(&b);
	memcpy(m, buf_ptr(&b), RESOLVE_REPLY_LEN);
	assert_int_equal(resolve_bytes(m, RESOLVE_REPLY_LEN, &r), 0);
	assert_int_equal(r.status, RES_OK);
	assert_int_equal(r.count, 2);
	assert_int_equal(r.a[0].family, 6);
	assert_int_equal(r.a[0].addr[15], 1);
	assert_int_equal(r.a[1].family, 4);
	assert_int_equal(r.a[1].addr[0], 127);
	/* Every truncation, and one byte more. */
	for (size_t n = 0; n < RESOLVE_REPLY_LEN; n++)
		assert_int_equal(resolve_bytes(m, n, &r), -1);
	m[RESOLVE_REPLY_LEN] = 0;
	assert_int_equal(resolve_bytes(m, RESOLVE_REPLY_LEN + 1, &r), -1);
	/* Each field out of range, one at a time. */
	static const struct {
		size_t at;
		uint8_t v;
	} bad[] = {
		{ 1, 2 },		      /* version 2 */
		{ 2, RES_COUNT },	      /* unknown status */
		{ 2, RES_NONAME },	      /* a failure with addresses */
		{ 3, 0 },		      /* OK with no address */
		{ 3, RESOLVE_ADDRS_MAX + 1 }, /* too many */
		{ 3, 3 },		      /* a zero slot counted */
		{ 4, 5 },		      /* family 5 */
		{ 4 + 17, 0 },		      /* family 0 in a used slot */
		{ 4 + 17 + 1 + 4, 1 },	      /* IPv4 with a 5th byte */
		{ 4 + 2 * 17, 4 },	      /* an unused slot not zero */
		{ RESOLVE_REPLY_LEN - 1, 1 }, /* the last byte not zero */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t was = m[bad[i].at];

		m[bad[i].at] = bad[i].v;
		if (resolve_bytes(m, RESOLVE_REPLY_LEN, &r) != -1)
			fail_msg("accepted byte %zu = %u", bad[i].at,
			    (unsigned)bad[i].v);
		m[bad[i].at] = was;
	}
	assert_int_equal(resolve_bytes(m, RESOLVE_REPLY_LEN, &r), 0);
	/* A failure: no address, all zero. */
	r = (struct resolve_reply){ .status = RES_AGAIN };
	buf_reset(&b);
	assert_int_equal(resolve_enc(&b, &r), 0);
	assert_int_equal(resolve_dec(&b, &r), 0);
	assert_int_equal(r.status, RES_AGAIN);
	assert_int_equal(r.count, 0);
	/* The encoder refuses what the decoder would. */
	r = (struct resolve_reply){ .status = RES_OK };
	buf_reset(&b);
	assert_int_equal(resolve_enc(&b, &r), -1);
	buf_free(&b);
}

static void
test_the_lookup_resolves_with_getaddrinfo(void **state)
{
	struct resolve_reply r;

	(void)state;
	resolve_lookup("127.0.0.1", &r);
	assert_int_equal(r.status, RES_OK);
	assert_int_equal(r.count, 1);
	assert_int_equal(r.a[0].family, 4);
	assert_memory_equal(r.a[0].addr, "\177\0\0\1", 4);
	resolve_lookup("localhost", &r);
	assert_int_equal(r.status, RES_OK);
	resolve_lookup("no-such-tsa.invalid", &r);
	assert_int_not_equal(r.status, RES_OK);
	assert_int_equal(r.count, 0);
}

/* What a connection attempt came to. */
struct conn_result {
	int called;
	int fd;
	char err[512];
	struct event_base *base;
};

static void
conn_done(int fd, const char *err, void *arg)
{
	struct conn_result *r = arg;

	r->called++;
	r->fd = fd;
	snprintf(r->err, sizeof(r->err), "%s", err != NULL ? err : "");
	event_base_loopbreak(r->base);
}

/* Connect to http://host:port/ with program as the lookup: the result. */
static struct conn_result
connect_to(const char *program, const char *host, unsigned port,
    unsigned timeout_ms)
{
	const struct tsa_lookup lk = { .program = program };
	struct conn_result r = { .fd = -1 };
	struct tsa_url u;
	struct tsa_conn *t;
	char url[300], why[128];

	snprintf(url, sizeof(url), "http://%s:%u/", host, port);
	assert_int_equal(tsaurl_parse(url, &u, why, sizeof(why)), 0);
	assert_non_null(r.base = event_base_new());
	assert_non_null(
	    t = tsa_connect(r.base, &lk, &u, timeout_ms, conn_done, &r));
	assert_int_equal(r.called, 0); /* never from inside tsa_connect */
	event_base_dispatch(r.base);
	assert_int_equal(r.called, 1);
	event_base_free(r.base);
	return r;
}

/* A loopback listener: its socket, and its port in *port. */
static int
listener(unsigned *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int s;

	assert_true((s = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s, 8), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return s;
}

/* Reap the lookup processes: how many were killed by SIGKILL. */
static int
reap_lookups(void)
{
	int st, killed = 0;
	pid_t pid;

	for (int i = 0; i < 400; i++) {
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
			if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
				killed++;
		if (pid == -1 && errno == ECHILD)
			return killed;
		usleep(5000);
	}
	fail_msg("a lookup process is still running after 2 s");
	return killed;
}

static void
test_an_address_is_connected_without_a_lookup(void **state)
{
	struct conn_result r;
	unsigned port;
	int s = listener(&port);

	(void)state;
	r = connect_to("/nonexistent/csign-sandbox", "127.0.0.1", port, 2000);
	assert_true(r.fd >= 0);
	close(r.fd);
	close(s);
	r = connect_to("/nonexistent/csign-sandbox", "127.0.0.1", port, 2000);
	assert_int_equal(r.fd, -1);
	assert_non_null(strstr(r.err, "cannot connect to 127.0.0.1 port"));
	assert_non_null(strstr(r.err, "Connection refused"));
	assert_int_equal(reap_lookups(), 0);
}

static void
test_a_name_is_resolved_by_the_lookup_process(void **state)
{
	struct conn_result r;
	unsigned port;
	int s = listener(&port);

	(void)state;
	/* localhost may come as ::1 first: refused there, then 127.0.0.1. */
	r = connect_to(lookup_program, "localhost", port, 5000);
	if (r.fd < 0)
		fail_msg("localhost: %s", r.err);
	close(r.fd);
	/* Without a lookup program, no name is resolved. */
	r = connect_to("/nonexistent/csign-sandbox", "localhost", port, 2000);
	assert_int_equal(r.fd, -1);
	assert_non_null(strstr(r.err, "cannot resolve localhost port"));
	assert_non_null(strstr(r.err, "ended without an answer"));
	close(s);
	reap_lookups();
}

static void
test_a_malformed_lookup_answer_is_refused(void **state)
{
	static const char *const hosts[] = { "lookup-test-long.invalid",
		"lookup-test-short.invalid", "lookup-test-junk.invalid",
		"lookup-test-fd.invalid" };
	struct conn_result r;
	unsigned port;
	int s = listener(&port);

	(void)state;
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		r = connect_to(lookup_program, hosts[i], port, 5000);
		assert_int_equal(r.fd, -1);
		if (strstr(r.err,
			"the lookup process sent a malformed "
			"answer") == NULL)
			fail_msg("%s: %s", hosts[i], r.err);
	}
	close(s);
	reap_lookups();
}

static void
test_a_hanging_lookup_is_killed_at_the_deadline(void **state)
{
	struct conn_result r;
	struct timespec t0, t1;
	long ms;

	(void)state;
	(void)reap_lookups(); /* only this test's lookup counts */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = connect_to(lookup_program, "lookup-test-hang.invalid", 80, 300);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_int_equal(r.fd, -1);
	assert_string_equal(r.err,
	    "cannot resolve lookup-test-hang.invalid "
	    "port 80: timed out");
	assert_true(ms >= 290 && ms < 2000);
	assert_int_equal(reap_lookups(), 1);
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
			     0, &st, &body, err),
	    1);
	assert_int_equal(st, 200);
	assert_int_equal(buf_left(&body), 3);
	assert_memory_equal(buf_ptr(&body), "abc", 3);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nab",
			     0, &st, &body, err),
	    0);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nab",
			     1, &st, &body, err),
	    -1);
	assert_non_null(strstr(err, "middle of the HTTP body"));
	assert_int_equal(http("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n"
			      "abcd",
			     0, &st, &body, err),
	    -1);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n", 0,
			     &st, &body, err),
	    0);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n", 1,
			     &st, &body, err),
	    -1);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n",
			     0, &st, &body, err),
	    -1);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
			      "Content-Length: 1\r\n\r\na",
			     0, &st, &body, err),
	    -1);
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
	assert_int_equal(http("HTTP/1.0 200 OK\r\n\r\nxyz", 0, &st, &body, err),
	    0);
	assert_int_equal(http("HTTP/1.0 200 OK\r\n\r\nxyz", 1, &st, &body, err),
	    1);
	assert_int_equal(buf_left(&body), 3);
	assert_int_equal(http("HTTP/1.1 500 Internal Server Error\r\n"
			      "Content-Length: 0\r\n\r\n",
			     0, &st, &body, err),
	    1);
	assert_int_equal(st, 500);
	assert_int_equal(http("HTTP/2 200\r\n\r\n", 1, &st, &body, err), -1);
	assert_int_equal(http("HTTP/1.1 2x0 OK\r\n\r\n", 1, &st, &body, err),
	    -1);
	assert_int_equal(http("garbage\r\n\r\n", 1, &st, &body, err), -1);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nno colon\r\n\r\n", 1, &st,
			     &body, err),
	    -1);
	assert_int_equal(http("HTTP/1.1 200 OK\nContent-Length: 0\n\n", 1, &st,
			     &body, err),
	    -1);
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
			      "\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
			     0, &st, &body, err),
	    1);
	assert_int_equal(buf_left(&body), 5);
	assert_memory_equal(buf_ptr(&body), "abcde", 5);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
			      "\r\n\r\n3\r\nabc\r\n",
			     0, &st, &body, err),
	    0);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
			      "\r\n\r\n3\r\nabc\r\n",
			     1, &st, &body, err),
	    -1);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
			      "\r\n\r\nzz\r\nabc\r\n",
			     0, &st, &body, err),
	    -1);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
			      "\r\n\r\n3\r\nabcX\r\n",
			     0, &st, &body, err),
	    -1);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
			      "\r\n\r\nfffffff0\r\n",
			     0, &st, &body, err),
	    -1);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip"
			      "\r\n\r\n",
			     1, &st, &body, err),
	    -1);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
			      "\r\nContent-Length: 3\r\n\r\n",
			     1, &st, &body, err),
	    -1);
	buf_free(&body);
}

static void
test_tsa_urls(void **state)
{
	struct tsa_url u;
	char why[128];

	(void)state;
	assert_int_equal(tsaurl_parse("http://tsa.example.com/tsr", &u, why,
			     sizeof(why)),
	    0);
	assert_string_equal(u.host, "tsa.example.com");
	assert_string_equal(u.port, "80");
	assert_string_equal(u.path, "/tsr");
	assert_string_equal(u.hostport, "tsa.example.com");
	assert_int_equal(tsaurl_parse("http://127.0.0.1:3180", &u, why,
			     sizeof(why)),
	    0);
	assert_string_equal(u.host, "127.0.0.1");
	assert_string_equal(u.port, "3180");
	assert_string_equal(u.path, "/");
	assert_string_equal(u.hostport, "127.0.0.1:3180");
	assert_int_equal(tsaurl_parse("HTTP://[::1]:8080/a?b=c", &u, why,
			     sizeof(why)),
	    0);
	assert_string_equal(u.host, "::1");
	assert_string_equal(u.port, "8080");
	assert_string_equal(u.path, "/a?b=c");
	assert_string_equal(u.hostport, "[::1]:8080");
	static const char *const bad[] = {
		"https://tsa.example.com/",
		"ftp://x/",
		"http://",
		"http:///x",
		"http://host:0/",
		"http://host:65536/",
		"http://host:/",
		"http://host:12a/",
		"http://user@host/",
		"http://ho st/",
		"http://[::1/",
		"http://[::1]x/",
		"http://host/a b",
		"http://host/#frag",
		"tsa.example.com",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (tsaurl_parse(bad[i], &u, why, sizeof(why)) != -1)
			fail_msg("accepted '%s'", bad[i]);
}

int
main(int argc, char **argv)
{
	const char *slash = argc > 0 ? strrchr(argv[0], '/') : NULL;
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
		cmocka_unit_test(
		    test_a_self_signed_tsa_under_no_anchor_is_refused),
		cmocka_unit_test(test_a_tsa_under_another_ca_is_refused),
		cmocka_unit_test(
		    test_a_gentime_far_from_the_monitors_clock_is_refused),
		cmocka_unit_test(
		    test_the_ess_signing_certificate_attribute_is_required),
		cmocka_unit_test(test_the_lookup_answer_decodes_exactly),
		cmocka_unit_test(test_the_lookup_resolves_with_getaddrinfo),
		cmocka_unit_test(test_an_address_is_connected_without_a_lookup),
		cmocka_unit_test(test_a_name_is_resolved_by_the_lookup_process),
		cmocka_unit_test(test_a_malformed_lookup_answer_is_refused),
		cmocka_unit_test(
		    test_a_hanging_lookup_is_killed_at_the_deadline),
		cmocka_unit_test(test_http_content_length_framing),
		cmocka_unit_test(test_http_close_delimited_and_status),
		cmocka_unit_test(test_http_chunked_bodies),
		cmocka_unit_test(test_tsa_urls),
	};

	/* The lookup program: the test csign-sandbox beside this binary. */
	snprintf(lookup_program, sizeof(lookup_program), "%.*scsign-sandbox",
	    slash != NULL ? (int)(slash - argv[0] + 1) : 0, argv[0]);
	return cmocka_run_group_tests(tests, setup, teardown);
}
