/*
 * test_confcheck.c: csignd.conf(5) checks once the whole file is
 * read: references to tokens and keys defined later, and one private
 * key per Key block (records/confcheck.c).
 */
#include "config_test.h"

/* --- references --- */

static void
test_key_may_name_a_token_defined_later(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(KEY_OK "PoolSize 4\n" TOKEN_OK);
	assert_ptr_equal(cfg->keys[0].token, &cfg->tokens[0]);
	config_free(cfg);
}

static void
test_undefined_token_is_reported_at_reference(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK "Key k1\n\tLabel x\n\tToken hsm9\n"
				   "\tFormats raw\n",
	    7, "undefined token 'hsm9'");
}

static void
test_undefined_key_is_reported_at_reference(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK KEY_OK "\nAllow user root keys k1 k2\n", 10,
	    "undefined key 'k2'");
}

/* --- one private key, one Key block --- */

/*
 * Two blocks with the same token and label are one key under two names:
 * the error is at the second block and names both with their lines.
 */
static void
test_two_keys_with_one_label_are_an_error(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK KEY_OK
	    "Key alias\n\tToken hsm0\n\tLabel k1\n\tFormats cms\n",
	    9,
	    "Key 'alias' and Key 'k1' (line 5) name the same private key "
	    "(token hsm0, Label k1): use one Key block per key, and "
	    "'formats' on Allow lines to narrow a grant");
}

/* The same with Id: ids compare as bytes, whatever the hex case. */
static void
test_two_keys_with_one_id_are_an_error(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK
	    "Key a\n\tToken hsm0\n\tId 01aB\n\tFormats raw\n"
	    "Key b\n\tToken hsm0\n\tId 01Ab\n\tFormats module\n",
	    9,
	    "Key 'b' and Key 'a' (line 5) name the same private key "
	    "(token hsm0, Id 01ab): use one Key block per key, and "
	    "'formats' on Allow lines to narrow a grant");
}

/*
 * A label alone finds the first object with that label, which may be the
 * one that the other block names by label and id: refused too.
 */
static void
test_a_label_alone_and_the_label_with_an_id_are_an_error(void **state)
{
	char err[CONFIG_ERR_MAX];

	(void)state;
	assert_null(load_text(TOKEN_OK KEY_OK
	    "Key b\n\tToken hsm0\n\tLabel k1\n\tId 02\n\tFormats raw\n",
	    err));
	assert_non_null(strstr(err, ":9: Key 'b' and Key 'k1' (line 5)"));
}

/* Two Token blocks for the same module and token label are one token. */
static void
test_one_token_under_two_names_is_seen(void **state)
{
	char err[CONFIG_ERR_MAX];

	(void)state;
	assert_null(load_text(TOKEN_OK
	    "Token again\n\tModule /usr/lib/softhsm/libsofthsm2.so\n"
	    "\tTokenLabel csign\n\tPinFile /etc/csign/hsm0.pin\n" KEY_OK
	    "Key b\n\tToken again\n\tLabel k1\n\tFormats raw\n",
	    err));
	assert_non_null(strstr(err,
	    ":13: Key 'b' and Key 'k1' (line 9) name "
	    "the same private key (token again, Label k1)"));
}

/*
 * What a label or an id tells apart is not an alias: other labels, other
 * ids under one label, another token, or a label and an id (that one is
 * left to the public-key check at start).
 */
static void
test_keys_that_differ_are_not_aliases(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(
	    TOKEN_OK "Token hsm1\n\tModule /usr/lib/other.so\n\tSlot 1\n"
		     "\tPinFile /etc/csign/hsm1.pin\n"
		     "Key a\n\tToken hsm0\n\tLabel x\n\tId 01\n\tFormats raw\n"
		     "Key b\n\tToken hsm0\n\tLabel x\n\tId 02\n\tFormats raw\n"
		     "Key c\n\tToken hsm0\n\tLabel y\n\tFormats raw\n"
		     "Key d\n\tToken hsm1\n\tLabel y\n\tFormats raw\n"
		     "Key e\n\tToken hsm0\n\tId 05\n\tFormats raw\n"
		     "Key f\n\tToken hsm0\n\tLabel z\n\tFormats raw\n");
	assert_int_equal(cfg->nkeys, 6);
	config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_may_name_a_token_defined_later),
		cmocka_unit_test(test_undefined_token_is_reported_at_reference),
		cmocka_unit_test(test_undefined_key_is_reported_at_reference),
		cmocka_unit_test(test_two_keys_with_one_label_are_an_error),
		cmocka_unit_test(test_two_keys_with_one_id_are_an_error),
		cmocka_unit_test(
		    test_a_label_alone_and_the_label_with_an_id_are_an_error),
		cmocka_unit_test(test_one_token_under_two_names_is_seen),
		cmocka_unit_test(test_keys_that_differ_are_not_aliases),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
