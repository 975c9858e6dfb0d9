/*
 * http: the HTTP/1.1 client of a timestamp request (RFC 3161 section
 * 3.4): one POST over a socket the monitor connected, one response read
 * within a deadline.  The response comes from the network, so it is
 * parsed like any hostile input: bounded, strictly, in one place.
 */
#ifndef CSIGN_HTTP_H
#define CSIGN_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "proto/buf.h"

#define HTTP_RESP_MAX (128u << 10) /* headers and body */

/*
 * Parse the response bytes p[0..len) received so far (eof: the peer has
 * closed).  Returns 1 with *status and the body (de-chunked) in body, 0
 * if more bytes are needed, or -1 with err saying what is malformed.
 */
int http_parse_response(const uint8_t *p, size_t len, int eof, int *status,
    struct buf *body, char *err, size_t errlen);

/*
 * POST body (of content type ctype) to path on the connected socket fd,
 * announcing hostport as Host, and read the response within timeout_ms
 * of the call.  Returns 0 with the HTTP status and the response body, or
 * -1 with err set (timeout, connection closed, malformed response).
 */
int http_post(int fd, const char *hostport, const char *path, const char *ctype,
    const uint8_t *body, size_t len, unsigned timeout_ms, int *status,
    struct buf *resp, char *err, size_t errlen);

#endif
