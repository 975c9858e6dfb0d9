/* heldfile.c: held requests listed on disk for crash recovery. */
#include "records/heldfile.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "records/audit.h"
#include "common/log.h"
#include "proto/sigcheck.h"
#include "common/util.h"
#include "records/approval.h"
#include "records/statefile.h"

#define FIELDS 8
#define LINE_MAX_ 1024
#define HELD_LINES_MAX APPROVAL_MAX_HELD
#define WHAT "held list"
#define RECOVER_REASON \
	"daemon restarted without a clean stop: held " \
	"requests do not survive a restart"

/* One line of the list and the record it becomes. */
struct held_line {
	char text[LINE_MAX_];
	struct audit_event ev; /* strings point into text */
};

int
heldfile_path(const char *statefile, char *dst, size_t dstlen)
{
	int n = snprintf(dst, dstlen, "%s.held", statefile);

	return n < 0 || (size_t)n >= dstlen ? -1 : 0;
}

/* One line for h. */
static void
save_one(FILE *f, const struct held *h)
{
	char hex[2 * DIGEST_MAX + 1];

	util_hex(h->adigest, h->adigestlen, hex, sizeof(hex));
	fprintf(f, "%" PRIu64 "\t%u\t%s\t%s\t%s\t%s\t%s\t%" PRIu64 "\n", h->id,
	    (unsigned)h->requester.uid, h->requester.user, h->key,
	    format_name(h->format), digest_name(h->digest), hex, h->size);
}

int
heldfile_save(const char *path, const struct approvals *a, char *err,
    size_t errlen)
{
	char tmp[4200];
	FILE *f;

	if ((f = statefile_tmp(path, WHAT, tmp, sizeof(tmp), err, errlen)) ==
	    NULL)
		return -1;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i]->state == HELD_WAITING ||
		    a->v[i]->state == HELD_SIGNING)
			save_one(f, a->v[i]);
	if (statefile_finish(f, tmp, WHAT, err, errlen) == -1)
		return -1;
	return statefile_replace(tmp, path, WHAT, err, errlen);
}

/* Split line at tabs into exactly FIELDS fields; -1 if it has not. */
static int
split(char *line, char **v)
{
	int n = 0;

	for (char *p = line; n < FIELDS; n++) {
		v[n] = p;
		if ((p = strchr(p, '\t')) == NULL)
			break;
		*p++ = '\0';
	}
	return n == FIELDS - 1 && strchr(v[FIELDS - 1], '\t') == NULL ? 0 : -1;
}

/* Parse one line (its '\n' removed) into the cancel record ev; 0 or -1. */
static int
parse_one(char *line, struct audit_event *ev)
{
	char *v[FIELDS], *end;

	*ev = (struct audit_event){ .event = "approval-cancel",
		.has_peer = 1,
		.has_size = 1,
		.has_request = 1,
		.result = "cancelled",
		.reason = RECOVER_REASON };
	if (split(line, v) == -1)
		return -1;
	errno = 0;
	ev->request = strtoull(v[0], &end, 10);
	if (*end != '\0' || ev->request == 0 || v[0][0] == '\0')
		return -1;
	ev->uid = (uid_t)strtoul(v[1], &end, 10);
	if (*end != '\0' || v[1][0] == '\0')
		return -1;
	ev->user = v[2];
	ev->key = v[3];
	ev->format = v[4];
	ev->digest_alg = v[5];
	ev->digest_hex = v[6];
	ev->size = strtoull(v[7], &end, 10);
	return *end != '\0' || v[7][0] == '\0' || errno != 0 ? -1 : 0;
}

/* Every line of f, parsed; the number, or -1 with err set. */
static int
read_all(FILE *f, const char *path, struct held_line *l, char *err,
    size_t errlen)
{
	int n = 0;

	/* l has room for one line more than a list may hold. */
	while (fgets(l[n].text, sizeof(l[n].text), f) != NULL) {
		char *nl = strchr(l[n].text, '\n');

		if (n == HELD_LINES_MAX)
			return snprintf(err, errlen,
				   "%s %s: more than %d "
				   "lines; not a held list",
				   WHAT, path, HELD_LINES_MAX),
			       -1;
		if (nl == NULL ||
		    (*nl = '\0', parse_one(l[n].text, &l[n].ev) == -1))
			return snprintf(err, errlen,
				   "%s %s: line %d is not a "
				   "held request",
				   WHAT, path, n + 1),
			       -1;
		n++;
	}
	return n;
}

/* 1 if the audit record rec is the recovery record of line l. */
static int
is_record_of(const char *rec, size_t len, const struct audit_event *l)
{
	char f[4][2 * DIGEST_MAX + 1], want[32];

	if (auditrec_get(rec, len, "event", f[0], sizeof(f[0])) == -1 ||
	    strcmp(f[0], "approval-cancel") != 0 ||
	    auditrec_get(rec, len, "reason", f[0], sizeof(f[0])) == -1 ||
	    strcmp(f[0], RECOVER_REASON) != 0 ||
	    auditrec_get(rec, len, "request", f[1], sizeof(f[1])) == -1 ||
	    auditrec_get(rec, len, "uid", f[2], sizeof(f[2])) == -1 ||
	    auditrec_get(rec, len, "digest", f[3], sizeof(f[3])) == -1)
		return 0;
	snprintf(want, sizeof(want), "%" PRIu64, l->request);
	if (strcmp(f[1], want) != 0)
		return 0;
	snprintf(want, sizeof(want), "%u", (unsigned)l->uid);
	return strcmp(f[2], want) == 0 && strcmp(f[3], l->digest_hex) == 0 &&
	    auditrec_get(rec, len, "key", f[0], sizeof(f[0])) == 0 &&
	    strcmp(f[0], l->key) == 0;
}

/*
 * How many leading lines an interrupted recovery already audited.  The
 * recovery records are the first records a start writes (before its
 * "start" record), in the order of the list, so if the log's last record
 * before this start is the record of line k, lines 0..k are done.
 */
static int
already_done(const struct audit *au, const struct held_line *l, int n)
{
	size_t len;
	const char *rec = audit_last_record(au, &len);

	if (rec == NULL)
		return 0;
	for (int k = n - 1; k >= 0; k--)
		if (is_record_of(rec, len, &l[k].ev))
			return k + 1;
	return 0;
}

/* Replace the list with an empty one: 0, or -1 with err set. */
static int
empty_list(const char *path, char *err, size_t errlen)
{
	char tmp[4200];
	FILE *f;

	if ((f = statefile_tmp(path, WHAT, tmp, sizeof(tmp), err, errlen)) ==
		NULL ||
	    statefile_finish(f, tmp, WHAT, err, errlen) == -1)
		return -1;
	return statefile_replace(tmp, path, WHAT, err, errlen);
}

int
heldfile_recover(const char *path, struct audit *au, char *err, size_t errlen)
{
	struct held_line *l;
	FILE *f;
	int missing, n, done = 0;

	(void)statefile_clean(path);
	if ((f = statefile_open(path, WHAT, &missing, err, errlen)) == NULL)
		return missing ? 0 : -1;
	/* One more than a list may hold: read_all() refuses a longer one. */
	if ((l = calloc(HELD_LINES_MAX + 1, sizeof(*l))) == NULL) {
		fclose(f);
		return snprintf(err, errlen, "out of memory"), -1;
	}
	n = read_all(f, path, l, err, errlen);
	fclose(f);
	if (n > 0 && (done = already_done(au, l, n)) > 0)
		log_warnx("%s %s: %d request%s audited by an interrupted "
			  "start already; not audited again",
		    WHAT, path, done, done == 1 ? " was" : "s were");
	for (int i = done; i < n; i++) {
		if (audit_write_sync(au, &l[i].ev) == -1) {
			snprintf(err, errlen,
			    "%s %s: line %d: cannot write its "
			    "audit record",
			    WHAT, path, i + 1);
			n = -1;
			break;
		}
	}
	free(l);
	/* Recorded: now empty the list (the records are durable). */
	if (n == -1 || (n > 0 && empty_list(path, err, errlen) == -1))
		return -1;
	return n - done;
}
