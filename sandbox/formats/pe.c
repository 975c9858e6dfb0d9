/* pe.c: placeholder until the pe format lands. */
#include "sandbox/formats/formats.h"

int
format_pe(const struct sign_input *in, struct sign_output *out)
{
	(void)in;
	return sign_fail(out, ST_BAD_REQUEST, "format pe is not implemented");
}
