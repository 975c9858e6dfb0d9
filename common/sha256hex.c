/*
 * sha256hex.c: util_sha256_hex (see util.h), apart from the rest of util.c
 * so that programs that never hash (csign-client and its front ends) link
 * util.o without pulling libcrypto in: loading libcrypto costs every
 * client run about 4 ms of CPU before main().
 */
#include "common/util.h"

#include <openssl/evp.h>

int
util_sha256_hex(const void *p, size_t len, char dst[65])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(p, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		return -1;
	util_hex(md, mdlen, dst, 65);
	return 0;
}
