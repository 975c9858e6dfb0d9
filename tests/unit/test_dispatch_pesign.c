/*
 * test_dispatch_pesign: the monitor's answers to MSG_PESIGN (monitor/
 * pesign.c).  The listener is the loop's word: a child of a csign-client
 * session that speaks for a pesign client is killed; a pesign session's
 * kill, unlock without a mapped token and unmapped sign are refused and
 * audited with via pesign.  Fixture in dispatch_test.h.
 */

#include "dispatch_test.h"

/* Send PESIGN op for token (and certificate, for MAP). */
static void
feed_pesign(struct fx *f, uint8_t op, const char *token, const char *cert)
{
	struct msg_pesign m = { .op = op, .format = FMT_NONE };
	struct buf b;

	snprintf(m.token, sizeof(m.token), "%s", token);
	if (cert != NULL) {
		snprintf(m.cert, sizeof(m.cert), "%s", cert);
		m.format = FMT_PE;
	}
	buf_init(&b, MSG_MAX);
	assert_int_equal(msg_enc_pesign(&b, &m), 0);
	feed(f, &b, -1);
	buf_free(&b);
}

/* The next message must be a PESIGN reply with rc and no key. */
static void
expect_pesign_reply(struct fx *f, int32_t rc)
{
	struct msg_pesign_reply r;
	struct buf b;

	assert_int_equal(answer(f, &b), MSG_PESIGN_REPLY);
	assert_int_equal(msg_dec_pesign_reply(&b, &r), 0);
	assert_int_equal(r.rc, rc);
	assert_string_equal(r.key, "");
	buf_free(&b);
}

/* A child of a csign-client session asking PESIGN: killed. */
static void
test_pesign_from_a_csign_session_kills(void **state)
{
	struct fx *f = *state;

	assert_int_equal(f->c->ms.peer.via, VIA_CLIENT);
	feed_pesign(f, PESIGN_OP_KILL, "", NULL);
	assert_killed(f);
}

/*
 * A pesign session: a kill, an unmapped token and certificate, and an
 * unlock of an unmapped token are refused (rc -1) and audited with via
 * pesign; the child lives on.
 */
static void
test_pesign_kill_and_unmapped_are_refused_and_audited(void **state)
{
	struct fx *f = *state;
	char path[128], line[8192];
	int kills = 0, denies = 0;
	FILE *log;

	f->c->ms.peer.via = VIA_PESIGN;
	feed_pesign(f, PESIGN_OP_KILL, "", NULL);
	expect_pesign_reply(f, -1);
	feed_pesign(f, PESIGN_OP_MAP, "NSS Certificate DB", "signer");
	expect_pesign_reply(f, -1);
	feed_pesign(f, PESIGN_OP_UNLOCK, "NSS Certificate DB", NULL);
	expect_pesign_reply(f, -1);
	assert_int_equal(f->c->ms.state, CH_SESSION);
	audit_close(f->d.mon.audit); /* flushes what is queued */
	f->d.mon.audit = NULL;
	snprintf(path, sizeof(path), "%s/audit.jsonl", f->dir);
	assert_non_null(log = fopen(path, "r"));
	while (fgets(line, sizeof(line), log) != NULL) {
		if (strstr(line, "\"via\":\"pesign\"") == NULL)
			continue;
		kills += strstr(line, "\"event\":\"pesign-kill\"") != NULL;
		denies += strstr(line, "\"event\":\"deny\"") != NULL ||
		    strstr(line, "\"event\":\"pesign-unlock\"") != NULL;
	}
	fclose(log);
	assert_int_equal(kills, 1);
	assert_int_equal(denies, 2);
	assert_int_equal(signs, 0);
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_pesign_from_a_csign_session_kills),
		T(test_pesign_kill_and_unmapped_are_refused_and_audited),
	};

	/* The kills and refusals provoked here are logged: noise. */
	log_init("test_dispatch", LOG_TO_STDERR, LOG_LVL_ERR);
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
