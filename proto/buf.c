/* buf.c: bounded buffer with checked getters (see buf.h). */
#include "proto/buf.h"

#include <stdlib.h>
#include <string.h>

void
buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
buf_view(struct buf *b, const void *p, size_t len)
{
	memset(b, 0, sizeof(*b));
	b->data = (uint8_t *)p;
	b->len = b->cap = b->max = b->hi = len;
	b->view = 1;
}

void
buf_free(struct buf *b)
{
	if (b == NULL)
		return;
	if (!b->view && b->data != NULL) {
		explicit_bzero(b->data, b->hi);
		free(b->data);
	}
	b->data = NULL;
	b->len = b->off = b->cap = b->hi = 0;
	b->view = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = b->off = 0;
}

void
buf_wipe(struct buf *b)
{
	if (!b->view && b->data != NULL)
		explicit_bzero(b->data, b->hi);
	b->len = b->off = b->hi = 0;
}

size_t
buf_left(const struct buf *b)
{
	return b->len - b->off;
}

const uint8_t *
buf_ptr(const struct buf *b)
{
	static const uint8_t empty[1];

	/* An empty buffer may not have allocated yet. */
	return b->data != NULL ? b->data + b->off : empty;
}

/* Make room for len more bytes, growing geometrically up to max. */
static int
buf_grow(struct buf *b, size_t len)
{
	size_t want, ncap;
	uint8_t *n;

	if (b->view || len > b->max || b->len > b->max - len)
		return -1;
	want = b->len + len;
	if (want <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 256;
	while (ncap < want)
		ncap = ncap > b->max / 2 ? b->max : ncap * 2;
	if ((n = malloc(ncap)) == NULL)
		return -1;
	if (b->data != NULL) {
		memcpy(n, b->data, b->len);
		explicit_bzero(b->data, b->hi);
		free(b->data);
		b->hi = b->len;
	}
	b->data = n;
	b->cap = ncap;
	return 0;
}

uint8_t *
buf_reserve(struct buf *b, size_t len)
{
	uint8_t *p;

	if (buf_grow(b, len) == -1)
		return NULL;
	p = b->data + b->len;
	b->len += len;
	if (b->hi < b->len)
		b->hi = b->len;
	return p;
}

void
buf_settle(struct buf *b, size_t used, size_t hi_before)
{
	b->len = used;
	b->hi = used > hi_before ? used : hi_before;
}

int
buf_put(struct buf *b, const void *p, size_t len)
{
	uint8_t *d;

	if (len == 0) /* data may still be NULL: add nothing */
		return b->view ? -1 : 0;
	if ((d = buf_reserve(b, len)) == NULL)
		return -1;
	memcpy(d, p, len);
	return 0;
}

int
buf_put_u8(struct buf *b, uint8_t v)
{
	return buf_put(b, &v, 1);
}

int
buf_put_u16(struct buf *b, uint16_t v)
{
	uint8_t x[2] = { v >> 8, v };

	return buf_put(b, x, sizeof(x));
}

int
buf_put_u32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = { v >> 24, v >> 16, v >> 8, v };

	return buf_put(b, x, sizeof(x));
}

int
buf_put_u64(struct buf *b, uint64_t v)
{
	if (buf_put_u32(b, v >> 32) == -1)
		return -1;
	return buf_put_u32(b, (uint32_t)v);
}

int
buf_put_bytes(struct buf *b, const void *p, size_t len)
{
	if (len > UINT32_MAX || len + 4 > b->max)
		return -1;
	if (buf_grow(b, len + 4) == -1)
		return -1;
	buf_put_u32(b, (uint32_t)len);
	return buf_put(b, p, len);
}

int
buf_put_str(struct buf *b, const char *s)
{
	return buf_put_bytes(b, s, strlen(s));
}

int
buf_poke_u32(struct buf *b, size_t pos, uint32_t v)
{
	if (b->view || pos > b->len || b->len - pos < 4)
		return -1;
	b->data[pos] = v >> 24;
	b->data[pos + 1] = v >> 16;
	b->data[pos + 2] = v >> 8;
	b->data[pos + 3] = v;
	return 0;
}

int
buf_get(struct buf *b, void *p, size_t len)
{
	if (buf_left(b) < len)
		return -1;
	if (len > 0)
		memcpy(p, b->data + b->off, len);
	b->off += len;
	return 0;
}

int
buf_get_u8(struct buf *b, uint8_t *v)
{
	return buf_get(b, v, 1);
}

int
buf_get_u16(struct buf *b, uint16_t *v)
{
	uint8_t x[2];

	if (buf_get(b, x, sizeof(x)) == -1)
		return -1;
	*v = (uint16_t)(x[0] << 8 | x[1]);
	return 0;
}

int
buf_get_u32(struct buf *b, uint32_t *v)
{
	uint8_t x[4];

	if (buf_get(b, x, sizeof(x)) == -1)
		return -1;
	*v = (uint32_t)x[0] << 24 | (uint32_t)x[1] << 16 | (uint32_t)x[2] << 8 |
	    x[3];
	return 0;
}

int
buf_get_u64(struct buf *b, uint64_t *v)
{
	uint32_t hi = 0, lo = 0;

	if (buf_left(b) < 8)
		return -1;
	buf_get_u32(b, &hi);
	buf_get_u32(b, &lo);
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

int
buf_skip(struct buf *b, size_t len)
{
	if (buf_left(b) < len)
		return -1;
	b->off += len;
	return 0;
}

int
buf_get_bytes_ref(struct buf *b, size_t max, const uint8_t **p, size_t *len)
{
	size_t save = b->off;
	uint32_t n;

	if (buf_get_u32(b, &n) == -1)
		return -1;
	if (n > max || buf_left(b) < n) {
		b->off = save;
		return -1;
	}
	*p = b->data + b->off;
	*len = n;
	b->off += n;
	return 0;
}

int
buf_get_bytes(struct buf *b, uint8_t *dst, size_t dstlen, size_t *len)
{
	const uint8_t *p;

	if (buf_get_bytes_ref(b, dstlen, &p, len) == -1)
		return -1;
	if (*len > 0)
		memcpy(dst, p, *len);
	return 0;
}

int
buf_get_str(struct buf *b, char *dst, size_t dstlen, size_t max)
{
	size_t save = b->off, len;
	const uint8_t *p;

	if (dstlen == 0 || max >= dstlen)
		return -1;
	if (buf_get_bytes_ref(b, max, &p, &len) == -1)
		return -1;
	if (memchr(p, '\0', len) != NULL) {
		b->off = save;
		return -1;
	}
	memcpy(dst, p, len);
	dst[len] = '\0';
	return 0;
}

int
buf_end(const struct buf *b)
{
	return buf_left(b) == 0 ? 0 : -1;
}
