/* tsa.c: RFC 3161 timestamps of a signature (see tsa.h). */
#include "sandbox/tsa.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include "common/log.h"
#include "common/sigcheck.h"
#include "sandbox/channel.h"
#include "sandbox/http.h"

/* A positive random 64-bit nonce. */
static ASN1_INTEGER *
make_nonce(void)
{
	unsigned char r[8];
	BIGNUM *bn;
	ASN1_INTEGER *n = NULL;

	if (RAND_bytes(r, sizeof(r)) != 1)
		return NULL;
	r[0] &= 0x7f;
	r[0] |= 0x40;		/* always 8 bytes long */
	if ((bn = BN_bin2bn(r, sizeof(r), NULL)) != NULL)
		n = BN_to_ASN1_INTEGER(bn, NULL);
	BN_free(bn);
	return n;
}

int
tsa_make_request(int digest, const uint8_t *sig, size_t siglen,
    uint8_t *imprint, size_t *implen, uint8_t **req, size_t *reqlen,
    ASN1_INTEGER **nonce)
{
	TS_REQ *q = TS_REQ_new();
	TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	unsigned int mdlen = 0;
	int n, r = -1;

	*req = NULL;
	*nonce = NULL;
	if (q == NULL || mi == NULL || alg == NULL ||
	    EVP_Digest(sig, siglen, imprint, &mdlen, digest_md(digest),
	    NULL) != 1)
		goto out;
	*implen = mdlen;
	X509_ALGOR_set_md(alg, digest_md(digest));
	if (TS_REQ_set_version(q, 1) != 1 ||
	    TS_MSG_IMPRINT_set_algo(mi, alg) != 1 ||
	    TS_MSG_IMPRINT_set_msg(mi, imprint, (int)mdlen) != 1 ||
	    TS_REQ_set_msg_imprint(q, mi) != 1 ||
	    (*nonce = make_nonce()) == NULL ||
	    TS_REQ_set_nonce(q, *nonce) != 1 ||
	    TS_REQ_set_cert_req(q, 1) != 1 ||
	    (n = i2d_TS_REQ(q, req)) <= 0)
		goto out;
	*reqlen = (size_t)n;
	r = 0;
out:
	if (r == -1) {
		ASN1_INTEGER_free(*nonce);
		*nonce = NULL;
	}
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(mi);
	TS_REQ_free(q);
	return r;
}

/* Why the TSA said no: "status 2 (rejection): text; failure badAlg". */
static void
status_text(TS_STATUS_INFO *si, long st, char *err, size_t errlen)
{
	static const char *const names[] = { "granted", "grantedWithMods",
		"rejection", "waiting", "revocationWarning",
		"revocationNotification" };
	static const struct { int bit; const char *name; } fails[] = {
		{ TS_INFO_BAD_ALG, "badAlg" },
		{ TS_INFO_BAD_REQUEST, "badRequest" },
		{ TS_INFO_BAD_DATA_FORMAT, "badDataFormat" },
		{ TS_INFO_TIME_NOT_AVAILABLE, "timeNotAvailable" },
		{ TS_INFO_UNACCEPTED_POLICY, "unacceptedPolicy" },
		{ TS_INFO_UNACCEPTED_EXTENSION, "unacceptedExtension" },
		{ TS_INFO_ADD_INFO_NOT_AVAILABLE, "addInfoNotAvailable" },
		{ TS_INFO_SYSTEM_FAILURE, "systemFailure" },
	};
	const STACK_OF(ASN1_UTF8STRING) *text = TS_STATUS_INFO_get0_text(si);
	const ASN1_BIT_STRING *fi = TS_STATUS_INFO_get0_failure_info(si);
	const char *failure = NULL;
	char t[96] = "";

	if (sk_ASN1_UTF8STRING_num(text) > 0) {
		const ASN1_UTF8STRING *s = sk_ASN1_UTF8STRING_value(text, 0);
		int n = ASN1_STRING_length(s);

		if (n > (int)sizeof(t) - 1)
			n = (int)sizeof(t) - 1;
		memcpy(t, ASN1_STRING_get0_data(s), (size_t)n);
		t[n] = '\0';
		log_text_safe(t);
	}
	for (size_t i = 0; fi != NULL && i < sizeof(fails) / sizeof(fails[0]);
	    i++)
		if (ASN1_BIT_STRING_get_bit(fi, fails[i].bit))
			failure = fails[i].name;
	snprintf(err, errlen, "the TSA refused: status %ld (%s)%s%s%s%s", st,
	    st >= 0 && st <= 5 ? names[st] : "unknown", t[0] ? ": " : "", t,
	    failure != NULL ? "; failure " : "", failure != NULL ? failure : "");
}

/*
 * The token's signature: one SignerInfo, signed by the certificate the
 * token carries (certReq), which must be a timestamping certificate.
 */
static int
check_token_signature(PKCS7 *token, char *err, size_t errlen)
{
	STACK_OF(PKCS7_SIGNER_INFO) *sis;
	PKCS7_SIGNER_INFO *si;
	X509 *signer;
	BIO *b;
	char sink[4096];
	int ok;

	if (!PKCS7_type_is_signed(token) ||
	    (sis = PKCS7_get_signer_info(token)) == NULL ||
	    sk_PKCS7_SIGNER_INFO_num(sis) != 1)
		return snprintf(err, errlen, "the token is not signed once"), -1;
	si = sk_PKCS7_SIGNER_INFO_value(sis, 0);
	if ((signer = PKCS7_cert_from_signer_info(token, si)) == NULL)
		return snprintf(err, errlen, "the token carries no TSA "
		    "certificate"), -1;
	if (X509_check_purpose(signer, X509_PURPOSE_TIMESTAMP_SIGN, 0) != 1)
		return snprintf(err, errlen, "the token's signer is not a "
		    "timestamping certificate (critical extendedKeyUsage "
		    "timeStamping)"), -1;
	if ((b = PKCS7_dataInit(token, NULL)) == NULL)
		return snprintf(err, errlen, "cannot read the token"), -1;
	while (BIO_read(b, sink, sizeof(sink)) > 0)
		;
	ok = PKCS7_signatureVerify(b, token, si, signer) == 1;
	BIO_free_all(b);
	if (!ok)
		return snprintf(err, errlen, "the token's signature does not "
		    "verify"), -1;
	return 0;
}

/* TSTInfo: version 1, our nonce, our imprint; its genTime. */
static int
check_tst_info(TS_TST_INFO *ti, int digest, const uint8_t *imprint,
    size_t implen, const ASN1_INTEGER *nonce, char *gentime, char *err,
    size_t errlen)
{
	TS_MSG_IMPRINT *mi = TS_TST_INFO_get_msg_imprint(ti);
	const ASN1_INTEGER *tn = TS_TST_INFO_get_nonce(ti);
	const ASN1_OBJECT *obj = NULL;
	ASN1_OCTET_STRING *h;
	struct tm tm;

	if (TS_TST_INFO_get_version(ti) != 1)
		return snprintf(err, errlen, "the token has TSTInfo version "
		    "%ld", TS_TST_INFO_get_version(ti)), -1;
	if (tn == NULL || ASN1_INTEGER_cmp(tn, nonce) != 0)
		return snprintf(err, errlen, "the token's nonce does not match "
		    "the request"), -1;
	X509_ALGOR_get0(&obj, NULL, NULL, TS_MSG_IMPRINT_get_algo(mi));
	h = TS_MSG_IMPRINT_get_msg(mi);
	if (obj == NULL || OBJ_obj2nid(obj) != EVP_MD_get_type(
	    digest_md(digest)) || h == NULL ||
	    (size_t)ASN1_STRING_length(h) != implen ||
	    memcmp(ASN1_STRING_get0_data(h), imprint, implen) != 0)
		return snprintf(err, errlen, "the token's message imprint does "
		    "not match the signature"), -1;
	if (ASN1_TIME_to_tm(TS_TST_INFO_get_time(ti), &tm) != 1 ||
	    strftime(gentime, TSA_GENTIME_MAX + 1, "%Y-%m-%dT%H:%M:%SZ",
	    &tm) == 0)
		return snprintf(err, errlen, "the token's genTime is not a "
		    "time"), -1;
	return 0;
}

int
tsa_check_response(const uint8_t *p, size_t len, int digest,
    const uint8_t *imprint, size_t implen, const ASN1_INTEGER *nonce,
    uint8_t **tok, size_t *toklen, char gentime[TSA_GENTIME_MAX + 1],
    char *err, size_t errlen)
{
	const unsigned char *q = p;
	TS_RESP *resp = NULL;
	TS_STATUS_INFO *si;
	PKCS7 *token;
	TS_TST_INFO *ti;
	long st;
	int n, r = -1;

	*tok = NULL;
	if (len > LONG_MAX || (resp = d2i_TS_RESP(NULL, &q, (long)len)) ==
	    NULL || q != p + len) {
		TS_RESP_free(resp);
		return snprintf(err, errlen, "the reply is not a "
		    "TimeStampResp"), -1;
	}
	si = TS_RESP_get_status_info(resp);
	st = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(si));
	if (st != 0 && st != 1) {
		status_text(si, st, err, errlen);
		goto out;
	}
	if ((token = TS_RESP_get_token(resp)) == NULL ||
	    (ti = TS_RESP_get_tst_info(resp)) == NULL) {
		snprintf(err, errlen, "the TSA granted but sent no token");
		goto out;
	}
	if (check_tst_info(ti, digest, imprint, implen, nonce, gentime, err,
	    errlen) == -1 || check_token_signature(token, err, errlen) == -1)
		goto out;
	if ((n = i2d_PKCS7(token, tok)) <= 0) {
		snprintf(err, errlen, "cannot encode the token");
		goto out;
	}
	*toklen = (size_t)n;
	r = 0;
out:
	TS_RESP_free(resp);
	return r;
}

/* "URL: why", both cut short enough to fit a reply message. */
static void
tsa_err(char *err, size_t errlen, const char *url, const char *why)
{
	snprintf(err, errlen, "%.100s: %.150s", url, why);
}

/* One TSA: connect (through the monitor), ask, check. */
static int
tsa_try(unsigned index, const uint8_t *req, size_t reqlen,
    const struct sign_input *in, const uint8_t *imprint, size_t implen,
    const ASN1_INTEGER *nonce, uint8_t **tok, size_t *toklen,
    char *gentime, char *err, size_t errlen)
{
	struct msg_tsa_reply rep;
	struct buf body;
	char why[MESSAGE_MAX + 1];
	int fd, status = 0, r = -1;

	if (sandbox_request_tsa(index, &rep, &fd) == -1)
		return snprintf(err, errlen, "cannot ask the monitor"), -1;
	if (rep.status != ST_OK)
		return tsa_err(err, errlen, rep.url, rep.message), -1;
	buf_init(&body, HTTP_RESP_MAX);
	if (http_post(fd, rep.hostport, rep.path,
	    "application/timestamp-query", req, reqlen, rep.timeout_ms,
	    &status, &body, why, sizeof(why)) == 0) {
		if (status != 200)
			snprintf(why, sizeof(why), "HTTP status %d", status);
		else if (tsa_check_response(buf_ptr(&body), buf_left(&body),
		    in->digest, imprint, implen, nonce, tok, toklen, gentime,
		    why, sizeof(why)) == 0)
			r = 0;
	}
	if (r == -1)
		tsa_err(err, errlen, rep.url, why);
	close(fd);
	buf_free(&body);
	return r;
}

/* Get a token for sig from the key's TSAs; report how it went. */
static int
tsa_stamp(const struct sign_input *in, struct sign_output *out,
    const uint8_t *sig, size_t siglen, uint8_t **tok, size_t *toklen)
{
	struct msg_tsa_done done = { .status = ST_UNAVAILABLE };
	uint8_t imprint[DIGEST_MAX], *req = NULL;
	size_t implen = 0, reqlen = 0, used = 0;
	char errs[MESSAGE_MAX + 1] = "", err[MESSAGE_MAX + 1];
	ASN1_INTEGER *nonce = NULL;
	unsigned i;

	*tok = NULL;
	if (tsa_make_request(in->digest, sig, siglen, imprint, &implen, &req,
	    &reqlen, &nonce) == -1)
		return sign_fail(out, ST_INTERNAL, "cannot build the timestamp "
		    "request");
	for (i = 0; i < in->ntsa; i++) {
		if (tsa_try(i, req, reqlen, in, imprint, implen, nonce, tok,
		    toklen, done.gentime, err, sizeof(err)) == 0) {
			done.status = ST_OK;
			break;
		}
		log_info("timestamp: %s", err);
		used += (size_t)snprintf(errs + used, sizeof(errs) - used,
		    "%s%s", used ? "; " : "", err);
		if (used >= sizeof(errs))
			used = sizeof(errs) - 1;
	}
	/* The TSA that answered, or the last one tried (if any was). */
	done.index = (uint8_t)(i < in->ntsa ? i : i > 0 ? i - 1 : 0);
	snprintf(done.message, sizeof(done.message), "%s", errs);
	(void)sandbox_report_tsa(&done);
	OPENSSL_free(req);
	ASN1_INTEGER_free(nonce);
	if (done.status == ST_OK)
		return 0;
	return sign_fail(out, ST_UNAVAILABLE, "timestamp failed: %s", errs);
}

int
tsa_stamp_into(const struct sign_input *in, struct sign_output *out,
    const uint8_t *sig, size_t siglen, tsa_embed_fn embed, void *ctx)
{
	uint8_t *tok = NULL;
	size_t toklen = 0;
	int r = 0;

	if (tsa_stamp(in, out, sig, siglen, &tok, &toklen) == -1)
		return -1;
	if (embed(ctx, tok, toklen) == -1)
		r = sign_fail(out, ST_INTERNAL, "cannot add the timestamp");
	OPENSSL_free(tok);
	return r;
}
