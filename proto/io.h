/*
 * Socket I/O shared by all programs: whole frames on the client stream
 * socket and whole messages on the child <-> monitor SOCK_SEQPACKET
 * channel, each with file descriptors passed as SCM_RIGHTS.
 *
 * Received descriptors are close-on-exec; descriptors beyond the caller's
 * room are closed, and their arrival is reported as an error (EPROTO).
 */
#ifndef CSIGN_IO_H
#define CSIGN_IO_H

#include <stddef.h>

#include "proto/buf.h"

/*
 * Send all of b's unread bytes on a stream socket, with nfds descriptors
 * attached to the first byte.  0 or -1 (errno set).  Never raises SIGPIPE.
 */
int io_send_frame(int sock, const struct buf *b, const int *fds, size_t nfds);

/*
 * Receive one frame (length field included) into b, waiting at most
 * timeout_ms for each chunk (-1: forever).  Descriptors that come with it
 * go to fds[0..*nfds).  Returns 1 for a frame, 0 for a clean end of stream
 * before any byte, -1 on error with errno: ETIMEDOUT, EMSGSIZE (length
 * over FRAME_MAX), EPROTO (stream ended inside a frame, unexpected
 * descriptors), or the system's.
 */
int io_recv_frame(int sock, struct buf *b, int *fds, size_t maxfds,
    size_t *nfds, int timeout_ms);

/* Send one datagram on a SOCK_SEQPACKET socket, with fd if fd >= 0. */
int io_send_msg(int sock, const struct buf *b, int fd);

/*
 * Receive one datagram of at most b->max bytes into b (reset first), with
 * at most one descriptor into *fd (-1 if none).  Returns 1, 0 at end of
 * stream, -1 on error (EMSGSIZE if the datagram was larger than b->max,
 * EAGAIN on a non-blocking socket with nothing to read).
 */
int io_recv_msg(int sock, struct buf *b, int *fd);

/* Wait until sock is readable or timeout_ms passes: 1, 0 (timeout), -1. */
int io_wait_readable(int sock, int timeout_ms);

#endif
