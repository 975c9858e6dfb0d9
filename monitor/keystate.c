/* keystate.c: the disabled keys and their StateFile (see keystate.h). */
#include "monitor/keystate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	struct stat st;
	FILE *f;
	int r = 0;

	if ((ks = calloc(1, sizeof(*ks))) == NULL ||
	    (ks->path = strdup(path)) == NULL ||
	    (ks->e = calloc(KEYSTATE_MAX, sizeof(*ks->e))) == NULL) {
		snprintf(err, errlen, "out of memory");
		keystate_free(ks);
		return NULL;
	}
	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return ks;
		snprintf(err, errlen, "StateFile %s: %s", path, strerror(errno));
		keystate_free(ks);
		return NULL;
	}
	if (fstat(fileno(f), &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 022)) {
		snprintf(err, errlen, "StateFile %s: must be a regular file of "
		    "the daemon's user, not writable by others", path);
		r = -1;
	} else
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

/* Write the whole state to path atomically; 0 or -1 with err set. */
static int
keystate_write(const struct keystate *ks, char *err, size_t errlen)
{
	char tmp[4096];
	FILE *f;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", ks->path) >=
	    (int)sizeof(tmp) || (fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "StateFile %s: %s", ks->path,
		    strerror(errno));
		return -1;
	}
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(tmp);
		snprintf(err, errlen, "StateFile %s: %s", ks->path,
		    strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < ks->n; i++)
		fprintf(f, "%s\t%lld\t%u\t%s\n", ks->e[i].key,
		    (long long)ks->e[i].when, (unsigned)ks->e[i].uid,
		    ks->e[i].reason);
	if (fflush(f) != 0 || fsync(fileno(f)) == -1 || fclose(f) != 0 ||
	    rename(tmp, ks->path) == -1) {
		snprintf(err, errlen, "StateFile %s: %s", ks->path,
		    strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
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

int
keystate_set(struct keystate *ks, const char *key, int disabled, uid_t uid,
    time_t when, const char *reason, char *err, size_t errlen)
{
	struct keystate_entry saved, *e;
	size_t i;
	int added;

	for (i = 0; i < ks->n && strcmp(ks->e[i].key, key) != 0; i++)
		;
	if (!disabled) {
		if (i == ks->n)
			return 0;
		saved = ks->e[i];
		ks->e[i] = ks->e[--ks->n];
		if (keystate_write(ks, err, errlen) == -1) {
			ks->e[ks->n++] = ks->e[i];
			ks->e[i] = saved;
			return -1;
		}
		return 0;
	}
	if (i == ks->n && ks->n == KEYSTATE_MAX) {
		snprintf(err, errlen, "too many disabled keys");
		return -1;
	}
	added = i == ks->n;
	e = &ks->e[i];
	saved = *e;
	snprintf(e->key, sizeof(e->key), "%s", key);
	reason_clean(e->reason, sizeof(e->reason), reason);
	e->uid = uid;
	e->when = when;
	if (added)
		ks->n++;
	if (keystate_write(ks, err, errlen) == -1) {
		if (added)
			ks->n--;
		else
			*e = saved;
		return -1;
	}
	return 0;
}
