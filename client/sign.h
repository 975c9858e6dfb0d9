/*
 * The pure parts of csign-client sign: where a result goes, how an
 * artifact is named to the daemon, and the F_SIGN frame.
 */
#ifndef CSIGN_CLIENT_SIGN_H
#define CSIGN_CLIENT_SIGN_H

#include <stddef.h>

#include "client/client.h"
#include "proto/buf.h"
#include "proto/frame.h"

/*
 * The output path for file into dst: out if given, else by format: the
 * module itself (signed in place, like sign-file), "file.signed" for pe
 * (like sbsign), "file.sig" otherwise; "" means standard output (out "-",
 * or file "-" without out).  0, or -1 if the path does not fit.
 */
int cl_sign_output(const char *file, const char *out, const char *format,
    char *dst, size_t dstlen);
/* 1 if the daemon writes a whole signed artifact for format (module, pe). */
int cl_format_writes_artifact(const char *format);

/*
 * The name the daemon gets for file: its last path component, "stdin"
 * for "-", at most ARTIFACT_NAME_MAX bytes and never cut inside a UTF-8
 * sequence.  Returns dst.
 */
char *cl_artifact_name(const char *file, char *dst, size_t dstlen);

/* Build the F_SIGN frame for the artifact called name into b: 0 or -1. */
int cl_sign_build(struct buf *b, const struct options *o, const char *name,
    uint32_t flags);

/*
 * Open the artifact file ("-": standard input) for reading: its
 * descriptor, or -1 with fl filled.
 */
int cl_open_artifact(const char *file, struct failure *fl);

/*
 * The report of one signed file, if asked for: a JSON object (--json) or
 * the -v line.  dig is the reply's T_DIGEST (or NULL), hex the artifact
 * digest in hex ("" if none); out "" means standard output.
 */
void cl_sign_report(const struct options *o, const char *file, const char *out,
    const struct tlv *dig, const char *hex);

#endif
