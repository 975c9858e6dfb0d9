/*
 * test_msg_enums.c: child <-> monitor messages (proto/msg.c) with an
 * enumeration out of its range: refused by the codec and the channel's
 * table alike.
 */

#include "msg_test.h"

/* ---- enumerations out of range ---- */

/* Encode a keyinfo reply with the given enum fields and decode it. */
static int
keyinfo_reply_enums(uint8_t status, uint8_t kt, uint8_t pad, uint8_t dig)
{
	const struct msg_keyinfo_reply m = { .status = status,
		.message = "m",
		.keytype = kt,
		.padding = pad,
		.default_digest = dig };
	struct buf b;
	int r;

	buf_init(&b, 0);
	assert_int_equal(msg_enc_keyinfo_reply(&b, &m), 0);
	r = decode_buf(kind_of(MSG_KEYINFO_REPLY), &b);
	buf_free(&b);
	return r;
}

static void
test_keyinfo_reply_enums_out_of_range_are_refused(void **state)
{
	(void)state;
	assert_int_equal(keyinfo_reply_enums(ST_COUNT - 1, KT_EC, PAD_PSS,
			     DIG_SHA512),
	    0);
	assert_int_equal(keyinfo_reply_enums(0, KT_NONE, PAD_PKCS1, 0), 0);
	assert_int_equal(keyinfo_reply_enums(ST_COUNT, KT_RSA, 0, 0), -1);
	assert_int_equal(keyinfo_reply_enums(255, KT_RSA, 0, 0), -1);
	assert_int_equal(keyinfo_reply_enums(0, 3, 0, 0), -1);
	assert_int_equal(keyinfo_reply_enums(0, 255, 0, 0), -1);
	assert_int_equal(keyinfo_reply_enums(0, KT_RSA, 2, 0), -1);
	assert_int_equal(keyinfo_reply_enums(0, KT_RSA, 0, 3), -1);
	assert_int_equal(keyinfo_reply_enums(0, KT_RSA, 0, DIG_COUNT), -1);
}

static void
test_keyinfo_reply_timestamp_fields_out_of_range_are_refused(void **state)
{
	struct msg_keyinfo_reply m = { .status = ST_OK,
		.keytype = KT_RSA,
		.cert = cert_der,
		.certlen = sizeof(cert_der),
		.ts_mode = TS_REQUIRED,
		.ntsa = TSA_URLS_MAX };
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(msg_enc_keyinfo_reply(&b, &m), 0);
	assert_int_equal(decode_buf(kind_of(MSG_KEYINFO_REPLY), &b), 0);
	m.ts_mode = TS_REQUIRED + 1;
	assert_int_equal(msg_enc_keyinfo_reply(&b, &m), 0);
	assert_int_equal(decode_buf(kind_of(MSG_KEYINFO_REPLY), &b), -1);
	m.ts_mode = TS_OPTIONAL;
	m.ntsa = TSA_URLS_MAX + 1;
	assert_int_equal(msg_enc_keyinfo_reply(&b, &m), 0);
	assert_int_equal(decode_buf(kind_of(MSG_KEYINFO_REPLY), &b), -1);
	buf_free(&b);
}

static void
test_sign_reply_status_out_of_range_is_refused(void **state)
{
	struct msg_sign_reply *m;
	struct buf b;

	(void)state;
	assert_non_null(m = test_calloc(1, sizeof(*m)));
	buf_init(&b, 0);
	m->status = ST_COUNT - 1;
	assert_int_equal(msg_enc_sign_reply(&b, m), 0);
	assert_int_equal(decode_buf(kind_of(MSG_SIGN_REPLY), &b), 0);
	m->status = ST_COUNT;
	assert_int_equal(msg_enc_sign_reply(&b, m), 0);
	assert_int_equal(decode_buf(kind_of(MSG_SIGN_REPLY), &b), -1);
	buf_free(&b);
	test_free(m);
}

static void
test_query_what_out_of_range_is_refused(void **state)
{
	static const uint8_t bad[] = { 0, Q_STATUS + 1, 255 };
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	for (size_t i = 0; i < sizeof(bad); i++) {
		const struct msg_query m = { .what = bad[i] };

		assert_int_equal(msg_enc_query(&b, &m), 0);
		assert_int_equal(decode_buf(kind_of(MSG_QUERY), &b), -1);
	}
	buf_free(&b);
}

static void
test_log_level_out_of_range_is_refused(void **state)
{
	const struct msg_log m = { .level = 4, .text = "x" };
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(msg_enc_log(&b, &m), 0);
	assert_int_equal(decode_buf(kind_of(MSG_LOG), &b), -1);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_keyinfo_reply_enums_out_of_range_are_refused),
		cmocka_unit_test(
		    test_keyinfo_reply_timestamp_fields_out_of_range_are_refused),
		cmocka_unit_test(
		    test_sign_reply_status_out_of_range_is_refused),
		cmocka_unit_test(test_query_what_out_of_range_is_refused),
		cmocka_unit_test(test_log_level_out_of_range_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
