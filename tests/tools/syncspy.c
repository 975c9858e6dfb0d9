/*
 * syncspy: an LD_PRELOAD library for the tests that watches fdatasync()
 * and fsync() on one file (csignd's audit log), to prove that a record is
 * made durable before its signature is released and that a failing flush
 * withholds it.
 *
 * SYNCSPY_PATH   the file to watch (compared with /proc/self/fd/N)
 * SYNCSPY_UNDER  or: every file and directory under this directory (the
 *                client's outputs), syncfs() on it included
 * SYNCSPY_LOG    each sync of it appends one line "sync N CALL" here
 * SYNCSPY_FAIL   a file; while it exists, those syncs fail with EIO
 *                (and are logged as "fail N")
 *
 * Syncs of other files pass through untouched.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int (*sync_fn)(int);

int fdatasync(int fd);
int fsync(int fd);
int syncfs(int fd);

/* 1 if path is dir or lies below it. */
static int
under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return strncmp(path, dir, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/');
}

/* 1 if fd is the watched file. */
static int
watched(int fd)
{
	const char *want = getenv("SYNCSPY_PATH");
	const char *dir = getenv("SYNCSPY_UNDER");
	char link[64], path[PATH_MAX];
	ssize_t n;

	if (want == NULL && dir == NULL)
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, sizeof(path) - 1)) <= 0)
		return 0;
	path[n] = '\0';
	if (dir != NULL && under(path, dir))
		return 1;
	return want != NULL && strcmp(path, want) == 0;
}

/* Append one line to the log; a test tool, so failures are ignored. */
static void
note(const char *what, const char *call)
{
	static unsigned long count;
	const char *log = getenv("SYNCSPY_LOG");
	char line[64];
	int fd, len;

	if (log == NULL)
		return;
	len = snprintf(line, sizeof(line), "%s %lu %s\n", what,
	    __atomic_add_fetch(&count, 1, __ATOMIC_RELAXED), call);
	if ((fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) ==
	    -1)
		return;
	if (write(fd, line, (size_t)len) != len)
		(void)0;
	close(fd);
}

/* The spied call: fail it while SYNCSPY_FAIL exists, else pass it on. */
static int
spy(int fd, const char *name)
{
	const char *fail = getenv("SYNCSPY_FAIL");
	sync_fn real = (sync_fn)dlsym(RTLD_NEXT, name);

	if (!watched(fd))
		return real(fd);
	if (fail != NULL && access(fail, F_OK) == 0) {
		note("fail", name);
		errno = EIO;
		return -1;
	}
	note("sync", name);
	return real(fd);
}

int
fdatasync(int fd)
{
	return spy(fd, "fdatasync");
}

int
fsync(int fd)
{
	return spy(fd, "fsync");
}

int
syncfs(int fd)
{
	return spy(fd, "syncfs");
}
