/*
 * test_artifact_hash.c: the session child's streaming hash of an artifact
 * (sandbox/artifact.c) covers every byte of a regular file, whatever its
 * size against the read chunk (the loop stops at a short read once it has
 * the size fstat gave, without reading again at the end), and of a pipe;
 * the chunked read of a range (artifact_chunks(), under the PE and module
 * copies and checks) hands over every byte once, in order, with its
 * offset, stops where its callback says, and fails on a range the file
 * does not have.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "proto/names.h"
#include "sandbox/artifact.h"

#define CHUNK (256u << 10) /* SCRATCH_SIZE in sandbox/artifact.c */

/* A temporary regular file holding len pseudo-random bytes, and them. */
static int
file_of(size_t len, uint8_t **data)
{
	char path[] = "/tmp/csign-test-hash.XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	*data = malloc(len ? len : 1);
	assert_non_null(*data);
	for (size_t i = 0; i < len; i++)
		(*data)[i] = (uint8_t)(i * 131u + (i >> 9));
	assert_int_equal(write(fd, *data, len), (ssize_t)len);
	return fd;
}

/*
 * artifact_hash over fd (a regular file: its size; a pipe: -1) agrees
 * with SHA-256 of data[0..len).
 */
static void
check_hash(int fd, int64_t file_size, const uint8_t *data, size_t len)
{
	uint8_t got[DIGEST_MAX], want[EVP_MAX_MD_SIZE];
	unsigned int wantlen = 0;
	size_t gotlen = 0;
	uint64_t size = 0;
	struct artifact_err e;

	assert_int_equal(artifact_hash(fd, file_size, DIG_SHA256, UINT64_MAX,
			     got, &gotlen, &size, &e),
	    0);
	assert_int_equal(EVP_Digest(data, len, want, &wantlen, EVP_sha256(),
			     NULL),
	    1);
	assert_int_equal(size, len);
	assert_int_equal(gotlen, wantlen);
	assert_memory_equal(got, want, wantlen);
}

static void
test_regular_files_around_the_chunk_size_are_hashed_whole(void **state)
{
	static const size_t sizes[] = { 0, 1, 4096, CHUNK - 1, CHUNK, CHUNK + 1,
		2 * CHUNK, 2 * CHUNK + 17 };

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t *data;
		int fd = file_of(sizes[i], &data);

		check_hash(fd, (int64_t)sizes[i], data, sizes[i]);
		close(fd);
		free(data);
	}
}

static void
test_a_pipe_is_hashed_to_its_end(void **state)
{
	uint8_t data[10000];
	int p[2];

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7u);
	assert_int_equal(pipe(p), 0);
	/* Two writes: the reader sees short reads before the end. */
	assert_int_equal(write(p[1], data, 3000), 3000);
	assert_int_equal(write(p[1], data + 3000, sizeof(data) - 3000),
	    (ssize_t)(sizeof(data) - 3000));
	close(p[1]);
	check_hash(p[0], -1, data, sizeof(data));
	close(p[0]);
}

/* What a callback of artifact_chunks() was handed, and when to stop. */
struct seen {
	uint8_t *got;	/* the bytes, at their offset less base */
	uint64_t base;	/* the range's start */
	uint64_t next;	/* the offset the next chunk must have */
	unsigned calls; /* chunks handed over */
	unsigned stop;	/* return 2 on this call (0: never) */
};

static int
record_chunk(void *arg, const uint8_t *p, size_t len, uint64_t off)
{
	struct seen *s = arg;

	assert_int_equal(off, s->next);
	assert_true(len > 0 && len <= CHUNK);
	memcpy(s->got + (off - s->base), p, len);
	s->next = off + len;
	return ++s->calls == s->stop ? 2 : 0;
}

static void
test_a_range_is_handed_over_chunk_by_chunk(void **state)
{
	const size_t size = 3 * CHUNK + 100;
	const uint64_t off = CHUNK - 5, len = 2 * CHUNK + 10;
	uint8_t *data;
	int fd = file_of(size, &data);
	struct seen s = { .base = off, .next = off };

	(void)state;
	s.got = calloc(1, len);
	assert_non_null(s.got);
	assert_int_equal(artifact_chunks(fd, off, len, record_chunk, &s), 0);
	assert_int_equal(s.next, off + len);
	assert_int_equal(s.calls, 3);
	assert_memory_equal(s.got, data + off, len);

	/* The callback's stop comes back, and no chunk after it. */
	s = (struct seen){ .got = s.got, .base = 0, .stop = 2 };
	assert_int_equal(artifact_chunks(fd, 0, size, record_chunk, &s), 2);
	assert_int_equal(s.calls, 2);

	/* A range past the end of the file: a read failure, -1. */
	s = (struct seen){ .got = s.got, .base = size - 10, .next = size - 10 };
	assert_int_equal(artifact_chunks(fd, size - 10, 20, record_chunk, &s),
	    -1);
	assert_int_equal(s.calls, 0);
	free(s.got);
	free(data);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_regular_files_around_the_chunk_size_are_hashed_whole),
		cmocka_unit_test(test_a_pipe_is_hashed_to_its_end),
		cmocka_unit_test(test_a_range_is_handed_over_chunk_by_chunk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
