/* keystate.c: the disabled keys and their StateFile (see keystate.h). */
#include "records/keystate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "records/statefile.h"

/* Parse one line "KEY\tTIME\tUID\tREASON" into e; 0 or -1. */
static int
entry_parse(char *line, struct keystate_entry *e)
{
	char *f[4], *end;
	unsigned long long t, u;

	for (int i = 0; i < 4; i++) {
		f[i] = line;
		if (i < 3 && (line = strchr(line, '\t')) == NULL)
			return -1;
		if (i < 3)
			*line++ = '\0';
	}
	if (f[0][0] == '\0' || strlen(f[0]) > KEY_NAME_MAX ||
	    strlen(f[3]) > MESSAGE_MAX)
		return -1;
	errno = 0;
	t = strtoull(f[1], &end, 10);
	if (errno != 0 || *end != '\0' || f[1][0] == '\0')
		return -1;
	u = strtoull(f[2], &end, 10);
	if (errno != 0 || *end != '\0' || f[2][0] == '\0' || u > UINT32_MAX)
		return -1;
	snprintf(e->key, sizeof(e->key), "%s", f[0]);
	snprintf(e->reason, sizeof(e->reason), "%s", f[3]);
	e->when = (time_t)t;
	e->uid = (uid_t)u;
	return 0;
}

/* Read the open state file f into ks. */
static int
load_lines(struct keystate *ks, FILE *f, char *err, size_t errlen)
{
	char line[KEY_NAME_MAX + MESSAGE_MAX + 64];
	int lineno = 0;

	while (fgets(line, sizeof(line), f) != NULL) {
		char *nl = strchr(line, '\n');

		lineno++;
		if (nl != NULL)
			*nl = '\0';
		if (nl == NULL || ks->n == KEYSTATE_MAX ||
		    entry_parse(line, &ks->e[ks->n]) == -1) {
			snprintf(err, errlen, "%s:%d: malformed key state line",
			    ks->path, lineno);
			return -1;
		}
		ks->n++;
	}
	return 0;
}

struct keystate *
keystate_load(const char *path, char *err, size_t errlen)
{
	struct keystate *ks;
	FILE *f;
	int missing, r;

	if ((ks = calloc(1, sizeof(*ks))) == NULL ||
	    (ks->path = strdup(path)) == NULL ||
	    (ks->e = calloc(KEYSTATE_MAX, sizeof(*ks->e))) == NULL) {
		snprintf(err, errlen, "out of memory");
		keystate_free(ks);
		return NULL;
	}
	(void)statefile_clean(path);
	if ((f = statefile_open(path, "StateFile", &missing, err, errlen)) ==
	    NULL) {
		if (missing)
			return ks;
		keystate_free(ks);
		return NULL;
	}
	r = load_lines(ks, f, err, errlen);
	fclose(f);
	if (r == -1) {
		keystate_free(ks);
		return NULL;
	}
	return ks;
}

void
keystate_free(struct keystate *ks)
{
	if (ks == NULL)
		return;
	free(ks->path);
	free(ks->e);
	free(ks);
}

const struct keystate_entry *
keystate_disabled(const struct keystate *ks, const char *key)
{
	for (size_t i = 0; i < ks->n; i++)
		if (strcmp(ks->e[i].key, key) == 0)
			return &ks->e[i];
	return NULL;
}

/*
 * Write entries e[0..n) to a new temporary file next to the StateFile,
 * durable but not yet in place: 0, or -1 with err set.
 */
static int
keystate_write_tmp(const struct keystate *ks, const struct keystate_entry *e,
    size_t n, char *tmp, size_t tmplen, char *err, size_t errlen)
{
	FILE *f;

	if ((f = statefile_tmp(ks->path, "StateFile", tmp, tmplen, err,
		 errlen)) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\t%lld\t%u\t%s\n", e[i].key, (long long)e[i].when,
		    (unsigned)e[i].uid, e[i].reason);
	return statefile_finish(f, tmp, "StateFile", err, errlen);
}

/* Reasons are one line of printable text (tabs and newlines would break
 * the file's format). */
static void
reason_clean(char *dst, size_t len, const char *reason)
{
	snprintf(dst, len, "%s", reason);
	for (char *p = dst; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
}

/* The new entries e[0..*n), from the current ones and the change. */
static int
change_entries(const struct keystate *ks, struct keystate_entry *e, size_t *n,
    const char *key, int disabled, uid_t uid, time_t when, const char *reason,
    char *err, size_t errlen)
{
	size_t i;

	memcpy(e, ks->e, ks->n * sizeof(*ks->e));
	*n = ks->n;
	for (i = 0; i < *n && strcmp(e[i].key, key) != 0; i++)
		;
	if (!disabled) {
		if (i < *n)
			e[i] = e[--*n];
		return 0;
	}
	if (i == *n && *n == KEYSTATE_MAX) {
		snprintf(err, errlen, "too many disabled keys");
		return -1;
	}
	if (i == *n)
		(*n)++;
	snprintf(e[i].key, sizeof(e[i].key), "%s", key);
	reason_clean(e[i].reason, sizeof(e[i].reason), reason);
	e[i].uid = uid;
	e[i].when = when;
	return 0;
}

int
keystate_prepare(const struct keystate *ks, struct keystate_change *ch,
    const char *key, int disabled, uid_t uid, time_t when, const char *reason,
    char *err, size_t errlen)
{
	struct keystate_entry *e = calloc(KEYSTATE_MAX, sizeof(*e));
	size_t n;

	ch->e = NULL;
	ch->n = 0;
	if (e == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (change_entries(ks, e, &n, key, disabled, uid, when, reason, err,
		errlen) == -1 ||
	    keystate_write_tmp(ks, e, n, ch->tmp, sizeof(ch->tmp), err,
		errlen) == -1) {
		free(e);
		return -1;
	}
	ch->e = e;
	ch->n = n;
	return 0;
}

void
keystate_abort(struct keystate_change *ch)
{
	if (ch->e == NULL)
		return;
	unlink(ch->tmp);
	free(ch->e);
	ch->e = NULL;
}

int
keystate_commit(struct keystate *ks, struct keystate_change *ch, char *err,
    size_t errlen)
{
	struct keystate_entry *old = ks->e;

	if (statefile_replace(ch->tmp, ks->path, "StateFile", err, errlen) ==
	    -1) {
		free(ch->e);
		ch->e = NULL;
		return -1;
	}
	ks->e = ch->e;
	ks->n = ch->n;
	ch->e = NULL;
	free(old);
	return 0;
}

int
keystate_set(struct keystate *ks, const char *key, int disabled, uid_t uid,
    time_t when, const char *reason, char *err, size_t errlen)
{
	struct keystate_change ch;

	if (keystate_prepare(ks, &ch, key, disabled, uid, when, reason, err,
		errlen) == -1)
		return -1;
	return keystate_commit(ks, &ch, err, errlen);
}
