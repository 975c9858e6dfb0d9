/* json.c: the --json writer of csign-client (see json.h). */
#include "client/json.h"

#include <string.h>

#include "client/output.h"
#include "common/utf8.h"

void
cl_json_init(struct json *j, FILE *fp)
{
	memset(j, 0, sizeof(*j));
	j->fp = fp;
	j->first[0] = 1;
}

/* Write the comma that separates this element from the previous one. */
static void
json_sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (!j->first[j->depth])
		putc(',', j->fp);
	j->first[j->depth] = 0;
}

/* A top-level value is complete: end its line. */
static void
json_done(struct json *j)
{
	if (j->depth == 0) {
		putc('\n', j->fp);
		j->first[0] = 1;
	}
}

void
cl_json_open(struct json *j, char c)
{
	json_sep(j);
	putc(c, j->fp);
	if (j->depth < JSON_DEPTH - 1)
		j->depth++;
	j->first[j->depth] = 1;
}

void
cl_json_close(struct json *j, char c)
{
	putc(c, j->fp);
	if (j->depth > 0)
		j->depth--;
	json_done(j);
}

void
cl_json_key(struct json *j, const char *key)
{
	json_sep(j);
	cl_json_escape(j->fp, key, strlen(key));
	putc(':', j->fp);
	j->after_key = 1;
}

/* Write the escape for an ASCII byte that needs one, or nothing. */
static int
json_escape_ascii(FILE *fp, uint8_t c)
{
	static const char short_esc[][2] = {
		['\b'] = "b",
		['\f'] = "f",
		['\n'] = "n",
		['\r'] = "r",
		['\t'] = "t",
	};

	if (c == '"' || c == '\\') {
		fprintf(fp, "\\%c", c);
		return 1;
	}
	if (c < sizeof(short_esc) / sizeof(short_esc[0]) &&
	    short_esc[c][0] != '\0') {
		fprintf(fp, "\\%c", short_esc[c][0]);
		return 1;
	}
	if (c < 0x20 || c == 0x7f) {
		fprintf(fp, "\\u%04x", c);
		return 1;
	}
	return 0;
}

void
cl_json_escape(FILE *fp, const void *p, size_t len)
{
	const uint8_t *s = p;
	size_t i = 0, n;
	unsigned cp;

	putc('"', fp);
	while (i < len) {
		n = utf8_len(s + i, len - i);
		if (n == 0) {
			fputs("\\ufffd", fp); /* not UTF-8 */
			i++;
			continue;
		}
		if ((cp = utf8_bidi_control(s + i, n)) != 0) {
			fprintf(fp, "\\u%04x", cp); /* shown escaped */
			i += n;
			continue;
		}
		if (n > 1 || !json_escape_ascii(fp, s[i]))
			fwrite(s + i, 1, n, fp);
		i += n;
	}
	putc('"', fp);
}

void
cl_json_strn(struct json *j, const void *p, size_t len)
{
	json_sep(j);
	cl_json_escape(j->fp, p, len);
	json_done(j);
}

void
cl_json_str(struct json *j, const char *s)
{
	cl_json_strn(j, s, strlen(s));
}

void
cl_json_uint(struct json *j, unsigned long long v)
{
	json_sep(j);
	fprintf(j->fp, "%llu", v);
	json_done(j);
}

void
cl_json_bool(struct json *j, int v)
{
	json_sep(j);
	fputs(v ? "true" : "false", j->fp);
	json_done(j);
}

void
cl_json_kv_strn(struct json *j, const char *key, const void *p, size_t len)
{
	cl_json_key(j, key);
	cl_json_strn(j, p, len);
}

void
cl_json_kv_str(struct json *j, const char *key, const char *s)
{
	cl_json_key(j, key);
	cl_json_str(j, s);
}

void
cl_json_kv_uint(struct json *j, const char *key, unsigned long long v)
{
	cl_json_key(j, key);
	cl_json_uint(j, v);
}

void
cl_json_kv_bool(struct json *j, const char *key, int v)
{
	cl_json_key(j, key);
	cl_json_bool(j, v);
}

void
cl_json_kv_words(struct json *j, const char *key, const void *p, size_t len)
{
	const char *s = p;
	size_t i = 0, w;

	cl_json_key(j, key);
	cl_json_open(j, '[');
	while (i < len) {
		if (s[i] == ' ') {
			i++;
			continue;
		}
		for (w = 0; i + w < len && s[i + w] != ' '; w++)
			;
		cl_json_strn(j, s + i, w);
		i += w;
	}
	cl_json_close(j, ']');
}
