/*
 * fuzz_openpgp: the cleartext signature's canonicaliser
 * (sandbox/formats/openpgp_clear.c), which reads the untrusted text of
 * -f openpgp-clear byte by byte.  The first input byte picks the size of
 * the pieces the text is fed in (as reads from a pipe would cut it); the
 * rest is the text.  An accepted text is checked against an oracle: the
 * text written out, its dash-escapes undone and its lines joined by
 * CR LF, must be exactly what was hashed, and it must hold no CR, no
 * NUL and no line that starts with a dash but is not escaped.  The
 * armour writer gets the text too.  Seeds (corpus/openpgp) come from
 * tests/fuzz/seeds.sh: texts like the integration case's and a Release.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "sandbox/formats/openpgp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
collect(void *arg, const void *p, size_t len)
{
	return buf_put(arg, p, len);
}

/* What the text written out says was signed, hashed the verifier's way. */
static void
oracle(const struct buf *text, uint8_t *md)
{
	const uint8_t *p = buf_ptr(text);
	size_t n = buf_left(text), i = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		abort();
	while (i < n) {
		const uint8_t *nl = memchr(p + i, '\n', n - i);
		size_t end = nl == NULL ? n : (size_t)(nl - p), start = i;

		if (nl == NULL || memchr(p + i, '\r', end - i) != NULL ||
		    memchr(p + i, '\0', end - i) != NULL)
			abort(); /* every line ends with LF, none has CR/NUL */
		if (p[start] == '-') {
			if (end - start < 2 || p[start + 1] != ' ')
				abort(); /* an unescaped dash */
			start += 2;
		}
		if (i > 0)
			EVP_DigestUpdate(ctx, "\r\n", 2);
		EVP_DigestUpdate(ctx, p + start, end - start);
		i = end + 1;
	}
	EVP_DigestFinal_ex(ctx, md, NULL);
	EVP_MD_CTX_free(ctx);
}

/* Feed the text in pieces of step bytes; 0 if it was accepted. */
static int
canonicalise(const uint8_t *p, size_t n, size_t step, struct buf *text,
    uint8_t *md)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	struct pgp_clear c;
	int r = 0;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		abort();
	pgp_clear_init(&c, ctx, collect, text);
	for (size_t i = 0; i < n && r == 0; i += step)
		r = pgp_clear_feed(&c, p + i, n - i < step ? n - i : step);
	if (r == 0)
		r = pgp_clear_finish(&c);
	if (r == -1 && c.error == NULL)
		abort(); /* refused without saying why */
	EVP_DigestFinal_ex(ctx, md, NULL);
	EVP_MD_CTX_free(ctx);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t md[32], want[32];
	struct buf text, armor;

	if (size < 1)
		return 0;
	buf_init(&text, 4 * size + 16);
	buf_init(&armor, 2 * size + 256);
	if (canonicalise(data + 1, size - 1, (size_t)data[0] % 64 + 1, &text,
		md) == 0) {
		FUZZ_PASSED();
		oracle(&text, want);
		if (memcmp(md, want, sizeof(md)) != 0)
			abort();
	}
	if (pgp_armor(&armor, "SIGNATURE", data, size) == -1)
		abort();
	buf_free(&text);
	buf_free(&armor);
	return 0;
}
