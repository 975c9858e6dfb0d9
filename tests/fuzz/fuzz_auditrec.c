/* fuzz_auditrec: audit records as csign-audit and csignd's recovery read them. */
#include <stdint.h>

#include "proto/auditrec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char prev[AUDIT_HASH_HEX + 1], hash[AUDIT_HASH_HEX + 1], v[512];
	static const char *const fields[] = { "seq", "event", "user", "key",
		"artifact", "digest", "time", "nosuch" };
	struct audit_chain c;
	const char *why;
	uint64_t seq;

	auditrec_chain_init(&c);
	(void)auditrec_check((const char *)data, size, &c, &why);
	(void)auditrec_fields((const char *)data, size, &seq, prev, hash);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		(void)auditrec_get((const char *)data, size, fields[i], v,
		    sizeof(v));
	return 0;
}
