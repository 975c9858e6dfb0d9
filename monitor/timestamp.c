/* timestamp.c: the monitor's part of RFC 3161 timestamps (timestamp.h). */
#include "monitor/timestamp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/certfile.h"
#include "common/log.h"
#include "proto/sigcheck.h"
#include "common/util.h"
#include "monitor/monitor.h"
#include "monitor/tsaconn.h"
#include "records/audit.h"
#include "records/auditev.h"
#include "proto/io.h"
#include "proto/msg.h"

/* Append the DER of x to the n bytes at *der (grown, at most max). */
static int
der_append(X509 *x, uint8_t **der, size_t *n, size_t max)
{
	unsigned char *one = NULL;
	uint8_t *grown;
	int len;

	if ((len = i2d_X509(x, &one)) <= 0)
		return -1;
	if ((size_t)len > max - *n ||
	    (grown = realloc(*der, *n + (size_t)len)) == NULL) {
		OPENSSL_free(one);
		return -1;
	}
	memcpy(grown + *n, one, (size_t)len);
	*der = grown;
	*n += (size_t)len;
	OPENSSL_free(one);
	return 0;
}

int
ts_anchors_load(const char *path, uint8_t **der, size_t *len, char *err,
    size_t errlen)
{
	STACK_OF(X509) *certs;
	char why[512];

	*der = NULL;
	*len = 0;
	if ((certs = certfile_load_chain(path, why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "TimestampCA %s", why);
		return -1;
	}
	for (int i = 0; i < sk_X509_num(certs); i++)
		if (der_append(sk_X509_value(certs, i), der, len,
			TSA_ANCHORS_MAX) == -1) {
			snprintf(err, errlen,
			    "TimestampCA %s: more than %d "
			    "bytes of certificates",
			    path, TSA_ANCHORS_MAX);
			free(*der);
			*der = NULL;
			*len = 0;
			break;
		}
	sk_X509_pop_free(certs, X509_free);
	return *der != NULL ? 0 : -1;
}

int
ts_anchors_check(const struct config *cfg, char *err, size_t errlen)
{
	char why[CONFIG_ERR_MAX];
	uint8_t *der;
	size_t len;

	for (size_t i = 0; i < cfg->nkeys; i++) {
		const struct cfg_key *k = &cfg->keys[i];

		if (k->ts_mode == TS_NONE || k->tsa_ca == NULL)
			continue;
		if (ts_anchors_load(k->tsa_ca, &der, &len, why, sizeof(why)) ==
		    -1) {
			snprintf(err, errlen, "key %s: %s", k->name, why);
			return -1;
		}
		free(der);
	}
	return 0;
}

/* Audit how the timestamp of c's last signature went. */
static void
ts_audit(struct mon_session *c, int ok, const char *gentime, const char *why)
{
	struct child_ts *t = &c->ts;
	struct audit_event ev;

	auditev_init(&ev, "timestamp", &c->peer);
	auditev_subject(&ev, t->key, t->format, t->artifact);
	ev.has_size = 1;
	ev.size = t->size;
	ev.digest_alg = digest_name(t->digest);
	ev.digest_hex = t->digest_hex;
	auditev_result(&ev, ok ? "ok" : "error", why);
	ev.tsa = t->url[0] ? t->url : NULL;
	ev.timestamp = ok ? gentime : NULL;
	if (audit_submit(c->m->audit, &ev, NULL, NULL) == -1)
		log_warnx("audit: cannot queue a timestamp record");
	if (ok)
		log_info("timestamp for uid %u key %s from %s: %s",
		    (unsigned)c->peer.uid, t->key, t->url, gentime);
	else
		log_warnx("timestamp for uid %u key %s failed: %s",
		    (unsigned)c->peer.uid, t->key, why);
}

/* Close the account of c's timestamp; audit it if it was owed. */
static void
ts_forget(struct mon_session *c, const char *why)
{
	if (c->ts.open && c->ts.required)
		ts_audit(c, 0, NULL, why);
	tsa_conn_cancel(c->ts.conn);
	c->ts.conn = NULL;
	free(c->ts.anchors);
	c->ts.anchors = NULL;
	c->ts.anchorslen = 0;
	c->ts.open = 0;
	chan_forbid(&c->chan, CHAN_BIT(MSG_TSA_OPEN) | CHAN_BIT(MSG_TSA_DONE));
}

void
ts_released(struct mon_session *c, const struct cfg_key *ck,
    const struct msg_sign *m)
{
	struct child_ts *t = &c->ts;

	ts_forget(c,
	    "the session child signed again without the required "
	    "timestamp");
	if (ck == NULL || ck->ts_mode == TS_NONE ||
	    !(TS_FORMATS & FMT_BIT(m->format)))
		return;
	memset(t, 0, sizeof(*t));
	t->open = 1;
	chan_allow(&c->chan, CHAN_BIT(MSG_TSA_OPEN));
	t->required = ck->ts_mode == TS_REQUIRED;
	snprintf(t->key, sizeof(t->key), "%s", ck->name);
	t->format = m->format;
	t->digest = m->digest;
	snprintf(t->artifact, sizeof(t->artifact), "%s", m->name);
	util_hex(m->adigest, m->adigestlen, t->digest_hex,
	    sizeof(t->digest_hex));
	t->size = m->size;
}

/*
 * Send the child the outcome of its TSA_OPEN: the socket if any, with
 * the anchors and the clock to check the TSA's answer against.
 */
static void
ts_reply(struct mon_session *c, int fd, const char *err)
{
	const struct cfg_key *ck = config_find_key(c->m->cfg, c->ts.key);
	struct msg_tsa_reply r = { .status = fd != -1 ? ST_OK : ST_UNAVAILABLE,
		.now = (uint64_t)time(NULL),
		.max_skew = TS_MAX_SKEW };
	struct buf out;
	unsigned i = c->ts.next - 1;

	if (fd != -1) {
		r.anchors = c->ts.anchors;
		r.anchorslen = c->ts.anchorslen;
	}

	snprintf(r.message, sizeof(r.message), "%s", err != NULL ? err : "");
	snprintf(r.url, sizeof(r.url), "%s", c->ts.url);
	if (ck != NULL && i < ck->ntsa) {
		snprintf(r.hostport, sizeof(r.hostport), "%s",
		    ck->tsa[i].hostport);
		snprintf(r.path, sizeof(r.path), "%s", ck->tsa[i].path);
	}
	r.timeout_ms = c->m->cfg->ts_timeout * 1000u;
	buf_init(&out, MSG_MAX);
	if (msg_enc_tsa_reply(&out, &r) == -1)
		mon_session_fail(c, "cannot write to the child");
	else
		(void)mon_send(c, &out, fd);
	buf_free(&out);
	if (fd != -1)
		close(fd);
	free(c->ts.anchors);
	c->ts.anchors = NULL;
	c->ts.anchorslen = 0;
	/* Answered: the next TSA, or the outcome. */
	chan_allow(&c->chan, CHAN_BIT(MSG_TSA_OPEN) | CHAN_BIT(MSG_TSA_DONE));
}

/* tsaconn's callback: the connection is made (fd) or not (err). */
static void
ts_connected(int fd, const char *err, void *arg)
{
	struct mon_session *c = arg;

	c->ts.conn = NULL;
	if (fd == -1)
		log_info("child %d: TSA %s: %s", (int)c->pid, c->ts.url, err);
	ts_reply(c, fd, err);
	monitor_act(c->m);
}

/*
 * TSA_OPEN: only after a signature on a key with Timestamp, only that
 * key's TSAs, each once and in order, one connection at a time; and only
 * with the key's TimestampCA anchors in hand.  Names are resolved by the
 * lookup process (tsaconn.h), run as the SandboxUser.
 */
int
monitor_answer_tsa_open(struct mon_session *c, const union chan_body *body)
{
	struct child_ts *t = &c->ts;
	const struct cfg_key *ck;
	struct msg_tsa_open m = body->tsa_open;
	const struct config *cfg = c->m->cfg;
	char why[MESSAGE_MAX + 1];

	/* Open (permit mask): nothing more until this one is answered. */
	if (m.index != t->next)
		return -1;
	chan_forbid(&c->chan, CHAN_BIT(MSG_TSA_OPEN) | CHAN_BIT(MSG_TSA_DONE));
	t->next++;
	ck = config_find_key(cfg, t->key);
	if (ck == NULL || m.index >= ck->ntsa) {
		/* Past the last TSA, which a reload may have moved. */
		t->url[0] = '\0';
		ts_reply(c, -1, "no further TSA is configured for the key");
		return 0;
	}
	snprintf(t->url, sizeof(t->url), "%s", ck->tsa[m.index].url);
	if (ck->tsa_ca == NULL) {
		ts_reply(c, -1, "the key has no TimestampCA");
		return 0;
	}
	if (ts_anchors_load(ck->tsa_ca, &t->anchors, &t->anchorslen, why,
		sizeof(why)) == -1) {
		log_warnx("key %s: %s", ck->name, why);
		ts_reply(c, -1, why);
		return 0;
	}
	mon_deadline(c, cfg->session_timeout + 2 * cfg->ts_timeout + 5);
	if ((t->conn = tsa_connect(c->m->base, &c->m->lookup, &ck->tsa[m.index],
		 cfg->ts_timeout * 1000u, ts_connected, c)) == NULL)
		ts_reply(c, -1, "cannot start a connection");
	return 0;
}

/* TSA_DONE: the child reports the outcome; audit it. */
int
monitor_answer_tsa_done(struct mon_session *c, const union chan_body *body)
{
	struct msg_tsa_done m = body->tsa_done;

	log_text_safe(m.message);
	log_text_safe(m.gentime);
	ts_audit(c, m.status == ST_OK, m.gentime,
	    m.status == ST_OK ? NULL : m.message);
	c->ts.open = 0;
	chan_forbid(&c->chan, CHAN_BIT(MSG_TSA_OPEN) | CHAN_BIT(MSG_TSA_DONE));
	return 0;
}

void
ts_child_gone(struct mon_session *c)
{
	ts_forget(c, "the session ended without the required timestamp");
}
