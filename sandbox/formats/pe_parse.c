/*
 * pe_parse.c: PE/COFF headers, the Authenticode digest and the PE
 * checksum (see pe_parse.h).
 *
 * Layout facts used here (Microsoft PE/COFF specification and "Windows
 * Authenticode Portable Executable Signature Format"):
 *   DOS header: e_magic "MZ" at 0, e_lfanew (u32) at 0x3c;
 *   at e_lfanew: "PE\0\0", then the COFF header (20 bytes):
 *     NumberOfSections u16 at +6, SizeOfOptionalHeader u16 at +20;
 *   optional header at e_lfanew + 24: Magic u16 (0x10b/0x20b),
 *     SizeOfHeaders u32 at +60, CheckSum u32 at +64,
 *     NumberOfRvaAndSizes u32 at +92 (PE32) / +108 (PE32+),
 *     data directories at +96 / +112, 8 bytes each; entry 4 is the
 *     certificate table, whose "VirtualAddress" is a file offset;
 *   section table after the optional header, 40 bytes per section:
 *     Name[8], SizeOfRawData u32 at +16, PointerToRawData u32 at +20.
 * All multi-byte fields are little-endian.
 */
#include "sandbox/formats/pe_parse.h"

#include <stdarg.h>
#include <endian.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "proto/sigcheck.h"
#include "sandbox/artifact.h"

#define DOS_HDR_SIZE 0x40
#define DOS_LFANEW_OFF 0x3c
#define PE_SIGNATURE 0x00004550u /* "PE\0\0" little-endian */
#define COFF_HDR_SIZE 20
#define OPT_MAGIC_PE32 0x10b
#define OPT_MAGIC_PE32PLUS 0x20b
#define OPT_SIZEOFHEADERS 60
#define OPT_CHECKSUM 64
#define DD_CERT_INDEX 4 /* IMAGE_DIRECTORY_ENTRY_SECURITY */
#define DD_ENTRY_SIZE 8
#define SECTION_HDR_SIZE 40

/* A bounded reader over the artifact; errors name the field. */
struct reader {
	struct artifact_win *win; /* the file, read through windows */
	uint64_t size;
	struct pe_err *e;
};

/* Set e's message ("pe: ..."); returns -1. */
static int __attribute__((format(printf, 2, 3)))
pe_fail(struct pe_err *e, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(e->msg, sizeof(e->msg), "pe: ");
	va_start(ap, fmt);
	vsnprintf(e->msg + n, sizeof(e->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Read the n-byte (n <= 4) little-endian field at off into *v. */
static int
rd(const struct reader *r, uint64_t off, size_t n, uint32_t *v,
    const char *field)
{
	uint8_t b[4];

	if (off > r->size || n > r->size - off)
		return pe_fail(r->e,
		    "the file (%llu bytes) ends inside %s at "
		    "0x%llx",
		    (unsigned long long)r->size, field,
		    (unsigned long long)off);
	if (artifact_win_read(r->win, off, b, n) == -1)
		return pe_fail(r->e, "cannot read %s at 0x%llx", field,
		    (unsigned long long)off);
	*v = 0;
	while (n-- > 0)
		*v = *v << 8 | b[n];
	return 0;
}

/* The DOS header and the PE signature: sets img->lfanew. */
static int
parse_dos(const struct reader *r, struct pe_image *img)
{
	uint32_t v = 0;

	if (r->size == 0)
		return pe_fail(r->e,
		    "the file is empty: no DOS header "
		    "(e_magic)");
	if (r->size > PE_MAX_FILE)
		return pe_fail(r->e,
		    "file size %llu is over the 4 GiB a PE "
		    "image can address",
		    (unsigned long long)r->size);
	if (rd(r, 0, 2, &v, "the DOS header (e_magic)") == -1)
		return -1;
	if (v != 0x5a4d)
		return pe_fail(r->e,
		    "e_magic 0x%04x is not \"MZ\": not a PE "
		    "image",
		    v);
	if (rd(r, DOS_LFANEW_OFF, 4, &img->lfanew,
		"the DOS header (e_lfanew)") == -1)
		return -1;
	if (img->lfanew < DOS_HDR_SIZE)
		return pe_fail(r->e,
		    "e_lfanew 0x%x points inside the DOS "
		    "header",
		    img->lfanew);
	if ((uint64_t)img->lfanew + 4 + COFF_HDR_SIZE > r->size)
		return pe_fail(r->e,
		    "e_lfanew 0x%x is past the end of the "
		    "file (%llu bytes)",
		    img->lfanew, (unsigned long long)r->size);
	if (rd(r, img->lfanew, 4, &v, "the PE signature") == -1)
		return -1;
	if (v != PE_SIGNATURE)
		return pe_fail(r->e,
		    "no \"PE\\0\\0\" signature at e_lfanew "
		    "0x%x (found 0x%08x)",
		    img->lfanew, v);
	return 0;
}

/*
 * The COFF and optional headers: section count, where CheckSum and the
 * certificate-table entry are, SizeOfHeaders.  *sect_off is set to the
 * section table's offset.
 */
static int
parse_headers(const struct reader *r, struct pe_image *img, uint64_t *sect_off)
{
	uint64_t coff = (uint64_t)img->lfanew + 4, opt = coff + COFF_HDR_SIZE;
	uint64_t ddoff, need, st_end;
	uint32_t nsect = 0, optsize = 0, magic = 0, nrva = 0;

	if (rd(r, coff + 2, 2, &nsect, "NumberOfSections") == -1 ||
	    rd(r, coff + 16, 2, &optsize, "SizeOfOptionalHeader") == -1)
		return -1;
	if (nsect == 0)
		return pe_fail(r->e, "NumberOfSections is 0");
	if (nsect > PE_MAX_SECTIONS)
		return pe_fail(r->e,
		    "NumberOfSections %u is over the limit "
		    "of %u",
		    nsect, PE_MAX_SECTIONS);
	if (rd(r, opt, 2, &magic, "the optional header (Magic)") == -1)
		return -1;
	if (magic != OPT_MAGIC_PE32 && magic != OPT_MAGIC_PE32PLUS)
		return pe_fail(r->e,
		    "optional header Magic 0x%x is neither "
		    "PE32 (0x10b) nor PE32+ (0x20b)",
		    magic);
	ddoff = magic == OPT_MAGIC_PE32 ? 96 : 112;
	need = ddoff + (uint64_t)(DD_CERT_INDEX + 1) * DD_ENTRY_SIZE;
	if (optsize < need)
		return pe_fail(r->e,
		    "SizeOfOptionalHeader %u is too small for "
		    "the certificate-table entry (needs %llu)",
		    optsize, (unsigned long long)need);
	if (rd(r, opt + ddoff - 4, 4, &nrva, "NumberOfRvaAndSizes") == -1)
		return -1;
	if (nrva <= DD_CERT_INDEX)
		return pe_fail(r->e,
		    "NumberOfRvaAndSizes %u has no "
		    "certificate-table entry",
		    nrva);
	if (ddoff + (uint64_t)nrva * DD_ENTRY_SIZE > optsize)
		return pe_fail(r->e,
		    "NumberOfRvaAndSizes %u does not fit in "
		    "SizeOfOptionalHeader %u",
		    nrva, optsize);
	*sect_off = opt + optsize;
	st_end = *sect_off + (uint64_t)nsect * SECTION_HDR_SIZE;
	if (st_end > r->size)
		return pe_fail(r->e,
		    "the section table (NumberOfSections %u "
		    "at 0x%llx) runs past the end of the file (%llu bytes)",
		    nsect, (unsigned long long)*sect_off,
		    (unsigned long long)r->size);
	if (rd(r, opt + OPT_SIZEOFHEADERS, 4, &img->headers_size,
		"SizeOfHeaders") == -1)
		return -1;
	if (img->headers_size < st_end)
		return pe_fail(r->e,
		    "SizeOfHeaders 0x%x is smaller than the "
		    "headers and section table (0x%llx)",
		    img->headers_size, (unsigned long long)st_end);
	if (img->headers_size > r->size)
		return pe_fail(r->e,
		    "SizeOfHeaders 0x%x is past the end of "
		    "the file (%llu bytes)",
		    img->headers_size, (unsigned long long)r->size);
	img->magic = (uint16_t)magic;
	img->nsections = (uint16_t)nsect;
	img->checksum_off = (uint32_t)(opt + OPT_CHECKSUM);
	img->certdir_off =
	    (uint32_t)(opt + ddoff + (uint64_t)DD_CERT_INDEX * DD_ENTRY_SIZE);
	return 0;
}

/* A printable copy of a section name (8 bytes, NUL-padded). */
static void
section_name(const uint8_t raw[8], char name[9])
{
	size_t i;

	for (i = 0; i < 8 && raw[i] != '\0'; i++)
		name[i] = raw[i] > 0x20 && raw[i] < 0x7f ? (char)raw[i] : '?';
	name[i] = '\0';
}

/* Read section i's header; add it to img->raw if it has raw data. */
static int
parse_section(const struct reader *r, struct pe_image *img, uint64_t off,
    unsigned i)
{
	uint8_t h[SECTION_HDR_SIZE];
	struct pe_section s = { .index = (uint16_t)i };
	uint64_t end;

	if (artifact_win_read(r->win, off, h, sizeof(h)) == -1)
		return pe_fail(r->e, "cannot read section header %u", i + 1);
	section_name(h, s.name);
	s.size = (uint32_t)h[16] | (uint32_t)h[17] << 8 |
	    (uint32_t)h[18] << 16 | (uint32_t)h[19] << 24;
	s.ptr = (uint32_t)h[20] | (uint32_t)h[21] << 8 | (uint32_t)h[22] << 16 |
	    (uint32_t)h[23] << 24;
	if (s.size == 0)
		return 0; /* no raw data (.bss): nothing to hash */
	end = (uint64_t)s.ptr + s.size;
	if (end > PE_MAX_FILE)
		return pe_fail(r->e,
		    "section %u (%s): PointerToRawData 0x%x + "
		    "SizeOfRawData 0x%x wraps past 32 bits",
		    i + 1, s.name, s.ptr, s.size);
	if (end > r->size)
		return pe_fail(r->e,
		    "section %u (%s): PointerToRawData 0x%x + "
		    "SizeOfRawData 0x%x is past the end of the file (%llu "
		    "bytes)",
		    i + 1, s.name, s.ptr, s.size, (unsigned long long)r->size);
	if (s.ptr < img->headers_size)
		return pe_fail(r->e,
		    "section %u (%s): PointerToRawData 0x%x "
		    "overlaps the headers (SizeOfHeaders 0x%x)",
		    i + 1, s.name, s.ptr, img->headers_size);
	img->raw[img->nraw++] = s;
	return 0;
}

/*
 * Sort the sections with raw data into file order and require them to
 * follow each other without overlap or gap, starting at SizeOfHeaders.
 */
static int
check_sections(const struct reader *r, struct pe_image *img)
{
	uint64_t end = img->headers_size;

	for (unsigned i = 1; i < img->nraw; i++) {
		struct pe_section s = img->raw[i];
		unsigned j = i;

		for (; j > 0 && img->raw[j - 1].ptr > s.ptr; j--)
			img->raw[j] = img->raw[j - 1];
		img->raw[j] = s;
	}
	for (unsigned i = 0; i < img->nraw; i++) {
		const struct pe_section *s = &img->raw[i];

		if (s->ptr < end && i > 0)
			return pe_fail(r->e,
			    "section %u (%s): raw data at "
			    "0x%x overlaps section %u (%s), which ends at "
			    "0x%llx",
			    s->index + 1, s->name, s->ptr,
			    img->raw[i - 1].index + 1, img->raw[i - 1].name,
			    (unsigned long long)end);
		if (s->ptr > end)
			return pe_fail(r->e,
			    "section %u (%s): "
			    "PointerToRawData 0x%x leaves a gap after 0x%llx "
			    "that the signature would not cover",
			    s->index + 1, s->name, s->ptr,
			    (unsigned long long)end);
		end = (uint64_t)s->ptr + s->size;
	}
	img->sections_end = end;
	return 0;
}

/* Walk the WIN_CERTIFICATE entries of [off, end). */
static int
walk_cert_entries(const struct reader *r, struct pe_image *img, uint64_t off,
    uint64_t end)
{
	uint32_t len;

	img->cert_entries = 0;
	while (off < end) {
		if (end - off < PE_WIN_CERT_HDR)
			return pe_fail(r->e,
			    "WIN_CERTIFICATE %u at 0x%llx is "
			    "cut short by the end of the certificate table",
			    img->cert_entries, (unsigned long long)off);
		if (rd(r, off, 4, &len, "WIN_CERTIFICATE dwLength") == -1)
			return -1;
		if (len < PE_WIN_CERT_HDR || len > end - off)
			return pe_fail(r->e,
			    "WIN_CERTIFICATE %u at 0x%llx: "
			    "dwLength 0x%x does not fit the certificate table",
			    img->cert_entries, (unsigned long long)off, len);
		img->cert_entries++;
		off += ((uint64_t)len + PE_CERT_ALIGN - 1) &
		    ~(uint64_t)(PE_CERT_ALIGN - 1);
	}
	return 0;
}

/*
 * The certificate-table directory entry: none (0, 0), or a table of
 * WIN_CERTIFICATE entries that starts 8-aligned after the last section
 * and ends exactly at the end of the file.
 */
static int
parse_cert_table(const struct reader *r, struct pe_image *img)
{
	uint32_t va = 0, sz = 0;
	uint64_t end;

	if (rd(r, img->certdir_off, 4, &va,
		"certificate table VirtualAddress") == -1 ||
	    rd(r, img->certdir_off + 4, 4, &sz, "certificate table Size") == -1)
		return -1;
	img->data_end = r->size;
	if (va == 0 && sz == 0)
		return 0;
	end = (uint64_t)va + sz;
	if (va == 0)
		return pe_fail(r->e,
		    "certificate table Size 0x%x with "
		    "VirtualAddress 0",
		    sz);
	if (sz < PE_WIN_CERT_HDR)
		return pe_fail(r->e,
		    "certificate table Size 0x%x is smaller "
		    "than a WIN_CERTIFICATE header (%u bytes)",
		    sz, PE_WIN_CERT_HDR);
	if (end > r->size)
		return pe_fail(r->e,
		    "certificate table (VirtualAddress 0x%x, "
		    "Size 0x%x) is past the end of the file (%llu bytes)",
		    va, sz, (unsigned long long)r->size);
	if (va < img->sections_end)
		return pe_fail(r->e,
		    "certificate table VirtualAddress 0x%x "
		    "overlaps the image data, which ends at 0x%llx",
		    va, (unsigned long long)img->sections_end);
	if (va % PE_CERT_ALIGN != 0)
		return pe_fail(r->e,
		    "certificate table VirtualAddress 0x%x is "
		    "not 8-byte aligned",
		    va);
	if (end != r->size)
		return pe_fail(r->e,
		    "certificate table (VirtualAddress 0x%x, "
		    "Size 0x%x) does not end at the end of the file (%llu "
		    "bytes)",
		    va, sz, (unsigned long long)r->size);
	img->cert_off = va;
	img->cert_size = sz;
	img->data_end = va;
	return walk_cert_entries(r, img, va, end);
}

int
pe_parse(int fd, uint64_t size, struct pe_image *img, struct pe_err *e)
{
	/* The session child is one thread: one reader, not on the stack. */
	static struct artifact_win win;
	const struct reader r = { .win = &win, .size = size, .e = e };
	uint64_t sect_off = 0;

	artifact_win_init(&win, fd);
	memset(img, 0, sizeof(*img));
	img->filesize = size;
	if (parse_dos(&r, img) == -1 || parse_headers(&r, img, &sect_off) == -1)
		return -1;
	for (unsigned i = 0; i < img->nsections; i++)
		if (parse_section(&r, img,
			sect_off + (uint64_t)i * SECTION_HDR_SIZE, i) == -1)
			return -1;
	if (check_sections(&r, img) == -1)
		return -1;
	return parse_cert_table(&r, img);
}

int
pe_is_signed(const struct pe_image *img)
{
	return img->cert_size != 0;
}

uint64_t
pe_padded_end(const struct pe_image *img)
{
	return (img->data_end + PE_CERT_ALIGN - 1) &
	    ~(uint64_t)(PE_CERT_ALIGN - 1);
}

/*
 * The checksum is a sum of little-endian 16-bit words at even file
 * offsets.  Sixteen bytes (eight words) are added at a time: the even and
 * odd words of each 8-byte half go to the 32-bit lanes of four
 * accumulators, folded into the total before a lane could overflow
 * (16384 * 0xffff < 2^32).
 */
void
pe_csum_add(struct pe_csum *cs, uint64_t off, const uint8_t *p, size_t len)
{
	const uint64_t m = 0x0000ffff0000ffffULL;
	uint64_t sum = 0, a, b, c, d, x, y;
	size_t i = 0;

	if (len > 0 && (off & 1)) {
		sum += (uint64_t)p[0] << 8;
		i = 1;
	}
	while (len - i >= 16) {
		size_t n = (len - i) / 16;

		if (n > 16384)
			n = 16384;
		a = b = c = d = 0;
		for (; n > 0; n--, i += 16) {
			memcpy(&x, p + i, sizeof(x));
			memcpy(&y, p + i + 8, sizeof(y));
			x = le64toh(x);
			y = le64toh(y);
			a += x & m;
			b += (x >> 16) & m;
			c += y & m;
			d += (y >> 16) & m;
		}
		sum += (a & 0xffffffff) + (a >> 32) + (b & 0xffffffff) +
		    (b >> 32) + (c & 0xffffffff) + (c >> 32) +
		    (d & 0xffffffff) + (d >> 32);
	}
	for (; i + 1 < len; i += 2)
		sum += (uint64_t)p[i] | (uint64_t)p[i + 1] << 8;
	if (i < len)
		sum += p[i];
	cs->sum += sum;
}

uint32_t
pe_csum_final(const struct pe_csum *cs, uint64_t filesize)
{
	uint64_t s = cs->sum;

	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint32_t)(s + filesize);
}

struct pe_feeding {
	EVP_MD_CTX *ctx;    /* NULL: none */
	struct pe_csum *cs; /* NULL: none */
};

static int
feed_chunk(void *arg, const uint8_t *p, size_t len, uint64_t off)
{
	struct pe_feeding *f = arg;

	if (f->ctx != NULL && EVP_DigestUpdate(f->ctx, p, len) != 1)
		return 1;
	if (f->cs != NULL)
		pe_csum_add(f->cs, off, p, len);
	return 0;
}

/* Feed [off, off + len) of fd to ctx (NULL: none) and cs (NULL: none). */
static int
feed(int fd, EVP_MD_CTX *ctx, struct pe_csum *cs, uint64_t off, uint64_t len)
{
	struct pe_feeding f = { ctx, cs };

	return artifact_chunks(fd, off, len, feed_chunk, &f) == 0 ? 0 : -1;
}

/* The hashed ranges of the image, in file order. */
static int
digest_ranges(int fd, const struct pe_image *img, EVP_MD_CTX *ctx,
    struct pe_csum *cs)
{
	static const uint8_t zero[PE_CERT_ALIGN];
	uint64_t pad = pe_padded_end(img) - img->data_end;

	if (feed(fd, ctx, cs, 0, img->checksum_off) == -1 ||
	    feed(fd, ctx, cs, img->checksum_off + 4,
		img->certdir_off - (img->checksum_off + 4)) == -1 ||
	    feed(fd, ctx, cs, img->certdir_off + DD_ENTRY_SIZE,
		img->headers_size - (img->certdir_off + DD_ENTRY_SIZE)) == -1)
		return -1;
	for (unsigned i = 0; i < img->nraw; i++)
		if (feed(fd, ctx, cs, img->raw[i].ptr, img->raw[i].size) == -1)
			return -1;
	if (feed(fd, ctx, cs, img->sections_end,
		img->data_end - img->sections_end) == -1)
		return -1;
	return EVP_DigestUpdate(ctx, zero, (size_t)pad) == 1 ? 0 : -1;
}

int
pe_digest(int fd, const struct pe_image *img, int digest, uint8_t *md,
    size_t *mdlen, struct pe_csum *cs, struct pe_err *e)
{
	const EVP_MD *alg = digest_md(digest);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 0;
	int r = -1;

	if (alg == NULL || ctx == NULL ||
	    EVP_DigestInit_ex(ctx, alg, NULL) != 1) {
		pe_fail(e, "digest unavailable");
		goto out;
	}
	if (digest_ranges(fd, img, ctx, cs) == -1) {
		pe_fail(e, "cannot read the image");
		goto out;
	}
	if (EVP_DigestFinal_ex(ctx, md, &len) != 1) {
		pe_fail(e, "digest failed");
		goto out;
	}
	*mdlen = len;
	r = 0;
out:
	EVP_MD_CTX_free(ctx);
	return r;
}

int
pe_csum_range(int fd, uint64_t off, uint64_t len, struct pe_csum *cs)
{
	return feed(fd, NULL, cs, off, len);
}

int
pe_checksum_fd(int fd, uint64_t size, uint32_t cksum_off, uint32_t *cksum)
{
	struct pe_csum cs = { 0 };
	uint64_t skip_end = (uint64_t)cksum_off + 4;

	if (skip_end > size)
		return -1;
	if (feed(fd, NULL, &cs, 0, cksum_off) == -1 ||
	    feed(fd, NULL, &cs, skip_end, size - skip_end) == -1)
		return -1;
	*cksum = pe_csum_final(&cs, size);
	return 0;
}
