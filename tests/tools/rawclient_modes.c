/*
 * rawclient_modes.c: rawclient's modes on one connection, each sending
 * something csign-client never would.
 */
#include "rawclient.h"

int
mode_hello(int s, char **args)
{
	(void)args;
	send_hello(s);
	return finish(s);
}

/* A well-framed body of an unknown type (0x7777) and junk. */
int
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
int
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
int
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
int
mode_nohello(int s, char **args)
{
	(void)args;
	if (frame_begin(&out, F_KEYS) == -1)
		errx(EX_LOCAL, "cannot build keys");
	send_out(s, NULL, 0);
	return finish(s);
}

/* A keys request that brings a descriptor, which no keys request may. */
int
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
int
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
int
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
int
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
int
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
 * inplace KEY FORMAT FILE: a request to sign FILE in place
 * (SIGN_F_INPLACE), FILE opened for reading and writing and sent as both
 * descriptors, as csign-client does for a module; prints the reply.
 */
int
mode_inplace(int s, char **args)
{
	int fd, r, fds[2];

	if ((fd = open(args[2], O_RDWR | O_CLOEXEC)) == -1)
		err(EX_LOCAL, "%s", args[2]);
	if ((r = hello(s)) != 0)
		goto done;
	if (frame_begin(&out, F_SIGN) == -1 ||
	    frame_add_str(&out, T_KEY, args[0]) == -1 ||
	    frame_add_str(&out, T_FORMAT, args[1]) == -1 ||
	    frame_add_u32(&out, T_FLAGS, SIGN_F_INPLACE) == -1)
		errx(EX_LOCAL, "cannot build the sign frame");
	fds[0] = fds[1] = fd;
	send_out(s, fds, 2);
	if ((r = recv_reply(s)) == 0)
		r = print_reply();
done:
	close(fd);
	return r;
}

/*
 * An inline sign request announcing SIZE bytes, and then not one byte of
 * them: the reply says whether the daemon refused before reading.
 */
int
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

/* Wait for the daemon's word on a client that says nothing. */
int
mode_silent(int s, char **args)
{
	long secs = parse_count(args[0], 3600);
	int r;

	if ((r = recv_reply_within(s, (int)secs * 1000)) != 0)
		return r;
	return print_reply();
}

/* The first 3 bytes of a hello, then silence. */
int
mode_partial(int s, char **args)
{
	if (frame_begin(&out, F_HELLO) == -1 ||
	    frame_add_u32(&out, T_VERSION, PROTO_VERSION) == -1 ||
	    frame_finish(&out) == -1)
		errx(EX_LOCAL, "cannot build hello");
	send_raw(s, out.data, 3);
	return mode_silent(s, args);
}

/*
 * Keep a session busy: a status query every half second, for at most
 * SECONDS.  The reply that ends it is printed with the time it came.
 */
int
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
