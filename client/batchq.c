/* batchq.c: the order of a batch of sign requests (see batchq.h). */
#include "client/batchq.h"

void
cl_bq_init(struct batchq *q, int nfiles)
{
	q->nfiles = nfiles;
	q->next = 0;
	q->failed = nfiles;
	q->inflight = 0;
}

int
cl_bq_take(struct batchq *q)
{
	/* Every index below next was started: a failure stops the rest. */
	if (q->failed < q->nfiles || q->next >= q->nfiles)
		return -1;
	q->inflight++;
	return q->next++;
}

void
cl_bq_done(struct batchq *q, int idx, int failed)
{
	if (q->inflight > 0)
		q->inflight--;
	if (failed && idx >= 0 && idx < q->failed)
		q->failed = idx;
}

int
cl_bq_finished(const struct batchq *q)
{
	return q->inflight == 0 &&
	    (q->failed < q->nfiles || q->next >= q->nfiles);
}

int
cl_batch_conns(int nfiles, int jobs, long ncpu, int busy)
{
	int want = jobs, byfiles;

	/*
	 * A session keeps about one CPU busy (its child hashes while the
	 * token signs): one per CPU, and one more for the time each spends
	 * waiting for the audit log.  Sessions of other clients already
	 * use those CPUs, and a session more costs a child's start-up.
	 */
	if (want <= 0) {
		long room = ncpu < 1 ? 1 : ncpu + 1;

		if (busy > 0)
			room -= busy;
		want = room < 1			? 1
		    : room > BATCH_JOBS_DEFAULT ? BATCH_JOBS_DEFAULT
						: (int)room;
	}
	if (want > BATCH_JOBS_MAX)
		want = BATCH_JOBS_MAX;
	byfiles = nfiles <= 0 ? 1 : (nfiles - 1) / BATCH_FILES_PER_CONN + 1;
	return want < byfiles ? want : byfiles;
}
