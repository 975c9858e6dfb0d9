/*
 * test_util.c: util_drain() (common/util.c): a wake-up pipe is left empty
 * whatever it held, and an emptied pipe costs one read, not a second one
 * that fails with EAGAIN (the event loop drains one after every batch of
 * signatures).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

ssize_t __real_read(int fd, void *buf, size_t n);
ssize_t __wrap_read(int fd, void *buf, size_t n);

static unsigned nread;

ssize_t
__wrap_read(int fd, void *buf, size_t n)
{
	nread++;
	return __real_read(fd, buf, n);
}

/* A non-blocking pipe holding len bytes; its read end in p[0]. */
static void
pipe_with(int p[2], size_t len)
{
	char byte = 'x';

	assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	for (size_t i = 0; i < len; i++)
		assert_int_equal(write(p[1], &byte, 1), 1);
	nread = 0;
}

/* Whether the pipe's read end has nothing left. */
static int
empty(int fd)
{
	char c;

	return __real_read(fd, &c, 1) == -1 && errno == EAGAIN;
}

static void
drain_few(void **state)
{
	int p[2];

	(void)state;
	pipe_with(p, 3);
	util_drain(p[0]);
	assert_true(empty(p[0]));
	assert_int_equal(nread, 1);
	close(p[0]);
	close(p[1]);
}

static void
drain_many(void **state)
{
	int p[2];

	(void)state;
	pipe_with(p, 1000);
	util_drain(p[0]);
	assert_true(empty(p[0]));
	assert_true(nread >= 2);
	close(p[0]);
	close(p[1]);
}

/* An empty pipe: one read, EAGAIN, nothing waits. */
static void
drain_empty(void **state)
{
	int p[2];

	(void)state;
	pipe_with(p, 0);
	util_drain(p[0]);
	assert_int_equal(nread, 1);
	assert_true(empty(p[0]));
	close(p[0]);
	close(p[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(drain_few),
		cmocka_unit_test(drain_many),
		cmocka_unit_test(drain_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
