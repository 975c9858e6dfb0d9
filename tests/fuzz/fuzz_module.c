/* fuzz_module: the ELF checks and the signature trailer of -f module. */
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

	(void)elf_check_module(fd, size, &m, &e);
	(void)modsig_find(fd, size, &body, &e);
	if (modsig_strip(fd, size, &body, &count, &e) == 0)
		(void)elf_check_module(fd, body, &m, &e);
	if (size >= MODSIG_TRAILER_LEN)
		(void)modsig_parse(data + size - MODSIG_TRAILER_LEN,
		    MODSIG_TRAILER_LEN, size, &body, &e);
	close(fd);
	return 0;
}
