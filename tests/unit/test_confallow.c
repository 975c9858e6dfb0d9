/*
 * test_confallow.c: csignd.conf(5) Allow lines (records/confallow.c).
 */
#include "config_test.h"

/* --- grants --- */

static void
test_allow_may_name_a_key_defined_later(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok("Allow user root keys k1\n" TOKEN_OK KEY_OK);
	assert_ptr_equal(cfg->allows[0].keys[0], &cfg->keys[0]);
	config_free(cfg);
}

static void
test_allow_resolves_supplementary_style_groups(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(TOKEN_OK KEY_OK "Allow group daemon keys k1\n"
				      "Allow group adm keys k1\n");
	assert_int_equal(cfg->nallows, 2);
	assert_int_equal(cfg->allows[0].gid, group_id("daemon"));
	assert_int_equal(cfg->allows[1].gid, group_id("adm"));
	config_free(cfg);
}

static void
test_unknown_group_is_an_error(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK KEY_OK
	    "Allow group csign-no-such-group keys k1\n",
	    9, "unknown group 'csign-no-such-group'");
}

static void
test_unknown_user_is_an_error(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK KEY_OK
	    "Allow user csign-no-such-user keys k1\n",
	    9, "unknown user 'csign-no-such-user'");
}

static void
test_allow_syntax_errors_show_the_expected_form(void **state)
{
	static const char *const bad[] = {
		"Allow root keys k1\n",
		"Allow user root k1\n",
		"Allow user root keys\n",
		"Allow others root keys k1\n",
		"Allow user root key k1\n",
		"Allow\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[256];

		snprintf(text, sizeof(text), "%s%s%s", TOKEN_OK, KEY_OK,
		    bad[i]);
		if (strcmp(bad[i], "Allow\n") == 0)
			assert_load_error(text, 9, "Allow: missing argument");
		else
			assert_load_error(text, 9, ALLOW_USAGE);
	}
}

static void
test_allow_with_too_many_keys_is_an_error(void **state)
{
	char text[2048];
	size_t n;

	(void)state;
	n = (size_t)snprintf(text, sizeof(text), "Allow user root keys");
	for (int i = 0; i < 257; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, " k");
	snprintf(text + n, sizeof(text) - n, "\n");
	assert_load_error(text, 1, "too many keys in Allow (max 256)");
}

/* "rate N/PERIOD" ends an Allow line; bad rates name the line. */
static void
test_allow_rate(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(TOKEN_OK KEY_OK "Allow user root keys k1 rate 60/hour\n"
				      "Allow group root keys k1\n");
	assert_int_equal(cfg->allows[0].rate_n, 60);
	assert_int_equal(cfg->allows[0].rate_period, 3600);
	assert_int_equal(cfg->allows[0].nkeys, 1);
	assert_int_equal(cfg->allows[1].rate_n, 0);
	config_free(cfg);
	assert_load_error(TOKEN_OK KEY_OK
	    "Allow user root keys k1 rate 5/week\n",
	    9,
	    "bad rate '5/week' (expected N/second, N/minute, N/hour or "
	    "N/day)");
	assert_load_error(TOKEN_OK KEY_OK "Allow user root keys rate 5/day\n",
	    9, ALLOW_USAGE);
}

/* --- grants that narrow formats --- */

/* "formats" after the keys narrows the line; with or before "rate". */
static void
test_allow_formats_narrows_a_grant(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(TOKEN_OK
	    "Key k1\n\tToken hsm0\n\tLabel k1\n\tFormats raw cms module pe\n"
	    "Key k2\n\tToken hsm0\n\tLabel k2\n\tFormats module pe\n"
	    "Allow group root keys k1 k2 formats module pe\n"
	    "Allow user root keys k1 FORMATS cms rate 5/hour\n"
	    "Allow user root keys k2 rate 1/day formats pe\n"
	    "Allow user root keys k1\n");
	assert_int_equal(cfg->allows[0].nkeys, 2);
	assert_int_equal(cfg->allows[0].formats,
	    FMT_BIT(FMT_MODULE) | FMT_BIT(FMT_PE));
	assert_int_equal(cfg->allows[0].rate_n, 0);
	assert_int_equal(cfg->allows[1].nkeys, 1);
	assert_int_equal(cfg->allows[1].formats, FMT_BIT(FMT_CMS));
	assert_int_equal(cfg->allows[1].rate_n, 5);
	assert_int_equal(cfg->allows[2].formats, FMT_BIT(FMT_PE));
	assert_int_equal(cfg->allows[2].rate_n, 1);
	assert_int_equal(cfg->allows[3].formats, 0);
	config_free(cfg);
}

/* A grant cannot widen a key: each format must be in every key's list. */
static void
test_allow_format_the_key_does_not_allow_is_an_error(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK KEY_OK
	    "Key k2\n\tToken hsm0\n\tLabel k2\n\tFormats raw cms\n"
	    "Allow group root keys k2 k1 formats cms\n",
	    13,
	    "key 'k1' (line 5) does not allow format 'cms' (see its Formats)");
	/* Also when the Allow line comes before the key. */
	assert_load_error(
	    "Allow user root keys k1 formats raw module\n" TOKEN_OK KEY_OK, 1,
	    "key 'k1' (line 6) does not allow format 'module' (see its "
	    "Formats)");
}

static void
test_allow_formats_errors_name_the_line(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK KEY_OK
	    "Allow group root keys k1 formats raw bogus\n",
	    9, "unknown format 'bogus'");
	assert_load_error(TOKEN_OK KEY_OK "Allow group root keys k1 formats\n",
	    9, "Allow formats: name at least one format");
	assert_load_error(TOKEN_OK KEY_OK
	    "Allow group root keys k1 formats rate 1/day\n",
	    9, "Allow formats: name at least one format");
	assert_load_error(TOKEN_OK KEY_OK
	    "Allow group root keys k1 formats raw formats raw\n",
	    9, "duplicate formats in Allow");
	assert_load_error(TOKEN_OK KEY_OK
	    "Allow group root keys k1 rate 1/day rate 2/day\n",
	    9, "duplicate rate in Allow");
	assert_load_error(TOKEN_OK KEY_OK "Allow group root keys k1 rate\n", 9,
	    ALLOW_USAGE);
	assert_load_error(TOKEN_OK KEY_OK "Allow group root keys formats raw\n",
	    9, ALLOW_USAGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allow_may_name_a_key_defined_later),
		cmocka_unit_test(
		    test_allow_resolves_supplementary_style_groups),
		cmocka_unit_test(test_unknown_group_is_an_error),
		cmocka_unit_test(test_unknown_user_is_an_error),
		cmocka_unit_test(
		    test_allow_syntax_errors_show_the_expected_form),
		cmocka_unit_test(test_allow_with_too_many_keys_is_an_error),
		cmocka_unit_test(test_allow_rate),
		cmocka_unit_test(test_allow_formats_narrows_a_grant),
		cmocka_unit_test(
		    test_allow_format_the_key_does_not_allow_is_an_error),
		cmocka_unit_test(test_allow_formats_errors_name_the_line),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
