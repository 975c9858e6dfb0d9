/*
 * auditparse.c: read and check the hash-chained audit records
 * (auditrec.h), for csign-audit and for csignd's recovery of its chain.
 */
#include "proto/auditrec.h"
#include "proto/auditline.h"

#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "common/util.h"
#include "proto/buf.h"

enum rec_status {
	REC_OK,
	REC_MALFORMED,
	REC_BAD_HASH
};

/* Next byte of b without consuming it, or -1 at the end. */
static int
peek(const struct buf *b)
{
	return buf_left(b) > 0 ? buf_ptr(b)[0] : -1;
}

/* Consume the literal s if b continues with it; 0 or -1. */
static int
expect(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	if (buf_left(b) < n || memcmp(buf_ptr(b), s, n) != 0)
		return -1;
	return buf_skip(b, n);
}

/* Consume exactly 64 lowercase hex digits into hex (NUL-terminated). */
static int
get_hex64(struct buf *b, char hex[AUDIT_HASH_HEX + 1])
{
	if (buf_get(b, hex, AUDIT_HASH_HEX) == -1)
		return -1;
	hex[AUDIT_HASH_HEX] = '\0';
	return strspn(hex, "0123456789abcdef") == AUDIT_HASH_HEX ? 0 : -1;
}

/* Consume a decimal number without leading zeros; 0 or -1 on overflow. */
static int
get_u64(struct buf *b, uint64_t *v)
{
	uint8_t d;
	int n = 0;

	*v = 0;
	while (peek(b) >= '0' && peek(b) <= '9') {
		if (n > 0 && *v == 0)
			return -1;
		(void)buf_get_u8(b, &d);
		if (*v > (UINT64_MAX - (d - '0')) / 10)
			return -1;
		*v = *v * 10 + (d - '0');
		n++;
	}
	return n > 0 ? 0 : -1;
}

/* Destination of a decoded string; p NULL when only validating. */
struct sink {
	char *p;
	size_t max;
	size_t len;
};

/* Add n bytes to the sink (if any), keeping room for a NUL. */
static int
sink_put(struct sink *s, const void *p, size_t n)
{
	if (s->p == NULL)
		return 0;
	if (n >= s->max - s->len)
		return -1;
	memcpy(s->p + s->len, p, n);
	s->len += n;
	s->p[s->len] = '\0';
	return 0;
}

/* Add code point cp (not 0, not a surrogate, BMP) as UTF-8. */
static int
sink_put_cp(struct sink *s, unsigned cp)
{
	unsigned char u[3];

	if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		return sink_put(s, u, 1);
	}
	if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | cp >> 6);
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return sink_put(s, u, 2);
	}
	u[0] = (unsigned char)(0xe0 | cp >> 12);
	u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	u[2] = (unsigned char)(0x80 | (cp & 0x3f));
	return sink_put(s, u, 3);
}

/* Decode the four hex digits of a \u escape into *cp. */
static int
get_u_escape(struct buf *b, unsigned *cp)
{
	char hex[5];

	if (buf_get(b, hex, 4) == -1)
		return -1;
	hex[4] = '\0';
	if (strspn(hex, "0123456789abcdefABCDEF") != 4)
		return -1;
	*cp = (unsigned)strtoul(hex, NULL, 16);
	return 0;
}

/*
 * Decode one backslash escape (the backslash already consumed).  A \u00XX
 * that auditrec_format wrote for a byte that was not UTF-8 decodes as the
 * code point U+00XX, as JSON says, not as the original byte.
 */
static int
get_escape(struct buf *b, struct sink *s)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit;
	unsigned cp;
	uint8_t c;

	if (buf_get_u8(b, &c) == -1 || c == '\0')
		return -1;
	if (c == 'u')
		return get_u_escape(b, &cp) == -1 ? -1 : sink_put_cp(s, cp);
	if ((hit = strchr(from, c)) == NULL)
		return -1;
	return sink_put(s, &to[hit - from], 1);
}

/* Copy one raw byte of a string, or a whole UTF-8 sequence starting at it. */
static int
get_raw(struct buf *b, struct sink *s)
{
	unsigned char u[5] = { 0 };
	size_t n;

	if (peek(b) < 0x80) {
		if (peek(b) < 0x20 || peek(b) == 0x7f)
			return -1;
		(void)buf_get(b, u, 1);
		return sink_put(s, u, 1);
	}
	memcpy(u, buf_ptr(b), buf_left(b) < 4 ? buf_left(b) : 4);
	if ((n = utf8_len(u, buf_left(b) < 4 ? buf_left(b) : 4)) == 0)
		return -1;
	(void)buf_skip(b, n);
	return sink_put(s, u, n);
}

/*
 * Consume a JSON string as auditrec_format writes it: no raw control
 * characters, valid UTF-8, standard escapes.  The decoded value goes to s.
 */
static int
get_string(struct buf *b, struct sink *s)
{
	uint8_t c;

	if (expect(b, "\"") == -1)
		return -1;
	while (peek(b) != '"') {
		if (peek(b) == -1)
			return -1;
		if (peek(b) == '\\') {
			(void)buf_get_u8(b, &c);
			if (get_escape(b, s) == -1)
				return -1;
		} else if (get_raw(b, s) == -1)
			return -1;
	}
	return buf_get_u8(b, &c);
}

/* Consume an integer, optionally negative. */
static int
get_number(struct buf *b)
{
	uint64_t v;

	(void)expect(b, "-");
	return get_u64(b, &v);
}

/* Consume an array of integers (groups). */
static int
get_array(struct buf *b)
{
	if (expect(b, "[") == -1)
		return -1;
	if (expect(b, "]") == 0)
		return 0;
	do {
		if (get_number(b) == -1)
			return -1;
	} while (expect(b, ",") == 0);
	return expect(b, "]");
}

/* Consume one value: a string (decoded into s), number or array. */
static int
get_value(struct buf *b, struct sink *s)
{
	if (peek(b) == '"')
		return get_string(b, s);
	if (peek(b) == '[')
		return get_array(b);
	return get_number(b);
}

/* Consume "key": and report whether the key is name. */
static int
get_key(struct buf *b, const char *name, int *match)
{
	char key[32];
	struct sink s = { key, sizeof(key), 0 };

	key[0] = '\0';
	if (get_string(b, &s) == -1 || expect(b, ":") == -1)
		return -1;
	*match = name != NULL && strcmp(key, name) == 0;
	return 0;
}

/*
 * Walk the object in line.  With name set, stop at that top-level field
 * and put its value in *val: decoded into s for a string, the raw text
 * span for a number or array.  Returns 1 if found, 0 if the whole line is
 * a well-formed object without it, -1 if malformed.
 */
static int
walk(const char *line, size_t len, const char *name, struct sink *s,
    const uint8_t **raw, size_t *rawlen)
{
	struct sink none = { NULL, 0, 0 };
	struct buf b;
	int match = 0;

	buf_view(&b, line, len);
	if (expect(&b, "{") == -1)
		return -1;
	do {
		if (get_key(&b, name, &match) == -1)
			return -1;
		*raw = buf_ptr(&b);
		*rawlen = buf_left(&b);
		if (get_value(&b, match ? s : &none) == -1)
			return -1;
		*rawlen -= buf_left(&b);
		if (match)
			return 1;
	} while (expect(&b, ",") == 0);
	return expect(&b, "}") == 0 && buf_end(&b) == 0 ? 0 : -1;
}

/* Check the fixed head {"seq":N, and read N (never 0). */
static int
parse_head(struct buf *b, uint64_t *seq)
{
	if (expect(b, REC_HEAD) == -1 || get_u64(b, seq) == -1 || *seq == 0)
		return -1;
	return peek(b) == ',' ? 0 : -1;
}

/* Check the fixed tail of the line and read prev and hash from it. */
static int
parse_tail(const char *line, size_t len, char prev[AUDIT_HASH_HEX + 1],
    char hash[AUDIT_HASH_HEX + 1])
{
	struct buf b;

	buf_view(&b, line, len);
	if (buf_skip(&b, len - REC_TAIL_LEN) == -1 ||
	    expect(&b, REC_PREV_KEY) == -1 || get_hex64(&b, prev) == -1 ||
	    expect(&b, REC_HASH_KEY) == -1 || get_hex64(&b, hash) == -1 ||
	    expect(&b, REC_END) == -1)
		return -1;
	return buf_end(&b);
}

/*
 * Read seq, prev and hash and check the record's own hash, then that the
 * whole line is a well-formed object.  The hash is checked before the
 * structure so that an edited record is reported as altered.
 */
static enum rec_status
parse_record(const char *line, size_t len, uint64_t *seq,
    char prev[AUDIT_HASH_HEX + 1], char hash[AUDIT_HASH_HEX + 1])
{
	char want[AUDIT_HASH_HEX + 1];
	const uint8_t *raw;
	size_t rawlen;
	struct buf b;

	if (len >= AUDIT_LINE_MAX || len < LIT_LEN(REC_HEAD) + 2 + REC_TAIL_LEN)
		return REC_MALFORMED;
	buf_view(&b, line, len);
	if (parse_head(&b, seq) == -1 ||
	    parse_tail(line, len, prev, hash) == -1)
		return REC_MALFORMED;
	if (util_sha256_hex(line, len - REC_UNHASHED_LEN, want) == -1)
		return REC_MALFORMED;
	if (strcmp(want, hash) != 0)
		return REC_BAD_HASH;
	if (walk(line, len, NULL, NULL, &raw, &rawlen) != 0)
		return REC_MALFORMED;
	return REC_OK;
}

int
auditrec_fields(const char *line, size_t len, uint64_t *seq,
    char prev[AUDIT_HASH_HEX + 1], char hash[AUDIT_HASH_HEX + 1])
{
	return parse_record(line, len, seq, prev, hash) == REC_OK ? 0 : -1;
}

/* Set *why if the caller asked for it; return -1. */
static int
check_fail(const char **why, const char *text)
{
	if (why != NULL)
		*why = text;
	return -1;
}

/*
 * The own hash is checked first (an edit anywhere shows as "altered"),
 * then the link: prev before seq, since a removed or reordered record
 * breaks both and prev says more.
 */
int
auditrec_check(const char *line, size_t len, struct audit_chain *c,
    const char **why)
{
	char prev[AUDIT_HASH_HEX + 1], hash[AUDIT_HASH_HEX + 1];
	uint64_t seq;

	switch (parse_record(line, len, &seq, prev, hash)) {
	case REC_MALFORMED:
		return check_fail(why, "malformed record");
	case REC_BAD_HASH:
		return check_fail(why, "record hash mismatch (record altered)");
	case REC_OK:
		break;
	}
	if (strcmp(prev, c->hash) != 0)
		return check_fail(why,
		    "prev does not match the previous "
		    "record (record removed or reordered)");
	if (c->seq == UINT64_MAX || seq != c->seq + 1)
		return check_fail(why, "sequence number out of order");
	c->seq = seq;
	memcpy(c->hash, hash, sizeof(c->hash));
	return 0;
}

int
auditrec_get(const char *line, size_t len, const char *name, char *dst,
    size_t dstlen)
{
	struct sink s = { dst, dstlen, 0 };
	const uint8_t *raw;
	size_t rawlen;

	if (dst == NULL || dstlen == 0 || name == NULL)
		return -1;
	dst[0] = '\0';
	if (walk(line, len, name, &s, &raw, &rawlen) != 1)
		return -1;
	if (raw[0] == '"')
		return 0;
	if (rawlen >= dstlen)
		return -1;
	memcpy(dst, raw, rawlen);
	dst[rawlen] = '\0';
	return 0;
}
