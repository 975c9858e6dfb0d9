/*
 * test_tsa.c: RFC 3161 timestamps on the child's side (sandbox/tsa.c).
 *
 * Responses come from OpenSSL's own TSA implementation (TS_RESP_CTX) run
 * in-process with the certificates of tsa_test.h, answering requests that
 * tsa_make_request() built, some of them altered first, some of the
 * responses altered after: so the checks are tested against real
 * TimeStampResp structures, one fault at a time.
 */
#include "tsa_test.h"

static const uint8_t sigval[] = "a signature value, as the token signed it";

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
	};

	/* The lookup program: the test csign-sandbox beside this binary. */
	snprintf(lookup_program, sizeof(lookup_program), "%.*scsign-sandbox",
	    slash != NULL ? (int)(slash - argv[0] + 1) : 0, argv[0]);
	return cmocka_run_group_tests(tests, setup, teardown);
}
