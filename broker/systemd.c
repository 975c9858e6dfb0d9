/* systemd.c: socket activation and sd_notify without libsystemd. */
#include "broker/systemd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Most descriptors accepted in LISTEN_FDS; the unit passes one. */
#define LISTEN_FDS_MAX 64

/* $NOTIFY_SOCKET as a ready sockaddr, kept from systemd_notify_init(). */
static struct sockaddr_un notify_addr;
static socklen_t notify_len; /* 0: not under systemd */

/* Parse a whole decimal number in 1..max; -1 if s is anything else. */
static long
parse_count(const char *s, long max)
{
	char *end;
	long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > max)
		return -1;
	return v;
}

/* Drop the activation variables so that no child sees them. */
static void
listen_env_clear(void)
{
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
}

/* Read one integer socket option; -1 if it cannot be read. */
static int
sockopt_int(int fd, int opt)
{
	socklen_t len = sizeof(int);
	int v;

	if (getsockopt(fd, SOL_SOCKET, opt, &v, &len) == -1 ||
	    len != sizeof(int))
		return -1;
	return v;
}

/*
 * The passed descriptor must be what Listen would have made: a listening
 * Unix stream socket.  Anything else (a datagram socket, a TCP port, a
 * socket not yet listening) is a unit file mistake, refused at start.
 */
static int
listen_fd_check(int fd, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen,
		    "socket activation: descriptor %d is "
		    "not a socket",
		    fd);
		return -1;
	}
	if (sockopt_int(fd, SO_DOMAIN) != AF_UNIX ||
	    sockopt_int(fd, SO_TYPE) != SOCK_STREAM) {
		snprintf(err, errlen,
		    "socket activation: descriptor %d is "
		    "not a Unix stream socket (ListenStream=/path)",
		    fd);
		return -1;
	}
	if (sockopt_int(fd, SO_ACCEPTCONN) != 1) {
		snprintf(err, errlen,
		    "socket activation: descriptor %d is "
		    "not listening",
		    fd);
		return -1;
	}
	return 0;
}

/*
 * Close-on-exec first: the session children are exec'd with their
 * channel on descriptor 3, and the listening socket must never reach
 * them, whatever number it has.  Non-blocking for the accept loop.
 */
static int
listen_fd_flags(int fd, char *err, size_t errlen)
{
	int fl;

	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ||
	    (fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1) {
		snprintf(err, errlen, "socket activation: descriptor %d: %s",
		    fd, strerror(errno));
		return -1;
	}
	return 0;
}

int
systemd_listen_fd(char *err, size_t errlen)
{
	const char *fds = getenv("LISTEN_FDS");
	long pid, n;
	int fd = SYSTEMD_LISTEN_FD;

	pid = parse_count(getenv("LISTEN_PID"), LONG_MAX);
	n = parse_count(fds, LISTEN_FDS_MAX);
	if (pid != (long)getpid() || fds == NULL || strcmp(fds, "0") == 0) {
		/* Not for us (unset, inherited from another process, none). */
		listen_env_clear();
		return -1;
	}
	listen_env_clear();
	if (n < 1) {
		snprintf(err, errlen,
		    "socket activation: LISTEN_FDS is not "
		    "a number of descriptors from 1 to %d",
		    LISTEN_FDS_MAX);
		return -2;
	}
	/* Ours now: whatever we do not use is closed, not leaked. */
	for (int extra = fd + 1; extra < fd + (int)n; extra++)
		(void)close(extra);
	if (listen_fd_check(fd, err, errlen) == -1 ||
	    listen_fd_flags(fd, err, errlen) == -1)
		return -2;
	return fd;
}

int
systemd_socket_path(int fd, char *path, size_t pathlen)
{
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun);
	size_t n;

	memset(&sun, 0, sizeof(sun));
	if (getsockname(fd, (struct sockaddr *)&sun, &len) == -1 ||
	    sun.sun_family != AF_UNIX ||
	    len <= offsetof(struct sockaddr_un, sun_path) ||
	    sun.sun_path[0] == '\0')
		return -1;
	n = strnlen(sun.sun_path, len - offsetof(struct sockaddr_un, sun_path));
	if (n >= pathlen)
		return -1;
	memcpy(path, sun.sun_path, n);
	path[n] = '\0';
	return 0;
}

int
systemd_notify_init(char *err, size_t errlen)
{
	const char *s = getenv("NOTIFY_SOCKET");
	size_t n;

	notify_len = 0;
	if (s == NULL || s[0] == '\0') {
		unsetenv("NOTIFY_SOCKET");
		return 0;
	}
	n = strlen(s);
	if ((s[0] != '/' && s[0] != '@') || n < 2 ||
	    n >= sizeof(notify_addr.sun_path)) {
		snprintf(err, errlen,
		    "NOTIFY_SOCKET %s: not a Unix socket "
		    "path or abstract name",
		    s);
		unsetenv("NOTIFY_SOCKET");
		return -1;
	}
	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, s, n);
	/* An abstract name has no terminating NUL in its length. */
	if (s[0] == '@')
		notify_addr.sun_path[0] = '\0';
	notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
	    (s[0] == '/'));
	unsetenv("NOTIFY_SOCKET");
	return 0;
}

int
systemd_notify(const char *state)
{
	ssize_t r;
	int fd, saved;

	if (notify_len == 0)
		return 0;
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	r = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (const struct sockaddr *)&notify_addr, notify_len);
	saved = r == -1 ? errno : EMSGSIZE;
	close(fd);
	if (r == (ssize_t)strlen(state))
		return 0;
	errno = saved;
	return -1;
}
