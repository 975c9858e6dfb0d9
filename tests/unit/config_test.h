/*
 * config_test.h: the fixture of the csignd.conf(5) unit tests (a
 * scratch file loaded with config_load) and the blocks they build on,
 * for test_config.c and test_conf*.c.
 */
#ifndef CSIGN_CONFIG_TEST_H
#define CSIGN_CONFIG_TEST_H

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

/* The scratch directory and the config file in it. */
static char tmpdir[64];
static char conf_path[128];

/* A token block that is complete: 4 lines. */
#define TOKEN_OK \
	"Token hsm0\n" \
	"\tModule /usr/lib/softhsm/libsofthsm2.so\n" \
	"\tTokenLabel csign\n" \
	"\tPinFile /etc/csign/hsm0.pin\n"

#define ALLOW_USAGE \
	"expected: Allow group|user NAME keys KEY... " \
	"[formats FORMAT...] [rate N/PERIOD]"

/* A key block that is complete and uses TOKEN_OK: 4 lines. */
#define KEY_OK \
	"Key k1\n" \
	"\tToken hsm0\n" \
	"\tLabel k1\n" \
	"\tFormats raw\n"

static inline int
group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_config.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(conf_path, sizeof(conf_path), "%s/csignd.conf", tmpdir);
	return 0;
}

static inline int
group_teardown(void **state)
{
	(void)state;
	unlink(conf_path);
	return rmdir(tmpdir);
}

/* Replace the test config file with len bytes of data. */
static inline void
write_bytes(const void *data, size_t len)
{
	FILE *f = fopen(conf_path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Load text as the config file; err receives any message. */
static inline struct config *
load_text(const char *text, char *err)
{
	write_bytes(text, strlen(text));
	return config_load(conf_path, err, CONFIG_ERR_MAX);
}

/* Load text, which must succeed. */
static inline struct config *
load_ok(const char *text)
{
	char err[CONFIG_ERR_MAX];
	struct config *cfg = load_text(text, err);

	if (cfg == NULL)
		fail_msg("unexpected error: %s", err);
	return cfg;
}

/*
 * Load text, which must fail with "PATH:line: msg".  Never inlined: in a
 * caller whose msg fills a buffer, -Wformat-truncation would object to
 * the cut of want, which err has too and which the comparison allows.
 */
static void __attribute__((noinline, unused))
assert_load_error(const char *text, int line, const char *msg)
{
	char err[CONFIG_ERR_MAX], want[CONFIG_ERR_MAX];
	struct config *cfg = load_text(text, err);

	config_free(cfg);
	assert_null(cfg);
	snprintf(want, sizeof(want), "%s:%d: %s", conf_path, line, msg);
	assert_string_equal(err, want);
}

static inline gid_t
group_id(const char *name)
{
	struct group *gr = getgrnam(name);

	assert_non_null(gr);
	return gr->gr_gid;
}

#endif
