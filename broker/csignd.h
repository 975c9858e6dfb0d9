/*
 * csignd: the loop's process-wide state, owned by main() and passed to
 * every event callback: the listening socket, the waiting clients, the
 * pool of children and its counters, signals; and the monitor (mon), the
 * layer below, which the loop creates and hands its interface to.  Only
 * the event-loop thread touches it; the signer and audit threads talk to
 * the loop through their notify pipes.
 */
#ifndef CSIGN_CSIGND_H
#define CSIGN_CSIGND_H

#include <sys/queue.h>
#include <sys/types.h>
#include <time.h>

#include <event2/event.h>

#include "broker/sockfile.h"
#include "broker/admit.h"
#include "broker/loglimit.h"
#include "monitor/monitor.h"
#include "records/audit.h"
#include "records/config.h"
#include "records/keystate.h"
#include "records/policy.h"
#include "token/signer.h"
#include "token/token.h"

struct child;

struct csignd {
	struct event_base *base;
	const char *cfgpath;
	/*
	 * The monitor, below the loop: it owns the config, tokens, audit
	 * log, signer and key state (mon.cfg, ...), and what requests need.
	 */
	struct monitor mon;

	int listen_fd;
	int activated;		     /* listen_fd came from systemd */
	struct sockfile listen_sock; /* Listen, if we bound it */
	char *listen_name;	     /* what we listen on, for messages */
	struct event *ev_listen;
	int pesign_fd;		     /* PesignListen's socket, or -1 */
	struct sockfile pesign_sock; /* ... the socket we bound */
	struct event *ev_pesign;     /* ... its accept event, or NULL */
	struct event *ev_resume;     /* accept again after running out */
	struct event *ev_audit;
	struct event *ev_signer;
	struct event *ev_signals[5]; /* TERM, INT, HUP, CHLD, USR1 */
	struct event *ev_drain;
	struct event *ev_respawn; /* retry spawning after failures */
	struct event *ev_refill;  /* pool_fill_soon()'s deferred fill */
	struct event *ev_tick;	  /* once a second: token recovery */
	time_t recover_at;	  /* next login attempt after a loss */
	unsigned recover_delay;	  /* seconds, doubling to 30 */

	TAILQ_HEAD(, child) children;
	TAILQ_HEAD(, waiting) waiting; /* accepted, no child yet */
	size_t nwaiting;
	struct admit admit;	    /* per-uid counts, the fair queue */
	struct loglimit log_accept; /* accept() failing */
	struct loglimit log_refuse; /* clients refused: too many */
	struct loglimit log_grace;  /* waiting clients cut: too slow */
	struct loglimit log_spawn;  /* children that cannot be made */
	size_t nidle;		    /* ready children without a client */
	size_t nstarting;	    /* spawned, not yet ready */
	size_t nsessions;	    /* children serving a client */

	char *sandbox_program;
	int sandbox_fd; /* opened once, run with fexecve */
	int null_fd;	/* /dev/null, the children's stdio */
	uid_t sandbox_uid;
	gid_t sandbox_gid;
	int separate_uids; /* 0 when not started as root */
	int foreground;
	int debug; /* -v: children send their debug lines too */
	int draining;
	unsigned spawn_failures; /* children that died before ready */
	int spawn_paused;	 /* waiting for ev_respawn */
	uint32_t next_session;
	unsigned long served; /* sessions started */
};

/* listen.c */
/*
 * Listen on the socket systemd passed (d->activated, d->listen_fd set by
 * main) or bind Listen; log which.  -1 with err set on failure.
 */
int server_listen(struct csignd *d, char *err, size_t errlen);

/* What is at a Listen path (server_listen_probe). */
enum listen_probe {
	LISTEN_FREE,  /* nothing */
	LISTEN_STALE, /* a socket nobody answers on */
	LISTEN_LIVE,  /* a socket a daemon answers on */
	LISTEN_ERROR  /* not a socket, or unknown (err set) */
};
/*
 * Probe path by connecting to it, without blocking; *pid is the
 * listener's (from SO_PEERCRED) when it answered, else 0.  keyword
 * ("Listen", "PesignListen") starts the error.
 */
enum listen_probe server_listen_probe(const char *keyword, const char *path,
    long *pid, char *err, size_t errlen);
/*
 * "Listen PATH: another csignd (pid N) is serving on this socket: not
 * starting a second one"; pid 0: the PidFile's, if it is held.
 */
void server_listen_live_text(const struct config *cfg, long pid, char *err,
    size_t errlen);
/*
 * Before anything is opened: -1 with err set if a daemon answers on
 * Listen already, or the path is not a socket.
 */
int server_listen_check(const struct config *cfg, char *err, size_t errlen);
/* Remove the socket we bound, if the path still names it. */
void server_unlink_socket(struct csignd *d);

/* pesignlisten.c: the pesign listener (PesignListen), when configured. */
/* What is at PesignListen (LISTEN_FREE if none is configured). */
enum listen_probe server_pesign_probe(const struct config *cfg, long *pid,
    char *err, size_t errlen);
/* Before anything is opened: -1 with err set if something answers there. */
int server_pesign_check(const struct config *cfg, char *err, size_t errlen);
/* Bind PesignListen (d->pesign_fd; -1 if none is configured). */
int server_pesign_listen(struct csignd *d, char *err, size_t errlen);
/* Stop accepting on it (shutdown). */
void server_pesign_close(struct csignd *d);
/* Remove the socket we bound, if the path still names it. */
void server_pesign_unlink(struct csignd *d);

/* accept.c */
/* Create the listening and accept-resume events; start accepting. */
void server_accept_start(struct csignd *d);
/* Give waiting clients to idle children (after a child became ready). */
void server_assign_waiting(struct csignd *d);
/*
 * Raise RLIMIT_NOFILE's soft limit to the hard one and warn when that is
 * below what MaxSessions, PoolSize and the waiting queue may need.
 */
void server_fd_limit(struct csignd *d);
/*
 * Tell a client of listener via (enum via) that it is refused or its
 * session failed, in its protocol: a csign reply frame, or a pesign
 * RESPONSE with rc -1; never blocks.
 */
void server_client_notify(int fd, int via, int status, const char *msg);
/* Close and free the clients still waiting (at exit). */
void server_free_waiting(struct csignd *d);
/* End every waiting client, with msg (status unavailable) or silently. */
void server_refuse_waiting(struct csignd *d, const char *msg);

/* server.c */
/* The loop's events: listening, signals, signer, audit, the tick. */
void server_start_events(struct csignd *d);
/* Tell systemd (if it started us) about a state change; never fatal. */
void server_notify(const char *state);
/* Begin an orderly shutdown (SIGTERM). */
void server_drain(struct csignd *d);
/* Leave the loop once nothing is in flight (called as work finishes). */
void server_maybe_exit(struct csignd *d);

/* reload.c */
/* SIGHUP: reopen the audit log, then read the configuration again. */
void server_reload(struct csignd *d);
/* SIGUSR1 (and SIGHUP): reopen AuditLog by its path after a rotation. */
void server_reopen_audit(struct csignd *d);
/* Log and audit a daemon event (start, stop, reload). */
void server_audit_event(struct csignd *d, const char *event, const char *result,
    const char *reason);

#endif
