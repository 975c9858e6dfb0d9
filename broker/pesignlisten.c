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

enum listen_probe
server_pesign_probe(const struct config *cfg, long *pid, char *err,
    size_t errlen)
{
	const char *path = cfg->pesign_listen;

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
	return server_listen_probe("PesignListen", path, pid, err, errlen);
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

int
server_pesign_listen(struct csignd *d, char *err, size_t errlen)
{
	const char *path = d->mon.cfg->pesign_listen;

	d->pesign_fd = -1;
	if (path == NULL)
		return 0;
	if (server_pesign_check(d->mon.cfg, err, errlen) == -1 ||
	    (d->pesign_fd = sockfile_bind("PesignListen", path, &d->pesign_sock,
		 err, errlen)) == -1)
		return -1;
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
	sockfile_unlink(&d->pesign_sock);
}
