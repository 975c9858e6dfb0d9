/*
 * Helpers shared by the libFuzzer harnesses: parsers that read from a
 * descriptor get the input in a memfd, like an artifact a client passed;
 * and the seed check.
 *
 * Seed check: a harness calls FUZZ_PASSED() once its input got past the
 * first decoder production runs on those bytes (a frame that decoded, a
 * config that loaded, an image that parsed).  Built with -DFUZZ_SEEDCHECK
 * and without libFuzzer (make fuzz-smoke: build-fuzz/seedcheck_NAME), the
 * harness gets a main() that runs it on every file of the directories it
 * is given and fails, naming them, if any did not pass, or if there were
 * none: a seed that stopped decoding after a codec change only costs the
 * fuzzer its depth, silently, so it is an error here.
 */
#ifndef CSIGN_FUZZ_UTIL_H
#define CSIGN_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* Set by FUZZ_PASSED(); read only by the seed check. */
static volatile int fuzz_passed;
#define FUZZ_PASSED() (fuzz_passed = 1)

/* A memfd holding data[0..size); aborts if the system refuses. */
static inline int
fuzz_memfd(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd == -1 || (size > 0 && write(fd, data, size) != (ssize_t)size))
		abort();
	return fd;
}

#ifdef FUZZ_SEEDCHECK
#include <dirent.h>
#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Run the harness on dir/name: 1 if it passed its first decoder. */
static int
fuzz_seed(const char *dir, const char *name, int junk)
{
	char path[4096];
	uint8_t *data;
	long len;
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (data = malloc((size_t)len + 1)) == NULL ||
	    fread(data, 1, (size_t)len, f) != (size_t)len) {
		perror(path);
		exit(2);
	}
	fclose(f);
	fuzz_passed = 0;
	(void)LLVMFuzzerTestOneInput(data, (size_t)len);
	ok = fuzz_passed;
	free(data);
	if (ok == junk)
		fprintf(stderr, "seedcheck: %s %s\n", path,
		    junk ? "is junk but decodes" : "does not decode");
	return ok;
}

/*
 * seedcheck_NAME DIR...: every regular file of each DIR must pass.
 * seedcheck_NAME -x DIR...: none may (junk: proves that the harness's
 * FUZZ_PASSED() is not reached by any input at all).
 */
int
main(int argc, char **argv)
{
	size_t n = 0, bad = 0;
	int junk = argc > 1 && strcmp(argv[1], "-x") == 0;

	for (int i = 1 + junk; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		struct dirent *e;

		if (d == NULL) {
			perror(argv[i]);
			return 2;
		}
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			n++;
			bad += fuzz_seed(argv[i], e->d_name, junk) == junk;
		}
		closedir(d);
	}
	if (n == 0) {
		fprintf(stderr, "seedcheck: no seeds\n");
		return 1;
	}
	if (!junk)
		printf("seedcheck: %zu of %zu seeds decode\n", n - bad, n);
	return bad == 0 ? 0 : 1;
}
#endif

#endif
