/*
 * Helpers shared by the libFuzzer harnesses: parsers that read from a
 * descriptor get the input in a memfd, like an artifact a client passed.
 */
#ifndef CSIGN_FUZZ_UTIL_H
#define CSIGN_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* A memfd holding data[0..size); aborts if the system refuses. */
static inline int
fuzz_memfd(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd == -1 || (size > 0 && write(fd, data, size) != (ssize_t)size))
		abort();
	return fd;
}

#endif
