/*
 * csign-audit: check and search csignd's hash-chained audit log.
 *
 *     csign-audit verify [--quiet] [--from-middle] file ...
 *     csign-audit search [--json] [--key key] ... file ...
 *
 * A reader only: it never writes to the log.  See csign-audit(8).
 */
#include "audit/tool.h"

#include <getopt.h>
#include <stdarg.h>
#include <string.h>

/* The commands, by name. */
static const struct {
	const char *name;
	int (*run)(int, char **);
} commands[] = {
	{ "verify", verify_main },
	{ "search", search_main },
};

/* The manual's synopsis, word for word. */
void
tool_usage(FILE *out)
{
	fprintf(out,
	    "usage: " TOOL_NAME " verify [--quiet] [--from-middle] file ...\n"
	    "       " TOOL_NAME " search [--json] [--key key] [--user user]"
	    " [--format format]\n"
	    "                          [--event event] [--since time]"
	    " [--until time] file ...\n"
	    "       " TOOL_NAME " -h | --help\n");
}

int
tool_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, TOOL_NAME ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	tool_usage(stderr);
	return TOOL_USAGE;
}

/*
 * The commands run getopt_long() with opterr off and ":" leading their
 * option strings, so that errors come here and read like every other.
 */
int
tool_bad_option(int c, char **argv)
{
	const char *opt = argv[optind - 1];

	if (c == ':')
		return tool_usage_error("option requires an argument: %s", opt);
	return tool_usage_error("unknown option: %s", opt);
}

/* A report on stdout that did not reach its file is a failure too. */
static int
flush_stdout(int rc)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		perror(TOOL_NAME ": stdout");
		return rc == TOOL_OK ? TOOL_FAIL : rc;
	}
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		return tool_usage_error("%s", "no command given");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		tool_usage(stdout);
		return flush_stdout(TOOL_OK);
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return flush_stdout(
			    commands[i].run(argc - 1, argv + 1));
	return tool_usage_error("unknown command: %s", argv[1]);
}
