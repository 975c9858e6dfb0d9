/*
 * pidfile: csignd's PID file (PidFile in csignd.conf(5)), for logrotate,
 * scripts and "kill -HUP $(cat /run/csign/csignd.pid)".
 *
 * The file is written once the daemon has bound its socket and is kept
 * open with an exclusive lock (flock) for as long as the daemon runs, so
 * a second daemon given the same PidFile is refused instead of
 * overwriting it; at exit it is removed, but only while the path still
 * names the file this process wrote.
 */
#ifndef CSIGN_PIDFILE_H
#define CSIGN_PIDFILE_H

#include <stddef.h>

/*
 * Create or take over path (never through a symbolic link), lock it and
 * write this process's id.  0, or -1 with err set ("PidFile PATH: ...").
 */
int pidfile_write(const char *path, char *err, size_t errlen);

/* The pid in path if a running process holds its lock; else 0. */
long pidfile_holder(const char *path);

/* Remove the file pidfile_write() wrote (only from that process). */
void pidfile_remove(void);

#endif
