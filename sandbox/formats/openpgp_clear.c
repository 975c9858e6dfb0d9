/*
 * openpgp_clear.c: the text of a cleartext signature (RFC 4880 section
 * 7), canonicalised as it streams through (see openpgp.h).  This reads
 * the untrusted artifact byte by byte: every byte is either refused or
 * accounted for, and nothing is kept but the spaces and tabs that may
 * yet turn out to end a line (as runs, so that their number is bounded
 * by the alternations between the two, not by the length of the run).
 */
#include <string.h>

#include "common/utf8.h"
#include "sandbox/formats/openpgp.h"

void
pgp_clear_init(struct pgp_clear *c, EVP_MD_CTX *md,
    int (*emit)(void *, const void *, size_t), void *arg)
{
	memset(c, 0, sizeof(*c));
	c->md = md;
	c->emit = emit;
	c->arg = arg;
	c->line = 1;
	c->at_start = 1;
}

/* Refuse the text: -1 with why. */
static int
refuse(struct pgp_clear *c, const char *why)
{
	c->error = why;
	return -1;
}

/* The bytes go both to the hash (canonical) and out (as text). */
static int
both(struct pgp_clear *c, const void *p, size_t len)
{
	if (len == 0)
		return 0;
	if (EVP_DigestUpdate(c->md, p, len) != 1)
		return refuse(c, "cannot hash the text");
	return c->emit(c->arg, p, len);
}

/* Blanks held back turn out to be inside the line: let them through. */
static int
blanks_flush(struct pgp_clear *c)
{
	static const char sp[] = "                                ";
	static const char tab[] = "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t";
	const size_t chunk = sizeof(tab) - 1;

	for (size_t i = 0; i < c->nblank; i++) {
		uint64_t n = c->blank[i].n;

		while (n > 0) {
			size_t k = n > chunk ? chunk : (size_t)n;

			if (both(c, c->blank[i].ch == ' ' ? sp : tab, k) == -1)
				return -1;
			n -= k;
		}
	}
	c->nblank = 0;
	return 0;
}

/* Hold back a space or tab: it is dropped if the line ends first. */
static int
blank_hold(struct pgp_clear *c, uint8_t ch)
{
	if (c->nblank > 0 && c->blank[c->nblank - 1].ch == ch) {
		c->blank[c->nblank - 1].n++;
		return 0;
	}
	if (c->nblank == PGP_BLANK_RUNS)
		return refuse(c, "too many alternations of spaces and tabs");
	c->blank[c->nblank].ch = ch;
	c->blank[c->nblank++].n = 1;
	return 0;
}

/*
 * A line has its first byte (not its ending): the previous line's ending
 * goes into the hash as CR LF, and a leading '-' is escaped in the text.
 */
static int
line_begin(struct pgp_clear *c, uint8_t ch)
{
	c->at_start = 0;
	if (c->newline) {
		c->newline = 0;
		if (EVP_DigestUpdate(c->md, "\r\n", 2) != 1)
			return refuse(c, "cannot hash the text");
	}
	if (ch == '-' && c->emit(c->arg, "- ", 2) == -1)
		return -1;
	return 0;
}

/* A line ends: its trailing blanks are dropped, its ending waits. */
static int
line_end(struct pgp_clear *c)
{
	c->nblank = 0;
	if (c->at_start && c->newline &&
	    EVP_DigestUpdate(c->md, "\r\n", 2) != 1)
		return refuse(c, "cannot hash the text");
	c->newline = 1;
	c->at_start = 1;
	c->line++;
	return c->emit(c->arg, "\n", 1);
}

/* The expected length of a UTF-8 sequence from its lead byte, or 0. */
static size_t
utf8_expect(uint8_t lead)
{
	if (lead >= 0xc2 && lead <= 0xdf)
		return 2;
	if (lead >= 0xe0 && lead <= 0xef)
		return 3;
	if (lead >= 0xf0 && lead <= 0xf4)
		return 4;
	return 0;
}

/* One byte of a multi-byte UTF-8 sequence; complete ones are checked. */
static int
utf8_byte(struct pgp_clear *c, uint8_t ch)
{
	if (c->nutf8 == 0 && utf8_expect(ch) == 0)
		return refuse(c, "not UTF-8 text");
	if (c->nutf8 > 0 && (ch & 0xc0) != 0x80)
		return refuse(c, "not UTF-8 text");
	c->utf8[c->nutf8++] = ch;
	if (c->nutf8 < utf8_expect(c->utf8[0]))
		return 0;
	if (utf8_len(c->utf8, c->nutf8) != c->nutf8)
		return refuse(c, "not UTF-8 text");
	c->nutf8 = 0;
	return 0;
}

/* A byte that needs more than passing through; see pgp_clear_feed(). */
static int
special(struct pgp_clear *c, uint8_t ch)
{
	if (c->cr && ch != '\n')
		return refuse(c, "a carriage return without a line feed");
	if (c->nutf8 > 0 && ch < 0x80)
		return refuse(c, "not UTF-8 text");
	if (ch == '\0')
		return refuse(c, "a NUL byte");
	if (ch == '\r') {
		c->cr = 1;
		return 0;
	}
	if (ch == '\n') {
		c->cr = 0;
		return line_end(c);
	}
	if (c->at_start && line_begin(c, ch) == -1)
		return -1;
	if (ch == ' ' || ch == '\t')
		return blank_hold(c, ch);
	if (blanks_flush(c) == -1)
		return -1;
	if (ch >= 0x80 && utf8_byte(c, ch) == -1)
		return -1;
	return both(c, &ch, 1);
}

/* 1 if ch passes straight through in the middle of a line. */
static int
plain(const struct pgp_clear *c, uint8_t ch)
{
	return !c->at_start && !c->cr && c->nblank == 0 && c->nutf8 == 0 &&
	    ch > ' ' && ch < 0x80;
}

int
pgp_clear_feed(struct pgp_clear *c, const uint8_t *p, size_t len)
{
	size_t i = 0, start;

	if (c->error != NULL)
		return -1;
	while (i < len) {
		/* Runs of plain bytes are hashed and written at once. */
		for (start = i; i < len && plain(c, p[i]); i++)
			;
		if (both(c, p + start, i - start) == -1)
			return -1;
		if (i < len && special(c, p[i++]) == -1)
			return -1;
	}
	return 0;
}

int
pgp_clear_finish(struct pgp_clear *c)
{
	if (c->error != NULL)
		return -1;
	if (c->cr)
		return refuse(c, "a carriage return without a line feed");
	if (c->nutf8 > 0)
		return refuse(c, "not UTF-8 text (a sequence cut short)");
	/* The last line's blanks are trailing; its ending is the frame's. */
	c->nblank = 0;
	if (!c->at_start && c->emit(c->arg, "\n", 1) == -1)
		return -1;
	return 0;
}
