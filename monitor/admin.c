/*
 * admin.c: ADMIN, a key disabled or enabled again by a member of
 * AdminGroup for incident response; the change is made only once its
 * audit record is durable.
 */
#include <stdio.h>
#include <time.h>

#include "common/log.h"
#include "monitor/dispatch.h"
#include "monitor/monitor.h"
#include "proto/frame.h"
#include "proto/msg.h"
#include "records/audit.h"
#include "records/auditev.h"
#include "records/keystate.h"

/* 1 if the session's identity is in the config's AdminGroup. */
static int
peer_is_admin(const struct monitor *m, const struct identity *p)
{
	return m->cfg->has_admin_group &&
	    identity_in_group(p, m->cfg->admin_gid);
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
admin_apply(struct mon_session *c, const struct msg_admin *m, int disable,
    char *msg, size_t msglen)
{
	struct audit_event ev;
	struct keystate_change ch;
	char err[CONFIG_ERR_MAX];

	if (keystate_prepare(c->m->keystate, &ch, m->key, disable, c->peer.uid,
		time(NULL), m->reason, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		snprintf(msg, msglen,
		    "cannot write the key state; nothing "
		    "changed");
		return ST_INTERNAL;
	}
	auditev_init(&ev, disable ? "key-disable" : "key-enable", &c->peer);
	auditev_subject(&ev, m->key, -1, NULL);
	auditev_result(&ev, "ok", m->reason[0] ? m->reason : NULL);
	if (audit_write_sync(c->m->audit, &ev) == -1) {
		keystate_abort(&ch);
		log_warnx("audit: cannot write the %s record for key %s; "
			  "nothing changed",
		    ev.event, m->key);
		snprintf(msg, msglen,
		    "the audit log cannot be written; the key "
		    "was not %s (nothing changed)",
		    disable ? "disabled" : "enabled");
		return ST_UNAVAILABLE;
	}
	if (keystate_commit(c->m->keystate, &ch, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		ev.event = "error";
		auditev_result(&ev, "error",
		    "the key state could not be "
		    "replaced after its record: nothing changed");
		(void)audit_write_sync(c->m->audit, &ev);
		snprintf(msg, msglen,
		    "cannot write the key state; nothing "
		    "changed");
		return ST_INTERNAL;
	}
	log_warnx("key %s %s by uid %u (%s): %s", m->key,
	    disable ? "disabled" : "enabled", (unsigned)c->peer.uid,
	    c->peer.user, m->reason);
	snprintf(msg, msglen, disable ? "key disabled" : "key enabled");
	return ST_OK;
}

/*
 * ADMIN: disable or enable a key, for incident response.  Only members of
 * AdminGroup; the change takes effect only once its audit record, with
 * who and why, is durable (admin_apply).
 */
int
monitor_answer_admin(struct mon_session *c, const union chan_body *body)
{
	char msg[MESSAGE_MAX + 1];
	struct msg_admin m = body->admin;
	int disable, st;

	disable = m.op == ADMIN_DISABLE_KEY;
	if (!peer_is_admin(c->m, &c->peer)) {
		mon_audit_deny(c->m, &c->peer, m.key, -1, NULL,
		    "not a member of AdminGroup");
		return monitor_reply_status(c, ST_DENIED,
		    "not a member of AdminGroup");
	}
	if (config_find_key(c->m->cfg, m.key) == NULL)
		return monitor_reply_status(c, ST_BAD_REQUEST, "no such key");
	if (disable && m.reason[0] == '\0')
		return monitor_reply_status(c, ST_BAD_REQUEST, "give a reason");
	st = admin_apply(c, &m, disable, msg, sizeof(msg));
	return monitor_reply_status(c, st, msg);
}
