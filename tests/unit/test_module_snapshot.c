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
#include "module_sign_test.h"

#include "pread_wrap.h"

static int watch_fd = -1; /* the module to break once it was read */

/* After the first read of fd's start: break the ELF magic ("\177ELF"). */
static void
pread_seen(int fd, size_t n, off_t off, ssize_t got)
{
	const uint8_t x = 'X';

	if (fd != watch_fd || off != 0 || n <= 8 || got <= 8)
		return;
	watch_fd = -1;
	assert_int_equal(pwrite(fd, &x, 1, 1), 1);
}

/* The test's stand-in for sandbox/signop.c. */
int
signop_sign(const struct sign_input *in, struct sign_output *out,
    const uint8_t *tbs, size_t tbslen, uint8_t *sig, size_t *siglen)
{
	return test_signer_sign(in, out, tbs, tbslen, sig, siglen);
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

	return cmocka_run_group_tests(tests, test_signer_setup,
	    test_signer_teardown);
}
