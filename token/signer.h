/*
 * signer: the monitor's signing threads.
 *
 * The event loop never waits on the token: it queues a job, a worker
 * thread runs token_sign(), and the finished job comes back through a
 * pipe that the loop watches (signer_notify_fd / signer_dispatch).  Jobs
 * carry only what the monitor itself derived (key record, digest, padding,
 * the digest to sign) plus an opaque cookie for the caller.
 */
#ifndef CSIGN_SIGNER_H
#define CSIGN_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include "token/token.h"

struct signer_job {
	const struct token_key *key;
	int digest;
	int padding;
	uint8_t tbs[DIGEST_MAX];
	size_t tbslen;
	uint8_t sig[SIG_MAX]; /* result */
	size_t siglen;
	int ok;	      /* result: 1 signed, 0 token failure */
	void *cookie; /* the caller's */
	struct signer_job *next;
};

struct signer;

typedef void (*signer_done_cb)(struct signer_job *job, void *arg);

/* Start n worker threads; done runs in the loop from signer_dispatch(). */
struct signer *signer_start(unsigned n, signer_done_cb done, void *arg);
/* Queue a job (ownership passes to the signer until done is called). */
void signer_submit(struct signer *s, struct signer_job *job);
int signer_notify_fd(const struct signer *s);
void signer_dispatch(struct signer *s);
/* Jobs queued or running. */
size_t signer_busy(const struct signer *s);
/* Finish queued jobs, stop the threads. NULL is fine. */
void signer_stop(struct signer *s);

#endif
