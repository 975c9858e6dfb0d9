/*
 * test_frame_refuse.c: the client frame codec (proto/frame.c) refuses
 * malformed frames, and its getters and builder keep their bounds.
 */
#include "frame_test.h"

/* What frame_decode() says of a T_KEY that is no key name. */
#define KEY_NAME_ERR "key name empty, too long or not of A-Z a-z 0-9 . _ -"

/* A reply body of exactly total bytes: status, message, signature. */
static void
raw_reply_of_size(struct buf *b, size_t total)
{
	/* type 2 + status 10 + message 6+40 + signature header 6 */
	const size_t fixed = 2 + 10 + 46 + 6;

	raw_begin(b, F_REPLY);
	raw_u32(b, T_STATUS, ST_OK);
	raw_fill(b, T_MESSAGE, 40, 'm');
	raw_fill(b, T_SIGNATURE, total - fixed, 's');
	assert_int_equal(b->len, total);
}

/* ---- rejections ---- */

static void
test_truncated_type_is_refused(void **state)
{
	static const uint8_t one[] = { 0 };
	const char *err = NULL;

	(void)state;
	assert_int_equal(frame_decode(one, 0, &fr, &err), -1);
	assert_string_equal(err, "frame too short");
	err = NULL;
	assert_int_equal(frame_decode(one, 1, &fr, &err), -1);
	assert_string_equal(err, "frame too short");
}

static void
test_unknown_frame_types_are_refused(void **state)
{
	struct buf b;

	(void)state;
	raw_begin(&b, 0);
	reject(&b, "unknown frame type");
	raw_begin(&b, F_TYPE_COUNT);
	reject(&b, "unknown frame type");
	raw_begin(&b, 0x7777);
	reject(&b, "unknown frame type");
}

/* Every cut inside a TLV header (1 to 5 of its 6 bytes). */
static void
test_truncated_tlv_header_is_refused(void **state)
{
	static const uint8_t hdr[6] = { 0, T_VERSION, 0, 0, 0, 4 };
	struct buf b;

	(void)state;
	for (size_t n = 1; n < sizeof(hdr); n++) {
		raw_begin(&b, F_HELLO);
		assert_int_equal(buf_put(&b, hdr, n), 0);
		reject(&b, "truncated field header");
	}
	/* The same after a complete first field. */
	raw_begin(&b, F_HELLO);
	raw_u32(&b, T_VERSION, 1);
	assert_int_equal(buf_put(&b, hdr, 3), 0);
	reject(&b, "truncated field header");
}

static void
test_tlv_length_past_the_end_is_refused(void **state)
{
	struct buf b;

	(void)state;
	raw_begin(&b, F_CERT);
	raw_tlv(&b, T_KEY, 10, "abc", 3);
	reject(&b, "field runs past the end of the frame");
	raw_begin(&b, F_CERT);
	raw_tlv(&b, T_KEY, 0xffffffffu, "abc", 3);
	reject(&b, "field runs past the end of the frame");
	raw_begin(&b, F_HELLO);
	raw_tlv(&b, T_VERSION, 4, "\0\0\0", 3);
	reject(&b, "field runs past the end of the frame");
}

static void
test_unknown_tags_are_refused(void **state)
{
	static const uint16_t tags[] = { 0, T_TAG_COUNT, 0xffff };
	struct buf b;

	(void)state;
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		raw_begin(&b, F_REPLY);
		raw_u32(&b, T_STATUS, 0);
		raw_str(&b, T_MESSAGE, "");
		raw_str(&b, tags[i], "x");
		reject(&b, "unknown field tag");
	}
}

static void
test_tag_not_allowed_for_the_type_is_refused(void **state)
{
	struct buf b;

	(void)state;
	raw_begin(&b, F_HELLO);
	raw_u32(&b, T_VERSION, 1);
	raw_str(&b, T_KEY, "k");
	reject(&b, "field not allowed in this frame type");
	raw_begin(&b, F_KEYS);
	raw_str(&b, T_KEY, "k");
	reject(&b, "field not allowed in this frame type");
	raw_begin(&b, F_CERT);
	raw_str(&b, T_KEY, "k");
	raw_str(&b, T_FORMAT, "raw");
	reject(&b, "field not allowed in this frame type");
	raw_begin(&b, F_SIGN);
	raw_str(&b, T_KEY, "k");
	raw_str(&b, T_FORMAT, "raw");
	raw_u32(&b, T_STATUS, 0);
	reject(&b, "field not allowed in this frame type");
}

static void
test_test_syscall_tag_is_refused_outside_test_builds(void **state)
{
	struct buf b;

	(void)state;
	raw_begin(&b, F_SIGN);
	raw_str(&b, T_KEY, "x");
	raw_str(&b, T_FORMAT, "raw");
	raw_str(&b, T_TEST_SYSCALL, "ptrace");
	reject(&b, "field not allowed in this frame type");
	raw_begin(&b, F_REPLY);
	raw_u32(&b, T_STATUS, 0);
	raw_str(&b, T_MESSAGE, "");
	raw_str(&b, T_TEST_SYSCALL, "ptrace");
	reject(&b, "field not allowed in this frame type");
}

static void
test_repeated_tags_are_refused_where_not_allowed(void **state)
{
	struct buf b;

	(void)state;
	raw_begin(&b, F_HELLO);
	raw_u32(&b, T_VERSION, 1);
	raw_u32(&b, T_VERSION, 1);
	reject(&b, "repeated field");
	raw_begin(&b, F_SIGN);
	raw_str(&b, T_KEY, "a");
	raw_str(&b, T_FORMAT, "raw");
	raw_str(&b, T_KEY, "b");
	reject(&b, "repeated field");
	raw_begin(&b, F_REPLY);
	raw_u32(&b, T_STATUS, 0);
	raw_u32(&b, T_STATUS, 1);
	raw_str(&b, T_MESSAGE, "");
	reject(&b, "repeated field");
	raw_begin(&b, F_REPLY);
	raw_u32(&b, T_STATUS, 0);
	raw_str(&b, T_MESSAGE, "");
	raw_u32(&b, T_UID, 1);
	raw_u32(&b, T_UID, 2);
	reject(&b, "repeated field");
}

static void
test_missing_required_tags_are_refused(void **state)
{
	struct buf b;

	(void)state;
	raw_begin(&b, F_HELLO);
	reject(&b, "required field missing");
	raw_begin(&b, F_SIGN);
	raw_str(&b, T_KEY, "k");
	reject(&b, "required field missing");
	raw_begin(&b, F_SIGN);
	raw_str(&b, T_FORMAT, "raw");
	raw_str(&b, T_NAME, "a.out");
	reject(&b, "required field missing");
	raw_begin(&b, F_CERT);
	reject(&b, "required field missing");
	raw_begin(&b, F_REPLY);
	raw_u32(&b, T_STATUS, 0);
	reject(&b, "required field missing");
	raw_begin(&b, F_REPLY);
	raw_str(&b, T_MESSAGE, "m");
	reject(&b, "required field missing");
}

static void
test_integer_fields_of_wrong_size_are_refused(void **state)
{
	static const uint8_t z[8] = { 0 };
	static const uint32_t bad32[] = { 0, 3, 5, 8 };
	struct buf b;

	(void)state;
	for (size_t i = 0; i < sizeof(bad32) / sizeof(bad32[0]); i++) {
		raw_begin(&b, F_HELLO);
		raw_tlv(&b, T_VERSION, bad32[i], z, bad32[i]);
		reject(&b, "integer field of wrong size");
	}
	raw_begin(&b, F_SIGN);
	raw_str(&b, T_KEY, "k");
	raw_str(&b, T_FORMAT, "raw");
	raw_tlv(&b, T_FLAGS, 2, z, 2);
	reject(&b, "integer field of wrong size");
	raw_begin(&b, F_REPLY);
	raw_u32(&b, T_STATUS, 0);
	raw_str(&b, T_MESSAGE, "");
	raw_tlv(&b, T_SIZE, 4, z, 4);
	reject(&b, "integer field of wrong size");
}

static void
test_string_with_nul_is_refused(void **state)
{
	struct buf b;

	(void)state;
	raw_begin(&b, F_SIGN);
	raw_str(&b, T_KEY, "k");
	raw_str(&b, T_FORMAT, "raw");
	raw_tlv(&b, T_NAME, 3, "a\0b", 3);
	reject(&b, "string field too long or with NUL");
	raw_begin(&b, F_CERT);
	raw_tlv(&b, T_KEY, 2, "a\0", 2);
	reject(&b, KEY_NAME_ERR);
	raw_begin(&b, F_REPLY);
	raw_u32(&b, T_STATUS, 0);
	raw_tlv(&b, T_MESSAGE, 1, "\0", 1);
	reject(&b, "string field too long or with NUL");
}

static void
test_string_over_its_max_is_refused(void **state)
{
	struct buf b;

	(void)state;
	raw_begin(&b, F_CERT);
	raw_fill(&b, T_KEY, KEY_NAME_MAX, 'k');
	accept_ok(&b);
	raw_begin(&b, F_CERT);
	raw_fill(&b, T_KEY, KEY_NAME_MAX + 1, 'k');
	reject(&b, KEY_NAME_ERR);
	raw_begin(&b, F_SIGN);
	raw_str(&b, T_KEY, "k");
	raw_fill(&b, T_FORMAT, 17, 'f');
	reject(&b, "string field too long or with NUL");
	raw_begin(&b, F_SIGN);
	raw_str(&b, T_KEY, "k");
	raw_str(&b, T_FORMAT, "raw");
	raw_fill(&b, T_NAME, ARTIFACT_NAME_MAX + 1, 'n');
	reject(&b, "string field too long or with NUL");
	raw_begin(&b, F_REPLY);
	raw_u32(&b, T_STATUS, 0);
	raw_fill(&b, T_MESSAGE, 1025, 'm');
	reject(&b, "string field too long or with NUL");
}

/*
 * Key names are limited at the decoder to what csignd.conf(5) allows in
 * one, so that no byte of a name can start a new log line, move a
 * terminal's cursor or look like another key: every frame type that
 * carries T_KEY refuses the rest as a bad request.
 */
static void
test_key_names_are_limited_to_config_characters(void **state)
{
	static const char *const bad[] = {
		"",
		"a\nb",
		"rsa\r",
		"a b",
		"\x1b[31mred",
		"key\t",
		"caf\xc3\xa9",
		"a/b",
		"a:b",
		"a;b",
		"a\\b",
		"\x7f",
		"\xe2\x80\xae",
		"k=v",
		"\"q\"",
	};
	static const uint16_t types[] = { F_SIGN, F_CERT, F_ADMIN, F_REPLY };
	struct buf b;

	(void)state;
	assert_true(key_name_valid("rsa-2048_v1.0", 13));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(key_name_valid(bad[i], strlen(bad[i])));
		for (size_t j = 0; j < sizeof(types) / sizeof(types[0]); j++) {
			raw_begin(&b, types[j]);
			if (types[j] == F_REPLY) {
				raw_u32(&b, T_STATUS, 0);
				raw_str(&b, T_MESSAGE, "ok");
			}
			raw_str(&b, T_KEY, bad[i]);
			if (types[j] == F_SIGN)
				raw_str(&b, T_FORMAT, "raw");
			if (types[j] == F_ADMIN)
				raw_u32(&b, T_FLAGS, ADMIN_DISABLE_KEY);
			reject(&b, KEY_NAME_ERR);
		}
	}
	raw_begin(&b, F_SIGN);
	raw_str(&b, T_KEY, "Release.Key_2026-a");
	raw_str(&b, T_FORMAT, "raw");
	accept_ok(&b);
	raw_begin(&b, F_CERT);
	raw_fill(&b, T_KEY, KEY_NAME_MAX, 'k');
	accept_ok(&b);
}

static void
test_byte_field_over_its_max_is_refused(void **state)
{
	struct buf b;

	(void)state;
	raw_begin(&b, F_REPLY);
	raw_u32(&b, T_STATUS, 0);
	raw_str(&b, T_MESSAGE, "");
	raw_fill(&b, T_ADIGEST, DIGEST_MAX + 1, 0);
	reject(&b, "byte field too long");
}

static void
test_frame_of_frame_max_is_taken_and_one_more_refused(void **state)
{
	struct buf b;

	(void)state;
	raw_reply_of_size(&b, FRAME_MAX);
	accept_ok(&b);
	raw_reply_of_size(&b, FRAME_MAX + 1);
	reject(&b, "frame too large");
}

/* Status, message and n - 2 empty keys: n fields in all. */
static void
raw_reply_with_fields(struct buf *b, size_t n)
{
	raw_begin(b, F_REPLY);
	raw_u32(b, T_STATUS, 0);
	raw_str(b, T_MESSAGE, "");
	for (size_t i = 2; i < n; i++)
		raw_str(b, T_KEY, "k");
}

static void
test_more_than_frame_max_tlv_fields_is_refused(void **state)
{
	struct buf b;

	(void)state;
	raw_reply_with_fields(&b, FRAME_MAX_TLV);
	accept_ok(&b);
	assert_int_equal(fr.ntlv, FRAME_MAX_TLV);
	raw_reply_with_fields(&b, FRAME_MAX_TLV + 1);
	reject(&b, "too many fields");
}

/* ---- encoder limits and getters ---- */

static void
test_finish_refuses_a_frame_over_frame_max(void **state)
{
	const size_t fixed = 4 + 2 + 6; /* length, type, TLV header */
	uint8_t *big;
	struct buf b;

	(void)state;
	assert_non_null(big = calloc(1, FRAME_MAX));
	buf_init(&b, RAW_MAX); /* frame_begin keeps a larger max */
	assert_int_equal(frame_begin(&b, F_REPLY), 0);
	assert_int_equal(frame_add_bytes(&b, T_SIGNATURE, big,
			     FRAME_MAX + 4 - fixed),
	    0);
	assert_int_equal(frame_finish(&b), 0);
	assert_int_equal(frame_begin(&b, F_REPLY), 0);
	assert_int_equal(frame_add_bytes(&b, T_SIGNATURE, big,
			     FRAME_MAX + 5 - fixed),
	    0);
	assert_int_equal(frame_finish(&b), -1);
	buf_free(&b);
	free(big);
}

/* frame_begin gives a buffer room for FRAME_MAX and no more. */
static void
test_default_frame_buffer_cannot_grow_past_frame_max(void **state)
{
	uint8_t *big;
	struct buf b;

	(void)state;
	assert_non_null(big = calloc(1, FRAME_MAX));
	buf_init(&b, 0);
	assert_int_equal(frame_begin(&b, F_REPLY), 0);
	assert_int_equal(frame_add_bytes(&b, T_SIGNATURE, big, FRAME_MAX), -1);
	assert_int_equal(frame_begin(&b, F_REPLY), 0);
	assert_int_equal(frame_add_bytes(&b, T_SIGNATURE, big, FRAME_MAX - 8),
	    0);
	assert_int_equal(b.len, FRAME_MAX + 4);
	assert_int_equal(frame_add_u32(&b, T_STATUS, 0), -1);
	assert_int_equal(frame_finish(&b), 0);
	buf_free(&b);
	free(big);
}

static void
test_finish_refuses_a_buffer_without_a_type(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(buf_put_u32(&b, 0), 0);
	assert_int_equal(frame_finish(&b), -1);
	buf_free(&b);
}

static void
test_get_str_fails_when_dst_is_too_small(void **state)
{
	const char *err = NULL;
	char dst[8];
	struct buf b;

	(void)state;
	raw_begin(&b, F_CERT);
	raw_str(&b, T_KEY, "abcd");
	assert_int_equal(frame_decode(b.data, b.len, &fr, &err), 0);
	memset(dst, 'x', sizeof(dst));
	assert_int_equal(frame_get_str(&fr, T_KEY, dst, 4), -1);
	assert_int_equal(frame_get_str(&fr, T_KEY, dst, 0), -1);
	assert_int_equal(frame_get_str(&fr, T_KEY, dst, 5), 0);
	assert_string_equal(dst, "abcd");
	assert_int_equal(frame_get_str(&fr, T_FORMAT, dst, sizeof(dst)), -1);
	buf_free(&b);
}

static void
test_integer_getters_check_presence_and_size(void **state)
{
	const char *err = NULL;
	uint32_t v32 = 0;
	uint64_t v64 = 0;
	struct buf b;

	(void)state;
	raw_begin(&b, F_REPLY);
	raw_u32(&b, T_STATUS, 5);
	raw_str(&b, T_MESSAGE, "abcd");
	assert_int_equal(frame_decode(b.data, b.len, &fr, &err), 0);
	assert_int_equal(frame_get_u32(&fr, T_STATUS, &v32), 0);
	assert_int_equal(v32, 5);
	assert_int_equal(frame_get_u32(&fr, T_UID, &v32), -1);
	assert_int_equal(frame_get_u64(&fr, T_SIZE, &v64), -1);
	/* A 4-byte string is not a u32 to a u64 getter. */
	assert_int_equal(frame_get_u64(&fr, T_MESSAGE, &v64), -1);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_truncated_type_is_refused),
		cmocka_unit_test(test_unknown_frame_types_are_refused),
		cmocka_unit_test(test_truncated_tlv_header_is_refused),
		cmocka_unit_test(test_tlv_length_past_the_end_is_refused),
		cmocka_unit_test(test_unknown_tags_are_refused),
		cmocka_unit_test(test_tag_not_allowed_for_the_type_is_refused),
		cmocka_unit_test(
		    test_test_syscall_tag_is_refused_outside_test_builds),
		cmocka_unit_test(
		    test_repeated_tags_are_refused_where_not_allowed),
		cmocka_unit_test(test_missing_required_tags_are_refused),
		cmocka_unit_test(test_integer_fields_of_wrong_size_are_refused),
		cmocka_unit_test(test_string_with_nul_is_refused),
		cmocka_unit_test(test_string_over_its_max_is_refused),
		cmocka_unit_test(
		    test_key_names_are_limited_to_config_characters),
		cmocka_unit_test(test_byte_field_over_its_max_is_refused),
		cmocka_unit_test(
		    test_frame_of_frame_max_is_taken_and_one_more_refused),
		cmocka_unit_test(
		    test_more_than_frame_max_tlv_fields_is_refused),
		cmocka_unit_test(test_finish_refuses_a_frame_over_frame_max),
		cmocka_unit_test(
		    test_default_frame_buffer_cannot_grow_past_frame_max),
		cmocka_unit_test(test_finish_refuses_a_buffer_without_a_type),
		cmocka_unit_test(test_get_str_fails_when_dst_is_too_small),
		cmocka_unit_test(test_integer_getters_check_presence_and_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
