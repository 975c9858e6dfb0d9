/* formats.c: which builder makes which format. */
#include "sandbox/formats/formats.h"

static const struct {
	format_fn fn;
	int format;
} builders[] = {
	{ format_two_step_sign, FMT_RAW },
	{ format_two_step_sign, FMT_CMS },
	{ format_two_step_sign, FMT_MODULE },
	{ format_two_step_sign, FMT_PE },
	{ format_two_step_sign, FMT_IMA },
	{ format_two_step_sign, FMT_VERITY },
	{ format_two_step_sign, FMT_OPENPGP },
	{ format_two_step_sign, FMT_OPENPGP_CLEAR },
};

/* The table entry of a format, or -1. */
static int
builder_index(int format)
{
	for (size_t i = 0; i < sizeof(builders) / sizeof(builders[0]); i++)
		if (builders[i].format == format)
			return (int)i;
	return -1;
}

format_fn
format_builder(int format)
{
	int i = builder_index(format);

	return i < 0 ? NULL : builders[i].fn;
}
