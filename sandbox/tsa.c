/* tsa.c: RFC 3161 timestamps of a signature (see tsa.h). */
#include "sandbox/tsa.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include "common/log.h"
#include "proto/sigcheck.h"
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
	r[0] |= 0x40; /* always 8 bytes long */
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
	    EVP_Digest(sig, siglen, imprint, &mdlen, digest_md(digest), NULL) !=
		1)
		goto out;
	*implen = mdlen;
	X509_ALGOR_set_md(alg, digest_md(digest));
	if (TS_REQ_set_version(q, 1) != 1 ||
	    TS_MSG_IMPRINT_set_algo(mi, alg) != 1 ||
	    TS_MSG_IMPRINT_set_msg(mi, imprint, (int)mdlen) != 1 ||
	    TS_REQ_set_msg_imprint(q, mi) != 1 ||
	    (*nonce = make_nonce()) == NULL ||
	    TS_REQ_set_nonce(q, *nonce) != 1 ||
	    TS_REQ_set_cert_req(q, 1) != 1 || (n = i2d_TS_REQ(q, req)) <= 0)
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
	static const struct {
		int bit;
		const char *name;
	} fails[] = {
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
	    failure != NULL ? "; failure " : "",
	    failure != NULL ? failure : "");
}

/*
 * The token's signature: one SignerInfo, signed by the certificate the
 * token carries (certReq), which must be a timestamping certificate.
 * *si and *signer point into the token.
 */
static int
check_token_signature(PKCS7 *token, PKCS7_SIGNER_INFO **si, X509 **signer,
    char *err, size_t errlen)
{
	STACK_OF(PKCS7_SIGNER_INFO) *sis;
	BIO *b;
	char sink[4096];
	int ok;

	if (!PKCS7_type_is_signed(token) ||
	    (sis = PKCS7_get_signer_info(token)) == NULL ||
	    sk_PKCS7_SIGNER_INFO_num(sis) != 1)
		return snprintf(err, errlen, "the token is not signed once"),
		       -1;
	*si = sk_PKCS7_SIGNER_INFO_value(sis, 0);
	if ((*signer = PKCS7_cert_from_signer_info(token, *si)) == NULL)
		return snprintf(err, errlen,
			   "the token carries no TSA "
			   "certificate"),
		       -1;
	if (X509_check_purpose(*signer, X509_PURPOSE_TIMESTAMP_SIGN, 0) != 1)
		return snprintf(err, errlen,
			   "the token's signer is not a "
			   "timestamping certificate (critical extendedKeyUsage "
			   "timeStamping)"),
		       -1;
	if ((b = PKCS7_dataInit(token, NULL)) == NULL)
		return snprintf(err, errlen, "cannot read the token"), -1;
	while (BIO_read(b, sink, sizeof(sink)) > 0)
		;
	ok = PKCS7_signatureVerify(b, token, *si, *signer) == 1;
	BIO_free_all(b);
	if (!ok)
		return snprintf(err, errlen,
			   "the token's signature does not "
			   "verify"),
		       -1;
	return 0;
}

/* The TimestampCA anchors (DER back to back, every byte used) as a store. */
static X509_STORE *
anchor_store(const struct tsa_trust *tr)
{
	const unsigned char *p = tr->anchors;
	size_t left = tr->anchorslen;
	X509_STORE *st;
	X509 *x;
	int ok;

	if (left == 0 || left > LONG_MAX || (st = X509_STORE_new()) == NULL)
		return NULL;
	while (left > 0) {
		const unsigned char *was = p;

		if ((x = d2i_X509(NULL, &p, (long)left)) == NULL) {
			X509_STORE_free(st);
			return NULL;
		}
		left -= (size_t)(p - was);
		ok = X509_STORE_add_cert(st, x);
		X509_free(x);
		if (ok != 1) {
			X509_STORE_free(st);
			return NULL;
		}
	}
	return st;
}

/*
 * The signer must chain to one of the key's TimestampCA anchors, as a
 * timestamping certificate, at the token's genTime (when); the chain it
 * builds (signer first, anchor last) is returned for the ESS check.  A
 * self-signed TSA certificate that is not itself an anchor fails here.
 */
static STACK_OF(X509) *
check_tsa_chain(PKCS7 *token, X509 *signer, time_t when,
    const struct tsa_trust *tr, char *err, size_t errlen)
{
	X509_STORE *st = anchor_store(tr);
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *chain = NULL;

	if (st == NULL)
		snprintf(err, errlen,
		    "the key's TimestampCA anchors are not "
		    "usable");
	else if (ctx == NULL ||
	    X509_STORE_CTX_init(ctx, st, signer, token->d.sign->cert) != 1 ||
	    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_TIMESTAMP_SIGN) != 1)
		snprintf(err, errlen, "cannot check the TSA's certificate");
	else {
		X509_STORE_CTX_set_time(ctx, 0, when);
		if (X509_verify_cert(ctx) == 1)
			chain = X509_STORE_CTX_get1_chain(ctx);
		else
			snprintf(err, errlen,
			    "the TSA's certificate does not "
			    "chain to TimestampCA: %s",
			    X509_verify_cert_error_string(
				X509_STORE_CTX_get_error(ctx)));
	}
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	ERR_clear_error();
	return chain;
}

/*
 * Signed attribute nid of si, a DER SEQUENCE, decoded as item into *out
 * with nothing left over: 1, 0 if si has no such attribute, -1 if it is
 * malformed.
 */
static int
signed_attr(PKCS7_SIGNER_INFO *si, int nid, const ASN1_ITEM *item,
    ASN1_VALUE **out)
{
	ASN1_TYPE *a = PKCS7_get_signed_attribute(si, nid);
	const unsigned char *p, *q;
	long len;

	*out = NULL;
	if (a == NULL)
		return 0;
	if (a->type != V_ASN1_SEQUENCE || a->value.sequence == NULL)
		return -1;
	p = q = a->value.sequence->data;
	len = a->value.sequence->length;
	if ((*out = ASN1_item_d2i(NULL, &q, len, item)) == NULL)
		return -1;
	if (q != p + len) {
		ASN1_item_free(*out, item);
		*out = NULL;
		return -1;
	}
	return 1;
}

/*
 * The ESS signing-certificate attribute (RFC 2634's v1, RFC 5035's v2)
 * binds the token's signature to the certificate that made it: it must
 * be there, and its first ESSCertID must name chain[0], the signer (and
 * any further one a certificate of the chain), as openssl ts -verify
 * requires.
 */
static int
check_ess(PKCS7_SIGNER_INFO *si, STACK_OF(X509) *chain, char *err,
    size_t errlen)
{
	const ASN1_ITEM *i1 = ASN1_ITEM_rptr(ESS_SIGNING_CERT);
	const ASN1_ITEM *i2 = ASN1_ITEM_rptr(ESS_SIGNING_CERT_V2);
	ASN1_VALUE *v1, *v2;
	int h1, h2, r = -1;

	h1 = signed_attr(si, NID_id_smime_aa_signingCertificate, i1, &v1);
	h2 = signed_attr(si, NID_id_smime_aa_signingCertificateV2, i2, &v2);
	if (h1 == 0 && h2 == 0)
		snprintf(err, errlen,
		    "the token has no ESS signing-certificate "
		    "attribute");
	else if (h1 == -1 || h2 == -1)
		snprintf(err, errlen,
		    "the token's ESS signing-certificate "
		    "attribute is malformed");
	else if (OSSL_ESS_check_signing_certs((ESS_SIGNING_CERT *)v1,
		     (ESS_SIGNING_CERT_V2 *)v2, chain, 1) != 1)
		snprintf(err, errlen,
		    "the token's ESS signing-certificate "
		    "attribute does not name the certificate that signed it");
	else
		r = 0;
	ASN1_item_free(v1, i1);
	ASN1_item_free(v2, i2);
	ERR_clear_error();
	return r;
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
		return snprintf(err, errlen,
			   "the token has TSTInfo version "
			   "%ld",
			   TS_TST_INFO_get_version(ti)),
		       -1;
	if (tn == NULL || ASN1_INTEGER_cmp(tn, nonce) != 0)
		return snprintf(err, errlen,
			   "the token's nonce does not match "
			   "the request"),
		       -1;
	X509_ALGOR_get0(&obj, NULL, NULL, TS_MSG_IMPRINT_get_algo(mi));
	h = TS_MSG_IMPRINT_get_msg(mi);
	if (obj == NULL ||
	    OBJ_obj2nid(obj) != EVP_MD_get_type(digest_md(digest)) ||
	    h == NULL || (size_t)ASN1_STRING_length(h) != implen ||
	    memcmp(ASN1_STRING_get0_data(h), imprint, implen) != 0)
		return snprintf(err, errlen,
			   "the token's message imprint does "
			   "not match the signature"),
		       -1;
	if (ASN1_TIME_to_tm(TS_TST_INFO_get_time(ti), &tm) != 1 ||
	    strftime(gentime, TSA_GENTIME_MAX + 1, "%Y-%m-%dT%H:%M:%SZ", &tm) ==
		0)
		return snprintf(err, errlen,
			   "the token's genTime is not a "
			   "time"),
		       -1;
	return 0;
}

/*
 * genTime against the monitor's clock: from max_skew before the monitor
 * read it to max_skew after the exchange may have ended.  A TSA with a
 * wrong clock, or a token replayed from another time, is refused.  *when
 * is genTime in Unix seconds.
 */
static int
check_gentime(const ASN1_TIME *gt, const char *gentime,
    const struct tsa_trust *tr, time_t *when, char *err, size_t errlen)
{
	ASN1_TIME *now = ASN1_TIME_set(NULL, (time_t)tr->now);
	long long d, late = (long long)tr->max_skew + tr->window;
	int days = 0, secs = 0, ok;

	ok = now != NULL && ASN1_TIME_diff(&days, &secs, now, gt) == 1;
	ASN1_TIME_free(now);
	if (!ok)
		return snprintf(err, errlen,
			   "the token's genTime is not a "
			   "time"),
		       -1;
	d = (long long)days * 86400 + secs;
	if (d < -(long long)tr->max_skew)
		return snprintf(err, errlen,
			   "the token's genTime %s is %lld s "
			   "behind the monitor's clock (at most %u s allowed)",
			   gentime, -d, tr->max_skew),
		       -1;
	if (d > late)
		return snprintf(err, errlen,
			   "the token's genTime %s is %lld s "
			   "ahead of the monitor's clock (at most %lld s allowed)",
			   gentime, d, late),
		       -1;
	*when = (time_t)(tr->now + d);
	return 0;
}

/*
 * Everything about the token but its encoding: TSTInfo, genTime, the
 * signature, the TSA's chain to the anchors, the ESS attribute.
 */
static int
check_token(PKCS7 *token, TS_TST_INFO *ti, int digest, const uint8_t *imprint,
    size_t implen, const ASN1_INTEGER *nonce, const struct tsa_trust *tr,
    char *gentime, char *err, size_t errlen)
{
	PKCS7_SIGNER_INFO *si = NULL;
	STACK_OF(X509) *chain;
	X509 *signer = NULL;
	time_t when = 0;
	int r;

	if (check_tst_info(ti, digest, imprint, implen, nonce, gentime, err,
		errlen) == -1 ||
	    check_gentime(TS_TST_INFO_get_time(ti), gentime, tr, &when, err,
		errlen) == -1 ||
	    check_token_signature(token, &si, &signer, err, errlen) == -1)
		return -1;
	if ((chain = check_tsa_chain(token, signer, when, tr, err, errlen)) ==
	    NULL)
		return -1;
	r = check_ess(si, chain, err, errlen);
	sk_X509_pop_free(chain, X509_free);
	return r;
}

int
tsa_check_response(const uint8_t *p, size_t len, int digest,
    const uint8_t *imprint, size_t implen, const ASN1_INTEGER *nonce,
    const struct tsa_trust *trust, uint8_t **tok, size_t *toklen,
    char gentime[TSA_GENTIME_MAX + 1], char *err, size_t errlen)
{
	const unsigned char *q = p;
	TS_RESP *resp = NULL;
	TS_STATUS_INFO *si;
	PKCS7 *token;
	TS_TST_INFO *ti;
	long st;
	int n, r = -1;

	*tok = NULL;
	if (len > LONG_MAX ||
	    (resp = d2i_TS_RESP(NULL, &q, (long)len)) == NULL || q != p + len) {
		TS_RESP_free(resp);
		return snprintf(err, errlen,
			   "the reply is not a "
			   "TimeStampResp"),
		       -1;
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
	if (check_token(token, ti, digest, imprint, implen, nonce, trust,
		gentime, err, errlen) == -1)
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
    const ASN1_INTEGER *nonce, uint8_t **tok, size_t *toklen, char *gentime,
    char *err, size_t errlen)
{
	struct msg_tsa_reply rep;
	struct tsa_trust trust;
	struct buf body, keep;
	char why[MESSAGE_MAX + 1];
	int fd, status = 0, r = -1;

	if (sandbox_request_tsa(index, &rep, &fd, &keep) == -1)
		return snprintf(err, errlen, "cannot ask the monitor"), -1;
	if (rep.status != ST_OK) {
		tsa_err(err, errlen, rep.url, rep.message);
		buf_free(&keep);
		return -1;
	}
	trust = (struct tsa_trust){ .anchors = rep.anchors,
		.anchorslen = rep.anchorslen,
		.now = (int64_t)rep.now,
		.max_skew = rep.max_skew,
		.window = rep.timeout_ms / 1000 + 1 };
	buf_init(&body, HTTP_RESP_MAX);
	if (http_post(fd, rep.hostport, rep.path, "application/timestamp-query",
		req, reqlen, rep.timeout_ms, &status, &body, why,
		sizeof(why)) == 0) {
		if (status != 200)
			snprintf(why, sizeof(why), "HTTP status %d", status);
		else if (tsa_check_response(buf_ptr(&body), buf_left(&body),
			     in->digest, imprint, implen, nonce, &trust, tok,
			     toklen, gentime, why, sizeof(why)) == 0)
			r = 0;
	}
	if (r == -1)
		tsa_err(err, errlen, rep.url, why);
	close(fd);
	buf_free(&body);
	buf_free(&keep);
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
		return sign_fail(out, ST_INTERNAL,
		    "cannot build the timestamp "
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
