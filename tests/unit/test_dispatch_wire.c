/*
 * test_dispatch_wire: the monitor's dispatcher (monitor/dispatch.c) fed
 * malformed datagrams: cut short, too long, with a descriptor, trailing
 * bytes, unknown types.  Fixture in dispatch_test.h.
 */

#include "dispatch_test.h"

/* A SIGN cut short by a byte: killed, not signed. */
static void
test_a_truncated_sign_kills(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("k", 1);
	struct buf b, cut;

	feed_keyinfo(f, "k", 0, -1);
	expect_keyinfo(f, ST_OK);
	buf_init(&b, MSG_MAX);
	assert_int_equal(msg_enc_sign(&b, &m), 0);
	buf_view(&cut, buf_ptr(&b), buf_left(&b) - 1);
	feed(f, &cut, -1);
	buf_free(&b);
	assert_killed(f);
}

/* A datagram longer than any message (MSG_MAX): killed, not read. */
static void
test_an_overlong_message_kills(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("k", 1);
	uint8_t *big = calloc(1, MSG_MAX + 16);
	struct buf b;

	assert_non_null(big);
	feed_keyinfo(f, "k", 0, -1);
	expect_keyinfo(f, ST_OK);
	buf_init(&b, MSG_MAX);
	assert_int_equal(msg_enc_sign(&b, &m), 0);
	memcpy(big, buf_ptr(&b), buf_left(&b));
	buf_free(&b);
	assert_true(send(f->peer, big, MSG_MAX + 16, 0) == MSG_MAX + 16);
	monitor_child_readable(f->c->ms.fd, EV_READ, &f->c->ms);
	free(big);
	assert_killed(f);
}

/* No message of a child may carry a descriptor (none has CHAN_F_FD). */
static void
test_a_descriptor_kills(void **state)
{
	struct fx *f = *state;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	feed_keyinfo(f, "k", 0, fd);
	close(fd);
	assert_killed(f);
}

static void
test_trailing_bytes_kill(void **state)
{
	struct fx *f = *state;

	feed_keyinfo(f, "k", 1, -1);
	assert_killed(f);
}

/* A well-formed SIGN but for one byte after it: killed, not signed. */
static void
test_trailing_bytes_after_a_sign_kill(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("k", 1);

	feed_keyinfo(f, "k", 0, -1);
	expect_keyinfo(f, ST_OK);
	feed_sign(f, &m, 1);
	assert_killed(f);
}

/* Unknown types, and datagrams too short to have one, kill. */
static void
test_unknown_or_short_messages_kill(void **state)
{
	struct fx *f = *state;
	static const uint8_t unknown[] = { 0x03, 0xe7 }, one[] = { 0x03 };
	struct buf b;

	buf_view(&b, unknown, sizeof(unknown));
	feed(f, &b, -1);
	assert_killed(f);
	child_end(f);
	f->c = child_new(f, CH_SESSION);
	buf_view(&b, one, sizeof(one));
	feed(f, &b, -1);
	assert_killed(f);
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_a_truncated_sign_kills),
		T(test_an_overlong_message_kills),
		T(test_a_descriptor_kills),
		T(test_trailing_bytes_kill),
		T(test_trailing_bytes_after_a_sign_kill),
		T(test_unknown_or_short_messages_kill),
	};

	/* The kills and refusals provoked here are logged: noise. */
	log_init("test_dispatch", LOG_TO_STDERR, LOG_LVL_ERR);
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
