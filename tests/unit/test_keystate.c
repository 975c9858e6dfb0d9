/* test_keystate.c: disabled keys and their StateFile (records/keystate.c). */
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

#include "records/keystate.h"

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
			     "exposed\tin\nlogs", err, sizeof(err)),
	    0);
	assert_int_equal(keystate_set(ks, "k2", 1, 0, 1, "r2", err,
			     sizeof(err)),
	    0);
	keystate_free(ks);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_non_null(ks = keystate_load(path, err, sizeof(err)));
	assert_non_null(e = keystate_disabled(ks, "k1"));
	assert_string_equal(e->reason, "exposed in logs");
	assert_int_equal(e->uid, 1000);
	assert_int_equal(e->when, 1700000000);
	assert_int_equal(keystate_set(ks, "k1", 0, 0, 0, "", err, sizeof(err)),
	    0);
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
	assert_non_null(strstr(err, "not writable by group or others"));
	chmod(path, 0620);
	assert_null(keystate_load(path, err, sizeof(err)));
	assert_non_null(strstr(err, "not writable by group or others"));
}

/* A symbolic link planted at the StateFile's path is never followed. */
static void
test_a_symbolic_link_is_refused(void **state)
{
	char err[512], target[128];
	struct keystate *ks;
	FILE *f;

	(void)state;
	unlink(path);
	snprintf(target, sizeof(target), "%s/real", dir);
	assert_non_null(f = fopen(target, "w"));
	fputs("k1\t1\t2\tok\n", f);
	fclose(f);
	chmod(target, 0600);
	assert_int_equal(symlink(target, path), 0);
	assert_null(keystate_load(path, err, sizeof(err)));
	assert_non_null(strstr(err,
	    "is a symbolic link; refusing to "
	    "follow it"));
	unlink(path);
	/* A change replaces the link itself, never the file it names. */
	assert_int_equal(symlink(target, path), 0);
	unlink(path);
	assert_non_null(ks = keystate_load(path, err, sizeof(err)));
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(keystate_set(ks, "k9", 1, 0, 1, "r", err, sizeof(err)),
	    0);
	keystate_free(ks);
	assert_non_null(f = fopen(target, "r"));
	assert_non_null(fgets(err, sizeof(err), f));
	assert_string_equal(err, "k1\t1\t2\tok\n");
	fclose(f);
	unlink(target);
}

/*
 * Two steps: nothing changes, in memory or on disk, until the commit; an
 * abort leaves no temporary file.
 */
static void
test_a_prepared_change_takes_effect_only_when_committed(void **state)
{
	struct keystate_change ch;
	struct keystate *ks;
	char err[256];
	struct stat st;

	(void)state;
	unlink(path);
	assert_non_null(ks = keystate_load(path, err, sizeof(err)));
	assert_int_equal(keystate_prepare(ks, &ch, "k1", 1, 5, 6, "why", err,
			     sizeof(err)),
	    0);
	assert_int_equal(stat(ch.tmp, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_null(keystate_disabled(ks, "k1"));
	assert_int_equal(stat(path, &st), -1);
	keystate_abort(&ch);
	assert_int_equal(stat(ch.tmp, &st), -1);
	assert_null(keystate_disabled(ks, "k1"));
	assert_int_equal(keystate_prepare(ks, &ch, "k1", 1, 5, 6, "why", err,
			     sizeof(err)),
	    0);
	assert_int_equal(keystate_commit(ks, &ch, err, sizeof(err)), 0);
	assert_non_null(keystate_disabled(ks, "k1"));
	assert_int_equal(stat(path, &st), 0);
	/* Enabling is prepared the same way. */
	assert_int_equal(keystate_prepare(ks, &ch, "k1", 0, 5, 6, "", err,
			     sizeof(err)),
	    0);
	assert_non_null(keystate_disabled(ks, "k1"));
	assert_int_equal(keystate_commit(ks, &ch, err, sizeof(err)), 0);
	assert_null(keystate_disabled(ks, "k1"));
	keystate_free(ks);
}

/* Temporary files an interrupted write left are removed at the next load. */
static void
test_leftover_temporary_files_are_removed_at_load(void **state)
{
	char err[256], tmp[160], other[160];
	struct keystate *ks;
	struct stat st;
	FILE *f;

	(void)state;
	unlink(path);
	snprintf(tmp, sizeof(tmp), "%s.tmp-Ab12Cd", path);
	snprintf(other, sizeof(other), "%s.tmp-keepme-please", path);
	assert_non_null(f = fopen(tmp, "w"));
	fclose(f);
	assert_non_null(f = fopen(other, "w"));
	fclose(f);
	assert_non_null(ks = keystate_load(path, err, sizeof(err)));
	keystate_free(ks);
	assert_int_equal(stat(tmp, &st), -1);
	assert_int_equal(stat(other, &st), 0);
	unlink(other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_missing_file_is_empty_and_changes_persist),
		cmocka_unit_test(test_malformed_or_open_files_are_refused),
		cmocka_unit_test(test_a_symbolic_link_is_refused),
		cmocka_unit_test(
		    test_a_prepared_change_takes_effect_only_when_committed),
		cmocka_unit_test(
		    test_leftover_temporary_files_are_removed_at_load),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
