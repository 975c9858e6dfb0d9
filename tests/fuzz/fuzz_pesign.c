/*
 * fuzz_pesign: pesign protocol messages as csignd's pesign listener reads
 * them: exactly a 12-byte header, then exactly the payload the header
 * announces (a stream that ends sooner is a client that hung up, and
 * nothing is decoded), then the reply it would send.  What follows the
 * payload is the next message, read the same way.  The seeds
 * (corpus/pesign) come from the real encoder, pesign_req_encode(), one
 * per command (tests/fuzz/seeds_pesign.c).
 */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_util.h"
#include "proto/pesign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One message at data[0..size): its length, or 0 if the stream stops. */
static size_t
message(const uint8_t *data, size_t size)
{
	struct pesign_hdr h;
	struct pesign_req r;
	uint8_t reply[PESIGN_REPLY_MAX];
	char err[256];

	if (size < PESIGN_HDR_LEN ||
	    pesign_hdr_decode(data, &h, err, sizeof(err)) == -1 ||
	    h.size > size - PESIGN_HDR_LEN)
		return 0;
	if (pesign_req_decode(h.command, data + PESIGN_HDR_LEN, h.size, &r, err,
		sizeof(err)) == -1) {
		(void)pesign_reply_encode(reply, sizeof(reply), -1, err);
		return 0;
	}
	FUZZ_PASSED();
	(void)pesign_reply_encode(reply, sizeof(reply), 0, r.token);
	(void)pesign_cmd_name(r.command);
	return PESIGN_HDR_LEN + h.size;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n;

	while ((n = message(data, size)) > 0) {
		data += n;
		size -= n;
	}
	return 0;
}
