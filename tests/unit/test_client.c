/*
 * test_client.c: csign-client's command line (client/).
 */
#include "client_test.h"

#define MAXARGS 32

/* Parse a NULL-terminated list of arguments (after the program name). */
static enum parse_result
parse(struct options *o, char *err, size_t errlen, ...)
{
	static char *argv[MAXARGS + 1];
	va_list ap;
	int argc = 0;
	char *a;

	argv[argc++] = "csign-client";
	va_start(ap, errlen);
	while ((a = va_arg(ap, char *)) != NULL && argc < MAXARGS)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	return cl_args_parse(argc, argv, o, err, errlen);
}

/* ---- command line ---- */

static void
test_args_sign_sets_every_field(void **state)
{
	struct options o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, sizeof(err), "-S", "/tmp/s",
			     "--timeout", "30", "sign", "-k", "kmod", "-f",
			     "module", "-d", "sha384", "--pem", "--timestamp",
			     "a.ko", "b.ko", NULL),
	    PARSE_RUN);
	assert_int_equal(o.cmd, CMD_SIGN);
	assert_true(o.timestamp);
	assert_string_equal(o.socket, "/tmp/s");
	assert_int_equal(o.timeout, 30);
	assert_string_equal(o.key, "kmod");
	assert_string_equal(o.format, "module");
	assert_string_equal(o.digest, "sha384");
	assert_true(o.pem);
	assert_null(o.out);
	assert_int_equal(o.nfiles, 2);
	assert_string_equal(o.files[0], "a.ko");
	assert_string_equal(o.files[1], "b.ko");
	assert_false(o.json);
	assert_false(o.verbose);
}

static void
test_args_defaults(void **state)
{
	struct options o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, sizeof(err), "keys", NULL), PARSE_RUN);
	assert_int_equal(o.cmd, CMD_KEYS);
	assert_null(o.socket);
	assert_int_equal(o.timeout, DEFAULT_TIMEOUT);
	assert_false(o.json);
}

static void
test_args_global_options_after_command(void **state)
{
	struct options o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, sizeof(err), "sign", "--json", "-v",
			     "-k", "k", "-f", "cms", "-o", "x.p7s",
			     "--socket=/s", "--timeout=5", "x", NULL),
	    PARSE_RUN);
	assert_true(o.json);
	assert_true(o.verbose);
	assert_string_equal(o.socket, "/s");
	assert_int_equal(o.timeout, 5);
	assert_string_equal(o.out, "x.p7s");
}

static void
test_args_options_may_follow_files(void **state)
{
	struct options o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, sizeof(err), "sign", "a.bin", "-k", "k",
			     "-f", "raw", NULL),
	    PARSE_RUN);
	assert_int_equal(o.nfiles, 1);
	assert_string_equal(o.files[0], "a.bin");
	assert_string_equal(o.key, "k");
}

static void
test_args_double_dash_ends_options(void **state)
{
	struct options o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, sizeof(err), "sign", "-k", "k", "-f",
			     "raw", "--", "-odd-name", NULL),
	    PARSE_RUN);
	assert_int_equal(o.nfiles, 1);
	assert_string_equal(o.files[0], "-odd-name");
}

/* Expect a usage error whose text contains want. */
#define assert_usage_error(want, ...) \
	do { \
		struct options o_; \
		char err_[256]; \
		assert_int_equal(parse(&o_, err_, sizeof(err_), __VA_ARGS__, \
				     NULL), \
		    PARSE_ERROR); \
		if (strstr(err_, want) == NULL) \
			fail_msg("error \"%s\" lacks \"%s\"", err_, want); \
	} while (0)

static void
test_args_sign_needs_key_format_and_file(void **state)
{
	(void)state;
	assert_usage_error("missing -k key", "sign", "-f", "cms", "a");
	assert_usage_error("missing -f format", "sign", "-k", "k", "a");
	assert_usage_error("no file to sign", "sign", "-k", "k", "-f", "cms");
}

static void
test_args_sign_rejects_unknown_names(void **state)
{
	(void)state;
	assert_usage_error("unknown format 'zip' (one of: raw cms module pe "
			   "ima verity openpgp openpgp-clear)",
	    "sign", "-k", "k", "-f", "zip", "a");
	assert_usage_error("unknown digest 'md5'", "sign", "-k", "k", "-f",
	    "cms", "-d", "md5", "a");
	assert_usage_error("key name longer than 64 bytes", "sign", "-k",
	    "0123456789012345678901234567890123456789012345678901234567890"
	    "12345",
	    "-f", "cms", "a");
	assert_usage_error("empty key name", "sign", "-k", "", "-f", "cms",
	    "a");
}

static void
test_args_output_only_with_one_file(void **state)
{
	(void)state;
	assert_usage_error("-o is allowed with one file only", "sign", "-k",
	    "k", "-f", "cms", "-o", "out", "a", "b");
	assert_usage_error("empty output name", "sign", "-k", "k", "-f", "cms",
	    "-o", "", "a");
}

static void
test_args_stdin_at_most_once(void **state)
{
	(void)state;
	assert_usage_error("standard input given more than once", "sign", "-k",
	    "k", "-f", "cms", "-", "a", "-");
}

static void
test_args_json_never_shares_stdout_with_a_signature(void **state)
{
	struct options o;
	char err[256];

	(void)state;
	assert_usage_error("--json needs the signature in a file", "--json",
	    "sign", "-k", "k", "-f", "cms", "-");
	assert_usage_error("--json needs the signature in a file", "--json",
	    "sign", "-k", "k", "-f", "cms", "-o", "-", "a");
	assert_int_equal(parse(&o, err, sizeof(err), "--json", "sign", "-k",
			     "k", "-f", "cms", "-o", "s.p7s", "-", NULL),
	    PARSE_RUN);
}

static void
test_args_timeout_range(void **state)
{
	struct options o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, sizeof(err), "--timeout", "86400",
			     "status", NULL),
	    PARSE_RUN);
	assert_int_equal(o.timeout, 86400);
	assert_usage_error("invalid timeout '0'", "--timeout", "0", "status");
	assert_usage_error("invalid timeout '86401'", "--timeout", "86401",
	    "status");
	assert_usage_error("invalid timeout '-5'", "--timeout", "-5", "status");
	assert_usage_error("invalid timeout '5s'", "--timeout", "5s", "status");
	assert_usage_error("invalid timeout ''", "--timeout", "", "status");
	assert_usage_error("invalid timeout '99999999999999999999'",
	    "--timeout", "99999999999999999999", "status");
}

static void
test_args_bad_options_are_named_as_typed(void **state)
{
	(void)state;
	assert_usage_error("option -x is not known", "-x", "status");
	assert_usage_error("option --bogus is not known", "--bogus=1",
	    "status");
	assert_usage_error("option -S needs an argument", "status", "-S");
	assert_usage_error("option --socket needs an argument", "status",
	    "--socket");
	assert_usage_error("option --json is not known", "--json=yes",
	    "status");
	assert_usage_error("empty socket path", "-S", "", "status");
}

static void
test_args_options_belong_to_their_command(void **state)
{
	(void)state;
	assert_usage_error("option -k is not known", "keys", "-k", "x");
	assert_usage_error("option -o is not known", "-o", "x", "keys");
	assert_usage_error("option --pem is not known", "cert", "--pem", "k");
}

static void
test_args_commands_and_operands(void **state)
{
	struct options o;
	char err[256];

	(void)state;
	assert_usage_error("missing command", "-v");
	assert_usage_error("unknown command 'frobnicate'", "frobnicate");
	assert_usage_error("whoami: unexpected argument 'x'", "whoami", "x");
	assert_usage_error("cert: expected one key name", "cert");
	assert_usage_error("cert: expected one key name", "cert", "a", "b");
	assert_int_equal(parse(&o, err, sizeof(err), "cert", "-o", "k.pem",
			     "efi", NULL),
	    PARSE_RUN);
	assert_int_equal(o.cmd, CMD_CERT);
	assert_string_equal(o.key, "efi");
	assert_string_equal(o.out, "k.pem");
	assert_int_equal(parse(&o, err, sizeof(err), "whoami", NULL),
	    PARSE_RUN);
	assert_int_equal(o.cmd, CMD_WHOAMI);
	assert_int_equal(parse(&o, err, sizeof(err), "status", NULL),
	    PARSE_RUN);
	assert_int_equal(o.cmd, CMD_STATUS);
}

static void
test_args_help_and_version(void **state)
{
	struct options o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, sizeof(err), "-h", NULL), PARSE_HELP);
	assert_int_equal(parse(&o, err, sizeof(err), "--help", NULL),
	    PARSE_HELP);
	assert_int_equal(parse(&o, err, sizeof(err), "sign", "-h", NULL),
	    PARSE_HELP);
	assert_int_equal(parse(&o, err, sizeof(err), "--version", NULL),
	    PARSE_VERSION);
}

static void
test_args_approval_commands(void **state)
{
	struct options o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, sizeof(err), "approve", "17",
			     "--reason", "tag checked", NULL),
	    PARSE_RUN);
	assert_int_equal(o.cmd, CMD_APPROVE);
	assert_true(o.request == 17);
	assert_string_equal(o.reason, "tag checked");
	assert_int_equal(parse(&o, err, sizeof(err), "deny", "--reason", "no",
			     "18446744073709551615", NULL),
	    PARSE_RUN);
	assert_int_equal(o.cmd, CMD_DENY);
	assert_true(o.request == 18446744073709551615ull);
	assert_int_equal(parse(&o, err, sizeof(err), "wait", "-o", "x.sig",
			     "--wait-timeout", "600", "5", NULL),
	    PARSE_RUN);
	assert_int_equal(o.cmd, CMD_WAIT);
	assert_string_equal(o.out, "x.sig");
	assert_int_equal(o.wait_timeout, 600);
	assert_int_equal(parse(&o, err, sizeof(err), "--json", "pending", NULL),
	    PARSE_RUN);
	assert_int_equal(o.cmd, CMD_PENDING);
	assert_int_equal(parse(&o, err, sizeof(err), "sign", "-k", "k", "-f",
			     "cms", "--no-wait", "a", NULL),
	    PARSE_RUN);
	assert_true(o.nowait);
}

static void
test_args_approval_errors(void **state)
{
	(void)state;
	assert_usage_error("bad request id '0'", "approve", "0");
	assert_usage_error("bad request id '-1'", "wait", "--", "-1");
	assert_usage_error("bad request id '1x'", "approve", "1x");
	assert_usage_error("bad request id '18446744073709551616'", "wait",
	    "18446744073709551616");
	assert_usage_error("expected one request id", "approve");
	assert_usage_error("expected one request id", "wait", "1", "2");
	assert_usage_error("deny: needs --reason", "deny", "3");
	assert_usage_error("unexpected argument", "pending", "3");
	assert_usage_error("option -o is not known", "approve", "-o", "x", "3");
	assert_usage_error("invalid wait timeout", "wait", "--wait-timeout",
	    "0", "3");
	assert_usage_error("--no-wait takes one file", "sign", "-k", "k", "-f",
	    "cms", "--no-wait", "a", "b");
	assert_usage_error("--no-wait takes one file", "sign", "-k", "k", "-f",
	    "cms", "--no-wait", "--wait-timeout", "5", "a");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args_sign_sets_every_field),
		cmocka_unit_test(test_args_defaults),
		cmocka_unit_test(test_args_global_options_after_command),
		cmocka_unit_test(test_args_options_may_follow_files),
		cmocka_unit_test(test_args_double_dash_ends_options),
		cmocka_unit_test(test_args_sign_needs_key_format_and_file),
		cmocka_unit_test(test_args_sign_rejects_unknown_names),
		cmocka_unit_test(test_args_output_only_with_one_file),
		cmocka_unit_test(test_args_stdin_at_most_once),
		cmocka_unit_test(
		    test_args_json_never_shares_stdout_with_a_signature),
		cmocka_unit_test(test_args_timeout_range),
		cmocka_unit_test(test_args_bad_options_are_named_as_typed),
		cmocka_unit_test(test_args_options_belong_to_their_command),
		cmocka_unit_test(test_args_commands_and_operands),
		cmocka_unit_test(test_args_help_and_version),
		cmocka_unit_test(test_args_approval_commands),
		cmocka_unit_test(test_args_approval_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
