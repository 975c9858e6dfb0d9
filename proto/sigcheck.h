/*
 * sigcheck: the OpenSSL pieces both the monitor and the sandbox need to
 * agree on: digest algorithms and how a signature over a digest is checked
 * (RSA PKCS#1 v1.5, RSA-PSS with salt length = digest length, ECDSA DER).
 */
#ifndef CSIGN_SIGCHECK_H
#define CSIGN_SIGCHECK_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/* EVP_MD for enum csign_digest, or NULL. */
const EVP_MD *digest_md(int digest);

/*
 * Set up ctx (from EVP_PKEY_sign_init or EVP_PKEY_verify_init) for a
 * signature with digest and padding; 0 or -1.
 */
int sig_ctx_setup(EVP_PKEY_CTX *ctx, EVP_PKEY *pkey, int digest, int padding);

/* Verify sig over the digest tbs with pub: 1 good, 0 bad, -1 error. */
int sig_verify(EVP_PKEY *pub, int digest, int padding, const uint8_t *tbs,
    size_t tbslen, const uint8_t *sig, size_t siglen);

#endif
