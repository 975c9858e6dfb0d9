/* confread.c: csignd.conf(5) lines into words, and the parser's errors. */
#include "records/confparse.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Write "FILE:LINE: message" (or "FILE: message" when line is 0) to err. */
__attribute__((format(printf, 3, 0))) static void
verr(struct parser *p, int line, const char *fmt, va_list ap)
{
	int n;

	if (p->err == NULL || p->errlen == 0)
		return;
	if (line > 0)
		n = snprintf(p->err, p->errlen, "%s:%d: ", p->path, line);
	else
		n = snprintf(p->err, p->errlen, "%s: ", p->path);
	if (n < 0 || (size_t)n >= p->errlen)
		return;
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
}

/* Report an error at a given line (0: none); always returns -1. */
int
conf_perr_at(struct parser *p, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(p, line, fmt, ap);
	va_end(ap);
	return -1;
}

/* Report an error at the current line; always returns -1. */
int
conf_perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(p, p->line, fmt, ap);
	va_end(ap);
	return -1;
}

/* Make room for element n of *arr, growing *cap geometrically up to max. */
int
conf_grow(void **arr, size_t *cap, size_t n, size_t size, size_t max)
{
	size_t ncap;
	void *na;

	if (n < *cap)
		return 0;
	if (n >= max)
		return -1;
	ncap = *cap ? *cap * 2 : 8;
	if (ncap > max)
		ncap = max;
	if ((na = reallocarray(*arr, ncap, size)) == NULL)
		return -1;
	*arr = na;
	*cap = ncap;
	return 0;
}

/* Replace the string at *field with a copy of value. */
int
conf_set_string(struct parser *p, char **field, const char *value)
{
	char *s;

	if ((s = strdup(value)) == NULL)
		return conf_perr(p, "out of memory");
	free(*field);
	*field = s;
	return 0;
}

/* Parse a plain decimal number: digits only, no sign, no overflow. */
int
conf_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* 1 if s is a valid Token or Key name: [A-Za-z0-9._-]{1,KEY_NAME_MAX}. */
static int
valid_name(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > KEY_NAME_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("._-", *s) == NULL)
			return 0;
	return 1;
}

/* Check a Token or Key name, reporting it if bad. */
int
conf_check_name(struct parser *p, const char *s)
{
	if (valid_name(s))
		return 0;
	return conf_perr(p, "bad name '%s': use 1 to %d of A-Z a-z 0-9 . _ -",
	    s, KEY_NAME_MAX);
}

/* The record a scoped keyword writes to: the config or the open block. */
void *
conf_scope_base(struct parser *p, enum scope sc)
{
	if (sc == SC_TOKEN)
		return &p->cfg->tokens[p->cur];
	if (sc == SC_KEY)
		return &p->cfg->keys[p->cur];
	return p->cfg;
}

/* The field of the current keyword's row, in the record it belongs to. */
void *
conf_kw_field(struct parser *p)
{
	return (char *)conf_scope_base(p, p->kw->scope) + p->kw->off;
}

/*
 * Split s into words in place.  Blanks separate words, a word starting
 * with '"' runs to the next '"' (no escapes), and a word starting with '#'
 * ends the line.
 */
static int
split(struct parser *p, char *s, char **argv, int *argcp)
{
	int argc = 0;

	for (;;) {
		s += strspn(s, " \t\r");
		if (*s == '\0' || *s == '#')
			break;
		if (argc == CONF_ARGS_MAX)
			return conf_perr(p, "too many arguments (max %d words)",
			    CONF_ARGS_MAX);
		if (*s == '"') {
			char *end = strchr(s + 1, '"');

			if (end == NULL)
				return conf_perr(p, "unterminated quote");
			if (end == s + 1)
				return conf_perr(p, "empty quoted string");
			if (end[1] != '\0' && strchr(" \t\r", end[1]) == NULL)
				return conf_perr(p, "text after closing quote");
			*end = '\0';
			argv[argc++] = s + 1;
			s = end + 1;
		} else {
			argv[argc++] = s;
			s += strcspn(s, " \t\r");
			if (*s != '\0')
				*s++ = '\0';
		}
	}
	*argcp = argc;
	return 0;
}

/* Read a line into buf (CONF_LINE_MAX + 1 bytes): 1 line, 0 EOF, -1 error. */
static int
read_line(struct parser *p, FILE *f, char *buf)
{
	size_t len = 0;
	int c, nul = 0, any = 0;

	while ((c = getc(f)) != EOF && c != '\n') {
		any = 1;
		if (c == '\0')
			nul = 1;
		if (len < CONF_LINE_MAX)
			buf[len] = (char)c;
		len++;
	}
	if (ferror(f))
		return conf_perr_at(p, 0, "read error: %s", strerror(errno));
	if (c == EOF && !any)
		return 0;
	p->line++;
	if (len > CONF_LINE_MAX)
		return conf_perr(p, "line too long (max %d bytes)",
		    CONF_LINE_MAX);
	if (nul)
		return conf_perr(p, "NUL byte in line");
	buf[len] = '\0';
	return 1;
}

/* Parse every line of f into p->cfg. */
int
conf_parse_file(struct parser *p, FILE *f)
{
	char line[CONF_LINE_MAX + 1];
	char *argv[CONF_ARGS_MAX];
	int argc = 0, rc;

	while ((rc = read_line(p, f, line)) == 1) {
		if (split(p, line, argv, &argc) == -1)
			return -1;
		if (argc > 0 && conf_dispatch(p, argc, argv) == -1)
			return -1;
	}
	if (rc == -1)
		return -1;
	return conf_close_block(p);
}
