/*
 * frame_test.h: what the frame and socket I/O unit tests share
 * (test_frame.c, test_frame_refuse.c, test_frame_io.c,
 * test_frame_approval.c): the decoder's result and hand-built raw frames.
 *
 * The tests are built without CSIGN_TEST_HOOKS, so T_TEST_SYSCALL must be
 * refused.
 */
#ifndef CSIGN_FRAME_TEST_H
#define CSIGN_FRAME_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/buf.h"
#include "proto/frame.h"
#include "proto/io.h"
#include "proto/msg.h"
#include "proto/names.h"

/* Large enough to build frames past FRAME_MAX by hand. */
#define RAW_MAX (2 * FRAME_MAX)

static __attribute__((unused)) struct frame fr; /* 8 KiB: kept off the stack */

/* ---- helpers: frames ---- */

/* Check b holds one finished frame and decode its body into fr. */
static inline void
decode_finished(const struct buf *b)
{
	const char *err = NULL;
	struct buf v;
	uint32_t len;

	buf_view(&v, b->data, b->len);
	assert_int_equal(buf_get_u32(&v, &len), 0);
	assert_int_equal(len, buf_left(&v));
	if (frame_decode(buf_ptr(&v), buf_left(&v), &fr, &err) != 0)
		fail_msg("frame_decode: %s", err);
}

/* Start a hand-made frame body (no length field): type only. */
static inline void
raw_begin(struct buf *b, uint16_t type)
{
	buf_init(b, RAW_MAX);
	assert_int_equal(buf_put_u16(b, type), 0);
}

/* Append a TLV whose header claims len and whose value is vlen bytes. */
static inline void
raw_tlv(struct buf *b, uint16_t tag, uint32_t len, const void *val, size_t vlen)
{
	assert_int_equal(buf_put_u16(b, tag), 0);
	assert_int_equal(buf_put_u32(b, len), 0);
	assert_int_equal(buf_put(b, val, vlen), 0);
}

/* Append a well-formed string TLV. */
static inline void
raw_str(struct buf *b, uint16_t tag, const char *s)
{
	raw_tlv(b, tag, (uint32_t)strlen(s), s, strlen(s));
}

/* Append a well-formed u32 TLV. */
static inline void
raw_u32(struct buf *b, uint16_t tag, uint32_t v)
{
	uint8_t x[4] = { v >> 24, v >> 16, v >> 8, v };

	raw_tlv(b, tag, 4, x, 4);
}

/* Append a string TLV of n copies of c. */
static inline void
raw_fill(struct buf *b, uint16_t tag, size_t n, int c)
{
	uint8_t *p;

	assert_int_equal(buf_put_u16(b, tag), 0);
	assert_int_equal(buf_put_u32(b, (uint32_t)n), 0);
	assert_non_null(p = buf_reserve(b, n));
	memset(p, c, n);
}

/* The hand-made body in b must be refused with exactly want; b is freed. */
static inline void
reject(struct buf *b, const char *want)
{
	const char *err = NULL;

	assert_int_equal(frame_decode(b->data, b->len, &fr, &err), -1);
	assert_non_null(err);
	assert_string_equal(err, want);
	buf_free(b);
}

/* The hand-made body in b must be accepted; b is freed. */
static inline void
accept_ok(struct buf *b)
{
	const char *err = NULL;

	if (frame_decode(b->data, b->len, &fr, &err) != 0)
		fail_msg("frame_decode: %s", err);
	buf_free(b);
}

#endif
