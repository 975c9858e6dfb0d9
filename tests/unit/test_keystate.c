/* test_keystate.c: disabled keys and their StateFile (monitor/keystate.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "monitor/keystate.h"

static char dir[64], path[128];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_keystate.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/keystate", dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

static void
test_missing_file_is_empty_and_changes_persist(void **state)
{
	char err[256];
	struct keystate *ks;
	const struct keystate_entry *e;
	struct stat st;

	(void)state;
	unlink(path);
	assert_non_null(ks = keystate_load(path, err, sizeof(err)));
	assert_null(keystate_disabled(ks, "k1"));
	assert_int_equal(keystate_set(ks, "k1", 1, 1000, 1700000000,
	    "exposed\tin\nlogs", err, sizeof(err)), 0);
	assert_int_equal(keystate_set(ks, "k2", 1, 0, 1, "r2", err,
	    sizeof(err)), 0);
	keystate_free(ks);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_non_null(ks = keystate_load(path, err, sizeof(err)));
	assert_non_null(e = keystate_disabled(ks, "k1"));
	assert_string_equal(e->reason, "exposed in logs");
	assert_int_equal(e->uid, 1000);
	assert_int_equal(e->when, 1700000000);
	assert_int_equal(keystate_set(ks, "k1", 0, 0, 0, "", err,
	    sizeof(err)), 0);
	assert_null(keystate_disabled(ks, "k1"));
	assert_non_null(keystate_disabled(ks, "k2"));
	keystate_free(ks);
	assert_non_null(ks = keystate_load(path, err, sizeof(err)));
	assert_null(keystate_disabled(ks, "k1"));
	assert_non_null(keystate_disabled(ks, "k2"));
	keystate_free(ks);
	keystate_free(NULL);
}

static void
test_malformed_or_open_files_are_refused(void **state)
{
	char err[256], want[256];
	FILE *f;

	(void)state;
	assert_non_null(f = fopen(path, "w"));
	fputs("k1\t1\t2\tok\nbroken line\n", f);
	fclose(f);
	chmod(path, 0600);
	assert_null(keystate_load(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s:2: malformed key state line", path);
	assert_string_equal(err, want);
	assert_non_null(f = fopen(path, "w"));
	fputs("k1\t1\t2\tok\n", f);
	fclose(f);
	chmod(path, 0666);
	assert_null(keystate_load(path, err, sizeof(err)));
	assert_non_null(strstr(err, "not writable by others"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_file_is_empty_and_changes_persist),
		cmocka_unit_test(test_malformed_or_open_files_are_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
