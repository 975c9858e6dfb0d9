/*
 * test_frametab.c: the client channel's protocol table (proto/frametab.c):
 * wire numbers that never move, one row per frame type, each tag read the
 * same way in every frame, and the directions and descriptor counts the
 * session child and the client rely on.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "proto/buf.h"
#include "proto/frame.h"
#include "proto/names.h"

static struct frame fr; /* 8 KiB: kept off the stack */

/* The numbers on the wire: a client of another release sends these. */
static void
test_wire_numbers_are_fixed(void **state)
{
	static const int types[] = { F_HELLO, F_SIGN, F_KEYS, F_CERT, F_WHOAMI,
		F_STATUS, F_REPLY, F_DATA, F_ADMIN, F_PENDING, F_APPROVE,
		F_DENY, F_WAIT, F_HELD };
	static const int tags[] = { T_VERSION, T_KEY, T_FORMAT, T_DIGEST,
		T_NAME, T_FLAGS, T_STATUS, T_MESSAGE, T_SIGNATURE, T_CERT,
		T_UID, T_GID, T_USER, T_GROUP, T_FORMATS, T_DIGESTS, T_ALG,
		T_TOKEN, T_STATE, T_SIZE, T_ADIGEST, T_FINGERPRINT,
		T_TEST_SYSCALL, T_NOTAFTER, T_DATA, T_WARN_DAYS, T_TIMESTAMP,
		T_ID, T_COUNT, T_NEEDED, T_EXPIRES, T_AGE, T_RELOAD, T_APPROVAL,
		T_OUTPUT, T_BUSY };

	(void)state;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		assert_int_equal(types[i], (int)i + 1);
	assert_int_equal(F_TYPE_COUNT, 15);
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		assert_int_equal(tags[i], (int)i + 1);
	assert_int_equal(T_TAG_COUNT, 37);
}

static void
test_every_frame_type_has_its_row(void **state)
{
	(void)state;
	assert_null(frame_spec(0));
	assert_null(frame_spec(F_TYPE_COUNT));
	assert_null(frame_spec(-1));
	for (int t = 1; t < F_TYPE_COUNT; t++) {
		const struct frame_spec *fs = frame_spec(t);

		assert_non_null(fs);
		assert_int_equal(fs->type, t);
		assert_non_null(fs->name);
		assert_string_equal(frame_type_name(t), fs->name);
		assert_int_not_equal(fs->dir, 0);
		assert_true(fs->maxfds <= FRAME_MAX_FDS);
	}
}

/* Every field of every row is a known tag of a known kind, within limits. */
static void
test_every_field_is_well_formed(void **state)
{
	(void)state;
	for (int t = 1; t < F_TYPE_COUNT; t++) {
		const struct frame_spec *fs = frame_spec(t);
		uint64_t seen = 0;

		for (size_t i = 0; i < T_TAG_COUNT && fs->fields[i].tag; i++) {
			const struct frame_field *f = &fs->fields[i];

			assert_true(f->tag < T_TAG_COUNT);
			assert_false(seen & (1ull << f->tag));
			seen |= 1ull << f->tag;
			assert_true(f->kind >= K_U32 && f->kind <= K_BYTES);
			assert_true(f->min <= f->max);
			assert_true(f->max <= FRAME_MAX);
			if (f->kind == K_U32)
				assert_true(f->min == 4 && f->max == 4);
			if (f->kind == K_U64)
				assert_true(f->min == 8 && f->max == 8);
			assert_ptr_equal(frame_spec_field(fs, f->tag), f);
		}
	}
}

/* A tag has one kind and one size range, whichever frame carries it. */
static void
test_each_tag_reads_the_same_in_every_frame(void **state)
{
	(void)state;
	for (uint16_t tag = 1; tag < T_TAG_COUNT; tag++) {
		const struct frame_field *first = NULL;

		for (int t = 1; t < F_TYPE_COUNT; t++) {
			const struct frame_field *f;

			f = frame_spec_field(frame_spec(t), tag);
			if (f == NULL)
				continue;
			if (first == NULL) {
				first = f;
				continue;
			}
			assert_int_equal(f->kind, first->kind);
			assert_int_equal(f->min, first->min);
			assert_int_equal(f->max, first->max);
		}
	}
}

static void
test_directions_follow_the_table(void **state)
{
	(void)state;
	assert_true(frame_dir_allowed(F_HELLO, FRAME_TO_DAEMON));
	assert_false(frame_dir_allowed(F_HELLO, FRAME_TO_CLIENT));
	assert_true(frame_dir_allowed(F_SIGN, FRAME_TO_DAEMON));
	assert_false(frame_dir_allowed(F_REPLY, FRAME_TO_DAEMON));
	assert_true(frame_dir_allowed(F_REPLY, FRAME_TO_CLIENT));
	assert_false(frame_dir_allowed(F_HELD, FRAME_TO_DAEMON));
	assert_true(frame_dir_allowed(F_DATA, FRAME_TO_DAEMON));
	assert_true(frame_dir_allowed(F_DATA, FRAME_TO_CLIENT));
	assert_false(frame_dir_allowed(0, FRAME_TO_DAEMON));
	assert_false(frame_dir_allowed(F_TYPE_COUNT, FRAME_TO_CLIENT));
}

/*
 * A hello may bring its probe, a sign request the artifact and an output;
 * nothing else brings a descriptor.
 */
static void
test_descriptor_counts_follow_the_table(void **state)
{
	(void)state;
	assert_true(frame_fds_allowed(F_HELLO, 0));
	assert_true(frame_fds_allowed(F_HELLO, 1));
	assert_false(frame_fds_allowed(F_HELLO, 2));
	assert_true(frame_fds_allowed(F_SIGN, 0));
	assert_true(frame_fds_allowed(F_SIGN, 2));
	assert_false(frame_fds_allowed(F_SIGN, 3));
	for (int t = F_KEYS; t < F_TYPE_COUNT; t++) {
		assert_true(frame_fds_allowed(t, 0));
		assert_false(frame_fds_allowed(t, 1));
	}
	assert_false(frame_fds_allowed(0, 0));
	assert_false(frame_fds_allowed(F_TYPE_COUNT, 0));
}

/* The two-descriptor formats, stated once in proto/names. */
static void
test_module_and_pe_take_an_output_descriptor(void **state)
{
	(void)state;
	assert_true(format_writes_artifact(FMT_MODULE));
	assert_true(format_writes_artifact(FMT_PE));
	assert_false(format_writes_artifact(FMT_RAW));
	assert_false(format_writes_artifact(FMT_CMS));
	assert_false(format_writes_artifact(FMT_IMA));
	assert_false(format_writes_artifact(-1));
	assert_false(format_writes_artifact(FMT_COUNT));
	assert_int_equal(format_fd_count(FMT_PE), 2);
	assert_int_equal(format_fd_count(FMT_CMS), 1);
	assert_int_equal(format_fd_count(-1), 1);
	assert_true(frame_fds_allowed(F_SIGN, (size_t)format_fd_count(FMT_PE)));
}

/* A field's lower bound counts: an empty key name is refused. */
static void
test_a_field_under_its_minimum_is_refused(void **state)
{
	const char *err = NULL;
	struct buf b;

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(buf_put_u16(&b, F_CERT), 0);
	assert_int_equal(buf_put_u16(&b, T_KEY), 0);
	assert_int_equal(buf_put_u32(&b, 0), 0);
	assert_int_equal(frame_decode(b.data, b.len, &fr, &err), -1);
	assert_non_null(strstr(err, "key name"));
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_numbers_are_fixed),
		cmocka_unit_test(test_every_frame_type_has_its_row),
		cmocka_unit_test(test_every_field_is_well_formed),
		cmocka_unit_test(test_each_tag_reads_the_same_in_every_frame),
		cmocka_unit_test(test_directions_follow_the_table),
		cmocka_unit_test(test_descriptor_counts_follow_the_table),
		cmocka_unit_test(test_module_and_pe_take_an_output_descriptor),
		cmocka_unit_test(test_a_field_under_its_minimum_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
