/*
 * hold: the session child's side of a sign request held for approval
 * (proto/msg.h MSG_SIGN_HELD).
 *
 * While the monitor holds the request, the child passes each notice on
 * to its client as an F_HELD frame and watches the client socket: a
 * client that hangs up cancels the request (MSG_HELD_CANCEL).  With
 * SIGN_F_NOWAIT the first notice is answered with a final F_REPLY that
 * carries the id, the client is let go, and the result, once built, goes
 * to the monitor (MSG_HELD_RESULT) for the requester's later F_WAIT.
 */
#ifndef CSIGN_HOLD_H
#define CSIGN_HOLD_H

#include "proto/buf.h"
#include "proto/msg.h"

/*
 * The hold state of one session: created with the session for its client
 * socket, owned and freed by it, and reset explicitly when a request
 * ends.  At most one request is held at a time.
 */
struct hold;

/* A hold for the session of client; NULL if out of memory. */
struct hold *hold_new(int client);
/*
 * A pesign client's hold: it hears nothing until the final reply (its
 * protocol has no notices); a hang-up still cancels the request.
 */
void hold_set_quiet(struct hold *h);
/* Free h; NULL is ignored. */
void hold_free(struct hold *h);
/* A sign request begins (flags: its SIGN_F_*); h starts afresh. */
void hold_begin(struct hold *h, unsigned flags);
/* The request has been answered: forget it (nothing held, not detached). */
void hold_reset(struct hold *h);
/* 1 if a --no-wait request's client was let go. */
int hold_detached(const struct hold *h);
/* Pass a notice on to the client (or let a --no-wait client go). */
void hold_notice(struct hold *h, const struct msg_sign_held *m);
/*
 * Wait until the monitor channel is readable; meanwhile a watched client
 * that hangs up cancels the request, once.
 */
void hold_wait_channel(struct hold *h, int chan);
/* Give the final client frame of a detached request to the monitor. */
int hold_deliver(const struct hold *h, const struct buf *frame);

#endif
