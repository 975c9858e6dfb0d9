/*
 * test_audit: the audit record format (proto/auditrec.c, auditparse.c)
 * and csignd's audit log writer with its group commit (records/audit.c,
 * auditwriter.c, auditfile.c, auditsummary.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "records/audit.h"
#include "records/audithandle.h"
#include "common/log.h"
#include "proto/auditrec.h"

#define T0 INT64_C(1795446541)	/* 2026-11-23T15:09:01Z */
#define LINE_BUF (AUDIT_LINE_MAX + 1)
#define HEX64_AB                                                              \
	"abababababababababababababababababababababababababababababababab"
#define HEX64_CD                                                              \
	"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
#define ZEROS64                                                               \
	"0000000000000000000000000000000000000000000000000000000000000000"

/* A per-test directory holding the log. */
struct fixture {
	char dir[64];
	char path[96];
};

/* What the callbacks of a test have seen. */
struct calls {
	int n;
	int ok;
	int failed;
};

/* A signing event as csignd would log it. */
static struct audit_event
sign_event(const char *artifact)
{
	struct audit_event ev = {
		.event = "sign",
		.has_peer = 1,
		.uid = 1000,
		.user = "alice",
		.groups = { 1000, 27 },
		.ngroups = 2,
		.pid = 4242,
		.key = "release",
		.cert_sha256 = HEX64_AB,
		.format = "cms",
		.artifact = artifact,
		.has_size = 1,
		.size = 12345,
		.digest_alg = "sha256",
		.digest_hex = HEX64_CD,
		.result = "ok",
	};
	return ev;
}

/* Format record number i (0-based) of a test chain; its length. */
static size_t
format_one(char *line, struct audit_chain *c, int i)
{
	static const char *const artifacts[] = { "a.bin", "b.tar", "c.ko" };
	struct audit_event ev = sign_event(artifacts[i % 3]);
	int n;

	if (i % 4 == 3) {
		ev.event = "deny";
		ev.result = "denied";
		ev.reason = "key not allowed for user";
	}
	n = auditrec_format(line, LINE_BUF, c, T0 + i, 123456, &ev);
	assert_true(n > 0);
	assert_int_equal(line[n - 1], '\n');
	return (size_t)n - 1;
}

/* Format n chained records into lines[] (lengths without '\n'). */
static void
make_chain(char (*lines)[LINE_BUF], size_t *lens, int n)
{
	struct audit_chain c;

	auditrec_chain_init(&c);
	for (int i = 0; i < n; i++)
		lens[i] = format_one(lines[i], &c, i);
}

static void
test_format_then_check_round_trips_a_chain(void **state)
{
	char lines[6][LINE_BUF];
	struct audit_chain c;
	size_t lens[6];
	const char *why = NULL;

	(void)state;
	make_chain(lines, lens, 6);
	auditrec_chain_init(&c);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(auditrec_check(lines[i], lens[i], &c, &why),
		    0);
		assert_int_equal(c.seq, (uint64_t)i + 1);
	}
}

static void
test_format_writes_the_fields_in_the_fixed_order(void **state)
{
	static const char want[] = "{\"seq\":1,"
	    "\"time\":\"2026-11-23T15:09:01.123456Z\",\"event\":\"sign\","
	    "\"uid\":1000,\"user\":\"alice\",\"groups\":[1000,27],"
	    "\"pid\":4242,\"key\":\"release\",\"cert_sha256\":\"" HEX64_AB
	    "\",\"format\":\"cms\",\"artifact\":\"a.bin\",\"size\":12345,"
	    "\"digest_alg\":\"sha256\",\"digest\":\"" HEX64_CD "\","
	    "\"result\":\"ok\",\"prev\":\"" ZEROS64 "\",\"hash\":\"";
	char line[LINE_BUF], hex[2 * EVP_MAX_MD_SIZE + 1];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct audit_chain c;
	size_t len, hashed;

	(void)state;
	auditrec_chain_init(&c);
	len = format_one(line, &c, 0);
	assert_int_equal(strncmp(line, want, sizeof(want) - 1), 0);
	assert_int_equal(len, sizeof(want) - 1 + AUDIT_HASH_HEX + 2);
	assert_int_equal(strncmp(line + len - 2 - AUDIT_HASH_HEX, c.hash,
	    AUDIT_HASH_HEX), 0);
	/* The hash is SHA-256 of the bytes before ,"hash":" */
	hashed = (size_t)(strstr(line, ",\"hash\":\"") - line);
	assert_int_equal(EVP_Digest(line, hashed, md, &mdlen, EVP_sha256(),
	    NULL), 1);
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	assert_string_equal(hex, c.hash);
}

static void
test_format_leaves_out_absent_fields(void **state)
{
	struct audit_event ev = { .event = "start", .result = "ok" };
	char line[LINE_BUF];
	struct audit_chain c;

	(void)state;
	auditrec_chain_init(&c);
	assert_true(auditrec_format(line, sizeof(line), &c, T0, 0, &ev) > 0);
	assert_non_null(strstr(line, "\"event\":\"start\",\"result\":\"ok\","
	    "\"prev\":"));
	assert_null(strstr(line, "\"uid\""));
	assert_null(strstr(line, "\"size\""));
}

static void
test_format_writes_approval_and_timestamp_fields_last(void **state)
{
	struct audit_event ev = { .event = "sign", .result = "ok",
		.has_request = 1, .request = 17, .approvers = "carol,dave",
		.tsa = "http://127.0.0.1:3180/tsa",
		.timestamp = "20261123180000Z" };
	char line[LINE_BUF], v[64];
	struct audit_chain c;
	int n;

	(void)state;
	auditrec_chain_init(&c);
	assert_true((n = auditrec_format(line, sizeof(line), &c, T0, 0,
	    &ev)) > 0);
	assert_non_null(strstr(line, "\"result\":\"ok\",\"request\":17,"
	    "\"approvers\":\"carol,dave\",\"tsa\":\"http://127.0.0.1:3180/tsa\","
	    "\"timestamp\":\"20261123180000Z\",\"prev\":"));
	assert_int_equal(auditrec_get(line, (size_t)n - 1, "request", v,
	    sizeof(v)), 0);
	assert_string_equal(v, "17");
	auditrec_chain_init(&c);
	assert_int_equal(auditrec_check(line, (size_t)n - 1, &c, NULL), 0);
}

/* Whether every byte of s is printable ASCII or part of valid UTF-8. */
static int
clean_text(const char *s)
{
	for (const unsigned char *u = (const unsigned char *)s; *u; u++)
		if (*u < 0x20 || *u == 0x7f)
			return 0;
	return 1;
}

static void
test_format_escapes_hostile_artifact_names(void **state)
{
	static const char name[] = "q\"b\\n\nc\001d\177"
	    "\377\303\251\342\202\254\355\240\200\300\257\360\237\230\200x";
	static const char want[] = "\"artifact\":\"q\\\"b\\\\n\\u000ac"
	    "\\u0001d\\u007f\\u00ff\303\251\342\202\254\\u00ed\\u00a0"
	    "\\u0080\\u00c0\\u00af\360\237\230\200x\"";
	struct audit_event ev = sign_event(name);
	char line[LINE_BUF], got[256];
	struct audit_chain c;
	int n;

	(void)state;
	auditrec_chain_init(&c);
	n = auditrec_format(line, sizeof(line), &c, T0, 0, &ev);
	assert_true(n > 0);
	line[n - 1] = '\0';
	assert_non_null(strstr(line, want));
	assert_true(clean_text(line));
	auditrec_chain_init(&c);
	assert_int_equal(auditrec_check(line, (size_t)n - 1, &c, NULL), 0);
	assert_int_equal(auditrec_get(line, (size_t)n - 1, "artifact", got,
	    sizeof(got)), 0);
	assert_int_equal(strncmp(got, name, 10), 0);
	assert_int_equal(strncmp(got + 10, "\303\277\303\251", 4), 0);
}

/* Bidirectional controls are written as \u escapes, read back as is. */
static void
test_format_escapes_bidi_controls(void **state)
{
	static const char name[] = "a\342\200\256b\342\201\246c\342\200\251";
	struct audit_event ev = sign_event(name);
	char line[LINE_BUF], got[64];
	struct audit_chain c;
	int n;

	(void)state;
	auditrec_chain_init(&c);
	n = auditrec_format(line, sizeof(line), &c, T0, 0, &ev);
	assert_true(n > 0);
	line[n - 1] = '\0';
	assert_non_null(strstr(line, "\"artifact\":\"a\\u202eb\\u2066c"
	    "\342\200\251\""));
	assert_int_equal(auditrec_get(line, (size_t)n - 1, "artifact", got,
	    sizeof(got)), 0);
	assert_string_equal(got, name);
	auditrec_chain_init(&c);
	assert_int_equal(auditrec_check(line, (size_t)n - 1, &c, NULL), 0);
}

static void
test_get_ignores_field_names_inside_string_values(void **state)
{
	struct audit_event ev = sign_event("x\",\"key\":\"evil\",\"y\":\"");
	char line[LINE_BUF], got[128];
	struct audit_chain c;
	int n;

	(void)state;
	auditrec_chain_init(&c);
	n = auditrec_format(line, sizeof(line), &c, T0, 0, &ev);
	assert_true(n > 0);
	assert_int_equal(auditrec_get(line, (size_t)n - 1, "key", got,
	    sizeof(got)), 0);
	assert_string_equal(got, "release");
	assert_int_equal(auditrec_get(line, (size_t)n - 1, "artifact", got,
	    sizeof(got)), 0);
	assert_string_equal(got, ev.artifact);
	assert_int_equal(auditrec_get(line, (size_t)n - 1, "seq", got,
	    sizeof(got)), 0);
	assert_string_equal(got, "1");
	assert_int_equal(auditrec_get(line, (size_t)n - 1, "nope", got,
	    sizeof(got)), -1);
	assert_int_equal(auditrec_get(line, (size_t)n - 1, "key", got, 4), -1);
}

static void
test_check_detects_every_single_byte_edit(void **state)
{
	static const unsigned char flips[] = { 0x01, 0x20, 0x80 };
	char lines[2][LINE_BUF], edit[LINE_BUF];
	struct audit_chain c;
	size_t lens[2];
	const char *why;

	(void)state;
	make_chain(lines, lens, 2);
	for (size_t f = 0; f < sizeof(flips); f++) {
		for (size_t i = 0; i < lens[1]; i++) {
			memcpy(edit, lines[1], lens[1] + 1);
			edit[i] = (char)(edit[i] ^ flips[f]);
			auditrec_chain_init(&c);
			assert_int_equal(auditrec_check(lines[0], lens[0], &c,
			    &why), 0);
			why = NULL;
			if (auditrec_check(edit, lens[1], &c, &why) != -1)
				fail_msg("edit at byte %zu not detected", i);
			assert_non_null(why);
			assert_int_equal(c.seq, 1);
		}
	}
}

static void
test_check_detects_a_removed_record(void **state)
{
	char lines[3][LINE_BUF];
	struct audit_chain c;
	size_t lens[3];
	const char *why = NULL;

	(void)state;
	make_chain(lines, lens, 3);
	auditrec_chain_init(&c);
	assert_int_equal(auditrec_check(lines[0], lens[0], &c, &why), 0);
	assert_int_equal(auditrec_check(lines[2], lens[2], &c, &why), -1);
	assert_string_equal(why, "prev does not match the previous record "
	    "(record removed or reordered)");
	/* Nor may a chain start with anything but its first record. */
	auditrec_chain_init(&c);
	assert_int_equal(auditrec_check(lines[1], lens[1], &c, &why), -1);
}

static void
test_check_detects_reordered_records(void **state)
{
	char lines[3][LINE_BUF];
	struct audit_chain c;
	size_t lens[3];
	const char *why = NULL;

	(void)state;
	make_chain(lines, lens, 3);
	auditrec_chain_init(&c);
	assert_int_equal(auditrec_check(lines[0], lens[0], &c, &why), 0);
	assert_int_equal(auditrec_check(lines[2], lens[2], &c, &why), -1);
	assert_int_equal(auditrec_check(lines[1], lens[1], &c, &why), 0);
	assert_int_equal(auditrec_check(lines[1], lens[1], &c, &why), -1);
	assert_string_equal(why, "prev does not match the previous record "
	    "(record removed or reordered)");
}

static void
test_check_detects_a_sequence_number_out_of_order(void **state)
{
	char lines[2][LINE_BUF];
	struct audit_chain c;
	size_t lens[2];
	const char *why = NULL;

	(void)state;
	make_chain(lines, lens, 2);
	auditrec_chain_init(&c);
	assert_int_equal(auditrec_check(lines[0], lens[0], &c, &why), 0);
	c.seq = 7;
	assert_int_equal(auditrec_check(lines[1], lens[1], &c, &why), -1);
	assert_string_equal(why, "sequence number out of order");
}

static void
test_check_reports_malformed_and_altered_records(void **state)
{
	char lines[1][LINE_BUF], edit[LINE_BUF];
	struct audit_chain c;
	size_t lens[1];
	const char *why = NULL;

	(void)state;
	make_chain(lines, lens, 1);
	auditrec_chain_init(&c);
	assert_int_equal(auditrec_check("", 0, &c, &why), -1);
	assert_string_equal(why, "malformed record");
	assert_int_equal(auditrec_check(lines[0], lens[0] - 1, &c, &why), -1);
	assert_string_equal(why, "malformed record");
	memcpy(edit, lines[0], lens[0] + 1);
	memcpy(strstr(edit, "alice"), "mallo", 5);
	assert_int_equal(auditrec_check(edit, lens[0], &c, &why), -1);
	assert_string_equal(why, "record hash mismatch (record altered)");
	assert_int_equal(c.seq, 0);
}

static void
test_fields_reads_the_chain_fields(void **state)
{
	char lines[2][LINE_BUF], prev[AUDIT_HASH_HEX + 1];
	char hash[AUDIT_HASH_HEX + 1];
	struct audit_chain c;
	size_t lens[2];
	uint64_t seq;

	(void)state;
	make_chain(lines, lens, 2);
	auditrec_chain_init(&c);
	assert_int_equal(auditrec_check(lines[0], lens[0], &c, NULL), 0);
	assert_int_equal(auditrec_fields(lines[1], lens[1], &seq, prev, hash),
	    0);
	assert_int_equal(seq, 2);
	assert_string_equal(prev, c.hash);
	assert_int_equal(auditrec_check(lines[1], lens[1], &c, NULL), 0);
	assert_string_equal(hash, c.hash);
}

static void
test_format_refuses_a_record_longer_than_a_line(void **state)
{
	char *name = malloc(AUDIT_LINE_MAX);
	char line[LINE_BUF];
	struct audit_event ev;
	struct audit_chain c;

	(void)state;
	assert_non_null(name);
	memset(name, 'a', AUDIT_LINE_MAX - 1);
	name[AUDIT_LINE_MAX - 1] = '\0';
	ev = sign_event(name);
	auditrec_chain_init(&c);
	assert_int_equal(auditrec_format(line, sizeof(line), &c, T0, 0, &ev),
	    -1);
	assert_int_equal(c.seq, 0);
	assert_string_equal(c.hash, ZEROS64);
	free(name);
}

/* Make a fresh directory for the test's log. */
static int
fixture_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/csign-test-audit.XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	snprintf(fx->path, sizeof(fx->path), "%s/audit.jsonl", fx->dir);
	*state = fx;
	return 0;
}

static int
fixture_teardown(void **state)
{
	struct fixture *fx = *state;
	struct rlimit rl;

	/* Lift a file size limit a failed test may have left behind. */
	if (getrlimit(RLIMIT_FSIZE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_FSIZE, &rl);
	}
	unlink(fx->path);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static void
count_cb(void *arg, int ok)
{
	struct calls *calls = arg;

	calls->n++;
	if (ok)
		calls->ok++;
	else
		calls->failed++;
}

/* Dispatch callbacks as the event loop would until want have run. */
static void
wait_calls(struct audit *a, struct calls *calls, int want)
{
	struct pollfd pfd = { .fd = audit_notify_fd(a), .events = POLLIN };

	while (calls->n < want) {
		if (poll(&pfd, 1, 20000) != 1)
			fail_msg("no callbacks after 20 s (%d of %d)",
			    calls->n, want);
		audit_dispatch(a);
	}
	assert_int_equal(calls->n, want);
}

/* Check that path holds one intact chain of n records from seq 1. */
static void
assert_log_chain(const char *path, uint64_t n, struct audit_chain *c)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	const char *why = NULL;
	uint64_t got = 0;
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	auditrec_chain_init(c);
	while ((len = getline(&line, &cap, f)) > 0) {
		assert_int_equal(line[len - 1], '\n');
		if (auditrec_check(line, (size_t)len - 1, c, &why) == -1)
			fail_msg("record %ju: %s", (uintmax_t)got + 1, why);
		got++;
	}
	free(line);
	fclose(f);
	assert_int_equal(got, n);
}

/* Size of the file at path. */
static off_t
file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static void
test_audit_writes_durable_records_and_calls_back_ok(void **state)
{
	struct fixture *fx = *state;
	struct audit_event ev = sign_event("pkg.tar");
	struct calls calls = { 0 };
	struct audit_chain c;
	struct audit *a;
	struct stat st;
	char err[256];

	a = audit_open(fx->path, err, sizeof(err));
	assert_non_null(a);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	for (int i = 0; i < 10; i++)
		assert_int_equal(audit_submit(a, &ev, count_cb, &calls), 0);
	assert_true(audit_pending(a) <= 10);
	wait_calls(a, &calls, 10);
	assert_int_equal(calls.ok, 10);
	assert_int_equal(audit_pending(a), 0);
	audit_close(a);
	assert_log_chain(fx->path, 10, &c);
}

static void
test_audit_write_sync_is_durable_on_return(void **state)
{
	struct fixture *fx = *state;
	struct audit_event ev = { .event = "start", .result = "ok" };
	struct audit_chain c;
	struct audit *a;
	char err[256];

	a = audit_open(fx->path, err, sizeof(err));
	assert_non_null(a);
	assert_int_equal(audit_write_sync(a, &ev), 0);
	assert_log_chain(fx->path, 1, &c);
	assert_int_equal(audit_write_sync(a, &ev), 0);
	assert_log_chain(fx->path, 2, &c);
	audit_close(a);
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

static void
test_audit_open_refuses_a_damaged_last_record(void **state)
{
	struct fixture *fx = *state;
	char err[256] = "";

	write_log(fx->path, 2);
	poke_from_end(fx->path, 200, 'X');
	assert_null(audit_open(fx->path, err, sizeof(err)));
	assert_non_null(strstr(err, "last record is damaged; refusing to "
	    "extend a broken chain"));
	assert_int_equal(strncmp(err, fx->path, strlen(fx->path)), 0);
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
	assert_null(fgets(pattern, sizeof(pattern), p));	/* only one */
	pclose(p);
	assert_non_null(f = fopen(name, "r"));
	n = fread(text, 1, textlen - 1, f);
	text[n] = '\0';
	fclose(f);
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
	assert_non_null(strstr(last, "torn last record (22 bytes without a "
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
	assert_non_null(strstr(err, "is a symbolic link; refusing to "
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

static void
test_audit_write_failure_calls_back_not_ok(void **state)
{
	struct audit_event ev = sign_event("pkg.tar");
	struct calls calls = { 0 };
	struct audit *a;
	char err[256];

	(void)state;
	a = audit_open("/dev/full", err, sizeof(err));
	if (a == NULL)
		skip();
	assert_int_equal(audit_submit(a, &ev, count_cb, &calls), 0);
	assert_int_equal(audit_submit(a, &ev, count_cb, &calls), 0);
	wait_calls(a, &calls, 2);
	assert_int_equal(calls.failed, 2);
	assert_int_equal(audit_write_sync(a, &ev), -1);
	audit_close(a);
}

/* Let files grow to at most max bytes (RLIM_INFINITY: no limit). */
static void
limit_file_size(rlim_t max)
{
	struct rlimit rl;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &rl), 0);
	rl.rlim_cur = max == RLIM_INFINITY ? rl.rlim_max : max;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

/*
 * RLIMIT_FSIZE makes the batch's write() stop part way (then EFBIG): the
 * writer must cut the file back and link the next record to the last
 * durable one.
 */
static void
test_audit_failed_batch_is_rolled_back_and_the_chain_kept(void **state)
{
	struct fixture *fx = *state;
	struct audit_event ev = sign_event("pkg.tar");
	struct calls calls = { 0 };
	struct audit_chain c;
	struct audit *a;
	char err[256];
	off_t size;

	signal(SIGXFSZ, SIG_IGN);
	assert_non_null(a = audit_open(fx->path, err, sizeof(err)));
	assert_int_equal(audit_write_sync(a, &ev), 0);
	size = file_size(fx->path);
	limit_file_size((rlim_t)size + 10);
	assert_int_equal(audit_submit(a, &ev, count_cb, &calls), 0);
	wait_calls(a, &calls, 1);
	assert_int_equal(audit_write_sync(a, &ev), -1);
	limit_file_size(RLIM_INFINITY);
	assert_int_equal(calls.failed, 1);
	assert_int_equal(file_size(fx->path), size);
	assert_int_equal(audit_write_sync(a, &ev), 0);
	audit_close(a);
	assert_log_chain(fx->path, 2, &c);
}

static void
test_audit_submit_copies_the_event_strings(void **state)
{
	struct fixture *fx = *state;
	struct calls calls = { 0 };
	struct audit_event ev;
	struct audit_chain c;
	struct audit *a;
	char name[32], err[256], *line = NULL;
	size_t cap = 0;
	FILE *f;

	snprintf(name, sizeof(name), "original.bin");
	ev = sign_event(name);
	assert_non_null(a = audit_open(fx->path, err, sizeof(err)));
	assert_int_equal(audit_submit(a, &ev, count_cb, &calls), 0);
	snprintf(name, sizeof(name), "changed!.bin");
	wait_calls(a, &calls, 1);
	audit_close(a);
	assert_log_chain(fx->path, 1, &c);
	assert_non_null(f = fopen(fx->path, "r"));
	assert_true(getline(&line, &cap, f) > 0);
	assert_non_null(strstr(line, "\"artifact\":\"original.bin\""));
	free(line);
	fclose(f);
}

/* A client thread of the concurrency test. */
struct submitter {
	struct audit *a;
	struct calls calls;	/* touched only by the dispatching thread */
	int n;
	int refused;
};

static void *
submit_many(void *arg)
{
	struct submitter *s = arg;
	struct audit_event ev = sign_event("concurrent.bin");

	for (int i = 0; i < s->n; i++)
		if (audit_submit(s->a, &ev, count_cb, &s->calls) == -1)
			s->refused++;
	return NULL;
}

static void
test_audit_records_concurrent_submissions_in_one_chain(void **state)
{
	struct fixture *fx = *state;
	struct submitter subs[4];
	struct calls all = { 0 };
	pthread_t tids[4];
	struct audit_chain c;
	struct audit *a;
	char err[256];
	struct pollfd pfd;
	int total = 0;

	assert_non_null(a = audit_open(fx->path, err, sizeof(err)));
	for (int i = 0; i < 4; i++) {
		subs[i] = (struct submitter){ .a = a, .n = 50 };
		assert_int_equal(pthread_create(&tids[i], NULL, submit_many,
		    &subs[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(tids[i], NULL);
	pfd = (struct pollfd){ .fd = audit_notify_fd(a), .events = POLLIN };
	while (total < 200) {
		assert_int_equal(poll(&pfd, 1, 20000), 1);
		audit_dispatch(a);
		total = subs[0].calls.n + subs[1].calls.n + subs[2].calls.n +
		    subs[3].calls.n;
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(subs[i].refused, 0);
		all.ok += subs[i].calls.ok;
	}
	assert_int_equal(all.ok, 200);
	audit_close(a);
	assert_log_chain(fx->path, 200, &c);
}

static void
test_audit_close_drops_undispatched_callbacks(void **state)
{
	struct fixture *fx = *state;
	struct audit_event ev = sign_event("pkg.tar");
	struct calls calls = { 0 };
	struct audit_chain c;
	struct audit *a;
	char err[256];

	assert_non_null(a = audit_open(fx->path, err, sizeof(err)));
	for (int i = 0; i < 3; i++)
		assert_int_equal(audit_submit(a, &ev, count_cb, &calls), 0);
	audit_close(a);
	assert_int_equal(calls.n, 0);
	assert_log_chain(fx->path, 3, &c);
	audit_close(NULL);
	audit_dispatch(NULL);
	assert_int_equal(audit_pending(NULL), 0);
	assert_int_equal(audit_notify_fd(NULL), -1);
	assert_int_equal(audit_submit(NULL, &ev, count_cb, &calls), -1);
	assert_int_equal(audit_write_sync(NULL, &ev), -1);
}

/* A queued item as the writer holds it once its record is written. */
static struct audit_item *
written_item(const struct audit_event *ev, uint64_t seq, int ok)
{
	struct audit_item *it = calloc(1, sizeof(*it));

	assert_non_null(it);
	it->ev = *ev;
	it->seq = seq;
	it->ok = ok;
	memcpy(it->hash, HEX64_AB, sizeof(it->hash));
	return it;
}

/*
 * The syslog copy of a record is one line a client cannot forge: its
 * artifact name is escaped (no newline, quote or backslash gets through
 * raw), unquoted fields carry no space, and the whole hash goes with it.
 * A record that was not written has no line.
 */
static void
test_syslog_summary_escapes_and_keeps_the_whole_hash(void **state)
{
	struct audit_event ev = sign_event("evil\n\"a\" \\ \xc3\xa9");
	struct audit_event anon = sign_event("x");
	char big[1000];
	struct audit_item *it[4];
	char *sums;

	(void)state;
	anon.has_peer = 0;
	anon.key = "two words";
	anon.reason = "said \"no\"";
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	it[0] = written_item(&ev, 7, 1);
	it[1] = written_item(&anon, 8, 1);
	it[2] = written_item(&ev, 9, 0);
	it[3] = written_item(&ev, 10, 1);
	it[3]->ev.artifact = big;
	for (int i = 0; i < 3; i++)
		it[i]->next = it[i + 1];
	assert_non_null(sums = audit_batch_summaries(it[0], 4));
	assert_string_equal(sums, "seq=7 event=sign user=alice key=release "
	    "format=cms artifact=\"evil\\x0a\\x22a\\x22 \\x5c \\xc3\\xa9\" "
	    "result=ok reason=- hash=" HEX64_AB);
	assert_string_equal(sums + SUMMARY_LINE, "seq=8 event=sign user=- "
	    "key=two\\x20words format=cms artifact=\"x\" result=ok "
	    "reason=\"said \\x22no\\x22\" hash=" HEX64_AB);
	assert_string_equal(sums + 2 * SUMMARY_LINE, "");
	assert_non_null(strstr(sums + 3 * SUMMARY_LINE, "\" result=ok reason=- "
	    "hash=" HEX64_AB));
	assert_true(strlen(sums + 3 * SUMMARY_LINE) < SUMMARY_LINE);
	free(sums);
	for (int i = 0; i < 4; i++)
		free(it[i]);
}

#define FX(t)                                                                  \
	cmocka_unit_test_setup_teardown(t, fixture_setup, fixture_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_then_check_round_trips_a_chain),
		cmocka_unit_test(
		    test_format_writes_the_fields_in_the_fixed_order),
		cmocka_unit_test(test_format_leaves_out_absent_fields),
		cmocka_unit_test(test_format_writes_approval_and_timestamp_fields_last),
		cmocka_unit_test(test_format_escapes_hostile_artifact_names),
		cmocka_unit_test(test_format_escapes_bidi_controls),
		cmocka_unit_test(
		    test_get_ignores_field_names_inside_string_values),
		cmocka_unit_test(test_check_detects_every_single_byte_edit),
		cmocka_unit_test(test_check_detects_a_removed_record),
		cmocka_unit_test(test_check_detects_reordered_records),
		cmocka_unit_test(
		    test_check_detects_a_sequence_number_out_of_order),
		cmocka_unit_test(
		    test_check_reports_malformed_and_altered_records),
		cmocka_unit_test(test_fields_reads_the_chain_fields),
		cmocka_unit_test(
		    test_format_refuses_a_record_longer_than_a_line),
		FX(test_audit_writes_durable_records_and_calls_back_ok),
		FX(test_audit_write_sync_is_durable_on_return),
		FX(test_audit_reopen_continues_the_chain),
		FX(test_audit_open_refuses_a_damaged_last_record),
		FX(test_audit_open_recovers_a_torn_last_line),
		FX(test_audit_open_recovers_a_torn_only_record),
		FX(test_audit_open_refuses_a_torn_line_after_a_damaged_record),
		FX(test_audit_open_refuses_a_symbolic_link),
		FX(test_audit_open_refuses_a_last_line_that_is_no_record),
		FX(test_audit_open_refuses_a_log_in_use),
		cmocka_unit_test(test_audit_write_failure_calls_back_not_ok),
		FX(test_audit_failed_batch_is_rolled_back_and_the_chain_kept),
		FX(test_audit_submit_copies_the_event_strings),
		FX(test_audit_records_concurrent_submissions_in_one_chain),
		FX(test_audit_close_drops_undispatched_callbacks),
		cmocka_unit_test(
		    test_syslog_summary_escapes_and_keeps_the_whole_hash),
	};

	/* The writer's warnings about the failures provoked here are noise. */
	log_init("test_audit", LOG_TO_STDERR, LOG_LVL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
