/*
 * accept.c: accepting clients and the queue of those waiting for a
 * session child (admit.h decides whose turn it is): each is identified by
 * the kernel, bounded by LoginGraceTime until its hello is in, then
 * handed to an idle child.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "broker/csignd.h"
#include "broker/pool.h"
#include "common/log.h"
#include "proto/frame.h"
#include "proto/pesign.h"

#define MAX_WAITING 1024    /* accepted clients queued for a child */
#define ACCEPT_BATCH 64	    /* accepts in one go, then other events */
#define ACCEPT_PAUSE_MS 250 /* out of descriptors: no accept so long */
#define LOG_INTERVAL 10	    /* seconds between two lines of one kind */
/* Descriptors: the loop, log, audit, tokens and threads; per session. */
#define FD_BASE 64
#define FD_PER_SESSION 3 /* channel, client, a TSA connection */

static void waiting_event(evutil_socket_t, short, void *);

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

void
server_client_notify(int fd, int via, int status, const char *msg)
{
	uint8_t p[PESIGN_REPLY_MAX];
	size_t n;
	struct buf b;

	if (via == VIA_PESIGN) {
		if ((n = pesign_reply_encode(p, sizeof(p), -1, msg)) > 0)
			(void)send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		return;
	}
	buf_init(&b, FRAME_MAX + 4);
	if (frame_reply_status(&b, status, msg) == 0)
		(void)send(fd, buf_ptr(&b), buf_left(&b),
		    MSG_NOSIGNAL | MSG_DONTWAIT);
	buf_free(&b);
}

/* Refuse a client with one reply in its protocol, then close. */
static void
client_refuse(int fd, int via, int status, const char *msg)
{
	server_client_notify(fd, via, status, msg);
	close(fd);
}

/* Milliseconds since t (CLOCK_MONOTONIC). */
static long
ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000L +
	    (now.tv_nsec - t->tv_nsec) / 1000000L;
}

/* Forget a waiting client whose socket is closed or handed on. */
static void
waiting_free(struct csignd *d, struct waiting *w)
{
	if (w->ready)
		admit_dequeue(&d->admit, w);
	TAILQ_REMOVE(&d->waiting, w, entry);
	d->nwaiting--;
	if (w->ev != NULL)
		event_free(w->ev);
	if (w->timer != NULL)
		event_free(w->timer);
	free(w);
}

/*
 * End a waiting client: with a reply frame if msg is set, silently (it
 * hung up) if not; its uid's reference goes with it.
 */
static void
waiting_drop(struct waiting *w, int status, const char *msg)
{
	struct csignd *d = w->d;
	struct admit_user *u = w->user;

	if (msg != NULL)
		client_refuse(w->fd, w->peer.via, status, msg);
	else
		close(w->fd);
	/* Out of its uid's queue before the uid's record may go. */
	waiting_free(d, w);
	admit_release(&d->admit, u);
}

/*
 * Watch a waiting client until its next deadline: LoginGraceTime from
 * the accept until its hello is in, then SessionLifetime from the accept
 * while it waits for its turn (a bound that is rarely reached).
 */
static void
waiting_watch(struct waiting *w)
{
	const struct config *cfg = w->d->mon.cfg;
	long ms =
	    (w->ready ? cfg->session_lifetime : cfg->login_grace) * 1000L -
	    ms_since(&w->accepted);
	struct timeval tv = { 0 };

	if (ms > 0) {
		tv.tv_sec = ms / 1000;
		tv.tv_usec = ms % 1000 * 1000;
	}
	evtimer_add(w->timer, &tv);
}

/*
 * A pesign client's first message: its 12-byte header (host-order
 * version, command, payload size) and the payload.  A header that is
 * not pesign's, or announces more than any request carries, is the
 * child's to refuse, at once.
 */
static int
pesign_first_in(const uint8_t h[PESIGN_HDR_LEN], int avail)
{
	uint32_t magic, size;

	memcpy(&magic, h, 4);
	memcpy(&size, h + 8, 4);
	return magic != PESIGN_MAGIC || size > PESIGN_PAYLOAD_MAX ||
	    (uint64_t)avail >= PESIGN_HDR_LEN + (uint64_t)size;
}

/*
 * Is the client's first frame (a pesign client's: first message)
 * complete in its socket?  Only its length is looked at, with MSG_PEEK:
 * nothing is consumed or decoded here (the session child reads it and
 * checks that it is a hello).  1 yes, 0 not yet, -1 the client has gone.
 */
static int
waiting_hello_in(int fd, int via)
{
	uint8_t h[PESIGN_HDR_LEN];
	size_t want = via == VIA_PESIGN ? PESIGN_HDR_LEN : 4;
	uint32_t len;
	ssize_t n;
	int avail;

	n = recv(fd, h, want, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0)
		return -1;
	if (n == -1)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR
		    ? 0
		    : -1;
	if (n < (ssize_t)want || ioctl(fd, FIONREAD, &avail) == -1)
		return 0;
	if (via == VIA_PESIGN)
		return pesign_first_in(h, avail);
	len = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
	    (uint32_t)h[2] << 8 | h[3];
	/* A length no frame may have is the child's to refuse, at once. */
	return len > FRAME_MAX || (uint64_t)avail >= 4 + (uint64_t)len;
}

/* The hello is in: wait for a turn, watching only for a hang-up. */
static void
waiting_ready(struct waiting *w)
{
	struct csignd *d = w->d;

	event_del(w->ev);
	event_assign(w->ev, d->base, w->fd, EV_CLOSED | EV_PERSIST,
	    waiting_event, w);
	event_add(w->ev, NULL);
	w->ready = 1;
	admit_enqueue(&d->admit, w);
	waiting_watch(w);
	server_assign_waiting(d);
}

/* A deadline of a waiting client passed (see waiting_watch). */
static void
waiting_timer(evutil_socket_t fd, short what, void *arg)
{
	struct waiting *w = arg;
	const struct config *cfg = w->d->mon.cfg;
	char msg[128];
	unsigned long held;

	(void)fd;
	(void)what;
	if (w->ready)
		snprintf(msg, sizeof(msg),
		    "no free session within "
		    "SessionLifetime (%u s)",
		    cfg->session_lifetime);
	else
		snprintf(msg, sizeof(msg),
		    "no %s within LoginGraceTime "
		    "(%u s)",
		    w->peer.via == VIA_PESIGN ? "complete first "
						"message"
					      : "hello",
		    cfg->login_grace);
	if (loglimit_now(&w->d->log_grace, &held))
		log_info("uid %u (%s): %s; connection closed (%lu more "
			 "since the last such line)",
		    (unsigned)w->peer.uid, w->peer.user, msg, held);
	waiting_drop(w, ST_TIMEOUT, msg);
}

/*
 * A waiting client's socket: it hung up (dropped at once, so that a
 * closed connection neither holds a descriptor nor gets a child), or
 * more of its first frame came in.  The event is edge-triggered: bytes
 * that are only peeked at do not wake the loop again.
 */
static void
waiting_event(evutil_socket_t fd, short what, void *arg)
{
	struct waiting *w = arg;
	int r;

	if (what & EV_CLOSED) {
		waiting_drop(w, 0, NULL);
		return;
	}
	if ((r = waiting_hello_in(fd, w->peer.via)) == -1)
		waiting_drop(w, 0, NULL);
	else if (r == 1)
		waiting_ready(w);
}

void
server_assign_waiting(struct csignd *d)
{
	struct waiting *w;
	struct child *c;

	while (d->admit.nready > 0 && d->nsessions < d->mon.cfg->max_sessions &&
	    (c = pool_take_idle(d)) != NULL) {
		w = admit_next(&d->admit);
		if (pool_start_session(c, w) == -1) {
			/* That child is gone; the client keeps its turn. */
			admit_putback(&d->admit, w);
			continue;
		}
		/* Its socket and its reference now belong to the child. */
		w->ready = 0;
		waiting_free(d, w);
	}
	pool_fill_soon(d);
}

/*
 * End every waiting client, with msg or silently.  Each is taken off the
 * list before it is freed, and the walk starts afresh each time (the
 * analyzer cannot see that through the list macros).
 */
void
server_refuse_waiting(struct csignd *d, const char *msg)
{
	struct waiting *w;

	while ((w = TAILQ_FIRST(&d->waiting)) != NULL)
		// NOLINTNEXTLINE(clang-analyzer-unix.Malloc)
		waiting_drop(w, ST_UNAVAILABLE, msg);
}

void
server_free_waiting(struct csignd *d)
{
	server_refuse_waiting(d, NULL);
}

/* The uid of a connected peer from SO_PEERCRED; -1 if unreadable. */
static int
peer_uid(int fd, uid_t *uid)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1 ||
	    len != sizeof(cr))
		return -1;
	*uid = cr.uid;
	return 0;
}

/*
 * Refuse a client because its uid holds MaxSessionsPerUser connections
 * already, or the daemon cannot take one more; the log line is limited.
 */
static void
server_refuse_busy(struct csignd *d, int fd, int via, uid_t uid, int full)
{
	char msg[128];
	unsigned long held;

	if (full)
		snprintf(msg, sizeof(msg),
		    "too many sessions for uid %u "
		    "(MaxSessionsPerUser %u)",
		    (unsigned)uid, d->mon.cfg->max_sessions_user);
	else
		snprintf(msg, sizeof(msg),
		    "daemon busy: %zu clients are "
		    "waiting",
		    d->nwaiting);
	if (loglimit_now(&d->log_refuse, &held))
		log_warnx("refused a client of uid %u: %s (%lu more refused "
			  "since the last such line)",
		    (unsigned)uid, msg, held);
	client_refuse(fd, via, ST_UNAVAILABLE, msg);
}

/*
 * A client connected on listener via: count it against its uid's share
 * (checked before anything costlier, such as the user's name, is looked
 * up), identify it and let it wait for its hello.  The listener is
 * recorded with the identity: the session, its child and every audit
 * record take it from there.
 */
static void
server_admit(struct csignd *d, int fd, int via)
{
	struct admit_user *u;
	struct waiting *w;
	unsigned long held;
	uid_t uid = 0;
	int full = 0;

	if (d->draining) {
		client_refuse(fd, via, ST_UNAVAILABLE, "daemon shutting down");
		return;
	}
	if (peer_uid(fd, &uid) == -1 || (w = calloc(1, sizeof(*w))) == NULL) {
		log_warn("cannot take a client");
		client_refuse(fd, via, ST_UNAVAILABLE, "daemon busy");
		return;
	}
	if (d->nwaiting >= MAX_WAITING ||
	    (u = admit_hold(&d->admit, uid, d->mon.cfg->max_sessions_user,
		 &full)) == NULL) {
		server_refuse_busy(d, fd, via, uid, full);
		free(w);
		return;
	}
	if (peer_identity(fd, &w->peer) == -1) {
		if (loglimit_now(&d->log_refuse, &held))
			log_warn(
			    "cannot read the credentials of a peer of uid "
			    "%u (%lu more refused since the last such line)",
			    (unsigned)uid, held);
		client_refuse(fd, via, ST_DENIED, "cannot identify the peer");
		admit_release(&d->admit, u);
		free(w);
		return;
	}
	w->peer.via = via;
	w->d = d;
	w->fd = fd;
	w->user = u;
	clock_gettime(CLOCK_MONOTONIC, &w->accepted);
	if ((w->ev = event_new(d->base, fd,
		 EV_READ | EV_ET | EV_CLOSED | EV_PERSIST, waiting_event, w)) ==
		NULL ||
	    (w->timer = evtimer_new(d->base, waiting_timer, w)) == NULL)
		fatalx("event_new");
	TAILQ_INSERT_TAIL(&d->waiting, w, entry);
	d->nwaiting++;
	event_add(w->ev, NULL);
	waiting_watch(w);
}

/* Out of descriptors or memory: time has passed, accept again. */
static void
accept_resume(evutil_socket_t fd, short what, void *arg)
{
	struct csignd *d = arg;

	(void)fd;
	(void)what;
	if (!d->draining && d->listen_fd != -1)
		event_add(d->ev_listen, NULL);
	if (!d->draining && d->ev_pesign != NULL && d->pesign_fd != -1)
		event_add(d->ev_pesign, NULL);
}

/*
 * accept() failed for want of descriptors or memory.  The connection
 * stays in the backlog and the socket stays readable, so accepting again
 * at once would spin: stop listening for ACCEPT_PAUSE_MS instead, and
 * say so at most once per LOG_INTERVAL.
 */
static void
server_accept_pause(struct csignd *d, int err)
{
	struct timeval tv = { .tv_usec = ACCEPT_PAUSE_MS * 1000L };
	struct rlimit rl = { 0, 0 };
	unsigned long held;

	event_del(d->ev_listen);
	if (d->ev_pesign != NULL)
		event_del(d->ev_pesign);
	evtimer_add(d->ev_resume, &tv);
	if (!loglimit_now(&d->log_accept, &held))
		return;
	(void)getrlimit(RLIMIT_NOFILE, &rl);
	log_warnx(
	    "accept: %s (RLIMIT_NOFILE %llu, %zu clients waiting, "
	    "%zu sessions): not accepting for %d ms (%lu more times since "
	    "the last such line)",
	    strerror(err), (unsigned long long)rl.rlim_cur, d->nwaiting,
	    d->nsessions, ACCEPT_PAUSE_MS, held);
}

/* accept() failed with err: pause, or note it (limited), or nothing. */
static void
server_accept_failed(struct csignd *d, int err)
{
	unsigned long held;

	if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM)
		server_accept_pause(d, err);
	else if (err != EAGAIN && err != EWOULDBLOCK && err != EINTR &&
	    err != ECONNABORTED && loglimit_now(&d->log_accept, &held))
		log_warnx("accept: %s (%lu more failures since the last such "
			  "line)",
		    strerror(err), held);
}

/* Clients connected: take up to ACCEPT_BATCH, then let others run. */
static void
accept_batch(struct csignd *d, int lfd, int via)
{
	int fd, n;

	for (n = 0; n < ACCEPT_BATCH; n++) {
		if ((fd = accept4(lfd, NULL, NULL,
			 SOCK_CLOEXEC | SOCK_NONBLOCK)) == -1) {
			server_accept_failed(d, errno);
			break;
		}
		server_admit(d, fd, via);
	}
	server_assign_waiting(d);
}

/* Listen: csign-client's protocol. */
static void
accept_clients(evutil_socket_t lfd, short what, void *arg)
{
	(void)what;
	accept_batch(arg, lfd, VIA_CLIENT);
}

/* PesignListen: pesign-client's protocol. */
static void
accept_pesign(evutil_socket_t lfd, short what, void *arg)
{
	(void)what;
	accept_batch(arg, lfd, VIA_PESIGN);
}

/* What the limits may need at most, in descriptors. */
static rlim_t
server_fd_need(const struct config *cfg)
{
	return FD_BASE + (rlim_t)FD_PER_SESSION * cfg->max_sessions +
	    cfg->pool_size + MAX_WAITING;
}

void
server_fd_limit(struct csignd *d)
{
	struct rlimit rl;
	rlim_t need = server_fd_need(d->mon.cfg);

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("getrlimit(RLIMIT_NOFILE)");
		return;
	}
	if (rl.rlim_cur < rl.rlim_max && rl.rlim_max != RLIM_INFINITY) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
			log_warn("setrlimit(RLIMIT_NOFILE, %llu)",
			    (unsigned long long)rl.rlim_max);
			(void)getrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need)
		log_warnx(
		    "WARNING: RLIMIT_NOFILE is %llu (hard limit %llu), "
		    "below the %llu descriptors that MaxSessions %u, PoolSize "
		    "%u and %u waiting clients may need: raise LimitNOFILE= "
		    "(csignd.service) or lower MaxSessions; once descriptors "
		    "run out, new clients wait in the listen backlog",
		    (unsigned long long)rl.rlim_cur,
		    (unsigned long long)rl.rlim_max, (unsigned long long)need,
		    d->mon.cfg->max_sessions, d->mon.cfg->pool_size,
		    MAX_WAITING);
	else
		log_debug("descriptors: RLIMIT_NOFILE %llu, the limits may "
			  "need %llu",
		    (unsigned long long)rl.rlim_cur, (unsigned long long)need);
}

void
server_accept_start(struct csignd *d)
{
	d->ev_listen = event_new(d->base, d->listen_fd, EV_READ | EV_PERSIST,
	    accept_clients, d);
	d->ev_resume = evtimer_new(d->base, accept_resume, d);
	if (d->ev_listen == NULL || d->ev_resume == NULL)
		fatalx("event_new");
	if (d->pesign_fd != -1 &&
	    (d->ev_pesign = event_new(d->base, d->pesign_fd,
		 EV_READ | EV_PERSIST, accept_pesign, d)) == NULL)
		fatalx("event_new");
	if (!(event_base_get_features(d->base) & EV_FEATURE_EARLY_CLOSE))
		log_warnx("libevent backend %s cannot see hang-ups early: "
			  "waiting clients that leave are noticed late",
		    event_base_get_method(d->base));
	admit_init(&d->admit);
	d->log_accept = (struct loglimit)LOGLIMIT_INIT(LOG_INTERVAL);
	d->log_refuse = (struct loglimit)LOGLIMIT_INIT(LOG_INTERVAL);
	d->log_grace = (struct loglimit)LOGLIMIT_INIT(LOG_INTERVAL);
	event_add(d->ev_listen, NULL);
	if (d->ev_pesign != NULL)
		event_add(d->ev_pesign, NULL);
}
