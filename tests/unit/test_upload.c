/* test_upload.c: the per-uid budget of inline uploads (monitor/upload.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "monitor/upload.h"

#define GIB (UINT64_C(1) << 30)

/* Sessions are told apart by address only: any distinct objects do. */
static const int s1, s2, s3, s4;

static void
test_one_uid_shares_its_budget_across_sessions(void **state)
{
	struct uploads *u = uploads_new();
	uint64_t used;

	(void)state;
	assert_non_null(u);
	assert_int_equal(uploads_reserve(u, &s1, 1000, GIB / 2, GIB, &used),
	    UPLOAD_OK);
	assert_true(used == 0);
	assert_int_equal(uploads_reserve(u, &s2, 1000, GIB / 2, GIB, &used),
	    UPLOAD_OK);
	assert_true(used == GIB / 2);
	/* A third session of the same uid: one byte more is over. */
	assert_int_equal(uploads_reserve(u, &s3, 1000, 1, GIB, &used),
	    UPLOAD_OVER_BUDGET);
	assert_true(used == GIB);
	assert_true(uploads_in_flight(u, 1000) == GIB);
	/* Another uid has a budget of its own. */
	assert_int_equal(uploads_reserve(u, &s3, 1001, GIB, GIB, &used),
	    UPLOAD_OK);
	assert_true(uploads_in_flight(u, 1001) == GIB);
	uploads_free(u);
}

static void
test_release_gives_the_bytes_back_once(void **state)
{
	struct uploads *u = uploads_new();
	uint64_t used;

	(void)state;
	assert_int_equal(uploads_reserve(u, &s1, 7, GIB, GIB, &used),
	    UPLOAD_OK);
	assert_int_equal(uploads_reserve(u, &s2, 7, 1, GIB, &used),
	    UPLOAD_OVER_BUDGET);
	assert_int_equal(uploads_release(u, &s1), 1);
	assert_int_equal(uploads_release(u, &s1), 0);
	assert_true(uploads_in_flight(u, 7) == 0);
	assert_int_equal(uploads_reserve(u, &s2, 7, GIB, GIB, &used),
	    UPLOAD_OK);
	assert_int_equal(uploads_release(u, &s4), 0);
	assert_true(uploads_in_flight(u, 7) == GIB);
	uploads_free(u);
}

static void
test_a_session_holds_one_reservation_at_a_time(void **state)
{
	struct uploads *u = uploads_new();
	uint64_t used;

	(void)state;
	assert_int_equal(uploads_reserve(u, &s1, 7, 10, GIB, &used), UPLOAD_OK);
	assert_int_equal(uploads_reserve(u, &s1, 7, 10, GIB, &used),
	    UPLOAD_TWICE);
	assert_true(uploads_in_flight(u, 7) == 10);
	uploads_free(u);
}

/* Too large alone, a limit lowered by a reload, the largest numbers. */
static void
test_limits_are_compared_without_overflow(void **state)
{
	struct uploads *u = uploads_new();
	uint64_t used;

	(void)state;
	assert_int_equal(uploads_reserve(u, &s1, 7, GIB + 1, GIB, &used),
	    UPLOAD_TOO_LARGE);
	assert_int_equal(uploads_reserve(u, &s1, 7, UINT64_MAX, GIB, &used),
	    UPLOAD_TOO_LARGE);
	assert_int_equal(uploads_reserve(u, &s1, 7, GIB, GIB, &used),
	    UPLOAD_OK);
	/* The limit is now smaller than what is in flight. */
	assert_int_equal(uploads_reserve(u, &s2, 7, 1, GIB / 2, &used),
	    UPLOAD_OVER_BUDGET);
	assert_int_equal(uploads_reserve(u, &s2, 7, 0, GIB / 2, &used),
	    UPLOAD_OVER_BUDGET);
	assert_int_equal(uploads_reserve(u, &s3, 8, UINT64_MAX, UINT64_MAX,
			     &used),
	    UPLOAD_OK);
	assert_int_equal(uploads_reserve(u, &s4, 8, 1, UINT64_MAX, &used),
	    UPLOAD_OVER_BUDGET);
	uploads_free(u);
}

/* Many sessions come and go; the sums stay exact. */
static void
test_many_sessions_come_and_go(void **state)
{
	static char owners[5000];
	struct uploads *u = uploads_new();
	uint64_t used;

	(void)state;
	for (size_t i = 0; i < sizeof(owners); i++)
		assert_int_equal(uploads_reserve(u, &owners[i], (uid_t)(i % 5),
				     3, GIB, &used),
		    UPLOAD_OK);
	assert_true(uploads_in_flight(u, 0) == 3000);
	for (size_t i = 0; i < sizeof(owners); i += 2)
		assert_int_equal(uploads_release(u, &owners[i]), 1);
	assert_true(uploads_in_flight(u, 0) + uploads_in_flight(u, 1) +
		uploads_in_flight(u, 2) + uploads_in_flight(u, 3) +
		uploads_in_flight(u, 4) ==
	    3 * 2500);
	uploads_free(u);
	uploads_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_one_uid_shares_its_budget_across_sessions),
		cmocka_unit_test(test_release_gives_the_bytes_back_once),
		cmocka_unit_test(
		    test_a_session_holds_one_reservation_at_a_time),
		cmocka_unit_test(test_limits_are_compared_without_overflow),
		cmocka_unit_test(test_many_sessions_come_and_go),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
