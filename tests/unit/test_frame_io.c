/*
 * test_frame_io.c: the socket I/O that carries frames and monitor messages
 * (proto/io.c).
 */
#include "frame_test.h"

/* ---- io: frames on a stream socket ---- */

/* Number of open descriptors below 1024. */
static int
count_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			n++;
	return n;
}

static void
stream_pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
	    0);
}

/* A memory file holding tag, to be passed and recognised. */
static int
mem_file(const char *tag)
{
	int fd = memfd_create(tag, MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, tag, strlen(tag)), (ssize_t)strlen(tag));
	return fd;
}

/* 1 if a and b are the same open file. */
static int
same_file(int a, int b)
{
	struct stat sa, sb;

	assert_int_equal(fstat(a, &sa), 0);
	assert_int_equal(fstat(b, &sb), 0);
	return sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

/* Write raw bytes on a socket, all of them. */
static void
send_raw(int s, const void *p, size_t len)
{
	assert_int_equal(write(s, p, len), (ssize_t)len);
}

/* Send a sign frame with nfds descriptors; receive it; check it. */
static void
frame_trip_with_fds(const int *fds, size_t nfds)
{
	int sv[2], got[FRAME_MAX_FDS] = { -1, -1 };
	struct buf out, in;
	size_t ngot = 99;

	stream_pair(sv);
	buf_init(&out, 0);
	buf_init(&in, 0);
	assert_int_equal(frame_begin(&out, F_SIGN), 0);
	assert_int_equal(frame_add_str(&out, T_KEY, "k"), 0);
	assert_int_equal(frame_add_str(&out, T_FORMAT, "raw"), 0);
	assert_int_equal(frame_finish(&out), 0);
	assert_int_equal(io_send_frame(sv[0], &out, fds, nfds), 0);
	assert_int_equal(io_recv_frame(sv[1], &in, got, FRAME_MAX_FDS, &ngot,
			     1000),
	    1);
	assert_int_equal(ngot, nfds);
	assert_int_equal(in.len, out.len);
	assert_memory_equal(in.data, out.data, out.len);
	for (size_t i = 0; i < nfds; i++) {
		assert_true(same_file(got[i], fds[i]));
		assert_int_equal(fcntl(got[i], F_GETFD) & FD_CLOEXEC,
		    FD_CLOEXEC);
		close(got[i]);
	}
	if (nfds == 2)
		assert_false(same_file(fds[0], fds[1]));
	buf_free(&out);
	buf_free(&in);
	close(sv[0]);
	close(sv[1]);
}

static void
test_io_frame_round_trips_without_fds(void **state)
{
	(void)state;
	frame_trip_with_fds(NULL, 0);
}

static void
test_io_frame_round_trips_with_one_fd(void **state)
{
	int fd = mem_file("one");

	(void)state;
	frame_trip_with_fds(&fd, 1);
	close(fd);
}

static void
test_io_frame_round_trips_with_two_fds(void **state)
{
	int fds[2] = { mem_file("first"), mem_file("second") };

	(void)state;
	frame_trip_with_fds(fds, 2);
	close(fds[0]);
	close(fds[1]);
}

/* A frame of FRAME_MAX arrives whole, in as many reads as it takes. */
static void
test_io_largest_frame_round_trips(void **state)
{
	struct buf out, in;
	uint8_t *big;
	size_t nfds;
	int sv[2];

	(void)state;
	stream_pair(sv);
	assert_non_null(big = malloc(FRAME_MAX));
	for (size_t i = 0; i < FRAME_MAX; i++)
		big[i] = (uint8_t)(i * 7);
	buf_init(&out, 0);
	buf_init(&in, 0);
	assert_int_equal(frame_begin(&out, F_REPLY), 0);
	assert_int_equal(frame_add_bytes(&out, T_SIGNATURE, big, FRAME_MAX - 8),
	    0);
	assert_int_equal(frame_finish(&out), 0);
	assert_int_equal(out.len, FRAME_MAX + 4);
	assert_int_equal(io_send_frame(sv[0], &out, NULL, 0), 0);
	assert_int_equal(io_recv_frame(sv[1], &in, NULL, 0, &nfds, 1000), 1);
	assert_int_equal(in.len, out.len);
	assert_memory_equal(in.data, out.data, out.len);
	free(big);
	buf_free(&out);
	buf_free(&in);
	close(sv[0]);
	close(sv[1]);
}

/* Receive on sv[1] after sending hdr on sv[0]: expect -1 and errno e. */
static void
recv_expect_errno(const uint8_t *bytes, size_t len, int close_after, int e)
{
	struct buf in;
	size_t nfds;
	int sv[2];

	stream_pair(sv);
	buf_init(&in, 0);
	send_raw(sv[0], bytes, len);
	if (close_after)
		close(sv[0]);
	errno = 0;
	assert_int_equal(io_recv_frame(sv[1], &in, NULL, 0, &nfds, 50), -1);
	assert_int_equal(errno, e);
	buf_free(&in);
	if (!close_after)
		close(sv[0]);
	close(sv[1]);
}

static void
test_io_length_over_frame_max_is_emsgsize(void **state)
{
	static const uint8_t over[] = { 0x00, 0x01, 0x00, 0x01 };
	static const uint8_t huge[] = { 0x7f, 0xff, 0xff, 0xff };
	static const uint8_t tiny[] = { 0x00, 0x00, 0x00, 0x01, 0x00 };

	(void)state;
	recv_expect_errno(over, sizeof(over), 0, EMSGSIZE);
	recv_expect_errno(huge, sizeof(huge), 0, EMSGSIZE);
	recv_expect_errno(tiny, sizeof(tiny), 0, EMSGSIZE);
}

static void
test_io_stream_closed_mid_frame_is_eproto(void **state)
{
	static const uint8_t body[] = { 0, 0, 0, 10, 0, F_KEYS, 1, 2, 3 };

	(void)state;
	recv_expect_errno(body, sizeof(body), 1, EPROTO); /* in body */
	recv_expect_errno(body, 2, 1, EPROTO);		  /* in header */
}

static void
test_io_clean_eof_is_zero(void **state)
{
	struct buf in;
	size_t nfds = 99;
	int sv[2];

	(void)state;
	stream_pair(sv);
	buf_init(&in, 0);
	close(sv[0]);
	assert_int_equal(io_recv_frame(sv[1], &in, NULL, 0, &nfds, 50), 0);
	assert_int_equal(nfds, 0);
	buf_free(&in);
	close(sv[1]);
}

static void
test_io_silence_times_out(void **state)
{
	static const uint8_t part[] = { 0, 0, 0, 10, 0, F_KEYS };

	(void)state;
	recv_expect_errno(part, 0, 0, ETIMEDOUT);	     /* nothing */
	recv_expect_errno(part, sizeof(part), 0, ETIMEDOUT); /* half */
}

/* Two descriptors to a receiver with room for one: -1/EPROTO, no leak. */
static void
test_io_extra_fds_are_closed_and_eproto(void **state)
{
	int fds[2] = { mem_file("a"), mem_file("b") };
	int got[1] = { -1 };
	struct buf out, in;
	size_t ngot;
	int sv[2], before;

	(void)state;
	stream_pair(sv);
	buf_init(&out, 0);
	buf_init(&in, 0);
	assert_int_equal(frame_begin(&out, F_KEYS), 0);
	assert_int_equal(frame_finish(&out), 0);
	assert_int_equal(io_send_frame(sv[0], &out, fds, 2), 0);
	before = count_fds();
	errno = 0;
	assert_int_equal(io_recv_frame(sv[1], &in, got, 1, &ngot, 1000), -1);
	assert_int_equal(errno, EPROTO);
	/* The one kept is the caller's to close; the extra is gone. */
	assert_int_equal(ngot, 1);
	assert_true(same_file(got[0], fds[0]));
	close(got[0]);
	assert_int_equal(count_fds(), before);
	buf_free(&out);
	buf_free(&in);
	close(fds[0]);
	close(fds[1]);
	close(sv[0]);
	close(sv[1]);
}

static void
test_io_fds_to_a_receiver_taking_none_are_closed(void **state)
{
	int fd = mem_file("a");
	struct buf out, in;
	size_t ngot = 99;
	int sv[2], before;

	(void)state;
	stream_pair(sv);
	buf_init(&out, 0);
	buf_init(&in, 0);
	assert_int_equal(frame_begin(&out, F_KEYS), 0);
	assert_int_equal(frame_finish(&out), 0);
	assert_int_equal(io_send_frame(sv[0], &out, &fd, 1), 0);
	before = count_fds();
	errno = 0;
	assert_int_equal(io_recv_frame(sv[1], &in, NULL, 0, &ngot, 1000), -1);
	assert_int_equal(errno, EPROTO);
	assert_int_equal(ngot, 0);
	assert_int_equal(count_fds(), before);
	buf_free(&out);
	buf_free(&in);
	close(fd);
	close(sv[0]);
	close(sv[1]);
}

/* ---- io: messages on a SOCK_SEQPACKET socket ---- */

static void
seq_pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
			     sv),
	    0);
}

static void
test_io_msg_round_trips_with_an_fd(void **state)
{
	struct msg_session m = { 7, 1u << 20, 30000, VIA_PESIGN, 3 }, d;
	int fd = mem_file("artifact"), got = -2;
	uint16_t type = 0;
	struct buf out, in;
	int sv[2];

	(void)state;
	seq_pair(sv);
	buf_init(&out, MSG_MAX);
	buf_init(&in, MSG_MAX);
	assert_int_equal(msg_enc_session(&out, &m), 0);
	assert_int_equal(io_send_msg(sv[0], &out, fd), 0);
	assert_int_equal(io_recv_msg(sv[1], &in, &got), 1);
	assert_true(got >= 0);
	assert_true(same_file(got, fd));
	assert_int_equal(fcntl(got, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_int_equal(in.len, out.len);
	assert_int_equal(msg_type_of(&in, &type), 0);
	assert_int_equal(type, MSG_SESSION);
	assert_int_equal(msg_dec_session(&in, &d), 0);
	assert_int_equal(d.session_id, 7);
	close(got);
	/* Without a descriptor the receiver gets -1. */
	assert_int_equal(io_send_msg(sv[0], &out, -1), 0);
	assert_int_equal(io_recv_msg(sv[1], &in, &got), 1);
	assert_int_equal(got, -1);
	/*
	 * A receive reserves the whole buffer but marks only what came:
	 * the wipe after it must not touch (fault in) the rest.
	 */
	assert_int_equal(in.hi, out.len);
	/* End of stream. */
	close(sv[0]);
	assert_int_equal(io_recv_msg(sv[1], &in, &got), 0);
	assert_int_equal(in.hi, out.len);
	buf_free(&out);
	buf_free(&in);
	close(fd);
	close(sv[1]);
}

/* A datagram larger than the receiver's max: EMSGSIZE, fd not leaked. */
static void
test_io_msg_oversized_datagram_is_emsgsize(void **state)
{
	int fd = mem_file("x"), got = -2, sv[2], before;
	uint8_t x[17] = { 0 };
	struct buf out, in;

	(void)state;
	seq_pair(sv);
	buf_init(&out, sizeof(x));
	buf_init(&in, 16);
	assert_int_equal(buf_put(&out, x, sizeof(x)), 0);
	assert_int_equal(io_send_msg(sv[0], &out, fd), 0);
	before = count_fds();
	errno = 0;
	assert_int_equal(io_recv_msg(sv[1], &in, &got), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(got, -1);
	assert_int_equal(count_fds(), before);
	/* Exactly max fits. */
	buf_reset(&out);
	assert_int_equal(buf_put(&out, x, 16), 0);
	assert_int_equal(io_send_msg(sv[0], &out, -1), 0);
	assert_int_equal(io_recv_msg(sv[1], &in, &got), 1);
	assert_int_equal(in.len, 16);
	buf_free(&out);
	buf_free(&in);
	close(fd);
	close(sv[0]);
	close(sv[1]);
}

/*
 * A descriptor sent with a zero-length datagram is closed, not leaked
 * into the receiver (the monitor, when a child sends it), and the message
 * is a protocol error rather than an end of stream.
 */
static void
test_io_msg_empty_datagram_with_fd_does_not_leak(void **state)
{
	int fd = mem_file("x"), got = -2, sv[2], before, after, next;
	struct buf out, in;

	(void)state;
	seq_pair(sv);
	buf_init(&out, 16);
	buf_init(&in, MSG_MAX);
	assert_int_equal(io_send_msg(sv[0], &out, fd), 0);
	before = count_fds();
	next = dup(0); /* where a leaked descriptor would land */
	close(next);
	assert_int_equal(io_recv_msg(sv[1], &in, &got), -1);
	assert_int_equal(errno, EPROTO);
	after = count_fds();
	if (after != before && fcntl(next, F_GETFD) != -1 &&
	    same_file(next, fd))
		close(next); /* so that only this failure is reported */
	buf_free(&out);
	buf_free(&in);
	close(fd);
	close(sv[0]);
	close(sv[1]);
	assert_int_equal(got, -1);
	if (after != before)
		fail_msg("io_recv_msg leaked a descriptor sent with a "
			 "zero-length datagram (%d open fds before, %d after)",
		    before, after);
}

/* A datagram past the socket's send buffer is refused by the sender. */
static void
test_io_msg_send_too_large_is_emsgsize(void **state)
{
	const size_t n = 8u << 20;
	struct buf out;
	int sv[2];

	(void)state;
	seq_pair(sv);
	buf_init(&out, n);
	assert_non_null(buf_reserve(&out, n));
	memset(out.data, 0, n);
	errno = 0;
	assert_int_equal(io_send_msg(sv[0], &out, -1), -1);
	assert_int_equal(errno, EMSGSIZE);
	buf_free(&out);
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_io_frame_round_trips_without_fds),
		cmocka_unit_test(test_io_frame_round_trips_with_one_fd),
		cmocka_unit_test(test_io_frame_round_trips_with_two_fds),
		cmocka_unit_test(test_io_largest_frame_round_trips),
		cmocka_unit_test(test_io_length_over_frame_max_is_emsgsize),
		cmocka_unit_test(test_io_stream_closed_mid_frame_is_eproto),
		cmocka_unit_test(test_io_clean_eof_is_zero),
		cmocka_unit_test(test_io_silence_times_out),
		cmocka_unit_test(test_io_extra_fds_are_closed_and_eproto),
		cmocka_unit_test(
		    test_io_fds_to_a_receiver_taking_none_are_closed),
		cmocka_unit_test(test_io_msg_round_trips_with_an_fd),
		cmocka_unit_test(test_io_msg_oversized_datagram_is_emsgsize),
		cmocka_unit_test(test_io_msg_send_too_large_is_emsgsize),
		cmocka_unit_test(
		    test_io_msg_empty_datagram_with_fd_does_not_leak),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
