/* sigcheck.c: digests and signature checks shared by monitor and sandbox. */
#include "proto/sigcheck.h"

#include <openssl/rsa.h>

#include "proto/names.h"

const EVP_MD *
digest_md(int digest)
{
	switch (digest) {
	case DIG_SHA256:
		return EVP_sha256();
	case DIG_SHA384:
		return EVP_sha384();
	case DIG_SHA512:
		return EVP_sha512();
	}
	return NULL;
}

int
sig_ctx_setup(EVP_PKEY_CTX *ctx, EVP_PKEY *pkey, int digest, int padding)
{
	const EVP_MD *md = digest_md(digest);

	if (md == NULL || EVP_PKEY_CTX_set_signature_md(ctx, md) <= 0)
		return -1;
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA)
		return 0;
	if (padding == PAD_PSS) {
		if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) <=
			0 ||
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx,
			RSA_PSS_SALTLEN_DIGEST) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) <= 0)
			return -1;
		return 0;
	}
	return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0 ? -1
									 : 0;
}

int
sig_verify(EVP_PKEY *pub, int digest, int padding, const uint8_t *tbs,
    size_t tbslen, const uint8_t *sig, size_t siglen)
{
	EVP_PKEY_CTX *ctx;
	int r = -1;

	if (tbslen != digest_len(digest))
		return 0;
	if ((ctx = EVP_PKEY_CTX_new(pub, NULL)) == NULL)
		return -1;
	if (EVP_PKEY_verify_init(ctx) > 0 &&
	    sig_ctx_setup(ctx, pub, digest, padding) == 0)
		r = EVP_PKEY_verify(ctx, sig, siglen, tbs, tbslen) == 1 ? 1 : 0;
	EVP_PKEY_CTX_free(ctx);
	return r;
}
