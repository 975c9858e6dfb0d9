/* module.c: placeholder until the module format lands. */
#include "sandbox/formats/formats.h"

int
format_module(const struct sign_input *in, struct sign_output *out)
{
	(void)in;
	return sign_fail(out, ST_BAD_REQUEST, "format module is not implemented");
}
