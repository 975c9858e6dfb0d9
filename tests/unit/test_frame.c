/*
 * test_frame.c: the client frame codec (proto/frame.c) and the socket I/O
 * that carries frames and monitor messages (proto/io.c).
 *
 * Built without CSIGN_TEST_HOOKS, so T_TEST_SYSCALL must be refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/buf.h"
#include "proto/frame.h"
#include "proto/io.h"
#include "proto/msg.h"
#include "proto/names.h"

/* What frame_decode() says of a T_KEY that is no key name. */
#define KEY_NAME_ERR "key name empty, too long or not of A-Z a-z 0-9 . _ -"

/* Large enough to build frames past FRAME_MAX by hand. */
#define RAW_MAX (2 * FRAME_MAX)

static struct frame fr; /* 8 KiB: kept off the stack */

/* ---- helpers: frames ---- */

/* Check b holds one finished frame and decode its body into fr. */
static void
decode_finished(const struct buf *b)
{
	const char *err = NULL;
	struct buf v;
	uint32_t len;

	buf_view(&v, b->data, b->len);
	assert_int_equal(buf_get_u32(&v, &len), 0);
	assert_int_equal(len, buf_left(&v));
	if (frame_decode(buf_ptr(&v), buf_left(&v), &fr, &err) != 0)
		fail_msg("frame_decode: %s", err);
}

/* Start a hand-made frame body (no length field): type only. */
static void
raw_begin(struct buf *b, uint16_t type)
{
	buf_init(b, RAW_MAX);
	assert_int_equal(buf_put_u16(b, type), 0);
}

/* Append a TLV whose header claims len and whose value is vlen bytes. */
static void
raw_tlv(struct buf *b, uint16_t tag, uint32_t len, const void *val, size_t vlen)
{
	assert_int_equal(buf_put_u16(b, tag), 0);
	assert_int_equal(buf_put_u32(b, len), 0);
	assert_int_equal(buf_put(b, val, vlen), 0);
}

/* Append a well-formed string TLV. */
static void
raw_str(struct buf *b, uint16_t tag, const char *s)
{
	raw_tlv(b, tag, (uint32_t)strlen(s), s, strlen(s));
}

/* Append a well-formed u32 TLV. */
static void
raw_u32(struct buf *b, uint16_t tag, uint32_t v)
{
	uint8_t x[4] = { v >> 24, v >> 16, v >> 8, v };

	raw_tlv(b, tag, 4, x, 4);
}

/* Append a string TLV of n copies of c. */
static void
raw_fill(struct buf *b, uint16_t tag, size_t n, int c)
{
	uint8_t *p;

	assert_int_equal(buf_put_u16(b, tag), 0);
	assert_int_equal(buf_put_u32(b, (uint32_t)n), 0);
	assert_non_null(p = buf_reserve(b, n));
	memset(p, c, n);
}

/* The hand-made body in b must be refused with exactly want; b is freed. */
static void
reject(struct buf *b, const char *want)
{
	const char *err = NULL;

	assert_int_equal(frame_decode(b->data, b->len, &fr, &err), -1);
	assert_non_null(err);
	assert_string_equal(err, want);
	buf_free(b);
}

/* The hand-made body in b must be accepted; b is freed. */
static void
accept_ok(struct buf *b)
{
	const char *err = NULL;

	if (frame_decode(b->data, b->len, &fr, &err) != 0)
		fail_msg("frame_decode: %s", err);
	buf_free(b);
}

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

/* ---- io: frames on a stream socket ---- */

/* Number of open descriptors below 1024. */
static int
count_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			n++;
	return n;
}

static void
stream_pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
	    0);
}

/* A memory file holding tag, to be passed and recognised. */
static int
mem_file(const char *tag)
{
	int fd = memfd_create(tag, MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, tag, strlen(tag)), (ssize_t)strlen(tag));
	return fd;
}

/* 1 if a and b are the same open file. */
static int
same_file(int a, int b)
{
	struct stat sa, sb;

	assert_int_equal(fstat(a, &sa), 0);
	assert_int_equal(fstat(b, &sb), 0);
	return sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

/* Write raw bytes on a socket, all of them. */
static void
send_raw(int s, const void *p, size_t len)
{
	assert_int_equal(write(s, p, len), (ssize_t)len);
}

/* Send a sign frame with nfds descriptors; receive it; check it. */
static void
frame_trip_with_fds(const int *fds, size_t nfds)
{
	int sv[2], got[FRAME_MAX_FDS] = { -1, -1 };
	struct buf out, in;
	size_t ngot = 99;

	stream_pair(sv);
	buf_init(&out, 0);
	buf_init(&in, 0);
	assert_int_equal(frame_begin(&out, F_SIGN), 0);
	assert_int_equal(frame_add_str(&out, T_KEY, "k"), 0);
	assert_int_equal(frame_add_str(&out, T_FORMAT, "raw"), 0);
	assert_int_equal(frame_finish(&out), 0);
	assert_int_equal(io_send_frame(sv[0], &out, fds, nfds), 0);
	assert_int_equal(io_recv_frame(sv[1], &in, got, FRAME_MAX_FDS, &ngot,
			     1000),
	    1);
	assert_int_equal(ngot, nfds);
	assert_int_equal(in.len, out.len);
	assert_memory_equal(in.data, out.data, out.len);
	for (size_t i = 0; i < nfds; i++) {
		assert_true(same_file(got[i], fds[i]));
		assert_int_equal(fcntl(got[i], F_GETFD) & FD_CLOEXEC,
		    FD_CLOEXEC);
		close(got[i]);
	}
	if (nfds == 2)
		assert_false(same_file(fds[0], fds[1]));
	buf_free(&out);
	buf_free(&in);
	close(sv[0]);
	close(sv[1]);
}

static void
test_io_frame_round_trips_without_fds(void **state)
{
	(void)state;
	frame_trip_with_fds(NULL, 0);
}

static void
test_io_frame_round_trips_with_one_fd(void **state)
{
	int fd = mem_file("one");

	(void)state;
	frame_trip_with_fds(&fd, 1);
	close(fd);
}

static void
test_io_frame_round_trips_with_two_fds(void **state)
{
	int fds[2] = { mem_file("first"), mem_file("second") };

	(void)state;
	frame_trip_with_fds(fds, 2);
	close(fds[0]);
	close(fds[1]);
}

/* A frame of FRAME_MAX arrives whole, in as many reads as it takes. */
static void
test_io_largest_frame_round_trips(void **state)
{
	struct buf out, in;
	uint8_t *big;
	size_t nfds;
	int sv[2];

	(void)state;
	stream_pair(sv);
	assert_non_null(big = malloc(FRAME_MAX));
	for (size_t i = 0; i < FRAME_MAX; i++)
		big[i] = (uint8_t)(i * 7);
	buf_init(&out, 0);
	buf_init(&in, 0);
	assert_int_equal(frame_begin(&out, F_REPLY), 0);
	assert_int_equal(frame_add_bytes(&out, T_SIGNATURE, big, FRAME_MAX - 8),
	    0);
	assert_int_equal(frame_finish(&out), 0);
	assert_int_equal(out.len, FRAME_MAX + 4);
	assert_int_equal(io_send_frame(sv[0], &out, NULL, 0), 0);
	assert_int_equal(io_recv_frame(sv[1], &in, NULL, 0, &nfds, 1000), 1);
	assert_int_equal(in.len, out.len);
	assert_memory_equal(in.data, out.data, out.len);
	free(big);
	buf_free(&out);
	buf_free(&in);
	close(sv[0]);
	close(sv[1]);
}

/* Receive on sv[1] after sending hdr on sv[0]: expect -1 and errno e. */
static void
recv_expect_errno(const uint8_t *bytes, size_t len, int close_after, int e)
{
	struct buf in;
	size_t nfds;
	int sv[2];

	stream_pair(sv);
	buf_init(&in, 0);
	send_raw(sv[0], bytes, len);
	if (close_after)
		close(sv[0]);
	errno = 0;
	assert_int_equal(io_recv_frame(sv[1], &in, NULL, 0, &nfds, 50), -1);
	assert_int_equal(errno, e);
	buf_free(&in);
	if (!close_after)
		close(sv[0]);
	close(sv[1]);
}

static void
test_io_length_over_frame_max_is_emsgsize(void **state)
{
	static const uint8_t over[] = { 0x00, 0x01, 0x00, 0x01 };
	static const uint8_t huge[] = { 0x7f, 0xff, 0xff, 0xff };
	static const uint8_t tiny[] = { 0x00, 0x00, 0x00, 0x01, 0x00 };

	(void)state;
	recv_expect_errno(over, sizeof(over), 0, EMSGSIZE);
	recv_expect_errno(huge, sizeof(huge), 0, EMSGSIZE);
	recv_expect_errno(tiny, sizeof(tiny), 0, EMSGSIZE);
}

static void
test_io_stream_closed_mid_frame_is_eproto(void **state)
{
	static const uint8_t body[] = { 0, 0, 0, 10, 0, F_KEYS, 1, 2, 3 };

	(void)state;
	recv_expect_errno(body, sizeof(body), 1, EPROTO); /* in body */
	recv_expect_errno(body, 2, 1, EPROTO);		  /* in header */
}

static void
test_io_clean_eof_is_zero(void **state)
{
	struct buf in;
	size_t nfds = 99;
	int sv[2];

	(void)state;
	stream_pair(sv);
	buf_init(&in, 0);
	close(sv[0]);
	assert_int_equal(io_recv_frame(sv[1], &in, NULL, 0, &nfds, 50), 0);
	assert_int_equal(nfds, 0);
	buf_free(&in);
	close(sv[1]);
}

static void
test_io_silence_times_out(void **state)
{
	static const uint8_t part[] = { 0, 0, 0, 10, 0, F_KEYS };

	(void)state;
	recv_expect_errno(part, 0, 0, ETIMEDOUT);	     /* nothing */
	recv_expect_errno(part, sizeof(part), 0, ETIMEDOUT); /* half */
}

/* Two descriptors to a receiver with room for one: -1/EPROTO, no leak. */
static void
test_io_extra_fds_are_closed_and_eproto(void **state)
{
	int fds[2] = { mem_file("a"), mem_file("b") };
	int got[1] = { -1 };
	struct buf out, in;
	size_t ngot;
	int sv[2], before;

	(void)state;
	stream_pair(sv);
	buf_init(&out, 0);
	buf_init(&in, 0);
	assert_int_equal(frame_begin(&out, F_KEYS), 0);
	assert_int_equal(frame_finish(&out), 0);
	assert_int_equal(io_send_frame(sv[0], &out, fds, 2), 0);
	before = count_fds();
	errno = 0;
	assert_int_equal(io_recv_frame(sv[1], &in, got, 1, &ngot, 1000), -1);
	assert_int_equal(errno, EPROTO);
	/* The one kept is the caller's to close; the extra is gone. */
	assert_int_equal(ngot, 1);
	assert_true(same_file(got[0], fds[0]));
	close(got[0]);
	assert_int_equal(count_fds(), before);
	buf_free(&out);
	buf_free(&in);
	close(fds[0]);
	close(fds[1]);
	close(sv[0]);
	close(sv[1]);
}

static void
test_io_fds_to_a_receiver_taking_none_are_closed(void **state)
{
	int fd = mem_file("a");
	struct buf out, in;
	size_t ngot = 99;
	int sv[2], before;

	(void)state;
	stream_pair(sv);
	buf_init(&out, 0);
	buf_init(&in, 0);
	assert_int_equal(frame_begin(&out, F_KEYS), 0);
	assert_int_equal(frame_finish(&out), 0);
	assert_int_equal(io_send_frame(sv[0], &out, &fd, 1), 0);
	before = count_fds();
	errno = 0;
	assert_int_equal(io_recv_frame(sv[1], &in, NULL, 0, &ngot, 1000), -1);
	assert_int_equal(errno, EPROTO);
	assert_int_equal(ngot, 0);
	assert_int_equal(count_fds(), before);
	buf_free(&out);
	buf_free(&in);
	close(fd);
	close(sv[0]);
	close(sv[1]);
}

/* ---- io: messages on a SOCK_SEQPACKET socket ---- */

static void
seq_pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
			     sv),
	    0);
}

static void
test_io_msg_round_trips_with_an_fd(void **state)
{
	struct msg_session m = { 7, 1u << 20, 30000, VIA_PESIGN }, d;
	int fd = mem_file("artifact"), got = -2;
	uint16_t type = 0;
	struct buf out, in;
	int sv[2];

	(void)state;
	seq_pair(sv);
	buf_init(&out, MSG_MAX);
	buf_init(&in, MSG_MAX);
	assert_int_equal(msg_enc_session(&out, &m), 0);
	assert_int_equal(io_send_msg(sv[0], &out, fd), 0);
	assert_int_equal(io_recv_msg(sv[1], &in, &got), 1);
	assert_true(got >= 0);
	assert_true(same_file(got, fd));
	assert_int_equal(fcntl(got, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_int_equal(in.len, out.len);
	assert_int_equal(msg_type_of(&in, &type), 0);
	assert_int_equal(type, MSG_SESSION);
	assert_int_equal(msg_dec_session(&in, &d), 0);
	assert_int_equal(d.session_id, 7);
	close(got);
	/* Without a descriptor the receiver gets -1. */
	assert_int_equal(io_send_msg(sv[0], &out, -1), 0);
	assert_int_equal(io_recv_msg(sv[1], &in, &got), 1);
	assert_int_equal(got, -1);
	/* End of stream. */
	close(sv[0]);
	assert_int_equal(io_recv_msg(sv[1], &in, &got), 0);
	buf_free(&out);
	buf_free(&in);
	close(fd);
	close(sv[1]);
}

/* A datagram larger than the receiver's max: EMSGSIZE, fd not leaked. */
static void
test_io_msg_oversized_datagram_is_emsgsize(void **state)
{
	int fd = mem_file("x"), got = -2, sv[2], before;
	uint8_t x[17] = { 0 };
	struct buf out, in;

	(void)state;
	seq_pair(sv);
	buf_init(&out, sizeof(x));
	buf_init(&in, 16);
	assert_int_equal(buf_put(&out, x, sizeof(x)), 0);
	assert_int_equal(io_send_msg(sv[0], &out, fd), 0);
	before = count_fds();
	errno = 0;
	assert_int_equal(io_recv_msg(sv[1], &in, &got), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(got, -1);
	assert_int_equal(count_fds(), before);
	/* Exactly max fits. */
	buf_reset(&out);
	assert_int_equal(buf_put(&out, x, 16), 0);
	assert_int_equal(io_send_msg(sv[0], &out, -1), 0);
	assert_int_equal(io_recv_msg(sv[1], &in, &got), 1);
	assert_int_equal(in.len, 16);
	buf_free(&out);
	buf_free(&in);
	close(fd);
	close(sv[0]);
	close(sv[1]);
}

/*
 * A descriptor sent with a zero-length datagram is closed, not leaked
 * into the receiver (the monitor, when a child sends it), and the message
 * is a protocol error rather than an end of stream.
 */
static void
test_io_msg_empty_datagram_with_fd_does_not_leak(void **state)
{
	int fd = mem_file("x"), got = -2, sv[2], before, after, next;
	struct buf out, in;

	(void)state;
	seq_pair(sv);
	buf_init(&out, 16);
	buf_init(&in, MSG_MAX);
	assert_int_equal(io_send_msg(sv[0], &out, fd), 0);
	before = count_fds();
	next = dup(0); /* where a leaked descriptor would land */
	close(next);
	assert_int_equal(io_recv_msg(sv[1], &in, &got), -1);
	assert_int_equal(errno, EPROTO);
	after = count_fds();
	if (after != before && fcntl(next, F_GETFD) != -1 &&
	    same_file(next, fd))
		close(next); /* so that only this failure is reported */
	buf_free(&out);
	buf_free(&in);
	close(fd);
	close(sv[0]);
	close(sv[1]);
	assert_int_equal(got, -1);
	if (after != before)
		fail_msg("io_recv_msg leaked a descriptor sent with a "
			 "zero-length datagram (%d open fds before, %d after)",
		    before, after);
}

/* A datagram past the socket's send buffer is refused by the sender. */
static void
test_io_msg_send_too_large_is_emsgsize(void **state)
{
	const size_t n = 8u << 20;
	struct buf out;
	int sv[2];

	(void)state;
	seq_pair(sv);
	buf_init(&out, n);
	assert_non_null(buf_reserve(&out, n));
	memset(out.data, 0, n);
	errno = 0;
	assert_int_equal(io_send_msg(sv[0], &out, -1), -1);
	assert_int_equal(errno, EMSGSIZE);
	buf_free(&out);
	close(sv[0]);
	close(sv[1]);
}

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
		cmocka_unit_test(test_approve_deny_wait_round_trip_the_id),
		cmocka_unit_test(test_held_notice_round_trips),
		cmocka_unit_test(test_pending_reply_repeats_request_fields),
		cmocka_unit_test(test_approval_frames_are_checked_strictly),
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
		cmocka_unit_test(test_io_frame_round_trips_without_fds),
		cmocka_unit_test(test_io_frame_round_trips_with_one_fd),
		cmocka_unit_test(test_io_frame_round_trips_with_two_fds),
		cmocka_unit_test(test_io_largest_frame_round_trips),
		cmocka_unit_test(test_io_length_over_frame_max_is_emsgsize),
		cmocka_unit_test(test_io_stream_closed_mid_frame_is_eproto),
		cmocka_unit_test(test_io_clean_eof_is_zero),
		cmocka_unit_test(test_io_silence_times_out),
		cmocka_unit_test(test_io_extra_fds_are_closed_and_eproto),
		cmocka_unit_test(
		    test_io_fds_to_a_receiver_taking_none_are_closed),
		cmocka_unit_test(test_io_msg_round_trips_with_an_fd),
		cmocka_unit_test(test_io_msg_oversized_datagram_is_emsgsize),
		cmocka_unit_test(test_io_msg_send_too_large_is_emsgsize),
		cmocka_unit_test(
		    test_io_msg_empty_datagram_with_fd_does_not_leak),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
