/*
 * test_module_race.c: the module builder against an input that changes while
 * it is being signed (sandbox/formats/module.c), with a key made here
 * standing in for the monitor.  What would be written must be what was
 * signed: the module is compared with the bytes signed as it is copied
 * (hashed again if too large to keep), and a difference is a bad
 * artifact, never a signed output.
 */
#include "module_sign_test.h"

static int flip_fd = -1; /* the input to change while signing */

/*
 * The test's stand-in for sandbox/signop.c (not linked into this test):
 * the key made here signs, after another writer changed the input.
 */
int
signop_sign(const struct sign_input *in, struct sign_output *out,
    const uint8_t *tbs, size_t tbslen, uint8_t *sig, size_t *siglen)
{
	uint8_t x;

	if (flip_fd != -1) {
		assert_int_equal(pread(flip_fd, &x, 1, 10), 1);
		x ^= 0x01;
		assert_int_equal(pwrite(flip_fd, &x, 1, 10), 1);
	}
	return test_signer_sign(in, out, tbs, tbslen, sig, siglen);
}

/* Sign the generated module, changing it meanwhile if flip: the status. */
static int
sign_module(int flip, struct sign_output *out)
{
	struct telf t;
	struct sign_input in = { .format = FMT_MODULE,
		.digest = DIG_SHA256,
		.padding = PAD_PKCS1,
		.key = "race",
		.name = "race.ko",
		.fd_is_file = 1,
		.max_size = 1u << 20 };
	int r;

	telf_build(&t, 1, 0);
	in.fd = mem_fd(t.b, t.len);
	in.size = t.len;
	in.outfd = memfd_create("race-out", 0);
	in.cert = test_cert;
	in.pub = X509_get0_pubkey(test_cert);
	assert_true(in.fd != -1 && in.outfd != -1);
	memset(out, 0, sizeof(*out));
	buf_init(&out->data, 65536);
	flip_fd = flip ? in.fd : -1;
	r = format_two_step_sign(&in, out);
	flip_fd = -1;
	assert_int_equal(r == 0, out->status == ST_OK);
	buf_free(&out->data);
	close(in.fd);
	close(in.outfd);
	return out->status;
}

static void
test_a_module_changed_while_signed_is_refused(void **state)
{
	struct sign_output out;

	(void)state;
	assert_int_equal(sign_module(0, &out), ST_OK);
	assert_int_equal(sign_module(1, &out), ST_BAD_ARTIFACT);
	assert_non_null(strstr(out.message, "changed while it was being"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_module_changed_while_signed_is_refused),
	};

	return cmocka_run_group_tests(tests, test_signer_setup,
	    test_signer_teardown);
}
