/*
 * rawclient_io.c: rawclient's exchange with csignd: connecting, sending
 * what was built, reading and printing the reply, the hello.
 */
#include "rawclient.h"

struct buf out;	    /* the frame being built */
struct buf raw;	    /* the last reply as received */
struct frame reply; /* ... and decoded (points into raw) */

/* Connect to the daemon's stream socket at path: the socket, or -1. */
int
connect_to(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int s;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		warnx("%s: socket path too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		warn("socket");
		return -1;
	}
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		warn("connect %s", path);
		close(s);
		return -1;
	}
	return s;
}

/*
 * Finish the frame in out and send it with nfds descriptors.  A failure
 * is only reported: the daemon may have replied before it hung up.
 */
void
send_out(int s, const int *fds, size_t nfds)
{
	if (frame_finish(&out) == -1)
		errx(EX_LOCAL, "cannot finish the frame");
	if (io_send_frame(s, &out, fds, nfds) == -1)
		warn("send");
}

/* Write deliberately malformed bytes as they are. */
void
send_raw(int s, const void *p, size_t len)
{
	ssize_t n = write(s, p, len);

	if (n == -1)
		warn("write");
	else if ((size_t)n != len)
		warnx("short write: %zd of %zu bytes", n, len);
}

/* Receive and strictly decode one reply within ms: 0, or the exit code. */
int
recv_reply_within(int s, int ms)
{
	const char *err = "truncated";
	uint32_t len;
	size_t nfds;
	int r;

	r = io_recv_frame(s, &raw, NULL, 0, &nfds, ms);
	if (r == 0) {
		warnx("connection closed without a reply");
		return EX_NOREPLY;
	}
	if (r == -1) {
		warn("no reply");
		return EX_NOREPLY;
	}
	if (buf_get_u32(&raw, &len) == -1 ||
	    frame_decode(buf_ptr(&raw), buf_left(&raw), &reply, &err) == -1) {
		warnx("undecodable reply: %s", err);
		return EX_BADREPLY;
	}
	if (reply.type != F_REPLY) {
		warnx("reply of type %s", frame_type_name(reply.type));
		return EX_BADREPLY;
	}
	return 0;
}

/* Receive and strictly decode one reply: 0, or the exit code. */
int
recv_reply(int s)
{
	return recv_reply_within(s, REPLY_TIMEOUT_MS);
}

/* The status of the decoded reply (frame_decode made sure it is there). */
int
reply_status(void)
{
	uint32_t st = ST_COUNT;

	(void)frame_get_u32(&reply, T_STATUS, &st);
	return st < ST_COUNT ? (int)st : EX_BADREPLY;
}

/* Print the decoded reply as "status: message"; its status. */
int
print_reply(void)
{
	char msg[1025] = "";

	(void)frame_get_str(&reply, T_MESSAGE, msg, sizeof(msg));
	printf("%s: %s\n", status_name(reply_status()), msg);
	return reply_status();
}

/* Receive, print and return the reply's status (or 10/12). */
int
finish(int s)
{
	int r;

	if ((r = recv_reply(s)) != 0)
		return r;
	return print_reply();
}

/* Send a correct F_HELLO. */
void
send_hello(int s)
{
	if (frame_begin(&out, F_HELLO) == -1 ||
	    frame_add_u32(&out, T_VERSION, PROTO_VERSION) == -1)
		errx(EX_LOCAL, "cannot build hello");
	send_out(s, NULL, 0);
}

/* Say hello and expect ok: 0, or the exit code (refusal printed). */
int
hello(int s)
{
	int r;

	send_hello(s);
	if ((r = recv_reply(s)) != 0)
		return r;
	if (reply_status() != ST_OK)
		return print_reply();
	return 0;
}

/* A number of seconds (or of connections) from the command line. */
long
parse_count(const char *s, long max)
{
	char *end;
	long n;

	n = strtol(s, &end, 10);
	if (end == s || *end != '\0' || n < 0 || n > max)
		errx(EX_LOCAL, "%s: bad number", s);
	return n;
}

/* Seconds since an earlier CLOCK_MONOTONIC reading. */
double
since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	    (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}
