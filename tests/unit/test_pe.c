/*
 * test_pe.c: the PE parser, the Authenticode digest, the PE checksum and
 * the SpcIndirectDataContent encoding (sandbox/formats/), on the real
 * images of pe_test.h.  The digests are checked against digests computed
 * by other programs: sbsign (SHA-256) and osslsigncode (SHA-384,
 * SHA-512), read back from the SpcIndirectDataContent of the copies those
 * tools signed.
 */
#include "pe_test.h"

/* The images of the suite, with which tools signed copies of them. */
static const char *const images[] = {
	"hello.exe",
	"hello32.exe",
	"lib.dll",
	"sdboot.efi",
	"tail.efi",
};
#define NIMAGES (sizeof(images) / sizeof(images[0]))

/*
 * The SpcIndirectDataContent DER inside the (first) signature of a signed
 * fixture: the content of its PKCS#7 SignedData.
 */
static uint8_t *
signed_idc(const char *name, size_t *len)
{
	struct pe_image img;
	struct pe_err e;
	uint64_t size;
	int fd = open_fixture(name, &size);
	uint8_t *blob, *idc;
	const unsigned char *p;
	ASN1_STRING *seq;
	PKCS7 *p7;

	assert_int_equal(pe_parse(fd, size, &img, &e), 0);
	assert_true(pe_is_signed(&img));
	blob = malloc(img.cert_size);
	assert_non_null(blob);
	assert_int_equal(artifact_pread(fd, img.cert_off, blob, img.cert_size),
	    0);
	close(fd);
	p = blob + PE_WIN_CERT_HDR;
	p7 = d2i_PKCS7(NULL, &p, (long)(img.cert_size - PE_WIN_CERT_HDR));
	assert_non_null(p7);
	assert_true(PKCS7_type_is_signed(p7));
	seq = p7->d.sign->contents->d.other->value.sequence;
	*len = (size_t)ASN1_STRING_length(seq);
	idc = malloc(*len);
	assert_non_null(idc);
	memcpy(idc, ASN1_STRING_get0_data(seq), *len);
	PKCS7_free(p7);
	free(blob);
	return idc;
}

/*
 * Our digest of image equals the one the other tool put in signed: the
 * DigestInfo's OCTET STRING ends the SpcIndirectDataContent.
 */
static void
check_digest_against(const char *image, const char *signed_copy, int digest)
{
	uint8_t md[DIGEST_MAX];
	size_t mdlen, idclen;
	uint8_t *idc;

	our_digest(image, digest, md, &mdlen);
	idc = signed_idc(signed_copy, &idclen);
	assert_true(idclen > mdlen + 2);
	assert_int_equal(idc[idclen - mdlen - 2], V_ASN1_OCTET_STRING);
	assert_int_equal(idc[idclen - mdlen - 1], mdlen);
	if (memcmp(idc + idclen - mdlen, md, mdlen) != 0)
		fail_msg("%s: digest differs from %s's", image, signed_copy);
	/* The signed copy hashes the same: its table is left out. */
	our_digest(signed_copy, digest, md, &mdlen);
	assert_memory_equal(idc + idclen - mdlen, md, mdlen);
	free(idc);
}

/* ---- digest ---- */

static void
test_digest_sha256_matches_sbsign(void **state)
{
	char copy[64];

	(void)state;
	NEED_IMAGES();
	for (size_t i = 0; i < NIMAGES; i++) {
		snprintf(copy, sizeof(copy), "%s.sb", images[i]);
		check_digest_against(images[i], copy, DIG_SHA256);
	}
}

static void
test_digest_sha384_sha512_match_osslsigncode(void **state)
{
	char copy[64];

	(void)state;
	NEED_IMAGES();
	for (size_t i = 0; i < NIMAGES; i++) {
		snprintf(copy, sizeof(copy), "%s.o384", images[i]);
		check_digest_against(images[i], copy, DIG_SHA384);
		snprintf(copy, sizeof(copy), "%s.o512", images[i]);
		check_digest_against(images[i], copy, DIG_SHA512);
	}
}

static void
test_parse_reads_pe32_and_pe32plus(void **state)
{
	struct pe_image img;
	struct pe_err e;
	uint64_t size;
	int fd;

	(void)state;
	NEED_IMAGES();
	fd = open_fixture("hello.exe", &size);
	assert_int_equal(pe_parse(fd, size, &img, &e), 0);
	close(fd);
	assert_int_equal(img.magic, 0x20b);
	assert_int_equal(img.certdir_off, img.lfanew + 24 + 144);
	assert_false(pe_is_signed(&img));
	assert_int_equal(img.data_end, size);
	fd = open_fixture("hello32.exe", &size);
	assert_int_equal(pe_parse(fd, size, &img, &e), 0);
	close(fd);
	assert_int_equal(img.magic, 0x10b);
	assert_int_equal(img.certdir_off, img.lfanew + 24 + 128);
	assert_int_equal(img.checksum_off, img.lfanew + 24 + 64);
	fd = open_fixture("tail.efi", &size);
	assert_int_equal(pe_parse(fd, size, &img, &e), 0);
	close(fd);
	assert_true(img.sections_end < size);
	assert_int_equal(pe_padded_end(&img) % 8, 0);
	assert_true(pe_padded_end(&img) > size);
	fd = open_fixture("tail.efi.sb", &size);
	assert_int_equal(pe_parse(fd, size, &img, &e), 0);
	close(fd);
	assert_true(pe_is_signed(&img));
	assert_int_equal(img.cert_entries, 1);
	assert_int_equal(img.cert_off + img.cert_size, size);
}

/* ---- SpcIndirectDataContent ---- */

static void
test_idc_is_byte_identical_to_sbsign(void **state)
{
	uint8_t md[DIGEST_MAX], *ours;
	size_t mdlen, theirs_len, ours_len;
	uint8_t *theirs;

	(void)state;
	NEED_IMAGES();
	our_digest("sdboot.efi", DIG_SHA256, md, &mdlen);
	theirs = signed_idc("sdboot.efi.sb", &theirs_len);
	assert_int_equal(authenticode_idc(DIG_SHA256, md, mdlen, &ours,
			     &ours_len),
	    0);
	assert_int_equal(ours_len, theirs_len);
	assert_memory_equal(ours, theirs, ours_len);
	OPENSSL_free(ours);
	free(theirs);
}

/* ---- checksum ---- */

/* The word-at-a-time checksum, as the PE specification states it. */
static uint64_t
csum_reference(uint64_t off, const uint8_t *p, size_t len)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += (off + i) & 1 ? (uint64_t)p[i] << 8 : p[i];
	return sum;
}

/* The eight-bytes-at-a-time sum equals the reference at any alignment. */
static void
test_checksum_sum_matches_the_reference(void **state)
{
	static uint8_t buf[300000];
	struct pe_csum cs;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 2654435761u >> 13);
	for (size_t k = 0; k < 40; k++) {
		uint64_t off = k % 3, len = sizeof(buf) - k * 7001;

		cs.sum = 0;
		pe_csum_add(&cs, off, buf + k, len);
		assert_int_equal(pe_csum_final(&cs, 0),
		    pe_csum_final(&(struct pe_csum){ csum_reference(off,
				      buf + k, len) },
			0));
	}
}

static void
test_checksum_matches_linkers_and_signers(void **state)
{
	char copy[64];

	(void)state;
	NEED_IMAGES();
	/* mingw's ld, the systemd build, sbsign and osslsigncode. */
	for (size_t i = 0; i < NIMAGES; i++) {
		if (strcmp(images[i], "tail.efi") != 0)
			check_stored_checksum(images[i]);
		snprintf(copy, sizeof(copy), "%s.sb", images[i]);
		check_stored_checksum(copy);
		snprintf(copy, sizeof(copy), "%s.o384", images[i]);
		check_stored_checksum(copy);
	}
}

static void
test_checksum_sums_words_with_carry(void **state)
{
	static const uint8_t b[] = { 0xff, 0xff, 0x01, 0x00, 0x34, 0x12, 0x7 };
	struct pe_csum whole = { 0 }, split = { 0 };

	(void)state;
	/* 0xffff + 0x0001 = 0x10000 -> 0x0001; + 0x1234 + 0x0007 */
	pe_csum_add(&whole, 0, b, sizeof(b));
	assert_int_equal(pe_csum_final(&whole, 0), 0x123c);
	assert_int_equal(pe_csum_final(&whole, sizeof(b)), 0x123c + 7);
	/* Any split, any order, as long as offsets are right. */
	pe_csum_add(&split, 5, b + 5, 2);
	pe_csum_add(&split, 1, b + 1, 3);
	pe_csum_add(&split, 0, b, 1);
	pe_csum_add(&split, 4, b + 4, 1);
	assert_int_equal(pe_csum_final(&split, 7), pe_csum_final(&whole, 7));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksum_sum_matches_the_reference),
		cmocka_unit_test(test_digest_sha256_matches_sbsign),
		cmocka_unit_test(test_digest_sha384_sha512_match_osslsigncode),
		cmocka_unit_test(test_parse_reads_pe32_and_pe32plus),
		cmocka_unit_test(test_idc_is_byte_identical_to_sbsign),
		cmocka_unit_test(test_checksum_matches_linkers_and_signers),
		cmocka_unit_test(test_checksum_sums_words_with_carry),
	};

	return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
