/*
 * client_test.h: what the csign-client unit tests share (test_client.c,
 * test_client_text.c, test_client_io.c, test_client_batch.c).
 */
#ifndef CSIGN_CLIENT_TEST_H
#define CSIGN_CLIENT_TEST_H

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

/* A new temporary directory (malloc'd path) for a test's files. */
static inline char *
make_tmpdir(void)
{
	char *d = strdup("/tmp/csign-client-test.XXXXXX");

	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return d;
}

/* Entries of dir other than . and .. */
static inline int
count_entries(const char *dir)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* Remove dir and the plain files in it; free the path. */
static inline void
rm_tree(char *dir)
{
	char p[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d != NULL && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
	free(dir);
}

#endif
