/*
 * pesign: a session of the pesign listener (PesignListen), served in the
 * sandbox like a csign-client session, in pesign's daemon protocol
 * (proto/pesign.h).  Identity, grants, formats, approval, rate limits
 * and timestamps are csign-client's: the monitor applies them to every
 * signature, whichever listener the client came through.
 */
#ifndef CSIGN_SANDBOX_PESIGN_H
#define CSIGN_SANDBOX_PESIGN_H

#include <stddef.h>
#include <stdint.h>

#include "proto/msg.h"

/* Serve the pesign client on fd until it leaves, errs or falls silent. */
void pesign_serve(int client, const struct msg_session *info);

/*
 * Receive exactly len bytes of the client's stream, waiting at most
 * timeout_ms for each part; descriptors that come with them go to
 * fds[0..*nfds) (close-on-exec).  1, 0 at a clean end before any byte,
 * -1 with errno: ETIMEDOUT, EPROTO (the stream ended inside, more than
 * maxfds descriptors came: all closed), or the system's.
 */
int pesign_recv(int client, void *p, size_t len, int *fds, size_t maxfds,
    size_t *nfds, int timeout_ms);

/* Send one RESPONSE (rc, msg or NULL): 0, or -1 if the client is gone. */
int pesign_send_reply(int client, int32_t rc, const char *msg);

#endif
