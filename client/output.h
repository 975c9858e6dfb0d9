/*
 * What csign-client writes: result files (atomically), text that came
 * from the daemon made safe for a terminal, and failure reports.
 */
#ifndef CSIGN_CLIENT_OUTPUT_H
#define CSIGN_CLIENT_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "client/client.h"

/*
 * Write p[0..len) to path so that path is either untouched or complete:
 * a temporary "path.XXXXXX" in the same directory gets the bytes, mode
 * and an fsync, then is renamed over path.  Termination signals are held
 * back meanwhile so that no temporary is left behind.  0, or -1 with
 * errno set (nothing left on disk).
 */
int cl_write_atomic(const char *path, const void *p, size_t len, mode_t mode);

/*
 * 1 if path names an existing device, FIFO or socket (/dev/null, a pipe):
 * an output there is written through, never replaced by a file.
 */
int cl_output_special(const char *path);
/*
 * path made absolute against the working directory into dst: snprintf's
 * count (>= dstlen: too long, or no working directory).
 */
int cl_path_absolute(const char *path, char *dst, size_t dstlen);
/* Open such an output for writing (no create, no truncate): fd or -1. */
int cl_open_special(const char *path);

/* Write p[0..len) to stdout and flush it: 0 or -1 with errno set. */
int cl_write_stdout(const void *p, size_t len);

/* The directory part of path ("." if none) into dst: 0, or -1 if long. */
int cl_path_dir(const char *path, char *dst, size_t dstlen);

/*
 * Copy p[0..len) into dst (always NUL-terminated) for a terminal: control
 * characters, C1 controls and bytes that are not UTF-8 become '?', and a
 * too long text is cut at a character boundary.  Returns dst.
 */
char *cl_text_clean(char *dst, size_t dstlen, const void *p, size_t len);

/* Characters (not bytes) in the UTF-8 string s. */
size_t cl_text_width(const char *s);

/* The error line of fl, "[FILE: ]MESSAGE", into dst (for log_warnx). */
char *cl_fail_line(char *dst, size_t dstlen, const struct failure *fl);

/* fl as one JSON object {"file","status","message"} on fp. */
void cl_fail_json(FILE *fp, const struct failure *fl);

/*
 * Report fl: its line on stderr, and its JSON object on stdout if json;
 * the exit code it carries (EXIT_ERROR if none).
 */
int cl_fail_report(const struct failure *fl, int json);

/* How an artifact operand is shown to the user ("stdin" for "-"). */
const char *cl_file_label(const char *file);

/*
 * Outputs the daemon writes itself (a signed module or PE image): a
 * temporary file beside path, opened for writing with mode; its name goes
 * to tmp.  If the run is interrupted (SIGINT, SIGTERM, SIGHUP, SIGQUIT)
 * before commit or abort, the temporary file is removed.  -1 on failure.
 */
int cl_temp_create(const char *path, mode_t mode, char *tmp, size_t tmplen);
/* fsync fd, close it, rename tmp to path: 0, or -1 with tmp removed. */
int cl_temp_commit(int fd, const char *tmp, const char *path);
/* Close fd and remove tmp. */
void cl_temp_abort(int fd, const char *tmp);

/* Write all of p[0..len) to fd: 0 or -1 (errno set). */
int cl_write_fd(int fd, const void *p, size_t len);

#endif
