/* formats.c: which builder makes which format. */
#include "sandbox/formats/formats.h"

static const struct {
	int format;
	format_fn fn;
	int writes_artifact;	/* output goes to the client's output fd */
} builders[] = {
	{ FMT_RAW, format_raw, 0 },
	{ FMT_CMS, format_cms, 0 },
	{ FMT_MODULE, format_module, 1 },
	{ FMT_PE, format_pe, 1 },
	{ FMT_IMA, format_ima, 0 },
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
