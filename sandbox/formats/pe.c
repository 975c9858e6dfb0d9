/*
 * pe.c: Authenticode signatures embedded in PE/COFF images (PE32 and
 * PE32+: UEFI applications and drivers, the kernel's EFI stub, Windows
 * executables and DLLs), as checked by sbverify and osslsigncode verify.
 *
 * The image is parsed and hashed here (pe_parse.c), the PKCS#7 structure
 * is built around the certificate's public key (authenticode.c), the
 * monitor signs the digest of its signed attributes, and the signed image
 * is written to the client's output descriptor:
 *
 *   image bytes up to the old certificate table (or the end of file), with
 *     CheckSum and the certificate-table directory entry rewritten,
 *   zero padding to 8 bytes (part of the hashed image),
 *   with --append, the existing WIN_CERTIFICATE entries, unchanged,
 *   the new WIN_CERTIFICATE (revision 2.0, PKCS_SIGNED_DATA; dwLength
 *     without padding, as sbsign writes it), padded to 8 bytes.
 *
 * The certificate table is outside the hashed image, so an appended
 * signature covers the same digest as those already there.  The output is
 * written once, front to back (it may be a pipe); the checksum is summed
 * while hashing so that the headers can be written first.
 *
 * The input is the client's file, which another process may rewrite while
 * it is signed.  So the output is hashed and summed again as it is
 * written, from the very bytes written: its image digest must be the one
 * the token signed and its checksum the one written in its header, or the
 * request fails (bad artifact) and the client keeps no output.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "proto/sigcheck.h"
#include "proto/frame.h"
#include "sandbox/artifact.h"
#include "sandbox/formats/authenticode.h"
#include "sandbox/formats/formats.h"
#include "sandbox/formats/pe_parse.h"
#include "sandbox/tsa.h"

/* Where everything goes in the signed image. */
struct pe_layout {
	uint64_t table_off; /* the certificate table */
	uint64_t kept;	    /* bytes of old entries kept (append) */
	uint64_t kept_pad;  /* zeros after them, to 8 bytes */
	uint32_t entry_len; /* dwLength of the new entry */
	uint64_t entry_pad; /* zeros after it, to 8 bytes */
	uint64_t table_size;
	uint64_t total;
};

/* The output as it is written, hashed and summed again (see above). */
struct pe_out {
	int outfd;
	EVP_MD_CTX *md;	   /* image digest of the output */
	struct pe_csum cs; /* its checksum, CheckSum left out */
	uint64_t off;	   /* bytes written */
	int read_failed;   /* the input was cut short */
};

/* How written bytes count: in the image digest, in the checksum. */
#define PE_HASHED 0x1u
#define PE_SUMMED 0x2u
#define PE_IMAGE (PE_HASHED | PE_SUMMED)

static const uint8_t zeros[PE_CERT_ALIGN];

/* Little-endian u32 at p. */
static void
le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Bytes needed after len to reach a multiple of 8. */
static uint64_t
pad8(uint64_t len)
{
	return (PE_CERT_ALIGN - len % PE_CERT_ALIGN) % PE_CERT_ALIGN;
}

/*
 * Check the request against the image before anything is signed: an
 * existing signature needs --replace or --append, and the signed image
 * must stay addressable with 32-bit offsets (SIG_ROOM is far more than
 * any PKCS#7 blob with a certificate chain needs).
 */
#define SIG_ROOM (64u << 10)
static int
pe_check_request(const struct sign_input *in, struct sign_output *out,
    const struct pe_image *img)
{
	uint64_t end = pe_padded_end(img);

	if (in->flags & SIGN_F_APPEND)
		end += img->cert_size + pad8(img->cert_size);
	if (end + SIG_ROOM > PE_MAX_FILE)
		return sign_fail(out, ST_BAD_ARTIFACT,
		    "pe: the image (%llu "
		    "bytes) leaves no room below 4 GiB for a certificate "
		    "table",
		    (unsigned long long)img->filesize);
	if (!pe_is_signed(img) ||
	    (in->flags & (SIGN_F_REPLACE | SIGN_F_APPEND)))
		return 0;
	return sign_fail(out, ST_BAD_ARTIFACT,
	    "pe: the image is already "
	    "signed (%u WIN_CERTIFICATE entr%s at 0x%x); use --replace to "
	    "replace the signature or --append to add one",
	    img->cert_entries, img->cert_entries == 1 ? "y" : "ies",
	    img->cert_off);
}

/* Lay out the certificate table for a PKCS#7 blob of derlen bytes. */
static int
pe_plan(const struct sign_input *in, struct sign_output *out,
    const struct pe_image *img, size_t derlen, struct pe_layout *l)
{
	memset(l, 0, sizeof(*l));
	l->table_off = pe_padded_end(img);
	if ((in->flags & SIGN_F_APPEND) && pe_is_signed(img)) {
		l->kept = img->cert_size;
		l->kept_pad = pad8(l->kept);
	}
	if (derlen > PE_MAX_FILE - PE_WIN_CERT_HDR)
		return sign_fail(out, ST_INTERNAL, "pe: signature too large");
	l->entry_len = (uint32_t)(PE_WIN_CERT_HDR + derlen);
	l->entry_pad = pad8(l->entry_len);
	l->table_size = l->kept + l->kept_pad + l->entry_len + l->entry_pad;
	l->total = l->table_off + l->table_size;
	if (l->total > PE_MAX_FILE)
		return sign_fail(out, ST_BAD_ARTIFACT,
		    "pe: the signed image "
		    "would be %llu bytes, over the 4 GiB a PE image can "
		    "address",
		    (unsigned long long)l->total);
	return 0;
}

/* The new WIN_CERTIFICATE header. */
static void
pe_entry_header(const struct pe_layout *l, uint8_t h[PE_WIN_CERT_HDR])
{
	le32(h, l->entry_len);
	h[4] = PE_WIN_CERT_REVISION_2_0 & 0xff;
	h[5] = PE_WIN_CERT_REVISION_2_0 >> 8;
	h[6] = PE_WIN_CERT_TYPE_PKCS_SIGNED_DATA & 0xff;
	h[7] = PE_WIN_CERT_TYPE_PKCS_SIGNED_DATA >> 8;
}

/*
 * The checksum of the signed image: cs already holds every hashed byte;
 * add the new directory entry, the kept entries and the new entry (the
 * CheckSum field and all padding are zero and add nothing).
 */
static int
pe_checksum(int fd, const struct pe_image *img, const struct pe_layout *l,
    const uint8_t *der, size_t derlen, struct pe_csum *cs, uint32_t *sum)
{
	uint8_t dir[8], h[PE_WIN_CERT_HDR];
	uint64_t entry_off = l->table_off + l->kept + l->kept_pad;

	le32(dir, (uint32_t)l->table_off);
	le32(dir + 4, (uint32_t)l->table_size);
	pe_csum_add(cs, img->certdir_off, dir, sizeof(dir));
	if (l->kept > 0 && pe_csum_range(fd, img->cert_off, l->kept, cs) == -1)
		return -1;
	pe_entry_header(l, h);
	pe_csum_add(cs, entry_off, h, sizeof(h));
	pe_csum_add(cs, entry_off + sizeof(h), der, derlen);
	*sum = pe_csum_final(cs, l->total);
	return 0;
}

/* Write p[0..len) to the output, counting it as how says. */
static int
pe_emit(struct pe_out *w, const uint8_t *p, size_t len, unsigned how)
{
	if (output_write(w->outfd, p, len) == -1)
		return -1;
	if ((how & PE_HASHED) && EVP_DigestUpdate(w->md, p, len) != 1)
		return -1;
	if (how & PE_SUMMED)
		pe_csum_add(&w->cs, w->off, p, len);
	w->off += len;
	return 0;
}

struct pe_copying {
	struct pe_out *w;
	unsigned how;
};

static int
copy_chunk(void *arg, const uint8_t *p, size_t len, uint64_t off)
{
	struct pe_copying *c = arg;

	(void)off;
	return pe_emit(c->w, p, len, c->how) == 0 ? 0 : 1;
}

/* Copy bytes [off, off + len) of the input to the output, as pe_emit. */
static int
pe_copy(struct pe_out *w, int fd, uint64_t off, uint64_t len, unsigned how)
{
	struct pe_copying c = { w, how };
	int r = artifact_chunks(fd, off, len, copy_chunk, &c);

	if (r == -1)
		w->read_failed = 1;
	return r == 0 ? 0 : -1;
}

/*
 * Write the signed image, front to back: the image with CheckSum and the
 * certificate-table entry rewritten (both left out of the digest, the
 * entry summed), its padding, the kept entries and the new one (summed
 * only).
 */
static int
pe_write(int fd, struct pe_out *w, const struct pe_image *img,
    const struct pe_layout *l, uint32_t cksum, const uint8_t *der,
    size_t derlen)
{
	uint8_t ck[4], dir[8], h[PE_WIN_CERT_HDR];
	uint32_t after_ck = img->checksum_off + 4;
	uint32_t after_dir = img->certdir_off + 8;

	le32(ck, cksum);
	le32(dir, (uint32_t)l->table_off);
	le32(dir + 4, (uint32_t)l->table_size);
	pe_entry_header(l, h);
	if (pe_copy(w, fd, 0, img->checksum_off, PE_IMAGE) == -1 ||
	    pe_emit(w, ck, sizeof(ck), 0) == -1 ||
	    pe_copy(w, fd, after_ck, img->certdir_off - after_ck, PE_IMAGE) ==
		-1 ||
	    pe_emit(w, dir, sizeof(dir), PE_SUMMED) == -1 ||
	    pe_copy(w, fd, after_dir, img->data_end - after_dir, PE_IMAGE) ==
		-1 ||
	    pe_emit(w, zeros, l->table_off - img->data_end, PE_IMAGE) == -1)
		return -1;
	if (l->kept > 0 &&
	    (pe_copy(w, fd, img->cert_off, l->kept, PE_SUMMED) == -1 ||
		pe_emit(w, zeros, l->kept_pad, PE_SUMMED) == -1))
		return -1;
	if (pe_emit(w, h, sizeof(h), PE_SUMMED) == -1 ||
	    pe_emit(w, der, derlen, PE_SUMMED) == -1 ||
	    pe_emit(w, zeros, l->entry_pad, PE_SUMMED) == -1)
		return -1;
	return 0;
}

/*
 * Write the signed image and check what was written: the digest the
 * token signed, the checksum in the header, the planned length.  The
 * client keeps the output only if this succeeds.
 */
static int
pe_write_checked(const struct sign_input *in, struct sign_output *out,
    const struct pe_image *img, const struct pe_layout *l, uint32_t cksum,
    const uint8_t *der, size_t derlen)
{
	struct pe_out w = { .outfd = in->outfd };
	uint8_t md[DIGEST_MAX];
	unsigned int mdlen = 0;
	int r = -1, wrote;

	if ((w.md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(w.md, digest_md(in->digest), NULL) != 1) {
		EVP_MD_CTX_free(w.md);
		return sign_fail(out, ST_INTERNAL, "pe: digest unavailable");
	}
	wrote = pe_write(in->fd, &w, img, l, cksum, der, derlen) == 0 &&
	    EVP_DigestFinal_ex(w.md, md, &mdlen) == 1;
	EVP_MD_CTX_free(w.md);
	if (!wrote && !w.read_failed)
		sign_fail(out, ST_INTERNAL,
		    "pe: cannot write the signed image");
	else if (!wrote || mdlen != out->adigestlen ||
	    memcmp(md, out->adigest, mdlen) != 0 ||
	    pe_csum_final(&w.cs, w.off) != cksum || w.off != l->total)
		sign_fail(out, ST_BAD_ARTIFACT,
		    "pe: the image changed while "
		    "it was being signed; the output is not usable");
	else
		r = 0;
	return r;
}

/* The token goes in as the RFC 3161 counter-signature. */
static int
pe_add_timestamp(void *ac, const uint8_t *tok, size_t toklen)
{
	return authenticode_add_timestamp(ac, tok, toklen);
}

/*
 * The image's checks and digest, and the Authenticode structure around
 * it: tbs (DIGEST_MAX bytes) is what the key signs.
 */
int
pe_begin(const struct sign_input *in, struct sign_output *out, struct pe_job *j,
    uint8_t *tbs, size_t *tbslen)
{
	struct pe_err e;

	memset(j, 0, sizeof(*j));
	if (!in->fd_is_file)
		return sign_fail(out, ST_BAD_ARTIFACT,
		    "pe format needs a "
		    "regular file");
	if (in->outfd == -1)
		return sign_fail(out, ST_INTERNAL, "pe: no output descriptor");
	if (in->pem || (in->flags & SIGN_F_KEYID))
		return sign_fail(out, ST_BAD_REQUEST,
		    "%s does not apply to pe "
		    "signatures",
		    in->pem ? "--pem" : "--keyid");
	if (in->padding == PAD_PSS)
		return sign_fail(out, ST_BAD_REQUEST,
		    "pe: RSA-PSS keys are "
		    "not supported: Authenticode verifiers (UEFI, sbverify) "
		    "expect PKCS#1 v1.5");
	out->size = in->size;
	if (pe_parse(in->fd, in->size, &j->img, &e) == -1)
		return sign_fail(out, ST_BAD_ARTIFACT, "%s", e.msg);
	if (pe_check_request(in, out, &j->img) == -1)
		return -1;
	if (pe_digest(in->fd, &j->img, in->digest, out->adigest,
		&out->adigestlen, &j->cs, &e) == -1)
		return sign_fail(out, ST_BAD_ARTIFACT, "%s", e.msg);
	if (authenticode_build(&j->ac, in->cert, in->pub, in->chain, in->digest,
		out->adigest, out->adigestlen) == -1 ||
	    authenticode_tbs(&j->ac, tbs, tbslen) == -1)
		return sign_fail(out, ST_INTERNAL,
		    "cannot build the Authenticode "
		    "structure");
	return 0;
}

/*
 * The checked signature sig into the structure (with the request's
 * timestamp, if any), the certificate table laid out and summed, and
 * the signed image written.
 */
int
pe_end(const struct sign_input *in, struct sign_output *out, struct pe_job *j,
    const uint8_t *sig, size_t siglen)
{
	struct pe_layout l;
	uint8_t *der = NULL;
	size_t derlen = 0;
	uint32_t cksum;
	int r = -1;

	if (in->timestamp &&
	    tsa_stamp_into(in, out, sig, siglen, pe_add_timestamp, &j->ac) ==
		-1)
		return -1;
	if (authenticode_finish(&j->ac, sig, siglen, &der, &derlen) == -1)
		return sign_fail(out, ST_INTERNAL,
		    "cannot encode the "
		    "Authenticode structure");
	if (pe_plan(in, out, &j->img, derlen, &l) == -1)
		goto out;
	if (pe_checksum(in->fd, &j->img, &l, der, derlen, &j->cs, &cksum) ==
	    -1) {
		sign_fail(out, ST_BAD_ARTIFACT,
		    "pe: the image changed while "
		    "it was being signed (it is shorter)");
		goto out;
	}
	if (pe_write_checked(in, out, &j->img, &l, cksum, der, derlen) == -1)
		goto out;
	out->written = l.total;
	r = 0;
out:
	OPENSSL_free(der);
	return r;
}

void
pe_job_free(struct pe_job *j)
{
	authenticode_free(&j->ac);
}
