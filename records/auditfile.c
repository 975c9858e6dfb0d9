/*
 * auditfile.c: the audit log file: opened for appending and locked, its
 * chain recovered from the last record (a torn tail moved aside first),
 * and a new file checked before rotation switches to it (audit.h).
 */
#include "records/audithandle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

/* Explain a failed open of the log: a planted link gets its own words. */
static void
open_err(const char *path, int e, char *err, size_t errlen)
{
	if (e == ELOOP)
		audit_set_err(err, errlen,
		    "AuditLog %s: is a symbolic link; "
		    "refusing to follow it (the log must be a regular file)",
		    path);
	else
		audit_set_err(err, errlen, "%s: %s", path, strerror(e));
}

/*
 * Open the log for appending only, never through a symbolic link, and
 * take an exclusive lock on it: two writers would interleave two chains.
 * Also create the notify pipe.
 */
int
audit_log_open(struct audit *a, char *err, size_t errlen)
{
	a->fd = open(a->path,
	    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY,
	    0600);
	if (a->fd == -1) {
		open_err(a->path, errno, err, errlen);
		return -1;
	}
	if (flock(a->fd, LOCK_EX | LOCK_NB) == -1) {
		audit_set_err(err, errlen, "%s: %s", a->path,
		    errno == EWOULDBLOCK ? "in use by another process"
					 : strerror(errno));
		return -1;
	}
	if (pipe2(a->notify, O_NONBLOCK | O_CLOEXEC) == -1) {
		audit_set_err(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Read the last n bytes (size in all) of the log through a second,
 * read-only descriptor, after checking it is the same file as a->fd.
 */
static int
tail_read(struct audit *a, const struct stat *wst, char *buf, size_t n)
{
	struct stat st;
	size_t got = 0;
	ssize_t r = 0;
	int fd;

	if ((fd = open(a->path,
		 O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || st.st_dev != wst->st_dev ||
	    st.st_ino != wst->st_ino) {
		close(fd);
		errno = ESTALE;
		return -1;
	}
	while (got < n) {
		r = pread(fd, buf + got, n - got,
		    wst->st_size - (off_t)(n - got));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got == n)
		return 0;
	if (r == 0)
		errno = EIO;
	return -1;
}

/* Find the last line of buf (n bytes, ending in '\n'); -1 if it may be cut. */
static int
last_line(const char *buf, size_t n, int whole, size_t *start, size_t *len)
{
	size_t i = n - 1;

	while (i > 0 && buf[i - 1] != '\n')
		i--;
	if (i == 0 && !whole)
		return -1;
	*start = i;
	*len = n - 1 - i;
	return 0;
}

/* Keep a copy of the last record, for audit_last_record(). */
static int
keep_last(struct audit *a, const char *line, size_t len)
{
	if ((a->last = malloc(len + 1)) == NULL)
		return -1;
	memcpy(a->last, line, len);
	a->last[len] = '\0';
	a->lastlen = len;
	return 0;
}

/* fsync the directory holding path, so that a new name in it is durable. */
static int
dir_sync(const char *path)
{
	char dir[PATH_MAX_];
	const char *slash = strrchr(path, '/');
	int fd, r;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

/*
 * Write the torn tail (len bytes) to a new file "LOG.torn-TIME" next to
 * the log, durable, before the log is cut: the bytes are kept for
 * whoever investigates.  Its name into dst; 0 or -1 with err set.
 */
static int
torn_save(struct audit *a, const char *p, size_t len, char *dst, size_t dstlen,
    char *err, size_t errlen)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int fd = -1;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (int i = 0; fd == -1 && i < 100; i++) {
		if (i == 0)
			snprintf(dst, dstlen, "%s.torn-%s", a->path, stamp);
		else
			snprintf(dst, dstlen, "%s.torn-%s-%d", a->path, stamp,
			    i);
		fd = open(dst,
		    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd == -1 && errno != EEXIST)
			break;
	}
	if (fd == -1 || util_write_all(fd, p, len) == -1 || fsync(fd) == -1 ||
	    dir_sync(dst) == -1) {
		audit_set_err(err, errlen,
		    "%s: cannot keep the torn last "
		    "record in %s: %s",
		    a->path, dst, strerror(errno));
		if (fd != -1) {
			close(fd);
			unlink(dst);
		}
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * The log ends with a line that has no newline: a write cut short by a
 * crash or a power cut (records are written whole and made durable
 * before anything relies on them, so such a line was never confirmed to
 * anyone).  Keep its bytes in LOG.torn-TIME, cut the log back to its
 * last complete line, and note what was done for the recovery record.
 * buf holds the last n bytes of the file (size in all).
 */
static int
torn_recover(struct audit *a, const char *buf, size_t n, off_t size, char *err,
    size_t errlen)
{
	char saved[PATH_MAX_ + 64];
	size_t i = n;

	while (i > 0 && buf[i - 1] != '\n')
		i--;
	if (i == 0 && (off_t)n != size) {
		audit_set_err(err, errlen,
		    "%s: last line is incomplete and "
		    "longer than any record; refusing to extend a broken "
		    "chain",
		    a->path);
		return -1;
	}
	if (torn_save(a, buf + i, n - i, saved, sizeof(saved), err, errlen) ==
	    -1)
		return -1;
	if (ftruncate(a->fd, size - (off_t)(n - i)) == -1 ||
	    fsync(a->fd) == -1) {
		audit_set_err(err, errlen,
		    "%s: cannot cut the torn last "
		    "record: %s",
		    a->path, strerror(errno));
		return -1;
	}
	log_warnx("%s: the last record was torn (%zu bytes without a "
		  "newline, an interrupted write); moved to %s",
	    a->path, n - i, saved);
	snprintf(a->torn_note, sizeof(a->torn_note),
	    "torn last record "
	    "(%zu bytes without a newline, from an interrupted write) moved "
	    "to %s; the chain continues from the last complete record",
	    n - i, saved);
	return 0;
}

/*
 * Recover the chain from the log's last line.  An empty file starts a new
 * chain.  A torn last line is moved aside first (torn_recover).  The log
 * must then end in a complete record whose own hash checks; the daemon
 * refuses to extend a broken chain rather than hide the break behind new
 * records.
 */
int
audit_chain_recover(struct audit *a, char *err, size_t errlen)
{
	char buf[AUDIT_LINE_MAX + 1], prev[AUDIT_HASH_HEX + 1];
	size_t n, start, len;
	struct stat st;

	for (int pass = 0;; pass++) {
		if (fstat(a->fd, &st) == -1) {
			audit_set_err(err, errlen, "%s: %s", a->path,
			    strerror(errno));
			return -1;
		}
		if (st.st_size <= 0)
			return 0;
		n = st.st_size < (off_t)sizeof(buf) ? (size_t)st.st_size
						    : sizeof(buf);
		if (tail_read(a, &st, buf, n) == -1) {
			audit_set_err(err, errlen,
			    "%s: cannot read the last "
			    "record: %s",
			    a->path, strerror(errno));
			return -1;
		}
		if (buf[n - 1] == '\n')
			break;
		if (pass > 0 ||
		    torn_recover(a, buf, n, st.st_size, err, errlen) == -1)
			return -1;
	}
	if (last_line(buf, n, n == (size_t)st.st_size, &start, &len) == -1 ||
	    auditrec_fields(buf + start, len, &a->chain.seq, prev,
		a->chain.hash) == -1) {
		auditrec_chain_init(&a->chain);
		audit_set_err(err, errlen,
		    "%s: last record is damaged; "
		    "refusing to extend a broken chain",
		    a->path);
		return -1;
	}
	if (keep_last(a, buf + start, len) == -1) {
		audit_set_err(err, errlen, "%s: out of memory", a->path);
		return -1;
	}
	return 0;
}

/*
 * Check the file just opened at the log's path before it replaces the
 * current one: lockable (no other writer), a regular file, and empty, so
 * that it holds nothing but the continuation of this chain.  A failed
 * batch still to be cut from the old file is cut first: the old file
 * must end on a complete record before it is let go.
 */
static int
rotate_check(struct audit *a, int fd, char *err, size_t errlen)
{
	struct stat st;

	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		audit_set_err(err, errlen, "%s: %s", a->path,
		    errno == EWOULDBLOCK ? "in use by another process"
					 : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		audit_set_err(err, errlen, "%s: %s", a->path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size != 0) {
		audit_set_err(err, errlen,
		    "%s: %s; a new audit file must be "
		    "empty (rename the old file away, do not copy and "
		    "truncate it)",
		    a->path,
		    S_ISREG(st.st_mode) ? "not empty" : "not a regular file");
		return -1;
	}
	if (a->need_trunc && ftruncate(a->fd, a->good_size) == -1) {
		audit_set_err(err, errlen,
		    "%s: cannot cut back a failed write "
		    "in the old file: %s",
		    a->path, strerror(errno));
		return -1;
	}
	a->need_trunc = 0;
	return 0;
}

/*
 * Open the log's path again.  Returns 0 if it still names the file being
 * written (nothing to do), 1 with *fdp set to a checked new file, or -1
 * with err set.
 */
int
audit_rotate_open(struct audit *a, int *fdp, char *err, size_t errlen)
{
	struct stat ost, nst;
	int fd;

	fd = open(a->path,
	    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		open_err(a->path, errno, err, errlen);
		return -1;
	}
	if (fstat(fd, &nst) == -1 || fstat(a->fd, &ost) == -1) {
		audit_set_err(err, errlen, "%s: %s", a->path, strerror(errno));
		close(fd);
		return -1;
	}
	if (nst.st_dev == ost.st_dev && nst.st_ino == ost.st_ino) {
		close(fd);
		return 0;
	}
	if (rotate_check(a, fd, err, errlen) == -1) {
		close(fd);
		return -1;
	}
	*fdp = fd;
	return 1;
}
