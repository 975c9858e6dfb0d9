/*
 * The order of a batch of sign requests, kept apart from the threads and
 * sockets that carry them so that the unit tests can drive it.
 *
 * Files are started strictly in the order of the command line, one
 * index at a time, by whichever connection is free.  A failure stops the
 * batch as the serial client did: no file after the first failed one is
 * started; those already in flight finish (the daemon has signed and
 * audited them, so they are written, never dropped).  The failure that
 * is reported is the one of the lowest index.
 */
#ifndef CSIGN_CLIENT_BATCHQ_H
#define CSIGN_CLIENT_BATCHQ_H

#define BATCH_JOBS_MAX 64      /* --jobs */
#define BATCH_JOBS_DEFAULT 4   /* at most, without --jobs */
#define BATCH_FILES_PER_CONN 4 /* fewer files do not pay another session */
#define BATCH_DEPTH 3	       /* requests queued on one connection */

struct batchq {
	int nfiles;
	int next;     /* the next index to start */
	int failed;   /* the lowest failed index, or nfiles */
	int inflight; /* started and not done */
};

void cl_bq_init(struct batchq *q, int nfiles);
/* The next file to start, or -1: none left, or a failure stops the batch. */
int cl_bq_take(struct batchq *q);
/* File idx is done, failed or not. */
void cl_bq_done(struct batchq *q, int idx, int failed);
/* 1 once nothing is in flight and nothing more will be started. */
int cl_bq_finished(const struct batchq *q);

/*
 * How many connections a batch of nfiles uses: --jobs; if not given, one
 * more than the online CPUs ncpu, less the sessions the daemon said it
 * serves besides ours (busy, -1 if it did not say), at most
 * BATCH_JOBS_DEFAULT and at least 1.  At most one per
 * BATCH_FILES_PER_CONN files, at least 1.
 */
int cl_batch_conns(int nfiles, int jobs, long ncpu, int busy);

#endif
