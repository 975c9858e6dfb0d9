/*
 * A small streaming JSON writer for csign-client --json.
 *
 * The writer tracks nesting and commas; callers emit keys and values in
 * order.  Strings are byte ranges (the daemon's fields are not
 * NUL-terminated): they are escaped as RFC 8259 requires, and bytes that
 * are not UTF-8 become U+FFFD, so the output is always valid JSON.  A
 * top-level value ends with a newline (JSON Lines).  Write errors are
 * left in the FILE for the caller's final ferror() check.
 */
#ifndef CSIGN_CLIENT_JSON_H
#define CSIGN_CLIENT_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH 8

struct json {
	FILE *fp;
	int depth;
	int after_key;		   /* a key was written, value next */
	uint8_t first[JSON_DEPTH]; /* no element yet at this depth */
};

void cl_json_init(struct json *j, FILE *fp);

/* Open and close an object ('{' '}') or an array ('[' ']'). */
void cl_json_open(struct json *j, char c);
void cl_json_close(struct json *j, char c);

/* A member name inside an object; the next value belongs to it. */
void cl_json_key(struct json *j, const char *key);

/* Values. */
void cl_json_strn(struct json *j, const void *p, size_t len);
void cl_json_str(struct json *j, const char *s);
void cl_json_uint(struct json *j, unsigned long long v);
void cl_json_bool(struct json *j, int v);

/* Members: a key and its value. */
void cl_json_kv_strn(struct json *j, const char *key, const void *p,
    size_t len);
void cl_json_kv_str(struct json *j, const char *key, const char *s);
void cl_json_kv_uint(struct json *j, const char *key, unsigned long long v);
void cl_json_kv_bool(struct json *j, const char *key, int v);

/* An array of the space-separated words of p[0..len). */
void cl_json_kv_words(struct json *j, const char *key, const void *p,
    size_t len);

/* Write the escaped, quoted JSON string of p[0..len) to fp. */
void cl_json_escape(FILE *fp, const void *p, size_t len);

#endif
