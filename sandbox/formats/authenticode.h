/*
 * authenticode: the PKCS#7 SignedData of an Authenticode signature for a
 * PE image ("Windows Authenticode Portable Executable Signature Format").
 *
 * The content is SpcIndirectDataContent (1.3.6.1.4.1.311.2.1.4) holding
 * SpcPeImageData and the image digest, encoded as sbsign encodes it.  The
 * one SignerInfo names the certificate by issuer and serial and carries
 * the signed attributes contentType, messageDigest (over the content
 * without its outer tag and length), SpcSpOpusInfo (empty) and
 * SpcStatementType (individual code signing).  The certificates are the
 * signer's and then the key's Chain.  No private key is involved: the
 * caller gets the digest to be signed, has it signed elsewhere, and hands
 * the signature back.
 */
#ifndef CSIGN_AUTHENTICODE_H
#define CSIGN_AUTHENTICODE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#define SPC_INDIRECT_DATA_OBJID "1.3.6.1.4.1.311.2.1.4"
#define SPC_PE_IMAGE_DATA_OBJID "1.3.6.1.4.1.311.2.1.15"
#define SPC_STATEMENT_TYPE_OBJID "1.3.6.1.4.1.311.2.1.11"
#define SPC_SP_OPUS_INFO_OBJID "1.3.6.1.4.1.311.2.1.12"
#define SPC_INDIVIDUAL_SP_KEY_PURPOSE_OBJID "1.3.6.1.4.1.311.2.1.21"
/* The RFC 3161 counter-signature (unsigned attribute) Windows reads. */
#define SPC_RFC3161_OBJID "1.3.6.1.4.1.311.3.3.1"

/* A signature being built; zero-initialise, release with _free. */
struct authenticode {
	PKCS7 *p7;
	PKCS7_SIGNER_INFO *si; /* owned by p7 */
	int digest;	       /* enum csign_digest */
};

/*
 * The DER of SpcIndirectDataContent for the image digest md (digest is
 * enum csign_digest) into *der (free with OPENSSL_free).  0 or -1.
 */
int authenticode_idc(int digest, const uint8_t *md, size_t mdlen, uint8_t **der,
    size_t *derlen);

/*
 * Build everything but the signature for image digest md: content,
 * signer (algorithms chosen for pub), signed attributes, certificates
 * (cert, then those of chain that differ from it; chain may be NULL).
 * 0 or -1.
 */
int authenticode_build(struct authenticode *ac, X509 *cert, EVP_PKEY *pub,
    STACK_OF(X509) *chain, int digest, const uint8_t *md, size_t mdlen);

/* The digest of the DER signed attributes (what the key signs). */
int authenticode_tbs(struct authenticode *ac, uint8_t *tbs, size_t *tbslen);

/*
 * Put the signature in and encode the ContentInfo as DER into *der (free
 * with OPENSSL_free).  0 or -1.
 */
int authenticode_finish(struct authenticode *ac, const uint8_t *sig,
    size_t siglen, uint8_t **der, size_t *derlen);

/*
 * Add the DER TimeStampToken tok as the RFC 3161 counter-signature
 * (unsigned attribute SPC_RFC3161_OBJID).  0 or -1.
 */
int authenticode_add_timestamp(struct authenticode *ac, const uint8_t *tok,
    size_t toklen);

/* Release what build made; accepts a zeroed or already freed ac. */
void authenticode_free(struct authenticode *ac);

#endif
