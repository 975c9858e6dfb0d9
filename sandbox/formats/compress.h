/*
 * compress: kernel modules as distributions ship them, .ko.xz, .ko.zst and
 * .ko.gz.  The signature belongs on the uncompressed ELF, so the session
 * child decompresses into a scratch file (bounded: a decompression bomb
 * is an artifact error), signs that as any module, and compresses the
 * signed module again with the settings of the kernel's own
 * modules_install (scripts/Makefile.modinst):
 *     xz --check=crc32 --lzma2=dict=1MiB
 *     zstd -T0 (level 3, with the content checksum)
 *     gzip -n (level 6, no name, no time)
 */
#ifndef CSIGN_COMPRESS_H
#define CSIGN_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

enum comp_kind {
	COMP_NONE = 0,
	COMP_XZ,
	COMP_ZSTD,
	COMP_GZIP
};

/* Decompressed bytes per compressed byte past which it is a bomb. */
#define COMP_MAX_RATIO 1000

/* The compression of the size bytes of fd, from its magic. */
enum comp_kind comp_detect(int fd, uint64_t size);
/* The same from the first len bytes of a file (compmagic.c). */
enum comp_kind comp_magic(const uint8_t *m, size_t len);
const char *comp_name(enum comp_kind k);

/*
 * Decompress the size bytes of in into out (written from offset 0):
 * the decompressed length in *outlen and 0; or -1 with err set (corrupt,
 * truncated, more than max bytes, or past COMP_MAX_RATIO).
 */
int comp_decompress(enum comp_kind k, int in, uint64_t size, int out,
    uint64_t max, uint64_t *outlen, char *err, size_t errlen);

/*
 * Compress the len bytes of in (from offset 0) onto out at its current
 * position: the compressed length in *written and 0, or -1 with err set.
 */
int comp_compress(enum comp_kind k, int in, uint64_t len, int out,
    uint64_t *written, char *err, size_t errlen);

#endif
