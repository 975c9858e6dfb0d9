/*
 * pool: session children.  Each child is the sandbox program, started by
 * fork and exec (never a bare fork of the monitor, whose memory holds the
 * PKCS#11 module's state and the PIN's pages), joined to the monitor by a
 * SOCK_SEQPACKET socketpair on its fd 3.  A pool of PoolSize children is
 * kept ready (sandboxed, waiting); one child serves one client connection
 * and then exits.  The program is the file opened at start (fexecve), so
 * replacing it on disk changes nothing until a restart.
 */
#ifndef CSIGN_POOL_H
#define CSIGN_POOL_H

#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>
#include <time.h>

#include <event2/event.h>

#include "broker/csignd.h"
#include "monitor/monitor.h"
#include "proto/chan.h" /* enum child_state */

/*
 * A session child as the loop sees it: its process, channel events,
 * deadline, client socket and uid's reference.  What the monitor keeps
 * for it (identity, state, requests) is ms, the monitor's; the loop
 * changes ms.state only through pool_set_state().
 */
struct child {
	TAILQ_ENTRY(child) entry;
	struct csignd *d;
	struct mon_session ms;	 /* pid, channel fd, state, peer, ... */
	struct event *ev;	 /* channel readable */
	struct event *timer;	 /* deadline */
	int client_fd;		 /* our copy of the client socket */
	int reported;		 /* client already told of a failure */
	struct admit_user *user; /* the uid's reference, in session */
	unsigned lifetime;	 /* SessionLifetime, 0: no session */
	struct timespec expires; /* accept + lifetime, CLOCK_MONOTONIC */
	int at_lifetime;	 /* the timer is the lifetime's end */
	int spare;		 /* started niced (SPARE_NICE), not reset */
};

/* Hand the monitor (d->mon) its interface to the loop (state.c). */
void pool_monitor_init(struct csignd *d);
/*
 * Open d->sandbox_program to run it from then on (d->sandbox_fd), and
 * /dev/null for the children's stdio (d->null_fd); -1 with errno set.
 */
int pool_open_program(struct csignd *d);
void pool_close_program(struct csignd *d);
/* Spawn children until PoolSize are idle or starting. */
void pool_fill(struct csignd *d);
/*
 * The same after a hand-off: at once if no child is idle or a client
 * waits; else once no session is left (pool_sessions_ended), at the
 * latest POOL_REFILL_MS later, so that the new children's start (fork in
 * the event loop, exec, libraries, sandbox: tens of ms of CPU each) does
 * not run beside the sessions being served, whose requests come next.
 */
#define POOL_REFILL_MS 1000
void pool_fill_soon(struct csignd *d);
/* The last session ended (state.c): a deferred refill runs now. */
void pool_sessions_ended(struct csignd *d);
/* Free the pool's timers (the respawn back-off, the deferred refill). */
void pool_timers_free(struct csignd *d);
/* An idle child, or NULL. */
struct child *pool_take_idle(struct csignd *d);
/*
 * Hand a waiting client to an idle child: on success its socket and its
 * uid's reference pass to the child, and the session's lifetime counts
 * from w's accept.  -1 if the child failed (killed; w is left as it was).
 */
int pool_start_session(struct child *c, const struct waiting *w);
/*
 * state.c: the one place a child's state changes: the counters (nstarting,
 * nidle, nsessions), its uid's reference when it stops being a session,
 * and the deadline that goes with the new state.
 */
void pool_set_state(struct child *c, enum child_state st);
/* Kill a child for why (logged); it is cleaned up when reaped. */
void pool_kill(struct child *c, const char *why);
/* Reap exited children (SIGCHLD). */
void pool_reap(struct csignd *d);
/*
 * (Re)arm the child's deadline, seconds from now; 0 disarms.  In a
 * session the deadline is never later than the end of its lifetime
 * (SessionLifetime from the accept), which nothing re-arms.
 */
void pool_deadline(struct child *c, unsigned seconds);
/* Kill every child (shutdown). */
void pool_kill_all(struct csignd *d, int idle_only);

#endif
