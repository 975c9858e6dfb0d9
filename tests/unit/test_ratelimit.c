/* test_ratelimit.c: rate-limited grants (records/ratelimit.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "records/ratelimit.h"

static struct cfg_key key_a = { .name = "a",
	.formats = FMT_BIT(FMT_RAW) | FMT_BIT(FMT_MODULE) };
static struct cfg_key key_b = { .name = "b", .formats = FMT_BIT(FMT_RAW) };
static struct cfg_key *keys_a[] = { &key_a };

/* A config with the given Allow lines (user 1000 and group 50). */
static void
setup_cfg(struct config *cfg, struct cfg_allow *allows, size_t n)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->allows = allows;
	cfg->nallows = n;
}

static const struct identity alice = { .uid = 1000,
	.gid = 1000,
	.groups = { 50 },
	.ngroups = 1 };
static const struct identity bob = { .uid = 1001, .gid = 50 };

static void
test_limit_allows_n_then_refuses(void **state)
{
	struct cfg_allow a = { .is_group = 0,
		.uid = 1000,
		.keys = keys_a,
		.nkeys = 1,
		.rate_n = 3,
		.rate_period = 3600 };
	struct ratelimit *r = ratelimit_new();
	struct config cfg;
	char why[128];

	(void)state;
	setup_cfg(&cfg, &a, 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(ratelimit_take(r, &cfg, &alice, &key_a,
				     FMT_RAW, 100.0, why, sizeof(why)),
		    1);
	assert_int_equal(ratelimit_take(r, &cfg, &alice, &key_a, FMT_RAW, 100.0,
			     why, sizeof(why)),
	    0);
	/* Empty at 100 s: one signature is back a third of an hour later. */
	assert_string_equal(why,
	    "rate limit: 3 signatures per hour with "
	    "this key; try again in 1200 s");
	/* A third of an hour later, one signature is back. */
	assert_int_equal(ratelimit_take(r, &cfg, &alice, &key_a, FMT_RAW,
			     1300.0, why, sizeof(why)),
	    1);
	assert_int_equal(ratelimit_take(r, &cfg, &alice, &key_a, FMT_RAW,
			     1300.0, why, sizeof(why)),
	    0);
	assert_string_equal(why,
	    "rate limit: 3 signatures per hour with "
	    "this key; try again in 1200 s");
	/* Part of the way there: the rest, rounded up to whole seconds. */
	assert_int_equal(ratelimit_take(r, &cfg, &alice, &key_a, FMT_RAW,
			     1900.5, why, sizeof(why)),
	    0);
	assert_string_equal(why,
	    "rate limit: 3 signatures per hour with "
	    "this key; try again in 600 s");
	ratelimit_free(r);
}

static void
test_limits_are_per_user(void **state)
{
	struct cfg_allow a = { .is_group = 1,
		.gid = 50,
		.keys = keys_a,
		.nkeys = 1,
		.rate_n = 1,
		.rate_period = 60 };
	struct ratelimit *r = ratelimit_new();
	struct config cfg;
	char why[128];

	(void)state;
	setup_cfg(&cfg, &a, 1);
	assert_int_equal(ratelimit_take(r, &cfg, &alice, &key_a, FMT_RAW, 0,
			     why, sizeof(why)),
	    1);
	assert_int_equal(ratelimit_take(r, &cfg, &alice, &key_a, FMT_RAW, 0,
			     why, sizeof(why)),
	    0);
	assert_int_equal(ratelimit_take(r, &cfg, &bob, &key_a, FMT_RAW, 0, why,
			     sizeof(why)),
	    1);
	ratelimit_free(r);
}

static void
test_an_unlimited_grant_wins(void **state)
{
	struct cfg_allow a[2] = {
		{ .is_group = 0,
		    .uid = 1000,
		    .keys = keys_a,
		    .nkeys = 1,
		    .rate_n = 1,
		    .rate_period = 86400 },
		{ .is_group = 1, .gid = 50, .keys = keys_a, .nkeys = 1 },
	};
	struct ratelimit *r = ratelimit_new();
	struct config cfg;
	char why[128];

	(void)state;
	setup_cfg(&cfg, a, 2);
	for (int i = 0; i < 10; i++)
		assert_int_equal(ratelimit_take(r, &cfg, &alice, &key_a,
				     FMT_RAW, 0, why, sizeof(why)),
		    1);
	/* A key the lines do not list is not this module's business. */
	assert_int_equal(ratelimit_take(r, &cfg, &alice, &key_b, FMT_RAW, 0,
			     why, sizeof(why)),
	    1);
	ratelimit_free(r);
}

/*
 * An unlimited line that grants the key for module only does not lift
 * the rate of a line granting raw: only lines for the format count.
 */
static void
test_only_lines_for_the_format_count(void **state)
{
	struct cfg_allow a[2] = {
		{ .is_group = 0,
		    .uid = 1000,
		    .keys = keys_a,
		    .nkeys = 1,
		    .rate_n = 1,
		    .rate_period = 86400 },
		{ .is_group = 1,
		    .gid = 50,
		    .keys = keys_a,
		    .nkeys = 1,
		    .formats = FMT_BIT(FMT_MODULE) },
	};
	struct ratelimit *r = ratelimit_new();
	struct config cfg;
	char why[128];

	(void)state;
	setup_cfg(&cfg, a, 2);
	assert_int_equal(ratelimit_take(r, &cfg, &alice, &key_a, FMT_RAW, 0,
			     why, sizeof(why)),
	    1);
	assert_int_equal(ratelimit_take(r, &cfg, &alice, &key_a, FMT_RAW, 0,
			     why, sizeof(why)),
	    0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(ratelimit_take(r, &cfg, &alice, &key_a,
				     FMT_MODULE, 0, why, sizeof(why)),
		    1);
	ratelimit_free(r);
}

static void
test_reset_refills_everything(void **state)
{
	struct cfg_allow a = { .uid = 1000,
		.keys = keys_a,
		.nkeys = 1,
		.rate_n = 1,
		.rate_period = 86400 };
	struct ratelimit *r = ratelimit_new();
	struct config cfg;
	char why[128];

	(void)state;
	setup_cfg(&cfg, &a, 1);
	assert_int_equal(ratelimit_take(r, &cfg, &alice, &key_a, FMT_RAW, 0,
			     why, sizeof(why)),
	    1);
	assert_int_equal(ratelimit_take(r, &cfg, &alice, &key_a, FMT_RAW, 0,
			     why, sizeof(why)),
	    0);
	ratelimit_reset(r);
	assert_int_equal(ratelimit_take(r, &cfg, &alice, &key_a, FMT_RAW, 0,
			     why, sizeof(why)),
	    1);
	ratelimit_free(r);
	ratelimit_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_allows_n_then_refuses),
		cmocka_unit_test(test_limits_are_per_user),
		cmocka_unit_test(test_an_unlimited_grant_wins),
		cmocka_unit_test(test_only_lines_for_the_format_count),
		cmocka_unit_test(test_reset_refills_everything),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
