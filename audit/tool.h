/*
 * tool: the parts of csign-audit, the audit log reader (main.c, the
 * commands in verify.c and search.c, the bounded line reader in lineio.c).
 */
#ifndef CSIGN_AUDIT_TOOL_H
#define CSIGN_AUDIT_TOOL_H

#include <stdio.h>

#include "proto/auditrec.h"

#define TOOL_NAME "csign-audit"

/* Exit statuses: success, a check or a file failed, bad usage. */
#define TOOL_OK 0
#define TOOL_FAIL 1
#define TOOL_USAGE 2

enum line_status {
	LINE_OK,      /* a complete line */
	LINE_EOF,     /* nothing more */
	LINE_LONG,    /* longer than a record may be; rest skipped */
	LINE_PARTIAL, /* the file ends without a newline */
	LINE_ERROR    /* read error (errno set) */
};

/* Reads one file line by line, never more than a record's length. */
struct line_reader {
	FILE *f;
	const char *path;
	unsigned long lineno;
	size_t len;		  /* bytes in buf, without the '\n' */
	char buf[AUDIT_LINE_MAX]; /* NUL-terminated */
};

/* Open path for reading; -1 (errno set) if it cannot be opened. */
int line_open(struct line_reader *r, const char *path);
/* Read the next line into r->buf. */
enum line_status line_next(struct line_reader *r);
void line_close(struct line_reader *r);

/* Print the usage lines (the manual's synopsis) to out. */
void tool_usage(FILE *out);
/* Report a usage error, print the usage and return TOOL_USAGE. */
int tool_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Report a getopt error (c is '?' or ':') as a usage error. */
int tool_bad_option(int c, char **argv);

/* The commands: argv[0] is the command's name; return an exit status. */
int verify_main(int argc, char **argv);
int search_main(int argc, char **argv);

#endif
