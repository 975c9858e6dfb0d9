/*
 * test_dispatch_sign: the monitor's dispatcher (monitor/dispatch.c) fed
 * sign requests a compromised child would send: replayed, for a key not
 * described or not granted, with a format or digest the key does not
 * allow; and the audit records of the refusals.  Fixture in
 * dispatch_test.h.
 */

#include "dispatch_test.h"

/* A sign request id may not come again (a replay): killed. */
static void
test_a_replayed_request_id_kills(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("k", 7);

	feed_keyinfo(f, "k", 0, -1);
	expect_keyinfo(f, ST_OK);
	m.format = FMT_MODULE; /* denied: k signs raw and cms */
	feed_sign(f, &m, 0);
	expect_sign_reply(f, ST_DENIED);
	assert_int_equal(f->c->ms.state, CH_SESSION);
	m.format = FMT_RAW;
	feed_sign(f, &m, 0);
	assert_killed(f);
}

static void
test_sign_without_keyinfo_kills(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("k", 1);

	feed_sign(f, &m, 0);
	assert_killed(f);
}

/* Described key k2, then a SIGN naming k: killed. */
static void
test_sign_for_another_key_than_described_kills(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("k", 1);

	feed_keyinfo(f, "k2", 0, -1);
	expect_keyinfo(f, ST_OK);
	feed_sign(f, &m, 0);
	assert_killed(f);
}

/* A key not granted: KEYINFO refused, the SIGN that follows kills. */
static void
test_sign_with_a_key_not_granted_is_refused(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("other", 1);

	feed_keyinfo(f, "other", 0, -1);
	expect_keyinfo(f, ST_DENIED);
	assert_int_equal(f->c->ms.state, CH_SESSION);
	feed_sign(f, &m, 0);
	assert_killed(f);
}

/* The grant removed by a reload after KEYINFO: the SIGN is denied. */
static void
test_sign_after_the_grant_was_removed_is_denied(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("k", 1);
	char err[CONFIG_ERR_MAX];

	feed_keyinfo(f, "k", 0, -1);
	expect_keyinfo(f, ST_OK);
	write_config(f, 0);
	config_free(f->d.mon.cfg);
	assert_non_null(f->d.mon.cfg = config_load(f->conf, err, sizeof(err)));
	feed_sign(f, &m, 0);
	expect_sign_reply(f, ST_DENIED);
	assert_int_equal(signs, 0);
}

/* A disabled key: denied. */
static void
test_sign_with_a_disabled_key_is_denied(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("k", 1);
	char err[256];

	feed_keyinfo(f, "k", 0, -1);
	expect_keyinfo(f, ST_OK);
	assert_int_equal(keystate_set(f->d.mon.keystate, "k", 1, 0, 1, "test",
			     err, sizeof(err)),
	    0);
	feed_sign(f, &m, 0);
	expect_sign_reply(f, ST_DENIED);
	assert_int_equal(signs, 0);
}

/* A format the key does not allow is denied; one that is none kills. */
static void
test_wrong_formats_are_refused(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("k2", 1);

	feed_keyinfo(f, "k2", 0, -1);
	expect_keyinfo(f, ST_OK);
	m.format = FMT_CMS; /* k2 signs raw only */
	feed_sign(f, &m, 0);
	expect_sign_reply(f, ST_DENIED);
	assert_int_equal(signs, 0);
	m.reqid = 2;
	m.format = FMT_COUNT;
	feed_sign(f, &m, 0);
	assert_killed(f);
}

/* A digest whose length is not the algorithm's kills. */
static void
test_a_wrong_digest_length_kills(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("k", 1);

	feed_keyinfo(f, "k", 0, -1);
	expect_keyinfo(f, ST_OK);
	m.tbslen = 48; /* SHA-384's, for a SHA-256 request */
	feed_sign(f, &m, 0);
	assert_killed(f);
}

static void
test_a_wrong_artifact_digest_length_kills(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("k", 1);

	feed_keyinfo(f, "k", 0, -1);
	expect_keyinfo(f, ST_OK);
	m.adigestlen = 20;
	feed_sign(f, &m, 0);
	assert_killed(f);
}

/* A sequence of refusals and a kill: every refusal is audited. */
static void
test_refusals_are_audited(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("k2", 1);
	char path[160], line[AUDIT_LINE_MAX + 1];
	int denies = 0;
	FILE *log;

	feed_keyinfo(f, "other", 0, -1);
	expect_keyinfo(f, ST_DENIED);
	feed_keyinfo(f, "k2", 0, -1);
	expect_keyinfo(f, ST_OK);
	m.format = FMT_CMS;
	feed_sign(f, &m, 0);
	expect_sign_reply(f, ST_DENIED);
	audit_close(f->d.mon.audit); /* flushes what is queued */
	f->d.mon.audit = NULL;
	snprintf(path, sizeof(path), "%s/audit.jsonl", f->dir);
	assert_non_null(log = fopen(path, "r"));
	while (fgets(line, sizeof(line), log) != NULL)
		if (strstr(line, "\"event\":\"deny\"") != NULL)
			denies++;
	fclose(log);
	assert_int_equal(denies, 2);
	assert_int_equal(signs, 0);
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_a_replayed_request_id_kills),
		T(test_sign_without_keyinfo_kills),
		T(test_sign_for_another_key_than_described_kills),
		T(test_sign_with_a_key_not_granted_is_refused),
		T(test_sign_after_the_grant_was_removed_is_denied),
		T(test_sign_with_a_disabled_key_is_denied),
		T(test_wrong_formats_are_refused),
		T(test_a_wrong_digest_length_kills),
		T(test_a_wrong_artifact_digest_length_kills),
		T(test_refusals_are_audited),
	};

	/* The kills and refusals provoked here are logged: noise. */
	log_init("test_dispatch", LOG_TO_STDERR, LOG_LVL_ERR);
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
