/*
 * test_module_pkcs7.c: the PKCS#7 that sandbox/formats/module.c builds,
 * compared with what the kernel's sign-file makes.
 */
#include "module_test.h"

/* The signing key and certificate of the PKCS#7 tests. */
struct signer {
	EVP_PKEY *key;
	X509 *cert;
};

/* A self-signed certificate like the kernel's signing_key.x509. */
static X509 *
make_cert(EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509_EXTENSION *ext;
	X509V3_CTX ctx;

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1001);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)"unit test signer", -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext =
	    X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_key_identifier, "hash");
	assert_non_null(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	X509_NAME_free(n);
	return x;
}

static int
signer_setup(void **state)
{
	static struct signer s;

	s.key = EVP_RSA_gen(2048);
	if (s.key == NULL)
		return -1;
	s.cert = make_cert(s.key);
	*state = &s;
	return 0;
}

static int
signer_teardown(void **state)
{
	struct signer *s = *state;

	X509_free(s->cert);
	EVP_PKEY_free(s->key);
	return 0;
}

/* The DER that sign-file's own calls produce for data, into der. */
static void
sign_file_der(const struct signer *s, const EVP_MD *md, int keyid,
    const uint8_t *data, size_t len, struct buf *der)
{
	BIO *in = BIO_new_mem_buf(data, (int)len), *out = BIO_new(BIO_s_mem());
	CMS_ContentInfo *cms;
	char *p;
	long n;

	cms = CMS_sign(NULL, NULL, NULL, NULL,
	    CMS_NOCERTS | CMS_PARTIAL | CMS_BINARY | CMS_DETACHED | CMS_STREAM);
	assert_non_null(cms);
	assert_non_null(CMS_add1_signer(cms, s->cert, s->key, md,
	    CMS_NOCERTS | CMS_BINARY | CMS_NOSMIMECAP | CMS_NOATTR |
		(keyid ? CMS_USE_KEYID : 0)));
	assert_int_equal(CMS_final(cms, in, NULL, CMS_NOCERTS | CMS_BINARY), 1);
	assert_int_equal(i2d_CMS_bio_stream(out, cms, NULL, 0), 1);
	n = BIO_get_mem_data(out, &p);
	assert_int_equal(buf_put(der, p, (size_t)n), 0);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	BIO_free(out);
}

/* Ours: the digest signed as the monitor signs it, then modsig_cms_*. */
static void
csign_der(const struct signer *s, int digest, int keyid, const uint8_t *data,
    size_t len, struct buf *der)
{
	const EVP_MD *md = digest == DIG_SHA256 ? EVP_sha256()
	    : digest == DIG_SHA384		? EVP_sha384()
						: EVP_sha512();
	uint8_t h[EVP_MAX_MD_SIZE], sig[1024];
	unsigned int hlen = 0;
	size_t siglen = sizeof(sig);
	CMS_ContentInfo *cms;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(s->key, NULL);

	assert_int_equal(EVP_Digest(data, len, h, &hlen, md, NULL), 1);
	assert_true(EVP_PKEY_sign_init(ctx) > 0);
	assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0);
	assert_true(EVP_PKEY_CTX_set_signature_md(ctx, md) > 0);
	assert_true(EVP_PKEY_sign(ctx, sig, &siglen, h, hlen) > 0);
	EVP_PKEY_CTX_free(ctx);
	cms = modsig_cms_new(s->cert, X509_get0_pubkey(s->cert), digest, keyid);
	assert_non_null(cms);
	assert_int_equal(modsig_cms_der(cms, sig, siglen, der), 0);
	CMS_ContentInfo_free(cms);
}

static void
test_pkcs7_is_byte_identical_to_sign_files(void **state)
{
	static const struct {
		int digest;
		const char *md;
		int keyid;
	} cases[] = {
		{ DIG_SHA256, "SHA256", 0 },
		{ DIG_SHA384, "SHA384", 0 },
		{ DIG_SHA512, "SHA512", 0 },
		{ DIG_SHA256, "SHA256", 1 },
		{ DIG_SHA512, "SHA512", 1 },
	};
	const struct signer *s = *state;
	struct telf t;

	telf_build(&t, 1, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		EVP_MD *md = EVP_MD_fetch(NULL, cases[i].md, NULL);
		struct buf want, got;

		buf_init(&want, 65536);
		buf_init(&got, 65536);
		sign_file_der(s, md, cases[i].keyid, t.b, t.len, &want);
		csign_der(s, cases[i].digest, cases[i].keyid, t.b, t.len, &got);
		assert_int_equal(buf_left(&got), buf_left(&want));
		assert_memory_equal(buf_ptr(&got), buf_ptr(&want),
		    buf_left(&want));
		buf_free(&want);
		buf_free(&got);
		EVP_MD_free(md);
	}
}

static void
test_pkcs7_is_detached_without_certificates_or_attributes(void **state)
{
	const struct signer *s = *state;
	CMS_ContentInfo *cms;
	CMS_SignerInfo *si;
	STACK_OF(X509) *certs;
	ASN1_OCTET_STRING **content, *kid = NULL;
	X509_NAME *issuer = NULL;
	ASN1_INTEGER *serial = NULL;
	const unsigned char *p;
	uint8_t sig[256] = { 0 };
	struct buf der;

	buf_init(&der, 65536);
	cms = modsig_cms_new(s->cert, X509_get0_pubkey(s->cert), DIG_SHA256, 0);
	assert_int_equal(modsig_cms_der(cms, sig, sizeof(sig), &der), 0);
	CMS_ContentInfo_free(cms);
	p = buf_ptr(&der);
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)buf_left(&der));
	assert_non_null(cms);
	content = CMS_get0_content(cms);
	assert_true(content == NULL || *content == NULL);
	certs = CMS_get1_certs(cms);
	assert_true(certs == NULL || sk_X509_num(certs) == 0);
	sk_X509_pop_free(certs, X509_free);
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	assert_int_equal(CMS_SignerInfo_get0_signer_id(si, &kid, &issuer,
			     &serial),
	    1);
	assert_null(kid);
	assert_int_equal(ASN1_INTEGER_get(serial), 0x1001);
	assert_true(CMS_signed_get_attr_count(si) <= 0);
	CMS_ContentInfo_free(cms);
	buf_free(&der);
}

int
main(void)
{
	const struct CMUnitTest pkcs7[] = {
		cmocka_unit_test(test_pkcs7_is_byte_identical_to_sign_files),
		cmocka_unit_test(
		    test_pkcs7_is_detached_without_certificates_or_attributes),
	};

	return cmocka_run_group_tests(pkcs7, signer_setup, signer_teardown);
}
