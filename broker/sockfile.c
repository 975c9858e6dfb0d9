/* sockfile.c: see sockfile.h. */
#include "broker/sockfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"

/* Bind and listen on fd at sun; remember the file.  0 or -1, err set. */
static int
sockfile_listen(int fd, const char *keyword, const struct sockaddr_un *sun,
    struct sockfile *sf, char *err, size_t errlen)
{
	struct stat st;
	mode_t old;
	int r;

	old = umask(0111);
	r = bind(fd, (const struct sockaddr *)sun, sizeof(*sun));
	umask(old);
	if (r == -1 || lstat(sun->sun_path, &st) == -1) {
		snprintf(err, errlen, "%s %s: %s", keyword, sun->sun_path,
		    strerror(errno));
		return -1;
	}
	sf->dev = st.st_dev;
	sf->ino = st.st_ino;
	if ((sf->path = strdup(sun->sun_path)) == NULL)
		fatal("strdup");
	if (listen(fd, 128) == -1) {
		snprintf(err, errlen, "%s %s: %s", keyword, sun->sun_path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
sockfile_addr(const char *keyword, const char *path, struct sockaddr_un *sun,
    char *err, size_t errlen)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		snprintf(err, errlen, "%s %s: path too long", keyword, path);
		return -1;
	}
	memcpy(sun->sun_path, path, strlen(path) + 1);
	return 0;
}

int
sockfile_bind(const char *keyword, const char *path, struct sockfile *sf,
    char *err, size_t errlen)
{
	struct sockaddr_un sun;
	int fd;

	if (sockfile_addr(keyword, path, &sun, err, errlen) == -1)
		return -1;
	if (unlink(path) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "%s %s: cannot remove the old socket: %s",
		    keyword, path, strerror(errno));
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (sockfile_listen(fd, keyword, &sun, sf, err, errlen) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

void
sockfile_unlink(struct sockfile *sf)
{
	struct stat st;

	if (sf->path == NULL)
		return;
	/* Removed and bound again by someone else: theirs now. */
	if (lstat(sf->path, &st) == 0 && st.st_dev == sf->dev &&
	    st.st_ino == sf->ino)
		(void)unlink(sf->path);
	free(sf->path);
	sf->path = NULL;
}
