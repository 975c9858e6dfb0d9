/* signer.c: worker threads that sign on the token (see signer.h). */
#include "token/signer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "common/util.h"
#include "token/replica.h"
#include "token/signer_priv.h"

time_t
signer_mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/*
 * A token call's start, in milliseconds: in whole seconds, a call begun
 * late in one second would be abandoned up to a second before its
 * TokenTimeout (a healthy but slow C_Sign on a loaded host).
 */
long long
signer_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Take the next job for w, or NULL when stopping with an empty queue. */
static struct signer_job *
signer_take(struct signer *s, struct worker *w)
{
	struct signer_job *j;

	pthread_mutex_lock(&s->mu);
	while (s->queue == NULL && !s->stopping)
		pthread_cond_wait(&s->cv, &s->mu);
	if ((j = s->queue) != NULL) {
		s->queue = j->next;
		if (s->queue == NULL)
			s->queue_tail = NULL;
	}
	w->job = j;
	pthread_mutex_unlock(&s->mu);
	return j;
}

/* Hand a finished job to the loop and wake it; under mu. */
void
signer_finish_locked(struct signer *s, struct signer_job *j)
{
	char c = 1;

	j->next = s->done;
	s->done = j;
	if (write(s->pipe[1], &c, 1) == -1 && errno != EAGAIN)
		log_warn("signer: notify");
}

/* Put j back at the head of the queue (a failover); under mu. */
void
signer_requeue_locked(struct signer *s, struct signer_job *j)
{
	j->next = s->queue;
	s->queue = j;
	if (s->queue_tail == NULL)
		s->queue_tail = j;
	pthread_cond_signal(&s->cv);
}

/*
 * Back from a token: 1 if w was abandoned meanwhile (the job is no longer
 * its own: leave it alone, give the token back its stuck count, and end
 * the thread).  An abandoned thread changes nothing else, above all not
 * the token's state: it comes back when the token heals, often after the
 * probe brought it back into service, with a failure that is no longer
 * true (the hang ended in an error).  Returns with mu held when 0.
 */
static int
worker_back(struct signer *s, struct worker *w, const struct token_key *k,
    size_t r)
{
	pthread_mutex_lock(&s->mu);
	if (!w->abandoned)
		return 0;
	s->nabandoned--;
	pthread_mutex_unlock(&s->mu);
	/* Said before the stuck count lets the token be probed again. */
	log_info("signer: a thread abandoned in token %s returned",
	    token_rep_name(k, r));
	/* The key is still valid: no login anew while a thread is stuck. */
	token_stuck(k, r, -1);
	free(w);
	return 1;
}

/* Start w on the job's r-th token; under mu. */
static void
worker_on(struct worker *w, struct signer_job *j, size_t r)
{
	j->tried |= 1u << r;
	j->tries++;
	w->rep = r;
	w->since = signer_mono_ms();
}

/*
 * A health probe: the token layer signs and verifies; only the result
 * comes back, and the loop applies it (token_probe_done() in
 * signer_dispatch()).  0, or 1 if the thread was abandoned.
 */
static int
worker_probe(struct signer *s, struct worker *w, struct signer_job *j)
{
	const struct token_key *k = j->key;
	size_t r = j->probe_rep;
	enum token_why why;
	unsigned marks;

	pthread_mutex_lock(&s->mu);
	worker_on(w, j, r);
	pthread_mutex_unlock(&s->mu);
	marks = token_marks(k, r);
	why = token_probe(k, r);
	if (worker_back(s, w, k, r))
		return 1;
	j->ok = why == TW_NONE;
	j->probe_why = why;
	j->probe_marks = marks;
	w->job = NULL;
	signer_finish_locked(s, j);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

/*
 * j is signed: offer it to the signed hook (the monitor queues its audit
 * record from here, sparing the loop a wake-up), else hand it to the
 * loop.  Under mu, which it releases.  Always 0.
 */
static int
worker_signed(struct signer *s, struct worker *w, struct signer_job *j)
{
	w->job = NULL;
	if (s->signed_cb == NULL) {
		signer_finish_locked(s, j);
		pthread_mutex_unlock(&s->mu);
		return 0;
	}
	pthread_mutex_unlock(&s->mu);
	if (s->signed_cb(j, s->cbarg)) {
		pthread_mutex_lock(&s->mu);
		s->busy--;
		pthread_mutex_unlock(&s->mu);
		return 0;
	}
	pthread_mutex_lock(&s->mu);
	signer_finish_locked(s, j);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

/*
 * Sign j on the first healthy token of its key, and once more on the next
 * one if that fails.  The token works on copies, so that a thread
 * abandoned in a hung token never writes into a job it no longer owns.
 * 0, or 1 if the thread was abandoned.
 */
static int
worker_sign(struct signer *s, struct worker *w, struct signer_job *j)
{
	const struct token_key *k = j->key;
	uint8_t tbs[DIGEST_MAX], sig[SIG_MAX];
	size_t tbslen = j->tbslen, siglen;
	int r, rv;

	memcpy(tbs, j->tbs, sizeof(tbs));
	pthread_mutex_lock(&s->mu);
	for (;;) {
		/* The first try, or a move allowed by replica.h. */
		if ((j->tries > 0 && !token_may_retry(k, j->tried, j->tries)) ||
		    (r = token_pick(k, j->tried)) < 0) {
			if (j->why[0] == '\0')
				snprintf(j->why, sizeof(j->why),
				    "no healthy token for key %s", k->name);
			j->ok = 0;
			break;
		}
		worker_on(w, j, (size_t)r);
		pthread_mutex_unlock(&s->mu);
		siglen = sizeof(sig);
		rv = token_sign_on(k, (size_t)r, j->digest, j->padding, tbs,
		    tbslen, sig, &siglen);
		if (worker_back(s, w, k, (size_t)r))
			return 1;
		if (rv == -1)
			token_mark(k, (size_t)r, TW_SIGN);
		if (rv == 0) {
			memcpy(j->sig, sig, siglen);
			j->siglen = siglen;
			j->replica = r;
			j->ok = 1;
			token_signed(k, (size_t)r);
			OPENSSL_cleanse(sig, sizeof(sig));
			return worker_signed(s, w, j);
		}
		snprintf(j->why, sizeof(j->why),
		    "token %s failed to sign (device or session error)%s",
		    token_rep_name(k, (size_t)r),
		    token_may_retry(k, j->tried, j->tries)
			? ""
			: "; no healthy replica left");
		if (token_may_retry(k, j->tried, j->tries))
			log_warnx("key %s: %s; trying the next token", k->name,
			    j->why);
	}
	OPENSSL_cleanse(sig, sizeof(sig));
	w->job = NULL;
	signer_finish_locked(s, j);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

/* Worker: sign jobs until told to stop (or abandoned). */
static void *
signer_main(void *arg)
{
	struct worker *w = arg;
	struct signer *s = w->s;
	struct signer_job *j;

	while ((j = signer_take(s, w)) != NULL)
		if ((j->probe ? worker_probe(s, w, j) : worker_sign(s, w, j)))
			return NULL;
	return NULL;
}

/* Start one more live worker; under mu (or before any thread runs). */
void
signer_worker_start(struct signer *s)
{
	struct worker *w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		fatal("signer: calloc");
	w->s = s;
	if (pthread_create(&w->th, NULL, signer_main, w) != 0)
		fatalx("signer: cannot start thread");
	w->next = s->workers;
	s->workers = w;
	s->nlive++;
}

struct signer *
signer_start(unsigned n, signer_done_cb done, void *arg)
{
	struct signer *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("signer: calloc");
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (pipe2(s->pipe, O_CLOEXEC | O_NONBLOCK) == -1)
		fatal("signer: pipe");
	s->cb = done;
	s->cbarg = arg;
	s->timeout = 30;
	pthread_mutex_lock(&s->mu);
	while (s->nlive < n)
		signer_worker_start(s);
	pthread_mutex_unlock(&s->mu);
	return s;
}

void
signer_on_signed(struct signer *s, signer_signed_cb signed_cb)
{
	pthread_mutex_lock(&s->mu);
	s->signed_cb = signed_cb;
	pthread_mutex_unlock(&s->mu);
}

void
signer_submit(struct signer *s, struct signer_job *job)
{
	job->next = NULL;
	job->tried = 0;
	job->tries = 0;
	job->why[0] = '\0';
	pthread_mutex_lock(&s->mu);
	if (s->queue_tail != NULL)
		s->queue_tail->next = job;
	else
		s->queue = job;
	s->queue_tail = job;
	s->busy++;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

int
signer_notify_fd(const struct signer *s)
{
	return s->pipe[0];
}

void
signer_dispatch(struct signer *s)
{
	struct signer_job *list, *next;

	util_drain(s->pipe[0]);
	pthread_mutex_lock(&s->mu);
	list = s->done;
	s->done = NULL;
	pthread_mutex_unlock(&s->mu);
	for (; list != NULL; list = next) {
		next = list->next;
		pthread_mutex_lock(&s->mu);
		s->busy--;
		pthread_mutex_unlock(&s->mu);
		if (list->probe) {
			if (list->probe_tok < s->ntok)
				s->probing[list->probe_tok] = 0;
			/* A probe never run (no thread left) tells nothing. */
			if (list->ok || list->probe_why != TW_NONE)
				token_probe_done(list->key, list->probe_rep,
				    (enum token_why)list->probe_why,
				    list->probe_marks);
			free(list);
			continue;
		}
		s->cb(list, s->cbarg);
	}
}

/*
 * Workers change busy too (signed jobs the hook took): read it under the
 * lock, which is not part of the signer's observable state, hence the
 * cast.
 */
size_t
signer_busy(const struct signer *s)
{
	pthread_mutex_t *mu = (pthread_mutex_t *)&s->mu;
	size_t n;

	pthread_mutex_lock(mu);
	n = s->busy;
	pthread_mutex_unlock(mu);
	return n;
}

/*
 * Finish queued jobs and join the live threads.  A thread inside a token
 * call now is abandoned rather than joined (the loop no longer ticks, so
 * a hung token would hold the exit forever), and threads abandoned in a
 * hung token cannot be joined: while any is out, the signer is left
 * allocated for it (the process is about to exit).
 */
void
signer_stop(struct signer *s)
{
	struct worker *w, *next;
	int abandoned;

	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stopping = 1;
	pthread_cond_broadcast(&s->cv);
	for (struct worker **pp = &s->workers; (w = *pp) != NULL;) {
		if (w->job == NULL || w->abandoned) {
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		w->abandoned = 1;
		s->nabandoned++;
		token_stuck(w->job->key, w->rep, 1);
		pthread_detach(w->th);
	}
	pthread_mutex_unlock(&s->mu);
	for (w = s->workers; w != NULL; w = next) {
		next = w->next;
		pthread_join(w->th, NULL);
		free(w);
	}
	s->workers = NULL;
	signer_dispatch(s);
	pthread_mutex_lock(&s->mu);
	abandoned = s->nabandoned > 0;
	pthread_mutex_unlock(&s->mu);
	if (abandoned)
		return;
	close(s->pipe[0]);
	close(s->pipe[1]);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s->probe_at);
	free(s->probing);
	free(s->pkeys);
	free(s->preps);
	free(s->ptoks);
	free(s);
}
