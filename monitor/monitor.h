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
 *
 * The monitor sits below the loop (broker/): it owns the records a
 * request needs (struct monitor) and each session's request state
 * (struct mon_session), and reaches the loop only through the small
 * interface it is given (struct mon_loop_ops).  A handler never ends a
 * session itself: it marks it (mon_session_fail), and the monitor has the
 * loop kill it once the handler has returned (monitor_act).
 */
#ifndef CSIGN_MONITOR_H
#define CSIGN_MONITOR_H

#include <sys/queue.h>
#include <sys/types.h>
#include <time.h>

#include <event2/event.h>

#include "monitor/held.h"
#include "monitor/timestamp.h"
#include "monitor/tsaconn.h"
#include "proto/chan.h"
#include "proto/names.h"
#include "records/config.h"
#include "records/policy.h"

struct audit;
struct buf;
struct keystate;
struct ratelimit;
struct signer;
struct tokens;
struct uploads;

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

struct mon_session;

/*
 * The loop's interface, given to monitor_init(): the only way the
 * monitor reaches what the loop owns (processes, client sockets, timers,
 * counters, the waiting queue).
 */
struct mon_loop_ops {
	/* End the session's child for why (logged; its client told). */
	void (*kill)(struct mon_session *s, const char *why);
	/*
	 * (Re)arm the session's deadline, seconds from now; 0 disarms.
	 * The loop bounds it by the session's SessionLifetime.
	 */
	void (*deadline)(struct mon_session *s, unsigned seconds);
	/*
	 * Move the session to state st: the loop's counters, the uid's
	 * reference and the state's deadline follow.  CH_HELD parks a
	 * --no-wait request (its client is let go); leaving CH_HELD counts
	 * it as a session again.
	 */
	void (*set_state)(struct mon_session *s, enum child_state st);
	/* The session's client has gone (DONE): the loop closes its copy. */
	void (*client_gone)(struct mon_session *s);
	/* The child closed its channel: stop reading it; it must exit. */
	void (*closed)(struct mon_session *s);
	/*
	 * Children became free or work finished: the loop may hand waiting
	 * clients to idle children, or leave when it is draining.
	 */
	void (*freed)(void *loop);
	/* How many children serve clients now (status). */
	size_t (*sessions)(void *loop);
};

/* The monitor: made by the loop at start (monitor_init), one per daemon. */
struct monitor {
	struct event_base *base;
	struct config *cfg; /* the running config, owned */
	struct tokens *tokens;
	struct audit *audit;
	struct signer *signer;
	struct keystate *keystate; /* disabled keys (StateFile) */
	struct tsa_lookup lookup;  /* how TSA names are resolved */
	const struct mon_loop_ops *ops;
	void *loop;   /* the argument of ops->freed */
	int draining; /* stopping: nothing new is held */

	/* Owned state, reset explicitly (monitor_reload). */
	struct ratelimit *rates; /* Allow ... Rate buckets */
	struct uploads *uploads; /* inline bytes in flight per uid */
	struct mon_held held;	 /* requests held for approval */

	/* Sessions marked dead by a handler, for monitor_act(). */
	TAILQ_HEAD(, mon_session) dead;
	int freed; /* ops->freed is owed */

	/* What "csign-client status" reports. */
	time_t started;
	unsigned long signatures;     /* signatures released */
	unsigned long reloads;	      /* SIGHUPs that reread the config */
	unsigned long reloads_failed; /* ... and were refused */
	time_t reload_at;	      /* the last one */
	int reload_failed;	      /* ... was refused, for reload_reason */
	char reload_reason[CONFIG_ERR_MAX];
};

struct sign_ctx;

/*
 * Sign requests one child may have at the token or the audit log at once:
 * a batch's child hashes its next module while the token signs the one
 * before (MSG_SIGN_F_PIPELINED).  One request held for approval is alone.
 */
#define MON_SIGN_DEPTH 2

/* One child's state as the monitor sees it; the loop's child embeds it. */
struct mon_session {
	struct monitor *m;
	int fd;			/* the channel (the loop's) */
	pid_t pid;		/* the child, for log lines */
	uint32_t id;		/* the session's number, for logs */
	enum child_state state; /* written by the loop only */
	struct identity peer;	/* the client, from the kernel */
	struct chan_state chan; /* what it sent, may send (dispatch) */
	uint32_t last_reqid;	/* sign request ids only increase */
	uint32_t nsigns;
	/* Signs being done for it (at the token or the audit log). */
	struct sign_ctx *inflight[MON_SIGN_DEPTH];
	struct child_ts ts;	   /* a timestamp being made */
	struct mon_keys described; /* keys KEYINFO described to it */
	int dead;		   /* marked: killed by monitor_act */
	char dead_why[128];
	TAILQ_ENTRY(mon_session) dead_entry;
};

/*
 * Make the monitor's owned objects; the loop fills base, cfg, tokens,
 * audit, signer, keystate and lookup.  monitor_free() releases what
 * monitor_init() made and the config.
 */
void monitor_init(struct monitor *m, const struct mon_loop_ops *ops,
    void *loop);
void monitor_free(struct monitor *m);
/*
 * SIGHUP accepted n: it replaces the running config (freed), and the
 * rate-limit buckets, which count the old Allow lines, start afresh.
 */
void monitor_reload(struct monitor *m, struct config *n);
/* SIGHUP refused: why, for status. */
void monitor_reload_refused(struct monitor *m, const char *why);
/*
 * The last reload for "csign-client status": "failed at TIME (N of M
 * reloads failed; ...): REASON", "ok at TIME (...)" or "none since the
 * start".
 */
void monitor_reload_text(const struct monitor *m, char *dst, size_t len);

/* "starting", "idle", ...: a child state for log lines. */
const char *mon_state_name(enum child_state s);

/* A new child of the loop: its channel fd and pid. */
void monitor_session_init(struct mon_session *s, struct monitor *m, int fd,
    pid_t pid);
/* The child serves a client now: session number id, identity peer. */
void monitor_session_start(struct mon_session *s, uint32_t id,
    const struct identity *peer);
/*
 * Mark s dead for why (the first reason counts): nothing more is sent to
 * it, and monitor_act() has the loop kill it.
 */
void mon_session_fail(struct mon_session *s, const char *why);
/* Kill the sessions marked dead, then tell the loop of freed children. */
void monitor_act(struct monitor *m);

/*
 * For the monitor's own files: the loop's interface as handlers use it
 * (nothing reaches a session marked dead), and the records every
 * handler writes.
 */
/* (Re)arm s's deadline (mon_loop_ops.deadline). */
void mon_deadline(struct mon_session *s, unsigned seconds);
/* Move s to state st (mon_loop_ops.set_state). */
void mon_set_state(struct mon_session *s, enum child_state st);
/* Send b (with descriptor fd, or -1) to s; a failure marks s dead. */
int mon_send(struct mon_session *s, struct buf *b, int fd);
/* Audit a refusal, and log it (no wait: a refusal releases nothing). */
void mon_audit_deny(struct monitor *m, const struct identity *p,
    const char *key, int format, const char *artifact, const char *reason);

/* The session is gone: its signature in flight has nobody to go to. */
void monitor_sign_orphan(struct mon_session *s);

/* libevent callback (arg: the mon_session): the channel is readable. */
void monitor_child_readable(evutil_socket_t fd, short what, void *arg);
/*
 * The child has exited: handle what it sent before (its last report may
 * still be queued on the channel when SIGCHLD is handled).
 */
void monitor_child_drain(struct mon_session *s);
/* The child is gone: orphan its in-flight signature, if any. */
void monitor_child_gone(struct mon_session *s);

/* Called by the signer when a signature job finishes. */
struct signer_job;
void monitor_sign_done(struct signer_job *job, void *arg);
/*
 * The signer's hook (signer_on_signed), in a signing thread: queue the
 * record of a signature made, its callback releasing it from the loop.
 * 1 if queued; 0 leaves it to monitor_sign_done().
 */
int monitor_sign_signed(struct signer_job *job, void *arg);

/* Once a second: requests held for approval expire. */
void monitor_tick(struct monitor *m);
/* SIGTERM: nothing new is held; held requests are cancelled (audited). */
void monitor_drain(struct monitor *m);

/* Build the reply frame for a query (monitor/query.c); 0 or -1. */
int monitor_query_frame(struct monitor *m, const struct identity *peer,
    int what, struct buf *frame);

#endif
