/*
 * test_admin: the pure parts of csign-admin (admin/) and of the token
 * layer it uses (token/admin_*.c, the expiry helpers of token/expiry.c).
 * The token operations themselves are tested against SoftHSM by the
 * integration suite (tests/integration/cases/admin.sh).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "admin/admin.h"
#include "proto/sigcheck.h"
#include "common/util.h"
#include "token/p11admin.h"
#include "token/token.h"

#define DAY 86400
#define T0 ((time_t)1795446541) /* 2026-11-23T15:09:01Z */

/* Hex ids: pairs of digits, colons between pairs, bounded. */
static void
test_hex_parse_accepts_pairs_and_colons(void **state)
{
	uint8_t b[4];

	(void)state;
	assert_int_equal(adm_hex_parse("0a1B", b, sizeof(b)), 2);
	assert_int_equal(b[0], 0x0a);
	assert_int_equal(b[1], 0x1b);
	assert_int_equal(adm_hex_parse("de:ad:be:ef", b, sizeof(b)), 4);
	assert_int_equal(b[3], 0xef);
	assert_int_equal(adm_hex_parse("", b, sizeof(b)), -1);
	assert_int_equal(adm_hex_parse("0", b, sizeof(b)), -1);
	assert_int_equal(adm_hex_parse("0g", b, sizeof(b)), -1);
	assert_int_equal(adm_hex_parse(":0a", b, sizeof(b)), -1);
	assert_int_equal(adm_hex_parse("0a:", b, sizeof(b)), -1);
	assert_int_equal(adm_hex_parse("0a::0b", b, sizeof(b)), -1);
	assert_int_equal(adm_hex_parse("0x0a", b, sizeof(b)), -1);
	assert_int_equal(adm_hex_parse("0102030405", b, sizeof(b)), -1);
}

/* Hex output is lowercase and cut to the destination. */
static void
test_hex_writes_lowercase_within_bounds(void **state)
{
	static const uint8_t p[] = { 0xab, 0x01, 0xff };
	char s[7], small[5];

	(void)state;
	util_hex(p, sizeof(p), s, sizeof(s));
	assert_string_equal(s, "ab01ff");
	util_hex(p, sizeof(p), small, sizeof(small));
	assert_string_equal(small, "ab01");
}

/* Token strings reach the terminal with control bytes escaped. */
static void
test_clean_escapes_control_bytes(void **state)
{
	char d[64], tiny[8];

	(void)state;
	assert_string_equal(adm_clean("plain label", d, sizeof(d)),
	    "plain label");
	assert_string_equal(adm_clean("a\x1b[2Jb\\", d, sizeof(d)),
	    "a\\x1b[2Jb\\x5c");
	assert_string_equal(adm_clean("\xc3\xa9", d, sizeof(d)), "\\xc3\\xa9");
	adm_clean("\x01\x02\x03\x04", tiny, sizeof(tiny));
	assert_true(strlen(tiny) < sizeof(tiny));
}

/* Read the value of the first entry of nid in name into dst. */
static void
name_entry(X509_NAME *name, int nid, char *dst, size_t dstlen)
{
	int i = X509_NAME_get_index_by_NID(name, nid, -1);
	ASN1_STRING *s;

	assert_true(i >= 0);
	s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	snprintf(dst, dstlen, "%.*s", ASN1_STRING_length(s),
	    (const char *)ASN1_STRING_get0_data(s));
}

/* "/CN=x/O=y" makes a two-entry name; a backslash escapes a slash. */
static void
test_subject_parse_reads_openssl_form(void **state)
{
	char err[128], v[64];
	X509_NAME *n;

	(void)state;
	n = adm_subject_parse("/CN=csign release/O=Example\\/Org", err,
	    sizeof(err));
	assert_non_null(n);
	assert_int_equal(X509_NAME_entry_count(n), 2);
	name_entry(n, NID_commonName, v, sizeof(v));
	assert_string_equal(v, "csign release");
	name_entry(n, NID_organizationName, v, sizeof(v));
	assert_string_equal(v, "Example/Org");
	X509_NAME_free(n);
}

/* '+' joins attributes into one RDN, as openssl req -subj does. */
static void
test_subject_parse_plus_is_multivalued_rdn(void **state)
{
	char err[128], v[64];
	X509_NAME *n;

	(void)state;
	n = adm_subject_parse("/CN=a+UID=b/O=x\\+y", err, sizeof(err));
	assert_non_null(n);
	assert_int_equal(X509_NAME_entry_count(n), 3);
	assert_int_equal(X509_NAME_ENTRY_set(X509_NAME_get_entry(n, 0)),
	    X509_NAME_ENTRY_set(X509_NAME_get_entry(n, 1)));
	assert_int_not_equal(X509_NAME_ENTRY_set(X509_NAME_get_entry(n, 1)),
	    X509_NAME_ENTRY_set(X509_NAME_get_entry(n, 2)));
	name_entry(n, NID_commonName, v, sizeof(v));
	assert_string_equal(v, "a");
	name_entry(n, NID_organizationName, v, sizeof(v));
	assert_string_equal(v, "x+y");
	X509_NAME_free(n);
}

/* Malformed subjects are refused with a reason. */
static void
test_subject_parse_refuses_malformed(void **state)
{
	static const char *const bad[] = {
		"CN=x",
		"/",
		"",
		"/CN",
		"/CN=",
		"/=x",
		"/CN=x/",
		"/NOPE=x",
		"/CN=x//O=y",
		"/CN=x\\",
		"/CN=a+",
		"/CN=a++O=b",
		"+CN=a",
	};
	char err[128], longv[400];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_null(adm_subject_parse(bad[i], err, sizeof(err)));
		assert_true(err[0] != '\0');
	}
	memset(longv, 'a', sizeof(longv));
	memcpy(longv, "/CN=", 4);
	longv[sizeof(longv) - 1] = '\0';
	assert_null(adm_subject_parse(longv, err, sizeof(err)));
	assert_non_null(strstr(err, "too long"));
}

/* A token certificate belongs to a key by id, label or chain label. */
static void
test_cert_belongs_by_id_label_or_chain_label(void **state)
{
	static const uint8_t id[] = { 1, 2, 3 }, other[] = { 1, 2, 4 };
	struct adm_cert_owner ow = { "rel", id, sizeof(id) };

	(void)state;
	assert_true(adm_cert_belongs("x", id, sizeof(id), &ow));
	assert_true(adm_cert_belongs("rel", other, sizeof(other), &ow));
	assert_true(adm_cert_belongs("rel-ca1", NULL, 0, &ow));
	assert_true(adm_cert_belongs("rel-ca12", NULL, 0, &ow));
	assert_false(adm_cert_belongs("rel-ca", NULL, 0, &ow));
	assert_false(adm_cert_belongs("rel-cax", NULL, 0, &ow));
	assert_false(adm_cert_belongs("rel-ca1x", NULL, 0, &ow));
	assert_false(adm_cert_belongs("release", NULL, 0, &ow));
	assert_false(adm_cert_belongs("x", other, sizeof(other), &ow));
	assert_false(adm_cert_belongs("x", id, 2, &ow));
}

static int
run_nothing(struct adm_opts *o)
{
	(void)o;
	return ADM_OK;
}

static const struct adm_cmd cmd_import = { "import-cert",
	OPT_TOKEN | OPT_KEY | OPT_CHAIN | OPT_TO_TOKEN | OPT_REPLACE | OPT_OUT,
	OPT_TOKEN | OPT_KEY, 1, run_nothing };
static const struct adm_cmd cmd_keys = { "keys", OPT_TOKEN, OPT_TOKEN, 0,
	run_nothing };

/*
 * Parse a NULL-terminated argument list for cmd into o, with the usage
 * that errors print sent to /dev/null.
 */
static int
parse(const struct adm_cmd *cmd, struct adm_opts *o, ...)
{
	char *argv[16];
	int argc = 0, r, saved = dup(STDERR_FILENO);
	FILE *null = fopen("/dev/null", "w");
	va_list ap;

	memset(o, 0, sizeof(*o));
	va_start(ap, o);
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	assert_true(saved != -1 && null != NULL);
	fflush(stderr);
	dup2(fileno(null), STDERR_FILENO);
	r = adm_parse(cmd, argc, argv, o);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	fclose(null);
	return r;
}

/* Options land in their fields; the operand is the certificate. */
static void
test_parse_reads_options_and_operand(void **state)
{
	struct adm_opts o;

	(void)state;
	assert_int_equal(parse(&cmd_import, &o, "import-cert", "--token",
			     "hsm0", "--key", "rel", "--chain", "ca.pem",
			     "--to-token", "--replace", "rel.crt", NULL),
	    ADM_OK);
	assert_string_equal(o.token, "hsm0");
	assert_string_equal(o.key, "rel");
	assert_string_equal(o.chain, "ca.pem");
	assert_true(o.to_token);
	assert_true(o.replace);
	assert_string_equal(o.operand, "rel.crt");
	assert_int_equal(parse(&cmd_import, &o, "import-cert", "rel.crt",
			     "--token=hsm0", "--key", "rel", "-o", "out.pem",
			     NULL),
	    ADM_OK);
	assert_string_equal(o.out, "out.pem");
	assert_string_equal(o.operand, "rel.crt");
}

/* Missing, repeated, foreign and conflicting options are usage errors. */
static void
test_parse_refuses_bad_command_lines(void **state)
{
	struct adm_opts o;

	(void)state;
	assert_int_equal(parse(&cmd_keys, &o, "keys", NULL), ADM_USAGE);
	assert_int_equal(parse(&cmd_keys, &o, "keys", "--token", "a", "--token",
			     "b", NULL),
	    ADM_USAGE);
	assert_int_equal(parse(&cmd_keys, &o, "keys", "--token", "a", "--label",
			     "x", NULL),
	    ADM_USAGE);
	assert_int_equal(parse(&cmd_keys, &o, "keys", "--token", "a", "-o", "x",
			     NULL),
	    ADM_USAGE);
	assert_int_equal(parse(&cmd_keys, &o, "keys", "--token", "a", "extra",
			     NULL),
	    ADM_USAGE);
	assert_int_equal(parse(&cmd_keys, &o, "keys", "--token", NULL),
	    ADM_USAGE);
	assert_int_equal(parse(&cmd_import, &o, "import-cert", "--token", "a",
			     "--key", "k", NULL),
	    ADM_USAGE);
	assert_int_equal(parse(&cmd_import, &o, "import-cert", "--token", "a",
			     "--key", "k", "--to-token", "-o", "f", "c", NULL),
	    ADM_USAGE);
	assert_int_equal(parse(&cmd_import, &o, "import-cert", "--token", "a",
			     "--key", "k", "--replace", "c", NULL),
	    ADM_USAGE);
	assert_int_equal(parse(&cmd_import, &o, "import-cert", "--token", "a",
			     "--key", "k", "c", "d", NULL),
	    ADM_USAGE);
}

/* The key types keygen offers, by name. */
static void
test_keytype_names_round_trip(void **state)
{
	static const char *const names[] = { "rsa:3072", "rsa:4096", "ec:p256",
		"ec:p384" };

	(void)state;
	for (int i = 0; i < 4; i++) {
		assert_int_equal(p11a_keytype_from_name(names[i]), i);
		assert_string_equal(p11a_keytype_name(i), names[i]);
	}
	assert_int_equal(p11a_keytype_from_name("rsa:2048"), -1);
	assert_int_equal(p11a_keytype_from_name("ec:p521"), -1);
	assert_string_equal(p11a_keytype_name(P11A_KT_COUNT), "unknown");
}

/* CKA_EC_POINT as a DER OCTET STRING (short or long form) or bare. */
static void
test_ec_point_unwraps_der_and_bare_points(void **state)
{
	uint8_t v[140];
	const uint8_t *pt;
	size_t len;

	(void)state;
	memset(v, 0x55, sizeof(v));
	v[0] = 0x04;
	v[1] = 65;
	v[2] = 0x04;
	assert_int_equal(p11a_ec_point(v, 67, 65, &pt, &len), 0);
	assert_ptr_equal(pt, v + 2);
	assert_int_equal(len, 65);
	assert_int_equal(p11a_ec_point(v + 2, 65, 65, &pt, &len), 0);
	assert_ptr_equal(pt, v + 2);
	assert_int_equal(p11a_ec_point(v, 66, 65, &pt, &len), -1);
	v[2] = 0x02; /* a compressed point is not what we asked for */
	assert_int_equal(p11a_ec_point(v, 67, 65, &pt, &len), -1);
	v[1] = 0x81;
	v[2] = 133;
	v[3] = 0x04;
	assert_int_equal(p11a_ec_point(v, 136, 133, &pt, &len), 0);
	assert_ptr_equal(pt, v + 3);
	assert_int_equal(len, 133);
}

/* A self-signed certificate for pub, valid for days from now. */
static X509 *
make_cert(EVP_PKEY *pub, EVP_PKEY *signer, X509 *issuer, const char *cn,
    long days)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	assert_non_null(x);
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x,
	    issuer != NULL ? X509_get_subject_name(issuer) : n);
	X509_NAME_free(n);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), days * DAY);
	X509_set_pubkey(x, pub);
	assert_true(X509_sign(x, signer, EVP_sha256()) > 0);
	return x;
}

/* The key id is the SKI that OpenSSL's "hash" method computes. */
static void
test_key_id_is_the_rfc5280_key_identifier(void **state)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = make_cert(k, k, NULL, "ski", 1);
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	ASN1_OCTET_STRING *ski;
	uint8_t id[P11A_KEY_ID_LEN];

	(void)state;
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext =
	    X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_key_identifier, "hash");
	assert_non_null(ext);
	ski = X509V3_EXT_d2i(ext);
	assert_non_null(ski);
	assert_int_equal(p11a_key_id(k, id), 0);
	assert_int_equal(ASN1_STRING_length(ski), sizeof(id));
	assert_memory_equal(ASN1_STRING_get0_data(ski), id, sizeof(id));
	ASN1_OCTET_STRING_free(ski);
	X509_EXTENSION_free(ext);
	X509_free(x);
	EVP_PKEY_free(k);
}

/* spki-sha256 is the SHA-256 of the DER SubjectPublicKeyInfo. */
static void
test_spki_sha256_hashes_the_der_public_key(void **state)
{
	EVP_PKEY *k = EVP_EC_gen("P-384");
	unsigned char *der = NULL, md[SHA256_DIGEST_LENGTH];
	char want[65], got[65];
	int len;

	(void)state;
	len = i2d_PUBKEY(k, &der);
	assert_true(len > 0);
	SHA256(der, (size_t)len, md);
	util_hex(md, sizeof(md), want, sizeof(want));
	assert_int_equal(p11a_spki_sha256(k, got), 0);
	assert_string_equal(got, want);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
}

/* Days left round down; expiry is judged to the second. */
static void
test_expiry_helpers(void **state)
{
	char s[21];

	(void)state;
	assert_int_equal(token_days_left(T0 + 5 * DAY + 10, T0), 5);
	assert_int_equal(token_days_left(T0 + DAY - 1, T0), 0);
	assert_int_equal(token_days_left(T0 - 1, T0), -1);
	assert_int_equal(token_days_left(T0 - DAY, T0), -1);
	assert_int_equal(token_days_left(T0 - DAY - 1, T0), -2);
	assert_int_equal(token_cert_expiry(T0 + 40 * DAY, T0, 30), CERT_VALID);
	assert_int_equal(token_cert_expiry(T0 + 30 * DAY, T0, 30), CERT_VALID);
	assert_int_equal(token_cert_expiry(T0 + 30 * DAY - 1, T0, 30),
	    CERT_EXPIRING);
	assert_int_equal(token_cert_expiry(T0 + 1, T0, 0), CERT_VALID);
	assert_int_equal(token_cert_expiry(T0, T0, 30), CERT_EXPIRED);
	assert_int_equal(token_cert_expiry(T0 - DAY, T0, 0), CERT_EXPIRED);
	token_time_str(T0, s);
	assert_string_equal(s, "2026-11-23T15:09:01Z");
}

/* notAfter is read from the certificate as seconds since the epoch. */
static void
test_cert_not_after_reads_the_certificate(void **state)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = make_cert(k, k, NULL, "na", 1);
	time_t t;

	(void)state;
	ASN1_TIME_set(X509_getm_notAfter(x), T0);
	assert_int_equal(token_cert_not_after(x, &t), 0);
	assert_int_equal((long long)t, (long long)T0);
	X509_free(x);
	EVP_PKEY_free(k);
}

/* A chain must link: each certificate issued by the next one. */
static void
test_chain_check_follows_issuers(void **state)
{
	EVP_PKEY *cak = EVP_EC_gen("P-256"), *otherk = EVP_EC_gen("P-256");
	EVP_PKEY *leafk = EVP_EC_gen("P-256");
	X509 *ca = make_cert(cak, cak, NULL, "test CA", 10);
	X509 *other = make_cert(otherk, otherk, NULL, "other CA", 10);
	X509 *leaf = make_cert(leafk, cak, ca, "leaf", 1);
	STACK_OF(X509) *chain = sk_X509_new_null();
	char err[128];

	(void)state;
	sk_X509_push(chain, ca);
	assert_int_equal(adm_chain_check(leaf, chain, err, sizeof(err)), 0);
	sk_X509_set(chain, 0, other);
	assert_int_equal(adm_chain_check(leaf, chain, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "did not issue"));
	sk_X509_free(chain);
	X509_free(leaf);
	X509_free(other);
	X509_free(ca);
	EVP_PKEY_free(leafk);
	EVP_PKEY_free(otherk);
	EVP_PKEY_free(cak);
}

/* Files are written whole, with the mode asked for. */
static void
test_write_file_replaces_atomically(void **state)
{
	char dir[] = "/tmp/csign-admin-test.XXXXXX", path[64], buf[16];
	char err[256];
	struct stat st;
	FILE *f;
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out.pem", dir);
	assert_int_equal(adm_write_file(path, "old", 3, 0600, err, sizeof(err)),
	    0);
	assert_int_equal(adm_write_file(path, "new data", 8, 0644, err,
			     sizeof(err)),
	    0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_int_equal(n, 8);
	assert_memory_equal(buf, "new data", 8);
	snprintf(buf, sizeof(buf), "%s", "");
	assert_int_equal(adm_write_file("/nonexistent/dir/x", "x", 1, 0644, err,
			     sizeof(err)),
	    -1);
	assert_true(err[0] != '\0');
	unlink(path);
	rmdir(dir);
}

/*
 * --token names a Token block of the configuration.  (Calling
 * config_load() here also makes the linker take broker/config.o from
 * libcsignd.a, which the test links before libadmin.a.)
 */
static void
test_token_names_a_token_block(void **state)
{
	char dir[] = "/tmp/csign-admin-test.XXXXXX", path[64], err[512];
	struct config *cfg;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/csignd.conf", dir);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f,
	    "Token hsm0\n\tModule /nonexistent/module.so\n"
	    "\tTokenLabel csign\n\tPinFile /nonexistent/pin\n");
	fclose(f);
	cfg = config_load(path, err, sizeof(err));
	assert_non_null(cfg);
	assert_non_null(adm_token(cfg, "hsm0"));
	assert_null(adm_token(cfg, "hsm1"));
	config_free(cfg);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_parse_accepts_pairs_and_colons),
		cmocka_unit_test(test_hex_writes_lowercase_within_bounds),
		cmocka_unit_test(test_clean_escapes_control_bytes),
		cmocka_unit_test(test_subject_parse_reads_openssl_form),
		cmocka_unit_test(test_subject_parse_refuses_malformed),
		cmocka_unit_test(test_subject_parse_plus_is_multivalued_rdn),
		cmocka_unit_test(test_cert_belongs_by_id_label_or_chain_label),
		cmocka_unit_test(test_parse_reads_options_and_operand),
		cmocka_unit_test(test_parse_refuses_bad_command_lines),
		cmocka_unit_test(test_keytype_names_round_trip),
		cmocka_unit_test(test_ec_point_unwraps_der_and_bare_points),
		cmocka_unit_test(test_key_id_is_the_rfc5280_key_identifier),
		cmocka_unit_test(test_spki_sha256_hashes_the_der_public_key),
		cmocka_unit_test(test_expiry_helpers),
		cmocka_unit_test(test_cert_not_after_reads_the_certificate),
		cmocka_unit_test(test_chain_check_follows_issuers),
		cmocka_unit_test(test_write_file_replaces_atomically),
		cmocka_unit_test(test_token_names_a_token_block),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
