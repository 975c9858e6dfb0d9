/*
 * ima.c: an IMA/EVM digital signature, version 2, over the file's digest:
 * the value of the security.ima extended attribute, which the client
 * writes to FILE.sig for `evmctl ima_verify --sigfile` or
 * `setfattr -n security.ima -v 0x<hex>`.
 *
 *     u8   type       EVM_IMA_XATTR_DIGSIG (3)
 *     u8   version    2
 *     u8   hash_algo  the kernel's HASH_ALGO_* of the digest
 *     be32 keyid      which key in the .ima keyring verifies it
 *     be16 sig_size
 *     sig             RSA PKCS#1 v1.5 (with DigestInfo) or DER ECDSA,
 *                     over the file's digest itself
 */
#include <string.h>

#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "proto/frame.h"
#include "sandbox/formats/formats.h"

#define IMA_XATTR_DIGSIG 3
#define IMA_SIG_V2 2

/* The kernel's enum hash_algo (include/uapi/linux/hash_info.h). */
static int
ima_hash_algo(int digest)
{
	switch (digest) {
	case DIG_SHA256:
		return 4; /* HASH_ALGO_SHA256 */
	case DIG_SHA384:
		return 5; /* HASH_ALGO_SHA384 */
	case DIG_SHA512:
		return 6; /* HASH_ALGO_SHA512 */
	}
	return -1;
}

/*
 * The key identifier the kernel looks the key up by ("id:<keyid>" in the
 * .ima keyring): the last four bytes of the certificate's subject key
 * identifier.  A certificate without one gets what evmctl computes
 * (calc_keyid_v2): the last four bytes of the SHA-1 of the subjectPublicKey
 * bits, which is also the usual subject key identifier (RFC 5280 4.2.1.2
 * method 1), so the two agree for certificates made by openssl.
 */
static int
ima_keyid(X509 *cert, uint8_t keyid[IMA_KEYID_LEN])
{
	const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(cert);
	const unsigned char *pk;
	uint8_t sha1[SHA_DIGEST_LENGTH];
	int n;

	if (skid != NULL && ASN1_STRING_length(skid) >= IMA_KEYID_LEN) {
		n = ASN1_STRING_length(skid);
		memcpy(keyid, ASN1_STRING_get0_data(skid) + n - IMA_KEYID_LEN,
		    IMA_KEYID_LEN);
		return 0;
	}
	if (X509_PUBKEY_get0_param(NULL, &pk, &n, NULL,
		X509_get_X509_PUBKEY(cert)) != 1 ||
	    n <= 0 || SHA1(pk, (size_t)n, sha1) == NULL)
		return -1;
	memcpy(keyid, sha1 + SHA_DIGEST_LENGTH - IMA_KEYID_LEN, IMA_KEYID_LEN);
	return 0;
}

/* What the request itself must satisfy, before the file is read. */
static int
ima_check_request(const struct sign_input *in, struct sign_output *out)
{
	if (in->pem ||
	    (in->flags & (SIGN_F_REPLACE | SIGN_F_APPEND | SIGN_F_KEYID)))
		return sign_fail(out, ST_BAD_REQUEST,
		    "--pem, --replace, "
		    "--append and --keyid do not apply to ima signatures");
	if (in->padding == PAD_PSS)
		return sign_fail(out, ST_BAD_REQUEST,
		    "key %s uses RSA-PSS; "
		    "IMA signatures use RSA PKCS#1 v1.5 or ECDSA",
		    in->key);
	if (ima_hash_algo(in->digest) == -1)
		return sign_fail(out, ST_BAD_REQUEST,
		    "no IMA hash_algo for "
		    "this digest");
	return 0;
}

/* The header and the signature, into out. */
static int
ima_encode(const struct sign_input *in, const uint8_t *keyid,
    const uint8_t *sig, size_t siglen, struct buf *out)
{
	if (siglen > UINT16_MAX)
		return -1;
	if (buf_put_u8(out, IMA_XATTR_DIGSIG) == -1 ||
	    buf_put_u8(out, IMA_SIG_V2) == -1 ||
	    buf_put_u8(out, (uint8_t)ima_hash_algo(in->digest)) == -1 ||
	    buf_put(out, keyid, IMA_KEYID_LEN) == -1 ||
	    buf_put_u16(out, (uint16_t)siglen) == -1 ||
	    buf_put(out, sig, siglen) == -1)
		return -1;
	return 0;
}

/*
 * The request checked and the artifact hashed; the key identifier found
 * here too (into keyid, IMA_KEYID_LEN bytes), so that a certificate
 * without one fails before anything is signed.
 */
int
ima_begin(const struct sign_input *in, struct sign_output *out, uint8_t *keyid)
{
	if (ima_check_request(in, out) == -1)
		return -1;
	if (ima_keyid(in->cert, keyid) == -1)
		return sign_fail(out, ST_INTERNAL,
		    "cannot compute the key "
		    "identifier of key %s",
		    in->key);
	return format_hash_artifact(in, out);
}

int
ima_end(const struct sign_input *in, struct sign_output *out,
    const uint8_t *keyid, const uint8_t *sig, size_t siglen)
{
	if (ima_encode(in, keyid, sig, siglen, &out->data) == -1)
		return sign_fail(out, ST_INTERNAL,
		    "cannot encode the IMA "
		    "signature");
	return 0;
}
