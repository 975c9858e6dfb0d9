/* batchout.c: a batch's outputs, made durable once (see batchout.h). */
#include "client/batchout.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/output.h"
#include "common/util.h"

/* The batch whose temporaries a termination signal removes. */
static struct bout *volatile bout_reg;
static volatile size_t bout_nreg;

/*
 * Remove every live temporary of the batch, then die of the signal as
 * usual.  A worker may be between mkostemp() and setting live: that one
 * file is left, as with any crash; unlink() is async-signal-safe.
 */
static void
bout_signal(int sig)
{
	struct bout *v = bout_reg;

	for (size_t i = 0; v != NULL && i < bout_nreg; i++)
		if (atomic_load(&v[i].live))
			(void)unlink(v[i].tmp);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Install bout_signal for the signals that end a run. */
static void
bout_handlers(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa = { .sa_handler = bout_signal };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		(void)sigaction(sigs[i], &sa, NULL);
}

int
cl_bout_init(struct bout **vp, char *const *outs, size_t n)
{
	struct bout *v;
	size_t len;

	if ((v = calloc(n, sizeof(*v))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		len = strlen(outs[i]) + sizeof(".XXXXXX");
		atomic_init(&v[i].live, 0);
		if ((v[i].out = strdup(outs[i])) == NULL ||
		    (v[i].tmp = calloc(1, len)) == NULL) {
			cl_bout_free(v, n);
			return -1;
		}
	}
	bout_reg = v;
	bout_nreg = n;
	bout_handlers();
	*vp = v;
	return 0;
}

void
cl_bout_free(struct bout *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		cl_bout_abort(&v[i]);
	if (bout_reg == v) {
		bout_nreg = 0;
		bout_reg = NULL;
	}
	for (size_t i = 0; i < n; i++) {
		free(v[i].out);
		free(v[i].tmp);
	}
	free(v);
}

int
cl_bout_open(struct bout *b, mode_t mode)
{
	size_t len = strlen(b->out) + sizeof(".XXXXXX");
	int fd;

	if (cl_output_special(b->out))
		return cl_open_special(b->out);
	if (len > PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(b->tmp, len, "%s.XXXXXX", b->out);
	if ((fd = mkostemp(b->tmp, O_CLOEXEC)) == -1)
		return -1;
	atomic_store(&b->live, 1);
	if (fchmod(fd, mode) == -1) {
		close(fd);
		cl_bout_abort(b);
		return -1;
	}
	return fd;
}

int
cl_bout_write(struct bout *b, const void *p, size_t len, mode_t mode)
{
	int fd, saved;

	if ((fd = cl_bout_open(b, mode)) == -1)
		return -1;
	if (util_write_all(fd, p, len) == -1) {
		saved = errno;
		close(fd);
		cl_bout_abort(b);
		errno = saved;
		return -1;
	}
	if (close(fd) == -1) {
		saved = errno;
		cl_bout_abort(b);
		errno = saved;
		return -1;
	}
	return 0;
}

void
cl_bout_inplace(struct bout *b)
{
	size_t len = strlen(b->out) + 1;

	memcpy(b->tmp, b->out, len); /* tmp has room: see cl_bout_init */
	b->inplace = 1;
}

void
cl_bout_abort(struct bout *b)
{
	int saved = errno;

	if (atomic_exchange(&b->live, 0))
		(void)unlink(b->tmp);
	errno = saved;
}

/* One file system holding outputs: a directory on it, and its fate. */
struct bfs {
	dev_t dev;
	int fd;
	int err;
};

/*
 * The file system of b's temporary in fs[0..*nfs), added if new (fs has
 * room for one per output).  Its index, or -1 with errno.  last and
 * *lastfs remember the directory before, as outputs mostly share one.
 */
static int
bout_fs(const struct bout *b, struct bfs *fs, size_t *nfs, char *last,
    int *lastfs)
{
	char dir[PATH_MAX];
	struct stat st;
	int fd;

	if (cl_path_dir(b->tmp, dir, sizeof(dir)) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (*lastfs >= 0 && strcmp(dir, last) == 0)
		return *lastfs;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	memcpy(last, dir, sizeof(dir));
	*lastfs = -1;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return -1;
	}
	for (size_t i = 0; i < *nfs; i++)
		if (fs[i].dev == st.st_dev) {
			close(fd);
			return *lastfs = (int)i;
		}
	fs[*nfs] = (struct bfs){ .dev = st.st_dev, .fd = fd, .err = 0 };
	return *lastfs = (int)(*nfs)++;
}

/* syncfs every file system not failed yet; the first error of each. */
static void
bout_syncall(struct bfs *fs, size_t nfs)
{
	for (size_t i = 0; i < nfs; i++)
		if (fs[i].err == 0 && syncfs(fs[i].fd) == -1)
			fs[i].err = errno;
}

/* Fail b with err, removing its temporary if it is still there. */
static void
bout_fail(struct bout *b, int err)
{
	cl_bout_abort(b);
	if (b->err == 0)
		b->err = err;
}

/* The renames of a commit, shared by the threads that do them. */
struct brename {
	struct bout *v;
	size_t n;
	const int *where;
	const struct bfs *fs;
	atomic_size_t next;
};

/* Rename the temporaries put in place by this thread's share. */
static void *
bout_renames(void *arg)
{
	struct brename *rn = arg;
	struct bout *b;
	size_t i;

	while ((i = atomic_fetch_add(&rn->next, 1)) < rn->n) {
		b = &rn->v[i];
		if (!atomic_load(&b->live))
			continue;
		if (rn->fs[rn->where[i]].err != 0)
			bout_fail(b, rn->fs[rn->where[i]].err);
		else if (rename(b->tmp, b->out) == -1)
			bout_fail(b, errno);
		else
			atomic_store(&b->live, 0);
	}
	return NULL;
}

/*
 * Replacing a file frees the old one's blocks, which on some file
 * systems (ext4 with discard) costs a millisecond or more of waiting per
 * file: the renames are spread over up to nthreads threads.
 */
static void
bout_rename_all(struct brename *rn, int nthreads)
{
	pthread_t tid[BOUT_THREADS_MAX];
	int started = 0;

	if (nthreads > BOUT_THREADS_MAX)
		nthreads = BOUT_THREADS_MAX;
	for (; started < nthreads - 1; started++)
		if (pthread_create(&tid[started], NULL, bout_renames, rn) != 0)
			break;
	bout_renames(rn);
	for (int i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
}

int
cl_bout_commit(struct bout *v, size_t n, int nthreads)
{
	struct brename rn = { .v = v, .n = n };
	char last[PATH_MAX] = "";
	struct bfs *fs;
	size_t nfs = 0, renames = 0;
	int *where, ret = 0, lastfs = -1;

	if ((fs = calloc(n + 1, sizeof(*fs))) == NULL ||
	    (where = calloc(n + 1, sizeof(*where))) == NULL) {
		free(fs);
		for (size_t i = 0; i < n; i++)
			if (atomic_load(&v[i].live))
				bout_fail(&v[i], ENOMEM);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		where[i] = -1;
		if ((atomic_load(&v[i].live) || v[i].inplace) &&
		    (where[i] = bout_fs(&v[i], fs, &nfs, last, &lastfs)) == -1)
			bout_fail(&v[i], errno);
		renames += atomic_load(&v[i].live) != 0;
	}
	/* The contents first: nothing is renamed over an output unsynced. */
	bout_syncall(fs, nfs);
	rn.where = where;
	rn.fs = fs;
	atomic_init(&rn.next, 0);
	if (renames > 0) {
		bout_rename_all(&rn, nthreads);
		/* Then the renames. */
		bout_syncall(fs, nfs);
	}
	for (size_t i = 0; i < n; i++) {
		if (v[i].err == 0 && where[i] >= 0 && fs[where[i]].err != 0)
			v[i].err = fs[where[i]].err;
		if (v[i].err != 0)
			ret = -1;
	}
	for (size_t i = 0; i < nfs; i++)
		close(fs[i].fd);
	free(fs);
	free(where);
	return ret;
}
