/* test_approval.c: the table of held requests (monitor/approval.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "records/audit.h"
#include "records/approval.h"
#include "records/heldfile.h"

#define APPROVERS 500 /* the approval group's gid */
#define NOW 1000000

/* A peer with uid, name "u<uid>", primary gid and one supplementary. */
static struct identity
person(uid_t uid, gid_t gid, gid_t extra)
{
	struct identity id = { .uid = uid, .gid = gid, .ngroups = 1 };

	id.groups[0] = extra;
	snprintf(id.user, sizeof(id.user), "u%u", (unsigned)uid);
	return id;
}

/* Hold a request of requester uid under "count need, expires life". */
static struct held *
hold(struct approvals *a, uid_t uid, unsigned need, unsigned life)
{
	struct held t, *h = NULL;

	memset(&t, 0, sizeof(t));
	t.requester = person(uid, 100, APPROVERS);
	snprintf(t.key, sizeof(t.key), "k");
	t.gid = APPROVERS;
	t.need = need;
	t.lifetime = life;
	assert_int_equal(approvals_add(a, &t, NOW, &h), APPROVAL_ADDED);
	return h;
}

/* Kept results (BUILDING, DONE) in the table. */
static size_t
approvals_count_kept(const struct approvals *a)
{
	size_t n = 0;

	for (size_t i = 0; i < a->n; i++)
		if (!approval_undecided(a->v[i]))
			n++;
	return n;
}

static void
test_ids_increase_and_find_works(void **state)
{
	struct approvals a;
	struct held *h1, *h2;

	(void)state;
	approvals_init(&a);
	h1 = hold(&a, 10, 1, 60);
	h2 = hold(&a, 11, 1, 60);
	assert_true(h2->id > h1->id);
	assert_ptr_equal(approvals_find(&a, h1->id), h1);
	assert_ptr_equal(approvals_find(&a, h2->id), h2);
	assert_null(approvals_find(&a, h2->id + 1));
	assert_int_equal(h1->state, HELD_WAITING);
	assert_int_equal(h1->expires, NOW + 60);
	approvals_remove(&a, h1);
	assert_null(approvals_find(&a, 1));
	assert_int_equal(a.n, 1);
	approvals_clear(&a);
}

static void
test_requester_cannot_approve_even_in_the_group(void **state)
{
	struct approvals a;
	struct held *h;
	struct identity self;

	(void)state;
	approvals_init(&a);
	h = hold(&a, 10, 1, 60);
	self = person(10, 100, APPROVERS);
	assert_int_equal(approval_approve(h, &self), VOTE_SELF);
	assert_int_equal(h->have, 0);
	assert_int_equal(h->state, HELD_WAITING);
	approvals_clear(&a);
}

static void
test_outsider_cannot_approve(void **state)
{
	struct approvals a;
	struct held *h;
	struct identity bob = person(20, 100, 101);

	(void)state;
	approvals_init(&a);
	h = hold(&a, 10, 1, 60);
	assert_int_equal(approval_approve(h, &bob), VOTE_NOT_MEMBER);
	assert_false(approval_may_decide(h, &bob));
	assert_int_equal(h->have, 0);
	approvals_clear(&a);
}

static void
test_primary_or_supplementary_group_counts(void **state)
{
	struct identity prim = person(30, APPROVERS, 101);
	struct identity supp = person(31, 100, APPROVERS);
	struct identity none = person(32, 100, 101);

	(void)state;
	assert_true(identity_in_group(&prim, APPROVERS));
	assert_true(identity_in_group(&supp, APPROVERS));
	assert_false(identity_in_group(&none, APPROVERS));
}

static void
test_one_approver_counts_once(void **state)
{
	struct approvals a;
	struct held *h;
	struct identity carol = person(30, 100, APPROVERS);

	(void)state;
	approvals_init(&a);
	h = hold(&a, 10, 2, 60);
	assert_int_equal(approval_approve(h, &carol), VOTE_RECORDED);
	assert_int_equal(approval_approve(h, &carol), VOTE_AGAIN);
	assert_int_equal(h->have, 1);
	assert_int_equal(h->state, HELD_WAITING);
	approvals_clear(&a);
}

static void
test_count_reached_moves_to_signing(void **state)
{
	struct approvals a;
	struct held *h;
	struct identity carol = person(30, 100, APPROVERS);
	struct identity dave = person(31, APPROVERS, 101);
	struct identity erin = person(32, 100, APPROVERS);
	char names[128];

	(void)state;
	approvals_init(&a);
	h = hold(&a, 10, 2, 60);
	assert_int_equal(approval_approve(h, &carol), VOTE_RECORDED);
	assert_int_equal(approval_approve(h, &dave), VOTE_COMPLETE);
	assert_int_equal(h->state, HELD_SIGNING);
	assert_int_equal(approval_approve(h, &erin), VOTE_NOT_WAITING);
	approval_approvers(h, names, sizeof(names));
	assert_string_equal(names, "u30,u31");
	approvals_clear(&a);
}

static void
test_expiry_finds_waiting_but_never_signing(void **state)
{
	struct approvals a;
	struct held *h1, *h2;
	struct identity carol = person(30, 100, APPROVERS);

	(void)state;
	approvals_init(&a);
	h1 = hold(&a, 10, 1, 60);
	h2 = hold(&a, 11, 1, 120);
	assert_null(approvals_next_expired(&a, NOW + 59));
	assert_ptr_equal(approvals_next_expired(&a, NOW + 60), h1);
	assert_int_equal(approval_approve(h1, &carol), VOTE_COMPLETE);
	assert_null(approvals_next_expired(&a, NOW + 60));
	assert_ptr_equal(approvals_next_expired(&a, NOW + 500), h2);
	approvals_clear(&a);
}

static void
test_kept_frame_is_done_and_expires_again(void **state)
{
	static const uint8_t frame[] = { 0, 0, 0, 2, 0, 7 };
	struct approvals a;
	struct held *h;

	(void)state;
	approvals_init(&a);
	h = hold(&a, 10, 1, 60);
	h->state = HELD_BUILDING;
	assert_int_equal(approval_keep_frame(h, frame, sizeof(frame), NOW + 30),
	    0);
	assert_int_equal(h->state, HELD_DONE);
	assert_int_equal(h->framelen, sizeof(frame));
	assert_memory_equal(h->frame, frame, sizeof(frame));
	assert_null(approvals_next_expired(&a, NOW + 60));
	assert_ptr_equal(approvals_next_expired(&a, NOW + 90), h);
	assert_int_equal(approval_keep_frame(h, frame, 0, NOW), -1);
	approvals_clear(&a);
}

static void
test_table_is_bounded_per_user_and_in_total(void **state)
{
	struct approvals a;
	struct held t, *h;
	unsigned added = 0;

	(void)state;
	approvals_init(&a);
	for (int i = 0; i < APPROVAL_MAX_PER_UID; i++)
		hold(&a, 10, 1, 60);
	memset(&t, 0, sizeof(t));
	t.requester = person(10, 100, 101);
	t.need = 1;
	assert_int_equal(approvals_add(&a, &t, NOW, &h), APPROVAL_USER_FULL);
	for (uid_t u = 11; a.n < APPROVAL_MAX_HELD; u++, added++)
		hold(&a, u, 1, 60);
	t.requester = person(9999, 100, 101);
	assert_int_equal(approvals_add(&a, &t, NOW, &h), APPROVAL_FULL);
	assert_int_equal(a.n, APPROVAL_MAX_HELD);
	approvals_clear(&a);
	assert_int_equal(a.n, 0);
	assert_true(added > 0);
}

/* A decided request frees its approval slot at once. */
static void
test_decided_requests_free_their_slots_at_once(void **state)
{
	struct approvals a;
	struct held t, *h, *v[APPROVAL_MAX_PER_UID];

	(void)state;
	approvals_init(&a);
	for (int i = 0; i < APPROVAL_MAX_PER_UID; i++)
		v[i] = hold(&a, 10, 1, 60);
	memset(&t, 0, sizeof(t));
	t.requester = person(10, 100, 101);
	assert_int_equal(approvals_add(&a, &t, NOW, &h), APPROVAL_USER_FULL);
	/* Signing still takes the slot; a result to collect does not. */
	v[0]->state = HELD_SIGNING;
	assert_int_equal(approvals_add(&a, &t, NOW, &h), APPROVAL_USER_FULL);
	v[0]->state = HELD_BUILDING;
	assert_int_equal(approvals_add(&a, &t, NOW, &h), APPROVAL_ADDED);
	v[1]->state = HELD_DONE;
	assert_int_equal(approvals_add(&a, &t, NOW, &h), APPROVAL_ADDED);
	assert_int_equal(approvals_add(&a, &t, NOW, &h), APPROVAL_USER_FULL);
	approvals_clear(&a);
}

/*
 * Kept results are bounded apart: the requester's own oldest goes first,
 * then the oldest of all; none while there is room.
 */
static void
test_kept_results_are_bounded_oldest_first(void **state)
{
	struct approvals a;
	struct held *h, *first = NULL, *other;

	(void)state;
	approvals_init(&a);
	other = hold(&a, 20, 1, 60);
	other->state = HELD_DONE;
	for (int i = 0; i < APPROVAL_MAX_KEPT_PER_UID; i++) {
		h = hold(&a, 10, 1, 60);
		assert_null(approvals_kept_victim(&a, h));
		h->state = HELD_DONE;
		if (first == NULL)
			first = h;
	}
	h = hold(&a, 10, 1, 60);
	h->state = HELD_SIGNING;
	assert_ptr_equal(approvals_kept_victim(&a, h), first);
	approvals_remove(&a, first);
	assert_null(approvals_kept_victim(&a, h));
	h->state = HELD_BUILDING;
	/* Fill the kept results with other users': the oldest of all goes. */
	for (uid_t u = 100; approvals_count_kept(&a) < APPROVAL_MAX_KEPT; u++) {
		struct held *k = hold(&a, u, 1, 60);

		k->state = HELD_DONE;
	}
	h = hold(&a, 30, 1, 60);
	h->state = HELD_SIGNING;
	assert_ptr_equal(approvals_kept_victim(&a, h), other);
	approvals_clear(&a);
}

static void
test_removal_keeps_the_order(void **state)
{
	struct approvals a;
	struct held *h1, *h2, *h3;

	(void)state;
	approvals_init(&a);
	h1 = hold(&a, 10, 1, 60);
	h2 = hold(&a, 11, 1, 60);
	h3 = hold(&a, 12, 1, 60);
	approvals_remove(&a, h2);
	assert_int_equal(a.n, 2);
	assert_ptr_equal(a.v[0], h1);
	assert_ptr_equal(a.v[1], h3);
	approvals_clear(&a);
}

/* Read a whole small file into buf (NUL-terminated); its length. */
static size_t
slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return n;
}

static void
test_held_list_names_waiting_and_signing_only(void **state)
{
	char dir[] = "/tmp/test_heldfile.XXXXXX", path[128], err[256];
	char text[1024];
	struct approvals a;
	struct held *h1, *h2, *h3;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(heldfile_path(dir, path, sizeof(path)), 0);
	assert_non_null(strstr(path, ".held"));
	approvals_init(&a);
	h1 = hold(&a, 10, 1, 60);
	h2 = hold(&a, 11, 1, 60);
	h3 = hold(&a, 12, 1, 60);
	h2->state = HELD_SIGNING;
	h3->state = HELD_DONE; /* signed and audited already */
	h1->adigestlen = 2;
	h1->adigest[0] = 0xab;
	h1->adigest[1] = 0xcd;
	h1->size = 4096;
	assert_int_equal(heldfile_save(path, &a, err, sizeof(err)), 0);
	slurp(path, text, sizeof(text));
	assert_non_null(strstr(text, "\tu10\tk\traw\tsha256\tabcd\t4096\n"));
	assert_non_null(strstr(text, "\tu11\t"));
	assert_null(strstr(text, "\tu12\t"));
	assert_int_equal(heldfile_save("/nonexistent/dir/x", &a, err,
			     sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "/nonexistent/dir/x"));
	approvals_clear(&a);
	unlink(path);
	rmdir(dir);
}

static void
test_recovery_audits_each_request_and_empties_the_list(void **state)
{
	char dir[] = "/tmp/test_heldfile.XXXXXX", path[128], log[128];
	char err[256], text[8192];
	struct audit *au;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/held", dir);
	snprintf(log, sizeof(log), "%s/audit.jsonl", dir);
	assert_non_null(au = audit_open(log, err, sizeof(err)));
	/* No list: nothing to do. */
	assert_int_equal(heldfile_recover(path, au, err, sizeof(err)), 0);
	assert_non_null(f = fopen(path, "w"));
	fputs("7\t1000\talice\trelease\tcms\tsha256\tabcd\t12\n"
	      "9\t1001\tbob\tefi\tpe\tsha384\tef01\t34\n",
	    f);
	fclose(f);
	assert_int_equal(heldfile_recover(path, au, err, sizeof(err)), 2);
	audit_close(au);
	slurp(log, text, sizeof(text));
	assert_non_null(strstr(text,
	    "\"event\":\"approval-cancel\",\"uid\":1000,"
	    "\"user\":\"alice\""));
	assert_non_null(strstr(text,
	    "\"key\":\"efi\",\"format\":\"pe\","
	    "\"size\":34,\"digest_alg\":\"sha384\",\"digest\":\"ef01\","
	    "\"result\":\"cancelled\",\"reason\":\"daemon restarted without "
	    "a clean stop"));
	assert_non_null(strstr(text, "\"request\":9,"));
	assert_int_equal(slurp(path, text, sizeof(text)), 0);
	/* A damaged list is refused and left as it was. */
	assert_non_null(au = audit_open(log, err, sizeof(err)));
	assert_non_null(f = fopen(path, "w"));
	fputs("7\t1000\talice\n", f);
	fclose(f);
	assert_int_equal(heldfile_recover(path, au, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "line 1 is not a held request"));
	assert_int_not_equal(slurp(path, text, sizeof(text)), 0);
	audit_close(au);
	unlink(path);
	unlink(log);
	rmdir(dir);
}

/* Write text to path with mode. */
static void
put_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

/* Audit records in the log at path whose text contains needle. */
static int
count_in(const char *path, const char *needle)
{
	char line[AUDIT_LINE_MAX + 1];
	FILE *f = fopen(path, "r");
	int n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, needle) != NULL)
			n++;
	fclose(f);
	return n;
}

/*
 * The held list gets the StateFile's checks: a list others may write, or
 * a symbolic link, is refused (and left alone), never read.
 */
static void
test_held_list_must_be_private_and_no_link(void **state)
{
	char dir[] = "/tmp/test_heldfile.XXXXXX", path[128], log[128];
	char target[128], err[512];
	struct audit *au;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/held", dir);
	snprintf(log, sizeof(log), "%s/audit.jsonl", dir);
	snprintf(target, sizeof(target), "%s/target", dir);
	assert_non_null(au = audit_open(log, err, sizeof(err)));
	put_file(path, "7\t1000\talice\tk\tcms\tsha256\tabcd\t12\n", 0620);
	assert_int_equal(heldfile_recover(path, au, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not writable by group or others"));
	unlink(path);
	put_file(target, "7\t1000\talice\tk\tcms\tsha256\tabcd\t12\n", 0600);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(heldfile_recover(path, au, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is a symbolic link; refusing to follow"));
	audit_close(au);
	assert_int_equal(count_in(log, "approval-cancel"), 0);
	unlink(path);
	unlink(target);
	unlink(log);
	rmdir(dir);
}

/* Saving replaces the list (a planted link too), never what a link names. */
static void
test_held_list_is_replaced_not_written_through(void **state)
{
	char dir[] = "/tmp/test_heldfile.XXXXXX", path[128], target[128];
	char err[256], text[256], tmp[160];
	struct approvals a;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/held", dir);
	snprintf(target, sizeof(target), "%s/target", dir);
	put_file(target, "precious\n", 0600);
	assert_int_equal(symlink(target, path), 0);
	approvals_init(&a);
	hold(&a, 10, 1, 60);
	assert_int_equal(heldfile_save(path, &a, err, sizeof(err)), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	slurp(target, text, sizeof(text));
	assert_string_equal(text, "precious\n");
	/* A temporary left by a crash goes at the next recovery. */
	snprintf(tmp, sizeof(tmp), "%s.tmp-xY12z9", path);
	put_file(tmp, "half", 0600);
	put_file(path, "", 0600);
	assert_int_equal(heldfile_recover(path, NULL, err, sizeof(err)), 0);
	assert_int_equal(stat(tmp, &st), -1);
	approvals_clear(&a);
	unlink(path);
	unlink(target);
	rmdir(dir);
}

/*
 * A recovery interrupted after auditing some requests (the daemon killed
 * again during its start) audits each of them once in all: the next start
 * sees their records at the end of the log and goes on after them.
 */
static void
test_interrupted_recovery_audits_each_request_once(void **state)
{
	static const char list[] =
	    "7\t1000\talice\trelease\tcms\tsha256\tabcd\t12\n"
	    "9\t1001\tbob\tefi\tpe\tsha384\tef01\t34\n"
	    "11\t1000\talice\trelease\tcms\tsha256\t0123\t56\n";
	char dir[] = "/tmp/test_heldfile.XXXXXX", path[128], log[128];
	char err[256], first[128];
	struct audit *au;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/held", dir);
	snprintf(log, sizeof(log), "%s/audit.jsonl", dir);
	/* The first start got as far as the record of the first line. */
	snprintf(first, sizeof(first), "%.*s",
	    (int)(strchr(list, '\n') - list + 1), list);
	put_file(path, first, 0600);
	assert_non_null(au = audit_open(log, err, sizeof(err)));
	assert_int_equal(heldfile_recover(path, au, err, sizeof(err)), 1);
	audit_close(au);
	put_file(path, list, 0600); /* ... and was killed: list intact */
	assert_non_null(au = audit_open(log, err, sizeof(err)));
	assert_int_equal(heldfile_recover(path, au, err, sizeof(err)), 2);
	audit_close(au);
	assert_int_equal(count_in(log, "\"request\":7,"), 1);
	assert_int_equal(count_in(log, "\"request\":9,"), 1);
	assert_int_equal(count_in(log, "\"request\":11,"), 1);
	/* Killed after every record but before the list was emptied. */
	put_file(path, list, 0600);
	assert_non_null(au = audit_open(log, err, sizeof(err)));
	assert_int_equal(heldfile_recover(path, au, err, sizeof(err)), 0);
	audit_close(au);
	assert_int_equal(count_in(log, "approval-cancel"), 3);
	assert_int_equal(slurp(path, err, sizeof(err)), 0);
	/* Another record after them: the same ids are new requests. */
	assert_non_null(au = audit_open(log, err, sizeof(err)));
	assert_int_equal(audit_write_sync(au,
			     &(struct audit_event){ .event = "start",
				 .result = "ok" }),
	    0);
	audit_close(au);
	assert_non_null(au = audit_open(log, err, sizeof(err)));
	put_file(path, list, 0600);
	assert_int_equal(heldfile_recover(path, au, err, sizeof(err)), 3);
	audit_close(au);
	assert_int_equal(count_in(log, "approval-cancel"), 6);
	unlink(path);
	unlink(log);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_increase_and_find_works),
		cmocka_unit_test(
		    test_requester_cannot_approve_even_in_the_group),
		cmocka_unit_test(test_outsider_cannot_approve),
		cmocka_unit_test(test_primary_or_supplementary_group_counts),
		cmocka_unit_test(test_one_approver_counts_once),
		cmocka_unit_test(test_count_reached_moves_to_signing),
		cmocka_unit_test(test_expiry_finds_waiting_but_never_signing),
		cmocka_unit_test(test_kept_frame_is_done_and_expires_again),
		cmocka_unit_test(test_table_is_bounded_per_user_and_in_total),
		cmocka_unit_test(test_removal_keeps_the_order),
		cmocka_unit_test(
		    test_decided_requests_free_their_slots_at_once),
		cmocka_unit_test(test_kept_results_are_bounded_oldest_first),
		cmocka_unit_test(test_held_list_must_be_private_and_no_link),
		cmocka_unit_test(
		    test_held_list_is_replaced_not_written_through),
		cmocka_unit_test(
		    test_interrupted_recovery_audits_each_request_once),
		cmocka_unit_test(test_held_list_names_waiting_and_signing_only),
		cmocka_unit_test(
		    test_recovery_audits_each_request_and_empties_the_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
