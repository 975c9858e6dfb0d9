/*
 * held.c: sign requests held for approval (see held.h and approval.h).
 *
 * Every decision is the monitor's: who may approve comes from the rule
 * kept with the request and the approver's kernel-reported groups; the
 * requester's uid can never count as an approval.  Each step is audited
 * (approval-pending, -grant, -deny, -expire, -cancel) before the child
 * hears of it, and the final sign record names the request and its
 * approvers.
 */
#include "monitor/held.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker/csignd.h"
#include "broker/pool.h"
#include "common/log.h"
#include "common/sigcheck.h"
#include "common/util.h"
#include "records/approval.h"
#include "records/heldfile.h"
#include "monitor/monitor.h"
#include "proto/frame.h"
#include "proto/io.h"

/* The running daemon's table: in memory only, by design. */
static struct approvals *
held_table(void)
{
	static struct approvals table;
	static int ready;

	if (!ready) {
		approvals_init(&table);
		ready = 1;
	}
	return &table;
}

/* StateFile.held: the held requests on disk (heldfile.h); "" if none. */
static char held_file[4096];

int
held_open(const char *statefile, struct audit *au, char *err, size_t errlen)
{
	int n;

	if (heldfile_path(statefile, held_file, sizeof(held_file)) == -1)
		return snprintf(err, errlen, "StateFile path too long"), -1;
	if ((n = heldfile_recover(held_file, au, err, errlen)) > 0)
		log_warnx("%d request%s held for approval when csignd last "
		    "stopped without a clean stop: audited as cancelled", n,
		    n == 1 ? " was" : "s were");
	return n < 0 ? -1 : 0;
}

/*
 * Write the held list when the set of waiting and signing requests has
 * changed since it was last written (synchronously: holds are rare, and
 * the list must be on disk before anyone relies on the hold).
 */
static void
held_persist(void)
{
	static uint64_t saved[APPROVAL_MAX_HELD];
	static size_t nsaved;
	const struct approvals *a = held_table();
	uint64_t ids[APPROVAL_MAX_HELD];
	char err[4200];
	size_t n = 0;

	for (size_t i = 0; i < a->n; i++)
		if (a->v[i]->state == HELD_WAITING ||
		    a->v[i]->state == HELD_SIGNING)
			ids[n++] = a->v[i]->id;
	if (held_file[0] == '\0' ||
	    (n == nsaved && memcmp(ids, saved, n * sizeof(ids[0])) == 0))
		return;
	if (heldfile_save(held_file, a, err, sizeof(err)) == -1) {
		log_warnx("cannot write the held requests: %s", err);
		return;
	}
	memcpy(saved, ids, n * sizeof(ids[0]));
	nsaved = n;
}

/* "1h 30m", "45s": a duration for messages. */
static void
held_duration(unsigned secs, char *dst, size_t len)
{
	if (secs >= 3600 && secs % 3600 / 60 != 0)
		snprintf(dst, len, "%uh %um", secs / 3600, secs % 3600 / 60);
	else if (secs >= 3600)
		snprintf(dst, len, "%uh", secs / 3600);
	else if (secs >= 60 && secs % 60 != 0)
		snprintf(dst, len, "%um %us", secs / 60, secs % 60);
	else if (secs >= 60)
		snprintf(dst, len, "%um", secs / 60);
	else
		snprintf(dst, len, "%us", secs);
}

/* Audit one step of h; who is the person acting (or the requester). */
static void
held_audit(struct csignd *d, const struct held *h, const char *event,
    const struct identity *who, const char *result, const char *reason)
{
	char hex[2 * DIGEST_MAX + 1], approvers[APPROVERS_TEXT_MAX];
	struct audit_event ev = { .event = event, .key = h->key,
		.format = format_name(h->format), .artifact = h->name,
		.has_size = 1, .size = h->size,
		.digest_alg = digest_name(h->digest), .digest_hex = hex,
		.result = result, .reason = reason, .has_request = 1,
		.request = h->id };

	util_hex(h->adigest, h->adigestlen, hex, sizeof(hex));
	approval_approvers(h, approvers, sizeof(approvers));
	if (approvers[0] != '\0')
		ev.approvers = approvers;
	monitor_audit_peer(&ev, who);
	if (audit_submit(d->audit, &ev, NULL, NULL) == -1)
		log_warnx("audit: cannot queue an %s record", event);
	log_info("%s: request %llu (uid %u, key %s) by %s%s%s", event,
	    (unsigned long long)h->id, (unsigned)h->requester.uid, h->key,
	    who->user, reason ? ": " : "", reason ? reason : "");
}

/* Tell the requester's child where its request stands. */
static void
held_notify(struct child *c, const struct held *h, const char *approver)
{
	struct msg_sign_held m = { .reqid = h->reqid, .id = h->id,
		.have = (uint8_t)h->have, .need = (uint8_t)h->need };
	time_t now = time(NULL);

	m.expires_in = h->expires > now ? (uint32_t)(h->expires - now) : 0;
	snprintf(m.group, sizeof(m.group), "%s", h->group);
	snprintf(m.approver, sizeof(m.approver), "%s", approver);
	monitor_held_notice(c, &m);
}

/* Copy the request and the rule into a table entry template. */
static void
held_template(struct held *t, struct child *c, const struct cfg_key *ck,
    const struct msg_sign *m)
{
	memset(t, 0, sizeof(*t));
	t->reqid = m->reqid;
	t->requester = c->peer;
	snprintf(t->key, sizeof(t->key), "%s", ck->name);
	t->format = m->format;
	t->digest = m->digest;
	snprintf(t->name, sizeof(t->name), "%s", m->name);
	memcpy(t->adigest, m->adigest, m->adigestlen);
	t->adigestlen = m->adigestlen;
	t->size = m->size;
	snprintf(t->group, sizeof(t->group), "%s", ck->approval_group);
	t->gid = ck->approval_gid;
	t->need = ck->approval_count;
	t->lifetime = ck->approval_expires;
	t->nowait = (m->flags & MSG_SIGN_F_NOWAIT) != 0;
	t->owner = c;
}

/* Refuse to hold a request: a deny record, then the child's answer. */
static int
held_refuse(struct child *c, struct sign_ctx *x, const struct msg_sign *m,
    const char *why)
{
	struct audit_event ev = { .event = "deny", .key = m->key,
		.format = format_name(m->format), .artifact = m->name,
		.result = "denied", .reason = why };

	monitor_audit_peer(&ev, &c->peer);
	if (audit_submit(c->d->audit, &ev, NULL, NULL) == -1)
		log_warnx("audit: cannot queue a deny record");
	monitor_sign_refused(c, x, 0, ST_DENIED, why);
	return 0;
}

int
held_hold(struct child *c, struct sign_ctx *x, const struct cfg_key *ck,
    const struct msg_sign *m)
{
	struct held t, *h;
	enum approval_add r;

	if (c->d->draining)
		return held_refuse(c, x, m, "the daemon is stopping; "
		    "requests are no longer held for approval");
	held_template(&t, c, ck, m);
	t.job = x;
	r = approvals_add(held_table(), &t, time(NULL), &h);
	if (r == APPROVAL_FULL)
		return held_refuse(c, x, m, "too many requests are waiting "
		    "for approval; try later");
	if (r == APPROVAL_USER_FULL)
		return held_refuse(c, x, m, "you have too many requests "
		    "waiting for approval (at most 8)");
	held_persist();
	/* The child waits for the decision, however long it takes. */
	c->state = CH_SIGNING;
	pool_deadline(c, 0);
	held_audit(c->d, h, "approval-pending", &c->peer, "held", NULL);
	held_notify(c, h, "");
	chan_allow(&c->chan, CHAN_BIT(MSG_HELD_CANCEL) |
	    (t.nowait ? CHAN_BIT(MSG_HELD_RESULT) : 0));
	/*
	 * --no-wait: its client is let go, it is no session any more (t, not
	 * h: a failed notice may have ended the child and dropped h).
	 */
	if (t.nowait)
		pool_park(c);
	return 0;
}

/* Answer the child waiting with F_WAIT on h with a status; unpark it. */
static void
held_release_waiter(struct held *h, int status, const char *msg)
{
	struct child *w = h->waiter;

	if (w == NULL)
		return;
	h->waiter = NULL;
	pool_deadline(w, w->d->cfg->session_timeout + 5);
	(void)monitor_reply_status(w, status, msg);
}

/* Answer a child's request with a complete client frame. */
static void
held_send_frame(struct child *c, const struct buf *frame)
{
	struct buf out;

	buf_init(&out, MSG_MAX);
	if (msg_enc_query_reply(&out, frame) == -1)
		(void)monitor_reply_status(c, ST_INTERNAL, "reply too large");
	else if (io_send_msg(c->fd, &out, -1) == -1)
		pool_kill(c, "cannot write to the child");
	buf_free(&out);
}

/* Give the kept result of h to its waiter, then forget h. */
static void
held_deliver(struct held *h)
{
	struct child *w = h->waiter;
	struct buf frame;

	h->waiter = NULL;
	buf_view(&frame, h->frame, h->framelen);
	pool_deadline(w, w->d->cfg->session_timeout + 5);
	held_send_frame(w, &frame);
	approvals_remove(held_table(), h);
}

/*
 * Make room among the kept results for h, decided: the oldest result of
 * its requester (or of all) is dropped, and whoever waits for it told.
 */
static void
held_make_room(struct held *h)
{
	struct held *v;

	while ((v = approvals_kept_victim(held_table(), h)) != NULL) {
		log_warnx("request %llu (uid %u): result dropped uncollected to "
		    "make room for request %llu", (unsigned long long)v->id,
		    (unsigned)v->requester.uid, (unsigned long long)h->id);
		held_release_waiter(v, ST_UNAVAILABLE, "the result was dropped "
		    "uncollected: too many results were kept");
		approvals_remove(held_table(), v);
	}
}

void
held_resolved(struct csignd *d, uint64_t id, struct child *c)
{
	struct held *h = approvals_find(held_table(), id);

	(void)d;
	if (h == NULL)
		return;
	h->job = NULL;
	if (h->nowait && c != NULL) {
		/*
		 * Decided: its approval slot is free from now on.  The child
		 * builds the result and sends it to keep.
		 */
		held_make_room(h);
		h->state = HELD_BUILDING;
		h->expires = time(NULL) + (time_t)h->lifetime;
		return;
	}
	held_release_waiter(h, ST_UNAVAILABLE, "the request's session ended "
	    "before its result was built");
	approvals_remove(held_table(), h);
}

/* End a WAITING request without a signature: audited, then answered. */
static void
held_end(struct csignd *d, struct held *h, const char *event,
    const struct identity *who, int status, const char *reason,
    const char *msg)
{
	struct sign_ctx *x = h->job;

	held_audit(d, h, event, who, "denied", reason);
	h->job = NULL;
	h->state = HELD_SIGNING;	/* until held_resolved() */
	monitor_sign_refused(h->owner, x, h->id, status, msg);
}

/* Refuse an approve or deny: audited (with the request), answered. */
static int
held_vote_refused(struct child *c, struct held *h, int status,
    const char *why)
{
	char msg[MESSAGE_MAX + 1];

	held_audit(c->d, h, "deny", &c->peer, "denied", why);
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
		snprintf(dst, len, "the requester cannot approve their own "
		    "request");
		break;
	case VOTE_AGAIN:
		snprintf(dst, len, "already approved by you; another member "
		    "of %s must approve", h->group);
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
held_approved_orphan(struct child *c, struct held *h, unsigned long long id)
{
	char msg[96];

	if (h != NULL) {
		held_audit(c->d, h, "approval-cancel", &h->requester, "denied",
		    "the requester's session ended");
		monitor_sign_drop(h->job);
		h->job = NULL;
		approvals_remove(held_table(), h);
	}
	snprintf(msg, sizeof(msg), "request %llu: the requester's session "
	    "ended; nothing signed", id);
	return monitor_reply_status(c, ST_BAD_REQUEST, msg);
}

/*
 * APPROVE: count the vote; the last one needed sends the kept request to
 * the signer, once it passes the policy in force now.  The entry may be
 * gone once monitor_sign_approved() has run, so nothing of it is used
 * after.
 */
static int
held_approve(struct child *c, struct held *h)
{
	/* Cut to MESSAGE_MAX in the reply; the audit has the whole reason. */
	char msg[MESSAGE_MAX + 128], why[MESSAGE_MAX + 1];
	char approvers[APPROVERS_TEXT_MAX];
	enum approval_vote v = approval_approve(h, &c->peer);
	unsigned long long id = h->id;
	unsigned have = h->have, need = h->need;
	struct sign_ctx *x;

	if (v != VOTE_RECORDED && v != VOTE_COMPLETE)
		return held_vote_refused(c, h, v == VOTE_NOT_WAITING ?
		    ST_BAD_REQUEST : ST_DENIED, vote_text(v, h, why,
		    sizeof(why)));
	held_audit(c->d, h, "approval-grant", &c->peer, "ok", NULL);
	held_notify(h->owner, h, c->peer.user);
	/* A failed notice ends the requester's child, and may drop h. */
	if ((h = approvals_find(held_table(), id)) == NULL || h->owner == NULL)
		return held_approved_orphan(c, h, id);
	snprintf(msg, sizeof(msg), "request %llu approved (%u of %u)%s", id,
	    have, need, v == VOTE_COMPLETE ? ": signing" : "");
	if (v == VOTE_COMPLETE) {
		approval_approvers(h, approvers, sizeof(approvers));
		x = h->job;
		h->job = NULL;
		if (monitor_sign_approved(h->owner, x, h->id, approvers, why,
		    sizeof(why)) == -1)
			snprintf(msg, sizeof(msg), "request %llu approved (%u of "
			    "%u), but not signed: %s", id, have, need, why);
	}
	return monitor_reply_status(c, ST_OK, msg);
}

/*
 * DENY: by a member of the group, or by the requester (who withdraws
 * the request).  The requester's client hears who denied it and why.
 */
static int
held_deny(struct child *c, struct held *h, const char *reason)
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
	held_end(c->d, h, "approval-deny", &c->peer, ST_DENIED, reason, msg);
	snprintf(msg, sizeof(msg), "request %llu denied",
	    (unsigned long long)id);
	return monitor_reply_status(c, ST_OK, msg);
}

/*
 * WAIT: only the requester's uid may collect a --no-wait result; a
 * result not yet there is answered when it comes (the child waits).
 */
static int
held_wait(struct child *c, struct held *h)
{
	if (c->peer.uid != h->requester.uid)
		return held_vote_refused(c, h, ST_DENIED, "not your request");
	if (!h->nowait)
		return monitor_reply_status(c, ST_BAD_REQUEST, "this request's "
		    "client is waiting for it");
	if (h->waiter != NULL)
		return monitor_reply_status(c, ST_BAD_REQUEST, "another "
		    "client is already waiting for this request");
	h->waiter = c;
	if (h->state == HELD_DONE) {
		held_deliver(h);
		return 0;
	}
	pool_deadline(c, 0);
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
	    frame_add_bytes(f, T_ADIGEST, h->adigest, h->adigestlen) == -1 ||
	    frame_add_u64(f, T_SIZE, h->size) == -1 ||
	    frame_add_str(f, T_GROUP, h->group) == -1 ||
	    frame_add_u32(f, T_AGE, (uint32_t)(now - h->created)) == -1 ||
	    frame_add_u32(f, T_COUNT, h->have) == -1 ||
	    frame_add_u32(f, T_NEEDED, h->need) == -1 ||
	    frame_add_u32(f, T_EXPIRES, h->expires > now ?
		(uint32_t)(h->expires - now) : 0) == -1 ? -1 : 0;
}

/*
 * PENDING: the requests waiting for approval that the peer may decide
 * (a member of their group), and the peer's own.
 */
static int
held_pending(struct child *c)
{
	const struct approvals *a = held_table();
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
held_answer_approval(struct child *c, const union chan_body *body)
{
	struct msg_approval m = body->approval;
	struct held *h;
	char msg[96];

	if (m.op == APPR_PENDING)
		return held_pending(c);
	if ((h = approvals_find(held_table(), m.id)) == NULL) {
		snprintf(msg, sizeof(msg), "no request %llu (decided, expired, "
		    "or the daemon restarted)", (unsigned long long)m.id);
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
held_of(const struct child *c, enum held_state st)
{
	const struct approvals *a = held_table();

	for (size_t i = 0; i < a->n; i++)
		if (a->v[i]->owner == c && a->v[i]->state == st)
			return a->v[i];
	return NULL;
}

/* HELD_CANCEL: the requester's client hung up while waiting. */
int
held_answer_cancel(struct child *c, const union chan_body *body)
{
	struct held *h;
	char msg[96];

	(void)body;
	chan_forbid(&c->chan, CHAN_BIT(MSG_HELD_CANCEL));
	/* Already decided (the messages crossed): nothing to cancel. */
	if ((h = held_of(c, HELD_WAITING)) == NULL)
		return 0;
	snprintf(msg, sizeof(msg), "request %llu cancelled: the client hung "
	    "up", (unsigned long long)h->id);
	held_end(c->d, h, "approval-cancel", &h->requester, ST_DENIED,
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
held_answer_result(struct child *c, const union chan_body *body)
{
	const struct msg_held_result m = body->held_result;
	struct held *h;

	chan_forbid(&c->chan, CHAN_BIT(MSG_HELD_RESULT));
	if (!result_frame_ok(m.frame, m.len))
		return -1;
	/* Expired meanwhile, or dropped at shutdown: nobody will ask. */
	if ((h = approvals_find(held_table(), m.id)) == NULL)
		return 0;
	if (h->owner != c || h->state != HELD_BUILDING)
		return -1;
	h->owner = NULL;
	if (approval_keep_frame(h, m.frame, m.len, time(NULL)) == -1) {
		held_release_waiter(h, ST_INTERNAL, "cannot keep the result");
		approvals_remove(held_table(), h);
		return 0;
	}
	if (h->waiter != NULL)
		held_deliver(h);
	return 0;
}

/* Drop h after its child died: audited if it was still waiting. */
static void
held_orphaned(struct held *h)
{
	struct child *c = h->owner;

	if (h->state == HELD_SIGNING) {
		/* The signer has it; held_resolved() will see no child. */
		h->owner = NULL;
		return;
	}
	if (h->state == HELD_WAITING) {
		held_audit(c->d, h, "approval-cancel", &h->requester,
		    "denied", "the requester's session ended");
		monitor_sign_drop(h->job);
		h->job = NULL;
	}
	held_release_waiter(h, ST_UNAVAILABLE, "the request's session ended "
	    "before its result was built");
	approvals_remove(held_table(), h);
}

void
held_child_gone(struct child *c)
{
	struct approvals *a = held_table();

	for (size_t i = a->n; i-- > 0;) {
		if (i >= a->n)
			continue;
		if (a->v[i]->waiter == c)
			a->v[i]->waiter = NULL;
		if (a->v[i]->owner == c)
			held_orphaned(a->v[i]);
	}
}

/* A request not decided in time: audited, and its child told. */
static void
held_expire(struct csignd *d, struct held *h)
{
	char msg[MESSAGE_MAX + 1], life[32], why[96];

	held_duration(h->lifetime, life, sizeof(life));
	snprintf(why, sizeof(why), "no decision within %s (%u of %u "
	    "approvals)", life, h->have, h->need);
	snprintf(msg, sizeof(msg), "request %llu: approval expired after %s "
	    "(%u of %u approvals by group %s)", (unsigned long long)h->id,
	    life, h->have, h->need, h->group);
	held_end(d, h, "approval-expire", &h->requester, ST_TIMEOUT, why, msg);
}

void
held_tick(struct csignd *d)
{
	struct approvals *a = held_table();
	time_t now = time(NULL);
	struct held *h;

	/*
	 * An expired WAITING request becomes SIGNING (then BUILDING with a
	 * new deadline, or gone), so each pass makes progress.
	 */
	while ((h = approvals_next_expired(a, now)) != NULL) {
		if (h->state == HELD_WAITING) {
			held_expire(d, h);
			continue;
		}
		held_release_waiter(h, ST_TIMEOUT, "the result was not "
		    "collected in time and is gone");
		approvals_remove(a, h);
	}
	/* Requests decided since the last tick leave the list on disk. */
	held_persist();
}

void
held_drain(struct csignd *d)
{
	struct approvals *a = held_table();
	uint64_t ids[APPROVAL_TABLE];
	size_t n = a->n;
	struct held *h;
	char msg[MESSAGE_MAX + 1];

	for (size_t i = 0; i < n; i++)
		ids[i] = a->v[i]->id;
	for (size_t i = 0; i < n; i++) {
		if ((h = approvals_find(a, ids[i])) == NULL)
			continue;
		if (h->state == HELD_WAITING) {
			snprintf(msg, sizeof(msg), "request %llu cancelled: the "
			    "daemon is stopping (held requests do not survive "
			    "a restart)", (unsigned long long)h->id);
			held_end(d, h, "approval-cancel", &h->requester,
			    ST_UNAVAILABLE, "daemon stopping", msg);
			if ((h = approvals_find(a, ids[i])) == NULL)
				continue;
		}
		held_release_waiter(h, ST_UNAVAILABLE, "the daemon is "
		    "stopping");
	}
	held_persist();
}

void
held_close(void)
{
	held_persist();
}
