/*
 * pe_test.h: what the PE unit tests share (test_pe.c, test_pe_malformed.c,
 * test_pe_sign.c): the suite's scratch directory with real images built
 * once per suite, and the readers of those fixtures.
 *
 * The images are PE32+ and PE32 executables and a DLL made with mingw-w64,
 * systemd-boot's UEFI binary, and systemd-boot with bytes appended after
 * its last section, with copies sbsign (SHA-256) and osslsigncode
 * (SHA-384, SHA-512) signed.  The tools (mingw-w64, sbsigntool,
 * osslsigncode, systemd-boot-efi) come from `make deps`; without them the
 * tests that need them fail.
 */
#ifndef CSIGN_PE_TEST_H
#define CSIGN_PE_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "proto/sigcheck.h"
#include "proto/frame.h"
#include "proto/names.h"
#include "sandbox/artifact.h"
#include "sandbox/formats/authenticode.h"
#include "sandbox/formats/formats.h"
#include "sandbox/formats/pe_parse.h"

static __attribute__((unused)) char dir[64]; /* the suite's fixture directory */
static __attribute__((unused)) int have_images; /* the fixture build worked */

/*
 * Build the images and the independently signed copies:
 * NAME.sb (sbsign, SHA-256), NAME.o384 and NAME.o512 (osslsigncode).
 */
static __attribute__((unused)) const char fixture_script[] =
    "set -e\n"
    "printf '#include <stdio.h>\\nint main(void) { puts(\"hi\"); "
    "return 0; }\\n' > hello.c\n"
    "printf '__declspec(dllexport) int add(int a, int b) "
    "{ return a + b; }\\n' > lib.c\n"
    "x86_64-w64-mingw32-gcc -O2 -o hello.exe hello.c\n"
    "i686-w64-mingw32-gcc -O2 -o hello32.exe hello.c\n"
    "x86_64-w64-mingw32-gcc -shared -o lib.dll lib.c\n"
    "cp /usr/lib/systemd/boot/efi/systemd-bootx64.efi sdboot.efi\n"
    "{ cat sdboot.efi; printf 'data after the last section'; } > tail.efi\n"
    "openssl req -x509 -newkey rsa:2048 -nodes -keyout k.key -out k.crt "
    "-subj /CN=test-pe -days 2 2>/dev/null\n"
    "for f in hello.exe hello32.exe lib.dll sdboot.efi tail.efi; do\n"
    "  sbsign --key k.key --cert k.crt --output $f.sb $f 2>/dev/null\n"
    "  for h in sha384 sha512; do\n"
    "    osslsigncode sign -certs k.crt -key k.key -h $h -in $f "
    "-out $f.o${h#sha} >/dev/null\n"
    "  done\n"
    "done\n";

/* Run a shell script in the fixture directory; 0 if it succeeded. */
static inline int
run_in_dir(const char *script)
{
	char path[128], cmd[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/script.sh", dir);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fputs(script, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cd %s && sh script.sh >/dev/null 2>&1",
	    dir);
	return system(cmd) == 0 ? 0 : -1;
}

static inline int
suite_setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/csign-test-pe.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	have_images = run_in_dir(fixture_script) == 0;
	if (!have_images)
		fprintf(stderr,
		    "test_pe: mingw-w64, sbsigntool, osslsigncode "
		    "or systemd-boot-efi missing (make deps): image tests "
		    "fail\n");
	return 0;
}

static inline int
suite_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Open a fixture file; its size into *size. */
static inline int
open_fixture(const char *name, uint64_t *size)
{
	char path[128];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	assert_true(fd != -1);
	assert_int_equal(fstat(fd, &st), 0);
	*size = (uint64_t)st.st_size;
	return fd;
}

/* A whole fixture file in memory (free()). */
static inline uint8_t *
slurp(const char *name, size_t *len)
{
	uint64_t size;
	int fd = open_fixture(name, &size);
	uint8_t *p = malloc(size);

	assert_non_null(p);
	assert_int_equal(artifact_pread(fd, 0, p, size), 0);
	close(fd);
	*len = size;
	return p;
}

/* Write bytes to a new fixture file and open it for reading. */
static inline int
write_fixture(const char *name, const uint8_t *p, size_t len)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd != -1);
	assert_int_equal(output_write(fd, p, len), 0);
	return fd;
}

/* Our digest of a fixture image. */
static inline void
our_digest(const char *name, int digest, uint8_t *md, size_t *mdlen)
{
	struct pe_image img;
	struct pe_err e;
	uint64_t size;
	int fd = open_fixture(name, &size);

	if (pe_parse(fd, size, &img, &e) == -1)
		fail_msg("%s: %s", name, e.msg);
	assert_int_equal(pe_digest(fd, &img, digest, md, mdlen, NULL, &e), 0);
	assert_int_equal(*mdlen, digest_len(digest));
	close(fd);
}

#define NEED_IMAGES() \
	do { \
		if (!have_images) \
			fail_msg("test images could not be built"); \
	} while (0)

/* The checksum stored in a fixture equals the one we compute. */
static inline void
check_stored_checksum(const char *name)
{
	struct pe_image img;
	struct pe_err e;
	uint64_t size;
	uint32_t stored, ours;
	uint8_t b[4];
	int fd = open_fixture(name, &size);

	assert_int_equal(pe_parse(fd, size, &img, &e), 0);
	assert_int_equal(artifact_pread(fd, img.checksum_off, b, 4), 0);
	stored = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[3] << 24;
	assert_int_equal(pe_checksum_fd(fd, size, img.checksum_off, &ours), 0);
	close(fd);
	if (stored != ours)
		fail_msg("%s: stored checksum 0x%x, computed 0x%x", name,
		    stored, ours);
}

#endif
