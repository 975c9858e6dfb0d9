/*
 * test_tsa_http.c: the HTTP of timestamp requests (sandbox/http.c) and the
 * TSA URLs of the config (records/tsaurl.c).
 */
#include "tsa_test.h"

/* Parse an HTTP response given as a string; the result and body. */
static int
http(const char *s, int eof, int *status, struct buf *body, char *err)
{
	return http_parse_response((const uint8_t *)s, strlen(s), eof, status,
	    body, err, 128);
}

static void
test_http_content_length_framing(void **state)
{
	struct buf body;
	char err[128];
	int st = 0;

	(void)state;
	buf_init(&body, HTTP_RESP_MAX);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
			     0, &st, &body, err),
	    1);
	assert_int_equal(st, 200);
	assert_int_equal(buf_left(&body), 3);
	assert_memory_equal(buf_ptr(&body), "abc", 3);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nab",
			     0, &st, &body, err),
	    0);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nab",
			     1, &st, &body, err),
	    -1);
	assert_non_null(strstr(err, "middle of the HTTP body"));
	assert_int_equal(http("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n"
			      "abcd",
			     0, &st, &body, err),
	    -1);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n", 0,
			     &st, &body, err),
	    0);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n", 1,
			     &st, &body, err),
	    -1);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n",
			     0, &st, &body, err),
	    -1);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
			      "Content-Length: 1\r\n\r\na",
			     0, &st, &body, err),
	    -1);
	buf_free(&body);
}

static void
test_http_close_delimited_and_status(void **state)
{
	struct buf body;
	char err[128];
	int st = 0;

	(void)state;
	buf_init(&body, HTTP_RESP_MAX);
	assert_int_equal(http("HTTP/1.0 200 OK\r\n\r\nxyz", 0, &st, &body, err),
	    0);
	assert_int_equal(http("HTTP/1.0 200 OK\r\n\r\nxyz", 1, &st, &body, err),
	    1);
	assert_int_equal(buf_left(&body), 3);
	assert_int_equal(http("HTTP/1.1 500 Internal Server Error\r\n"
			      "Content-Length: 0\r\n\r\n",
			     0, &st, &body, err),
	    1);
	assert_int_equal(st, 500);
	assert_int_equal(http("HTTP/2 200\r\n\r\n", 1, &st, &body, err), -1);
	assert_int_equal(http("HTTP/1.1 2x0 OK\r\n\r\n", 1, &st, &body, err),
	    -1);
	assert_int_equal(http("garbage\r\n\r\n", 1, &st, &body, err), -1);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nno colon\r\n\r\n", 1, &st,
			     &body, err),
	    -1);
	assert_int_equal(http("HTTP/1.1 200 OK\nContent-Length: 0\n\n", 1, &st,
			     &body, err),
	    -1);
	buf_free(&body);
}

static void
test_http_chunked_bodies(void **state)
{
	struct buf body;
	char err[128];
	int st = 0;

	(void)state;
	buf_init(&body, HTTP_RESP_MAX);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
			      "\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
			     0, &st, &body, err),
	    1);
	assert_int_equal(buf_left(&body), 5);
	assert_memory_equal(buf_ptr(&body), "abcde", 5);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
			      "\r\n\r\n3\r\nabc\r\n",
			     0, &st, &body, err),
	    0);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
			      "\r\n\r\n3\r\nabc\r\n",
			     1, &st, &body, err),
	    -1);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
			      "\r\n\r\nzz\r\nabc\r\n",
			     0, &st, &body, err),
	    -1);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
			      "\r\n\r\n3\r\nabcX\r\n",
			     0, &st, &body, err),
	    -1);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
			      "\r\n\r\nfffffff0\r\n",
			     0, &st, &body, err),
	    -1);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip"
			      "\r\n\r\n",
			     1, &st, &body, err),
	    -1);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
			      "\r\nContent-Length: 3\r\n\r\n",
			     1, &st, &body, err),
	    -1);
	buf_free(&body);
}

static void
test_tsa_urls(void **state)
{
	struct tsa_url u;
	char why[128];

	(void)state;
	assert_int_equal(tsaurl_parse("http://tsa.example.com/tsr", &u, why,
			     sizeof(why)),
	    0);
	assert_string_equal(u.host, "tsa.example.com");
	assert_string_equal(u.port, "80");
	assert_string_equal(u.path, "/tsr");
	assert_string_equal(u.hostport, "tsa.example.com");
	assert_int_equal(tsaurl_parse("http://127.0.0.1:3180", &u, why,
			     sizeof(why)),
	    0);
	assert_string_equal(u.host, "127.0.0.1");
	assert_string_equal(u.port, "3180");
	assert_string_equal(u.path, "/");
	assert_string_equal(u.hostport, "127.0.0.1:3180");
	assert_int_equal(tsaurl_parse("HTTP://[::1]:8080/a?b=c", &u, why,
			     sizeof(why)),
	    0);
	assert_string_equal(u.host, "::1");
	assert_string_equal(u.port, "8080");
	assert_string_equal(u.path, "/a?b=c");
	assert_string_equal(u.hostport, "[::1]:8080");
	static const char *const bad[] = {
		"https://tsa.example.com/",
		"ftp://x/",
		"http://",
		"http:///x",
		"http://host:0/",
		"http://host:65536/",
		"http://host:/",
		"http://host:12a/",
		"http://user@host/",
		"http://ho st/",
		"http://[::1/",
		"http://[::1]x/",
		"http://host/a b",
		"http://host/#frag",
		"tsa.example.com",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (tsaurl_parse(bad[i], &u, why, sizeof(why)) != -1)
			fail_msg("accepted '%s'", bad[i]);
}

int
main(int argc, char **argv)
{
	const char *slash = argc > 0 ? strrchr(argv[0], '/') : NULL;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_content_length_framing),
		cmocka_unit_test(test_http_close_delimited_and_status),
		cmocka_unit_test(test_http_chunked_bodies),
		cmocka_unit_test(test_tsa_urls),
	};

	/* The lookup program: the test csign-sandbox beside this binary. */
	snprintf(lookup_program, sizeof(lookup_program), "%.*scsign-sandbox",
	    slash != NULL ? (int)(slash - argv[0] + 1) : 0, argv[0]);
	return cmocka_run_group_tests(tests, setup, teardown);
}
