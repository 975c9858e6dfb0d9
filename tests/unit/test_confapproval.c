/*
 * test_confapproval.c: the Approval keyword of a csignd.conf(5) Key block
 * (records/confblocks.c).
 */
#include "config_test.h"

/* --- Approval --- */

static void
test_approval_sets_group_count_and_expiry(void **state)
{
	struct config *cfg;
	const struct cfg_key *k;

	(void)state;
	cfg = load_ok(TOKEN_OK KEY_OK
	    "\tApproval group root count 2 "
	    "expires 90m\n"
	    "Key k2\n\tToken hsm0\n\tLabel k2\n\tFormats raw\n");
	k = config_find_key(cfg, "k1");
	assert_non_null(k);
	assert_true(k->has_approval);
	assert_string_equal(k->approval_group, "root");
	assert_int_equal(k->approval_gid, group_id("root"));
	assert_int_equal(k->approval_count, 2);
	assert_int_equal(k->approval_expires, 90 * 60);
	k = config_find_key(cfg, "k2");
	assert_false(k->has_approval);
	config_free(cfg);
}

static void
test_approval_defaults_to_one_approver_for_an_hour(void **state)
{
	struct config *cfg;
	const struct cfg_key *k;

	(void)state;
	cfg = load_ok(TOKEN_OK KEY_OK "\tApproval group root\n");
	k = config_find_key(cfg, "k1");
	assert_int_equal(k->approval_count, 1);
	assert_int_equal(k->approval_expires, 3600);
	config_free(cfg);
}

static void
test_approval_durations_take_every_unit(void **state)
{
	static const struct {
		const char *text;
		unsigned secs;
	} cases[] = { { "90s", 90 }, { "45", 45 }, { "30m", 1800 },
		{ "2h", 7200 }, { "1d", 86400 }, { "7d", 7 * 86400 } };
	char text[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config *cfg;

		snprintf(text, sizeof(text),
		    TOKEN_OK KEY_OK
		    "\tApproval group root expires %s count 16\n",
		    cases[i].text);
		cfg = load_ok(text);
		assert_int_equal(config_find_key(cfg, "k1")->approval_expires,
		    cases[i].secs);
		assert_int_equal(config_find_key(cfg, "k1")->approval_count,
		    16);
		config_free(cfg);
	}
}

static void
test_approval_bad_count_is_an_error(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK KEY_OK "\tApproval group root count 0\n", 9,
	    "Approval count must be between 1 and 16");
	assert_load_error(TOKEN_OK KEY_OK "\tApproval group root count 17\n", 9,
	    "Approval count must be between 1 and 16");
	assert_load_error(TOKEN_OK KEY_OK "\tApproval group root count x\n", 9,
	    "Approval count must be between 1 and 16");
}

static void
test_approval_bad_duration_is_an_error(void **state)
{
	static const char *const bad[] = { "8d", "0s", "1w", "m", "5mm", "-5m",
		"99999999999999999999" };
	char text[512], msg[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text),
		    TOKEN_OK KEY_OK "\tApproval group root expires %s\n",
		    bad[i]);
		snprintf(msg, sizeof(msg),
		    "bad Approval expires '%s' "
		    "(expected 1s to 7d, as 90s, 30m, 2h or 1d)",
		    bad[i]);
		assert_load_error(text, 9, msg);
	}
}

static void
test_approval_unknown_group_is_an_error(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK KEY_OK
	    "\tApproval group no-such-group-csign\n",
	    9, "unknown group 'no-such-group-csign'");
}

static void
test_approval_syntax_errors_are_reported(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK KEY_OK "\tApproval user root\n", 9,
	    "expected: Approval group NAME [count N] [expires DURATION]");
	assert_load_error(TOKEN_OK KEY_OK "\tApproval group root count\n", 9,
	    "expected: Approval group NAME [count N] [expires DURATION]");
	assert_load_error(TOKEN_OK KEY_OK "\tApproval group root after 2\n", 9,
	    "unknown Approval option 'after' (expected count or expires)");
	assert_load_error(TOKEN_OK KEY_OK "\tApproval group root\n"
					  "\tApproval group root\n",
	    10, "duplicate Approval");
}

static void
test_approval_outside_a_key_block_is_an_error(void **state)
{
	(void)state;
	assert_load_error("Approval group root\n", 1,
	    "Approval outside a Key block");
	assert_load_error(TOKEN_OK "Approval group root\n", 5,
	    "Approval outside a Key block");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_approval_sets_group_count_and_expiry),
		cmocka_unit_test(
		    test_approval_defaults_to_one_approver_for_an_hour),
		cmocka_unit_test(test_approval_durations_take_every_unit),
		cmocka_unit_test(test_approval_bad_count_is_an_error),
		cmocka_unit_test(test_approval_bad_duration_is_an_error),
		cmocka_unit_test(test_approval_unknown_group_is_an_error),
		cmocka_unit_test(test_approval_syntax_errors_are_reported),
		cmocka_unit_test(test_approval_outside_a_key_block_is_an_error),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
