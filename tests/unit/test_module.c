/*
 * test_module.c: the kernel-module checks (sandbox/formats/elf.c) on ELF
 * files generated here.
 */
#include "module_test.h"

/*
 * Run elf_check_module on t; on failure its message must contain want.
 * elf_check_module_mem on the same bytes (a module kept in memory) must
 * come to the same: result, message, and what it learned.
 */
static int
check_telf(const struct telf *t, const char *want)
{
	struct artifact_err e = { "" }, em = { "" };
	struct elf_module m, mm;
	int fd = mem_fd(t->b, t->len), r;

	r = elf_check_module(fd, t->len, &m, &e);
	close(fd);
	assert_int_equal(elf_check_module_mem(t->b, t->len, &mm, &em), r);
	assert_string_equal(em.msg, r == 0 ? em.msg : e.msg);
	if (r == 0)
		assert_memory_equal(&mm, &m, sizeof(m));
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
	check_telf(&t, "xz-compressed data, not an ELF");
	memcpy(t.b, "\x28\xb5\x2f\xfd", 4);
	check_telf(&t, "zstd-compressed data, not an ELF");
	memcpy(t.b, "\x1f\x8b", 2);
	check_telf(&t, "gzip-compressed data, not an ELF");
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
