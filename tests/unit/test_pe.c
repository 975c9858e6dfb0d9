/*
 * test_pe.c: the PE parser, the Authenticode digest, the PE checksum, the
 * SpcIndirectDataContent encoding and format_pe itself (sandbox/formats/).
 *
 * Real images are built once for the whole suite: PE32+ and PE32
 * executables and a DLL with mingw-w64, systemd-boot's UEFI binary, and
 * systemd-boot with bytes appended after its last section.  Their digests
 * are checked against digests computed by other programs: sbsign
 * (SHA-256) and osslsigncode (SHA-384, SHA-512), read back from the
 * SpcIndirectDataContent of the copies those tools signed.  The tools
 * (mingw-w64, sbsigntool, osslsigncode, systemd-boot-efi) come from
 * `make deps`; without them the tests that need them fail.
 *
 * Malformed images are made from a good one by patching fields, one table
 * row per case, each with the words its refusal must contain.
 */
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

static char dir[64];	/* the suite's fixture directory */
static int have_images; /* the fixture build worked */

/* The images of the suite, with which tools signed copies of them. */
static const char *const images[] = {
	"hello.exe",
	"hello32.exe",
	"lib.dll",
	"sdboot.efi",
	"tail.efi",
};
#define NIMAGES (sizeof(images) / sizeof(images[0]))

/*
 * Build the images and the independently signed copies:
 * NAME.sb (sbsign, SHA-256), NAME.o384 and NAME.o512 (osslsigncode).
 */
static const char fixture_script[] =
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
static int
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

static int
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

static int
suite_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Open a fixture file; its size into *size. */
static int
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
static uint8_t *
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
static int
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

/*
 * The SpcIndirectDataContent DER inside the (first) signature of a signed
 * fixture: the content of its PKCS#7 SignedData.
 */
static uint8_t *
signed_idc(const char *name, size_t *len)
{
	struct pe_image img;
	struct pe_err e;
	uint64_t size;
	int fd = open_fixture(name, &size);
	uint8_t *blob, *idc;
	const unsigned char *p;
	ASN1_STRING *seq;
	PKCS7 *p7;

	assert_int_equal(pe_parse(fd, size, &img, &e), 0);
	assert_true(pe_is_signed(&img));
	blob = malloc(img.cert_size);
	assert_non_null(blob);
	assert_int_equal(artifact_pread(fd, img.cert_off, blob, img.cert_size),
	    0);
	close(fd);
	p = blob + PE_WIN_CERT_HDR;
	p7 = d2i_PKCS7(NULL, &p, (long)(img.cert_size - PE_WIN_CERT_HDR));
	assert_non_null(p7);
	assert_true(PKCS7_type_is_signed(p7));
	seq = p7->d.sign->contents->d.other->value.sequence;
	*len = (size_t)ASN1_STRING_length(seq);
	idc = malloc(*len);
	assert_non_null(idc);
	memcpy(idc, ASN1_STRING_get0_data(seq), *len);
	PKCS7_free(p7);
	free(blob);
	return idc;
}

/* Our digest of a fixture image. */
static void
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

/*
 * Our digest of image equals the one the other tool put in signed: the
 * DigestInfo's OCTET STRING ends the SpcIndirectDataContent.
 */
static void
check_digest_against(const char *image, const char *signed_copy, int digest)
{
	uint8_t md[DIGEST_MAX];
	size_t mdlen, idclen;
	uint8_t *idc;

	our_digest(image, digest, md, &mdlen);
	idc = signed_idc(signed_copy, &idclen);
	assert_true(idclen > mdlen + 2);
	assert_int_equal(idc[idclen - mdlen - 2], V_ASN1_OCTET_STRING);
	assert_int_equal(idc[idclen - mdlen - 1], mdlen);
	if (memcmp(idc + idclen - mdlen, md, mdlen) != 0)
		fail_msg("%s: digest differs from %s's", image, signed_copy);
	/* The signed copy hashes the same: its table is left out. */
	our_digest(signed_copy, digest, md, &mdlen);
	assert_memory_equal(idc + idclen - mdlen, md, mdlen);
	free(idc);
}

#define NEED_IMAGES() \
	do { \
		if (!have_images) \
			fail_msg("test images could not be built"); \
	} while (0)

/* ---- digest ---- */

static void
test_digest_sha256_matches_sbsign(void **state)
{
	char copy[64];

	(void)state;
	NEED_IMAGES();
	for (size_t i = 0; i < NIMAGES; i++) {
		snprintf(copy, sizeof(copy), "%s.sb", images[i]);
		check_digest_against(images[i], copy, DIG_SHA256);
	}
}

static void
test_digest_sha384_sha512_match_osslsigncode(void **state)
{
	char copy[64];

	(void)state;
	NEED_IMAGES();
	for (size_t i = 0; i < NIMAGES; i++) {
		snprintf(copy, sizeof(copy), "%s.o384", images[i]);
		check_digest_against(images[i], copy, DIG_SHA384);
		snprintf(copy, sizeof(copy), "%s.o512", images[i]);
		check_digest_against(images[i], copy, DIG_SHA512);
	}
}

static void
test_parse_reads_pe32_and_pe32plus(void **state)
{
	struct pe_image img;
	struct pe_err e;
	uint64_t size;
	int fd;

	(void)state;
	NEED_IMAGES();
	fd = open_fixture("hello.exe", &size);
	assert_int_equal(pe_parse(fd, size, &img, &e), 0);
	close(fd);
	assert_int_equal(img.magic, 0x20b);
	assert_int_equal(img.certdir_off, img.lfanew + 24 + 144);
	assert_false(pe_is_signed(&img));
	assert_int_equal(img.data_end, size);
	fd = open_fixture("hello32.exe", &size);
	assert_int_equal(pe_parse(fd, size, &img, &e), 0);
	close(fd);
	assert_int_equal(img.magic, 0x10b);
	assert_int_equal(img.certdir_off, img.lfanew + 24 + 128);
	assert_int_equal(img.checksum_off, img.lfanew + 24 + 64);
	fd = open_fixture("tail.efi", &size);
	assert_int_equal(pe_parse(fd, size, &img, &e), 0);
	close(fd);
	assert_true(img.sections_end < size);
	assert_int_equal(pe_padded_end(&img) % 8, 0);
	assert_true(pe_padded_end(&img) > size);
	fd = open_fixture("tail.efi.sb", &size);
	assert_int_equal(pe_parse(fd, size, &img, &e), 0);
	close(fd);
	assert_true(pe_is_signed(&img));
	assert_int_equal(img.cert_entries, 1);
	assert_int_equal(img.cert_off + img.cert_size, size);
}

/* ---- SpcIndirectDataContent ---- */

static void
test_idc_is_byte_identical_to_sbsign(void **state)
{
	uint8_t md[DIGEST_MAX], *ours;
	size_t mdlen, theirs_len, ours_len;
	uint8_t *theirs;

	(void)state;
	NEED_IMAGES();
	our_digest("sdboot.efi", DIG_SHA256, md, &mdlen);
	theirs = signed_idc("sdboot.efi.sb", &theirs_len);
	assert_int_equal(authenticode_idc(DIG_SHA256, md, mdlen, &ours,
			     &ours_len),
	    0);
	assert_int_equal(ours_len, theirs_len);
	assert_memory_equal(ours, theirs, ours_len);
	OPENSSL_free(ours);
	free(theirs);
}

/* ---- checksum ---- */

/* The word-at-a-time checksum, as the PE specification states it. */
static uint64_t
csum_reference(uint64_t off, const uint8_t *p, size_t len)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += (off + i) & 1 ? (uint64_t)p[i] << 8 : p[i];
	return sum;
}

/* The eight-bytes-at-a-time sum equals the reference at any alignment. */
static void
test_checksum_sum_matches_the_reference(void **state)
{
	static uint8_t buf[300000];
	struct pe_csum cs;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 2654435761u >> 13);
	for (size_t k = 0; k < 40; k++) {
		uint64_t off = k % 3, len = sizeof(buf) - k * 7001;

		cs.sum = 0;
		pe_csum_add(&cs, off, buf + k, len);
		assert_int_equal(pe_csum_final(&cs, 0),
		    pe_csum_final(&(struct pe_csum){ csum_reference(off,
				      buf + k, len) },
			0));
	}
}

/* The checksum stored in a fixture equals the one we compute. */
static void
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

static void
test_checksum_matches_linkers_and_signers(void **state)
{
	char copy[64];

	(void)state;
	NEED_IMAGES();
	/* mingw's ld, the systemd build, sbsign and osslsigncode. */
	for (size_t i = 0; i < NIMAGES; i++) {
		if (strcmp(images[i], "tail.efi") != 0)
			check_stored_checksum(images[i]);
		snprintf(copy, sizeof(copy), "%s.sb", images[i]);
		check_stored_checksum(copy);
		snprintf(copy, sizeof(copy), "%s.o384", images[i]);
		check_stored_checksum(copy);
	}
}

static void
test_checksum_sums_words_with_carry(void **state)
{
	static const uint8_t b[] = { 0xff, 0xff, 0x01, 0x00, 0x34, 0x12, 0x7 };
	struct pe_csum whole = { 0 }, split = { 0 };

	(void)state;
	/* 0xffff + 0x0001 = 0x10000 -> 0x0001; + 0x1234 + 0x0007 */
	pe_csum_add(&whole, 0, b, sizeof(b));
	assert_int_equal(pe_csum_final(&whole, 0), 0x123c);
	assert_int_equal(pe_csum_final(&whole, sizeof(b)), 0x123c + 7);
	/* Any split, any order, as long as offsets are right. */
	pe_csum_add(&split, 5, b + 5, 2);
	pe_csum_add(&split, 1, b + 1, 3);
	pe_csum_add(&split, 0, b, 1);
	pe_csum_add(&split, 4, b + 4, 1);
	assert_int_equal(pe_csum_final(&split, 7), pe_csum_final(&whole, 7));
}

/* ---- malformed images ---- */

/*
 * One malformed image: a copy of hello.exe (base 0) or of its sbsign copy
 * (base 1), cut, grown, or with one field set (how: V_SET) or moved
 * (V_ADD, V_SUB) by value.  Fields are found from the parsed good image,
 * so the table holds for any mingw build.
 */
struct patch {
	const char *what; /* test case name */
	int base;
	int cut;     /* CUT_* */
	size_t grow; /* bytes appended */
	int field;   /* F_*, or F_NONE */
	int how;
	uint32_t value;
	const char *expect;  /* words the refusal must contain */
	const char *expect2; /* and these, or NULL */
};

enum {
	CUT_NONE,
	CUT_ALL,
	CUT_DOS,
	CUT_SECTION_TABLE
};
enum {
	V_SET,
	V_ADD,
	V_SUB
};
enum {
	F_NONE,
	F_MAGIC,
	F_LFANEW,
	F_PESIG,
	F_NSECT,
	F_OPTSIZE,
	F_OPTMAGIC,
	F_NRVA,
	F_HDRSIZE,
	F_CERT_VA,
	F_CERT_SIZE,
	F_FIRST_PTR,
	F_FIRST_SIZE,
	F_SECOND_PTR,
	F_LAST_PTR,
	F_WINCERT_LEN,
};

static const struct patch patches[] = {
	{ "zero-byte file", 0, CUT_ALL, 0, F_NONE, 0, 0, "the file is empty",
	    NULL },
	{ "cut inside the DOS header", 0, CUT_DOS, 0, F_NONE, 0, 0,
	    "ends inside the DOS header (e_lfanew)", NULL },
	{ "not MZ", 0, CUT_NONE, 0, F_MAGIC, V_SET, 0x4b50,
	    "e_magic 0x4b50 is not \"MZ\"", NULL },
	{ "e_lfanew past the end", 0, CUT_NONE, 0, F_LFANEW, V_SET, 0x7ffffff0,
	    "e_lfanew 0x7ffffff0 is past the end of the file", NULL },
	{ "e_lfanew inside the DOS header", 0, CUT_NONE, 0, F_LFANEW, V_SET,
	    0x10, "e_lfanew 0x10 points inside the DOS header", NULL },
	{ "no PE signature", 0, CUT_NONE, 0, F_PESIG, V_SET, 0x4551,
	    "no \"PE\\0\\0\" signature at e_lfanew", NULL },
	{ "NumberOfSections 0xffff", 0, CUT_NONE, 0, F_NSECT, V_SET, 0xffff,
	    "NumberOfSections 65535 is over the limit of 96", NULL },
	{ "NumberOfSections 0", 0, CUT_NONE, 0, F_NSECT, V_SET, 0,
	    "NumberOfSections is 0", NULL },
	{ "cut inside the section table", 0, CUT_SECTION_TABLE, 0, F_NONE, 0, 0,
	    "the section table (NumberOfSections",
	    "runs past the end of the file" },
	{ "optional header magic", 0, CUT_NONE, 0, F_OPTMAGIC, V_SET, 0x107,
	    "optional header Magic 0x107", NULL },
	{ "SizeOfOptionalHeader too small", 0, CUT_NONE, 0, F_OPTSIZE, V_SET,
	    0x60, "SizeOfOptionalHeader 96 is too small", NULL },
	{ "no certificate-table entry", 0, CUT_NONE, 0, F_NRVA, V_SET, 4,
	    "NumberOfRvaAndSizes 4 has no certificate-table entry", NULL },
	{ "NumberOfRvaAndSizes absurd", 0, CUT_NONE, 0, F_NRVA, V_SET,
	    0x10000000, "NumberOfRvaAndSizes 268435456 does not fit", NULL },
	{ "SizeOfHeaders past the end", 0, CUT_NONE, 0, F_HDRSIZE, V_SET,
	    0x7fff0000, "SizeOfHeaders 0x7fff0000 is past the end", NULL },
	{ "SizeOfHeaders inside the section table", 0, CUT_NONE, 0, F_HDRSIZE,
	    V_SET, 0x100, "SizeOfHeaders 0x100 is smaller than the headers",
	    NULL },
	{ "section data past the end", 0, CUT_NONE, 0, F_FIRST_SIZE, V_SET,
	    0x1000000, "SizeOfRawData 0x1000000 is past the end of the file",
	    NULL },
	{ "section offset+size wraps 32 bits", 0, CUT_NONE, 0, F_FIRST_PTR,
	    V_SET, 0xfffffe00, "PointerToRawData 0xfffffe00 + SizeOfRawData",
	    "wraps past 32 bits" },
	{ "section inside the headers", 0, CUT_NONE, 0, F_FIRST_PTR, V_SET,
	    0x100, "PointerToRawData 0x100 overlaps the headers", NULL },
	{ "overlapping sections", 0, CUT_NONE, 0, F_SECOND_PTR, V_SUB, 0x100,
	    "overlaps section", NULL },
	{ "gap between sections", 0, CUT_NONE, 0, F_LAST_PTR, V_ADD, 0x200,
	    "leaves a gap", "that the signature would not cover" },
	{ "certificate table with VirtualAddress 0", 0, CUT_NONE, 0,
	    F_CERT_SIZE, V_SET, 0x10,
	    "certificate table Size 0x10 with VirtualAddress 0", NULL },
	{ "certificate table past the end", 1, CUT_NONE, 0, F_CERT_SIZE, V_ADD,
	    8, "certificate table (VirtualAddress",
	    "is past the end of the file" },
	{ "certificate table smaller than its header", 1, CUT_NONE, 0,
	    F_CERT_SIZE, V_SET, 4,
	    "certificate table Size 0x4 is smaller "
	    "than a WIN_CERTIFICATE header",
	    NULL },
	{ "certificate table over the sections", 1, CUT_NONE, 0, F_CERT_VA,
	    V_SET, 0x1000,
	    "certificate table VirtualAddress 0x1000 overlaps "
	    "the image data",
	    NULL },
	{ "certificate table not aligned", 1, CUT_NONE, 0, F_CERT_VA, V_SUB, 4,
	    "is not 8-byte aligned", NULL },
	{ "data after the certificate table", 1, CUT_NONE, 16, F_NONE, 0, 0,
	    "does not end at the end of the file", NULL },
	{ "WIN_CERTIFICATE longer than the table", 1, CUT_NONE, 0,
	    F_WINCERT_LEN, V_SET, 0x100000, "WIN_CERTIFICATE 0 at",
	    "dwLength 0x100000 does not fit the certificate table" },
	{ "WIN_CERTIFICATE shorter than its header", 1, CUT_NONE, 0,
	    F_WINCERT_LEN, V_SET, 4, "dwLength 0x4 does not fit", NULL },
};

/* Little-endian field of width bytes at p. */
static uint32_t
get_le(const uint8_t *p, int width)
{
	uint32_t v = 0;

	while (width-- > 0)
		v = v << 8 | p[width];
	return v;
}

static void
put_le(uint8_t *p, int width, uint32_t v)
{
	for (int i = 0; i < width; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Offset of the section table of image bytes b parsed as img. */
static uint64_t
section_table(const uint8_t *b, const struct pe_image *img)
{
	return img->lfanew + 24 + get_le(b + img->lfanew + 20, 2);
}

/* Offset and width of a field in the good image b, parsed as img. */
static uint64_t
field_at(const uint8_t *b, const struct pe_image *img, int field, int *width)
{
	uint64_t opt = img->lfanew + 24, st = section_table(b, img);
	const struct pe_section *first = &img->raw[0];
	const struct pe_section *second = &img->raw[1];
	const struct pe_section *last = &img->raw[img->nraw - 1];

	*width = 4;
	switch (field) {
	case F_MAGIC:
		*width = 2;
		return 0;
	case F_LFANEW:
		return 0x3c;
	case F_PESIG:
		return img->lfanew;
	case F_NSECT:
		*width = 2;
		return img->lfanew + 6;
	case F_OPTSIZE:
		*width = 2;
		return img->lfanew + 20;
	case F_OPTMAGIC:
		*width = 2;
		return opt;
	case F_NRVA:
		return opt + (img->magic == 0x10b ? 92 : 108);
	case F_HDRSIZE:
		return opt + 60;
	case F_CERT_VA:
		return img->certdir_off;
	case F_CERT_SIZE:
		return img->certdir_off + 4;
	case F_FIRST_PTR:
		return st + 40 * first->index + 20;
	case F_FIRST_SIZE:
		return st + 40 * first->index + 16;
	case F_SECOND_PTR:
		return st + 40 * second->index + 20;
	case F_LAST_PTR:
		return st + 40 * last->index + 20;
	case F_WINCERT_LEN:
		return img->cert_off;
	}
	fail_msg("unknown field %d", field);
	return 0;
}

/* The length of the patched copy. */
static size_t
patched_len(const struct patch *p, const uint8_t *b, size_t len,
    const struct pe_image *img)
{
	switch (p->cut) {
	case CUT_ALL:
		return 0;
	case CUT_DOS:
		return 0x3e;
	case CUT_SECTION_TABLE:
		return section_table(b, img) + 40 * 3;
	}
	return len + p->grow;
}

/* Apply one patch to a copy of its base image and parse the result. */
static void
check_patch(const struct patch *p, const uint8_t *base, size_t baselen,
    const struct pe_image *good)
{
	size_t len = patched_len(p, base, baselen, good);
	uint8_t *img = calloc(1, len + 1);
	struct pe_image parsed;
	struct pe_err e;
	int fd, width;

	assert_non_null(img);
	memcpy(img, base, len < baselen ? len : baselen);
	if (p->field != F_NONE) {
		uint64_t off = field_at(base, good, p->field, &width);
		uint32_t v = get_le(img + off, width);

		v = p->how == V_SET   ? p->value
		    : p->how == V_ADD ? v + p->value
				      : v - p->value;
		put_le(img + off, width, v);
	}
	fd = write_fixture("malformed.exe", img, len);
	if (pe_parse(fd, len, &parsed, &e) != -1)
		fail_msg("%s: parsed without complaint", p->what);
	close(fd);
	if (strstr(e.msg, p->expect) == NULL ||
	    (p->expect2 != NULL && strstr(e.msg, p->expect2) == NULL))
		fail_msg("%s: got \"%s\", wanted \"%s\"%s%s", p->what, e.msg,
		    p->expect, p->expect2 ? " and " : "",
		    p->expect2 ? p->expect2 : "");
	if (strncmp(e.msg, "pe: ", 4) != 0)
		fail_msg("%s: \"%s\" does not start with \"pe: \"", p->what,
		    e.msg);
	free(img);
}

static void
test_malformed_images_are_refused_naming_the_field(void **state)
{
	static const char *const bases[] = { "hello.exe", "hello.exe.sb" };
	struct pe_image good[2];
	struct pe_err e;
	uint8_t *base[2];
	size_t len[2];

	(void)state;
	NEED_IMAGES();
	for (int i = 0; i < 2; i++) {
		uint64_t size;
		int fd = open_fixture(bases[i], &size);

		assert_int_equal(pe_parse(fd, size, &good[i], &e), 0);
		close(fd);
		base[i] = slurp(bases[i], &len[i]);
	}
	/* mingw's executables keep symbols after the last section. */
	assert_true(good[0].nraw >= 3);
	assert_true(good[0].sections_end + 0x200 < len[0]);
	for (size_t i = 0; i < sizeof(patches) / sizeof(patches[0]); i++)
		check_patch(&patches[i], base[patches[i].base],
		    len[patches[i].base], &good[patches[i].base]);
	free(base[0]);
	free(base[1]);
}

static void
test_sparse_4gib_file_is_refused_by_size(void **state)
{
	struct pe_image img;
	struct pe_err e;
	char path[128];
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/sparse", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd != -1);
	if (ftruncate(fd, 4ll << 30) == -1) {
		close(fd);
		fail_msg("cannot make a 4 GiB sparse file: %s",
		    strerror(errno));
	}
	assert_int_equal(pe_parse(fd, 4ull << 30, &img, &e), -1);
	assert_non_null(
	    strstr(e.msg, "file size 4294967296 is over the 4 GiB"));
	close(fd);
	unlink(path);
}

/* ---- format_pe with a key file standing in for the monitor ---- */

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
	r = format_pe(&in, out);
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
	assert_int_equal(format_pe(&in, &out), -1);
	assert_int_equal(out.status, ST_BAD_REQUEST);
	assert_non_null(strstr(out.message, "RSA-PSS"));
	in.padding = PAD_PKCS1;
	in.fd_is_file = 0;
	assert_int_equal(format_pe(&in, &out), -1);
	assert_int_equal(out.status, ST_BAD_ARTIFACT);
	assert_string_equal(out.message, "pe format needs a regular file");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksum_sum_matches_the_reference),
		cmocka_unit_test(test_digest_sha256_matches_sbsign),
		cmocka_unit_test(test_digest_sha384_sha512_match_osslsigncode),
		cmocka_unit_test(test_parse_reads_pe32_and_pe32plus),
		cmocka_unit_test(test_idc_is_byte_identical_to_sbsign),
		cmocka_unit_test(test_checksum_matches_linkers_and_signers),
		cmocka_unit_test(test_checksum_sums_words_with_carry),
		cmocka_unit_test(
		    test_malformed_images_are_refused_naming_the_field),
		cmocka_unit_test(test_sparse_4gib_file_is_refused_by_size),
		cmocka_unit_test(test_format_pe_signs_replaces_and_appends),
		cmocka_unit_test(test_format_pe_refuses_pss_and_pipes),
		cmocka_unit_test(
		    test_format_pe_refuses_an_input_changed_while_signed),
	};

	return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
