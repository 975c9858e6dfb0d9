/*
 * rawclient: a test-only client that speaks raw protocol to csignd's
 * socket, so that integration tests can send what csign-client never
 * would (junk, bad fields, oversized or half frames).
 *
 * usage: rawclient SOCKET MODE [ARGS]
 * (inline KEY FORMAT SIZE announces an inline artifact and sends none of it)
 *
 * Prints the daemon's reply as one line "STATUSNAME: MESSAGE" and exits
 * with the reply's numeric status.  Other exits: 10 no reply (timeout, or
 * the connection closed without one), 11 cannot connect, 12 the reply is
 * not a valid F_REPLY, 13 still served when a "busy" client gives up,
 * 64 usage or local error.
 *
 * "flood" opens many connections instead of one (see mode_flood).
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "proto/buf.h"
#include "proto/frame.h"
#include "proto/io.h"
#include "proto/names.h"

#define EX_NOREPLY 10
#define EX_NOCONN 11
#define EX_BADREPLY 12
#define EX_SERVED 13
#define EX_LOCAL 64
#define REPLY_TIMEOUT_MS 30000

static struct buf out;	   /* the frame being built */
static struct buf raw;	   /* the last reply as received */
static struct frame reply; /* ... and decoded (points into raw) */

/* Connect to the daemon's stream socket at path: the socket, or -1. */
static int
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
static void
send_out(int s, const int *fds, size_t nfds)
{
	if (frame_finish(&out) == -1)
		errx(EX_LOCAL, "cannot finish the frame");
	if (io_send_frame(s, &out, fds, nfds) == -1)
		warn("send");
}

/* Write deliberately malformed bytes as they are. */
static void
send_raw(int s, const void *p, size_t len)
{
	ssize_t n = write(s, p, len);

	if (n == -1)
		warn("write");
	else if ((size_t)n != len)
		warnx("short write: %zd of %zu bytes", n, len);
}

/* Receive and strictly decode one reply within ms: 0, or the exit code. */
static int
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
static int
recv_reply(int s)
{
	return recv_reply_within(s, REPLY_TIMEOUT_MS);
}

/* The status of the decoded reply (frame_decode made sure it is there). */
static int
reply_status(void)
{
	uint32_t st = ST_COUNT;

	(void)frame_get_u32(&reply, T_STATUS, &st);
	return st < ST_COUNT ? (int)st : EX_BADREPLY;
}

/* Print the decoded reply as "status: message"; its status. */
static int
print_reply(void)
{
	char msg[1025] = "";

	(void)frame_get_str(&reply, T_MESSAGE, msg, sizeof(msg));
	printf("%s: %s\n", status_name(reply_status()), msg);
	return reply_status();
}

/* Receive, print and return the reply's status (or 10/12). */
static int
finish(int s)
{
	int r;

	if ((r = recv_reply(s)) != 0)
		return r;
	return print_reply();
}

/* Send a correct F_HELLO. */
static void
send_hello(int s)
{
	if (frame_begin(&out, F_HELLO) == -1 ||
	    frame_add_u32(&out, T_VERSION, PROTO_VERSION) == -1)
		errx(EX_LOCAL, "cannot build hello");
	send_out(s, NULL, 0);
}

/* Say hello and expect ok: 0, or the exit code (refusal printed). */
static int
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

static int
mode_hello(int s, char **args)
{
	(void)args;
	send_hello(s);
	return finish(s);
}

/* A well-framed body of an unknown type (0x7777) and junk. */
static int
mode_garbage(int s, char **args)
{
	static const uint8_t junk[] = {
		0,
		0,
		0,
		10, /* length: type + 8 */
		0x77,
		0x77, /* no such frame type */
		0xde,
		0xad,
		0xbe,
		0xef,
		0x00,
		0xff,
		0x13,
		0x37,
	};
	int r;

	(void)args;
	if ((r = hello(s)) != 0)
		return r;
	send_raw(s, junk, sizeof(junk));
	return finish(s);
}

/* F_SIGN whose T_KEY claims 256 bytes and carries 3. */
static int
mode_badtlv(int s, char **args)
{
	static const uint8_t bad[] = {
		0,
		0,
		0,
		11, /* length: type + 9 */
		0,
		F_SIGN,
		0,
		T_KEY,
		0,
		0,
		1,
		0, /* tag, length 256 */
		'a',
		'b',
		'c',
	};
	int r;

	(void)args;
	if ((r = hello(s)) != 0)
		return r;
	send_raw(s, bad, sizeof(bad));
	return finish(s);
}

/* Only a length header claiming 2 GiB. */
static int
mode_oversize(int s, char **args)
{
	static const uint8_t hdr[] = { 0x7f, 0xff, 0xff, 0xff };
	int r;

	(void)args;
	if ((r = hello(s)) != 0)
		return r;
	send_raw(s, hdr, sizeof(hdr));
	return finish(s);
}

/* A request before hello. */
static int
mode_nohello(int s, char **args)
{
	(void)args;
	if (frame_begin(&out, F_KEYS) == -1)
		errx(EX_LOCAL, "cannot build keys");
	send_out(s, NULL, 0);
	return finish(s);
}

/* A keys request that brings a descriptor, which no keys request may. */
static int
mode_keysfd(int s, char **args)
{
	int fd, r;

	(void)args;
	if ((r = hello(s)) != 0)
		return r;
	if ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
		err(EX_LOCAL, "/dev/null");
	if (frame_begin(&out, F_KEYS) == -1)
		errx(EX_LOCAL, "cannot build keys");
	send_out(s, &fd, 1);
	close(fd);
	return finish(s);
}

/* The first 6 bytes of a 20-byte frame, then silence for SECONDS. */
static int
mode_half(int s, char **args)
{
	char *end;
	long secs;
	int r;

	secs = strtol(args[0], &end, 10);
	if (end == args[0] || *end != '\0' || secs < 0 || secs > 3600)
		errx(EX_LOCAL, "%s: bad number of seconds", args[0]);
	if ((r = hello(s)) != 0)
		return r;
	if (frame_begin(&out, F_CERT) == -1 ||
	    frame_add_str(&out, T_KEY, "abcdefgh") == -1 ||
	    frame_finish(&out) == -1 || out.len != 20)
		errx(EX_LOCAL, "cannot build the 20-byte frame");
	send_raw(s, out.data, 6);
	sleep((unsigned)secs);
	return finish(s);
}

/* A sign request with the test-only syscall hook. */
static int
mode_syscall(int s, char **args)
{
	int r;

	if ((r = hello(s)) != 0)
		return r;
	if (frame_begin(&out, F_SIGN) == -1 ||
	    frame_add_str(&out, T_KEY, "x") == -1 ||
	    frame_add_str(&out, T_FORMAT, "raw") == -1 ||
	    frame_add_str(&out, T_TEST_SYSCALL, args[0]) == -1)
		errx(EX_LOCAL, "cannot build the sign frame");
	send_out(s, NULL, 0);
	return finish(s);
}

/*
 * The test hook NAME that pauses half-way (sandbox/testhook.c,
 * sign-late): print its first reply, wait until the file GOFILE exists,
 * send it one byte to go on and print its final reply.
 */
static int
mode_syscall_wait(int s, char **args)
{
	int r;

	if ((r = mode_syscall(s, args)) != ST_OK)
		return r;
	fflush(stdout);
	for (int i = 0; access(args[1], F_OK) != 0; i++) {
		if (i == 600)
			errx(EX_LOCAL, "%s never appeared", args[1]);
		usleep(100000);
	}
	send_raw(s, "g", 1);
	return finish(s);
}

/* A well-formed sign request for FILE; "ok: N bytes" on success. */
static int
mode_sign(int s, char **args)
{
	const struct tlv *sig;
	int fd, r;

	if ((fd = open(args[2], O_RDONLY | O_CLOEXEC)) == -1)
		err(EX_LOCAL, "%s", args[2]);
	if ((r = hello(s)) != 0)
		goto done;
	if (frame_begin(&out, F_SIGN) == -1 ||
	    frame_add_str(&out, T_KEY, args[0]) == -1 ||
	    frame_add_str(&out, T_FORMAT, args[1]) == -1)
		errx(EX_LOCAL, "cannot build the sign frame");
	send_out(s, &fd, 1);
	if ((r = recv_reply(s)) != 0)
		goto done;
	sig = frame_find(&reply, T_SIGNATURE);
	if (reply_status() == ST_OK && sig != NULL) {
		printf("ok: %u bytes\n", (unsigned)sig->len);
		r = ST_OK;
	} else
		r = print_reply();
done:
	close(fd);
	return r;
}

/*
 * An inline sign request announcing SIZE bytes, and then not one byte of
 * them: the reply says whether the daemon refused before reading.
 */
static int
mode_inline(int s, char **args)
{
	unsigned long long size;
	char *end;
	int r;

	errno = 0;
	size = strtoull(args[2], &end, 10);
	if (end == args[2] || *end != '\0' || errno != 0)
		errx(EX_LOCAL, "%s: bad size", args[2]);
	if ((r = hello(s)) != 0)
		return r;
	if (frame_begin(&out, F_SIGN) == -1 ||
	    frame_add_str(&out, T_KEY, args[0]) == -1 ||
	    frame_add_str(&out, T_FORMAT, args[1]) == -1 ||
	    frame_add_u32(&out, T_FLAGS, SIGN_F_INLINE) == -1 ||
	    frame_add_u64(&out, T_SIZE, (uint64_t)size) == -1)
		errx(EX_LOCAL, "cannot build the sign frame");
	send_out(s, NULL, 0);
	return finish(s);
}

/* A number of seconds (or of connections) from the command line. */
static long
parse_count(const char *s, long max)
{
	char *end;
	long n;

	n = strtol(s, &end, 10);
	if (end == s || *end != '\0' || n < 0 || n > max)
		errx(EX_LOCAL, "%s: bad number", s);
	return n;
}

/* Wait for the daemon's word on a client that says nothing. */
static int
mode_silent(int s, char **args)
{
	long secs = parse_count(args[0], 3600);
	int r;

	if ((r = recv_reply_within(s, (int)secs * 1000)) != 0)
		return r;
	return print_reply();
}

/* The first 3 bytes of a hello, then silence. */
static int
mode_partial(int s, char **args)
{
	if (frame_begin(&out, F_HELLO) == -1 ||
	    frame_add_u32(&out, T_VERSION, PROTO_VERSION) == -1 ||
	    frame_finish(&out) == -1)
		errx(EX_LOCAL, "cannot build hello");
	send_raw(s, out.data, 3);
	return mode_silent(s, args);
}

/* Seconds since an earlier CLOCK_MONOTONIC reading. */
static double
since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	    (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * Keep a session busy: a status query every half second, for at most
 * SECONDS.  The reply that ends it is printed with the time it came.
 */
static int
mode_busy(int s, char **args)
{
	long secs = parse_count(args[0], 3600);
	struct timespec t0;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((r = hello(s)) != 0)
		return r;
	while (since(&t0) < (double)secs) {
		if (frame_begin(&out, F_STATUS) == -1)
			errx(EX_LOCAL, "cannot build status");
		send_out(s, NULL, 0);
		if ((r = recv_reply(s)) != 0)
			return r;
		if (reply_status() != ST_OK) {
			printf("after %.1f s: ", since(&t0));
			return print_reply();
		}
		usleep(500000);
	}
	printf("still served after %ld s\n", secs);
	return EX_SERVED;
}

/* One connection of a flood and what became of it. */
struct conn {
	int fd;
	int state; /* 0 waiting, 1 hello answered, 2 refused */
};

/* Connect without waiting: -1 if the backlog is full. */
static int
flood_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int s;

	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		 0)) == -1)
		err(EX_LOCAL, "socket");
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		int e = errno;

		close(s);
		errno = e;
		return -1;
	}
	(void)fcntl(s, F_SETFL, 0);
	return s;
}

/* Read c's answer to its hello if there is one; note the first refusal. */
static void
flood_classify(struct conn *c, char *refusal, size_t len)
{
	char msg[1025] = "";

	if (c->state != 0 || io_wait_readable(c->fd, 0) != 1)
		return;
	if (recv_reply_within(c->fd, 100) != 0 || reply_status() != ST_OK) {
		c->state = 2;
		(void)frame_get_str(&reply, T_MESSAGE, msg, sizeof(msg));
		if (refusal[0] == '\0')
			snprintf(refusal, len, "%s: %s",
			    status_name(reply_status()), msg);
	} else
		c->state = 1;
}

/* Ask each served connection for the status, so that it stays busy. */
static void
flood_keep_busy(struct conn *cs, long n)
{
	size_t nfds;

	for (long i = 0; i < n; i++) {
		if (cs[i].state != 1)
			continue;
		if (frame_begin(&out, F_STATUS) == -1)
			errx(EX_LOCAL, "cannot build status");
		if (frame_finish(&out) == -1 ||
		    io_send_frame(cs[i].fd, &out, NULL, 0) == -1 ||
		    io_recv_frame(cs[i].fd, &raw, NULL, 0, &nfds, 2000) != 1)
			cs[i].state = 2;
	}
}

/*
 * flood PATH COUNT HOLD idle|busy-drop: open COUNT connections at once,
 * each saying hello; after a second print how many the daemon answered
 * (served), refused (and the first refusal) or left waiting (queued),
 * and how many could not even connect; then hold them HOLD seconds.
 * idle: quietly.  busy-drop: the queued ones are closed and the served
 * ones kept busy with status queries.
 */
static int
mode_flood(const char *path, char **args)
{
	long n = parse_count(args[0], 4096), hold = parse_count(args[1], 600);
	int busy = strcmp(args[2], "busy-drop") == 0;
	char refusal[1100] = "";
	long counts[3] = { 0, 0, 0 }, unconnected = 0, k = 0;
	struct conn *cs;
	struct timespec t0;

	if (!busy && strcmp(args[2], "idle") != 0)
		errx(EX_LOCAL, "%s: idle or busy-drop", args[2]);
	if ((cs = calloc((size_t)n, sizeof(*cs))) == NULL)
		err(EX_LOCAL, "calloc");
	/* A full listen backlog is tried again, for 3 s in all. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		while ((cs[k].fd = flood_connect(path)) == -1 &&
		    errno == EAGAIN && since(&t0) < 3.0)
			usleep(2000);
		if (cs[k].fd == -1) {
			unconnected++;
			continue;
		}
		send_hello(cs[k++].fd);
	}
	sleep(1);
	for (long i = 0; i < k; i++) {
		flood_classify(&cs[i], refusal, sizeof(refusal));
		counts[cs[i].state]++;
	}
	printf("connected %ld unconnected %ld served %ld refused %ld "
	       "queued %ld\n",
	    k, unconnected, counts[1], counts[2], counts[0]);
	printf("refusal: %s\n", refusal);
	for (long i = 0; busy && i < k; i++)
		if (cs[i].state == 0) {
			close(cs[i].fd);
			cs[i].state = 3;
		}
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (since(&t0) < (double)hold) {
		if (busy)
			flood_keep_busy(cs, k);
		usleep(500000);
	}
	free(cs);
	return 0;
}

static const struct mode {
	const char *name;
	int nargs;
	int (*fn)(int, char **);
} modes[] = {
	{ "hello", 0, mode_hello },
	{ "garbage", 0, mode_garbage },
	{ "badtlv", 0, mode_badtlv },
	{ "oversize", 0, mode_oversize },
	{ "nohello", 0, mode_nohello },
	{ "keysfd", 0, mode_keysfd },
	{ "half", 1, mode_half },
	{ "syscall", 1, mode_syscall },
	{ "syscall-wait", 2, mode_syscall_wait },
	{ "sign", 3, mode_sign },
	{ "inline", 3, mode_inline },
	{ "silent", 1, mode_silent },
	{ "partial", 1, mode_partial },
	{ "busy", 1, mode_busy },
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: rawclient SOCKET hello | garbage | badtlv | "
	    "oversize | nohello | keysfd | half SECONDS | syscall NAME | "
	    "syscall-wait NAME GOFILE | sign KEY FORMAT FILE | "
	    "inline KEY FORMAT SIZE | silent SECONDS | "
	    "partial SECONDS | busy SECONDS | flood COUNT HOLD "
	    "idle|busy-drop\n");
	exit(EX_LOCAL);
}

int
main(int argc, char **argv)
{
	const struct mode *m = NULL;
	int s, r;

	if (argc < 3)
		usage();
	signal(SIGPIPE, SIG_IGN); /* the daemon may hang up first */
	buf_init(&out, FRAME_MAX + 4);
	buf_init(&raw, FRAME_MAX + 4);
	if (strcmp(argv[2], "flood") == 0) {
		if (argc != 6 ||
		    strlen(argv[1]) >=
			sizeof(((struct sockaddr_un *)0)->sun_path))
			usage();
		return mode_flood(argv[1], argv + 3);
	}
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(argv[2], modes[i].name) == 0)
			m = &modes[i];
	if (m == NULL || argc != 3 + m->nargs)
		usage();
	if ((s = connect_to(argv[1])) == -1)
		return EX_NOCONN;
	r = m->fn(s, argv + 3);
	fflush(stdout);
	buf_free(&out);
	buf_free(&raw);
	close(s);
	return r;
}
