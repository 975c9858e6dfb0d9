/*
 * fuzz_msg: child <-> monitor messages, read as they are in production:
 * the 2-byte type, then the body through the decoder the channel's table
 * (proto/chan.c) gives that type.  The monitor decodes what a (possibly
 * compromised) child sends; the child decodes the monitor's replies; both
 * go through the same rows.  The seeds (corpus/msg) are whole datagrams
 * from the real encoders, one per type (tests/fuzz/seeds_msg.c).
 */
#include <stdint.h>

#include "fuzz_util.h"
#include "proto/buf.h"
#include "proto/chan.h"
#include "proto/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static union chan_body body;
	const struct chan_msg *row;
	struct buf b;
	uint16_t type;

	buf_view(&b, data, size);
	if (msg_type_of(&b, &type) == -1 || (row = chan_lookup(type)) == NULL)
		return 0;
	if (row->decode(&b, &body) == 0)
		FUZZ_PASSED();
	(void)msg_type_name(type);
	return 0;
}
