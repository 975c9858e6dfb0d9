/*
 * cms.c: detached CMS SignedData (RFC 5652), DER or PEM, as checked by
 * `openssl cms -verify -binary -content FILE`.
 *
 * OpenSSL builds the structure (SignerInfo with issuer and serial, the
 * certificate, digest and signature algorithms, and the signed attributes
 * contentType, signingTime and messageDigest); the signature over the
 * DER of the signed attributes is made by the monitor on the token and put
 * in place here.  The private key never comes near this process: the
 * SignerInfo is created with the certificate's public key.  The Chain
 * certificates of the key, if any, go in with the signer's certificate.
 */
#include <string.h>

#include <openssl/pem.h>
#include <openssl/cms.h>
#include <openssl/pkcs7.h>
#include <openssl/rsa.h>

#include "proto/sigcheck.h"
#include "sandbox/formats/formats.h"
#include "sandbox/tsa.h"

/* The three signed attributes of a detached signature. */
static int
cms_add_attrs(CMS_SignerInfo *si, const uint8_t *md, size_t mdlen)
{
	ASN1_TIME *now;
	int r;

	if ((now = X509_gmtime_adj(NULL, 0)) == NULL)
		return -1;
	r = CMS_signed_add1_attr_by_NID(si, NID_pkcs9_contentType,
		V_ASN1_OBJECT, OBJ_nid2obj(NID_pkcs7_data), -1) == 1 &&
	    CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, now->type,
		now, -1) == 1 &&
	    CMS_signed_add1_attr_by_NID(si, NID_pkcs9_messageDigest,
		V_ASN1_OCTET_STRING, md, (int)mdlen) == 1;
	ASN1_TIME_free(now);
	return r ? 0 : -1;
}

/* The digest of the DER SET OF signed attributes: what gets signed. */
static int
cms_attrs_digest(CMS_SignerInfo *si, int digest, uint8_t *tbs, size_t *tbslen)
{
	STACK_OF(X509_ATTRIBUTE) *sk;
	unsigned char *der = NULL;
	unsigned int len = 0;
	int n, r = -1;

	if ((sk = sk_X509_ATTRIBUTE_new_null()) == NULL)
		return -1;
	for (int i = 0; i < CMS_signed_get_attr_count(si); i++)
		if (!sk_X509_ATTRIBUTE_push(sk, CMS_signed_get_attr(si, i)))
			goto out;
	n = ASN1_item_i2d((ASN1_VALUE *)sk, &der,
	    ASN1_ITEM_rptr(PKCS7_ATTR_SIGN));
	if (n > 0 &&
	    EVP_Digest(der, (size_t)n, tbs, &len, digest_md(digest), NULL) ==
		1) {
		*tbslen = len;
		r = 0;
	}
out:
	OPENSSL_free(der);
	sk_X509_ATTRIBUTE_free(sk);
	return r;
}

/* AlgorithmIdentifier for md, packed as an ASN1_STRING (for MGF1). */
static ASN1_STRING *
pack_md_alg(const EVP_MD *md)
{
	X509_ALGOR *a = X509_ALGOR_new();
	ASN1_STRING *s = NULL;

	if (a != NULL) {
		X509_ALGOR_set_md(a, md);
		s = ASN1_item_pack(a, ASN1_ITEM_rptr(X509_ALGOR), NULL);
	}
	X509_ALGOR_free(a);
	return s;
}

/*
 * For a PSS key: signatureAlgorithm RSASSA-PSS with explicit parameters
 * (hash, MGF1 with the same hash, salt length = hash length), RFC 4056.
 */
static int
cms_set_pss(CMS_SignerInfo *si, const EVP_MD *md)
{
	RSA_PSS_PARAMS *p = RSA_PSS_PARAMS_new();
	ASN1_STRING *mgfp = pack_md_alg(md), *params = NULL;
	X509_ALGOR *sigalg = NULL;

	if (p == NULL || mgfp == NULL ||
	    (p->hashAlgorithm = X509_ALGOR_new()) == NULL ||
	    (p->maskGenAlgorithm = X509_ALGOR_new()) == NULL ||
	    (p->saltLength = ASN1_INTEGER_new()) == NULL)
		goto fail;
	X509_ALGOR_set_md(p->hashAlgorithm, md);
	X509_ALGOR_set0(p->maskGenAlgorithm, OBJ_nid2obj(NID_mgf1),
	    V_ASN1_SEQUENCE, mgfp);
	mgfp = NULL;
	ASN1_INTEGER_set(p->saltLength, EVP_MD_get_size(md));
	params = ASN1_item_pack(p, ASN1_ITEM_rptr(RSA_PSS_PARAMS), NULL);
	CMS_SignerInfo_get0_algs(si, NULL, NULL, NULL, &sigalg);
	if (params == NULL || sigalg == NULL)
		goto fail;
	X509_ALGOR_set0(sigalg, OBJ_nid2obj(NID_rsassaPss), V_ASN1_SEQUENCE,
	    params);
	RSA_PSS_PARAMS_free(p);
	return 0;
fail:
	ASN1_STRING_free(mgfp);
	ASN1_STRING_free(params);
	RSA_PSS_PARAMS_free(p);
	return -1;
}

/* Serialize the finished structure as DER or PEM into out. */
static int
cms_write(CMS_ContentInfo *cms, int pem, struct buf *out)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;
	int r = -1;

	if (b == NULL)
		return -1;
	if ((pem ? PEM_write_bio_CMS(b, cms) : i2d_CMS_bio(b, cms)) == 1 &&
	    (n = BIO_get_mem_data(b, &p)) > 0 &&
	    buf_put(out, p, (size_t)n) == 0)
		r = 0;
	BIO_free(b);
	return r;
}

/* Build the SignerInfo and its signed attributes for the artifact. */
static CMS_SignerInfo *
cms_signer(CMS_ContentInfo *cms, const struct sign_input *in,
    const struct sign_output *out)
{
	const unsigned int flags = CMS_BINARY | CMS_NOSMIMECAP | CMS_PARTIAL;
	CMS_SignerInfo *si;

	si = CMS_add1_signer(cms, in->cert, in->pub, digest_md(in->digest),
	    flags);
	if (si == NULL ||
	    cms_add_attrs(si, out->adigest, out->adigestlen) == -1)
		return NULL;
	if (in->padding == PAD_PSS && cms_set_pss(si, digest_md(in->digest)))
		return NULL;
	for (int i = 0; in->chain != NULL && i < sk_X509_num(in->chain); i++)
		if (CMS_add1_cert(cms, sk_X509_value(in->chain, i)) != 1)
			return NULL;
	return si;
}

/*
 * An RFC 3161 timestamp token goes in as the unsigned attribute
 * id-aa-timeStampToken (RFC 3161 appendix A).
 */
static int
cms_add_timestamp(void *si, const uint8_t *tok, size_t toklen)
{
	if (toklen > INT32_MAX ||
	    CMS_unsigned_add1_attr_by_NID(si, NID_id_smime_aa_timeStampToken,
		V_ASN1_SEQUENCE, tok, (int)toklen) != 1)
		return -1;
	return 0;
}

int
cms_begin(const struct sign_input *in, struct sign_output *out,
    struct cms_job *j, uint8_t *tbs, size_t *tbslen)
{
	memset(j, 0, sizeof(*j));
	if (format_hash_artifact(in, out) == -1)
		return -1;
	j->cms = CMS_sign(NULL, NULL, NULL, NULL,
	    CMS_PARTIAL | CMS_DETACHED | CMS_BINARY);
	if (j->cms == NULL || (j->si = cms_signer(j->cms, in, out)) == NULL ||
	    cms_attrs_digest(j->si, in->digest, tbs, tbslen) == -1)
		return sign_fail(out, ST_INTERNAL,
		    "cannot build the CMS structure");
	return 0;
}

int
cms_end(const struct sign_input *in, struct sign_output *out, struct cms_job *j,
    const uint8_t *sig, size_t siglen)
{
	if (ASN1_STRING_set(CMS_SignerInfo_get0_signature(j->si), sig,
		(int)siglen) != 1)
		return sign_fail(out, ST_INTERNAL,
		    "cannot encode the CMS structure");
	if (in->timestamp &&
	    tsa_stamp_into(in, out, sig, siglen, cms_add_timestamp, j->si) ==
		-1)
		return -1;
	if (cms_write(j->cms, in->pem, &out->data) == -1)
		return sign_fail(out, ST_INTERNAL,
		    "cannot encode the CMS structure");
	return 0;
}

void
cms_job_free(struct cms_job *j)
{
	CMS_ContentInfo_free(j->cms);
	memset(j, 0, sizeof(*j));
}
