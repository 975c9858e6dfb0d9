/*
 * test_config.c: csignd.conf(5) files as a whole: global keywords and their
 * defaults, lookups and warnings (records/config.c, confkeywords.c).
 */
#include "config_test.h"

/* --- files that load --- */

static void
test_full_file_sets_every_field(void **state)
{
	static const uint8_t id1[] = { 0x01, 0xa2, 0xff };
	struct config *cfg;
	const struct cfg_token *t0, *t1;
	const struct cfg_key *k0, *k1;
	const struct cfg_allow *a;

	(void)state;
	cfg = load_ok("# csignd.conf for the test\n"
		      "Listen /run/test/csignd.sock\n"
		      "SandboxUser nobody\n"
		      "SandboxProgram /opt/csign/sandbox\n"
		      "AuditLog /var/tmp/audit.jsonl\n"
		      "MaxArtifactSize 512M\n"
		      "PoolSize 8\n"
		      "MaxSessions 128\n"
		      "SessionTimeout 30\n"
		      "SignWorkers 3\n"
		      "\n"
		      "Token hsm0\n" /* 12 */
		      "\tModule /usr/lib/softhsm/libsofthsm2.so\n"
		      "\tTokenLabel csign\n"
		      "\tPinFile /etc/csign/hsm0.pin\n"
		      "Token hsm1\n" /* 16 */
		      "\tModule /usr/lib/other.so\n"
		      "\tSlot 7\n"
		      "\tPinFile /etc/csign/hsm1.pin\n"
		      "\n"
		      "Key kmod-2026\n" /* 21 */
		      "\tToken hsm0\n"
		      "\tLabel kmod-2026\n"
		      "\tId 01A2ff\n"
		      "\tCertificate /etc/csign/kmod.crt\n"
		      "\tFormats raw cms\n"
		      "\tDigest sha384 sha256\n"
		      "\tPadding pss\n"
		      "Key fw.v1_x\n" /* 29 */
		      "\tToken hsm1\n"
		      "\tId 00\n"
		      "\tFormats cms\n"
		      "\n"
		      "Allow group root keys kmod-2026 fw.v1_x\n" /* 34 */
		      "Allow user root keys fw.v1_x\n");

	assert_string_equal(cfg->path, conf_path);
	assert_string_equal(cfg->listen, "/run/test/csignd.sock");
	assert_string_equal(cfg->sandbox_user, "nobody");
	assert_string_equal(cfg->sandbox_program, "/opt/csign/sandbox");
	assert_string_equal(cfg->audit_log, "/var/tmp/audit.jsonl");
	assert_int_equal(cfg->listen_line, 2);
	assert_int_equal(cfg->sandbox_program_line, 4);
	assert_int_equal(cfg->audit_log_line, 5);
	assert_int_equal(cfg->state_file_line, 0);
	assert_int_equal(cfg->max_artifact_size, 512u << 20);
	assert_int_equal(cfg->pool_size, 8);
	assert_int_equal(cfg->max_sessions, 128);
	assert_int_equal(cfg->session_timeout, 30);
	assert_int_equal(cfg->sign_workers, 3);

	assert_int_equal(cfg->ntokens, 2);
	t0 = &cfg->tokens[0];
	t1 = &cfg->tokens[1];
	assert_string_equal(t0->name, "hsm0");
	assert_string_equal(t0->module, "/usr/lib/softhsm/libsofthsm2.so");
	assert_string_equal(t0->label, "csign");
	assert_int_equal(t0->slot, -1);
	assert_string_equal(t0->pinfile, "/etc/csign/hsm0.pin");
	assert_int_equal(t0->line, 12);
	assert_int_equal(t0->module_line, 13);
	assert_int_equal(t0->pinfile_line, 15);
	assert_string_equal(t1->name, "hsm1");
	assert_string_equal(t1->module, "/usr/lib/other.so");
	assert_null(t1->label);
	assert_int_equal(t1->slot, 7);
	assert_string_equal(t1->pinfile, "/etc/csign/hsm1.pin");
	assert_int_equal(t1->line, 16);

	assert_int_equal(cfg->nkeys, 2);
	k0 = &cfg->keys[0];
	k1 = &cfg->keys[1];
	assert_string_equal(k0->name, "kmod-2026");
	assert_ptr_equal(k0->token, t0);
	assert_string_equal(k0->label, "kmod-2026");
	assert_int_equal(k0->idlen, sizeof(id1));
	assert_memory_equal(k0->id, id1, sizeof(id1));
	assert_string_equal(k0->certfile, "/etc/csign/kmod.crt");
	assert_int_equal(k0->formats, FMT_BIT(FMT_RAW) | FMT_BIT(FMT_CMS));
	assert_int_equal(k0->digests,
	    DIG_BIT(DIG_SHA256) | DIG_BIT(DIG_SHA384));
	assert_int_equal(k0->default_digest, DIG_SHA384);
	assert_int_equal(k0->padding, PAD_PSS);
	assert_int_equal(k0->line, 21);
	assert_int_equal(k0->cert_line, 25);
	assert_int_equal(k0->chain_line, 0);
	assert_string_equal(k1->name, "fw.v1_x");
	assert_ptr_equal(k1->token, t1);
	assert_null(k1->label);
	assert_int_equal(k1->idlen, 1);
	assert_int_equal(k1->id[0], 0);
	assert_null(k1->certfile);
	assert_int_equal(k1->formats, FMT_BIT(FMT_CMS));
	assert_int_equal(k1->line, 29);

	assert_int_equal(cfg->nallows, 2);
	a = &cfg->allows[0];
	assert_true(a->is_group);
	assert_string_equal(a->name, "root");
	assert_int_equal(a->gid, 0);
	assert_int_equal(a->nkeys, 2);
	assert_ptr_equal(a->keys[0], k0);
	assert_ptr_equal(a->keys[1], k1);
	assert_int_equal(a->line, 34);
	a = &cfg->allows[1];
	assert_false(a->is_group);
	assert_string_equal(a->name, "root");
	assert_int_equal(a->uid, 0);
	assert_int_equal(a->nkeys, 1);
	assert_ptr_equal(a->keys[0], k1);
	assert_int_equal(a->line, 35);
	config_free(cfg);
}

static void
test_empty_file_gives_global_defaults(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok("");
	assert_string_equal(cfg->listen, CONFIG_DEFAULT_LISTEN);
	assert_string_equal(cfg->sandbox_user, CONFIG_DEFAULT_SANDBOX_USER);
	assert_string_equal(cfg->sandbox_program,
	    CSIGN_LIBEXECDIR "/csign-sandbox");
	assert_string_equal(cfg->audit_log, CONFIG_DEFAULT_AUDIT);
	assert_string_equal(cfg->pid_file, CONFIG_DEFAULT_PIDFILE);
	assert_true(cfg->max_artifact_size == UINT64_C(4) << 30);
	assert_int_equal(cfg->pool_size, 4);
	assert_int_equal(cfg->max_sessions, 64);
	assert_int_equal(cfg->session_timeout, 60);
	assert_int_equal(cfg->sign_workers, 2);
	assert_int_equal(cfg->ntokens, 0);
	assert_int_equal(cfg->nkeys, 0);
	assert_int_equal(cfg->nallows, 0);
	config_free(cfg);
}

/*
 * PidFile: a path, "none", or (unset) beside the socket and named after
 * it, so that two daemons on two sockets never share a PID file.
 */
static void
test_pidfile_follows_listen_unless_set(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok("Listen /srv/a/one.sock\n");
	assert_string_equal(cfg->pid_file, "/srv/a/one.pid");
	assert_int_equal(cfg->pid_file_line, 1);
	config_free(cfg);
	cfg = load_ok("Listen /srv/a/sock\n");
	assert_string_equal(cfg->pid_file, "/srv/a/sock.pid");
	config_free(cfg);
	cfg = load_ok("PidFile /run/x/y.pid\nListen /srv/a/one.sock\n");
	assert_string_equal(cfg->pid_file, "/run/x/y.pid");
	assert_int_equal(cfg->pid_file_line, 1);
	config_free(cfg);
	cfg = load_ok("Listen /srv/a/one.sock\nPidFile none\n");
	assert_null(cfg->pid_file);
	config_free(cfg);
	assert_load_error("PidFile csignd.pid\n", 1,
	    "PidFile must be an absolute path");
	assert_load_error("PidFile none\nPidFile /a.pid\n", 2,
	    "duplicate PidFile");
}

static void
test_max_artifact_size_accepts_suffixes(void **state)
{
	static const struct {
		const char *text;
		uint64_t want;
	} cases[] = {
		{ "MaxArtifactSize 1\n", 1 },
		{ "MaxArtifactSize 3k\n", UINT64_C(3) << 10 },
		{ "MaxArtifactSize 3K\n", UINT64_C(3) << 10 },
		{ "MaxArtifactSize 5M\n", UINT64_C(5) << 20 },
		{ "MaxArtifactSize 2G\n", UINT64_C(2) << 30 },
		{ "MaxArtifactSize 7T\n", UINT64_C(7) << 40 },
		{ "MaxArtifactSize 16777215T\n", UINT64_C(16777215) << 40 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config *cfg = load_ok(cases[i].text);

		assert_true(cfg->max_artifact_size == cases[i].want);
		config_free(cfg);
	}
}

static void
test_number_limits_are_inclusive(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok("PoolSize 256\nMaxSessions 4096\nSessionTimeout 3600\n"
		      "SignWorkers 64\n");
	assert_int_equal(cfg->pool_size, 256);
	assert_int_equal(cfg->max_sessions, 4096);
	assert_int_equal(cfg->session_timeout, 3600);
	assert_int_equal(cfg->sign_workers, 64);
	config_free(cfg);
	cfg = load_ok("PoolSize 1\nMaxSessions 1\nSessionTimeout 1\n"
		      "SignWorkers 1\n");
	assert_int_equal(cfg->pool_size, 1);
	config_free(cfg);
}

static void
test_find_returns_null_when_absent(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(TOKEN_OK KEY_OK);
	assert_ptr_equal(config_find_token(cfg, "hsm0"), &cfg->tokens[0]);
	assert_ptr_equal(config_find_key(cfg, "k1"), &cfg->keys[0]);
	assert_null(config_find_token(cfg, "hsm9"));
	assert_null(config_find_key(cfg, "k9"));
	assert_null(config_find_key(cfg, "hsm0"));
	assert_null(config_find_token(cfg, "k1"));
	config_free(cfg);
}

static void
test_config_free_accepts_null(void **state)
{
	(void)state;
	config_free(NULL);
}

/* --- errors --- */

static void
test_missing_file_cannot_be_opened(void **state)
{
	char err[CONFIG_ERR_MAX], path[256], want[CONFIG_ERR_MAX];

	(void)state;
	snprintf(path, sizeof(path), "%s/absent.conf", tmpdir);
	assert_null(config_load(path, err, sizeof(err)));
	snprintf(want, sizeof(want),
	    "%s: cannot open: No such file or directory", path);
	assert_string_equal(err, want);
}

static void
test_bad_number_is_an_error(void **state)
{
	(void)state;
	assert_load_error("PoolSize four\n", 1, "bad number 'four'");
	assert_load_error("PoolSize -1\n", 1, "bad number '-1'");
	assert_load_error("PoolSize 4x\n", 1, "bad number '4x'");
	assert_load_error("SignWorkers 99999999999999999999999\n", 1,
	    "bad number '99999999999999999999999'");
}

static void
test_number_out_of_range_is_an_error(void **state)
{
	(void)state;
	assert_load_error("PoolSize 0\n", 1,
	    "PoolSize must be between 1 and 256");
	assert_load_error("PoolSize 257\n", 1,
	    "PoolSize must be between 1 and 256");
	assert_load_error("MaxSessions 4097\n", 1,
	    "MaxSessions must be between 1 and 4096");
	assert_load_error("SessionTimeout 3601\n", 1,
	    "SessionTimeout must be between 1 and 3600");
	assert_load_error("SignWorkers 0\n", 1,
	    "SignWorkers must be between 1 and 64");
}

static void
test_bad_artifact_size_is_an_error(void **state)
{
	(void)state;
	assert_load_error("MaxArtifactSize 0\n", 1,
	    "MaxArtifactSize must be greater than 0");
	assert_load_error("MaxArtifactSize 0G\n", 1,
	    "MaxArtifactSize must be greater than 0");
	assert_load_error("MaxArtifactSize 4X\n", 1,
	    "bad size '4X' (expected a number with an optional K, M, G or T)");
	assert_load_error("MaxArtifactSize 4GB\n", 1,
	    "bad size '4GB' (expected a number with an optional K, M, G or T)");
	assert_load_error("MaxArtifactSize G\n", 1,
	    "bad size 'G' (expected a number with an optional K, M, G or T)");
	assert_load_error("MaxArtifactSize 16777216T\n", 1,
	    "MaxArtifactSize too large");
	assert_load_error("MaxArtifactSize 18446744073709551616\n", 1,
	    "MaxArtifactSize too large");
}

static void
test_duplicate_global_keyword_is_an_error(void **state)
{
	(void)state;
	assert_load_error("PoolSize 4\nListen /a\npoolsize 5\n", 3,
	    "duplicate PoolSize");
}

static void
test_relative_path_is_an_error(void **state)
{
	(void)state;
	assert_load_error("Token t\n\tModule libsofthsm2.so\n", 2,
	    "Module must be an absolute path");
	assert_load_error("Listen csignd.sock\n", 1,
	    "Listen must be an absolute path");
	assert_load_error(TOKEN_OK "Key k1\n\tCertificate kmod.crt\n", 6,
	    "Certificate must be an absolute path");
}

static void
test_listen_path_must_fit_a_socket_address(void **state)
{
	char text[256], path[120];

	(void)state;
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	snprintf(text, sizeof(text), "Listen %s\n", path);
	assert_load_error(text, 1, "Listen path too long (max 107 bytes)");
}

/* PinFile credential:NAME names a systemd credential; no paths in it. */
static void
test_pinfile_credential_and_expiry_warning(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(
	    "CertificateExpiryWarning 14\nToken hsm0\n"
	    "\tModule /usr/lib/softhsm/libsofthsm2.so\n\tTokenLabel csign\n"
	    "\tPinFile credential:hsm0.pin\n");
	assert_string_equal(cfg->tokens[0].pinfile, "credential:hsm0.pin");
	assert_int_equal(cfg->cert_warn_days, 14);
	config_free(cfg);
	cfg = load_ok(TOKEN_OK);
	assert_int_equal(cfg->cert_warn_days, 30);
	config_free(cfg);
	assert_load_error("Token hsm0\n\tPinFile credential:../x\n", 2,
	    "PinFile credential:NAME needs a plain name");
	assert_load_error("Token hsm0\n\tPinFile credential:\n", 2,
	    "PinFile credential:NAME needs a plain name");
}

/* --- warnings --- */

/* raw beside other formats is allowed, with a warning that says why. */
static void
test_raw_beside_other_formats_warns(void **state)
{
	struct config *cfg;
	char msg[CONFIG_ERR_MAX];

	(void)state;
	cfg = load_ok(TOKEN_OK
	    "Key a\n\tToken hsm0\n\tLabel a\n\tFormats raw\n"
	    "Key b\n\tToken hsm0\n\tLabel b\n\tFormats raw cms module\n"
	    "Key c\n\tToken hsm0\n\tLabel c\n\tFormats cms module\n");
	assert_int_equal(config_raw_warning(&cfg->keys[0], msg, sizeof(msg)),
	    0);
	assert_int_equal(config_raw_warning(&cfg->keys[2], msg, sizeof(msg)),
	    0);
	assert_int_equal(config_raw_warning(&cfg->keys[1], msg, sizeof(msg)),
	    1);
	assert_string_equal(msg,
	    "key 'b' (line 9) allows raw beside cms "
	    "module: a raw signature over chosen bytes is also a valid "
	    "signature in those formats, so whoever may sign raw with this "
	    "key can make cms module signatures too");
	assert_int_equal(config_warn(cfg), 1);
	config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_file_sets_every_field),
		cmocka_unit_test(test_empty_file_gives_global_defaults),
		cmocka_unit_test(test_pidfile_follows_listen_unless_set),
		cmocka_unit_test(test_max_artifact_size_accepts_suffixes),
		cmocka_unit_test(test_number_limits_are_inclusive),
		cmocka_unit_test(test_find_returns_null_when_absent),
		cmocka_unit_test(test_config_free_accepts_null),
		cmocka_unit_test(test_missing_file_cannot_be_opened),
		cmocka_unit_test(test_bad_number_is_an_error),
		cmocka_unit_test(test_number_out_of_range_is_an_error),
		cmocka_unit_test(test_bad_artifact_size_is_an_error),
		cmocka_unit_test(test_duplicate_global_keyword_is_an_error),
		cmocka_unit_test(test_pinfile_credential_and_expiry_warning),
		cmocka_unit_test(test_raw_beside_other_formats_warns),
		cmocka_unit_test(test_relative_path_is_an_error),
		cmocka_unit_test(test_listen_path_must_fit_a_socket_address),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
