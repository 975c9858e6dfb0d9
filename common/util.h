/*
 * util: small helpers every program needs, with no dependency beyond libc
 * and libcrypto's digest: writing a whole buffer, hex in both directions,
 * SHA-256 as hex.  One copy here instead of one per program.
 */
#ifndef CSIGN_UTIL_H
#define CSIGN_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* write() all of p[0..len) to fd across short writes and EINTR: 0 or -1. */
int util_write_all(int fd, const void *p, size_t len);

/*
 * Empty a non-blocking wake-up pipe: read until a read comes back short
 * (a pipe hands over all it holds, up to the size asked), so an emptied
 * pipe costs one read, not a second one that fails with EAGAIN.
 */
void util_drain(int fd);

/* The value of one hex digit (either case), or -1. */
int util_hexval(char c);

/*
 * Lowercase hex of p[0..len) into dst, NUL-terminated and cut to what
 * dstlen holds (whole bytes only); returns dst.
 */
char *util_hex(const void *p, size_t len, char *dst, size_t dstlen);

/* SHA-256 of p[0..len) as lowercase hex into dst (65 bytes): 0 or -1. */
int util_sha256_hex(const void *p, size_t len, char dst[65]);

#endif
