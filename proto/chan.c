/* chan.c: the table of the child <-> monitor channel (see chan.h). */
#include "proto/chan.h"

#include <stddef.h>

/* Set by the Makefile for proto/chan.c only, so a commit rebuilds one file. */
#ifndef CSIGN_BUILD_ID
#define CSIGN_BUILD_ID CSIGN_VERSION
#endif

/* One decoder per body, each into its member of the union. */
static int
dec_empty(struct buf *b, union chan_body *u)
{
	(void)u;
	return msg_dec_empty(b);
}

static int
dec_ready(struct buf *b, union chan_body *u)
{
	return msg_dec_ready(b, &u->ready);
}

static int
dec_session(struct buf *b, union chan_body *u)
{
	return msg_dec_session(b, &u->session);
}

static int
dec_keyinfo(struct buf *b, union chan_body *u)
{
	return msg_dec_keyinfo(b, &u->keyinfo);
}

static int
dec_keyinfo_reply(struct buf *b, union chan_body *u)
{
	return msg_dec_keyinfo_reply(b, &u->keyinfo_reply);
}

static int
dec_sign(struct buf *b, union chan_body *u)
{
	return msg_dec_sign(b, &u->sign);
}

static int
dec_sign_reply(struct buf *b, union chan_body *u)
{
	return msg_dec_sign_reply(b, &u->sign_reply);
}

static int
dec_query(struct buf *b, union chan_body *u)
{
	return msg_dec_query(b, &u->query);
}

static int
dec_query_reply(struct buf *b, union chan_body *u)
{
	return msg_dec_query_reply(b, &u->query_reply.frame,
	    &u->query_reply.len);
}

static int
dec_log(struct buf *b, union chan_body *u)
{
	return msg_dec_log(b, &u->log);
}

static int
dec_admin(struct buf *b, union chan_body *u)
{
	return msg_dec_admin(b, &u->admin);
}

static int
dec_tsa_open(struct buf *b, union chan_body *u)
{
	return msg_dec_tsa_open(b, &u->tsa_open);
}

static int
dec_tsa_reply(struct buf *b, union chan_body *u)
{
	return msg_dec_tsa_reply(b, &u->tsa_reply);
}

static int
dec_tsa_done(struct buf *b, union chan_body *u)
{
	return msg_dec_tsa_done(b, &u->tsa_done);
}

static int
dec_sign_held(struct buf *b, union chan_body *u)
{
	return msg_dec_sign_held(b, &u->sign_held);
}

static int
dec_approval(struct buf *b, union chan_body *u)
{
	return msg_dec_approval(b, &u->approval);
}

static int
dec_held_result(struct buf *b, union chan_body *u)
{
	return msg_dec_held_result(b, &u->held_result);
}

static int
dec_upload(struct buf *b, union chan_body *u)
{
	return msg_dec_upload(b, &u->upload);
}

static int
dec_upload_reply(struct buf *b, union chan_body *u)
{
	return msg_dec_upload_reply(b, &u->upload_reply);
}

static int
dec_progress(struct buf *b, union chan_body *u)
{
	return msg_dec_progress(b, &u->progress);
}

static int
dec_pesign(struct buf *b, union chan_body *u)
{
	return msg_dec_pesign(b, &u->pesign);
}

static int
dec_pesign_reply(struct buf *b, union chan_body *u)
{
	return msg_dec_pesign_reply(b, &u->pesign_reply);
}

#define TO_MON CHAN_TO_MONITOR
#define TO_CHILD CHAN_TO_CHILD
#define ONCE CHAN_F_ONCE
#define FD CHAN_F_FD
#define PERMIT CHAN_F_PERMIT
/* A child's log lines come in every state but the end. */
#define ALIVE \
	(CH_BIT(CH_STARTING) | CH_BIT(CH_IDLE) | CH_BIT(CH_SESSION) | \
	    CH_BIT(CH_SIGNING) | CH_BIT(CH_HELD))
#define SESSION CH_BIT(CH_SESSION)

/* One row: number, name, direction, states, flags, decoder. */
#define ROW(t, n, d, s, f, dec) \
	[(t)] = { .type = (t), \
		.name = (n), \
		.dir = (d), \
		.states = (s), \
		.flags = (f), \
		.decode = (dec) }

/* The channel, by number; a row's index is its type. */
static const struct chan_msg chan_table[MSG_TYPE_COUNT] = {
	ROW(MSG_READY, "ready", TO_MON, CH_BIT(CH_STARTING), ONCE, dec_ready),
	ROW(MSG_SESSION, "session", TO_CHILD, 0, ONCE | FD, dec_session),
	ROW(MSG_KEYINFO, "keyinfo", TO_MON, SESSION, 0, dec_keyinfo),
	ROW(MSG_KEYINFO_REPLY, "keyinfo-reply", TO_CHILD, 0, 0,
	    dec_keyinfo_reply),
	/* While signing: a pipelined request (monitor/sign.c checks). */
	ROW(MSG_SIGN, "sign", TO_MON, SESSION | CH_BIT(CH_SIGNING), PERMIT,
	    dec_sign),
	ROW(MSG_SIGN_REPLY, "sign-reply", TO_CHILD, 0, 0, dec_sign_reply),
	ROW(MSG_QUERY, "query", TO_MON, SESSION, 0, dec_query),
	ROW(MSG_QUERY_REPLY, "query-reply", TO_CHILD, 0, 0, dec_query_reply),
	ROW(MSG_LOG, "log", TO_MON, ALIVE, 0, dec_log),
	ROW(MSG_DONE, "done", TO_MON, SESSION, ONCE, dec_empty),
	ROW(MSG_ADMIN, "admin", TO_MON, SESSION, 0, dec_admin),
	ROW(MSG_TSA_OPEN, "tsa-open", TO_MON, SESSION, PERMIT, dec_tsa_open),
	ROW(MSG_TSA_REPLY, "tsa-reply", TO_CHILD, 0, FD, dec_tsa_reply),
	ROW(MSG_TSA_DONE, "tsa-done", TO_MON, SESSION, PERMIT, dec_tsa_done),
	ROW(MSG_SIGN_HELD, "sign-held", TO_CHILD, 0, 0, dec_sign_held),
	ROW(MSG_APPROVAL, "approval", TO_MON, SESSION, 0, dec_approval),
	/* A cancel may cross the decision, which ends CH_SIGNING. */
	ROW(MSG_HELD_CANCEL, "held-cancel", TO_MON,
	    CH_BIT(CH_SIGNING) | SESSION, PERMIT, dec_empty),
	ROW(MSG_HELD_RESULT, "held-result", TO_MON, SESSION, PERMIT,
	    dec_held_result),
	ROW(MSG_UPLOAD, "upload", TO_MON, SESSION, 0, dec_upload),
	ROW(MSG_UPLOAD_REPLY, "upload-reply", TO_CHILD, 0, 0, dec_upload_reply),
	ROW(MSG_UPLOAD_DONE, "upload-done", TO_MON, SESSION, PERMIT, dec_empty),
	/* A pipelined request's artifact moves while another is signed. */
	ROW(MSG_PROGRESS, "progress", TO_MON, SESSION | CH_BIT(CH_SIGNING), 0,
	    dec_progress),
	/* Only from a session of the pesign listener (the handler checks). */
	ROW(MSG_PESIGN, "pesign", TO_MON, SESSION, 0, dec_pesign),
	ROW(MSG_PESIGN_REPLY, "pesign-reply", TO_CHILD, 0, 0, dec_pesign_reply),
};

/* The masks of chan.h hold one bit per type and per state. */
_Static_assert(MSG_TYPE_COUNT <= 32, "a message type per bit of a mask");
_Static_assert(CH_STATE_COUNT <= 32, "a child state per bit of a mask");

const struct chan_msg *
chan_lookup(unsigned type)
{
	if (type == 0 || type >= MSG_TYPE_COUNT ||
	    chan_table[type].type != type)
		return NULL;
	return &chan_table[type];
}

const char *
msg_type_name(int type)
{
	const struct chan_msg *m =
	    type > 0 ? chan_lookup((unsigned)type) : NULL;

	return m != NULL ? m->name : "unknown";
}

const char *
chan_build_id(void)
{
	return CSIGN_BUILD_ID;
}
