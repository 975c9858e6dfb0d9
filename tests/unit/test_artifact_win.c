/*
 * test_artifact_win.c: the parsers' read windows (sandbox/artifact.c):
 * every read gives the file's bytes whatever its offset and length
 * against the windows, a range past the end fails as a direct read does,
 * and the many small reads of a parse cost a few system calls (pread is
 * wrapped and counted here), not one each.
 */
#include "module_test.h"

#include <errno.h>

#include "pread_wrap.h"

static unsigned npread;

static void
pread_seen(int fd, size_t n, off_t off, ssize_t got)
{
	(void)fd;
	(void)n;
	(void)off;
	(void)got;
	npread++;
}

/* A memory file of len pseudo-random bytes, and them in *data. */
static int
random_file(size_t len, uint8_t **data)
{
	int fd;

	*data = malloc(len);
	assert_non_null(*data);
	for (size_t i = 0; i < len; i++)
		(*data)[i] = (uint8_t)(i * 131u + (i >> 9) + (i >> 17));
	fd = mem_fd(*data, len);
	return fd;
}

/*
 * Reads all over a file three windows long: near and across the windows'
 * edges, large ones that bypass them, the last byte; each one is the
 * file's bytes.  Past the end fails.
 */
static void
test_window_reads_are_the_files_bytes(void **state)
{
	const size_t len = 3 * ARTIFACT_WINDOW + 1000;
	static uint8_t got[2 * ARTIFACT_WINDOW];
	struct artifact_win *r = calloc(1, sizeof(*r));
	uint8_t *data;
	uint64_t x = 88172645463325252ull;
	int fd = random_file(len, &data);

	(void)state;
	assert_non_null(r);
	artifact_win_init(r, fd);
	for (int i = 0; i < 20000; i++) {
		uint64_t off;
		size_t n;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		off = x % len;
		n = i % 50 == 0 ? (size_t)(x >> 40) % sizeof(got)
				: (size_t)(x >> 40) % 600;
		if (n > len - off)
			n = (size_t)(len - off);
		memset(got, 0, n);
		assert_int_equal(artifact_win_read(r, off, got, n), 0);
		assert_memory_equal(got, data + off, n);
	}
	assert_int_equal(artifact_win_read(r, len - 1, got, 1), 0);
	assert_int_equal(got[0], data[len - 1]);
	assert_int_equal(artifact_win_read(r, len - 10, got, 11), -1);
	assert_int_equal(artifact_win_read(r, len + 5, got, 1), -1);
	assert_int_equal(artifact_win_read(r, 0, got, ARTIFACT_WINDOW + 7), 0);
	assert_memory_equal(got, data, ARTIFACT_WINDOW + 7);
	close(fd);
	free(data);
	free(r);
}

/*
 * An ELF-like walk: 60 section headers at the end of the file, each
 * followed by a read of its name in a string table before them: two
 * windows, two reads of the file (one each read would be 120).
 */
static void
test_a_table_walk_takes_a_few_reads(void **state)
{
	const size_t len = 70000, tab = len - 60 * 64, str = tab - 2000;
	struct artifact_win *r = calloc(1, sizeof(*r));
	uint8_t *data, b[64];
	int fd = random_file(len, &data);

	(void)state;
	assert_non_null(r);
	artifact_win_init(r, fd);
	npread = 0;
	for (size_t i = 0; i < 60; i++) {
		assert_int_equal(artifact_win_read(r, tab + i * 64, b, 64), 0);
		assert_memory_equal(b, data + tab + i * 64, 64);
		assert_int_equal(artifact_win_read(r, str + i * 30, b, 9), 0);
		assert_memory_equal(b, data + str + i * 30, 9);
	}
	assert_true(npread <= 2);
	close(fd);
	free(data);
	free(r);
}

/* A whole module check reads the file once or twice, not per field. */
static void
test_elf_check_reads_through_windows(void **state)
{
	struct artifact_err e;
	struct elf_module m;
	struct telf t;
	int fd;

	(void)state;
	telf_build(&t, 1, 0);
	fd = mem_fd(t.b, t.len);
	npread = 0;
	assert_int_equal(elf_check_module(fd, t.len, &m, &e), 0);
	assert_true(npread <= 2);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_reads_are_the_files_bytes),
		cmocka_unit_test(test_a_table_walk_takes_a_few_reads),
		cmocka_unit_test(test_elf_check_reads_through_windows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
