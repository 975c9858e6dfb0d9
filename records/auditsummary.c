/* auditsummary.c: the syslog line of each durable audit record (audit.h). */
#include "records/audithandle.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/* Longest string field in a syslog summary. */
#define SUMMARY_FIELD 128

/*
 * Copy s for a syslog line: printable ASCII only, anything else (and
 * backslash, quote, and space unless quoted) as \xNN, cut to fit; in
 * quotes if asked.  "-" if absent.
 */
static const char *
summary_str(const char *s, int quoted, char *dst, size_t dstlen)
{
	size_t n = 0;
	unsigned char c;

	if (s == NULL)
		return "-";
	if (quoted)
		dst[n++] = '"';
	for (; *s != '\0' && n + 6 < dstlen; s++) {
		c = (unsigned char)*s;
		if (c > 0x20 && c < 0x7f && c != '\\' && c != '"')
			dst[n++] = (char)c;
		else if (c == ' ' && quoted)
			dst[n++] = ' ';
		else
			n +=
			    (size_t)snprintf(dst + n, dstlen - n, "\\x%02x", c);
	}
	if (quoted)
		dst[n++] = '"';
	dst[n] = '\0';
	return dst;
}

/*
 * The syslog summary of a durable record.  The full hash goes
 * with it: the syslog copy anchors the chain outside the file, and a
 * shortened hash would be cheap to match with a forged record.
 */
static void
item_summary(const struct audit_item *it, char *dst, size_t dstlen)
{
	char ev[SUMMARY_FIELD], user[SUMMARY_FIELD], key[SUMMARY_FIELD];
	char fmt[SUMMARY_FIELD], art[2 * SUMMARY_FIELD], res[SUMMARY_FIELD];
	char why[2 * SUMMARY_FIELD];

	snprintf(dst, dstlen,
	    "seq=%" PRIu64 " event=%s "
	    "user=%s key=%s format=%s artifact=%s result=%s reason=%s "
	    "hash=%s",
	    it->seq, summary_str(it->ev.event, 0, ev, sizeof(ev)),
	    summary_str(it->ev.has_peer ? it->ev.user : NULL, 0, user,
		sizeof(user)),
	    summary_str(it->ev.key, 0, key, sizeof(key)),
	    summary_str(it->ev.format, 0, fmt, sizeof(fmt)),
	    summary_str(it->ev.artifact, 1, art, sizeof(art)),
	    summary_str(it->ev.result, 0, res, sizeof(res)),
	    summary_str(it->ev.reason, 1, why, sizeof(why)), it->hash);
}

/*
 * The summaries of a committed batch's durable records, SUMMARY_LINE
 * bytes each ("" for a failed record), taken before the items are handed
 * back; NULL if out of memory (then syslog misses this batch).
 */
char *
audit_batch_summaries(const struct audit_item *batch, size_t n)
{
	char *sums = calloc(n ? n : 1, SUMMARY_LINE);
	size_t i = 0;

	if (sums == NULL)
		return NULL;
	for (; batch != NULL && i < n; batch = batch->next, i++)
		if (batch->ok && batch->seq != 0)
			item_summary(batch, sums + i * SUMMARY_LINE,
			    SUMMARY_LINE);
	return sums;
}
