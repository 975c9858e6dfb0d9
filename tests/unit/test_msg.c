/*
 * test_msg.c: child <-> monitor message codec (proto/msg.c) and the
 * channel's table (proto/chan.c), whose decoder must agree with the codec
 * on every input here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "proto/buf.h"
#include "proto/chan.h"
#include "proto/frame.h"
#include "proto/msg.h"
#include "proto/names.h"

/* Decoded messages land here (some are large). */
static struct msg_ready d_ready;
static struct msg_session d_session;
static union chan_body d_body;
static struct msg_keyinfo d_keyinfo;
static struct msg_keyinfo_reply d_kreply;
static struct msg_sign d_sign;
static struct msg_sign_reply d_sreply;
static struct msg_query d_query;
static struct msg_log d_log;
static struct msg_sign_held d_held;
static struct msg_approval d_appr;
static struct msg_held_result d_result;
static struct msg_upload d_upload;
static struct msg_upload_reply d_ureply;
static struct msg_progress d_progress;
static struct msg_pesign d_pesign;
static struct msg_pesign_reply d_preply;
static struct msg_admin d_admin;
static const uint8_t *d_frame;
static size_t d_framelen;

static const uint8_t cert_der[] = { 0x30, 0x82, 0x00, 0x03, 0x02, 0x01, 0 };

/* ---- one valid sample of each message ---- */

static void
enc_ready(struct buf *b)
{
	const struct msg_ready m = { .version = CHAN_VERSION,
		.build = "0.1.0-12-gabc123-dirty" };

	assert_int_equal(msg_enc_ready(b, &m), 0);
}

static void
enc_done(struct buf *b)
{
	assert_int_equal(msg_enc_empty(b, MSG_DONE), 0);
}

static void
enc_session(struct buf *b)
{
	const struct msg_session m = { .session_id = 0x01020304,
		.max_artifact = 0x0000000500000006ull,
		.idle_timeout_ms = 30000, .via = VIA_PESIGN };

	assert_int_equal(msg_enc_session(b, &m), 0);
}

static void
enc_keyinfo(struct buf *b)
{
	const struct msg_keyinfo m = { .key = "release-key",
		.format = FMT_CMS, .name = "vmlinuz" };

	assert_int_equal(msg_enc_keyinfo(b, &m), 0);
}

static void
enc_keyinfo_reply(struct buf *b)
{
	const struct msg_keyinfo_reply m = { .status = ST_OK,
		.message = "granted", .keytype = KT_RSA, .padding = PAD_PSS,
		.default_digest = DIG_SHA384,
		.formats = FMT_BIT(FMT_RAW) | FMT_BIT(FMT_CMS),
		.digests = DIG_BIT(DIG_SHA256) | DIG_BIT(DIG_SHA384),
		.cert = cert_der, .certlen = sizeof(cert_der),
		.chain = cert_der, .chainlen = sizeof(cert_der),
		.ts_mode = TS_REQUIRED, .ntsa = 2 };

	assert_int_equal(msg_enc_keyinfo_reply(b, &m), 0);
}

static void
enc_sign(struct buf *b)
{
	struct msg_sign m = { .reqid = 42, .key = "k1", .format = FMT_CMS,
		.digest = DIG_SHA256, .tbslen = 32, .adigestlen = 32,
		.name = "vmlinuz", .size = 123456789,
		.flags = MSG_SIGN_F_NOWAIT };

	memset(m.tbs, 0xaa, sizeof(m.tbs));
	memset(m.adigest, 0xbb, sizeof(m.adigest));
	assert_int_equal(msg_enc_sign(b, &m), 0);
}

static void
enc_sign_reply(struct buf *b)
{
	struct msg_sign_reply m = { .reqid = 42, .status = ST_OK,
		.message = "signed", .siglen = 256 };

	memset(m.sig, 0x5a, sizeof(m.sig));
	assert_int_equal(msg_enc_sign_reply(b, &m), 0);
}

static void
enc_query(struct buf *b)
{
	const struct msg_query m = { .what = Q_WHOAMI };

	assert_int_equal(msg_enc_query(b, &m), 0);
}

static void
enc_query_reply(struct buf *b)
{
	struct buf f;

	buf_init(&f, 0);
	assert_int_equal(frame_reply_status(&f, ST_OK, "alice"), 0);
	assert_int_equal(msg_enc_query_reply(b, &f), 0);
	buf_free(&f);
}

static void
enc_log(struct buf *b)
{
	const struct msg_log m = { .level = 2, .text = "artifact too big" };

	assert_int_equal(msg_enc_log(b, &m), 0);
}

static void
enc_tsa_open(struct buf *b)
{
	const struct msg_tsa_open m = { .index = 1 };

	assert_int_equal(msg_enc_tsa_open(b, &m), 0);
}

static void
enc_tsa_reply(struct buf *b)
{
	static const uint8_t der[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	const struct msg_tsa_reply m = { .status = ST_OK,
		.url = "http://127.0.0.1:3180/tsa", .hostport = "127.0.0.1:3180",
		.path = "/tsa", .timeout_ms = 10000, .now = 1767225600,
		.max_skew = 300, .anchors = der, .anchorslen = sizeof(der) };

	assert_int_equal(msg_enc_tsa_reply(b, &m), 0);
}

static void
enc_tsa_done(struct buf *b)
{
	const struct msg_tsa_done m = { .status = ST_UNAVAILABLE, .index = 1,
		.message = "http://127.0.0.1:3180/tsa: wrong nonce" };

	assert_int_equal(msg_enc_tsa_done(b, &m), 0);
}

static void
enc_sign_held(struct buf *b)
{
	const struct msg_sign_held m = { .reqid = 7,
		.id = 0x0102030405060708ull, .group = "releng", .have = 1,
		.need = 2, .expires_in = 3599, .approver = "carol" };

	assert_int_equal(msg_enc_sign_held(b, &m), 0);
}

static void
enc_approval(struct buf *b)
{
	const struct msg_approval m = { .op = APPR_DENY, .id = 17,
		.reason = "not a release build" };

	assert_int_equal(msg_enc_approval(b, &m), 0);
}

static void
enc_held_cancel(struct buf *b)
{
	assert_int_equal(msg_enc_empty(b, MSG_HELD_CANCEL), 0);
}

static void
enc_held_result(struct buf *b)
{
	struct msg_held_result m = { .id = 17 };
	struct buf f;

	buf_init(&f, 0);
	assert_int_equal(frame_reply_status(&f, ST_DENIED, "denied"), 0);
	m.frame = f.data;
	m.len = f.len;
	assert_int_equal(msg_enc_held_result(b, &m), 0);
	buf_free(&f);
}

static void
enc_upload(struct buf *b)
{
	const struct msg_upload m = { .key = "efi.2026", .format = FMT_PE,
		.size = 0x0000000100000002ull, .name = "shimx64.efi" };

	assert_int_equal(msg_enc_upload(b, &m), 0);
}

static void
enc_upload_reply(struct buf *b)
{
	const struct msg_upload_reply m = { .status = ST_UNAVAILABLE,
		.message = "over MaxUploadPerUser" };

	assert_int_equal(msg_enc_upload_reply(b, &m), 0);
}

static void
enc_upload_done(struct buf *b)
{
	assert_int_equal(msg_enc_empty(b, MSG_UPLOAD_DONE), 0);
}

static void
enc_progress(struct buf *b)
{
	const struct msg_progress m = { .bytes = 0x0000000300000004ull };

	assert_int_equal(msg_enc_progress(b, &m), 0);
}

/* ---- the decoders, each into its static result ---- */

static int
dec_empty(struct buf *b)
{
	return msg_dec_empty(b);
}

static int
dec_session(struct buf *b)
{
	return msg_dec_session(b, &d_session);
}

static int
dec_keyinfo(struct buf *b)
{
	return msg_dec_keyinfo(b, &d_keyinfo);
}

static int
dec_keyinfo_reply(struct buf *b)
{
	return msg_dec_keyinfo_reply(b, &d_kreply);
}

static int
dec_sign(struct buf *b)
{
	return msg_dec_sign(b, &d_sign);
}

static int
dec_sign_reply(struct buf *b)
{
	return msg_dec_sign_reply(b, &d_sreply);
}

static int
dec_query(struct buf *b)
{
	return msg_dec_query(b, &d_query);
}

static int
dec_query_reply(struct buf *b)
{
	return msg_dec_query_reply(b, &d_frame, &d_framelen);
}

static int
dec_log(struct buf *b)
{
	return msg_dec_log(b, &d_log);
}

static struct msg_tsa_open d_tsa_open;
static struct msg_tsa_reply d_tsa_reply;
static struct msg_tsa_done d_tsa_done;

static int
dec_tsa_open(struct buf *b)
{
	return msg_dec_tsa_open(b, &d_tsa_open);
}

static int
dec_tsa_reply(struct buf *b)
{
	return msg_dec_tsa_reply(b, &d_tsa_reply);
}

static int
dec_tsa_done(struct buf *b)
{
	return msg_dec_tsa_done(b, &d_tsa_done);
}

static int
dec_sign_held(struct buf *b)
{
	return msg_dec_sign_held(b, &d_held);
}

static int
dec_approval(struct buf *b)
{
	return msg_dec_approval(b, &d_appr);
}

static int
dec_held_result(struct buf *b)
{
	return msg_dec_held_result(b, &d_result);
}

static int
dec_ready(struct buf *b)
{
	return msg_dec_ready(b, &d_ready);
}

static int
dec_upload(struct buf *b)
{
	return msg_dec_upload(b, &d_upload);
}

static int
dec_upload_reply(struct buf *b)
{
	return msg_dec_upload_reply(b, &d_ureply);
}

static int
dec_progress(struct buf *b)
{
	return msg_dec_progress(b, &d_progress);
}

static void
enc_pesign(struct buf *b)
{
	const struct msg_pesign m = { .op = PESIGN_OP_MAP, .format = FMT_PE,
		.token = "OpenSC Card (Fedora Signer)",
		.cert = "/CN=Fedora Secure Boot Signer" };

	assert_int_equal(msg_enc_pesign(b, &m), 0);
}

static int
dec_pesign(struct buf *b)
{
	return msg_dec_pesign(b, &d_pesign);
}

static void
enc_pesign_reply(struct buf *b)
{
	const struct msg_pesign_reply m = { .rc = 0, .key = "efi.2026" };

	assert_int_equal(msg_enc_pesign_reply(b, &m), 0);
}

static int
dec_pesign_reply(struct buf *b)
{
	return msg_dec_pesign_reply(b, &d_preply);
}

static const struct kind {
	uint16_t type;
	void (*enc)(struct buf *);
	int (*dec)(struct buf *);
} kinds[] = {
	{ MSG_READY, enc_ready, dec_ready },
	{ MSG_SESSION, enc_session, dec_session },
	{ MSG_KEYINFO, enc_keyinfo, dec_keyinfo },
	{ MSG_KEYINFO_REPLY, enc_keyinfo_reply, dec_keyinfo_reply },
	{ MSG_SIGN, enc_sign, dec_sign },
	{ MSG_SIGN_REPLY, enc_sign_reply, dec_sign_reply },
	{ MSG_QUERY, enc_query, dec_query },
	{ MSG_QUERY_REPLY, enc_query_reply, dec_query_reply },
	{ MSG_LOG, enc_log, dec_log },
	{ MSG_DONE, enc_done, dec_empty },
	{ MSG_TSA_OPEN, enc_tsa_open, dec_tsa_open },
	{ MSG_TSA_REPLY, enc_tsa_reply, dec_tsa_reply },
	{ MSG_TSA_DONE, enc_tsa_done, dec_tsa_done },
	{ MSG_SIGN_HELD, enc_sign_held, dec_sign_held },
	{ MSG_APPROVAL, enc_approval, dec_approval },
	{ MSG_HELD_CANCEL, enc_held_cancel, dec_empty },
	{ MSG_HELD_RESULT, enc_held_result, dec_held_result },
	{ MSG_UPLOAD, enc_upload, dec_upload },
	{ MSG_UPLOAD_REPLY, enc_upload_reply, dec_upload_reply },
	{ MSG_UPLOAD_DONE, enc_upload_done, dec_empty },
	{ MSG_PROGRESS, enc_progress, dec_progress },
	{ MSG_PESIGN, enc_pesign, dec_pesign },
	{ MSG_PESIGN_REPLY, enc_pesign_reply, dec_pesign_reply },
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/*
 * Decode the datagram p[0..len) as the receiver does: type, then body;
 * the table's decoder for the type must come to the same verdict.
 */
static int
decode_as(const struct kind *k, const uint8_t *p, size_t len)
{
	const struct chan_msg *row;
	uint16_t type;
	struct buf b;
	int r;

	buf_view(&b, p, len);
	if (msg_type_of(&b, &type) == -1 || type != k->type)
		return -1;
	r = k->dec(&b);
	assert_non_null(row = chan_lookup(type));
	buf_view(&b, p + 2, len - 2);
	assert_int_equal(row->decode(&b, &d_body), r);
	return r;
}

/* Decode a whole owned buffer as type k. */
static int
decode_buf(const struct kind *k, const struct buf *b)
{
	return decode_as(k, b->data, b->len);
}

static const struct kind *
kind_of(uint16_t type)
{
	for (size_t i = 0; i < NKINDS; i++)
		if (kinds[i].type == type)
			return &kinds[i];
	fail_msg("no sample for type %u", type);
	return NULL;
}

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
				    "accepted", msg_type_name(kinds[i].type),
				    n, b.len);
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
		assert_true(r->dir == CHAN_TO_MONITOR || r->dir == CHAN_TO_CHILD);
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
	assert_int_equal(CHAN_VERSION, 3);
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

static void
test_session_round_trips_in_network_order(void **state)
{
	static const uint8_t want[] = { 0, MSG_SESSION, 1, 2, 3, 4,
		0, 0, 0, 5, 0, 0, 0, 6, 0, 0, 0x75, 0x30, VIA_PESIGN };
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
		{ .op = PESIGN_OP_UNLOCKED, .format = FMT_NONE, .token = "t",
		  .cert = "c" },
		{ .op = PESIGN_OP_UNLOCKED, .format = FMT_PE, .token = "t" },
		{ .op = PESIGN_OP_MAP, .format = FMT_PE, .token = "t" },
		{ .op = PESIGN_OP_MAP, .format = FMT_CMS, .token = "t",
		  .cert = "c" },
		{ .op = PESIGN_OP_MAP, .format = FMT_PE, .token = "t",
		  .cert = "c\x1b[0m" },
		{ .op = PESIGN_OP_MAP, .format = FMT_PE, .token = "\xff\xfe",
		  .cert = "c" },
	};
	static const struct msg_pesign good[] = {
		{ .op = PESIGN_OP_KILL, .format = FMT_NONE },
		{ .op = PESIGN_OP_UNLOCK, .format = FMT_NONE, .token = "t" },
		{ .op = PESIGN_OP_MAP, .format = FMT_MODULE, .token = "t",
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
	/* The certificate is a reference into the message. */
	assert_true(d_kreply.cert > b.data &&
	    d_kreply.chain + d_kreply.chainlen + 2 == b.data + b.len);
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
	b.data[b.len - 1] = 0x02;
	assert_int_equal(decode_buf(kind_of(MSG_SIGN), &b), -1);
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
	const struct msg_sign_held m = { .reqid = 1, .id = id,
		.group = "g", .have = have, .need = need };
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
	struct msg_held_result m = { .id = 0, .frame = frame,
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
	assert_int_equal(buf_put_u8(b, 0), 0);	/* flags */
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
keyinfo_reply_with_lens(struct buf *b, size_t msglen, size_t certlen)
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
	put_fill(b, 0, 0x30);	/* no chain */
	assert_int_equal(buf_put_u8(b, TS_NONE), 0);
	assert_int_equal(buf_put_u8(b, 0), 0);
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

/* ---- enumerations out of range ---- */

/* Encode a keyinfo reply with the given enum fields and decode it. */
static int
keyinfo_reply_enums(uint8_t status, uint8_t kt, uint8_t pad, uint8_t dig)
{
	const struct msg_keyinfo_reply m = { .status = status,
		.message = "m", .keytype = kt, .padding = pad,
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
	    DIG_SHA512), 0);
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
	struct msg_keyinfo_reply m = { .status = ST_OK, .keytype = KT_RSA,
		.cert = cert_der, .certlen = sizeof(cert_der),
		.ts_mode = TS_REQUIRED, .ntsa = TSA_URLS_MAX };
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
		cmocka_unit_test(test_every_sample_decodes),
		cmocka_unit_test(test_every_truncation_is_refused),
		cmocka_unit_test(test_every_trailing_byte_is_refused),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_empty_messages_are_the_type_alone),
		cmocka_unit_test(test_the_table_has_every_message_once),
		cmocka_unit_test(test_the_numbers_are_the_wire_format),
		cmocka_unit_test(test_only_the_monitor_passes_descriptors),
		cmocka_unit_test(test_ready_carries_version_and_build),
		cmocka_unit_test(test_sign_ranges_are_checked_by_the_decoder),
		cmocka_unit_test(test_tsa_done_index_out_of_range_is_refused),
		cmocka_unit_test(test_session_round_trips_in_network_order),
		cmocka_unit_test(test_pesign_messages_round_trip),
		cmocka_unit_test(test_pesign_out_of_range_is_refused),
		cmocka_unit_test(test_keyinfo_round_trips),
		cmocka_unit_test(test_keyinfo_reply_round_trips),
		cmocka_unit_test(test_tsa_messages_round_trip),
		cmocka_unit_test(
		    test_keyinfo_reply_without_certificate_round_trips),
		cmocka_unit_test(test_sign_round_trips),
		cmocka_unit_test(test_sign_reply_round_trips),
		cmocka_unit_test(test_sign_unknown_flag_is_refused),
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
		cmocka_unit_test(test_log_text_over_max_is_refused),
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
