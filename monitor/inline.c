/*
 * inline.c: UPLOAD and UPLOAD_DONE, the monitor's side of artifacts sent
 * inline: each is granted as a signature would be, and reserved against
 * its uid's MaxUploadPerUser (upload.h) before the child reads a byte.
 */
#include <stdio.h>

#include "common/log.h"
#include "monitor/dispatch.h"
#include "monitor/monitor.h"
#include "monitor/upload.h"
#include "proto/msg.h"
#include "records/keystate.h"

/* Answer an UPLOAD: go ahead (ST_OK) or why not. */
static int
upload_reply(struct mon_session *c, int status, const char *msg)
{
	struct msg_upload_reply r = { .status = (uint8_t)status };
	struct buf out;
	int ret;

	snprintf(r.message, sizeof(r.message), "%s", msg);
	buf_init(&out, MSG_MAX);
	ret = msg_enc_upload_reply(&out, &r) == 0 ? mon_send(c, &out, -1) : -1;
	buf_free(&out);
	return ret;
}

/*
 * The grant behind an inline upload, as a signature would be checked
 * (the key's default digest; the digest itself is checked at SIGN): NULL
 * if allowed, else why not, audited as a deny.
 */
static const char *
upload_refusal(struct mon_session *c, const struct msg_upload *m, char *why,
    size_t whylen)
{
	const struct cfg_key *ck = config_find_key(c->m->cfg, m->key);
	const struct keystate_entry *ks;
	enum policy_result pr;

	pr = policy_check(c->m->cfg, &c->peer, m->key, m->format,
	    ck != NULL ? ck->default_digest : 0, &ck);
	if (pr != POLICY_OK)
		snprintf(why, whylen, "%s", policy_result_str(pr));
	else if ((ks = keystate_disabled(c->m->keystate, ck->name)) != NULL)
		snprintf(why, whylen, "key disabled: %s", ks->reason);
	else
		return NULL;
	mon_audit_deny(c->m, &c->peer, m->key, m->format, m->name, why);
	return why;
}

/* Reserve the upload against the uid's MaxUploadPerUser; reply. */
static int
upload_reserve(struct mon_session *c, const struct msg_upload *m)
{
	uint64_t limit = c->m->cfg->max_upload_user, used;
	char msg[MESSAGE_MAX + 1];

	switch (uploads_reserve(c->m->uploads, c, c->peer.uid, m->size, limit,
	    &used)) {
	case UPLOAD_OK:
		chan_allow(&c->chan, CHAN_BIT(MSG_UPLOAD_DONE));
		return upload_reply(c, ST_OK, "go ahead");
	case UPLOAD_TWICE:
		return -1;
	case UPLOAD_TOO_LARGE:
		snprintf(msg, sizeof(msg),
		    "an inline artifact of %llu bytes "
		    "is over MaxUploadPerUser (%llu); pass a descriptor "
		    "instead (sign on the signing host)",
		    (unsigned long long)m->size, (unsigned long long)limit);
		return upload_reply(c, ST_BAD_ARTIFACT, msg);
	default:
		break;
	}
	snprintf(msg, sizeof(msg),
	    "uid %u has %llu bytes of inline uploads in "
	    "flight; %llu more would exceed MaxUploadPerUser (%llu): try "
	    "again when they are done",
	    (unsigned)c->peer.uid, (unsigned long long)used,
	    (unsigned long long)m->size, (unsigned long long)limit);
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
monitor_answer_upload(struct mon_session *c, const union chan_body *body)
{
	char why[MESSAGE_MAX + 32];
	const char *no;
	struct msg_upload m = body->upload;

	if ((no = upload_refusal(c, &m, why, sizeof(why))) != NULL)
		return upload_reply(c, ST_DENIED, no);
	if (m.size > c->m->cfg->max_artifact_size)
		return upload_reply(c, ST_BAD_ARTIFACT,
		    "artifact is over "
		    "MaxArtifactSize");
	return upload_reserve(c, &m);
}

/* UPLOAD_DONE: the child has emptied its scratch space. */
int
monitor_answer_upload_done(struct mon_session *c, const union chan_body *body)
{
	(void)body;
	chan_forbid(&c->chan, CHAN_BIT(MSG_UPLOAD_DONE));
	if (!uploads_release(c->m->uploads, c))
		return -1;
	return 0;
}
