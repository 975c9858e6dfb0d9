/* msg.c: encoders and exact decoders of child <-> monitor messages. */
#include "proto/msg.h"

#include <string.h>

#include "common/utf8.h"

/* Read a key name: a bounded string that key_name_valid() accepts. */
static int
get_key(struct buf *b, char *dst, size_t dstlen)
{
	if (buf_get_str(b, dst, dstlen, KEY_NAME_MAX) == -1 ||
	    !key_name_valid(dst, strlen(dst)))
		return -1;
	return 0;
}

int
msg_begin(struct buf *b, uint16_t type)
{
	buf_reset(b);
	if (b->max < MSG_MAX)
		b->max = MSG_MAX;
	return buf_put_u16(b, type);
}

int
msg_type_of(struct buf *b, uint16_t *type)
{
	return buf_get_u16(b, type);
}

int
msg_enc_empty(struct buf *b, uint16_t type)
{
	return msg_begin(b, type);
}

int
msg_dec_empty(struct buf *b)
{
	return buf_end(b);
}

/* A build id is a version and a commit: letters, digits, "._+-". */
static int
build_id_valid(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			(*s >= '0' && *s <= '9') || strchr("._+-", *s) != NULL))
			return 0;
	return 1;
}

int
msg_enc_ready(struct buf *b, const struct msg_ready *m)
{
	if (msg_begin(b, MSG_READY) == -1 || buf_put_u32(b, m->version) == -1)
		return -1;
	return buf_put_str(b, m->build);
}

int
msg_dec_ready(struct buf *b, struct msg_ready *m)
{
	/* Version 1 had no fields (see msg.h). */
	if (buf_left(b) == 0) {
		m->version = 1;
		m->build[0] = '\0';
		return 0;
	}
	if (buf_get_u32(b, &m->version) == -1 ||
	    buf_get_str(b, m->build, sizeof(m->build), BUILD_ID_MAX) == -1 ||
	    m->version < 2 || !build_id_valid(m->build))
		return -1;
	return buf_end(b);
}

int
msg_enc_session(struct buf *b, const struct msg_session *m)
{
	if (msg_begin(b, MSG_SESSION) == -1 ||
	    buf_put_u32(b, m->session_id) == -1 ||
	    buf_put_u64(b, m->max_artifact) == -1 ||
	    buf_put_u32(b, m->idle_timeout_ms) == -1 ||
	    buf_put_u8(b, m->via) == -1)
		return -1;
	return buf_put_u16(b, m->busy);
}

int
msg_dec_session(struct buf *b, struct msg_session *m)
{
	if (buf_get_u32(b, &m->session_id) == -1 ||
	    buf_get_u64(b, &m->max_artifact) == -1 ||
	    buf_get_u32(b, &m->idle_timeout_ms) == -1 ||
	    buf_get_u8(b, &m->via) == -1 || m->via >= VIA_COUNT ||
	    buf_get_u16(b, &m->busy) == -1)
		return -1;
	return buf_end(b);
}

int
msg_enc_keyinfo(struct buf *b, const struct msg_keyinfo *m)
{
	if (msg_begin(b, MSG_KEYINFO) == -1 || buf_put_str(b, m->key) == -1 ||
	    buf_put_u8(b, m->format) == -1)
		return -1;
	return buf_put_str(b, m->name);
}

int
msg_dec_keyinfo(struct buf *b, struct msg_keyinfo *m)
{
	if (get_key(b, m->key, sizeof(m->key)) == -1 ||
	    buf_get_u8(b, &m->format) == -1 ||
	    buf_get_str(b, m->name, sizeof(m->name), ARTIFACT_NAME_MAX) == -1)
		return -1;
	if (m->format >= FMT_COUNT && m->format != FMT_NONE)
		return -1;
	return buf_end(b);
}

int
msg_enc_keyinfo_reply(struct buf *b, const struct msg_keyinfo_reply *m)
{
	if (msg_begin(b, MSG_KEYINFO_REPLY) == -1 ||
	    buf_put_u8(b, m->status) == -1 ||
	    buf_put_str(b, m->message) == -1 ||
	    buf_put_u8(b, m->keytype) == -1 ||
	    buf_put_u8(b, m->padding) == -1 ||
	    buf_put_u8(b, m->default_digest) == -1 ||
	    buf_put_u32(b, m->formats) == -1 ||
	    buf_put_u32(b, m->digests) == -1 ||
	    buf_put_bytes(b, m->cert, m->certlen) == -1 ||
	    buf_put_bytes(b, m->chain, m->chainlen) == -1 ||
	    buf_put_u8(b, m->ts_mode) == -1 || buf_put_u8(b, m->ntsa) == -1 ||
	    buf_put_u32(b, m->pgp_created) == -1 ||
	    buf_put_str(b, m->pgp_uid) == -1)
		return -1;
	return buf_put_u8(b, m->approval);
}

int
msg_dec_keyinfo_reply(struct buf *b, struct msg_keyinfo_reply *m)
{
	if (buf_get_u8(b, &m->status) == -1 ||
	    buf_get_str(b, m->message, sizeof(m->message), MESSAGE_MAX) == -1 ||
	    buf_get_u8(b, &m->keytype) == -1 ||
	    buf_get_u8(b, &m->padding) == -1 ||
	    buf_get_u8(b, &m->default_digest) == -1 ||
	    buf_get_u32(b, &m->formats) == -1 ||
	    buf_get_u32(b, &m->digests) == -1 ||
	    buf_get_bytes_ref(b, CERT_DER_MAX, &m->cert, &m->certlen) == -1 ||
	    buf_get_bytes_ref(b, CHAIN_DER_MAX, &m->chain, &m->chainlen) ==
		-1 ||
	    buf_get_u8(b, &m->ts_mode) == -1 || buf_get_u8(b, &m->ntsa) == -1 ||
	    buf_get_u32(b, &m->pgp_created) == -1 ||
	    buf_get_str(b, m->pgp_uid, sizeof(m->pgp_uid), PGP_UID_MAX) == -1 ||
	    buf_get_u8(b, &m->approval) == -1)
		return -1;
	if (m->status >= ST_COUNT || m->default_digest >= DIG_COUNT ||
	    m->approval > 1 || m->keytype > KT_EC || m->padding > PAD_PSS ||
	    m->ts_mode > TS_REQUIRED || m->ntsa > TSA_URLS_MAX ||
	    !utf8_text_valid(m->pgp_uid, strlen(m->pgp_uid)))
		return -1;
	return buf_end(b);
}

int
msg_enc_sign(struct buf *b, const struct msg_sign *m)
{
	if (msg_begin(b, MSG_SIGN) == -1 || buf_put_u32(b, m->reqid) == -1 ||
	    buf_put_str(b, m->key) == -1 || buf_put_u8(b, m->format) == -1 ||
	    buf_put_u8(b, m->digest) == -1 ||
	    buf_put_bytes(b, m->tbs, m->tbslen) == -1 ||
	    buf_put_bytes(b, m->adigest, m->adigestlen) == -1 ||
	    buf_put_str(b, m->name) == -1 || buf_put_u64(b, m->size) == -1)
		return -1;
	return buf_put_u8(b, m->flags);
}

int
msg_dec_sign(struct buf *b, struct msg_sign *m)
{
	if (buf_get_u32(b, &m->reqid) == -1 ||
	    get_key(b, m->key, sizeof(m->key)) == -1 ||
	    buf_get_u8(b, &m->format) == -1 ||
	    buf_get_u8(b, &m->digest) == -1 ||
	    buf_get_bytes(b, m->tbs, sizeof(m->tbs), &m->tbslen) == -1 ||
	    buf_get_bytes(b, m->adigest, sizeof(m->adigest), &m->adigestlen) ==
		-1 ||
	    buf_get_str(b, m->name, sizeof(m->name), ARTIFACT_NAME_MAX) == -1 ||
	    buf_get_u64(b, &m->size) == -1 || buf_get_u8(b, &m->flags) == -1)
		return -1;
	/* A format and digest that exist, and digests of that length. */
	if (m->format >= FMT_COUNT || m->digest >= DIG_COUNT ||
	    m->tbslen != digest_len(m->digest) ||
	    m->adigestlen != digest_len(m->digest) ||
	    (m->flags & ~(MSG_SIGN_F_NOWAIT | MSG_SIGN_F_PIPELINED)) ||
	    m->flags == (MSG_SIGN_F_NOWAIT | MSG_SIGN_F_PIPELINED))
		return -1;
	return buf_end(b);
}

int
msg_enc_sign_reply(struct buf *b, const struct msg_sign_reply *m)
{
	if (msg_begin(b, MSG_SIGN_REPLY) == -1 ||
	    buf_put_u32(b, m->reqid) == -1 || buf_put_u8(b, m->status) == -1 ||
	    buf_put_u16(b, m->busy) == -1 || buf_put_str(b, m->message) == -1)
		return -1;
	return buf_put_bytes(b, m->sig, m->siglen);
}

int
msg_dec_sign_reply(struct buf *b, struct msg_sign_reply *m)
{
	if (buf_get_u32(b, &m->reqid) == -1 ||
	    buf_get_u8(b, &m->status) == -1 || buf_get_u16(b, &m->busy) == -1 ||
	    buf_get_str(b, m->message, sizeof(m->message), MESSAGE_MAX) == -1 ||
	    buf_get_bytes(b, m->sig, sizeof(m->sig), &m->siglen) == -1)
		return -1;
	if (m->status >= ST_COUNT)
		return -1;
	return buf_end(b);
}

int
msg_enc_query(struct buf *b, const struct msg_query *m)
{
	if (msg_begin(b, MSG_QUERY) == -1)
		return -1;
	return buf_put_u8(b, m->what);
}

int
msg_dec_query(struct buf *b, struct msg_query *m)
{
	if (buf_get_u8(b, &m->what) == -1)
		return -1;
	if (m->what < Q_KEYS || m->what > Q_STATUS)
		return -1;
	return buf_end(b);
}

int
msg_enc_query_reply(struct buf *b, const struct buf *frame)
{
	if (msg_begin(b, MSG_QUERY_REPLY) == -1)
		return -1;
	return buf_put_bytes(b, buf_ptr(frame), buf_left(frame));
}

int
msg_dec_query_reply(struct buf *b, const uint8_t **frame, size_t *len)
{
	if (buf_get_bytes_ref(b, MSG_MAX, frame, len) == -1)
		return -1;
	return buf_end(b);
}

int
msg_enc_log(struct buf *b, const struct msg_log *m)
{
	if (msg_begin(b, MSG_LOG) == -1 || buf_put_u8(b, m->level) == -1)
		return -1;
	return buf_put_str(b, m->text);
}

int
msg_dec_log(struct buf *b, struct msg_log *m)
{
	if (buf_get_u8(b, &m->level) == -1 ||
	    buf_get_str(b, m->text, sizeof(m->text), LOG_TEXT_MAX) == -1)
		return -1;
	if (m->level > 3)
		return -1;
	return buf_end(b);
}

int
msg_enc_admin(struct buf *b, const struct msg_admin *m)
{
	if (msg_begin(b, MSG_ADMIN) == -1 || buf_put_u8(b, m->op) == -1 ||
	    buf_put_str(b, m->key) == -1)
		return -1;
	return buf_put_str(b, m->reason);
}

int
msg_dec_admin(struct buf *b, struct msg_admin *m)
{
	if (buf_get_u8(b, &m->op) == -1 ||
	    get_key(b, m->key, sizeof(m->key)) == -1 ||
	    buf_get_str(b, m->reason, sizeof(m->reason), MESSAGE_MAX) == -1)
		return -1;
	if (m->op != 1 && m->op != 2)
		return -1;
	return buf_end(b);
}

int
msg_enc_sign_held(struct buf *b, const struct msg_sign_held *m)
{
	if (msg_begin(b, MSG_SIGN_HELD) == -1 ||
	    buf_put_u32(b, m->reqid) == -1 || buf_put_u64(b, m->id) == -1 ||
	    buf_put_str(b, m->group) == -1 || buf_put_u8(b, m->have) == -1 ||
	    buf_put_u8(b, m->need) == -1 || buf_put_u32(b, m->expires_in) == -1)
		return -1;
	return buf_put_str(b, m->approver);
}

int
msg_dec_sign_held(struct buf *b, struct msg_sign_held *m)
{
	if (buf_get_u32(b, &m->reqid) == -1 || buf_get_u64(b, &m->id) == -1 ||
	    buf_get_str(b, m->group, sizeof(m->group), KEY_NAME_MAX) == -1 ||
	    buf_get_u8(b, &m->have) == -1 || buf_get_u8(b, &m->need) == -1 ||
	    buf_get_u32(b, &m->expires_in) == -1 ||
	    buf_get_str(b, m->approver, sizeof(m->approver), KEY_NAME_MAX) ==
		-1)
		return -1;
	if (m->id == 0 || m->need == 0 || m->need > 16 || m->have > m->need)
		return -1;
	return buf_end(b);
}

int
msg_enc_approval(struct buf *b, const struct msg_approval *m)
{
	if (msg_begin(b, MSG_APPROVAL) == -1 || buf_put_u8(b, m->op) == -1 ||
	    buf_put_u64(b, m->id) == -1)
		return -1;
	return buf_put_str(b, m->reason);
}

int
msg_dec_approval(struct buf *b, struct msg_approval *m)
{
	if (buf_get_u8(b, &m->op) == -1 || buf_get_u64(b, &m->id) == -1 ||
	    buf_get_str(b, m->reason, sizeof(m->reason), MESSAGE_MAX) == -1)
		return -1;
	if (m->op < APPR_PENDING || m->op > APPR_WAIT ||
	    (m->op == APPR_PENDING) != (m->id == 0))
		return -1;
	return buf_end(b);
}

int
msg_enc_held_result(struct buf *b, const struct msg_held_result *m)
{
	if (msg_begin(b, MSG_HELD_RESULT) == -1 || buf_put_u64(b, m->id) == -1)
		return -1;
	return buf_put_bytes(b, m->frame, m->len);
}

int
msg_dec_held_result(struct buf *b, struct msg_held_result *m)
{
	if (buf_get_u64(b, &m->id) == -1 ||
	    buf_get_bytes_ref(b, MSG_MAX, &m->frame, &m->len) == -1)
		return -1;
	if (m->id == 0)
		return -1;
	return buf_end(b);
}

int
msg_enc_tsa_open(struct buf *b, const struct msg_tsa_open *m)
{
	if (msg_begin(b, MSG_TSA_OPEN) == -1)
		return -1;
	return buf_put_u8(b, m->index);
}

int
msg_dec_tsa_open(struct buf *b, struct msg_tsa_open *m)
{
	if (buf_get_u8(b, &m->index) == -1)
		return -1;
	return buf_end(b);
}

int
msg_enc_tsa_reply(struct buf *b, const struct msg_tsa_reply *m)
{
	if (msg_begin(b, MSG_TSA_REPLY) == -1 ||
	    buf_put_u8(b, m->status) == -1 ||
	    buf_put_str(b, m->message) == -1 || buf_put_str(b, m->url) == -1 ||
	    buf_put_str(b, m->hostport) == -1 ||
	    buf_put_str(b, m->path) == -1 ||
	    buf_put_u32(b, m->timeout_ms) == -1 ||
	    buf_put_u64(b, m->now) == -1 || buf_put_u32(b, m->max_skew) == -1)
		return -1;
	return buf_put_bytes(b, m->anchors, m->anchorslen);
}

int
msg_dec_tsa_reply(struct buf *b, struct msg_tsa_reply *m)
{
	if (buf_get_u8(b, &m->status) == -1 ||
	    buf_get_str(b, m->message, sizeof(m->message), MESSAGE_MAX) == -1 ||
	    buf_get_str(b, m->url, sizeof(m->url), TSA_TEXT_MAX) == -1 ||
	    buf_get_str(b, m->hostport, sizeof(m->hostport), TSA_TEXT_MAX) ==
		-1 ||
	    buf_get_str(b, m->path, sizeof(m->path), TSA_TEXT_MAX) == -1 ||
	    buf_get_u32(b, &m->timeout_ms) == -1 ||
	    buf_get_u64(b, &m->now) == -1 ||
	    buf_get_u32(b, &m->max_skew) == -1 ||
	    buf_get_bytes_ref(b, TSA_ANCHORS_MAX, &m->anchors,
		&m->anchorslen) == -1)
		return -1;
	/* A socket comes with anchors to check its answer, never without. */
	if (m->status >= ST_COUNT ||
	    (m->status == ST_OK) != (m->anchorslen > 0))
		return -1;
	return buf_end(b);
}

int
msg_enc_tsa_done(struct buf *b, const struct msg_tsa_done *m)
{
	if (msg_begin(b, MSG_TSA_DONE) == -1 ||
	    buf_put_u8(b, m->status) == -1 || buf_put_u8(b, m->index) == -1 ||
	    buf_put_str(b, m->gentime) == -1)
		return -1;
	return buf_put_str(b, m->message);
}

int
msg_dec_tsa_done(struct buf *b, struct msg_tsa_done *m)
{
	if (buf_get_u8(b, &m->status) == -1 || buf_get_u8(b, &m->index) == -1 ||
	    buf_get_str(b, m->gentime, sizeof(m->gentime),
		sizeof(m->gentime) - 1) == -1 ||
	    buf_get_str(b, m->message, sizeof(m->message), MESSAGE_MAX) == -1)
		return -1;
	if (m->status >= ST_COUNT || m->index >= TSA_URLS_MAX)
		return -1;
	return buf_end(b);
}

int
msg_enc_upload(struct buf *b, const struct msg_upload *m)
{
	if (msg_begin(b, MSG_UPLOAD) == -1 || buf_put_str(b, m->key) == -1 ||
	    buf_put_u8(b, m->format) == -1 || buf_put_u64(b, m->size) == -1)
		return -1;
	return buf_put_str(b, m->name);
}

int
msg_dec_upload(struct buf *b, struct msg_upload *m)
{
	if (get_key(b, m->key, sizeof(m->key)) == -1 ||
	    buf_get_u8(b, &m->format) == -1 || buf_get_u64(b, &m->size) == -1 ||
	    buf_get_str(b, m->name, sizeof(m->name), ARTIFACT_NAME_MAX) == -1)
		return -1;
	if (m->format >= FMT_COUNT)
		return -1;
	return buf_end(b);
}

int
msg_enc_upload_reply(struct buf *b, const struct msg_upload_reply *m)
{
	if (msg_begin(b, MSG_UPLOAD_REPLY) == -1 ||
	    buf_put_u8(b, m->status) == -1)
		return -1;
	return buf_put_str(b, m->message);
}

int
msg_dec_upload_reply(struct buf *b, struct msg_upload_reply *m)
{
	if (buf_get_u8(b, &m->status) == -1 ||
	    buf_get_str(b, m->message, sizeof(m->message), MESSAGE_MAX) == -1)
		return -1;
	if (m->status >= ST_COUNT)
		return -1;
	return buf_end(b);
}

int
msg_enc_progress(struct buf *b, const struct msg_progress *m)
{
	if (msg_begin(b, MSG_PROGRESS) == -1)
		return -1;
	return buf_put_u64(b, m->bytes);
}

int
msg_dec_progress(struct buf *b, struct msg_progress *m)
{
	if (buf_get_u64(b, &m->bytes) == -1 || m->bytes == 0)
		return -1;
	return buf_end(b);
}

int
msg_enc_pesign(struct buf *b, const struct msg_pesign *m)
{
	if (msg_begin(b, MSG_PESIGN) == -1 || buf_put_u8(b, m->op) == -1 ||
	    buf_put_u8(b, m->format) == -1 || buf_put_str(b, m->token) == -1)
		return -1;
	return buf_put_str(b, m->cert);
}

/*
 * The names are the client's, checked as the pesign decoder checks them:
 * a token for every op but KILL, a certificate for MAP only, and a format
 * for MAP only.
 */
int
msg_dec_pesign(struct buf *b, struct msg_pesign *m)
{
	if (buf_get_u8(b, &m->op) == -1 || buf_get_u8(b, &m->format) == -1 ||
	    buf_get_str(b, m->token, sizeof(m->token), PESIGN_NAME_MAX) == -1 ||
	    buf_get_str(b, m->cert, sizeof(m->cert), PESIGN_NAME_MAX) == -1)
		return -1;
	if (m->op == 0 || m->op >= PESIGN_OP_COUNT)
		return -1;
	if ((m->op == PESIGN_OP_KILL) != (m->token[0] == '\0') ||
	    (m->token[0] != '\0' && !pesign_name_valid(m->token)))
		return -1;
	if (m->op == PESIGN_OP_MAP
		? !pesign_name_valid(m->cert) ||
		    (m->format != FMT_PE && m->format != FMT_MODULE)
		: m->cert[0] != '\0' || m->format != FMT_NONE)
		return -1;
	return buf_end(b);
}

int
msg_enc_pesign_reply(struct buf *b, const struct msg_pesign_reply *m)
{
	if (msg_begin(b, MSG_PESIGN_REPLY) == -1 ||
	    buf_put_u32(b, (uint32_t)m->rc) == -1 ||
	    buf_put_str(b, m->message) == -1)
		return -1;
	return buf_put_str(b, m->key);
}

int
msg_dec_pesign_reply(struct buf *b, struct msg_pesign_reply *m)
{
	uint32_t rc;

	if (buf_get_u32(b, &rc) == -1 ||
	    buf_get_str(b, m->message, sizeof(m->message), MESSAGE_MAX) == -1 ||
	    buf_get_str(b, m->key, sizeof(m->key), KEY_NAME_MAX) == -1)
		return -1;
	m->rc = (int32_t)rc;
	if (m->key[0] != '\0' &&
	    (m->rc != 0 || !key_name_valid(m->key, strlen(m->key))))
		return -1;
	return buf_end(b);
}
