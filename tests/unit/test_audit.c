/*
 * test_audit.c: csignd's audit log writer: records made durable in
 * batches with one fdatasync each, callbacks, failures rolled back, many
 * submitters on one chain, the syslog line of each record
 * (records/audit.c, auditwriter.c, auditsummary.c).
 */
#include "audit_test.h"
#include "records/audithandle.h"

/* Size of the file at path. */
static off_t
file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* Let files grow to at most max bytes (RLIM_INFINITY: no limit). */
static void
limit_file_size(rlim_t max)
{
	struct rlimit rl;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &rl), 0);
	rl.rlim_cur = max == RLIM_INFINITY ? rl.rlim_max : max;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

/* A client thread of the concurrency test. */
struct submitter {
	struct audit *a;
	struct calls calls; /* touched only by the dispatching thread */
	int n;
	int refused;
};

static void *
submit_many(void *arg)
{
	struct submitter *s = arg;
	struct audit_event ev = sign_event("concurrent.bin");

	for (int i = 0; i < s->n; i++)
		if (audit_submit(s->a, &ev, count_cb, &s->calls) == -1)
			s->refused++;
	return NULL;
}

/* A queued item as the writer holds it once its record is written. */
static struct audit_item *
written_item(const struct audit_event *ev, uint64_t seq, int ok)
{
	struct audit_item *it = calloc(1, sizeof(*it));

	assert_non_null(it);
	it->ev = *ev;
	it->seq = seq;
	it->ok = ok;
	memcpy(it->hash, HEX64_AB, sizeof(it->hash));
	return it;
}

static void
test_audit_writes_durable_records_and_calls_back_ok(void **state)
{
	struct fixture *fx = *state;
	struct audit_event ev = sign_event("pkg.tar");
	struct calls calls = { 0 };
	struct audit_chain c;
	struct audit *a;
	struct stat st;
	char err[256];

	a = audit_open(fx->path, err, sizeof(err));
	assert_non_null(a);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	for (int i = 0; i < 10; i++)
		assert_int_equal(audit_submit(a, &ev, count_cb, &calls), 0);
	assert_true(audit_pending(a) <= 10);
	wait_calls(a, &calls, 10);
	assert_int_equal(calls.ok, 10);
	assert_int_equal(audit_pending(a), 0);
	audit_close(a);
	assert_log_chain(fx->path, 10, &c);
}

static void
test_audit_write_sync_is_durable_on_return(void **state)
{
	struct fixture *fx = *state;
	struct audit_event ev = { .event = "start", .result = "ok" };
	struct audit_chain c;
	struct audit *a;
	char err[256];

	a = audit_open(fx->path, err, sizeof(err));
	assert_non_null(a);
	assert_int_equal(audit_write_sync(a, &ev), 0);
	assert_log_chain(fx->path, 1, &c);
	assert_int_equal(audit_write_sync(a, &ev), 0);
	assert_log_chain(fx->path, 2, &c);
	audit_close(a);
}

static void
test_audit_write_failure_calls_back_not_ok(void **state)
{
	struct audit_event ev = sign_event("pkg.tar");
	struct calls calls = { 0 };
	struct audit *a;
	char err[256];

	(void)state;
	a = audit_open("/dev/full", err, sizeof(err));
	if (a == NULL)
		skip();
	assert_int_equal(audit_submit(a, &ev, count_cb, &calls), 0);
	assert_int_equal(audit_submit(a, &ev, count_cb, &calls), 0);
	wait_calls(a, &calls, 2);
	assert_int_equal(calls.failed, 2);
	assert_int_equal(audit_write_sync(a, &ev), -1);
	audit_close(a);
}

/*
 * RLIMIT_FSIZE makes the batch's write() stop part way (then EFBIG): the
 * writer must cut the file back and link the next record to the last
 * durable one.
 */
static void
test_audit_failed_batch_is_rolled_back_and_the_chain_kept(void **state)
{
	struct fixture *fx = *state;
	struct audit_event ev = sign_event("pkg.tar");
	struct calls calls = { 0 };
	struct audit_chain c;
	struct audit *a;
	char err[256];
	off_t size;

	signal(SIGXFSZ, SIG_IGN);
	assert_non_null(a = audit_open(fx->path, err, sizeof(err)));
	assert_int_equal(audit_write_sync(a, &ev), 0);
	size = file_size(fx->path);
	limit_file_size((rlim_t)size + 10);
	assert_int_equal(audit_submit(a, &ev, count_cb, &calls), 0);
	wait_calls(a, &calls, 1);
	assert_int_equal(audit_write_sync(a, &ev), -1);
	limit_file_size(RLIM_INFINITY);
	assert_int_equal(calls.failed, 1);
	assert_int_equal(file_size(fx->path), size);
	assert_int_equal(audit_write_sync(a, &ev), 0);
	audit_close(a);
	assert_log_chain(fx->path, 2, &c);
}

static void
test_audit_submit_copies_the_event_strings(void **state)
{
	struct fixture *fx = *state;
	struct calls calls = { 0 };
	struct audit_event ev;
	struct audit_chain c;
	struct audit *a;
	char name[32], err[256], *line = NULL;
	size_t cap = 0;
	FILE *f;

	snprintf(name, sizeof(name), "original.bin");
	ev = sign_event(name);
	assert_non_null(a = audit_open(fx->path, err, sizeof(err)));
	assert_int_equal(audit_submit(a, &ev, count_cb, &calls), 0);
	snprintf(name, sizeof(name), "changed!.bin");
	wait_calls(a, &calls, 1);
	audit_close(a);
	assert_log_chain(fx->path, 1, &c);
	assert_non_null(f = fopen(fx->path, "r"));
	assert_true(getline(&line, &cap, f) > 0);
	assert_non_null(strstr(line, "\"artifact\":\"original.bin\""));
	free(line);
	fclose(f);
}

static void
test_audit_records_concurrent_submissions_in_one_chain(void **state)
{
	struct fixture *fx = *state;
	struct submitter subs[4];
	struct calls all = { 0 };
	pthread_t tids[4];
	struct audit_chain c;
	struct audit *a;
	char err[256];
	struct pollfd pfd;
	int total = 0;

	assert_non_null(a = audit_open(fx->path, err, sizeof(err)));
	for (int i = 0; i < 4; i++) {
		subs[i] = (struct submitter){ .a = a, .n = 50 };
		assert_int_equal(pthread_create(&tids[i], NULL, submit_many,
				     &subs[i]),
		    0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(tids[i], NULL);
	pfd = (struct pollfd){ .fd = audit_notify_fd(a), .events = POLLIN };
	while (total < 200) {
		assert_int_equal(poll(&pfd, 1, 20000), 1);
		audit_dispatch(a);
		total = subs[0].calls.n + subs[1].calls.n + subs[2].calls.n +
		    subs[3].calls.n;
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(subs[i].refused, 0);
		all.ok += subs[i].calls.ok;
	}
	assert_int_equal(all.ok, 200);
	audit_close(a);
	assert_log_chain(fx->path, 200, &c);
}

static void
test_audit_close_drops_undispatched_callbacks(void **state)
{
	struct fixture *fx = *state;
	struct audit_event ev = sign_event("pkg.tar");
	struct calls calls = { 0 };
	struct audit_chain c;
	struct audit *a;
	char err[256];

	assert_non_null(a = audit_open(fx->path, err, sizeof(err)));
	for (int i = 0; i < 3; i++)
		assert_int_equal(audit_submit(a, &ev, count_cb, &calls), 0);
	audit_close(a);
	assert_int_equal(calls.n, 0);
	assert_log_chain(fx->path, 3, &c);
	audit_close(NULL);
	audit_dispatch(NULL);
	assert_int_equal(audit_pending(NULL), 0);
	assert_int_equal(audit_notify_fd(NULL), -1);
	assert_int_equal(audit_submit(NULL, &ev, count_cb, &calls), -1);
	assert_int_equal(audit_write_sync(NULL, &ev), -1);
}

/*
 * The syslog copy of a record is one line a client cannot forge: its
 * artifact name is escaped (no newline, quote or backslash gets through
 * raw), unquoted fields carry no space, and the whole hash goes with it.
 * A record that was not written has no line.
 */
static void
test_syslog_summary_escapes_and_keeps_the_whole_hash(void **state)
{
	struct audit_event ev = sign_event("evil\n\"a\" \\ \xc3\xa9");
	struct audit_event anon = sign_event("x");
	char big[1000];
	struct audit_item *it[4];
	char *sums;

	(void)state;
	anon.has_peer = 0;
	anon.key = "two words";
	anon.reason = "said \"no\"";
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	it[0] = written_item(&ev, 7, 1);
	it[1] = written_item(&anon, 8, 1);
	it[2] = written_item(&ev, 9, 0);
	it[3] = written_item(&ev, 10, 1);
	it[3]->ev.artifact = big;
	for (int i = 0; i < 3; i++)
		it[i]->next = it[i + 1];
	assert_non_null(sums = audit_batch_summaries(it[0], 4));
	assert_string_equal(sums,
	    "seq=7 event=sign user=alice key=release "
	    "format=cms artifact=\"evil\\x0a\\x22a\\x22 \\x5c \\xc3\\xa9\" "
	    "result=ok reason=- hash=" HEX64_AB);
	assert_string_equal(sums + SUMMARY_LINE,
	    "seq=8 event=sign user=- "
	    "key=two\\x20words format=cms artifact=\"x\" result=ok "
	    "reason=\"said \\x22no\\x22\" hash=" HEX64_AB);
	assert_string_equal(sums + 2 * SUMMARY_LINE, "");
	assert_non_null(strstr(sums + 3 * SUMMARY_LINE,
	    "\" result=ok reason=- "
	    "hash=" HEX64_AB));
	assert_true(strlen(sums + 3 * SUMMARY_LINE) < SUMMARY_LINE);
	free(sums);
	for (int i = 0; i < 4; i++)
		free(it[i]);
}

/* Microseconds on the monotonic clock. */
static long long
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* Open the fixture's log with a group-commit wait of us microseconds. */
static struct audit *
open_waiting(const struct fixture *fx, long us)
{
	char err[256];
	struct audit *a = audit_open(fx->path, err, sizeof(err));

	assert_non_null(a);
	a->group_wait_us = us;
	return a;
}

/*
 * Group commit: with two signatures on their way, the first record waits
 * for the second (the wait is 5 s here, so nothing else can explain one
 * batch), and both go out with one fdatasync as soon as the second comes,
 * long before the wait is over.
 */
static void
test_audit_group_commit_waits_for_expected_records(void **state)
{
	struct fixture *fx = *state;
	struct audit_event ev = sign_event("pkg.tar");
	struct calls calls = { 0 };
	struct audit_chain c;
	struct audit *a = open_waiting(fx, 5000000);
	long long t0;

	audit_expect(a, 1);
	audit_expect(a, 1);
	t0 = mono_us();
	assert_int_equal(audit_submit_expected(a, &ev, count_cb, &calls), 0);
	usleep(200000);
	audit_dispatch(a);
	assert_int_equal(calls.n, 0); /* still waiting for the other one */
	assert_int_equal(audit_submit_expected(a, &ev, count_cb, &calls), 0);
	wait_calls(a, &calls, 2);
	assert_true(mono_us() - t0 < 4000000);
	assert_int_equal(calls.ok, 2);
	assert_int_equal(a->commits, 1);
	audit_close(a);
	assert_log_chain(fx->path, 2, &c);
}

/*
 * The wait ends when the expected record will not come (its signature
 * failed: audit_expect(a, -1)), and at once for a record nobody else is
 * expected with (a lone client).
 */
static void
test_audit_group_commit_never_waits_for_nothing(void **state)
{
	struct fixture *fx = *state;
	struct audit_event ev = sign_event("pkg.tar");
	struct calls calls = { 0 };
	struct audit_chain c;
	struct audit *a = open_waiting(fx, 5000000);
	long long t0;

	t0 = mono_us();
	assert_int_equal(audit_submit(a, &ev, count_cb, &calls), 0);
	wait_calls(a, &calls, 1);
	audit_expect(a, 1);
	audit_expect(a, 1);
	assert_int_equal(audit_submit_expected(a, &ev, count_cb, &calls), 0);
	usleep(100000);
	audit_expect(a, -1);
	wait_calls(a, &calls, 2);
	assert_true(mono_us() - t0 < 4000000);
	assert_int_equal(a->commits, 2);
	audit_close(a);
	assert_log_chain(fx->path, 2, &c);
}

/*
 * A record whose expected company never comes waits no longer than the
 * group-commit bound.
 */
static void
test_audit_group_commit_wait_is_bounded(void **state)
{
	struct fixture *fx = *state;
	struct audit_event ev = sign_event("pkg.tar");
	struct calls calls = { 0 };
	struct audit *a = open_waiting(fx, 300000);
	long long t0, took;

	audit_expect(a, 1); /* a signature stuck in a hung token */
	t0 = mono_us();
	assert_int_equal(audit_submit(a, &ev, count_cb, &calls), 0);
	wait_calls(a, &calls, 1);
	took = mono_us() - t0;
	assert_true(took >= 300000);
	assert_true(took < 5000000);
	assert_int_equal(calls.ok, 1);
	audit_expect(a, -1);
	audit_close(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		FX(test_audit_writes_durable_records_and_calls_back_ok),
		FX(test_audit_write_sync_is_durable_on_return),
		cmocka_unit_test(test_audit_write_failure_calls_back_not_ok),
		FX(test_audit_failed_batch_is_rolled_back_and_the_chain_kept),
		FX(test_audit_submit_copies_the_event_strings),
		FX(test_audit_records_concurrent_submissions_in_one_chain),
		FX(test_audit_close_drops_undispatched_callbacks),
		FX(test_audit_group_commit_waits_for_expected_records),
		FX(test_audit_group_commit_never_waits_for_nothing),
		FX(test_audit_group_commit_wait_is_bounded),
		cmocka_unit_test(
		    test_syslog_summary_escapes_and_keeps_the_whole_hash),
	};

	/* The writer's warnings about the failures provoked here are noise. */
	log_init("test_audit", LOG_TO_STDERR, LOG_LVL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
