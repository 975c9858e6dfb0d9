/*
 * test_auditrec.c: the audit record format: records formatted as the
 * links of a chain, and every kind of damage to them found
 * (proto/auditrec.c, auditparse.c).
 */
#include "audit_test.h"

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
	static const char want[] =
	    "{\"seq\":1,"
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
			     AUDIT_HASH_HEX),
	    0);
	/* The hash is SHA-256 of the bytes before ,"hash":" */
	hashed = (size_t)(strstr(line, ",\"hash\":\"") - line);
	assert_int_equal(EVP_Digest(line, hashed, md, &mdlen, EVP_sha256(),
			     NULL),
	    1);
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
	assert_non_null(strstr(line,
	    "\"event\":\"start\",\"result\":\"ok\","
	    "\"prev\":"));
	assert_null(strstr(line, "\"uid\""));
	assert_null(strstr(line, "\"size\""));
}

static void
test_format_writes_approval_and_timestamp_fields_last(void **state)
{
	struct audit_event ev = { .event = "sign",
		.result = "ok",
		.has_request = 1,
		.request = 17,
		.approvers = "carol,dave",
		.tsa = "http://127.0.0.1:3180/tsa",
		.timestamp = "20261123180000Z" };
	char line[LINE_BUF], v[64];
	struct audit_chain c;
	int n;

	(void)state;
	auditrec_chain_init(&c);
	assert_true(
	    (n = auditrec_format(line, sizeof(line), &c, T0, 0, &ev)) > 0);
	assert_non_null(strstr(line,
	    "\"result\":\"ok\",\"request\":17,"
	    "\"approvers\":\"carol,dave\",\"tsa\":\"http://127.0.0.1:3180/tsa\","
	    "\"timestamp\":\"20261123180000Z\",\"prev\":"));
	assert_int_equal(auditrec_get(line, (size_t)n - 1, "request", v,
			     sizeof(v)),
	    0);
	assert_string_equal(v, "17");
	auditrec_chain_init(&c);
	assert_int_equal(auditrec_check(line, (size_t)n - 1, &c, NULL), 0);
}

static void
test_format_escapes_hostile_artifact_names(void **state)
{
	static const char name[] =
	    "q\"b\\n\nc\001d\177"
	    "\377\303\251\342\202\254\355\240\200\300\257\360\237\230\200x";
	static const char want[] =
	    "\"artifact\":\"q\\\"b\\\\n\\u000ac"
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
			     sizeof(got)),
	    0);
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
	assert_non_null(strstr(line,
	    "\"artifact\":\"a\\u202eb\\u2066c"
	    "\342\200\251\""));
	assert_int_equal(auditrec_get(line, (size_t)n - 1, "artifact", got,
			     sizeof(got)),
	    0);
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
			     sizeof(got)),
	    0);
	assert_string_equal(got, "release");
	assert_int_equal(auditrec_get(line, (size_t)n - 1, "artifact", got,
			     sizeof(got)),
	    0);
	assert_string_equal(got, ev.artifact);
	assert_int_equal(auditrec_get(line, (size_t)n - 1, "seq", got,
			     sizeof(got)),
	    0);
	assert_string_equal(got, "1");
	assert_int_equal(auditrec_get(line, (size_t)n - 1, "nope", got,
			     sizeof(got)),
	    -1);
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
					     &why),
			    0);
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
	assert_string_equal(why,
	    "prev does not match the previous record "
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
	assert_string_equal(why,
	    "prev does not match the previous record "
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_then_check_round_trips_a_chain),
		cmocka_unit_test(
		    test_format_writes_the_fields_in_the_fixed_order),
		cmocka_unit_test(test_format_leaves_out_absent_fields),
		cmocka_unit_test(
		    test_format_writes_approval_and_timestamp_fields_last),
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
