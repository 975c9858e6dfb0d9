/*
 * buf: the one bounded buffer through which csign reads outside bytes.
 *
 * A buf owns a growable byte array with a hard maximum.  Writers append in
 * network byte order; readers consume from a read offset with checked
 * getters that fail (return -1, consume nothing) instead of reading past
 * the end.  No other code does pointer arithmetic on untrusted data.
 *
 * A buf may also be a read-only view over memory it does not own
 * (buf_view); such a buf must not be written to or freed with buf_free's
 * data release.
 */
#ifndef CSIGN_BUF_H
#define CSIGN_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *data;
	size_t len; /* bytes written */
	size_t off; /* read offset, <= len */
	size_t cap; /* allocated */
	size_t hi;  /* high-water mark: bytes [0, hi) may have been written */
	size_t max; /* hard limit on len */
	int view;   /* 1 if data is not owned */
};

/* Initialise an empty owned buffer that may grow to max bytes. */
void buf_init(struct buf *b, size_t max);
/* Read-only view over [p, p+len). */
void buf_view(struct buf *b, const void *p, size_t len);
/*
 * Release owned memory (wiped first, up to the high-water mark: bytes past
 * it were never written, and wiping all of a 66 KiB receive buffer that
 * held a few bytes touched pages nothing else had) and reset; accepts
 * views too.
 */
void buf_free(struct buf *b);
/* Drop all contents, keep the allocation. */
void buf_reset(struct buf *b);
/* Wipe what was written (up to the high-water mark), keep the allocation. */
void buf_wipe(struct buf *b);

/* Bytes left to read. */
size_t buf_left(const struct buf *b);
/* Pointer to the unread bytes (valid until the next write). */
const uint8_t *buf_ptr(const struct buf *b);

/* Writers: 0 on success, -1 if max would be exceeded or memory is out. */
int buf_put(struct buf *b, const void *p, size_t len);
int buf_put_u8(struct buf *b, uint8_t v);
int buf_put_u16(struct buf *b, uint16_t v);
int buf_put_u32(struct buf *b, uint32_t v);
int buf_put_u64(struct buf *b, uint64_t v);
/* u32 length then bytes. */
int buf_put_bytes(struct buf *b, const void *p, size_t len);
/* u32 length then the string's bytes (no NUL). */
int buf_put_str(struct buf *b, const char *s);
/* Reserve len bytes at the end and return a pointer to them, or NULL. */
uint8_t *buf_reserve(struct buf *b, size_t len);
/*
 * After a reservation only part of which was written (a receive into the
 * whole buffer): len becomes used bytes of it, and the high-water mark
 * goes back to what it was before the reservation, or used if higher.
 */
void buf_settle(struct buf *b, size_t used, size_t hi_before);
/* Overwrite 4 bytes at absolute position pos (for back-patched lengths). */
int buf_poke_u32(struct buf *b, size_t pos, uint32_t v);

/* Readers: 0 on success, -1 when the buffer is short (nothing consumed). */
int buf_get(struct buf *b, void *p, size_t len);
int buf_get_u8(struct buf *b, uint8_t *v);
int buf_get_u16(struct buf *b, uint16_t *v);
int buf_get_u32(struct buf *b, uint32_t *v);
int buf_get_u64(struct buf *b, uint64_t *v);
int buf_skip(struct buf *b, size_t len);
/*
 * u32 length then bytes, length at most max; *p points into the buffer
 * (no copy) and stays valid while b is unchanged.
 */
int buf_get_bytes_ref(struct buf *b, size_t max, const uint8_t **p,
    size_t *len);
/* Same, copied into dst of size dstlen (length must fit). */
int buf_get_bytes(struct buf *b, uint8_t *dst, size_t dstlen, size_t *len);
/*
 * u32 length then a string of at most max bytes with no embedded NUL,
 * copied into dst (dstlen > max) and NUL-terminated.
 */
int buf_get_str(struct buf *b, char *dst, size_t dstlen, size_t max);
/* 0 if every byte has been consumed, -1 if anything is left over. */
int buf_end(const struct buf *b);

#endif
