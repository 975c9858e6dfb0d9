/* formats.c: which builder makes which format. */
#include "sandbox/formats/formats.h"

static const struct {
	int format;
	format_fn fn;
} builders[] = {
	{ FMT_RAW, format_raw },
	{ FMT_CMS, format_cms },
};

format_fn
format_builder(int format)
{
	for (size_t i = 0; i < sizeof(builders) / sizeof(builders[0]); i++)
		if (builders[i].format == format)
			return builders[i].fn;
	return NULL;
}
