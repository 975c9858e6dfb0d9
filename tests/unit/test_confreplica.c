/*
 * test_confreplica.c: a Key on several tokens ("Token hsm-a hsm-b"), and
 * TokenTimeout / TokenProbeInterval (records/confblocks.c, confcheck.c,
 * confkeywords.c).
 */
#include "config_test.h"

/* A second complete token block, another label on the same module. */
#define TOKEN_B \
	"Token hsmb\n" \
	"\tModule /usr/lib/softhsm/libsofthsm2.so\n" \
	"\tTokenLabel csign-b\n" \
	"\tPinFile /etc/csign/hsm0.pin\n"

static void
test_key_names_its_tokens_in_order(void **state)
{
	struct config *cfg;
	const struct cfg_key *k;

	(void)state;
	cfg = load_ok(TOKEN_OK TOKEN_B "Key k1\n\tToken hsmb hsm0\n"
				       "\tLabel k1\n\tFormats raw\n");
	k = config_find_key(cfg, "k1");
	assert_non_null(k);
	assert_int_equal(k->ntokens, 2);
	assert_string_equal(k->tokens[0]->name, "hsmb");
	assert_string_equal(k->tokens[1]->name, "hsm0");
	/* The first is the key's token, as for a key on one token. */
	assert_ptr_equal(k->token, k->tokens[0]);
	config_free(cfg);
}

static void
test_key_on_one_token_has_one_token(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(TOKEN_OK KEY_OK);
	assert_int_equal(cfg->keys[0].ntokens, 1);
	assert_ptr_equal(cfg->keys[0].token, &cfg->tokens[0]);
	config_free(cfg);
}

static void
test_token_named_twice_is_an_error(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK "Key k1\n\tToken hsm0 hsm0\n"
				   "\tLabel k1\n\tFormats raw\n",
	    6, "token 'hsm0' named twice");
}

static void
test_undefined_replica_is_reported_at_its_line(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK "Key k1\n\tToken hsm0 nosuch\n"
				   "\tLabel k1\n\tFormats raw\n",
	    6, "undefined token 'nosuch'");
}

static void
test_two_blocks_for_one_token_are_not_replicas(void **state)
{
	(void)state;
	/* hsm1 is hsm0 again: a failover would land where it failed. */
	assert_load_error(TOKEN_OK
	    "Token hsm1\n\tModule /usr/lib/softhsm/libsofthsm2.so\n"
	    "\tTokenLabel csign\n\tPinFile /etc/csign/hsm0.pin\n"
	    "Key k1\n\tToken hsm0 hsm1\n\tLabel k1\n\tFormats raw\n",
	    9,
	    "key 'k1': tokens hsm0 and hsm1 are the same token (same "
	    "Module and TokenLabel or Slot); replicas must be distinct "
	    "tokens");
}

static void
test_more_than_four_tokens_is_an_error(void **state)
{
	char err[CONFIG_ERR_MAX];
	struct config *cfg;

	(void)state;
	cfg = load_text(TOKEN_OK "Key k1\n\tToken a b c d e\n"
				 "\tLabel k1\n\tFormats raw\n",
	    err);
	assert_null(cfg);
	assert_non_null(strstr(err, ":6: "));
}

static void
test_keys_sharing_a_replica_are_one_private_key(void **state)
{
	(void)state;
	/* k2 is on hsmb only, k1 on hsm0 and hsmb: same label there. */
	assert_load_error(TOKEN_OK TOKEN_B
	    "Key k1\n\tToken hsm0 hsmb\n\tLabel k1\n\tFormats raw\n"
	    "Key k2\n\tToken hsmb\n\tLabel k1\n\tFormats cms\n",
	    13,
	    "Key 'k2' and Key 'k1' (line 9) name the same private key "
	    "(token hsmb, Label k1): use one Key block per key, and "
	    "'formats' on Allow lines to narrow a grant");
}

static void
test_token_timeouts_default_and_set(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(TOKEN_OK KEY_OK);
	assert_int_equal(cfg->token_timeout, 30);
	assert_int_equal(cfg->token_probe, 30);
	config_free(cfg);
	cfg = load_ok("TokenTimeout 2\nTokenProbeInterval 1\n" TOKEN_OK KEY_OK);
	assert_int_equal(cfg->token_timeout, 2);
	assert_int_equal(cfg->token_probe, 1);
	config_free(cfg);
}

static void
test_token_block_has_its_own_timeout(void **state)
{
	struct config *cfg;

	(void)state;
	/*
	 * Inside a Token block the line is that token's (as "Token" inside a
	 * Key block names the key's token): the global one goes before.
	 */
	cfg = load_ok("TokenTimeout 9\n" TOKEN_OK "\tTokenTimeout 5\n" TOKEN_B
		      "TokenTimeout 7\n" KEY_OK);
	assert_int_equal(cfg->tokens[0].timeout, 5);
	assert_int_equal(cfg->tokens[1].timeout, 7);
	assert_int_equal(cfg->token_timeout, 9);
	config_free(cfg);
	cfg = load_ok(TOKEN_OK KEY_OK);
	assert_int_equal(cfg->tokens[0].timeout, 0);
	config_free(cfg);
}

static void
test_token_timeout_zero_is_an_error(void **state)
{
	char err[CONFIG_ERR_MAX];
	struct config *cfg;

	(void)state;
	cfg = load_text("TokenTimeout 0\n" TOKEN_OK KEY_OK, err);
	assert_null(cfg);
	assert_non_null(strstr(err, ":1: "));
	cfg = load_text("TokenProbeInterval 0\n" TOKEN_OK KEY_OK, err);
	assert_null(cfg);
	assert_non_null(strstr(err, ":1: "));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_names_its_tokens_in_order),
		cmocka_unit_test(test_key_on_one_token_has_one_token),
		cmocka_unit_test(test_token_named_twice_is_an_error),
		cmocka_unit_test(
		    test_undefined_replica_is_reported_at_its_line),
		cmocka_unit_test(
		    test_two_blocks_for_one_token_are_not_replicas),
		cmocka_unit_test(test_more_than_four_tokens_is_an_error),
		cmocka_unit_test(
		    test_keys_sharing_a_replica_are_one_private_key),
		cmocka_unit_test(test_token_timeouts_default_and_set),
		cmocka_unit_test(test_token_block_has_its_own_timeout),
		cmocka_unit_test(test_token_timeout_zero_is_an_error),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
