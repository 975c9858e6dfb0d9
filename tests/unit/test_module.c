/*
 * test_module.c: the kernel-module checks and trailer (sandbox/formats/
 * elf.c) and the PKCS#7 that module.c builds, on ELF files generated here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "proto/names.h"
#include "sandbox/formats/elf.h"

/*
 * A generated relocatable object: ELF header, .modinfo, .shstrtab and
 * three section headers (null, .modinfo, .shstrtab), in either class and
 * byte order, with room for the tests to corrupt any field.
 */
struct telf {
	uint8_t b[4096];
	size_t len;
	int class64;
	int msb;
	size_t shoff;
	size_t shentsize;
};

static const char modinfo_text[] = "license=GPL\0name=hello";
static const char strtab_text[] = "\0.modinfo\0.shstrtab";

/* Offsets of ELF header and section header fields in either class. */
#define EH_OFF(t, f) \
	((t)->class64 ? offsetof(Elf64_Ehdr, f) : offsetof(Elf32_Ehdr, f))
#define EH_LEN(t, f) \
	((t)->class64 ? sizeof(((Elf64_Ehdr *)0)->f) \
		      : sizeof(((Elf32_Ehdr *)0)->f))
#define SH_OFF(t, i, f) \
	((t)->shoff + (size_t)(i) * (t)->shentsize + \
	    ((t)->class64 ? offsetof(Elf64_Shdr, f) \
			  : offsetof(Elf32_Shdr, f)))
#define SH_LEN(t, f) \
	((t)->class64 ? sizeof(((Elf64_Shdr *)0)->f) \
		      : sizeof(((Elf32_Shdr *)0)->f))
#define SET_EH(t, f, v) telf_put(t, EH_OFF(t, f), EH_LEN(t, f), v)
#define SET_SH(t, i, f, v) telf_put(t, SH_OFF(t, i, f), SH_LEN(t, f), v)

/* Store v in width bytes at off, in the object's byte order. */
static void
telf_put(struct telf *t, size_t off, size_t width, uint64_t v)
{
	for (size_t i = 0; i < width; i++) {
		size_t at = t->msb ? off + width - 1 - i : off + i;

		t->b[at] = (uint8_t)(v >> (8 * i));
	}
}

/* Build a good module object of the given class and byte order. */
static void
telf_build(struct telf *t, int class64, int msb)
{
	const size_t eh = class64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	const size_t mi = eh, st = mi + sizeof(modinfo_text);

	memset(t, 0, sizeof(*t));
	t->class64 = class64;
	t->msb = msb;
	t->shentsize = class64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	t->shoff = (st + sizeof(strtab_text) + 7) & ~(size_t)7;
	t->len = t->shoff + 3 * t->shentsize;
	memcpy(t->b, ELFMAG, SELFMAG);
	t->b[EI_CLASS] = class64 ? ELFCLASS64 : ELFCLASS32;
	t->b[EI_DATA] = msb ? ELFDATA2MSB : ELFDATA2LSB;
	t->b[EI_VERSION] = EV_CURRENT;
	SET_EH(t, e_type, ET_REL);
	SET_EH(t, e_machine, class64 ? EM_X86_64 : EM_PPC);
	SET_EH(t, e_version, EV_CURRENT);
	SET_EH(t, e_shoff, t->shoff);
	SET_EH(t, e_ehsize, eh);
	SET_EH(t, e_shentsize, t->shentsize);
	SET_EH(t, e_shnum, 3);
	SET_EH(t, e_shstrndx, 2);
	memcpy(t->b + mi, modinfo_text, sizeof(modinfo_text));
	memcpy(t->b + st, strtab_text, sizeof(strtab_text));
	SET_SH(t, 1, sh_name, 1);
	SET_SH(t, 1, sh_type, SHT_PROGBITS);
	SET_SH(t, 1, sh_flags, SHF_ALLOC);
	SET_SH(t, 1, sh_offset, mi);
	SET_SH(t, 1, sh_size, sizeof(modinfo_text));
	SET_SH(t, 2, sh_name, 10);
	SET_SH(t, 2, sh_type, SHT_STRTAB);
	SET_SH(t, 2, sh_offset, st);
	SET_SH(t, 2, sh_size, sizeof(strtab_text));
}

/* A memory file holding p[0..len). */
static int
mem_fd(const void *p, size_t len)
{
	int fd = memfd_create("test_module", 0);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, len), (ssize_t)len);
	return fd;
}

/* Run elf_check_module on t; on failure its message must contain want. */
static int
check_telf(const struct telf *t, const char *want)
{
	struct artifact_err e = { "" };
	struct elf_module m;
	int fd = mem_fd(t->b, t->len), r;

	r = elf_check_module(fd, t->len, &m, &e);
	close(fd);
	if (want != NULL) {
		assert_int_equal(r, -1);
		if (strstr(e.msg, want) == NULL)
			fail_msg("message \"%s\" lacks \"%s\"", e.msg, want);
	}
	return r;
}

static void
test_elf64_lsb_module_with_modinfo_passes(void **state)
{
	struct artifact_err e;
	struct elf_module m;
	struct telf t;
	int fd;

	(void)state;
	telf_build(&t, 1, 0);
	fd = mem_fd(t.b, t.len);
	assert_int_equal(elf_check_module(fd, t.len, &m, &e), 0);
	close(fd);
	assert_true(m.class64);
	assert_false(m.msb);
	assert_int_equal(m.machine, EM_X86_64);
	assert_int_equal(m.shnum, 3);
	assert_int_equal(m.modinfo, 1);
	assert_int_equal(m.modinfo_off, sizeof(Elf64_Ehdr));
	assert_int_equal(m.modinfo_size, sizeof(modinfo_text));
}

static void
test_elf32_msb_module_with_modinfo_passes(void **state)
{
	struct artifact_err e;
	struct elf_module m;
	struct telf t;
	int fd;

	(void)state;
	telf_build(&t, 0, 1);
	fd = mem_fd(t.b, t.len);
	assert_int_equal(elf_check_module(fd, t.len, &m, &e), 0);
	close(fd);
	assert_false(m.class64);
	assert_true(m.msb);
	assert_int_equal(m.machine, EM_PPC);
	assert_int_equal(m.modinfo_off, sizeof(Elf32_Ehdr));
}

static void
test_empty_and_short_files_are_refused(void **state)
{
	struct telf t;

	(void)state;
	telf_build(&t, 1, 0);
	t.len = 0;
	check_telf(&t, "empty (0 bytes)");
	t.len = 10;
	check_telf(&t, "too short for an ELF header (e_ident)");
	t.len = 40;
	check_telf(&t, "too short for an ELF64 header");
}

static void
test_ident_magic_class_and_data_are_checked(void **state)
{
	struct telf t;

	(void)state;
	telf_build(&t, 1, 0);
	memcpy(t.b, "#!/bin", 6);
	check_telf(&t, "not an ELF file");
	memcpy(t.b,
	    "\xfd"
	    "7zXZ",
	    6);
	check_telf(&t, "a xz-compressed file");
	memcpy(t.b, "\x28\xb5\x2f\xfd", 4);
	check_telf(&t, "a zstd-compressed file");
	memcpy(t.b, "\x1f\x8b", 2);
	check_telf(&t, "a gzip-compressed file");
	telf_build(&t, 1, 0);
	t.b[EI_CLASS] = 3;
	check_telf(&t, "EI_CLASS 3");
	telf_build(&t, 1, 0);
	t.b[EI_DATA] = 0;
	check_telf(&t, "EI_DATA 0");
}

static void
test_executables_and_shared_objects_are_not_modules(void **state)
{
	struct telf t;

	(void)state;
	telf_build(&t, 1, 0);
	SET_EH(&t, e_type, ET_EXEC);
	check_telf(&t, "e_type is 2 (ET_EXEC");
	SET_EH(&t, e_type, ET_DYN);
	check_telf(&t, "e_type is 3 (ET_DYN");
}

static void
test_section_header_table_fields_are_bounded(void **state)
{
	struct telf t;

	(void)state;
	telf_build(&t, 1, 0);
	SET_EH(&t, e_shentsize, 40);
	check_telf(&t, "e_shentsize is 40, not 64");
	telf_build(&t, 1, 0);
	SET_EH(&t, e_shnum, 0);
	check_telf(&t, "e_shnum is 0");
	telf_build(&t, 1, 0);
	SET_EH(&t, e_shoff, 0xfffffffffffff000ull);
	check_telf(&t, "e_shoff 18446744073709547520");
	telf_build(&t, 1, 0);
	SET_EH(&t, e_shoff, 8);
	check_telf(&t, "e_shoff 8");
	telf_build(&t, 1, 0);
	SET_EH(&t, e_shnum, 0xffff);
	check_telf(&t, "e_shnum 65535 * e_shentsize 64) runs past the end");
	telf_build(&t, 0, 1);
	SET_EH(&t, e_shoff, t.shoff + 1);
	check_telf(&t, "section header table (e_shoff");
	telf_build(&t, 1, 0);
	SET_EH(&t, e_shstrndx, 3);
	check_telf(&t, "e_shstrndx 3 is not a section");
	SET_EH(&t, e_shstrndx, 0);
	check_telf(&t, "e_shstrndx 0 is not a section");
}

static void
test_section_contents_must_lie_inside_the_file(void **state)
{
	struct telf t;

	(void)state;
	telf_build(&t, 1, 0);
	SET_SH(&t, 1, sh_size, 0x7fffffffffffffffull);
	check_telf(&t, "section 1: sh_offset 64 + sh_size 9223372036854775807");
	telf_build(&t, 1, 0);
	SET_SH(&t, 1, sh_offset, 0xffffffffffffffffull);
	check_telf(&t, "section 1: sh_offset 18446744073709551615");
	telf_build(&t, 0, 0);
	SET_SH(&t, 2, sh_offset, t.len);
	check_telf(&t, "section 2: sh_offset");
	/* SHT_NOBITS sections occupy no file space and may point anywhere. */
	telf_build(&t, 1, 0);
	SET_SH(&t, 0, sh_type, SHT_NOBITS);
	SET_SH(&t, 0, sh_offset, 0xffffffffull);
	SET_SH(&t, 0, sh_size, 0xffffffffull);
	assert_int_equal(check_telf(&t, NULL), 0);
}

static void
test_section_name_table_is_checked(void **state)
{
	struct telf t;

	(void)state;
	telf_build(&t, 1, 0);
	SET_SH(&t, 2, sh_type, SHT_PROGBITS);
	check_telf(&t, "sh_type 1 is not SHT_STRTAB");
	telf_build(&t, 1, 0);
	SET_SH(&t, 2, sh_size, 0);
	check_telf(&t, "sh_size is 0");
	telf_build(&t, 1, 0);
	SET_SH(&t, 2, sh_size, sizeof(strtab_text) - 1);
	check_telf(&t, "does not end with a NUL byte");
	telf_build(&t, 1, 0);
	SET_SH(&t, 1, sh_name, 0x10000);
	check_telf(&t, "section 1: sh_name 65536 is outside");
}

static void
test_modinfo_is_required_and_not_empty(void **state)
{
	struct telf t;

	(void)state;
	telf_build(&t, 1, 0);
	t.b[sizeof(Elf64_Ehdr) + sizeof(modinfo_text) + 8] = 'X';
	check_telf(&t, "no .modinfo section among the 3 sections");
	telf_build(&t, 1, 0);
	SET_SH(&t, 1, sh_size, 0);
	check_telf(&t, "section 1 (.modinfo) is empty");
	telf_build(&t, 1, 0);
	SET_SH(&t, 1, sh_type, SHT_NOBITS);
	check_telf(&t, "(.modinfo) is empty");
	/* A name that is a suffix of another does not count either. */
	telf_build(&t, 1, 0);
	SET_SH(&t, 1, sh_name, 2);
	check_telf(&t, "no .modinfo section");
}

static void
test_length_limits_the_checks_not_the_file_size(void **state)
{
	struct telf t;
	struct artifact_err e;
	struct elf_module m;
	int fd;

	(void)state;
	telf_build(&t, 1, 0);
	fd = mem_fd(t.b, t.len);
	assert_int_equal(elf_check_module(fd, t.len - 1, &m, &e), -1);
	assert_non_null(strstr(e.msg, "section header table"));
	close(fd);
}

/* The trailer sign-file wrote after a 383-byte PKCS#7 (from a real run). */
static const uint8_t trailer_383[MODSIG_TRAILER_LEN] = { 0, 0, 2, 0, 0, 0, 0, 0,
	0, 0, 0x01, 0x7f, '~', 'M', 'o', 'd', 'u', 'l', 'e', ' ', 's', 'i', 'g',
	'n', 'a', 't', 'u', 'r', 'e', ' ', 'a', 'p', 'p', 'e', 'n', 'd', 'e',
	'd', '~', '\n' };

static void
test_trailer_encoding_matches_sign_file(void **state)
{
	uint8_t out[MODSIG_TRAILER_LEN];

	(void)state;
	modsig_encode(383, out);
	assert_memory_equal(out, trailer_383, sizeof(out));
	modsig_encode(0x01020304, out);
	assert_int_equal(out[8], 1);
	assert_int_equal(out[11], 4);
}

static void
test_trailer_parse_finds_the_module_length(void **state)
{
	struct artifact_err e;
	uint64_t body = 0;

	(void)state;
	assert_int_equal(modsig_parse(trailer_383, sizeof(trailer_383), 1000,
			     &body, &e),
	    1);
	assert_int_equal(body, 1000 - 40 - 383);
	/* The smallest file the kernel accepts: one byte of module. */
	assert_int_equal(modsig_parse(trailer_383, sizeof(trailer_383),
			     40 + 383 + 1, &body, &e),
	    1);
	assert_int_equal(body, 1);
}

static void
test_trailer_absent_leaves_the_file_whole(void **state)
{
	static const uint8_t zeros[MODSIG_TRAILER_LEN];
	struct artifact_err e;
	uint64_t body = 0;

	(void)state;
	assert_int_equal(modsig_parse(zeros, sizeof(zeros), 5000, &body, &e),
	    0);
	assert_int_equal(body, 5000);
	assert_int_equal(modsig_parse(zeros, 7, 7, &body, &e), 0);
	assert_int_equal(body, 7);
	assert_int_equal(modsig_parse(zeros, 0, 0, &body, &e), 0);
}

/* modsig_parse on trailer_383 with byte i set to v must fail with want. */
static void
parse_bad(size_t i, uint8_t v, uint64_t len, const char *want)
{
	uint8_t t[MODSIG_TRAILER_LEN];
	struct artifact_err e = { "" };
	uint64_t body;

	memcpy(t, trailer_383, sizeof(t));
	t[i] = v;
	assert_int_equal(modsig_parse(t, sizeof(t), len, &body, &e), -1);
	if (strstr(e.msg, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", e.msg, want);
}

static void
test_trailer_fields_are_checked(void **state)
{
	(void)state;
	parse_bad(2, 1, 1000, "id_type 1 is not PKEY_ID_PKCS7");
	parse_bad(0, 1, 1000, "algo is 1");
	parse_bad(1, 4, 1000, "hash is 4");
	parse_bad(3, 9, 1000, "signer_len is 9");
	parse_bad(4, 20, 1000, "key_id_len is 20");
	parse_bad(7, 1, 1000, "__pad[2] is 1");
}

static void
test_trailer_length_past_the_file_is_refused(void **state)
{
	(void)state;
	/* sig_len 383 needs at least 40 + 383 + 1 bytes. */
	parse_bad(11, 0x7f, 40 + 383, "sig_len 383 exceeds the 383 bytes");
	parse_bad(8, 0xff, 1000, "sig_len 4278190463 exceeds");
	parse_bad(10, 0, 40 + 100, "sig_len 127 exceeds the 100 bytes");
}

static void
test_trailer_with_zero_length_is_refused(void **state)
{
	uint8_t t[MODSIG_TRAILER_LEN];
	struct artifact_err e = { "" };
	uint64_t body;

	(void)state;
	modsig_encode(0, t);
	assert_int_equal(modsig_parse(t, sizeof(t), 1000, &body, &e), -1);
	assert_non_null(strstr(e.msg, "sig_len is 0"));
}

static void
test_magic_in_a_file_too_short_for_the_trailer_is_refused(void **state)
{
	struct artifact_err e = { "" };
	uint64_t body;

	(void)state;
	assert_int_equal(modsig_parse((const uint8_t *)MODSIG_MAGIC,
			     MODSIG_MAGIC_LEN, MODSIG_MAGIC_LEN, &body, &e),
	    -1);
	assert_non_null(strstr(e.msg, "too short for the trailer"));
}

/* A module file: t, then n signatures of siglen bytes each. */
static int
signed_fd(const struct telf *t, int n, size_t siglen)
{
	uint8_t b[8192], tr[MODSIG_TRAILER_LEN];
	size_t len = t->len;

	memcpy(b, t->b, t->len);
	for (int i = 0; i < n; i++) {
		assert_true(len + siglen + sizeof(tr) <= sizeof(b));
		memset(b + len, 0x30, siglen);
		len += siglen;
		modsig_encode((uint32_t)siglen, tr);
		memcpy(b + len, tr, sizeof(tr));
		len += sizeof(tr);
	}
	return mem_fd(b, len);
}

static void
test_find_and_strip_remove_appended_signatures(void **state)
{
	struct artifact_err e;
	struct elf_module m;
	uint64_t body;
	struct telf t;
	int fd, n;

	(void)state;
	telf_build(&t, 1, 0);
	fd = signed_fd(&t, 1, 300);
	assert_int_equal(modsig_find(fd, t.len + 340, &body, &e), 1);
	assert_int_equal(body, t.len);
	assert_int_equal(elf_check_module(fd, body, &m, &e), 0);
	close(fd);

	fd = signed_fd(&t, 2, 200);
	assert_int_equal(modsig_find(fd, t.len + 480, &body, &e), 1);
	assert_int_equal(body, t.len + 240);
	assert_int_equal(modsig_strip(fd, t.len + 480, &body, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(body, t.len);
	close(fd);

	fd = signed_fd(&t, 0, 0);
	assert_int_equal(modsig_strip(fd, t.len, &body, &n, &e), 0);
	assert_int_equal(n, 0);
	assert_int_equal(body, t.len);
	close(fd);
}

static void
test_strip_refuses_too_many_nested_signatures(void **state)
{
	struct artifact_err e;
	uint64_t body;
	struct telf t;
	int fd, n;

	(void)state;
	telf_build(&t, 1, 0);
	fd = signed_fd(&t, MODSIG_NESTED_MAX + 1, 64);
	assert_int_equal(modsig_strip(fd, t.len + (MODSIG_NESTED_MAX + 1) * 104,
			     &body, &n, &e),
	    -1);
	assert_non_null(strstr(e.msg, "nested signatures"));
	close(fd);
}

/* The signing key and certificate of the PKCS#7 tests. */
struct signer {
	EVP_PKEY *key;
	X509 *cert;
};

/* A self-signed certificate like the kernel's signing_key.x509. */
static X509 *
make_cert(EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509_EXTENSION *ext;
	X509V3_CTX ctx;

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1001);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)"unit test signer", -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext =
	    X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_key_identifier, "hash");
	assert_non_null(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	X509_NAME_free(n);
	return x;
}

static int
signer_setup(void **state)
{
	static struct signer s;

	s.key = EVP_RSA_gen(2048);
	if (s.key == NULL)
		return -1;
	s.cert = make_cert(s.key);
	*state = &s;
	return 0;
}

static int
signer_teardown(void **state)
{
	struct signer *s = *state;

	X509_free(s->cert);
	EVP_PKEY_free(s->key);
	return 0;
}

/* The DER that sign-file's own calls produce for data, into der. */
static void
sign_file_der(const struct signer *s, const EVP_MD *md, int keyid,
    const uint8_t *data, size_t len, struct buf *der)
{
	BIO *in = BIO_new_mem_buf(data, (int)len), *out = BIO_new(BIO_s_mem());
	CMS_ContentInfo *cms;
	char *p;
	long n;

	cms = CMS_sign(NULL, NULL, NULL, NULL,
	    CMS_NOCERTS | CMS_PARTIAL | CMS_BINARY | CMS_DETACHED | CMS_STREAM);
	assert_non_null(cms);
	assert_non_null(CMS_add1_signer(cms, s->cert, s->key, md,
	    CMS_NOCERTS | CMS_BINARY | CMS_NOSMIMECAP | CMS_NOATTR |
		(keyid ? CMS_USE_KEYID : 0)));
	assert_int_equal(CMS_final(cms, in, NULL, CMS_NOCERTS | CMS_BINARY), 1);
	assert_int_equal(i2d_CMS_bio_stream(out, cms, NULL, 0), 1);
	n = BIO_get_mem_data(out, &p);
	assert_int_equal(buf_put(der, p, (size_t)n), 0);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	BIO_free(out);
}

/* Ours: the digest signed as the monitor signs it, then modsig_cms_*. */
static void
csign_der(const struct signer *s, int digest, int keyid, const uint8_t *data,
    size_t len, struct buf *der)
{
	const EVP_MD *md = digest == DIG_SHA256 ? EVP_sha256()
	    : digest == DIG_SHA384		? EVP_sha384()
						: EVP_sha512();
	uint8_t h[EVP_MAX_MD_SIZE], sig[1024];
	unsigned int hlen = 0;
	size_t siglen = sizeof(sig);
	CMS_ContentInfo *cms;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(s->key, NULL);

	assert_int_equal(EVP_Digest(data, len, h, &hlen, md, NULL), 1);
	assert_true(EVP_PKEY_sign_init(ctx) > 0);
	assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0);
	assert_true(EVP_PKEY_CTX_set_signature_md(ctx, md) > 0);
	assert_true(EVP_PKEY_sign(ctx, sig, &siglen, h, hlen) > 0);
	EVP_PKEY_CTX_free(ctx);
	cms = modsig_cms_new(s->cert, X509_get0_pubkey(s->cert), digest, keyid);
	assert_non_null(cms);
	assert_int_equal(modsig_cms_der(cms, sig, siglen, der), 0);
	CMS_ContentInfo_free(cms);
}

static void
test_pkcs7_is_byte_identical_to_sign_files(void **state)
{
	static const struct {
		int digest;
		const char *md;
		int keyid;
	} cases[] = {
		{ DIG_SHA256, "SHA256", 0 },
		{ DIG_SHA384, "SHA384", 0 },
		{ DIG_SHA512, "SHA512", 0 },
		{ DIG_SHA256, "SHA256", 1 },
		{ DIG_SHA512, "SHA512", 1 },
	};
	const struct signer *s = *state;
	struct telf t;

	telf_build(&t, 1, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		EVP_MD *md = EVP_MD_fetch(NULL, cases[i].md, NULL);
		struct buf want, got;

		buf_init(&want, 65536);
		buf_init(&got, 65536);
		sign_file_der(s, md, cases[i].keyid, t.b, t.len, &want);
		csign_der(s, cases[i].digest, cases[i].keyid, t.b, t.len, &got);
		assert_int_equal(buf_left(&got), buf_left(&want));
		assert_memory_equal(buf_ptr(&got), buf_ptr(&want),
		    buf_left(&want));
		buf_free(&want);
		buf_free(&got);
		EVP_MD_free(md);
	}
}

static void
test_pkcs7_is_detached_without_certificates_or_attributes(void **state)
{
	const struct signer *s = *state;
	CMS_ContentInfo *cms;
	CMS_SignerInfo *si;
	STACK_OF(X509) *certs;
	ASN1_OCTET_STRING **content, *kid = NULL;
	X509_NAME *issuer = NULL;
	ASN1_INTEGER *serial = NULL;
	const unsigned char *p;
	uint8_t sig[256] = { 0 };
	struct buf der;

	buf_init(&der, 65536);
	cms = modsig_cms_new(s->cert, X509_get0_pubkey(s->cert), DIG_SHA256, 0);
	assert_int_equal(modsig_cms_der(cms, sig, sizeof(sig), &der), 0);
	CMS_ContentInfo_free(cms);
	p = buf_ptr(&der);
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)buf_left(&der));
	assert_non_null(cms);
	content = CMS_get0_content(cms);
	assert_true(content == NULL || *content == NULL);
	certs = CMS_get1_certs(cms);
	assert_true(certs == NULL || sk_X509_num(certs) == 0);
	sk_X509_pop_free(certs, X509_free);
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	assert_int_equal(CMS_SignerInfo_get0_signer_id(si, &kid, &issuer,
			     &serial),
	    1);
	assert_null(kid);
	assert_int_equal(ASN1_INTEGER_get(serial), 0x1001);
	assert_true(CMS_signed_get_attr_count(si) <= 0);
	CMS_ContentInfo_free(cms);
	buf_free(&der);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf64_lsb_module_with_modinfo_passes),
		cmocka_unit_test(test_elf32_msb_module_with_modinfo_passes),
		cmocka_unit_test(test_empty_and_short_files_are_refused),
		cmocka_unit_test(test_ident_magic_class_and_data_are_checked),
		cmocka_unit_test(
		    test_executables_and_shared_objects_are_not_modules),
		cmocka_unit_test(test_section_header_table_fields_are_bounded),
		cmocka_unit_test(
		    test_section_contents_must_lie_inside_the_file),
		cmocka_unit_test(test_section_name_table_is_checked),
		cmocka_unit_test(test_modinfo_is_required_and_not_empty),
		cmocka_unit_test(
		    test_length_limits_the_checks_not_the_file_size),
		cmocka_unit_test(test_trailer_encoding_matches_sign_file),
		cmocka_unit_test(test_trailer_parse_finds_the_module_length),
		cmocka_unit_test(test_trailer_absent_leaves_the_file_whole),
		cmocka_unit_test(test_trailer_fields_are_checked),
		cmocka_unit_test(test_trailer_length_past_the_file_is_refused),
		cmocka_unit_test(test_trailer_with_zero_length_is_refused),
		cmocka_unit_test(
		    test_magic_in_a_file_too_short_for_the_trailer_is_refused),
		cmocka_unit_test(
		    test_find_and_strip_remove_appended_signatures),
		cmocka_unit_test(test_strip_refuses_too_many_nested_signatures),
	};
	const struct CMUnitTest pkcs7[] = {
		cmocka_unit_test(test_pkcs7_is_byte_identical_to_sign_files),
		cmocka_unit_test(
		    test_pkcs7_is_detached_without_certificates_or_attributes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) |
	    cmocka_run_group_tests(pkcs7, signer_setup, signer_teardown);
}
