/*
 * test_frame.c: the client frame codec (proto/frame.c): frames that round
 * trip.
 */
#include "frame_test.h"

/* ---- round trips ---- */

static void
test_hello_round_trips_with_exact_bytes(void **state)
{
	static const uint8_t want[] = { 0, 0, 0, 12, 0, F_HELLO, 0, T_VERSION,
		0, 0, 0, 4, 0, 0, 0, PROTO_VERSION };
	struct buf b;
	uint32_t v = 0;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(frame_begin(&b, F_HELLO), 0);
	assert_int_equal(frame_add_u32(&b, T_VERSION, PROTO_VERSION), 0);
	assert_int_equal(frame_finish(&b), 0);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	decode_finished(&b);
	assert_int_equal(fr.type, F_HELLO);
	assert_int_equal(fr.ntlv, 1);
	assert_int_equal(frame_get_u32(&fr, T_VERSION, &v), 0);
	assert_int_equal(v, PROTO_VERSION);
	buf_free(&b);
}

static void
test_sign_round_trips_with_all_fields(void **state)
{
	char key[KEY_NAME_MAX + 1], s[ARTIFACT_NAME_MAX + 1];
	uint32_t flags = 0;
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(frame_begin(&b, F_SIGN), 0);
	assert_int_equal(frame_add_str(&b, T_KEY, "release-key"), 0);
	assert_int_equal(frame_add_str(&b, T_FORMAT, "cms"), 0);
	assert_int_equal(frame_add_str(&b, T_DIGEST, "sha384"), 0);
	assert_int_equal(frame_add_str(&b, T_NAME, "vmlinuz-6.1"), 0);
	assert_int_equal(frame_add_u32(&b, T_FLAGS, SIGN_F_PEM), 0);
	assert_int_equal(frame_finish(&b), 0);
	decode_finished(&b);
	assert_int_equal(fr.type, F_SIGN);
	assert_int_equal(fr.ntlv, 5);
	assert_int_equal(frame_get_str(&fr, T_KEY, key, sizeof(key)), 0);
	assert_string_equal(key, "release-key");
	assert_int_equal(frame_get_str(&fr, T_FORMAT, s, sizeof(s)), 0);
	assert_string_equal(s, "cms");
	assert_int_equal(frame_get_str(&fr, T_DIGEST, s, sizeof(s)), 0);
	assert_string_equal(s, "sha384");
	assert_int_equal(frame_get_str(&fr, T_NAME, s, sizeof(s)), 0);
	assert_string_equal(s, "vmlinuz-6.1");
	assert_int_equal(frame_get_u32(&fr, T_FLAGS, &flags), 0);
	assert_int_equal(flags, SIGN_F_PEM);
	buf_free(&b);
}

static void
test_sign_round_trips_with_required_fields_only(void **state)
{
	char s[32];
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(frame_begin(&b, F_SIGN), 0);
	assert_int_equal(frame_add_str(&b, T_FORMAT, "raw"), 0);
	assert_int_equal(frame_add_str(&b, T_KEY, "k"), 0);
	assert_int_equal(frame_finish(&b), 0);
	decode_finished(&b);
	assert_int_equal(fr.ntlv, 2);
	assert_int_equal(frame_get_str(&fr, T_KEY, s, sizeof(s)), 0);
	assert_string_equal(s, "k");
	assert_int_equal(frame_get_str(&fr, T_NAME, s, sizeof(s)), -1);
	assert_null(frame_find(&fr, T_DIGEST));
	buf_free(&b);
}

static void
test_cert_round_trips(void **state)
{
	char key[KEY_NAME_MAX + 1];
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(frame_begin(&b, F_CERT), 0);
	assert_int_equal(frame_add_str(&b, T_KEY, "k1"), 0);
	assert_int_equal(frame_finish(&b), 0);
	decode_finished(&b);
	assert_int_equal(fr.type, F_CERT);
	assert_int_equal(frame_get_str(&fr, T_KEY, key, sizeof(key)), 0);
	assert_string_equal(key, "k1");
	buf_free(&b);
}

/* keys, whoami and status carry no fields: 6 bytes on the wire. */
static void
test_empty_requests_round_trip(void **state)
{
	static const uint16_t types[] = { F_KEYS, F_WHOAMI, F_STATUS };
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		const uint8_t want[] = { 0, 0, 0, 2, 0, (uint8_t)types[i] };

		assert_int_equal(frame_begin(&b, types[i]), 0);
		assert_int_equal(frame_finish(&b), 0);
		assert_int_equal(b.len, 6);
		assert_memory_equal(b.data, want, 6);
		decode_finished(&b);
		assert_int_equal(fr.type, types[i]);
		assert_int_equal(fr.ntlv, 0);
	}
	buf_free(&b);
}

/* Add one key entry of a keys reply. */
static void
add_key_group(struct buf *b, const char *name)
{
	assert_int_equal(frame_add_str(b, T_KEY, name), 0);
	assert_int_equal(frame_add_str(b, T_FORMATS, "raw cms"), 0);
	assert_int_equal(frame_add_str(b, T_DIGESTS, "sha256 sha384"), 0);
	assert_int_equal(frame_add_str(b, T_ALG, "rsa-3072"), 0);
	assert_int_equal(frame_add_str(b, T_TOKEN, "hsm0"), 0);
	assert_int_equal(frame_add_str(b, T_STATE, "ready"), 0);
	assert_int_equal(frame_add_str(b, T_FINGERPRINT, "ab:cd"), 0);
}

static void
test_reply_round_trips_with_repeated_key_groups(void **state)
{
	static const char *const names[] = { "k1", "k2", "k3" };
	char msg[64];
	uint32_t st = 99;
	size_t nkeys = 0, ngroups = 0;
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(frame_begin(&b, F_REPLY), 0);
	assert_int_equal(frame_add_u32(&b, T_STATUS, ST_OK), 0);
	assert_int_equal(frame_add_str(&b, T_MESSAGE, "3 keys"), 0);
	for (size_t i = 0; i < 3; i++)
		add_key_group(&b, names[i]);
	assert_int_equal(frame_add_str(&b, T_GROUP, "wheel:10"), 0);
	assert_int_equal(frame_add_str(&b, T_GROUP, "builders:2000"), 0);
	assert_int_equal(frame_finish(&b), 0);
	decode_finished(&b);
	assert_int_equal(fr.type, F_REPLY);
	assert_int_equal(fr.ntlv, 2 + 3 * 7 + 2);
	assert_int_equal(frame_get_u32(&fr, T_STATUS, &st), 0);
	assert_int_equal(st, ST_OK);
	assert_int_equal(frame_get_str(&fr, T_MESSAGE, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "3 keys");
	for (size_t i = 0; i < fr.ntlv; i++) {
		const struct tlv *t = &fr.tlv[i];

		if (t->tag == T_GROUP)
			ngroups++;
		if (t->tag != T_KEY)
			continue;
		assert_int_equal(t->len, strlen(names[nkeys]));
		assert_memory_equal(t->val, names[nkeys], t->len);
		assert_int_equal(fr.tlv[i + 1].tag, T_FORMATS);
		nkeys++;
	}
	assert_int_equal(nkeys, 3);
	assert_int_equal(ngroups, 2);
	/* The getters return the first of repeated fields. */
	assert_int_equal(frame_get_str(&fr, T_KEY, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "k1");
	buf_free(&b);
}

static void
test_reply_round_trips_sign_and_whoami_fields(void **state)
{
	static const uint8_t sig[] = { 0x30, 0x00, 0x01, 0xff };
	static const uint8_t dig[32] = { 1, 2, 3 };
	const struct tlv *t;
	uint32_t uid = 0, gid = 0;
	uint64_t size = 0;
	char user[65];
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(frame_begin(&b, F_REPLY), 0);
	assert_int_equal(frame_add_u32(&b, T_STATUS, ST_OK), 0);
	assert_int_equal(frame_add_str(&b, T_MESSAGE, "signed"), 0);
	assert_int_equal(frame_add_str(&b, T_DIGEST, "sha256"), 0);
	assert_int_equal(frame_add_bytes(&b, T_ADIGEST, dig, sizeof(dig)), 0);
	assert_int_equal(frame_add_u64(&b, T_SIZE, 0x100000002ull), 0);
	assert_int_equal(frame_add_bytes(&b, T_SIGNATURE, sig, sizeof(sig)), 0);
	assert_int_equal(frame_add_bytes(&b, T_CERT, "PEM", 3), 0);
	assert_int_equal(frame_add_u32(&b, T_UID, 1000), 0);
	assert_int_equal(frame_add_u32(&b, T_GID, 100), 0);
	assert_int_equal(frame_add_str(&b, T_USER, "alice"), 0);
	assert_int_equal(frame_finish(&b), 0);
	decode_finished(&b);
	assert_int_equal(fr.ntlv, 10);
	assert_int_equal(frame_get_u64(&fr, T_SIZE, &size), 0);
	assert_true(size == 0x100000002ull);
	assert_non_null(t = frame_find(&fr, T_SIGNATURE));
	assert_int_equal(t->len, sizeof(sig));
	assert_memory_equal(t->val, sig, sizeof(sig));
	assert_non_null(t = frame_find(&fr, T_ADIGEST));
	assert_int_equal(t->len, sizeof(dig));
	assert_memory_equal(t->val, dig, sizeof(dig));
	assert_int_equal(frame_get_u32(&fr, T_UID, &uid), 0);
	assert_int_equal(frame_get_u32(&fr, T_GID, &gid), 0);
	assert_int_equal(uid, 1000);
	assert_int_equal(gid, 100);
	assert_int_equal(frame_get_str(&fr, T_USER, user, sizeof(user)), 0);
	assert_string_equal(user, "alice");
	buf_free(&b);
}

static void
test_reply_status_builds_a_valid_reply(void **state)
{
	uint32_t st = 0;
	char msg[64];
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(frame_reply_status(&b, ST_DENIED, "no"), 0);
	decode_finished(&b);
	assert_int_equal(fr.type, F_REPLY);
	assert_int_equal(fr.ntlv, 2);
	assert_int_equal(frame_get_u32(&fr, T_STATUS, &st), 0);
	assert_int_equal(st, ST_DENIED);
	assert_int_equal(frame_get_str(&fr, T_MESSAGE, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "no");
	buf_free(&b);
}

static void
test_frame_type_names(void **state)
{
	(void)state;
	assert_string_equal(frame_type_name(F_HELLO), "hello");
	assert_string_equal(frame_type_name(F_REPLY), "reply");
	assert_string_equal(frame_type_name(0), "unknown");
	assert_string_equal(frame_type_name(F_TYPE_COUNT), "unknown");
	assert_string_equal(frame_type_name(-1), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello_round_trips_with_exact_bytes),
		cmocka_unit_test(test_sign_round_trips_with_all_fields),
		cmocka_unit_test(
		    test_sign_round_trips_with_required_fields_only),
		cmocka_unit_test(test_cert_round_trips),
		cmocka_unit_test(test_empty_requests_round_trip),
		cmocka_unit_test(
		    test_reply_round_trips_with_repeated_key_groups),
		cmocka_unit_test(test_reply_round_trips_sign_and_whoami_fields),
		cmocka_unit_test(test_reply_status_builds_a_valid_reply),
		cmocka_unit_test(test_frame_type_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
