/*
 * module.c: a Linux kernel module with an appended signature, the same
 * bytes that the kernel's scripts/sign-file writes for the same RSA key
 * and certificate:
 *     module | PKCS#7 DER | struct module_signature | magic
 * (see elf.h for the trailer).  sign-file signs without signed attributes,
 * so the signature is over the digest of the module itself; the monitor
 * signs that digest and the PKCS#7 is built here around the certificate's
 * public key, as cms.c does.
 *
 * Order matters: everything that can be refused (the request, the ELF
 * checks, an old signature, the PKCS#7 skeleton) is refused before the
 * token signs, so that no audited signature is wasted; and the module is
 * hashed a second time as it is copied to the output (or, signed in
 * place, before the signature is appended to it), so that the bytes
 * written are the bytes that were signed even if the file changes.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/cms.h>

#include "proto/sigcheck.h"
#include "proto/frame.h"
#include "sandbox/artifact.h"
#include "sandbox/channel.h"
#include "sandbox/formats/compress.h"
#include "sandbox/formats/elf.h"
#include "sandbox/formats/formats.h"

#define MODSIG_CMS_MAX 65536 /* no certificates: a name, a signature */

CMS_ContentInfo *
modsig_cms_new(X509 *cert, EVP_PKEY *pub, int digest, int keyid)
{
	/* sign-file's flags, plus CMS_PARTIAL: the token signs, not us. */
	const unsigned int cflags =
	    CMS_NOCERTS | CMS_PARTIAL | CMS_BINARY | CMS_DETACHED | CMS_STREAM;
	const unsigned int sflags = CMS_NOCERTS | CMS_BINARY | CMS_NOSMIMECAP |
	    CMS_NOATTR | CMS_PARTIAL | (keyid ? CMS_USE_KEYID : 0);
	CMS_ContentInfo *cms;

	if (digest_md(digest) == NULL ||
	    (cms = CMS_sign(NULL, NULL, NULL, NULL, cflags)) == NULL)
		return NULL;
	if (CMS_add1_signer(cms, cert, pub, digest_md(digest), sflags) ==
	    NULL) {
		CMS_ContentInfo_free(cms);
		return NULL;
	}
	return cms;
}

int
modsig_cms_der(CMS_ContentInfo *cms, const uint8_t *sig, size_t siglen,
    struct buf *der)
{
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
	unsigned char *p = NULL;
	CMS_SignerInfo *si;
	int n, r = -1;

	if (sis == NULL || sk_CMS_SignerInfo_num(sis) != 1 ||
	    (si = sk_CMS_SignerInfo_value(sis, 0)) == NULL ||
	    siglen > INT_MAX ||
	    ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), sig,
		(int)siglen) != 1)
		return -1;
	if ((n = i2d_CMS_ContentInfo(cms, &p)) > 0 &&
	    buf_put(der, p, (size_t)n) == 0)
		r = 0;
	OPENSSL_free(p);
	return r;
}

/* 1 if descriptors a and b are the same file. */
static int
same_file(int a, int b)
{
	struct stat sa, sb;

	return artifact_fstat(a, &sa) == 0 && artifact_fstat(b, &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* What the request itself must satisfy, before any byte is read. */
static int
module_check_request(const struct sign_input *in, struct sign_output *out)
{
	if (!in->fd_is_file)
		return sign_fail(out, ST_BAD_ARTIFACT,
		    "a kernel module must "
		    "be a regular file, not a pipe");
	if (in->outfd < 0)
		return sign_fail(out, ST_BAD_REQUEST,
		    "module signing needs an "
		    "output descriptor");
	if (in->pem || (in->flags & SIGN_F_APPEND))
		return sign_fail(out, ST_BAD_REQUEST,
		    "--pem and --append do "
		    "not apply to module signatures");
	if (in->padding == PAD_PSS)
		return sign_fail(out, ST_BAD_REQUEST,
		    "key %s uses RSA-PSS; "
		    "kernel module signatures use RSA PKCS#1 v1.5 or ECDSA",
		    in->key);
	if ((in->flags & SIGN_F_KEYID) &&
	    X509_get0_subject_key_id(in->cert) == NULL)
		return sign_fail(out, ST_BAD_REQUEST,
		    "--keyid: the certificate "
		    "of key %s has no subject key identifier",
		    in->key);
	if ((in->flags & SIGN_F_INPLACE) && (in->flags & SIGN_F_REPLACE))
		return sign_fail(out, ST_BAD_REQUEST,
		    "--replace rewrites "
		    "the module; it cannot be signed in place");
	if (same_file(in->fd, in->outfd) != ((in->flags & SIGN_F_INPLACE) != 0))
		return sign_fail(out, ST_BAD_REQUEST,
		    (in->flags & SIGN_F_INPLACE)
			? "in-place signing needs the module itself as its "
			  "output descriptor"
			: "the output descriptor is the module itself");
	return 0;
}

/*
 * A module of at most this many bytes is read once, whole, into a kept
 * buffer, and checked, hashed and found again there: the ELF checks see
 * the very bytes that are signed, and the check before the output (the
 * file still holds them) is a comparison rather than a second hash.  The
 * largest module Debian ships (amdgpu.ko) is 19 MB.  A larger one is
 * checked and hashed from the file, and hashed again as it is written or
 * before the append.
 */
#define MODULE_KEEP_MAX (64u << 20)
#define MODULE_KEEP_MIN (64u << 10)
/* A kept buffer larger than this is given back after its request. */
#define MODULE_KEEP_REUSE (1u << 20)

/*
 * The kept buffers, one per request in flight (sandbox/pipeline.c keeps
 * two), reused from one request to the next: a buffer for each module
 * cost its allocation, the mapping of its pages and their release again
 * (a tenth of the children's CPU in a batch of small modules).  Each
 * grows to a power of two; one past MODULE_KEEP_REUSE is freed once its
 * request is done, so that a session keeps at most 2 MiB between
 * requests.
 */
static struct {
	uint8_t *p;
	size_t cap;
	int busy;
} keeps[2];

/* A free kept buffer of at least len bytes, or NULL (none free, no memory). */
static uint8_t *
keep_take(size_t len)
{
	size_t i, cap = MODULE_KEEP_MIN;

	for (i = 0; i < sizeof(keeps) / sizeof(keeps[0]) && keeps[i].busy; i++)
		;
	if (i == sizeof(keeps) / sizeof(keeps[0]))
		return NULL;
	if (keeps[i].cap < len) {
		while (cap < len)
			cap <<= 1;
		free(keeps[i].p);
		keeps[i].cap = 0;
		if ((keeps[i].p = malloc(cap)) == NULL)
			return NULL;
		keeps[i].cap = cap;
		artifact_prefault(keeps[i].p, cap);
	}
	keeps[i].busy = 1;
	return keeps[i].p;
}

/* p, from keep_take(), is free again (and freed if large). */
static void
keep_give(const uint8_t *p)
{
	for (size_t i = 0; i < sizeof(keeps) / sizeof(keeps[0]); i++) {
		if (keeps[i].p != p)
			continue;
		keeps[i].busy = 0;
		if (keeps[i].cap > MODULE_KEEP_REUSE) {
			free(keeps[i].p);
			keeps[i].p = NULL;
			keeps[i].cap = 0;
		}
	}
}

/*
 * The length of the module to sign (j->body): the whole file, or the file
 * without its old signatures with --replace; those bytes read into a kept
 * buffer (j->keep) when they fit; then the ELF checks on those bytes.
 */
static int
module_body(const struct sign_input *in, struct sign_output *out,
    struct module_job *j)
{
	struct artifact_err e;
	struct elf_module m;
	int n, r;

	if (modsig_strip(in->fd, in->size, &j->body, &n, &e) == -1)
		return sign_fail(out, ST_BAD_ARTIFACT, "%s", e.msg);
	if (n > 0 && !(in->flags & SIGN_F_REPLACE))
		return sign_fail(out, ST_BAD_ARTIFACT,
		    "the module already "
		    "carries a signature (--replace replaces it)");
	if (j->body > 0 && j->body <= MODULE_KEEP_MAX &&
	    (j->keep = keep_take((size_t)j->body)) != NULL) {
		if (artifact_pread(in->fd, 0, j->keep, (size_t)j->body) == -1)
			return sign_fail(out, ST_BAD_ARTIFACT,
			    "cannot read the module (did it shrink?)");
		r = elf_check_module_mem(j->keep, j->body, &m, &e);
	} else
		r = elf_check_module(in->fd, j->body, &m, &e);
	if (r == -1)
		return sign_fail(out, ST_BAD_ARTIFACT, "%s", e.msg);
	return 0;
}

/* Digest of bytes [0, len) of fd into md; 0 or -1. */
static int
module_digest(int fd, int digest, uint64_t len, EVP_MD_CTX *ctx, uint8_t *md,
    size_t *mdlen)
{
	unsigned int n = 0;

	if (EVP_DigestInit_ex(ctx, digest_md(digest), NULL) != 1 ||
	    artifact_hash_range(fd, ctx, 0, len) == -1 ||
	    EVP_DigestFinal_ex(ctx, md, &n) != 1)
		return -1;
	*mdlen = n;
	return 0;
}

/* Digest of the len kept bytes into md; 0 or -1. */
static int
module_digest_mem(int digest, const uint8_t *keep, uint64_t len,
    EVP_MD_CTX *ctx, uint8_t *md, size_t *mdlen)
{
	unsigned int n = 0;

	if (EVP_DigestInit_ex(ctx, digest_md(digest), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, keep, (size_t)len) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &n) != 1)
		return -1;
	*mdlen = n;
	return 0;
}

/*
 * The digest of the module bytes that get signed: what is audited; those
 * kept (keep), else read from the file.
 */
static int
module_hash(const struct sign_input *in, struct sign_output *out, uint64_t body,
    const uint8_t *keep)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int r;

	if (ctx == NULL)
		r = -1;
	else if (keep != NULL)
		r = module_digest_mem(in->digest, keep, body, ctx, out->adigest,
		    &out->adigestlen);
	else
		r = module_digest(in->fd, in->digest, body, ctx, out->adigest,
		    &out->adigestlen);
	EVP_MD_CTX_free(ctx);
	out->size = body;
	if (r == -1)
		return sign_fail(out, ST_BAD_ARTIFACT,
		    "cannot read the module "
		    "(did it shrink?)");
	return 0;
}

/* What module_copy() found. */
enum {
	COPY_FAILED = 1, /* a read or a write failed */
	COPY_CHANGED	 /* the bytes are not those signed */
};

struct module_copying {
	const uint8_t *kept; /* the bytes signed, else NULL: */
	EVP_MD_CTX *ctx;     /* hashed again */
	int outfd;
};

static int
copy_chunk(void *arg, const uint8_t *p, size_t len, uint64_t off)
{
	struct module_copying *c = arg;

	if (c->kept != NULL) {
		if (memcmp(p, c->kept + off, len) != 0)
			return COPY_CHANGED;
	} else if (EVP_DigestUpdate(c->ctx, p, len) != 1)
		return COPY_FAILED;
	return output_write(c->outfd, p, len) == -1 ? COPY_FAILED : 0;
}

/*
 * Copy [0, body) to the output, each chunk found again in the kept bytes,
 * else hashed again and the digest compared with the one signed: 0,
 * COPY_CHANGED or COPY_FAILED.
 */
static int
module_copy(const struct sign_input *in, const struct sign_output *out,
    uint64_t body, const uint8_t *kept)
{
	struct module_copying c = { kept, NULL, in->outfd };
	uint8_t md[DIGEST_MAX];
	unsigned int n = 0;
	int r;

	if (kept == NULL &&
	    ((c.ctx = EVP_MD_CTX_new()) == NULL ||
		EVP_DigestInit_ex(c.ctx, digest_md(in->digest), NULL) != 1)) {
		EVP_MD_CTX_free(c.ctx);
		return COPY_FAILED;
	}
	r = artifact_chunks(in->fd, 0, body, copy_chunk, &c);
	if (r == 0 && c.ctx != NULL) {
		if (EVP_DigestFinal_ex(c.ctx, md, &n) != 1)
			r = COPY_FAILED;
		else if (n != out->adigestlen ||
		    memcmp(md, out->adigest, n) != 0)
			r = COPY_CHANGED;
	}
	EVP_MD_CTX_free(c.ctx);
	return r == -1 ? COPY_FAILED : r;
}

/* Write module, PKCS#7 and trailer to the output descriptor. */
static int
module_write(const struct sign_input *in, struct sign_output *out,
    uint64_t body, const struct buf *der, const uint8_t *kept)
{
	uint8_t trailer[MODSIG_TRAILER_LEN];
	int r = module_copy(in, out, body, kept);

	if (r == COPY_CHANGED)
		return sign_fail(out, ST_BAD_ARTIFACT,
		    "the module changed "
		    "while it was being signed; the output is not usable");
	if (r != 0)
		return sign_fail(out, ST_INTERNAL,
		    "cannot copy the module to "
		    "the output");
	modsig_encode((uint32_t)buf_left(der), trailer);
	if (output_write(in->outfd, buf_ptr(der), buf_left(der)) == -1 ||
	    output_write(in->outfd, trailer, sizeof(trailer)) == -1)
		return sign_fail(out, ST_INTERNAL,
		    "cannot write the signed "
		    "module");
	out->written = body + buf_left(der) + sizeof(trailer);
	return 0;
}

static int
same_chunk(void *kept, const uint8_t *p, size_t len, uint64_t off)
{
	return memcmp(p, *(const uint8_t **)kept + off, len) == 0 ? 0 : 1;
}

/* 1 if bytes [0, len) of fd are still kept[0..len). */
static int
module_same(int fd, const uint8_t *kept, uint64_t len)
{
	return artifact_chunks(fd, 0, len, same_chunk, &kept) == 0;
}

/* 1 if bytes [0, len) of fd still have the digest out signed. */
static int
module_same_digest(const struct sign_input *in, const struct sign_output *out,
    uint64_t len)
{
	uint8_t md[DIGEST_MAX];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t mdlen = 0;
	int r;

	r = ctx == NULL
	    ? -1
	    : module_digest(in->fd, in->digest, len, ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	return r == 0 && mdlen == out->adigestlen &&
	    memcmp(md, out->adigest, mdlen) == 0;
}

/*
 * In place: append PKCS#7 and trailer to the module itself, in one
 * write at its end, once its bytes are found to be those signed (the
 * kept copy, else their digest) and its length unchanged.  A write that
 * fails part way is cut off again, leaving the module as it was.
 */
static int
module_append(const struct sign_input *in, struct sign_output *out,
    uint64_t body, const struct buf *der, const uint8_t *kept)
{
	size_t derlen = buf_left(der), len;
	struct stat st;
	uint8_t *tail;
	ssize_t n;

	if (!(kept != NULL ? module_same(in->fd, kept, body)
			   : module_same_digest(in, out, body)) ||
	    artifact_fstat(in->outfd, &st) == -1 ||
	    (uint64_t)st.st_size != body)
		return sign_fail(out, ST_BAD_ARTIFACT,
		    "the module changed "
		    "while it was being signed; it was left as it was");
	len = derlen + MODSIG_TRAILER_LEN;
	if ((tail = malloc(len)) == NULL)
		return sign_fail(out, ST_INTERNAL, "out of memory");
	memcpy(tail, buf_ptr(der), derlen);
	modsig_encode((uint32_t)derlen, tail + derlen);
	n = pwrite(in->outfd, tail, len, (off_t)body);
	free(tail);
	if (n != (ssize_t)len) {
		const char *why = n == -1 ? strerror(errno) : "short write";

		if (n > 0 && ftruncate(in->outfd, (off_t)body) == -1)
			why = "short write, and the module could not be cut "
			      "back to its length";
		return sign_fail(out, ST_INTERNAL,
		    "cannot append the signature to the module: %s", why);
	}
	artifact_progress(len);
	out->written = body + len;
	return 0;
}

/*
 * The scratch files of a compressed module (sandbox/channel.h), a pair
 * for each request in flight: the module decompressed, and signed before
 * it is compressed again.
 */
static const int scratch_pair[][2] = {
	{ SCRATCH_DEC_FD, SCRATCH_ENC_FD },
	{ SCRATCH_DEC2_FD, SCRATCH_ENC2_FD },
};
static int scratch_busy[sizeof(scratch_pair) / sizeof(scratch_pair[0])];

/*
 * A compressed module: decompressed into a free scratch pair (bounded by
 * MaxArtifactSize and COMP_MAX_RATIO), j->plain the request on it, whose
 * output is the pair's second file.
 */
static int
module_decompress(const struct sign_input *in, struct sign_output *out,
    enum comp_kind k, struct module_job *j)
{
	char err[MESSAGE_MAX + 1];
	uint64_t len = 0;
	size_t i;
	int dec, enc;

	if (module_check_request(in, out) == -1)
		return -1;
	if (in->flags & SIGN_F_INPLACE)
		return sign_fail(out, ST_BAD_REQUEST,
		    "a compressed module "
		    "cannot be signed in place");
	for (i = 0; i < sizeof(scratch_busy) / sizeof(scratch_busy[0]); i++)
		if (!scratch_busy[i])
			break;
	if (i == sizeof(scratch_busy) / sizeof(scratch_busy[0]))
		return sign_fail(out, ST_INTERNAL,
		    "no scratch file free for a compressed module");
	scratch_busy[i] = 1;
	j->pair = (int)i + 1;
	j->comp = k;
	dec = scratch_pair[i][0];
	enc = scratch_pair[i][1];
	if (comp_decompress(k, in->fd, in->size, dec, in->max_size, &len, err,
		sizeof(err)) == -1)
		return sign_fail(out, ST_BAD_ARTIFACT, "%s", err);
	if (ftruncate(enc, 0) == -1 || lseek(enc, 0, SEEK_SET) == -1)
		return sign_fail(out, ST_INTERNAL,
		    "cannot reset the scratch "
		    "file");
	j->plain = *in;
	j->plain.fd = dec;
	j->plain.size = len;
	j->plain.outfd = enc;
	return 0;
}

int
module_begin(const struct sign_input *in, struct sign_output *out,
    struct module_job *j)
{
	enum comp_kind k =
	    in->fd_is_file ? comp_detect(in->fd, in->size) : COMP_NONE;

	memset(j, 0, sizeof(*j));
	if (k != COMP_NONE) {
		if (module_decompress(in, out, k, j) == -1)
			return -1;
		in = &j->plain;
	}
	if (module_check_request(in, out) == -1 ||
	    module_body(in, out, j) == -1)
		return -1;
	if (module_hash(in, out, j->body, j->keep) == -1)
		return -1;
	if ((j->cms = modsig_cms_new(in->cert, in->pub, in->digest,
		 (in->flags & SIGN_F_KEYID) != 0)) == NULL)
		return sign_fail(out, ST_INTERNAL,
		    "cannot build the PKCS#7 structure");
	return 0;
}

int
module_end(const struct sign_input *in, struct sign_output *out,
    struct module_job *j, const uint8_t *sig, size_t siglen)
{
	struct buf der;
	int r;

	const struct sign_input *mod = j->pair ? &j->plain : in;
	char err[MESSAGE_MAX + 1];
	uint64_t written = 0;

	buf_init(&der, MODSIG_CMS_MAX);
	if (modsig_cms_der(j->cms, sig, siglen, &der) == -1)
		r = sign_fail(out, ST_INTERNAL,
		    "cannot encode the PKCS#7 signature");
	else
		r = (mod->flags & SIGN_F_INPLACE)
		    ? module_append(mod, out, j->body, &der, j->keep)
		    : module_write(mod, out, j->body, &der, j->keep);
	buf_free(&der);
	/* A compressed module goes to the output compressed again. */
	if (r == 0 && j->pair) {
		if (comp_compress((enum comp_kind)j->comp, mod->outfd,
			out->written, in->outfd, &written, err,
			sizeof(err)) == -1)
			return sign_fail(out, ST_INTERNAL, "%s", err);
		out->written = written;
	}
	return r;
}

void
module_job_free(struct module_job *j)
{
	if (j->keep != NULL)
		keep_give(j->keep);
	CMS_ContentInfo_free(j->cms);
	if (j->pair)
		scratch_busy[j->pair - 1] = 0;
	memset(j, 0, sizeof(*j));
}
