/*
 * fuzz_module: a module as -f module reads it (sandbox/formats/module.c
 * module_body): the appended signatures stripped, then the ELF checks on
 * what is left, kept in memory as module_body keeps a module of up to
 * 64 MiB (ASan sees a read past the fuzzer's buffer); then the checks
 * through a file, as for a larger module, and the trailer readers, on the
 * whole input.  The seeds (corpus/module) are a kernel module built with
 * the installed kbuild, unsigned and signed by the kernel's sign-file
 * (tests/fuzz/seeds.sh).
 */
#include <stdint.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "sandbox/artifact.h"
#include "sandbox/formats/elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct artifact_err e;
	struct elf_module m;
	uint64_t body;
	int count, fd = fuzz_memfd(data, size);

	if (modsig_strip(fd, size, &body, &count, &e) == 0 &&
	    elf_check_module_mem(data, body, &m, &e) == 0)
		FUZZ_PASSED();
	(void)elf_check_module(fd, size, &m, &e);
	(void)modsig_find(fd, size, &body, &e);
	if (size >= MODSIG_TRAILER_LEN)
		(void)modsig_parse(data + size - MODSIG_TRAILER_LEN,
		    MODSIG_TRAILER_LEN, size, &body, &e);
	close(fd);
	return 0;
}
