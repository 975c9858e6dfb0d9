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

/* A sign request for client begins (flags: its SIGN_F_*). */
void hold_begin(int client, unsigned flags);
/* It has been answered; forget it. */
void hold_end(void);
/* 1 if a --no-wait request's client was let go. */
int hold_detached(void);
/* Pass a notice on to the client (or let a --no-wait client go). */
void hold_notice(const struct msg_sign_held *m);
/*
 * Wait until the monitor channel is readable; meanwhile a watched client
 * that hangs up cancels the request, once.
 */
void hold_wait_channel(int chan);
/* Give the final client frame of a detached request to the monitor. */
int hold_deliver(const struct buf *frame);

#endif
