/*
 * compress.c: see compress.h.  One pump moves bytes between a file and a
 * codec in fixed chunks; each library (liblzma, libzstd, zlib) is wrapped
 * in a step function that takes what input it can and fills what output
 * room it has, so that the bounds (size, ratio, truncation, trailing
 * bytes) are checked once, in the pump.
 */
#include "sandbox/formats/compress.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "common/util.h"
#include "sandbox/artifact.h"

#define CHUNK (64u << 10)
#define XZ_MEMLIMIT (256u << 20)

enum step {
	STEP_ERROR = -1,
	STEP_MORE = 0,
	STEP_DONE = 1
};

/* One call of a codec over [*ip, *ip + *il) into [*op, *op + *ol). */
typedef enum step (*step_fn)(void *st, const uint8_t **ip, size_t *il,
    uint8_t **op, size_t *ol, int finish);

enum comp_kind
comp_detect(int fd, uint64_t size)
{
	uint8_t m[6];

	if (size < sizeof(m) || artifact_pread(fd, 0, m, sizeof(m)) == -1)
		return COMP_NONE;
	return comp_magic(m, sizeof(m));
}

static enum step
xz_step(void *st, const uint8_t **ip, size_t *il, uint8_t **op, size_t *ol,
    int finish)
{
	lzma_stream *z = st;
	lzma_ret r;

	z->next_in = *ip;
	z->avail_in = *il;
	z->next_out = *op;
	z->avail_out = *ol;
	r = lzma_code(z, finish ? LZMA_FINISH : LZMA_RUN);
	*ip = z->next_in;
	*il = z->avail_in;
	*op = z->next_out;
	*ol = z->avail_out;
	if (r == LZMA_STREAM_END)
		return STEP_DONE;
	return r == LZMA_OK ? STEP_MORE : STEP_ERROR;
}

static enum step
zstd_dstep(void *st, const uint8_t **ip, size_t *il, uint8_t **op, size_t *ol,
    int finish)
{
	ZSTD_inBuffer in = { *ip, *il, 0 };
	ZSTD_outBuffer out = { *op, *ol, 0 };
	size_t r = ZSTD_decompressStream(st, &out, &in);

	(void)finish;
	*ip += in.pos;
	*il -= in.pos;
	*op += out.pos;
	*ol -= out.pos;
	if (ZSTD_isError(r))
		return STEP_ERROR;
	return r == 0 ? STEP_DONE : STEP_MORE;
}

static enum step
zstd_cstep(void *st, const uint8_t **ip, size_t *il, uint8_t **op, size_t *ol,
    int finish)
{
	ZSTD_inBuffer in = { *ip, *il, 0 };
	ZSTD_outBuffer out = { *op, *ol, 0 };
	size_t r = ZSTD_compressStream2(st, &out, &in,
	    finish ? ZSTD_e_end : ZSTD_e_continue);

	*ip += in.pos;
	*il -= in.pos;
	*op += out.pos;
	*ol -= out.pos;
	if (ZSTD_isError(r))
		return STEP_ERROR;
	return finish && r == 0 ? STEP_DONE : STEP_MORE;
}

/* zlib's stream, and whether it inflates or deflates. */
struct zst {
	z_stream z;
	int inflating;
};

static enum step
zlib_step(void *st, const uint8_t **ip, size_t *il, uint8_t **op, size_t *ol,
    int finish)
{
	struct zst *s = st;
	int r;

	s->z.next_in = (Bytef *)(uintptr_t)*ip;
	s->z.avail_in = (uInt)*il;
	s->z.next_out = *op;
	s->z.avail_out = (uInt)*ol;
	r = s->inflating ? inflate(&s->z, Z_NO_FLUSH)
			 : deflate(&s->z, finish ? Z_FINISH : Z_NO_FLUSH);
	*ip = s->z.next_in;
	*il = s->z.avail_in;
	*op = s->z.next_out;
	*ol = s->z.avail_out;
	if (r == Z_STREAM_END)
		return STEP_DONE;
	return r == Z_OK || r == Z_BUF_ERROR ? STEP_MORE : STEP_ERROR;
}

/* Where the pump writes, and its bounds. */
struct sink {
	int fd;
	int is_output; /* the client's output: output_write */
	uint64_t max;  /* bytes, 0: none */
	uint64_t written;
};

static int
sink_write(struct sink *k, const uint8_t *p, size_t n)
{
	if (n == 0)
		return 0;
	if (k->max != 0 && n > k->max - k->written)
		return -1;
	if ((k->is_output ? output_write(k->fd, p, n)
			  : util_write_all(k->fd, p, n)) == -1)
		return -2;
	k->written += n;
	return 0;
}

/*
 * Move the len bytes of in through step into k: 0, or -1 with err set.
 * A stream that ends before its input does, or input that ends before the
 * stream does, is an error: a module is one stream.
 */
static int
pump(step_fn step, void *st, int in, uint64_t len, struct sink *k,
    const char *what, char *err, size_t errlen)
{
	static uint8_t ibuf[CHUNK], obuf[CHUNK];
	const uint8_t *ip = ibuf;
	size_t il = 0;
	uint64_t off = 0;
	enum step s = STEP_MORE;

	while (s == STEP_MORE) {
		uint8_t *op = obuf;
		size_t ol = sizeof(obuf), made;
		int w;

		if (il == 0 && off < len) {
			il = len - off < CHUNK ? (size_t)(len - off) : CHUNK;
			if (artifact_pread(in, off, ibuf, il) == -1) {
				snprintf(err, errlen,
				    "%s: cannot read the "
				    "module",
				    what);
				return -1;
			}
			ip = ibuf;
			off += il;
		}
		s = step(st, &ip, &il, &op, &ol, off == len);
		made = sizeof(obuf) - ol;
		if (s == STEP_ERROR) {
			snprintf(err, errlen, "%s: corrupt compressed data",
			    what);
			return -1;
		}
		if ((w = sink_write(k, obuf, made)) == -1) {
			snprintf(err, errlen,
			    "%s: decompresses to more than "
			    "%llu bytes (MaxArtifactSize, or %u times its "
			    "size: a decompression bomb?)",
			    what, (unsigned long long)k->max,
			    (unsigned)COMP_MAX_RATIO);
			return -1;
		}
		if (w == -2) {
			snprintf(err, errlen, "%s: cannot write: %s", what,
			    strerror(errno));
			return -1;
		}
		if (s == STEP_MORE && off == len && il == 0 && made == 0) {
			snprintf(err, errlen,
			    "%s: the compressed data ends "
			    "early",
			    what);
			return -1;
		}
	}
	if (il != 0 || off != len) {
		snprintf(err, errlen, "%s: data after the compressed stream",
		    what);
		return -1;
	}
	return 0;
}

int
comp_decompress(enum comp_kind k, int in, uint64_t size, int out, uint64_t max,
    uint64_t *outlen, char *err, size_t errlen)
{
	struct sink snk = { .fd = out, .max = max };
	lzma_stream xz = LZMA_STREAM_INIT;
	struct zst zs = { .inflating = 1 };
	ZSTD_DStream *zd = NULL;
	const char *what = comp_name(k);
	int r = -1;

	if (size <= UINT64_MAX / COMP_MAX_RATIO &&
	    size * COMP_MAX_RATIO < snk.max)
		snk.max = size * COMP_MAX_RATIO;
	if (ftruncate(out, 0) == -1 || lseek(out, 0, SEEK_SET) == -1) {
		snprintf(err, errlen, "%s: scratch file: %s", what,
		    strerror(errno));
		return -1;
	}
	switch (k) {
	case COMP_XZ:
		if (lzma_stream_decoder(&xz, XZ_MEMLIMIT, 0) == LZMA_OK)
			r = pump(xz_step, &xz, in, size, &snk, what, err,
			    errlen);
		else
			snprintf(err, errlen, "xz: cannot start the decoder");
		lzma_end(&xz);
		break;
	case COMP_ZSTD:
		if ((zd = ZSTD_createDStream()) != NULL &&
		    !ZSTD_isError(ZSTD_initDStream(zd)))
			r = pump(zstd_dstep, zd, in, size, &snk, what, err,
			    errlen);
		else
			snprintf(err, errlen, "zstd: cannot start the decoder");
		ZSTD_freeDStream(zd);
		break;
	case COMP_GZIP:
		if (inflateInit2(&zs.z, 15 + 16) == Z_OK) {
			r = pump(zlib_step, &zs, in, size, &snk, what, err,
			    errlen);
			inflateEnd(&zs.z);
		} else {
			snprintf(err, errlen, "gzip: cannot start the decoder");
		}
		break;
	default:
		snprintf(err, errlen, "not compressed");
		break;
	}
	*outlen = snk.written;
	return r;
}

/* xz with the kernel's settings: LZMA2 preset 6, 1 MiB dictionary, CRC32. */
static int
xz_encoder(lzma_stream *z)
{
	lzma_options_lzma o;
	lzma_filter f[] = { { LZMA_FILTER_LZMA2, &o },
		{ LZMA_VLI_UNKNOWN, NULL } };

	if (lzma_lzma_preset(&o, 6))
		return -1;
	o.dict_size = 1u << 20;
	return lzma_stream_encoder(z, f, LZMA_CHECK_CRC32) == LZMA_OK ? 0 : -1;
}

int
comp_compress(enum comp_kind k, int in, uint64_t len, int out,
    uint64_t *written, char *err, size_t errlen)
{
	struct sink snk = { .fd = out, .is_output = 1 };
	lzma_stream xz = LZMA_STREAM_INIT;
	struct zst zs = { .inflating = 0 };
	ZSTD_CCtx *zc = NULL;
	const char *what = comp_name(k);
	int r = -1;

	switch (k) {
	case COMP_XZ:
		if (xz_encoder(&xz) == 0)
			r = pump(xz_step, &xz, in, len, &snk, what, err,
			    errlen);
		else
			snprintf(err, errlen, "xz: cannot start the encoder");
		lzma_end(&xz);
		break;
	case COMP_ZSTD:
		if ((zc = ZSTD_createCCtx()) != NULL &&
		    !ZSTD_isError(ZSTD_CCtx_setParameter(zc,
			ZSTD_c_compressionLevel, 3)) &&
		    !ZSTD_isError(
			ZSTD_CCtx_setParameter(zc, ZSTD_c_checksumFlag, 1)) &&
		    !ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(zc, len)))
			r = pump(zstd_cstep, zc, in, len, &snk, what, err,
			    errlen);
		else
			snprintf(err, errlen, "zstd: cannot start the encoder");
		ZSTD_freeCCtx(zc);
		break;
	case COMP_GZIP:
		if (deflateInit2(&zs.z, 6, Z_DEFLATED, 15 + 16, 8,
			Z_DEFAULT_STRATEGY) == Z_OK) {
			r = pump(zlib_step, &zs, in, len, &snk, what, err,
			    errlen);
			deflateEnd(&zs.z);
		} else {
			snprintf(err, errlen, "gzip: cannot start the encoder");
		}
		break;
	default:
		snprintf(err, errlen, "not compressed");
		break;
	}
	*written = snk.written;
	return r;
}
