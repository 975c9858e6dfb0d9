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
 * not a valid F_REPLY, 64 usage or local error.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "proto/buf.h"
#include "proto/frame.h"
#include "proto/io.h"
#include "proto/names.h"

#define EX_NOREPLY 10
#define EX_NOCONN 11
#define EX_BADREPLY 12
#define EX_LOCAL 64
#define REPLY_TIMEOUT_MS 30000

static struct buf out;		/* the frame being built */
static struct buf raw;		/* the last reply as received */
static struct frame reply;	/* ... and decoded (points into raw) */

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

/* Receive and strictly decode one reply: 0, or the exit code. */
static int
recv_reply(int s)
{
	const char *err = "truncated";
	uint32_t len;
	size_t nfds;
	int r;

	r = io_recv_frame(s, &raw, NULL, 0, &nfds, REPLY_TIMEOUT_MS);
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
		0, 0, 0, 10,			/* length: type + 8 */
		0x77, 0x77,			/* no such frame type */
		0xde, 0xad, 0xbe, 0xef, 0x00, 0xff, 0x13, 0x37,
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
		0, 0, 0, 11,			/* length: type + 9 */
		0, F_SIGN,
		0, T_KEY, 0, 0, 1, 0,		/* tag, length 256 */
		'a', 'b', 'c',
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
	{ "half", 1, mode_half },
	{ "syscall", 1, mode_syscall },
	{ "sign", 3, mode_sign },
	{ "inline", 3, mode_inline },
};

static void
usage(void)
{
	fprintf(stderr, "usage: rawclient SOCKET hello | garbage | badtlv | "
	    "oversize | nohello | half SECONDS | syscall NAME | "
	    "sign KEY FORMAT FILE | inline KEY FORMAT SIZE\n");
	exit(EX_LOCAL);
}

int
main(int argc, char **argv)
{
	const struct mode *m = NULL;
	int s, r;

	if (argc < 3)
		usage();
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(argv[2], modes[i].name) == 0)
			m = &modes[i];
	if (m == NULL || argc != 3 + m->nargs)
		usage();
	signal(SIGPIPE, SIG_IGN);	/* the daemon may hang up first */
	if ((s = connect_to(argv[1])) == -1)
		return EX_NOCONN;
	buf_init(&out, FRAME_MAX + 4);
	buf_init(&raw, FRAME_MAX + 4);
	r = m->fn(s, argv + 3);
	fflush(stdout);
	buf_free(&out);
	buf_free(&raw);
	close(s);
	return r;
}
