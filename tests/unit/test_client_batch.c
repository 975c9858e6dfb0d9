/*
 * test_client_batch.c: csign-client's batches of files: the order in
 * which files start and the failure that is reported (batchq.c), how
 * many connections a batch takes, outputs committed once (batchout.c),
 * --jobs, and the engine against a daemon played by a thread that
 * insists on two requests in flight before it answers (batch.c).
 */
#include <pthread.h>

#include "client/batch.h"
#include "client/batchout.h"
#include "client/batchq.h"
#include "client_test.h"

static void
test_files_start_in_order_until_a_failure(void **state)
{
	struct batchq q;

	(void)state;
	cl_bq_init(&q, 5);
	assert_int_equal(cl_bq_take(&q), 0);
	assert_int_equal(cl_bq_take(&q), 1);
	assert_int_equal(cl_bq_take(&q), 2);
	assert_int_equal(q.inflight, 3);
	cl_bq_done(&q, 1, 0);
	assert_false(cl_bq_finished(&q));
	/* 2 fails: 3 and 4 are never started, 0 still finishes. */
	cl_bq_done(&q, 2, 1);
	assert_int_equal(cl_bq_take(&q), -1);
	assert_false(cl_bq_finished(&q));
	/* A later failure does not replace the earlier one. */
	cl_bq_done(&q, 0, 0);
	assert_true(cl_bq_finished(&q));
	assert_int_equal(q.failed, 2);
}

static void
test_the_lowest_failed_index_is_kept(void **state)
{
	struct batchq q;

	(void)state;
	cl_bq_init(&q, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(cl_bq_take(&q), i);
	assert_int_equal(cl_bq_take(&q), -1);
	cl_bq_done(&q, 3, 1);
	cl_bq_done(&q, 1, 1);
	cl_bq_done(&q, 2, 1);
	assert_int_equal(q.failed, 1);
	assert_false(cl_bq_finished(&q));
	cl_bq_done(&q, 0, 0);
	assert_true(cl_bq_finished(&q));
	/* All well: finished once every file is done. */
	cl_bq_init(&q, 2);
	assert_int_equal(cl_bq_take(&q), 0);
	cl_bq_done(&q, 0, 0);
	assert_false(cl_bq_finished(&q));
	assert_int_equal(cl_bq_take(&q), 1);
	cl_bq_done(&q, 1, 0);
	assert_true(cl_bq_finished(&q));
	assert_int_equal(q.failed, 2);
}

static void
test_connections_per_batch(void **state)
{
	(void)state;
	/* Few files: one connection (the serial client's). */
	assert_int_equal(cl_batch_conns(3, 0, 2, 0), 1);
	assert_int_equal(cl_batch_conns(4, 8, 16, 0), 1);
	assert_int_equal(cl_batch_conns(5, 0, 2, 0), 2);
	/* Default: one more than the CPUs, at most BATCH_JOBS_DEFAULT. */
	assert_int_equal(cl_batch_conns(200, 0, 2, 0), 3);
	assert_int_equal(cl_batch_conns(200, 0, 2, -1), 3);
	assert_int_equal(cl_batch_conns(200, 0, 32, 0), BATCH_JOBS_DEFAULT);
	assert_int_equal(cl_batch_conns(200, 0, -1, 0), 1);
	/* Less the sessions the daemon serves for others; at least one. */
	assert_int_equal(cl_batch_conns(200, 0, 2, 1), 2);
	assert_int_equal(cl_batch_conns(200, 0, 2, 2), 1);
	assert_int_equal(cl_batch_conns(200, 0, 2, BUSY_MAX), 1);
	assert_int_equal(cl_batch_conns(200, 0, 32, 30), 3);
	/* --jobs is honoured above the CPUs (a slow token waits, not works). */
	assert_int_equal(cl_batch_conns(200, 8, 2, 0), 8);
	assert_int_equal(cl_batch_conns(200, 8, 2, 20), 8);
	assert_int_equal(cl_batch_conns(200, 1, 16, 0), 1);
	assert_int_equal(cl_batch_conns(100000, 1000, 2, 0), BATCH_JOBS_MAX);
	assert_int_equal(cl_batch_conns(0, 0, 2, 0), 1);
}

/* Parse "csign-client sign -k k -f raw --jobs ARG a b". */
static enum parse_result
parse_jobs(const char *arg, struct options *o, char *err, size_t errlen)
{
	char *argv[] = { "csign-client", "sign", "-k", "k", "-f", "raw",
		"--jobs", (char *)arg, "a", "b", NULL };

	optind = 0;
	return cl_args_parse(10, argv, o, err, errlen);
}

static void
test_jobs_option(void **state)
{
	struct options o;
	char err[256];

	(void)state;
	assert_int_equal(parse_jobs("3", &o, err, sizeof(err)), PARSE_RUN);
	assert_int_equal(o.jobs, 3);
	assert_int_equal(o.nfiles, 2);
	assert_int_equal(parse_jobs("64", &o, err, sizeof(err)), PARSE_RUN);
	assert_int_equal(o.jobs, 64);
	assert_int_equal(parse_jobs("0", &o, err, sizeof(err)), PARSE_ERROR);
	assert_string_equal(err, "invalid jobs '0': expected 1 to 64");
	assert_int_equal(parse_jobs("65", &o, err, sizeof(err)), PARSE_ERROR);
	assert_int_equal(parse_jobs("2x", &o, err, sizeof(err)), PARSE_ERROR);
	assert_int_equal(parse_jobs("", &o, err, sizeof(err)), PARSE_ERROR);
}

/* ---- outputs ---- */

/* The contents of path (at most 63 bytes), or "" if it cannot be read. */
static const char *
slurp(const char *path)
{
	static char buf[64];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd == -1 ? 0 : read(fd, buf, sizeof(buf) - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (fd != -1)
		close(fd);
	return buf;
}

static void
test_outputs_appear_only_at_commit(void **state)
{
	char *dir = make_tmpdir(), p[3][PATH_MAX], *outs[3];
	struct bout *v;
	struct stat st;

	(void)state;
	for (int i = 0; i < 3; i++) {
		snprintf(p[i], sizeof(p[i]), "%s/o%d.sig", dir, i);
		outs[i] = p[i];
	}
	/* o1 exists already: it is replaced whole, only at the commit. */
	assert_int_equal(cl_write_atomic(p[1], "old", 3, 0644), 0);
	assert_int_equal(cl_bout_init(&v, outs, 3), 0);
	assert_int_equal(cl_bout_write(&v[0], "zero", 4, 0640), 0);
	assert_int_equal(cl_bout_write(&v[1], "one", 3, 0644), 0);
	assert_int_equal(cl_bout_write(&v[2], "two", 3, 0644), 0);
	assert_int_equal(access(p[0], F_OK), -1);
	assert_string_equal(slurp(p[1]), "old");
	assert_int_equal(count_entries(dir), 4); /* o1 and three temporaries */
	/* A failed file's temporary goes. */
	cl_bout_abort(&v[2]);
	assert_int_equal(count_entries(dir), 3);
	assert_int_equal(cl_bout_commit(v, 3, 2), 0);
	assert_string_equal(slurp(p[0]), "zero");
	assert_string_equal(slurp(p[1]), "one");
	assert_int_equal(access(p[2], F_OK), -1);
	assert_int_equal(stat(p[0], &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(count_entries(dir), 2);
	cl_bout_free(v, 3);
	rm_tree(dir);
}

static void
test_commit_failure_is_per_output(void **state)
{
	char *dir = make_tmpdir(), sub[PATH_MAX], p[2][PATH_MAX], *outs[2];
	struct bout *v;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/gone", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(p[0], sizeof(p[0]), "%s/a.sig", dir);
	/* The rename of b cannot happen: its target is a directory. */
	snprintf(p[1], sizeof(p[1]), "%s/b.sig", dir);
	assert_int_equal(mkdir(p[1], 0700), 0);
	outs[0] = p[0];
	outs[1] = p[1];
	assert_int_equal(cl_bout_init(&v, outs, 2), 0);
	assert_int_equal(cl_bout_write(&v[0], "a", 1, 0644), 0);
	assert_int_equal(cl_bout_write(&v[1], "b", 1, 0644), 0);
	assert_int_equal(cl_bout_commit(v, 2, 1), -1);
	assert_int_equal(v[0].err, 0);
	assert_int_equal(v[1].err, EISDIR);
	assert_string_equal(slurp(p[0]), "a");
	/* Nothing left behind: a.sig, the directory b.sig, gone. */
	assert_int_equal(count_entries(dir), 3);
	cl_bout_free(v, 2);
	rmdir(sub);
	rmdir(p[1]);
	rm_tree(dir);
}

static void
test_special_output_is_written_through(void **state)
{
	char *outs[1] = { "/dev/null" };
	struct bout *v;
	struct stat st;

	(void)state;
	assert_int_equal(cl_bout_init(&v, outs, 1), 0);
	assert_int_equal(cl_bout_write(&v[0], "x", 1, 0644), 0);
	assert_int_equal(atomic_load(&v[0].live), 0);
	assert_int_equal(cl_bout_commit(v, 1, 4), 0);
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	cl_bout_free(v, 1);
}

/* Create path (empty). */
static void
touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT, 0600);

	assert_true(fd >= 0);
	close(fd);
}

static void
test_only_independent_files_are_batched(void **state)
{
	char *dir = make_tmpdir(), a[PATH_MAX], b[PATH_MAX], hard[PATH_MAX];
	char asig[PATH_MAX + 8], dot[PATH_MAX + 8];
	char *files[2];
	struct options o = { .format = "raw", .files = files, .nfiles = 2 };

	(void)state;
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	snprintf(hard, sizeof(hard), "%s/hard", dir);
	snprintf(asig, sizeof(asig), "%s.sig", a);
	snprintf(dot, sizeof(dot), "%s/./a", dir);
	touch(a);
	touch(b);
	files[0] = a;
	files[1] = b;
	assert_true(cl_batch_independent(&o));
	o.format = "module"; /* in place: each its own output */
	assert_true(cl_batch_independent(&o));
	/* One file twice, under any name: the second sees the first's. */
	files[1] = dot;
	assert_false(cl_batch_independent(&o));
	assert_int_equal(link(a, hard), 0);
	files[1] = hard;
	assert_false(cl_batch_independent(&o));
	/* An output that is another input: "a a.sig" signs the new a.sig. */
	o.format = "raw";
	touch(asig);
	files[1] = asig;
	assert_false(cl_batch_independent(&o));
	/* A missing file: the serial client reports it as it always did. */
	unlink(asig);
	assert_false(cl_batch_independent(&o));
	rm_tree(dir);
}

/* ---- the engine against a scripted daemon ---- */

#define NFILES 9
#define BADFILE 5 /* 1-based: f5 is refused */

struct fake {
	int peer;
	int served;    /* requests read */
	int alone;     /* the first request came alone */
	int pipelined; /* then a second came before the first reply */
	int extra;     /* requests after the refused one's successor */
	char names[NFILES + 2][32];
};

/* Read one F_SIGN within ms; its name into names[served]: 1, 0, -1. */
static int
fake_read(struct fake *fk, int ms)
{
	struct frame f;
	struct buf b;
	const char *err;
	size_t nfds;
	int fd = -1, r;

	if (io_wait_readable(fk->peer, ms) <= 0)
		return 0;
	buf_init(&b, FRAME_MAX + 4);
	r = io_recv_frame(fk->peer, &b, &fd, 1, &nfds, 5000);
	if (r == 1 &&
	    frame_decode(buf_ptr(&b) + 4, buf_left(&b) - 4, &f, &err) == 0 &&
	    f.type == F_SIGN && fk->served < NFILES + 2)
		r = frame_get_str(&f, T_NAME, fk->names[fk->served++],
			sizeof(fk->names[0])) == 0
		    ? 1
		    : -1;
	else
		r = -1;
	if (fd != -1)
		close(fd);
	buf_free(&b);
	return r;
}

/* Answer request i (1-based): a signature "sig-fI.txt", or a refusal. */
static void
fake_reply(struct fake *fk, int i)
{
	char sig[40];
	struct buf b;

	buf_init(&b, FRAME_MAX + 4);
	frame_begin(&b, F_REPLY);
	if (i == BADFILE) {
		frame_add_u32(&b, T_STATUS, ST_BAD_ARTIFACT);
		frame_add_str(&b, T_MESSAGE, "raw: not this one");
	} else {
		frame_add_u32(&b, T_STATUS, ST_OK);
		frame_add_str(&b, T_MESSAGE, "");
		snprintf(sig, sizeof(sig), "sig-%s", fk->names[i - 1]);
		frame_add_bytes(&b, T_SIGNATURE, sig, strlen(sig));
	}
	frame_finish(&b);
	(void)io_send_frame(fk->peer, &b, NULL, 0);
	buf_free(&b);
}

/* The last file the client has sent when f5's refusal reaches it. */
#define LAST_SENT (BADFILE + BATCH_DEPTH - 1)

/*
 * The daemon: the first request is answered alone (the client queues no
 * second one before it knows that requests are not held); then
 * BATCH_DEPTH must be queued before it answers, and one more comes per
 * answer, as the session reads them.  After the refusal of f5, the files
 * already queued are answered and nothing more may come.
 */
static void *
fake_daemon(void *arg)
{
	struct fake *fk = arg;

	if (fake_read(fk, 5000) != 1)
		return NULL;
	fk->alone = io_wait_readable(fk->peer, 300) == 0;
	fake_reply(fk, 1);
	if (fake_read(fk, 5000) != 1)
		return NULL;
	fk->pipelined = 1;
	for (int k = 1; k < BATCH_DEPTH; k++)
		if (fake_read(fk, 5000) != 1)
			fk->pipelined = 0;
	for (int i = 2; i <= LAST_SENT; i++) {
		fake_reply(fk, i);
		if (i + BATCH_DEPTH <= LAST_SENT && fake_read(fk, 5000) != 1)
			return NULL;
	}
	while (fake_read(fk, 300) == 1)
		fk->extra++;
	return NULL;
}

/* NFILES empty files f1.txt.. in a new directory, and options for them. */
static char *
engine_setup(char path[][PATH_MAX], char **files, struct options *o)
{
	char *dir = make_tmpdir();
	int fd;

	for (int i = 0; i < NFILES; i++) {
		snprintf(path[i], PATH_MAX, "%s/f%d.txt", dir, i + 1);
		fd = open(path[i], O_WRONLY | O_CREAT | O_EXCL, 0600);
		assert_true(fd >= 0);
		close(fd);
		files[i] = path[i];
	}
	memset(o, 0, sizeof(*o));
	o->key = "k";
	o->format = "raw";
	o->files = files;
	o->nfiles = NFILES;
	o->out_mode = 0644;
	o->timeout = 5;
	o->jobs = 3; /* the extra connections cannot connect: one is used */
	return dir;
}

/* Run cl_cmd_sign over o against fn playing the daemon on fk. */
static int
engine_run(struct options *o, struct fake *fk, void *(*fn)(void *),
    struct failure *fl)
{
	struct conn c;
	pthread_t t;
	int sv[2], ret;

	memset(fl, 0, sizeof(*fl));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	memset(&c, 0, sizeof(c));
	c.fd = sv[0];
	c.timeout = 5;
	c.path = "/nonexistent/csignd.sock";
	fk->peer = sv[1];
	assert_int_equal(pthread_create(&t, NULL, fn, fk), 0);
	ret = cl_cmd_sign(&c, o, fl);
	assert_int_equal(pthread_join(t, NULL), 0);
	close(sv[0]);
	close(sv[1]);
	return ret;
}

/* 1 if file i's output holds "sig-fI.txt", 0 if it does not exist. */
static int
engine_output(char path[][PATH_MAX], int i)
{
	char out[PATH_MAX + 8], want[40];

	snprintf(out, sizeof(out), "%s.sig", path[i - 1]);
	snprintf(want, sizeof(want), "sig-f%d.txt", i);
	if (access(out, F_OK) == -1)
		return 0;
	assert_string_equal(slurp(out), want);
	return 1;
}

static void
test_engine_pipelines_and_reports_the_first_failure(void **state)
{
	char path[NFILES][PATH_MAX], *files[NFILES], want[40], *dir;
	struct options o;
	struct failure fl;
	struct fake fk;

	(void)state;
	dir = engine_setup(path, files, &o);
	memset(&fk, 0, sizeof(fk));
	assert_int_equal(engine_run(&o, &fk, fake_daemon, &fl), -1);
	assert_true(fk.alone);
	assert_true(fk.pipelined);
	assert_int_equal(fk.served, LAST_SENT);
	assert_int_equal(fk.extra, 0);
	for (int i = 0; i < fk.served; i++) {
		snprintf(want, sizeof(want), "f%d.txt", i + 1);
		assert_string_equal(fk.names[i], want);
	}
	/* The refusal is reported as f5's, with its own exit status. */
	assert_int_equal(fl.code, EXIT_BAD_ARTIFACT);
	assert_string_equal(fl.file, path[BADFILE - 1]);
	assert_string_equal(fl.msg, "raw: not this one (bad-artifact)");
	/* f1..f4 and those in flight after f5 are written; f5 is not. */
	for (int i = 1; i <= NFILES; i++)
		assert_int_equal(engine_output(path, i),
		    i != BADFILE && i <= LAST_SENT);
	assert_int_equal(count_entries(dir), NFILES + LAST_SENT - 1);
	rm_tree(dir);
}

/* The daemon answers f1..f3, then hangs up with f4 (and f5) queued. */
static void *
fake_hangup(void *arg)
{
	struct fake *fk = arg;

	if (fake_read(fk, 5000) != 1)
		return NULL;
	fake_reply(fk, 1);
	for (int i = 2; i <= 3; i++) {
		if (fake_read(fk, 5000) != 1)
			return NULL;
		fake_reply(fk, i);
	}
	/* What the client sent before the hang-up is read, not answered. */
	while (fake_read(fk, 300) == 1)
		;
	shutdown(fk->peer, SHUT_RDWR);
	return NULL;
}

static void
test_engine_hangup_fails_the_oldest_queued(void **state)
{
	char path[NFILES][PATH_MAX], *files[NFILES], *dir;
	struct options o;
	struct failure fl;
	struct fake fk;

	(void)state;
	dir = engine_setup(path, files, &o);
	memset(&fk, 0, sizeof(fk));
	assert_int_equal(engine_run(&o, &fk, fake_hangup, &fl), -1);
	/* f4, queued when the daemon left, is the failure; not f5. */
	assert_int_equal(fl.code, EXIT_UNAVAILABLE);
	assert_string_equal(fl.file, path[3]);
	assert_string_equal(fl.msg, "csignd closed the connection");
	for (int i = 1; i <= NFILES; i++)
		assert_int_equal(engine_output(path, i), i <= 3);
	assert_int_equal(count_entries(dir), NFILES + 3);
	rm_tree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_files_start_in_order_until_a_failure),
		cmocka_unit_test(test_the_lowest_failed_index_is_kept),
		cmocka_unit_test(test_connections_per_batch),
		cmocka_unit_test(test_jobs_option),
		cmocka_unit_test(test_outputs_appear_only_at_commit),
		cmocka_unit_test(test_commit_failure_is_per_output),
		cmocka_unit_test(test_special_output_is_written_through),
		cmocka_unit_test(test_only_independent_files_are_batched),
		cmocka_unit_test(
		    test_engine_pipelines_and_reports_the_first_failure),
		cmocka_unit_test(test_engine_hangup_fails_the_oldest_queued),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
