/*
 * fail.c: sign_fail(), the one way a format reports why it failed.  In
 * its own file so that tests can link the formats with a stand-in for
 * signop_sign() and still use this.
 */
#include <stdarg.h>
#include <stdio.h>

#include "sandbox/formats/formats.h"

int
sign_fail(struct sign_output *out, int status, const char *fmt, ...)
{
	va_list ap;

	out->status = status;
	va_start(ap, fmt);
	vsnprintf(out->message, sizeof(out->message), fmt, ap);
	va_end(ap);
	return -1;
}
