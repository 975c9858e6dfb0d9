/*
 * tsaconn: a TCP connection to a time-stamp authority, made by the monitor
 * for a session child (which has no network of its own) without blocking
 * the event loop, the whole bounded by a timer.
 *
 * The monitor parses no bytes from the network, so it resolves no names:
 * an address in the URL is used as it is, and a name is resolved by a
 * lookup process of its own (the sandbox program run with -R, as the
 * SandboxUser with no capabilities: sandbox/resolve.h), whose one
 * fixed-size answer is checked field by field (proto/resolve.h).  The
 * addresses are tried in the order given until one accepts.
 */
#ifndef CSIGN_TSACONN_H
#define CSIGN_TSACONN_H

#include <sys/types.h>

#include <event2/event.h>

#include "records/tsaurl.h"

struct tsa_conn;

/* How to start a lookup process. */
struct tsa_lookup {
	const char *program; /* the sandbox program */
	int separate;	     /* 1: run it as uid/gid (-u, -g), else -U */
	uid_t uid;
	gid_t gid;
};

/*
 * The outcome: fd >= 0 is the connected socket (the callee owns it), or
 * fd == -1 and err says why not.  Called once, from the event loop.
 */
typedef void (*tsa_conn_cb)(int fd, const char *err, void *arg);

/*
 * Start connecting to u (resolving its name with lk); cb runs when
 * connected, refused or after timeout_ms.  NULL if nothing could be
 * started (cb is then not called).
 */
struct tsa_conn *tsa_connect(struct event_base *base,
    const struct tsa_lookup *lk, const struct tsa_url *u, unsigned timeout_ms,
    tsa_conn_cb cb, void *arg);

/*
 * Abandon a connection being made (cb is not called), killing its lookup
 * process if one runs; NULL is fine.
 */
void tsa_conn_cancel(struct tsa_conn *t);

#endif
