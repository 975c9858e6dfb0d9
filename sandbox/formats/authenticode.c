/*
 * authenticode.c: SpcIndirectDataContent and the PKCS#7 SignedData around
 * it (see authenticode.h).
 *
 * The Microsoft structures are declared with OpenSSL's ASN.1 templates:
 *
 *   SpcIndirectDataContent ::= SEQUENCE {
 *       data           SpcAttributeTypeAndOptionalValue,
 *       messageDigest  DigestInfo }
 *   SpcAttributeTypeAndOptionalValue ::= SEQUENCE {
 *       type   OBJECT IDENTIFIER,           -- SPC_PE_IMAGE_DATA_OBJID
 *       value  ANY DEFINED BY type OPTIONAL }
 *   SpcPeImageData ::= SEQUENCE {
 *       flags  SpcPeImageFlags DEFAULT { includeResources },  -- BIT STRING
 *       file   [0] EXPLICIT SpcLink OPTIONAL }
 *   SpcLink ::= CHOICE {
 *       url    [0] IMPLICIT IA5String,
 *       moniker [1] IMPLICIT SpcSerializedObject,   -- not used here
 *       file   [2] EXPLICIT SpcString }
 *   SpcString ::= CHOICE {
 *       unicode [0] IMPLICIT BMPString,
 *       ascii   [1] IMPLICIT IA5String }
 *   SpcSpOpusInfo ::= SEQUENCE {
 *       programName [0] EXPLICIT SpcString OPTIONAL,
 *       moreInfo    [1] EXPLICIT SpcLink OPTIONAL }
 *   SpcStatementType ::= SEQUENCE OF OBJECT IDENTIFIER
 *
 * SpcPeImageData is encoded exactly as sbsign encodes it: an empty flags
 * BIT STRING and the file link "<<<Obsolete>>>" as a BMPString, so the
 * content of our signature and sbsign's are byte for byte the same.
 */
#include "sandbox/formats/authenticode.h"

#include <limits.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include "proto/sigcheck.h"

typedef struct {
	int type;
	union {
		ASN1_BMPSTRING *unicode;
		ASN1_IA5STRING *ascii;
	} value;
} SPC_STRING;

ASN1_CHOICE(SPC_STRING) = {
	ASN1_IMP(SPC_STRING, value.unicode, ASN1_BMPSTRING, 0),
	ASN1_IMP(SPC_STRING, value.ascii, ASN1_IA5STRING, 1),
} static_ASN1_CHOICE_END(SPC_STRING)
#define SPC_LINK_URL 0 /* CHOICE selectors: template positions */
#define SPC_LINK_FILE 1
#define SPC_STRING_UNICODE 0

typedef struct {
	int type;
	union {
		ASN1_IA5STRING *url;
		SPC_STRING *file;
	} value;
} SPC_LINK;

ASN1_CHOICE(SPC_LINK) = {
	ASN1_IMP(SPC_LINK, value.url, ASN1_IA5STRING, 0),
	ASN1_EXP(SPC_LINK, value.file, SPC_STRING, 2),
} static_ASN1_CHOICE_END(SPC_LINK)

typedef struct {
	ASN1_BIT_STRING *flags;
	SPC_LINK *file;
} SPC_PE_IMAGE_DATA;

ASN1_SEQUENCE(SPC_PE_IMAGE_DATA) = {
	ASN1_SIMPLE(SPC_PE_IMAGE_DATA, flags, ASN1_BIT_STRING),
	ASN1_EXP_OPT(SPC_PE_IMAGE_DATA, file, SPC_LINK, 0),
} static_ASN1_SEQUENCE_END(SPC_PE_IMAGE_DATA)

typedef struct {
	ASN1_OBJECT *type;
	ASN1_TYPE *value;
} SPC_ATTRIBUTE;

ASN1_SEQUENCE(SPC_ATTRIBUTE) = {
	ASN1_SIMPLE(SPC_ATTRIBUTE, type, ASN1_OBJECT),
	ASN1_OPT(SPC_ATTRIBUTE, value, ASN1_ANY),
} static_ASN1_SEQUENCE_END(SPC_ATTRIBUTE)

typedef struct {
	SPC_ATTRIBUTE *data;
	X509_SIG *digest; /* DigestInfo */
} SPC_INDIRECT_DATA;

ASN1_SEQUENCE(SPC_INDIRECT_DATA) = {
	ASN1_SIMPLE(SPC_INDIRECT_DATA, data, SPC_ATTRIBUTE),
	ASN1_SIMPLE(SPC_INDIRECT_DATA, digest, X509_SIG),
} static_ASN1_SEQUENCE_END(SPC_INDIRECT_DATA)

typedef struct {
	SPC_STRING *program_name;
	SPC_LINK *more_info;
} SPC_SP_OPUS_INFO;

ASN1_SEQUENCE(SPC_SP_OPUS_INFO) = {
	ASN1_EXP_OPT(SPC_SP_OPUS_INFO, program_name, SPC_STRING, 0),
	ASN1_EXP_OPT(SPC_SP_OPUS_INFO, more_info, SPC_LINK, 1),
} static_ASN1_SEQUENCE_END(SPC_SP_OPUS_INFO)

ASN1_ITEM_TEMPLATE(SPC_STATEMENT_TYPE) =
	ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SEQUENCE_OF, 0, SpcStatementType,
	    ASN1_OBJECT)
static_ASN1_ITEM_TEMPLATE_END(SPC_STATEMENT_TYPE)

#define OBSOLETE_LINK "<<<Obsolete>>>"

/* SpcPeImageData as sbsign writes it, packed into an ASN1_TYPE. */
static ASN1_TYPE *
pe_image_data(void)
{
	const ASN1_ITEM *it = ASN1_ITEM_rptr(SPC_PE_IMAGE_DATA);
	SPC_PE_IMAGE_DATA *pid = (SPC_PE_IMAGE_DATA *)ASN1_item_new(it);
	SPC_STRING *s = NULL;
	ASN1_TYPE *t = NULL;

	if (pid == NULL ||
	    (pid->file = (SPC_LINK *)ASN1_item_new(ASN1_ITEM_rptr(SPC_LINK))) ==
		NULL ||
	    (s = (SPC_STRING *)ASN1_item_new(ASN1_ITEM_rptr(SPC_STRING))) ==
		NULL)
		goto out;
	pid->file->type = SPC_LINK_FILE;
	pid->file->value.file = s;
	s->type = SPC_STRING_UNICODE;
	if (ASN1_mbstring_copy(&s->value.unicode,
		(const unsigned char *)OBSOLETE_LINK, -1, MBSTRING_ASC,
		B_ASN1_BMPSTRING) <= 0)
		goto out;
	t = ASN1_TYPE_pack_sequence(it, pid, NULL);
out:
	ASN1_item_free((ASN1_VALUE *)pid, it);
	return t;
}

/* The DER of an SpcIndirectDataContent structure. */
static int
idc_encode(SPC_INDIRECT_DATA *idc, int digest, const uint8_t *md, size_t mdlen,
    uint8_t **der, size_t *derlen)
{
	X509_ALGOR *alg;
	ASN1_OCTET_STRING *os;
	int n;

	if ((idc->data->type = OBJ_txt2obj(SPC_PE_IMAGE_DATA_OBJID, 1)) ==
		NULL ||
	    (idc->data->value = pe_image_data()) == NULL)
		return -1;
	X509_SIG_getm(idc->digest, &alg, &os);
	if (X509_ALGOR_set0(alg,
		OBJ_nid2obj(EVP_MD_get_type(digest_md(digest))), V_ASN1_NULL,
		NULL) != 1 ||
	    ASN1_OCTET_STRING_set(os, md, (int)mdlen) != 1)
		return -1;
	n = ASN1_item_i2d((ASN1_VALUE *)idc, der,
	    ASN1_ITEM_rptr(SPC_INDIRECT_DATA));
	if (n <= 0)
		return -1;
	*derlen = (size_t)n;
	return 0;
}

int
authenticode_idc(int digest, const uint8_t *md, size_t mdlen, uint8_t **der,
    size_t *derlen)
{
	const ASN1_ITEM *it = ASN1_ITEM_rptr(SPC_INDIRECT_DATA);
	SPC_INDIRECT_DATA *idc;
	int r;

	*der = NULL;
	if (digest_md(digest) == NULL || mdlen > INT32_MAX ||
	    (idc = (SPC_INDIRECT_DATA *)ASN1_item_new(it)) == NULL)
		return -1;
	r = idc_encode(idc, digest, md, mdlen, der, derlen);
	ASN1_item_free((ASN1_VALUE *)idc, it);
	return r;
}

/*
 * The messageDigest value: the digest of the SpcIndirectDataContent
 * value without its outer SEQUENCE tag and length (Authenticode signs the
 * content octets of the [0] EXPLICIT content, as PKCS#7 does for data).
 */
static int
idc_digest(int digest, const uint8_t *der, size_t derlen, uint8_t *md,
    unsigned int *mdlen)
{
	const unsigned char *p = der;
	long len;
	int tag, cls;

	if (derlen > LONG_MAX ||
	    (ASN1_get_object(&p, &len, &tag, &cls, (long)derlen) & 0x80) ||
	    tag != V_ASN1_SEQUENCE || cls != V_ASN1_UNIVERSAL ||
	    p + len != der + derlen)
		return -1;
	return EVP_Digest(p, (size_t)len, md, mdlen, digest_md(digest), NULL) ==
		1
	    ? 0
	    : -1;
}

/* Add a signed attribute whose value is the DER of a template item. */
static int
add_attr_item(PKCS7_SIGNER_INFO *si, const char *oid, const ASN1_ITEM *it,
    void *value)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	ASN1_TYPE *t = ASN1_TYPE_pack_sequence(it, value, NULL);
	int r = -1;

	if (obj != NULL && t != NULL &&
	    X509at_add1_attr_by_OBJ(&si->auth_attr, obj, V_ASN1_SEQUENCE,
		(const unsigned char *)t->value.sequence, -1) != NULL)
		r = 0;
	ASN1_TYPE_free(t);
	ASN1_OBJECT_free(obj);
	return r;
}

/* SpcSpOpusInfo, empty: no program name, no URL. */
static int
add_opus_info(PKCS7_SIGNER_INFO *si)
{
	const ASN1_ITEM *it = ASN1_ITEM_rptr(SPC_SP_OPUS_INFO);
	ASN1_VALUE *opus = ASN1_item_new(it);
	int r;

	r = opus != NULL ? add_attr_item(si, SPC_SP_OPUS_INFO_OBJID, it, opus)
			 : -1;
	ASN1_item_free(opus, it);
	return r;
}

/* SpcStatementType: individual (not commercial) code signing. */
static int
add_statement_type(PKCS7_SIGNER_INFO *si)
{
	STACK_OF(ASN1_OBJECT) *sk = sk_ASN1_OBJECT_new_null();
	ASN1_OBJECT *purpose =
	    OBJ_txt2obj(SPC_INDIVIDUAL_SP_KEY_PURPOSE_OBJID, 1);
	int r = -1;

	if (sk != NULL && purpose != NULL && sk_ASN1_OBJECT_push(sk, purpose)) {
		purpose = NULL;
		r = add_attr_item(si, SPC_STATEMENT_TYPE_OBJID,
		    ASN1_ITEM_rptr(SPC_STATEMENT_TYPE), sk);
	}
	ASN1_OBJECT_free(purpose);
	sk_ASN1_OBJECT_pop_free(sk, ASN1_OBJECT_free);
	return r;
}

/* contentType, messageDigest, SpcSpOpusInfo, SpcStatementType. */
static int
add_signed_attrs(PKCS7_SIGNER_INFO *si, const uint8_t *idcmd,
    unsigned int idcmdlen)
{
	ASN1_OBJECT *ctype = OBJ_txt2obj(SPC_INDIRECT_DATA_OBJID, 1);
	int r = -1;

	if (ctype != NULL &&
	    X509at_add1_attr_by_NID(&si->auth_attr, NID_pkcs9_contentType,
		V_ASN1_OBJECT, (const unsigned char *)ctype, -1) != NULL &&
	    X509at_add1_attr_by_NID(&si->auth_attr, NID_pkcs9_messageDigest,
		V_ASN1_OCTET_STRING, idcmd, (int)idcmdlen) != NULL &&
	    add_opus_info(si) == 0 && add_statement_type(si) == 0)
		r = 0;
	ASN1_OBJECT_free(ctype);
	return r;
}

/* The content: type SPC_INDIRECT_DATA_OBJID, [0] EXPLICIT the DER. */
static int
set_content(PKCS7 *p7, const uint8_t *der, size_t derlen)
{
	PKCS7 *inner = PKCS7_new();
	ASN1_STRING *seq = ASN1_STRING_type_new(V_ASN1_SEQUENCE);

	if (inner == NULL || seq == NULL || derlen > INT32_MAX ||
	    ASN1_STRING_set(seq, der, (int)derlen) != 1 ||
	    (inner->type = OBJ_txt2obj(SPC_INDIRECT_DATA_OBJID, 1)) == NULL ||
	    (inner->d.other = ASN1_TYPE_new()) == NULL)
		goto fail;
	ASN1_TYPE_set(inner->d.other, V_ASN1_SEQUENCE, seq);
	seq = NULL;
	if (PKCS7_set_content(p7, inner) != 1)
		goto fail;
	return 0;
fail:
	ASN1_STRING_free(seq);
	PKCS7_free(inner);
	return -1;
}

/* The signer's certificate, then the chain without duplicates of it. */
static int
add_certs(PKCS7 *p7, X509 *cert, STACK_OF(X509) *chain)
{
	if (PKCS7_add_certificate(p7, cert) != 1)
		return -1;
	for (int i = 0; i < sk_X509_num(chain); i++) {
		X509 *c = sk_X509_value(chain, i);

		if (X509_cmp(c, cert) != 0 && PKCS7_add_certificate(p7, c) != 1)
			return -1;
	}
	return 0;
}

int
authenticode_build(struct authenticode *ac, X509 *cert, EVP_PKEY *pub,
    STACK_OF(X509) *chain, int digest, const uint8_t *md, size_t mdlen)
{
	uint8_t idcmd[EVP_MAX_MD_SIZE], *der = NULL;
	unsigned int idcmdlen = 0;
	size_t derlen = 0;
	int r = -1;

	ac->digest = digest;
	if (authenticode_idc(digest, md, mdlen, &der, &derlen) == -1 ||
	    idc_digest(digest, der, derlen, idcmd, &idcmdlen) == -1)
		goto out;
	if ((ac->p7 = PKCS7_new()) == NULL ||
	    PKCS7_set_type(ac->p7, NID_pkcs7_signed) != 1 ||
	    set_content(ac->p7, der, derlen) == -1 ||
	    (ac->si = PKCS7_add_signature(ac->p7, cert, pub,
		 digest_md(digest))) == NULL ||
	    add_signed_attrs(ac->si, idcmd, idcmdlen) == -1 ||
	    add_certs(ac->p7, cert, chain) == -1)
		goto out;
	r = 0;
out:
	OPENSSL_free(der);
	return r;
}

/*
 * Encoding the attributes as PKCS7_ATTR_SIGN sorts them into DER SET OF
 * order in place, so the SignerInfo carries them in the order signed.
 */
int
authenticode_tbs(struct authenticode *ac, uint8_t *tbs, size_t *tbslen)
{
	unsigned char *der = NULL;
	unsigned int len = 0;
	int n, r = -1;

	n = ASN1_item_i2d((ASN1_VALUE *)ac->si->auth_attr, &der,
	    ASN1_ITEM_rptr(PKCS7_ATTR_SIGN));
	if (n > 0 &&
	    EVP_Digest(der, (size_t)n, tbs, &len, digest_md(ac->digest),
		NULL) == 1) {
		*tbslen = len;
		r = 0;
	}
	OPENSSL_free(der);
	return r;
}

int
authenticode_finish(struct authenticode *ac, const uint8_t *sig, size_t siglen,
    uint8_t **der, size_t *derlen)
{
	int n;

	*der = NULL;
	if (siglen > INT32_MAX ||
	    ASN1_STRING_set(ac->si->enc_digest, sig, (int)siglen) != 1)
		return -1;
	if ((n = i2d_PKCS7(ac->p7, der)) <= 0)
		return -1;
	*derlen = (size_t)n;
	return 0;
}

int
authenticode_add_timestamp(struct authenticode *ac, const uint8_t *tok,
    size_t toklen)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(SPC_RFC3161_OBJID, 1);
	int r = -1;

	if (obj != NULL && toklen <= INT32_MAX &&
	    X509at_add1_attr_by_OBJ(&ac->si->unauth_attr, obj, V_ASN1_SEQUENCE,
		tok, (int)toklen) != NULL)
		r = 0;
	ASN1_OBJECT_free(obj);
	return r;
}

void
authenticode_free(struct authenticode *ac)
{
	PKCS7_free(ac->p7);
	ac->p7 = NULL;
	ac->si = NULL;
}
