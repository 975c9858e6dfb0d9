/*
 * test_pe_malformed.c: malformed PE images are refused.  They are made
 * from a good one by patching fields, one table row per case, each with
 * the words its refusal must contain.
 */
#include "pe_test.h"

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_malformed_images_are_refused_naming_the_field),
		cmocka_unit_test(test_sparse_4gib_file_is_refused_by_size),
	};

	return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
