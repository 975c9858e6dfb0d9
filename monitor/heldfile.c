/* heldfile.c: held requests listed on disk for crash recovery. */
#include "monitor/heldfile.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/audit.h"
#include "common/sigcheck.h"
#include "monitor/approval.h"

#define FIELDS 8
#define LINE_MAX_ 1024

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

	hex_encode(h->adigest, h->adigestlen, hex);
	fprintf(f, "%" PRIu64 "\t%u\t%s\t%s\t%s\t%s\t%s\t%" PRIu64 "\n",
	    h->id, (unsigned)h->requester.uid, h->requester.user, h->key,
	    format_name(h->format), digest_name(h->digest), hex, h->size);
}

int
heldfile_save(const char *path, const struct approvals *a, char *err,
    size_t errlen)
{
	char tmp[4096];
	FILE *f;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp) ||
	    (fd = mkostemp(tmp, O_CLOEXEC)) == -1)
		return snprintf(err, errlen, "%s: %s", path, strerror(errno)),
		    -1;
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(tmp);
		return snprintf(err, errlen, "%s: %s", path, strerror(errno)),
		    -1;
	}
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i]->state == HELD_WAITING ||
		    a->v[i]->state == HELD_SIGNING)
			save_one(f, a->v[i]);
	if (fflush(f) != 0 || fsync(fileno(f)) == -1 || fclose(f) != 0 ||
	    rename(tmp, path) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
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

/* Audit the request of one line as cancelled by the restart. */
static int
recover_one(char *line, struct audit *au)
{
	struct audit_event ev = { .event = "approval-cancel", .has_peer = 1,
		.has_size = 1, .has_request = 1, .result = "cancelled",
		.reason = "daemon restarted without a clean stop: held "
		"requests do not survive a restart" };
	char *v[FIELDS], *end;

	line[strcspn(line, "\n")] = '\0';
	if (split(line, v) == -1)
		return -1;
	ev.request = strtoull(v[0], &end, 10);
	if (*end != '\0' || ev.request == 0)
		return -1;
	ev.uid = (uid_t)strtoul(v[1], &end, 10);
	if (*end != '\0')
		return -1;
	ev.user = v[2];
	ev.key = v[3];
	ev.format = v[4];
	ev.digest_alg = v[5];
	ev.digest_hex = v[6];
	ev.size = strtoull(v[7], &end, 10);
	if (*end != '\0')
		return -1;
	return audit_write_sync(au, &ev);
}

int
heldfile_recover(const char *path, struct audit *au, char *err,
    size_t errlen)
{
	char line[LINE_MAX_];
	FILE *f;
	int n = 0, fd;

	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return 0;
		return snprintf(err, errlen, "%s: %s", path, strerror(errno)),
		    -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (recover_one(line, au) == -1) {
			fclose(f);
			return snprintf(err, errlen, "%s: line %d is not a "
			    "held request, or its record cannot be written",
			    path, n + 1), -1;
		}
		n++;
	}
	fclose(f);
	/* Recorded: now empty the list (the records are durable). */
	if ((fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)) == -1 ||
	    fsync(fd) == -1) {
		if (fd != -1)
			close(fd);
		return snprintf(err, errlen, "%s: %s", path, strerror(errno)),
		    -1;
	}
	close(fd);
	return n;
}
