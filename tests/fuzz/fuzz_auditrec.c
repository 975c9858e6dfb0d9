/*
 * fuzz_auditrec: an audit log as csign-audit verify reads it: the input
 * is the file, cut into lines; the chain starts at the first record (from
 * its own seq and prev, as with --from-middle, so a rotated file's
 * "rotate" record counts too) and every complete line is checked as the
 * next link, then searched for fields as csign-audit search does.  The
 * seeds (corpus/auditrec) are logs written by the real encoder,
 * auditrec_format() (tests/fuzz/seeds_auditrec.c).
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "proto/auditrec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fields csign-audit search and verify read of a line. */
static void
line_fields(const char *line, size_t len)
{
	static const char *const fields[] = { "seq", "event", "user", "key",
		"artifact", "digest", "time", "reason", "nosuch" };
	char v[512];

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		(void)auditrec_get(line, len, fields[i], v, sizeof(v));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char prev[AUDIT_HASH_HEX + 1], hash[AUDIT_HASH_HEX + 1];
	const char *p = (const char *)data, *end = p + size, *nl, *why;
	struct audit_chain c;
	uint64_t seq;
	int first = 1;

	auditrec_chain_init(&c);
	/* A last line without its newline is torn: verify only reports it. */
	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		size_t len = (size_t)(nl - p);

		if (first && auditrec_fields(p, len, &seq, prev, hash) == 0) {
			c.seq = seq - 1;
			memcpy(c.hash, prev, sizeof(c.hash));
		}
		if (auditrec_check(p, len, &c, &why) == -1)
			break;
		if (first)
			FUZZ_PASSED();
		first = 0;
		line_fields(p, len);
		p = nl + 1;
	}
	return 0;
}
