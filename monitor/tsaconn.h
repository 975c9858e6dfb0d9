/*
 * tsaconn: a TCP connection to a time-stamp authority, made by the monitor
 * for a session child (which has no network of its own) without blocking
 * the event loop: the name is resolved with evdns, the connection made by
 * a bufferevent, the whole bounded by a timer.
 */
#ifndef CSIGN_TSACONN_H
#define CSIGN_TSACONN_H

#include <event2/event.h>

#include "broker/tsaurl.h"

struct tsa_conn;

/*
 * The outcome: fd >= 0 is the connected socket (the callee owns it), or
 * fd == -1 and err says why not.  Called once, from the event loop.
 */
typedef void (*tsa_conn_cb)(int fd, const char *err, void *arg);

/*
 * Start connecting to u; cb runs when connected, refused or after
 * timeout_ms.  NULL if nothing could be started (cb is then not called).
 */
struct tsa_conn *tsa_connect(struct event_base *base, const struct tsa_url *u,
    unsigned timeout_ms, tsa_conn_cb cb, void *arg);

/* Abandon a connection being made (cb is not called); NULL is fine. */
void tsa_conn_cancel(struct tsa_conn *t);

/* Free the resolver (at exit, before the event base). */
void tsa_conn_shutdown(void);

#endif
