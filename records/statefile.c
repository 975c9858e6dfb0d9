/* statefile.c: checked opening and atomic replacement (see statefile.h). */
#include "records/statefile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"

#define TMP_SUFFIX ".tmp-"
#define TMP_RANDOM 6 /* the XXXXXX of mkostemp */

/* Explain a failed open of path: a planted link gets its own words. */
static void
open_error(const char *path, const char *what, int e, char *err, size_t errlen)
{
	if (e == ELOOP)
		snprintf(err, errlen,
		    "%s %s: is a symbolic link; refusing to "
		    "follow it (the file must be a regular file)",
		    what, path);
	else
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(e));
}

FILE *
statefile_open(const char *path, const char *what, int *missing, char *err,
    size_t errlen)
{
	struct stat st;
	FILE *f;
	int fd;

	*missing = 0;
	fd = open(path,
	    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1) {
		if (errno == ENOENT) {
			*missing = 1;
			return NULL;
		}
		open_error(path, what, errno, err, errlen);
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 022)) {
		snprintf(err, errlen,
		    "%s %s: must be a regular file of the "
		    "daemon's user, not writable by group or others",
		    what, path);
		close(fd);
		return NULL;
	}
	if ((f = fdopen(fd, "r")) == NULL) {
		open_error(path, what, errno, err, errlen);
		close(fd);
	}
	return f;
}

FILE *
statefile_tmp(const char *path, const char *what, char *tmp, size_t tmplen,
    char *err, size_t errlen)
{
	FILE *f;
	int fd, n;

	n = snprintf(tmp, tmplen, "%s" TMP_SUFFIX "XXXXXX", path);
	if (n < 0 || (size_t)n >= tmplen) {
		snprintf(err, errlen, "%s %s: path too long", what, path);
		return NULL;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		return NULL;
	}
	if ((f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		close(fd);
		unlink(tmp);
	}
	return f;
}

int
statefile_finish(FILE *f, const char *tmp, const char *what, char *err,
    size_t errlen)
{
	int bad = fflush(f) != 0 || ferror(f) || fsync(fileno(f)) == -1;
	int e = errno;

	if (fclose(f) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	if (!bad)
		return 0;
	snprintf(err, errlen, "%s %s: %s", what, tmp, strerror(e));
	unlink(tmp);
	return -1;
}

/* fsync the directory that holds path, so a rename in it is durable. */
static int
dir_sync(const char *path)
{
	char *copy = strdup(path);
	int fd, r = -1;

	if (copy == NULL)
		return -1;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd == -1)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

int
statefile_replace(const char *tmp, const char *path, const char *what,
    char *err, size_t errlen)
{
	if (rename(tmp, path) == -1) {
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	/* The new file is in place; only the rename's durability is unsure. */
	if (dir_sync(path) == -1)
		log_warn("%s %s: replaced, but its directory cannot be synced",
		    what, path);
	return 0;
}

/* 1 if name is base followed by ".tmp-" and mkostemp's six characters. */
static int
is_tmp_name(const char *name, const char *base)
{
	size_t n = strlen(base), s = strlen(TMP_SUFFIX);

	return strncmp(name, base, n) == 0 &&
	    strncmp(name + n, TMP_SUFFIX, s) == 0 &&
	    strlen(name + n + s) == TMP_RANDOM &&
	    strchr(name + n + s, '/') == NULL;
}

int
statefile_clean(const char *path)
{
	char *dcopy = strdup(path), *bcopy = strdup(path);
	const char *base;
	struct dirent *e;
	struct stat st;
	DIR *dir = NULL;
	int dfd, n = 0;

	if (dcopy == NULL || bcopy == NULL ||
	    (dir = opendir(dirname(dcopy))) == NULL)
		goto out;
	base = basename(bcopy);
	dfd = dirfd(dir);
	while ((e = readdir(dir)) != NULL) {
		if (!is_tmp_name(e->d_name, base) ||
		    fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(st.st_mode) || st.st_uid != geteuid())
			continue;
		if (unlinkat(dfd, e->d_name, 0) == 0) {
			log_info("removed %s, a temporary file left by an "
				 "interrupted write of %s",
			    e->d_name, path);
			n++;
		}
	}
out:
	if (dir != NULL)
		closedir(dir);
	free(dcopy);
	free(bcopy);
	return n;
}
