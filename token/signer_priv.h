/*
 * signer_priv: the signer's state, shared by the two files that make up
 * signer.h and by nothing else.
 *
 *   signer.c       the queue, the signing threads, the hand-back to the
 *                  loop, start and stop
 *   signerwatch.c  the loop's side, once a second: timeouts (abandoning a
 *                  thread stuck in a token), health probes, configuration
 */
#ifndef CSIGN_SIGNER_PRIV_H
#define CSIGN_SIGNER_PRIV_H

#include <pthread.h>
#include <stddef.h>
#include <time.h>

#include "token/signer.h"

/* One signing thread; freed by the loop, or by itself once abandoned. */
struct worker {
	struct signer *s;
	pthread_t th;
	struct signer_job *job; /* the job it works on, NULL when idle */
	size_t rep;		/* ... on the key's rep-th token */
	long long since;	/* ... since (monotonic milliseconds) */
	int abandoned;
	struct worker *next;
};

struct signer {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct signer_job *queue, *queue_tail; /* waiting */
	struct signer_job *done;	       /* finished, for the loop */
	size_t busy;
	int stopping;
	int pipe[2];
	struct worker *workers; /* live ones */
	unsigned nlive, nabandoned;
	signer_done_cb cb;
	signer_signed_cb signed_cb; /* may be NULL */
	void *cbarg;
	/* Set by signer_configure(), used by the loop only. */
	const struct tokens *tokens;
	unsigned timeout, probe_every;
	time_t *probe_at; /* per token: when its next probe is due */
	int *probing;	  /* per token: a probe is queued or running */
	const struct token_key **pkeys; /* tokens_probe_list()'s answer */
	size_t *preps, *ptoks;
	size_t ntok;
};

/* Seconds and milliseconds on the monotonic clock. */
time_t signer_mono_now(void);
long long signer_mono_ms(void);
/* Hand a finished job to the loop and wake it; under mu. */
void signer_finish_locked(struct signer *s, struct signer_job *j);
/* Put j back at the head of the queue (a failover); under mu. */
void signer_requeue_locked(struct signer *s, struct signer_job *j);
/* Start one more live worker; under mu (or before any thread runs). */
void signer_worker_start(struct signer *s);

#endif
