/*
 * The pure parts of csign-client keys (keys.c), cert, whoami and status
 * (query.c).
 */
#ifndef CSIGN_CLIENT_QUERY_H
#define CSIGN_CLIENT_QUERY_H

#include <stddef.h>

#include "proto/frame.h"

/* A table cell or a field cleaned for the terminal, with its NUL. */
#define CELL_MAX 256

/*
 * Split a T_GROUP value "name:gid" at its last colon.  0 with the name's
 * length and the gid, or -1 if p[0..len) is not of that form.
 */
int cl_group_split(const void *p, size_t len, size_t *namelen,
    unsigned long *gid);

/*
 * Check the token list of a status reply: every T_TOKEN needs a T_STATE.
 * 1 if every token is ready, 0 if one is not, -1 with *err if malformed.
 */
int cl_tokens_ready(const struct frame *f, const char **err);

#endif
