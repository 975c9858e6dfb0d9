/*
 * tsaconn.c: connecting to a TSA for a session child (see tsaconn.h).
 *
 * The outcome is never reported from inside tsa_connect() (an address
 * may refuse at once): it is recorded and delivered by the timer,
 * re-armed to fire at once.  The caller's callback therefore always runs
 * from the event loop.
 *
 * A lookup process is killed by its pid only while it is still this
 * process's child (running, or a zombie not yet reaped): the daemon's
 * SIGCHLD handler reaps every child it sees (broker/pool.c), after which
 * the pid may belong to someone else.  Reaping runs from the event loop
 * only, like this code, so nothing is reaped between the check and the
 * kill.  (A pidfd would do the same, but valgrind, which the tests use,
 * does not know pidfd_open.)
 */
#include "monitor/tsaconn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/spawn.h"
#include "proto/io.h"
#include "proto/resolve.h"

#define LOOKUP_FD 3 /* the lookup process's channel */

struct tsa_conn {
	struct event_base *base;
	struct event *timer;	    /* the deadline, then the delivery */
	struct event *lev;	    /* the lookup's answer is readable */
	struct event *wev;	    /* the socket is writable */
	int lookup_fd;		    /* our end of the lookup's channel */
	pid_t pid;		    /* the lookup process, or 0 */
	int resolving;		    /* no addresses yet */
	struct resolve_reply addrs; /* where to connect, in order */
	size_t next;		    /* the next address to try */
	uint16_t port;
	int fd;	  /* the socket being connected */
	int done; /* outcome recorded, not delivered */
	char err[TSA_HOST_MAX + 128];
	char what[TSA_HOST_MAX + 16]; /* "host port N", for messages */
	tsa_conn_cb cb;
	void *arg;
};

/* Is pid still this process's child, not reaped (so not reused)? */
static int
lookup_is_child(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0;
}

/* Kill the lookup process (if any) and close its channel. */
static void
tsa_lookup_stop(struct tsa_conn *t)
{
	if (t->lev != NULL)
		event_free(t->lev);
	t->lev = NULL;
	if (t->lookup_fd != -1)
		close(t->lookup_fd);
	t->lookup_fd = -1;
	if (t->pid > 0 && lookup_is_child(t->pid))
		kill(t->pid, SIGKILL);
	t->pid = 0;
}

void
tsa_conn_cancel(struct tsa_conn *t)
{
	if (t == NULL)
		return;
	tsa_lookup_stop(t);
	if (t->wev != NULL)
		event_free(t->wev);
	if (t->timer != NULL)
		event_free(t->timer);
	if (t->fd != -1)
		close(t->fd);
	free(t);
}

/* Record the outcome for delivery: an error (fmt), or the connection. */
static void __attribute__((format(printf, 2, 3)))
tsa_fail(struct tsa_conn *t, const char *fmt, ...)
{
	struct timeval now = { 0, 0 };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->err, sizeof(t->err), fmt, ap);
	va_end(ap);
	tsa_lookup_stop(t);
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
		snprintf(t->err, sizeof(t->err), "cannot %s %s: timed out",
		    t->resolving ? "resolve" : "connect to", t->what);
	else if (t->fd != -1)
		t->err[0] = '\0';
	fd = t->done ? t->fd : -1;
	if (fd != -1)
		t->fd = -1; /* now the caller's */
	memcpy(err, t->err, sizeof(err));
	tsa_conn_cancel(t);
	cb(fd, fd == -1 ? err : NULL, cbarg);
}

/* Address number i of t as a socket address with t's port. */
static socklen_t
tsa_sockaddr(const struct tsa_conn *t, size_t i, struct sockaddr_storage *ss)
{
	const struct resolve_addr *a = &t->addrs.a[i];
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (a->family == 4) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(t->port);
		memcpy(&s4->sin_addr, a->addr, 4);
		return sizeof(*s4);
	}
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(t->port);
	memcpy(&s6->sin6_addr, a->addr, 16);
	return sizeof(*s6);
}

static void tsa_writable(evutil_socket_t, short, void *);

/*
 * Start a non-blocking connect to the next address that does not refuse
 * at once; when none is left, fail with the last address's error.
 */
static void
tsa_try_next(struct tsa_conn *t, int lasterr)
{
	struct sockaddr_storage ss;
	socklen_t len;

	while (t->next < t->addrs.count) {
		len = tsa_sockaddr(t, t->next++, &ss);
		if ((t->fd = socket(ss.ss_family,
			 SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) ==
		    -1) {
			lasterr = errno;
			continue;
		}
		if (connect(t->fd, (struct sockaddr *)&ss, len) == 0) {
			tsa_connected(t);
			return;
		}
		if (errno == EINPROGRESS) {
			if ((t->wev = event_new(t->base, t->fd, EV_WRITE,
				 tsa_writable, t)) == NULL ||
			    event_add(t->wev, NULL) == -1)
				tsa_fail(t,
				    "cannot connect to %s: out of "
				    "memory",
				    t->what);
			return;
		}
		lasterr = errno;
		close(t->fd);
		t->fd = -1;
	}
	tsa_fail(t, "cannot connect to %s: %s", t->what, strerror(lasterr));
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
	if (err == 0) {
		tsa_connected(t);
		return;
	}
	event_free(t->wev);
	t->wev = NULL;
	close(t->fd);
	t->fd = -1;
	tsa_try_next(t, err);
}

/*
 * The lookup process answered or hung up.  Its answer is one datagram of
 * exactly RESOLVE_REPLY_LEN bytes with no descriptor, every field valid;
 * anything else is refused and the process killed.
 */
static void
tsa_lookup_readable(evutil_socket_t fd, short what, void *arg)
{
	struct tsa_conn *t = arg;
	struct buf b;
	int r, passed = -1, ok;

	(void)what;
	buf_init(&b, RESOLVE_REPLY_LEN);
	if ((r = io_recv_msg(fd, &b, &passed)) == -1 && errno == EAGAIN) {
		buf_free(&b);
		return;
	}
	if (passed != -1)
		close(passed);
	ok = r == 1 && passed == -1 && resolve_dec(&b, &t->addrs) == 0;
	buf_free(&b);
	tsa_lookup_stop(t);
	if (!ok) {
		tsa_fail(t, "cannot resolve %s: the lookup process %s", t->what,
		    r == 0 ? "ended without an answer"
			   : "sent a malformed answer");
		return;
	}
	if (t->addrs.status != RES_OK) {
		tsa_fail(t, "cannot resolve %s: %s", t->what,
		    resolve_status_text(t->addrs.status));
		return;
	}
	t->resolving = 0;
	tsa_try_next(t, ECONNREFUSED);
}

/* What the lookup process needs before its exec. */
struct lookup_start {
	const char *program;
	int chan;
	char *const *argv;
};

/*
 * In the child, before exec (spawn_vfork(): system calls only).  The
 * channel becomes fd 3, stdin, stdout and stderr /dev/null.
 */
static void
tsa_lookup_exec(void *arg)
{
	const struct lookup_start *ls = arg;
	int null;

	if ((null = open("/dev/null", O_RDWR)) == -1 ||
	    (ls->chan == LOOKUP_FD ? fcntl(ls->chan, F_SETFD, 0)
				   : dup2(ls->chan, LOOKUP_FD)) == -1 ||
	    dup2(null, 0) == -1 || dup2(null, 1) == -1 || dup2(null, 2) == -1)
		_exit(126);
	execv(ls->program, ls->argv);
	_exit(127);
}

/* Start the lookup process for host: 0, or -1 with errno set. */
static int
tsa_lookup_start(struct tsa_conn *t, const struct tsa_lookup *lk,
    const char *host)
{
	char uid[24], gid[24];
	char *argv[8];
	struct lookup_start ls;
	int i = 0, sv[2], e;
	pid_t pid;

	argv[i++] = "csign-sandbox";
	if (lk->separate) {
		snprintf(uid, sizeof(uid), "%u", (unsigned)lk->uid);
		snprintf(gid, sizeof(gid), "%u", (unsigned)lk->gid);
		argv[i++] = "-u";
		argv[i++] = uid;
		argv[i++] = "-g";
		argv[i++] = gid;
	} else
		argv[i++] = "-U";
	argv[i++] = "-R";
	argv[i++] = (char *)host;
	argv[i] = NULL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	ls = (struct lookup_start){ lk->program, sv[1], argv };
	if ((pid = spawn_vfork(tsa_lookup_exec, &ls)) == -1) {
		e = errno;
		close(sv[0]);
		close(sv[1]);
		errno = e;
		return -1;
	}
	close(sv[1]);
	t->lookup_fd = sv[0];
	t->pid = pid;
	if (fcntl(t->lookup_fd, F_SETFL, O_NONBLOCK) == -1 ||
	    (t->lev = event_new(t->base, t->lookup_fd, EV_READ | EV_PERSIST,
		 tsa_lookup_readable, t)) == NULL ||
	    event_add(t->lev, NULL) == -1)
		return -1;
	return 0;
}

/* An address written in the URL: used as it is, no lookup. */
static int
tsa_numeric(struct tsa_conn *t, const char *host)
{
	struct resolve_addr *a = &t->addrs.a[0];

	if (inet_pton(AF_INET, host, a->addr) == 1)
		a->family = 4;
	else if (inet_pton(AF_INET6, host, a->addr) == 1)
		a->family = 6;
	else
		return 0;
	t->addrs.status = RES_OK;
	t->addrs.count = 1;
	return 1;
}

struct tsa_conn *
tsa_connect(struct event_base *base, const struct tsa_lookup *lk,
    const struct tsa_url *u, unsigned timeout_ms, tsa_conn_cb cb, void *arg)
{
	struct timeval tv = { .tv_sec = timeout_ms / 1000,
		.tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000 };
	struct tsa_conn *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->base = base;
	t->fd = t->lookup_fd = -1;
	t->cb = cb;
	t->arg = arg;
	t->port = (uint16_t)strtoul(u->port, NULL, 10); /* tsaurl checked */
	snprintf(t->what, sizeof(t->what), "%s port %s", u->host, u->port);
	if ((t->timer = evtimer_new(base, tsa_timer, t)) == NULL ||
	    evtimer_add(t->timer, &tv) == -1) {
		tsa_conn_cancel(t);
		return NULL;
	}
	if (tsa_numeric(t, u->host))
		tsa_try_next(t, ECONNREFUSED);
	else {
		t->resolving = 1;
		if (tsa_lookup_start(t, lk, u->host) == -1)
			tsa_fail(t,
			    "cannot resolve %s: cannot start the "
			    "lookup process: %s",
			    t->what, strerror(errno));
	}
	return t;
}
