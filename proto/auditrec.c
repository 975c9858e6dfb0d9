/* auditrec.c: format the hash-chained audit records (auditrec.h). */
#include "proto/auditrec.h"
#include "proto/auditline.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/utf8.h"
#include "common/util.h"

/* A bounded writer into the caller's line buffer. */
struct out {
	char *p;
	size_t max;
	size_t len;
	int full;
};

void
auditrec_chain_init(struct audit_chain *c)
{
	c->seq = 0;
	memset(c->hash, '0', AUDIT_HASH_HEX);
	c->hash[AUDIT_HASH_HEX] = '\0';
}

/* Append n bytes, or mark the line full. */
static void
out_bytes(struct out *o, const void *s, size_t n)
{
	if (o->full || n > o->max - o->len) {
		o->full = 1;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

/* Append formatted text (NUL-terminated in place), or mark the line full. */
static void __attribute__((format(printf, 2, 3)))
out_fmt(struct out *o, const char *fmt, ...)
{
	size_t room = o->max - o->len;
	va_list ap;
	int w;

	if (o->full)
		return;
	va_start(ap, fmt);
	w = vsnprintf(o->p + o->len, room, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= room) {
		o->full = 1;
		return;
	}
	o->len += (size_t)w;
}

/*
 * Append s as a JSON string.  The artifact name comes from the client, so
 * nothing of it may reach the line raw except printable ASCII and
 * well-formed UTF-8: quotes and backslashes are escaped, control
 * characters, DEL and bytes that are not valid UTF-8 become \u00XX.  Every
 * line is thus valid JSON and valid UTF-8.
 */
static void
out_json_str(struct out *o, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n;

	out_bytes(o, "\"", 1);
	while (*u != '\0') {
		n = 1;
		if (*u == '"' || *u == '\\')
			out_fmt(o, "\\%c", *u);
		else if (*u < 0x20 || *u == 0x7f)
			out_fmt(o, "\\u%04x", (unsigned)*u);
		else if (*u < 0x80)
			out_bytes(o, u, 1);
		else if ((n = utf8_len(u, strnlen((const char *)u, 4))) > 0 &&
		    utf8_bidi_control(u, n) != 0)
			out_fmt(o, "\\u%04x", utf8_bidi_control(u, n));
		else if (n > 0)
			out_bytes(o, u, n);
		else {
			n = 1;
			out_fmt(o, "\\u%04x", (unsigned)*u);
		}
		u += n;
	}
	out_bytes(o, "\"", 1);
}

/* Append ,"name":"value" unless v is NULL. */
static void
out_field(struct out *o, const char *name, const char *v)
{
	if (v == NULL)
		return;
	out_fmt(o, ",\"%s\":", name);
	out_json_str(o, v);
}

/* Append the RFC 3339 UTC time with microseconds; -1 if out of range. */
static int
out_time(struct out *o, int64_t sec, long usec)
{
	time_t t = (time_t)sec;
	struct tm tm;

	if (usec < 0 || usec > 999999 || (int64_t)t != sec ||
	    gmtime_r(&t, &tm) == NULL)
		return -1;
	/* Four-digit years only, so that times sort as strings. */
	if (tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return -1;
	out_fmt(o, ",\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ\"",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, usec);
	return 0;
}

/* Append the peer's uid, user, groups, pid and listener. */
static void
out_peer(struct out *o, const struct audit_event *ev)
{
	size_t n = ev->ngroups;

	if (n > AUDIT_MAX_GROUPS)
		n = AUDIT_MAX_GROUPS;
	out_fmt(o, ",\"uid\":%ju", (uintmax_t)ev->uid);
	out_field(o, "user", ev->user);
	out_fmt(o, ",\"groups\":[");
	for (size_t i = 0; i < n; i++)
		out_fmt(o, "%s%ju", i ? "," : "", (uintmax_t)ev->groups[i]);
	out_fmt(o, "],\"pid\":%jd", (intmax_t)ev->pid);
	out_field(o, "via", ev->via);
}

/* Append the event's own fields, in the fixed order. */
static void
out_event(struct out *o, const struct audit_event *ev)
{
	out_field(o, "event", ev->event);
	if (ev->has_peer)
		out_peer(o, ev);
	out_field(o, "key", ev->key);
	out_field(o, "cert_sha256", ev->cert_sha256);
	out_field(o, "format", ev->format);
	out_field(o, "artifact", ev->artifact);
	if (ev->has_size)
		out_fmt(o, ",\"size\":%" PRIu64, ev->size);
	out_field(o, "digest_alg", ev->digest_alg);
	out_field(o, "digest", ev->digest_hex);
	out_field(o, "result", ev->result);
	out_field(o, "reason", ev->reason);
	if (ev->has_request)
		out_fmt(o, ",\"request\":%" PRIu64, ev->request);
	out_field(o, "approvers", ev->approvers);
	out_field(o, "tsa", ev->tsa);
	out_field(o, "timestamp", ev->timestamp);
}

int
auditrec_format(char *line, size_t max, struct audit_chain *c, int64_t sec,
    long usec, const struct audit_event *ev)
{
	struct out o = { line, max, 0, 0 };
	char hash[AUDIT_HASH_HEX + 1];

	if (max == 0 || c->seq == UINT64_MAX)
		return -1;
	out_fmt(&o, REC_HEAD "%" PRIu64, c->seq + 1);
	if (out_time(&o, sec, usec) == -1)
		return -1;
	out_event(&o, ev);
	out_fmt(&o, REC_PREV_KEY "%s\"", c->hash);
	if (o.full || util_sha256_hex(line, o.len, hash) == -1)
		return -1;
	out_fmt(&o, ",\"hash\":\"%s\"}\n", hash);
	/* out_fmt left room for the NUL it wrote after the '\n'. */
	if (o.full || o.len > AUDIT_LINE_MAX)
		return -1;
	c->seq++;
	memcpy(c->hash, hash, sizeof(c->hash));
	return (int)o.len;
}
