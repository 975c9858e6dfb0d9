/*
 * audithandle: the audit writer's handle and queued records, shared by
 * the files of records/ that make up audit.h and by nothing else.
 *
 *   audit.c         the API: queueing records, waiting for them, the
 *                   callbacks, opening and closing the log
 *   auditwriter.c   the writer thread: batches, group commit with one
 *                   fdatasync, rollback, the switch of files on rotation
 *   auditfile.c     the log file: opening and locking it, recovering the
 *                   chain from its tail (a torn last record moved aside),
 *                   the checks on a new file at rotation
 *   auditsummary.c  the syslog summary line of each durable record
 *
 * The record's bytes and the chain hash are proto/auditrec.h's.
 */
#ifndef CSIGN_AUDITHANDLE_H
#define CSIGN_AUDITHANDLE_H

#include <sys/types.h>

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "records/audit.h"

/* Records that may wait at once; beyond this audit_submit() refuses. */
#define AUDIT_QUEUE_MAX 16384
/* Records per batch, which bounds the write buffer (~2 MB at worst). */
#define AUDIT_BATCH_MAX 256
#define SUMMARY_LINE 1024 /* one syslog summary line */
#define PATH_MAX_ 4096	  /* longest AuditLog path we name files after */

/* One queued record: the event and its strings in one allocation. */
struct audit_item {
	struct audit_item *next;
	struct audit_event ev; /* strings point into strs[] */
	int64_t sec;	       /* when it was queued */
	long usec;
	audit_done_cb cb;
	void *arg;
	int sync;     /* audit_write_sync() waits for it */
	int rotate;   /* audit_reopen(): switch files first */
	int done;     /* finished (sync items only) */
	int ok;	      /* on disk (rotate: reopen worked) */
	int reopened; /* rotate: a new file is written */
	char *err;    /* rotate: the caller's error buffer */
	size_t errlen;
	uint64_t seq; /* its seq and hash, for syslog */
	char hash[AUDIT_HASH_HEX + 1];
	char strs[];
};

/*
 * What the writer thread is waiting for, so that a queued record wakes it
 * only when it would act: not while it writes (it looks at the queue
 * again after the batch), and, while it waits for the records expected
 * to share its batch, only once none is expected or the batch is full.
 * A record woke it every time before, and it went back to sleep.
 */
#define WRITER_BUSY 0
#define WRITER_IDLE 1  /* for any record */
#define WRITER_GROUP 2 /* for the expected ones (group commit) */

struct item_list {
	struct audit_item *head;
	struct audit_item **tail;
};

struct audit {
	char *path;
	int fd;
	int notify[2]; /* [0] event loop, [1] writer thread */
	int have_sync; /* mu and the condvars are set up */
	int have_thread;
	pthread_t thread;

	/* Shared with the writer thread, under mu. */
	pthread_mutex_t mu;
	pthread_cond_t work;	/* queued, stopping, or none expected */
	pthread_cond_t synced;	/* a sync item is done */
	struct item_list queue; /* waiting for the writer */
	struct item_list done;	/* callbacks due */
	size_t pending;		/* queued + being written */
	size_t expected;	/* records on their way (audit_expect()) */
	long group_wait_us;	/* AUDIT_GROUP_WAIT_US; tests set more */
	int stopping;
	int writer_waits; /* WRITER_*: what the writer waits for now */

	/* The last record before this start, and a torn tail moved aside. */
	char *last;
	size_t lastlen;
	char torn_note[PATH_MAX_ + 256]; /* the recovery record's reason */

	/* The writer thread's own state once it runs. */
	struct audit_chain chain;
	int need_trunc; /* failed rollback: cut to good_size */
	off_t good_size;
	char *wbuf;
	size_t wcap;
	unsigned long commits; /* batches written (one fdatasync each) */
	time_t syslog_checked; /* monotonic second /dev/log was looked at */
	int syslog_ok;	       /* ... and whether it was there */
};

/* audit.c: an error for the caller (err may be NULL); a list append. */
void audit_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void audit_list_append(struct item_list *l, struct audit_item *it);

/* auditwriter.c: start the writer thread (signals blocked in it). */
int audit_writer_start(struct audit *a, char *err, size_t errlen);

/*
 * auditfile.c: open and lock the log and make the notify pipe; recover
 * the chain from the log's tail; open the path again for rotation (0:
 * still the same file, 1: *fdp is a checked new file, -1: err set).
 */
int audit_log_open(struct audit *a, char *err, size_t errlen);
int audit_chain_recover(struct audit *a, char *err, size_t errlen);
int audit_rotate_open(struct audit *a, int *fdp, char *err, size_t errlen);

/*
 * auditsummary.c: a batch's syslog lines, SUMMARY_LINE bytes each (""
 * for a record not written); NULL if out of memory.
 */
char *audit_batch_summaries(const struct audit_item *batch, size_t n);

#endif
