/*
 * server.c: csignd's libevent loop: its events and signals, the
 * once-a-second housekeeping, and orderly shutdown.  The listening socket
 * is listen.c's, clients and their queue accept.c's, reloads reload.c's.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "broker/csignd.h"
#include "broker/pool.h"
#include "broker/systemd.h"
#include "common/log.h"
#include "monitor/monitor.h"

#define DRAIN_SECONDS 10 /* SIGTERM: time left to in-flight work */
#define LOG_INTERVAL 10	 /* seconds between two lines of one kind */

void
server_notify(const char *state)
{
	if (systemd_notify(state) == -1)
		log_warn("sd_notify(%.*s)", (int)strcspn(state, "\n"), state);
}

void
server_maybe_exit(struct csignd *d)
{
	if (!d->draining || d->nsessions > 0 ||
	    signer_busy(d->mon.signer) > 0 || audit_pending(d->mon.audit) > 0)
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

	if (d->draining)
		return;
	d->draining = 1;
	server_notify("STOPPING=1\nSTATUS=finishing open sessions");
	log_info("shutting down: no new clients, finishing %zu sessions",
	    d->nsessions);
	event_del(d->ev_listen);
	event_del(d->ev_resume);
	event_del(d->ev_tick);
	close(d->listen_fd);
	d->listen_fd = -1;
	server_pesign_close(d);
	server_refuse_waiting(d, "daemon shutting down");
	/* Held requests would wait forever: cancelled, audited, answered. */
	monitor_drain(&d->mon);
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

static void server_token_health(void *, const char *, int, const char *);

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

	if (d->draining || !tokens_need_recovery(d->mon.tokens) ||
	    signer_busy(d->mon.signer) > 0 || now < d->recover_at)
		return;
	if (tokens_reopen(d->mon.tokens, d->mon.cfg, err, sizeof(err)) == 0) {
		log_info("token session restored: logged in again");
		server_audit_event(d, "token", "ok", "logged in again");
		tokens_health_report(d->mon.tokens, server_token_health, d);
		d->recover_delay = 0;
		return;
	}
	d->recover_delay = d->recover_delay == 0 ? 1
	    : d->recover_delay >= 16		 ? 30
						 : d->recover_delay * 2;
	d->recover_at = now + d->recover_delay;
	log_warnx("token still unavailable (%s); next login attempt in %us",
	    err, d->recover_delay);
}

/* A token left or came back into service: one audit record each. */
static void
server_token_health(void *arg, const char *token, int ready, const char *why)
{
	char detail[128];

	snprintf(detail, sizeof(detail), "token %s %s (%s)", token,
	    ready ? "back in service" : "out of service", why);
	server_audit_event(arg, "token", ready ? "ok" : "error", detail);
}

/*
 * Once a second: housekeeping that does not belong to any request, and
 * the expiry of requests held for approval.  The signer's tick abandons
 * hung token calls and queues health probes (token/signer.h).
 */
static void
server_tick(evutil_socket_t fd, short what, void *arg)
{
	struct csignd *d = arg;

	(void)fd;
	(void)what;
	signer_tick(d->mon.signer);
	tokens_health_report(d->mon.tokens, server_token_health, d);
	server_recover_tokens(arg);
	monitor_tick(&((struct csignd *)arg)->mon);
}

/* The signer or the audit writer has finished work for the loop. */
static void
server_signer_ready(evutil_socket_t fd, short what, void *arg)
{
	struct csignd *d = arg;

	(void)fd;
	(void)what;
	signer_dispatch(d->mon.signer);
	/*
	 * A probe's result brought a token back (or took it out) just now:
	 * audit it before the loop serves a status query or a request that
	 * would see the token ready without the record.
	 */
	tokens_health_report(d->mon.tokens, server_token_health, d);
}

static void
server_audit_ready(evutil_socket_t fd, short what, void *arg)
{
	struct csignd *d = arg;

	(void)fd;
	(void)what;
	audit_dispatch(d->mon.audit);
	server_maybe_exit(d);
}

void
server_start_events(struct csignd *d)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGUSR1 };

	_Static_assert(sizeof(sigs) / sizeof(sigs[0]) ==
		sizeof(d->ev_signals) / sizeof(d->ev_signals[0]),
	    "one event per signal");

	server_accept_start(d);
	d->ev_signer = event_new(d->base, signer_notify_fd(d->mon.signer),
	    EV_READ | EV_PERSIST, server_signer_ready, d);
	d->ev_audit = event_new(d->base, audit_notify_fd(d->mon.audit),
	    EV_READ | EV_PERSIST, server_audit_ready, d);
	d->ev_tick = event_new(d->base, -1, EV_PERSIST, server_tick, d);
	if (d->ev_signer == NULL || d->ev_audit == NULL || d->ev_tick == NULL)
		fatalx("event_new");
	d->log_spawn = (struct loglimit)LOGLIMIT_INIT(LOG_INTERVAL);
	event_add(d->ev_signer, NULL);
	event_add(d->ev_audit, NULL);
	event_add(d->ev_tick, &(struct timeval){ .tv_sec = 1 });
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		d->ev_signals[i] =
		    evsignal_new(d->base, sigs[i], server_signal, d);
		if (d->ev_signals[i] == NULL ||
		    evsignal_add(d->ev_signals[i], NULL) == -1)
			fatalx("evsignal_new");
	}
}
