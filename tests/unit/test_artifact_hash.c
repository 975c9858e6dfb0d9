/*
 * test_artifact_hash.c: the session child's streaming hash of an artifact
 * (sandbox/artifact.c) covers every byte of a regular file, whatever its
 * size against the read chunk (the loop stops at a short read once it has
 * the size fstat gave, without reading again at the end), and of a pipe.
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

#define CHUNK (256u << 10) /* HASH_CHUNK in sandbox/artifact.c */

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

/* artifact_hash over fd agrees with SHA-256 of data[0..len). */
static void
check_hash(int fd, const uint8_t *data, size_t len)
{
	uint8_t got[DIGEST_MAX], want[EVP_MAX_MD_SIZE];
	unsigned int wantlen = 0;
	size_t gotlen = 0;
	uint64_t size = 0;
	struct artifact_err e;

	assert_int_equal(artifact_hash(fd, DIG_SHA256, UINT64_MAX, got, &gotlen,
			     &size, &e),
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

		check_hash(fd, data, sizes[i]);
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
	check_hash(p[0], data, sizeof(data));
	close(p[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_regular_files_around_the_chunk_size_are_hashed_whole),
		cmocka_unit_test(test_a_pipe_is_hashed_to_its_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
