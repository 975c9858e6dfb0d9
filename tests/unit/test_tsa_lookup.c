/*
 * test_tsa_lookup.c: the monitor's way to a TSA (monitor/tsaconn.c)
 * through the lookup process (sandbox/resolve.c, proto/resolve.c).
 */
#include "tsa_test.h"

/* An answer of the lookup process, encoded. */
static void
resolve_encoded(struct buf *b)
{
	struct resolve_reply r = { .status = RES_OK,
		.count = 2,
		.a = { { .family = 6, .addr = { [15] = 1 } },
		    { .family = 4, .addr = { 127, 0, 0, 1 } } } };

	buf_init(b, RESOLVE_REPLY_LEN + 8);
	assert_int_equal(resolve_enc(b, &r), 0);
	assert_int_equal(buf_left(b), RESOLVE_REPLY_LEN);
}

/* Decode the bytes p[0..len): 0 or -1. */
static int
resolve_bytes(const uint8_t *p, size_t len, struct resolve_reply *r)
{
	struct buf v;

	buf_view(&v, p, len);
	return resolve_dec(&v, r);
}

static void
test_the_lookup_answer_decodes_exactly(void **state)
{
	struct resolve_reply r;
	struct buf b;
	uint8_t m[RESOLVE_REPLY_LEN + 1];

	(void)state;
	resolve_encoded(&b);
	memcpy(m, buf_ptr(&b), RESOLVE_REPLY_LEN);
	assert_int_equal(resolve_bytes(m, RESOLVE_REPLY_LEN, &r), 0);
	assert_int_equal(r.status, RES_OK);
	assert_int_equal(r.count, 2);
	assert_int_equal(r.a[0].family, 6);
	assert_int_equal(r.a[0].addr[15], 1);
	assert_int_equal(r.a[1].family, 4);
	assert_int_equal(r.a[1].addr[0], 127);
	/* Every truncation, and one byte more. */
	for (size_t n = 0; n < RESOLVE_REPLY_LEN; n++)
		assert_int_equal(resolve_bytes(m, n, &r), -1);
	m[RESOLVE_REPLY_LEN] = 0;
	assert_int_equal(resolve_bytes(m, RESOLVE_REPLY_LEN + 1, &r), -1);
	/* Each field out of range, one at a time. */
	static const struct {
		size_t at;
		uint8_t v;
	} bad[] = {
		{ 1, 2 },		      /* version 2 */
		{ 2, RES_COUNT },	      /* unknown status */
		{ 2, RES_NONAME },	      /* a failure with addresses */
		{ 3, 0 },		      /* OK with no address */
		{ 3, RESOLVE_ADDRS_MAX + 1 }, /* too many */
		{ 3, 3 },		      /* a zero slot counted */
		{ 4, 5 },		      /* family 5 */
		{ 4 + 17, 0 },		      /* family 0 in a used slot */
		{ 4 + 17 + 1 + 4, 1 },	      /* IPv4 with a 5th byte */
		{ 4 + 2 * 17, 4 },	      /* an unused slot not zero */
		{ RESOLVE_REPLY_LEN - 1, 1 }, /* the last byte not zero */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t was = m[bad[i].at];

		m[bad[i].at] = bad[i].v;
		if (resolve_bytes(m, RESOLVE_REPLY_LEN, &r) != -1)
			fail_msg("accepted byte %zu = %u", bad[i].at,
			    (unsigned)bad[i].v);
		m[bad[i].at] = was;
	}
	assert_int_equal(resolve_bytes(m, RESOLVE_REPLY_LEN, &r), 0);
	/* A failure: no address, all zero. */
	r = (struct resolve_reply){ .status = RES_AGAIN };
	buf_reset(&b);
	assert_int_equal(resolve_enc(&b, &r), 0);
	assert_int_equal(resolve_dec(&b, &r), 0);
	assert_int_equal(r.status, RES_AGAIN);
	assert_int_equal(r.count, 0);
	/* The encoder refuses what the decoder would. */
	r = (struct resolve_reply){ .status = RES_OK };
	buf_reset(&b);
	assert_int_equal(resolve_enc(&b, &r), -1);
	buf_free(&b);
}

static void
test_the_lookup_resolves_with_getaddrinfo(void **state)
{
	struct resolve_reply r;

	(void)state;
	resolve_lookup("127.0.0.1", &r);
	assert_int_equal(r.status, RES_OK);
	assert_int_equal(r.count, 1);
	assert_int_equal(r.a[0].family, 4);
	assert_memory_equal(r.a[0].addr, "\177\0\0\1", 4);
	resolve_lookup("localhost", &r);
	assert_int_equal(r.status, RES_OK);
	resolve_lookup("no-such-tsa.invalid", &r);
	assert_int_not_equal(r.status, RES_OK);
	assert_int_equal(r.count, 0);
}

/* What a connection attempt came to. */
struct conn_result {
	int called;
	int fd;
	char err[512];
	struct event_base *base;
};

static void
conn_done(int fd, const char *err, void *arg)
{
	struct conn_result *r = arg;

	r->called++;
	r->fd = fd;
	snprintf(r->err, sizeof(r->err), "%s", err != NULL ? err : "");
	event_base_loopbreak(r->base);
}

/* Connect to http://host:port/ with program as the lookup: the result. */
static struct conn_result
connect_to(const char *program, const char *host, unsigned port,
    unsigned timeout_ms)
{
	const struct tsa_lookup lk = { .program = program };
	struct conn_result r = { .fd = -1 };
	struct tsa_url u;
	struct tsa_conn *t;
	char url[300], why[128];

	snprintf(url, sizeof(url), "http://%s:%u/", host, port);
	assert_int_equal(tsaurl_parse(url, &u, why, sizeof(why)), 0);
	assert_non_null(r.base = event_base_new());
	assert_non_null(
	    t = tsa_connect(r.base, &lk, &u, timeout_ms, conn_done, &r));
	assert_int_equal(r.called, 0); /* never from inside tsa_connect */
	event_base_dispatch(r.base);
	assert_int_equal(r.called, 1);
	event_base_free(r.base);
	return r;
}

/* A loopback listener: its socket, and its port in *port. */
static int
listener(unsigned *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int s;

	assert_true((s = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s, 8), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return s;
}

/* Reap the lookup processes: how many were killed by SIGKILL. */
static int
reap_lookups(void)
{
	int st, killed = 0;
	pid_t pid;

	for (int i = 0; i < 400; i++) {
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
			if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
				killed++;
		if (pid == -1 && errno == ECHILD)
			return killed;
		usleep(5000);
	}
	fail_msg("a lookup process is still running after 2 s");
	return killed;
}

static void
test_an_address_is_connected_without_a_lookup(void **state)
{
	struct conn_result r;
	unsigned port;
	int s = listener(&port);

	(void)state;
	r = connect_to("/nonexistent/csign-sandbox", "127.0.0.1", port, 2000);
	assert_true(r.fd >= 0);
	close(r.fd);
	close(s);
	r = connect_to("/nonexistent/csign-sandbox", "127.0.0.1", port, 2000);
	assert_int_equal(r.fd, -1);
	assert_non_null(strstr(r.err, "cannot connect to 127.0.0.1 port"));
	assert_non_null(strstr(r.err, "Connection refused"));
	assert_int_equal(reap_lookups(), 0);
}

static void
test_a_name_is_resolved_by_the_lookup_process(void **state)
{
	struct conn_result r;
	unsigned port;
	int s = listener(&port);

	(void)state;
	/* localhost may come as ::1 first: refused there, then 127.0.0.1. */
	r = connect_to(lookup_program, "localhost", port, 5000);
	if (r.fd < 0)
		fail_msg("localhost: %s", r.err);
	close(r.fd);
	/* Without a lookup program, no name is resolved. */
	r = connect_to("/nonexistent/csign-sandbox", "localhost", port, 2000);
	assert_int_equal(r.fd, -1);
	assert_non_null(strstr(r.err, "cannot resolve localhost port"));
	assert_non_null(strstr(r.err, "ended without an answer"));
	close(s);
	reap_lookups();
}

static void
test_a_malformed_lookup_answer_is_refused(void **state)
{
	static const char *const hosts[] = { "lookup-test-long.invalid",
		"lookup-test-short.invalid", "lookup-test-junk.invalid",
		"lookup-test-fd.invalid" };
	struct conn_result r;
	unsigned port;
	int s = listener(&port);

	(void)state;
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		r = connect_to(lookup_program, hosts[i], port, 5000);
		assert_int_equal(r.fd, -1);
		if (strstr(r.err,
			"the lookup process sent a malformed "
			"answer") == NULL)
			fail_msg("%s: %s", hosts[i], r.err);
	}
	close(s);
	reap_lookups();
}

static void
test_a_hanging_lookup_is_killed_at_the_deadline(void **state)
{
	struct conn_result r;
	struct timespec t0, t1;
	long ms;

	(void)state;
	(void)reap_lookups(); /* only this test's lookup counts */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = connect_to(lookup_program, "lookup-test-hang.invalid", 80, 300);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_int_equal(r.fd, -1);
	assert_string_equal(r.err,
	    "cannot resolve lookup-test-hang.invalid "
	    "port 80: timed out");
	assert_true(ms >= 290 && ms < 2000);
	assert_int_equal(reap_lookups(), 1);
}

int
main(int argc, char **argv)
{
	const char *slash = argc > 0 ? strrchr(argv[0], '/') : NULL;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_lookup_answer_decodes_exactly),
		cmocka_unit_test(test_the_lookup_resolves_with_getaddrinfo),
		cmocka_unit_test(test_an_address_is_connected_without_a_lookup),
		cmocka_unit_test(test_a_name_is_resolved_by_the_lookup_process),
		cmocka_unit_test(test_a_malformed_lookup_answer_is_refused),
		cmocka_unit_test(
		    test_a_hanging_lookup_is_killed_at_the_deadline),
	};

	/* The lookup program: the test csign-sandbox beside this binary. */
	snprintf(lookup_program, sizeof(lookup_program), "%.*scsign-sandbox",
	    slash != NULL ? (int)(slash - argv[0] + 1) : 0, argv[0]);
	return cmocka_run_group_tests(tests, setup, teardown);
}
