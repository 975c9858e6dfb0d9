/*
 * tsaserver_tsa.c: tsaserver's TSA: a TimeStampResp made by OpenSSL's own
 * TSA code for the request read, and the edits of request, TSA or
 * response that each make one fault.
 */
#include "tsaserver.h"

static uint64_t serial; /* the last serial number issued */

/* Serial numbers 1, 2, 3, ... for the life of the process. */
static ASN1_INTEGER *
next_serial(TS_RESP_CTX *ctx, void *arg)
{
	ASN1_INTEGER *n;

	(void)arg;
	if ((n = ASN1_INTEGER_new()) == NULL ||
	    !ASN1_INTEGER_set_uint64(n, ++serial)) {
		ASN1_INTEGER_free(n);
		TS_RESP_CTX_set_status_info(ctx, TS_STATUS_REJECTION,
		    "cannot make a serial number");
		TS_RESP_CTX_add_failure_info(ctx,
		    TS_INFO_ADD_INFO_NOT_AVAILABLE);
		return NULL;
	}
	return n;
}

/*
 * A response context for one request.  A fresh one each time, because
 * the rejection mode changes its clock and OpenSSL cannot put the default
 * clock back.
 */
static TS_RESP_CTX *
tsa_ctx(void)
{
	TS_RESP_CTX *ctx;
	ASN1_OBJECT *policy;
	int ok;

	if ((ctx = TS_RESP_CTX_new()) == NULL)
		return NULL;
	policy = OBJ_txt2obj(TEST_POLICY, 1);
	ok = policy != NULL && TS_RESP_CTX_set_signer_cert(ctx, tsa.cert) &&
	    TS_RESP_CTX_set_signer_key(ctx, tsa.key) &&
	    TS_RESP_CTX_set_def_policy(ctx, policy) &&
	    TS_RESP_CTX_add_md(ctx, EVP_sha256()) &&
	    TS_RESP_CTX_add_md(ctx, EVP_sha384()) &&
	    TS_RESP_CTX_add_md(ctx, EVP_sha512()) &&
	    TS_RESP_CTX_set_ess_cert_id_digest(ctx, EVP_sha256()) &&
	    TS_RESP_CTX_set_accuracy(ctx, 1, 0, 0) &&
	    (tsa.chain == NULL || TS_RESP_CTX_set_certs(ctx, tsa.chain));
	ASN1_OBJECT_free(policy);
	if (!ok) {
		TS_RESP_CTX_free(ctx);
		return NULL;
	}
	TS_RESP_CTX_set_serial_cb(ctx, next_serial, NULL);
	return ctx;
}

/* The request, DER-encoded again after an edit, in a memory BIO. */
static BIO *
request_bio(TS_REQ *req)
{
	BIO *b;

	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	if (!i2d_TS_REQ_bio(b, req)) {
		BIO_free(b);
		return NULL;
	}
	return b;
}

/*
 * The DER TimeStampResp for the request body, after edit (if not NULL)
 * has changed the request or the TSA, and fix (if not NULL) the response
 * made: an OPENSSL_malloc'd buffer, or NULL.  A body that is no
 * TimeStampReq is passed to OpenSSL as it is, which answers it with a
 * rejection.
 */
static unsigned char *
make_reply(const struct conn *c, edit_fn edit, fix_fn fix, size_t *len)
{
	const unsigned char *p = c->body;
	unsigned char *der = NULL;
	TS_RESP_CTX *ctx;
	TS_RESP *resp = NULL;
	TS_REQ *req;
	BIO *in = NULL;
	int n;

	if ((ctx = tsa_ctx()) == NULL)
		return NULL;
	req = d2i_TS_REQ(NULL, &p, (long)c->body_len);
	if (req == NULL)
		in = BIO_new_mem_buf(c->body, (int)c->body_len);
	else if (edit == NULL || edit(req, ctx))
		in = request_bio(req);
	if (in != NULL && (resp = TS_RESP_create_response(ctx, in)) != NULL &&
	    (fix == NULL || TS_RESP_get_token(resp) == NULL || fix(resp)) &&
	    (n = i2d_TS_RESP(resp, &der)) > 0)
		*len = (size_t)n;
	else
		der = NULL;
	TS_RESP_free(resp);
	BIO_free(in);
	TS_REQ_free(req);
	TS_RESP_CTX_free(ctx);
	return der;
}

/* badnonce: the request's nonce + 1, so the token's is not the one sent. */
int
bump_nonce(TS_REQ *req, TS_RESP_CTX *ctx)
{
	const ASN1_INTEGER *old = TS_REQ_get_nonce(req);
	ASN1_INTEGER *nonce = NULL;
	BIGNUM *bn;
	int ok = 0;

	(void)ctx;
	bn = old != NULL ? ASN1_INTEGER_to_BN(old, NULL) : BN_new();
	if (bn != NULL && BN_add_word(bn, 1) &&
	    (nonce = BN_to_ASN1_INTEGER(bn, NULL)) != NULL)
		ok = TS_REQ_set_nonce(req, nonce);
	ASN1_INTEGER_free(nonce);
	BN_free(bn);
	return ok;
}

/*
 * badimprint: flip the last byte of the hash to be stamped.  A hash of
 * the wrong size is left as it is: OpenSSL rejects the request anyway.
 */
int
flip_imprint(TS_REQ *req, TS_RESP_CTX *ctx)
{
	ASN1_OCTET_STRING *hash;
	unsigned char d[EVP_MAX_MD_SIZE];
	int len;

	(void)ctx;
	hash = TS_MSG_IMPRINT_get_msg(TS_REQ_get_msg_imprint(req));
	len = ASN1_STRING_length(hash);
	if (len <= 0 || (size_t)len > sizeof(d))
		return 1;
	memcpy(d, ASN1_STRING_get0_data(hash), (size_t)len);
	d[len - 1] ^= 0xff;
	return ASN1_STRING_set(hash, d, len);
}

/* nocert: as if the client had not asked for the certificate. */
int
drop_cert_req(TS_REQ *req, TS_RESP_CTX *ctx)
{
	(void)ctx;
	return TS_REQ_set_cert_req(req, 0);
}

/*
 * The rejection mode's clock.  OpenSSL has no hook to refuse a request
 * outright, but when the clock fails it stops before signing and keeps a
 * status that is no longer "granted": the answer is this rejection, with
 * no token.
 */
static int
refusing_clock(TS_RESP_CTX *ctx, void *arg, long *sec, long *usec)
{
	(void)arg;
	*sec = *usec = 0;
	TS_RESP_CTX_set_status_info(ctx, TS_STATUS_REJECTION,
	    "test TSA refuses");
	TS_RESP_CTX_add_failure_info(ctx, TS_INFO_BAD_ALG);
	return 0;
}

int
refuse(TS_REQ *req, TS_RESP_CTX *ctx)
{
	(void)req;
	TS_RESP_CTX_set_time_cb(ctx, refusing_clock, NULL);
	return 1;
}

/* selfsigned: sign with the certificate under no CA. */
int
sign_self(TS_REQ *req, TS_RESP_CTX *ctx)
{
	(void)req;
	return TS_RESP_CTX_set_signer_cert(ctx, tsa.self_cert) &&
	    TS_RESP_CTX_set_signer_key(ctx, tsa.self_key);
}

/* The clock of past and future: the real one, shifted by *arg seconds. */
static int
shifted_clock(TS_RESP_CTX *ctx, void *arg, long *sec, long *usec)
{
	(void)ctx;
	*sec = (long)time(NULL) + *(const long *)arg;
	*usec = 0;
	return 1;
}

int
clock_past(TS_REQ *req, TS_RESP_CTX *ctx)
{
	static long shift = -3600;

	(void)req;
	TS_RESP_CTX_set_time_cb(ctx, shifted_clock, &shift);
	return 1;
}

int
clock_future(TS_REQ *req, TS_RESP_CTX *ctx)
{
	static long shift = 3600;

	(void)req;
	TS_RESP_CTX_set_time_cb(ctx, shifted_clock, &shift);
	return 1;
}

/* essv1: OpenSSL writes SigningCertificate (v1) for a SHA-1 ESSCertID. */
int
ess_v1(TS_REQ *req, TS_RESP_CTX *ctx)
{
	(void)req;
	return TS_RESP_CTX_set_ess_cert_id_digest(ctx, EVP_sha1());
}

/* The one SignerInfo of the response's token. */
static PKCS7_SIGNER_INFO *
token_signer(TS_RESP *resp)
{
	STACK_OF(PKCS7_SIGNER_INFO) *sis;

	sis = PKCS7_get_signer_info(TS_RESP_get_token(resp));
	return sk_PKCS7_SIGNER_INFO_num(sis) == 1
	    ? sk_PKCS7_SIGNER_INFO_value(sis, 0)
	    : NULL;
}

/* noess: the ESS attributes removed, the SignerInfo signed again. */
int
strip_ess(TS_RESP *resp)
{
	static const int nids[] = { NID_id_smime_aa_signingCertificate,
		NID_id_smime_aa_signingCertificateV2 };
	PKCS7_SIGNER_INFO *si = token_signer(resp);
	int i;

	if (si == NULL)
		return 0;
	for (size_t n = 0; n < sizeof(nids) / sizeof(nids[0]); n++)
		while ((i = X509at_get_attr_by_NID(si->auth_attr, nids[n],
			    -1)) >= 0)
			X509_ATTRIBUTE_free(
			    X509at_delete_attr(si->auth_attr, i));
	return PKCS7_SIGNER_INFO_sign(si) == 1;
}

/*
 * otheress: SigningCertificateV2 names the self-signed certificate
 * instead of the signer; the SignerInfo is signed again over it.
 */
int
other_ess(TS_RESP *resp)
{
	PKCS7_SIGNER_INFO *si = token_signer(resp);
	ESS_SIGNING_CERT_V2 *sc;
	ASN1_STRING *seq = NULL;
	unsigned char *der = NULL;
	int n, ok = 0;

	if (si == NULL ||
	    (sc = OSSL_ESS_signing_cert_v2_new_init(EVP_sha256(), tsa.self_cert,
		 NULL, 0)) == NULL)
		return 0;
	if ((n = i2d_ESS_SIGNING_CERT_V2(sc, &der)) > 0 &&
	    (seq = ASN1_STRING_new()) != NULL && ASN1_STRING_set(seq, der, n) &&
	    PKCS7_add_signed_attribute(si, NID_id_smime_aa_signingCertificateV2,
		V_ASN1_SEQUENCE, seq)) {
		seq = NULL; /* now the attribute's */
		ok = PKCS7_SIGNER_INFO_sign(si) == 1;
	}
	ASN1_STRING_free(seq);
	OPENSSL_free(der);
	ESS_SIGNING_CERT_V2_free(sc);
	return ok;
}

/* Answer with a TimeStampResp made after edit and fix: the status sent. */
int
reply_token(struct conn *c, edit_fn edit, fix_fn fix, int chunked)
{
	unsigned char *der;
	size_t len = 0;

	if ((der = make_reply(c, edit, fix, &len)) == NULL) {
		warnx("cannot make a time-stamp response");
		ERR_print_errors_fp(stderr);
		return send_text(c, 500, "cannot make a time-stamp response\n");
	}
	if (chunked)
		send_chunked(c, der, len);
	else
		send_body(c, 200, TSR_TYPE, der, len);
	OPENSSL_free(der);
	return 200;
}
