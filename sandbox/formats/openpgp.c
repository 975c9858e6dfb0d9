/*
 * openpgp.c: the formats openpgp (a detached v4 signature of type 0x00
 * over the artifact's bytes, binary or armoured) and openpgp-clear (a
 * cleartext signature of type 0x01 over the canonical text, written with
 * the dash-escaped text to the output, as APT's InRelease).  Both hash
 * the artifact here, in the child, and ask the monitor to sign only the
 * final digest; the audit record names the digest of the artifact's
 * bytes as they came.  Both go in two steps (formats.h), so that a batch
 * hashes its next file while the token signs this one.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto/frame.h"
#include "proto/sigcheck.h"
#include "sandbox/artifact.h"
#include "sandbox/formats/formats.h"
#include "sandbox/formats/openpgp.h"

#define PGP_CHUNK 65536
#define PGP_SIG_PACKET_MAX 2048
#define CLEAR_FLUSH 32768 /* text bytes gathered before a write */

/* What reading the artifact feeds: the signed hash and the audit one. */
struct pgp_read {
	EVP_MD_CTX *sig;	 /* NULL for openpgp-clear (pgp_clear has it) */
	EVP_MD_CTX *audit;	 /* the artifact's bytes as they came */
	struct pgp_clear *clear; /* openpgp-clear: the canonicaliser */
};

/* Feed one chunk of the artifact to whatever reads it; 0 or -1. */
static int
read_feed(struct pgp_read *r, const uint8_t *p, size_t n)
{
	if (EVP_DigestUpdate(r->audit, p, n) != 1)
		return -1;
	if (r->clear != NULL)
		return pgp_clear_feed(r->clear, p, n);
	return EVP_DigestUpdate(r->sig, p, n) == 1 ? 0 : -1;
}

/*
 * Read the whole artifact (a file from offset 0, a pipe to its end) into
 * r, counting it in out->size.  -1 with out's status set.
 */
static int
read_artifact(const struct sign_input *in, struct sign_output *out,
    struct pgp_read *r)
{
	static uint8_t chunk[PGP_CHUNK];
	ssize_t n;

	for (out->size = 0;; out->size += (uint64_t)n) {
		do
			n = in->fd_is_file ? pread(in->fd, chunk, sizeof(chunk),
						 (off_t)out->size)
					   : read(in->fd, chunk, sizeof(chunk));
		while (n == -1 && errno == EINTR);
		if (n == -1)
			return sign_fail(out, ST_BAD_ARTIFACT,
			    "artifact: read: %s", strerror(errno));
		if (n == 0)
			return 0;
		if (out->size + (uint64_t)n > in->max_size)
			return sign_fail(out, ST_BAD_ARTIFACT,
			    "artifact is over the limit of %llu bytes "
			    "(MaxArtifactSize)",
			    (unsigned long long)in->max_size);
		artifact_progress((uint64_t)n);
		if (read_feed(r, chunk, (size_t)n) == -1)
			return -1; /* the caller says why */
	}
}

int
openpgp_check(const struct sign_input *in, struct sign_output *out,
    struct pgp_key *k)
{
	if (in->pem)
		return sign_fail(out, ST_BAD_REQUEST,
		    "--pem does not apply to "
		    "OpenPGP signatures (use --armor)");
	if (in->padding == PAD_PSS)
		return sign_fail(out, ST_BAD_REQUEST,
		    "key %s uses RSA-PSS, "
		    "which OpenPGP v4 signatures cannot carry",
		    in->key);
	/* csignd -t makes every key that allows openpgp have one. */
	if (in->pgp_created == 0)
		return sign_fail(out, ST_DENIED,
		    "key %s does not allow OpenPGP signatures (it has no "
		    "OpenPGP identity in csignd.conf)",
		    in->key);
	if (pgp_hash_algo(in->digest) == -1)
		return sign_fail(out, ST_BAD_REQUEST,
		    "digest %s has no OpenPGP number", digest_name(in->digest));
	if (pgp_key_from_pkey(in->pub, in->pgp_created, k) == -1)
		return sign_fail(out, ST_BAD_REQUEST,
		    "key %s: OpenPGP takes RSA and ECDSA keys on P-256, "
		    "P-384 and P-521 only",
		    in->key);
	return 0;
}

uint32_t
openpgp_now(const struct sign_input *in)
{
	time_t now = time(NULL);

	if (now < (time_t)in->pgp_created)
		return in->pgp_created;
	return now > (time_t)UINT32_MAX ? UINT32_MAX : (uint32_t)now;
}

/*
 * Finish both hashes: the trailer into sig, whose digest goes to tbs
 * (DIGEST_MAX bytes), what the key signs; audit's is the artifact's, for
 * the record.  0, or -1 with out's status set.
 */
static int
finish_hashes(struct sign_output *out, const struct pgp_sig *s, EVP_MD_CTX *sig,
    EVP_MD_CTX *audit, uint8_t *tbs, size_t *tbslen)
{
	unsigned int tlen = 0, alen = 0;

	if (pgp_sig_trailer(s, sig) == -1 ||
	    EVP_DigestFinal_ex(sig, tbs, &tlen) != 1 ||
	    EVP_DigestFinal_ex(audit, out->adigest, &alen) != 1)
		return sign_fail(out, ST_INTERNAL, "cannot hash the artifact");
	*tbslen = tlen;
	out->adigestlen = alen;
	return 0;
}

int
openpgp_sign(const struct sign_input *in, struct sign_output *out,
    const struct pgp_sig *s, EVP_MD_CTX *sig, EVP_MD_CTX *audit,
    struct buf *pkt)
{
	uint8_t tbs[DIGEST_MAX], sigbuf[SIG_MAX];
	size_t tlen = 0, siglen = sizeof(sigbuf);

	if (finish_hashes(out, s, sig, audit, tbs, &tlen) == -1 ||
	    signop_sign(in, out, tbs, tlen, sigbuf, &siglen) == -1)
		return -1;
	if (pgp_sig_packet(pkt, s, tbs, sigbuf, siglen) == -1)
		return sign_fail(out, ST_INTERNAL,
		    "cannot encode the OpenPGP signature");
	return 0;
}

int
openpgp_md_new(const struct sign_input *in, EVP_MD_CTX **a, EVP_MD_CTX **b)
{
	*a = EVP_MD_CTX_new();
	*b = EVP_MD_CTX_new();
	if (*a == NULL || *b == NULL ||
	    EVP_DigestInit_ex(*a, digest_md(in->digest), NULL) != 1 ||
	    EVP_DigestInit_ex(*b, digest_md(in->digest), NULL) != 1)
		return -1;
	return 0;
}

/* The text on its way to the output descriptor. */
struct clear_out {
	int fd;
	struct buf pending;
	uint64_t written;
};

/* Write what was gathered; 0 or -1. */
static int
clear_flush(struct clear_out *o)
{
	size_t n = buf_left(&o->pending);

	if (n > 0 && output_write(o->fd, buf_ptr(&o->pending), n) == -1)
		return -1;
	o->written += n;
	buf_reset(&o->pending);
	return 0;
}

/* pgp_clear's emit: gather text, write it in large pieces. */
static int
clear_emit(void *arg, const void *p, size_t len)
{
	struct clear_out *o = arg;

	if (buf_left(&o->pending) + len > CLEAR_FLUSH && clear_flush(o) == -1)
		return -1;
	if (len > CLEAR_FLUSH)
		return output_write(o->fd, p, len) == -1
		    ? -1
		    : (o->written += len, 0);
	return buf_put(&o->pending, p, len);
}

/* The text's header, then the text itself, canonicalised as it goes. */
static int
clear_text(const struct sign_input *in, struct sign_output *out,
    struct pgp_read *rd, struct clear_out *o)
{
	char head[80];
	int n;

	n = snprintf(head, sizeof(head),
	    "-----BEGIN PGP SIGNED MESSAGE-----\nHash: %s\n\n",
	    pgp_hash_name(in->digest));
	if (n < 0 || (size_t)n >= sizeof(head) ||
	    clear_emit(o, head, (size_t)n) == -1)
		return sign_fail(out, ST_INTERNAL, "cannot write the output");
	if (read_artifact(in, out, rd) == 0 && pgp_clear_finish(rd->clear) == 0)
		return 0;
	if (out->status != ST_OK)
		return -1;
	if (rd->clear->error != NULL)
		return sign_fail(out, ST_BAD_ARTIFACT,
		    "openpgp-clear: line %llu: %s (the text must be UTF-8 with "
		    "LF or CR LF line endings)",
		    (unsigned long long)rd->clear->line, rd->clear->error);
	return sign_fail(out, ST_INTERNAL, "cannot write the output");
}

/*
 * The first step of both formats: the request checked, the artifact (or
 * the text, written to the output as it goes) and the hashed part hashed;
 * tbs is what the key signs.
 */
int
openpgp_begin(const struct sign_input *in, struct sign_output *out,
    struct openpgp_job *j, uint8_t *tbs, size_t *tbslen)
{
	int clear = in->format == FMT_OPENPGP_CLEAR;
	struct clear_out o = { .fd = in->outfd };
	struct pgp_clear canon;
	struct pgp_read rd = { 0 };
	EVP_MD_CTX *sig = NULL;
	int r = -1;

	if (clear && (in->flags & SIGN_F_ARMOR))
		return sign_fail(out, ST_BAD_REQUEST,
		    "--armor: a cleartext "
		    "signature is always armoured");
	if (openpgp_check(in, out, &j->key) == -1)
		return -1;
	buf_init(&o.pending, CLEAR_FLUSH);
	if (openpgp_md_new(in, &sig, &rd.audit) == -1 ||
	    pgp_sig_init(&j->sig, clear ? PGP_SIG_TEXT : PGP_SIG_BINARY,
		in->digest, &j->key, openpgp_now(in)) == -1) {
		sign_fail(out, ST_INTERNAL, "cannot start the signature");
		goto done;
	}
	if (clear) {
		pgp_clear_init(&canon, sig, clear_emit, &o);
		rd.clear = &canon;
		/* The signature block follows the text's last line ending. */
		if (clear_text(in, out, &rd, &o) == -1)
			goto done;
		if (clear_flush(&o) == -1) {
			sign_fail(out, ST_INTERNAL, "cannot write the output");
			goto done;
		}
		j->written = o.written;
	} else {
		rd.sig = sig;
		if (read_artifact(in, out, &rd) == -1) {
			if (out->status == ST_OK)
				sign_fail(out, ST_INTERNAL,
				    "cannot hash the artifact");
			goto done;
		}
	}
	r = finish_hashes(out, &j->sig, sig, rd.audit, tbs, tbslen);
done:
	EVP_MD_CTX_free(sig);
	EVP_MD_CTX_free(rd.audit);
	buf_free(&o.pending);
	return r;
}

/*
 * The second: the packet with the checked signature, armoured if asked
 * (always after a cleartext, which goes to the output after the text).
 */
int
openpgp_end(const struct sign_input *in, struct sign_output *out,
    const struct openpgp_job *j, const uint8_t *tbs, const uint8_t *sig,
    size_t siglen)
{
	int clear = in->format == FMT_OPENPGP_CLEAR;
	struct buf pkt;
	int r = -1;

	buf_init(&pkt, PGP_SIG_PACKET_MAX);
	if (pgp_sig_packet(&pkt, &j->sig, tbs, sig, siglen) == -1) {
		sign_fail(out, ST_INTERNAL,
		    "cannot encode the OpenPGP signature");
		goto done;
	}
	if ((clear || (in->flags & SIGN_F_ARMOR))
		? pgp_armor(&out->data, "SIGNATURE", buf_ptr(&pkt),
		      buf_left(&pkt))
		: buf_put(&out->data, buf_ptr(&pkt), buf_left(&pkt))) {
		sign_fail(out, ST_INTERNAL, "cannot encode the signature");
		goto done;
	}
	if (clear) {
		if (output_write(in->outfd, buf_ptr(&out->data),
			buf_left(&out->data)) == -1) {
			sign_fail(out, ST_INTERNAL, "cannot write the output");
			goto done;
		}
		out->written = j->written + buf_left(&out->data);
	}
	r = 0;
done:
	buf_free(&pkt);
	return r;
}
