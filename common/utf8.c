/*
 * utf8.c: UTF-8 well-formedness and the bidirectional controls, written
 * once for the client, csign-audit and the audit record writer.
 */
#include "common/utf8.h"

size_t
utf8_len(const uint8_t *p, size_t left)
{
	uint8_t lo = 0x80, hi = 0xbf;
	size_t n;

	if (left == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	/* The second byte's range excludes overlongs and surrogates. */
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (left < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

unsigned
utf8_bidi_control(const uint8_t *p, size_t n)
{
	unsigned cp;

	if (n != 3 || p[0] != 0xe2)
		return 0;
	cp = (unsigned)(p[0] & 0x0f) << 12 | (unsigned)(p[1] & 0x3f) << 6 |
	    (unsigned)(p[2] & 0x3f);
	if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
		return cp;
	return 0;
}

int
utf8_text_valid(const void *text, size_t len)
{
	const uint8_t *p = text;
	size_t n;

	for (size_t i = 0; i < len; i += n) {
		if (p[i] < 0x20 || p[i] == 0x7f ||
		    (n = utf8_len(p + i, len - i)) == 0)
			return 0;
		/* C1 controls, U+0080..U+009F, are two bytes: C2 80..9F. */
		if (n == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)
			return 0;
	}
	return 1;
}
