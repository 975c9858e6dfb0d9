/*
 * test_confread.c: csignd.conf(5) lines into words, and the keyword
 * dispatcher's checks (records/confread.c, confkeywords.c).
 */
#include "config_test.h"

/* --- lines and words --- */

static void
test_comments_and_blank_lines_are_ignored(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok("# leading comment\n"
		      "\n"
		      "   \t  \n"
		      "   # indented comment\n"
		      "PoolSize 9 # trailing comment\n"
		      "SandboxUser a#b\n"
		      "#PoolSize 10\n");
	assert_int_equal(cfg->pool_size, 9);
	assert_string_equal(cfg->sandbox_user, "a#b");
	config_free(cfg);
}

static void
test_quoted_values_keep_spaces_and_hashes(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(TOKEN_OK "Key k1\n"
			       "\tToken \"hsm0\"\n"
			       "\tLabel \"my key # 1\"\n"
			       "\tFormats raw\n"
			       "AuditLog \"/var/log/csign dir/audit.jsonl\"\n");
	assert_string_equal(cfg->keys[0].label, "my key # 1");
	assert_string_equal(cfg->audit_log, "/var/log/csign dir/audit.jsonl");
	config_free(cfg);
}

static void
test_unterminated_quote_is_an_error(void **state)
{
	(void)state;
	assert_load_error("PoolSize 3\nSandboxUser \"abc\n", 2,
	    "unterminated quote");
}

static void
test_text_after_closing_quote_is_an_error(void **state)
{
	(void)state;
	assert_load_error("SandboxUser \"abc\"def\n", 1,
	    "text after closing quote");
}

static void
test_empty_quoted_string_is_an_error(void **state)
{
	(void)state;
	assert_load_error("SandboxUser \"\"\n", 1, "empty quoted string");
}

static void
test_keywords_are_case_insensitive(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok("TOKEN hsm0\n"
		      "module /m.so\n"
		      "tokenlabel CSign\n"
		      "PINFILE /p\n"
		      "kEy K1\n"
		      "tOkEn hsm0\n"
		      "LABEL Label1\n"
		      "formats raw\n"
		      "digest sha512\n"
		      "allow GROUP root KEYS K1\n");
	assert_string_equal(cfg->tokens[0].label, "CSign");
	assert_string_equal(cfg->keys[0].name, "K1");
	assert_string_equal(cfg->keys[0].label, "Label1");
	assert_int_equal(cfg->keys[0].default_digest, DIG_SHA512);
	assert_null(config_find_key(cfg, "k1"));
	assert_non_null(config_find_key(cfg, "K1"));
	config_free(cfg);
}

static void
test_values_are_case_sensitive(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK "Key k1\n\tToken hsm0\n\tLabel x\n"
				   "\tFormats RAW\n",
	    8, "unknown format 'RAW'");
}

static void
test_crlf_line_endings_are_accepted(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok("PoolSize 5\r\nListen /run/x.sock\r\n");
	assert_int_equal(cfg->pool_size, 5);
	assert_string_equal(cfg->listen, "/run/x.sock");
	config_free(cfg);
}

static void
test_line_of_4096_bytes_is_accepted(void **state)
{
	char text[4096 + 2];
	struct config *cfg;

	(void)state;
	memset(text, 'x', 4096);
	text[0] = '#';
	text[4096] = '\n';
	text[4097] = '\0';
	cfg = load_ok(text);
	config_free(cfg);
}

/* --- errors --- */

static void
test_line_longer_than_4096_bytes_is_an_error(void **state)
{
	char text[4 + 4097 + 2];

	(void)state;
	memcpy(text, "# a\n", 4);
	memset(text + 4, 'x', 4097);
	text[4 + 4097] = '\n';
	text[4 + 4098] = '\0';
	assert_load_error(text, 2, "line too long (max 4096 bytes)");
}

static void
test_nul_byte_is_an_error(void **state)
{
	static const char data[] = "PoolSize 4\nListen /a\0b\n";
	char err[CONFIG_ERR_MAX], want[CONFIG_ERR_MAX];

	(void)state;
	write_bytes(data, sizeof(data) - 1);
	assert_null(config_load(conf_path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s:2: NUL byte in line", conf_path);
	assert_string_equal(err, want);
}

static void
test_unknown_keyword_is_an_error(void **state)
{
	(void)state;
	assert_load_error("PoolSize 4\n\nFrobnicate yes\n", 3,
	    "unknown keyword 'Frobnicate'");
}

static void
test_missing_argument_is_an_error(void **state)
{
	(void)state;
	assert_load_error("Listen\n", 1, "Listen: missing argument");
	assert_load_error(TOKEN_OK "Key k1\n\tFormats\n", 6,
	    "Formats: missing argument");
}

static void
test_too_many_arguments_is_an_error(void **state)
{
	(void)state;
	assert_load_error("# x\nListen /a /b\n", 2,
	    "Listen: too many arguments");
	assert_load_error(TOKEN_OK "Key k1\n\tPadding pss pkcs1\n", 6,
	    "Padding: too many arguments");
}

static void
test_bad_name_is_an_error(void **state)
{
	char name[66], text[512], want[256];

	(void)state;
	assert_load_error("Token hsm/0\n", 1,
	    "bad name 'hsm/0': use 1 to 64 of A-Z a-z 0-9 . _ -");
	assert_load_error("Key \"a b\"\n", 1,
	    "bad name 'a b': use 1 to 64 of A-Z a-z 0-9 . _ -");
	memset(name, 'n', 65);
	name[65] = '\0';
	snprintf(text, sizeof(text), "PoolSize 2\nKey %s\n", name);
	snprintf(want, sizeof(want),
	    "bad name '%s': use 1 to 64 of A-Z a-z 0-9 . _ -", name);
	assert_load_error(text, 2, want);
	name[64] = '\0';
	snprintf(text, sizeof(text),
	    TOKEN_OK "Key %s\n\tToken hsm0\n"
		     "\tId 01\n\tFormats raw\n",
	    name);
	config_free(load_ok(text));
}

static void
test_error_without_err_buffer_does_not_crash(void **state)
{
	(void)state;
	write_bytes("Bogus\n", 6);
	assert_null(config_load(conf_path, NULL, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_comments_and_blank_lines_are_ignored),
		cmocka_unit_test(test_quoted_values_keep_spaces_and_hashes),
		cmocka_unit_test(test_unterminated_quote_is_an_error),
		cmocka_unit_test(test_text_after_closing_quote_is_an_error),
		cmocka_unit_test(test_empty_quoted_string_is_an_error),
		cmocka_unit_test(test_keywords_are_case_insensitive),
		cmocka_unit_test(test_values_are_case_sensitive),
		cmocka_unit_test(test_crlf_line_endings_are_accepted),
		cmocka_unit_test(test_line_of_4096_bytes_is_accepted),
		cmocka_unit_test(test_unknown_keyword_is_an_error),
		cmocka_unit_test(test_missing_argument_is_an_error),
		cmocka_unit_test(test_too_many_arguments_is_an_error),
		cmocka_unit_test(test_bad_name_is_an_error),
		cmocka_unit_test(test_line_longer_than_4096_bytes_is_an_error),
		cmocka_unit_test(test_nul_byte_is_an_error),
		cmocka_unit_test(test_error_without_err_buffer_does_not_crash),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
