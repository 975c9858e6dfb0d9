/*
 * monitor.c: the monitor object and its sessions (see monitor.h): made
 * and reloaded for the loop, the sessions marked dead and then killed by
 * the loop, and the small requests (READY, LOG, DONE, PROGRESS, QUERY).
 */
#include "monitor/monitor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "monitor/dispatch.h"
#include "monitor/upload.h"
#include "proto/frame.h"
#include "proto/io.h"
#include "proto/msg.h"
#include "records/audit.h"
#include "records/auditev.h"
#include "records/ratelimit.h"
#include "token/token.h"

void
monitor_init(struct monitor *m, const struct mon_loop_ops *ops, void *loop)
{
	m->ops = ops;
	m->loop = loop;
	TAILQ_INIT(&m->dead);
	held_init(&m->held);
	if ((m->rates = ratelimit_new()) == NULL ||
	    (m->uploads = uploads_new()) == NULL)
		fatal("calloc");
}

void
monitor_free(struct monitor *m)
{
	ratelimit_free(m->rates);
	uploads_free(m->uploads);
	m->rates = NULL;
	m->uploads = NULL;
	config_free(m->cfg);
	m->cfg = NULL;
}

void
monitor_reload(struct monitor *m, struct config *n)
{
	config_free(m->cfg);
	m->cfg = n;
	/* The buckets count the old Allow lines: they start afresh. */
	ratelimit_reset(m->rates);
	m->reloads++;
	m->reload_failed = 0;
	m->reload_at = time(NULL);
}

void
monitor_reload_refused(struct monitor *m, const char *why)
{
	m->reloads++;
	m->reloads_failed++;
	m->reload_failed = 1;
	m->reload_at = time(NULL);
	snprintf(m->reload_reason, sizeof(m->reload_reason), "%s", why);
}

void
monitor_reload_text(const struct monitor *m, char *dst, size_t len)
{
	char when[21];

	if (m->reloads == 0) {
		snprintf(dst, len, "none since the start");
		return;
	}
	token_time_str(m->reload_at, when);
	if (m->reload_failed)
		snprintf(dst, len,
		    "failed at %s (%lu of %lu reloads failed; "
		    "the configuration before it still runs): %s",
		    when, m->reloads_failed, m->reloads, m->reload_reason);
	else
		snprintf(dst, len, "ok at %s (%lu of %lu reloads failed)", when,
		    m->reloads_failed, m->reloads);
}

const char *
mon_state_name(enum child_state s)
{
	static const char *const names[CH_STATE_COUNT] = { "starting", "idle",
		"session", "signing", "gone", "held" };

	return s < CH_STATE_COUNT ? names[s] : "?";
}

void
monitor_session_init(struct mon_session *s, struct monitor *m, int fd,
    pid_t pid)
{
	memset(s, 0, sizeof(*s));
	s->m = m;
	s->fd = fd;
	s->pid = pid;
	s->state = CH_GONE; /* until the loop counts it as starting */
}

void
monitor_session_start(struct mon_session *s, uint32_t id,
    const struct identity *peer)
{
	s->id = id;
	s->peer = *peer;
}

void
mon_session_fail(struct mon_session *s, const char *why)
{
	if (s->dead || s->state == CH_GONE)
		return;
	s->dead = 1;
	snprintf(s->dead_why, sizeof(s->dead_why), "%s", why);
	TAILQ_INSERT_TAIL(&s->m->dead, s, dead_entry);
}

/*
 * Have the loop kill every session a handler marked, one at a time (a
 * kill may mark more: held requests answer other sessions), then tell
 * it once that children were freed.
 */
void
monitor_act(struct monitor *m)
{
	struct mon_session *s;

	while ((s = TAILQ_FIRST(&m->dead)) != NULL) {
		TAILQ_REMOVE(&m->dead, s, dead_entry);
		s->dead = 0;
		m->ops->kill(s, s->dead_why);
	}
	if (m->freed) {
		m->freed = 0;
		m->ops->freed(m->loop);
	}
}

void
mon_deadline(struct mon_session *s, unsigned seconds)
{
	if (!s->dead)
		s->m->ops->deadline(s, seconds);
}

void
mon_set_state(struct mon_session *s, enum child_state st)
{
	if (s->dead)
		return;
	s->m->ops->set_state(s, st);
	/* A child became ready, or a parked one stopped being a session. */
	if (st == CH_IDLE || st == CH_HELD)
		s->m->freed = 1;
}

int
mon_send(struct mon_session *s, struct buf *b, int fd)
{
	if (s->dead || io_send_msg(s->fd, b, fd) == -1) {
		mon_session_fail(s, "cannot write to the child");
		return -1;
	}
	return 0;
}

void
mon_audit_deny(struct monitor *m, const struct identity *p, const char *key,
    int format, const char *artifact, const char *reason)
{
	struct audit_event ev;

	auditev_init(&ev, "deny", p);
	auditev_subject(&ev, key, format, artifact);
	auditev_result(&ev, "denied", reason);
	if (audit_submit(m->audit, &ev, NULL, NULL) == -1)
		log_warnx("audit: cannot queue a deny record");
	log_info("deny: uid %u (%s) key %s: %s", (unsigned)p->uid, p->user, key,
	    reason);
}

int
monitor_answer_ready(struct mon_session *c, const union chan_body *body)
{
	(void)body;
	mon_set_state(c, CH_IDLE);
	return 0;
}

/* Answer a query or admin request with a status-only client frame. */
static int
query_status_reply(struct mon_session *c, int status, const char *msg)
{
	struct buf frame, out;
	int r = -1;

	buf_init(&frame, FRAME_MAX + 4);
	buf_init(&out, MSG_MAX);
	if (frame_reply_status(&frame, status, msg) == 0 &&
	    msg_enc_query_reply(&out, &frame) == 0)
		r = mon_send(c, &out, -1);
	buf_free(&frame);
	buf_free(&out);
	return r == -1 ? -1 : 0;
}

/* QUERY: keys, whoami or status, as a complete client frame. */
int
monitor_answer_query(struct mon_session *c, const union chan_body *body)
{
	struct msg_query m = body->query;
	struct buf frame, out;
	int r;

	buf_init(&frame, FRAME_MAX + 4);
	buf_init(&out, MSG_MAX);
	if (monitor_query_frame(c->m, &c->peer, m.what, &frame) == 0 &&
	    msg_enc_query_reply(&out, &frame) == 0)
		r = mon_send(c, &out, -1) == -1 ? -1 : 0;
	else {
		/* The child waits for an answer: never leave it without. */
		log_warnx("query reply too large");
		r = query_status_reply(c, ST_INTERNAL, "reply too large");
	}
	buf_free(&frame);
	buf_free(&out);
	return r;
}

/* A child's log line: printable characters only, tagged with the child. */
int
monitor_answer_log(struct mon_session *c, const union chan_body *body)
{
	struct msg_log m = body->log;

	log_text_safe(m.text);
	if (m.level <= LOG_LVL_WARN)
		log_warnx("child %d (session %u, uid %u): %s", (int)c->pid,
		    c->id, (unsigned)c->peer.uid, m.text);
	else if (m.level == LOG_LVL_INFO)
		log_info("child %d (session %u): %s", (int)c->pid, c->id,
		    m.text);
	else
		log_debug("child %d (session %u): %s", (int)c->pid, c->id,
		    m.text);
	return 0;
}

/* DONE: the client has gone; the child exits by itself. */
int
monitor_answer_done(struct mon_session *c, const union chan_body *body)
{
	(void)body;
	c->m->ops->client_gone(c);
	mon_deadline(c, 5);
	return 0;
}

/*
 * PROGRESS: the child is moving artifact bytes (a long hash, an inline
 * upload), so the session is not idle: re-arm its idle deadline (the
 * pool bounds every deadline by the session's SessionLifetime).
 */
int
monitor_answer_progress(struct mon_session *c, const union chan_body *body)
{
	(void)body; /* bytes > 0: checked by the decoder */
	/* While signing, the signer and the audit log bound the child. */
	if (c->state == CH_SESSION)
		mon_deadline(c, c->m->cfg->session_timeout + 5);
	return 0;
}

void
monitor_child_gone(struct mon_session *c)
{
	struct monitor *m = c->m;

	/* Killed by the loop before its mark was acted on. */
	if (c->dead) {
		TAILQ_REMOVE(&m->dead, c, dead_entry);
		c->dead = 0;
	}
	(void)uploads_release(m->uploads, c);
	ts_child_gone(c);
	monitor_sign_orphan(c);
	held_child_gone(c);
	monitor_act(m);
}

void
monitor_tick(struct monitor *m)
{
	held_tick(m);
	monitor_act(m);
}

void
monitor_drain(struct monitor *m)
{
	m->draining = 1;
	held_drain(m);
	monitor_act(m);
}

int
monitor_reply_status(struct mon_session *c, int status, const char *msg)
{
	return query_status_reply(c, status, msg);
}
