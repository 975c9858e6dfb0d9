/* formats.c: which builder makes which format. */
#include "sandbox/formats/formats.h"

static const struct {
	format_fn fn;
	int format;
	int writes_artifact;	/* output goes to the client's output fd */
} builders[] = {
	{ format_raw, FMT_RAW, 0 },
	{ format_cms, FMT_CMS, 0 },
	{ format_module, FMT_MODULE, 1 },
	{ format_pe, FMT_PE, 1 },
	{ format_ima, FMT_IMA, 0 },
	{ format_verity, FMT_VERITY, 0 },
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

int
format_writes_artifact(int format)
{
	int i = builder_index(format);

	return i < 0 ? 0 : builders[i].writes_artifact;
}
