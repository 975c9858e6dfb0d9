/*
 * test_openpgp_clear.c: the cleartext signature's text (RFC 4880 section
 * 7.1), sandbox/formats/openpgp_clear.c: what is hashed (trailing blanks
 * gone, CR LF between lines, no last line ending), what is written
 * (dash-escaped, LF ends), in whatever pieces it comes, and what is
 * refused (NUL, bare CR, anything not UTF-8) with the line it is on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sandbox/formats/openpgp.h"

struct run {
	struct buf text;
	uint8_t md[32];
	int rc;
	uint64_t line;
	const char *error;
};

/* pgp_clear's emit: collect the text. */
static int
collect(void *arg, const void *p, size_t len)
{
	return buf_put(arg, p, len);
}

/* Canonicalise in[0..len) fed in pieces of step bytes. */
static void
run_clear(const char *in, size_t len, size_t step, struct run *r)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	struct pgp_clear c;

	buf_init(&r->text, 1 << 16);
	assert_int_equal(EVP_DigestInit_ex(md, EVP_sha256(), NULL), 1);
	pgp_clear_init(&c, md, collect, &r->text);
	r->rc = 0;
	for (size_t i = 0; i < len && r->rc == 0; i += step)
		r->rc = pgp_clear_feed(&c, (const uint8_t *)in + i,
		    len - i < step ? len - i : step);
	if (r->rc == 0)
		r->rc = pgp_clear_finish(&c);
	r->line = c.line;
	r->error = c.error;
	EVP_DigestFinal_ex(md, r->md, NULL);
	EVP_MD_CTX_free(md);
}

/* in must hash as hashed and be written as text, in any pieces. */
static void
check_clear(const char *in, size_t len, const char *hashed, const char *text)
{
	static const size_t steps[] = { 1, 2, 3, 7, 1000 };
	uint8_t want[32];
	struct run r;

	EVP_Digest(hashed, strlen(hashed), want, NULL, EVP_sha256(), NULL);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		run_clear(in, len, steps[i], &r);
		assert_int_equal(r.rc, 0);
		assert_memory_equal(r.md, want, sizeof(want));
		assert_int_equal(buf_left(&r.text), strlen(text));
		assert_memory_equal(buf_ptr(&r.text), text, strlen(text));
		buf_free(&r.text);
	}
}

#define CLEAR(in, hashed, text) check_clear(in, sizeof(in) - 1, hashed, text)

static void
test_lines_join_with_crlf_and_the_last_ending_is_not_signed(void **state)
{
	(void)state;
	CLEAR("a\nb\n", "a\r\nb", "a\nb\n");
	CLEAR("a\nb", "a\r\nb", "a\nb\n");
	CLEAR("a\r\nb\r\n", "a\r\nb", "a\nb\n");
	CLEAR("a\n\n", "a\r\n", "a\n\n");
	CLEAR("\n\na", "\r\n\r\na", "\n\na\n");
	CLEAR("", "", "");
	CLEAR("\n", "", "\n");
}

static void
test_trailing_spaces_and_tabs_are_not_signed(void **state)
{
	(void)state;
	CLEAR("a \t \nb\t\n", "a\r\nb", "a\nb\n");
	CLEAR("a b\t c  ", "a b\t c", "a b\t c\n");
	CLEAR("  \n\t\r\nx", "\r\n\r\nx", "\n\nx\n");
	/* Blanks inside a line stay, however many. */
	CLEAR("a                                                  b",
	    "a                                                  b",
	    "a                                                  b\n");
}

static void
test_lines_starting_with_a_dash_are_escaped(void **state)
{
	(void)state;
	CLEAR("-----BEGIN PGP SIGNATURE-----\n- x\n-\n",
	    "-----BEGIN PGP SIGNATURE-----\r\n- x\r\n-",
	    "- -----BEGIN PGP SIGNATURE-----\n- - x\n- -\n");
	CLEAR("a-b\n -c\n", "a-b\r\n -c", "a-b\n -c\n");
}

static void
test_utf8_text_passes(void **state)
{
	(void)state;
	CLEAR("J\xc3\xb6rg \xe2\x82\xac \xf0\x9f\x94\x91\n",
	    "J\xc3\xb6rg \xe2\x82\xac \xf0\x9f\x94\x91",
	    "J\xc3\xb6rg \xe2\x82\xac \xf0\x9f\x94\x91\n");
}

/* in is refused, on line with why, in any pieces. */
static void
check_refused(const char *in, size_t len, uint64_t line, const char *why)
{
	struct run r;

	for (size_t step = 1; step <= len; step++) {
		run_clear(in, len, step, &r);
		assert_int_equal(r.rc, -1);
		assert_non_null(r.error);
		assert_non_null(strstr(r.error, why));
		assert_int_equal(r.line, line);
		buf_free(&r.text);
	}
}

#define REFUSED(in, line, why) check_refused(in, sizeof(in) - 1, line, why)

static void
test_bad_text_is_refused_with_its_line(void **state)
{
	(void)state;
	REFUSED("a\nb\0c\n", 2, "NUL");
	REFUSED("a\rb\n", 1, "carriage return");
	REFUSED("a\n\r", 2, "carriage return");
	REFUSED("a\r\r\n", 1, "carriage return");
	REFUSED("x\n\xff\n", 2, "not UTF-8");
	REFUSED("\xc0\x80", 1, "not UTF-8");	     /* overlong NUL */
	REFUSED("\xed\xa0\x80", 1, "not UTF-8");     /* a surrogate */
	REFUSED("\xf4\x90\x80\x80", 1, "not UTF-8"); /* past U+10FFFF */
	REFUSED("\xc3 x", 1, "not UTF-8");	     /* cut by ASCII */
	REFUSED("a\n\n\nb\xe2\x82", 4, "cut short"); /* cut by the end */
	REFUSED("\x80", 1, "not UTF-8");	     /* a lone continuation */
}

static void
test_many_blank_alternations_are_refused(void **state)
{
	char in[2 * PGP_BLANK_RUNS + 4];
	struct run r;
	size_t n = 0;

	(void)state;
	for (int i = 0; i < PGP_BLANK_RUNS; i++)
		in[n++] = i % 2 ? ' ' : '\t';
	in[n++] = 'x';
	run_clear(in, n, 5, &r);
	assert_int_equal(r.rc, 0);
	buf_free(&r.text);
	in[n - 1] = ' ';
	in[n++] = '\t';
	in[n++] = 'x';
	run_clear(in, n, 5, &r);
	assert_int_equal(r.rc, -1);
	assert_non_null(strstr(r.error, "alternations"));
	buf_free(&r.text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_lines_join_with_crlf_and_the_last_ending_is_not_signed),
		cmocka_unit_test(test_trailing_spaces_and_tabs_are_not_signed),
		cmocka_unit_test(test_lines_starting_with_a_dash_are_escaped),
		cmocka_unit_test(test_utf8_text_passes),
		cmocka_unit_test(test_bad_text_is_refused_with_its_line),
		cmocka_unit_test(test_many_blank_alternations_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
