/*
 * Command-line parsing of csign-client, kept apart from main() so that the
 * unit tests can drive it.  Nothing here touches the network or files.
 */
#ifndef CSIGN_CLIENT_ARGS_H
#define CSIGN_CLIENT_ARGS_H

#include <stddef.h>
#include <stdio.h>

#include "client/client.h"

enum parse_result {
	PARSE_RUN = 0, /* run o->cmd */
	PARSE_HELP,    /* print usage on stdout, exit 0 */
	PARSE_VERSION, /* print the version, exit 0 */
	PARSE_ERROR    /* err says why; exit 2 */
};

/*
 * Parse argv into o (cleared first).  Global options come before the
 * command and may also follow it.  GNU getopt may permute the command's
 * part of argv.  On PARSE_ERROR, err holds one line without the program
 * name.
 */
enum parse_result cl_args_parse(int argc, char **argv, struct options *o,
    char *err, size_t errlen);

/* The socket to use: -S if given, else a non-empty env, else the default. */
const char *cl_socket_path(const char *opt, const char *env);

/* Print the usage text (identical to the man page's SYNOPSIS) to fp. */
void cl_usage(FILE *fp);

#endif
