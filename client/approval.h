/*
 * csign-client's side of two-person approval: the notices of a sign
 * request held for approval (F_HELD), and the pending, approve, deny and
 * wait commands (see csign-client(1)).
 */
#ifndef CSIGN_CLIENT_APPROVAL_H
#define CSIGN_CLIENT_APPROVAL_H

#include <stddef.h>
#include <time.h>

#include "client/client.h"
#include "client/conn.h"

/* A sign request's wait for approval, across its notices. */
struct held_wait {
	unsigned long long id; /* 0 until the first notice */
	time_t since;	       /* when the first notice came */
};

/*
 * An F_HELD notice is in r: one status line on stderr, and the time to
 * wait for the next frame (until the request expires, or what is left of
 * --wait-timeout) set on c.  0, or -1 with fl filled if malformed.
 */
int cl_held_notice(struct conn *c, const struct options *o,
    const struct reply *r, struct held_wait *hw, struct failure *fl);

/*
 * If fl says that the wait for a held request's final reply timed out,
 * say why instead (exit 4; the daemon cancels the request when the
 * connection closes).
 */
void cl_held_timeout(const struct held_wait *hw, struct failure *fl);

/* "1h 2m", "59m 58s", "3s": a duration for messages, into dst. */
char *cl_duration(char *dst, size_t len, unsigned long secs);

#endif
