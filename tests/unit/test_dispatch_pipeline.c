/*
 * test_dispatch_pipeline: a child's sign requests beside one in flight
 * (MSG_SIGN_F_PIPELINED, monitor/sign.c).  At most MON_SIGN_DEPTH are at
 * the token at once, only pipelined ones join, never beside a request
 * held for approval, and a pipelined request is never held itself.
 * Fixture in dispatch_test.h.
 */

#include "dispatch_test.h"

/* A pipelined sign request for key with id reqid. */
static void
feed_pipelined(struct fx *f, const char *key, uint32_t reqid)
{
	struct msg_sign m = sign_msg(key, reqid);

	m.flags = MSG_SIGN_F_PIPELINED;
	feed_sign(f, &m, 0);
}

/* The token fails job: its reply goes out at once (no audit wait). */
static void
job_fails(struct signer_job *job)
{
	job->ok = 0;
	monitor_sign_done(job, NULL);
}

/* Key k described, requests 1 and 2 at the token: the first's job. */
static struct signer_job *
two_in_flight(struct fx *f)
{
	struct signer_job *first;

	feed_keyinfo(f, "k", 0, -1);
	expect_keyinfo(f, ST_OK);
	feed_pipelined(f, "k", 1);
	first = last_job;
	assert_int_equal(f->c->ms.state, CH_SIGNING);
	feed_pipelined(f, "k", 2);
	assert_int_equal(signs, 2);
	assert_int_equal(f->c->ms.state, CH_SIGNING);
	return first;
}

/* Two at the token at once, a third kills; the first is orphaned. */
static void
test_two_pipelined_requests_are_taken_a_third_kills(void **state)
{
	struct fx *f = *state;
	struct signer_job *first = two_in_flight(f);

	feed_pipelined(f, "k", 3);
	assert_int_equal(f->c->ms.state, CH_GONE);
	assert_int_equal(signs, 2);
	for (unsigned i = 0; i < MON_SIGN_DEPTH; i++)
		assert_null(f->c->ms.inflight[i]);
	job_fails(first); /* nobody to answer: dropped */
}

/* The session stays signing until the last one in flight is answered. */
static void
test_signing_ends_with_the_last_request_in_flight(void **state)
{
	struct fx *f = *state;
	struct signer_job *first = two_in_flight(f);

	job_fails(first);
	expect_sign_reply(f, ST_UNAVAILABLE);
	assert_int_equal(f->c->ms.state, CH_SIGNING);
	/* A slot is free again: a third may come now. */
	feed_pipelined(f, "k", 3);
	assert_int_equal(signs, 3);
	first = last_job;
	job_fails(first);
	expect_sign_reply(f, ST_UNAVAILABLE);
	last_job = NULL;
	for (unsigned i = 0; i < MON_SIGN_DEPTH; i++)
		if (f->c->ms.inflight[i] != NULL)
			job_fails(
			    (struct signer_job *)(void *)f->c->ms.inflight[i]);
	expect_sign_reply(f, ST_UNAVAILABLE);
	assert_int_equal(f->c->ms.state, CH_SESSION);
}

/* Beside one in flight, a request that is not pipelined kills. */
static void
test_an_unpipelined_request_beside_one_in_flight_kills(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("k", 2);
	struct signer_job *first;

	feed_keyinfo(f, "k", 0, -1);
	expect_keyinfo(f, ST_OK);
	feed_pipelined(f, "k", 1);
	first = last_job;
	feed_sign(f, &m, 0);
	assert_int_equal(f->c->ms.state, CH_GONE);
	assert_int_equal(signs, 1);
	last_job = NULL;
	job_fails(first);
}

/* Reload with key ka under an Approval rule (group root), granted too. */
static void
reload_with_approval(struct fx *f)
{
	char err[CONFIG_ERR_MAX];
	struct config *n;
	FILE *cf;

	write_config(f, 1);
	assert_non_null(cf = fopen(f->conf, "a"));
	fprintf(cf,
	    "Key ka\n\tToken t\n\tLabel ka\n\tFormats raw\n"
	    "\tApproval group root\n"
	    "Allow user %s keys ka\n",
	    f->pw.pw_name);
	assert_int_equal(fclose(cf), 0);
	n = config_load(f->conf, err, sizeof(err));
	assert_non_null(n);
	monitor_reload(&f->d.mon, n);
}

/* The type of the next message from the monitor. */
static uint16_t
answer_type(struct fx *f)
{
	struct buf b;
	uint16_t type = answer(f, &b);

	buf_free(&b);
	return type;
}

/*
 * The key's description says whether it has an Approval rule; a
 * pipelined request for such a key is refused, not held, and costs
 * nothing.
 */
static void
test_a_pipelined_request_is_never_held(void **state)
{
	struct fx *f = *state;

	reload_with_approval(f);
	feed_keyinfo(f, "k", 0, -1);
	assert_int_equal(expect_keyinfo(f, ST_OK), 0);
	feed_keyinfo(f, "ka", 0, -1);
	assert_int_equal(expect_keyinfo(f, ST_OK), 1);
	feed_pipelined(f, "ka", 1);
	expect_sign_reply(f, ST_UNAVAILABLE);
	assert_int_equal(f->c->ms.state, CH_SESSION);
	assert_int_equal(signs, 0);
	assert_int_equal(f->d.mon.held.table.n, 0);
}

/* Beside a request held for approval, a pipelined one kills. */
static void
test_nothing_joins_a_held_request(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("ka", 1);

	reload_with_approval(f);
	feed_keyinfo(f, "ka", 0, -1);
	assert_int_equal(expect_keyinfo(f, ST_OK), 1);
	feed_keyinfo(f, "k", 0, -1);
	assert_int_equal(expect_keyinfo(f, ST_OK), 0);
	feed_sign(f, &m, 0);
	assert_int_equal(answer_type(f), MSG_SIGN_HELD);
	assert_int_equal(f->c->ms.state, CH_SIGNING);
	assert_int_equal(f->d.mon.held.table.n, 1);
	feed_pipelined(f, "k", 2);
	assert_killed(f);
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_two_pipelined_requests_are_taken_a_third_kills),
		T(test_signing_ends_with_the_last_request_in_flight),
		T(test_an_unpipelined_request_beside_one_in_flight_kills),
		T(test_a_pipelined_request_is_never_held),
		T(test_nothing_joins_a_held_request),
	};

	/* The kills and refusals provoked here are logged: noise. */
	log_init("test_dispatch_pipeline", LOG_TO_STDERR, LOG_LVL_ERR);
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
