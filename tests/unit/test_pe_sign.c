/*
 * test_pe_sign.c: the pe format itself (sandbox/formats/), with a key file
 * standing in for the monitor.
 */
#include "pe_test.h"

/* ---- the pe format with a key file standing in for the monitor ---- */

static EVP_PKEY *test_key;

/*
 * Run while the "monitor" signs, between the hash and the write: another
 * process rewriting the input at the worst moment.
 */
static void (*while_signing)(const struct sign_input *in);

/*
 * The test's stand-in for sandbox/signop.c, which is then not linked: a
 * key file signs instead of the monitor.
 */
int
signop_sign(const struct sign_input *in, struct sign_output *out,
    const uint8_t *tbs, size_t tbslen, uint8_t *sig, size_t *siglen)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(test_key, NULL);
	int ok;

	if (while_signing != NULL)
		while_signing(in);
	ok = c != NULL && EVP_PKEY_sign_init(c) == 1 &&
	    sig_ctx_setup(c, test_key, in->digest, in->padding) == 0 &&
	    EVP_PKEY_sign(c, sig, siglen, tbs, tbslen) == 1;
	EVP_PKEY_CTX_free(c);
	return ok ? 0 : sign_fail(out, ST_INTERNAL, "test signer failed");
}

/* Load the fixture key and certificate. */
static X509 *
load_signer(void)
{
	char path[128];
	X509 *cert;
	FILE *f;

	snprintf(path, sizeof(path), "%s/k.key", dir);
	assert_non_null(f = fopen(path, "r"));
	test_key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	snprintf(path, sizeof(path), "%s/k.crt", dir);
	assert_non_null(f = fopen(path, "r"));
	cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(test_key);
	assert_non_null(cert);
	return cert;
}

/* Sign fixture src into fixture dst with flags; the status. */
static int
sign_fixture(const char *src, const char *dst, unsigned flags, X509 *cert,
    struct sign_output *out)
{
	char path[128];
	struct sign_input in = { .format = FMT_PE,
		.digest = DIG_SHA256,
		.key = "test",
		.name = src,
		.flags = flags,
		.cert = cert,
		.pub = X509_get0_pubkey(cert),
		.fd_is_file = 1 };
	int r;

	in.fd = open_fixture(src, &in.size);
	snprintf(path, sizeof(path), "%s/%s", dir, dst);
	in.outfd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(in.outfd != -1);
	memset(out, 0, sizeof(*out));
	buf_init(&out->data, 1024);
	r = format_two_step_sign(&in, out);
	buf_free(&out->data);
	close(in.fd);
	close(in.outfd);
	return r == 0 ? ST_OK : out->status;
}

/* Parse a signed fixture and check its checksum and digest. */
static void
check_signed(const char *name, const uint8_t *md, unsigned entries)
{
	uint8_t md2[DIGEST_MAX];
	size_t mdlen;
	struct pe_image img;
	struct pe_err e;
	uint64_t size;
	int fd;

	check_stored_checksum(name);
	our_digest(name, DIG_SHA256, md2, &mdlen);
	assert_memory_equal(md, md2, mdlen);
	fd = open_fixture(name, &size);
	assert_int_equal(pe_parse(fd, size, &img, &e), 0);
	close(fd);
	assert_int_equal(img.cert_entries, entries);
	assert_int_equal(img.cert_off % 8, 0);
	assert_int_equal(size % 8, 0);
}

static void
test_format_pe_signs_replaces_and_appends(void **state)
{
	struct sign_output out;
	uint8_t md[DIGEST_MAX];
	size_t mdlen;
	X509 *cert;

	(void)state;
	NEED_IMAGES();
	cert = load_signer();
	our_digest("tail.efi", DIG_SHA256, md, &mdlen);
	assert_int_equal(sign_fixture("tail.efi", "t1.efi", 0, cert, &out),
	    ST_OK);
	assert_memory_equal(out.adigest, md, mdlen);
	check_signed("t1.efi", md, 1);
	/* Already signed: refused without a flag. */
	assert_int_equal(sign_fixture("t1.efi", "t2.efi", 0, cert, &out),
	    ST_BAD_ARTIFACT);
	assert_non_null(strstr(out.message, "already signed"));
	assert_int_equal(sign_fixture("t1.efi", "t2.efi", SIGN_F_REPLACE, cert,
			     &out),
	    ST_OK);
	check_signed("t2.efi", md, 1);
	assert_int_equal(sign_fixture("t1.efi", "t3.efi", SIGN_F_APPEND, cert,
			     &out),
	    ST_OK);
	check_signed("t3.efi", md, 2);
	assert_int_equal(sign_fixture("t3.efi", "t4.efi", SIGN_F_APPEND, cert,
			     &out),
	    ST_OK);
	check_signed("t4.efi", md, 3);
	/* A malformed image (cut inside its headers): refused. */
	close(write_fixture("cut.efi", (const uint8_t *)"MZ", 2));
	assert_int_equal(sign_fixture("cut.efi", "t5.efi", 0, cert, &out),
	    ST_BAD_ARTIFACT);
	assert_non_null(strstr(out.message, "e_lfanew"));
	X509_free(cert);
	EVP_PKEY_free(test_key);
}

/* The path of the fixture the racing writer changes. */
static char race_path[128];

/* Flip one byte in the middle of the file, as another writer would. */
static void
flip_middle(const struct sign_input *in)
{
	uint8_t x;
	int fd = open(race_path, O_RDWR);

	assert_true(fd != -1);
	assert_int_equal(artifact_pread(fd, in->size / 2, &x, 1), 0);
	x ^= 0x01;
	assert_int_equal(pwrite(fd, &x, 1, (off_t)(in->size / 2)), 1);
	close(fd);
}

/*
 * Swap two different 16-bit words in the middle of the file: the image
 * changes but its PE checksum (a sum of 16-bit words) does not, so only
 * the second hash can tell.
 */
static void
swap_words(const struct sign_input *in)
{
	uint8_t w[4], x[4];
	off_t at = (off_t)(in->size / 2) & ~(off_t)1;
	int fd = open(race_path, O_RDWR);

	assert_true(fd != -1);
	/* Find two adjacent words that differ, so the swap changes bytes. */
	for (;; at += 2) {
		assert_int_equal(artifact_pread(fd, (uint64_t)at, w, 4), 0);
		if (w[0] != w[2] || w[1] != w[3])
			break;
	}
	x[0] = w[2];
	x[1] = w[3];
	x[2] = w[0];
	x[3] = w[1];
	assert_int_equal(pwrite(fd, x, 4, at), 4);
	close(fd);
}

/* Cut the file short, as another writer would. */
static void
truncate_half(const struct sign_input *in)
{
	assert_int_equal(truncate(race_path, (off_t)(in->size / 2)), 0);
}

/* Copy fixture src to name, sign it while hook rewrites it; the status. */
static int
sign_racing(const char *src, const char *name, unsigned flags,
    void (*hook)(const struct sign_input *), X509 *cert,
    struct sign_output *out)
{
	size_t len;
	uint8_t *p = slurp(src, &len);
	int r;

	close(write_fixture(name, p, len));
	free(p);
	snprintf(race_path, sizeof(race_path), "%s/%s", dir, name);
	while_signing = hook;
	r = sign_fixture(name, "race.out", flags, cert, out);
	while_signing = NULL;
	return r;
}

/*
 * The input changes between the hash and the write (another process of
 * the user rewrites it): what would be written is not what was signed, so
 * the request fails as a bad artifact (exit 5) and the client keeps no
 * output.  Without the second hash the flipped image would come out with
 * a signature that no verifier accepts.
 */
static void
test_format_pe_refuses_an_input_changed_while_signed(void **state)
{
	struct sign_output out;
	X509 *cert;

	(void)state;
	NEED_IMAGES();
	cert = load_signer();
	assert_int_equal(sign_racing("sdboot.efi", "race.efi", 0, NULL, cert,
			     &out),
	    ST_OK);
	assert_int_equal(sign_racing("sdboot.efi", "race.efi", 0, flip_middle,
			     cert, &out),
	    ST_BAD_ARTIFACT);
	assert_non_null(strstr(out.message,
	    "changed while it was being "
	    "signed"));
	assert_int_equal(sign_racing("sdboot.efi", "race.efi", 0, swap_words,
			     cert, &out),
	    ST_BAD_ARTIFACT);
	assert_non_null(strstr(out.message,
	    "changed while it was being "
	    "signed"));
	assert_int_equal(sign_racing("hello.exe", "race.exe", 0, truncate_half,
			     cert, &out),
	    ST_BAD_ARTIFACT);
	assert_non_null(strstr(out.message,
	    "changed while it was being "
	    "signed"));
	assert_int_equal(sign_racing("hello.exe.sb", "race.sb", SIGN_F_APPEND,
			     flip_middle, cert, &out),
	    ST_BAD_ARTIFACT);
	X509_free(cert);
	EVP_PKEY_free(test_key);
}

static void
test_format_pe_refuses_pss_and_pipes(void **state)
{
	struct sign_output out = { 0 };
	struct sign_input in = { .format = FMT_PE,
		.digest = DIG_SHA256,
		.padding = PAD_PSS,
		.fd_is_file = 1,
		.fd = -1,
		.outfd = 1 };

	(void)state;
	assert_int_equal(format_two_step_sign(&in, &out), -1);
	assert_int_equal(out.status, ST_BAD_REQUEST);
	assert_non_null(strstr(out.message, "RSA-PSS"));
	in.padding = PAD_PKCS1;
	in.fd_is_file = 0;
	assert_int_equal(format_two_step_sign(&in, &out), -1);
	assert_int_equal(out.status, ST_BAD_ARTIFACT);
	assert_string_equal(out.message, "pe format needs a regular file");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_pe_signs_replaces_and_appends),
		cmocka_unit_test(test_format_pe_refuses_pss_and_pipes),
		cmocka_unit_test(
		    test_format_pe_refuses_an_input_changed_while_signed),
	};

	return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
