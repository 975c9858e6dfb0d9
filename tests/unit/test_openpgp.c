/*
 * test_openpgp.c: OpenPGP packet encoding (sandbox/formats/openpgp*.c):
 * key packets and fingerprints against keys gpg made, MPIs, the hashed
 * subpackets, signature packets and the armour.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "proto/names.h"
#include "sandbox/formats/openpgp.h"

/*
 * Keys gpg 2.2 made with --faked-system-time 20260101T000000 (created
 * 1767225600): the body of the public-key packet gpg --export wrote, and
 * the fingerprint gpg --with-colons printed.  The same key material,
 * taken from a certificate, must give the same bytes.
 */
static const char ec_body_hex[] =
    "046955b90013082a8648ce3d030107020304c8a27232d144078b25652614982001dc"
    "d32ac2dc7ff17e467b0a7f307d4ff3a5527dce22394c5f2949c801ca47b0f8258f49"
    "5da86d383ce948786816555587d2";
static const char ec_fpr_hex[] = "0e295282bd8c1388b20122565f25a7e5fb4e444e";
static const char rsa_body_hex[] =
    "046955b900010400c64447a5fd5d44d39059c3c5cbc271b4f6e5ea5f89e9ea89338e"
    "ddefbb3b4aa21f6b309e4bce368297821a0b072e29099a94c53cd53b62225d2bf0d9"
    "cfe04c3a627ab8d44b8b297e378d82d3e13a2fe041f945718bb69802f70ec744e156"
    "1f01594411f28aec36fc1f30a94563c46ffe0ba94600580aa320861a9890b404082d"
    "0011010001";
static const char rsa_fpr_hex[] = "f37282627f84a40947ae148a5a4c5c006586cde1";
#define CREATED 1767225600u

/* Hex into bytes; the byte count. */
static size_t
unhex(const char *h, uint8_t *out, size_t max)
{
	size_t n = strlen(h) / 2;

	assert_true(n <= max);
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

/* The P-256 key of the fixture, as a certificate's SubjectPublicKeyInfo. */
static EVP_PKEY *
ec_fixture(void)
{
	static const uint8_t spki_head[] = { 0x30, 0x59, 0x30, 0x13, 0x06, 0x07,
		0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
		0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00 };
	uint8_t body[128], der[128];
	const unsigned char *p = der;
	size_t n = unhex(ec_body_hex, body, sizeof(body));

	/* The point is the body's last 65 bytes (after its MPI length). */
	assert_int_equal(n, 82);
	memcpy(der, spki_head, sizeof(spki_head));
	memcpy(der + sizeof(spki_head), body + n - 65, 65);
	return d2i_PUBKEY(NULL, &p, (long)(sizeof(spki_head) + 65));
}

/* The RSA key of the fixture, from its n and e. */
static EVP_PKEY *
rsa_fixture(void)
{
	uint8_t body[256];
	size_t n = unhex(rsa_body_hex, body, sizeof(body));
	BIGNUM *bn_n, *bn_e;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *pk = NULL;

	assert_int_equal(n, 141);
	/* 04, time, 01, then n (1024 bits) at 8 and e (17 bits) at 138. */
	bn_n = BN_bin2bn(body + 8, 128, NULL);
	bn_e = BN_bin2bn(body + 138, 3, NULL);
	assert_true(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n));
	assert_true(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e));
	assert_non_null(params = OSSL_PARAM_BLD_to_param(bld));
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY,
			     params),
	    1);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_free(bn_n);
	BN_free(bn_e);
	return pk;
}

/* The key packet and fingerprint gpg made, from the key material. */
static void
check_fixture(EVP_PKEY *pk, const char *body_hex, const char *fpr_hex, int algo)
{
	uint8_t body[256], fpr[PGP_FPR_LEN];
	size_t n = unhex(body_hex, body, sizeof(body));
	struct pgp_key k;

	assert_non_null(pk);
	assert_int_equal(pgp_key_from_pkey(pk, CREATED, &k), 0);
	assert_int_equal(k.pkalgo, algo);
	assert_int_equal(k.bodylen, n);
	assert_memory_equal(k.body, body, n);
	unhex(fpr_hex, fpr, sizeof(fpr));
	assert_memory_equal(k.fpr, fpr, PGP_FPR_LEN);
	assert_memory_equal(k.keyid, fpr + 12, PGP_KEYID_LEN);
	/* The creation time is part of the fingerprint. */
	assert_int_equal(pgp_key_from_pkey(pk, CREATED + 1, &k), 0);
	assert_memory_not_equal(k.fpr, fpr, PGP_FPR_LEN);
	EVP_PKEY_free(pk);
}

static void
test_ecdsa_p256_key_is_the_one_gpg_made(void **state)
{
	(void)state;
	check_fixture(ec_fixture(), ec_body_hex, ec_fpr_hex, PGP_PK_ECDSA);
}

static void
test_rsa_key_is_the_one_gpg_made(void **state)
{
	(void)state;
	check_fixture(rsa_fixture(), rsa_body_hex, rsa_fpr_hex, PGP_PK_RSA);
}

/* pgp_put_mpi(p) must write exactly want. */
static void
check_mpi(const uint8_t *p, size_t len, const uint8_t *want, size_t wantlen)
{
	struct buf b;

	buf_init(&b, 64);
	assert_int_equal(pgp_put_mpi(&b, p, len), 0);
	assert_int_equal(buf_left(&b), wantlen);
	assert_memory_equal(buf_ptr(&b), want, wantlen);
	buf_free(&b);
}

static void
test_mpi_counts_bits_from_the_first_one(void **state)
{
	(void)state;
	/* Leading zero bytes go, leading zero bits are not counted. */
	check_mpi((const uint8_t[]){ 0x00, 0x00, 0x01 }, 3,
	    (const uint8_t[]){ 0x00, 0x01, 0x01 }, 3);
	check_mpi((const uint8_t[]){ 0x7f, 0xff }, 2,
	    (const uint8_t[]){ 0x00, 0x0f, 0x7f, 0xff }, 4);
	check_mpi((const uint8_t[]){ 0x80 }, 1,
	    (const uint8_t[]){ 0x00, 0x08, 0x80 }, 3);
	check_mpi((const uint8_t[]){ 0x00, 0x1f, 0x00 }, 3,
	    (const uint8_t[]){ 0x00, 0x0d, 0x1f, 0x00 }, 4);
	/* Zero is no bits and no bytes. */
	check_mpi((const uint8_t[]){ 0x00, 0x00 }, 2,
	    (const uint8_t[]){ 0x00, 0x00 }, 2);
}

static void
test_packet_headers_are_old_format_by_length(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 16);
	assert_int_equal(pgp_put_header(&b, PGP_TAG_SIGNATURE, 0xff), 0);
	assert_int_equal(pgp_put_header(&b, PGP_TAG_PUBKEY, 0x100), 0);
	assert_int_equal(pgp_put_header(&b, PGP_TAG_USERID, 0x10000), 0);
	assert_memory_equal(buf_ptr(&b),
	    ((const uint8_t[]){ 0x88, 0xff, 0x99, 0x01, 0x00, 0xb6, 0x00, 0x01,
		0x00, 0x00 }),
	    10);
	buf_free(&b);
}

static void
test_hashed_subpackets_have_exact_lengths(void **state)
{
	EVP_PKEY *pk = ec_fixture();
	struct pgp_key k;
	struct pgp_sig s;
	uint8_t head[] = { 0x04, PGP_SIG_BINARY, PGP_PK_ECDSA, PGP_HASH_SHA256,
		0x00, 29, 5, 2, 0x69, 0x55, 0xb9, 0x01, 22, 33, 4 };

	(void)state;
	assert_int_equal(pgp_key_from_pkey(pk, CREATED, &k), 0);
	/* Creation time (4 bytes) and issuer fingerprint (v4 + 20). */
	assert_int_equal(pgp_sig_init(&s, PGP_SIG_BINARY, DIG_SHA256, &k,
			     CREATED + 1),
	    0);
	assert_int_equal(s.hashedlen, 6 + 29);
	assert_memory_equal(s.hashed, head, sizeof(head));
	assert_memory_equal(s.hashed + sizeof(head), k.fpr, PGP_FPR_LEN);
	/* A self-signature adds key flags and preferred hashes. */
	assert_int_equal(pgp_sig_init(&s, PGP_SIG_POSITIVE_CERT, DIG_SHA384, &k,
			     CREATED),
	    0);
	assert_int_equal(s.hashed[1], 0x13);
	assert_int_equal(s.hashed[3], PGP_HASH_SHA384);
	assert_int_equal(s.hashed[5], 29 + 3 + 5);
	assert_memory_equal(s.hashed + 6 + 29,
	    ((const uint8_t[]){ 2, 27, 0x03, 4, 21, 8, 9, 10 }), 8);
	/* No OpenPGP number, no signature. */
	assert_int_equal(pgp_sig_init(&s, PGP_SIG_BINARY, DIG_COUNT, &k, 1),
	    -1);
	EVP_PKEY_free(pk);
}

/* The packet of an ECDSA signature: unhashed issuer, digest, r and s. */
static void
test_ecdsa_signature_packet(void **state)
{
	EVP_PKEY *pk = ec_fixture();
	uint8_t digest[32] = { 0xab, 0xcd }, der[80], *p = der;
	const uint8_t *q;
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_new(), *s = BN_new();
	struct pgp_key k;
	struct pgp_sig sig;
	struct buf b;
	int derlen;

	(void)state;
	BN_set_word(r, 0x1234); /* 13 bits */
	BN_set_word(s, 0x80);	/* 8 bits */
	ECDSA_SIG_set0(es, r, s);
	derlen = i2d_ECDSA_SIG(es, &p);
	assert_int_equal(pgp_key_from_pkey(pk, CREATED, &k), 0);
	assert_int_equal(pgp_sig_init(&sig, PGP_SIG_TEXT, DIG_SHA256, &k,
			     CREATED),
	    0);
	buf_init(&b, 512);
	assert_int_equal(pgp_sig_packet(&b, &sig, digest, der, (size_t)derlen),
	    0);
	q = buf_ptr(&b);
	assert_int_equal(q[0], 0x88); /* tag 2, one length byte */
	assert_int_equal(q[1], buf_left(&b) - 2);
	assert_memory_equal(q + 2, sig.hashed, sig.hashedlen);
	q += 2 + sig.hashedlen;
	assert_memory_equal(q, ((const uint8_t[]){ 0x00, 0x0a, 9, 16 }), 4);
	assert_memory_equal(q + 4, k.keyid, PGP_KEYID_LEN);
	q += 4 + PGP_KEYID_LEN;
	assert_memory_equal(q,
	    ((const uint8_t[]){ 0xab, 0xcd, 0x00, 0x0d, 0x12, 0x34, 0x00, 0x08,
		0x80 }),
	    9);
	assert_int_equal(q + 9, buf_ptr(&b) + buf_left(&b));
	/* Not an ECDSA-Sig-Value: no packet. */
	assert_int_equal(pgp_sig_packet(&b, &sig, digest, der,
			     (size_t)derlen - 1),
	    -1);
	buf_free(&b);
	ECDSA_SIG_free(es);
	EVP_PKEY_free(pk);
}

static void
test_crc24_check_values(void **state)
{
	(void)state;
	assert_int_equal(pgp_crc24(NULL, 0), 0xb704ce);
	/* CRC-24/OPENPGP's check value. */
	assert_int_equal(pgp_crc24((const uint8_t *)"123456789", 9), 0x21cf02);
}

static void
test_armor_lines_and_checksum(void **state)
{
	uint8_t data[200], b64[300];
	char *text, *line, *save = NULL, want[320];
	size_t nlines = 0, off = 0;
	struct buf b;
	uint32_t crc;

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	buf_init(&b, 4096);
	assert_int_equal(pgp_armor(&b, "SIGNATURE", data, sizeof(data)), 0);
	assert_non_null(
	    text = strndup((const char *)buf_ptr(&b), buf_left(&b)));
	assert_int_equal(text[strlen(text) - 1], '\n');
	assert_true(
	    strncmp(text, "-----BEGIN PGP SIGNATURE-----\n\n", 31) == 0);
	/* 200 bytes: 268 characters of base64, 64 a line, as gpg. */
	EVP_EncodeBlock(b64, data, sizeof(data));
	for (line = strtok_r(text + 31, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save), nlines++) {
		if (line[0] == '=' || line[0] == '-')
			break;
		assert_true(strlen(line) == 64 || off + strlen(line) == 268);
		assert_memory_equal(line, b64 + off, strlen(line));
		off += strlen(line);
	}
	assert_int_equal(off, 268);
	assert_int_equal(nlines, 5);
	crc = pgp_crc24(data, sizeof(data));
	EVP_EncodeBlock(b64,
	    (const uint8_t[]){ (uint8_t)(crc >> 16), (uint8_t)(crc >> 8),
		(uint8_t)crc },
	    3);
	snprintf(want, sizeof(want), "=%s", (char *)b64);
	assert_string_equal(line, want);
	assert_string_equal(strtok_r(NULL, "\n", &save),
	    "-----END PGP SIGNATURE-----");
	assert_null(strtok_r(NULL, "\n", &save));
	free(text);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ecdsa_p256_key_is_the_one_gpg_made),
		cmocka_unit_test(test_rsa_key_is_the_one_gpg_made),
		cmocka_unit_test(test_mpi_counts_bits_from_the_first_one),
		cmocka_unit_test(test_packet_headers_are_old_format_by_length),
		cmocka_unit_test(test_hashed_subpackets_have_exact_lengths),
		cmocka_unit_test(test_ecdsa_signature_packet),
		cmocka_unit_test(test_crc24_check_values),
		cmocka_unit_test(test_armor_lines_and_checksum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
