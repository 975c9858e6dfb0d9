/*
 * test_module_inplace.c: a module signed in place (SIGN_F_INPLACE,
 * sandbox/formats/module.c): the signature is appended to the module
 * itself, the same bytes a copy would get, and only if the module is
 * still what was signed.  A key made here stands in for the monitor, and
 * can change the module while it "signs".
 */
#include "module_sign_test.h"

/* What the stand-in does to the module while it signs. */
static enum {
	KEEP,
	FLIP,
	GROW
} meddle;
static int meddle_fd = -1;

/* The test's stand-in for sandbox/signop.c: the key made here signs. */
int
signop_sign(const struct sign_input *in, struct sign_output *out,
    const uint8_t *tbs, size_t tbslen, uint8_t *sig, size_t *siglen)
{
	struct stat st;
	uint8_t x;

	if (meddle == FLIP) {
		assert_int_equal(pread(meddle_fd, &x, 1, 10), 1);
		x ^= 0x01;
		assert_int_equal(pwrite(meddle_fd, &x, 1, 10), 1);
	} else if (meddle == GROW) {
		assert_int_equal(fstat(meddle_fd, &st), 0);
		x = 0;
		assert_int_equal(pwrite(meddle_fd, &x, 1, st.st_size), 1);
	}
	return test_signer_sign(in, out, tbs, tbslen, sig, siglen);
}

/* A file holding the generated module, padded with zeros to pad bytes. */
static int
module_file(size_t pad)
{
	struct telf t;
	int fd;

	telf_build(&t, 1, 0);
	fd = mem_fd(t.b, t.len);
	if (pad > t.len)
		assert_int_equal(ftruncate(fd, (off_t)pad), 0);
	return fd;
}

/*
 * Run the module's builder (format_two_step_sign) on fd (output outfd,
 * flags): the status.
 */
static int
sign_with(int fd, int outfd, uint32_t flags, struct sign_output *out)
{
	struct sign_input in = { .format = FMT_MODULE,
		.digest = DIG_SHA256,
		.padding = PAD_PKCS1,
		.key = "inplace",
		.name = "inplace.ko",
		.fd_is_file = 1,
		.max_size = 128u << 20,
		.flags = flags };
	int r;

	in.fd = fd;
	in.size = (uint64_t)file_size(fd);
	in.outfd = outfd;
	in.cert = test_cert;
	in.pub = X509_get0_pubkey(test_cert);
	memset(out, 0, sizeof(*out));
	buf_init(&out->data, 65536);
	meddle_fd = fd;
	r = format_two_step_sign(&in, out);
	meddle = KEEP;
	assert_int_equal(r == 0, out->status == ST_OK);
	buf_free(&out->data);
	return out->status;
}

/* The whole content of fd. */
static uint8_t *
slurp(int fd, size_t *len)
{
	uint8_t *p;

	*len = (size_t)file_size(fd);
	assert_non_null(p = malloc(*len + 1));
	assert_int_equal(pread(fd, p, *len, 0), (ssize_t)*len);
	return p;
}

/*
 * In place, the module ends up as the copy would be: the module, its
 * PKCS#7 (RSA PKCS#1 v1.5 signs deterministically) and the trailer.
 */
static void
test_inplace_appends_what_a_copy_gets(void **state)
{
	struct sign_output out;
	int fd = module_file(0), src = module_file(0), copy;
	size_t n0, n1, n2;
	uint8_t *before, *after, *copied;

	(void)state;
	before = slurp(fd, &n0);
	assert_int_equal(sign_with(fd, fd, SIGN_F_INPLACE, &out), ST_OK);
	after = slurp(fd, &n1);
	assert_true(n1 > n0 + MODSIG_TRAILER_LEN);
	assert_int_equal(out.written, n1);
	assert_memory_equal(after, before, n0);
	assert_memory_equal(after + n1 - MODSIG_MAGIC_LEN, MODSIG_MAGIC,
	    MODSIG_MAGIC_LEN);
	copy = memfd_create("copy", 0);
	assert_int_equal(sign_with(src, copy, 0, &out), ST_OK);
	copied = slurp(copy, &n2);
	assert_int_equal(n2, n1);
	assert_memory_equal(copied, after, n1);
	/* Signed once, it is not signed again without --replace. */
	assert_int_equal(sign_with(fd, fd, SIGN_F_INPLACE, &out),
	    ST_BAD_ARTIFACT);
	assert_int_equal(file_size(fd), (off_t)n1);
	free(before);
	free(after);
	free(copied);
	close(fd);
	close(src);
	close(copy);
}

/* Changed while signed: refused, nothing appended (kept and big). */
static void
test_inplace_changed_is_left_alone(void **state)
{
	/*
	 * 0: kept in memory; 2 MiB: kept, and the buffer given back after;
	 * 65 MiB: beyond MODULE_KEEP_MAX, hashed again; 0 again: a buffer
	 * taken anew.
	 */
	static const size_t pads[] = { 0, 2u << 20, 65u << 20, 0 };
	struct sign_output out;
	off_t len;
	int fd;

	(void)state;
	for (size_t i = 0; i < sizeof(pads) / sizeof(pads[0]); i++) {
		fd = module_file(pads[i]);
		len = file_size(fd);
		meddle = FLIP;
		assert_int_equal(sign_with(fd, fd, SIGN_F_INPLACE, &out),
		    ST_BAD_ARTIFACT);
		assert_non_null(strstr(out.message, "changed while"));
		assert_int_equal(file_size(fd), len);
		close(fd);
	}
}

/* Grown while signed: refused, and the signature is not put after it. */
static void
test_inplace_grown_is_left_alone(void **state)
{
	struct sign_output out;
	off_t len;
	int fd = module_file(0);

	(void)state;
	len = file_size(fd);
	meddle = GROW;
	assert_int_equal(sign_with(fd, fd, SIGN_F_INPLACE, &out),
	    ST_BAD_ARTIFACT);
	assert_int_equal(file_size(fd), len + 1);
	close(fd);
}

/*
 * The flag and the descriptors must agree: in place needs the module as
 * its own output; a copy must not be written over its own input; and
 * --replace or a compressed module cannot be signed in place.
 */
static void
test_inplace_requests_that_do_not_fit(void **state)
{
	static const uint8_t xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0, 0, 0 };
	struct sign_output out;
	int fd = module_file(0), other = memfd_create("other", 0), comp;

	(void)state;
	assert_int_equal(sign_with(fd, other, SIGN_F_INPLACE, &out),
	    ST_BAD_REQUEST);
	assert_non_null(strstr(out.message, "module itself"));
	assert_int_equal(sign_with(fd, fd, 0, &out), ST_BAD_REQUEST);
	assert_non_null(strstr(out.message, "is the module itself"));
	assert_int_equal(sign_with(fd, fd, SIGN_F_INPLACE | SIGN_F_REPLACE,
			     &out),
	    ST_BAD_REQUEST);
	comp = mem_fd(xz, sizeof(xz));
	assert_int_equal(sign_with(comp, comp, SIGN_F_INPLACE, &out),
	    ST_BAD_REQUEST);
	assert_non_null(strstr(out.message, "compressed"));
	assert_int_equal(file_size(other), 0);
	close(fd);
	close(other);
	close(comp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inplace_appends_what_a_copy_gets),
		cmocka_unit_test(test_inplace_changed_is_left_alone),
		cmocka_unit_test(test_inplace_grown_is_left_alone),
		cmocka_unit_test(test_inplace_requests_that_do_not_fit),
	};

	return cmocka_run_group_tests(tests, test_signer_setup,
	    test_signer_teardown);
}
