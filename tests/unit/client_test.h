/*
 * client_test.h: what the csign-client unit tests share (test_client.c,
 * test_client_text.c, test_client_io.c).
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

#endif
