/*
 * pesign.c: MSG_PESIGN, what a pesign client asks that needs the monitor
 * (the session child answers GET_CMD_VERSION itself, and signs through
 * KEYINFO and SIGN as for csign-client, with the key named here).
 *
 * Only a session the loop accepted on PesignListen may ask: the listener
 * is recorded with the kernel's identity of the peer, never taken from
 * the child.  Nothing a pesign client says changes the daemon: an unlock
 * takes no PIN (csignd logs in with its own, from TokenPin), a kill is
 * refused; both are audited, as is a token and certificate no PesignMap
 * line names.
 */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "monitor/dispatch.h"
#include "monitor/monitor.h"
#include "proto/msg.h"
#include "records/audit.h"
#include "records/auditev.h"
#include "token/token.h"

/* Audit a pesign event of c's peer (key NULL: none) and log it. */
static void
pesign_audit(struct mon_session *c, const char *event, const char *key,
    int format, const char *result, const char *reason)
{
	struct audit_event ev;

	auditev_init(&ev, event, &c->peer);
	auditev_subject(&ev, key, format, NULL);
	auditev_result(&ev, result, reason);
	if (audit_submit(c->m->audit, &ev, NULL, NULL) == -1)
		log_warnx("audit: cannot queue a %s record", event);
	log_info("%s: uid %u (%s) key %s: %s: %s", event, (unsigned)c->peer.uid,
	    c->peer.user, key != NULL ? key : "-", result,
	    reason != NULL ? reason : "");
}

/* Send the reply: rc, message, key ("" unless a MAP found one). */
static int
pesign_reply(struct mon_session *c, int32_t rc, const char *msg,
    const char *key)
{
	struct msg_pesign_reply r = { .rc = rc };
	struct buf out;
	int ret;

	snprintf(r.message, sizeof(r.message), "%s", msg != NULL ? msg : "");
	snprintf(r.key, sizeof(r.key), "%s", key != NULL ? key : "");
	buf_init(&out, MSG_MAX);
	ret = msg_enc_pesign_reply(&out, &r) == 0 ? mon_send(c, &out, -1) : -1;
	buf_free(&out);
	return ret;
}

/* 1 if the token of key ck is logged in and its key ready. */
static int
pesign_key_ready(struct monitor *m, const struct cfg_key *ck)
{
	const struct token_key *k = tokens_find_key(m->tokens, ck->name);

	return k != NULL && token_key_state(k) == TOKEN_READY;
}

/* IS_TOKEN_UNLOCKED: 0 unlocked, 1 locked, as pesignd answers. */
static int
pesign_unlocked(struct mon_session *c, const struct msg_pesign *m)
{
	const struct cfg_key *ck = config_pesign_key(c->m->cfg, m->token, NULL);
	char msg[MESSAGE_MAX + 1];

	if (ck == NULL) {
		snprintf(msg, sizeof(msg), "no PesignMap for token \"%.100s\"",
		    m->token);
		return pesign_reply(c, -1, msg, NULL);
	}
	return pesign_reply(c, pesign_key_ready(c->m, ck) ? 0 : 1, NULL, NULL);
}

/*
 * UNLOCK_TOKEN: the PIN never left the child.  A token csignd has
 * logged in is unlocked, and pesignd answers 0 for that; any other is
 * refused: the client's PIN is never tried.
 */
static int
pesign_unlock(struct mon_session *c, const struct msg_pesign *m)
{
	const struct cfg_key *ck = config_pesign_key(c->m->cfg, m->token, NULL);
	char msg[MESSAGE_MAX + 1];

	if (ck == NULL) {
		snprintf(msg, sizeof(msg), "no PesignMap for token \"%.100s\"",
		    m->token);
		pesign_audit(c, "pesign-unlock", NULL, -1, "denied", msg);
		return pesign_reply(c, -1, msg, NULL);
	}
	if (pesign_key_ready(c->m, ck)) {
		pesign_audit(c, "pesign-unlock", ck->name, -1, "ok",
		    "the "
		    "token is logged in by csignd; the client's PIN was not "
		    "used");
		return pesign_reply(c, 0, NULL, NULL);
	}
	snprintf(msg, sizeof(msg),
	    "csignd does not take PINs from clients "
	    "(the token of key %s is not logged in)",
	    ck->name);
	pesign_audit(c, "pesign-unlock", ck->name, -1, "denied", msg);
	return pesign_reply(c, -1, msg, NULL);
}

/* KILL_DAEMON: refused; the daemon serves on. */
static int
pesign_kill(struct mon_session *c)
{
	const char *why = "csignd does not stop at a client's request";

	pesign_audit(c, "pesign-kill", NULL, -1, "denied", why);
	return pesign_reply(c, -1, why, NULL);
}

/* MAP: the key PesignMap names for token and certificate, or a deny. */
static int
pesign_map(struct mon_session *c, const struct msg_pesign *m)
{
	const struct cfg_key *ck =
	    config_pesign_key(c->m->cfg, m->token, m->cert);
	char msg[MESSAGE_MAX + 1];

	if (ck != NULL)
		return pesign_reply(c, 0, NULL, ck->name);
	snprintf(msg, sizeof(msg),
	    "no PesignMap for token \"%.100s\" "
	    "certificate \"%.100s\"",
	    m->token, m->cert);
	pesign_audit(c, "deny", NULL, m->format, "denied", msg);
	return pesign_reply(c, -1, msg, NULL);
}

int
monitor_answer_pesign(struct mon_session *c, const union chan_body *body)
{
	const struct msg_pesign *m = &body->pesign;

	/* A child of a csign-client session claiming to speak pesign. */
	if (c->peer.via != VIA_PESIGN)
		return -1;
	switch (m->op) {
	case PESIGN_OP_UNLOCKED:
		return pesign_unlocked(c, m);
	case PESIGN_OP_UNLOCK:
		return pesign_unlock(c, m);
	case PESIGN_OP_KILL:
		return pesign_kill(c);
	case PESIGN_OP_MAP:
		return pesign_map(c, m);
	default:
		return -1; /* the decoder refuses it already */
	}
}
