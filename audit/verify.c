/* verify.c: csign-audit verify, the hash chain check across files. */
#include "audit/tool.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

struct verify {
	struct audit_chain chain;
	int quiet;
	int from_middle;	 /* link the first record to its own prev */
	int started;		 /* a record has been seen */
	unsigned long recovered; /* log-recover records seen */
};

/* Report the broken record as FILE:LINE: seq S: why. */
static int
verify_report(const struct line_reader *r, const char *why)
{
	char seq[32];

	if (auditrec_get(r->buf, r->len, "seq", seq, sizeof(seq)) == -1)
		snprintf(seq, sizeof(seq), "?");
	fprintf(stderr, "%s:%lu: seq %s: %s\n", r->path, r->lineno, seq, why);
	return TOOL_FAIL;
}

/*
 * Start the chain at the first record.  By default it must be the first
 * of a chain (seq 1, prev all zeros).  With --from-middle the chain is
 * taken from that record's own seq and prev, so that a log whose older
 * files were rotated away can still be checked from where it begins.
 */
static void
verify_seed(struct verify *v, const struct line_reader *r)
{
	char prev[AUDIT_HASH_HEX + 1], hash[AUDIT_HASH_HEX + 1];
	uint64_t seq;

	if (v->started)
		return;
	v->started = 1;
	if (!v->from_middle ||
	    auditrec_fields(r->buf, r->len, &seq, prev, hash) == -1)
		return;
	v->chain.seq = seq - 1;
	memcpy(v->chain.hash, prev, sizeof(v->chain.hash));
}

/*
 * A "log-recover" record: csignd found a torn last record (an interrupted
 * write) when it started, moved it aside and went on from the last
 * complete record.  The chain is intact across it, but the gap is worth
 * saying.
 */
static void
verify_note(struct verify *v, const struct line_reader *r)
{
	char ev[32], why[1024];

	if (auditrec_get(r->buf, r->len, "event", ev, sizeof(ev)) == -1 ||
	    strcmp(ev, "log-recover") != 0)
		return;
	v->recovered++;
	if (v->quiet)
		return;
	if (auditrec_get(r->buf, r->len, "reason", why, sizeof(why)) == -1)
		snprintf(why, sizeof(why), "?");
	printf("%s:%lu: seq %" PRIu64 ": note: log recovered at start: %s\n",
	    r->path, r->lineno, v->chain.seq, why);
}

/* 1 if the record is the "rotate" record a rotated log's file starts with. */
static int
is_rotate(const struct line_reader *r)
{
	char ev[16];

	return auditrec_get(r->buf, r->len, "event", ev, sizeof(ev)) == 0 &&
	    strcmp(ev, "rotate") == 0;
}

/* Check one line as the next link of the chain. */
static int
verify_line(struct verify *v, const struct line_reader *r, enum line_status st)
{
	const char *why;
	int first;

	if (st == LINE_LONG)
		return verify_report(r, "malformed record (line too long)");
	if (st == LINE_PARTIAL)
		return verify_report(r,
		    "malformed record (no newline at the end; a torn last "
		    "record: csignd moves it aside when it starts)");
	first = !v->started;
	verify_seed(v, r);
	if (auditrec_check(r->buf, r->len, &v->chain, &why) == -1)
		return verify_report(r,
		    first && is_rotate(r)
			? "a \"rotate\" record: this file continues a rotated log; "
			  "check the files before it too, oldest first (csign-audit "
			  "verify audit.jsonl-* audit.jsonl), or this one alone with "
			  "--from-middle"
			: why);
	verify_note(v, r);
	return TOOL_OK;
}

/* Check every record of one file, continuing the chain. */
static int
verify_file(struct verify *v, const char *path)
{
	struct line_reader r;
	enum line_status st;
	unsigned long n = 0, before = v->recovered;
	int rc = TOOL_OK;

	if (line_open(&r, path) == -1) {
		fprintf(stderr, TOOL_NAME ": %s: %s\n", path, strerror(errno));
		return TOOL_FAIL;
	}
	while (rc == TOOL_OK && (st = line_next(&r)) != LINE_EOF) {
		if (st == LINE_ERROR) {
			fprintf(stderr, TOOL_NAME ": %s: %s\n", path,
			    strerror(errno));
			rc = TOOL_FAIL;
		} else if ((rc = verify_line(v, &r, st)) == TOOL_OK)
			n++;
	}
	line_close(&r);
	if (rc == TOOL_OK && !v->quiet)
		printf("%s: %lu records, chain intact (last seq %" PRIu64
		       ", hash %s)%s\n",
		    path, n, v->chain.seq, v->chain.hash,
		    v->recovered > before ? "; torn record recovered (see "
					    "note)"
					  : "");
	return rc;
}

int
verify_main(int argc, char **argv)
{
	static const struct option opts[] = { { "quiet", no_argument, NULL,
						  'q' },
		{ "from-middle", no_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	struct verify v = { .quiet = 0 };
	int c;

	auditrec_chain_init(&v.chain);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			v.quiet = 1;
			break;
		case 'm':
			v.from_middle = 1;
			break;
		case 'h':
			tool_usage(stdout);
			return TOOL_OK;
		default:
			return tool_bad_option(c, argv);
		}
	}
	if (optind == argc)
		return tool_usage_error("%s", "verify: no file given");
	for (int i = optind; i < argc; i++)
		if (verify_file(&v, argv[i]) != TOOL_OK)
			return TOOL_FAIL;
	return TOOL_OK;
}
