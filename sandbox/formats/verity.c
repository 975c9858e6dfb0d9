/*
 * verity.c: a dm-verity root hash signature, as `veritysetup
 * --root-hash-signature` and systemd (usrhash.p7s, roothash.p7s,
 * systemd-repart) expect it: a detached PKCS#7 SignedData with no
 * certificates and no signed attributes over the root hash as hex text
 * (what `openssl cms -sign -nocerts -noattr -binary` makes with a key
 * file; the kernel checks it against its keyring).
 *
 * The artifact is the root hash: its hex text, with at most one trailing
 * newline, which is not signed (the kernel and systemd sign the bare
 * hex).  Lowercase hex of a SHA-1 to SHA-512 digest, nothing else.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <openssl/cms.h>

#include "proto/sigcheck.h"
#include "proto/frame.h"
#include "sandbox/artifact.h"
#include "sandbox/formats/elf.h"
#include "sandbox/formats/formats.h"

#define ROOTHASH_MIN 40	 /* SHA-1 */
#define ROOTHASH_MAX 128 /* SHA-512 */
#define VERITY_CMS_MAX 16384

/* Read the whole (small) artifact, file or pipe: its length, or -1. */
static ssize_t
verity_read(const struct sign_input *in, char *dst, size_t max)
{
	size_t got = 0;

	if (in->fd_is_file) {
		if (in->size > max)
			return -1;
		return artifact_pread(in->fd, 0, dst, (size_t)in->size) == 0
		    ? (ssize_t)in->size
		    : -1;
	}
	while (got < max) {
		ssize_t n = read(in->fd, dst + got, max - got);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			return (ssize_t)got;
		got += (size_t)n;
	}
	return -1; /* more than max: not a root hash */
}

/* The root hash's length in text[0..n), or -1 if it is not one. */
static int
roothash_len(const char *text, size_t n)
{
	if (n > 0 && text[n - 1] == '\n')
		n--;
	if (n < ROOTHASH_MIN || n > ROOTHASH_MAX || n % 2 != 0 ||
	    strspn(text, "0123456789abcdef") < n)
		return -1;
	return (int)n;
}

/*
 * The first step: the request and the root hash checked, hashed, and the
 * PKCS#7 made ready (a certificate it cannot name fails before the token
 * signs anything).
 */
int
verity_begin(const struct sign_input *in, struct sign_output *out,
    CMS_ContentInfo **cms)
{
	char text[ROOTHASH_MAX + 2];
	ssize_t got;
	unsigned int mdlen = 0;
	int len;

	*cms = NULL;
	if (in->pem)
		return sign_fail(out, ST_BAD_REQUEST,
		    "--pem does not apply to "
		    "verity signatures (the kernel and systemd read DER)");
	if (in->padding == PAD_PSS)
		return sign_fail(out, ST_BAD_REQUEST,
		    "key %s uses RSA-PSS; the "
		    "kernel checks dm-verity signatures with RSA PKCS#1 v1.5 or "
		    "ECDSA",
		    in->key);
	got = verity_read(in, text, sizeof(text));
	if (got < 0 || (len = roothash_len(text, (size_t)got)) < 0)
		return sign_fail(out, ST_BAD_ARTIFACT,
		    "not a dm-verity root "
		    "hash: expected %d to %d lowercase hex digits and at most "
		    "a newline (as `veritysetup format` prints it)",
		    ROOTHASH_MIN, ROOTHASH_MAX);
	if (EVP_Digest(text, (size_t)len, out->adigest, &mdlen,
		digest_md(in->digest), NULL) != 1)
		return sign_fail(out, ST_INTERNAL, "cannot hash the root hash");
	out->adigestlen = mdlen;
	out->size = (uint64_t)len;
	if ((*cms = modsig_cms_new(in->cert, in->pub, in->digest,
		 (in->flags & SIGN_F_KEYID) != 0)) == NULL)
		return sign_fail(out, ST_INTERNAL,
		    "cannot build the PKCS#7 structure");
	return 0;
}

/* The second: the checked signature into it, encoded into out->data. */
int
verity_end(struct sign_output *out, CMS_ContentInfo *cms, const uint8_t *sig,
    size_t siglen)
{
	if (modsig_cms_der(cms, sig, siglen, &out->data) == -1 ||
	    buf_left(&out->data) > VERITY_CMS_MAX)
		return sign_fail(out, ST_INTERNAL,
		    "cannot encode the PKCS#7 signature");
	return 0;
}
