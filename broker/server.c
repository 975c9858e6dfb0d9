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
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "broker/csignd.h"
#include "records/filetrust.h"
#include "broker/pidfile.h"
#include "broker/pool.h"
#include "broker/systemd.h"
#include "common/log.h"
#include "monitor/held.h"
#include "monitor/monitor.h"
#include "monitor/timestamp.h"
#include "proto/frame.h"

#define MAX_WAITING 1024	/* accepted clients queued for a child */
#define DRAIN_SECONDS 10	/* SIGTERM: time left to in-flight work */
#define ACCEPT_BATCH 64		/* accepts in one go, then other events */
#define ACCEPT_PAUSE_MS 250	/* out of descriptors: no accept so long */
#define LOG_INTERVAL 10		/* seconds between two lines of one kind */
/* Descriptors: the loop, log, audit, tokens and threads; per session. */
#define FD_BASE 64
#define FD_PER_SESSION 3	/* channel, client, a TSA connection */

static void waiting_event(evutil_socket_t, short, void *);

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

/* Listen's address into sun; -1 with err set if the path is too long. */
static int
listen_addr(const char *path, struct sockaddr_un *sun, char *err,
    size_t errlen)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		snprintf(err, errlen, "Listen %s: path too long", path);
		return -1;
	}
	memcpy(sun->sun_path, path, strlen(path) + 1);
	return 0;
}

/* The pid of the process that listens on connected socket fd, or 0. */
static long
listen_peer_pid(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1 ||
	    len != sizeof(cr))
		return 0;
	return cr.pid;
}

/*
 * Does a daemon answer on the socket at sun?  A connection that is taken,
 * or waits in a full backlog, says yes (*pid: the listener's, from the
 * kernel, when the connection was made); ECONNREFUSED says the socket is
 * left over from a daemon that is gone.
 */
static enum listen_probe
listen_connect(const struct sockaddr_un *sun, long *pid, char *err,
    size_t errlen)
{
	int fd, r, e;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return LISTEN_ERROR;
	}
	r = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	e = errno;
	if (r == 0)
		*pid = listen_peer_pid(fd);
	close(fd);
	if (r == 0 || e == EAGAIN || e == EINPROGRESS)
		return LISTEN_LIVE;
	if (e == ECONNREFUSED)
		return LISTEN_STALE;
	snprintf(err, errlen, "Listen %s: cannot tell whether a daemon serves "
	    "there: %s", sun->sun_path, strerror(e));
	return LISTEN_ERROR;
}

enum listen_probe
server_listen_probe(const char *path, long *pid, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;

	*pid = 0;
	if (listen_addr(path, &sun, err, errlen) == -1)
		return LISTEN_ERROR;
	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return LISTEN_FREE;
		snprintf(err, errlen, "Listen %s: %s", path, strerror(errno));
		return LISTEN_ERROR;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "Listen %s: exists and is not a socket: "
		    "refusing to remove it", path);
		return LISTEN_ERROR;
	}
	return listen_connect(&sun, pid, err, errlen);
}

/* The command name of process pid ("csignd"), or "" if unknown. */
static void
proc_comm(long pid, char *dst, size_t len)
{
	char path[64];
	FILE *f;

	dst[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	if ((f = fopen(path, "re")) == NULL)
		return;
	if (fgets(dst, (int)len, f) == NULL)
		dst[0] = '\0';
	dst[strcspn(dst, "\n")] = '\0';
	fclose(f);
}

void
server_listen_live_text(const struct config *cfg, long pid, char *err,
    size_t errlen)
{
	char comm[32];

	if (pid <= 0 && cfg->pid_file != NULL)
		pid = pidfile_holder(cfg->pid_file);
	if (pid <= 0) {
		snprintf(err, errlen, "Listen %s: another daemon is serving on "
		    "this socket: not starting a second one", cfg->listen);
		return;
	}
	proc_comm(pid, comm, sizeof(comm));
	log_text_safe(comm);
	snprintf(err, errlen, "Listen %s: another %s (pid %ld) is serving on "
	    "this socket: not starting a second one", cfg->listen,
	    comm[0] != '\0' ? comm : "process", pid);
}

int
server_listen_check(const struct config *cfg, char *err, size_t errlen)
{
	long pid;

	switch (server_listen_probe(cfg->listen, &pid, err, errlen)) {
	case LISTEN_LIVE:
		server_listen_live_text(cfg, pid, err, errlen);
		return -1;
	case LISTEN_ERROR:
		return -1;
	default:
		return 0;
	}
}

/*
 * Remove a socket left over from a daemon that is gone, never one that
 * answers: removing a live socket would cut its daemon off from every
 * client while it kept running.
 */
static int
server_listen_clear(struct csignd *d, char *err, size_t errlen)
{
	const char *path = d->cfg->listen;

	if (server_listen_check(d->cfg, err, errlen) == -1)
		return -1;
	if (unlink(path) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "Listen %s: cannot remove the old "
		    "socket: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Remember which file the socket is, to remove only that one at exit. */
static int
server_listen_own(struct csignd *d, const char *path, char *err,
    size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) == -1) {
		snprintf(err, errlen, "Listen %s: %s", path, strerror(errno));
		return -1;
	}
	d->listen_dev = st.st_dev;
	d->listen_ino = st.st_ino;
	if ((d->listen_path = strdup(path)) == NULL ||
	    (d->listen_name = strdup(path)) == NULL)
		fatal("strdup");
	return 0;
}

/* Create, bind and listen on Listen (no socket activation). */
static int
server_listen_bind(struct csignd *d, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	const char *path = d->cfg->listen;
	mode_t old;

	if (listen_addr(path, &sun, err, errlen) == -1 ||
	    server_listen_clear(d, err, errlen) == -1)
		return -1;
	if ((d->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* Any local user may connect; the policy decides what they get. */
	old = umask(0111);
	if (bind(d->listen_fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		snprintf(err, errlen, "Listen %s: %s", path, strerror(errno));
		return -1;
	}
	umask(old);
	if (server_listen_own(d, path, err, errlen) == -1)
		return -1;
	if (listen(d->listen_fd, 128) == -1) {
		snprintf(err, errlen, "Listen %s: %s", path, strerror(errno));
		return -1;
	}
	log_info("listening on %s (bound by csignd)", path);
	return 0;
}

void
server_unlink_socket(struct csignd *d)
{
	struct stat st;

	/* Only a socket we bound: systemd's stays for the next start. */
	if (d->listen_path == NULL)
		return;
	/* Removed and bound again by someone else: theirs now. */
	if (lstat(d->listen_path, &st) == 0 && st.st_dev == d->listen_dev &&
	    st.st_ino == d->listen_ino)
		(void)unlink(d->listen_path);
	free(d->listen_path);
	d->listen_path = NULL;
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
		client_refuse(w->fd, status, msg);
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
	const struct config *cfg = w->d->cfg;
	long ms = (w->ready ? cfg->session_lifetime : cfg->login_grace) *
	    1000L - ms_since(&w->accepted);
	struct timeval tv = { 0 };

	if (ms > 0) {
		tv.tv_sec = ms / 1000;
		tv.tv_usec = ms % 1000 * 1000;
	}
	evtimer_add(w->timer, &tv);
}

/*
 * Is the client's first frame complete in its socket?  Only the frame's
 * length is looked at, with MSG_PEEK: nothing is consumed or decoded
 * here (the session child reads the frame and checks that it is a
 * hello).  1 yes, 0 not yet, -1 the client has gone.
 */
static int
waiting_hello_in(int fd)
{
	uint8_t h[4];
	uint32_t len;
	ssize_t n;
	int avail;

	n = recv(fd, h, sizeof(h), MSG_PEEK | MSG_DONTWAIT);
	if (n == 0)
		return -1;
	if (n == -1)
		return errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR ? 0 : -1;
	if (n < (ssize_t)sizeof(h) || ioctl(fd, FIONREAD, &avail) == -1)
		return 0;
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
	const struct config *cfg = w->d->cfg;
	char msg[128];
	unsigned long held;

	(void)fd;
	(void)what;
	if (w->ready)
		snprintf(msg, sizeof(msg), "no free session within "
		    "SessionLifetime (%u s)", cfg->session_lifetime);
	else
		snprintf(msg, sizeof(msg), "no hello within LoginGraceTime "
		    "(%u s)", cfg->login_grace);
	if (loglimit_now(&w->d->log_grace, &held))
		log_info("uid %u (%s): %s; connection closed (%lu more "
		    "since the last such line)", (unsigned)w->peer.uid,
		    w->peer.user, msg, held);
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
	if ((r = waiting_hello_in(fd)) == -1)
		waiting_drop(w, 0, NULL);
	else if (r == 1)
		waiting_ready(w);
}

void
server_assign_waiting(struct csignd *d)
{
	struct waiting *w;
	struct child *c;

	while (d->admit.nready > 0 && d->nsessions < d->cfg->max_sessions &&
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
	pool_fill(d);
}

/*
 * End every waiting client, with msg or silently.  Each is taken off the
 * list before it is freed, and the walk starts afresh each time (the
 * analyzer cannot see that through the list macros).
 */
static void
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
server_refuse_busy(struct csignd *d, int fd, uid_t uid, int full)
{
	char msg[128];
	unsigned long held;

	if (full)
		snprintf(msg, sizeof(msg), "too many sessions for uid %u "
		    "(MaxSessionsPerUser %u)", (unsigned)uid,
		    d->cfg->max_sessions_user);
	else
		snprintf(msg, sizeof(msg), "daemon busy: %zu clients are "
		    "waiting", d->nwaiting);
	if (loglimit_now(&d->log_refuse, &held))
		log_warnx("refused a client of uid %u: %s (%lu more refused "
		    "since the last such line)", (unsigned)uid, msg, held);
	client_refuse(fd, ST_UNAVAILABLE, msg);
}

/*
 * A client connected: count it against its uid's share (checked before
 * anything costlier, such as the user's name, is looked up), identify
 * it and let it wait for its hello.
 */
static void
server_admit(struct csignd *d, int fd)
{
	struct admit_user *u;
	struct waiting *w;
	unsigned long held;
	uid_t uid = 0;
	int full = 0;

	if (d->draining) {
		client_refuse(fd, ST_UNAVAILABLE, "daemon shutting down");
		return;
	}
	if (peer_uid(fd, &uid) == -1 || (w = calloc(1, sizeof(*w))) == NULL) {
		log_warn("cannot take a client");
		client_refuse(fd, ST_UNAVAILABLE, "daemon busy");
		return;
	}
	if (d->nwaiting >= MAX_WAITING || (u = admit_hold(&d->admit, uid,
	    d->cfg->max_sessions_user, &full)) == NULL) {
		server_refuse_busy(d, fd, uid, full);
		free(w);
		return;
	}
	if (peer_identity(fd, &w->peer) == -1) {
		if (loglimit_now(&d->log_refuse, &held))
			log_warn("cannot read the credentials of a peer of uid "
			    "%u (%lu more refused since the last such line)",
			    (unsigned)uid, held);
		client_refuse(fd, ST_DENIED, "cannot identify the peer");
		admit_release(&d->admit, u);
		free(w);
		return;
	}
	w->d = d;
	w->fd = fd;
	w->user = u;
	clock_gettime(CLOCK_MONOTONIC, &w->accepted);
	if ((w->ev = event_new(d->base, fd, EV_READ | EV_ET | EV_CLOSED |
	    EV_PERSIST, waiting_event, w)) == NULL ||
	    (w->timer = evtimer_new(d->base, waiting_timer, w)) == NULL)
		fatalx("event_new");
	TAILQ_INSERT_TAIL(&d->waiting, w, entry);
	d->nwaiting++;
	event_add(w->ev, NULL);
	waiting_watch(w);
}

/* Out of descriptors or memory: time has passed, accept again. */
static void
server_accept_resume(evutil_socket_t fd, short what, void *arg)
{
	struct csignd *d = arg;

	(void)fd;
	(void)what;
	if (!d->draining && d->listen_fd != -1)
		event_add(d->ev_listen, NULL);
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
	evtimer_add(d->ev_resume, &tv);
	if (!loglimit_now(&d->log_accept, &held))
		return;
	(void)getrlimit(RLIMIT_NOFILE, &rl);
	log_warnx("accept: %s (RLIMIT_NOFILE %llu, %zu clients waiting, "
	    "%zu sessions): not accepting for %d ms (%lu more times since "
	    "the last such line)", strerror(err),
	    (unsigned long long)rl.rlim_cur, d->nwaiting, d->nsessions,
	    ACCEPT_PAUSE_MS, held);
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
		    "line)", strerror(err), held);
}

/* Clients connected: take up to ACCEPT_BATCH, then let others run. */
static void
server_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct csignd *d = arg;
	int fd, n;

	(void)what;
	for (n = 0; n < ACCEPT_BATCH; n++) {
		if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC |
		    SOCK_NONBLOCK)) == -1) {
			server_accept_failed(d, errno);
			break;
		}
		server_admit(d, fd);
	}
	server_assign_waiting(d);
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
	rlim_t need = server_fd_need(d->cfg);

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
		log_warnx("WARNING: RLIMIT_NOFILE is %llu (hard limit %llu), "
		    "below the %llu descriptors that MaxSessions %u, PoolSize "
		    "%u and %u waiting clients may need: raise LimitNOFILE= "
		    "(csignd.service) or lower MaxSessions; once descriptors "
		    "run out, new clients wait in the listen backlog",
		    (unsigned long long)rl.rlim_cur,
		    (unsigned long long)rl.rlim_max, (unsigned long long)need,
		    d->cfg->max_sessions, d->cfg->pool_size, MAX_WAITING);
	else
		log_debug("descriptors: RLIMIT_NOFILE %llu, the limits may "
		    "need %llu", (unsigned long long)rl.rlim_cur,
		    (unsigned long long)need);
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

/*
 * A reload was refused: keep the running config, and say why in the log,
 * the audit trail and "csign-client status" (server_reload_text).
 */
static void
server_reload_refused(struct csignd *d, const char *err)
{
	log_warnx("reload failed, keeping the running config: %s", err);
	server_audit_event(d, "reload", "error", err);
	d->reloads_failed++;
	d->reload_failed = 1;
	d->reload_at = time(NULL);
	snprintf(d->reload_reason, sizeof(d->reload_reason), "%s", err);
}

/* The new config n, read and checked; its certificates staged in *certs. */
static int
server_reload_check(struct csignd *d, struct config *n,
    struct token_certs **certs, char *err, size_t errlen)
{
	if (filetrust_config(n, geteuid(), err, errlen) == -1 ||
	    tokens_check_config(d->tokens, n, err, errlen) == -1 ||
	    ts_anchors_check(n, err, errlen) == -1)
		return -1;
	*certs = tokens_certs_load(d->tokens, n, err, errlen);
	return *certs == NULL ? -1 : 0;
}

/* SIGHUP: load the config again; keep the old one if the new is bad. */
static void
server_reload_config(struct csignd *d)
{
	char err[CONFIG_ERR_MAX];
	struct token_certs *certs = NULL;
	struct config *n;
	size_t changed;

	d->reloads++;
	if ((n = config_load(d->cfgpath, err, sizeof(err))) == NULL ||
	    server_reload_check(d, n, &certs, err, sizeof(err)) == -1) {
		server_reload_refused(d, err);
		config_free(n);
		return;
	}
	/*
	 * The sandbox program stays the file opened at start, as sshd
	 * keeps its own binary until it is restarted: a reload never
	 * changes the code that children run.
	 */
	if (strcmp(n->listen, d->cfg->listen) != 0 ||
	    strcmp(n->audit_log, d->cfg->audit_log) != 0 ||
	    strcmp(n->sandbox_user, d->cfg->sandbox_user) != 0 ||
	    strcmp(n->sandbox_program, d->cfg->sandbox_program) != 0 ||
	    (n->pid_file == NULL) != (d->cfg->pid_file == NULL) ||
	    (n->pid_file != NULL && strcmp(n->pid_file, d->cfg->pid_file) != 0))
		log_warnx("reload: Listen, PidFile, AuditLog, SandboxUser and "
		    "SandboxProgram changes take effect at the next restart");
	changed = tokens_certs_apply(d->tokens, certs);
	config_free(d->cfg);
	d->cfg = n;
	d->reload_failed = 0;
	d->reload_at = time(NULL);
	log_info("configuration reloaded from %s (%zu certificate%s changed)",
	    d->cfgpath, changed, changed == 1 ? "" : "s");
	server_fd_limit(d);
	server_audit_event(d, "reload", "ok", NULL);
	pool_fill(d);
}

void
server_reload_text(const struct csignd *d, char *dst, size_t len)
{
	char when[21];

	if (d->reloads == 0) {
		snprintf(dst, len, "none since the start");
		return;
	}
	token_time_str(d->reload_at, when);
	if (d->reload_failed)
		snprintf(dst, len, "failed at %s (%lu of %lu reloads failed; "
		    "the configuration before it still runs): %s", when,
		    d->reloads_failed, d->reloads, d->reload_reason);
	else
		snprintf(dst, len, "ok at %s (%lu of %lu reloads failed)",
		    when, d->reloads_failed, d->reloads);
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
	server_refuse_waiting(d, "daemon shutting down");
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
	d->ev_resume = evtimer_new(d->base, server_accept_resume, d);
	if (d->ev_tick == NULL || d->ev_resume == NULL)
		fatalx("event_new");
	if (!(event_base_get_features(d->base) & EV_FEATURE_EARLY_CLOSE))
		log_warnx("libevent backend %s cannot see hang-ups early: "
		    "waiting clients that leave are noticed late",
		    event_base_get_method(d->base));
	admit_init(&d->admit);
	d->log_accept = (struct loglimit)LOGLIMIT_INIT(LOG_INTERVAL);
	d->log_refuse = (struct loglimit)LOGLIMIT_INIT(LOG_INTERVAL);
	d->log_grace = (struct loglimit)LOGLIMIT_INIT(LOG_INTERVAL);
	d->log_spawn = (struct loglimit)LOGLIMIT_INIT(LOG_INTERVAL);
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
