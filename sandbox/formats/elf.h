/*
 * elf: the checks a kernel module must pass before it is signed, and the
 * signature trailer that scripts/sign-file appends to it.
 *
 * A module is an ELF relocatable object (ET_REL, 32- or 64-bit, either
 * byte order) with a .modinfo section.  Every offset, size and count read
 * from the file is checked against the length the caller gives before it
 * is used, with overflow-safe arithmetic; the file is read with pread in
 * small pieces through the bounded buffer API, never mapped.
 *
 * A signed module ends with
 *     PKCS#7 DER | struct module_signature | "~Module signature appended~\n"
 * where struct module_signature is 12 bytes: algo, hash, id_type,
 * signer_len, key_id_len, 3 bytes of padding (all 0 except id_type, which
 * is PKEY_ID_PKCS7 = 2), then the big-endian length of the PKCS#7.
 */
#ifndef CSIGN_ELF_H
#define CSIGN_ELF_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/cms.h>
#include <openssl/x509.h>

#include "proto/buf.h"
#include "sandbox/artifact.h"

#define MODSIG_MAGIC "~Module signature appended~\n"
#define MODSIG_MAGIC_LEN 28
#define MODSIG_INFO_LEN 12 /* struct module_signature */
#define MODSIG_TRAILER_LEN (MODSIG_INFO_LEN + MODSIG_MAGIC_LEN)
#define MODSIG_ID_PKCS7 2   /* PKEY_ID_PKCS7 */
#define MODSIG_NESTED_MAX 4 /* signatures --replace will strip */

/* What elf_check_module() learned about a module. */
struct elf_module {
	int class64;	      /* 1 for ELFCLASS64, 0 for ELFCLASS32 */
	int msb;	      /* 1 for big-endian (ELFDATA2MSB) */
	uint16_t machine;     /* e_machine */
	uint16_t shnum;	      /* e_shnum */
	uint16_t modinfo;     /* index of the .modinfo section */
	uint64_t modinfo_off; /* its sh_offset and sh_size */
	uint64_t modinfo_size;
};

/*
 * Check that bytes [0, len) of fd are an ELF relocatable object with a
 * .modinfo section, every section inside those bytes.  0 with m filled,
 * or -1 with e naming the field at fault.
 */
int elf_check_module(int fd, uint64_t len, struct elf_module *m,
    struct artifact_err *e);
/* The same checks of the len bytes at p. */
int elf_check_module_mem(const uint8_t *p, uint64_t len, struct elf_module *m,
    struct artifact_err *e);

/*
 * Parse the last MODSIG_TRAILER_LEN bytes tail of a len-byte file (fewer
 * when the file is shorter: taillen).  Returns 0 if the file carries no
 * signature (*body = len), 1 if it does (*body = the length without the
 * PKCS#7 and the trailer), or -1 with e set if the trailer is malformed.
 */
int modsig_parse(const uint8_t *tail, size_t taillen, uint64_t len,
    uint64_t *body, struct artifact_err *e);

/*
 * Find the signature trailer of the len-byte file fd, if any: 0 (none,
 * *body = len), 1 (*body = the module without it), -1 (malformed, e set).
 */
int modsig_find(int fd, uint64_t len, uint64_t *body, struct artifact_err *e);

/*
 * Strip up to MODSIG_NESTED_MAX trailers from the end of fd (sign-file
 * appends a second signature to a signed module).  0 with *body set and
 * *count the number removed, or -1 with e set.
 */
int modsig_strip(int fd, uint64_t len, uint64_t *body, int *count,
    struct artifact_err *e);

/* The trailer that follows a PKCS#7 of siglen bytes. */
void modsig_encode(uint32_t siglen, uint8_t out[MODSIG_TRAILER_LEN]);

/*
 * The PKCS#7 (module.c), in two steps so that nothing can fail after the
 * token has signed: modsig_cms_new() builds the SignedData exactly as
 * sign-file does (detached, no certificates, no signed attributes, signer
 * by issuer and serial or, with keyid, by subject key identifier) around
 * the certificate's public key; modsig_cms_der() puts in the signature
 * over the module's digest and appends the DER to der (0 or -1).
 */
CMS_ContentInfo *modsig_cms_new(X509 *cert, EVP_PKEY *pub, int digest,
    int keyid);
int modsig_cms_der(CMS_ContentInfo *cms, const uint8_t *sig, size_t siglen,
    struct buf *der);

#endif
