/*
 * test_admit.c: per-uid connection counts and the fair queue
 * (broker/admit.c), and the log line limiter (broker/loglimit.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "broker/admit.h"
#include "broker/loglimit.h"

#define NW 600

static struct waiting ws[NW];

/* Hold a reference for uid and queue waiting client i with it. */
static void
queue_one(struct admit *a, int i, uid_t uid)
{
	int full = -1;

	ws[i].fd = i;
	ws[i].user = admit_hold(a, uid, 1000, &full);
	assert_non_null(ws[i].user);
	assert_int_equal(full, 0);
	admit_enqueue(a, &ws[i]);
}

/* Serve the next client: its index (its fd), releasing its reference. */
static int
serve_next(struct admit *a)
{
	struct waiting *w = admit_next(a);

	assert_non_null(w);
	admit_release(a, w->user);
	return w->fd;
}

static void
test_a_uid_holds_at_most_max(void **state)
{
	struct admit a;
	struct admit_user *u[3], *other;
	int full = -1;

	(void)state;
	admit_init(&a);
	for (int i = 0; i < 3; i++) {
		u[i] = admit_hold(&a, 1001, 3, &full);
		assert_non_null(u[i]);
		assert_int_equal(full, 0);
	}
	assert_null(admit_hold(&a, 1001, 3, &full));
	assert_int_equal(full, 1);
	/* Another uid has its own share. */
	assert_non_null(other = admit_hold(&a, 1002, 3, &full));
	/* A released reference can be taken again. */
	admit_release(&a, u[0]);
	assert_non_null(u[0] = admit_hold(&a, 1001, 3, &full));
	assert_int_equal(u[1]->nconn, 3);
	for (int i = 0; i < 3; i++)
		admit_release(&a, u[i]);
	admit_release(&a, other);
	assert_true(TAILQ_EMPTY(&a.users));
}

static void
test_records_go_with_their_last_reference(void **state)
{
	struct admit a;
	struct admit_user *u, *v;
	int full;

	(void)state;
	admit_init(&a);
	u = admit_hold(&a, 7, 2, &full);
	v = admit_hold(&a, 7, 2, &full);
	assert_ptr_equal(u, v);
	admit_release(&a, u);
	assert_false(TAILQ_EMPTY(&a.users));
	admit_release(&a, v);
	assert_true(TAILQ_EMPTY(&a.users));
	admit_release(&a, NULL);
}

/* 500 queued connections of one uid delay another uid's first by one. */
static void
test_uids_take_turns(void **state)
{
	struct admit a;

	(void)state;
	admit_init(&a);
	for (int i = 0; i < 500; i++)
		queue_one(&a, i, 1001);
	queue_one(&a, 500, 1000);
	assert_int_equal(a.nready, 501);
	assert_int_equal(serve_next(&a), 0);
	assert_int_equal(serve_next(&a), 500);
	for (int i = 1; i < 500; i++)
		assert_int_equal(serve_next(&a), i);
	assert_null(admit_next(&a));
	assert_int_equal(a.nready, 0);
	assert_true(TAILQ_EMPTY(&a.users));
}

/* Three uids with waiters alternate; a uid that runs out leaves the turns. */
static void
test_round_robin_between_three(void **state)
{
	static const int want[] = { 0, 10, 20, 1, 11, 2, 3 };
	struct admit a;

	(void)state;
	admit_init(&a);
	for (int i = 0; i < 4; i++)
		queue_one(&a, i, 1);
	for (int i = 10; i < 12; i++)
		queue_one(&a, i, 2);
	queue_one(&a, 20, 3);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(serve_next(&a), want[i]);
	assert_null(admit_next(&a));
}

static void
test_dequeue_and_putback(void **state)
{
	struct admit a;
	struct waiting *w;

	(void)state;
	admit_init(&a);
	queue_one(&a, 0, 1);
	queue_one(&a, 1, 1);
	queue_one(&a, 2, 2);
	/* A client that hung up leaves the queue; its uid keeps its turn. */
	admit_dequeue(&a, &ws[0]);
	admit_release(&a, ws[0].user);
	assert_int_equal(a.nready, 2);
	/* A client given back (its child failed) is next again. */
	w = admit_next(&a);
	assert_ptr_equal(w, &ws[1]);
	admit_putback(&a, w);
	assert_int_equal(serve_next(&a), 1);
	assert_int_equal(serve_next(&a), 2);
	/* The last client of a uid dequeued: the uid leaves the turns. */
	queue_one(&a, 3, 5);
	admit_dequeue(&a, &ws[3]);
	assert_true(TAILQ_EMPTY(&a.turns));
	assert_null(admit_next(&a));
	admit_release(&a, ws[3].user);
}

static void
test_loglimit_one_line_per_interval(void **state)
{
	struct loglimit l = LOGLIMIT_INIT(10);
	unsigned long held = 99;

	(void)state;
	assert_int_equal(loglimit_pass(&l, 100, &held), 1);
	assert_int_equal(held, 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(loglimit_pass(&l, 100 + i % 10, &held), 0);
	assert_int_equal(loglimit_pass(&l, 110, &held), 1);
	assert_int_equal(held, 1000);
	assert_int_equal(loglimit_pass(&l, 111, &held), 0);
	assert_int_equal(loglimit_pass(&l, 200, &held), 1);
	assert_int_equal(held, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_uid_holds_at_most_max),
		cmocka_unit_test(test_records_go_with_their_last_reference),
		cmocka_unit_test(test_uids_take_turns),
		cmocka_unit_test(test_round_robin_between_three),
		cmocka_unit_test(test_dequeue_and_putback),
		cmocka_unit_test(test_loglimit_one_line_per_interval),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
