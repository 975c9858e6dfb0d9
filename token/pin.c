/* pin.c: PinFile reading with ownership and permission checks. */
#include "token/pin.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CREDENTIAL_PREFIX "credential:"

/* Where the PIN is: a path, or a systemd credential's file. */
struct pin_source {
	char path[PATH_MAX];
	const char *shown; /* the PinFile value, for messages */
	int credential;
};

/*
 * Refuse a PinFile that is not a private regular file of ours.  A systemd
 * credential may be group-readable (systemd makes them 0400, or 0440 for
 * the service's group, inside a directory only the service can enter), but
 * nothing more: no group write or execute, no access for others.
 */
static int
pin_check_mode(const struct pin_source *src, const struct stat *st, char *err,
    size_t errlen)
{
	mode_t deny = src->credential ? (S_IWGRP | S_IXGRP | S_IRWXO)
				      : (S_IRWXG | S_IRWXO);

	if (!S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "PinFile %s: not a regular file",
		    src->shown);
		return -1;
	}
	if (st->st_uid != geteuid()) {
		snprintf(err, errlen,
		    "PinFile %s: owned by uid %u, not by "
		    "the daemon's uid %u",
		    src->shown, (unsigned)st->st_uid, (unsigned)geteuid());
		return -1;
	}
	if (st->st_mode & deny) {
		snprintf(err, errlen,
		    "PinFile %s: mode %04o lets %s read it; "
		    "refusing (chmod %s %s)",
		    src->shown, (unsigned)(st->st_mode & 07777),
		    src->credential ? "others" : "group or others",
		    src->credential ? "400" : "600", src->path);
		return -1;
	}
	return 0;
}

/*
 * PinFile credential:NAME is $CREDENTIALS_DIRECTORY/NAME, which systemd
 * sets for a unit with LoadCredential= or LoadCredentialEncrypted=.  The
 * config parser has already refused names with a '/' or of "." or "..".
 */
static int
pin_source(const char *pinfile, struct pin_source *src, char *err,
    size_t errlen)
{
	const char *dir, *name;
	int n;

	src->shown = pinfile;
	src->credential =
	    strncmp(pinfile, CREDENTIAL_PREFIX, strlen(CREDENTIAL_PREFIX)) == 0;
	if (!src->credential) {
		n = snprintf(src->path, sizeof(src->path), "%s", pinfile);
	} else {
		name = pinfile + strlen(CREDENTIAL_PREFIX);
		if ((dir = getenv("CREDENTIALS_DIRECTORY")) == NULL ||
		    dir[0] != '/') {
			snprintf(err, errlen,
			    "PinFile %s: CREDENTIALS_DIRECTORY "
			    "is not set: start csignd from a systemd unit with "
			    "LoadCredential=%s:/path/to/pin (or "
			    "LoadCredentialEncrypted=)",
			    pinfile, name);
			return -1;
		}
		n = snprintf(src->path, sizeof(src->path), "%s/%s", dir, name);
	}
	if (n < 0 || (size_t)n >= sizeof(src->path)) {
		snprintf(err, errlen, "PinFile %s: path too long", pinfile);
		return -1;
	}
	return 0;
}

int
pin_read(const char *pinfile, char *pin, size_t pinlen, char *err,
    size_t errlen)
{
	struct pin_source src;
	struct stat st;
	ssize_t n;
	size_t len;
	int fd;

	if (pin_source(pinfile, &src, err, errlen) == -1)
		return -1;
	if ((fd = open(src.path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "PinFile %s: %s%s%s", pinfile,
		    src.credential ? src.path : "", src.credential ? ": " : "",
		    strerror(errno));
		return -1;
	}
	err[0] = '\0';
	if (fstat(fd, &st) == -1 || pin_check_mode(&src, &st, err, errlen)) {
		if (err[0] == '\0')
			snprintf(err, errlen, "PinFile %s: %s", pinfile,
			    strerror(errno));
		close(fd);
		return -1;
	}
	n = read(fd, pin, pinlen - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "PinFile %s: %s", pinfile,
		    strerror(errno));
		return -1;
	}
	pin[n] = '\0';
	len = strcspn(pin, "\r\n");
	pin[len] = '\0';
	if (len == 0) {
		snprintf(err, errlen, "PinFile %s: empty", pinfile);
		return -1;
	}
	return 0;
}
