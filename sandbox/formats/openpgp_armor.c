/*
 * openpgp_armor.c: ASCII armour (RFC 4880 section 6): base64 in lines of
 * 64 characters, as gpg writes it, and the CRC-24 checksum line.  Only
 * written here, never read: nothing in csign parses armour.
 */
#include <stdio.h>

#include "sandbox/formats/openpgp.h"

#define CRC24_INIT 0xb704ceu
#define CRC24_POLY 0x1864cfbu
#define ARMOR_LINE 64 /* characters of base64 per line (48 bytes) */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

uint32_t
pgp_crc24(const uint8_t *p, size_t len)
{
	uint32_t crc = CRC24_INIT;

	for (size_t i = 0; i < len; i++) {
		crc ^= (uint32_t)p[i] << 16;
		for (int bit = 0; bit < 8; bit++) {
			crc <<= 1;
			if (crc & 0x1000000u)
				crc ^= CRC24_POLY;
		}
	}
	return crc & 0xffffffu;
}

/* Append the base64 of up to three bytes (n of them), padded with '='. */
static int
put_b64_group(struct buf *b, const uint8_t *p, size_t n)
{
	uint32_t v = (uint32_t)p[0] << 16 | (n > 1 ? (uint32_t)p[1] << 8 : 0) |
	    (n > 2 ? p[2] : 0);
	char out[4] = { b64[v >> 18 & 63], b64[v >> 12 & 63],
		n > 1 ? b64[v >> 6 & 63] : '=', n > 2 ? b64[v & 63] : '=' };

	return buf_put(b, out, sizeof(out));
}

/* Append p[0..len) as base64 lines of ARMOR_LINE characters. */
static int
put_b64_lines(struct buf *b, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i += 3) {
		if (put_b64_group(b, p + i, len - i < 3 ? len - i : 3) == -1)
			return -1;
		/* A line is full after 16 groups, and the last one ends. */
		if (((i / 3 + 1) % (ARMOR_LINE / 4) == 0 || i + 3 >= len) &&
		    buf_put_u8(b, '\n') == -1)
			return -1;
	}
	return 0;
}

int
pgp_armor(struct buf *b, const char *what, const uint8_t *p, size_t len)
{
	uint32_t crc = pgp_crc24(p, len);
	uint8_t c[3] = { (uint8_t)(crc >> 16), (uint8_t)(crc >> 8),
		(uint8_t)crc };
	char line[80];
	int n;

	n = snprintf(line, sizeof(line), "-----BEGIN PGP %s-----\n\n", what);
	if (n < 0 || (size_t)n >= sizeof(line) || buf_put(b, line, n) == -1 ||
	    put_b64_lines(b, p, len) == -1 || buf_put_u8(b, '=') == -1 ||
	    put_b64_group(b, c, 3) == -1 || buf_put_u8(b, '\n') == -1)
		return -1;
	n = snprintf(line, sizeof(line), "-----END PGP %s-----\n", what);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -1;
	return buf_put(b, line, (size_t)n);
}
