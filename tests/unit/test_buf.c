/* test_buf.c: the bounded buffer and its checked getters (proto/buf.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "proto/buf.h"

/* A view over len bytes of p whose read offset is checked by the caller. */
static struct buf
view(const void *p, size_t len)
{
	struct buf b;

	buf_view(&b, p, len);
	return b;
}

static void
test_u16_u32_u64_are_written_in_network_order(void **state)
{
	static const uint8_t want[] = { 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef,
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x7f };
	struct buf b;

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(buf_put_u16(&b, 0x1234), 0);
	assert_int_equal(buf_put_u32(&b, 0xdeadbeef), 0);
	assert_int_equal(buf_put_u64(&b, 0x0123456789abcdefull), 0);
	assert_int_equal(buf_put_u8(&b, 0x7f), 0);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	buf_free(&b);
}

static void
test_u16_u32_u64_round_trip(void **state)
{
	struct buf b;
	uint64_t v64;
	uint32_t v32;
	uint16_t v16;
	uint8_t v8;

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(buf_put_u8(&b, 0xff), 0);
	assert_int_equal(buf_put_u16(&b, 0xfffe), 0);
	assert_int_equal(buf_put_u32(&b, 0x80000001u), 0);
	assert_int_equal(buf_put_u64(&b, 0xfedcba9876543210ull), 0);
	assert_int_equal(buf_get_u8(&b, &v8), 0);
	assert_int_equal(buf_get_u16(&b, &v16), 0);
	assert_int_equal(buf_get_u32(&b, &v32), 0);
	assert_int_equal(buf_get_u64(&b, &v64), 0);
	assert_int_equal(v8, 0xff);
	assert_int_equal(v16, 0xfffe);
	assert_int_equal(v32, 0x80000001u);
	assert_true(v64 == 0xfedcba9876543210ull);
	assert_int_equal(buf_end(&b), 0);
	buf_free(&b);
}

static void
test_getters_read_network_order_from_exact_bytes(void **state)
{
	static const uint8_t in[] = { 0xab, 0xcd, 0x01, 0x02, 0x03, 0x04, 0x80,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01 };
	struct buf b = view(in, sizeof(in));
	uint64_t v64;
	uint32_t v32;
	uint16_t v16;

	(void)state;
	assert_int_equal(buf_get_u16(&b, &v16), 0);
	assert_int_equal(buf_get_u32(&b, &v32), 0);
	assert_int_equal(buf_get_u64(&b, &v64), 0);
	assert_int_equal(v16, 0xabcd);
	assert_int_equal(v32, 0x01020304);
	assert_true(v64 == 0x8000000000000001ull);
	assert_int_equal(buf_end(&b), 0);
}

/* Each fixed-size getter on one byte too few: -1, offset unchanged. */
static void
test_fixed_getters_fail_without_consuming_on_short_input(void **state)
{
	static const uint8_t in[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t raw[8];
	uint64_t v64 = 99;
	uint32_t v32 = 99;
	uint16_t v16 = 99;
	uint8_t v8 = 99;
	struct buf b;

	(void)state;
	b = view(in, 0);
	assert_int_equal(buf_get_u8(&b, &v8), -1);
	assert_int_equal(v8, 99);
	b = view(in, 1);
	assert_int_equal(buf_get_u16(&b, &v16), -1);
	assert_int_equal(b.off, 0);
	assert_int_equal(v16, 99);
	b = view(in, 3);
	assert_int_equal(buf_get_u32(&b, &v32), -1);
	assert_int_equal(b.off, 0);
	assert_int_equal(v32, 99);
	b = view(in, 7);
	assert_int_equal(buf_get_u64(&b, &v64), -1);
	assert_int_equal(b.off, 0);
	assert_true(v64 == 99);
	assert_int_equal(buf_get(&b, raw, 8), -1);
	assert_int_equal(b.off, 0);
	assert_int_equal(buf_skip(&b, 8), -1);
	assert_int_equal(b.off, 0);
	assert_int_equal(buf_left(&b), 7);
}

/* The same getters after part of the buffer was read. */
static void
test_getters_fail_without_consuming_at_an_offset(void **state)
{
	static const uint8_t in[6] = { 1, 2, 3, 4, 5, 6 };
	struct buf b = view(in, sizeof(in));
	uint32_t v32;
	uint64_t v64;

	(void)state;
	assert_int_equal(buf_skip(&b, 3), 0);
	assert_int_equal(buf_get_u32(&b, &v32), -1);
	assert_int_equal(buf_get_u64(&b, &v64), -1);
	assert_int_equal(b.off, 3);
	assert_ptr_equal(buf_ptr(&b), in + 3);
	assert_int_equal(buf_skip(&b, 3), 0);
	assert_int_equal(buf_end(&b), 0);
}

static void
test_put_up_to_max_succeeds(void **state)
{
	uint8_t x[16];
	struct buf b;

	(void)state;
	memset(x, 0xa5, sizeof(x));
	buf_init(&b, 16);
	assert_int_equal(buf_put(&b, x, 12), 0);
	assert_int_equal(buf_put_u32(&b, 1), 0);
	assert_int_equal(b.len, 16);
	buf_free(&b);
}

/* A put that would pass max fails whole and leaves the buffer as it was. */
static void
test_put_past_max_fails_and_changes_nothing(void **state)
{
	uint8_t x[16] = { 0 };
	struct buf b;

	(void)state;
	buf_init(&b, 16);
	assert_int_equal(buf_put(&b, x, 13), 0);
	assert_int_equal(buf_put_u32(&b, 1), -1);
	assert_int_equal(buf_put_u64(&b, 1), -1);
	assert_int_equal(b.len, 13);
	assert_int_equal(buf_put_u16(&b, 1), 0);
	assert_int_equal(buf_put_u16(&b, 1), -1);
	assert_int_equal(buf_put_u8(&b, 1), 0);
	assert_int_equal(buf_put_u8(&b, 1), -1);
	assert_int_equal(buf_put(&b, x, 1), -1);
	assert_null(buf_reserve(&b, 1));
	assert_int_equal(b.len, 16);
	buf_free(&b);
}

static void
test_put_larger_than_max_in_one_go_fails(void **state)
{
	uint8_t x[32] = { 0 };
	struct buf b;

	(void)state;
	buf_init(&b, 16);
	assert_int_equal(buf_put(&b, x, 17), -1);
	assert_int_equal(buf_put_bytes(&b, x, 13), -1);
	assert_int_equal(buf_put_str(&b, "0123456789abc"), -1);
	assert_null(buf_reserve(&b, SIZE_MAX));
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_put_bytes(&b, x, 12), 0);
	assert_int_equal(b.len, 16);
	buf_free(&b);
}

/* Growth past the first allocation keeps every byte already written. */
static void
test_buffer_grows_and_keeps_contents(void **state)
{
	struct buf b;
	uint32_t v;

	(void)state;
	buf_init(&b, 4 * 10000);
	for (uint32_t i = 0; i < 10000; i++)
		assert_int_equal(buf_put_u32(&b, i), 0);
	assert_int_equal(buf_put_u8(&b, 0), -1);
	for (uint32_t i = 0; i < 10000; i++) {
		assert_int_equal(buf_get_u32(&b, &v), 0);
		assert_int_equal(v, i);
	}
	assert_int_equal(buf_end(&b), 0);
	buf_free(&b);
}

static void
test_poke_u32_patches_in_place_and_is_bounded(void **state)
{
	static const uint8_t want[] = { 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44 };
	struct buf b;

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(buf_put_u32(&b, 0), 0);
	assert_int_equal(buf_put_u32(&b, 0), 0);
	assert_int_equal(buf_poke_u32(&b, 4, 0x11223344), 0);
	assert_memory_equal(b.data, want, sizeof(want));
	assert_int_equal(buf_poke_u32(&b, 5, 1), -1);
	assert_int_equal(buf_poke_u32(&b, 9, 1), -1);
	assert_int_equal(buf_poke_u32(&b, SIZE_MAX, 1), -1);
	assert_memory_equal(b.data, want, sizeof(want));
	buf_free(&b);
}

static void
test_view_is_read_only(void **state)
{
	uint8_t mem[16] = { 0 };
	uint8_t orig[16] = { 0 };
	struct buf b;

	(void)state;
	buf_view(&b, mem, sizeof(mem));
	assert_int_equal(buf_put_u8(&b, 1), -1);
	assert_int_equal(buf_put_u16(&b, 1), -1);
	assert_int_equal(buf_put_u32(&b, 1), -1);
	assert_int_equal(buf_put_u64(&b, 1), -1);
	assert_int_equal(buf_put(&b, "x", 1), -1);
	assert_int_equal(buf_put(&b, "", 0), -1);
	assert_int_equal(buf_put_bytes(&b, "x", 1), -1);
	assert_int_equal(buf_put_str(&b, ""), -1);
	assert_null(buf_reserve(&b, 1));
	assert_int_equal(buf_poke_u32(&b, 0, 0xffffffff), -1);
	assert_memory_equal(mem, orig, sizeof(mem));
	assert_int_equal(b.len, sizeof(mem));
	assert_ptr_equal(b.data, mem);
	buf_free(&b); /* must not free memory it does not own */
	assert_null(b.data);
}

static void
test_bytes_round_trip(void **state)
{
	static const uint8_t x[5] = { 0, 1, 2, 0, 4 };
	const uint8_t *p;
	uint8_t dst[5];
	struct buf b;
	size_t len;

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(buf_put_bytes(&b, x, sizeof(x)), 0);
	assert_int_equal(buf_put_bytes(&b, x, sizeof(x)), 0);
	assert_int_equal(buf_put_bytes(&b, NULL, 0), 0);
	assert_int_equal(b.len, 3 * 4 + 2 * sizeof(x));
	assert_memory_equal(b.data, "\0\0\0\5", 4);
	assert_int_equal(buf_get_bytes_ref(&b, 5, &p, &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(p, x, 5);
	assert_int_equal(buf_get_bytes(&b, dst, sizeof(dst), &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(dst, x, 5);
	assert_int_equal(buf_get_bytes_ref(&b, 0, &p, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(buf_end(&b), 0);
	buf_free(&b);
}

static void
test_bytes_getters_enforce_their_bound(void **state)
{
	static const uint8_t in[] = { 0, 0, 0, 4, 'a', 'b', 'c', 'd' };
	struct buf b = view(in, sizeof(in));
	const uint8_t *p = NULL;
	uint8_t dst[4];
	size_t len = 99;

	(void)state;
	assert_int_equal(buf_get_bytes_ref(&b, 3, &p, &len), -1);
	assert_int_equal(b.off, 0);
	assert_null(p);
	assert_int_equal(len, 99);
	assert_int_equal(buf_get_bytes(&b, dst, 3, &len), -1);
	assert_int_equal(b.off, 0);
	assert_int_equal(buf_get_bytes(&b, dst, 4, &len), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(dst, "abcd", 4);
}

static void
test_bytes_length_past_the_end_is_refused(void **state)
{
	static const uint8_t in[] = { 0, 0, 0, 5, 'a', 'b', 'c', 'd' };
	static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff, 'a' };
	static const uint8_t hdr[] = { 0, 0, 0 };
	struct buf b = view(in, sizeof(in));
	const uint8_t *p;
	uint8_t dst[64];
	size_t len;

	(void)state;
	assert_int_equal(buf_get_bytes_ref(&b, 64, &p, &len), -1);
	assert_int_equal(b.off, 0);
	assert_int_equal(buf_get_bytes(&b, dst, sizeof(dst), &len), -1);
	assert_int_equal(b.off, 0);
	b = view(huge, sizeof(huge));
	assert_int_equal(buf_get_bytes_ref(&b, SIZE_MAX, &p, &len), -1);
	assert_int_equal(b.off, 0);
	b = view(hdr, sizeof(hdr));
	assert_int_equal(buf_get_bytes_ref(&b, 64, &p, &len), -1);
	assert_int_equal(b.off, 0);
}

static void
test_str_round_trip(void **state)
{
	char dst[16];
	struct buf b;

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(buf_put_str(&b, "hello"), 0);
	assert_int_equal(buf_put_str(&b, ""), 0);
	assert_int_equal(b.len, 4 + 5 + 4);
	assert_memory_equal(b.data, "\0\0\0\5hello\0\0\0\0", 13);
	assert_int_equal(buf_get_str(&b, dst, sizeof(dst), 15), 0);
	assert_string_equal(dst, "hello");
	memset(dst, 'x', sizeof(dst));
	assert_int_equal(buf_get_str(&b, dst, sizeof(dst), 15), 0);
	assert_string_equal(dst, "");
	assert_int_equal(buf_end(&b), 0);
	buf_free(&b);
}

static void
test_str_at_max_is_taken_and_one_past_refused(void **state)
{
	static const uint8_t in[] = { 0, 0, 0, 5, 'a', 'b', 'c', 'd', 'e' };
	struct buf b = view(in, sizeof(in));
	char dst[6];

	(void)state;
	assert_int_equal(buf_get_str(&b, dst, sizeof(dst), 4), -1);
	assert_int_equal(b.off, 0);
	assert_int_equal(buf_get_str(&b, dst, sizeof(dst), 5), 0);
	assert_string_equal(dst, "abcde");
}

/* dstlen must leave room for the NUL after max bytes. */
static void
test_str_refuses_a_destination_without_room_for_max(void **state)
{
	static const uint8_t in[] = { 0, 0, 0, 1, 'a' };
	struct buf b = view(in, sizeof(in));
	char dst[4];

	(void)state;
	assert_int_equal(buf_get_str(&b, dst, 4, 4), -1);
	assert_int_equal(buf_get_str(&b, dst, 0, 0), -1);
	assert_int_equal(b.off, 0);
	assert_int_equal(buf_get_str(&b, dst, 4, 3), 0);
	assert_string_equal(dst, "a");
}

static void
test_str_with_embedded_nul_is_refused(void **state)
{
	static const uint8_t mid[] = { 0, 0, 0, 3, 'a', 0, 'b' };
	static const uint8_t last[] = { 0, 0, 0, 3, 'a', 'b', 0 };
	struct buf b;
	char dst[16];

	(void)state;
	b = view(mid, sizeof(mid));
	assert_int_equal(buf_get_str(&b, dst, sizeof(dst), 15), -1);
	assert_int_equal(b.off, 0);
	b = view(last, sizeof(last));
	assert_int_equal(buf_get_str(&b, dst, sizeof(dst), 15), -1);
	assert_int_equal(b.off, 0);
}

static void
test_str_length_past_the_end_is_refused(void **state)
{
	static const uint8_t in[] = { 0, 0, 0, 4, 'a', 'b', 'c' };
	static const uint8_t huge[] = { 0x80, 0, 0, 0, 'a', 'b', 'c' };
	struct buf b;
	char dst[16];

	(void)state;
	b = view(in, sizeof(in));
	assert_int_equal(buf_get_str(&b, dst, sizeof(dst), 15), -1);
	assert_int_equal(b.off, 0);
	b = view(huge, sizeof(huge));
	assert_int_equal(buf_get_str(&b, dst, sizeof(dst), 15), -1);
	assert_int_equal(b.off, 0);
}

static void
test_end_detects_leftover_bytes(void **state)
{
	static const uint8_t in[] = { 1, 2, 3 };
	struct buf b = view(in, sizeof(in));
	uint16_t v;

	(void)state;
	assert_int_equal(buf_end(&b), -1);
	assert_int_equal(buf_get_u16(&b, &v), 0);
	assert_int_equal(buf_end(&b), -1);
	assert_int_equal(buf_skip(&b, 1), 0);
	assert_int_equal(buf_end(&b), 0);
	b = view(in, 0);
	assert_int_equal(buf_end(&b), 0);
}

static void
test_reset_empties_and_allows_reuse(void **state)
{
	struct buf b;
	uint32_t v;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_put_u32(&b, 1), 0);
	assert_int_equal(buf_put_u32(&b, 2), 0);
	assert_int_equal(buf_get_u32(&b, &v), 0);
	buf_reset(&b);
	assert_int_equal(buf_left(&b), 0);
	assert_int_equal(buf_put_u32(&b, 3), 0);
	assert_int_equal(buf_put_u32(&b, 4), 0);
	assert_int_equal(buf_get_u32(&b, &v), 0);
	assert_int_equal(v, 3);
	buf_free(&b);
	buf_free(&b); /* twice is harmless */
	buf_free(NULL);
}

/*
 * A wipe reaches every byte ever written, also past a shorter message
 * written after a reset, and no further: the high-water mark.
 */
static void
test_wipe_clears_every_byte_written(void **state)
{
	uint8_t big[1000], small[10];
	struct buf b;

	(void)state;
	memset(big, 0xaa, sizeof(big));
	memset(small, 0xbb, sizeof(small));
	buf_init(&b, 4096);
	assert_int_equal(buf_put(&b, big, sizeof(big)), 0);
	buf_reset(&b);
	assert_int_equal(buf_put(&b, small, sizeof(small)), 0);
	assert_int_equal(b.hi, sizeof(big));
	buf_wipe(&b);
	assert_int_equal(b.hi, 0);
	assert_int_equal(buf_left(&b), 0);
	for (size_t i = 0; i < sizeof(big); i++)
		assert_int_equal(b.data[i], 0);
	/* Growing moves what was written; the mark follows it. */
	assert_int_equal(buf_put(&b, small, sizeof(small)), 0);
	assert_int_equal(buf_put(&b, big, sizeof(big)), 0);
	assert_int_equal(buf_put(&b, big, sizeof(big)), 0);
	assert_int_equal(b.hi, 2 * sizeof(big) + sizeof(small));
	buf_free(&b);
	assert_int_equal(b.hi, 0);
}

/* A reservation only partly written: the mark is what was used. */
static void
test_settle_keeps_the_mark_of_what_was_used(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 4096);
	assert_int_equal(buf_put_u32(&b, 1), 0);
	assert_non_null(buf_reserve(&b, 4000));
	assert_int_equal(b.hi, 4004);
	buf_settle(&b, 100, 4);
	assert_int_equal(b.len, 100);
	assert_int_equal(b.hi, 100);
	buf_settle(&b, 2, 100);
	assert_int_equal(b.hi, 100);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u16_u32_u64_are_written_in_network_order),
		cmocka_unit_test(test_u16_u32_u64_round_trip),
		cmocka_unit_test(
		    test_getters_read_network_order_from_exact_bytes),
		cmocka_unit_test(
		    test_fixed_getters_fail_without_consuming_on_short_input),
		cmocka_unit_test(
		    test_getters_fail_without_consuming_at_an_offset),
		cmocka_unit_test(test_put_up_to_max_succeeds),
		cmocka_unit_test(test_put_past_max_fails_and_changes_nothing),
		cmocka_unit_test(test_put_larger_than_max_in_one_go_fails),
		cmocka_unit_test(test_buffer_grows_and_keeps_contents),
		cmocka_unit_test(test_poke_u32_patches_in_place_and_is_bounded),
		cmocka_unit_test(test_view_is_read_only),
		cmocka_unit_test(test_bytes_round_trip),
		cmocka_unit_test(test_bytes_getters_enforce_their_bound),
		cmocka_unit_test(test_bytes_length_past_the_end_is_refused),
		cmocka_unit_test(test_str_round_trip),
		cmocka_unit_test(test_str_at_max_is_taken_and_one_past_refused),
		cmocka_unit_test(
		    test_str_refuses_a_destination_without_room_for_max),
		cmocka_unit_test(test_str_with_embedded_nul_is_refused),
		cmocka_unit_test(test_str_length_past_the_end_is_refused),
		cmocka_unit_test(test_end_detects_leftover_bytes),
		cmocka_unit_test(test_reset_empties_and_allows_reuse),
		cmocka_unit_test(test_wipe_clears_every_byte_written),
		cmocka_unit_test(test_settle_keeps_the_mark_of_what_was_used),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
