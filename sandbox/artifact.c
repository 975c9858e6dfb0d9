/* artifact.c: validate and hash an artifact descriptor (see artifact.h). */
#include "sandbox/artifact.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "proto/sigcheck.h"
#include "proto/names.h"

#define SCRATCH_SIZE (256u << 10)
#define PAGE_STEP 4096u

/* The chunk buffer of artifact_hash() and artifact_chunks() (artifact.h). */
static uint8_t scratch[SCRATCH_SIZE];

static artifact_progress_fn progress_fn;
static uint64_t progress_bytes; /* moved in this session */
static time_t progress_last;	/* monotonic second of the last report */

void
artifact_scratch_warm(void)
{
	volatile uint8_t *p = scratch;

	for (size_t i = 0; i < sizeof(scratch); i += PAGE_STEP)
		p[i] = 0;
}

void
artifact_prefault(void *p, size_t len)
{
	const uintptr_t mask = PAGE_STEP - 1;
	uintptr_t a = ((uintptr_t)p + mask) & ~mask;
	uintptr_t b = ((uintptr_t)p + len) & ~mask;

#ifdef MADV_POPULATE_WRITE
	if (b > a)
		(void)madvise((void *)a, b - a, MADV_POPULATE_WRITE);
#else
	(void)a;
	(void)b;
#endif
}

void
artifact_set_progress(artifact_progress_fn fn)
{
	progress_fn = fn;
	progress_bytes = 0;
	progress_last = 0;
}

/* Seconds on the monotonic clock. */
static time_t
progress_clock(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return ts.tv_sec;
}

void
artifact_progress(uint64_t n)
{
	time_t now;

	progress_bytes += n;
	if (progress_fn == NULL || n == 0)
		return;
	if ((now = progress_clock()) == progress_last)
		return;
	if (progress_last == 0) {
		/* The first bytes start the clock: reports follow each second. */
		progress_last = now;
		return;
	}
	progress_last = now;
	progress_fn(progress_bytes);
}

/* See artifact.h: the filter lets no path reach newfstatat. */
int
artifact_fstat(int fd, struct stat *st)
{
#if SANDBOX_RAW_FSTAT
	return (int)syscall(SYS_fstat, fd, st);
#else
	return fstat(fd, st);
#endif
}

int
artifact_check(int fd, uint64_t max, struct stat *stp, struct artifact_err *e)
{
	struct stat st;
	int fl;

	if (artifact_fstat(fd, &st) == -1) {
		snprintf(e->msg, sizeof(e->msg), "artifact: fstat: %s",
		    strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
		snprintf(e->msg, sizeof(e->msg),
		    "artifact is not a regular "
		    "file or a pipe");
		return -1;
	}
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    ((fl & O_ACCMODE) != O_RDONLY && (fl & O_ACCMODE) != O_RDWR)) {
		snprintf(e->msg, sizeof(e->msg),
		    "artifact descriptor is not "
		    "open for reading");
		return -1;
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
		snprintf(e->msg, sizeof(e->msg),
		    "artifact is %llu bytes, over "
		    "the limit of %llu (MaxArtifactSize)",
		    (unsigned long long)st.st_size, (unsigned long long)max);
		return -1;
	}
	*stp = st;
	return 0;
}

/*
 * The next chunk of the artifact: a regular file is read with pread from
 * off (the descriptor's own offset, shared with the client's open file,
 * is neither used nor moved), a pipe with read from where it stands.
 */
static ssize_t
hash_read(int fd, int is_file, uint8_t *p, size_t len, uint64_t off)
{
	ssize_t n;

	do
		n = is_file ? pread(fd, p, len, (off_t)off) : read(fd, p, len);
	while (n == -1 && errno == EINTR);
	return n;
}

int
artifact_hash(int fd, int64_t file_size, int digest, uint64_t max, uint8_t *md,
    size_t *mdlen, uint64_t *size, struct artifact_err *e)
{
	const size_t cap = sizeof(scratch);
	uint8_t *chunk = scratch;
	EVP_MD_CTX *ctx;
	unsigned int len = 0;
	ssize_t n;
	int r = -1, is_file = file_size >= 0;

	*size = 0;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, digest_md(digest), NULL) != 1) {
		snprintf(e->msg, sizeof(e->msg), "digest unavailable");
		goto out;
	}
	while ((n = hash_read(fd, is_file, chunk, cap, *size)) != 0) {
		if (n == -1) {
			snprintf(e->msg, sizeof(e->msg), "artifact: read: %s",
			    strerror(errno));
			goto out;
		}
		*size += (uint64_t)n;
		if (*size > max) {
			snprintf(e->msg, sizeof(e->msg),
			    "artifact is over the "
			    "limit of %llu bytes (MaxArtifactSize)",
			    (unsigned long long)max);
			goto out;
		}
		EVP_DigestUpdate(ctx, chunk, (size_t)n);
		artifact_progress((uint64_t)n);
		/*
		 * A short read of a regular file at or past the size fstat
		 * gave is its end: no further read just to be told so.  (A
		 * pipe's reads are short whenever the writer is slower, and
		 * some file systems, FUSE, may return short reads before the
		 * end: those go on reading.)
		 */
		if (is_file && (size_t)n < cap && *size >= (uint64_t)file_size)
			break;
	}
	if (EVP_DigestFinal_ex(ctx, md, &len) == 1) {
		*mdlen = len;
		r = 0;
	}
out:
	EVP_MD_CTX_free(ctx);
	return r;
}

int
artifact_pread(int fd, uint64_t off, void *dst, size_t len)
{
	uint8_t *p = dst;

	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
		artifact_progress((uint64_t)n);
	}
	return 0;
}

void
artifact_win_init(struct artifact_win *r, int fd)
{
	r->fd = fd;
	r->mem = NULL;
	r->memlen = 0;
	r->tick = 0;
	for (size_t i = 0; i < 2; i++) {
		r->w[i].len = 0;
		r->w[i].used = 0;
	}
}

/* Fill window i from off: what the file has there, up to a window. */
static int
win_fill(struct artifact_win *r, size_t i, uint64_t off)
{
	ssize_t n;

	r->w[i].len = 0;
	do
		n = pread(r->fd, r->w[i].buf, ARTIFACT_WINDOW, (off_t)off);
	while (n == -1 && errno == EINTR);
	if (n <= 0)
		return -1;
	r->w[i].off = off;
	r->w[i].len = (size_t)n;
	artifact_progress((uint64_t)n);
	return 0;
}

void
artifact_win_init_mem(struct artifact_win *r, const uint8_t *p, uint64_t len)
{
	artifact_win_init(r, -1);
	r->mem = p;
	r->memlen = len;
}

int
artifact_win_read(struct artifact_win *r, uint64_t off, void *dst, size_t len)
{
	size_t i;

	if (r->mem != NULL) {
		if (off > r->memlen || len > r->memlen - off)
			return -1;
		memcpy(dst, r->mem + off, len);
		return 0;
	}
	if (len >= ARTIFACT_WINDOW)
		return artifact_pread(r->fd, off, dst, len);
	r->tick++;
	for (i = 0; i < 2; i++)
		if (r->w[i].len > 0 && off >= r->w[i].off &&
		    off - r->w[i].off <= r->w[i].len &&
		    len <= r->w[i].len - (size_t)(off - r->w[i].off))
			break;
	if (i == 2) {
		i = r->w[0].used <= r->w[1].used ? 0 : 1;
		/* A little before off too: parsers also step back. */
		if (win_fill(r, i, off - off % 4096) == -1 ||
		    off - r->w[i].off > r->w[i].len ||
		    len > r->w[i].len - (size_t)(off - r->w[i].off))
			return artifact_pread(r->fd, off, dst, len);
	}
	r->w[i].used = r->tick;
	memcpy(dst, r->w[i].buf + (off - r->w[i].off), len);
	return 0;
}

int
artifact_chunks(int fd, uint64_t off, uint64_t len, artifact_chunk_fn *fn,
    void *arg)
{
	const size_t cap = sizeof(scratch);
	uint8_t *chunk = scratch;
	int r;

	while (len > 0) {
		size_t n = len < cap ? (size_t)len : cap;

		if (artifact_pread(fd, off, chunk, n) == -1)
			return -1;
		if ((r = fn(arg, chunk, n, off)) != 0)
			return r;
		off += n;
		len -= n;
	}
	return 0;
}

static int
hash_chunk(void *ctx, const uint8_t *p, size_t len, uint64_t off)
{
	(void)off;
	return EVP_DigestUpdate(ctx, p, len) == 1 ? 0 : 1;
}

int
artifact_hash_range(int fd, EVP_MD_CTX *ctx, uint64_t off, uint64_t len)
{
	return artifact_chunks(fd, off, len, hash_chunk, ctx) == 0 ? 0 : -1;
}

int
output_write(int outfd, const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len > 0) {
		ssize_t n = write(outfd, b, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		b += n;
		len -= (size_t)n;
		artifact_progress((uint64_t)n);
	}
	return 0;
}

static int
copy_chunk(void *outfd, const uint8_t *p, size_t len, uint64_t off)
{
	(void)off;
	return output_write(*(int *)outfd, p, len) == 0 ? 0 : 1;
}

int
artifact_copy_range(int fd, int outfd, uint64_t off, uint64_t len)
{
	return artifact_chunks(fd, off, len, copy_chunk, &outfd) == 0 ? 0 : -1;
}
