/*
 * test_module_snapshot.c: a module is checked and signed from one reading
 * of its bytes (sandbox/formats/module.c keeps them): a module rewritten
 * right after it was read is never signed, whether its ELF checks would
 * have passed on the new bytes or not.  The preads of the builder are
 * wrapped (and fortify's form): after the first that reads the module
 * from its start (more than the compression probe's few bytes), the test
 * breaks the module's ELF magic in the file, as another writer could.
 * Reading the file again for the checks, then for the hash, would sign
 * the broken bytes: they agree with each other.
 */
#include "module_test.h"

#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "proto/frame.h"
#include "proto/sigcheck.h"
#include "sandbox/formats/formats.h"

ssize_t __real_pread(int fd, void *buf, size_t n, off_t off);
ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t off);
ssize_t __real___pread_chk(int fd, void *buf, size_t n, off_t off,
    size_t buflen);
ssize_t __wrap___pread_chk(int fd, void *buf, size_t n, off_t off,
    size_t buflen);

static EVP_PKEY *test_key;
static X509 *test_cert;
static int watch_fd = -1; /* the module to break once it was read */

/* After the first read of fd's start: break the ELF magic ("\177ELF"). */
static void
after_read(int fd, size_t n, off_t off, ssize_t got)
{
	const uint8_t x = 'X';

	if (fd != watch_fd || off != 0 || n <= 8 || got <= 8)
		return;
	watch_fd = -1;
	assert_int_equal(pwrite(fd, &x, 1, 1), 1);
}

ssize_t
__wrap_pread(int fd, void *buf, size_t n, off_t off)
{
	ssize_t got = __real_pread(fd, buf, n, off);

	after_read(fd, n, off, got);
	return got;
}

ssize_t
__wrap___pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen)
{
	ssize_t got = __real___pread_chk(fd, buf, n, off, buflen);

	after_read(fd, n, off, got);
	return got;
}

/* The test's stand-in for sandbox/signop.c: the key made here signs. */
int
signop_sign(const struct sign_input *in, struct sign_output *out,
    const uint8_t *tbs, size_t tbslen, uint8_t *sig, size_t *siglen)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(test_key, NULL);
	int ok;

	ok = c != NULL && EVP_PKEY_sign_init(c) == 1 &&
	    sig_ctx_setup(c, test_key, in->digest, in->padding) == 0 &&
	    EVP_PKEY_sign(c, sig, siglen, tbs, tbslen) == 1;
	EVP_PKEY_CTX_free(c);
	return ok ? 0 : sign_fail(out, ST_INTERNAL, "test signer failed");
}

static int
setup(void **state)
{
	(void)state;
	if ((test_key = EVP_RSA_gen(2048)) == NULL ||
	    (test_cert = test_self_signed(test_key, "snapshot", 0x1003)) ==
		NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	X509_free(test_cert);
	EVP_PKEY_free(test_key);
	return 0;
}

static off_t
file_size(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return st.st_size;
}

/*
 * Sign the generated module (in place, or to a fresh file), breaking it
 * after its first reading if breaking: the status, the message in msg.
 */
static int
sign_module(int inplace, int breaking, char *msg, size_t msglen)
{
	struct sign_input in = { .format = FMT_MODULE,
		.digest = DIG_SHA256,
		.padding = PAD_PKCS1,
		.key = "snapshot",
		.name = "snapshot.ko",
		.fd_is_file = 1,
		.max_size = 1u << 20 };
	struct sign_output out;
	struct telf t;
	off_t len;
	int r;

	telf_build(&t, 1, 0);
	in.fd = mem_fd(t.b, t.len);
	len = file_size(in.fd);
	in.size = (uint64_t)len;
	in.outfd = inplace ? in.fd : memfd_create("snapshot-out", 0);
	in.flags = inplace ? SIGN_F_INPLACE : 0;
	in.cert = test_cert;
	in.pub = X509_get0_pubkey(test_cert);
	assert_true(in.fd != -1 && in.outfd != -1);
	memset(&out, 0, sizeof(out));
	buf_init(&out.data, 65536);
	watch_fd = breaking ? in.fd : -1;
	r = format_two_step_sign(&in, &out);
	assert_int_equal(watch_fd, -1); /* the module was read */
	assert_int_equal(r == 0, out.status == ST_OK);
	snprintf(msg, msglen, "%s", out.message);
	/* Refused in place: nothing was appended to the module. */
	if (inplace && out.status != ST_OK)
		assert_int_equal(file_size(in.fd), len);
	buf_free(&out.data);
	if (!inplace)
		close(in.outfd);
	close(in.fd);
	return out.status;
}

static void
test_rewritten_after_reading_is_not_signed(void **state)
{
	char msg[MESSAGE_MAX + 1];

	(void)state;
	for (int inplace = 0; inplace <= 1; inplace++) {
		/* Left alone, it signs. */
		assert_int_equal(sign_module(inplace, 0, msg, sizeof(msg)),
		    ST_OK);
		assert_int_equal(sign_module(inplace, 1, msg, sizeof(msg)),
		    ST_BAD_ARTIFACT);
		assert_non_null(strstr(msg, "changed while"));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rewritten_after_reading_is_not_signed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
