/*
 * pesignlisten.c: the second listening socket, PesignListen, where
 * pesign-client (and rpm's %pesign) connect as they would to pesignd.
 * Bound by csignd with the rules of Listen (listen.c): never over a
 * socket a daemon answers on (pesignd itself, or another csignd), a
 * stale one removed, mode 0666 (the policy decides, not the socket's
 * mode), and removed at exit only if the path still names it.  Clients
 * accepted here go into the same admission as the others (accept.c),
 * marked VIA_PESIGN.
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
#include "common/log.h"

/* Reword listen.c's "Listen PATH: ..." for this socket. */
static void
pesign_err(const char *path, char *err, size_t errlen)
{
	char tmp[CONFIG_ERR_MAX];
	size_t skip = strlen("Listen ") + strlen(path);

	if (strncmp(err, "Listen ", 7) == 0 && strlen(err) >= skip &&
	    strncmp(err + 7, path, strlen(path)) == 0) {
		snprintf(tmp, sizeof(tmp), "PesignListen %s%s", path,
		    err + skip);
		snprintf(err, errlen, "%s", tmp);
	}
}

enum listen_probe
server_pesign_probe(const struct config *cfg, long *pid, char *err,
    size_t errlen)
{
	const char *path = cfg->pesign_listen;
	enum listen_probe r;

	*pid = 0;
	if (path == NULL)
		return LISTEN_FREE;
	if (cfg->listen != NULL && strcmp(path, cfg->listen) == 0) {
		snprintf(err, errlen,
		    "PesignListen %s: the same path as "
		    "Listen",
		    path);
		return LISTEN_ERROR;
	}
	if ((r = server_listen_probe(path, pid, err, errlen)) == LISTEN_ERROR)
		pesign_err(path, err, errlen);
	return r;
}

int
server_pesign_check(const struct config *cfg, char *err, size_t errlen)
{
	const char *path = cfg->pesign_listen;
	long pid;

	switch (server_pesign_probe(cfg, &pid, err, errlen)) {
	case LISTEN_LIVE:
		if (pid > 0)
			snprintf(err, errlen,
			    "PesignListen %s: another process "
			    "(pid %ld, pesignd?) is serving on this socket: not "
			    "starting",
			    path, pid);
		else
			snprintf(err, errlen,
			    "PesignListen %s: another process "
			    "(pesignd?) is serving on this socket: not starting",
			    path);
		return -1;
	case LISTEN_ERROR:
		return -1;
	default:
		return 0;
	}
}

/* Remember which file the socket is, to remove only that one at exit. */
static int
pesign_own(struct csignd *d, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) == -1) {
		snprintf(err, errlen, "PesignListen %s: %s", path,
		    strerror(errno));
		return -1;
	}
	d->pesign_dev = st.st_dev;
	d->pesign_ino = st.st_ino;
	if ((d->pesign_path = strdup(path)) == NULL)
		fatal("strdup");
	return 0;
}

int
server_pesign_listen(struct csignd *d, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *path = d->mon.cfg->pesign_listen;
	mode_t old;
	int fd;

	d->pesign_fd = -1;
	if (path == NULL)
		return 0;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "PesignListen %s: path too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (server_pesign_check(d->mon.cfg, err, errlen) == -1)
		return -1;
	if (unlink(path) == -1 && errno != ENOENT) {
		snprintf(err, errlen,
		    "PesignListen %s: cannot remove the old "
		    "socket: %s",
		    path, strerror(errno));
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* Any local user may connect; the policy decides what they get. */
	old = umask(0111);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		snprintf(err, errlen, "PesignListen %s: %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	d->pesign_fd = fd;
	if (pesign_own(d, path, err, errlen) == -1)
		return -1;
	if (listen(fd, 128) == -1) {
		snprintf(err, errlen, "PesignListen %s: %s", path,
		    strerror(errno));
		return -1;
	}
	log_info("pesign listener on %s (bound by csignd)", path);
	return 0;
}

void
server_pesign_close(struct csignd *d)
{
	if (d->ev_pesign != NULL)
		event_del(d->ev_pesign);
	if (d->pesign_fd != -1)
		close(d->pesign_fd);
	d->pesign_fd = -1;
}

void
server_pesign_unlink(struct csignd *d)
{
	struct stat st;

	if (d->pesign_path == NULL)
		return;
	/* Removed and bound again by someone else: theirs now. */
	if (lstat(d->pesign_path, &st) == 0 && st.st_dev == d->pesign_dev &&
	    st.st_ino == d->pesign_ino)
		(void)unlink(d->pesign_path);
	free(d->pesign_path);
	d->pesign_path = NULL;
}
