/*
 * tsaserver_http.c: tsaserver's HTTP: reading one request within its
 * deadline, and sending an answer whole or chunked.
 */
#include "tsaserver.h"

/* What the headers said. */
struct head {
	size_t length;
	int has_length;
	int expect_continue;
};

/* Set ts to ms milliseconds from now (monotonic clock). */
void
deadline_in(long ms, struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* The time left until deadline in left: 1, or 0 if it has passed. */
static int
time_left(const struct timespec *deadline, struct timespec *left)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	left->tv_sec = deadline->tv_sec - now.tv_sec;
	left->tv_nsec = deadline->tv_nsec - now.tv_nsec;
	if (left->tv_nsec < 0) {
		left->tv_sec--;
		left->tv_nsec += 1000000000L;
	}
	return left->tv_sec >= 0;
}

/*
 * Wait until fd is ready for events, or until deadline (NULL: no limit);
 * fd -1 only waits.  1 ready, 0 the deadline passed, -1 stop requested or
 * error.  The only place where the process sleeps.
 */
int
wait_fd(int fd, short events, const struct timespec *deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	struct timespec left;
	int n;

	for (;;) {
		if (quit)
			return -1;
		if (deadline != NULL && !time_left(deadline, &left))
			return 0;
		n = ppoll(&pfd, 1, deadline != NULL ? &left : NULL, &waitmask);
		if (n > 0)
			return 1;
		if (n == -1 && errno != EINTR) {
			warn("ppoll");
			return -1;
		}
	}
}

/* Send all of p, within the connection's deadline: 0, or -1. */
static int
send_all(struct conn *c, const void *p, size_t len)
{
	const unsigned char *q = p;
	ssize_t n;

	while (len > 0) {
		if (wait_fd(c->fd, POLLOUT, &c->deadline) != 1)
			return -1;
		n = send(c->fd, q, len, MSG_NOSIGNAL);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return -1;
		q += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read more of the request, up to limit bytes in all: bytes, 0 EOF, -1. */
static ssize_t
read_more(struct conn *c, size_t limit)
{
	ssize_t n;

	for (;;) {
		if (wait_fd(c->fd, POLLIN, &c->deadline) != 1)
			return -1;
		n = read(c->fd, c->buf + c->have, limit - c->have);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n > 0)
			c->have += (size_t)n;
		return n;
	}
}

/* Only visible ASCII, as a path that goes into one log line must be. */
static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s <= ' ' || *s > '~')
			return 0;
	return 1;
}

/*
 * "POST <path> HTTP/1.1": 0, or the status to answer.  The path is kept
 * for the log even when the method is wrong.
 */
static int
parse_request_line(char *line, struct conn *c)
{
	char *path, *version;

	if ((path = strchr(line, ' ')) == NULL)
		return 400;
	*path++ = '\0';
	if ((version = strchr(path, ' ')) == NULL)
		return 400;
	*version++ = '\0';
	if (strcmp(version, "HTTP/1.1") != 0 &&
	    strcmp(version, "HTTP/1.0") != 0)
		return 400;
	if (path[0] != '/' || strlen(path) >= sizeof(c->path) ||
	    !printable(path))
		return 400;
	memcpy(c->path, path, strlen(path) + 1);
	if (strcmp(line, "POST") != 0)
		return 405;
	return 0;
}

/* A decimal Content-Length of at most BODY_MAX, given once. */
static int
parse_length(const char *value, struct head *h)
{
	size_t n = 0;

	if (h->has_length || *value == '\0' || strlen(value) > 6)
		return 400;
	for (; *value != '\0'; value++) {
		if (*value < '0' || *value > '9')
			return 400;
		n = n * 10 + (size_t)(*value - '0');
	}
	if (n > BODY_MAX)
		return 400;
	h->length = n;
	h->has_length = 1;
	return 0;
}

/*
 * One "Name: value" line.  Requests must come with a length: a chunked
 * request body is refused rather than half-supported.
 */
static int
parse_header(char *line, struct head *h)
{
	char *value, *end;

	if ((value = strchr(line, ':')) == NULL || value == line)
		return 400;
	*value++ = '\0';
	if (strpbrk(line, " \t\r\n") != NULL || strpbrk(value, "\r\n"))
		return 400;
	value += strspn(value, " \t");
	end = value + strlen(value);
	while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	if (strcasecmp(line, "Content-Length") == 0)
		return parse_length(value, h);
	if (strcasecmp(line, "Transfer-Encoding") == 0)
		return 400;
	if (strcasecmp(line, "Expect") == 0 &&
	    strcasecmp(value, "100-continue") == 0)
		h->expect_continue = 1;
	return 0;
}

/* The request line and headers, NUL-terminated: 0, or the status. */
static int
parse_head(char *head, struct conn *c, struct head *h)
{
	char *line = head, *next;
	int r;

	for (int first = 1;; first = 0) {
		if ((next = strstr(line, "\r\n")) != NULL)
			*next = '\0';
		if (first)
			r = parse_request_line(line, c);
		else
			r = parse_header(line, h);
		if (r != 0)
			return r;
		if (next == NULL)
			break;
		line = next + 2;
	}
	return h->has_length ? 0 : 400;
}

/*
 * Read one request: its path, and its body in c->body.  0 when complete,
 * the HTTP status to answer when not, -1 when the client sent nothing.
 * Bytes after the body (a pipelined request) are ignored.
 */
int
read_request(struct conn *c)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	char head[HEAD_MAX + 1];
	struct head h = { 0 };
	unsigned char *end;
	size_t hlen, need;
	int r;

	while ((end = memmem(c->buf, c->have, "\r\n\r\n", 4)) == NULL) {
		if (c->have == HEAD_MAX)
			return 400;
		if (read_more(c, HEAD_MAX) <= 0)
			return c->have == 0 ? -1 : 400;
	}
	hlen = (size_t)(end - c->buf);
	memcpy(head, c->buf, hlen);
	head[hlen] = '\0';
	if (strlen(head) != hlen)
		return 400; /* a NUL inside the headers */
	if ((r = parse_head(head, c, &h)) != 0)
		return r;
	need = hlen + 4 + h.length;
	if (h.expect_continue && c->have < need)
		(void)send_all(c, cont, sizeof(cont) - 1);
	while (c->have < need)
		if (read_more(c, need) <= 0)
			return 400;
	c->body = c->buf + hlen + 4;
	c->body_len = h.length;
	return 0;
}

static const char *
status_text(int status)
{
	static const struct {
		int code;
		const char *text;
	} texts[] = {
		{ 200, "OK" },
		{ 400, "Bad Request" },
		{ 405, "Method Not Allowed" },
		{ 500, "Internal Server Error" },
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (texts[i].code == status)
			return texts[i].text;
	return "Unknown";
}

/* An answer with a Content-Length body: status. */
int
send_body(struct conn *c, int status, const char *type, const void *body,
    size_t len)
{
	char head[256];
	int n;

	n = snprintf(head, sizeof(head),
	    "HTTP/1.1 %d %s\r\n"
	    "Content-Type: %s\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n",
	    status, status_text(status), type, len);
	if (n < 0 || (size_t)n >= sizeof(head))
		errx(1, "response head too long");
	if (send_all(c, head, (size_t)n) == 0)
		(void)send_all(c, body, len);
	return status;
}

int
send_text(struct conn *c, int status, const char *text)
{
	return send_body(c, status, "text/plain", text, strlen(text));
}

/*
 * A 200 answer in Transfer-Encoding: chunked, in two chunks (the first
 * half, then the rest) and the last, empty one, as RFC 9112 section 7.1
 * spells them.
 */
int
send_chunked(struct conn *c, const void *body, size_t len)
{
	static const char head[] =
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Type: " TSR_TYPE "\r\nTransfer-Encoding: chunked\r\n"
	    "Connection: close\r\n\r\n";
	const unsigned char *p = body;
	size_t part[2] = { len / 2, len - len / 2 };
	char size[32];
	int n;

	if (send_all(c, head, sizeof(head) - 1) == -1)
		return 200;
	for (size_t i = 0; i < 2; i++) {
		if (part[i] == 0)
			continue;
		n = snprintf(size, sizeof(size), "%zx\r\n", part[i]);
		if (send_all(c, size, (size_t)n) == -1 ||
		    send_all(c, p, part[i]) == -1 ||
		    send_all(c, "\r\n", 2) == -1)
			return 200;
		p += part[i];
	}
	(void)send_all(c, "0\r\n\r\n", 5);
	return 200;
}
