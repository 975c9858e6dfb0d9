/* http.c: one HTTP/1.1 POST and its response (see http.h). */
#include "sandbox/http.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "proto/names.h"

#define HEADER_LINE_MAX 1024

/* The end of the header block (the blank line), or NULL if not yet in. */
static const uint8_t *
headers_end(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 3 < len; i++)
		if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' &&
		    p[i + 3] == '\n')
			return p + i + 4;
	return NULL;
}

/* Parse a decimal number of at most 9 digits; -1 if it is not one. */
static long
parse_decimal(const char *s)
{
	long v = 0;

	if (*s == '\0' || strlen(s) > 9)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

/* What the headers say about the body. */
struct head {
	int status;
	long content_length; /* -1 if absent */
	int chunked;
};

/* "HTTP/1.x NNN reason" */
static int
parse_status_line(const char *line, struct head *h, char *err, size_t errlen)
{
	char code[4];

	if ((strncmp(line, "HTTP/1.1 ", 9) != 0 &&
		strncmp(line, "HTTP/1.0 ", 9) != 0) ||
	    strlen(line) < 12 || (line[12] != ' ' && line[12] != '\0'))
		return snprintf(err, errlen, "malformed HTTP status line"), -1;
	memcpy(code, line + 9, 3);
	code[3] = '\0';
	if ((h->status = (int)parse_decimal(code)) < 100)
		return snprintf(err, errlen, "malformed HTTP status line"), -1;
	return 0;
}

/* One "Name: value" header; only the ones that frame the body matter. */
static int
parse_header(char *line, struct head *h, char *err, size_t errlen)
{
	char *colon = strchr(line, ':'), *v;

	if (colon == NULL || colon == line)
		return snprintf(err, errlen, "malformed HTTP header"), -1;
	*colon = '\0';
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	for (size_t n = strlen(v);
	     n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'); n--)
		v[n - 1] = '\0';
	if (strcasecmp(line, "Content-Length") == 0) {
		if (h->content_length != -1 ||
		    (h->content_length = parse_decimal(v)) < 0)
			return snprintf(err, errlen, "bad Content-Length"), -1;
	} else if (strcasecmp(line, "Transfer-Encoding") == 0) {
		if (strcasecmp(v, "chunked") != 0)
			return snprintf(err, errlen,
				   "unsupported "
				   "Transfer-Encoding '%.32s'",
				   v),
			       -1;
		h->chunked = 1;
	}
	return 0;
}

/* Split the header block [p, end) into lines and parse them. */
static int
parse_head(const uint8_t *p, const uint8_t *end, struct head *h, char *err,
    size_t errlen)
{
	char line[HEADER_LINE_MAX + 1];
	int first = 1;

	h->content_length = -1;
	while (p < end) {
		const uint8_t *eol = memchr(p, '\r', (size_t)(end - p));
		size_t n;

		if (eol == NULL || eol + 1 >= end || eol[1] != '\n')
			return snprintf(err, errlen, "malformed HTTP header"),
			       -1;
		if ((n = (size_t)(eol - p)) == 0)
			break;
		if (n > HEADER_LINE_MAX || memchr(p, '\0', n) != NULL)
			return snprintf(err, errlen,
				   "HTTP header line too "
				   "long or binary"),
			       -1;
		memcpy(line, p, n);
		line[n] = '\0';
		if ((first ? parse_status_line(line, h, err, errlen)
			   : parse_header(line, h, err, errlen)) == -1)
			return -1;
		first = 0;
		p = eol + 2;
	}
	if (h->chunked && h->content_length != -1)
		return snprintf(err, errlen,
			   "both Content-Length and chunked "
			   "encoding"),
		       -1;
	return 0;
}

/* A hex chunk size ("1a3" optionally followed by ";ext"). */
static long
chunk_size(const uint8_t *p, size_t n)
{
	long v = 0;
	size_t i;

	for (i = 0; i < n && p[i] != ';'; i++) {
		int d;

		if (p[i] >= '0' && p[i] <= '9')
			d = p[i] - '0';
		else if (p[i] >= 'a' && p[i] <= 'f')
			d = p[i] - 'a' + 10;
		else if (p[i] >= 'A' && p[i] <= 'F')
			d = p[i] - 'A' + 10;
		else
			return -1;
		if (i >= 7)
			return -1; /* no chunk near 256 MiB here */
		v = v * 16 + d;
	}
	return i == 0 ? -1 : v;
}

/* De-chunk p[0..len) into body: 1 complete, 0 more needed, -1 bad. */
static int
dechunk(const uint8_t *p, size_t len, struct buf *body, char *err,
    size_t errlen)
{
	const uint8_t *end = p + len;

	for (;;) {
		const uint8_t *eol = memchr(p, '\r', (size_t)(end - p));
		long n;

		if (eol == NULL || eol + 1 >= end)
			return 0;
		if (eol[1] != '\n' ||
		    (n = chunk_size(p, (size_t)(eol - p))) < 0)
			return snprintf(err, errlen, "malformed HTTP chunk"),
			       -1;
		p = eol + 2;
		if (n == 0)
			/* No trailers expected: the final CRLF ends it. */
			return end - p < 2 ? 0
			    : (p[0] == '\r' && p[1] == '\n')
			    ? 1
			    : (snprintf(err, errlen,
				   "HTTP trailers are not "
				   "supported"),
				  -1);
		if ((size_t)(end - p) < (size_t)n + 2)
			return 0;
		if (p[n] != '\r' || p[n + 1] != '\n')
			return snprintf(err, errlen, "malformed HTTP chunk"),
			       -1;
		if (buf_put(body, p, (size_t)n) == -1)
			return snprintf(err, errlen, "HTTP response too large"),
			       -1;
		p += n + 2;
	}
}

int
http_parse_response(const uint8_t *p, size_t len, int eof, int *status,
    struct buf *body, char *err, size_t errlen)
{
	const uint8_t *hend = headers_end(p, len);
	struct head h = { 0 };
	size_t have;
	int r;

	buf_reset(body);
	if (hend == NULL)
		return eof ? (snprintf(err, errlen,
				  "connection closed before "
				  "the HTTP headers ended"),
				 -1)
			   : 0;
	if (parse_head(p, hend, &h, err, errlen) == -1)
		return -1;
	*status = h.status;
	have = len - (size_t)(hend - p);
	if (h.chunked) {
		if ((r = dechunk(hend, have, body, err, errlen)) == 0 && eof)
			return snprintf(err, errlen,
				   "connection closed in the "
				   "middle of the HTTP body"),
			       -1;
		return r;
	}
	if (h.content_length >= 0) {
		if (have < (size_t)h.content_length)
			return eof ? (snprintf(err, errlen,
					  "connection closed "
					  "in the middle of the HTTP body"),
					 -1)
				   : 0;
		if (have > (size_t)h.content_length)
			return snprintf(err, errlen,
				   "more bytes than "
				   "Content-Length"),
			       -1;
	} else if (!eof)
		return 0; /* the body ends when the peer closes */
	if (buf_put(body, hend, have) == -1)
		return snprintf(err, errlen, "HTTP response too large"), -1;
	return 1;
}

/* Milliseconds left until the deadline (monotonic), at least 0. */
static int
ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > 600000 ? 600000 : (int)ms;
}

/* Wait until fd is ready for events; 0, or -1 (timeout or error). */
static int
wait_fd(int fd, short events, const struct timespec *deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int r;

	do {
		r = poll(&pfd, 1, ms_left(deadline));
	} while (r == -1 && errno == EINTR);
	if (r == 0)
		errno = ETIMEDOUT;
	return r == 1 ? 0 : -1;
}

/* Write all of p[0..len) before the deadline. */
static int
send_all(int fd, const void *p, size_t len, const struct timespec *deadline)
{
	const uint8_t *q = p;

	while (len > 0) {
		ssize_t n = write(fd, q, len);

		if (n > 0) {
			q += n;
			len -= (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		/* A full socket buffer: wait for room, within the deadline. */
		if (n == -1 && errno == EAGAIN &&
		    wait_fd(fd, POLLOUT, deadline) == 0)
			continue;
		return -1;
	}
	return 0;
}

/* Read the response until it is complete, the peer closes, or timeout. */
static int
read_response(int fd, const struct timespec *deadline, unsigned timeout_ms,
    int *status, struct buf *resp, char *err, size_t errlen)
{
	struct buf raw;
	uint8_t chunk[8192];
	int r = 0, eof = 0;

	buf_init(&raw, HTTP_RESP_MAX);
	while (r == 0) {
		ssize_t n;

		if (wait_fd(fd, POLLIN, deadline) == -1) {
			if (errno == ETIMEDOUT)
				snprintf(err, errlen,
				    "no complete reply within "
				    "%u ms",
				    timeout_ms);
			else
				snprintf(err, errlen, "read: %s",
				    strerror(errno));
			r = -1;
			break;
		}
		if ((n = read(fd, chunk, sizeof(chunk))) == -1) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			snprintf(err, errlen, "read: %s", strerror(errno));
			r = -1;
			break;
		}
		if (n == 0)
			eof = 1;
		else if (buf_put(&raw, chunk, (size_t)n) == -1) {
			snprintf(err, errlen, "reply larger than %u bytes",
			    HTTP_RESP_MAX);
			r = -1;
			break;
		}
		r = http_parse_response(buf_ptr(&raw), buf_left(&raw), eof,
		    status, resp, err, errlen);
	}
	buf_free(&raw);
	return r == 1 ? 0 : -1;
}

int
http_post(int fd, const char *hostport, const char *path, const char *ctype,
    const uint8_t *body, size_t len, unsigned timeout_ms, int *status,
    struct buf *resp, char *err, size_t errlen)
{
	struct timespec deadline;
	char head[1024];
	int n;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	n = snprintf(head, sizeof(head),
	    "POST %s HTTP/1.1\r\nHost: %s\r\n"
	    "User-Agent: csign/%s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n",
	    path, hostport, CSIGN_VERSION, ctype, len);
	if (n < 0 || (size_t)n >= sizeof(head))
		return snprintf(err, errlen, "request line too long"), -1;
	if (send_all(fd, head, (size_t)n, &deadline) == -1 ||
	    send_all(fd, body, len, &deadline) == -1) {
		if (errno == ETIMEDOUT)
			snprintf(err, errlen, "request not sent within %u ms",
			    timeout_ms);
		else
			snprintf(err, errlen, "cannot send the request: %s",
			    strerror(errno));
		return -1;
	}
	return read_response(fd, &deadline, timeout_ms, status, resp, err,
	    errlen);
}
