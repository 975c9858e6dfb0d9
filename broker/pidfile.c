/* pidfile.c: the locked PID file of csignd (see pidfile.h). */
#include "broker/pidfile.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The file this process wrote: its descriptor holds the lock. */
static struct {
	int fd;
	char *path;
	dev_t dev;
	ino_t ino;
	pid_t owner;
} pf = { .fd = -1 };

/* The first number in the file open at fd, or 0. */
static long
pid_read(int fd)
{
	char buf[32];
	ssize_t n;

	if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

long
pidfile_holder(const char *path)
{
	long pid = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) == -1 && errno == EWOULDBLOCK)
		pid = pid_read(fd);
	close(fd);
	return pid;
}

/* Lock the open file fd, or say who holds it. */
static int
pid_lock(int fd, const char *path, char *err, size_t errlen)
{
	long other;

	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK) {
		snprintf(err, errlen, "PidFile %s: lock: %s", path,
		    strerror(errno));
		return -1;
	}
	other = pid_read(fd);
	snprintf(err, errlen,
	    "PidFile %s: in use by another csignd (pid %ld): "
	    "refusing to start a second one with the same PidFile",
	    path, other);
	return -1;
}

/* Replace the file's contents with "PID\n". */
static int
pid_store(int fd, const char *path, char *err, size_t errlen)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, (size_t)n, 0) != n) {
		snprintf(err, errlen, "PidFile %s: write: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
pidfile_write(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	err[0] = '\0';
	/* Readable by all, as /run/sshd.pid: scripts signal by it. */
	if ((fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		 0644)) == -1) {
		snprintf(err, errlen, "PidFile %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "PidFile %s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (pid_lock(fd, path, err, errlen) == -1 ||
	    pid_store(fd, path, err, errlen) == -1) {
		close(fd);
		return -1;
	}
	if ((pf.path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		(void)unlink(path);
		close(fd);
		return -1;
	}
	(void)fchmod(fd, 0644);
	pf.fd = fd;
	pf.dev = st.st_dev;
	pf.ino = st.st_ino;
	pf.owner = getpid();
	return 0;
}

void
pidfile_remove(void)
{
	struct stat st;

	if (pf.fd == -1 || pf.owner != getpid())
		return;
	/* Another file at the path (put there by hand) is not ours. */
	if (lstat(pf.path, &st) == 0 && st.st_dev == pf.dev &&
	    st.st_ino == pf.ino)
		(void)unlink(pf.path);
	close(pf.fd);
	pf.fd = -1;
	free(pf.path);
	pf.path = NULL;
}
