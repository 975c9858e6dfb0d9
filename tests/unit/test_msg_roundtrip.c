/*
 * test_msg_roundtrip.c: child <-> monitor messages (proto/msg.c) encoded
 * and decoded again field by field, and the decoder's checks that tie
 * one field to another.
 */

#include "msg_test.h"

/* ---- round trips, field by field ---- */

static void
test_empty_messages_are_the_type_alone(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	enc_done(&b);
	assert_int_equal(b.len, 2);
	assert_memory_equal(b.data, "\0\12", 2);
	buf_free(&b);
}

static void
test_session_round_trips_in_network_order(void **state)
{
	static const uint8_t want[] = { 0, MSG_SESSION, 1, 2, 3, 4, 0, 0, 0, 5,
		0, 0, 0, 6, 0, 0, 0x75, 0x30, VIA_PESIGN, 7, 8 };
	struct msg_session other = { .via = VIA_COUNT };
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	enc_session(&b);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	assert_int_equal(decode_buf(kind_of(MSG_SESSION), &b), 0);
	assert_int_equal(d_session.session_id, 0x01020304);
	assert_true(d_session.max_artifact == 0x0000000500000006ull);
	assert_int_equal(d_session.idle_timeout_ms, 30000);
	assert_int_equal(d_session.via, VIA_PESIGN);
	assert_int_equal(d_session.busy, 0x0708);
	/* A listener the loop does not have. */
	assert_int_equal(msg_enc_session(&b, &other), 0);
	assert_int_equal(decode_buf(kind_of(MSG_SESSION), &b), -1);
	buf_free(&b);
}

/* PESIGN and its reply round trip; the rc is signed. */
static void
test_pesign_messages_round_trip(void **state)
{
	struct msg_pesign_reply r = { .rc = -1, .message = "no PesignMap" };
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	enc_pesign(&b);
	assert_int_equal(decode_buf(kind_of(MSG_PESIGN), &b), 0);
	assert_int_equal(d_pesign.op, PESIGN_OP_MAP);
	assert_int_equal(d_pesign.format, FMT_PE);
	assert_string_equal(d_pesign.token, "OpenSC Card (Fedora Signer)");
	assert_string_equal(d_pesign.cert, "/CN=Fedora Secure Boot Signer");
	enc_pesign_reply(&b);
	assert_int_equal(decode_buf(kind_of(MSG_PESIGN_REPLY), &b), 0);
	assert_int_equal(d_preply.rc, 0);
	assert_string_equal(d_preply.key, "efi.2026");
	assert_int_equal(msg_enc_pesign_reply(&b, &r), 0);
	assert_int_equal(decode_buf(kind_of(MSG_PESIGN_REPLY), &b), 0);
	assert_int_equal(d_preply.rc, -1);
	assert_string_equal(d_preply.message, "no PesignMap");
	assert_string_equal(d_preply.key, "");
	buf_free(&b);
}

static void
test_keyinfo_round_trips(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	enc_keyinfo(&b);
	assert_int_equal(decode_buf(kind_of(MSG_KEYINFO), &b), 0);
	assert_string_equal(d_keyinfo.key, "release-key");
	assert_int_equal(d_keyinfo.format, FMT_CMS);
	assert_string_equal(d_keyinfo.name, "vmlinuz");
	buf_free(&b);
}

static void
test_keyinfo_reply_round_trips(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	enc_keyinfo_reply(&b);
	assert_int_equal(decode_buf(kind_of(MSG_KEYINFO_REPLY), &b), 0);
	assert_int_equal(d_kreply.status, ST_OK);
	assert_string_equal(d_kreply.message, "granted");
	assert_int_equal(d_kreply.keytype, KT_RSA);
	assert_int_equal(d_kreply.padding, PAD_PSS);
	assert_int_equal(d_kreply.default_digest, DIG_SHA384);
	assert_int_equal(d_kreply.formats, FMT_BIT(FMT_RAW) | FMT_BIT(FMT_CMS));
	assert_int_equal(d_kreply.digests,
	    DIG_BIT(DIG_SHA256) | DIG_BIT(DIG_SHA384));
	assert_int_equal(d_kreply.certlen, sizeof(cert_der));
	assert_memory_equal(d_kreply.cert, cert_der, sizeof(cert_der));
	assert_int_equal(d_kreply.ts_mode, TS_REQUIRED);
	assert_int_equal(d_kreply.ntsa, 2);
	assert_int_equal(d_kreply.pgp_created, 1767225600);
	assert_string_equal(d_kreply.pgp_uid, "Name <mail@example.org>");
	assert_int_equal(d_kreply.approval, 1);
	/* The certificate is a reference into the message. */
	assert_true(d_kreply.cert > b.data &&
	    d_kreply.chain + d_kreply.chainlen + 2 + 4 + 4 + 23 + 1 ==
		b.data + b.len);
	buf_free(&b);
}

static void
test_tsa_messages_round_trip(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	enc_tsa_reply(&b);
	assert_int_equal(decode_buf(kind_of(MSG_TSA_REPLY), &b), 0);
	assert_int_equal(d_tsa_reply.status, ST_OK);
	assert_string_equal(d_tsa_reply.url, "http://127.0.0.1:3180/tsa");
	assert_string_equal(d_tsa_reply.hostport, "127.0.0.1:3180");
	assert_string_equal(d_tsa_reply.path, "/tsa");
	assert_int_equal(d_tsa_reply.timeout_ms, 10000);
	assert_int_equal(d_tsa_reply.now, 1767225600);
	assert_int_equal(d_tsa_reply.max_skew, 300);
	assert_int_equal(d_tsa_reply.anchorslen, 5);
	assert_int_equal(d_tsa_reply.anchors[0], 0x30);
	buf_reset(&b);
	enc_tsa_done(&b);
	assert_int_equal(decode_buf(kind_of(MSG_TSA_DONE), &b), 0);
	assert_int_equal(d_tsa_done.status, ST_UNAVAILABLE);
	assert_int_equal(d_tsa_done.index, 1);
	assert_string_equal(d_tsa_done.gentime, "");
	assert_string_equal(d_tsa_done.message,
	    "http://127.0.0.1:3180/tsa: wrong nonce");
	buf_reset(&b);
	enc_tsa_open(&b);
	assert_int_equal(decode_buf(kind_of(MSG_TSA_OPEN), &b), 0);
	assert_int_equal(d_tsa_open.index, 1);
	/* A status out of range is refused. */
	buf_reset(&b);
	enc_tsa_reply(&b);
	b.data[2] = ST_COUNT;
	assert_int_equal(decode_buf(kind_of(MSG_TSA_REPLY), &b), -1);
	/* A socket comes with anchors, and anchors only with a socket. */
	{
		struct msg_tsa_reply m = { .status = ST_OK };

		buf_reset(&b);
		assert_int_equal(msg_enc_tsa_reply(&b, &m), 0);
		assert_int_equal(decode_buf(kind_of(MSG_TSA_REPLY), &b), -1);
		m.status = ST_UNAVAILABLE;
		m.anchors = (const uint8_t *)"x";
		m.anchorslen = 1;
		buf_reset(&b);
		assert_int_equal(msg_enc_tsa_reply(&b, &m), 0);
		assert_int_equal(decode_buf(kind_of(MSG_TSA_REPLY), &b), -1);
	}
	buf_free(&b);
}

static void
test_keyinfo_reply_without_certificate_round_trips(void **state)
{
	const struct msg_keyinfo_reply m = { .status = ST_DENIED,
		.message = "not granted" };
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(msg_enc_keyinfo_reply(&b, &m), 0);
	assert_int_equal(decode_buf(kind_of(MSG_KEYINFO_REPLY), &b), 0);
	assert_int_equal(d_kreply.status, ST_DENIED);
	assert_string_equal(d_kreply.message, "not granted");
	assert_int_equal(d_kreply.certlen, 0);
	buf_free(&b);
}

static void
test_sign_round_trips(void **state)
{
	uint8_t aa[32], bb[32];
	struct buf b;

	(void)state;
	memset(aa, 0xaa, sizeof(aa));
	memset(bb, 0xbb, sizeof(bb));
	buf_init(&b, 0);
	enc_sign(&b);
	assert_int_equal(decode_buf(kind_of(MSG_SIGN), &b), 0);
	assert_int_equal(d_sign.reqid, 42);
	assert_string_equal(d_sign.key, "k1");
	assert_int_equal(d_sign.format, FMT_CMS);
	assert_int_equal(d_sign.digest, DIG_SHA256);
	assert_int_equal(d_sign.tbslen, 32);
	assert_memory_equal(d_sign.tbs, aa, 32);
	assert_int_equal(d_sign.adigestlen, 32);
	assert_memory_equal(d_sign.adigest, bb, 32);
	assert_string_equal(d_sign.name, "vmlinuz");
	assert_true(d_sign.size == 123456789);
	assert_int_equal(d_sign.flags, MSG_SIGN_F_NOWAIT);
	buf_free(&b);
}

static void
test_sign_unknown_flag_is_refused(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	enc_sign(&b);
	b.data[b.len - 1] = 0x04;
	assert_int_equal(decode_buf(kind_of(MSG_SIGN), &b), -1);
	/* Pipelined, but not with --no-wait (which may be held). */
	b.data[b.len - 1] = MSG_SIGN_F_PIPELINED;
	assert_int_equal(decode_buf(kind_of(MSG_SIGN), &b), 0);
	b.data[b.len - 1] = MSG_SIGN_F_PIPELINED | MSG_SIGN_F_NOWAIT;
	assert_int_equal(decode_buf(kind_of(MSG_SIGN), &b), -1);
	buf_free(&b);
}

/* The approval flag of a key's description is 0 or 1. */
static void
test_keyinfo_reply_approval_is_a_flag(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	enc_keyinfo_reply(&b);
	b.data[b.len - 1] = 2;
	assert_int_equal(decode_buf(kind_of(MSG_KEYINFO_REPLY), &b), -1);
	b.data[b.len - 1] = 0;
	assert_int_equal(decode_buf(kind_of(MSG_KEYINFO_REPLY), &b), 0);
	assert_int_equal(d_kreply.approval, 0);
	buf_free(&b);
}

static void
test_sign_held_round_trips(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	enc_sign_held(&b);
	assert_int_equal(decode_buf(kind_of(MSG_SIGN_HELD), &b), 0);
	assert_int_equal(d_held.reqid, 7);
	assert_true(d_held.id == 0x0102030405060708ull);
	assert_string_equal(d_held.group, "releng");
	assert_int_equal(d_held.have, 1);
	assert_int_equal(d_held.need, 2);
	assert_int_equal(d_held.expires_in, 3599);
	assert_string_equal(d_held.approver, "carol");
	buf_free(&b);
}

/* Encode a held notice with these counts and id; 0 if it decodes. */
static int
held_with(uint64_t id, uint8_t have, uint8_t need)
{
	const struct msg_sign_held m = { .reqid = 1,
		.id = id,
		.group = "g",
		.have = have,
		.need = need };
	struct buf b;
	int r;

	buf_init(&b, 0);
	assert_int_equal(msg_enc_sign_held(&b, &m), 0);
	r = decode_buf(kind_of(MSG_SIGN_HELD), &b);
	buf_free(&b);
	return r;
}

static void
test_sign_held_counts_out_of_range_are_refused(void **state)
{
	(void)state;
	assert_int_equal(held_with(1, 0, 1), 0);
	assert_int_equal(held_with(1, 16, 16), 0);
	assert_int_equal(held_with(0, 0, 1), -1);
	assert_int_equal(held_with(1, 0, 0), -1);
	assert_int_equal(held_with(1, 0, 17), -1);
	assert_int_equal(held_with(1, 3, 2), -1);
}

static void
test_approval_round_trips(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	enc_approval(&b);
	assert_int_equal(decode_buf(kind_of(MSG_APPROVAL), &b), 0);
	assert_int_equal(d_appr.op, APPR_DENY);
	assert_true(d_appr.id == 17);
	assert_string_equal(d_appr.reason, "not a release build");
	buf_free(&b);
}

/* Encode an approval request; 0 if it decodes. */
static int
approval_with(uint8_t op, uint64_t id)
{
	const struct msg_approval m = { .op = op, .id = id };
	struct buf b;
	int r;

	buf_init(&b, 0);
	assert_int_equal(msg_enc_approval(&b, &m), 0);
	r = decode_buf(kind_of(MSG_APPROVAL), &b);
	buf_free(&b);
	return r;
}

static void
test_approval_op_and_id_must_agree(void **state)
{
	(void)state;
	assert_int_equal(approval_with(APPR_PENDING, 0), 0);
	assert_int_equal(approval_with(APPR_WAIT, 9), 0);
	assert_int_equal(approval_with(APPR_PENDING, 9), -1);
	assert_int_equal(approval_with(APPR_APPROVE, 0), -1);
	assert_int_equal(approval_with(0, 9), -1);
	assert_int_equal(approval_with(APPR_WAIT + 1, 9), -1);
}

static void
test_held_result_round_trips_a_frame(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	enc_held_result(&b);
	assert_int_equal(decode_buf(kind_of(MSG_HELD_RESULT), &b), 0);
	assert_true(d_result.id == 17);
	assert_true(d_result.len > 6);
	assert_int_equal(d_result.frame[5], F_REPLY);
	buf_free(&b);
}

static void
test_held_result_without_id_is_refused(void **state)
{
	static const uint8_t frame[] = { 0, 0, 0, 2, 0, F_REPLY };
	struct msg_held_result m = { .id = 0,
		.frame = frame,
		.len = sizeof(frame) };
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(msg_enc_held_result(&b, &m), 0);
	assert_int_equal(decode_buf(kind_of(MSG_HELD_RESULT), &b), -1);
	buf_free(&b);
}

static void
test_sign_reply_round_trips(void **state)
{
	uint8_t sig[256];
	struct buf b;

	(void)state;
	memset(sig, 0x5a, sizeof(sig));
	buf_init(&b, 0);
	enc_sign_reply(&b);
	assert_int_equal(decode_buf(kind_of(MSG_SIGN_REPLY), &b), 0);
	assert_int_equal(d_sreply.reqid, 42);
	assert_int_equal(d_sreply.status, ST_OK);
	assert_int_equal(d_sreply.busy, 7); /* a batch's fresh load figure */
	assert_string_equal(d_sreply.message, "signed");
	assert_int_equal(d_sreply.siglen, 256);
	assert_memory_equal(d_sreply.sig, sig, 256);
	buf_free(&b);
}

static void
test_query_round_trips_for_every_what(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	for (uint8_t w = Q_KEYS; w <= Q_STATUS; w++) {
		const struct msg_query m = { .what = w };

		assert_int_equal(msg_enc_query(&b, &m), 0);
		assert_int_equal(decode_buf(kind_of(MSG_QUERY), &b), 0);
		assert_int_equal(d_query.what, w);
	}
	buf_free(&b);
}

static void
test_query_reply_round_trips_a_frame(void **state)
{
	const char *err = NULL;
	struct frame *f;
	struct buf b;
	char msg[16];

	(void)state;
	assert_non_null(f = test_malloc(sizeof(*f)));
	buf_init(&b, 0);
	enc_query_reply(&b);
	assert_int_equal(decode_buf(kind_of(MSG_QUERY_REPLY), &b), 0);
	assert_true(d_framelen > 4);
	assert_int_equal(frame_decode(d_frame + 4, d_framelen - 4, f, &err), 0);
	assert_int_equal(frame_get_str(f, T_MESSAGE, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "alice");
	test_free(f);
	buf_free(&b);
}

static void
test_log_round_trips_for_every_level(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	for (uint8_t lv = 0; lv <= 3; lv++) {
		struct msg_log m = { .level = lv };

		snprintf(m.text, sizeof(m.text), "level %u", lv);
		assert_int_equal(msg_enc_log(&b, &m), 0);
		assert_int_equal(decode_buf(kind_of(MSG_LOG), &b), 0);
		assert_int_equal(d_log.level, lv);
		assert_string_equal(d_log.text, m.text);
	}
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_messages_are_the_type_alone),
		cmocka_unit_test(test_session_round_trips_in_network_order),
		cmocka_unit_test(test_pesign_messages_round_trip),
		cmocka_unit_test(test_keyinfo_round_trips),
		cmocka_unit_test(test_keyinfo_reply_round_trips),
		cmocka_unit_test(test_tsa_messages_round_trip),
		cmocka_unit_test(
		    test_keyinfo_reply_without_certificate_round_trips),
		cmocka_unit_test(test_sign_round_trips),
		cmocka_unit_test(test_sign_reply_round_trips),
		cmocka_unit_test(test_sign_unknown_flag_is_refused),
		cmocka_unit_test(test_keyinfo_reply_approval_is_a_flag),
		cmocka_unit_test(test_sign_held_round_trips),
		cmocka_unit_test(
		    test_sign_held_counts_out_of_range_are_refused),
		cmocka_unit_test(test_approval_round_trips),
		cmocka_unit_test(test_approval_op_and_id_must_agree),
		cmocka_unit_test(test_held_result_round_trips_a_frame),
		cmocka_unit_test(test_held_result_without_id_is_refused),
		cmocka_unit_test(test_query_round_trips_for_every_what),
		cmocka_unit_test(test_query_reply_round_trips_a_frame),
		cmocka_unit_test(test_log_round_trips_for_every_level),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
