/*
 * The outputs of a batch of sign requests, made durable once for the
 * whole batch rather than once per file.
 *
 * Each output is first written to a temporary file beside it, without a
 * sync.  At the end cl_bout_commit() makes every temporary file durable
 * with one syncfs(2) per file system, renames them over their outputs
 * (from up to a few threads), and syncs each file system once more
 * so that the renames are durable too.  A crash at any point leaves an
 * output either as it was or complete, as the per-file fsync did.
 *
 * A module signed in place has no temporary file: the daemon appends its
 * signature to it, and the first syncfs makes that durable.
 *
 * Termination signals (SIGINT, SIGTERM, SIGHUP, SIGQUIT) remove every
 * temporary file of the batch that still exists, then end the run.
 */
#ifndef CSIGN_CLIENT_BATCHOUT_H
#define CSIGN_CLIENT_BATCHOUT_H

#include <stdatomic.h>
#include <stddef.h>
#include <sys/types.h>

struct bout {
	char *out;	 /* the final path */
	char *tmp;	 /* room for "out.XXXXXX" */
	atomic_int live; /* tmp exists and is this run's to remove */
	int inplace;	 /* out itself is written (inplace.h): no tmp */
	int err;	 /* errno of a failed commit, else 0 */
};

/*
 * Set up n outputs (out taken from outs[i], copied) and the signal
 * handlers that clean their temporaries.  0, or -1 (out of memory).
 */
int cl_bout_init(struct bout **v, char *const *outs, size_t n);
/* Remove what is left and free v (after the workers have stopped). */
void cl_bout_free(struct bout *v, size_t n);

/*
 * A temporary file for b with mode: its descriptor, or -1 with errno.
 * An output that is a device, FIFO or socket is opened as it is (no
 * temporary; b->live stays 0).
 */
int cl_bout_open(struct bout *b, mode_t mode);
/* Write p[0..len) to b's output as above, unsynced: 0 or -1 (errno). */
int cl_bout_write(struct bout *b, const void *p, size_t len, mode_t mode);
/*
 * b is signed in place (client/inplace.h): no temporary, no rename, but
 * the commit makes its file system durable like the others'.
 */
void cl_bout_inplace(struct bout *b);
/* Throw b's temporary file away, if any. */
void cl_bout_abort(struct bout *b);

#define BOUT_THREADS_MAX 8

/*
 * Commit every output of v[0..n) that has a live temporary file or is
 * signed in place, as described above, renaming from up to nthreads threads.  Sets v[i].err
 * for each that failed (its temporary is gone).  0, or -1 if any failed.
 */
int cl_bout_commit(struct bout *v, size_t n, int nthreads);

#endif
