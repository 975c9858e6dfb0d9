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

#define TO_MON CHAN_TO_MONITOR
#define TO_CHILD CHAN_TO_CHILD
#define ONCE CHAN_F_ONCE
#define FD CHAN_F_FD
#define PERMIT CHAN_F_PERMIT
/* A child's log lines come in every state but the end. */
#define ALIVE (CH_BIT(CH_STARTING) | CH_BIT(CH_IDLE) | CH_BIT(CH_SESSION) | \
	CH_BIT(CH_SIGNING) | CH_BIT(CH_HELD))
#define SESSION CH_BIT(CH_SESSION)

/* The channel, by number; a row's index is its type. */
static const struct chan_msg chan_table[MSG_TYPE_COUNT] = {
	[MSG_READY] = { MSG_READY, "ready", TO_MON,
	    CH_BIT(CH_STARTING), ONCE, dec_ready },
	[MSG_SESSION] = { MSG_SESSION, "session", TO_CHILD,
	    0, ONCE | FD, dec_session },
	[MSG_KEYINFO] = { MSG_KEYINFO, "keyinfo", TO_MON,
	    SESSION, 0, dec_keyinfo },
	[MSG_KEYINFO_REPLY] = { MSG_KEYINFO_REPLY, "keyinfo-reply", TO_CHILD,
	    0, 0, dec_keyinfo_reply },
	[MSG_SIGN] = { MSG_SIGN, "sign", TO_MON,
	    SESSION, PERMIT, dec_sign },
	[MSG_SIGN_REPLY] = { MSG_SIGN_REPLY, "sign-reply", TO_CHILD,
	    0, 0, dec_sign_reply },
	[MSG_QUERY] = { MSG_QUERY, "query", TO_MON,
	    SESSION, 0, dec_query },
	[MSG_QUERY_REPLY] = { MSG_QUERY_REPLY, "query-reply", TO_CHILD,
	    0, 0, dec_query_reply },
	[MSG_LOG] = { MSG_LOG, "log", TO_MON,
	    ALIVE, 0, dec_log },
	[MSG_DONE] = { MSG_DONE, "done", TO_MON,
	    SESSION, ONCE, dec_empty },
	[MSG_ADMIN] = { MSG_ADMIN, "admin", TO_MON,
	    SESSION, 0, dec_admin },
	[MSG_TSA_OPEN] = { MSG_TSA_OPEN, "tsa-open", TO_MON,
	    SESSION, PERMIT, dec_tsa_open },
	[MSG_TSA_REPLY] = { MSG_TSA_REPLY, "tsa-reply", TO_CHILD,
	    0, FD, dec_tsa_reply },
	[MSG_TSA_DONE] = { MSG_TSA_DONE, "tsa-done", TO_MON,
	    SESSION, PERMIT, dec_tsa_done },
	[MSG_SIGN_HELD] = { MSG_SIGN_HELD, "sign-held", TO_CHILD,
	    0, 0, dec_sign_held },
	[MSG_APPROVAL] = { MSG_APPROVAL, "approval", TO_MON,
	    SESSION, 0, dec_approval },
	/* A cancel may cross the decision, which ends CH_SIGNING. */
	[MSG_HELD_CANCEL] = { MSG_HELD_CANCEL, "held-cancel", TO_MON,
	    CH_BIT(CH_SIGNING) | SESSION, PERMIT, dec_empty },
	[MSG_HELD_RESULT] = { MSG_HELD_RESULT, "held-result", TO_MON,
	    SESSION, PERMIT, dec_held_result },
	[MSG_UPLOAD] = { MSG_UPLOAD, "upload", TO_MON,
	    SESSION, 0, dec_upload },
	[MSG_UPLOAD_REPLY] = { MSG_UPLOAD_REPLY, "upload-reply", TO_CHILD,
	    0, 0, dec_upload_reply },
	[MSG_UPLOAD_DONE] = { MSG_UPLOAD_DONE, "upload-done", TO_MON,
	    SESSION, PERMIT, dec_empty },
	[MSG_PROGRESS] = { MSG_PROGRESS, "progress", TO_MON,
	    SESSION, 0, dec_progress },
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
	const struct chan_msg *m = type > 0 ? chan_lookup((unsigned)type) :
	    NULL;

	return m != NULL ? m->name : "unknown";
}

const char *
chan_build_id(void)
{
	return CSIGN_BUILD_ID;
}
