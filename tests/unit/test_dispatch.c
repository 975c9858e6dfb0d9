/*
 * test_dispatch: the monitor's dispatcher for session children's messages
 * (monitor/dispatch.c) against messages out of their state, repeated or
 * from the wrong side.  Malformed datagrams: test_dispatch_wire.c; sign
 * requests and policy: test_dispatch_sign.c; the fixture, and why this is
 * linked with -Wl,--wrap: dispatch_test.h.
 */

#include "dispatch_test.h"

/* The control: KEYINFO then SIGN reaches the signer exactly once. */
static void
test_a_well_behaved_child_gets_one_signature(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("k", 1);

	feed_keyinfo(f, "k", 0, -1);
	expect_keyinfo(f, ST_OK);
	feed_sign(f, &m, 0);
	assert_int_equal(signs, 1);
	assert_int_equal(f->c->ms.state, CH_SIGNING);
}

static void
test_a_message_out_of_its_state_kills(void **state)
{
	struct fx *f = *state;
	struct buf b;

	buf_init(&b, MSG_MAX);
	assert_int_equal(msg_enc_empty(&b, MSG_READY), 0);
	feed(f, &b, -1);
	buf_free(&b);
	assert_killed(f);
}

/* A second message while a signature is in flight: killed, orphaned. */
static void
test_a_request_while_signing_kills(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("k", 1);

	feed_keyinfo(f, "k", 0, -1);
	expect_keyinfo(f, ST_OK);
	feed_sign(f, &m, 0);
	assert_int_equal(signs, 1);
	m.reqid = 2;
	feed_sign(f, &m, 0);
	assert_int_equal(f->c->ms.state, CH_GONE);
	assert_int_equal(signs, 1);
	assert_null(f->c->ms.inflight[0]);
	assert_null(f->c->ms.inflight[1]);
}

/* READY is once only: the second one kills. */
static void
test_a_repeated_ready_kills(void **state)
{
	struct fx *f = *state;

	child_end(f);
	f->d.nsessions = 0;
	f->c = child_new(f, CH_STARTING);
	feed_ready(f, CHAN_VERSION);
	assert_int_equal(f->c->ms.state, CH_IDLE);
	feed_ready(f, CHAN_VERSION);
	assert_killed(f);
}

/* A READY in session (a restarted handshake) kills as well. */
static void
test_a_ready_in_session_kills(void **state)
{
	struct fx *f = *state;

	feed_ready(f, CHAN_VERSION);
	assert_killed(f);
}

/*
 * The handshake: a child of another channel version is killed at its
 * READY, whether it is older (version 1 sent READY with no fields) or
 * newer, and never becomes idle.
 */
static void
test_a_child_of_another_version_is_refused(void **state)
{
	struct fx *f = *state;
	uint32_t other[] = { CHAN_VERSION + 1, CHAN_VERSION - 1, 0xffffffffu };

	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]) + 1; i++) {
		child_end(f);
		f->d.nsessions = 0;
		f->d.nstarting = 0;
		f->c = child_new(f, CH_STARTING);
		if (i < sizeof(other) / sizeof(other[0]))
			feed_ready(f, other[i]);
		else
			feed_empty(f, MSG_READY); /* version 1 */
		assert_killed(f);
		assert_int_equal(f->d.nidle, 0);
	}
	/* The control: this version's READY makes the child idle. */
	child_end(f);
	f->c = child_new(f, CH_STARTING);
	feed_ready(f, CHAN_VERSION);
	assert_int_equal(f->c->ms.state, CH_IDLE);
}

/* DONE is once only. */
static void
test_a_repeated_done_kills(void **state)
{
	struct fx *f = *state;

	feed_empty(f, MSG_DONE);
	assert_int_equal(f->c->ms.state, CH_SESSION);
	feed_empty(f, MSG_DONE);
	assert_killed(f);
}

/* A message the monitor sends, coming from the child: killed. */
static void
test_a_monitor_message_from_the_child_kills(void **state)
{
	struct fx *f = *state;
	struct msg_upload_reply r = { .status = ST_OK };
	struct buf b;

	buf_init(&b, MSG_MAX);
	assert_int_equal(msg_enc_upload_reply(&b, &r), 0);
	feed(f, &b, -1);
	buf_free(&b);
	assert_killed(f);
}

/* TSA_DONE without a TSA_OPEN (no permit): killed. */
static void
test_a_timestamp_outcome_before_its_request_kills(void **state)
{
	struct fx *f = *state;
	struct msg_tsa_done m = { .status = ST_OK };
	struct buf b;

	buf_init(&b, MSG_MAX);
	assert_int_equal(msg_enc_tsa_done(&b, &m), 0);
	feed(f, &b, -1);
	buf_free(&b);
	assert_killed(f);
}

/* TSA_OPEN without a timestamped signature (no permit): killed. */
static void
test_a_timestamp_request_without_a_signature_kills(void **state)
{
	struct fx *f = *state;
	struct msg_tsa_open m = { .index = 0 };
	struct buf b;

	buf_init(&b, MSG_MAX);
	assert_int_equal(msg_enc_tsa_open(&b, &m), 0);
	feed(f, &b, -1);
	buf_free(&b);
	assert_killed(f);
}

/* HELD_RESULT and HELD_CANCEL without a held request: killed. */
static void
test_held_messages_without_a_hold_kill(void **state)
{
	struct fx *f = *state;
	static const uint8_t frame[] = { 0, 0, 0, 0 };
	struct msg_held_result m = { .id = 1,
		.frame = frame,
		.len = sizeof(frame) };
	struct buf b;

	buf_init(&b, MSG_MAX);
	assert_int_equal(msg_enc_held_result(&b, &m), 0);
	feed(f, &b, -1);
	buf_free(&b);
	assert_killed(f);
	child_end(f);
	f->c = child_new(f, CH_SESSION);
	feed_empty(f, MSG_HELD_CANCEL);
	assert_killed(f);
}

/* UPLOAD_DONE without an UPLOAD (no permit): killed. */
static void
test_an_upload_done_without_an_upload_kills(void **state)
{
	struct fx *f = *state;

	feed_empty(f, MSG_UPLOAD_DONE);
	assert_killed(f);
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_a_well_behaved_child_gets_one_signature),
		T(test_a_message_out_of_its_state_kills),
		T(test_a_request_while_signing_kills),
		T(test_a_repeated_ready_kills),
		T(test_a_ready_in_session_kills),
		T(test_a_child_of_another_version_is_refused),
		T(test_a_repeated_done_kills),
		T(test_a_monitor_message_from_the_child_kills),
		T(test_a_timestamp_outcome_before_its_request_kills),
		T(test_a_timestamp_request_without_a_signature_kills),
		T(test_held_messages_without_a_hold_kill),
		T(test_an_upload_done_without_an_upload_kills),
	};

	/* The kills and refusals provoked here are logged: noise. */
	log_init("test_dispatch", LOG_TO_STDERR, LOG_LVL_ERR);
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
