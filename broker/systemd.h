/*
 * systemd: socket activation and readiness notification, spoken directly
 * (the protocols are a few environment variables and one datagram), so
 * csignd does not link libsystemd.
 *
 * Both are read once at start-up, before anything is forked, and their
 * variables are then removed from the environment: session children must
 * inherit neither the listening socket's description nor the right to
 * talk to the service manager.
 */
#ifndef CSIGN_SYSTEMD_H
#define CSIGN_SYSTEMD_H

#include <stddef.h>

/* The first descriptor the service manager passes (SD_LISTEN_FDS_START). */
#define SYSTEMD_LISTEN_FD 3

/*
 * Take the listening socket passed by socket activation: when LISTEN_PID
 * is this process and LISTEN_FDS is at least 1, check that descriptor 3 is
 * a listening AF_UNIX SOCK_STREAM socket, make it non-blocking and
 * close-on-exec, and return it (descriptors passed beyond the first are
 * closed).  LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES are unset in every
 * case.  Returns the descriptor, -1 if no socket was passed to this
 * process, or -2 with err set if one was passed but cannot be used.
 * Call before any fork: LISTEN_PID names the process systemd started.
 */
int systemd_listen_fd(char *err, size_t errlen);

/* The path the socket is bound to, into path; -1 if unknown or unnamed. */
int systemd_socket_path(int fd, char *path, size_t pathlen);

/*
 * Remember $NOTIFY_SOCKET (a path, or an abstract name after '@') and
 * remove it from the environment.  Without it systemd_notify() does
 * nothing.  0, or -1 with err set if the address is unusable.
 */
int systemd_notify_init(char *err, size_t errlen);

/*
 * Send one state message ("READY=1", "STOPPING=1", "RELOADING=1", with
 * "\n"-separated extra assignments such as "STATUS=...") to the service
 * manager as one datagram.  0 if sent or not under systemd, -1 (errno)
 * if the send failed; callers log and go on.
 */
int systemd_notify(const char *state);

#endif
