/*
 * sign.c: KEYINFO and SIGN, and the life of a signature.
 *
 * MSG_SIGN is decoded and checked against the policy of the session's
 * kernel-reported identity; the monitor takes the key record and
 * mechanism from its own config and queues a job for a signing thread;
 * when the token has signed, the audit record is queued; only when that
 * record is durable is the signature sent to the child.  If the child
 * dies meanwhile, the signature is wiped and dropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "monitor/dispatch.h"
#include "monitor/monitor.h"
#include "proto/frame.h"
#include "proto/msg.h"
#include "records/audit.h"
#include "records/auditev.h"
#include "records/keystate.h"
#include "records/ratelimit.h"
#include "token/signer.h"
#include "token/token.h"

#define MAX_SIGNS_PER_SESSION 1000000u

/* A signature on its way through signer and audit log. */
struct sign_ctx {
	struct signer_job job;	   /* first: the signer hands it back */
	struct mon_session *child; /* NULL once the child is gone */
	struct monitor *m;
	struct msg_sign req;
	struct identity peer;
	char fingerprint[65];
	uint64_t request; /* held for approval: its id, else 0 */
	char approvers[APPROVERS_TEXT_MAX];
};

/* Reply to KEYINFO with a status only (denied, unavailable). */
static int
keyinfo_refuse(struct mon_session *c, int status, const char *why)
{
	struct msg_keyinfo_reply r = { .status = (uint8_t)status };
	struct buf out;
	int ret;

	snprintf(r.message, sizeof(r.message), "%s", why);
	buf_init(&out, MSG_MAX);
	ret = msg_enc_keyinfo_reply(&out, &r) == 0 ? mon_send(c, &out, -1) : -1;
	buf_free(&out);
	return ret;
}

/* Remember that key was described to c: it moves to the front. */
static void
described_add(struct mon_session *c, const char *key)
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
described(const struct mon_session *c, const char *key)
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
monitor_answer_keyinfo(struct mon_session *c, const union chan_body *body)
{
	struct msg_keyinfo m = body->keyinfo;
	struct msg_keyinfo_reply r = { .status = ST_OK };
	const struct cfg_key *ck;
	const struct token_key *k;
	struct buf out;
	int ret;

	ck = config_find_key(c->m->cfg, m.key);
	if (ck == NULL || !policy_granted(c->m->cfg, &c->peer, ck)) {
		mon_audit_deny(c->m, &c->peer, m.key,
		    m.format == FMT_NONE ? -1 : m.format,
		    m.name[0] ? m.name : NULL,
		    policy_result_str(POLICY_NOT_GRANTED));
		return keyinfo_refuse(c, ST_DENIED,
		    policy_result_str(POLICY_NOT_GRANTED));
	}
	/* Granted, but its token is away (and being logged in again). */
	if ((k = tokens_find_key(c->m->tokens, ck->name)) == NULL ||
	    token_key_state(k) != TOKEN_READY)
		return keyinfo_refuse(c, ST_UNAVAILABLE, "token unavailable");
	r.keytype = (uint8_t)k->keytype;
	r.padding = (uint8_t)ck->padding;
	r.default_digest = (uint8_t)ck->default_digest;
	r.formats = policy_formats(c->m->cfg, &c->peer, ck);
	r.digests = ck->digests;
	r.cert = k->certder;
	r.certlen = k->certlen;
	r.chain = k->chainder;
	r.chainlen = k->chainlen;
	r.ts_mode = (uint8_t)ck->ts_mode;
	r.ntsa = (uint8_t)ck->ntsa;
	r.pgp_created = ck->pgp_created;
	r.approval = ck->has_approval ? 1 : 0;
	memcpy(r.pgp_uid, ck->pgp_uid, sizeof(r.pgp_uid));
	buf_init(&out, MSG_MAX);
	ret = msg_enc_keyinfo_reply(&out, &r) == 0 ? mon_send(c, &out, -1) : -1;
	buf_free(&out);
	if (ret == 0) {
		described_add(c, ck->name);
		chan_allow(&c->chan, CHAN_BIT(MSG_SIGN));
	}
	return ret;
}

/* Send the child the outcome of a sign request. */
static void
sign_reply(struct mon_session *c, uint32_t reqid, int status, const char *msg,
    const uint8_t *sig, size_t siglen)
{
	struct monitor *m = c->m;
	struct msg_sign_reply *r;
	size_t others = m->ops->sessions(m->loop);
	struct buf out;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("calloc");
	r->reqid = reqid;
	r->status = (uint8_t)status;
	/* The load now, for a batch that sizes its connections on it. */
	others = others > 0 ? others - 1 : 0;
	r->busy = (uint16_t)(others < BUSY_MAX ? others : BUSY_MAX);
	snprintf(r->message, sizeof(r->message), "%s", msg);
	if (sig != NULL) {
		memcpy(r->sig, sig, siglen);
		r->siglen = siglen;
	}
	buf_init(&out, MSG_MAX);
	if (msg_enc_sign_reply(&out, r) == 0)
		(void)mon_send(c, &out, -1);
	buf_free(&out);
	OPENSSL_cleanse(r, sizeof(*r));
	free(r);
}

/* Fill an audit event describing the sign request of ctx. */
static void
sign_event(struct sign_ctx *x, struct audit_event *ev, char *hex)
{
	auditev_init(ev, "sign", &x->peer);
	auditev_subject(ev, x->req.key, x->req.format, x->req.name);
	auditev_digest(ev, x->req.size, x->req.digest, x->req.adigest,
	    x->req.adigestlen, hex);
	ev->cert_sha256 = x->fingerprint;
	if (x->request != 0)
		auditev_request(ev, x->request, x->approvers);
}

/* Whether c has a sign at the token or the audit log. */
static int
sign_busy(const struct mon_session *c)
{
	for (unsigned i = 0; i < MON_SIGN_DEPTH; i++)
		if (c->inflight[i] != NULL)
			return 1;
	return 0;
}

/* x is no longer in flight for c. */
static void
sign_slot_clear(struct mon_session *c, const struct sign_ctx *x)
{
	for (unsigned i = 0; i < MON_SIGN_DEPTH; i++)
		if (c->inflight[i] == x)
			c->inflight[i] = NULL;
}

/* A free slot of c for a sign, or NULL if MON_SIGN_DEPTH are in flight. */
static struct sign_ctx **
sign_slot_free(struct mon_session *c)
{
	for (unsigned i = 0; i < MON_SIGN_DEPTH; i++)
		if (c->inflight[i] == NULL)
			return &c->inflight[i];
	return NULL;
}

/*
 * Finish a sign: back to the session state (a parked request counts as
 * a session again while its child builds the result), free the context.
 */
static void
sign_finish(struct sign_ctx *x, int status, const char *msg, int with_sig)
{
	struct mon_session *c = x->child;

	if (c != NULL) {
		sign_slot_clear(c, x);
		if ((c->state == CH_SIGNING || c->state == CH_HELD) &&
		    !sign_busy(c))
			mon_set_state(c, CH_SESSION);
		if (with_sig)
			ts_released(c, config_find_key(x->m->cfg, x->req.key),
			    &x->req);
		sign_reply(c, x->req.reqid, status, msg,
		    with_sig ? x->job.sig : NULL, x->job.siglen);
		if (with_sig)
			x->m->signatures++;
	}
	if (x->request != 0)
		held_resolved(x->m, x->request, c);
	/* Work finished: a draining loop may be able to leave now. */
	x->m->freed = 1;
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
			  "withheld",
		    (unsigned)x->peer.uid);
		sign_finish(x, ST_UNAVAILABLE,
		    "audit log cannot be written; "
		    "signature withheld",
		    0);
		return;
	}
	sign_finish(x, ST_OK, "signed", 1);
}

/* The audit writer's callback: act on what finishing the sign marked. */
static void
sign_audited_cb(void *arg, int ok)
{
	struct monitor *m = ((struct sign_ctx *)arg)->m;

	sign_audited(arg, ok);
	monitor_act(m);
}

/*
 * In a signing thread: nothing here is the loop's.  The context's request,
 * peer, fingerprint and approvers do not change once the job is queued;
 * the child pointer does (the loop clears it), and is not read.
 */
int
monitor_sign_signed(struct signer_job *job, void *arg)
{
	struct sign_ctx *x = (struct sign_ctx *)job;
	struct audit_event ev;
	char hex[2 * DIGEST_MAX + 1];

	(void)arg;
	sign_event(x, &ev, hex);
	ev.result = "ok";
	return audit_submit_expected(x->m->audit, &ev, sign_audited_cb, x) == 0;
}

void
monitor_sign_done(struct signer_job *job, void *arg)
{
	struct sign_ctx *x = (struct sign_ctx *)job;
	struct audit_event ev;
	char hex[2 * DIGEST_MAX + 1];

	struct monitor *m = x->m;

	(void)arg;
	audit_expect(m->audit, -1);
	sign_event(x, &ev, hex);
	if (!job->ok) {
		/* The signer says which token failed and how (timeout...). */
		const char *why =
		    job->why[0] != '\0' ? job->why : "token signing failed";

		ev.event = "error";
		ev.result = "error";
		ev.reason = why;
		(void)audit_submit(m->audit, &ev, NULL, NULL);
		sign_finish(x, ST_UNAVAILABLE, why, 0);
		monitor_act(m);
		return;
	}
	ev.result = "ok";
	if (audit_submit(m->audit, &ev, sign_audited_cb, x) == -1)
		sign_audited(x, 0);
	monitor_act(m);
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
sign_deny(struct mon_session *c, const struct msg_sign *m, const char *why)
{
	mon_audit_deny(c->m, &c->peer, m->key, m->format, m->name, why);
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
sign_permitted(struct monitor *mon, const struct identity *p,
    const struct msg_sign *m, int signing, const struct cfg_key **ckp,
    char *why, size_t whylen)
{
	const struct keystate_entry *ks;
	enum policy_result pr;
	int r;

	pr = policy_check(mon->cfg, p, m->key, m->format, m->digest, ckp);
	if (pr == POLICY_OK && !format_supported(m->format))
		pr = POLICY_BAD_FORMAT;
	if (pr != POLICY_OK)
		return snprintf(why, whylen, "%s", policy_result_str(pr)), -1;
	if ((ks = keystate_disabled(mon->keystate, (*ckp)->name)) != NULL)
		return snprintf(why, whylen, "key disabled: %s", ks->reason),
		       -1;
	if (signing || !(*ckp)->has_approval)
		r = ratelimit_take(mon->rates, mon->cfg, p, *ckp, m->format,
		    monotonic_now(), why, whylen);
	else
		r = ratelimit_check(mon->rates, mon->cfg, p, *ckp, m->format,
		    monotonic_now(), why, whylen);
	return r ? 0 : -1;
}

/* Check what the child claims against the policy; reply if refused. */
static const struct token_key *
sign_authorize(struct mon_session *c, const struct msg_sign *m,
    const struct cfg_key **ckp)
{
	const struct token_key *k;
	char why[MESSAGE_MAX + 32];

	if (sign_permitted(c->m, &c->peer, m, 0, ckp, why, sizeof(why)) == -1) {
		sign_deny(c, m, why);
		return NULL;
	}
	k = tokens_find_key(c->m->tokens, (*ckp)->name);
	if (k == NULL || token_key_state(k) != TOKEN_READY) {
		sign_reply(c, m->reqid, ST_UNAVAILABLE, "token unavailable",
		    NULL, 0);
		return NULL;
	}
	return k;
}

/* Queue a checked sign job for the signer thread; the child waits. */
static void
sign_submit(struct mon_session *c, struct sign_ctx *x,
    const struct token_key *k)
{
	x->child = c;
	memcpy(x->fingerprint, k->fingerprint, sizeof(x->fingerprint));
	x->job.key = k;
	*sign_slot_free(c) = x; /* monitor_answer_sign() checked there is one */
	mon_set_state(c, CH_SIGNING);
	audit_expect(c->m->audit, 1);
	signer_submit(c->m->signer, &x->job);
}

/*
 * Whether a sign request may start now: in a session with nothing in
 * flight, or as a pipelined request beside others at the token or the
 * audit log while a slot is free.  Never beside a request held for
 * approval (signing, but nothing in flight): that one waits alone.
 */
static int
sign_may_start(struct mon_session *c, const struct msg_sign *m)
{
	if (c->state == CH_SESSION)
		return 1;
	return c->state == CH_SIGNING && (m->flags & MSG_SIGN_F_PIPELINED) &&
	    sign_busy(c) && sign_slot_free(c) != NULL;
}

/*
 * SIGN: decode exactly, refuse replays, wrong digest sizes and keys this
 * session was never described (a child always asks KEYINFO first: it
 * needs the certificate to check the signature) as protocol violations,
 * check the policy, then queue the job with the monitor's own key record
 * and mechanism.
 */
int
monitor_answer_sign(struct mon_session *c, const union chan_body *body)
{
	const struct cfg_key *ck = NULL;
	const struct token_key *k;
	struct sign_ctx *x;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		fatal("calloc");
	x->req = body->sign;
	if (x->req.reqid <= c->last_reqid || !described(c, x->req.key) ||
	    c->nsigns >= MAX_SIGNS_PER_SESSION || !sign_may_start(c, &x->req)) {
		free(x);
		return -1;
	}
	c->last_reqid = x->req.reqid;
	c->nsigns++;
	if ((k = sign_authorize(c, &x->req, &ck)) == NULL) {
		free(x);
		return 0;
	}
	x->m = c->m;
	x->peer = c->peer;
	x->job.digest = x->req.digest;
	x->job.padding = ck->padding;
	memcpy(x->job.tbs, x->req.tbs, x->req.tbslen);
	x->job.tbslen = x->req.tbslen;
	/*
	 * A pipelined request is never held: the child that sent it has
	 * another in flight, or may send one.  It knew the key without a
	 * rule; a reload has added one since.
	 */
	if (ck->has_approval && (x->req.flags & MSG_SIGN_F_PIPELINED)) {
		sign_reply(c, x->req.reqid, ST_UNAVAILABLE,
		    "the key now requires approval (the configuration was "
		    "reloaded): sign this artifact again",
		    NULL, 0);
		free(x);
		return 0;
	}
	/* Everything is checked; a key with a rule waits for approvers. */
	if (ck->has_approval) {
		/* x belongs to the held request now (held_hold frees it). */
		// NOLINTNEXTLINE(clang-analyzer-unix.Malloc)
		return held_hold(c, x, ck, &x->req);
	}
	sign_submit(c, x, k);
	return 0;
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
	if (sign_permitted(x->m, &x->peer, &x->req, 1, ckp, why, whylen) == -1)
		return -1;
	if ((*ckp)->padding != x->job.padding) {
		snprintf(why, whylen,
		    "the key's configuration changed while "
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
	char msg[MESSAGE_MAX + 96]; /* cut to MESSAGE_MAX in the reply */
	struct audit_event ev;

	sign_event(x, &ev, hex);
	snprintf(reason, sizeof(reason),
	    "approved, but refused at signing: "
	    "%s",
	    why);
	ev.event = "deny";
	ev.cert_sha256 = NULL;
	ev.result = "denied";
	ev.reason = reason;
	if (audit_submit(x->m->audit, &ev, NULL, NULL) == -1)
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
monitor_sign_approved(struct mon_session *c, struct sign_ctx *x,
    uint64_t request, const char *approvers, char *why, size_t whylen)
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
	k = tokens_find_key(x->m->tokens, ck->name);
	if (k == NULL || token_key_state(k) != TOKEN_READY) {
		snprintf(why, whylen, "the token is unavailable");
		sign_finish(x, ST_UNAVAILABLE,
		    "approved, but the token is "
		    "unavailable",
		    0);
		return -1;
	}
	sign_submit(c, x, k);
	return 0;
}

void
monitor_sign_orphan(struct mon_session *c)
{
	for (unsigned i = 0; i < MON_SIGN_DEPTH; i++)
		if (c->inflight[i] != NULL) {
			c->inflight[i]->child = NULL;
			c->inflight[i] = NULL;
		}
}

void
monitor_sign_refused(struct mon_session *c, struct sign_ctx *x,
    uint64_t request, int status, const char *msg)
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
monitor_held_notice(struct mon_session *c, const struct msg_sign_held *m)
{
	struct buf out;

	buf_init(&out, MSG_MAX);
	if (msg_enc_sign_held(&out, m) == 0)
		(void)mon_send(c, &out, -1);
	buf_free(&out);
}
