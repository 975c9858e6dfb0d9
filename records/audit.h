/*
 * audit: csignd's tamper-evident audit log writer (JSON Lines, hash
 * chained; format in proto/auditrec.h).
 *
 * Records are chained and written by one writer thread, which batches the
 * records queued while it was busy and makes each batch durable with one
 * fdatasync (group commit).  The event loop learns of finished batches
 * through audit_notify_fd() and runs the callbacks with audit_dispatch():
 * ok=1 means the record is on disk, ok=0 that it is not (the batch was
 * rolled back with ftruncate so the file stays a valid chain).  A
 * signature is released only from an ok=1 callback.  Each durable record
 * also goes to syslog as one summary line.
 */
#ifndef CSIGN_AUDIT_H
#define CSIGN_AUDIT_H

#include <stddef.h>

#include "proto/auditrec.h"

struct audit;

typedef void (*audit_done_cb)(void *arg, int ok);

/*
 * Open (create 0600) the log at path for appending, never through a
 * symbolic link, recover seq and the last hash from its last record
 * (refusing a last record whose own hash is wrong), and start the writer
 * thread.  NULL with err set on failure.
 *
 * A torn last line (no newline at the end: a write cut short by a crash
 * or power cut) is recovered first: its bytes go to a new file
 * "PATH.torn-YYYYMMDDTHHMMSSZ" (0600, durable), the log is cut back to
 * its last complete record, and the first record written is a
 * "log-recover" record naming that file, linked to the last complete
 * record, so that the chain stays verifiable and the gap is recorded.
 */
struct audit *audit_open(const char *path, char *err, size_t errlen);

/*
 * The log's last record as it was when audit_open() found it (before any
 * record of this start), without its newline; NULL if the log was empty.
 */
const char *audit_last_record(const struct audit *a, size_t *len);

/*
 * Queue ev (copied; the caller's strings may go away).  cb, if not NULL,
 * runs later from audit_dispatch() in the caller's thread.  -1 if the
 * record cannot be queued (then cb is never called).
 */
int audit_submit(struct audit *a, const struct audit_event *ev,
    audit_done_cb cb, void *arg);

/*
 * Group commit across threads: a record is on its way (a signature is
 * being made), so the writer, finding records queued, waits for the
 * expected ones too, at most AUDIT_GROUP_WAIT_US, and one fdatasync
 * covers them all.  audit_expect(a, 1) when that work starts; its record
 * then goes in with audit_submit_expected() (any thread), or, if it goes
 * in otherwise or never, audit_expect(a, -1).  A lone client never waits:
 * nothing else is expected when its record comes.
 */
#define AUDIT_GROUP_WAIT_US 1000
void audit_expect(struct audit *a, int delta);
int audit_submit_expected(struct audit *a, const struct audit_event *ev,
    audit_done_cb cb, void *arg);

/* Write ev and wait until it is durable: 0 or -1 (for start/stop). */
int audit_write_sync(struct audit *a, const struct audit_event *ev);

/*
 * Reopen the log by its path, for rotation (event-loop thread only; it
 * waits for the writer, at most one batch).  The writer switches files
 * between two batches, so no record straddles files, and the chain goes
 * on: the new file starts with a "rotate" record whose prev is the last
 * hash of the old file and whose seq follows it.  The path must name an
 * empty file or none (it is then created 0600) and be lockable; if it
 * still names the file being written, nothing changes.  Returns 1 if a
 * new file is now written, 0 if the path was still the same file, -1
 * with err set if the old file is kept (then it is still written).
 */
int audit_reopen(struct audit *a, char *err, size_t errlen);

/* The log's path as given to audit_open(). */
const char *audit_path(const struct audit *a);

/* A descriptor that becomes readable when callbacks are due. */
int audit_notify_fd(const struct audit *a);

/* Run the callbacks of finished batches (event-loop thread only). */
void audit_dispatch(struct audit *a);

/* Records queued and not yet finished. */
size_t audit_pending(const struct audit *a);

/* Flush what is queued, stop the thread, close the file. NULL is fine. */
void audit_close(struct audit *a);

#endif
