/*
 * module_test.h: what the kernel-module unit tests share (test_module.c,
 * test_module_trailer.c, test_module_pkcs7.c): a relocatable ELF object
 * generated in memory, with room to corrupt any field, and a way to hand
 * bytes to the checks as a file.
 */
#ifndef CSIGN_MODULE_TEST_H
#define CSIGN_MODULE_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "proto/names.h"
#include "sandbox/formats/elf.h"

/*
 * A generated relocatable object: ELF header, .modinfo, .shstrtab and
 * three section headers (null, .modinfo, .shstrtab), in either class and
 * byte order, with room for the tests to corrupt any field.
 */
struct telf {
	uint8_t b[4096];
	size_t len;
	int class64;
	int msb;
	size_t shoff;
	size_t shentsize;
};

static __attribute__((unused)) const char modinfo_text[] =
    "license=GPL\0name=hello";
static __attribute__((unused)) const char strtab_text[] =
    "\0.modinfo\0.shstrtab";

/* Offsets of ELF header and section header fields in either class. */
#define EH_OFF(t, f) \
	((t)->class64 ? offsetof(Elf64_Ehdr, f) : offsetof(Elf32_Ehdr, f))
#define EH_LEN(t, f) \
	((t)->class64 ? sizeof(((Elf64_Ehdr *)0)->f) \
		      : sizeof(((Elf32_Ehdr *)0)->f))
#define SH_OFF(t, i, f) \
	((t)->shoff + (size_t)(i) * (t)->shentsize + \
	    ((t)->class64 ? offsetof(Elf64_Shdr, f) \
			  : offsetof(Elf32_Shdr, f)))
#define SH_LEN(t, f) \
	((t)->class64 ? sizeof(((Elf64_Shdr *)0)->f) \
		      : sizeof(((Elf32_Shdr *)0)->f))
#define SET_EH(t, f, v) telf_put(t, EH_OFF(t, f), EH_LEN(t, f), v)
#define SET_SH(t, i, f, v) telf_put(t, SH_OFF(t, i, f), SH_LEN(t, f), v)

/* Store v in width bytes at off, in the object's byte order. */
static inline void
telf_put(struct telf *t, size_t off, size_t width, uint64_t v)
{
	for (size_t i = 0; i < width; i++) {
		size_t at = t->msb ? off + width - 1 - i : off + i;

		t->b[at] = (uint8_t)(v >> (8 * i));
	}
}

/* Build a good module object of the given class and byte order. */
static inline void
telf_build(struct telf *t, int class64, int msb)
{
	const size_t eh = class64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	const size_t mi = eh, st = mi + sizeof(modinfo_text);

	memset(t, 0, sizeof(*t));
	t->class64 = class64;
	t->msb = msb;
	t->shentsize = class64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	t->shoff = (st + sizeof(strtab_text) + 7) & ~(size_t)7;
	t->len = t->shoff + 3 * t->shentsize;
	memcpy(t->b, ELFMAG, SELFMAG);
	t->b[EI_CLASS] = class64 ? ELFCLASS64 : ELFCLASS32;
	t->b[EI_DATA] = msb ? ELFDATA2MSB : ELFDATA2LSB;
	t->b[EI_VERSION] = EV_CURRENT;
	SET_EH(t, e_type, ET_REL);
	SET_EH(t, e_machine, class64 ? EM_X86_64 : EM_PPC);
	SET_EH(t, e_version, EV_CURRENT);
	SET_EH(t, e_shoff, t->shoff);
	SET_EH(t, e_ehsize, eh);
	SET_EH(t, e_shentsize, t->shentsize);
	SET_EH(t, e_shnum, 3);
	SET_EH(t, e_shstrndx, 2);
	memcpy(t->b + mi, modinfo_text, sizeof(modinfo_text));
	memcpy(t->b + st, strtab_text, sizeof(strtab_text));
	SET_SH(t, 1, sh_name, 1);
	SET_SH(t, 1, sh_type, SHT_PROGBITS);
	SET_SH(t, 1, sh_flags, SHF_ALLOC);
	SET_SH(t, 1, sh_offset, mi);
	SET_SH(t, 1, sh_size, sizeof(modinfo_text));
	SET_SH(t, 2, sh_name, 10);
	SET_SH(t, 2, sh_type, SHT_STRTAB);
	SET_SH(t, 2, sh_offset, st);
	SET_SH(t, 2, sh_size, sizeof(strtab_text));
}

/* A memory file holding p[0..len). */
static inline int
mem_fd(const void *p, size_t len)
{
	int fd = memfd_create("test_module", 0);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, len), (ssize_t)len);
	return fd;
}

/* A self-signed certificate of key for an hour, named cn: NULL if not. */
static inline X509 *
test_self_signed(EVP_PKEY *key, const char *cn, long serial)
{
	X509 *x = X509_new();

	if (x == NULL)
		return NULL;
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	if (X509_set_pubkey(x, key) != 1 ||
	    X509_sign(x, key, EVP_sha256()) <= 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

#endif
