/*
 * test_msg_bounds.c: child <-> monitor messages (proto/msg.c) whose
 * strings and byte strings go past their bounds, or hold what they may
 * not: refused by the codec and the channel's table alike.
 */

#include "msg_test.h"

/* ---- strings and byte strings past their bounds ---- */

/* Append a u32 length then n copies of c. */
static void
put_fill(struct buf *b, size_t n, int c)
{
	uint8_t *p;

	assert_int_equal(buf_put_u32(b, (uint32_t)n), 0);
	if (n > 0) {
		assert_non_null(p = buf_reserve(b, n));
		memset(p, c, n);
	}
}

static void
keyinfo_with_key_of(struct buf *b, size_t keylen)
{
	assert_int_equal(msg_begin(b, MSG_KEYINFO), 0);
	put_fill(b, keylen, 'k');
	assert_int_equal(buf_put_u8(b, FMT_NONE), 0);
	assert_int_equal(buf_put_str(b, ""), 0);
}

static void
test_upload_messages_round_trip(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	enc_upload(&b);
	assert_int_equal(decode_buf(kind_of(MSG_UPLOAD), &b), 0);
	assert_string_equal(d_upload.key, "efi.2026");
	assert_int_equal(d_upload.format, FMT_PE);
	assert_true(d_upload.size == 0x0000000100000002ull);
	assert_string_equal(d_upload.name, "shimx64.efi");
	enc_upload_reply(&b);
	assert_int_equal(decode_buf(kind_of(MSG_UPLOAD_REPLY), &b), 0);
	assert_int_equal(d_ureply.status, ST_UNAVAILABLE);
	assert_string_equal(d_ureply.message, "over MaxUploadPerUser");
	enc_progress(&b);
	assert_int_equal(decode_buf(kind_of(MSG_PROGRESS), &b), 0);
	assert_true(d_progress.bytes == 0x0000000300000004ull);
	buf_free(&b);
}

/* An upload of no format, a reply of no status, progress of nothing. */
static void
test_upload_and_progress_out_of_range_are_refused(void **state)
{
	struct msg_upload u = { .key = "k", .format = FMT_COUNT, .size = 1 };
	struct msg_upload_reply r = { .status = ST_COUNT };
	struct msg_progress p = { .bytes = 0 };
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(msg_enc_upload(&b, &u), 0);
	assert_int_equal(decode_buf(kind_of(MSG_UPLOAD), &b), -1);
	u.format = FMT_NONE;
	assert_int_equal(msg_enc_upload(&b, &u), 0);
	assert_int_equal(decode_buf(kind_of(MSG_UPLOAD), &b), -1);
	assert_int_equal(msg_enc_upload_reply(&b, &r), 0);
	assert_int_equal(decode_buf(kind_of(MSG_UPLOAD_REPLY), &b), -1);
	assert_int_equal(msg_enc_progress(&b, &p), 0);
	assert_int_equal(decode_buf(kind_of(MSG_PROGRESS), &b), -1);
	buf_free(&b);
}

/*
 * A child cannot hand the monitor a key name the client could not have
 * sent: every message that names a key refuses what key_name_valid()
 * refuses (a newline, an escape, a space, an empty name).
 */
static void
test_key_names_outside_the_config_characters_are_refused(void **state)
{
	static const char *const bad[] = { "", "a\nb", "\x1b[2J", "a b",
		"caf\xc3\xa9", "k/1" };
	struct msg_keyinfo ki = { .format = FMT_RAW };
	struct msg_sign sg = { .reqid = 1, .format = FMT_RAW };
	struct msg_admin ad = { .op = 1, .reason = "r" };
	struct msg_upload up = { .format = FMT_RAW, .size = 1 };
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(ki.key, sizeof(ki.key), "%s", bad[i]);
		snprintf(sg.key, sizeof(sg.key), "%s", bad[i]);
		snprintf(ad.key, sizeof(ad.key), "%s", bad[i]);
		snprintf(up.key, sizeof(up.key), "%s", bad[i]);
		assert_int_equal(msg_enc_keyinfo(&b, &ki), 0);
		assert_int_equal(decode_buf(kind_of(MSG_KEYINFO), &b), -1);
		assert_int_equal(msg_enc_sign(&b, &sg), 0);
		assert_int_equal(decode_buf(kind_of(MSG_SIGN), &b), -1);
		assert_int_equal(msg_enc_admin(&b, &ad), 0);
		assert_int_equal(msg_type_of(&b, &(uint16_t){ 0 }), 0);
		assert_int_equal(msg_dec_admin(&b, &d_admin), -1);
		assert_int_equal(msg_enc_upload(&b, &up), 0);
		assert_int_equal(decode_buf(kind_of(MSG_UPLOAD), &b), -1);
	}
	snprintf(ad.key, sizeof(ad.key), "release-2026.a_b");
	assert_int_equal(msg_enc_admin(&b, &ad), 0);
	assert_int_equal(msg_type_of(&b, &(uint16_t){ 0 }), 0);
	assert_int_equal(msg_dec_admin(&b, &d_admin), 0);
	buf_free(&b);
}

static void
test_keyinfo_key_over_max_is_refused(void **state)
{
	const struct kind *k = kind_of(MSG_KEYINFO);
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	keyinfo_with_key_of(&b, KEY_NAME_MAX);
	assert_int_equal(decode_buf(k, &b), 0);
	assert_int_equal(strlen(d_keyinfo.key), KEY_NAME_MAX);
	keyinfo_with_key_of(&b, KEY_NAME_MAX + 1);
	assert_int_equal(decode_buf(k, &b), -1);
	buf_free(&b);
}

static void
test_string_with_nul_is_refused(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(msg_begin(&b, MSG_KEYINFO), 0);
	assert_int_equal(buf_put_bytes(&b, "k\0y", 3), 0);
	assert_int_equal(decode_buf(kind_of(MSG_KEYINFO), &b), -1);
	assert_int_equal(msg_begin(&b, MSG_LOG), 0);
	assert_int_equal(buf_put_u8(&b, 1), 0);
	assert_int_equal(buf_put_bytes(&b, "x\0", 2), 0);
	assert_int_equal(decode_buf(kind_of(MSG_LOG), &b), -1);
	buf_free(&b);
}

/* Lengths of the variable fields of a hand-made MSG_SIGN. */
struct sign_lens {
	size_t key, tbs, adigest, name;
};

static void
sign_with_lens(struct buf *b, const struct sign_lens *l)
{
	assert_int_equal(msg_begin(b, MSG_SIGN), 0);
	assert_int_equal(buf_put_u32(b, 1), 0);
	put_fill(b, l->key, 'k');
	assert_int_equal(buf_put_u8(b, FMT_RAW), 0);
	assert_int_equal(buf_put_u8(b, DIG_SHA512), 0);
	put_fill(b, l->tbs, 0x11);
	put_fill(b, l->adigest, 0x22);
	put_fill(b, l->name, 'n');
	assert_int_equal(buf_put_u64(b, 1), 0);
	assert_int_equal(buf_put_u8(b, 0), 0); /* flags */
}

static void
test_sign_fields_over_their_max_are_refused(void **state)
{
	const struct sign_lens ok = { KEY_NAME_MAX, DIGEST_MAX, DIGEST_MAX,
		ARTIFACT_NAME_MAX };
	const struct kind *k = kind_of(MSG_SIGN);
	struct sign_lens l;
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	sign_with_lens(&b, &ok);
	assert_int_equal(decode_buf(k, &b), 0);
	assert_int_equal(d_sign.tbslen, DIGEST_MAX);
	assert_int_equal(strlen(d_sign.name), ARTIFACT_NAME_MAX);
	l = ok;
	l.key++;
	sign_with_lens(&b, &l);
	assert_int_equal(decode_buf(k, &b), -1);
	l = ok;
	l.tbs++;
	sign_with_lens(&b, &l);
	assert_int_equal(decode_buf(k, &b), -1);
	l = ok;
	l.adigest++;
	sign_with_lens(&b, &l);
	assert_int_equal(decode_buf(k, &b), -1);
	l = ok;
	l.name++;
	sign_with_lens(&b, &l);
	assert_int_equal(decode_buf(k, &b), -1);
	buf_free(&b);
}

static void
sign_reply_with_lens(struct buf *b, size_t msglen, size_t siglen)
{
	assert_int_equal(msg_begin(b, MSG_SIGN_REPLY), 0);
	assert_int_equal(buf_put_u32(b, 1), 0);
	assert_int_equal(buf_put_u8(b, ST_OK), 0);
	assert_int_equal(buf_put_u16(b, 3), 0); /* busy */
	put_fill(b, msglen, 'm');
	put_fill(b, siglen, 0x33);
}

static void
test_sign_reply_fields_over_their_max_are_refused(void **state)
{
	const struct kind *k = kind_of(MSG_SIGN_REPLY);
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	sign_reply_with_lens(&b, MESSAGE_MAX, SIG_MAX);
	assert_int_equal(decode_buf(k, &b), 0);
	assert_int_equal(d_sreply.siglen, SIG_MAX);
	sign_reply_with_lens(&b, MESSAGE_MAX, SIG_MAX + 1);
	assert_int_equal(decode_buf(k, &b), -1);
	sign_reply_with_lens(&b, MESSAGE_MAX + 1, SIG_MAX);
	assert_int_equal(decode_buf(k, &b), -1);
	buf_free(&b);
}

static void
keyinfo_reply_with_uid(struct buf *b, size_t msglen, size_t certlen,
    const char *uid, size_t uidlen)
{
	assert_int_equal(msg_begin(b, MSG_KEYINFO_REPLY), 0);
	assert_int_equal(buf_put_u8(b, ST_OK), 0);
	put_fill(b, msglen, 'm');
	assert_int_equal(buf_put_u8(b, KT_EC), 0);
	assert_int_equal(buf_put_u8(b, PAD_PKCS1), 0);
	assert_int_equal(buf_put_u8(b, DIG_SHA256), 0);
	assert_int_equal(buf_put_u32(b, 1), 0);
	assert_int_equal(buf_put_u32(b, 1), 0);
	put_fill(b, certlen, 0x30);
	put_fill(b, 0, 0x30); /* no chain */
	assert_int_equal(buf_put_u8(b, TS_NONE), 0);
	assert_int_equal(buf_put_u8(b, 0), 0);
	assert_int_equal(buf_put_u32(b, 1767225600), 0);
	assert_int_equal(buf_put_bytes(b, uid, uidlen), 0);
	assert_int_equal(buf_put_u8(b, 0), 0); /* no approval rule */
}

static void
keyinfo_reply_with_lens(struct buf *b, size_t msglen, size_t certlen)
{
	keyinfo_reply_with_uid(b, msglen, certlen, "", 0);
}

/* The OpenPGP user ID: bounded, text only (no NUL, no controls). */
static void
test_keyinfo_reply_openpgp_uid_is_checked(void **state)
{
	const struct kind *k = kind_of(MSG_KEYINFO_REPLY);
	char uid[PGP_UID_MAX + 1];
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	memset(uid, 'u', sizeof(uid));
	keyinfo_reply_with_uid(&b, 0, 10, uid, PGP_UID_MAX);
	assert_int_equal(decode_buf(k, &b), 0);
	assert_int_equal(strlen(d_kreply.pgp_uid), PGP_UID_MAX);
	keyinfo_reply_with_uid(&b, 0, 10, uid, PGP_UID_MAX + 1);
	assert_int_equal(decode_buf(k, &b), -1);
	keyinfo_reply_with_uid(&b, 0, 10, "a\nb", 3);
	assert_int_equal(decode_buf(k, &b), -1);
	keyinfo_reply_with_uid(&b, 0, 10, "a\0b", 3);
	assert_int_equal(decode_buf(k, &b), -1);
	keyinfo_reply_with_uid(&b, 0, 10, "\xc2\x85", 2); /* NEL, a C1 */
	assert_int_equal(decode_buf(k, &b), -1);
	keyinfo_reply_with_uid(&b, 0, 10, "\xff", 1);
	assert_int_equal(decode_buf(k, &b), -1);
	keyinfo_reply_with_uid(&b, 0, 10, "J\xc3\xb6rg <j@x>", 11);
	assert_int_equal(decode_buf(k, &b), 0);
	buf_free(&b);
}

static void
test_keyinfo_reply_fields_over_their_max_are_refused(void **state)
{
	const struct kind *k = kind_of(MSG_KEYINFO_REPLY);
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	keyinfo_reply_with_lens(&b, MESSAGE_MAX, CERT_DER_MAX);
	assert_int_equal(decode_buf(k, &b), 0);
	keyinfo_reply_with_lens(&b, MESSAGE_MAX + 1, 10);
	assert_int_equal(decode_buf(k, &b), -1);
	keyinfo_reply_with_lens(&b, 0, CERT_DER_MAX + 1);
	assert_int_equal(decode_buf(k, &b), -1);
	buf_free(&b);
}

static void
log_with_text_of(struct buf *b, size_t n)
{
	assert_int_equal(msg_begin(b, MSG_LOG), 0);
	assert_int_equal(buf_put_u8(b, 0), 0);
	put_fill(b, n, 't');
}

static void
test_log_text_over_max_is_refused(void **state)
{
	const struct kind *k = kind_of(MSG_LOG);
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	log_with_text_of(&b, LOG_TEXT_MAX);
	assert_int_equal(decode_buf(k, &b), 0);
	assert_int_equal(strlen(d_log.text), LOG_TEXT_MAX);
	log_with_text_of(&b, LOG_TEXT_MAX + 1);
	assert_int_equal(decode_buf(k, &b), -1);
	buf_free(&b);
}

/*
 * A child's PESIGN is checked as the pesign decoder checks the client:
 * an op that does not exist, a token where none goes or none where one
 * must, names with control characters, a certificate or format outside
 * MAP; a reply naming a key with a failure, or an invalid key name.
 */
static void
test_pesign_out_of_range_is_refused(void **state)
{
	static const struct msg_pesign bad[] = {
		{ .op = 0, .format = FMT_NONE, .token = "t" },
		{ .op = PESIGN_OP_COUNT, .format = FMT_NONE, .token = "t" },
		{ .op = PESIGN_OP_KILL, .format = FMT_NONE, .token = "t" },
		{ .op = PESIGN_OP_UNLOCKED, .format = FMT_NONE, .token = "" },
		{ .op = PESIGN_OP_UNLOCK, .format = FMT_NONE, .token = "a\nb" },
		{ .op = PESIGN_OP_UNLOCKED,
		    .format = FMT_NONE,
		    .token = "t",
		    .cert = "c" },
		{ .op = PESIGN_OP_UNLOCKED, .format = FMT_PE, .token = "t" },
		{ .op = PESIGN_OP_MAP, .format = FMT_PE, .token = "t" },
		{ .op = PESIGN_OP_MAP,
		    .format = FMT_CMS,
		    .token = "t",
		    .cert = "c" },
		{ .op = PESIGN_OP_MAP,
		    .format = FMT_PE,
		    .token = "t",
		    .cert = "c\x1b[0m" },
		{ .op = PESIGN_OP_MAP,
		    .format = FMT_PE,
		    .token = "\xff\xfe",
		    .cert = "c" },
	};
	static const struct msg_pesign good[] = {
		{ .op = PESIGN_OP_KILL, .format = FMT_NONE },
		{ .op = PESIGN_OP_UNLOCK, .format = FMT_NONE, .token = "t" },
		{ .op = PESIGN_OP_MAP,
		    .format = FMT_MODULE,
		    .token = "t",
		    .cert = "c" },
	};
	struct msg_pesign_reply r = { .rc = 1, .key = "efi.2026" };
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(msg_enc_pesign(&b, &bad[i]), 0);
		assert_int_equal(decode_buf(kind_of(MSG_PESIGN), &b), -1);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(msg_enc_pesign(&b, &good[i]), 0);
		assert_int_equal(decode_buf(kind_of(MSG_PESIGN), &b), 0);
	}
	assert_int_equal(msg_enc_pesign_reply(&b, &r), 0);
	assert_int_equal(decode_buf(kind_of(MSG_PESIGN_REPLY), &b), -1);
	r.rc = 0;
	snprintf(r.key, sizeof(r.key), "bad key");
	assert_int_equal(msg_enc_pesign_reply(&b, &r), 0);
	assert_int_equal(decode_buf(kind_of(MSG_PESIGN_REPLY), &b), -1);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keyinfo_key_over_max_is_refused),
		cmocka_unit_test(test_upload_messages_round_trip),
		cmocka_unit_test(
		    test_upload_and_progress_out_of_range_are_refused),
		cmocka_unit_test(
		    test_key_names_outside_the_config_characters_are_refused),
		cmocka_unit_test(test_string_with_nul_is_refused),
		cmocka_unit_test(test_sign_fields_over_their_max_are_refused),
		cmocka_unit_test(
		    test_sign_reply_fields_over_their_max_are_refused),
		cmocka_unit_test(
		    test_keyinfo_reply_fields_over_their_max_are_refused),
		cmocka_unit_test(test_keyinfo_reply_openpgp_uid_is_checked),
		cmocka_unit_test(test_log_text_over_max_is_refused),
		cmocka_unit_test(test_pesign_out_of_range_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
