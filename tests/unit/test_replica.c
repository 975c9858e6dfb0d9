/*
 * test_replica.c: which of a key's tokens signs, and whether a request
 * moves on (token/replica.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "token/replica.h"

static void
test_first_ready_token_signs(void **state)
{
	const int ready[] = { 1, 1, 1 };

	(void)state;
	assert_int_equal(replica_pick(ready, 3, 0), 0);
}

static void
test_unhealthy_token_is_skipped(void **state)
{
	const int ready[] = { 0, 1, 1 };

	(void)state;
	assert_int_equal(replica_pick(ready, 3, 0), 1);
}

static void
test_tried_token_is_skipped(void **state)
{
	const int ready[] = { 1, 1, 1 };

	(void)state;
	/* The first failed and is still marked ready: never tried twice. */
	assert_int_equal(replica_pick(ready, 3, 1u << 0), 1);
	assert_int_equal(replica_pick(ready, 3, 1u << 0 | 1u << 1), 2);
}

static void
test_no_healthy_token_left_is_minus_one(void **state)
{
	const int ready[] = { 0, 1 };

	(void)state;
	assert_int_equal(replica_pick(ready, 2, 1u << 1), -1);
	assert_int_equal(replica_pick(ready, 0, 0), -1);
}

static void
test_one_failover_per_request(void **state)
{
	const int ready[] = { 1, 1, 1, 1 };

	(void)state;
	/* After the first token: one move to a replica, not two. */
	assert_true(replica_may_retry(ready, 4, 1u << 0, 1));
	assert_false(replica_may_retry(ready, 4, 1u << 0 | 1u << 1, 2));
}

static void
test_no_retry_without_a_healthy_replica(void **state)
{
	const int ready[] = { 1, 0 };

	(void)state;
	assert_false(replica_may_retry(ready, 2, 1u << 0, 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_ready_token_signs),
		cmocka_unit_test(test_unhealthy_token_is_skipped),
		cmocka_unit_test(test_tried_token_is_skipped),
		cmocka_unit_test(test_no_healthy_token_left_is_minus_one),
		cmocka_unit_test(test_one_failover_per_request),
		cmocka_unit_test(test_no_retry_without_a_healthy_replica),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
