/*
 * csign-client's side of the protocol (proto/frame.h): one connection to
 * the daemon, opened with F_HELLO, then one F_REPLY per request frame.
 *
 * Every received frame is decoded strictly and must be an F_REPLY; a
 * reply whose status is not ST_OK is a failure whose message is the
 * daemon's.  Replies that list entries (keys, tokens, groups) are walked
 * with a group iterator.
 */
#ifndef CSIGN_CLIENT_CONN_H
#define CSIGN_CLIENT_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "client/client.h"
#include "proto/buf.h"
#include "proto/frame.h"

struct conn {
	int fd;
	int timeout; /* seconds per reply */
	const char *path;
	int inline_data; /* descriptors do not travel: send bytes */
	int broken;	 /* a frame was lost or garbled: out of step */
	int busy;	 /* T_BUSY of the hello reply, or -1 (none) */
};

/* A received reply; f's values point into raw. */
struct reply {
	struct buf raw;
	struct frame f;
	uint32_t status;
	char message[1025]; /* T_MESSAGE, at most 1024 bytes */
	int accept_data;    /* F_DATA frames are expected too */
	int accept_held;    /* F_HELD frames are expected too */
};

/*
 * Connect to the daemon's socket at path and exchange F_HELLO.  0, or -1
 * with fl filled (exit 4 when the daemon cannot be reached).
 */
int cl_conn_open(struct conn *c, const char *path, int timeout,
    struct failure *fl);
void cl_conn_close(struct conn *c);
/* cl_conn_open() in two steps: the socket (c->fd set), then F_HELLO. */
int cl_conn_connect(struct conn *c, const char *path, int timeout,
    struct failure *fl);
int cl_conn_hello(struct conn *c, struct failure *fl);

/*
 * Send the finished frame req with nfds descriptors and receive its
 * reply into r.  0 if the reply says ST_OK; -1 with fl filled otherwise.
 */
int cl_conn_request(struct conn *c, const struct buf *req, const int *fds,
    size_t nfds, struct reply *r, struct failure *fl);

/*
 * Send the finished frame req with nfds descriptors and do not wait: the
 * reply is read later with cl_conn_reply(), in the order of the requests
 * (the session reads a request only after it has answered the one
 * before).  0, or -1 with fl filled.
 */
int cl_conn_post(struct conn *c, const struct buf *req, const int *fds,
    size_t nfds, struct failure *fl);

/* Receive the next reply into r: 0 if ST_OK (or F_HELD), else -1. */
int cl_conn_reply(struct conn *c, struct reply *r, struct failure *fl);

/* Send one finished frame without descriptors: 0 or -1 with fl filled. */
int cl_conn_send(struct conn *c, const struct buf *req, struct failure *fl);

/*
 * Receive the next frame of an inline exchange into r: 1 for F_DATA (its
 * T_DATA in r->f), 0 for an ST_OK reply, -1 with fl filled otherwise.
 */
int cl_conn_next(struct conn *c, struct reply *r, struct failure *fl);

/* Send a request of type with an optional T_KEY, then as cl_conn_request. */
int cl_conn_simple(struct conn *c, uint16_t type, const char *key,
    struct reply *r, struct failure *fl);

void cl_reply_init(struct reply *r);
void cl_reply_free(struct reply *r);

/*
 * Decode the frame in r->raw (length field included): strict decoding,
 * F_REPLY only, then the status and message.  0, or -1 with *err.
 */
int cl_reply_decode(struct reply *r, const char **err);

/* A protocol failure: "protocol error from daemon: why", exit 1. */
void cl_fail_protocol(struct failure *fl, const char *why);

#define GROUP_MAX 16

/*
 * Walks the entries of a reply that lists several: an entry starts at
 * each tags[0] and takes the tags[1..ntags) that follow it, each at most
 * once.  Other tags are ignored; a member tag before any start tag is a
 * protocol error.
 */
struct group_iter {
	const struct frame *f;
	const uint16_t *tags;
	size_t ntags; /* at most GROUP_MAX */
	size_t pos;
};

void cl_group_init(struct group_iter *it, const struct frame *f,
    const uint16_t *tags, size_t ntags);

/*
 * The next entry: fields[i] is its TLV for tags[i], or NULL if absent.
 * 1 for an entry, 0 at the end, -1 with *err on a malformed list.
 */
int cl_group_next(struct group_iter *it, const struct tlv **fields,
    const char **err);

#endif
