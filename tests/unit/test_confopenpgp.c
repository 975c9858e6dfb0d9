/*
 * test_confopenpgp.c: a Key's OpenPGP identity in csignd.conf(5),
 * OpenPGPUserID and OpenPGPCreated (records/confopenpgp.c), and the rule
 * that a key with an OpenPGP format has both.
 */
#include "config_test.h"
#include "records/confparse.h"

#define PGP_KEY \
	"Key k1\n" \
	"\tToken hsm0\n" \
	"\tLabel k1\n" \
	"\tFormats openpgp openpgp-clear\n"

static void
test_identity_is_read(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(
	    TOKEN_OK PGP_KEY "\tOpenPGPUserID \"J\xc3\xb6rg <j@example.org>\"\n"
			     "\tOpenPGPCreated 2026-01-01T00:00:00Z\n");
	assert_non_null(cfg);
	assert_string_equal(cfg->keys[0].pgp_uid,
	    "J\xc3\xb6rg <j@example.org>");
	assert_int_equal(cfg->keys[0].pgp_created, 1767225600);
	config_free(cfg);
}

static void
test_an_openpgp_key_needs_its_identity(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK PGP_KEY "\tOpenPGPUserID \"a <b@c>\"\n", 5,
	    "key 'k1' allows OpenPGP formats but has no OpenPGPCreated (its "
	    "OpenPGP identity: the creation time is part of the key's "
	    "fingerprint)");
	assert_load_error(TOKEN_OK PGP_KEY
	    "\tOpenPGPCreated 2026-01-01T00:00:00Z\n",
	    5,
	    "key 'k1' allows OpenPGP formats but has no OpenPGPUserID (its "
	    "OpenPGP identity: the creation time is part of the key's "
	    "fingerprint)");
}

static void
test_bad_user_ids_are_refused(void **state)
{
	static const char *const bad[] = { "\"a\tb\"", "\"a\x7f\"",
		"\"\xc2\x85\"", "\"\xff\"" };
	char text[512];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text),
		    TOKEN_OK KEY_OK "\tOpenPGPUserID %s\n", bad[i]);
		assert_null(load_text(text, (char[CONFIG_ERR_MAX]){ 0 }));
	}
}

static void
test_creation_times_are_rfc3339_utc(void **state)
{
	uint32_t t;

	(void)state;
	assert_int_equal(conf_parse_rfc3339("2026-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 1767225600);
	assert_int_equal(conf_parse_rfc3339("2028-02-29T12:00:00Z", &t), 0);
	assert_int_equal(conf_parse_rfc3339("1970-01-01T00:00:01Z", &t), 0);
	assert_int_equal(t, 1);
	assert_int_equal(conf_parse_rfc3339("2106-02-07T06:28:15Z", &t), 0);
	assert_int_equal(t, UINT32_MAX);
	/* Past 32 bits, the epoch itself (0 means unset), invalid dates. */
	assert_int_equal(conf_parse_rfc3339("2106-02-07T06:28:16Z", &t), -1);
	assert_int_equal(conf_parse_rfc3339("1970-01-01T00:00:00Z", &t), -1);
	assert_int_equal(conf_parse_rfc3339("2026-02-29T00:00:00Z", &t), -1);
	assert_int_equal(conf_parse_rfc3339("2026-04-31T00:00:00Z", &t), -1);
	assert_int_equal(conf_parse_rfc3339("2026-01-01T24:00:00Z", &t), -1);
	assert_int_equal(conf_parse_rfc3339("2026-01-01T00:00:60Z", &t), -1);
	/* UTC only, in this one spelling. */
	assert_int_equal(conf_parse_rfc3339("2026-01-01T00:00:00", &t), -1);
	assert_int_equal(conf_parse_rfc3339("2026-01-01t00:00:00z", &t), -1);
	assert_int_equal(conf_parse_rfc3339("2026-01-01T00:00:00+00:00", &t),
	    -1);
	assert_int_equal(conf_parse_rfc3339("2026-1-01T00:00:00Z", &t), -1);
	assert_int_equal(conf_parse_rfc3339("+026-01-01T00:00:00Z", &t), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity_is_read),
		cmocka_unit_test(test_an_openpgp_key_needs_its_identity),
		cmocka_unit_test(test_bad_user_ids_are_refused),
		cmocka_unit_test(test_creation_times_are_rfc3339_utc),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
