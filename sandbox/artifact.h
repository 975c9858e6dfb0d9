/*
 * artifact: the descriptor a client passed for its artifact.  Only regular
 * files and pipes are accepted, never larger than the configured limit,
 * and they are hashed streaming in a fixed buffer.
 */
#ifndef CSIGN_ARTIFACT_H
#define CSIGN_ARTIFACT_H

#include <stddef.h>
#include <stdint.h>

struct stat;

/*
 * Architectures whose fstat system call fills glibc's struct stat as it
 * is; elsewhere artifact_fstat() is glibc's fstat() and the filter keeps
 * the flag-only newfstatat rule.
 */
#if defined(__x86_64__) && !defined(__ILP32__) || defined(__aarch64__)
#define SANDBOX_RAW_FSTAT 1
#else
#define SANDBOX_RAW_FSTAT 0
#endif

/*
 * fstat(2) as the fstat system call itself.  glibc's fstat() is
 * newfstatat(fd, "", AT_EMPTY_PATH), and a seccomp filter can check that
 * flag but not the path: newfstatat(AT_FDCWD, "/any/path", ...,
 * AT_EMPTY_PATH) looks the path up.  The filter allows fstat only
 * (sandbox/seccomp.c), so every fstat of the session child goes here.
 */
int artifact_fstat(int fd, struct stat *st);

/* Result of a failed check: a message for the client. */
struct artifact_err {
	char msg[256];
};

/*
 * Check fd with fstat (regular file or pipe, readable, at most max bytes
 * when the size is known).  0 with what fstat said in *st, or -1 with e
 * set.
 */
int artifact_check(int fd, uint64_t max, struct stat *st,
    struct artifact_err *e);

/*
 * Hash the artifact in fd with digest (enum csign_digest) into md
 * (DIGEST_MAX bytes), counting the bytes into *size; fails past max
 * bytes.  file_size is the size artifact_check() found for a regular
 * file, -1 for a pipe.  A regular file is hashed whole, from offset 0,
 * whatever the offset of the descriptor the client passed (and without
 * moving it); a pipe from where it stands to its end.  0 or -1 with e
 * set.
 */
int artifact_hash(int fd, int64_t file_size, int digest, uint64_t max,
    uint8_t *md, size_t *mdlen, uint64_t *size, struct artifact_err *e);

/*
 * Random access to a regular-file artifact (module and pe parsers), and
 * writing the signed artifact to the client's output descriptor.  All
 * return 0, or -1 if the range is not there (short file, read error).
 */
struct evp_md_ctx_st;
/* Read exactly len bytes at off. */
int artifact_pread(int fd, uint64_t off, void *dst, size_t len);
/*
 * Reads through windows, for the parsers' many small fields (section
 * headers, their names): a read inside a window already read is a copy,
 * else the least recently used window is read afresh from there (up to
 * ARTIFACT_WINDOW bytes); two windows, since parsers go back and forth
 * between a table and the strings it points into.  A read as large as a
 * window, or past what a window got, goes straight to the file.  One
 * parse's reads then see one snapshot of each window.  A reader is for
 * one descriptor and one parse: the file may change between requests.
 */
#define ARTIFACT_WINDOW (32u << 10)
struct artifact_win {
	int fd;		    /* -1: reads come from mem */
	const uint8_t *mem; /* artifact_win_init_mem() */
	uint64_t memlen;
	unsigned tick;
	struct {
		uint64_t off;
		size_t len;
		unsigned used;
		uint8_t buf[ARTIFACT_WINDOW];
	} w[2];
};
void artifact_win_init(struct artifact_win *r, int fd);
/*
 * The same reader over bytes already in memory (a module read whole
 * before it is checked, so that the check sees the very bytes signed):
 * a read past len fails as one past the end of a file would.
 */
void artifact_win_init_mem(struct artifact_win *r, const uint8_t *p,
    uint64_t len);
/* As artifact_pread(): exactly len bytes at off, 0 or -1. */
int artifact_win_read(struct artifact_win *r, uint64_t off, void *dst,
    size_t len);
/*
 * The one scratch buffer of every chunked read (artifact_hash() and
 * artifact_chunks(), which never nest, and nothing keeps a pointer into
 * it past a chunk) is touched all through by artifact_scratch_warm()
 * while the child waits in the pool: a page faulted in during a client's
 * request costs about 10 us on the development VM, and a buffer per loop
 * had the one-shot PE signature fault in 57 of them.
 */
void artifact_scratch_warm(void);
/*
 * Map in the pages of p[0..len) (fresh heap) with one system call rather
 * than a fault each: about 2.4 times cheaper a page here.  A hint: where
 * the kernel cannot, the pages fault in as they are written.
 */
void artifact_prefault(void *p, size_t len);
/*
 * Read bytes [off, off + len) of fd a scratch buffer at a time (the
 * chunked read of every loop that hashes, copies or compares a range) and
 * hand each chunk, with its offset in the file, to fn, which returns 0 to
 * go on or a positive value to stop.  0 once all of it was handed over;
 * -1 if a read failed (the range is not all there: the file shrank);
 * else fn's value.
 */
typedef int artifact_chunk_fn(void *arg, const uint8_t *p, size_t len,
    uint64_t off);
int artifact_chunks(int fd, uint64_t off, uint64_t len, artifact_chunk_fn *fn,
    void *arg);
/* Feed bytes [off, off + len) to ctx. */
int artifact_hash_range(int fd, struct evp_md_ctx_st *ctx, uint64_t off,
    uint64_t len);
/* Copy bytes [off, off + len) to outfd. */
int artifact_copy_range(int fd, int outfd, uint64_t off, uint64_t len);
/* Write all of p[0..len) to outfd. */
int output_write(int outfd, const void *p, size_t len);

/*
 * Progress of long work.  Every byte read or written above is counted;
 * once the first bytes have moved, fn (if set) is called at most once a
 * second with the bytes moved so far, for the session child to tell the
 * monitor that it is busy, not idle (a hash of gigabytes, a slow pipe, an
 * inline upload).  artifact_set_progress() also starts the count afresh.
 */
typedef void (*artifact_progress_fn)(uint64_t bytes);
void artifact_set_progress(artifact_progress_fn fn);
/* Count n more bytes moved (for work not done through this file). */
void artifact_progress(uint64_t n);

#endif
