/*
 * test_msg.c: child <-> monitor message codec (proto/msg.c) and the
 * channel's table (proto/chan.c), whose decoder must agree with the codec
 * on every input here: the properties of every message, and the table.
 * Field by field: test_msg_roundtrip.c, test_msg_bounds.c,
 * test_msg_enums.c; shared samples in msg_test.h.
 */

#include "msg_test.h"

/* ---- generic properties of every message ---- */

static void
test_every_sample_decodes(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	for (size_t i = 0; i < NKINDS; i++) {
		kinds[i].enc(&b);
		if (decode_buf(&kinds[i], &b) != 0)
			fail_msg("%s does not decode",
			    msg_type_name(kinds[i].type));
	}
	buf_free(&b);
}

/* Every proper prefix of a valid message must be refused. */
static void
test_every_truncation_is_refused(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	for (size_t i = 0; i < NKINDS; i++) {
		kinds[i].enc(&b);
		for (size_t n = 0; n < b.len; n++)
			/* The type alone is version 1's READY (msg.h). */
			if (!(kinds[i].type == MSG_READY && n == 2) &&
			    decode_as(&kinds[i], b.data, n) != -1)
				fail_msg("%s: prefix of %zu of %zu bytes "
					 "accepted",
				    msg_type_name(kinds[i].type), n, b.len);
	}
	buf_free(&b);
}

/* One byte more than a valid message must be refused, whatever it is. */
static void
test_every_trailing_byte_is_refused(void **state)
{
	static const uint8_t extra[] = { 0x00, 0x01, 0xff };
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	for (size_t i = 0; i < NKINDS; i++) {
		for (size_t e = 0; e < sizeof(extra); e++) {
			kinds[i].enc(&b);
			assert_int_equal(buf_put_u8(&b, extra[e]), 0);
			if (decode_buf(&kinds[i], &b) != -1)
				fail_msg("%s: trailing 0x%02x accepted",
				    msg_type_name(kinds[i].type), extra[e]);
		}
	}
	buf_free(&b);
}

static void
test_type_names(void **state)
{
	(void)state;
	assert_string_equal(msg_type_name(MSG_READY), "ready");
	assert_string_equal(msg_type_name(MSG_KEYINFO_REPLY), "keyinfo-reply");
	assert_string_equal(msg_type_name(MSG_DONE), "done");
	assert_string_equal(msg_type_name(0), "unknown");
	assert_string_equal(msg_type_name(MSG_TYPE_COUNT), "unknown");
}

/* ---- the table ---- */

/* Every number has its row, named, one way, with its own number. */
static void
test_the_table_has_every_message_once(void **state)
{
	const struct chan_msg *r, *o;

	(void)state;
	assert_null(chan_lookup(0));
	assert_null(chan_lookup(MSG_TYPE_COUNT));
	assert_null(chan_lookup(0xffff));
	for (unsigned t = 1; t < MSG_TYPE_COUNT; t++) {
		assert_non_null(r = chan_lookup(t));
		assert_int_equal(r->type, t);
		assert_non_null(r->decode);
		assert_string_equal(msg_type_name((int)t), r->name);
		assert_true(
		    r->dir == CHAN_TO_MONITOR || r->dir == CHAN_TO_CHILD);
		/* States say what the monitor accepts: from the child only. */
		assert_int_equal(r->states != 0, r->dir == CHAN_TO_MONITOR);
		assert_false(r->states & CH_BIT(CH_GONE));
		for (unsigned u = 1; u < t; u++) {
			assert_non_null(o = chan_lookup(u));
			assert_string_not_equal(o->name, r->name);
		}
	}
}

/* The wire numbers never move (a renumbering needs CHAN_VERSION). */
static void
test_the_numbers_are_the_wire_format(void **state)
{
	(void)state;
	assert_int_equal(MSG_READY, 1);
	assert_int_equal(MSG_SIGN, 5);
	assert_int_equal(MSG_DONE, 10);
	assert_int_equal(MSG_TSA_DONE, 14);
	assert_int_equal(MSG_HELD_RESULT, 18);
	assert_int_equal(MSG_PROGRESS, 22);
	assert_int_equal(MSG_PESIGN, 23);
	assert_int_equal(MSG_PESIGN_REPLY, 24);
	assert_int_equal(MSG_TYPE_COUNT, 25);
	assert_int_equal(CHAN_VERSION, 6);
	assert_int_equal(MSG_SIGN_F_PIPELINED, 0x2);
}

/* No message of a child may carry a descriptor; two of the monitor's do. */
static void
test_only_the_monitor_passes_descriptors(void **state)
{
	(void)state;
	for (unsigned t = 1; t < MSG_TYPE_COUNT; t++)
		if (chan_lookup(t)->flags & CHAN_F_FD)
			assert_true(t == MSG_SESSION || t == MSG_TSA_REPLY);
	assert_true(chan_lookup(MSG_READY)->flags & CHAN_F_ONCE);
	assert_true(chan_lookup(MSG_DONE)->flags & CHAN_F_ONCE);
	assert_true(chan_lookup(MSG_SIGN)->flags & CHAN_F_PERMIT);
	assert_true(chan_lookup(MSG_TSA_DONE)->flags & CHAN_F_PERMIT);
}

/* READY: version and build id round trip; version 1 is the bare type. */
static void
test_ready_carries_version_and_build(void **state)
{
	static const uint8_t v1[] = { 0, MSG_READY };
	const struct kind *k = kind_of(MSG_READY);
	struct msg_ready m = { .version = 7, .build = "1.2.3-g1234567" };
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	enc_ready(&b);
	assert_int_equal(decode_buf(k, &b), 0);
	assert_int_equal(d_ready.version, CHAN_VERSION);
	assert_string_equal(d_ready.build, "0.1.0-12-gabc123-dirty");
	assert_int_equal(msg_enc_ready(&b, &m), 0);
	assert_int_equal(decode_buf(k, &b), 0);
	assert_int_equal(d_ready.version, 7);
	assert_int_equal(decode_as(k, v1, sizeof(v1)), 0);
	assert_int_equal(d_ready.version, 1);
	assert_string_equal(d_ready.build, "");
	/* Fields that claim version 1 or 0, and odd build ids: refused. */
	m.version = 1;
	assert_int_equal(msg_enc_ready(&b, &m), 0);
	assert_int_equal(decode_buf(k, &b), -1);
	m.version = 2;
	snprintf(m.build, sizeof(m.build), "1.0 \033[2J");
	assert_int_equal(msg_enc_ready(&b, &m), 0);
	assert_int_equal(decode_buf(k, &b), -1);
	assert_string_equal(chan_build_id(), chan_build_id());
	assert_true(strncmp(chan_build_id(), CSIGN_VERSION,
			strlen(CSIGN_VERSION)) == 0);
	buf_free(&b);
}

/* SIGN's ranges are the decoder's: format, digest, both digest lengths. */
static void
test_sign_ranges_are_checked_by_the_decoder(void **state)
{
	const struct kind *k = kind_of(MSG_SIGN);
	struct msg_sign m;
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	memset(&m, 0, sizeof(m));
	snprintf(m.key, sizeof(m.key), "k1");
	m.format = FMT_RAW;
	m.digest = DIG_SHA384;
	m.tbslen = m.adigestlen = 48;
	assert_int_equal(msg_enc_sign(&b, &m), 0);
	assert_int_equal(decode_buf(k, &b), 0);
	m.format = FMT_COUNT;
	assert_int_equal(msg_enc_sign(&b, &m), 0);
	assert_int_equal(decode_buf(k, &b), -1);
	m.format = FMT_RAW;
	m.digest = DIG_COUNT;
	assert_int_equal(msg_enc_sign(&b, &m), 0);
	assert_int_equal(decode_buf(k, &b), -1);
	m.digest = DIG_SHA384;
	m.tbslen = 32;
	assert_int_equal(msg_enc_sign(&b, &m), 0);
	assert_int_equal(decode_buf(k, &b), -1);
	m.tbslen = 48;
	m.adigestlen = 64;
	assert_int_equal(msg_enc_sign(&b, &m), 0);
	assert_int_equal(decode_buf(k, &b), -1);
	buf_free(&b);
}

/* TSA_DONE names one of a key's TSAs. */
static void
test_tsa_done_index_out_of_range_is_refused(void **state)
{
	struct msg_tsa_done m = { .status = ST_OK, .index = TSA_URLS_MAX - 1 };
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(msg_enc_tsa_done(&b, &m), 0);
	assert_int_equal(decode_buf(kind_of(MSG_TSA_DONE), &b), 0);
	m.index = TSA_URLS_MAX;
	assert_int_equal(msg_enc_tsa_done(&b, &m), 0);
	assert_int_equal(decode_buf(kind_of(MSG_TSA_DONE), &b), -1);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_sample_decodes),
		cmocka_unit_test(test_every_truncation_is_refused),
		cmocka_unit_test(test_every_trailing_byte_is_refused),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_the_table_has_every_message_once),
		cmocka_unit_test(test_the_numbers_are_the_wire_format),
		cmocka_unit_test(test_only_the_monitor_passes_descriptors),
		cmocka_unit_test(test_ready_carries_version_and_build),
		cmocka_unit_test(test_sign_ranges_are_checked_by_the_decoder),
		cmocka_unit_test(test_tsa_done_index_out_of_range_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
