/*
 * state.c: the one place a session child's state changes, with the
 * per-state counters, its uid's reference and the state's deadline
 * (pool_set_state); and the loop's interface given to the monitor
 * (mon_loop_ops), through which the monitor changes nothing else.
 */
#include <stddef.h>
#include <unistd.h>

#include "broker/pool.h"

#define CHILD_START_TIMEOUT 10 /* seconds to sandbox itself and report */

/* Count one child more (up) or less in the counter of state st, if any. */
static void
state_count(struct csignd *d, enum child_state st, int up)
{
	size_t *n;

	switch (st) {
	case CH_STARTING:
		n = &d->nstarting;
		break;
	case CH_IDLE:
		n = &d->nidle;
		break;
	case CH_SESSION:
	case CH_SIGNING:
		n = &d->nsessions;
		break;
	default:
		return;
	}
	if (up)
		(*n)++;
	else
		(*n)--;
}

/*
 * What entering st means for c besides the counters: its deadline, and
 * for a session that stops being one (parked or gone) its uid's
 * reference.  A parked child has no SessionLifetime: the held request's
 * own expiry bounds it.
 */
static void
state_enter(struct child *c, enum child_state old, enum child_state st)
{
	struct csignd *d = c->d;

	if ((old == CH_SESSION || old == CH_SIGNING) &&
	    (st == CH_HELD || st == CH_GONE)) {
		admit_release(&d->admit, c->user);
		c->user = NULL;
		if (d->nsessions == 0)
			pool_sessions_ended(d);
	}
	switch (st) {
	case CH_STARTING:
		pool_deadline(c, CHILD_START_TIMEOUT);
		break;
	case CH_IDLE:
		d->spawn_failures = 0;
		pool_deadline(c, 0);
		break;
	case CH_SESSION:
		/* A little more than the child's idle limit on the client. */
		pool_deadline(c, d->mon.cfg->session_timeout + 5);
		break;
	case CH_HELD:
		c->lifetime = 0;
		pool_deadline(c, 0);
		break;
	case CH_GONE:
		evtimer_del(c->timer);
		break;
	default:
		/* Signing: the signer, audit log and lifetime bound it. */
		pool_deadline(c, 0);
		break;
	}
}

void
pool_set_state(struct child *c, enum child_state st)
{
	enum child_state old = c->ms.state;

	if (old == st)
		return;
	state_count(c->d, old, 0);
	c->ms.state = st;
	state_count(c->d, st, 1);
	state_enter(c, old, st);
}

/*
 * A --no-wait request of c is held for approval and its client let go:
 * c no longer counts as a session (MaxSessions), and the loop's copy of
 * the client socket is closed.  Leaving CH_HELD (pool_set_state) counts
 * it again while it builds the result.
 */
static void
pool_park(struct child *c)
{
	if (c->ms.state != CH_SIGNING)
		return;
	/* It is no session of its uid (MaxSessionsPerUser) any more. */
	pool_set_state(c, CH_HELD);
	c->reported = 1;
	if (c->client_fd != -1) {
		close(c->client_fd);
		c->client_fd = -1;
	}
}

/* The loop's interface for the monitor (monitor.h, mon_loop_ops). */
#define CHILD_OF(s) \
	((struct child *)(void *)((char *)(s)-offsetof(struct child, ms)))

static void
loop_kill(struct mon_session *s, const char *why)
{
	pool_kill(CHILD_OF(s), why);
}

static void
loop_deadline(struct mon_session *s, unsigned seconds)
{
	pool_deadline(CHILD_OF(s), seconds);
}

static void
loop_set_state(struct mon_session *s, enum child_state st)
{
	struct child *c = CHILD_OF(s);

	if (st == CH_HELD)
		pool_park(c);
	else
		pool_set_state(c, st);
}

/* DONE: the client has gone; nothing is to be told to it any more. */
static void
loop_client_gone(struct mon_session *s)
{
	struct child *c = CHILD_OF(s);

	c->reported = 1;
	if (c->client_fd != -1) {
		close(c->client_fd);
		c->client_fd = -1;
	}
}

/*
 * The child closed its end (or sent an empty datagram): it must now
 * exit; the deadline kills it if it does not.
 */
static void
loop_closed(struct mon_session *s)
{
	struct child *c = CHILD_OF(s);

	event_del(c->ev);
	pool_deadline(c, 2);
}

/* Children were freed or work finished: serve the queue, or leave. */
static void
loop_freed(void *arg)
{
	struct csignd *d = arg;

	server_assign_waiting(d);
	server_maybe_exit(d);
}

static size_t
loop_sessions(void *arg)
{
	return ((struct csignd *)arg)->nsessions;
}

void
pool_monitor_init(struct csignd *d)
{
	static const struct mon_loop_ops ops = {
		.kill = loop_kill,
		.deadline = loop_deadline,
		.set_state = loop_set_state,
		.client_gone = loop_client_gone,
		.closed = loop_closed,
		.freed = loop_freed,
		.sessions = loop_sessions,
	};

	monitor_init(&d->mon, &ops, d);
}
