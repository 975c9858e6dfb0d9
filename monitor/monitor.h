/*
 * monitor: privileged handling of session children's requests.
 *
 * The channel's table (proto/chan.h) says what a child may send and
 * when; the dispatcher (monitor/dispatch.h) checks type, state, ONCE and
 * the permit mask and decodes exactly before any handler runs; handlers
 * (monitor_answer_*) re-derive everything they act on from the monitor's
 * own records: the identity from the kernel, the key from the policy,
 * the mechanism from the key's config.  A child that breaks the protocol
 * is killed; the monitor carries on.
 */
#ifndef CSIGN_MONITOR_H
#define CSIGN_MONITOR_H

#include <event2/event.h>

#include "proto/names.h"

struct child;
struct csignd;

/*
 * The keys the monitor has described (KEYINFO) to one session child, the
 * most recent first: a SIGN may name only one of them.  It holds more
 * keys than the child's own cache, so a child that asks again after
 * forgetting a key is never refused for it.
 */
#define MON_KEYS_MAX 16
struct mon_keys {
	char name[MON_KEYS_MAX][KEY_NAME_MAX + 1];
	unsigned n;
};

/* libevent callback: the child's channel is readable. */
void monitor_child_readable(evutil_socket_t fd, short what, void *arg);

/*
 * The child has exited: handle what it sent before (its last report may
 * still be queued on the channel when SIGCHLD is handled).
 */
void monitor_child_drain(struct child *c);

/* The child is gone: orphan its in-flight signature, if any. */
void monitor_child_gone(struct child *c);

/* Called by the signer when a signature job finishes. */
struct signer_job;
void monitor_sign_done(struct signer_job *job, void *arg);

/* Fill the peer part of an audit event from a session's identity. */
struct audit_event;
struct identity;
void monitor_audit_peer(struct audit_event *ev, const struct identity *p);

/* Build the reply frame for a query (monitor/query.c); 0 or -1. */
struct buf;
int monitor_query_frame(struct csignd *d, const struct identity *peer,
    int what, struct buf *frame);

#endif
