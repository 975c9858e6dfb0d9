/*
 * heldfile: the requests held for approval, listed on disk, so that a
 * daemon that did not stop cleanly (a crash, SIGKILL, a power cut) still
 * audits, when it starts again, that they were dropped.  Held requests are
 * never restored: approvals do not survive a restart, by design.  A clean
 * stop cancels them itself (audited) and leaves the list empty.
 *
 * The file is StateFile with ".held" appended: one line per request
 * waiting for approval or being signed, "ID UID USER KEY FORMAT DIGESTALG
 * DIGEST SIZE" separated by tabs (none of them can hold a tab), replaced
 * atomically and made durable before the requester hears of the hold.
 * It is opened and replaced as records/statefile.h describes: never
 * through a symbolic link, a regular file of the daemon's user that no
 * one else may write, temporary file + fsync + rename + directory fsync.
 *
 * Recovery audits each listed request exactly once, even when the start
 * doing it is itself interrupted: the list is emptied only once every
 * record is durable, and since recovery records are the first records a
 * start writes, in the order of the list, a start whose log ends with
 * the records of the first k lines goes on after them.
 */
#ifndef CSIGN_HELDFILE_H
#define CSIGN_HELDFILE_H

#include <stddef.h>

struct approvals;
struct audit;

/* StateFile's held list into dst: 0, or -1 if it does not fit. */
int heldfile_path(const char *statefile, char *dst, size_t dstlen);

/* Write the waiting and signing requests of a to path: 0 or -1, err. */
int heldfile_save(const char *path, const struct approvals *a, char *err,
    size_t errlen);

/*
 * At start, before any other record of this start: remove temporary files
 * a crash left, audit every request the list at path names as cancelled
 * ("approval-cancel", daemon restarted) unless an interrupted start did
 * (audit_last_record()), and empty the list.  The number of requests
 * audited now, or -1 with err set (the list is then left as it was).
 */
int heldfile_recover(const char *path, struct audit *au, char *err,
    size_t errlen);

#endif
