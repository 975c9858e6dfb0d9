/*
 * test_confblocks.c: csignd.conf(5) Token and Key blocks and their keywords
 * (records/confblocks.c).
 */
#include "config_test.h"

/* --- blocks that load --- */

static void
test_key_defaults_to_sha256_pkcs1_and_token_certificate(void **state)
{
	struct config *cfg;
	const struct cfg_key *k;

	(void)state;
	cfg = load_ok(TOKEN_OK KEY_OK);
	k = config_find_key(cfg, "k1");
	assert_non_null(k);
	assert_int_equal(k->digests, DIG_BIT(DIG_SHA256));
	assert_int_equal(k->default_digest, DIG_SHA256);
	assert_int_equal(k->padding, PAD_PKCS1);
	assert_null(k->certfile);
	assert_int_equal(k->idlen, 0);
	config_free(cfg);
}

static void
test_timestamp_lines_set_mode_and_urls(void **state)
{
	struct config *cfg;
	const struct cfg_key *k;

	(void)state;
	cfg = load_ok(
	    "TimestampTimeout 3\n" TOKEN_OK
	    "Key k0\n\tToken hsm0\n\tLabel k0\n\tFormats cms pe\n"
	    "\tTimestamp required http://127.0.0.1:3180/tsa "
	    "http://tsa.example.com\n\tTimestampCA /etc/csign/tsa-ca.pem\n"
	    "Key k2\n\tToken hsm0\n\tLabel k2\n\tFormats raw cms\n"
	    "\tTimestamp optional http://[::1]:8080/\n"
	    "\tTimestampCA /etc/csign/tsa-ca2.pem\n" KEY_OK);
	assert_int_equal(cfg->ts_timeout, 3);
	assert_int_equal(config_find_key(cfg, "k1")->ts_mode, TS_NONE);
	k = config_find_key(cfg, "k0");
	assert_int_equal(k->ts_mode, TS_REQUIRED);
	assert_int_equal(k->ntsa, 2);
	assert_string_equal(k->tsa[0].host, "127.0.0.1");
	assert_string_equal(k->tsa[0].port, "3180");
	assert_string_equal(k->tsa[0].path, "/tsa");
	assert_string_equal(k->tsa[1].url, "http://tsa.example.com");
	assert_string_equal(k->tsa_ca, "/etc/csign/tsa-ca.pem");
	k = config_find_key(cfg, "k2");
	assert_int_equal(k->ts_mode, TS_OPTIONAL);
	assert_int_equal(k->ntsa, 1);
	assert_string_equal(k->tsa[0].host, "::1");
	k = config_find_key(cfg, "k1x");
	assert_null(k);
	config_free(cfg);
	cfg = load_ok(TOKEN_OK KEY_OK);
	assert_int_equal(cfg->ts_timeout, 10);
	assert_int_equal(config_find_key(cfg, "k1")->ts_mode, TS_NONE);
	config_free(cfg);
}

static void
test_certificate_token_means_no_file(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(TOKEN_OK KEY_OK "\tCertificate token\n");
	assert_null(cfg->keys[0].certfile);
	config_free(cfg);
}

static void
test_global_keyword_ends_a_block(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK "PoolSize 4\n\tModule /x.so\n", 6,
	    "Module outside a Token block");
}

static void
test_token_block_may_follow_key_block_after_global_keyword(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(TOKEN_OK KEY_OK
	    "Allow user root keys k1\n"
	    "Token hsm1\n\tModule /m.so\n\tSlot 0\n\tPinFile /p\n");
	assert_int_equal(cfg->ntokens, 2);
	assert_int_equal(cfg->tokens[1].slot, 0);
	config_free(cfg);
}

static void
test_key_block_ends_at_next_key(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(
	    TOKEN_OK KEY_OK "Key k2\n\tToken hsm0\n\tId 02\n\tFormats cms\n");
	assert_int_equal(cfg->nkeys, 2);
	assert_null(cfg->keys[1].label);
	assert_int_equal(cfg->keys[1].formats, FMT_BIT(FMT_CMS));
	config_free(cfg);
}

static void
test_id_of_64_bytes_is_accepted(void **state)
{
	char text[1024];
	char hex[129];
	struct config *cfg;

	(void)state;
	for (int i = 0; i < 64; i++)
		snprintf(hex + 2 * i, 3, "%02x", i);
	snprintf(text, sizeof(text),
	    TOKEN_OK "Key k1\n\tToken hsm0\n\tId %s\n\tFormats raw\n", hex);
	cfg = load_ok(text);
	assert_int_equal(cfg->keys[0].idlen, 64);
	assert_int_equal(cfg->keys[0].id[63], 63);
	config_free(cfg);
}

static void
test_every_format_and_a_chain_are_accepted(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(TOKEN_OK
	    "Key k1\n\tToken hsm0\n\tLabel k\n"
	    "\tFormats raw cms module pe ima\n\tChain /etc/csign/ca.pem\n");
	assert_int_equal(cfg->keys[0].formats,
	    FMT_BIT(FMT_RAW) | FMT_BIT(FMT_CMS) | FMT_BIT(FMT_MODULE) |
		FMT_BIT(FMT_PE) | FMT_BIT(FMT_IMA));
	assert_string_equal(cfg->keys[0].chainfile, "/etc/csign/ca.pem");
	config_free(cfg);
	assert_load_error(TOKEN_OK "Key k1\n\tChain relative.pem\n", 6,
	    "Chain must be an absolute path");
}

static void
test_same_keyword_in_two_blocks_is_not_a_duplicate(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(TOKEN_OK KEY_OK
	    "Key k2\n\tToken hsm0\n\tLabel k2\n\tFormats raw\n");
	assert_string_equal(cfg->keys[1].label, "k2");
	config_free(cfg);
}

/* --- errors --- */

static void
test_bad_timestamp_lines_are_errors(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK KEY_OK "\tTimestamp always http://a/\n", 9,
	    "Timestamp wants required or optional, not 'always'");
	assert_load_error(TOKEN_OK KEY_OK "\tTimestamp required\n", 9,
	    "Timestamp: missing argument");
	assert_load_error(TOKEN_OK KEY_OK "\tTimestamp optional "
					  "https://a/\n",
	    9,
	    "bad TSA URL 'https://a/': https is not "
	    "supported: the timestamp token is signed and checked, use "
	    "http://");
	assert_load_error(TOKEN_OK KEY_OK "\tTimestamp optional "
					  "http://a:99999/\n",
	    9,
	    "bad TSA URL 'http://a:99999/': bad "
	    "port '99999'");
	assert_load_error(TOKEN_OK KEY_OK
	    "\tTimestamp optional http://a/ "
	    "http://b/ http://c/ http://d/ http://e/\n",
	    9, "Timestamp: too many arguments");
	assert_load_error(TOKEN_OK KEY_OK "\tTimestamp optional http://a/\n"
					  "\tTimestamp optional http://b/\n",
	    10, "duplicate Timestamp");
	assert_load_error("Timestamp optional http://a/\n", 1,
	    "Timestamp outside a Key block");
	assert_load_error("TimestampTimeout 0\n", 1,
	    "TimestampTimeout must be between 1 and 300");
	/* Required, but a format that cannot carry a timestamp. */
	assert_load_error(TOKEN_OK KEY_OK "\tTimestamp required http://a/\n"
					  "PoolSize 2\n",
	    5,
	    "key 'k1' requires timestamps, which only the "
	    "cms and pe formats can carry: restrict its Formats");
	/* TSAs are trusted only through TimestampCA: without it, no TSA. */
	assert_load_error(TOKEN_OK KEY_OK "\tTimestamp optional http://a/\n"
					  "PoolSize 2\n",
	    5,
	    "key 'k1' has Timestamp but no TimestampCA "
	    "(the CA certificates its TSAs must chain to)");
	assert_load_error(TOKEN_OK KEY_OK "\tTimestamp optional http://a/\n"
					  "\tTimestampCA tsa-ca.pem\n",
	    10,
	    "TimestampCA must be an absolute "
	    "path");
}

static void
test_duplicate_token_name_is_an_error(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK TOKEN_OK, 5,
	    "duplicate Token 'hsm0' (first at line 1)");
}

static void
test_duplicate_key_name_is_an_error(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK KEY_OK KEY_OK, 9,
	    "duplicate Key 'k1' (first at line 5)");
}

static void
test_duplicate_keyword_in_block_is_an_error(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK "\tModule /other.so\n", 5,
	    "duplicate Module");
	assert_load_error(TOKEN_OK KEY_OK "\tLabel again\n", 9,
	    "duplicate Label");
	assert_load_error(TOKEN_OK KEY_OK "\tFormats cms\n", 9,
	    "duplicate Formats");
}

static void
test_token_label_and_slot_are_exclusive(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK "\tSlot 1\n", 5,
	    "TokenLabel and Slot cannot be used together");
	assert_load_error("Token t\n\tSlot 1\n\tTokenLabel x\n", 3,
	    "Slot and TokenLabel cannot be used together");
}

static void
test_token_without_module_is_reported_at_its_line(void **state)
{
	(void)state;
	assert_load_error("PoolSize 4\nToken t\n\tTokenLabel x\n"
			  "\tPinFile /p\nPoolSize 5\n",
	    2, "token 't' has no Module");
}

static void
test_token_without_pinfile_is_reported_at_its_line(void **state)
{
	(void)state;
	assert_load_error("\nToken t\n\tTokenLabel x\n\tModule /m.so\n", 2,
	    "token 't' has no PinFile");
}

static void
test_token_without_label_or_slot_is_reported_at_its_line(void **state)
{
	(void)state;
	assert_load_error("Token t\n\tModule /m.so\n\tPinFile /p\n" TOKEN_OK, 1,
	    "token 't' needs a TokenLabel or a Slot");
}

static void
test_key_without_token_is_reported_at_its_line(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK "Key k1\n\tLabel x\n\tFormats raw\n"
				   "Allow user root keys k1\n",
	    5, "key 'k1' has no Token");
}

static void
test_key_without_label_or_id_is_reported_at_its_line(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK "Key k1\n\tToken hsm0\n\tFormats raw\n", 5,
	    "key 'k1' needs a Label or an Id");
}

static void
test_key_without_formats_is_reported_at_its_line(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK "Key k1\n\tToken hsm0\n\tLabel x\n" KEY_OK,
	    5, "key 'k1' has no Formats");
}

static void
test_unknown_format_is_an_error(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK "Key k1\n\tFormats raw gpg\n", 6,
	    "unknown format 'gpg'");
}

static void
test_unknown_digest_is_an_error(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK "Key k1\n\tDigest sha256 md5\n", 6,
	    "unknown digest 'md5'");
}

static void
test_unknown_padding_is_an_error(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK "Key k1\n\tPadding oaep\n", 6,
	    "unknown padding 'oaep' (expected pkcs1 or pss)");
}

static void
test_bad_id_is_an_error(void **state)
{
	char text[512], want[512], hex[131];

	(void)state;
	assert_load_error(TOKEN_OK "Key k1\n\tId 123\n", 6,
	    "bad Id '123': "
	    "expected an even number of hex digits, at most 64 bytes");
	assert_load_error(TOKEN_OK "Key k1\n\tId 0g\n", 6,
	    "bad Id '0g': "
	    "expected an even number of hex digits, at most 64 bytes");
	memset(hex, 'a', 130);
	hex[130] = '\0';
	snprintf(text, sizeof(text), "Key k1\n\tId %s\n", hex);
	snprintf(want, sizeof(want),
	    "bad Id '%s': expected an even number "
	    "of hex digits, at most 64 bytes",
	    hex);
	assert_load_error(text, 2, want);
}

static void
test_token_label_longer_than_32_bytes_is_an_error(void **state)
{
	(void)state;
	assert_load_error("Token t\n\tTokenLabel "
			  "123456789012345678901234567890123\n",
	    2, "TokenLabel too long (max 32 bytes)");
}

static void
test_block_keyword_outside_its_block_is_an_error(void **state)
{
	(void)state;
	assert_load_error("Module /m.so\n", 1, "Module outside a Token block");
	assert_load_error("Label x\n", 1, "Label outside a Key block");
	assert_load_error("Token t\n\tFormats raw\n", 2,
	    "Formats outside a Key block");
	assert_load_error(TOKEN_OK "Key k1\n\tPinFile /p\n", 6,
	    "PinFile outside a Token block");
}

static void
test_token_block_directly_after_key_block_is_an_error(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK KEY_OK "Token hsm1\n", 9,
	    "Token block after a Key block: define tokens first");
}

static void
test_too_many_token_blocks_is_an_error(void **state)
{
	size_t cap = 1025 * 64, n = 0;
	char *text = malloc(cap);

	(void)state;
	assert_non_null(text);
	for (int i = 0; i < 1025; i++)
		n += (size_t)snprintf(text + n, cap - n,
		    "Token t%d\nModule /m\nSlot 1\nPinFile /p\n", i);
	assert_load_error(text, 1024 * 4 + 1,
	    "too many Token blocks (max 1024)");
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_key_defaults_to_sha256_pkcs1_and_token_certificate),
		cmocka_unit_test(test_certificate_token_means_no_file),
		cmocka_unit_test(test_timestamp_lines_set_mode_and_urls),
		cmocka_unit_test(test_bad_timestamp_lines_are_errors),
		cmocka_unit_test(test_global_keyword_ends_a_block),
		cmocka_unit_test(
		    test_token_block_may_follow_key_block_after_global_keyword),
		cmocka_unit_test(test_key_block_ends_at_next_key),
		cmocka_unit_test(test_id_of_64_bytes_is_accepted),
		cmocka_unit_test(test_duplicate_token_name_is_an_error),
		cmocka_unit_test(test_duplicate_key_name_is_an_error),
		cmocka_unit_test(test_duplicate_keyword_in_block_is_an_error),
		cmocka_unit_test(
		    test_same_keyword_in_two_blocks_is_not_a_duplicate),
		cmocka_unit_test(test_token_label_and_slot_are_exclusive),
		cmocka_unit_test(
		    test_token_without_module_is_reported_at_its_line),
		cmocka_unit_test(
		    test_token_without_pinfile_is_reported_at_its_line),
		cmocka_unit_test(
		    test_token_without_label_or_slot_is_reported_at_its_line),
		cmocka_unit_test(
		    test_key_without_token_is_reported_at_its_line),
		cmocka_unit_test(
		    test_key_without_label_or_id_is_reported_at_its_line),
		cmocka_unit_test(
		    test_key_without_formats_is_reported_at_its_line),
		cmocka_unit_test(test_unknown_format_is_an_error),
		cmocka_unit_test(test_every_format_and_a_chain_are_accepted),
		cmocka_unit_test(test_unknown_digest_is_an_error),
		cmocka_unit_test(test_unknown_padding_is_an_error),
		cmocka_unit_test(test_bad_id_is_an_error),
		cmocka_unit_test(
		    test_token_label_longer_than_32_bytes_is_an_error),
		cmocka_unit_test(
		    test_block_keyword_outside_its_block_is_an_error),
		cmocka_unit_test(
		    test_token_block_directly_after_key_block_is_an_error),
		cmocka_unit_test(test_too_many_token_blocks_is_an_error),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
