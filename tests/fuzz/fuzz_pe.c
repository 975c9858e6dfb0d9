/*
 * fuzz_pe: PE headers and the Authenticode digest, as the sandbox runs
 * them on the descriptor a client passed.  The seeds (corpus/pe) are
 * images built with mingw-w64 (tests/fuzz/seeds.sh).
 */
#include <stdint.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "proto/names.h"
#include "sandbox/formats/pe_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t md[DIGEST_MAX];
	struct pe_image img;
	struct pe_csum cs = { 0 };
	struct pe_err e;
	uint32_t ck;
	size_t mdlen;
	int fd = fuzz_memfd(data, size);

	if (pe_parse(fd, size, &img, &e) == 0) {
		FUZZ_PASSED();
		(void)pe_is_signed(&img);
		(void)pe_padded_end(&img);
		(void)pe_digest(fd, &img, DIG_SHA256, md, &mdlen, &cs, &e);
		(void)pe_checksum_fd(fd, size, img.checksum_off, &ck);
	}
	close(fd);
	return 0;
}
