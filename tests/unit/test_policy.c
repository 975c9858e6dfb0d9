/* test_policy.c: who may sign with which key (records/policy.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "records/policy.h"

#define UID_ALICE 1000
#define UID_BOB 1001
#define GID_USERS 100
#define GID_BUILDERS 2000
#define GID_RELEASE 2001

/*
 * A config built by hand: alice may use "raw-key"; group builders may use
 * "cms-key"; group release may use both.  Nobody may use "idle-key".
 */
static struct cfg_token token = { .name = "hsm0", .slot = 0 };
static struct cfg_key keys[] = {
	{ .name = "raw-key",
	    .token = &token,
	    .formats = FMT_BIT(FMT_RAW) | FMT_BIT(FMT_CMS),
	    .digests = DIG_BIT(DIG_SHA256),
	    .default_digest = DIG_SHA256 },
	{ .name = "cms-key",
	    .token = &token,
	    .formats = FMT_BIT(FMT_CMS),
	    .digests = DIG_BIT(DIG_SHA384) | DIG_BIT(DIG_SHA512),
	    .default_digest = DIG_SHA384 },
	{ .name = "idle-key",
	    .token = &token,
	    .formats = FMT_BIT(FMT_RAW),
	    .digests = DIG_BIT(DIG_SHA256),
	    .default_digest = DIG_SHA256 },
};
static struct cfg_key *alice_keys[] = { &keys[0] };
static struct cfg_key *builder_keys[] = { &keys[1] };
static struct cfg_key *release_keys[] = { &keys[0], &keys[1] };
static struct cfg_allow allows[] = {
	{ .is_group = 0,
	    .name = "alice",
	    .uid = UID_ALICE,
	    .keys = alice_keys,
	    .nkeys = 1 },
	{ .is_group = 1,
	    .name = "builders",
	    .gid = GID_BUILDERS,
	    .keys = builder_keys,
	    .nkeys = 1 },
	{ .is_group = 1,
	    .name = "release",
	    .gid = GID_RELEASE,
	    .keys = release_keys,
	    .nkeys = 2 },
};
static struct config cfg = {
	.tokens = &token,
	.ntokens = 1,
	.keys = keys,
	.nkeys = 3,
	.allows = allows,
	.nallows = 3,
};

/* An identity with a primary group and up to two supplementary groups. */
static struct identity
ident(uid_t uid, gid_t gid, size_t ngroups, gid_t g0, gid_t g1)
{
	struct identity id;

	memset(&id, 0, sizeof(id));
	id.pid = 42;
	id.uid = uid;
	id.gid = gid;
	id.groups[0] = g0;
	id.groups[1] = g1;
	id.ngroups = ngroups;
	return id;
}

static void
test_user_rule_grants_its_key_to_that_uid(void **state)
{
	struct identity id = ident(UID_ALICE, GID_USERS, 0, 0, 0);

	(void)state;
	assert_true(policy_granted(&cfg, &id, &keys[0]));
	assert_false(policy_granted(&cfg, &id, &keys[1]));
}

static void
test_user_rule_does_not_grant_other_uids(void **state)
{
	struct identity id = ident(UID_BOB, GID_USERS, 1, GID_USERS, 0);

	(void)state;
	assert_false(policy_granted(&cfg, &id, &keys[0]));
}

static void
test_user_rule_does_not_match_a_gid_equal_to_the_uid(void **state)
{
	struct identity id = ident(UID_BOB, UID_ALICE, 1, UID_ALICE, 0);

	(void)state;
	assert_false(policy_granted(&cfg, &id, &keys[0]));
}

static void
test_primary_group_rule_grants(void **state)
{
	struct identity id = ident(UID_BOB, GID_BUILDERS, 0, 0, 0);

	(void)state;
	assert_true(policy_granted(&cfg, &id, &keys[1]));
	assert_false(policy_granted(&cfg, &id, &keys[0]));
}

static void
test_supplementary_group_rule_grants(void **state)
{
	struct identity id =
	    ident(UID_BOB, GID_USERS, 2, GID_USERS, GID_RELEASE);

	(void)state;
	assert_true(policy_granted(&cfg, &id, &keys[0]));
	assert_true(policy_granted(&cfg, &id, &keys[1]));
}

static void
test_groups_beyond_ngroups_are_ignored(void **state)
{
	struct identity id =
	    ident(UID_BOB, GID_USERS, 1, GID_USERS, GID_RELEASE);

	(void)state;
	assert_false(policy_granted(&cfg, &id, &keys[0]));
}

static void
test_no_matching_rule_denies(void **state)
{
	struct identity id = ident(UID_BOB, GID_USERS, 1, GID_USERS, 0);
	const struct cfg_key *key = &keys[0];

	(void)state;
	assert_int_equal(policy_check(&cfg, &id, "raw-key", FMT_RAW, DIG_SHA256,
			     &key),
	    POLICY_NOT_GRANTED);
	assert_null(key);
}

static void
test_key_listed_by_no_rule_is_granted_to_nobody(void **state)
{
	struct identity id = ident(UID_ALICE, GID_RELEASE, 1, GID_BUILDERS, 0);

	(void)state;
	assert_false(policy_granted(&cfg, &id, &keys[2]));
}

static void
test_grant_is_by_record_not_by_name(void **state)
{
	struct identity id = ident(UID_ALICE, GID_USERS, 0, 0, 0);
	struct cfg_key copy = keys[0];

	(void)state;
	assert_false(policy_granted(&cfg, &id, &copy));
}

static void
test_granted_request_returns_the_config_key(void **state)
{
	struct identity id = ident(UID_ALICE, GID_USERS, 0, 0, 0);
	const struct cfg_key *key = NULL;

	(void)state;
	assert_int_equal(policy_check(&cfg, &id, "raw-key", FMT_CMS, DIG_SHA256,
			     &key),
	    POLICY_OK);
	assert_ptr_equal(key, &keys[0]);
}

static void
test_format_not_bound_to_key_is_refused(void **state)
{
	struct identity id = ident(UID_BOB, GID_BUILDERS, 0, 0, 0);
	const struct cfg_key *key = &keys[0];

	(void)state;
	assert_int_equal(policy_check(&cfg, &id, "cms-key", FMT_RAW, DIG_SHA384,
			     &key),
	    POLICY_BAD_FORMAT);
	assert_null(key);
	assert_int_equal(policy_check(&cfg, &id, "cms-key", FMT_COUNT,
			     DIG_SHA384, &key),
	    POLICY_BAD_FORMAT);
	assert_int_equal(policy_check(&cfg, &id, "cms-key", -1, DIG_SHA384,
			     &key),
	    POLICY_BAD_FORMAT);
}

static void
test_digest_not_bound_to_key_is_refused(void **state)
{
	struct identity id = ident(UID_BOB, GID_BUILDERS, 0, 0, 0);
	const struct cfg_key *key = NULL;

	(void)state;
	assert_int_equal(policy_check(&cfg, &id, "cms-key", FMT_CMS, DIG_SHA256,
			     &key),
	    POLICY_BAD_DIGEST);
	assert_int_equal(policy_check(&cfg, &id, "cms-key", FMT_CMS, DIG_COUNT,
			     &key),
	    POLICY_BAD_DIGEST);
	assert_int_equal(policy_check(&cfg, &id, "cms-key", FMT_CMS, DIG_SHA512,
			     &key),
	    POLICY_OK);
	assert_ptr_equal(key, &keys[1]);
}

static void
test_grant_is_checked_before_format_and_digest(void **state)
{
	struct identity id = ident(UID_ALICE, GID_USERS, 0, 0, 0);
	const struct cfg_key *key = NULL;

	(void)state;
	assert_int_equal(policy_check(&cfg, &id, "cms-key", FMT_RAW, DIG_SHA256,
			     &key),
	    POLICY_NOT_GRANTED);
}

static void
test_unknown_key_reads_like_not_granted(void **state)
{
	struct identity id = ident(UID_ALICE, GID_USERS, 0, 0, 0);
	const struct cfg_key *key = &keys[0];
	enum policy_result absent, denied;

	(void)state;
	absent =
	    policy_check(&cfg, &id, "no-such-key", FMT_RAW, DIG_SHA256, &key);
	denied = policy_check(&cfg, &id, "cms-key", FMT_RAW, DIG_SHA256, &key);
	assert_int_equal(absent, POLICY_NO_KEY);
	assert_int_equal(denied, POLICY_NOT_GRANTED);
	assert_null(key);
	assert_string_equal(policy_result_str(absent),
	    policy_result_str(denied));
	assert_string_equal(policy_result_str(denied),
	    "key not granted to this user");
}

static void
test_result_texts_name_the_refusal(void **state)
{
	(void)state;
	assert_string_equal(policy_result_str(POLICY_BAD_FORMAT),
	    "key not allowed for this format");
	assert_string_equal(policy_result_str(POLICY_BAD_DIGEST),
	    "digest not allowed for this key");
	assert_string_equal(policy_result_str(POLICY_OK), "ok");
	assert_string_equal(policy_result_str((enum policy_result)99),
	    "policy error");
}

static void
test_null_key_name_is_no_key(void **state)
{
	struct identity id = ident(UID_ALICE, GID_USERS, 0, 0, 0);

	(void)state;
	assert_int_equal(policy_check(&cfg, &id, NULL, FMT_RAW, DIG_SHA256,
			     NULL),
	    POLICY_NO_KEY);
}

/*
 * A config of its own for grants that narrow formats: "wide" allows raw,
 * cms, module and pe; group builders may use it for module only, group
 * release for pe and cms, and bob (a user line) for everything.
 */
static struct cfg_key wide = { .name = "wide",
	.token = &token,
	.formats = FMT_BIT(FMT_RAW) | FMT_BIT(FMT_CMS) | FMT_BIT(FMT_MODULE) |
	    FMT_BIT(FMT_PE),
	.digests = DIG_BIT(DIG_SHA256),
	.default_digest = DIG_SHA256 };
static struct cfg_key *wide_keys[] = { &wide };
static struct cfg_allow narrow_allows[] = {
	{ .is_group = 1,
	    .name = "builders",
	    .gid = GID_BUILDERS,
	    .keys = wide_keys,
	    .nkeys = 1,
	    .formats = FMT_BIT(FMT_MODULE) },
	{ .is_group = 1,
	    .name = "release",
	    .gid = GID_RELEASE,
	    .keys = wide_keys,
	    .nkeys = 1,
	    .formats = FMT_BIT(FMT_PE) | FMT_BIT(FMT_CMS) },
	{ .is_group = 0,
	    .name = "bob",
	    .uid = UID_BOB,
	    .keys = wide_keys,
	    .nkeys = 1 },
};
static struct config narrow_cfg = {
	.tokens = &token,
	.ntokens = 1,
	.keys = &wide,
	.nkeys = 1,
	.allows = narrow_allows,
	.nallows = 3,
};

/* A user whose only grant says "formats module" signs modules only. */
static void
test_grant_formats_narrow_the_key(void **state)
{
	struct identity id = ident(UID_ALICE, GID_BUILDERS, 0, 0, 0);
	const struct cfg_key *key = NULL;

	(void)state;
	assert_int_equal(policy_check(&narrow_cfg, &id, "wide", FMT_MODULE,
			     DIG_SHA256, &key),
	    POLICY_OK);
	assert_ptr_equal(key, &wide);
	for (int f = 0; f < FMT_COUNT; f++) {
		if (f == FMT_MODULE)
			continue;
		assert_int_equal(policy_check(&narrow_cfg, &id, "wide", f,
				     DIG_SHA256, &key),
		    POLICY_BAD_FORMAT);
		assert_null(key);
	}
	assert_int_equal(policy_formats(&narrow_cfg, &id, &wide),
	    FMT_BIT(FMT_MODULE));
	assert_true(policy_granted(&narrow_cfg, &id, &wide));
}

/* Grants add up: builders and release together give module, pe and cms. */
static void
test_grant_formats_of_several_lines_add_up(void **state)
{
	struct identity id = ident(UID_ALICE, GID_BUILDERS, 1, GID_RELEASE, 0);

	(void)state;
	assert_int_equal(policy_formats(&narrow_cfg, &id, &wide),
	    FMT_BIT(FMT_MODULE) | FMT_BIT(FMT_PE) | FMT_BIT(FMT_CMS));
	assert_int_equal(policy_check(&narrow_cfg, &id, "wide", FMT_CMS,
			     DIG_SHA256, NULL),
	    POLICY_OK);
	assert_int_equal(policy_check(&narrow_cfg, &id, "wide", FMT_RAW,
			     DIG_SHA256, NULL),
	    POLICY_BAD_FORMAT);
}

/* A line without formats grants all of the key's; none grants nothing. */
static void
test_grant_without_formats_is_the_keys_formats(void **state)
{
	struct identity bob = ident(UID_BOB, GID_USERS, 0, 0, 0);
	struct identity carol = ident(UID_ALICE + 7, GID_USERS, 0, 0, 0);

	(void)state;
	assert_int_equal(policy_formats(&narrow_cfg, &bob, &wide),
	    wide.formats);
	assert_int_equal(policy_formats(&narrow_cfg, &carol, &wide), 0);
	assert_int_equal(policy_check(&narrow_cfg, &carol, "wide", FMT_MODULE,
			     DIG_SHA256, NULL),
	    POLICY_NOT_GRANTED);
	assert_int_equal(policy_formats(NULL, &bob, &wide), 0);
}

/* policy_rule_grants_format: one line, one format. */
static void
test_rule_grants_format_checks_the_line(void **state)
{
	struct identity id = ident(UID_ALICE, GID_BUILDERS, 0, 0, 0);

	(void)state;
	assert_true(policy_rule_grants_format(&narrow_allows[0], &id, &wide,
	    FMT_MODULE));
	assert_false(
	    policy_rule_grants_format(&narrow_allows[0], &id, &wide, FMT_PE));
	assert_false(
	    policy_rule_grants_format(&narrow_allows[1], &id, &wide, FMT_PE));
	assert_false(policy_rule_grants_format(&narrow_allows[0], &id, &wide,
	    FMT_COUNT));
	assert_false(
	    policy_rule_grants_format(&narrow_allows[0], &id, &wide, -1));
}

static void
test_resolve_user_names_root(void **state)
{
	struct identity id = ident(0, 0, 0, 0, 0);

	(void)state;
	identity_resolve_user(&id);
	assert_string_equal(id.user, "root");
}

static void
test_resolve_user_falls_back_to_the_number(void **state)
{
	struct identity id = ident(3999999999u, 0, 0, 0, 0);

	(void)state;
	identity_resolve_user(&id);
	assert_string_equal(id.user, "3999999999");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_rule_grants_its_key_to_that_uid),
		cmocka_unit_test(test_user_rule_does_not_grant_other_uids),
		cmocka_unit_test(
		    test_user_rule_does_not_match_a_gid_equal_to_the_uid),
		cmocka_unit_test(test_primary_group_rule_grants),
		cmocka_unit_test(test_supplementary_group_rule_grants),
		cmocka_unit_test(test_groups_beyond_ngroups_are_ignored),
		cmocka_unit_test(test_no_matching_rule_denies),
		cmocka_unit_test(
		    test_key_listed_by_no_rule_is_granted_to_nobody),
		cmocka_unit_test(test_grant_is_by_record_not_by_name),
		cmocka_unit_test(test_granted_request_returns_the_config_key),
		cmocka_unit_test(test_format_not_bound_to_key_is_refused),
		cmocka_unit_test(test_digest_not_bound_to_key_is_refused),
		cmocka_unit_test(
		    test_grant_is_checked_before_format_and_digest),
		cmocka_unit_test(test_unknown_key_reads_like_not_granted),
		cmocka_unit_test(test_result_texts_name_the_refusal),
		cmocka_unit_test(test_null_key_name_is_no_key),
		cmocka_unit_test(test_grant_formats_narrow_the_key),
		cmocka_unit_test(test_grant_formats_of_several_lines_add_up),
		cmocka_unit_test(
		    test_grant_without_formats_is_the_keys_formats),
		cmocka_unit_test(test_rule_grants_format_checks_the_line),
		cmocka_unit_test(test_resolve_user_names_root),
		cmocka_unit_test(test_resolve_user_falls_back_to_the_number),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
