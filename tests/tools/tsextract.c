/*
 * tsextract: a test-only reader of the RFC 3161 time-stamp token that a
 * signature carries, so that integration tests can check csign's
 * time-stamps with `openssl ts -verify`, independently of csign.
 *
 * usage: tsextract cms | pe file token_out
 *
 * cms: FILE is a CMS SignedData (DER, or PEM when it starts with
 *      "-----BEGIN"); the token is the first SignerInfo's unsigned
 *      attribute id-aa-timeStampToken (1.2.840.113549.1.9.16.2.14).
 * pe:  FILE is a PE/COFF image; the first WIN_CERTIFICATE of its
 *      certificate table (data directory 4) holds an Authenticode PKCS#7
 *      SignedData, and the token is its first signer's unauthenticated
 *      attribute 1.3.6.1.4.1.311.3.3.1, Microsoft's RFC 3161
 *      counter-signature (as osslsigncode and signtool write it).
 *
 * Writes the token, a DER ContentInfo, to TOKEN_OUT, and prints one line:
 * "<digest> <hex>", the digest of the token's message imprint (sha256,
 * sha384, ...) and the lowercase hex of the signer's signature value
 * hashed with it.  That is what the imprint must be: `openssl ts -verify
 * -digest HEX -in TOKEN_OUT -token_in -CAfile tsaca.pem` checks the token
 * against this very signature.
 *
 * Exits 1 when FILE cannot be read or has no token, 2 on a usage error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* fileno, when built outside the Makefile */
#endif
#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/pem.h> /* before cms.h: PEM_read_bio_CMS */
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#define FILE_MAX (256L * 1024 * 1024) /* larger inputs are refused */
#define OID_MS_TIMESTAMP "1.3.6.1.4.1.311.3.3.1"
#define WIN_CERT_TYPE_PKCS_SIGNED_DATA 2

/* The whole input file. */
struct image {
	unsigned char *p;
	size_t len;
};

/* What was found; both point into the parsed signature. */
struct found {
	const ASN1_STRING *token;     /* the attribute value (a SEQUENCE) */
	const ASN1_OCTET_STRING *sig; /* the signer's signature value */
};

static const char *file; /* FILE, for messages */

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "usage: tsextract cms | pe file token_out\n");
	exit(2);
}

static void __attribute__((noreturn)) ssl_fatal(const char *what)
{
	ERR_print_errors_fp(stderr);
	errx(1, "%s: %s", file, what);
}

/* Read all of path (at most FILE_MAX bytes). */
static void
read_image(const char *path, struct image *im)
{
	struct stat st;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL || fstat(fileno(f), &st) == -1)
		err(1, "%s", path);
	if (!S_ISREG(st.st_mode) || st.st_size > FILE_MAX)
		errx(1, "%s: not a regular file of at most %ld bytes", path,
		    FILE_MAX);
	im->len = (size_t)st.st_size;
	if ((im->p = malloc(im->len + 1)) == NULL)
		err(1, "malloc");
	if (fread(im->p, 1, im->len, f) != im->len)
		errx(1, "%s: short read", path);
	fclose(f);
}

/* Checked little-endian reads: 0, or -1 past the end of the image. */
static int
get16(const struct image *im, size_t off, uint16_t *v)
{
	if (off > im->len || im->len - off < 2)
		return -1;
	*v = (uint16_t)(im->p[off] | im->p[off + 1] << 8);
	return 0;
}

static int
get32(const struct image *im, size_t off, uint32_t *v)
{
	if (off > im->len || im->len - off < 4)
		return -1;
	*v = (uint32_t)im->p[off] | (uint32_t)im->p[off + 1] << 8 |
	    (uint32_t)im->p[off + 2] << 16 | (uint32_t)im->p[off + 3] << 24;
	return 0;
}

/* The one value of an attribute, when it is a SEQUENCE: else NULL. */
static const ASN1_STRING *
attr_sequence(X509_ATTRIBUTE *attr)
{
	ASN1_TYPE *t;

	if (attr == NULL || X509_ATTRIBUTE_count(attr) != 1)
		return NULL;
	t = X509_ATTRIBUTE_get0_type(attr, 0);
	if (t == NULL || ASN1_TYPE_get(t) != V_ASN1_SEQUENCE)
		return NULL;
	return t->value.sequence;
}

/* cms: the first SignerInfo's id-aa-timeStampToken.  Returns what to free. */
static CMS_ContentInfo *
from_cms(const struct image *im, struct found *f)
{
	STACK_OF(CMS_SignerInfo) *sis;
	CMS_SignerInfo *si;
	CMS_ContentInfo *cms;
	BIO *b;
	int i;

	if ((b = BIO_new_mem_buf(im->p, (int)im->len)) == NULL)
		ssl_fatal("out of memory");
	if (im->len >= 10 && memcmp(im->p, "-----BEGIN", 10) == 0)
		cms = PEM_read_bio_CMS(b, NULL, NULL, NULL);
	else
		cms = d2i_CMS_bio(b, NULL);
	BIO_free(b);
	if (cms == NULL)
		ssl_fatal("not a CMS structure");
	if ((sis = CMS_get0_SignerInfos(cms)) == NULL ||
	    (si = sk_CMS_SignerInfo_value(sis, 0)) == NULL)
		errx(1, "%s: not a SignedData with a signer", file);
	f->sig = CMS_SignerInfo_get0_signature(si);
	i = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken,
	    -1);
	if (i < 0)
		errx(1, "no timestamp token in %s", file);
	if ((f->token = attr_sequence(CMS_unsigned_get_attr(si, i))) == NULL)
		errx(1, "%s: the timestamp token attribute is malformed", file);
	return cms;
}

/*
 * The first WIN_CERTIFICATE's PKCS#7 bytes.  Data directory 4 gives the
 * certificate table's file offset (not an RVA, unlike the others) and
 * size; the directories start 96 bytes into a PE32 optional header, 112
 * into a PE32+ one.
 */
static void
pe_cert_blob(const struct image *im, const unsigned char **blob, size_t *len)
{
	uint32_t lfanew, sig, ndirs, off, size, wlen;
	uint16_t magic, optsize, type;
	size_t opt, dirs;

	if (get16(im, 0, &magic) == -1 || magic != 0x5a4d ||
	    get32(im, 0x3c, &lfanew) == -1 || get32(im, lfanew, &sig) == -1 ||
	    sig != 0x4550)
		errx(1, "%s: not a PE image", file);
	opt = (size_t)lfanew + 24;
	if (get16(im, (size_t)lfanew + 20, &optsize) == -1 ||
	    get16(im, opt, &magic) == -1)
		errx(1, "%s: truncated PE header", file);
	if (magic == 0x10b)
		dirs = 96;
	else if (magic == 0x20b)
		dirs = 112;
	else
		errx(1, "%s: optional header magic %#x", file, magic);
	if (optsize < dirs + 5 * 8 || get32(im, opt + dirs - 4, &ndirs) == -1 ||
	    ndirs < 5 || get32(im, opt + dirs + 32, &off) == -1 ||
	    get32(im, opt + dirs + 36, &size) == -1)
		errx(1, "%s: no certificate table entry", file);
	if (off == 0 || size == 0)
		errx(1, "no timestamp token in %s (not signed)", file);
	if (off > im->len || im->len - off < size || size < 8 ||
	    get32(im, off, &wlen) == -1 ||
	    get16(im, (size_t)off + 6, &type) == -1)
		errx(1, "%s: certificate table outside the file", file);
	if (wlen < 8 || wlen > size)
		errx(1, "%s: WIN_CERTIFICATE length %u", file, wlen);
	if (type != WIN_CERT_TYPE_PKCS_SIGNED_DATA)
		errx(1, "%s: WIN_CERTIFICATE type %u", file, type);
	*blob = im->p + off + 8;
	*len = wlen - 8;
}

/* pe: the first signer's 1.3.6.1.4.1.311.3.3.1.  Returns what to free. */
static PKCS7 *
from_pe(const struct image *im, struct found *f)
{
	STACK_OF(PKCS7_SIGNER_INFO) *sis;
	PKCS7_SIGNER_INFO *si;
	const unsigned char *p;
	ASN1_OBJECT *oid;
	PKCS7 *p7;
	size_t len;
	int i;

	pe_cert_blob(im, &p, &len);
	if ((p7 = d2i_PKCS7(NULL, &p, (long)len)) == NULL)
		ssl_fatal("the WIN_CERTIFICATE is not PKCS#7");
	if (!PKCS7_type_is_signed(p7) ||
	    (sis = PKCS7_get_signer_info(p7)) == NULL ||
	    (si = sk_PKCS7_SIGNER_INFO_value(sis, 0)) == NULL)
		errx(1, "%s: not a SignedData with a signer", file);
	f->sig = si->enc_digest;
	if ((oid = OBJ_txt2obj(OID_MS_TIMESTAMP, 1)) == NULL)
		ssl_fatal("cannot make the attribute's OID");
	i = X509at_get_attr_by_OBJ(si->unauth_attr, oid, -1);
	ASN1_OBJECT_free(oid);
	if (i < 0)
		errx(1, "no timestamp token in %s", file);
	if ((f->token = attr_sequence(X509at_get_attr(si->unauth_attr, i))) ==
	    NULL)
		errx(1, "%s: the timestamp token attribute is malformed", file);
	return p7;
}

/* The digest of the token's message imprint. */
static const EVP_MD *
imprint_digest(const ASN1_STRING *token)
{
	const unsigned char *p = ASN1_STRING_get0_data(token);
	const ASN1_OBJECT *obj;
	const EVP_MD *md = NULL;
	TS_TST_INFO *tst = NULL;
	PKCS7 *p7;

	if ((p7 = d2i_PKCS7(NULL, &p, ASN1_STRING_length(token))) != NULL &&
	    (tst = PKCS7_to_TS_TST_INFO(p7)) != NULL) {
		X509_ALGOR_get0(&obj, NULL, NULL,
		    TS_MSG_IMPRINT_get_algo(TS_TST_INFO_get_msg_imprint(tst)));
		md = EVP_get_digestbyobj(obj);
	}
	TS_TST_INFO_free(tst);
	PKCS7_free(p7);
	if (md == NULL)
		ssl_fatal("the token has no TSTInfo with a known digest");
	return md;
}

/* "<digest> <hex of the signature value hashed with it>". */
static void
print_imprint(const EVP_MD *md, const ASN1_OCTET_STRING *sig)
{
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hlen;

	if (sig == NULL ||
	    !EVP_Digest(ASN1_STRING_get0_data(sig),
		(size_t)ASN1_STRING_length(sig), h, &hlen, md, NULL))
		ssl_fatal("cannot hash the signature value");
	for (const char *s = EVP_MD_get0_name(md); *s != '\0'; s++)
		putchar(tolower((unsigned char)*s));
	putchar(' ');
	for (unsigned int i = 0; i < hlen; i++)
		printf("%02x", h[i]);
	putchar('\n');
}

static void
write_token(const char *path, const ASN1_STRING *token)
{
	FILE *f;

	if ((f = fopen(path, "wb")) == NULL)
		err(1, "%s", path);
	if (fwrite(ASN1_STRING_get0_data(token), 1,
		(size_t)ASN1_STRING_length(token),
		f) != (size_t)ASN1_STRING_length(token) ||
	    fclose(f) == EOF)
		err(1, "%s", path);
}

int
main(int argc, char **argv)
{
	struct found f = { NULL, NULL };
	CMS_ContentInfo *cms = NULL;
	PKCS7 *p7 = NULL;
	struct image im;

	if (argc != 4)
		usage();
	file = argv[2];
	if (strcmp(argv[1], "cms") != 0 && strcmp(argv[1], "pe") != 0)
		usage();
	read_image(file, &im);
	if (strcmp(argv[1], "cms") == 0)
		cms = from_cms(&im, &f);
	else
		p7 = from_pe(&im, &f);
	write_token(argv[3], f.token);
	print_imprint(imprint_digest(f.token), f.sig);
	CMS_ContentInfo_free(cms);
	PKCS7_free(p7);
	free(im.p);
	return fflush(stdout) == 0 ? 0 : 1;
}
