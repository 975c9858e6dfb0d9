/* auditev.c: the one builder of audit events (auditev.h). */
#include "records/auditev.h"

#include <string.h>

#include "common/util.h"
#include "records/policy.h"

void
auditev_init(struct audit_event *ev, const char *event,
    const struct identity *p)
{
	memset(ev, 0, sizeof(*ev));
	ev->event = event;
	if (p == NULL)
		return;
	ev->has_peer = 1;
	ev->uid = p->uid;
	ev->user = p->user;
	ev->pid = p->pid;
	/* Records of csign-client sessions stay as they were. */
	ev->via = p->via == VIA_PESIGN ? via_name(p->via) : NULL;
	/* The primary group first, then the others once each. */
	ev->groups[0] = p->gid;
	ev->ngroups = 1;
	for (size_t i = 0; i < p->ngroups && ev->ngroups < AUDIT_MAX_GROUPS;
	     i++)
		if (p->groups[i] != p->gid)
			ev->groups[ev->ngroups++] = p->groups[i];
}

void
auditev_result(struct audit_event *ev, const char *result, const char *reason)
{
	ev->result = result;
	ev->reason = reason;
}

void
auditev_subject(struct audit_event *ev, const char *key, int format,
    const char *artifact)
{
	ev->key = key;
	ev->format = format >= 0 ? format_name(format) : NULL;
	ev->artifact = artifact;
}

void
auditev_digest(struct audit_event *ev, uint64_t size, int digest,
    const uint8_t *adigest, size_t adigestlen, char hex[AUDITEV_HEX_MAX])
{
	util_hex(adigest, adigestlen, hex, AUDITEV_HEX_MAX);
	ev->has_size = 1;
	ev->size = size;
	ev->digest_alg = digest_name(digest);
	ev->digest_hex = hex;
}

void
auditev_request(struct audit_event *ev, uint64_t id, const char *approvers)
{
	ev->has_request = 1;
	ev->request = id;
	ev->approvers =
	    approvers != NULL && approvers[0] != '\0' ? approvers : NULL;
}
