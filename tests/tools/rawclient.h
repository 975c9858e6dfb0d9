/*
 * rawclient.h: what the parts of rawclient share: the exit statuses, the
 * frame being built and the last reply, and the exchange with csignd.
 */
#ifndef CSIGN_RAWCLIENT_H
#define CSIGN_RAWCLIENT_H

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "proto/buf.h"
#include "proto/frame.h"
#include "proto/io.h"
#include "proto/names.h"

#define EX_NOREPLY 10
#define EX_NOCONN 11
#define EX_BADREPLY 12
#define EX_SERVED 13
#define EX_LOCAL 64
#define REPLY_TIMEOUT_MS 30000

/* rawclient_io.c */
extern struct buf out;
extern struct buf raw;
extern struct frame reply;
int connect_to(const char *path);
void send_out(int s, const int *fds, size_t nfds);
void send_raw(int s, const void *p, size_t len);
int recv_reply_within(int s, int ms);
int recv_reply(int s);
int reply_status(void);
int print_reply(void);
int finish(int s);
void send_hello(int s);
int hello(int s);
long parse_count(const char *s, long max);
double since(const struct timespec *t0);

/* rawclient_modes.c */
int mode_hello(int s, char **args);
int mode_garbage(int s, char **args);
int mode_badtlv(int s, char **args);
int mode_oversize(int s, char **args);
int mode_nohello(int s, char **args);
int mode_keysfd(int s, char **args);
int mode_half(int s, char **args);
int mode_syscall(int s, char **args);
int mode_syscall_wait(int s, char **args);
int mode_sign(int s, char **args);
int mode_inplace(int s, char **args);
int mode_inline(int s, char **args);
int mode_silent(int s, char **args);
int mode_partial(int s, char **args);
int mode_busy(int s, char **args);

/* rawclient_burst.c */
int mode_burst(int s, char **args);

/* rawclient_flood.c */
int mode_flood(const char *path, char **args);

#endif
