/* signer.c: worker threads that sign on the token (see signer.h). */
#include "token/signer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/log.h"

struct signer {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct signer_job *queue, *queue_tail; /* waiting */
	struct signer_job *done;	       /* finished, for the loop */
	size_t busy;
	int stopping;
	int pipe[2];
	pthread_t *threads;
	unsigned nthreads;
	signer_done_cb cb;
	void *cbarg;
};

/* Take the next job, or NULL when stopping with an empty queue. */
static struct signer_job *
signer_take(struct signer *s)
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
	pthread_mutex_unlock(&s->mu);
	return j;
}

/* Hand a finished job to the loop and wake it. */
static void
signer_finish(struct signer *s, struct signer_job *j)
{
	char c = 1;

	pthread_mutex_lock(&s->mu);
	j->next = s->done;
	s->done = j;
	pthread_mutex_unlock(&s->mu);
	if (write(s->pipe[1], &c, 1) == -1 && errno != EAGAIN)
		log_warn("signer: notify");
}

/* Worker: sign jobs until told to stop. */
static void *
signer_main(void *arg)
{
	struct signer *s = arg;
	struct signer_job *j;

	while ((j = signer_take(s)) != NULL) {
		j->siglen = sizeof(j->sig);
		j->ok = token_sign(j->key, j->digest, j->padding, j->tbs,
			    j->tbslen, j->sig, &j->siglen) == 0;
		signer_finish(s, j);
	}
	return NULL;
}

struct signer *
signer_start(unsigned n, signer_done_cb done, void *arg)
{
	struct signer *s;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->threads = calloc(n, sizeof(*s->threads))) == NULL)
		fatal("signer: calloc");
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (pipe2(s->pipe, O_CLOEXEC | O_NONBLOCK) == -1)
		fatal("signer: pipe");
	s->cb = done;
	s->cbarg = arg;
	for (; s->nthreads < n; s->nthreads++)
		if (pthread_create(&s->threads[s->nthreads], NULL, signer_main,
			s) != 0)
			fatalx("signer: cannot start thread");
	return s;
}

void
signer_submit(struct signer *s, struct signer_job *job)
{
	job->next = NULL;
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
	char drain[64];

	while (read(s->pipe[0], drain, sizeof(drain)) > 0)
		;
	pthread_mutex_lock(&s->mu);
	list = s->done;
	s->done = NULL;
	pthread_mutex_unlock(&s->mu);
	for (; list != NULL; list = next) {
		next = list->next;
		pthread_mutex_lock(&s->mu);
		s->busy--;
		pthread_mutex_unlock(&s->mu);
		s->cb(list, s->cbarg);
	}
}

size_t
signer_busy(const struct signer *s)
{
	return s->busy;
}

void
signer_stop(struct signer *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stopping = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	for (unsigned i = 0; i < s->nthreads; i++)
		pthread_join(s->threads[i], NULL);
	signer_dispatch(s);
	close(s->pipe[0]);
	close(s->pipe[1]);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s->threads);
	free(s);
}
