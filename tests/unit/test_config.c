/* test_config.c: csignd.conf(5) parsing (records/config.c, conf*.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "records/config.h"

#ifndef CSIGN_LIBEXECDIR
#define CSIGN_LIBEXECDIR "/usr/local/libexec/csign"
#endif

static char tmpdir[64];
static char conf_path[128];

/* A token block that is complete: 4 lines. */
#define TOKEN_OK \
	"Token hsm0\n" \
	"\tModule /usr/lib/softhsm/libsofthsm2.so\n" \
	"\tTokenLabel csign\n" \
	"\tPinFile /etc/csign/hsm0.pin\n"

#define ALLOW_USAGE "expected: Allow group|user NAME keys KEY... " \
	"[formats FORMAT...] [rate N/PERIOD]"

/* A key block that is complete and uses TOKEN_OK: 4 lines. */
#define KEY_OK \
	"Key k1\n" \
	"\tToken hsm0\n" \
	"\tLabel k1\n" \
	"\tFormats raw\n"

static int
group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_config.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(conf_path, sizeof(conf_path), "%s/csignd.conf", tmpdir);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	unlink(conf_path);
	return rmdir(tmpdir);
}

/* Replace the test config file with len bytes of data. */
static void
write_bytes(const void *data, size_t len)
{
	FILE *f = fopen(conf_path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Load text as the config file; err receives any message. */
static struct config *
load_text(const char *text, char *err)
{
	write_bytes(text, strlen(text));
	return config_load(conf_path, err, CONFIG_ERR_MAX);
}

/* Load text, which must succeed. */
static struct config *
load_ok(const char *text)
{
	char err[CONFIG_ERR_MAX];
	struct config *cfg = load_text(text, err);

	if (cfg == NULL)
		fail_msg("unexpected error: %s", err);
	return cfg;
}

/* Load text, which must fail with "PATH:line: msg". */
static void
assert_load_error(const char *text, int line, const char *msg)
{
	char err[CONFIG_ERR_MAX], want[CONFIG_ERR_MAX];
	struct config *cfg = load_text(text, err);

	config_free(cfg);
	assert_null(cfg);
	snprintf(want, sizeof(want), "%s:%d: %s", conf_path, line, msg);
	assert_string_equal(err, want);
}

static gid_t
group_id(const char *name)
{
	struct group *gr = getgrnam(name);

	assert_non_null(gr);
	return gr->gr_gid;
}

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
	    "Token hsm0\n"				/* 12 */
	    "\tModule /usr/lib/softhsm/libsofthsm2.so\n"
	    "\tTokenLabel csign\n"
	    "\tPinFile /etc/csign/hsm0.pin\n"
	    "Token hsm1\n"				/* 16 */
	    "\tModule /usr/lib/other.so\n"
	    "\tSlot 7\n"
	    "\tPinFile /etc/csign/hsm1.pin\n"
	    "\n"
	    "Key kmod-2026\n"				/* 21 */
	    "\tToken hsm0\n"
	    "\tLabel kmod-2026\n"
	    "\tId 01A2ff\n"
	    "\tCertificate /etc/csign/kmod.crt\n"
	    "\tFormats raw cms\n"
	    "\tDigest sha384 sha256\n"
	    "\tPadding pss\n"
	    "Key fw.v1_x\n"				/* 29 */
	    "\tToken hsm1\n"
	    "\tId 00\n"
	    "\tFormats cms\n"
	    "\n"
	    "Allow group root keys kmod-2026 fw.v1_x\n"	/* 34 */
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
	cfg = load_ok("TimestampTimeout 3\n" TOKEN_OK
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
test_bad_timestamp_lines_are_errors(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK KEY_OK "\tTimestamp always http://a/\n", 9,
	    "Timestamp wants required or optional, not 'always'");
	assert_load_error(TOKEN_OK KEY_OK "\tTimestamp required\n", 9,
	    "Timestamp: missing argument");
	assert_load_error(TOKEN_OK KEY_OK "\tTimestamp optional "
	    "https://a/\n", 9, "bad TSA URL 'https://a/': https is not "
	    "supported: the timestamp token is signed and checked, use "
	    "http://");
	assert_load_error(TOKEN_OK KEY_OK "\tTimestamp optional "
	    "http://a:99999/\n", 9, "bad TSA URL 'http://a:99999/': bad "
	    "port '99999'");
	assert_load_error(TOKEN_OK KEY_OK "\tTimestamp optional http://a/ "
	    "http://b/ http://c/ http://d/ http://e/\n", 9,
	    "Timestamp: too many arguments");
	assert_load_error(TOKEN_OK KEY_OK "\tTimestamp optional http://a/\n"
	    "\tTimestamp optional http://b/\n", 10,
	    "duplicate Timestamp");
	assert_load_error("Timestamp optional http://a/\n", 1,
	    "Timestamp outside a Key block");
	assert_load_error("TimestampTimeout 0\n", 1,
	    "TimestampTimeout must be between 1 and 300");
	/* Required, but a format that cannot carry a timestamp. */
	assert_load_error(TOKEN_OK KEY_OK "\tTimestamp required http://a/\n"
	    "PoolSize 2\n", 5, "key 'k1' requires timestamps, which only the "
	    "cms and pe formats can carry: restrict its Formats");
	/* TSAs are trusted only through TimestampCA: without it, no TSA. */
	assert_load_error(TOKEN_OK KEY_OK "\tTimestamp optional http://a/\n"
	    "PoolSize 2\n", 5, "key 'k1' has Timestamp but no TimestampCA "
	    "(the CA certificates its TSAs must chain to)");
	assert_load_error(TOKEN_OK KEY_OK "\tTimestamp optional http://a/\n"
	    "\tTimestampCA tsa-ca.pem\n", 10, "TimestampCA must be an absolute "
	    "path");
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
	cfg = load_ok(TOKEN_OK
	    "Key k1\n"
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
	    "\tFormats RAW\n", 8, "unknown format 'RAW'");
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
test_key_may_name_a_token_defined_later(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(KEY_OK "PoolSize 4\n" TOKEN_OK);
	assert_ptr_equal(cfg->keys[0].token, &cfg->tokens[0]);
	config_free(cfg);
}

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
	cfg = load_ok(TOKEN_OK KEY_OK
	    "Allow group daemon keys k1\n"
	    "Allow group adm keys k1\n");
	assert_int_equal(cfg->nallows, 2);
	assert_int_equal(cfg->allows[0].gid, group_id("daemon"));
	assert_int_equal(cfg->allows[1].gid, group_id("adm"));
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
	cfg = load_ok(TOKEN_OK KEY_OK
	    "Key k2\n\tToken hsm0\n\tId 02\n\tFormats cms\n");
	assert_int_equal(cfg->nkeys, 2);
	assert_null(cfg->keys[1].label);
	assert_int_equal(cfg->keys[1].formats, FMT_BIT(FMT_CMS));
	config_free(cfg);
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
test_id_of_64_bytes_is_accepted(void **state)
{
	char text[1024];
	char hex[129];
	struct config *cfg;

	(void)state;
	for (int i = 0; i < 64; i++)
		snprintf(hex + 2 * i, 3, "%02x", i);
	snprintf(text, sizeof(text), TOKEN_OK
	    "Key k1\n\tToken hsm0\n\tId %s\n\tFormats raw\n", hex);
	cfg = load_ok(text);
	assert_int_equal(cfg->keys[0].idlen, 64);
	assert_int_equal(cfg->keys[0].id[63], 63);
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
test_same_keyword_in_two_blocks_is_not_a_duplicate(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(TOKEN_OK KEY_OK
	    "Key k2\n\tToken hsm0\n\tLabel k2\n\tFormats raw\n");
	assert_string_equal(cfg->keys[1].label, "k2");
	config_free(cfg);
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
	    "\tPinFile /p\nPoolSize 5\n", 2, "token 't' has no Module");
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
	assert_load_error("Token t\n\tModule /m.so\n\tPinFile /p\n"
	    TOKEN_OK, 1, "token 't' needs a TokenLabel or a Slot");
}

static void
test_key_without_token_is_reported_at_its_line(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK "Key k1\n\tLabel x\n\tFormats raw\n"
	    "Allow user root keys k1\n", 5, "key 'k1' has no Token");
}

static void
test_key_without_label_or_id_is_reported_at_its_line(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK "Key k1\n\tToken hsm0\n\tFormats raw\n",
	    5, "key 'k1' needs a Label or an Id");
}

static void
test_key_without_formats_is_reported_at_its_line(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK "Key k1\n\tToken hsm0\n\tLabel x\n"
	    KEY_OK, 5, "key 'k1' has no Formats");
}

static void
test_undefined_token_is_reported_at_reference(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK "Key k1\n\tLabel x\n\tToken hsm9\n"
	    "\tFormats raw\n", 7, "undefined token 'hsm9'");
}

static void
test_undefined_key_is_reported_at_reference(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK KEY_OK "\nAllow user root keys k1 k2\n",
	    10, "undefined key 'k2'");
}

static void
test_unknown_group_is_an_error(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK KEY_OK
	    "Allow group csign-no-such-group keys k1\n", 9,
	    "unknown group 'csign-no-such-group'");
}

static void
test_unknown_user_is_an_error(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK KEY_OK
	    "Allow user csign-no-such-user keys k1\n", 9,
	    "unknown user 'csign-no-such-user'");
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

static void
test_unknown_format_is_an_error(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK "Key k1\n\tFormats raw gpg\n", 6,
	    "unknown format 'gpg'");
}

static void
test_every_format_and_a_chain_are_accepted(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(TOKEN_OK "Key k1\n\tToken hsm0\n\tLabel k\n"
	    "\tFormats raw cms module pe ima\n\tChain /etc/csign/ca.pem\n");
	assert_int_equal(cfg->keys[0].formats, FMT_BIT(FMT_RAW) |
	    FMT_BIT(FMT_CMS) | FMT_BIT(FMT_MODULE) | FMT_BIT(FMT_PE) |
	    FMT_BIT(FMT_IMA));
	assert_string_equal(cfg->keys[0].chainfile, "/etc/csign/ca.pem");
	config_free(cfg);
	assert_load_error(TOKEN_OK "Key k1\n\tChain relative.pem\n", 6,
	    "Chain must be an absolute path");
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
	assert_load_error(TOKEN_OK "Key k1\n\tId 123\n", 6, "bad Id '123': "
	    "expected an even number of hex digits, at most 64 bytes");
	assert_load_error(TOKEN_OK "Key k1\n\tId 0g\n", 6, "bad Id '0g': "
	    "expected an even number of hex digits, at most 64 bytes");
	memset(hex, 'a', 130);
	hex[130] = '\0';
	snprintf(text, sizeof(text), "Key k1\n\tId %s\n", hex);
	snprintf(want, sizeof(want), "bad Id '%s': expected an even number "
	    "of hex digits, at most 64 bytes", hex);
	assert_load_error(text, 2, want);
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
	snprintf(text, sizeof(text), TOKEN_OK "Key %s\n\tToken hsm0\n"
	    "\tId 01\n\tFormats raw\n", name);
	config_free(load_ok(text));
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

static void
test_token_label_longer_than_32_bytes_is_an_error(void **state)
{
	(void)state;
	assert_load_error("Token t\n\tTokenLabel "
	    "123456789012345678901234567890123\n", 2,
	    "TokenLabel too long (max 32 bytes)");
}

static void
test_block_keyword_outside_its_block_is_an_error(void **state)
{
	(void)state;
	assert_load_error("Module /m.so\n", 1,
	    "Module outside a Token block");
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
test_error_without_err_buffer_does_not_crash(void **state)
{
	(void)state;
	write_bytes("Bogus\n", 6);
	assert_null(config_load(conf_path, NULL, 0));
}

/* PinFile credential:NAME names a systemd credential; no paths in it. */
static void
test_pinfile_credential_and_expiry_warning(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok("CertificateExpiryWarning 14\nToken hsm0\n"
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
	assert_load_error(TOKEN_OK KEY_OK "Allow user root keys k1 rate 5/week\n",
	    9, "bad rate '5/week' (expected N/second, N/minute, N/hour or "
	    "N/day)");
	assert_load_error(TOKEN_OK KEY_OK "Allow user root keys rate 5/day\n",
	    9, ALLOW_USAGE);
}

/* --- Approval --- */

static void
test_approval_sets_group_count_and_expiry(void **state)
{
	struct config *cfg;
	const struct cfg_key *k;

	(void)state;
	cfg = load_ok(TOKEN_OK KEY_OK "\tApproval group root count 2 "
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

		snprintf(text, sizeof(text), TOKEN_OK KEY_OK
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
	assert_load_error(TOKEN_OK KEY_OK "\tApproval group root count 0\n",
	    9, "Approval count must be between 1 and 16");
	assert_load_error(TOKEN_OK KEY_OK "\tApproval group root count 17\n",
	    9, "Approval count must be between 1 and 16");
	assert_load_error(TOKEN_OK KEY_OK "\tApproval group root count x\n",
	    9, "Approval count must be between 1 and 16");
}

static void
test_approval_bad_duration_is_an_error(void **state)
{
	static const char *const bad[] = { "8d", "0s", "1w", "m", "5mm",
		"-5m", "99999999999999999999" };
	char text[512], msg[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), TOKEN_OK KEY_OK
		    "\tApproval group root expires %s\n", bad[i]);
		snprintf(msg, sizeof(msg), "bad Approval expires '%s' "
		    "(expected 1s to 7d, as 90s, 30m, 2h or 1d)", bad[i]);
		assert_load_error(text, 9, msg);
	}
}

static void
test_approval_unknown_group_is_an_error(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK KEY_OK
	    "\tApproval group no-such-group-csign\n", 9,
	    "unknown group 'no-such-group-csign'");
}

static void
test_approval_syntax_errors_are_reported(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK KEY_OK "\tApproval user root\n", 9,
	    "expected: Approval group NAME [count N] [expires DURATION]");
	assert_load_error(TOKEN_OK KEY_OK "\tApproval group root count\n",
	    9, "expected: Approval group NAME [count N] [expires DURATION]");
	assert_load_error(TOKEN_OK KEY_OK "\tApproval group root after 2\n",
	    9, "unknown Approval option 'after' (expected count or expires)");
	assert_load_error(TOKEN_OK KEY_OK "\tApproval group root\n"
	    "\tApproval group root\n", 10, "duplicate Approval");
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
	    "Key alias\n\tToken hsm0\n\tLabel k1\n\tFormats cms\n", 9,
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
	    "Key b\n\tToken hsm0\n\tId 01Ab\n\tFormats module\n", 9,
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
	    "Key b\n\tToken again\n\tLabel k1\n\tFormats raw\n", err));
	assert_non_null(strstr(err, ":13: Key 'b' and Key 'k1' (line 9) name "
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
	cfg = load_ok(TOKEN_OK
	    "Token hsm1\n\tModule /usr/lib/other.so\n\tSlot 1\n"
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
	    "Allow group root keys k2 k1 formats cms\n", 13,
	    "key 'k1' (line 5) does not allow format 'cms' (see its Formats)");
	/* Also when the Allow line comes before the key. */
	assert_load_error("Allow user root keys k1 formats raw module\n"
	    TOKEN_OK KEY_OK, 1,
	    "key 'k1' (line 6) does not allow format 'module' (see its "
	    "Formats)");
}

static void
test_allow_formats_errors_name_the_line(void **state)
{
	(void)state;
	assert_load_error(TOKEN_OK KEY_OK
	    "Allow group root keys k1 formats raw bogus\n", 9,
	    "unknown format 'bogus'");
	assert_load_error(TOKEN_OK KEY_OK
	    "Allow group root keys k1 formats\n", 9,
	    "Allow formats: name at least one format");
	assert_load_error(TOKEN_OK KEY_OK
	    "Allow group root keys k1 formats rate 1/day\n", 9,
	    "Allow formats: name at least one format");
	assert_load_error(TOKEN_OK KEY_OK
	    "Allow group root keys k1 formats raw formats raw\n", 9,
	    "duplicate formats in Allow");
	assert_load_error(TOKEN_OK KEY_OK
	    "Allow group root keys k1 rate 1/day rate 2/day\n", 9,
	    "duplicate rate in Allow");
	assert_load_error(TOKEN_OK KEY_OK
	    "Allow group root keys k1 rate\n", 9, ALLOW_USAGE);
	assert_load_error(TOKEN_OK KEY_OK
	    "Allow group root keys formats raw\n", 9, ALLOW_USAGE);
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
	assert_string_equal(msg, "key 'b' (line 9) allows raw beside cms "
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
		cmocka_unit_test(
		    test_key_defaults_to_sha256_pkcs1_and_token_certificate),
		cmocka_unit_test(test_certificate_token_means_no_file),
		cmocka_unit_test(test_timestamp_lines_set_mode_and_urls),
		cmocka_unit_test(test_bad_timestamp_lines_are_errors),
		cmocka_unit_test(test_comments_and_blank_lines_are_ignored),
		cmocka_unit_test(test_quoted_values_keep_spaces_and_hashes),
		cmocka_unit_test(test_unterminated_quote_is_an_error),
		cmocka_unit_test(test_text_after_closing_quote_is_an_error),
		cmocka_unit_test(test_empty_quoted_string_is_an_error),
		cmocka_unit_test(test_keywords_are_case_insensitive),
		cmocka_unit_test(test_values_are_case_sensitive),
		cmocka_unit_test(test_crlf_line_endings_are_accepted),
		cmocka_unit_test(test_key_may_name_a_token_defined_later),
		cmocka_unit_test(test_allow_may_name_a_key_defined_later),
		cmocka_unit_test(
		    test_allow_resolves_supplementary_style_groups),
		cmocka_unit_test(test_global_keyword_ends_a_block),
		cmocka_unit_test(
		    test_token_block_may_follow_key_block_after_global_keyword),
		cmocka_unit_test(test_key_block_ends_at_next_key),
		cmocka_unit_test(test_max_artifact_size_accepts_suffixes),
		cmocka_unit_test(test_number_limits_are_inclusive),
		cmocka_unit_test(test_id_of_64_bytes_is_accepted),
		cmocka_unit_test(test_line_of_4096_bytes_is_accepted),
		cmocka_unit_test(test_find_returns_null_when_absent),
		cmocka_unit_test(test_config_free_accepts_null),
		cmocka_unit_test(test_missing_file_cannot_be_opened),
		cmocka_unit_test(test_unknown_keyword_is_an_error),
		cmocka_unit_test(test_approval_sets_group_count_and_expiry),
		cmocka_unit_test(
		    test_approval_defaults_to_one_approver_for_an_hour),
		cmocka_unit_test(test_approval_durations_take_every_unit),
		cmocka_unit_test(test_approval_bad_count_is_an_error),
		cmocka_unit_test(test_approval_bad_duration_is_an_error),
		cmocka_unit_test(test_approval_unknown_group_is_an_error),
		cmocka_unit_test(test_approval_syntax_errors_are_reported),
		cmocka_unit_test(test_approval_outside_a_key_block_is_an_error),
		cmocka_unit_test(test_missing_argument_is_an_error),
		cmocka_unit_test(test_too_many_arguments_is_an_error),
		cmocka_unit_test(test_bad_number_is_an_error),
		cmocka_unit_test(test_number_out_of_range_is_an_error),
		cmocka_unit_test(test_bad_artifact_size_is_an_error),
		cmocka_unit_test(test_duplicate_global_keyword_is_an_error),
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
		cmocka_unit_test(test_undefined_token_is_reported_at_reference),
		cmocka_unit_test(test_undefined_key_is_reported_at_reference),
		cmocka_unit_test(test_unknown_group_is_an_error),
		cmocka_unit_test(test_unknown_user_is_an_error),
		cmocka_unit_test(
		    test_allow_syntax_errors_show_the_expected_form),
		cmocka_unit_test(test_allow_with_too_many_keys_is_an_error),
		cmocka_unit_test(test_unknown_format_is_an_error),
		cmocka_unit_test(test_every_format_and_a_chain_are_accepted),
		cmocka_unit_test(test_pinfile_credential_and_expiry_warning),
		cmocka_unit_test(test_allow_rate),
		cmocka_unit_test(test_two_keys_with_one_label_are_an_error),
		cmocka_unit_test(test_two_keys_with_one_id_are_an_error),
		cmocka_unit_test(
		    test_a_label_alone_and_the_label_with_an_id_are_an_error),
		cmocka_unit_test(test_one_token_under_two_names_is_seen),
		cmocka_unit_test(test_keys_that_differ_are_not_aliases),
		cmocka_unit_test(test_allow_formats_narrows_a_grant),
		cmocka_unit_test(
		    test_allow_format_the_key_does_not_allow_is_an_error),
		cmocka_unit_test(test_allow_formats_errors_name_the_line),
		cmocka_unit_test(test_raw_beside_other_formats_warns),
		cmocka_unit_test(test_unknown_digest_is_an_error),
		cmocka_unit_test(test_unknown_padding_is_an_error),
		cmocka_unit_test(test_bad_id_is_an_error),
		cmocka_unit_test(test_bad_name_is_an_error),
		cmocka_unit_test(test_relative_path_is_an_error),
		cmocka_unit_test(test_listen_path_must_fit_a_socket_address),
		cmocka_unit_test(
		    test_token_label_longer_than_32_bytes_is_an_error),
		cmocka_unit_test(
		    test_block_keyword_outside_its_block_is_an_error),
		cmocka_unit_test(
		    test_token_block_directly_after_key_block_is_an_error),
		cmocka_unit_test(test_too_many_token_blocks_is_an_error),
		cmocka_unit_test(test_line_longer_than_4096_bytes_is_an_error),
		cmocka_unit_test(test_nul_byte_is_an_error),
		cmocka_unit_test(test_error_without_err_buffer_does_not_crash),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
