/*
 * pe_parse: the PE/COFF layout that Authenticode needs, read from an
 * untrusted file descriptor (PE32 and PE32+), the Authenticode image
 * digest, and the PE checksum.
 *
 * Every offset, size and count is checked against the file size and sane
 * limits before it is used; a refusal says which field is at fault.  The
 * parser reads with pread only (no mmap, no seek of a shared offset), so
 * it runs unchanged inside the sandbox and in unit tests over files they
 * write.
 */
#ifndef CSIGN_PE_PARSE_H
#define CSIGN_PE_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define PE_MAX_SECTIONS 96	  /* the PE specification's loader limit */
#define PE_MAX_FILE 0xffffffffull /* offsets in a PE are 32 bits */
#define PE_CERT_ALIGN 8		  /* WIN_CERTIFICATE entries are 8-aligned */
#define PE_WIN_CERT_HDR 8	  /* dwLength, wRevision, wCertificateType */
#define PE_WIN_CERT_REVISION_2_0 0x0200
#define PE_WIN_CERT_TYPE_PKCS_SIGNED_DATA 0x0002

/* Why a parse failed: a message for the client that names the field. */
struct pe_err {
	char msg[256];
};

/* A section with raw data, as the digest walks it (file order). */
struct pe_section {
	uint32_t ptr;	/* PointerToRawData */
	uint32_t size;	/* SizeOfRawData, > 0 */
	uint16_t index; /* position in the section table, from
					   0 (messages count from 1) */
	char name[9];	/* printable copy of Name */
};

/* The parsed layout of an image. */
struct pe_image {
	uint64_t filesize;
	uint32_t lfanew;       /* e_lfanew: the PE signature */
	uint16_t magic;	       /* 0x10b PE32, 0x20b PE32+ */
	uint16_t nsections;    /* NumberOfSections */
	uint32_t headers_size; /* SizeOfHeaders */
	uint32_t checksum_off; /* file offset of CheckSum */
	uint32_t certdir_off;  /* of the certificate-table entry */
	uint32_t cert_off;     /* existing certificate table, or 0 */
	uint32_t cert_size;
	uint32_t cert_entries; /* WIN_CERTIFICATE entries in it */
	uint64_t sections_end; /* end of the last section's data */
	uint64_t data_end;     /* end of the hashed image: the
					   certificate table or end of file */
	unsigned nraw;	       /* sections with raw data */
	struct pe_section raw[PE_MAX_SECTIONS]; /* sorted by ptr */
};

/*
 * Parse the image in fd (a regular file of size bytes) into img: DOS and
 * PE headers, optional header (PE32 or PE32+), section table, section
 * data bounds and the existing certificate table (each WIN_CERTIFICATE
 * entry walked).  Sections must neither overlap nor leave gaps (bytes in
 * a gap would not be covered by the signature).  0, or -1 with e set.
 */
int pe_parse(int fd, uint64_t size, struct pe_image *img, struct pe_err *e);

/* 1 if the image has a certificate table (is signed). */
int pe_is_signed(const struct pe_image *img);

/* Where the hashed image ends once padded for a certificate table. */
uint64_t pe_padded_end(const struct pe_image *img);

/*
 * The PE checksum: 16-bit little-endian words summed with end-around
 * carry, plus the file length.  Bytes may be added in any order as long
 * as each is added once with its file offset.
 */
struct pe_csum {
	uint64_t sum;
};
void pe_csum_add(struct pe_csum *cs, uint64_t off, const uint8_t *p,
    size_t len);
uint32_t pe_csum_final(const struct pe_csum *cs, uint64_t filesize);
/* Add bytes [off, off + len) of fd, at their own offsets.  0 or -1. */
int pe_csum_range(int fd, uint64_t off, uint64_t len, struct pe_csum *cs);

/*
 * The Authenticode digest (digest is enum csign_digest) of the image as
 * it will be signed: headers without CheckSum and the certificate-table
 * entry, each section in file order, the data after the last section up
 * to the certificate table, and zero padding to 8 bytes.  Every hashed
 * byte is also added to cs (NULL: none); the fields left out are not.
 * 0, or -1 with e set.
 */
int pe_digest(int fd, const struct pe_image *img, int digest, uint8_t *md,
    size_t *mdlen, struct pe_csum *cs, struct pe_err *e);

/*
 * The checksum of a whole file of size bytes whose CheckSum field is at
 * cksum_off (taken as zero), as a loader would compute it.  0 or -1.
 */
int pe_checksum_fd(int fd, uint64_t size, uint32_t cksum_off, uint32_t *cksum);

#endif
