/*
 * fuzz_pesign: pesign protocol messages as csignd's pesign listener reads
 * them: a 12-byte header, then the payload the header announces.
 */
#include <stdint.h>
#include <stdlib.h>

#include "proto/pesign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pesign_hdr h;
	struct pesign_req r;
	uint8_t reply[PESIGN_REPLY_MAX];
	char err[256];

	if (size < PESIGN_HDR_LEN ||
	    pesign_hdr_decode(data, &h, err, sizeof(err)) == -1)
		return 0;
	if (h.size > size - PESIGN_HDR_LEN)
		h.size = (uint32_t)(size - PESIGN_HDR_LEN);
	if (pesign_req_decode(h.command, data + PESIGN_HDR_LEN, h.size, &r, err,
		sizeof(err)) == 0)
		(void)pesign_reply_encode(reply, sizeof(reply), 0, r.token);
	else
		(void)pesign_reply_encode(reply, sizeof(reply), -1, err);
	return 0;
}
