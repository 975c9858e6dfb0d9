/* ima.c: placeholder until the ima format lands. */
#include "sandbox/formats/formats.h"

int
format_ima(const struct sign_input *in, struct sign_output *out)
{
	(void)in;
	return sign_fail(out, ST_BAD_REQUEST, "format ima is not implemented");
}
