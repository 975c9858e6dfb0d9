/* audit.c: the audit log writer thread and its group commit (audit.h). */
#include "records/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

/* Records that may wait at once; beyond this audit_submit() refuses. */
#define AUDIT_QUEUE_MAX 16384
/* Records per batch, which bounds the write buffer (~2 MB at worst). */
#define AUDIT_BATCH_MAX 256
/* Longest string field in a syslog summary. */
#define SUMMARY_FIELD 128
#define SUMMARY_LINE 1024	/* one syslog summary line */
#define PATH_MAX_ 4096		/* longest AuditLog path we name files after */

/* One queued record: the event and its strings in one allocation. */
struct audit_item {
	struct audit_item *next;
	struct audit_event ev;		/* strings point into strs[] */
	int64_t sec;			/* when it was queued */
	long usec;
	audit_done_cb cb;
	void *arg;
	int sync;			/* audit_write_sync() waits for it */
	int rotate;			/* audit_reopen(): switch files first */
	int done;			/* finished (sync items only) */
	int ok;				/* on disk (rotate: reopen worked) */
	int reopened;			/* rotate: a new file is written */
	char *err;			/* rotate: the caller's error buffer */
	size_t errlen;
	uint64_t seq;			/* its seq and hash, for syslog */
	char hash[AUDIT_HASH_HEX + 1];
	char strs[];
};

struct item_list {
	struct audit_item *head;
	struct audit_item **tail;
};

struct audit {
	char *path;
	int fd;
	int notify[2];			/* [0] event loop, [1] writer thread */
	int have_sync;			/* mu and the condvars are set up */
	int have_thread;
	pthread_t thread;

	/* Shared with the writer thread, under mu. */
	pthread_mutex_t mu;
	pthread_cond_t work;		/* queue not empty, or stopping */
	pthread_cond_t synced;		/* a sync item is done */
	struct item_list queue;		/* waiting for the writer */
	struct item_list done;		/* callbacks due */
	size_t pending;			/* queued + being written */
	int stopping;

	/* The last record before this start, and a torn tail moved aside. */
	char *last;
	size_t lastlen;
	char torn_note[PATH_MAX_ + 256];	/* the recovery record's reason */

	/* The writer thread's own state once it runs. */
	struct audit_chain chain;
	int need_trunc;			/* failed rollback: cut to good_size */
	off_t good_size;
	char *wbuf;
	size_t wcap;
};

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
static void __attribute__((format(printf, 3, 4)))
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Explain a failed open of the log: a planted link gets its own words. */
static void
open_err(const char *path, int e, char *err, size_t errlen)
{
	if (e == ELOOP)
		set_err(err, errlen, "AuditLog %s: is a symbolic link; refusing "
		    "to follow it (the log must be a regular file)", path);
	else
		set_err(err, errlen, "%s: %s", path, strerror(e));
}

static void
list_init(struct item_list *l)
{
	l->head = NULL;
	l->tail = &l->head;
}

static void
list_append(struct item_list *l, struct audit_item *it)
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
static int
enqueue(struct audit *a, struct audit_item *it)
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
	list_append(&a->queue, it);
	a->pending++;
	pthread_cond_signal(&a->work);
	pthread_mutex_unlock(&a->mu);
	return 0;
}

int
audit_submit(struct audit *a, const struct audit_event *ev,
    audit_done_cb cb, void *arg)
{
	struct audit_item *it;

	if (a == NULL || ev == NULL || (it = item_new(ev)) == NULL)
		return -1;
	it->cb = cb;
	it->arg = arg;
	if (enqueue(a, it) == -1) {
		free(it);
		return -1;
	}
	return 0;
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
	if (enqueue(a, it) == -1) {
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
	const struct audit_event ev = { .event = "rotate", .result = "ok",
		.reason = "log file reopened; prev is the last record of the "
		    "previous file" };
	struct audit_item *it;
	int r;

	set_err(err, errlen, "audit log: cannot queue the reopen (out of "
	    "memory, queue full or stopping)");
	if (a == NULL || (it = item_new(&ev)) == NULL)
		return -1;
	it->rotate = 1;
	it->err = err;
	it->errlen = errlen;
	if (sync_wait(a, it) == -1)
		return -1;
	if ((r = it->ok ? it->reopened : -1) != -1)
		set_err(err, errlen, "%s", "");
	free(it);
	return r;
}

const char *
audit_path(const struct audit *a)
{
	return a != NULL ? a->path : "";
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
	while (a->queue.head == NULL && !a->stopping)
		pthread_cond_wait(&a->work, &a->mu);
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

	if (log_ready(a, &size) == -1) {
		log_warn("%s: audit log not writable", a->path);
		batch_fail(batch);
		return;
	}
	if (batch_format(a, batch, &len) == 0 &&
	    (len == 0 || (util_write_all(a->fd, a->wbuf, len) == 0 &&
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
 * Check the file just opened at the log's path before it replaces the
 * current one: lockable (no other writer), a regular file, and empty, so
 * that it holds nothing but the continuation of this chain.  A failed
 * batch still to be cut from the old file is cut first: the old file
 * must end on a complete record before it is let go.
 */
static int
rotate_check(struct audit *a, int fd, char *err, size_t errlen)
{
	struct stat st;

	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		set_err(err, errlen, "%s: %s", a->path, errno == EWOULDBLOCK ?
		    "in use by another process" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		set_err(err, errlen, "%s: %s", a->path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size != 0) {
		set_err(err, errlen, "%s: %s; a new audit file must be empty "
		    "(rename the old file away, do not copy and truncate it)",
		    a->path, S_ISREG(st.st_mode) ? "not empty" :
		    "not a regular file");
		return -1;
	}
	if (a->need_trunc && ftruncate(a->fd, a->good_size) == -1) {
		set_err(err, errlen, "%s: cannot cut back a failed write in "
		    "the old file: %s", a->path, strerror(errno));
		return -1;
	}
	a->need_trunc = 0;
	return 0;
}

/*
 * Open the log's path again.  Returns 0 if it still names the file being
 * written (nothing to do), 1 with *fdp set to a checked new file, or -1
 * with err set.
 */
static int
rotate_open(struct audit *a, int *fdp, char *err, size_t errlen)
{
	struct stat ost, nst;
	int fd;

	fd = open(a->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (fd == -1) {
		open_err(a->path, errno, err, errlen);
		return -1;
	}
	if (fstat(fd, &nst) == -1 || fstat(a->fd, &ost) == -1) {
		set_err(err, errlen, "%s: %s", a->path, strerror(errno));
		close(fd);
		return -1;
	}
	if (nst.st_dev == ost.st_dev && nst.st_ino == ost.st_ino) {
		close(fd);
		return 0;
	}
	if (rotate_check(a, fd, err, errlen) == -1) {
		close(fd);
		return -1;
	}
	*fdp = fd;
	return 1;
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
	if ((r = rotate_open(a, &fd, it->err, it->errlen)) <= 0) {
		it->ok = r == 0;
		return;
	}
	a->fd = fd;
	batch_commit(a, it);
	if (!it->ok) {
		set_err(it->err, it->errlen, "%s: cannot write the first "
		    "record of the new file", a->path);
		a->fd = old;
		a->need_trunc = 0;	/* any cut-back concerned the new file */
		close(fd);
		return;
	}
	close(old);
	it->reopened = 1;
}

/*
 * Copy s for a syslog line: printable ASCII only, anything else (and
 * backslash, quote, and space unless quoted) as \xNN, cut to fit; in
 * quotes if asked.  "-" if absent.
 */
static const char *
summary_str(const char *s, int quoted, char *dst, size_t dstlen)
{
	size_t n = 0;
	unsigned char c;

	if (s == NULL)
		return "-";
	if (quoted)
		dst[n++] = '"';
	for (; *s != '\0' && n + 6 < dstlen; s++) {
		c = (unsigned char)*s;
		if (c > 0x20 && c < 0x7f && c != '\\' && c != '"')
			dst[n++] = (char)c;
		else if (c == ' ' && quoted)
			dst[n++] = ' ';
		else
			n += (size_t)snprintf(dst + n, dstlen - n, "\\x%02x",
			    c);
	}
	if (quoted)
		dst[n++] = '"';
	dst[n] = '\0';
	return dst;
}

/*
 * The syslog summary of a durable record.  The full hash goes
 * with it: the syslog copy anchors the chain outside the file, and a
 * shortened hash would be cheap to match with a forged record.
 */
static void
item_summary(const struct audit_item *it, char *dst, size_t dstlen)
{
	char ev[SUMMARY_FIELD], user[SUMMARY_FIELD], key[SUMMARY_FIELD];
	char fmt[SUMMARY_FIELD], art[2 * SUMMARY_FIELD], res[SUMMARY_FIELD];
	char why[2 * SUMMARY_FIELD];

	snprintf(dst, dstlen, "seq=%" PRIu64 " event=%s "
	    "user=%s key=%s format=%s artifact=%s result=%s reason=%s "
	    "hash=%s", it->seq,
	    summary_str(it->ev.event, 0, ev, sizeof(ev)),
	    summary_str(it->ev.has_peer ? it->ev.user : NULL, 0, user,
	    sizeof(user)),
	    summary_str(it->ev.key, 0, key, sizeof(key)),
	    summary_str(it->ev.format, 0, fmt, sizeof(fmt)),
	    summary_str(it->ev.artifact, 1, art, sizeof(art)),
	    summary_str(it->ev.result, 0, res, sizeof(res)),
	    summary_str(it->ev.reason, 1, why, sizeof(why)), it->hash);
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
			list_append(&a->done, batch);
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
 * The summaries of a committed batch's durable records, SUMMARY_LINE
 * bytes each ("" for a failed record), taken before the items are handed
 * back; NULL if out of memory (then syslog misses this batch).
 */
static char *
batch_summaries(const struct audit_item *batch, size_t n)
{
	char *sums = calloc(n ? n : 1, SUMMARY_LINE);
	size_t i = 0;

	if (sums == NULL)
		return NULL;
	for (; batch != NULL && i < n; batch = batch->next, i++)
		if (batch->ok && batch->seq != 0)
			item_summary(batch, sums + i * SUMMARY_LINE,
			    SUMMARY_LINE);
	return sums;
}

/* The writer thread: commit batches until stopped and drained. */
static void *
writer_main(void *arg)
{
	struct audit *a = arg;
	struct audit_item *batch;
	char *sums;
	size_t n;

	while ((batch = batch_take(a, &n)) != NULL) {
		if (batch->rotate)
			writer_rotate(a, batch);
		else
			batch_commit(a, batch);
		sums = batch_summaries(batch, n);
		batch_finish(a, batch, n);
		/* After the release: signatures never wait for syslog. */
		for (size_t i = 0; sums != NULL && i < n; i++)
			if (sums[i * SUMMARY_LINE] != '\0')
				syslog(LOG_AUTHPRIV | LOG_INFO, "%s",
				    sums + i * SUMMARY_LINE);
		free(sums);
	}
	return NULL;
}

/* Allocate the handle with its lock, lists and no descriptors yet. */
static struct audit *
audit_alloc(const char *path)
{
	struct audit *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->fd = a->notify[0] = a->notify[1] = -1;
	list_init(&a->queue);
	list_init(&a->done);
	auditrec_chain_init(&a->chain);
	if ((a->path = strdup(path)) == NULL ||
	    pthread_mutex_init(&a->mu, NULL) != 0) {
		free(a->path);
		free(a);
		return NULL;
	}
	if (pthread_cond_init(&a->work, NULL) != 0 ||
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
 * Open the log for appending only, never through a symbolic link, and
 * take an exclusive lock on it: two writers would interleave two chains.
 * Also create the notify pipe.
 */
static int
log_open(struct audit *a, char *err, size_t errlen)
{
	a->fd = open(a->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW | O_NOCTTY, 0600);
	if (a->fd == -1) {
		open_err(a->path, errno, err, errlen);
		return -1;
	}
	if (flock(a->fd, LOCK_EX | LOCK_NB) == -1) {
		set_err(err, errlen, "%s: %s", a->path, errno == EWOULDBLOCK ?
		    "in use by another process" : strerror(errno));
		return -1;
	}
	if (pipe2(a->notify, O_NONBLOCK | O_CLOEXEC) == -1) {
		set_err(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Read the last n bytes (size in all) of the log through a second,
 * read-only descriptor, after checking it is the same file as a->fd.
 */
static int
tail_read(struct audit *a, const struct stat *wst, char *buf, size_t n)
{
	struct stat st;
	size_t got = 0;
	ssize_t r = 0;
	int fd;

	if ((fd = open(a->path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NOFOLLOW)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || st.st_dev != wst->st_dev ||
	    st.st_ino != wst->st_ino) {
		close(fd);
		errno = ESTALE;
		return -1;
	}
	while (got < n) {
		r = pread(fd, buf + got, n - got,
		    wst->st_size - (off_t)(n - got));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got == n)
		return 0;
	if (r == 0)
		errno = EIO;
	return -1;
}

/* Find the last line of buf (n bytes, ending in '\n'); -1 if it may be cut. */
static int
last_line(const char *buf, size_t n, int whole, size_t *start, size_t *len)
{
	size_t i = n - 1;

	while (i > 0 && buf[i - 1] != '\n')
		i--;
	if (i == 0 && !whole)
		return -1;
	*start = i;
	*len = n - 1 - i;
	return 0;
}

/* Keep a copy of the last record, for audit_last_record(). */
static int
keep_last(struct audit *a, const char *line, size_t len)
{
	if ((a->last = malloc(len + 1)) == NULL)
		return -1;
	memcpy(a->last, line, len);
	a->last[len] = '\0';
	a->lastlen = len;
	return 0;
}

/* fsync the directory holding path, so that a new name in it is durable. */
static int
dir_sync(const char *path)
{
	char dir[PATH_MAX_];
	const char *slash = strrchr(path, '/');
	int fd, r;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

/*
 * Write the torn tail (len bytes) to a new file "LOG.torn-TIME" next to
 * the log, durable, before the log is cut: the bytes are kept for
 * whoever investigates.  Its name into dst; 0 or -1 with err set.
 */
static int
torn_save(struct audit *a, const char *p, size_t len, char *dst,
    size_t dstlen, char *err, size_t errlen)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int fd = -1;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (int i = 0; fd == -1 && i < 100; i++) {
		if (i == 0)
			snprintf(dst, dstlen, "%s.torn-%s", a->path, stamp);
		else
			snprintf(dst, dstlen, "%s.torn-%s-%d", a->path, stamp, i);
		fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
		    O_NOFOLLOW, 0600);
		if (fd == -1 && errno != EEXIST)
			break;
	}
	if (fd == -1 || util_write_all(fd, p, len) == -1 || fsync(fd) == -1 ||
	    dir_sync(dst) == -1) {
		set_err(err, errlen, "%s: cannot keep the torn last record in "
		    "%s: %s", a->path, dst, strerror(errno));
		if (fd != -1) {
			close(fd);
			unlink(dst);
		}
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * The log ends with a line that has no newline: a write cut short by a
 * crash or a power cut (records are written whole and made durable
 * before anything relies on them, so such a line was never confirmed to
 * anyone).  Keep its bytes in LOG.torn-TIME, cut the log back to its
 * last complete line, and note what was done for the recovery record.
 * buf holds the last n bytes of the file (size in all).
 */
static int
torn_recover(struct audit *a, const char *buf, size_t n, off_t size,
    char *err, size_t errlen)
{
	char saved[PATH_MAX_ + 64];
	size_t i = n;

	while (i > 0 && buf[i - 1] != '\n')
		i--;
	if (i == 0 && (off_t)n != size) {
		set_err(err, errlen, "%s: last line is incomplete and longer "
		    "than any record; refusing to extend a broken chain",
		    a->path);
		return -1;
	}
	if (torn_save(a, buf + i, n - i, saved, sizeof(saved), err,
	    errlen) == -1)
		return -1;
	if (ftruncate(a->fd, size - (off_t)(n - i)) == -1 ||
	    fsync(a->fd) == -1) {
		set_err(err, errlen, "%s: cannot cut the torn last record: %s",
		    a->path, strerror(errno));
		return -1;
	}
	log_warnx("%s: the last record was torn (%zu bytes without a "
	    "newline, an interrupted write); moved to %s", a->path, n - i,
	    saved);
	snprintf(a->torn_note, sizeof(a->torn_note), "torn last record "
	    "(%zu bytes without a newline, from an interrupted write) moved "
	    "to %s; the chain continues from the last complete record",
	    n - i, saved);
	return 0;
}

/*
 * Recover the chain from the log's last line.  An empty file starts a new
 * chain.  A torn last line is moved aside first (torn_recover).  The log
 * must then end in a complete record whose own hash checks; the daemon
 * refuses to extend a broken chain rather than hide the break behind new
 * records.
 */
static int
chain_recover(struct audit *a, char *err, size_t errlen)
{
	char buf[AUDIT_LINE_MAX + 1], prev[AUDIT_HASH_HEX + 1];
	size_t n, start, len;
	struct stat st;

	for (int pass = 0;; pass++) {
		if (fstat(a->fd, &st) == -1) {
			set_err(err, errlen, "%s: %s", a->path,
			    strerror(errno));
			return -1;
		}
		if (st.st_size <= 0)
			return 0;
		n = st.st_size < (off_t)sizeof(buf) ? (size_t)st.st_size :
		    sizeof(buf);
		if (tail_read(a, &st, buf, n) == -1) {
			set_err(err, errlen, "%s: cannot read the last record: "
			    "%s", a->path, strerror(errno));
			return -1;
		}
		if (buf[n - 1] == '\n')
			break;
		if (pass > 0 || torn_recover(a, buf, n, st.st_size, err,
		    errlen) == -1)
			return -1;
	}
	if (last_line(buf, n, n == (size_t)st.st_size, &start, &len) == -1 ||
	    auditrec_fields(buf + start, len, &a->chain.seq, prev,
	    a->chain.hash) == -1) {
		auditrec_chain_init(&a->chain);
		set_err(err, errlen, "%s: last record is damaged; refusing to "
		    "extend a broken chain", a->path);
		return -1;
	}
	if (keep_last(a, buf + start, len) == -1) {
		set_err(err, errlen, "%s: out of memory", a->path);
		return -1;
	}
	return 0;
}

/*
 * Start the writer with every signal blocked, so that signals keep going
 * to the event loop's thread.
 */
static int
writer_start(struct audit *a, char *err, size_t errlen)
{
	sigset_t all, old;
	int r;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&a->thread, NULL, writer_main, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		set_err(err, errlen, "audit writer thread: %s", strerror(r));
		return -1;
	}
	a->have_thread = 1;
	return 0;
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
		.result = "ok", .reason = a->torn_note };

	if (a->torn_note[0] == '\0' || audit_write_sync(a, &ev) == 0)
		return 0;
	set_err(err, errlen, "%s: cannot write the record of the torn last "
	    "record's recovery", a->path);
	return -1;
}

struct audit *
audit_open(const char *path, char *err, size_t errlen)
{
	struct audit *a;

	if ((a = audit_alloc(path)) == NULL) {
		set_err(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	if (log_open(a, err, errlen) == -1 ||
	    chain_recover(a, err, errlen) == -1 ||
	    writer_start(a, err, errlen) == -1) {
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
	char drain[64];

	if (a == NULL)
		return;
	while (read(a->notify[0], drain, sizeof(drain)) > 0)
		continue;
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
