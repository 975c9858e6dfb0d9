/*
 * auditwriter.c: the audit writer thread: batches made durable with one
 * fdatasync each (group commit), rolled back whole on failure, and the
 * switch to a new file between two batches (audit.h, audithandle.h).
 */
#include "records/audithandle.h"

#include <errno.h>
#include <paths.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

/*
 * Group commit (audit_expect()): records are queued and more are on
 * their way; wait for those, at most group_wait_us, so that they
 * share this batch's fdatasync.  Under mu.
 */
static void
group_wait(struct audit *a)
{
	struct timespec until;

	if (a->expected == 0 || a->stopping)
		return;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += a->group_wait_us / 1000000;
	until.tv_nsec += a->group_wait_us % 1000000 * 1000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	a->writer_waits = WRITER_GROUP;
	while (a->expected > 0 && !a->stopping && a->pending < AUDIT_BATCH_MAX)
		if (pthread_cond_timedwait(&a->work, &a->mu, &until) ==
		    ETIMEDOUT)
			break;
}

/*
 * Wait for work and take up to a batch of it; NULL once stopped and
 * drained.  A rotate item is always a batch of its own: the records
 * queued before it go to the old file, those after it to the new one.
 */
static struct audit_item *
batch_take(struct audit *a, size_t *n)
{
	struct audit_item *batch, *last;

	pthread_mutex_lock(&a->mu);
	a->writer_waits = WRITER_IDLE;
	while (a->queue.head == NULL && !a->stopping)
		pthread_cond_wait(&a->work, &a->mu);
	group_wait(a);
	a->writer_waits = WRITER_BUSY;
	batch = last = a->queue.head;
	*n = batch != NULL;
	while (last != NULL && !last->rotate && last->next != NULL &&
	    !last->next->rotate && *n < AUDIT_BATCH_MAX) {
		last = last->next;
		(*n)++;
	}
	if (last != NULL) {
		a->queue.head = last->next;
		if (a->queue.head == NULL)
			a->queue.tail = &a->queue.head;
		last->next = NULL;
	}
	pthread_mutex_unlock(&a->mu);
	return batch;
}

/* Make room for need bytes in the write buffer. */
static int
wbuf_reserve(struct audit *a, size_t need)
{
	size_t cap = a->wcap ? a->wcap : (size_t)4 * AUDIT_LINE_MAX;
	char *p;

	if (need <= a->wcap)
		return 0;
	while (cap < need)
		cap *= 2;
	if ((p = realloc(a->wbuf, cap)) == NULL)
		return -1;
	a->wbuf = p;
	a->wcap = cap;
	return 0;
}

/*
 * Format each record of the batch as the next link of the chain into the
 * write buffer; *len is the bytes to write.  A record too long for a line
 * is left out (ok=0) without taking a link.  -1 if out of memory.
 */
static int
batch_format(struct audit *a, struct audit_item *batch, size_t *len)
{
	struct audit_item *it;
	int n;

	*len = 0;
	for (it = batch; it != NULL; it = it->next) {
		if (wbuf_reserve(a, *len + AUDIT_LINE_MAX + 1) == -1)
			return -1;
		n = auditrec_format(a->wbuf + *len, AUDIT_LINE_MAX + 1,
		    &a->chain, it->sec, it->usec, &it->ev);
		if ((it->ok = n > 0) == 0) {
			log_warnx("%s: audit record too long, not written",
			    a->path);
			continue;
		}
		it->seq = a->chain.seq;
		memcpy(it->hash, a->chain.hash, sizeof(it->hash));
		*len += (size_t)n;
	}
	return 0;
}

/*
 * Get the file ready for a batch and its size before it.  If an earlier
 * rollback could not cut the file back, retry that first: nothing may be
 * appended after the remains of a failed batch.
 */
static int
log_ready(struct audit *a, off_t *size)
{
	struct stat st;

	if (a->need_trunc) {
		if (ftruncate(a->fd, a->good_size) == -1)
			return -1;
		a->need_trunc = 0;
	}
	if (fstat(a->fd, &st) == -1)
		return -1;
	*size = st.st_size;
	return 0;
}

/* Mark every record of the batch as not written. */
static void
batch_fail(struct audit_item *batch)
{
	for (; batch != NULL; batch = batch->next)
		batch->ok = 0;
}

/*
 * Make the batch durable: every record formatted onto the chain, all of
 * them written with one write() loop and flushed with one fdatasync().
 * On any failure the file is cut back to its size before the batch and
 * the chain state restored, so the log on disk stays one valid chain and
 * the next batch links to the last durable record; every record of the
 * batch is then reported as not written.
 */
static void
batch_commit(struct audit *a, struct audit_item *batch)
{
	struct audit_chain saved = a->chain;
	size_t len;
	off_t size;

	a->commits++;
	if (log_ready(a, &size) == -1) {
		log_warn("%s: audit log not writable", a->path);
		batch_fail(batch);
		return;
	}
	if (batch_format(a, batch, &len) == 0 &&
	    (len == 0 ||
		(util_write_all(a->fd, a->wbuf, len) == 0 &&
		    fdatasync(a->fd) == 0)))
		return;
	log_warn("%s: audit write failed", a->path);
	a->chain = saved;
	batch_fail(batch);
	if (ftruncate(a->fd, size) == -1) {
		log_warn("%s: cannot cut back a failed audit write", a->path);
		a->need_trunc = 1;
		a->good_size = size;
	}
}

/*
 * A rotate item: switch to the file now at the path and make the rotate
 * record its first record, durable, before any other record goes there.
 * The chain state is untouched by the switch, so that record's prev is
 * the old file's last hash and its seq follows.  If the record cannot be
 * written the new file is let go and the old one stays in use.
 */
static void
writer_rotate(struct audit *a, struct audit_item *it)
{
	int old = a->fd, fd = -1, r;

	it->ok = 0;
	if ((r = audit_rotate_open(a, &fd, it->err, it->errlen)) <= 0) {
		it->ok = r == 0;
		return;
	}
	a->fd = fd;
	batch_commit(a, it);
	if (!it->ok) {
		audit_set_err(it->err, it->errlen,
		    "%s: cannot write the first "
		    "record of the new file",
		    a->path);
		a->fd = old;
		a->need_trunc = 0; /* any cut-back concerned the new file */
		close(fd);
		return;
	}
	close(old);
	it->reopened = 1;
}

/* Wake the event loop; a full pipe is already readable. */
static void
notify(struct audit *a)
{
	if (write(a->notify[1], "", 1) == -1 && errno != EAGAIN)
		log_warn("%s: audit notify", a->path);
}

/*
 * Hand the finished batch back: sync items to their waiters, the others
 * to the done list for audit_dispatch().  The writer does not touch an
 * item after this.
 */
static void
batch_finish(struct audit *a, struct audit_item *batch, size_t n)
{
	struct audit_item *next;
	int any = 0;

	pthread_mutex_lock(&a->mu);
	for (; batch != NULL; batch = next) {
		next = batch->next;
		if (batch->sync) {
			batch->done = 1;
		} else {
			audit_list_append(&a->done, batch);
			any = 1;
		}
	}
	a->pending -= n;
	pthread_cond_broadcast(&a->synced);
	pthread_mutex_unlock(&a->mu);
	if (any)
		notify(a);
}

/*
 * Whether syslog has a socket to write to.  Without /dev/log (a container,
 * a minimal host) glibc tries to connect again for every line: three
 * system calls per record for nothing.  Looked at once a second.
 */
static int
syslog_present(struct audit *a)
{
	struct timespec now;
	struct stat st;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (a->syslog_checked == 0 || now.tv_sec != a->syslog_checked) {
		a->syslog_checked = now.tv_sec;
		a->syslog_ok = stat(_PATH_LOG, &st) == 0;
	}
	return a->syslog_ok;
}

/* The writer thread: commit batches until stopped and drained. */
static void *
writer_main(void *arg)
{
	struct audit *a = arg;
	struct audit_item *batch;
	char *sums;
	size_t n;

	/* Named, so that ps -L and bench/run.sh can tell its CPU time. */
	(void)pthread_setname_np(pthread_self(), "csignd-audit");
	while ((batch = batch_take(a, &n)) != NULL) {
		if (batch->rotate)
			writer_rotate(a, batch);
		else
			batch_commit(a, batch);
		sums = audit_batch_summaries(batch, n);
		batch_finish(a, batch, n);
		/* After the release: signatures never wait for syslog. */
		for (size_t i = 0; sums != NULL && i < n && syslog_present(a);
		     i++)
			if (sums[i * SUMMARY_LINE] != '\0')
				syslog(LOG_AUTHPRIV | LOG_INFO, "%s",
				    sums + i * SUMMARY_LINE);
		free(sums);
	}
	return NULL;
}

/*
 * Start the writer with every signal blocked, so that signals keep going
 * to the event loop's thread.
 */
int
audit_writer_start(struct audit *a, char *err, size_t errlen)
{
	sigset_t all, old;
	int r;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&a->thread, NULL, writer_main, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		audit_set_err(err, errlen, "audit writer thread: %s",
		    strerror(r));
		return -1;
	}
	a->have_thread = 1;
	return 0;
}
