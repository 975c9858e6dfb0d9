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
#include "monitor/timestamp.h"
#include "proto/chan.h"		/* enum child_state */

struct sign_ctx;

struct child {
	TAILQ_ENTRY(child) entry;
	struct csignd *d;
	pid_t pid;
	int fd;				/* channel, monitor side */
	struct event *ev;		/* channel readable */
	struct event *timer;		/* deadline */
	enum child_state state;
	uint32_t session;
	int client_fd;			/* our copy of the client socket */
	struct identity peer;
	uint32_t last_reqid;		/* sign request ids only increase */
	uint32_t nsigns;
	struct sign_ctx *inflight;	/* the sign being done for it */
	int reported;			/* client already told of a failure */
	struct child_ts ts;		/* a timestamp being made */
	struct admit_user *user;	/* the uid's reference, in session */
	unsigned lifetime;		/* SessionLifetime, 0: no session */
	struct timespec expires;	/* accept + lifetime, CLOCK_MONOTONIC */
	int at_lifetime;		/* the timer is the lifetime's end */
	struct mon_keys described;	/* keys KEYINFO described to it */
	struct chan_state chan;		/* what it sent, may send (dispatch) */
};

/*
 * Open d->sandbox_program to run it from then on (d->sandbox_fd), and
 * /dev/null for the children's stdio (d->null_fd); -1 with errno set.
 */
int pool_open_program(struct csignd *d);
void pool_close_program(struct csignd *d);
/* Spawn children until PoolSize are idle or starting. */
void pool_fill(struct csignd *d);
/* An idle child, or NULL. */
struct child *pool_take_idle(struct csignd *d);
/*
 * Hand a waiting client to an idle child: on success its socket and its
 * uid's reference pass to the child, and the session's lifetime counts
 * from w's accept.  -1 if the child failed (killed; w is left as it was).
 */
int pool_start_session(struct child *c, const struct waiting *w);
/*
 * The one place a child's state changes: the per-state counters (nstarting,
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
/*
 * A --no-wait request of c is held for approval and its client let go:
 * c no longer counts as a session (MaxSessions), and the monitor's copy
 * of the client socket is closed.  pool_unpark() when it is decided: c
 * counts again while it builds the result.
 */
void pool_park(struct child *c);
void pool_unpark(struct child *c);
/* Kill every child (shutdown). */
void pool_kill_all(struct csignd *d, int idle_only);
const char *child_state_name(enum child_state s);

#endif
