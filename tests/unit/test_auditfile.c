/*
 * test_auditfile.c: the audit log file: opened, recovered from its
 * tail (a torn last record moved aside), refused when it cannot be
 * extended, and reopened for rotation (records/auditfile.c).
 */
#include "audit_test.h"

/* Write a log of n records at path through the writer. */
static void
write_log(const char *path, int n)
{
	struct audit_event ev = sign_event("pkg.tar");
	struct audit *a;
	char err[256];

	assert_non_null(a = audit_open(path, err, sizeof(err)));
	for (int i = 0; i < n; i++)
		assert_int_equal(audit_write_sync(a, &ev), 0);
	audit_close(a);
}

/* Overwrite one byte of the file, counting back from its end. */
static void
poke_from_end(const char *path, long back, char ch)
{
	FILE *f = fopen(path, "r+");

	assert_non_null(f);
	assert_int_equal(fseek(f, -back, SEEK_END), 0);
	assert_int_equal(fputc(ch, f), ch);
	assert_int_equal(fclose(f), 0);
}

/* Append text to the file. */
static void
append_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "a");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

/* The one "audit.jsonl.torn-*" file next to the log: its name, contents. */
static void
torn_file(const struct fixture *fx, char *name, size_t namelen, char *text,
    size_t textlen)
{
	char pattern[160];
	FILE *p, *f;
	size_t n;

	snprintf(pattern, sizeof(pattern), "ls %s/audit.jsonl.torn-*", fx->dir);
	assert_non_null(p = popen(pattern, "r"));
	assert_non_null(fgets(name, (int)namelen, p));
	name[strcspn(name, "\n")] = '\0';
	assert_null(fgets(pattern, sizeof(pattern), p)); /* only one */
	pclose(p);
	assert_non_null(f = fopen(name, "r"));
	n = fread(text, 1, textlen - 1, f);
	text[n] = '\0';
	fclose(f);
}

static void
test_audit_reopen_continues_the_chain(void **state)
{
	struct fixture *fx = *state;
	struct audit_event ev = sign_event("pkg.tar");
	struct calls calls = { 0 };
	struct audit_chain c;
	struct audit *a;
	char err[256];

	assert_non_null(a = audit_open(fx->path, err, sizeof(err)));
	assert_int_equal(audit_write_sync(a, &ev), 0);
	assert_int_equal(audit_write_sync(a, &ev), 0);
	audit_close(a);
	assert_non_null(a = audit_open(fx->path, err, sizeof(err)));
	assert_int_equal(audit_submit(a, &ev, count_cb, &calls), 0);
	wait_calls(a, &calls, 1);
	assert_int_equal(calls.ok, 1);
	audit_close(a);
	assert_log_chain(fx->path, 3, &c);
	assert_int_equal(c.seq, 3);
}

static void
test_audit_open_refuses_a_damaged_last_record(void **state)
{
	struct fixture *fx = *state;
	char err[256] = "";

	write_log(fx->path, 2);
	poke_from_end(fx->path, 200, 'X');
	assert_null(audit_open(fx->path, err, sizeof(err)));
	assert_non_null(strstr(err,
	    "last record is damaged; refusing to "
	    "extend a broken chain"));
	assert_int_equal(strncmp(err, fx->path, strlen(fx->path)), 0);
}

/*
 * A power cut in the middle of a write leaves a last line without a
 * newline: it is kept in LOG.torn-TIME, cut from the log, and the first
 * record says so, linked to the last complete record.
 */
static void
test_audit_open_recovers_a_torn_last_line(void **state)
{
	struct fixture *fx = *state;
	struct audit_event ev = sign_event("after.bin");
	char err[256] = "", name[256], text[256], last[LINE_BUF];
	struct audit_chain c;
	struct audit *a;
	const char *rec;
	size_t len;
	FILE *f;

	write_log(fx->path, 2);
	assert_non_null(f = fopen(fx->path, "r"));
	assert_non_null(fgets(last, sizeof(last), f));
	assert_non_null(fgets(last, sizeof(last), f));
	fclose(f);
	append_text(fx->path, "{\"seq\":3,\"time\":\"2026-");
	assert_non_null(a = audit_open(fx->path, err, sizeof(err)));
	assert_non_null(rec = audit_last_record(a, &len));
	assert_int_equal(len, strlen(last) - 1);
	assert_memory_equal(rec, last, len);
	assert_int_equal(audit_write_sync(a, &ev), 0);
	audit_close(a);
	assert_log_chain(fx->path, 4, &c);
	torn_file(fx, name, sizeof(name), text, sizeof(text));
	assert_string_equal(text, "{\"seq\":3,\"time\":\"2026-");
	assert_non_null(f = fopen(fx->path, "r"));
	for (int i = 0; i < 3; i++)
		assert_non_null(fgets(last, sizeof(last), f));
	fclose(f);
	assert_non_null(strstr(last, "\"seq\":3,"));
	assert_non_null(strstr(last, "\"event\":\"log-recover\""));
	assert_non_null(strstr(last,
	    "torn last record (22 bytes without a "
	    "newline"));
	assert_non_null(strstr(last, name));
	unlink(name);
}

/* A log that is nothing but a torn first record starts a new chain. */
static void
test_audit_open_recovers_a_torn_only_record(void **state)
{
	struct fixture *fx = *state;
	char err[256] = "", name[256], text[64];
	struct audit_chain c;
	struct audit *a;
	size_t len;

	append_text(fx->path, "{\"seq\":1,\"ti");
	assert_non_null(a = audit_open(fx->path, err, sizeof(err)));
	assert_null(audit_last_record(a, &len));
	audit_close(a);
	assert_log_chain(fx->path, 1, &c);
	torn_file(fx, name, sizeof(name), text, sizeof(text));
	assert_string_equal(text, "{\"seq\":1,\"ti");
	unlink(name);
}

/* A torn line is only cut if what is left ends in a sound record. */
static void
test_audit_open_refuses_a_torn_line_after_a_damaged_record(void **state)
{
	struct fixture *fx = *state;
	char err[256] = "", name[256], text[64];

	write_log(fx->path, 2);
	poke_from_end(fx->path, 200, 'X');
	append_text(fx->path, "{\"seq\":3");
	assert_null(audit_open(fx->path, err, sizeof(err)));
	assert_non_null(strstr(err, "last record is damaged"));
	torn_file(fx, name, sizeof(name), text, sizeof(text));
	unlink(name);
}

/* A symbolic link planted at the log's path is never followed. */
static void
test_audit_open_refuses_a_symbolic_link(void **state)
{
	struct fixture *fx = *state;
	char err[512] = "", target[128];
	struct stat st;

	snprintf(target, sizeof(target), "%s/elsewhere", fx->dir);
	assert_int_equal(symlink(target, fx->path), 0);
	assert_null(audit_open(fx->path, err, sizeof(err)));
	assert_non_null(strstr(err,
	    "is a symbolic link; refusing to "
	    "follow it"));
	assert_int_equal(stat(target, &st), -1);
	assert_int_equal(errno, ENOENT);
}

static void
test_audit_open_refuses_a_last_line_that_is_no_record(void **state)
{
	struct fixture *fx = *state;
	char err[256] = "";

	append_text(fx->path, "hello\n");
	assert_null(audit_open(fx->path, err, sizeof(err)));
	assert_non_null(strstr(err, "last record is damaged"));
}

static void
test_audit_open_refuses_a_log_in_use(void **state)
{
	struct fixture *fx = *state;
	struct audit *a;
	char err[256] = "";

	assert_non_null(a = audit_open(fx->path, err, sizeof(err)));
	assert_null(audit_open(fx->path, err, sizeof(err)));
	assert_non_null(strstr(err, "in use"));
	audit_close(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		FX(test_audit_reopen_continues_the_chain),
		FX(test_audit_open_refuses_a_damaged_last_record),
		FX(test_audit_open_recovers_a_torn_last_line),
		FX(test_audit_open_recovers_a_torn_only_record),
		FX(test_audit_open_refuses_a_torn_line_after_a_damaged_record),
		FX(test_audit_open_refuses_a_symbolic_link),
		FX(test_audit_open_refuses_a_last_line_that_is_no_record),
		FX(test_audit_open_refuses_a_log_in_use),
	};

	/* The writer's warnings about the failures provoked here are noise. */
	log_init("test_auditfile", LOG_TO_STDERR, LOG_LVL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
