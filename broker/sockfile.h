/*
 * sockfile: a listening Unix socket csignd binds itself (Listen,
 * PesignListen), and its removal at exit only if the path still names
 * the very socket it bound.
 */
#ifndef CSIGN_SOCKFILE_H
#define CSIGN_SOCKFILE_H

#include <stddef.h>
#include <sys/types.h>

struct sockfile {
	char *path; /* the path bound, NULL if none */
	dev_t dev;  /* ... and the file it was */
	ino_t ino;
};

struct sockaddr_un;

/* path as an address into sun; -1 with err set if it is too long. */
int sockfile_addr(const char *keyword, const char *path,
    struct sockaddr_un *sun, char *err, size_t errlen);

/*
 * Remove what is left at path (the caller has made sure that nothing
 * answers there), then create a socket, bind it with mode 0666 (the
 * policy, not the file mode, decides what a caller gets) and listen.
 * keyword names the configuration line in errors.  The descriptor, or
 * -1 with err set (nothing left open).
 */
int sockfile_bind(const char *keyword, const char *path, struct sockfile *sf,
    char *err, size_t errlen);

/* Unlink sf's path if it is still the socket bound; forget it. */
void sockfile_unlink(struct sockfile *sf);

#endif
