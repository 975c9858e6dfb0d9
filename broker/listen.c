/*
 * listen.c: csignd's listening socket: the one systemd passed, or Listen
 * bound by csignd after making sure no other daemon answers there; and
 * its removal at exit, only if the path still names the socket we bound.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "broker/csignd.h"
#include "broker/pidfile.h"
#include "broker/systemd.h"
#include "common/log.h"

/*
 * The socket systemd passed: it is already bound and listening, and the
 * service manager owns its path, so it is neither rebound nor unlinked
 * at exit (listen_sock stays empty).  A path other than Listen is allowed
 * (the unit decides) but said, since csign-client looks at Listen's
 * default.
 */
static int
server_listen_activated(struct csignd *d)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];

	if (systemd_socket_path(d->listen_fd, path, sizeof(path)) == -1)
		snprintf(path, sizeof(path), "an unnamed socket");
	else if (strcmp(path, d->mon.cfg->listen) != 0)
		log_warnx("the socket passed by systemd is %s, not Listen %s",
		    path, d->mon.cfg->listen);
	log_info("using the listening socket passed by systemd (fd %d, %s)",
	    d->listen_fd, path);
	if ((d->listen_name = strdup(path)) == NULL)
		fatal("strdup");
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
listen_connect(const char *keyword, const struct sockaddr_un *sun, long *pid,
    char *err, size_t errlen)
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
	snprintf(err, errlen,
	    "%s %s: cannot tell whether a daemon serves "
	    "there: %s",
	    keyword, sun->sun_path, strerror(e));
	return LISTEN_ERROR;
}

enum listen_probe
server_listen_probe(const char *keyword, const char *path, long *pid, char *err,
    size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;

	*pid = 0;
	if (sockfile_addr(keyword, path, &sun, err, errlen) == -1)
		return LISTEN_ERROR;
	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return LISTEN_FREE;
		snprintf(err, errlen, "%s %s: %s", keyword, path,
		    strerror(errno));
		return LISTEN_ERROR;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen,
		    "%s %s: exists and is not a socket: "
		    "refusing to remove it",
		    keyword, path);
		return LISTEN_ERROR;
	}
	return listen_connect(keyword, &sun, pid, err, errlen);
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
		snprintf(err, errlen,
		    "Listen %s: another daemon is serving on "
		    "this socket: not starting a second one",
		    cfg->listen);
		return;
	}
	proc_comm(pid, comm, sizeof(comm));
	log_text_safe(comm);
	snprintf(err, errlen,
	    "Listen %s: another %s (pid %ld) is serving on "
	    "this socket: not starting a second one",
	    cfg->listen, comm[0] != '\0' ? comm : "process", pid);
}

int
server_listen_check(const struct config *cfg, char *err, size_t errlen)
{
	long pid;

	switch (server_listen_probe("Listen", cfg->listen, &pid, err, errlen)) {
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
 * Create, bind and listen on Listen (no socket activation).  A socket
 * left over from a daemon that is gone is replaced, never one that
 * answers: removing a live socket would cut its daemon off from every
 * client while it kept running.
 */
static int
server_listen_bind(struct csignd *d, char *err, size_t errlen)
{
	const char *path = d->mon.cfg->listen;

	if (server_listen_check(d->mon.cfg, err, errlen) == -1 ||
	    (d->listen_fd = sockfile_bind("Listen", path, &d->listen_sock, err,
		 errlen)) == -1)
		return -1;
	if ((d->listen_name = strdup(path)) == NULL)
		fatal("strdup");
	log_info("listening on %s (bound by csignd)", path);
	return 0;
}

void
server_unlink_socket(struct csignd *d)
{
	/* Only a socket we bound: systemd's stays for the next start. */
	sockfile_unlink(&d->listen_sock);
}

int
server_listen(struct csignd *d, char *err, size_t errlen)
{
	if (d->activated)
		return server_listen_activated(d);
	return server_listen_bind(d, err, errlen);
}
