/* test_filetrust.c: StrictModes for csignd's files (records/filetrust.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "records/filetrust.h"

#define OTHER_UID 4242 /* a uid csignd does not trust */

/* Under /tmp (root's, sticky), which every check walks through. */
static char dir[64];
static char why[512];
static char err[CONFIG_ERR_MAX];

/* dir/name into a static buffer (one at a time). */
static const char *
at(const char *name)
{
	static char path[4][256];
	static int n;

	n = (n + 1) % 4;
	snprintf(path[n], sizeof(path[n]), "%s/%s", dir, name);
	return path[n];
}

/* Create dir/name with mode (exactly: no umask). */
static void
mkfile(const char *name, mode_t mode)
{
	int fd = open(at(name), O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x\n", 2), 2);
	close(fd);
	assert_int_equal(chmod(at(name), mode), 0);
}

/* Create the directory dir/name with mode. */
static void
mkdir_mode(const char *name, mode_t mode)
{
	assert_int_equal(mkdir(at(name), 0700), 0);
	assert_int_equal(chmod(at(name), mode), 0);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_filetrust.XXXXXX");
	if (mkdtemp(dir) == NULL || chmod(dir, 0755) == -1)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx %s; rm -rf %s", dir, dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The check as csignd runs it: trusting root and the test's own uid. */
static int
check(const char *path, enum filetrust_kind kind)
{
	why[0] = '\0';
	return filetrust_path(path, kind, geteuid(), why, sizeof(why));
}

static void
test_closed_file_in_closed_directories_is_trusted(void **state)
{
	(void)state;
	mkfile("ok.crt", 0644);
	assert_int_equal(check(at("ok.crt"), FT_FILE), 0);
	mkfile("ok.pin", 0600);
	assert_int_equal(check(at("ok.pin"), FT_FILE), 0);
	assert_int_equal(check(at("audit.jsonl"), FT_DIR_OF), 0);
}

static void
test_group_writable_file_is_refused(void **state)
{
	(void)state;
	mkfile("g.crt", 0664);
	assert_int_equal(check(at("g.crt"), FT_FILE), -1);
	assert_string_equal(why, "writable by group (mode 0664)");
}

static void
test_world_writable_file_is_refused(void **state)
{
	(void)state;
	mkfile("o.crt", 0646);
	assert_int_equal(check(at("o.crt"), FT_FILE), -1);
	assert_string_equal(why, "writable by others (mode 0646)");
}

/* A closed file in an open directory can be replaced: refused. */
static void
test_group_writable_parent_is_refused(void **state)
{
	char want[512];

	(void)state;
	mkdir_mode("gdir", 0775);
	mkfile("gdir/x.crt", 0644);
	assert_int_equal(check(at("gdir/x.crt"), FT_FILE), -1);
	snprintf(want, sizeof(want),
	    "directory %s: writable by group (mode "
	    "0775)",
	    at("gdir"));
	assert_string_equal(why, want);
	/* The directory that would hold the audit log, too. */
	assert_int_equal(check(at("gdir/audit.jsonl"), FT_DIR_OF), -1);
	assert_string_equal(why, want);
}

/*
 * A sticky directory (like /tmp) above the file is fine: others cannot
 * replace what they do not own.  As the directory that holds a file
 * csignd creates, it is not: others could create the name first.
 */
static void
test_sticky_directory_is_trusted_only_above(void **state)
{
	char want[512];

	(void)state;
	mkdir_mode("sticky", 01777);
	mkdir_mode("sticky/sub", 0755);
	mkfile("sticky/sub/x.crt", 0644);
	assert_int_equal(check(at("sticky/sub/x.crt"), FT_FILE), 0);
	assert_int_equal(check(at("sticky/audit.jsonl"), FT_DIR_OF), -1);
	snprintf(want, sizeof(want),
	    "directory %s: writable by group and others "
	    "(mode 1777)",
	    at("sticky"));
	assert_string_equal(why, want);
	/* Not sticky: the same directory is refused above a file, too. */
	assert_int_equal(chmod(at("sticky"), 0777), 0);
	assert_int_equal(check(at("sticky/sub/x.crt"), FT_FILE), -1);
	snprintf(want, sizeof(want),
	    "directory %s: writable by group and others "
	    "(mode 0777)",
	    at("sticky"));
	assert_string_equal(why, want);
}

/* A file owned by another user is refused (chown needs root). */
static void
test_file_of_another_user_is_refused(void **state)
{
	char want[512];

	(void)state;
	mkfile("theirs.crt", 0644);
	if (geteuid() == 0) {
		assert_int_equal(chown(at("theirs.crt"), OTHER_UID, (gid_t)-1),
		    0);
		assert_int_equal(check(at("theirs.crt"), FT_FILE), -1);
		snprintf(want, sizeof(want), "owned by uid %d, not root",
		    OTHER_UID);
		assert_string_equal(why, want);
		/* ... unless it is the daemon's own user. */
		assert_int_equal(filetrust_path(at("theirs.crt"), FT_FILE,
				     OTHER_UID, why, sizeof(why)),
		    0);
		return;
	}
	/* Without root: the file is ours, and the daemon someone else. */
	assert_int_equal(filetrust_path(at("theirs.crt"), FT_FILE, OTHER_UID,
			     why, sizeof(why)),
	    -1);
	snprintf(want, sizeof(want),
	    "directory %s: owned by uid %u, not root "
	    "or uid %d",
	    dir, (unsigned)geteuid(), OTHER_UID);
	assert_string_equal(why, want);
}

/* A link in a trusted directory into an open one is followed and refused. */
static void
test_symlink_into_an_open_directory_is_refused(void **state)
{
	char want[PATH_MAX + 256], real[PATH_MAX];

	(void)state;
	mkdir_mode("open", 0777);
	mkdir_mode("open/in", 0755);
	mkfile("open/in/x.crt", 0644);
	assert_int_equal(symlink(at("open/in/x.crt"), at("link.crt")), 0);
	assert_int_equal(check(at("link.crt"), FT_FILE), -1);
	assert_non_null(realpath(at("open/in/x.crt"), real));
	snprintf(want, sizeof(want),
	    "resolves to %s: directory %s: writable "
	    "by group and others (mode 0777)",
	    real, at("open"));
	assert_string_equal(why, want);
	/* A link into a closed directory is fine. */
	mkfile("real.crt", 0644);
	assert_int_equal(symlink(at("real.crt"), at("good.crt")), 0);
	assert_int_equal(check(at("good.crt"), FT_FILE), 0);
}

static void
test_missing_or_wrong_type_is_refused(void **state)
{
	char want[512];

	(void)state;
	assert_int_equal(check(at("nosuch.crt"), FT_FILE), -1);
	assert_string_equal(why, "No such file or directory");
	mkdir_mode("adir", 0755);
	assert_int_equal(check(at("adir"), FT_FILE), -1);
	assert_string_equal(why, "not a regular file");
	assert_int_equal(check(at("nodir/audit.jsonl"), FT_DIR_OF), -1);
	snprintf(want, sizeof(want),
	    "directory %s: No such file or "
	    "directory",
	    at("nodir"));
	assert_string_equal(why, want);
}

/* --- the whole config --- */

/*
 * Write a config whose every file lives in the test directory (AuditLog
 * and StateFile as given, when not NULL), with extra lines at the end
 * (still in the Key block); every file is created closed.
 */
static struct config *
config_with(const char *audit, const char *statefile, const char *extra)
{
	char a[256], st[256];
	FILE *f;
	struct config *cfg;

	/* Copies first: the paths may live in at()'s buffers. */
	snprintf(a, sizeof(a), "%s", audit ? audit : at("audit.jsonl"));
	snprintf(st, sizeof(st), "%s",
	    statefile ? statefile : at("state/keystate"));
	mkfile("mod.so", 0755);
	mkfile("sandbox", 0755);
	mkfile("hsm.pin", 0600);
	mkfile("k.crt", 0644);
	mkfile("chain.crt", 0644);
	(void)mkdir(at("state"), 0700);
	assert_non_null(f = fopen(at("csignd.conf"), "w"));
	fprintf(f, "Listen %s\n", at("csignd.sock")); /* 1 */
	fprintf(f, "SandboxProgram %s\n", at("sandbox"));
	fprintf(f, "AuditLog %s\nStateFile %s\n", a, st);
	fprintf(f, "Token t\n\tModule %s\n\tTokenLabel t\n", at("mod.so"));
	fprintf(f, "\tPinFile %s\n", at("hsm.pin"));		    /* 8 */
	fprintf(f, "Key k\n\tToken t\n\tLabel k\n\tFormats cms\n"); /* 9 */
	fprintf(f, "\tCertificate %s\n", at("k.crt"));		    /* 13 */
	fprintf(f, "\tChain %s\n", at("chain.crt"));		    /* 14 */
	fprintf(f, "%s", extra);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(at("csignd.conf"), 0644), 0);
	cfg = config_load(at("csignd.conf"), err, sizeof(err));
	if (cfg == NULL)
		fail_msg("config: %s", err);
	return cfg;
}

/* The error for the config: "CONFIG:LINE: Keyword PATH: why: refusing". */
static void
assert_config_refused(struct config *cfg, int line, const char *kw,
    const char *path, const char *reason)
{
	char want[CONFIG_ERR_MAX];

	assert_int_equal(filetrust_config(cfg, geteuid(), err, sizeof(err)),
	    -1);
	snprintf(want, sizeof(want), "%s:%d: %s %s: %s: refusing",
	    at("csignd.conf"), line, kw, path, reason);
	assert_string_equal(err, want);
}

/* The same for a directory that does not exist: the hint follows. */
static void
assert_config_refused_hint(struct config *cfg, int line, const char *kw,
    const char *path, const char *reason, const char *hint)
{
	char want[CONFIG_ERR_MAX];

	assert_int_equal(filetrust_config(cfg, geteuid(), err, sizeof(err)),
	    -1);
	snprintf(want, sizeof(want),
	    "%s:%d: %s %s: %s: refusing; create it "
	    "with %s",
	    at("csignd.conf"), line, kw, path, reason, hint);
	assert_string_equal(err, want);
}

static void
test_config_with_closed_files_passes(void **state)
{
	struct config *cfg = config_with(NULL, NULL, "");

	(void)state;
	if (filetrust_config(cfg, geteuid(), err, sizeof(err)) != 0)
		fail_msg("%s", err);
	config_free(cfg);
}

/* Each file keyword is checked and named with its line. */
static void
test_config_names_the_first_offender_and_its_line(void **state)
{
	struct config *cfg = config_with(NULL, NULL, "");

	(void)state;
	assert_int_equal(chmod(at("k.crt"), 0664), 0);
	assert_config_refused(cfg, 13, "Certificate", at("k.crt"),
	    "writable by group (mode 0664)");
	assert_int_equal(chmod(at("chain.crt"), 0666), 0);
	assert_config_refused(cfg, 13, "Certificate", at("k.crt"),
	    "writable by group (mode 0664)");
	assert_int_equal(chmod(at("k.crt"), 0644), 0);
	assert_config_refused(cfg, 14, "Chain", at("chain.crt"),
	    "writable by group and others (mode 0666)");
	assert_int_equal(chmod(at("chain.crt"), 0644), 0);
	assert_int_equal(chmod(at("hsm.pin"), 0620), 0);
	assert_config_refused(cfg, 8, "PinFile", at("hsm.pin"),
	    "writable by group (mode 0620)");
	assert_int_equal(chmod(at("hsm.pin"), 0600), 0);
	assert_int_equal(chmod(at("mod.so"), 0775), 0);
	assert_config_refused(cfg, 6, "Module", at("mod.so"),
	    "writable by group (mode 0775)");
	assert_int_equal(chmod(at("mod.so"), 0755), 0);
	assert_int_equal(chmod(at("sandbox"), 0757), 0);
	assert_config_refused(cfg, 2, "SandboxProgram", at("sandbox"),
	    "writable by others (mode 0757)");
	assert_int_equal(chmod(at("sandbox"), 0755), 0);
	assert_int_equal(filetrust_config(cfg, geteuid(), err, sizeof(err)), 0);
	config_free(cfg);
}

/* The config file itself, then the directories of Listen and AuditLog. */
static void
test_config_file_and_directories_are_checked(void **state)
{
	struct config *cfg = config_with(NULL, NULL, "");
	char want[CONFIG_ERR_MAX];

	(void)state;
	assert_int_equal(chmod(at("csignd.conf"), 0664), 0);
	assert_int_equal(filetrust_config(cfg, geteuid(), err, sizeof(err)),
	    -1);
	snprintf(want, sizeof(want),
	    "%s: writable by group (mode 0664): "
	    "refusing",
	    at("csignd.conf"));
	assert_string_equal(err, want);
	assert_int_equal(chmod(at("csignd.conf"), 0644), 0);
	config_free(cfg);
	mkdir_mode("logs", 0770);
	cfg = config_with(at("logs/audit.jsonl"), NULL, "");
	snprintf(want, sizeof(want),
	    "directory %s: writable by group (mode "
	    "0770)",
	    at("logs"));
	assert_config_refused(cfg, 3, "AuditLog", at("logs/audit.jsonl"), want);
	config_free(cfg);
	mkdir_mode("run", 0775);
	cfg = config_with(NULL, NULL, "");
	free(cfg->listen);
	assert_non_null(cfg->listen = strdup(at("run/csignd.sock")));
	snprintf(want, sizeof(want),
	    "directory %s: writable by group (mode "
	    "0775)",
	    at("run"));
	assert_config_refused(cfg, 1, "Listen", at("run/csignd.sock"), want);
	config_free(cfg);
}

/*
 * The directories csignd will write to must exist, each refusal with the
 * command that makes it: the socket's and the PID file's (0755, also
 * when the PID file follows Listen), the audit log's (0750).
 */
static void
test_missing_directories_are_refused_with_a_hint(void **state)
{
	struct config *cfg;
	char want[CONFIG_ERR_MAX], hint[300];

	(void)state;
	cfg = config_with(NULL, NULL, "PidFile none\n");
	free(cfg->listen);
	assert_non_null(cfg->listen = strdup(at("norun/csignd.sock")));
	snprintf(want, sizeof(want), "directory %s: No such file or directory",
	    at("norun"));
	snprintf(hint, sizeof(hint), "mkdir -m 0755 %s", at("norun"));
	assert_config_refused_hint(cfg, 1, "Listen", at("norun/csignd.sock"),
	    want, hint);
	config_free(cfg);
	cfg = config_with(NULL, NULL, "PidFile /nopid/csignd.pid\n");
	assert_config_refused_hint(cfg, 15, "PidFile", "/nopid/csignd.pid",
	    "directory /nopid: No such file or directory",
	    "mkdir -m 0755 /nopid");
	config_free(cfg);
	cfg = config_with("/nolog/audit.jsonl", NULL, "");
	assert_config_refused_hint(cfg, 3, "AuditLog", "/nolog/audit.jsonl",
	    "directory /nolog: No such file or directory",
	    "mkdir -m 0750 /nolog");
	config_free(cfg);
}

/* A PID file in a directory others may write is refused like a socket. */
static void
test_pidfile_directory_is_checked(void **state)
{
	struct config *cfg;
	char want[CONFIG_ERR_MAX], line[300];

	(void)state;
	mkdir_mode("openrun", 0777);
	snprintf(line, sizeof(line), "PidFile %s\n", at("openrun/x.pid"));
	cfg = config_with(NULL, NULL, line);
	snprintf(want, sizeof(want),
	    "directory %s: writable by group and "
	    "others (mode 0777)",
	    at("openrun"));
	assert_config_refused(cfg, 15, "PidFile", at("openrun/x.pid"), want);
	config_free(cfg);
	cfg = config_with(NULL, NULL, "PidFile none\n");
	assert_null(cfg->pid_file);
	assert_int_equal(filetrust_config(cfg, geteuid(), err, sizeof(err)), 0);
	config_free(cfg);
}

/* A systemd credential is not a file csignd can check: skipped. */
static void
test_credential_pinfile_is_skipped(void **state)
{
	struct config *cfg = config_with(NULL, NULL, "");

	(void)state;
	free(cfg->tokens[0].pinfile);
	assert_non_null(cfg->tokens[0].pinfile = strdup("credential:hsm.pin"));
	assert_int_equal(filetrust_config(cfg, geteuid(), err, sizeof(err)), 0);
	config_free(cfg);
}

/*
 * With AdminGroup (or an Approval) the StateFile's directory must exist:
 * admin disable-key must not fail for the first time during an incident.
 */
static void
test_statefile_directory_must_exist_when_it_is_written(void **state)
{
	struct config *cfg;
	char want[CONFIG_ERR_MAX];

	(void)state;
	cfg = config_with(NULL, "/nowhere/keystate", "");
	assert_int_equal(filetrust_config(cfg, geteuid(), err, sizeof(err)), 0);
	config_free(cfg);
	cfg = config_with(NULL, "/nowhere/keystate", "AdminGroup root\n");
	assert_config_refused_hint(cfg, 4, "StateFile", "/nowhere/keystate",
	    "directory /nowhere: No such file or directory",
	    "mkdir -m 0700 /nowhere");
	config_free(cfg);
	cfg = config_with(NULL, "/nowhere/keystate", "\tApproval group root\n");
	assert_config_refused_hint(cfg, 4, "StateFile", "/nowhere/keystate",
	    "directory /nowhere: No such file or directory",
	    "mkdir -m 0700 /nowhere");
	config_free(cfg);
	/* An existing but open directory is refused either way. */
	mkdir_mode("openstate", 0777);
	cfg = config_with(NULL, at("openstate/keystate"), "");
	snprintf(want, sizeof(want),
	    "directory %s: writable by group and "
	    "others (mode 0777)",
	    at("openstate"));
	assert_config_refused(cfg, 4, "StateFile", at("openstate/keystate"),
	    want);
	config_free(cfg);
}

/* The not-writable check, run with the effective uid it is given. */
static int
statefile_not_writable_as(uid_t uid)
{
	struct config *cfg;
	char want[CONFIG_ERR_MAX];
	int r;

	cfg = config_with(NULL, at("ro/keystate"), "AdminGroup root\n");
	if (uid != geteuid() && seteuid(uid) == -1)
		return -1;
	r = filetrust_config(cfg, geteuid(), err, sizeof(err));
	config_free(cfg);
	snprintf(want, sizeof(want),
	    "%s:4: StateFile %s: directory %s: not "
	    "writable (Permission denied), and AdminGroup or Approval must "
	    "write there: refusing",
	    at("csignd.conf"), at("ro/keystate"), at("ro"));
	return r == -1 && strcmp(err, want) == 0 ? 0 : -1;
}

/*
 * A StateFile directory csignd cannot write is refused too.  Root may
 * write anywhere (but on a read-only mount), so as root the check runs
 * in a child with the effective uid of nobody.
 */
static void
test_statefile_directory_must_be_writable(void **state)
{
	struct passwd *pw;
	pid_t pid;
	int status;

	(void)state;
	mkdir_mode("ro", 0555);
	if (geteuid() != 0) {
		assert_int_equal(statefile_not_writable_as(geteuid()), 0);
		return;
	}
	assert_non_null(pw = getpwnam("nobody"));
	if ((pid = fork()) == 0)
		_exit(statefile_not_writable_as(pw->pw_uid) == 0 ? 0 : 1);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_closed_file_in_closed_directories_is_trusted),
		cmocka_unit_test(test_group_writable_file_is_refused),
		cmocka_unit_test(test_world_writable_file_is_refused),
		cmocka_unit_test(test_group_writable_parent_is_refused),
		cmocka_unit_test(test_sticky_directory_is_trusted_only_above),
		cmocka_unit_test(test_file_of_another_user_is_refused),
		cmocka_unit_test(
		    test_symlink_into_an_open_directory_is_refused),
		cmocka_unit_test(test_missing_or_wrong_type_is_refused),
		cmocka_unit_test(test_config_with_closed_files_passes),
		cmocka_unit_test(
		    test_config_names_the_first_offender_and_its_line),
		cmocka_unit_test(test_config_file_and_directories_are_checked),
		cmocka_unit_test(test_credential_pinfile_is_skipped),
		cmocka_unit_test(
		    test_missing_directories_are_refused_with_a_hint),
		cmocka_unit_test(test_pidfile_directory_is_checked),
		cmocka_unit_test(
		    test_statefile_directory_must_exist_when_it_is_written),
		cmocka_unit_test(test_statefile_directory_must_be_writable),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
