/* lineio.c: bounded line reads from audit log files (tool.h). */
#include "audit/tool.h"

#include <errno.h>
#include <string.h>

int
line_open(struct line_reader *r, const char *path)
{
	r->path = path;
	r->lineno = 0;
	r->len = 0;
	r->buf[0] = '\0';
	r->f = fopen(path, "re");
	return r->f != NULL ? 0 : -1;
}

/*
 * Keep at most sizeof(buf) - 1 bytes of a line: a longer line cannot be a
 * record (AUDIT_LINE_MAX counts the '\n'), so the rest of it is skipped
 * and the line reported as too long.
 */
enum line_status
line_next(struct line_reader *r)
{
	size_t n = 0;
	int ch;

	while ((ch = getc_unlocked(r->f)) != EOF && ch != '\n') {
		if (n < sizeof(r->buf) - 1)
			r->buf[n] = (char)ch;
		n++;
	}
	if (ferror(r->f))
		return LINE_ERROR;
	if (ch == EOF && n == 0)
		return LINE_EOF;
	r->lineno++;
	r->len = n < sizeof(r->buf) - 1 ? n : sizeof(r->buf) - 1;
	r->buf[r->len] = '\0';
	if (n > r->len)
		return LINE_LONG;
	return ch == EOF ? LINE_PARTIAL : LINE_OK;
}

void
line_close(struct line_reader *r)
{
	if (r->f != NULL)
		fclose(r->f);
	r->f = NULL;
}
