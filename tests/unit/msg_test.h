/*
 * msg_test.h: what the child <-> monitor message unit tests share
 * (test_msg.c, test_msg_roundtrip.c, test_msg_bounds.c,
 * test_msg_enums.c): one valid sample of each message, its decoder into
 * a static result, and decode_as(), which holds the codec and the
 * channel's table (proto/chan.c) to the same verdict on every input.
 */
#ifndef CSIGN_MSG_TEST_H
#define CSIGN_MSG_TEST_H

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
static __attribute__((unused)) struct msg_ready d_ready;
static __attribute__((unused)) struct msg_session d_session;
static __attribute__((unused)) union chan_body d_body;
static __attribute__((unused)) struct msg_keyinfo d_keyinfo;
static __attribute__((unused)) struct msg_keyinfo_reply d_kreply;
static __attribute__((unused)) struct msg_sign d_sign;
static __attribute__((unused)) struct msg_sign_reply d_sreply;
static __attribute__((unused)) struct msg_query d_query;
static __attribute__((unused)) struct msg_log d_log;
static __attribute__((unused)) struct msg_sign_held d_held;
static __attribute__((unused)) struct msg_approval d_appr;
static __attribute__((unused)) struct msg_held_result d_result;
static __attribute__((unused)) struct msg_upload d_upload;
static __attribute__((unused)) struct msg_upload_reply d_ureply;
static __attribute__((unused)) struct msg_progress d_progress;
static __attribute__((unused)) struct msg_pesign d_pesign;
static __attribute__((unused)) struct msg_pesign_reply d_preply;
static __attribute__((unused)) struct msg_admin d_admin;
static __attribute__((unused)) const uint8_t *d_frame;
static __attribute__((unused)) size_t d_framelen;

static __attribute__((unused))
const uint8_t cert_der[] = { 0x30, 0x82, 0x00, 0x03, 0x02, 0x01, 0 };

/* ---- one valid sample of each message ---- */

static inline void
enc_ready(struct buf *b)
{
	const struct msg_ready m = { .version = CHAN_VERSION,
		.build = "0.1.0-12-gabc123-dirty" };

	assert_int_equal(msg_enc_ready(b, &m), 0);
}

static inline void
enc_done(struct buf *b)
{
	assert_int_equal(msg_enc_empty(b, MSG_DONE), 0);
}

static inline void
enc_session(struct buf *b)
{
	const struct msg_session m = { .session_id = 0x01020304,
		.max_artifact = 0x0000000500000006ull,
		.idle_timeout_ms = 30000,
		.via = VIA_PESIGN,
		.busy = 0x0708 };

	assert_int_equal(msg_enc_session(b, &m), 0);
}

static inline void
enc_keyinfo(struct buf *b)
{
	const struct msg_keyinfo m = { .key = "release-key",
		.format = FMT_CMS,
		.name = "vmlinuz" };

	assert_int_equal(msg_enc_keyinfo(b, &m), 0);
}

static inline void
enc_keyinfo_reply(struct buf *b)
{
	const struct msg_keyinfo_reply m = { .status = ST_OK,
		.message = "granted",
		.keytype = KT_RSA,
		.padding = PAD_PSS,
		.default_digest = DIG_SHA384,
		.formats = FMT_BIT(FMT_RAW) | FMT_BIT(FMT_CMS),
		.digests = DIG_BIT(DIG_SHA256) | DIG_BIT(DIG_SHA384),
		.cert = cert_der,
		.certlen = sizeof(cert_der),
		.chain = cert_der,
		.chainlen = sizeof(cert_der),
		.ts_mode = TS_REQUIRED,
		.ntsa = 2,
		.pgp_created = 1767225600,
		.pgp_uid = "Name <mail@example.org>",
		.approval = 1 };

	assert_int_equal(msg_enc_keyinfo_reply(b, &m), 0);
}

static inline void
enc_sign(struct buf *b)
{
	struct msg_sign m = { .reqid = 42,
		.key = "k1",
		.format = FMT_CMS,
		.digest = DIG_SHA256,
		.tbslen = 32,
		.adigestlen = 32,
		.name = "vmlinuz",
		.size = 123456789,
		.flags = MSG_SIGN_F_NOWAIT };

	memset(m.tbs, 0xaa, sizeof(m.tbs));
	memset(m.adigest, 0xbb, sizeof(m.adigest));
	assert_int_equal(msg_enc_sign(b, &m), 0);
}

static inline void
enc_sign_reply(struct buf *b)
{
	struct msg_sign_reply m = { .reqid = 42,
		.status = ST_OK,
		.busy = 7,
		.message = "signed",
		.siglen = 256 };

	memset(m.sig, 0x5a, sizeof(m.sig));
	assert_int_equal(msg_enc_sign_reply(b, &m), 0);
}

static inline void
enc_query(struct buf *b)
{
	const struct msg_query m = { .what = Q_WHOAMI };

	assert_int_equal(msg_enc_query(b, &m), 0);
}

static inline void
enc_query_reply(struct buf *b)
{
	struct buf f;

	buf_init(&f, 0);
	assert_int_equal(frame_reply_status(&f, ST_OK, "alice"), 0);
	assert_int_equal(msg_enc_query_reply(b, &f), 0);
	buf_free(&f);
}

static inline void
enc_log(struct buf *b)
{
	const struct msg_log m = { .level = 2, .text = "artifact too big" };

	assert_int_equal(msg_enc_log(b, &m), 0);
}

static inline void
enc_tsa_open(struct buf *b)
{
	const struct msg_tsa_open m = { .index = 1 };

	assert_int_equal(msg_enc_tsa_open(b, &m), 0);
}

static inline void
enc_tsa_reply(struct buf *b)
{
	static const uint8_t der[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	const struct msg_tsa_reply m = { .status = ST_OK,
		.url = "http://127.0.0.1:3180/tsa",
		.hostport = "127.0.0.1:3180",
		.path = "/tsa",
		.timeout_ms = 10000,
		.now = 1767225600,
		.max_skew = 300,
		.anchors = der,
		.anchorslen = sizeof(der) };

	assert_int_equal(msg_enc_tsa_reply(b, &m), 0);
}

static inline void
enc_tsa_done(struct buf *b)
{
	const struct msg_tsa_done m = { .status = ST_UNAVAILABLE,
		.index = 1,
		.message = "http://127.0.0.1:3180/tsa: wrong nonce" };

	assert_int_equal(msg_enc_tsa_done(b, &m), 0);
}

static inline void
enc_sign_held(struct buf *b)
{
	const struct msg_sign_held m = { .reqid = 7,
		.id = 0x0102030405060708ull,
		.group = "releng",
		.have = 1,
		.need = 2,
		.expires_in = 3599,
		.approver = "carol" };

	assert_int_equal(msg_enc_sign_held(b, &m), 0);
}

static inline void
enc_approval(struct buf *b)
{
	const struct msg_approval m = { .op = APPR_DENY,
		.id = 17,
		.reason = "not a release build" };

	assert_int_equal(msg_enc_approval(b, &m), 0);
}

static inline void
enc_held_cancel(struct buf *b)
{
	assert_int_equal(msg_enc_empty(b, MSG_HELD_CANCEL), 0);
}

static inline void
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

static inline void
enc_upload(struct buf *b)
{
	const struct msg_upload m = { .key = "efi.2026",
		.format = FMT_PE,
		.size = 0x0000000100000002ull,
		.name = "shimx64.efi" };

	assert_int_equal(msg_enc_upload(b, &m), 0);
}

static inline void
enc_upload_reply(struct buf *b)
{
	const struct msg_upload_reply m = { .status = ST_UNAVAILABLE,
		.message = "over MaxUploadPerUser" };

	assert_int_equal(msg_enc_upload_reply(b, &m), 0);
}

static inline void
enc_upload_done(struct buf *b)
{
	assert_int_equal(msg_enc_empty(b, MSG_UPLOAD_DONE), 0);
}

static inline void
enc_progress(struct buf *b)
{
	const struct msg_progress m = { .bytes = 0x0000000300000004ull };

	assert_int_equal(msg_enc_progress(b, &m), 0);
}

/* ---- the decoders, each into its static result ---- */

static inline int
dec_empty(struct buf *b)
{
	return msg_dec_empty(b);
}

static inline int
dec_session(struct buf *b)
{
	return msg_dec_session(b, &d_session);
}

static inline int
dec_keyinfo(struct buf *b)
{
	return msg_dec_keyinfo(b, &d_keyinfo);
}

static inline int
dec_keyinfo_reply(struct buf *b)
{
	return msg_dec_keyinfo_reply(b, &d_kreply);
}

static inline int
dec_sign(struct buf *b)
{
	return msg_dec_sign(b, &d_sign);
}

static inline int
dec_sign_reply(struct buf *b)
{
	return msg_dec_sign_reply(b, &d_sreply);
}

static inline int
dec_query(struct buf *b)
{
	return msg_dec_query(b, &d_query);
}

static inline int
dec_query_reply(struct buf *b)
{
	return msg_dec_query_reply(b, &d_frame, &d_framelen);
}

static inline int
dec_log(struct buf *b)
{
	return msg_dec_log(b, &d_log);
}

static __attribute__((unused)) struct msg_tsa_open d_tsa_open;
static __attribute__((unused)) struct msg_tsa_reply d_tsa_reply;
static __attribute__((unused)) struct msg_tsa_done d_tsa_done;

static inline int
dec_tsa_open(struct buf *b)
{
	return msg_dec_tsa_open(b, &d_tsa_open);
}

static inline int
dec_tsa_reply(struct buf *b)
{
	return msg_dec_tsa_reply(b, &d_tsa_reply);
}

static inline int
dec_tsa_done(struct buf *b)
{
	return msg_dec_tsa_done(b, &d_tsa_done);
}

static inline int
dec_sign_held(struct buf *b)
{
	return msg_dec_sign_held(b, &d_held);
}

static inline int
dec_approval(struct buf *b)
{
	return msg_dec_approval(b, &d_appr);
}

static inline int
dec_held_result(struct buf *b)
{
	return msg_dec_held_result(b, &d_result);
}

static inline int
dec_ready(struct buf *b)
{
	return msg_dec_ready(b, &d_ready);
}

static inline int
dec_upload(struct buf *b)
{
	return msg_dec_upload(b, &d_upload);
}

static inline int
dec_upload_reply(struct buf *b)
{
	return msg_dec_upload_reply(b, &d_ureply);
}

static inline int
dec_progress(struct buf *b)
{
	return msg_dec_progress(b, &d_progress);
}

static inline void
enc_pesign(struct buf *b)
{
	const struct msg_pesign m = { .op = PESIGN_OP_MAP,
		.format = FMT_PE,
		.token = "OpenSC Card (Fedora Signer)",
		.cert = "/CN=Fedora Secure Boot Signer" };

	assert_int_equal(msg_enc_pesign(b, &m), 0);
}

static inline int
dec_pesign(struct buf *b)
{
	return msg_dec_pesign(b, &d_pesign);
}

static inline void
enc_pesign_reply(struct buf *b)
{
	const struct msg_pesign_reply m = { .rc = 0, .key = "efi.2026" };

	assert_int_equal(msg_enc_pesign_reply(b, &m), 0);
}

static inline int
dec_pesign_reply(struct buf *b)
{
	return msg_dec_pesign_reply(b, &d_preply);
}

static __attribute__((unused)) const struct kind {
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
static inline int
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
static inline int
decode_buf(const struct kind *k, const struct buf *b)
{
	return decode_as(k, b->data, b->len);
}

static inline const struct kind *
kind_of(uint16_t type)
{
	for (size_t i = 0; i < NKINDS; i++)
		if (kinds[i].type == type)
			return &kinds[i];
	fail_msg("no sample for type %u", type);
	return NULL;
}

#endif /* CSIGN_MSG_TEST_H */
