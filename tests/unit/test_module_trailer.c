/*
 * test_module_trailer.c: the appended-signature trailer of kernel modules
 * (sandbox/formats/elf.c): its encoding, parsing, and the finding and
 * stripping of appended signatures.
 */
#include "module_test.h"

/* The trailer sign-file wrote after a 383-byte PKCS#7 (from a real run). */
static const uint8_t trailer_383[MODSIG_TRAILER_LEN] = { 0, 0, 2, 0, 0, 0, 0, 0,
	0, 0, 0x01, 0x7f, '~', 'M', 'o', 'd', 'u', 'l', 'e', ' ', 's', 'i', 'g',
	'n', 'a', 't', 'u', 'r', 'e', ' ', 'a', 'p', 'p', 'e', 'n', 'd', 'e',
	'd', '~', '\n' };

static void
test_trailer_encoding_matches_sign_file(void **state)
{
	uint8_t out[MODSIG_TRAILER_LEN];

	(void)state;
	modsig_encode(383, out);
	assert_memory_equal(out, trailer_383, sizeof(out));
	modsig_encode(0x01020304, out);
	assert_int_equal(out[8], 1);
	assert_int_equal(out[11], 4);
}

static void
test_trailer_parse_finds_the_module_length(void **state)
{
	struct artifact_err e;
	uint64_t body = 0;

	(void)state;
	assert_int_equal(modsig_parse(trailer_383, sizeof(trailer_383), 1000,
			     &body, &e),
	    1);
	assert_int_equal(body, 1000 - 40 - 383);
	/* The smallest file the kernel accepts: one byte of module. */
	assert_int_equal(modsig_parse(trailer_383, sizeof(trailer_383),
			     40 + 383 + 1, &body, &e),
	    1);
	assert_int_equal(body, 1);
}

static void
test_trailer_absent_leaves_the_file_whole(void **state)
{
	static const uint8_t zeros[MODSIG_TRAILER_LEN];
	struct artifact_err e;
	uint64_t body = 0;

	(void)state;
	assert_int_equal(modsig_parse(zeros, sizeof(zeros), 5000, &body, &e),
	    0);
	assert_int_equal(body, 5000);
	assert_int_equal(modsig_parse(zeros, 7, 7, &body, &e), 0);
	assert_int_equal(body, 7);
	assert_int_equal(modsig_parse(zeros, 0, 0, &body, &e), 0);
}

/* modsig_parse on trailer_383 with byte i set to v must fail with want. */
static void
parse_bad(size_t i, uint8_t v, uint64_t len, const char *want)
{
	uint8_t t[MODSIG_TRAILER_LEN];
	struct artifact_err e = { "" };
	uint64_t body;

	memcpy(t, trailer_383, sizeof(t));
	t[i] = v;
	assert_int_equal(modsig_parse(t, sizeof(t), len, &body, &e), -1);
	if (strstr(e.msg, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", e.msg, want);
}

static void
test_trailer_fields_are_checked(void **state)
{
	(void)state;
	parse_bad(2, 1, 1000, "id_type 1 is not PKEY_ID_PKCS7");
	parse_bad(0, 1, 1000, "algo is 1");
	parse_bad(1, 4, 1000, "hash is 4");
	parse_bad(3, 9, 1000, "signer_len is 9");
	parse_bad(4, 20, 1000, "key_id_len is 20");
	parse_bad(7, 1, 1000, "__pad[2] is 1");
}

static void
test_trailer_length_past_the_file_is_refused(void **state)
{
	(void)state;
	/* sig_len 383 needs at least 40 + 383 + 1 bytes. */
	parse_bad(11, 0x7f, 40 + 383, "sig_len 383 exceeds the 383 bytes");
	parse_bad(8, 0xff, 1000, "sig_len 4278190463 exceeds");
	parse_bad(10, 0, 40 + 100, "sig_len 127 exceeds the 100 bytes");
}

static void
test_trailer_with_zero_length_is_refused(void **state)
{
	uint8_t t[MODSIG_TRAILER_LEN];
	struct artifact_err e = { "" };
	uint64_t body;

	(void)state;
	modsig_encode(0, t);
	assert_int_equal(modsig_parse(t, sizeof(t), 1000, &body, &e), -1);
	assert_non_null(strstr(e.msg, "sig_len is 0"));
}

static void
test_magic_in_a_file_too_short_for_the_trailer_is_refused(void **state)
{
	struct artifact_err e = { "" };
	uint64_t body;

	(void)state;
	assert_int_equal(modsig_parse((const uint8_t *)MODSIG_MAGIC,
			     MODSIG_MAGIC_LEN, MODSIG_MAGIC_LEN, &body, &e),
	    -1);
	assert_non_null(strstr(e.msg, "too short for the trailer"));
}

/* A module file: t, then n signatures of siglen bytes each. */
static int
signed_fd(const struct telf *t, int n, size_t siglen)
{
	uint8_t b[8192], tr[MODSIG_TRAILER_LEN];
	size_t len = t->len;

	memcpy(b, t->b, t->len);
	for (int i = 0; i < n; i++) {
		assert_true(len + siglen + sizeof(tr) <= sizeof(b));
		memset(b + len, 0x30, siglen);
		len += siglen;
		modsig_encode((uint32_t)siglen, tr);
		memcpy(b + len, tr, sizeof(tr));
		len += sizeof(tr);
	}
	return mem_fd(b, len);
}

static void
test_find_and_strip_remove_appended_signatures(void **state)
{
	struct artifact_err e;
	struct elf_module m;
	uint64_t body;
	struct telf t;
	int fd, n;

	(void)state;
	telf_build(&t, 1, 0);
	fd = signed_fd(&t, 1, 300);
	assert_int_equal(modsig_find(fd, t.len + 340, &body, &e), 1);
	assert_int_equal(body, t.len);
	assert_int_equal(elf_check_module(fd, body, &m, &e), 0);
	close(fd);

	fd = signed_fd(&t, 2, 200);
	assert_int_equal(modsig_find(fd, t.len + 480, &body, &e), 1);
	assert_int_equal(body, t.len + 240);
	assert_int_equal(modsig_strip(fd, t.len + 480, &body, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(body, t.len);
	close(fd);

	fd = signed_fd(&t, 0, 0);
	assert_int_equal(modsig_strip(fd, t.len, &body, &n, &e), 0);
	assert_int_equal(n, 0);
	assert_int_equal(body, t.len);
	close(fd);
}

static void
test_strip_refuses_too_many_nested_signatures(void **state)
{
	struct artifact_err e;
	uint64_t body;
	struct telf t;
	int fd, n;

	(void)state;
	telf_build(&t, 1, 0);
	fd = signed_fd(&t, MODSIG_NESTED_MAX + 1, 64);
	assert_int_equal(modsig_strip(fd, t.len + (MODSIG_NESTED_MAX + 1) * 104,
			     &body, &n, &e),
	    -1);
	assert_non_null(strstr(e.msg, "nested signatures"));
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trailer_encoding_matches_sign_file),
		cmocka_unit_test(test_trailer_parse_finds_the_module_length),
		cmocka_unit_test(test_trailer_absent_leaves_the_file_whole),
		cmocka_unit_test(test_trailer_fields_are_checked),
		cmocka_unit_test(test_trailer_length_past_the_file_is_refused),
		cmocka_unit_test(test_trailer_with_zero_length_is_refused),
		cmocka_unit_test(
		    test_magic_in_a_file_too_short_for_the_trailer_is_refused),
		cmocka_unit_test(
		    test_find_and_strip_remove_appended_signatures),
		cmocka_unit_test(test_strip_refuses_too_many_nested_signatures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
