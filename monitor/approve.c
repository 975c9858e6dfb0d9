/*
 * approve.c: the requests of approvers and requesters about held
 * requests (MSG_APPROVAL: approve, deny, wait, pending; HELD_CANCEL; and
 * HELD_RESULT, a --no-wait request's result kept for its requester).
 * The table and each request's life are held.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "monitor/held.h"
#include "monitor/monitor.h"
#include "proto/chan.h"
#include "proto/frame.h"
#include "records/approval.h"

/* Refuse an approve or deny: audited (with the request), answered. */
static int
held_vote_refused(struct mon_session *c, struct held *h, int status,
    const char *why)
{
	char msg[MESSAGE_MAX + 1];

	held_audit(c->m, h, "deny", &c->peer, "denied", why);
	snprintf(msg, sizeof(msg), "request %llu: %s",
	    (unsigned long long)h->id, why);
	return monitor_reply_status(c, status, msg);
}

/* Why an approval was not counted, for the approver. */
static const char *
vote_text(enum approval_vote v, const struct held *h, char *dst, size_t len)
{
	switch (v) {
	case VOTE_NOT_MEMBER:
		snprintf(dst, len, "not a member of the approval group %s",
		    h->group);
		break;
	case VOTE_SELF:
		snprintf(dst, len,
		    "the requester cannot approve their own "
		    "request");
		break;
	case VOTE_AGAIN:
		snprintf(dst, len,
		    "already approved by you; another member "
		    "of %s must approve",
		    h->group);
		break;
	default:
		snprintf(dst, len, "not waiting for approval");
		break;
	}
	return dst;
}

/*
 * The requester's child ended while an approval was being counted (its
 * notice could not be sent): a request still kept (h, being signed with
 * no child) is dropped, audited as cancelled; the approver is told.
 */
static int
held_approved_orphan(struct mon_session *c, struct held *h,
    unsigned long long id)
{
	char msg[96];

	if (h != NULL) {
		held_audit(c->m, h, "approval-cancel", &h->requester, "denied",
		    "the requester's session ended");
		monitor_sign_drop(h->job);
		h->job = NULL;
		approvals_remove(held_table(c->m), h);
	}
	snprintf(msg, sizeof(msg),
	    "request %llu: the requester's session "
	    "ended; nothing signed",
	    id);
	return monitor_reply_status(c, ST_BAD_REQUEST, msg);
}

/*
 * APPROVE: count the vote; the last one needed sends the kept request to
 * the signer, once it passes the policy in force now.  The entry may be
 * gone once monitor_sign_approved() has run, so nothing of it is used
 * after.
 */
static int
held_approve(struct mon_session *c, struct held *h)
{
	/* Cut to MESSAGE_MAX in the reply; the audit has the whole reason. */
	char msg[MESSAGE_MAX + 128], why[MESSAGE_MAX + 1];
	char approvers[APPROVERS_TEXT_MAX];
	enum approval_vote v = approval_approve(h, &c->peer);
	unsigned long long id = h->id;
	unsigned have = h->have, need = h->need;
	struct sign_ctx *x;

	if (v != VOTE_RECORDED && v != VOTE_COMPLETE)
		return held_vote_refused(c, h,
		    v == VOTE_NOT_WAITING ? ST_BAD_REQUEST : ST_DENIED,
		    vote_text(v, h, why, sizeof(why)));
	held_audit(c->m, h, "approval-grant", &c->peer, "ok", NULL);
	held_notify(h->owner, h, c->peer.user);
	/* A failed notice ends the requester's child, and may drop h. */
	if ((h = approvals_find(held_table(c->m), id)) == NULL ||
	    h->owner == NULL || ((struct mon_session *)h->owner)->dead)
		return held_approved_orphan(c, h, id);
	snprintf(msg, sizeof(msg), "request %llu approved (%u of %u)%s", id,
	    have, need, v == VOTE_COMPLETE ? ": signing" : "");
	if (v == VOTE_COMPLETE) {
		approval_approvers(h, approvers, sizeof(approvers));
		x = h->job;
		h->job = NULL;
		if (monitor_sign_approved(h->owner, x, h->id, approvers, why,
			sizeof(why)) == -1)
			snprintf(msg, sizeof(msg),
			    "request %llu approved (%u of "
			    "%u), but not signed: %s",
			    id, have, need, why);
	}
	return monitor_reply_status(c, ST_OK, msg);
}

/*
 * DENY: by a member of the group, or by the requester (who withdraws
 * the request).  The requester's client hears who denied it and why.
 */
static int
held_deny(struct mon_session *c, struct held *h, const char *reason)
{
	/* Cut to MESSAGE_MAX in the reply; the audit has the whole reason. */
	char msg[KEY_NAME_MAX + MESSAGE_MAX + 16], why[160];
	uint64_t id = h->id;

	if (h->state != HELD_WAITING)
		return held_vote_refused(c, h, ST_BAD_REQUEST,
		    vote_text(VOTE_NOT_WAITING, h, why, sizeof(why)));
	if (!approval_may_decide(h, &c->peer) &&
	    c->peer.uid != h->requester.uid)
		return held_vote_refused(c, h, ST_DENIED,
		    vote_text(VOTE_NOT_MEMBER, h, why, sizeof(why)));
	if (reason[0] == '\0')
		reason = "no reason given";
	snprintf(msg, sizeof(msg), "denied by %s: %s", c->peer.user, reason);
	held_end(c->m, h, "approval-deny", &c->peer, ST_DENIED, reason, msg);
	snprintf(msg, sizeof(msg), "request %llu denied",
	    (unsigned long long)id);
	return monitor_reply_status(c, ST_OK, msg);
}

/*
 * WAIT: only the requester's uid may collect a --no-wait result; a
 * result not yet there is answered when it comes (the child waits).
 */
static int
held_wait(struct mon_session *c, struct held *h)
{
	if (c->peer.uid != h->requester.uid)
		return held_vote_refused(c, h, ST_DENIED, "not your request");
	if (!h->nowait)
		return monitor_reply_status(c, ST_BAD_REQUEST,
		    "this request's "
		    "client is waiting for it");
	if (h->waiter != NULL)
		return monitor_reply_status(c, ST_BAD_REQUEST,
		    "another "
		    "client is already waiting for this request");
	h->waiter = c;
	if (h->state == HELD_DONE) {
		held_deliver(h);
		return 0;
	}
	mon_deadline(c, 0);
	return 0;
}

/* Append the description of one held request to a pending reply. */
static int
pending_entry(struct buf *f, const struct held *h, time_t now)
{
	return frame_add_u64(f, T_ID, h->id) == -1 ||
		frame_add_str(f, T_USER, h->requester.user) == -1 ||
		frame_add_str(f, T_KEY, h->key) == -1 ||
		frame_add_str(f, T_FORMAT, format_name(h->format)) == -1 ||
		frame_add_str(f, T_NAME, h->name) == -1 ||
		frame_add_str(f, T_DIGEST, digest_name(h->digest)) == -1 ||
		frame_add_bytes(f, T_ADIGEST, h->adigest, h->adigestlen) ==
		    -1 ||
		frame_add_u64(f, T_SIZE, h->size) == -1 ||
		frame_add_str(f, T_GROUP, h->group) == -1 ||
		frame_add_u32(f, T_AGE, (uint32_t)(now - h->created)) == -1 ||
		frame_add_u32(f, T_COUNT, h->have) == -1 ||
		frame_add_u32(f, T_NEEDED, h->need) == -1 ||
		frame_add_u32(f, T_EXPIRES,
		    h->expires > now ? (uint32_t)(h->expires - now) : 0) == -1
	    ? -1
	    : 0;
}

/*
 * PENDING: the requests waiting for approval that the peer may decide
 * (a member of their group), and the peer's own.
 */
static int
held_pending(struct mon_session *c)
{
	const struct approvals *a = held_table(c->m);
	struct buf frame;
	time_t now = time(NULL);
	int r = -1;

	buf_init(&frame, FRAME_MAX + 4);
	if (frame_begin(&frame, F_REPLY) == 0 &&
	    frame_add_u32(&frame, T_STATUS, ST_OK) == 0 &&
	    frame_add_str(&frame, T_MESSAGE, "ok") == 0) {
		r = 0;
		for (size_t i = 0; i < a->n && r == 0; i++)
			if (a->v[i]->state == HELD_WAITING &&
			    (approval_may_decide(a->v[i], &c->peer) ||
				a->v[i]->requester.uid == c->peer.uid))
				r = pending_entry(&frame, a->v[i], now);
	}
	if (r == 0 && frame_finish(&frame) == 0)
		held_send_frame(c, &frame);
	else
		r = monitor_reply_status(c, ST_INTERNAL, "list too large");
	buf_free(&frame);
	return r == -1 ? -1 : 0;
}

int
held_answer_approval(struct mon_session *c, const union chan_body *body)
{
	struct msg_approval m = body->approval;
	struct held *h;
	char msg[96];

	if (m.op == APPR_PENDING)
		return held_pending(c);
	if ((h = approvals_find(held_table(c->m), m.id)) == NULL) {
		snprintf(msg, sizeof(msg),
		    "no request %llu (decided, expired, "
		    "or the daemon restarted)",
		    (unsigned long long)m.id);
		return monitor_reply_status(c, ST_BAD_REQUEST, msg);
	}
	if (m.op == APPR_APPROVE)
		return held_approve(c, h);
	if (m.op == APPR_DENY)
		return held_deny(c, h, m.reason);
	return held_wait(c, h);
}

/* The held request of child c, in state st, or NULL. */
static struct held *
held_of(const struct mon_session *c, enum held_state st)
{
	const struct approvals *a = held_table(c->m);

	for (size_t i = 0; i < a->n; i++)
		if (a->v[i]->owner == c && a->v[i]->state == st)
			return a->v[i];
	return NULL;
}

/* HELD_CANCEL: the requester's client hung up while waiting. */
int
held_answer_cancel(struct mon_session *c, const union chan_body *body)
{
	struct held *h;
	char msg[96];

	(void)body;
	chan_forbid(&c->chan, CHAN_BIT(MSG_HELD_CANCEL));
	/* Already decided (the messages crossed): nothing to cancel. */
	if ((h = held_of(c, HELD_WAITING)) == NULL)
		return 0;
	snprintf(msg, sizeof(msg),
	    "request %llu cancelled: the client hung "
	    "up",
	    (unsigned long long)h->id);
	held_end(c->m, h, "approval-cancel", &h->requester, ST_DENIED,
	    "the requester's client hung up", msg);
	return 0;
}

/* 1 if p[0..len) is one complete, well-formed F_REPLY frame. */
static int
result_frame_ok(const uint8_t *p, size_t len)
{
	struct frame *f;
	const char *err;
	struct buf b;
	uint32_t flen;
	int ok;

	buf_view(&b, p, len);
	if (buf_get_u32(&b, &flen) == -1 || flen != buf_left(&b) ||
	    (f = malloc(sizeof(*f))) == NULL)
		return 0;
	ok = frame_decode(buf_ptr(&b), buf_left(&b), f, &err) == 0 &&
	    f->type == F_REPLY;
	free(f);
	return ok;
}

/*
 * HELD_RESULT: the final client frame of a --no-wait request, kept for
 * the requester's F_WAIT.  Only the request's own child may send it, once.
 */
int
held_answer_result(struct mon_session *c, const union chan_body *body)
{
	const struct msg_held_result m = body->held_result;
	struct held *h;

	chan_forbid(&c->chan, CHAN_BIT(MSG_HELD_RESULT));
	if (!result_frame_ok(m.frame, m.len))
		return -1;
	/* Expired meanwhile, or dropped at shutdown: nobody will ask. */
	if ((h = approvals_find(held_table(c->m), m.id)) == NULL)
		return 0;
	if (h->owner != c || h->state != HELD_BUILDING)
		return -1;
	h->owner = NULL;
	if (approval_keep_frame(h, m.frame, m.len, time(NULL)) == -1) {
		held_release_waiter(h, ST_INTERNAL, "cannot keep the result");
		approvals_remove(held_table(c->m), h);
		return 0;
	}
	if (h->waiter != NULL)
		held_deliver(h);
	return 0;
}
