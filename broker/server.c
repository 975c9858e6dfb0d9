/*
 * server.c: the listening socket, client admission, signals and orderly
 * shutdown of csignd's libevent loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "broker/csignd.h"
#include "broker/filetrust.h"
#include "broker/pool.h"
#include "broker/systemd.h"
#include "common/log.h"
#include "monitor/held.h"
#include "monitor/monitor.h"
#include "monitor/timestamp.h"
#include "proto/frame.h"

#define MAX_WAITING 1024	/* accepted clients queued for a child */
#define DRAIN_SECONDS 10	/* SIGTERM: time left to in-flight work */

/*
 * The socket systemd passed: it is already bound and listening, and the
 * service manager owns its path, so it is neither rebound nor unlinked
 * at exit (listen_path stays NULL).  A path other than Listen is allowed
 * (the unit decides) but said, since csign-client looks at Listen's
 * default.
 */
static int
server_listen_activated(struct csignd *d)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];

	if (systemd_socket_path(d->listen_fd, path, sizeof(path)) == -1)
		snprintf(path, sizeof(path), "an unnamed socket");
	else if (strcmp(path, d->cfg->listen) != 0)
		log_warnx("the socket passed by systemd is %s, not Listen %s",
		    path, d->cfg->listen);
	log_info("using the listening socket passed by systemd (fd %d, %s)",
	    d->listen_fd, path);
	if ((d->listen_name = strdup(path)) == NULL)
		fatal("strdup");
	return 0;
}

/* Create, bind and listen on Listen (no socket activation). */
static int
server_listen_bind(struct csignd *d, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *path = d->cfg->listen;
	mode_t old;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "Listen %s: path too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((d->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	(void)unlink(path);
	/* Any local user may connect; the policy decides what they get. */
	old = umask(0111);
	if (bind(d->listen_fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(d->listen_fd, 128) == -1) {
		umask(old);
		snprintf(err, errlen, "Listen %s: %s", path, strerror(errno));
		return -1;
	}
	umask(old);
	if ((d->listen_path = strdup(path)) == NULL ||
	    (d->listen_name = strdup(path)) == NULL)
		fatal("strdup");
	log_info("listening on %s (bound by csignd)", path);
	return 0;
}

int
server_listen(struct csignd *d, char *err, size_t errlen)
{
	if (d->activated)
		return server_listen_activated(d);
	return server_listen_bind(d, err, errlen);
}

/* Read the peer's identity from the kernel: SO_PEERCRED, SO_PEERGROUPS. */
static int
peer_identity(int fd, struct identity *id)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	gid_t groups[IDENT_MAX_GROUPS];

	memset(id, 0, sizeof(*id));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1 ||
	    len != sizeof(cr))
		return -1;
	id->pid = cr.pid;
	id->uid = cr.uid;
	id->gid = cr.gid;
	len = sizeof(groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == -1) {
		/* More groups than we keep: refuse rather than guess. */
		return -1;
	}
	id->ngroups = len / sizeof(gid_t);
	memcpy(id->groups, groups, id->ngroups * sizeof(gid_t));
	identity_resolve_user(id);
	return 0;
}

/* Refuse a client with one reply frame, then close. */
static void
client_refuse(int fd, int status, const char *msg)
{
	struct buf b;

	buf_init(&b, FRAME_MAX + 4);
	if (frame_reply_status(&b, status, msg) == 0)
		(void)send(fd, buf_ptr(&b), buf_left(&b),
		    MSG_NOSIGNAL | MSG_DONTWAIT);
	buf_free(&b);
	close(fd);
}

void
server_assign_waiting(struct csignd *d)
{
	struct waiting *w;
	struct child *c;

	while ((w = TAILQ_FIRST(&d->waiting)) != NULL &&
	    d->nsessions < d->cfg->max_sessions &&
	    (c = pool_take_idle(d)) != NULL) {
		TAILQ_REMOVE(&d->waiting, w, entry);
		d->nwaiting--;
		(void)pool_start_session(c, w->fd, &w->peer);
		free(w);
	}
	pool_fill(d);
}

/* A client connected: identify it and queue it for a session child. */
static void
server_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct csignd *d = arg;
	struct waiting *w;
	int fd;

	(void)what;
	while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) != -1) {
		if (d->draining) {
			client_refuse(fd, ST_UNAVAILABLE, "daemon shutting down");
			continue;
		}
		if (d->nwaiting >= MAX_WAITING ||
		    (w = calloc(1, sizeof(*w))) == NULL) {
			client_refuse(fd, ST_UNAVAILABLE, "daemon busy");
			continue;
		}
		if (peer_identity(fd, &w->peer) == -1) {
			log_warn("cannot read the peer's credentials");
			client_refuse(fd, ST_DENIED, "cannot identify the peer");
			free(w);
			continue;
		}
		w->fd = fd;
		TAILQ_INSERT_TAIL(&d->waiting, w, entry);
		d->nwaiting++;
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		log_warn("accept");
	server_assign_waiting(d);
}

void
server_audit_event(struct csignd *d, const char *event, const char *result,
    const char *reason)
{
	struct audit_event ev = { .event = event, .result = result,
		.reason = reason };

	if (audit_write_sync(d->audit, &ev) == -1)
		log_warnx("audit: cannot write the %s record", event);
}

/* Tell systemd (if it started us) about a state change; never fatal. */
static void
server_notify(const char *state)
{
	if (systemd_notify(state) == -1)
		log_warn("sd_notify(%.*s)", (int)strcspn(state, "\n"), state);
}

/*
 * SIGUSR1 (after logrotate renamed the file), and SIGHUP: reopen AuditLog
 * by its path.  The writer switches files between two batches and the
 * chain goes on: the new file's first record, a "rotate" event, links to
 * the last record of the old one, so "csign-audit verify OLD NEW" checks
 * across the rotation.  On failure the old file is kept.
 */
static void
server_reopen_audit(struct csignd *d)
{
	char err[CONFIG_ERR_MAX];
	int r;

	if ((r = audit_reopen(d->audit, err, sizeof(err))) == -1)
		log_warnx("audit log not reopened, still writing to the old "
		    "file: %s", err);
	else if (r == 1)
		log_info("audit log reopened: %s is a new file; the chain "
		    "continues in it", audit_path(d->audit));
	else
		log_debug("audit log reopen: %s is still the same file",
		    audit_path(d->audit));
}

/* RELOADING=1 with the time systemd wants beside it (for notify-reload). */
static void
server_notify_reloading(void)
{
	struct timespec ts;
	char msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ull +
	    (unsigned long long)ts.tv_nsec / 1000ull);
	server_notify(msg);
}

/* SIGHUP: load the config again; keep the old one if the new is bad. */
static void
server_reload_config(struct csignd *d)
{
	char err[CONFIG_ERR_MAX];
	struct config *n;

	if ((n = config_load(d->cfgpath, err, sizeof(err))) == NULL ||
	    filetrust_config(n, geteuid(), err, sizeof(err)) == -1 ||
	    tokens_check_config(d->tokens, n, err, sizeof(err)) == -1 ||
	    ts_anchors_check(n, err, sizeof(err)) == -1) {
		log_warnx("reload failed, keeping the running config: %s", err);
		server_audit_event(d, "reload", "error", err);
		config_free(n);
		return;
	}
	if (strcmp(n->listen, d->cfg->listen) != 0 ||
	    strcmp(n->audit_log, d->cfg->audit_log) != 0 ||
	    strcmp(n->sandbox_user, d->cfg->sandbox_user) != 0)
		log_warnx("reload: Listen, AuditLog and SandboxUser changes "
		    "take effect at the next restart");
	config_free(d->cfg);
	d->cfg = n;
	log_info("configuration reloaded from %s", d->cfgpath);
	server_audit_event(d, "reload", "ok", NULL);
	pool_fill(d);
}

/*
 * SIGHUP: reopen the audit log, then reload the configuration.  During a
 * shutdown systemd has been told STOPPING=1 and hears nothing more.
 */
static void
server_reload(struct csignd *d)
{
	if (!d->draining)
		server_notify_reloading();
	server_reopen_audit(d);
	server_reload_config(d);
	if (!d->draining)
		server_notify("READY=1\nSTATUS=serving");
}

void
server_maybe_exit(struct csignd *d)
{
	if (!d->draining || d->nsessions > 0 || signer_busy(d->signer) > 0 ||
	    audit_pending(d->audit) > 0)
		return;
	event_base_loopexit(d->base, NULL);
}

/* Drain deadline: whatever is still running is cut off. */
static void
server_drain_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct csignd *d = arg;

	(void)fd;
	(void)what;
	log_warnx("shutdown: %zu sessions still open after %ds; ending them",
	    d->nsessions, DRAIN_SECONDS);
	pool_kill_all(d, 0);
	event_base_loopexit(d->base, NULL);
}

void
server_drain(struct csignd *d)
{
	struct timeval tv = { .tv_sec = DRAIN_SECONDS };
	struct waiting *w;

	if (d->draining)
		return;
	d->draining = 1;
	server_notify("STOPPING=1\nSTATUS=finishing open sessions");
	log_info("shutting down: no new clients, finishing %zu sessions",
	    d->nsessions);
	event_del(d->ev_listen);
	event_del(d->ev_tick);
	close(d->listen_fd);
	d->listen_fd = -1;
	while ((w = TAILQ_FIRST(&d->waiting)) != NULL) {
		TAILQ_REMOVE(&d->waiting, w, entry);
		client_refuse(w->fd, ST_UNAVAILABLE, "daemon shutting down");
		free(w);
	}
	d->nwaiting = 0;
	/* Held requests would wait forever: cancelled, audited, answered. */
	held_drain(d);
	pool_kill_all(d, 1);
	d->ev_drain = evtimer_new(d->base, server_drain_timeout, d);
	evtimer_add(d->ev_drain, &tv);
	server_maybe_exit(d);
}

/* Signal events, run in the loop (libevent's self-pipe). */
static void
server_signal(evutil_socket_t sig, short what, void *arg)
{
	struct csignd *d = arg;

	(void)what;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		server_drain(d);
		break;
	case SIGHUP:
		server_reload(d);
		break;
	case SIGUSR1:
		server_reopen_audit(d);
		break;
	case SIGCHLD:
		pool_reap(d);
		break;
	}
}

/*
 * A token was lost: log in again once no signature is in flight, with a
 * growing delay between attempts (1 s doubling to 30 s).  Requests are
 * answered "token unavailable" meanwhile; a refused PIN is never retried.
 */
static void
server_recover_tokens(struct csignd *d)
{
	char err[CONFIG_ERR_MAX];
	time_t now = time(NULL);

	if (d->draining || !tokens_need_recovery(d->tokens) ||
	    signer_busy(d->signer) > 0 || now < d->recover_at)
		return;
	if (tokens_reopen(d->tokens, d->cfg, err, sizeof(err)) == 0) {
		log_info("token session restored: logged in again");
		server_audit_event(d, "token", "ok", "logged in again");
		d->recover_delay = 0;
		return;
	}
	d->recover_delay = d->recover_delay == 0 ? 1 :
	    d->recover_delay >= 16 ? 30 : d->recover_delay * 2;
	d->recover_at = now + d->recover_delay;
	log_warnx("token still unavailable (%s); next login attempt in %us",
	    err, d->recover_delay);
}

/*
 * Once a second: housekeeping that does not belong to any request, and
 * the expiry of requests held for approval.
 */
static void
server_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	server_recover_tokens(arg);
	held_tick(arg);
}

/* The signer or the audit writer has finished work for the loop. */
static void
server_signer_ready(evutil_socket_t fd, short what, void *arg)
{
	struct csignd *d = arg;

	(void)fd;
	(void)what;
	signer_dispatch(d->signer);
}

static void
server_audit_ready(evutil_socket_t fd, short what, void *arg)
{
	struct csignd *d = arg;

	(void)fd;
	(void)what;
	audit_dispatch(d->audit);
	server_maybe_exit(d);
}

void
server_start_events(struct csignd *d)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGUSR1 };

	_Static_assert(sizeof(sigs) / sizeof(sigs[0]) ==
	    sizeof(d->ev_signals) / sizeof(d->ev_signals[0]),
	    "one event per signal");

	d->ev_listen = event_new(d->base, d->listen_fd, EV_READ | EV_PERSIST,
	    server_accept, d);
	d->ev_signer = event_new(d->base, signer_notify_fd(d->signer),
	    EV_READ | EV_PERSIST, server_signer_ready, d);
	d->ev_audit = event_new(d->base, audit_notify_fd(d->audit),
	    EV_READ | EV_PERSIST, server_audit_ready, d);
	if (d->ev_listen == NULL || d->ev_signer == NULL || d->ev_audit == NULL)
		fatalx("event_new");
	d->ev_tick = event_new(d->base, -1, EV_PERSIST, server_tick, d);
	if (d->ev_tick == NULL)
		fatalx("event_new");
	event_add(d->ev_listen, NULL);
	event_add(d->ev_signer, NULL);
	event_add(d->ev_audit, NULL);
	event_add(d->ev_tick, &(struct timeval){ .tv_sec = 1 });
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		d->ev_signals[i] = evsignal_new(d->base, sigs[i], server_signal, d);
		if (d->ev_signals[i] == NULL || evsignal_add(d->ev_signals[i],
		    NULL) == -1)
			fatalx("evsignal_new");
	}
}
