#ifndef CSIGN_CLIENT_TEST_H
#define CSIGN_CLIENT_TEST_H

/*
 * test_client.c: csign-client's pure parts (client/): the command line,
 * output names, terminal-safe text, JSON, atomic writes, reply decoding
 * and entry walking, and the request/reply exchange over a socketpair
 * whose far end the test plays by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/args.h"
#include "client/client.h"
#include "client/conn.h"
#include "client/json.h"
#include "client/output.h"
#include "client/query.h"
#include "client/sign.h"
#include "common/util.h"
#include "proto/frame.h"
#include "proto/io.h"
#include "proto/names.h"
#include "common/utf8.h"

#define MAXARGS 32

/* Expect a usage error whose text contains want. */
#define assert_usage_error(want, ...) \
	do { \
		struct options o_; \
		char err_[256]; \
		assert_int_equal(parse(&o_, err_, sizeof(err_), __VA_ARGS__, \
				     NULL), \
		    PARSE_ERROR); \
		if (strstr(err_, want) == NULL) \
			fail_msg("error \"%s\" lacks \"%s\"", err_, want); \
	} while (0)

#endif
