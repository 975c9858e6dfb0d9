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

#include "common/log.h"
#include "proto/sigcheck.h"
#include "common/util.h"
#include "records/approval.h"
#include "records/audit.h"
#include "records/auditev.h"
#include "records/heldfile.h"
#include "monitor/monitor.h"
#include "proto/frame.h"
#include "proto/io.h"

/* The running daemon's table: in memory only, by design. */
struct approvals *
held_table(struct monitor *m)
{
	return &m->held.table;
}

void
held_init(struct mon_held *hd)
{
	memset(hd, 0, sizeof(*hd));
	approvals_init(&hd->table);
}

int
held_open(struct monitor *m, char *err, size_t errlen)
{
	struct mon_held *hd = &m->held;
	int n;

	if (heldfile_path(m->cfg->state_file, hd->file, sizeof(hd->file)) == -1)
		return snprintf(err, errlen, "StateFile path too long"), -1;
	if ((n = heldfile_recover(hd->file, m->audit, err, errlen)) > 0)
		log_warnx("%d request%s held for approval when csignd last "
			  "stopped without a clean stop: audited as cancelled",
		    n, n == 1 ? " was" : "s were");
	return n < 0 ? -1 : 0;
}

/*
 * Write the held list when the set of waiting and signing requests has
 * changed since it was last written (synchronously: holds are rare, and
 * the list must be on disk before anyone relies on the hold).
 */
static void
held_persist(struct monitor *m)
{
	struct mon_held *hd = &m->held;
	const struct approvals *a = &hd->table;
	uint64_t ids[APPROVAL_MAX_HELD] = { 0 };
	char err[4200];
	size_t n = 0;

	for (size_t i = 0; i < a->n; i++)
		if (a->v[i]->state == HELD_WAITING ||
		    a->v[i]->state == HELD_SIGNING)
			ids[n++] = a->v[i]->id;
	if (hd->file[0] == '\0' ||
	    (n == hd->nsaved &&
		memcmp(ids, hd->saved, n * sizeof(ids[0])) == 0))
		return;
	if (heldfile_save(hd->file, a, err, sizeof(err)) == -1) {
		log_warnx("cannot write the held requests: %s", err);
		return;
	}
	memcpy(hd->saved, ids, n * sizeof(ids[0]));
	hd->nsaved = n;
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
void
held_audit(struct monitor *m, const struct held *h, const char *event,
    const struct identity *who, const char *result, const char *reason)
{
	char hex[AUDITEV_HEX_MAX], approvers[APPROVERS_TEXT_MAX];
	struct audit_event ev;

	approval_approvers(h, approvers, sizeof(approvers));
	auditev_init(&ev, event, who);
	auditev_subject(&ev, h->key, h->format, h->name);
	auditev_digest(&ev, h->size, h->digest, h->adigest, h->adigestlen, hex);
	auditev_result(&ev, result, reason);
	auditev_request(&ev, h->id, approvers);
	if (audit_submit(m->audit, &ev, NULL, NULL) == -1)
		log_warnx("audit: cannot queue an %s record", event);
	log_info("%s: request %llu (uid %u, key %s) by %s%s%s", event,
	    (unsigned long long)h->id, (unsigned)h->requester.uid, h->key,
	    who->user, reason ? ": " : "", reason ? reason : "");
}

/* Tell the requester's child where its request stands. */
void
held_notify(struct mon_session *c, const struct held *h, const char *approver)
{
	struct msg_sign_held m = { .reqid = h->reqid,
		.id = h->id,
		.have = (uint8_t)h->have,
		.need = (uint8_t)h->need };
	time_t now = time(NULL);

	m.expires_in = h->expires > now ? (uint32_t)(h->expires - now) : 0;
	snprintf(m.group, sizeof(m.group), "%s", h->group);
	snprintf(m.approver, sizeof(m.approver), "%s", approver);
	monitor_held_notice(c, &m);
}

/* Copy the request and the rule into a table entry template. */
static void
held_template(struct held *t, struct mon_session *c, const struct cfg_key *ck,
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
held_refuse(struct mon_session *c, struct sign_ctx *x, const struct msg_sign *m,
    const char *why)
{
	struct audit_event ev;

	auditev_init(&ev, "deny", &c->peer);
	auditev_subject(&ev, m->key, m->format, m->name);
	auditev_result(&ev, "denied", why);
	if (audit_submit(c->m->audit, &ev, NULL, NULL) == -1)
		log_warnx("audit: cannot queue a deny record");
	monitor_sign_refused(c, x, 0, ST_DENIED, why);
	return 0;
}

int
held_hold(struct mon_session *c, struct sign_ctx *x, const struct cfg_key *ck,
    const struct msg_sign *m)
{
	struct held t, *h;
	enum approval_add r;

	if (c->m->draining)
		return held_refuse(c, x, m,
		    "the daemon is stopping; "
		    "requests are no longer held for approval");
	held_template(&t, c, ck, m);
	t.job = x;
	r = approvals_add(held_table(c->m), &t, time(NULL), &h);
	if (r == APPROVAL_FULL)
		return held_refuse(c, x, m,
		    "too many requests are waiting "
		    "for approval; try later");
	if (r == APPROVAL_USER_FULL)
		return held_refuse(c, x, m,
		    "you have too many requests "
		    "waiting for approval (at most 8)");
	held_persist(c->m);
	/* The child waits for the decision, however long it takes. */
	mon_set_state(c, CH_SIGNING);
	held_audit(c->m, h, "approval-pending", &c->peer, "held", NULL);
	held_notify(c, h, "");
	chan_allow(&c->chan,
	    CHAN_BIT(MSG_HELD_CANCEL) |
		(t.nowait ? CHAN_BIT(MSG_HELD_RESULT) : 0));
	/*
	 * --no-wait: its client is let go, it is no session any more (t, not
	 * h: a failed notice may have ended the child and dropped h).
	 */
	if (t.nowait && !c->dead)
		mon_set_state(c, CH_HELD);
	return 0;
}

/* Answer the child waiting with F_WAIT on h with a status; unpark it. */
void
held_release_waiter(struct held *h, int status, const char *msg)
{
	struct mon_session *w = h->waiter;

	if (w == NULL)
		return;
	h->waiter = NULL;
	mon_deadline(w, w->m->cfg->session_timeout + 5);
	(void)monitor_reply_status(w, status, msg);
}

/* Answer a child's request with a complete client frame. */
void
held_send_frame(struct mon_session *c, const struct buf *frame)
{
	struct buf out;

	buf_init(&out, MSG_MAX);
	if (msg_enc_query_reply(&out, frame) == -1)
		(void)monitor_reply_status(c, ST_INTERNAL, "reply too large");
	else
		(void)mon_send(c, &out, -1);
	buf_free(&out);
}

/* Give the kept result of h to its waiter, then forget h. */
void
held_deliver(struct held *h)
{
	struct mon_session *w = h->waiter;
	struct buf frame;

	h->waiter = NULL;
	buf_view(&frame, h->frame, h->framelen);
	mon_deadline(w, w->m->cfg->session_timeout + 5);
	held_send_frame(w, &frame);
	approvals_remove(held_table(w->m), h);
}

/*
 * Make room among the kept results for h, decided: the oldest result of
 * its requester (or of all) is dropped, and whoever waits for it told.
 */
static void
held_make_room(struct monitor *m, struct held *h)
{
	struct held *v;

	while ((v = approvals_kept_victim(held_table(m), h)) != NULL) {
		log_warnx(
		    "request %llu (uid %u): result dropped uncollected to "
		    "make room for request %llu",
		    (unsigned long long)v->id, (unsigned)v->requester.uid,
		    (unsigned long long)h->id);
		held_release_waiter(v, ST_UNAVAILABLE,
		    "the result was dropped "
		    "uncollected: too many results were kept");
		approvals_remove(held_table(m), v);
	}
}

void
held_resolved(struct monitor *m, uint64_t id, struct mon_session *c)
{
	struct held *h = approvals_find(held_table(m), id);

	if (h == NULL)
		return;
	h->job = NULL;
	if (h->nowait && c != NULL) {
		/*
		 * Decided: its approval slot is free from now on.  The child
		 * builds the result and sends it to keep.
		 */
		held_make_room(m, h);
		h->state = HELD_BUILDING;
		h->expires = time(NULL) + (time_t)h->lifetime;
		return;
	}
	held_release_waiter(h, ST_UNAVAILABLE,
	    "the request's session ended "
	    "before its result was built");
	approvals_remove(held_table(m), h);
}

/* End a WAITING request without a signature: audited, then answered. */
void
held_end(struct monitor *m, struct held *h, const char *event,
    const struct identity *who, int status, const char *reason, const char *msg)
{
	struct sign_ctx *x = h->job;

	held_audit(m, h, event, who, "denied", reason);
	h->job = NULL;
	h->state = HELD_SIGNING; /* until held_resolved() */
	monitor_sign_refused(h->owner, x, h->id, status, msg);
}

/* Drop h after its child died: audited if it was still waiting. */
static void
held_orphaned(struct held *h)
{
	struct mon_session *c = h->owner;

	if (h->state == HELD_SIGNING) {
		/* The signer has it; held_resolved() will see no child. */
		h->owner = NULL;
		return;
	}
	if (h->state == HELD_WAITING) {
		held_audit(c->m, h, "approval-cancel", &h->requester, "denied",
		    "the requester's session ended");
		monitor_sign_drop(h->job);
		h->job = NULL;
	}
	held_release_waiter(h, ST_UNAVAILABLE,
	    "the request's session ended "
	    "before its result was built");
	approvals_remove(held_table(c->m), h);
}

void
held_child_gone(struct mon_session *c)
{
	struct approvals *a = held_table(c->m);

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
held_expire(struct monitor *m, struct held *h)
{
	char msg[MESSAGE_MAX + 1], life[32], why[96];

	held_duration(h->lifetime, life, sizeof(life));
	snprintf(why, sizeof(why),
	    "no decision within %s (%u of %u "
	    "approvals)",
	    life, h->have, h->need);
	snprintf(msg, sizeof(msg),
	    "request %llu: approval expired after %s "
	    "(%u of %u approvals by group %s)",
	    (unsigned long long)h->id, life, h->have, h->need, h->group);
	held_end(m, h, "approval-expire", &h->requester, ST_TIMEOUT, why, msg);
}

void
held_tick(struct monitor *m)
{
	struct approvals *a = held_table(m);
	time_t now = time(NULL);
	struct held *h;

	/*
	 * An expired WAITING request becomes SIGNING (then BUILDING with a
	 * new deadline, or gone), so each pass makes progress.
	 */
	while ((h = approvals_next_expired(a, now)) != NULL) {
		if (h->state == HELD_WAITING) {
			held_expire(m, h);
			continue;
		}
		held_release_waiter(h, ST_TIMEOUT,
		    "the result was not "
		    "collected in time and is gone");
		approvals_remove(a, h);
	}
	/* Requests decided since the last tick leave the list on disk. */
	held_persist(m);
}

void
held_drain(struct monitor *m)
{
	struct approvals *a = held_table(m);
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
			snprintf(msg, sizeof(msg),
			    "request %llu cancelled: the "
			    "daemon is stopping (held requests do not survive "
			    "a restart)",
			    (unsigned long long)h->id);
			held_end(m, h, "approval-cancel", &h->requester,
			    ST_UNAVAILABLE, "daemon stopping", msg);
			if ((h = approvals_find(a, ids[i])) == NULL)
				continue;
		}
		held_release_waiter(h, ST_UNAVAILABLE,
		    "the daemon is "
		    "stopping");
	}
	held_persist(m);
}

void
held_close(struct monitor *m)
{
	held_persist(m);
}
