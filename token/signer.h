/*
 * signer: the monitor's signing threads.
 *
 * The event loop never waits on the token: it queues a job, a worker
 * thread signs on the key's first healthy token, and the finished job
 * comes back through a pipe that the loop watches (signer_notify_fd /
 * signer_dispatch).  Jobs carry only what the monitor itself derived (key
 * record, digest, padding, the digest to sign) plus an opaque cookie for
 * the caller.
 *
 * Failover: a job whose token fails (device or session error) moves once
 * to the key's next healthy token (token/replica.h).  Timeout: the loop
 * calls signer_tick() every second; a worker inside one C_Sign for
 * TokenTimeout seconds is abandoned (a thread stuck in a module cannot be
 * cancelled safely), its token marked out of service, its job moved to a
 * replica or failed, and a new worker started in its place, up to
 * SIGNER_ABANDONED_MAX abandoned threads.  Past that none is replaced;
 * once no worker is left, queued jobs fail at the next tick.  The same
 * tick queues each token's health probe (token_probe()) every
 * TokenProbeInterval seconds; probes are jobs of the signer's own, and
 * signer_dispatch() applies their results (token_probe_done()): a token
 * comes back into service in the loop, which audits it there and then.
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
	int ok;	       /* result: 1 signed, 0 token failure */
	int replica;   /* result: the index of the token that signed */
	char why[160]; /* result: why it failed, for the client */
	void *cookie;  /* the caller's */
	struct signer_job *next;
	/* The signer's own. */
	unsigned tried; /* bit r: the key's r-th token was tried */
	unsigned tries;
	int probe; /* a health probe of key's token probe_rep */
	size_t probe_rep, probe_tok;
	int probe_why;	      /* result: enum token_why, TW_NONE if healthy */
	unsigned probe_marks; /* token_marks() before the probe */
};

/* Threads left stuck in hung tokens before workers are not replaced. */
#define SIGNER_ABANDONED_MAX 16

struct signer;

typedef void (*signer_done_cb)(struct signer_job *job, void *arg);
/*
 * Run in the signing thread for a job signed (ok 1), before the job goes
 * back to the loop: 1 if it took the job over (the loop never sees it
 * then), 0 to hand it to the loop as usual.  It must not touch what only
 * the loop may.
 */
typedef int (*signer_signed_cb)(struct signer_job *job, void *arg);

/* Start n worker threads; done runs in the loop from signer_dispatch(). */
struct signer *signer_start(unsigned n, signer_done_cb done, void *arg);
/* Set the hook for signed jobs (before the first job is submitted). */
void signer_on_signed(struct signer *s, signer_signed_cb signed_cb);
/* Queue a job (ownership passes to the signer until done is called). */
void signer_submit(struct signer *s, struct signer_job *job);
/*
 * Watch the tokens t: TokenTimeout seconds for a C_Sign, a probe of each
 * token every probe_every seconds.  t must outlive the signer.
 */
void signer_configure(struct signer *s, const struct tokens *t,
    unsigned timeout, unsigned probe_every);
/* From the loop, every second: timeouts and probes. */
void signer_tick(struct signer *s);
/* Threads abandoned in hung tokens and not yet returned. */
unsigned signer_abandoned(const struct signer *s);
int signer_notify_fd(const struct signer *s);
void signer_dispatch(struct signer *s);
/* Jobs queued or running. */
size_t signer_busy(const struct signer *s);
/* Finish queued jobs, stop the threads. NULL is fine. */
void signer_stop(struct signer *s);

#endif
