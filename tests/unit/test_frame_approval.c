/*
 * test_frame_approval.c: the approval frames of the client frame codec
 * (proto/frame.c).
 */
#include "frame_test.h"

/* ---- approval frames ---- */

/* Append a well-formed u64 TLV. */
static void
raw_u64(struct buf *b, uint16_t tag, uint64_t v)
{
	uint8_t x[8];

	for (int i = 0; i < 8; i++)
		x[i] = (uint8_t)(v >> (56 - 8 * i));
	raw_tlv(b, tag, 8, x, 8);
}

static void
test_approve_deny_wait_round_trip_the_id(void **state)
{
	static const uint16_t types[] = { F_APPROVE, F_DENY, F_WAIT };
	char msg[64];
	uint64_t id;
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		assert_int_equal(frame_begin(&b, types[i]), 0);
		assert_int_equal(frame_add_u64(&b, T_ID, 0x1122334455667788ull),
		    0);
		if (types[i] != F_WAIT)
			assert_int_equal(frame_add_str(&b, T_MESSAGE,
					     "checked"),
			    0);
		assert_int_equal(frame_finish(&b), 0);
		decode_finished(&b);
		assert_int_equal(fr.type, types[i]);
		assert_int_equal(frame_get_u64(&fr, T_ID, &id), 0);
		assert_true(id == 0x1122334455667788ull);
		if (types[i] != F_WAIT) {
			assert_int_equal(frame_get_str(&fr, T_MESSAGE, msg,
					     sizeof(msg)),
			    0);
			assert_string_equal(msg, "checked");
		}
	}
	assert_string_equal(frame_type_name(F_PENDING), "pending");
	assert_string_equal(frame_type_name(F_HELD), "held");
	buf_free(&b);
}

static void
test_held_notice_round_trips(void **state)
{
	uint32_t have, need, exp;
	char group[32], user[32];
	uint64_t id;
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(frame_begin(&b, F_HELD), 0);
	assert_int_equal(frame_add_u64(&b, T_ID, 17), 0);
	assert_int_equal(frame_add_str(&b, T_GROUP, "releng"), 0);
	assert_int_equal(frame_add_u32(&b, T_COUNT, 1), 0);
	assert_int_equal(frame_add_u32(&b, T_NEEDED, 2), 0);
	assert_int_equal(frame_add_u32(&b, T_EXPIRES, 3598), 0);
	assert_int_equal(frame_add_str(&b, T_USER, "carol"), 0);
	assert_int_equal(frame_finish(&b), 0);
	decode_finished(&b);
	assert_int_equal(fr.type, F_HELD);
	assert_int_equal(frame_get_u64(&fr, T_ID, &id), 0);
	assert_int_equal(frame_get_u32(&fr, T_COUNT, &have), 0);
	assert_int_equal(frame_get_u32(&fr, T_NEEDED, &need), 0);
	assert_int_equal(frame_get_u32(&fr, T_EXPIRES, &exp), 0);
	assert_int_equal(frame_get_str(&fr, T_GROUP, group, sizeof(group)), 0);
	assert_int_equal(frame_get_str(&fr, T_USER, user, sizeof(user)), 0);
	assert_true(id == 17);
	assert_int_equal(have, 1);
	assert_int_equal(need, 2);
	assert_int_equal(exp, 3598);
	assert_string_equal(group, "releng");
	assert_string_equal(user, "carol");
	buf_free(&b);
}

/* A pending reply lists held requests: their fields repeat. */
static void
test_pending_reply_repeats_request_fields(void **state)
{
	struct buf b;

	(void)state;
	raw_begin(&b, F_REPLY);
	raw_u32(&b, T_STATUS, ST_OK);
	raw_str(&b, T_MESSAGE, "ok");
	for (int i = 1; i <= 2; i++) {
		raw_u64(&b, T_ID, (uint64_t)i);
		raw_str(&b, T_USER, "alice");
		raw_str(&b, T_KEY, "efi");
		raw_str(&b, T_FORMAT, "pe");
		raw_str(&b, T_NAME, "shim.efi");
		raw_str(&b, T_DIGEST, "sha256");
		raw_fill(&b, T_ADIGEST, 32, 0xab);
		raw_u64(&b, T_SIZE, 4096);
		raw_str(&b, T_GROUP, "releng");
		raw_u32(&b, T_AGE, 5);
		raw_u32(&b, T_COUNT, 0);
		raw_u32(&b, T_NEEDED, 2);
		raw_u32(&b, T_EXPIRES, 3595);
	}
	accept_ok(&b);
}

static void
test_approval_frames_are_checked_strictly(void **state)
{
	struct buf b;

	(void)state;
	raw_begin(&b, F_APPROVE);
	reject(&b, "required field missing");
	raw_begin(&b, F_WAIT);
	raw_u64(&b, T_ID, 1);
	raw_str(&b, T_MESSAGE, "no reason here");
	reject(&b, "field not allowed in this frame type");
	raw_begin(&b, F_DENY);
	raw_u32(&b, T_ID, 1);
	reject(&b, "integer field of wrong size");
	raw_begin(&b, F_DENY);
	raw_u64(&b, T_ID, 1);
	raw_u64(&b, T_ID, 2);
	reject(&b, "repeated field");
	raw_begin(&b, F_PENDING);
	raw_u64(&b, T_ID, 1);
	reject(&b, "field not allowed in this frame type");
	raw_begin(&b, F_HELD);
	raw_u64(&b, T_ID, 1);
	raw_str(&b, T_GROUP, "g");
	raw_u32(&b, T_COUNT, 0);
	raw_u32(&b, T_NEEDED, 1);
	reject(&b, "required field missing");
	raw_begin(&b, F_HELD);
	raw_u64(&b, T_ID, 1);
	raw_str(&b, T_GROUP, "g");
	raw_u32(&b, T_COUNT, 0);
	raw_u32(&b, T_NEEDED, 1);
	raw_u32(&b, T_EXPIRES, 60);
	raw_str(&b, T_KEY, "k");
	reject(&b, "field not allowed in this frame type");
	raw_begin(&b, F_SIGN);
	raw_str(&b, T_KEY, "k");
	raw_str(&b, T_FORMAT, "raw");
	raw_u64(&b, T_ID, 1);
	reject(&b, "field not allowed in this frame type");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_approve_deny_wait_round_trip_the_id),
		cmocka_unit_test(test_held_notice_round_trips),
		cmocka_unit_test(test_pending_reply_repeats_request_fields),
		cmocka_unit_test(test_approval_frames_are_checked_strictly),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
