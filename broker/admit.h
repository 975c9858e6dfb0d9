/*
 * admit: who holds how many connections, and whose waiting client is
 * served next.
 *
 * Every accepted connection, waiting or in a session, holds one
 * reference on the record of its uid; MaxSessionsPerUser bounds the
 * references of one uid, so that no local user can fill the queue or
 * every session.  Clients whose hello is complete wait in their uid's
 * queue, and the uids with waiters take turns: each free session goes
 * to the uid after the one served last (round robin), never simply to
 * the oldest connection.  A user with 500 queued connections thus delays
 * another user's first connection by one session, not by 500.
 *
 * Only counters and lists live here; the loop (server.c) owns the
 * sockets and their events.
 */
#ifndef CSIGN_ADMIT_H
#define CSIGN_ADMIT_H

#include <stddef.h>
#include <sys/queue.h>
#include <sys/types.h>
#include <time.h>

#include "records/policy.h"

struct admit_user;
struct csignd;
struct event;

/* An accepted client waiting for a session child. */
struct waiting {
	TAILQ_ENTRY(waiting) entry;  /* in csignd.waiting: all of them */
	TAILQ_ENTRY(waiting) qentry; /* in its user's queue, once ready */
	struct csignd *d;
	int fd;
	int ready; /* its first frame is complete */
	struct identity peer;
	struct admit_user *user;  /* the reference it holds */
	struct event *ev;	  /* its socket: hang-up, hello */
	struct event *timer;	  /* its deadline */
	struct timespec accepted; /* CLOCK_MONOTONIC */
};

/* One uid's connections. */
struct admit_user {
	TAILQ_ENTRY(admit_user) entry; /* in admit.users */
	TAILQ_ENTRY(admit_user) turn;  /* in admit.turns, while it waits */
	uid_t uid;
	unsigned nconn; /* references: waiting + in session */
	int in_turns;
	TAILQ_HEAD(, waiting) queue; /* ready clients, oldest first */
};

struct admit {
	TAILQ_HEAD(, admit_user) users; /* uids holding a connection */
	TAILQ_HEAD(, admit_user) turns; /* uids with ready clients */
	size_t nready;			/* ready clients, all uids */
};

void admit_init(struct admit *a);
/*
 * Take a reference for one more connection of uid: its record, or NULL
 * when uid already holds max (or memory is short: then *full is 0).
 */
struct admit_user *admit_hold(struct admit *a, uid_t uid, unsigned max,
    int *full);
/*
 * Drop a reference; the record goes with the last, so a queued client
 * is dequeued before its reference is dropped.  NULL is ignored.
 */
void admit_release(struct admit *a, struct admit_user *u);
/* Queue a client whose hello is complete (w->user set) for its turn. */
void admit_enqueue(struct admit *a, struct waiting *w);
/* Take a queued client out of the queue (it hung up or timed out). */
void admit_dequeue(struct admit *a, struct waiting *w);
/* The client to serve next, taken out of the queue; NULL if none. */
struct waiting *admit_next(struct admit *a);
/* Give back what admit_next() returned: it is next again. */
void admit_putback(struct admit *a, struct waiting *w);

#endif
