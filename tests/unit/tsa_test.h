/*
 * tsa_test.h: what the timestamp unit tests share (test_tsa.c,
 * test_tsa_lookup.c, test_tsa_http.c): the certificates made once per
 * suite (a CA, a TSA it issued, a self-signed TSA) and the path of the
 * lookup program, the test csign-sandbox beside the test binary.
 */
#ifndef CSIGN_TSA_TEST_H
#define CSIGN_TSA_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/ess.h>
#include <openssl/evp.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include "records/tsaurl.h"
#include "monitor/tsaconn.h"
#include "proto/names.h"
#include "proto/resolve.h"
#include "sandbox/http.h"
#include "sandbox/resolve.h"
#include "sandbox/tsa.h"

/* A CA, the TSA it issued, a self-signed TSA, and another CA. */
static __attribute__((unused)) EVP_PKEY *ca_key, *tsa_key, *self_key,
    *other_key;
static __attribute__((unused)) X509 *ca_cert, *tsa_cert, *self_cert,
    *other_cert;
static __attribute__((unused)) uint8_t *anchors,
    *other_anchors; /* the CAs, DER */
static __attribute__((unused)) size_t anchorslen, other_anchorslen;

static __attribute__((
    unused)) char lookup_program[4096]; /* the test csign-sandbox */

/* Add extension nid with value v (X509V3 config syntax) to x (by issuer). */
static inline void
add_ext(X509 *x, X509 *issuer, int nid, const char *v)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	assert_non_null(e = X509V3_EXT_conf_nid(NULL, &ctx, nid, v));
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

/*
 * A P-256 certificate for cn, valid from an hour ago for a day: a CA if
 * is_ca, else a timestamping certificate; issued by issuer (NULL: itself).
 */
static inline X509 *
make_cert(const char *cn, EVP_PKEY **key, int is_ca, X509 *issuer,
    EVP_PKEY *issuer_key, long serial)
{
	X509 *x = X509_new();
	X509_NAME *n;

	assert_non_null(*key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x,
	    issuer != NULL ? X509_get_subject_name(issuer) : n);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, *key);
	if (is_ca) {
		add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, x, NID_key_usage, "critical,keyCertSign");
	} else {
		add_ext(x, issuer != NULL ? issuer : x, NID_basic_constraints,
		    "critical,CA:FALSE");
		add_ext(x, issuer != NULL ? issuer : x, NID_ext_key_usage,
		    "critical,timeStamping");
	}
	assert_true(X509_sign(x, issuer_key != NULL ? issuer_key : *key,
			EVP_sha256()) > 0);
	return x;
}

/* The DER of x, malloc'd. */
static inline uint8_t *
cert_der(X509 *x, size_t *len)
{
	unsigned char *der = NULL;
	uint8_t *copy;
	int n;

	assert_true((n = i2d_X509(x, &der)) > 0);
	assert_non_null(copy = malloc((size_t)n));
	memcpy(copy, der, (size_t)n);
	OPENSSL_free(der);
	*len = (size_t)n;
	return copy;
}

static inline int
setup(void **state)
{
	(void)state;
	ca_cert = make_cert("unit test TSA CA", &ca_key, 1, NULL, NULL, 1);
	tsa_cert = make_cert("unit test TSA", &tsa_key, 0, ca_cert, ca_key, 7);
	self_cert =
	    make_cert("unit test self-signed TSA", &self_key, 0, NULL, NULL, 8);
	other_cert =
	    make_cert("unit test other CA", &other_key, 1, NULL, NULL, 9);
	anchors = cert_der(ca_cert, &anchorslen);
	other_anchors = cert_der(other_cert, &other_anchorslen);
	return 0;
}

static inline int
teardown(void **state)
{
	(void)state;
	X509_free(ca_cert);
	X509_free(tsa_cert);
	X509_free(self_cert);
	X509_free(other_cert);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(tsa_key);
	EVP_PKEY_free(self_key);
	EVP_PKEY_free(other_key);
	free(anchors);
	free(other_anchors);
	return 0;
}

#endif
