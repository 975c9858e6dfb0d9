/* fuzz_frame: client frames as the session child decodes them. */
#include <stdint.h>
#include <stdlib.h>

#include "proto/frame.h"
#include "proto/names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct frame f;
	const struct frame_spec *fs;
	char s[1025];
	uint32_t u;
	uint64_t v;
	const char *err;

	if (frame_decode(data, size, &f, &err) == -1)
		return 0;
	/* What decoded must obey the protocol table, field by field. */
	fs = frame_spec(f.type);
	if (fs == NULL)
		abort();
	for (size_t i = 0; i < f.ntlv; i++) {
		const struct frame_field *fld =
		    frame_spec_field(fs, f.tlv[i].tag);

		if (fld == NULL || f.tlv[i].len < fld->min ||
		    f.tlv[i].len > fld->max)
			abort();
	}
	/* Every getter on every tag of a frame that decoded. */
	for (uint16_t t = 0; t <= T_TAG_COUNT; t++) {
		(void)frame_get_u32(&f, t, &u);
		(void)frame_get_u64(&f, t, &v);
		(void)frame_get_str(&f, t, s, sizeof(s));
		(void)frame_get_str(&f, t, s, 8);
	}
	return 0;
}
