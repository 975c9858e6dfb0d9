/*
 * test_confpesign.c: the pesign listener's csignd.conf(5) lines,
 * PesignListen and PesignMap (records/confpesign.c).
 */
#include "config_test.h"

#define PE_KEY \
	"Key efi\n" \
	"\tToken hsm0\n" \
	"\tLabel efi\n" \
	"\tFormats pe\n"

static void
test_maps_are_read_with_quoted_names(void **state)
{
	struct config *cfg;

	(void)state;
	cfg =
	    load_ok(TOKEN_OK PE_KEY "PesignListen /run/pesign/socket\n"
				    "PesignMap \"OpenSC Card (Fedora Signer)\" "
				    "\"/CN=Fedora Secure Boot Signer\" efi\n"
				    "PesignMap tok cert efi\n");
	assert_string_equal(cfg->pesign_listen, "/run/pesign/socket");
	assert_int_equal(cfg->npesign_maps, 2);
	assert_string_equal(cfg->pesign_maps[0].token,
	    "OpenSC Card (Fedora Signer)");
	assert_string_equal(cfg->pesign_maps[0].cert,
	    "/CN=Fedora Secure Boot Signer");
	assert_int_equal(cfg->pesign_maps[0].line, 10);
	assert_string_equal(config_pesign_key(cfg, "tok", "cert")->name, "efi");
	assert_string_equal(config_pesign_key(cfg, "tok", NULL)->name, "efi");
	assert_null(config_pesign_key(cfg, "tok", "other"));
	assert_null(config_pesign_key(cfg, "OpenSC Card", NULL));
	config_free(cfg);
}

static void
test_a_map_needs_a_key_that_signs_pe_or_module(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK PE_KEY "PesignMap t c nosuch\n", 9,
	    "PesignMap: no Key block named nosuch");
	assert_load_error(TOKEN_OK KEY_OK "PesignMap t c k1\n", 9,
	    "PesignMap: key k1 (line 5) allows neither pe nor module, which "
	    "is all pesign-client signs");
}

static void
test_a_pair_is_mapped_once(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK PE_KEY "PesignMap t c efi\n"
					  "PesignMap t c efi\n",
	    10,
	    "PesignMap: token \"t\" certificate \"c\" is already mapped at "
	    "line 9");
}

static void
test_bad_map_lines(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK PE_KEY "PesignMap t c\n", 9,
	    "PesignMap: missing argument");
	assert_load_error(TOKEN_OK PE_KEY "PesignMap \"\" c efi\n", 9,
	    "empty quoted string");
	assert_load_error(TOKEN_OK PE_KEY "PesignListen run/pesign\n", 9,
	    "PesignListen must be an absolute path");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maps_are_read_with_quoted_names),
		cmocka_unit_test(
		    test_a_map_needs_a_key_that_signs_pe_or_module),
		cmocka_unit_test(test_a_pair_is_mapped_once),
		cmocka_unit_test(test_bad_map_lines),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
