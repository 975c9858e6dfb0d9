/*
 * module_sign_test.h: what the tests of the module builder share
 * (test_module_inplace.c, test_module_race.c, test_module_snapshot.c): a
 * key made here, and its self-signed certificate, stand in for the token
 * in each test's own signop_sign(); test_signer_setup() and
 * test_signer_teardown() are the tests' group set-up and tear-down.
 */
#ifndef CSIGN_MODULE_SIGN_TEST_H
#define CSIGN_MODULE_SIGN_TEST_H

#include "module_test.h"

#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "proto/frame.h"
#include "proto/sigcheck.h"
#include "sandbox/formats/formats.h"

static EVP_PKEY *test_key;
static X509 *test_cert;

/* An RSA-2048 key and its certificate: 0, or -1. */
static inline int
test_signer_setup(void **state)
{
	(void)state;
	if ((test_key = EVP_RSA_gen(2048)) == NULL ||
	    (test_cert = test_self_signed(test_key, "module-test", 0x1000)) ==
		NULL)
		return -1;
	return 0;
}

static inline int
test_signer_teardown(void **state)
{
	(void)state;
	X509_free(test_cert);
	EVP_PKEY_free(test_key);
	test_cert = NULL;
	test_key = NULL;
	return 0;
}

/* The size of the file open on fd. */
static inline off_t
file_size(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return st.st_size;
}

/* Sign tbs with the key as the token would: 0, or sign_fail()'s -1. */
static inline int
test_signer_sign(const struct sign_input *in, struct sign_output *out,
    const uint8_t *tbs, size_t tbslen, uint8_t *sig, size_t *siglen)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(test_key, NULL);
	int ok;

	ok = c != NULL && EVP_PKEY_sign_init(c) == 1 &&
	    sig_ctx_setup(c, test_key, in->digest, in->padding) == 0 &&
	    EVP_PKEY_sign(c, sig, siglen, tbs, tbslen) == 1;
	EVP_PKEY_CTX_free(c);
	return ok ? 0 : sign_fail(out, ST_INTERNAL, "test signer failed");
}

#endif
