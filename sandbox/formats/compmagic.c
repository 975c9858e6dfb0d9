/*
 * compmagic.c: which compressor wrote a file, from its first bytes.  Kept
 * apart from compress.c so that the ELF checks (and their fuzzer) can
 * name a compressed module without linking the codecs.
 */
#include <string.h>

#include "sandbox/formats/compress.h"

static const char *const names[] = { "none", "xz", "zstd", "gzip" };

const char *
comp_name(enum comp_kind k)
{
	return names[k];
}

enum comp_kind
comp_magic(const uint8_t *m, size_t len)
{
	static const uint8_t xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0 };
	static const uint8_t zst[] = { 0x28, 0xb5, 0x2f, 0xfd };
	static const uint8_t gz[] = { 0x1f, 0x8b };

	if (len >= sizeof(xz) && memcmp(m, xz, sizeof(xz)) == 0)
		return COMP_XZ;
	if (len >= sizeof(zst) && memcmp(m, zst, sizeof(zst)) == 0)
		return COMP_ZSTD;
	if (len >= sizeof(gz) && memcmp(m, gz, sizeof(gz)) == 0)
		return COMP_GZIP;
	return COMP_NONE;
}
