/*
 * query.c: the monitor's answers to keys, whoami and status, built as
 * complete client reply frames that the child forwards unchanged.
 */
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "records/keystate.h"
#include "token/token.h"
#include "monitor/monitor.h"
#include "proto/frame.h"
#include "proto/msg.h"

/*
 * Append the description of one key granted to the peer, with the formats
 * its grants allow it (formats, a subset of the key's Formats).
 */
static int
query_key(struct buf *f, const struct cfg_key *ck, const struct token_key *k,
    unsigned formats, int disabled)
{
	char fmts[128], digs[64], notafter[21], appr[KEY_NAME_MAX + 24];

	formats_to_str(formats, fmts, sizeof(fmts));
	digests_to_str(ck->digests, digs, sizeof(digs));
	token_time_str(k->notafter, notafter);
	if (frame_add_str(f, T_KEY, ck->name) == -1 ||
	    frame_add_str(f, T_ALG, k->alg) == -1 ||
	    frame_add_str(f, T_FORMATS, fmts) == -1 ||
	    frame_add_str(f, T_DIGESTS, digs) == -1 ||
	    frame_add_str(f, T_FINGERPRINT, k->fingerprint) == -1 ||
	    (disabled && frame_add_str(f, T_STATE, "disabled") == -1) ||
	    (ck->ts_mode != TS_NONE &&
		frame_add_str(f, T_TIMESTAMP, ts_mode_name(ck->ts_mode)) == -1))
		return -1;
	/* A key on replicas: the token that signs now, or "none". */
	if (k->nrep > 1 &&
	    frame_add_str(f, T_TOKEN,
		token_key_serving(k) != NULL ? token_key_serving(k) : "none") ==
		-1)
		return -1;
	if (ck->has_approval) {
		snprintf(appr, sizeof(appr), "%u %s %u", ck->approval_count,
		    ck->approval_group, ck->approval_expires);
		if (frame_add_str(f, T_APPROVAL, appr) == -1)
			return -1;
	}
	return frame_add_str(f, T_NOTAFTER, notafter);
}

/*
 * keys: the expiry warning window, then every key granted to the peer,
 * with algorithm, formats and certificate expiry.
 */
static int
query_keys(struct monitor *m, const struct identity *peer, struct buf *f)
{
	if (frame_add_u32(f, T_WARN_DAYS, m->cfg->cert_warn_days) == -1)
		return -1;
	for (size_t i = 0; i < m->cfg->nkeys; i++) {
		const struct cfg_key *ck = &m->cfg->keys[i];
		const struct token_key *k =
		    tokens_find_key(m->tokens, ck->name);
		unsigned formats = policy_formats(m->cfg, peer, ck);

		if (k != NULL && formats != 0 &&
		    query_key(f, ck, k, formats,
			keystate_disabled(m->keystate, ck->name) != NULL) == -1)
			return -1;
	}
	return 0;
}

/* Append "name:gid" for one group. */
static int
query_group(struct buf *f, gid_t gid)
{
	struct group gr, *res = NULL;
	char sbuf[4096], text[96];

	if (getgrgid_r(gid, &gr, sbuf, sizeof(sbuf), &res) == 0 && res != NULL)
		snprintf(text, sizeof(text), "%s:%u", gr.gr_name,
		    (unsigned)gid);
	else
		snprintf(text, sizeof(text), "%u:%u", (unsigned)gid,
		    (unsigned)gid);
	return frame_add_str(f, T_GROUP, text);
}

/* whoami: the identity the kernel reported and the keys it is granted. */
static int
query_whoami(struct monitor *m, const struct identity *peer, struct buf *f)
{
	if (frame_add_u32(f, T_UID, peer->uid) == -1 ||
	    frame_add_str(f, T_USER, peer->user) == -1 ||
	    frame_add_u32(f, T_GID, peer->gid) == -1 ||
	    query_group(f, peer->gid) == -1)
		return -1;
	for (size_t i = 0; i < peer->ngroups; i++)
		if (peer->groups[i] != peer->gid &&
		    query_group(f, peer->groups[i]) == -1)
			return -1;
	for (size_t i = 0; i < m->cfg->nkeys; i++)
		if (policy_granted(m->cfg, peer, &m->cfg->keys[i]) &&
		    frame_add_str(f, T_KEY, m->cfg->keys[i].name) == -1)
			return -1;
	return 0;
}

/*
 * status: every token's health ("ready", "unavailable: timeout", ...)
 * and the signatures it made, and how the last reload went.
 */
static int
query_status(struct monitor *m, struct buf *f)
{
	char reload[1024], health[32];

	for (size_t i = 0; i < tokens_count(m->tokens); i++) {
		unsigned long n = tokens_signatures(m->tokens, i);

		tokens_health_text(m->tokens, i, health, sizeof(health));
		if (frame_add_str(f, T_TOKEN, tokens_name(m->tokens, i)) ==
			-1 ||
		    frame_add_str(f, T_STATE, health) == -1 ||
		    frame_add_u32(f, T_COUNT,
			n > UINT32_MAX ? UINT32_MAX : (uint32_t)n) == -1)
			return -1;
	}
	monitor_reload_text(m, reload, sizeof(reload));
	return frame_add_str(f, T_RELOAD, reload);
}

int
monitor_query_frame(struct monitor *m, const struct identity *peer, int what,
    struct buf *f)
{
	char msg[160];
	int r = -1;

	snprintf(msg, sizeof(msg),
	    "csignd %s, up %lds, %zu sessions, %lu "
	    "signatures",
	    CSIGN_VERSION, (long)(time(NULL) - m->started),
	    m->ops->sessions(m->loop), m->signatures);
	if (frame_begin(f, F_REPLY) == -1 ||
	    frame_add_u32(f, T_STATUS, ST_OK) == -1 ||
	    frame_add_str(f, T_MESSAGE, what == Q_STATUS ? msg : "ok") == -1)
		return -1;
	switch (what) {
	case Q_KEYS:
		r = query_keys(m, peer, f);
		break;
	case Q_WHOAMI:
		r = query_whoami(m, peer, f);
		break;
	case Q_STATUS:
		r = query_status(m, f);
		break;
	}
	return r == -1 ? -1 : frame_finish(f);
}
