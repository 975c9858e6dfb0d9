/*
 * tsaconn.c: connecting to a TSA for a session child (see tsaconn.h).
 *
 * Resolution may finish inside evdns_getaddrinfo() (a numeric address,
 * an immediate error), so the outcome is never reported from there: it is
 * recorded and delivered by the timer, re-armed to fire at once.  The
 * caller's callback therefore always runs from the event loop.
 */
#include "monitor/tsaconn.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/util.h>

#include "common/log.h"

struct tsa_conn {
	struct event_base *base;
	struct evdns_getaddrinfo_request *req;	/* while resolving */
	struct event *wev;		/* while connecting */
	struct event *timer;		/* the deadline, then the delivery */
	int fd;
	int done;			/* outcome recorded, not delivered */
	char err[TSA_HOST_MAX + 128];
	char what[TSA_HOST_MAX + 16];	/* "host port N", for messages */
	tsa_conn_cb cb;
	void *arg;
};

/* One resolver for the daemon's life, made on first use. */
static struct evdns_base *resolver;

static struct evdns_base *
tsa_dns(struct event_base *base)
{
	if (resolver == NULL &&
	    (resolver = evdns_base_new(base,
	    EVDNS_BASE_INITIALIZE_NAMESERVERS |
	    EVDNS_BASE_DISABLE_WHEN_INACTIVE)) == NULL)
		log_warnx("tsa: cannot start the resolver");
	return resolver;
}

void
tsa_conn_shutdown(void)
{
	if (resolver != NULL)
		evdns_base_free(resolver, 0);
	resolver = NULL;
}

void
tsa_conn_cancel(struct tsa_conn *t)
{
	struct evdns_getaddrinfo_request *req;

	if (t == NULL)
		return;
	if ((req = t->req) != NULL) {
		t->req = NULL;		/* the cancel callback ignores t */
		evdns_getaddrinfo_cancel(req);
	}
	if (t->wev != NULL)
		event_free(t->wev);
	if (t->timer != NULL)
		event_free(t->timer);
	if (t->fd != -1)
		close(t->fd);
	free(t);
}

/* Record the outcome (a connected fd or an error) for delivery. */
static void __attribute__((format(printf, 2, 3)))
tsa_fail(struct tsa_conn *t, const char *fmt, ...)
{
	struct timeval now = { 0, 0 };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->err, sizeof(t->err), fmt, ap);
	va_end(ap);
	if (t->fd != -1) {
		close(t->fd);
		t->fd = -1;
	}
	t->done = 1;
	evtimer_add(t->timer, &now);
}

static void
tsa_connected(struct tsa_conn *t)
{
	struct timeval now = { 0, 0 };

	t->done = 1;
	evtimer_add(t->timer, &now);
}

/* The deadline passed, or an outcome waits to be delivered. */
static void
tsa_timer(evutil_socket_t unused, short what, void *arg)
{
	struct tsa_conn *t = arg;
	tsa_conn_cb cb = t->cb;
	void *cbarg = t->arg;
	char err[sizeof(t->err)];
	int fd;

	(void)unused;
	(void)what;
	if (!t->done)
		snprintf(t->err, sizeof(t->err), "cannot connect to %s: timed "
		    "out", t->what);
	else if (t->fd != -1)
		t->err[0] = '\0';
	fd = t->done ? t->fd : -1;
	if (fd != -1)
		t->fd = -1;		/* now the caller's */
	memcpy(err, t->err, sizeof(err));
	tsa_conn_cancel(t);
	cb(fd, fd == -1 ? err : NULL, cbarg);
}

/* The socket is writable: the connection is made or refused. */
static void
tsa_writable(evutil_socket_t fd, short what, void *arg)
{
	struct tsa_conn *t = arg;
	socklen_t len = sizeof(int);
	int err = 0;

	(void)what;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0)
		tsa_fail(t, "cannot connect to %s: %s", t->what, strerror(err));
	else
		tsa_connected(t);
}

/* Start a non-blocking connect to the first address. */
static void
tsa_start(struct tsa_conn *t, const struct evutil_addrinfo *ai)
{
	if ((t->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		tsa_fail(t, "cannot connect to %s: socket: %s", t->what,
		    strerror(errno));
		return;
	}
	if (connect(t->fd, ai->ai_addr, ai->ai_addrlen) == 0) {
		tsa_connected(t);
		return;
	}
	if (errno != EINPROGRESS) {
		tsa_fail(t, "cannot connect to %s: %s", t->what,
		    strerror(errno));
		return;
	}
	if ((t->wev = event_new(t->base, t->fd, EV_WRITE, tsa_writable,
	    t)) == NULL || event_add(t->wev, NULL) == -1)
		tsa_fail(t, "cannot connect to %s: out of memory", t->what);
}

static void
tsa_resolved(int result, struct evutil_addrinfo *ai, void *arg)
{
	struct tsa_conn *t = arg;

	if (result == EVUTIL_EAI_CANCEL)
		return;			/* t is being freed */
	t->req = NULL;
	if (result != 0)
		tsa_fail(t, "cannot resolve %s: %s", t->what,
		    evutil_gai_strerror(result));
	else
		tsa_start(t, ai);
	if (ai != NULL)
		evutil_freeaddrinfo(ai);
}

struct tsa_conn *
tsa_connect(struct event_base *base, const struct tsa_url *u,
    unsigned timeout_ms, tsa_conn_cb cb, void *arg)
{
	struct timeval tv = { .tv_sec = timeout_ms / 1000,
		.tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000 };
	struct evutil_addrinfo hints = { .ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM, .ai_protocol = IPPROTO_TCP };
	struct evdns_base *dns = tsa_dns(base);
	struct evdns_getaddrinfo_request *req;
	struct tsa_conn *t;

	if (dns == NULL || (t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->base = base;
	t->fd = -1;
	t->cb = cb;
	t->arg = arg;
	snprintf(t->what, sizeof(t->what), "%s port %s", u->host, u->port);
	if ((t->timer = evtimer_new(base, tsa_timer, t)) == NULL ||
	    evtimer_add(t->timer, &tv) == -1) {
		tsa_conn_cancel(t);
		return NULL;
	}
	/* NULL when it finished at once (tsa_resolved has run). */
	req = evdns_getaddrinfo(dns, u->host, u->port, &hints, tsa_resolved,
	    t);
	if (req != NULL)
		t->req = req;
	return t;
}
