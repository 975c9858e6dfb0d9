/* pin.c: PinFile reading with ownership and permission checks. */
#include "monitor/pin.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Refuse a PinFile that is not a private regular file of ours. */
static int
pin_check_mode(const char *path, const struct stat *st, char *err,
    size_t errlen)
{
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "PinFile %s: not a regular file", path);
		return -1;
	}
	if (st->st_uid != geteuid()) {
		snprintf(err, errlen, "PinFile %s: owned by uid %u, not by "
		    "the daemon's uid %u", path, (unsigned)st->st_uid,
		    (unsigned)geteuid());
		return -1;
	}
	if (st->st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "PinFile %s: mode %04o lets group or "
		    "others read it; refusing (chmod 600 %s)", path,
		    (unsigned)(st->st_mode & 07777), path);
		return -1;
	}
	return 0;
}

int
pin_read(const char *path, char *pin, size_t pinlen, char *err, size_t errlen)
{
	struct stat st;
	ssize_t n;
	size_t len;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "PinFile %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || pin_check_mode(path, &st, err, errlen)) {
		if (err[0] == '\0')
			snprintf(err, errlen, "PinFile %s: %s", path,
			    strerror(errno));
		close(fd);
		return -1;
	}
	n = read(fd, pin, pinlen - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "PinFile %s: %s", path, strerror(errno));
		return -1;
	}
	pin[n] = '\0';
	len = strcspn(pin, "\r\n");
	pin[len] = '\0';
	if (len == 0) {
		snprintf(err, errlen, "PinFile %s: empty", path);
		return -1;
	}
	return 0;
}
