/* audit.c: the audit log writer's API, its queue and callbacks (audit.h). */
#include "records/audit.h"
#include "records/audithandle.h"

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

/* The string fields of struct audit_event, for copying them as a set. */
static const size_t event_strs[] = {
	offsetof(struct audit_event, event),
	offsetof(struct audit_event, user),
	offsetof(struct audit_event, key),
	offsetof(struct audit_event, cert_sha256),
	offsetof(struct audit_event, format),
	offsetof(struct audit_event, artifact),
	offsetof(struct audit_event, digest_alg),
	offsetof(struct audit_event, digest_hex),
	offsetof(struct audit_event, result),
	offsetof(struct audit_event, reason),
	offsetof(struct audit_event, approvers),
	offsetof(struct audit_event, tsa),
	offsetof(struct audit_event, timestamp),
};
#define N_EVENT_STRS (sizeof(event_strs) / sizeof(event_strs[0]))

/* Format an error for the caller of audit_open(); err may be NULL. */
void
audit_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void
list_init(struct item_list *l)
{
	l->head = NULL;
	l->tail = &l->head;
}

void
audit_list_append(struct item_list *l, struct audit_item *it)
{
	it->next = NULL;
	*l->tail = it;
	l->tail = &it->next;
}

/* Free every item of a chain of items without running callbacks. */
static void
items_free(struct audit_item *it)
{
	struct audit_item *next;

	for (; it != NULL; it = next) {
		next = it->next;
		free(it);
	}
}

/* The string field number i of ev. */
static const char *
ev_str(const struct audit_event *ev, size_t i)
{
	return *(const char *const *)((const char *)ev + event_strs[i]);
}

/* Copy ev and its strings into one new item; NULL if out of memory. */
static struct audit_item *
item_new(const struct audit_event *ev)
{
	struct audit_item *it;
	size_t need = 0, n;
	char *p;

	for (size_t i = 0; i < N_EVENT_STRS; i++)
		if (ev_str(ev, i) != NULL)
			need += strlen(ev_str(ev, i)) + 1;
	if ((it = calloc(1, sizeof(*it) + need)) == NULL)
		return NULL;
	it->ev = *ev;
	if (it->ev.ngroups > AUDIT_MAX_GROUPS)
		it->ev.ngroups = AUDIT_MAX_GROUPS;
	p = it->strs;
	for (size_t i = 0; i < N_EVENT_STRS; i++) {
		if (ev_str(ev, i) == NULL)
			continue;
		n = strlen(ev_str(ev, i)) + 1;
		memcpy(p, ev_str(ev, i), n);
		*(char **)((char *)&it->ev + event_strs[i]) = p;
		p += n;
	}
	return it;
}

/*
 * Queue an item for the writer, stamped with the time it was queued.  The
 * clock is read under the lock so that times never go backwards along
 * the file (unless the clock itself is stepped).
 */
/* Queue it; an expected record (audit_expect()) is one less awaited. */
static int
enqueue(struct audit *a, struct audit_item *it, int expected)
{
	struct timespec ts;

	pthread_mutex_lock(&a->mu);
	if (a->stopping || a->pending >= AUDIT_QUEUE_MAX) {
		pthread_mutex_unlock(&a->mu);
		return -1;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	it->sec = ts.tv_sec;
	it->usec = ts.tv_nsec / 1000;
	audit_list_append(&a->queue, it);
	a->pending++;
	if (expected && a->expected > 0)
		a->expected--;
	if (a->writer_waits == WRITER_IDLE ||
	    (a->writer_waits == WRITER_GROUP &&
		(a->expected == 0 || a->pending >= AUDIT_BATCH_MAX)))
		pthread_cond_signal(&a->work);
	pthread_mutex_unlock(&a->mu);
	return 0;
}

static int
submit(struct audit *a, const struct audit_event *ev, audit_done_cb cb,
    void *arg, int expected)
{
	struct audit_item *it;

	if (a == NULL || ev == NULL || (it = item_new(ev)) == NULL)
		return -1;
	it->cb = cb;
	it->arg = arg;
	if (enqueue(a, it, expected) == -1) {
		free(it);
		return -1;
	}
	return 0;
}

int
audit_submit(struct audit *a, const struct audit_event *ev, audit_done_cb cb,
    void *arg)
{
	return submit(a, ev, cb, arg, 0);
}

int
audit_submit_expected(struct audit *a, const struct audit_event *ev,
    audit_done_cb cb, void *arg)
{
	return submit(a, ev, cb, arg, 1);
}

void
audit_expect(struct audit *a, int delta)
{
	if (a == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	if (delta > 0)
		a->expected++;
	else if (a->expected > 0 && --a->expected == 0)
		pthread_cond_signal(&a->work); /* nothing more to wait for */
	pthread_mutex_unlock(&a->mu);
}

/*
 * Queue a sync item and wait until the writer has finished it.  A sync
 * item never goes to the done list: the writer marks it done under the
 * lock and this thread, its only owner from then on, frees it.  The
 * writer never waits for the caller, so this cannot deadlock.  -1 if it
 * could not be queued (then it is freed here).
 */
static int
sync_wait(struct audit *a, struct audit_item *it)
{
	it->sync = 1;
	if (enqueue(a, it, 0) == -1) {
		free(it);
		return -1;
	}
	pthread_mutex_lock(&a->mu);
	while (!it->done)
		pthread_cond_wait(&a->synced, &a->mu);
	pthread_mutex_unlock(&a->mu);
	return 0;
}

int
audit_write_sync(struct audit *a, const struct audit_event *ev)
{
	struct audit_item *it;
	int ok;

	if (a == NULL || ev == NULL || (it = item_new(ev)) == NULL ||
	    sync_wait(a, it) == -1)
		return -1;
	ok = it->ok;
	free(it);
	return ok ? 0 : -1;
}

/*
 * The rotate record travels through the queue like any record, so it is
 * stamped and ordered with the others; the writer acts on it between two
 * batches (batch_take) and fills in the outcome before marking it done.
 */
int
audit_reopen(struct audit *a, char *err, size_t errlen)
{
	const struct audit_event ev = { .event = "rotate",
		.result = "ok",
		.reason = "log file reopened; prev is the last record of the "
			  "previous file" };
	struct audit_item *it;
	int r;

	audit_set_err(err, errlen,
	    "audit log: cannot queue the reopen (out of "
	    "memory, queue full or stopping)");
	if (a == NULL || (it = item_new(&ev)) == NULL)
		return -1;
	it->rotate = 1;
	it->err = err;
	it->errlen = errlen;
	if (sync_wait(a, it) == -1)
		return -1;
	if ((r = it->ok ? it->reopened : -1) != -1)
		audit_set_err(err, errlen, "%s", "");
	free(it);
	return r;
}

const char *
audit_path(const struct audit *a)
{
	return a != NULL ? a->path : "";
}

/* Allocate the handle with its lock, lists and no descriptors yet. */
static struct audit *
audit_alloc(const char *path)
{
	pthread_condattr_t mono;
	struct audit *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->fd = a->notify[0] = a->notify[1] = -1;
	a->group_wait_us = AUDIT_GROUP_WAIT_US;
	list_init(&a->queue);
	list_init(&a->done);
	auditrec_chain_init(&a->chain);
	if ((a->path = strdup(path)) == NULL ||
	    pthread_mutex_init(&a->mu, NULL) != 0) {
		free(a->path);
		free(a);
		return NULL;
	}
	/* The writer's group-commit wait is timed on the monotonic clock. */
	pthread_condattr_init(&mono);
	pthread_condattr_setclock(&mono, CLOCK_MONOTONIC);
	if (pthread_cond_init(&a->work, &mono) != 0 ||
	    pthread_cond_init(&a->synced, NULL) != 0) {
		/* Nothing to undo for a default condvar on Linux. */
		pthread_mutex_destroy(&a->mu);
		free(a->path);
		free(a);
		return NULL;
	}
	a->have_sync = 1;
	return a;
}

/* Release everything of a handle whose thread is not running. */
static void
audit_free(struct audit *a)
{
	items_free(a->queue.head);
	items_free(a->done.head);
	if (a->fd != -1)
		close(a->fd);
	for (int i = 0; i < 2; i++)
		if (a->notify[i] != -1)
			close(a->notify[i]);
	if (a->have_sync) {
		pthread_cond_destroy(&a->synced);
		pthread_cond_destroy(&a->work);
		pthread_mutex_destroy(&a->mu);
	}
	free(a->wbuf);
	free(a->last);
	free(a->path);
	free(a);
}

/*
 * After a torn tail was moved aside: the first record of this start says
 * so, linked to the last complete record, so the chain stays verifiable
 * and the gap is on the record.
 */
static int
torn_record(struct audit *a, char *err, size_t errlen)
{
	const struct audit_event ev = { .event = "log-recover",
		.result = "ok",
		.reason = a->torn_note };

	if (a->torn_note[0] == '\0' || audit_write_sync(a, &ev) == 0)
		return 0;
	audit_set_err(err, errlen,
	    "%s: cannot write the record of the torn "
	    "last record's recovery",
	    a->path);
	return -1;
}

struct audit *
audit_open(const char *path, char *err, size_t errlen)
{
	struct audit *a;

	if ((a = audit_alloc(path)) == NULL) {
		audit_set_err(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	if (audit_log_open(a, err, errlen) == -1 ||
	    audit_chain_recover(a, err, errlen) == -1 ||
	    audit_writer_start(a, err, errlen) == -1) {
		audit_free(a);
		return NULL;
	}
	if (torn_record(a, err, errlen) == -1) {
		audit_close(a);
		return NULL;
	}
	return a;
}

const char *
audit_last_record(const struct audit *a, size_t *len)
{
	if (a == NULL || a->last == NULL)
		return NULL;
	*len = a->lastlen;
	return a->last;
}

int
audit_notify_fd(const struct audit *a)
{
	return a != NULL ? a->notify[0] : -1;
}

/*
 * Drain the pipe first, then take the done list: a batch finished after
 * the take wrote its byte after the drain, so the fd stays readable for
 * it.  Callbacks run outside the lock and may submit new records.
 */
void
audit_dispatch(struct audit *a)
{
	struct audit_item *it, *next;

	if (a == NULL)
		return;
	util_drain(a->notify[0]);
	pthread_mutex_lock(&a->mu);
	it = a->done.head;
	list_init(&a->done);
	pthread_mutex_unlock(&a->mu);
	for (; it != NULL; it = next) {
		next = it->next;
		if (it->cb != NULL)
			it->cb(it->arg, it->ok);
		free(it);
	}
}

/* The lock is not part of the handle's observable state, hence the cast. */
size_t
audit_pending(const struct audit *a)
{
	pthread_mutex_t *mu;
	size_t n;

	if (a == NULL)
		return 0;
	mu = (pthread_mutex_t *)&a->mu;
	pthread_mutex_lock(mu);
	n = a->pending;
	pthread_mutex_unlock(mu);
	return n;
}

/*
 * The writer drains the queue before it returns, so everything submitted
 * is written (or failed) by the time the join returns.  Callbacks not yet
 * dispatched are dropped: callers dispatch before closing.
 */
void
audit_close(struct audit *a)
{
	if (a == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	a->stopping = 1;
	pthread_cond_signal(&a->work);
	pthread_mutex_unlock(&a->mu);
	if (a->have_thread)
		pthread_join(a->thread, NULL);
	audit_free(a);
}
