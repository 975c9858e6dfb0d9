/* pool.c: spawning, deadlines and reaping of session children. */
#include "broker/pool.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/spawn.h"
#include "monitor/monitor.h"
#include "proto/frame.h"
#include "proto/io.h"
#include "proto/msg.h"

#define CHILD_FD 3 /* the channel's number in the child */
/*
 * The nice value of a spare: a child started while another is ready
 * starts at this lower priority, so that its exec, library loading and
 * OpenSSL set-up (several ms of CPU) yield to the sessions being served;
 * the monitor gives it back priority 0 when a client is handed to it.
 */
#define SPARE_NICE 10

extern char **environ;

static void child_tell_client(struct child *, int, const char *);

/*
 * The session's lifetime is over: whatever it is doing, it ends.  The
 * child is killed before its client is told, so that the reply cannot
 * land in the middle of a frame the child was writing.
 */
static void
child_lifetime_end(struct child *c)
{
	char msg[96];

	(void)kill(c->ms.pid, SIGKILL);
	snprintf(msg, sizeof(msg),
	    "session ended: SessionLifetime (%u s) "
	    "reached",
	    c->lifetime);
	child_tell_client(c, ST_TIMEOUT, msg);
	pool_kill(c, msg + strlen("session ended: "));
}

/*
 * Deadline expired: the child took too long in its current state.  Its
 * client hears "timeout" (the client's exit code for it), not an internal
 * error: a session that made no progress for SessionTimeout is over.
 */
static void
child_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct child *c = arg;
	char why[64];

	(void)fd;
	(void)what;
	if (c->at_lifetime) {
		child_lifetime_end(c);
		return;
	}
	snprintf(why, sizeof(why), "deadline passed in state %s",
	    mon_state_name(c->ms.state));
	if (c->ms.state == CH_SESSION)
		child_tell_client(c, ST_TIMEOUT,
		    "session timed out: no "
		    "progress within SessionTimeout");
	pool_kill(c, why);
}

/* Milliseconds left of c's session lifetime; -1 if it has none. */
static long
child_lifetime_left(const struct child *c)
{
	struct timespec now;
	long ms;

	if (c->lifetime == 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (c->expires.tv_sec - now.tv_sec) * 1000L +
	    (c->expires.tv_nsec - now.tv_nsec) / 1000000L;
	return ms > 0 ? ms : 0;
}

void
pool_deadline(struct child *c, unsigned seconds)
{
	long left = child_lifetime_left(c), ms = (long)seconds * 1000L;
	struct timeval tv;

	c->at_lifetime = left >= 0 && (seconds == 0 || left <= ms);
	if (c->at_lifetime)
		ms = left;
	else if (seconds == 0) {
		evtimer_del(c->timer);
		return;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = ms % 1000 * 1000;
	evtimer_add(c->timer, &tv);
}

/* What a new child needs before its exec. */
struct child_start {
	const struct csignd *d;
	int chan, spare;
	char *const *argv;
};

/*
 * In the child, before exec (spawn_vfork(): system calls only, and no
 * new descriptor: the monitor may have run out of them, and the child
 * must not fail then).  The channel becomes fd 3; stdin, stdout and
 * stderr are the monitor's /dev/null (the child logs through its channel,
 * and must not write into the daemon's log or terminal; spawn_vfork()
 * has cleared the signal mask).  The program is the file opened at start,
 * whatever the path names now.  A spare gets SPARE_NICE (a failure only leaves it at
 * the monitor's priority).
 */
static void
child_exec(void *arg)
{
	const struct child_start *cs = arg;

	if (cs->spare)
		(void)setpriority(PRIO_PROCESS, 0, SPARE_NICE);
	if (dup2(cs->d->null_fd, 0) == -1 || dup2(cs->d->null_fd, 1) == -1 ||
	    dup2(cs->d->null_fd, 2) == -1)
		_exit(126);
	if (cs->chan == CHILD_FD ? fcntl(cs->chan, F_SETFD, 0) == -1
				 : dup2(cs->chan, CHILD_FD) == -1)
		_exit(126);
	fexecve(cs->d->sandbox_fd, cs->argv, environ);
	_exit(127);
}

/* Open path close-on-exec and move it above the child's fixed fds. */
static int
open_high(const char *path, int flags)
{
	int fd, high;

	if ((fd = open(path, flags | O_CLOEXEC)) == -1)
		return -1;
	high = fcntl(fd, F_DUPFD_CLOEXEC, CHILD_FD + 1);
	close(fd);
	return high;
}

int
pool_open_program(struct csignd *d)
{
	if ((d->null_fd = open_high("/dev/null", O_RDWR)) == -1)
		return -1;
	return d->sandbox_fd = open_high(d->sandbox_program, O_PATH);
}

void
pool_close_program(struct csignd *d)
{
	if (d->sandbox_fd != -1)
		close(d->sandbox_fd);
	if (d->null_fd != -1)
		close(d->null_fd);
	d->sandbox_fd = d->null_fd = -1;
}

/* Build the sandbox program's argument vector into strings a and argv. */
static void
child_argv(const struct csignd *d, char a[2][24], char *argv[8])
{
	int i = 0;

	argv[i++] = "csign-sandbox";
	if (d->separate_uids) {
		snprintf(a[0], sizeof(a[0]), "%u", (unsigned)d->sandbox_uid);
		snprintf(a[1], sizeof(a[1]), "%u", (unsigned)d->sandbox_gid);
		argv[i++] = "-u";
		argv[i++] = a[0];
		argv[i++] = "-g";
		argv[i++] = a[1];
	} else
		argv[i++] = "-U";
	/*
	 * Debug lines only where they are kept: a child's line costs it a
	 * message and the event loop a wake-up, per request in a pipeline.
	 */
	if (d->debug)
		argv[i++] = "-d";
	argv[i] = NULL;
}

/*
 * A child cannot be made (descriptors or processes ran out): said at
 * most once per interval, since every event tries again.
 */
static void
child_spawn_failed(struct csignd *d, const char *what)
{
	int saved = errno;
	unsigned long held;

	if (loglimit_now(&d->log_spawn, &held))
		log_warnx("cannot start a session child: %s: %s (%lu more "
			  "failures since the last such line)",
		    what, strerror(saved), held);
}

/*
 * Start one child: socketpair, vfork, exec.  NULL on failure (logged).
 * It is a spare (niced) when another child is ready and no client
 * waits, and only if the monitor may give it its priority back (root).
 */
static struct child *
child_spawn(struct csignd *d)
{
	char a[2][24], *argv[8];
	struct child_start cs;
	struct child *c;
	pid_t pid;
	int sv[2], spare;

	spare = d->separate_uids && d->nidle > 0 && d->admit.nready == 0;
	child_argv(d, a, argv);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		child_spawn_failed(d, "socketpair");
		free(c);
		return NULL;
	}
	cs = (struct child_start){ d, sv[1], spare, argv };
	if ((pid = spawn_vfork(child_exec, &cs)) == -1) {
		child_spawn_failed(d, "fork");
		close(sv[0]);
		close(sv[1]);
		free(c);
		return NULL;
	}
	close(sv[1]);
	c->d = d;
	c->spare = spare;
	/* Its state is CH_GONE, not counted, until pool_set_state(). */
	monitor_session_init(&c->ms, &d->mon, sv[0], pid);
	c->client_fd = -1;
	fcntl(c->ms.fd, F_SETFL, O_NONBLOCK);
	c->ev = event_new(d->base, c->ms.fd, EV_READ | EV_PERSIST,
	    monitor_child_readable, &c->ms);
	c->timer = evtimer_new(d->base, child_deadline_cb, c);
	if (c->ev == NULL || c->timer == NULL)
		fatalx("event_new");
	event_add(c->ev, NULL);
	TAILQ_INSERT_TAIL(&d->children, c, entry);
	pool_set_state(c, CH_STARTING);
	return c;
}

/* The back-off after failed starts has passed: try again. */
static void
pool_respawn_cb(evutil_socket_t fd, short what, void *arg)
{
	struct csignd *d = arg;

	(void)fd;
	(void)what;
	d->spawn_paused = 0;
	pool_fill(d);
	server_assign_waiting(d);
}

/*
 * A child died before it was ready: something is wrong with the sandbox
 * program or the system.  Back off (1 s, doubling to 60 s) instead of
 * spawning in a tight loop; a child that becomes ready resets this.
 */
static void
pool_start_failed(struct csignd *d)
{
	unsigned n = d->spawn_failures < 6 ? d->spawn_failures : 6;
	struct timeval tv = { .tv_sec = 1 << n };

	d->spawn_failures++;
	if (d->spawn_paused)
		return;
	if (d->ev_respawn == NULL &&
	    (d->ev_respawn = evtimer_new(d->base, pool_respawn_cb, d)) == NULL)
		fatalx("evtimer_new");
	d->spawn_paused = 1;
	evtimer_add(d->ev_respawn, &tv);
	log_warnx("session children fail to start (%u in a row); next try "
		  "in %lds",
	    d->spawn_failures, (long)tv.tv_sec);
}

void
pool_fill(struct csignd *d)
{
	size_t limit = d->mon.cfg->max_sessions + d->mon.cfg->pool_size;

	if (d->draining || d->spawn_paused)
		return;
	while (
	    d->nidle + d->nstarting < d->mon.cfg->pool_size + d->admit.nready &&
	    d->nidle + d->nstarting + d->nsessions < limit)
		if (child_spawn(d) == NULL)
			break;
}

static void
pool_refill_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	pool_fill(arg);
}

void
pool_fill_soon(struct csignd *d)
{
	struct timeval tv = { .tv_sec = POOL_REFILL_MS / 1000,
		.tv_usec = POOL_REFILL_MS % 1000 * 1000L };

	if (d->nidle == 0 || d->admit.nready > 0) {
		pool_fill(d);
		return;
	}
	if (d->nidle + d->nstarting >= d->mon.cfg->pool_size)
		return;
	if (d->ev_refill == NULL &&
	    (d->ev_refill = evtimer_new(d->base, pool_refill_cb, d)) == NULL)
		fatalx("evtimer_new");
	if (!evtimer_pending(d->ev_refill, NULL))
		evtimer_add(d->ev_refill, &tv);
}

void
pool_sessions_ended(struct csignd *d)
{
	if (d->ev_refill == NULL || !evtimer_pending(d->ev_refill, NULL))
		return;
	/* From the loop, not from inside a state change. */
	evtimer_del(d->ev_refill);
	event_active(d->ev_refill, EV_TIMEOUT, 0);
}

void
pool_timers_free(struct csignd *d)
{
	if (d->ev_respawn != NULL)
		event_free(d->ev_respawn);
	if (d->ev_refill != NULL)
		event_free(d->ev_refill);
	d->ev_respawn = d->ev_refill = NULL;
}

struct child *
pool_take_idle(struct csignd *d)
{
	struct child *c;

	TAILQ_FOREACH (c, &d->children, entry)
		if (c->ms.state == CH_IDLE)
			return c;
	return NULL;
}

int
pool_start_session(struct child *c, const struct waiting *w)
{
	struct csignd *d = c->d;
	struct msg_session m = {
		.session_id = ++d->next_session,
		.max_artifact = d->mon.cfg->max_artifact_size,
		.idle_timeout_ms = d->mon.cfg->session_timeout * 1000u,
		.via = (uint8_t)w->peer.via,
		.busy = (uint16_t)(d->nsessions < BUSY_MAX ? d->nsessions
							   : BUSY_MAX),
	};
	struct buf b;
	int r;

	/*
	 * Serving from now on: as urgent as the monitor itself, before it
	 * is woken with the client (not once it already runs niced).
	 */
	if (c->spare && setpriority(PRIO_PROCESS, c->ms.pid, 0) == -1)
		log_warn("session child %d: cannot reset its priority",
		    (int)c->ms.pid);
	c->spare = 0;
	buf_init(&b, MSG_MAX);
	r = msg_enc_session(&b, &m) == 0 ? io_send_msg(c->ms.fd, &b, w->fd)
					 : -1;
	buf_free(&b);
	if (r == -1) {
		pool_kill(c, "cannot hand over the client");
		return -1;
	}
	monitor_session_start(&c->ms, m.session_id, &w->peer);
	c->client_fd = w->fd;
	c->user = w->user;
	c->lifetime = d->mon.cfg->session_lifetime;
	c->expires = w->accepted;
	c->expires.tv_sec += c->lifetime;
	pool_set_state(c, CH_SESSION);
	d->served++;
	log_debug("session %u: uid %u (%s) pid %d -> child %d", c->ms.id,
	    (unsigned)w->peer.uid, w->peer.user, (int)w->peer.pid,
	    (int)c->ms.pid);
	return 0;
}

/* Tell the client, if it has not heard yet, that its session failed. */
static void
child_tell_client(struct child *c, int status, const char *msg)
{
	if (c->client_fd == -1 || c->reported)
		return;
	server_client_notify(c->client_fd, c->ms.peer.via, status, msg);
	c->reported = 1;
}

/* Stop watching a child that is dead or dying; keep it until reaped. */
static void
child_detach(struct child *c)
{
	pool_set_state(c, CH_GONE);
	event_del(c->ev);
	monitor_child_gone(&c->ms);
	if (c->client_fd != -1) {
		close(c->client_fd);
		c->client_fd = -1;
	}
}

void
pool_kill(struct child *c, const char *why)
{
	if (c->ms.state == CH_GONE)
		return;
	log_warnx("session child %d (session %u, uid %u): %s; killed",
	    (int)c->ms.pid, c->ms.id, (unsigned)c->ms.peer.uid, why);
	if (c->ms.state == CH_SESSION || c->ms.state == CH_SIGNING)
		child_tell_client(c, ST_INTERNAL,
		    "session ended by the daemon: "
		    "internal error (see the daemon's log)");
	kill(c->ms.pid, SIGKILL);
	child_detach(c);
}

/* Describe a wait status for the log. */
static void
status_text(int st, char *dst, size_t len)
{
	if (WIFEXITED(st))
		snprintf(dst, len, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
		snprintf(dst, len,
		    "killed by SIGSYS: seccomp blocked a "
		    "forbidden system call");
	else if (WIFSIGNALED(st))
		snprintf(dst, len, "killed by signal %d (%s)", WTERMSIG(st),
		    strsignal(WTERMSIG(st)));
	else
		snprintf(dst, len, "status 0x%x", st);
}

/* One child has exited with status st. */
static void
child_reaped(struct child *c, int st)
{
	char text[128];
	int clean = WIFEXITED(st) && WEXITSTATUS(st) == 0;

	status_text(st, text, sizeof(text));
	if (c->ms.state == CH_STARTING)
		pool_start_failed(c->d);
	if (c->ms.state == CH_SESSION)
		monitor_child_drain(&c->ms);
	if (c->ms.state != CH_GONE) {
		if (!clean || c->ms.state == CH_SIGNING ||
		    c->ms.state == CH_STARTING)
			log_warnx("session child %d (session %u, uid %u) %s",
			    (int)c->ms.pid, c->ms.id, (unsigned)c->ms.peer.uid,
			    text);
		if (!clean || c->ms.state == CH_SIGNING) {
			char msg[160];
			snprintf(msg, sizeof(msg), "session process %s", text);
			child_tell_client(c, ST_INTERNAL, msg);
		}
		child_detach(c);
	} else
		log_debug("session child %d %s", (int)c->ms.pid, text);
	TAILQ_REMOVE(&c->d->children, c, entry);
	event_free(c->ev);
	event_free(c->timer);
	close(c->ms.fd);
	free(c);
}

void
pool_reap(struct csignd *d)
{
	struct child *c;
	pid_t pid;
	int st;

	/*
	 * child_reaped() frees the child it is given; the list walk starts
	 * afresh for every reaped pid, so no freed child is looked at (the
	 * analyzer cannot see that through the list macros).
	 */
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		TAILQ_FOREACH (c, &d->children, entry)
			// NOLINTNEXTLINE(clang-analyzer-unix.Malloc)
			if (c->ms.pid == pid)
				break;
		if (c != NULL)
			child_reaped(c, st);
	}
	server_assign_waiting(d); /* and the pool's refill */
	server_maybe_exit(d);
}

void
pool_kill_all(struct csignd *d, int idle_only)
{
	struct child *c;

	TAILQ_FOREACH (c, &d->children, entry) {
		if (c->ms.state == CH_GONE)
			continue;
		if (idle_only && c->ms.state != CH_IDLE &&
		    c->ms.state != CH_STARTING)
			continue;
		if (c->ms.state == CH_IDLE || c->ms.state == CH_STARTING) {
			kill(c->ms.pid, SIGKILL);
			child_detach(c);
		} else
			pool_kill(c, "daemon shutting down");
	}
}
