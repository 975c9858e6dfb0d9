/*
 * statefile: the monitor's small recovery files (the StateFile of disabled
 * keys and its ".held" list), opened and replaced the same careful way.
 *
 * Such a file is trusted only if it is a regular file of the daemon's
 * user that nobody else may write, reached without following a symbolic
 * link (O_NOFOLLOW: a link planted at the path is refused, never
 * followed).  It is replaced atomically: the new contents go to a
 * temporary "PATH.tmp-XXXXXX" in the same directory, are made durable
 * (fsync), renamed over PATH, and the directory is synced so that the
 * rename itself survives a power cut.  Temporary files a crash left
 * behind are removed at start.
 */
#ifndef CSIGN_STATEFILE_H
#define CSIGN_STATEFILE_H

#include <stddef.h>
#include <stdio.h>

/*
 * Open path for reading, checked as above; what names the file in
 * messages ("StateFile").  Returns the stream, or NULL with *missing set
 * if there is no file, or NULL with err set if it cannot be trusted.
 */
FILE *statefile_open(const char *path, const char *what, int *missing,
    char *err, size_t errlen);

/* A new temporary file next to path, for writing: NULL with err set. */
FILE *statefile_tmp(const char *path, const char *what, char *tmp,
    size_t tmplen, char *err, size_t errlen);

/*
 * Make the written temporary f durable and close it (always); 0, or -1
 * with err set and tmp removed.
 */
int statefile_finish(FILE *f, const char *tmp, const char *what, char *err,
    size_t errlen);

/*
 * Rename tmp over path and sync the directory: 0 (a failed directory sync
 * is only logged: the file is in place), or -1 with err set if the rename
 * failed (tmp is then removed and path unchanged).
 */
int statefile_replace(const char *tmp, const char *path, const char *what,
    char *err, size_t errlen);

/*
 * Remove the temporary files "PATH.tmp-XXXXXX" a crash left next to
 * path (regular files only); the number removed.
 */
int statefile_clean(const char *path);

#endif
