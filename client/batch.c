/* batch.c: several files signed with requests in flight (see batch.h). */
#include "client/batch.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/approval.h"
#include "client/batchout.h"
#include "client/batchq.h"
#include "client/inplace.h"
#include "client/sign.h"
#include "common/util.h"
#include "proto/frame.h"
#include "proto/names.h"

/* What a signed file's report needs from its reply. */
struct bres {
	int ok;
	uint8_t *dig; /* T_DIGEST, or NULL */
	size_t diglen;
	char *hex; /* T_ADIGEST in hex, or NULL */
};

struct batch {
	const struct options *o;
	struct bout *outs;
	struct bres *res;
	int writes; /* the daemon writes the output (module, pe) */
	int nconn;  /* connections planned: threads for the renames */
	size_t nfds;
	pthread_mutex_t mu; /* guards q, fail, fail_idx, closing, opening */
	pthread_cond_t cv;
	struct batchq q;
	struct failure fail; /* the failure of the lowest index */
	int fail_idx;
	int closing; /* the batch is over: connections still opening go */

	/*
	 * The extra connections, opened by the first one's thread once its
	 * first reply says how busy the daemon is now (T_BUSY): batches
	 * started together each saw the others' hellos not yet counted, and
	 * a connection more costs a session child's start-up.
	 */
	struct worker *w;
	pthread_t *tid;
	int nmax;    /* connections at most (--jobs, or the hello's figure) */
	int started; /* threads started, the first connection's included */
	int grow;    /* the extras wait for the first reply's figure */
};

struct worker {
	struct batch *b;
	struct conn c;
	int opening; /* c.fd is connected, the hello is under way */
	int ring[BATCH_DEPTH];
	int head, n;
	int depth;	    /* requests to queue: 1 until a reply came unheld */
	struct failure why; /* how c broke */
};

/* The next file to start, or -1. */
static int
batch_take(struct batch *b)
{
	int idx;

	pthread_mutex_lock(&b->mu);
	idx = cl_bq_take(&b->q);
	pthread_mutex_unlock(&b->mu);
	return idx;
}

/* File idx is done: fl is its failure, or NULL if it was signed. */
static void
batch_done(struct batch *b, int idx, const struct failure *fl)
{
	if (fl != NULL)
		cl_bout_abort(&b->outs[idx]);
	pthread_mutex_lock(&b->mu);
	b->res[idx].ok = fl == NULL;
	cl_bq_done(&b->q, idx, fl != NULL);
	if (fl != NULL && idx < b->fail_idx) {
		b->fail = *fl;
		b->fail_idx = idx;
	}
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
}

/*
 * Send the request for file on w with its descriptors (out may be in,
 * or -1), closed here: the session holds its own copies once it is
 * sent.  0, or -1 with fl filled.
 */
static int
item_post(struct worker *w, const char *file, int in, int out, uint32_t flags,
    struct failure *fl)
{
	char name[ARTIFACT_NAME_MAX + 1];
	int fds[2] = { in, out }, ret = -1;
	struct buf req;

	cl_artifact_name(file, name, sizeof(name));
	buf_init(&req, FRAME_MAX + 4);
	if (cl_sign_build(&req, w->b->o, name, flags) == -1)
		cl_fail_set(fl, EXIT_ERROR, "error",
		    "cannot encode the request");
	else
		ret = cl_conn_post(&w->c, &req, fds, w->b->nfds, fl);
	buf_free(&req);
	close(in);
	if (out != -1 && out != in)
		close(out);
	return ret;
}

/*
 * Open file idx and its output and send its request, without waiting
 * for the reply.  0, or -1 with fl filled.
 */
static int
item_start(struct worker *w, int idx, struct failure *fl)
{
	struct batch *b = w->b;
	const char *file = b->o->files[idx];
	int fds[2] = { -1, -1 };
	mode_t mode = b->o->out_mode;
	struct stat st;

	fl->file = file;
	if (b->outs[idx].out[0] == '\0') {
		cl_fail_set(fl, EXIT_ERROR, "error", "%s",
		    strerror(ENAMETOOLONG));
		return -1;
	}
	if ((fds[0] = cl_inplace_open(b->o, file, b->outs[idx].out, 0)) != -1) {
		/* The commit syncs its file system; nothing to rename. */
		cl_bout_inplace(&b->outs[idx]);
		return item_post(w, file, fds[0], fds[0], SIGN_F_INPLACE, fl);
	}
	if ((fds[0] = cl_open_artifact(file, fl)) == -1)
		return -1;
	/* A module signed in place keeps its mode. */
	if (strcmp(b->outs[idx].out, file) == 0 && fstat(fds[0], &st) == 0)
		mode = st.st_mode & 07777;
	if (b->writes && (fds[1] = cl_bout_open(&b->outs[idx], mode)) == -1) {
		cl_fail_set(fl, EXIT_ERROR, "error", "cannot create %s: %s",
		    b->outs[idx].out, strerror(errno));
		close(fds[0]);
		return -1;
	}
	return item_post(w, file, fds[0], fds[1], 0, fl);
}

/* Keep what the report of file idx needs from its reply r. */
static int
item_keep(struct batch *b, int idx, const struct reply *r)
{
	const struct tlv *dig = frame_find(&r->f, T_DIGEST);
	const struct tlv *ad = frame_find(&r->f, T_ADIGEST);
	struct bres *res = &b->res[idx];
	size_t hexlen;

	if (dig != NULL) {
		if ((res->dig = malloc(dig->len + 1)) == NULL)
			return -1;
		memcpy(res->dig, dig->val, dig->len);
		res->diglen = dig->len;
	}
	if (ad != NULL) {
		hexlen = 2 * (size_t)ad->len + 1;
		if ((res->hex = malloc(hexlen)) == NULL)
			return -1;
		util_hex(ad->val, ad->len, res->hex, hexlen);
	}
	return 0;
}

/* The signed result of file idx in r: its output written, unsynced. */
static int
item_save(struct batch *b, int idx, const struct reply *r, struct failure *fl)
{
	const struct tlv *sig = frame_find(&r->f, T_SIGNATURE);
	struct bout *bo = &b->outs[idx];

	if (!b->writes) {
		if (sig == NULL || sig->len == 0) {
			cl_fail_protocol(fl, "reply without a signature");
			return -1;
		}
		if (cl_bout_write(bo, sig->val, sig->len, b->o->out_mode) ==
		    -1) {
			cl_fail_set(fl, EXIT_ERROR, "error",
			    "cannot write %s: %s", bo->out, strerror(errno));
			return -1;
		}
	}
	if (item_keep(b, idx, r) == -1) {
		cl_fail_set(fl, EXIT_ERROR, "error", "%s", strerror(ENOMEM));
		return -1;
	}
	return 0;
}

/*
 * Read the reply to file idx, the oldest request in flight on w, through
 * any notices of a hold for approval, and store its result.
 */
static int
item_finish(struct worker *w, int idx, struct failure *fl)
{
	struct held_wait hw = { 0 };
	struct reply r;
	uint32_t busy;
	int k;

	fl->file = w->b->o->files[idx];
	cl_reply_init(&r);
	r.accept_held = 1;
	k = cl_conn_reply(&w->c, &r, fl);
	while (k == 0 && r.f.type == F_HELD) {
		if (cl_held_notice(&w->c, w->b->o, &r, &hw, fl) == -1) {
			w->c.broken = 1;
			k = -1;
		} else if ((k = cl_conn_reply(&w->c, &r, fl)) == -1)
			cl_held_timeout(&hw, fl);
	}
	w->c.timeout = w->b->o->timeout;
	/*
	 * Queue a second request only on a connection whose requests are
	 * answered at once: the session stops watching for a hang-up of a
	 * client that sends while its request is held for approval.
	 */
	if (k == 0 && hw.id == 0)
		w->depth = BATCH_DEPTH;
	if (k == 0 && frame_get_u32(&r.f, T_BUSY, &busy) == 0)
		w->c.busy = (int)(busy < BUSY_MAX ? busy : BUSY_MAX);
	if (k == 0)
		k = item_save(w->b, idx, &r, fl);
	cl_reply_free(&r);
	return k;
}

static void batch_grow(struct batch *b, int busy);

/*
 * Serve files on w's connection until none is left: up to w->depth
 * requests queued, replies read in order.  Once the connection is out
 * of step, the requests still queued on it fail as it did.
 */
static void
worker_run(struct worker *w)
{
	struct failure fl;
	int idx;

	for (;;) {
		while (!w->c.broken && w->n < w->depth &&
		    (idx = batch_take(w->b)) >= 0) {
			memset(&fl, 0, sizeof(fl));
			if (item_start(w, idx, &fl) == -1) {
				batch_done(w->b, idx, &fl);
				if (w->c.broken)
					w->why = fl;
				continue;
			}
			w->ring[(w->head + w->n++) % BATCH_DEPTH] = idx;
		}
		if (w->n == 0)
			return;
		idx = w->ring[w->head];
		w->head = (w->head + 1) % BATCH_DEPTH;
		w->n--;
		memset(&fl, 0, sizeof(fl));
		if (w->c.broken) {
			fl = w->why;
			fl.file = w->b->o->files[idx];
		} else if (item_finish(w, idx, &fl) == 0) {
			batch_done(w->b, idx, NULL);
			if (w->b->grow)
				batch_grow(w->b, w->c.busy);
			continue;
		} else if (w->c.broken)
			w->why = fl;
		batch_done(w->b, idx, &fl);
	}
}

/*
 * An extra connection, in its own thread: opened only while files are
 * left, given up quietly if the daemon refuses it.
 */
static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct batch *b = w->b;
	struct failure fl;
	int go;

	memset(&fl, 0, sizeof(fl));
	pthread_mutex_lock(&b->mu);
	go = !b->closing && !cl_bq_finished(&b->q) && b->q.next < b->q.nfiles;
	pthread_mutex_unlock(&b->mu);
	if (!go || cl_conn_connect(&w->c, w->c.path, b->o->timeout, &fl) == -1)
		return NULL;
	pthread_mutex_lock(&b->mu);
	w->opening = !b->closing;
	pthread_mutex_unlock(&b->mu);
	if (!w->opening) {
		cl_conn_close(&w->c);
		return NULL;
	}
	go = cl_conn_hello(&w->c, &fl) == 0;
	pthread_mutex_lock(&b->mu);
	w->opening = 0;
	pthread_mutex_unlock(&b->mu);
	if (go && !w->c.inline_data)
		worker_run(w);
	cl_conn_close(&w->c);
	return NULL;
}

/* The outputs of every file, "" for one whose name is too long. */
static char **
batch_outs(const struct options *o)
{
	char out[PATH_MAX], **v;

	if ((v = calloc((size_t)o->nfiles, sizeof(*v))) == NULL)
		return NULL;
	for (int i = 0; i < o->nfiles; i++) {
		if (cl_sign_output(o->files[i], NULL, o->format, out,
			sizeof(out)) == -1)
			out[0] = '\0';
		if ((v[i] = strdup(out)) == NULL) {
			while (i-- > 0)
				free(v[i]);
			free(v);
			return NULL;
		}
	}
	return v;
}

/* Set b up for o: 0, or -1 (out of memory). */
static int
batch_init(struct batch *b, const struct options *o)
{
	char **outs;
	int ret;

	memset(b, 0, sizeof(*b));
	b->o = o;
	b->writes = cl_format_writes_artifact(o->format);
	b->nfds = (size_t)format_fd_count(format_from_name(o->format));
	b->fail_idx = o->nfiles;
	cl_bq_init(&b->q, o->nfiles);
	if ((outs = batch_outs(o)) == NULL)
		return -1;
	ret = cl_bout_init(&b->outs, outs, (size_t)o->nfiles);
	for (int i = 0; i < o->nfiles; i++)
		free(outs[i]);
	free(outs);
	if (ret == -1 ||
	    (b->res = calloc((size_t)o->nfiles, sizeof(*b->res))) == NULL)
		return -1;
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	return 0;
}

static void
batch_free(struct batch *b)
{
	for (int i = 0; b->res != NULL && i < b->o->nfiles; i++) {
		free(b->res[i].dig);
		free(b->res[i].hex);
	}
	free(b->res);
	cl_bout_free(b->outs, (size_t)b->o->nfiles);
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->cv);
}

/*
 * Start the extra connections' threads with the termination signals
 * blocked, so that those signals reach the main thread, whose handler
 * removes the batch's temporary files.  The threads started.
 */
static int
batch_spawn(struct worker *w, pthread_t *tid, int n)
{
	sigset_t hold, old;
	int started = 1;

	sigemptyset(&hold);
	sigaddset(&hold, SIGINT);
	sigaddset(&hold, SIGTERM);
	sigaddset(&hold, SIGHUP);
	sigaddset(&hold, SIGQUIT);
	pthread_sigmask(SIG_BLOCK, &hold, &old);
	for (int i = 1; i < n; i++, started++)
		if (pthread_create(&tid[i], NULL, worker_main, &w[i]) != 0)
			break;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return started;
}

/*
 * The first reply came: open the connections the load now allows (the
 * daemon's figure, or the hello's plan if it gave none), up to nmax.
 * Only the first connection's thread runs yet: b->q needs no lock.
 */
static void
batch_grow(struct batch *b, int busy)
{
	int left = b->q.nfiles - b->q.next, n = b->nmax;

	b->grow = 0;
	if (busy >= 0 && left > 0) {
		int now = cl_batch_conns(left, b->o->jobs,
		    sysconf(_SC_NPROCESSORS_ONLN), busy);

		n = now < n ? now : n;
	}
	if (left > 0 && n > 1)
		b->started = batch_spawn(b->w, b->tid, n);
}

/* Wait for the last reply, let go of connections still opening. */
static void
batch_wait(struct batch *b, struct worker *w, int n)
{
	pthread_mutex_lock(&b->mu);
	while (!cl_bq_finished(&b->q))
		pthread_cond_wait(&b->cv, &b->mu);
	b->closing = 1;
	for (int i = 1; i < n; i++)
		if (w[i].opening)
			(void)shutdown(w[i].c.fd, SHUT_RDWR);
	pthread_mutex_unlock(&b->mu);
}

/*
 * Commit the outputs, then report each signed file in order.  A file
 * whose output could not be committed fails, and counts as the first
 * failure if it comes before the others.
 */
static void
batch_report(struct batch *b)
{
	const struct options *o = b->o;
	struct tlv dig;
	struct bout *bo;

	(void)cl_bout_commit(b->outs, (size_t)o->nfiles, b->nconn);
	for (int i = 0; i < o->nfiles; i++) {
		bo = &b->outs[i];
		if (!b->res[i].ok)
			continue;
		if (bo->err != 0) {
			b->res[i].ok = 0;
			if (i < b->fail_idx) {
				memset(&b->fail, 0, sizeof(b->fail));
				b->fail.file = o->files[i];
				cl_fail_set(&b->fail, EXIT_ERROR, "error",
				    "cannot write %s: %s", bo->out,
				    strerror(bo->err));
				b->fail_idx = i;
			}
			continue;
		}
		dig = (struct tlv){ .tag = T_DIGEST,
			.len = (uint32_t)b->res[i].diglen,
			.val = b->res[i].dig };
		cl_sign_report(o, o->files[i], bo->out,
		    b->res[i].dig != NULL ? &dig : NULL,
		    b->res[i].hex != NULL ? b->res[i].hex : "");
	}
}

int
cl_batch_sign(struct conn *c, const struct options *o, struct failure *fl)
{
	int n = cl_batch_conns(o->nfiles, o->jobs,
	    sysconf(_SC_NPROCESSORS_ONLN), c->busy);
	struct worker *w;
	pthread_t *tid;
	struct batch b;
	int started, ret = 0;

	w = calloc((size_t)n, sizeof(*w));
	tid = calloc((size_t)n, sizeof(*tid));
	if (w == NULL || tid == NULL || batch_init(&b, o) == -1) {
		cl_fail_set(fl, EXIT_ERROR, "error", "%s", strerror(ENOMEM));
		free(w);
		free(tid);
		return -1;
	}
	b.nconn = n < 2 ? 2 : n;
	for (int i = 0; i < n; i++) {
		w[i].b = &b;
		w[i].c = (struct conn){ .fd = -1, .path = c->path };
		w[i].depth = 1;
	}
	w[0].c = *c; /* the caller's, which it closes */
	b.w = w;
	b.tid = tid;
	b.nmax = n;
	b.started = 1;
	/* --jobs is the user's choice: all of them at once. */
	b.grow = o->jobs <= 0 && n > 1;
	if (!b.grow)
		b.started = batch_spawn(w, tid, n);
	worker_run(&w[0]);
	c->broken = w[0].c.broken;
	started = b.started;
	batch_wait(&b, w, started);
	for (int i = 1; i < started; i++)
		pthread_join(tid[i], NULL);
	batch_report(&b);
	if (b.fail_idx < o->nfiles) {
		*fl = b.fail;
		ret = -1;
	}
	batch_free(&b);
	free(w);
	free(tid);
	return ret;
}
