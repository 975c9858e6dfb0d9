/* search.c: csign-audit search, which records match given fields. */
#include "audit/tool.h"
#include "common/utf8.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>

/* Room for a record time, 2026-11-23T15:09:01.123456Z (27), and more. */
#define TIME_LEN 48

struct search {
	const char *key; /* NULL: any */
	const char *user;
	const char *format;
	const char *event;    /* "all": any */
	char since[TIME_LEN]; /* "": no bound */
	char until[TIME_LEN];
	int json;
	int bad; /* a line was skipped */
};

/* Read exactly n decimal digits at *p into *v. */
static int
take_digits(const char **p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return -1;
		*v = *v * 10 + (**p - '0');
	}
	return 0;
}

/* Consume one of the characters of set at *p. */
static int
take_char(const char **p, const char *set)
{
	if (**p == '\0' || strchr(set, **p) == NULL)
		return -1;
	(*p)++;
	return 0;
}

/* Consume an optional fraction of a second (.f to .ffffff) as µs. */
static int
take_frac(const char **p, long *usec)
{
	int n = 0;

	*usec = 0;
	if (take_char(p, ".") == -1)
		return 0;
	for (; n < 6 && **p >= '0' && **p <= '9'; n++, (*p)++)
		*usec = *usec * 10 + (**p - '0');
	if (n == 0)
		return -1;
	for (; n < 6; n++)
		*usec *= 10;
	return 0;
}

/* Whether y-m-d is a day of the Gregorian calendar. */
static int
date_valid(int y, int m, int d)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (m < 1 || m > 12 || d < 1)
		return 0;
	return d <= mdays[m - 1] + (m == 2 && leap);
}

/* Consume the time of day THH:MM:SS[.f]Z. */
static int
take_clock(const char **p, int *h, int *mi, int *s, long *usec)
{
	if (take_char(p, "Tt") == -1 || take_digits(p, 2, h) == -1 ||
	    take_char(p, ":") == -1 || take_digits(p, 2, mi) == -1 ||
	    take_char(p, ":") == -1 || take_digits(p, 2, s) == -1 ||
	    take_frac(p, usec) == -1 || take_char(p, "Zz") == -1)
		return -1;
	return *h <= 23 && *mi <= 59 && *s <= 59 ? 0 : -1;
}

/*
 * Parse a time bound, YYYY-MM-DD (midnight UTC) or YYYY-MM-DDTHH:MM:SS[.f]Z,
 * into the exact form of the records' "time": those compare as strings.
 */
static int
parse_when(const char *s, char out[TIME_LEN])
{
	int y, mo, d, h = 0, mi = 0, sec = 0;
	const char *p = s;
	long usec = 0;

	if (take_digits(&p, 4, &y) == -1 || take_char(&p, "-") == -1 ||
	    take_digits(&p, 2, &mo) == -1 || take_char(&p, "-") == -1 ||
	    take_digits(&p, 2, &d) == -1 || !date_valid(y, mo, d))
		return -1;
	if (*p != '\0' && take_clock(&p, &h, &mi, &sec, &usec) == -1)
		return -1;
	if (*p != '\0')
		return -1;
	snprintf(out, TIME_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", y, mo,
	    d, h, mi, sec, usec);
	return 0;
}

/* Whether the record's field name equals want (NULL: anything goes). */
static int
field_is(const struct line_reader *r, const char *name, const char *want)
{
	char v[AUDIT_LINE_MAX];

	if (want == NULL)
		return 1;
	return auditrec_get(r->buf, r->len, name, v, sizeof(v)) == 0 &&
	    strcmp(v, want) == 0;
}

/* Whether the record's time lies in [since, until). */
static int
time_in_range(const struct search *s, const struct line_reader *r)
{
	char t[TIME_LEN];

	if (s->since[0] == '\0' && s->until[0] == '\0')
		return 1;
	if (auditrec_get(r->buf, r->len, "time", t, sizeof(t)) == -1)
		return 0;
	return (s->since[0] == '\0' || strcmp(t, s->since) >= 0) &&
	    (s->until[0] == '\0' || strcmp(t, s->until) < 0);
}

/* Whether the record passes every filter. */
static int
search_match(const struct search *s, const struct line_reader *r)
{
	const char *event = strcmp(s->event, "all") == 0 ? NULL : s->event;

	return field_is(r, "event", event) && field_is(r, "key", s->key) &&
	    field_is(r, "user", s->user) && field_is(r, "format", s->format) &&
	    time_in_range(s, r);
}

/*
 * Print a field for a terminal: artifact names come from clients, so only
 * printable ASCII goes out as is; anything else, space and backslash
 * become \xNN, which also keeps the columns apart.  "-" if absent.
 */
static void
print_field(const struct line_reader *r, const char *name)
{
	char v[AUDIT_LINE_MAX];

	if (auditrec_get(r->buf, r->len, name, v, sizeof(v)) == -1 ||
	    v[0] == '\0') {
		fputs("-", stdout);
		return;
	}
	for (const unsigned char *p = (unsigned char *)v; *p != '\0'; p++) {
		if (*p > 0x20 && *p < 0x7f && *p != '\\')
			putchar(*p);
		else
			printf("\\x%02x", *p);
	}
}

/*
 * After the columns, the fields only some records have, as name=value:
 * the event of every record that is not a signature (start, deny,
 * rotate...), the reason of a refusal or an error, the approval request
 * and its approvers, the TSA and its time, the listener (via pesign).
 */
static void
print_extras(const struct line_reader *r)
{
	static const char *const extras[] = { "reason", "request", "approvers",
		"tsa", "timestamp", "via" };
	char v[AUDIT_LINE_MAX];

	if (auditrec_get(r->buf, r->len, "event", v, sizeof(v)) == 0 &&
	    strcmp(v, "sign") != 0) {
		printf(" event=");
		print_field(r, "event");
	}

	for (size_t i = 0; i < sizeof(extras) / sizeof(extras[0]); i++) {
		if (auditrec_get(r->buf, r->len, extras[i], v, sizeof(v)) == -1)
			continue;
		printf(" %s=", extras[i]);
		print_field(r, extras[i]);
	}
}

/* time user key format artifact digest_alg:digest result [extras] */
static void
print_record(const struct line_reader *r)
{
	static const char *const cols[] = { "time", "user", "key", "format",
		"artifact" };

	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		print_field(r, cols[i]);
		putchar(' ');
	}
	print_field(r, "digest_alg");
	putchar(':');
	print_field(r, "digest");
	putchar(' ');
	print_field(r, "result");
	print_extras(r);
	putchar('\n');
}

/*
 * The record as it is, except that a bidirectional control written raw
 * (by a version before the writer escaped them) is shown as its \u
 * escape: the same JSON string, but one a terminal cannot reorder.
 */
static void
print_json_line(const struct line_reader *r)
{
	const uint8_t *p = (const uint8_t *)r->buf;
	size_t i = 0, n;
	unsigned cp;

	while (i < r->len) {
		n = utf8_len(p + i, r->len - i);
		if (n == 0)
			n = 1;
		if ((cp = utf8_bidi_control(p + i, n)) != 0)
			printf("\\u%04x", cp);
		else
			fwrite(p + i, 1, n, stdout);
		i += n;
	}
	putchar('\n');
}

/*
 * Only well-formed records with a correct own hash are listed; anything
 * else is reported and makes the exit status 1.  Whether the records
 * still form one chain is verify's question, not search's.
 */
static void
search_line(struct search *s, const struct line_reader *r, enum line_status st)
{
	char prev[AUDIT_HASH_HEX + 1], hash[AUDIT_HASH_HEX + 1];
	uint64_t seq;

	if (st != LINE_OK ||
	    auditrec_fields(r->buf, r->len, &seq, prev, hash) == -1) {
		fprintf(stderr,
		    "%s:%lu: malformed or altered record, "
		    "skipped\n",
		    r->path, r->lineno);
		s->bad = 1;
		return;
	}
	if (!search_match(s, r))
		return;
	if (s->json)
		print_json_line(r);
	else
		print_record(r);
}

/* List the matching records of one file. */
static int
search_file(struct search *s, const char *path)
{
	struct line_reader r;
	enum line_status st;

	if (line_open(&r, path) == -1) {
		fprintf(stderr, TOOL_NAME ": %s: %s\n", path, strerror(errno));
		return TOOL_FAIL;
	}
	while ((st = line_next(&r)) != LINE_EOF && st != LINE_ERROR)
		search_line(s, &r, st);
	if (st == LINE_ERROR)
		fprintf(stderr, TOOL_NAME ": %s: %s\n", path, strerror(errno));
	line_close(&r);
	return st == LINE_ERROR ? TOOL_FAIL : TOOL_OK;
}

/* Apply one option; -1 for a bad time. */
static int
search_option(struct search *s, int c, const char *arg)
{
	switch (c) {
	case 'k':
		s->key = arg;
		break;
	case 'u':
		s->user = arg;
		break;
	case 'f':
		s->format = arg;
		break;
	case 'e':
		s->event = arg;
		break;
	case 'j':
		s->json = 1;
		break;
	case 's':
		return parse_when(arg, s->since);
	case 't':
		return parse_when(arg, s->until);
	}
	return 0;
}

int
search_main(int argc, char **argv)
{
	static const struct option opts[] = { { "key", required_argument, NULL,
						  'k' },
		{ "user", required_argument, NULL, 'u' },
		{ "format", required_argument, NULL, 'f' },
		{ "event", required_argument, NULL, 'e' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	struct search s = { .event = "sign" };
	int c, rc = TOOL_OK;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h') {
			tool_usage(stdout);
			return TOOL_OK;
		}
		if (c == '?' || c == ':')
			return tool_bad_option(c, argv);
		if (search_option(&s, c, optarg) == -1)
			return tool_usage_error("bad time: %s", optarg);
	}
	if (optind == argc)
		return tool_usage_error("%s", "search: no file given");
	for (int i = optind; i < argc; i++)
		if (search_file(&s, argv[i]) != TOOL_OK)
			rc = TOOL_FAIL;
	return rc == TOOL_OK && s.bad ? TOOL_FAIL : rc;
}
