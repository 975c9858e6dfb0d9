/*
 * monitor.c: the request table for session children and its handlers
 * (see monitor.h).
 *
 * The life of a signature: MSG_SIGN is decoded and checked against the
 * policy of the session's kernel-reported identity; the monitor takes the
 * key record and mechanism from its own config and queues a job for a
 * signing thread; when the token has signed, the audit record is queued;
 * only when that record is durable is the signature sent to the child.
 * If the child dies meanwhile, the signature is wiped and dropped.
 */
#include "monitor/monitor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "broker/pool.h"
#include "records/ratelimit.h"
#include "common/log.h"
#include "common/util.h"
#include "monitor/dispatch.h"
#include "monitor/held.h"
#include "monitor/upload.h"
#include "proto/frame.h"
#include "proto/io.h"
#include "proto/msg.h"

#define MAX_SIGNS_PER_SESSION 1000000u

/* A signature on its way through signer and audit log. */
struct sign_ctx {
	struct signer_job job;		/* first: the signer hands it back */
	struct child *child;		/* NULL once the child is gone */
	struct csignd *d;
	struct msg_sign req;
	struct identity peer;
	char fingerprint[65];
	uint64_t request;		/* held for approval: its id, else 0 */
	char approvers[APPROVERS_TEXT_MAX];
};

/* Send a message to the child; a failure ends the child. */
static int
monitor_send(struct child *c, struct buf *b)
{
	if (io_send_msg(c->fd, b, -1) == -1) {
		pool_kill(c, "cannot write to the child");
		return -1;
	}
	return 0;
}

void
monitor_audit_peer(struct audit_event *ev, const struct identity *p)
{
	ev->has_peer = 1;
	ev->uid = p->uid;
	ev->user = p->user;
	ev->pid = p->pid;
	ev->groups[0] = p->gid;
	ev->ngroups = 1;
	for (size_t i = 0; i < p->ngroups && ev->ngroups < AUDIT_MAX_GROUPS;
	     i++)
		if (p->groups[i] != p->gid)
			ev->groups[ev->ngroups++] = p->groups[i];
}

/* Audit a refusal (no wait: nothing is released by a refusal). */
static void
audit_deny(struct csignd *d, const struct identity *p, const char *key,
    int format, const char *artifact, const char *reason)
{
	struct audit_event ev = { .event = "deny", .key = key,
		.format = format >= 0 ? format_name(format) : NULL,
		.artifact = artifact, .result = "denied", .reason = reason };

	monitor_audit_peer(&ev, p);
	if (audit_submit(d->audit, &ev, NULL, NULL) == -1)
		log_warnx("audit: cannot queue a deny record");
	log_info("deny: uid %u (%s) key %s: %s", (unsigned)p->uid, p->user,
	    key, reason);
}

int
monitor_answer_ready(struct child *c, const union chan_body *body)
{
	(void)body;
	c->d->nstarting--;
	c->d->nidle++;
	c->d->spawn_failures = 0;
	c->state = CH_IDLE;
	pool_deadline(c, 0);
	server_assign_waiting(c->d);
	return 0;
}

/* Reply to KEYINFO with a status only (denied, unavailable). */
static int
keyinfo_refuse(struct child *c, int status, const char *why)
{
	struct msg_keyinfo_reply r = { .status = (uint8_t)status };
	struct buf out;
	int ret;

	snprintf(r.message, sizeof(r.message), "%s", why);
	buf_init(&out, MSG_MAX);
	ret = msg_enc_keyinfo_reply(&out, &r) == 0 ? monitor_send(c, &out) : -1;
	buf_free(&out);
	return ret;
}

/* Remember that key was described to c: it moves to the front. */
static void
described_add(struct child *c, const char *key)
{
	struct mon_keys *mk = &c->described;
	unsigned i;

	for (i = 0; i < mk->n && strcmp(mk->name[i], key) != 0; i++)
		;
	if (i == mk->n && mk->n < MON_KEYS_MAX)
		mk->n++;
	if (i == MON_KEYS_MAX)
		i--;
	memmove(mk->name[1], mk->name[0], i * sizeof(mk->name[0]));
	snprintf(mk->name[0], sizeof(mk->name[0]), "%s", key);
}

/* 1 if key was described to c (KEYINFO) in this session. */
static int
described(const struct child *c, const char *key)
{
	for (unsigned i = 0; i < c->described.n; i++)
		if (strcmp(c->described.name[i], key) == 0)
			return 1;
	return 0;
}

/*
 * KEYINFO: the certificate and the parameters of a key, but only of a key
 * granted to this session's identity (else a deny record).
 */
int
monitor_answer_keyinfo(struct child *c, const union chan_body *body)
{
	struct msg_keyinfo m = body->keyinfo;
	struct msg_keyinfo_reply r = { .status = ST_OK };
	const struct cfg_key *ck;
	const struct token_key *k;
	struct buf out;
	int ret;

	ck = config_find_key(c->d->cfg, m.key);
	if (ck == NULL || !policy_granted(c->d->cfg, &c->peer, ck)) {
		audit_deny(c->d, &c->peer, m.key,
		    m.format == FMT_NONE ? -1 : m.format,
		    m.name[0] ? m.name : NULL,
		    policy_result_str(POLICY_NOT_GRANTED));
		return keyinfo_refuse(c, ST_DENIED,
		    policy_result_str(POLICY_NOT_GRANTED));
	}
	/* Granted, but its token is away (and being logged in again). */
	if ((k = tokens_find_key(c->d->tokens, ck->name)) == NULL ||
	    token_key_state(k) != TOKEN_READY)
		return keyinfo_refuse(c, ST_UNAVAILABLE, "token unavailable");
	r.keytype = (uint8_t)k->keytype;
	r.padding = (uint8_t)ck->padding;
	r.default_digest = (uint8_t)ck->default_digest;
	r.formats = policy_formats(c->d->cfg, &c->peer, ck);
	r.digests = ck->digests;
	r.cert = k->certder;
	r.certlen = k->certlen;
	r.chain = k->chainder;
	r.chainlen = k->chainlen;
	r.ts_mode = (uint8_t)ck->ts_mode;
	r.ntsa = (uint8_t)ck->ntsa;
	buf_init(&out, MSG_MAX);
	ret = msg_enc_keyinfo_reply(&out, &r) == 0 ? monitor_send(c, &out) : -1;
	buf_free(&out);
	if (ret == 0) {
		described_add(c, ck->name);
		chan_allow(&c->chan, CHAN_BIT(MSG_SIGN));
	}
	return ret;
}

/* Send the child the outcome of a sign request. */
static void
sign_reply(struct child *c, uint32_t reqid, int status, const char *msg,
    const uint8_t *sig, size_t siglen)
{
	struct msg_sign_reply *r;
	struct buf out;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("calloc");
	r->reqid = reqid;
	r->status = (uint8_t)status;
	snprintf(r->message, sizeof(r->message), "%s", msg);
	if (sig != NULL) {
		memcpy(r->sig, sig, siglen);
		r->siglen = siglen;
	}
	buf_init(&out, MSG_MAX);
	if (msg_enc_sign_reply(&out, r) == 0)
		(void)monitor_send(c, &out);
	buf_free(&out);
	OPENSSL_cleanse(r, sizeof(*r));
	free(r);
}

/* Fill an audit event describing the sign request of ctx. */
static void
sign_event(struct sign_ctx *x, struct audit_event *ev, char *hex)
{
	memset(ev, 0, sizeof(*ev));
	monitor_audit_peer(ev, &x->peer);
	util_hex(x->req.adigest, x->req.adigestlen, hex, 2 * DIGEST_MAX + 1);
	ev->event = "sign";
	ev->key = x->req.key;
	ev->cert_sha256 = x->fingerprint;
	ev->format = format_name(x->req.format);
	ev->artifact = x->req.name;
	ev->has_size = 1;
	ev->size = x->req.size;
	ev->digest_alg = digest_name(x->req.digest);
	ev->digest_hex = hex;
	ev->has_request = x->request != 0;
	ev->request = x->request;
	ev->approvers = x->request != 0 ? x->approvers : NULL;
}

/* Finish a sign: back to the session state, free the context. */
static void
sign_finish(struct sign_ctx *x, int status, const char *msg, int with_sig)
{
	struct child *c = x->child;

	if (c != NULL) {
		c->inflight = NULL;
		pool_unpark(c);
		if (c->state == CH_SIGNING) {
			c->state = CH_SESSION;
			pool_deadline(c, c->d->cfg->session_timeout + 5);
		}
		if (with_sig)
			ts_released(c, config_find_key(x->d->cfg, x->req.key),
			    &x->req);
		sign_reply(c, x->req.reqid, status, msg,
		    with_sig ? x->job.sig : NULL, x->job.siglen);
		if (with_sig)
			x->d->signatures++;
	}
	if (x->request != 0)
		held_resolved(x->d, x->request, c);
	server_maybe_exit(x->d);
	OPENSSL_cleanse(x, sizeof(*x));
	free(x);
}

/* The audit record of a signature is durable (ok) or failed. */
static void
sign_audited(void *arg, int ok)
{
	struct sign_ctx *x = arg;

	if (!ok) {
		log_warnx("audit log write failed: signature for uid %u "
		    "withheld", (unsigned)x->peer.uid);
		sign_finish(x, ST_UNAVAILABLE, "audit log cannot be written; "
		    "signature withheld", 0);
		return;
	}
	sign_finish(x, ST_OK, "signed", 1);
}

void
monitor_sign_done(struct signer_job *job, void *arg)
{
	struct sign_ctx *x = (struct sign_ctx *)job;
	struct audit_event ev;
	char hex[2 * DIGEST_MAX + 1];

	(void)arg;
	sign_event(x, &ev, hex);
	if (!job->ok) {
		ev.event = "error";
		ev.result = "error";
		ev.reason = "token signing failed";
		(void)audit_submit(x->d->audit, &ev, NULL, NULL);
		sign_finish(x, ST_UNAVAILABLE, "token signing failed", 0);
		return;
	}
	ev.result = "ok";
	if (audit_submit(x->d->audit, &ev, sign_audited, x) == -1)
		sign_audited(x, 0);
}

/*
 * The rate-limit state of the running config: it starts afresh when a
 * reload replaces the config (its buckets count the old Allow lines).
 */
static struct ratelimit *
monitor_rates(const struct config *cfg)
{
	static struct ratelimit *rates;
	static const struct config *seen;

	if (rates == NULL && (rates = ratelimit_new()) == NULL)
		fatal("calloc");
	if (seen != cfg) {
		ratelimit_reset(rates);
		seen = cfg;
	}
	return rates;
}

/* Seconds on the monotonic clock, for rate limits. */
static double
monotonic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Refuse a sign request: deny record, then the reply. */
static void
sign_deny(struct child *c, const struct msg_sign *m, const char *why)
{
	audit_deny(c->d, &c->peer, m->key, m->format, m->name, why);
	sign_reply(c, m->reqid, ST_DENIED, why, NULL, 0);
}

/*
 * The checks a signature must pass against the policy in force now: the
 * key's block and a grant for this identity, format and digest; a format
 * this build signs; the key not disabled; a rate-limit token left.  The
 * token is taken at once for a key without Approval, and at the last
 * approval (signing is 1) for one with it: a held request is charged
 * when it is signed, so one denied or expired costs nothing.  0 with
 * *ckp set, or -1 with why set.
 */
static int
sign_permitted(struct csignd *d, const struct identity *p,
    const struct msg_sign *m, int signing, const struct cfg_key **ckp,
    char *why, size_t whylen)
{
	const struct keystate_entry *ks;
	enum policy_result pr;
	int r;

	pr = policy_check(d->cfg, p, m->key, m->format, m->digest, ckp);
	if (pr == POLICY_OK && !format_supported(m->format))
		pr = POLICY_BAD_FORMAT;
	if (pr != POLICY_OK)
		return snprintf(why, whylen, "%s", policy_result_str(pr)), -1;
	if ((ks = keystate_disabled(d->keystate, (*ckp)->name)) != NULL)
		return snprintf(why, whylen, "key disabled: %s", ks->reason),
		    -1;
	if (signing || !(*ckp)->has_approval)
		r = ratelimit_take(monitor_rates(d->cfg), d->cfg, p, *ckp, m->format,
		    monotonic_now(), why, whylen);
	else
		r = ratelimit_check(monitor_rates(d->cfg), d->cfg, p, *ckp, m->format,
		    monotonic_now(), why, whylen);
	return r ? 0 : -1;
}

/* Check what the child claims against the policy; reply if refused. */
static const struct token_key *
sign_authorize(struct child *c, const struct msg_sign *m,
    const struct cfg_key **ckp)
{
	const struct token_key *k;
	char why[MESSAGE_MAX + 32];

	if (sign_permitted(c->d, &c->peer, m, 0, ckp, why, sizeof(why)) ==
	    -1) {
		sign_deny(c, m, why);
		return NULL;
	}
	k = tokens_find_key(c->d->tokens, (*ckp)->name);
	if (k == NULL || token_key_state(k) != TOKEN_READY) {
		sign_reply(c, m->reqid, ST_UNAVAILABLE, "token unavailable",
		    NULL, 0);
		return NULL;
	}
	return k;
}

/* Queue a checked sign job for the signer thread; the child waits. */
static void
sign_submit(struct child *c, struct sign_ctx *x, const struct token_key *k)
{
	x->child = c;
	memcpy(x->fingerprint, k->fingerprint, sizeof(x->fingerprint));
	x->job.key = k;
	c->inflight = x;
	c->state = CH_SIGNING;
	pool_deadline(c, 0);
	signer_submit(c->d->signer, &x->job);
}

/*
 * SIGN: decode exactly, refuse replays, wrong digest sizes and keys this
 * session was never described (a child always asks KEYINFO first: it
 * needs the certificate to check the signature) as protocol violations,
 * check the policy, then queue the job with the monitor's own key record
 * and mechanism.
 */
int
monitor_answer_sign(struct child *c, const union chan_body *body)
{
	const struct cfg_key *ck = NULL;
	const struct token_key *k;
	struct sign_ctx *x;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		fatal("calloc");
	x->req = body->sign;
	if (x->req.reqid <= c->last_reqid || !described(c, x->req.key) ||
	    c->nsigns >= MAX_SIGNS_PER_SESSION) {
		free(x);
		return -1;
	}
	c->last_reqid = x->req.reqid;
	c->nsigns++;
	if ((k = sign_authorize(c, &x->req, &ck)) == NULL) {
		free(x);
		return 0;
	}
	x->d = c->d;
	x->peer = c->peer;
	x->job.digest = x->req.digest;
	x->job.padding = ck->padding;
	memcpy(x->job.tbs, x->req.tbs, x->req.tbslen);
	x->job.tbslen = x->req.tbslen;
	/* Everything is checked; a key with a rule waits for approvers. */
	if (ck->has_approval) {
		/* x belongs to the held request now (held_hold frees it). */
		// NOLINTNEXTLINE(clang-analyzer-unix.Malloc)
		return held_hold(c, x, ck, &x->req);
	}
	sign_submit(c, x, k);
	return 0;
}

/* Answer a query or admin request with a status-only client frame. */
static int
query_status_reply(struct child *c, int status, const char *msg)
{
	struct buf frame, out;
	int r = -1;

	buf_init(&frame, FRAME_MAX + 4);
	buf_init(&out, MSG_MAX);
	if (frame_reply_status(&frame, status, msg) == 0 &&
	    msg_enc_query_reply(&out, &frame) == 0)
		r = monitor_send(c, &out);
	buf_free(&frame);
	buf_free(&out);
	return r == -1 ? -1 : 0;
}

/* QUERY: keys, whoami or status, as a complete client frame. */
int
monitor_answer_query(struct child *c, const union chan_body *body)
{
	struct msg_query m = body->query;
	struct buf frame, out;
	int r;

	buf_init(&frame, FRAME_MAX + 4);
	buf_init(&out, MSG_MAX);
	if (monitor_query_frame(c->d, &c->peer, m.what, &frame) == 0 &&
	    msg_enc_query_reply(&out, &frame) == 0)
		r = monitor_send(c, &out) == -1 ? -1 : 0;
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
monitor_answer_log(struct child *c, const union chan_body *body)
{
	struct msg_log m = body->log;

	log_text_safe(m.text);
	if (m.level <= LOG_LVL_WARN)
		log_warnx("child %d (session %u, uid %u): %s", (int)c->pid,
		    c->session, (unsigned)c->peer.uid, m.text);
	else if (m.level == LOG_LVL_INFO)
		log_info("child %d (session %u): %s", (int)c->pid, c->session,
		    m.text);
	else
		log_debug("child %d (session %u): %s", (int)c->pid, c->session,
		    m.text);
	return 0;
}

/* 1 if the session's identity is in the config's AdminGroup. */
static int
peer_is_admin(const struct csignd *d, const struct identity *p)
{
	return d->cfg->has_admin_group &&
	    identity_in_group(p, d->cfg->admin_gid);
}

/*
 * Make an admin's change of a key's state: the new StateFile is written
 * to a durable temporary, then the audit record is written and waited
 * for, and only then is the file put in place and the change made.  If
 * the record cannot be written nothing changes (an enable without a
 * record would undo an incident response silently).  Returns the status
 * for the admin, with msg set.
 */
static int
admin_apply(struct child *c, const struct msg_admin *m, int disable,
    char *msg, size_t msglen)
{
	struct audit_event ev = { .result = "ok" };
	struct keystate_change ch;
	char err[CONFIG_ERR_MAX];

	if (keystate_prepare(c->d->keystate, &ch, m->key, disable, c->peer.uid,
	    time(NULL), m->reason, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		snprintf(msg, msglen, "cannot write the key state; nothing "
		    "changed");
		return ST_INTERNAL;
	}
	monitor_audit_peer(&ev, &c->peer);
	ev.event = disable ? "key-disable" : "key-enable";
	ev.key = m->key;
	ev.reason = m->reason[0] ? m->reason : NULL;
	if (audit_write_sync(c->d->audit, &ev) == -1) {
		keystate_abort(&ch);
		log_warnx("audit: cannot write the %s record for key %s; "
		    "nothing changed", ev.event, m->key);
		snprintf(msg, msglen, "the audit log cannot be written; the key "
		    "was not %s (nothing changed)", disable ? "disabled" :
		    "enabled");
		return ST_UNAVAILABLE;
	}
	if (keystate_commit(c->d->keystate, &ch, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		ev.event = "error";
		ev.result = "error";
		ev.reason = "the key state could not be replaced after its "
		    "record: nothing changed";
		(void)audit_write_sync(c->d->audit, &ev);
		snprintf(msg, msglen, "cannot write the key state; nothing "
		    "changed");
		return ST_INTERNAL;
	}
	log_warnx("key %s %s by uid %u (%s): %s", m->key, disable ?
	    "disabled" : "enabled", (unsigned)c->peer.uid, c->peer.user,
	    m->reason);
	snprintf(msg, msglen, disable ? "key disabled" : "key enabled");
	return ST_OK;
}

/*
 * ADMIN: disable or enable a key, for incident response.  Only members of
 * AdminGroup; the change takes effect only once its audit record, with
 * who and why, is durable (admin_apply).
 */
int
monitor_answer_admin(struct child *c, const union chan_body *body)
{
	char msg[MESSAGE_MAX + 1];
	struct msg_admin m = body->admin;
	int disable, st;

	disable = m.op == ADMIN_DISABLE_KEY;
	if (!peer_is_admin(c->d, &c->peer)) {
		audit_deny(c->d, &c->peer, m.key, -1, NULL,
		    "not a member of AdminGroup");
		return query_status_reply(c, ST_DENIED,
		    "not a member of AdminGroup");
	}
	if (config_find_key(c->d->cfg, m.key) == NULL)
		return query_status_reply(c, ST_BAD_REQUEST, "no such key");
	if (disable && m.reason[0] == '\0')
		return query_status_reply(c, ST_BAD_REQUEST, "give a reason");
	st = admin_apply(c, &m, disable, msg, sizeof(msg));
	return query_status_reply(c, st, msg);
}

/* DONE: the client has gone; the child exits by itself. */
int
monitor_answer_done(struct child *c, const union chan_body *body)
{
	(void)body;
	c->reported = 1;
	if (c->client_fd != -1) {
		close(c->client_fd);
		c->client_fd = -1;
	}
	pool_deadline(c, 5);
	return 0;
}

/* The inline-upload reservations of every session (monitor/upload.h). */
static struct uploads *
monitor_uploads(void)
{
	static struct uploads *u;

	if (u == NULL && (u = uploads_new()) == NULL)
		fatal("calloc");
	return u;
}

/* Answer an UPLOAD: go ahead (ST_OK) or why not. */
static int
upload_reply(struct child *c, int status, const char *msg)
{
	struct msg_upload_reply r = { .status = (uint8_t)status };
	struct buf out;
	int ret;

	snprintf(r.message, sizeof(r.message), "%s", msg);
	buf_init(&out, MSG_MAX);
	ret = msg_enc_upload_reply(&out, &r) == 0 ? monitor_send(c, &out) : -1;
	buf_free(&out);
	return ret;
}

/*
 * The grant behind an inline upload, as a signature would be checked
 * (the key's default digest; the digest itself is checked at SIGN): NULL
 * if allowed, else why not, audited as a deny.
 */
static const char *
upload_refusal(struct child *c, const struct msg_upload *m, char *why,
    size_t whylen)
{
	const struct cfg_key *ck = config_find_key(c->d->cfg, m->key);
	const struct keystate_entry *ks;
	enum policy_result pr;

	pr = policy_check(c->d->cfg, &c->peer, m->key, m->format,
	    ck != NULL ? ck->default_digest : 0, &ck);
	if (pr != POLICY_OK)
		snprintf(why, whylen, "%s", policy_result_str(pr));
	else if ((ks = keystate_disabled(c->d->keystate, ck->name)) != NULL)
		snprintf(why, whylen, "key disabled: %s", ks->reason);
	else
		return NULL;
	audit_deny(c->d, &c->peer, m->key, m->format, m->name, why);
	return why;
}

/* Reserve the upload against the uid's MaxUploadPerUser; reply. */
static int
upload_reserve(struct child *c, const struct msg_upload *m)
{
	uint64_t limit = c->d->cfg->max_upload_user, used;
	char msg[MESSAGE_MAX + 1];

	switch (uploads_reserve(monitor_uploads(), c, c->peer.uid, m->size,
	    limit, &used)) {
	case UPLOAD_OK:
		chan_allow(&c->chan, CHAN_BIT(MSG_UPLOAD_DONE));
		return upload_reply(c, ST_OK, "go ahead");
	case UPLOAD_TWICE:
		return -1;
	case UPLOAD_TOO_LARGE:
		snprintf(msg, sizeof(msg), "an inline artifact of %llu bytes "
		    "is over MaxUploadPerUser (%llu); pass a descriptor "
		    "instead (sign on the signing host)",
		    (unsigned long long)m->size, (unsigned long long)limit);
		return upload_reply(c, ST_BAD_ARTIFACT, msg);
	default:
		break;
	}
	snprintf(msg, sizeof(msg), "uid %u has %llu bytes of inline uploads in "
	    "flight; %llu more would exceed MaxUploadPerUser (%llu): try "
	    "again when they are done", (unsigned)c->peer.uid,
	    (unsigned long long)used, (unsigned long long)m->size,
	    (unsigned long long)limit);
	log_info("upload refused: %s", msg);
	return upload_reply(c, ST_UNAVAILABLE, msg);
}

/*
 * UPLOAD: an inline artifact is announced; the child reads none of it
 * before this answer.  The key must be granted to this identity for the
 * format, and the uid's inline bytes in flight, these included, must stay
 * within MaxUploadPerUser.  The bytes stay reserved until UPLOAD_DONE or
 * the end of the session; asking twice without a DONE is a violation.
 */
int
monitor_answer_upload(struct child *c, const union chan_body *body)
{
	char why[MESSAGE_MAX + 32];
	const char *no;
	struct msg_upload m = body->upload;

	if ((no = upload_refusal(c, &m, why, sizeof(why))) != NULL)
		return upload_reply(c, ST_DENIED, no);
	if (m.size > c->d->cfg->max_artifact_size)
		return upload_reply(c, ST_BAD_ARTIFACT, "artifact is over "
		    "MaxArtifactSize");
	return upload_reserve(c, &m);
}

/* UPLOAD_DONE: the child has emptied its scratch space. */
int
monitor_answer_upload_done(struct child *c, const union chan_body *body)
{
	(void)body;
	chan_forbid(&c->chan, CHAN_BIT(MSG_UPLOAD_DONE));
	if (!uploads_release(monitor_uploads(), c))
		return -1;
	return 0;
}

/* The session is over: its reservation, if any, goes back. */
static void
monitor_upload_gone(struct child *c)
{
	(void)uploads_release(monitor_uploads(), c);
}

/*
 * PROGRESS: the child is moving artifact bytes (a long hash, an inline
 * upload), so the session is not idle: re-arm its idle deadline (the
 * pool bounds every deadline by the session's SessionLifetime).
 */
int
monitor_answer_progress(struct child *c, const union chan_body *body)
{
	(void)body;			/* bytes > 0: checked by the decoder */
	pool_deadline(c, c->d->cfg->session_timeout + 5);
	return 0;
}

void
monitor_child_gone(struct child *c)
{
	monitor_upload_gone(c);
	ts_child_gone(c);
	if (c->inflight != NULL) {
		c->inflight->child = NULL;
		c->inflight = NULL;
	}
	held_child_gone(c);
}

int
monitor_reply_status(struct child *c, int status, const char *msg)
{
	return query_status_reply(c, status, msg);
}

/*
 * The last approval has come: the request is checked again against the
 * policy in force now (a reload may have removed the key or the grant, an
 * admin may have disabled the key; the rate is charged now).  0, or -1
 * with why set.  A key whose padding changed since the hold would not
 * make the signature the child expects: refused as well.
 */
static int
sign_recheck(struct sign_ctx *x, const struct cfg_key **ckp, char *why,
    size_t whylen)
{
	if (sign_permitted(x->d, &x->peer, &x->req, 1, ckp, why, whylen) == -1)
		return -1;
	if ((*ckp)->padding != x->job.padding) {
		snprintf(why, whylen, "the key's configuration changed while "
		    "the request was held");
		return -1;
	}
	return 0;
}

/* An approved request refused by the policy now: audited, answered. */
static void
approved_refused(struct sign_ctx *x, const char *why)
{
	char hex[2 * DIGEST_MAX + 1], reason[MESSAGE_MAX + 64];
	char msg[MESSAGE_MAX + 96];	/* cut to MESSAGE_MAX in the reply */
	struct audit_event ev;

	sign_event(x, &ev, hex);
	snprintf(reason, sizeof(reason), "approved, but refused at signing: "
	    "%s", why);
	ev.event = "deny";
	ev.cert_sha256 = NULL;
	ev.result = "denied";
	ev.reason = reason;
	if (audit_submit(x->d->audit, &ev, NULL, NULL) == -1)
		log_warnx("audit: cannot queue a deny record");
	log_info("deny: request %llu (uid %u, key %s): %s",
	    (unsigned long long)x->request, (unsigned)x->peer.uid, x->req.key,
	    reason);
	snprintf(msg, sizeof(msg), "request %llu %s",
	    (unsigned long long)x->request, reason);
	sign_finish(x, ST_DENIED, msg, 0);
}

/*
 * An approved request: checked again against the policy in force now
 * (sign_recheck), its key looked up again (the token may have been lost
 * and logged in again since it was held), then signed as any other; the
 * sign record names the request and its approvers.
 */
int
monitor_sign_approved(struct child *c, struct sign_ctx *x, uint64_t request,
    const char *approvers, char *why, size_t whylen)
{
	const struct token_key *k;
	const struct cfg_key *ck;

	x->request = request;
	x->child = c;
	snprintf(x->approvers, sizeof(x->approvers), "%s", approvers);
	if (sign_recheck(x, &ck, why, whylen) == -1) {
		approved_refused(x, why);
		return -1;
	}
	k = tokens_find_key(x->d->tokens, ck->name);
	if (k == NULL || token_key_state(k) != TOKEN_READY) {
		snprintf(why, whylen, "the token is unavailable");
		sign_finish(x, ST_UNAVAILABLE, "approved, but the token is "
		    "unavailable", 0);
		return -1;
	}
	pool_unpark(c);
	sign_submit(c, x, k);
	return 0;
}

void
monitor_sign_refused(struct child *c, struct sign_ctx *x, uint64_t request,
    int status, const char *msg)
{
	x->request = request;
	x->child = c;
	sign_finish(x, status, msg, 0);
}

void
monitor_sign_drop(struct sign_ctx *x)
{
	if (x == NULL)
		return;
	OPENSSL_cleanse(x, sizeof(*x));
	free(x);
}

void
monitor_held_notice(struct child *c, const struct msg_sign_held *m)
{
	struct buf out;

	buf_init(&out, MSG_MAX);
	if (msg_enc_sign_held(&out, m) == 0)
		(void)monitor_send(c, &out);
	buf_free(&out);
}
