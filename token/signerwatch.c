/*
 * signerwatch.c: the signer as the loop watches it (see signer.h): the
 * configuration of timeouts and probes, and the once-a-second tick that
 * abandons threads stuck in a token and queues the probes that are due.
 */
#include <stdio.h>
#include <stdlib.h>

#include "common/log.h"
#include "token/replica.h"
#include "token/signer_priv.h"

void
signer_configure(struct signer *s, const struct tokens *t, unsigned timeout,
    unsigned probe_every)
{
	time_t now = signer_mono_now();

	free(s->probe_at);
	free(s->probing);
	free(s->pkeys);
	free(s->preps);
	free(s->ptoks);
	s->tokens = t;
	s->timeout = timeout;
	s->probe_every = probe_every;
	s->ntok = tokens_count(t);
	/* pkeys is an array of pointers: sizeof a pointer is meant. */
	// NOLINTNEXTLINE(bugprone-sizeof-expression)
	s->pkeys = calloc(s->ntok + 1, sizeof(*s->pkeys));
	if (s->pkeys == NULL ||
	    (s->probe_at = calloc(s->ntok + 1, sizeof(*s->probe_at))) == NULL ||
	    (s->probing = calloc(s->ntok + 1, sizeof(*s->probing))) == NULL ||
	    (s->preps = calloc(s->ntok + 1, sizeof(*s->preps))) == NULL ||
	    (s->ptoks = calloc(s->ntok + 1, sizeof(*s->ptoks))) == NULL)
		fatal("signer: calloc");
	for (size_t i = 0; i < s->ntok; i++)
		s->probe_at[i] = now + probe_every;
}

/*
 * w has been inside one token call for TokenTimeout: give it up (it
 * frees itself if it ever returns), take its token out of service, move
 * its job to a replica or fail it, and start a worker in its place.
 * Under mu.
 */
static void
worker_abandon(struct signer *s, struct worker *w)
{
	struct signer_job *j = w->job;
	const char *name = token_rep_name(j->key, w->rep);
	unsigned secs = token_rep_timeout(j->key, w->rep, s->timeout);
	struct worker **pp;

	for (pp = &s->workers; *pp != w; pp = &(*pp)->next)
		;
	*pp = w->next;
	s->nlive--;
	s->nabandoned++;
	w->abandoned = 1;
	w->job = NULL;
	pthread_detach(w->th);
	token_stuck(j->key, w->rep, 1);
	token_mark(j->key, w->rep, TW_TIMEOUT);
	log_warnx("token %s: no answer within TokenTimeout (%us); its "
		  "signing thread is abandoned (%u so far)",
	    name, secs, s->nabandoned);
	if (!j->probe && token_may_retry(j->key, j->tried, j->tries)) {
		snprintf(j->why, sizeof(j->why), "token %s timed out", name);
		signer_requeue_locked(s, j);
	} else {
		snprintf(j->why, sizeof(j->why),
		    "token %s did not answer within TokenTimeout (%us); no "
		    "healthy replica left",
		    name, secs);
		j->ok = 0;
		j->probe_why = TW_TIMEOUT;
		signer_finish_locked(s, j);
	}
	if (s->nabandoned <= SIGNER_ABANDONED_MAX)
		signer_worker_start(s);
	else
		log_warnx("signer: %u threads stuck in hung tokens; not "
			  "starting another (%u left): restart csignd",
		    s->nabandoned, s->nlive);
}

/* No worker left: every queued job fails now rather than wait forever. */
static void
signer_fail_queue_locked(struct signer *s)
{
	struct signer_job *j;

	while ((j = s->queue) != NULL) {
		s->queue = j->next;
		snprintf(j->why, sizeof(j->why),
		    "no signing thread left (%u stuck in hung tokens); "
		    "restart csignd",
		    s->nabandoned);
		j->ok = 0;
		signer_finish_locked(s, j);
	}
	s->queue_tail = NULL;
}

/* Queue the health probes that are due. */
static void
signer_probes(struct signer *s, time_t now)
{
	const struct token_key **keys = s->pkeys;
	size_t *reps = s->preps, *toks = s->ptoks, n;

	n = tokens_probe_list(s->tokens, keys, reps, toks, s->ntok);
	for (size_t i = 0; i < n; i++) {
		struct signer_job *j;
		size_t t = toks[i];

		if (t >= s->ntok || s->probing[t] || now < s->probe_at[t])
			continue;
		if ((j = calloc(1, sizeof(*j))) == NULL) {
			fatal("signer: calloc");
			return; /* not reached; for the analyzers */
		}
		j->key = keys[i];
		j->probe = 1;
		j->probe_rep = reps[i];
		j->probe_tok = t;
		s->probing[t] = 1;
		s->probe_at[t] = now + s->probe_every;
		signer_submit(s, j);
	}
}

void
signer_tick(struct signer *s)
{
	time_t now = signer_mono_now();
	long long ms = signer_mono_ms();
	struct worker *w, *next;

	pthread_mutex_lock(&s->mu);
	for (w = s->workers; w != NULL; w = next) {
		next = w->next;
		if (w->job != NULL &&
		    ms - w->since >= 1000LL *
			    token_rep_timeout(w->job->key, w->rep, s->timeout))
			worker_abandon(s, w);
	}
	if (s->nlive == 0)
		signer_fail_queue_locked(s);
	pthread_mutex_unlock(&s->mu);
	if (s->tokens != NULL && s->probe_every > 0 && s->nlive > 0)
		signer_probes(s, now);
}

unsigned
signer_abandoned(const struct signer *s)
{
	return s->nabandoned;
}
