/* test_pesign.c: the pesign protocol codec (proto/pesign.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "proto/pesign.h"

static uint8_t msg[PESIGN_HDR_LEN + PESIGN_PAYLOAD_MAX + 64];
static char err[256];

/* Encode a request, decode its header and payload: the decoder's result. */
static int
round_trip(uint32_t cmd, const uint32_t *word, const char *const *names,
    size_t n, struct pesign_req *r)
{
	struct pesign_hdr h;
	size_t len = pesign_req_encode(msg, sizeof(msg), cmd, word, names, n);

	assert_true(len >= PESIGN_HDR_LEN);
	assert_int_equal(pesign_hdr_decode(msg, &h, err, sizeof(err)), 0);
	assert_int_equal(h.command, cmd);
	assert_int_equal(h.size, len - PESIGN_HDR_LEN);
	return pesign_req_decode(cmd, msg + PESIGN_HDR_LEN, h.size, r, err,
	    sizeof(err));
}

static void
test_old_sign_commands_carry_token_and_cert(void **state)
{
	static const char *const names[] = { "OpenSC Card (Fedora Signer)",
		"/CN=Fedora Secure Boot Signer" };
	struct pesign_req r;

	(void)state;
	assert_int_equal(round_trip(PESIGN_SIGN_ATTACHED, NULL, names, 2, &r),
	    0);
	assert_true(r.sign && r.attached);
	assert_int_equal(r.file_type, PESIGN_FT_PE);
	assert_string_equal(r.token, names[0]);
	assert_string_equal(r.cert, names[1]);
	assert_int_equal(round_trip(PESIGN_SIGN_DETACHED, NULL, names, 2, &r),
	    0);
	assert_true(r.sign && !r.attached);
}

static void
test_new_sign_commands_carry_the_file_type_first(void **state)
{
	static const char *const names[] = { "tok", "cert" };
	uint32_t ft = PESIGN_FT_MODULE, bad = 2;
	struct pesign_req r;

	(void)state;
	assert_int_equal(round_trip(PESIGN_SIGN_DETACHED_WITH_FILE_TYPE, &ft,
			     names, 2, &r),
	    0);
	assert_true(r.sign && !r.attached);
	assert_int_equal(r.file_type, PESIGN_FT_MODULE);
	assert_int_equal(round_trip(PESIGN_SIGN_ATTACHED_WITH_FILE_TYPE, &bad,
			     names, 2, &r),
	    -1);
	assert_non_null(strstr(err, "file type 2"));
	/* An old client's payload read as a new one: refused, not misread. */
	assert_int_equal(round_trip(PESIGN_SIGN_ATTACHED_WITH_FILE_TYPE, NULL,
			     names, 2, &r),
	    -1);
}

static void
test_unlock_skips_the_pin(void **state)
{
	static const char *const names[] = { "tok", "123456" };
	struct pesign_req r;

	(void)state;
	assert_int_equal(round_trip(PESIGN_UNLOCK_TOKEN, NULL, names, 2, &r),
	    0);
	assert_string_equal(r.token, "tok");
	assert_null(memmem(&r, sizeof(r), "123456", 6));
}

static void
test_small_commands(void **state)
{
	static const char *const tok[] = { "tok" };
	uint32_t asked = 7;
	struct pesign_req r;

	(void)state;
	assert_int_equal(round_trip(PESIGN_GET_CMD_VERSION, &asked, NULL, 0,
			     &r),
	    0);
	assert_int_equal(r.asked, 7);
	assert_int_equal(round_trip(PESIGN_IS_TOKEN_UNLOCKED, NULL, tok, 1, &r),
	    0);
	assert_int_equal(round_trip(PESIGN_KILL_DAEMON, NULL, NULL, 0, &r), 0);
	/* A payload on a command that has none. */
	assert_int_equal(round_trip(PESIGN_KILL_DAEMON, NULL, tok, 1, &r), -1);
	assert_non_null(strstr(err, "left over"));
}

static void
test_headers_are_checked(void **state)
{
	struct pesign_hdr h;

	(void)state;
	assert_true(pesign_req_encode(msg, sizeof(msg), PESIGN_KILL_DAEMON,
			NULL, NULL, 0) == PESIGN_HDR_LEN);
	msg[0] ^= 1;
	assert_int_equal(pesign_hdr_decode(msg, &h, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a pesign message"));
	(void)pesign_req_encode(msg, sizeof(msg), PESIGN_RESPONSE, NULL, NULL,
	    0);
	assert_int_equal(pesign_hdr_decode(msg, &h, err, sizeof(err)), -1);
	(void)pesign_req_encode(msg, sizeof(msg), 9, NULL, NULL, 0);
	assert_int_equal(pesign_hdr_decode(msg, &h, err, sizeof(err)), -1);
	(void)pesign_req_encode(msg, sizeof(msg), PESIGN_KILL_DAEMON, NULL,
	    NULL, 0);
	h.size = PESIGN_PAYLOAD_MAX + 1;
	memcpy(msg + 8, &h.size, 4);
	assert_int_equal(pesign_hdr_decode(msg, &h, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "at most"));
}

static void
test_strings_are_bounded_and_terminated(void **state)
{
	static const char *const ok[] = { "tok", "cert" };
	struct pesign_req r;
	uint32_t n;
	size_t len;

	(void)state;
	len = pesign_req_encode(msg, sizeof(msg), PESIGN_SIGN_ATTACHED, NULL,
		  ok, 2) -
	    PESIGN_HDR_LEN;
	/* Token length past the end of the payload. */
	n = 1000;
	memcpy(msg + PESIGN_HDR_LEN, &n, 4);
	assert_int_equal(pesign_req_decode(PESIGN_SIGN_ATTACHED,
			     msg + PESIGN_HDR_LEN, len, &r, err, sizeof(err)),
	    -1);
	/* The NUL missing, or inside. */
	(void)pesign_req_encode(msg, sizeof(msg), PESIGN_SIGN_ATTACHED, NULL,
	    ok, 2);
	msg[PESIGN_HDR_LEN + 4 + 3] = 'x';
	assert_int_equal(pesign_req_decode(PESIGN_SIGN_ATTACHED,
			     msg + PESIGN_HDR_LEN, len, &r, err, sizeof(err)),
	    -1);
	(void)pesign_req_encode(msg, sizeof(msg), PESIGN_SIGN_ATTACHED, NULL,
	    ok, 2);
	msg[PESIGN_HDR_LEN + 4 + 1] = '\0';
	assert_int_equal(pesign_req_decode(PESIGN_SIGN_ATTACHED,
			     msg + PESIGN_HDR_LEN, len, &r, err, sizeof(err)),
	    -1);
	/* A control character, and a truncated payload. */
	(void)pesign_req_encode(msg, sizeof(msg), PESIGN_SIGN_ATTACHED, NULL,
	    ok, 2);
	msg[PESIGN_HDR_LEN + 4 + 1] = '\n';
	assert_int_equal(pesign_req_decode(PESIGN_SIGN_ATTACHED,
			     msg + PESIGN_HDR_LEN, len, &r, err, sizeof(err)),
	    -1);
	(void)pesign_req_encode(msg, sizeof(msg), PESIGN_SIGN_ATTACHED, NULL,
	    ok, 2);
	for (size_t cut = 0; cut < len; cut++)
		assert_int_equal(pesign_req_decode(PESIGN_SIGN_ATTACHED,
				     msg + PESIGN_HDR_LEN, cut, &r, err,
				     sizeof(err)),
		    -1);
	assert_int_equal(pesign_req_decode(PESIGN_SIGN_ATTACHED,
			     msg + PESIGN_HDR_LEN, len, &r, err, sizeof(err)),
	    0);
}

static void
test_reply_fits_what_the_client_reads(void **state)
{
	static char big[4000];
	uint8_t out[2048];
	int32_t rc;
	size_t n;

	(void)state;
	n = pesign_reply_encode(out, sizeof(out), -1, "denied");
	assert_int_equal(n, PESIGN_HDR_LEN + 4 + 7);
	memcpy(&rc, out + 12, 4);
	assert_int_equal(rc, -1);
	assert_string_equal((char *)out + 16, "denied");
	memset(big, 'a', sizeof(big) - 1);
	n = pesign_reply_encode(out, sizeof(out), 0, big);
	assert_int_equal(n, PESIGN_REPLY_MAX);
	assert_int_equal(out[n - 1], '\0');
	assert_int_equal(pesign_reply_encode(out, 10, 0, NULL), 0);
}

/* What the monitor checks a child's names with: the decoder's rules. */
static void
test_name_valid_is_the_decoders_rule(void **state)
{
	char longest[PESIGN_NAME_MAX + 2];

	(void)state;
	assert_true(pesign_name_valid("OpenSC Card (Fedora Signer)"));
	assert_true(pesign_name_valid("/CN=Fedora Secure Boot Signer"));
	assert_true(pesign_name_valid("Zertifikat \xc3\xbc"));
	assert_false(pesign_name_valid(""));
	assert_false(pesign_name_valid("a\nb"));
	assert_false(pesign_name_valid("\x1b[31m"));
	assert_false(pesign_name_valid("del\x7f"));
	assert_false(pesign_name_valid("\xff\xfe"));
	assert_false(pesign_name_valid("\xc3"));
	memset(longest, 'a', sizeof(longest) - 1);
	longest[PESIGN_NAME_MAX] = '\0';
	assert_true(pesign_name_valid(longest));
	longest[PESIGN_NAME_MAX] = 'a';
	longest[PESIGN_NAME_MAX + 1] = '\0';
	assert_false(pesign_name_valid(longest));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_old_sign_commands_carry_token_and_cert),
		cmocka_unit_test(
		    test_new_sign_commands_carry_the_file_type_first),
		cmocka_unit_test(test_unlock_skips_the_pin),
		cmocka_unit_test(test_small_commands),
		cmocka_unit_test(test_headers_are_checked),
		cmocka_unit_test(test_strings_are_bounded_and_terminated),
		cmocka_unit_test(test_reply_fits_what_the_client_reads),
		cmocka_unit_test(test_name_valid_is_the_decoders_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
