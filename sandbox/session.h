/*
 * session: one client connection, served by a sandboxed child.  Frames
 * are decoded strictly (proto/frame.h); the first must be F_HELLO; a frame
 * that breaks the protocol gets a bad-request reply and ends the session.
 */
#ifndef CSIGN_SESSION_H
#define CSIGN_SESSION_H

#include "proto/msg.h"

/* Serve the client on fd until it leaves, errs or falls silent. */
void session_serve(int client, const struct msg_session *info);

#endif
