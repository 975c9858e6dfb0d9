/*
 * elf.c: is this artifact a kernel module, and does it already carry a
 * signature (see elf.h).
 *
 * The checks are those the kernel's module loader makes before it trusts
 * a section header (elf_validity_check), done here first so that a
 * hostile file is refused with the name of the field at fault instead of
 * being signed.  Every value from the file is checked before it is used
 * as an offset, size or count: sums are compared as "a > len - b" after
 * "b <= len", never added first.
 */
#include "sandbox/formats/elf.h"

#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "proto/buf.h"
#include "sandbox/formats/compress.h"

#define MODINFO_NAME ".modinfo"

/* The header of either class, widened. */
struct elf_hdr {
	uint64_t type;
	uint64_t machine;
	uint64_t shoff;
	uint64_t shentsize;
	uint64_t shnum;
	uint64_t shstrndx;
};

/* The fields of a section header that the checks need. */
struct elf_shdr {
	uint64_t name;
	uint64_t type;
	uint64_t offset;
	uint64_t size;
};

/* The section name table, once located. */
struct elf_strtab {
	uint64_t offset;
	uint64_t size;
};

/* Fill e and return -1, for "return elf_err(e, ...)". */
static int __attribute__((format(printf, 2, 3)))
elf_err(struct artifact_err *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* Read an unsigned field of width bytes in the file's byte order. */
static int
elf_get(struct buf *b, int msb, size_t width, uint64_t *v)
{
	uint8_t x[8];

	if (width > sizeof(x) || buf_get(b, x, width) == -1)
		return -1;
	*v = 0;
	for (size_t i = 0; i < width; i++)
		*v = *v << 8 | x[msb ? i : width - 1 - i];
	return 0;
}

/* Width of addresses, offsets and sizes: 8 for ELF64, 4 for ELF32. */
static size_t
elf_word(const struct elf_module *m)
{
	return m->class64 ? 8 : 4;
}

static size_t
elf_ehsize(const struct elf_module *m)
{
	return m->class64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
}

static size_t
elf_shentsize(const struct elf_module *m)
{
	return m->class64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
}

/* e_ident: magic, class, byte order. */
static int
elf_check_ident(struct artifact_win *r, uint64_t len, struct elf_module *m,
    struct artifact_err *e)
{
	uint8_t raw[EI_NIDENT], magic[SELFMAG], class, data;
	struct buf b;

	if (len == 0)
		return elf_err(e,
		    "the file is empty (0 bytes): not a kernel "
		    "module");
	if (len < EI_NIDENT)
		return elf_err(e,
		    "the file is %llu bytes, too short for an "
		    "ELF header (e_ident)",
		    (unsigned long long)len);
	if (artifact_win_read(r, 0, raw, sizeof(raw)) == -1)
		return elf_err(e, "cannot read the ELF header (e_ident)");
	buf_view(&b, raw, sizeof(raw));
	if (buf_get(&b, magic, sizeof(magic)) == -1 ||
	    buf_get_u8(&b, &class) == -1 || buf_get_u8(&b, &data) == -1)
		return elf_err(e, "cannot read the ELF header (e_ident)");
	/*
	 * module.c decompresses one layer, of a file (it needs the size to
	 * bound it); a compressed stream here came on a pipe or twice
	 * compressed.
	 */
	if (comp_magic(raw, sizeof(raw)) != COMP_NONE)
		return elf_err(e,
		    "e_ident: %s-compressed data, not an ELF object: "
		    "give the module as a file, compressed once",
		    comp_name(comp_magic(raw, sizeof(raw))));
	if (memcmp(magic, ELFMAG, SELFMAG) != 0)
		return elf_err(e,
		    "e_ident: not an ELF file (bad magic): "
		    "not a kernel module");
	if (class != ELFCLASS32 && class != ELFCLASS64)
		return elf_err(e,
		    "e_ident: EI_CLASS %u is neither ELFCLASS32 "
		    "nor ELFCLASS64",
		    class);
	if (data != ELFDATA2LSB && data != ELFDATA2MSB)
		return elf_err(e,
		    "e_ident: EI_DATA %u is neither ELFDATA2LSB "
		    "nor ELFDATA2MSB",
		    data);
	m->class64 = class == ELFCLASS64;
	m->msb = data == ELFDATA2MSB;
	return 0;
}

/* Decode the rest of the ELF header from raw (ehsize bytes). */
static int
elf_decode_ehdr(const struct elf_module *m, const uint8_t *raw, size_t rawlen,
    struct elf_hdr *h)
{
	const size_t w = elf_word(m);
	uint64_t skip;
	struct buf b;

	buf_view(&b, raw, rawlen);
	if (buf_skip(&b, EI_NIDENT) == -1 ||
	    elf_get(&b, m->msb, 2, &h->type) == -1 ||
	    elf_get(&b, m->msb, 2, &h->machine) == -1 ||
	    elf_get(&b, m->msb, 4, &skip) == -1 || /* e_version */
	    elf_get(&b, m->msb, w, &skip) == -1 || /* e_entry */
	    elf_get(&b, m->msb, w, &skip) == -1 || /* e_phoff */
	    elf_get(&b, m->msb, w, &h->shoff) == -1 ||
	    elf_get(&b, m->msb, 4, &skip) == -1 || /* e_flags */
	    elf_get(&b, m->msb, 2, &skip) == -1 || /* e_ehsize */
	    elf_get(&b, m->msb, 2, &skip) == -1 || /* e_phentsize */
	    elf_get(&b, m->msb, 2, &skip) == -1 || /* e_phnum */
	    elf_get(&b, m->msb, 2, &h->shentsize) == -1 ||
	    elf_get(&b, m->msb, 2, &h->shnum) == -1 ||
	    elf_get(&b, m->msb, 2, &h->shstrndx) == -1)
		return -1;
	return buf_end(&b);
}

/* The name of an e_type value, for messages. */
static const char *
elf_type_name(uint64_t type)
{
	switch (type) {
	case ET_NONE:
		return "ET_NONE";
	case ET_EXEC:
		return "ET_EXEC, an executable";
	case ET_DYN:
		return "ET_DYN, a shared object or PIE";
	case ET_CORE:
		return "ET_CORE, a core dump";
	}
	return "unknown";
}

/* The header's type and section header table, bounded by len. */
static int
elf_check_ehdr(const struct elf_module *m, const struct elf_hdr *h,
    uint64_t len, struct artifact_err *e)
{
	if (h->type != ET_REL)
		return elf_err(e,
		    "e_type is %llu (%s), not ET_REL: a kernel "
		    "module is a relocatable object",
		    (unsigned long long)h->type, elf_type_name(h->type));
	if (h->shentsize != elf_shentsize(m))
		return elf_err(e, "e_shentsize is %llu, not %zu for ELF%d",
		    (unsigned long long)h->shentsize, elf_shentsize(m),
		    m->class64 ? 64 : 32);
	if (h->shnum == 0)
		return elf_err(e, "e_shnum is 0: no section headers");
	if (h->shoff < elf_ehsize(m) || h->shoff >= len)
		return elf_err(e,
		    "e_shoff %llu is not between the end of the "
		    "%zu-byte ELF header and the end of the file (%llu bytes)",
		    (unsigned long long)h->shoff, elf_ehsize(m),
		    (unsigned long long)len);
	/* shnum and shentsize are 16-bit: their product cannot overflow. */
	if (h->shnum * h->shentsize > len - h->shoff)
		return elf_err(e,
		    "section header table (e_shoff %llu + "
		    "e_shnum %llu * e_shentsize %llu) runs past the end of "
		    "the file (%llu bytes)",
		    (unsigned long long)h->shoff, (unsigned long long)h->shnum,
		    (unsigned long long)h->shentsize, (unsigned long long)len);
	if (h->shstrndx == SHN_UNDEF || h->shstrndx >= h->shnum ||
	    h->shstrndx >= SHN_LORESERVE)
		return elf_err(e,
		    "e_shstrndx %llu is not a section (e_shnum "
		    "%llu)",
		    (unsigned long long)h->shstrndx,
		    (unsigned long long)h->shnum);
	return 0;
}

/* Read and check the ELF header. */
static int
elf_read_ehdr(struct artifact_win *r, uint64_t len, struct elf_module *m,
    struct elf_hdr *h, struct artifact_err *e)
{
	uint8_t raw[sizeof(Elf64_Ehdr)];
	const size_t n = elf_ehsize(m);

	if (len < n)
		return elf_err(e,
		    "the file is %llu bytes, too short for an "
		    "ELF%d header (%zu bytes)",
		    (unsigned long long)len, m->class64 ? 64 : 32, n);
	if (artifact_win_read(r, 0, raw, n) == -1 ||
	    elf_decode_ehdr(m, raw, n, h) == -1)
		return elf_err(e, "cannot read the ELF header");
	if (elf_check_ehdr(m, h, len, e) == -1)
		return -1;
	m->machine = (uint16_t)h->machine;
	m->shnum = (uint16_t)h->shnum;
	return 0;
}

/* Read section header i (the table is known to lie inside the file). */
static int
elf_read_shdr(struct artifact_win *r, const struct elf_module *m,
    const struct elf_hdr *h, uint64_t i, struct elf_shdr *s)
{
	uint8_t raw[sizeof(Elf64_Shdr)];
	const size_t w = elf_word(m), n = elf_shentsize(m);
	uint64_t skip;
	struct buf b;

	if (artifact_win_read(r, h->shoff + i * h->shentsize, raw, n) == -1)
		return -1;
	buf_view(&b, raw, n);
	if (elf_get(&b, m->msb, 4, &s->name) == -1 ||
	    elf_get(&b, m->msb, 4, &s->type) == -1 ||
	    elf_get(&b, m->msb, w, &skip) == -1 || /* sh_flags */
	    elf_get(&b, m->msb, w, &skip) == -1 || /* sh_addr */
	    elf_get(&b, m->msb, w, &s->offset) == -1 ||
	    elf_get(&b, m->msb, w, &s->size) == -1)
		return -1;
	return 0;
}

/* A section's contents must lie inside the file (SHT_NOBITS has none). */
static int
elf_check_section(uint64_t i, const struct elf_shdr *s, uint64_t len,
    struct artifact_err *e)
{
	if (s->type == SHT_NOBITS)
		return 0;
	if (s->offset > len || s->size > len - s->offset)
		return elf_err(e,
		    "section %llu: sh_offset %llu + sh_size %llu "
		    "runs past the end of the file (%llu bytes)",
		    (unsigned long long)i, (unsigned long long)s->offset,
		    (unsigned long long)s->size, (unsigned long long)len);
	return 0;
}

/* Locate and check the section name table (e_shstrndx). */
static int
elf_read_strtab(struct artifact_win *r, const struct elf_module *m,
    const struct elf_hdr *h, uint64_t len, struct elf_strtab *st,
    struct artifact_err *e)
{
	struct elf_shdr s;
	uint8_t last;

	if (elf_read_shdr(r, m, h, h->shstrndx, &s) == -1)
		return elf_err(e, "cannot read section header %llu",
		    (unsigned long long)h->shstrndx);
	if (s.type != SHT_STRTAB)
		return elf_err(e,
		    "section name table (e_shstrndx %llu): "
		    "sh_type %llu is not SHT_STRTAB",
		    (unsigned long long)h->shstrndx,
		    (unsigned long long)s.type);
	if (elf_check_section(h->shstrndx, &s, len, e) == -1)
		return -1;
	if (s.size == 0)
		return elf_err(e,
		    "section name table (e_shstrndx %llu): "
		    "sh_size is 0",
		    (unsigned long long)h->shstrndx);
	if (artifact_win_read(r, s.offset + s.size - 1, &last, 1) == -1 ||
	    last != '\0')
		return elf_err(e,
		    "section name table (e_shstrndx %llu) does "
		    "not end with a NUL byte",
		    (unsigned long long)h->shstrndx);
	st->offset = s.offset;
	st->size = s.size;
	return 0;
}

/* 1 if section s is named .modinfo, 0 if not, -1 if its name is bad. */
static int
elf_is_modinfo(struct artifact_win *r, uint64_t i, const struct elf_shdr *s,
    const struct elf_strtab *st, struct artifact_err *e)
{
	uint8_t name[sizeof(MODINFO_NAME)];

	if (s->name >= st->size)
		return elf_err(e,
		    "section %llu: sh_name %llu is outside the "
		    "section name table (%llu bytes)",
		    (unsigned long long)i, (unsigned long long)s->name,
		    (unsigned long long)st->size);
	if (st->size - s->name < sizeof(name))
		return 0;
	if (artifact_win_read(r, st->offset + s->name, name, sizeof(name)) ==
	    -1)
		return elf_err(e, "section %llu: cannot read its name",
		    (unsigned long long)i);
	return memcmp(name, MODINFO_NAME, sizeof(name)) == 0;
}

/* Check every section header; note the first .modinfo section. */
static int
elf_scan_sections(struct artifact_win *r, uint64_t len, struct elf_module *m,
    const struct elf_hdr *h, const struct elf_strtab *st,
    struct artifact_err *e)
{
	struct elf_shdr s;
	int found = 0, is;

	for (uint64_t i = 0; i < h->shnum; i++) {
		if (elf_read_shdr(r, m, h, i, &s) == -1)
			return elf_err(e, "cannot read section header %llu",
			    (unsigned long long)i);
		if (elf_check_section(i, &s, len, e) == -1 ||
		    (is = elf_is_modinfo(r, i, &s, st, e)) == -1)
			return -1;
		if (is == 0 || found)
			continue;
		if (s.type == SHT_NOBITS || s.size == 0)
			return elf_err(e, "section %llu (.modinfo) is empty",
			    (unsigned long long)i);
		found = 1;
		m->modinfo = (uint16_t)i;
		m->modinfo_off = s.offset;
		m->modinfo_size = s.size;
	}
	if (!found)
		return elf_err(e,
		    "no .modinfo section among the %llu sections: "
		    "not a kernel module",
		    (unsigned long long)h->shnum);
	return 0;
}

/* The checks of elf_check_module() through reader r. */
static int
elf_check(struct artifact_win *r, uint64_t len, struct elf_module *m,
    struct artifact_err *e)
{
	struct elf_strtab st = { 0, 0 };
	struct elf_hdr h = { 0, 0, 0, 0, 0, 0 };

	memset(m, 0, sizeof(*m));
	if (elf_check_ident(r, len, m, e) == -1 ||
	    elf_read_ehdr(r, len, m, &h, e) == -1 ||
	    elf_read_strtab(r, m, &h, len, &st, e) == -1)
		return -1;
	return elf_scan_sections(r, len, m, &h, &st, e);
}

/* The session child is one thread: one reader, not on the stack. */
static struct artifact_win elf_reader;

int
elf_check_module(int fd, uint64_t len, struct elf_module *m,
    struct artifact_err *e)
{
	artifact_win_init(&elf_reader, fd);
	return elf_check(&elf_reader, len, m, e);
}

int
elf_check_module_mem(const uint8_t *p, uint64_t len, struct elf_module *m,
    struct artifact_err *e)
{
	artifact_win_init_mem(&elf_reader, p, len);
	return elf_check(&elf_reader, len, m, e);
}

/* The single-byte fields of struct module_signature that must be 0. */
static const char *const modsig_zero_fields[] = {
	"algo",
	"hash",
	NULL /* id_type */,
	"signer_len",
	"key_id_len",
	"__pad[0]",
	"__pad[1]",
	"__pad[2]",
};

/* Check struct module_signature (b is positioned at it). */
static int
modsig_check_info(struct buf *b, uint64_t len, uint64_t *body,
    struct artifact_err *e)
{
	uint8_t v[8];
	uint32_t siglen;

	if (buf_get(b, v, sizeof(v)) == -1 || buf_get_u32(b, &siglen) == -1)
		return elf_err(e, "module signature: cannot read the trailer");
	if (v[2] != MODSIG_ID_PKCS7)
		return elf_err(e,
		    "module signature: id_type %u is not "
		    "PKEY_ID_PKCS7 (%d)",
		    v[2], MODSIG_ID_PKCS7);
	for (size_t i = 0; i < sizeof(v); i++)
		if (modsig_zero_fields[i] != NULL && v[i] != 0)
			return elf_err(e,
			    "module signature: %s is %u, must "
			    "be 0 for PKCS#7",
			    modsig_zero_fields[i], v[i]);
	if (siglen == 0)
		return elf_err(e, "module signature: sig_len is 0");
	if (siglen >= len - MODSIG_TRAILER_LEN)
		return elf_err(e,
		    "module signature: sig_len %u exceeds the "
		    "%llu bytes before the trailer",
		    siglen, (unsigned long long)(len - MODSIG_TRAILER_LEN));
	*body = len - MODSIG_TRAILER_LEN - siglen;
	return 1;
}

int
modsig_parse(const uint8_t *tail, size_t taillen, uint64_t len, uint64_t *body,
    struct artifact_err *e)
{
	uint8_t magic[MODSIG_MAGIC_LEN];
	struct buf b;

	*body = len;
	if (taillen > len || taillen > MODSIG_TRAILER_LEN ||
	    (taillen < MODSIG_TRAILER_LEN && taillen != len))
		return elf_err(e, "module signature: bad trailer window");
	if (taillen < MODSIG_MAGIC_LEN)
		return 0;
	buf_view(&b, tail, taillen);
	if (buf_skip(&b, taillen - MODSIG_MAGIC_LEN) == -1 ||
	    buf_get(&b, magic, sizeof(magic)) == -1)
		return elf_err(e, "module signature: cannot read the magic");
	if (memcmp(magic, MODSIG_MAGIC, MODSIG_MAGIC_LEN) != 0)
		return 0;
	if (taillen < MODSIG_TRAILER_LEN)
		return elf_err(e,
		    "module signature: the file is %llu bytes, "
		    "too short for the trailer its magic announces",
		    (unsigned long long)len);
	buf_view(&b, tail, MODSIG_INFO_LEN);
	return modsig_check_info(&b, len, body, e);
}

int
modsig_find(int fd, uint64_t len, uint64_t *body, struct artifact_err *e)
{
	uint8_t tail[MODSIG_TRAILER_LEN];
	size_t n = len < sizeof(tail) ? (size_t)len : sizeof(tail);

	*body = len;
	if (n > 0 && artifact_pread(fd, len - n, tail, n) == -1)
		return elf_err(e, "cannot read the end of the file");
	return modsig_parse(tail, n, len, body, e);
}

int
modsig_strip(int fd, uint64_t len, uint64_t *body, int *count,
    struct artifact_err *e)
{
	uint64_t cur = len, next;
	int r;

	*count = 0;
	while ((r = modsig_find(fd, cur, &next, e)) == 1) {
		if (++*count > MODSIG_NESTED_MAX)
			return elf_err(e,
			    "module signature: more than %d "
			    "nested signatures",
			    MODSIG_NESTED_MAX);
		cur = next;
	}
	*body = cur;
	return r;
}

void
modsig_encode(uint32_t siglen, uint8_t out[MODSIG_TRAILER_LEN])
{
	memset(out, 0, MODSIG_INFO_LEN);
	out[2] = MODSIG_ID_PKCS7;
	out[8] = (uint8_t)(siglen >> 24);
	out[9] = (uint8_t)(siglen >> 16);
	out[10] = (uint8_t)(siglen >> 8);
	out[11] = (uint8_t)siglen;
	/* The magic is bytes, not a C string: no NUL goes into the file. */
	// NOLINTNEXTLINE(bugprone-not-null-terminated-result)
	memcpy(out + MODSIG_INFO_LEN, MODSIG_MAGIC, MODSIG_MAGIC_LEN);
}
