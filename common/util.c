/* util.c: see util.h. */
#include "common/util.h"

#include <errno.h>
#include <unistd.h>

int
util_write_all(int fd, const void *p, size_t len)
{
	const uint8_t *c = p;

	while (len > 0) {
		ssize_t n = write(fd, c, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

void
util_drain(int fd)
{
	char drain[64];
	ssize_t n;

	do
		n = read(fd, drain, sizeof(drain));
	while (n == (ssize_t)sizeof(drain) || (n == -1 && errno == EINTR));
}

int
util_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *
util_hex(const void *p, size_t len, char *dst, size_t dstlen)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *s = p;
	size_t i;

	if (dstlen == 0)
		return dst;
	for (i = 0; i < len && 2 * i + 2 < dstlen; i++) {
		dst[2 * i] = digits[s[i] >> 4];
		dst[2 * i + 1] = digits[s[i] & 0xf];
	}
	dst[2 * i] = '\0';
	return dst;
}
