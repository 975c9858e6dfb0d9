/* inplace.c: a kernel module signed in place (see inplace.h). */
#include "client/inplace.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/names.h"

/* 1 if the request for file is one inplace.h allows, before any open. */
static int
inplace_wanted(const struct options *o, const char *file, const char *out,
    int inline_data)
{
	return o->format != NULL && format_from_name(o->format) == FMT_MODULE &&
	    !o->atomic && !o->replace && !o->nowait && !inline_data &&
	    strcmp(file, "-") != 0 && strcmp(out, file) == 0;
}

int
cl_inplace_open(const struct options *o, const char *file, const char *out,
    int inline_data)
{
	static const unsigned char elf[4] = { 0x7f, 'E', 'L', 'F' };
	unsigned char head[sizeof(elf)];
	struct stat st;
	int fd;

	if (!inplace_wanted(o, file, out, inline_data))
		return -1;
	/* No open of a FIFO or device for writing, no symbolic link. */
	if (lstat(file, &st) == -1 || !S_ISREG(st.st_mode) || st.st_nlink != 1)
		return -1;
	if ((fd = open(file, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    pread(fd, head, sizeof(head), 0) != (ssize_t)sizeof(head) ||
	    memcmp(head, elf, sizeof(elf)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}
