/*
 * pread_wrap.h: the preads of the code under test, wrapped (the test is
 * linked with -Wl,--wrap=pread -Wl,--wrap=__pread_chk, the form
 * _FORTIFY_SOURCE gives a pread into a buffer of known size): each goes
 * to the real call, then to the test's pread_seen() with what it got.
 * For test_artifact_win.c and test_module_snapshot.c.
 */
#ifndef CSIGN_PREAD_WRAP_H
#define CSIGN_PREAD_WRAP_H

#include <sys/types.h>

ssize_t __real_pread(int fd, void *buf, size_t n, off_t off);
ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t off);
ssize_t __real___pread_chk(int fd, void *buf, size_t n, off_t off,
    size_t buflen);
ssize_t __wrap___pread_chk(int fd, void *buf, size_t n, off_t off,
    size_t buflen);

/* Each test's own: a pread of n bytes at off on fd returned got. */
static void pread_seen(int fd, size_t n, off_t off, ssize_t got);

ssize_t
__wrap_pread(int fd, void *buf, size_t n, off_t off)
{
	ssize_t got = __real_pread(fd, buf, n, off);

	pread_seen(fd, n, off, got);
	return got;
}

ssize_t
__wrap___pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen)
{
	ssize_t got = __real___pread_chk(fd, buf, n, off, buflen);

	pread_seen(fd, n, off, got);
	return got;
}

#endif
