/* keys.c: csign-client keys, the table and the JSON of a keys reply. */
#include "client/query.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "client/client.h"
#include "client/conn.h"
#include "client/json.h"
#include "client/output.h"
#include "proto/names.h"

/* The fields of one key in a keys reply, in this order. */
static const uint16_t key_tags[] = { T_KEY, T_ALG, T_FORMATS, T_DIGESTS,
	T_NOTAFTER, T_TIMESTAMP, T_APPROVAL, T_FINGERPRINT, T_STATE, T_TOKEN };
enum {
	KF_KEY,
	KF_ALG,
	KF_FORMATS,
	KF_DIGESTS,
	KF_NOTAFTER,
	KF_TIMESTAMP,
	KF_APPROVAL,
	KF_FPR,
	KF_STATE,
	KF_TOKEN, /* a key on replicas: the token signing now */
	KF_COUNT
};

/* The table shows the first KEY_COLS fields; the fingerprint is JSON only. */
#define KEY_COLS 7
static const char *const key_heads[KEY_COLS] = { "KEY", "ALG", "FORMATS",
	"DIGESTS", "EXPIRES", "TIMESTAMP", "APPROVAL" };

/* When a keys reply was read, and the daemon's expiry warning window. */
struct expiry_ctx {
	time_t now;
	uint32_t warn_days; /* CertificateExpiryWarning */
};

enum expiry {
	EXP_UNKNOWN,
	EXP_VALID,
	EXP_SOON,
	EXP_EXPIRED
};

/* One cell of the keys table: "-" if absent, lists comma-separated. */
static const char *
key_cell(char *dst, size_t dstlen, const struct tlv *t)
{
	if (t == NULL || t->len == 0) {
		snprintf(dst, dstlen, "-");
		return dst;
	}
	cl_text_clean(dst, dstlen, t->val, t->len);
	for (char *p = dst; *p != '\0'; p++)
		if (*p == ' ')
			*p = ',';
	return dst;
}

/*
 * Read a T_NOTAFTER value, "YYYY-MM-DDTHH:MM:SSZ", into *t: 0, or -1 if
 * it is not exactly of that form.
 */
static int
notafter_parse(const struct tlv *t, time_t *when)
{
	char s[32], *end;
	struct tm tm;

	if (t == NULL || t->len != 20)
		return -1;
	memcpy(s, t->val, t->len);
	s[t->len] = '\0';
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) == NULL ||
	    *end != '\0')
		return -1;
	*when = timegm(&tm);
	return 0;
}

/* Classify a key's notAfter; *days gets the whole days left. */
static enum expiry
key_expiry(const struct tlv *t, const struct expiry_ctx *ec, long *days)
{
	time_t when;
	long long d;

	if (notafter_parse(t, &when) == -1)
		return EXP_UNKNOWN;
	d = (long long)when - (long long)ec->now;
	*days = (long)(d >= 0 ? d / 86400 : -((-d + 86399) / 86400));
	if (d <= 0)
		return EXP_EXPIRED;
	if (d < (long long)ec->warn_days * 86400)
		return EXP_SOON;
	return EXP_VALID;
}

/*
 * The EXPIRES cell: the notAfter date, marked "expires in N days" inside
 * the daemon's warning window and "EXPIRED" once past.
 */
static const char *
expiry_cell(char *dst, size_t dstlen, const struct tlv *t,
    const struct expiry_ctx *ec)
{
	long days = 0;

	switch (key_expiry(t, ec, &days)) {
	case EXP_UNKNOWN:
		return key_cell(dst, dstlen, t);
	case EXP_EXPIRED:
		snprintf(dst, dstlen, "%.10s (EXPIRED)", (const char *)t->val);
		break;
	case EXP_SOON:
		if (days == 0)
			snprintf(dst, dstlen, "%.10s (expires today)",
			    (const char *)t->val);
		else
			snprintf(dst, dstlen, "%.10s (expires in %ld day%s)",
			    (const char *)t->val, days, days == 1 ? "" : "s");
		break;
	case EXP_VALID:
		snprintf(dst, dstlen, "%.10s", (const char *)t->val);
		break;
	}
	return dst;
}

/* A key's Approval: "COUNT GROUP SECONDS" into its parts; 0 or -1. */
static int
approval_parse(const struct tlv *t, unsigned *count, char *group,
    size_t grouplen, unsigned *secs)
{
	char s[KEY_NAME_MAX + 32], *g, *end;
	unsigned long c, e;

	if (t == NULL || t->len == 0 || t->len >= sizeof(s))
		return -1;
	memcpy(s, t->val, t->len);
	s[t->len] = '\0';
	errno = 0;
	c = strtoul(s, &end, 10);
	if (end == s || *end != ' ' || errno != 0 || c > UINT32_MAX)
		return -1;
	g = end + 1;
	if ((end = strchr(g, ' ')) == NULL || end == g ||
	    (size_t)(end - g) >= grouplen)
		return -1;
	*end++ = '\0';
	e = strtoul(end, &end, 10);
	if (*end != '\0' || errno != 0 || e > UINT32_MAX)
		return -1;
	cl_text_clean(group, grouplen, g, strlen(g));
	*count = (unsigned)c;
	*secs = (unsigned)e;
	return 0;
}

/* The APPROVAL cell: "2-of-releng/4h", or "-". */
static const char *
approval_cell(char *dst, size_t dstlen, const struct tlv *t)
{
	static const struct {
		unsigned secs;
		char unit;
	} units[] = { { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' } };
	char group[KEY_NAME_MAX + 1];
	unsigned count, secs;
	size_t u = 0;

	if (approval_parse(t, &count, group, sizeof(group), &secs) == -1)
		return key_cell(dst, dstlen, t);
	while (secs != 0 && secs % units[u].secs != 0)
		u++;
	snprintf(dst, dstlen, "%u-of-%s/%u%c", count, group,
	    secs / units[u].secs, units[u].unit);
	return dst;
}

/* One cell of a key's table row. */
static const char *
row_cell(char *dst, size_t dstlen, const struct tlv *const *fld, size_t i,
    const struct expiry_ctx *ec)
{
	char state[32];

	if (i == KF_NOTAFTER)
		return expiry_cell(dst, dstlen, fld[i], ec);
	if (i == KF_APPROVAL && fld[i] != NULL)
		return approval_cell(dst, dstlen, fld[i]);
	if (i == KF_KEY && fld[KF_STATE] != NULL) {
		/* A key disabled by an admin: "name (disabled)". */
		key_cell(state, sizeof(state), fld[KF_STATE]);
		key_cell(dst, dstlen, fld[i]);
		snprintf(dst + strlen(dst), dstlen - strlen(dst), " (%s)",
		    state);
		return dst;
	}
	if (i == KF_KEY && fld[KF_TOKEN] != NULL) {
		/* A key on replicas: "name (on hsm-b)". */
		key_cell(state, sizeof(state), fld[KF_TOKEN]);
		key_cell(dst, dstlen, fld[i]);
		snprintf(dst + strlen(dst), dstlen - strlen(dst), " (on %s)",
		    state);
		return dst;
	}
	return key_cell(dst, dstlen, fld[i]);
}

/* Check the key list and measure each column: 0, or -1 with *err. */
static int
keys_widths(const struct frame *f, const struct expiry_ctx *ec, size_t *w,
    const char **err)
{
	const struct tlv *fld[KF_COUNT];
	struct group_iter it;
	char cell[CELL_MAX];
	int r;

	for (size_t i = 0; i < KEY_COLS; i++)
		w[i] = strlen(key_heads[i]);
	cl_group_init(&it, f, key_tags, KF_COUNT);
	while ((r = cl_group_next(&it, fld, err)) == 1) {
		for (size_t i = 0; i < KEY_COLS; i++) {
			size_t cw = cl_text_width(
			    row_cell(cell, sizeof(cell), fld, i, ec));

			if (cw > w[i])
				w[i] = cw;
		}
	}
	return r;
}

/* Print one table row, each cell but the last padded to its width. */
static void
table_row(const char *const *cells, const size_t *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fputs(cells[i], stdout);
		if (i + 1 < n)
			printf("%*s", (int)(w[i] - cl_text_width(cells[i]) + 2),
			    "");
	}
	putchar('\n');
}

/* The keys as a table with a header (the list is already checked). */
static void
keys_text(const struct frame *f, const struct expiry_ctx *ec, const size_t *w)
{
	const struct tlv *fld[KF_COUNT];
	char cells[KEY_COLS][CELL_MAX];
	const char *row[KEY_COLS];
	struct group_iter it;
	const char *err;

	table_row(key_heads, w, KEY_COLS);
	cl_group_init(&it, f, key_tags, KF_COUNT);
	while (cl_group_next(&it, fld, &err) == 1) {
		for (size_t i = 0; i < KEY_COLS; i++)
			row[i] =
			    row_cell(cells[i], sizeof(cells[i]), fld, i, ec);
		table_row(row, w, KEY_COLS);
	}
}

/* A key's "approval": {"group", "count", "expires" (seconds)}, if any. */
static void
approval_json(struct json *j, const struct tlv *t)
{
	char group[KEY_NAME_MAX + 1];
	unsigned count, secs;

	if (approval_parse(t, &count, group, sizeof(group), &secs) == -1)
		return;
	cl_json_key(j, "approval");
	cl_json_open(j, '{');
	cl_json_kv_str(j, "group", group);
	cl_json_kv_uint(j, "count", count);
	cl_json_kv_uint(j, "expires", secs);
	cl_json_close(j, '}');
}

/* A key's "not_after", "expired" and "expires_soon", if it has a date. */
static void
expiry_json(struct json *j, const struct tlv *t, const struct expiry_ctx *ec)
{
	enum expiry e;
	long days;

	if (t == NULL)
		return;
	cl_json_kv_strn(j, "not_after", t->val, t->len);
	if ((e = key_expiry(t, ec, &days)) == EXP_UNKNOWN)
		return;
	cl_json_kv_bool(j, "expired", e == EXP_EXPIRED);
	cl_json_kv_bool(j, "expires_soon", e == EXP_SOON);
}

/* The keys as a JSON array of objects. */
static void
keys_json(const struct frame *f, const struct expiry_ctx *ec)
{
	const struct tlv *fld[KF_COUNT];
	struct group_iter it;
	const char *err;
	struct json j;

	cl_json_init(&j, stdout);
	cl_json_open(&j, '[');
	cl_group_init(&it, f, key_tags, KF_COUNT);
	while (cl_group_next(&it, fld, &err) == 1) {
		cl_json_open(&j, '{');
		cl_json_kv_strn(&j, "key", fld[KF_KEY]->val, fld[KF_KEY]->len);
		if (fld[KF_ALG] != NULL)
			cl_json_kv_strn(&j, "alg", fld[KF_ALG]->val,
			    fld[KF_ALG]->len);
		if (fld[KF_FORMATS] != NULL)
			cl_json_kv_words(&j, "formats", fld[KF_FORMATS]->val,
			    fld[KF_FORMATS]->len);
		if (fld[KF_DIGESTS] != NULL)
			cl_json_kv_words(&j, "digests", fld[KF_DIGESTS]->val,
			    fld[KF_DIGESTS]->len);
		if (fld[KF_FPR] != NULL)
			cl_json_kv_strn(&j, "fingerprint", fld[KF_FPR]->val,
			    fld[KF_FPR]->len);
		cl_json_kv_str(&j, "state",
		    fld[KF_STATE] != NULL ? "disabled" : "enabled");
		if (fld[KF_TOKEN] != NULL)
			cl_json_kv_strn(&j, "token", fld[KF_TOKEN]->val,
			    fld[KF_TOKEN]->len);
		if (fld[KF_TIMESTAMP] != NULL)
			cl_json_kv_strn(&j, "timestamp", fld[KF_TIMESTAMP]->val,
			    fld[KF_TIMESTAMP]->len);
		expiry_json(&j, fld[KF_NOTAFTER], ec);
		approval_json(&j, fld[KF_APPROVAL]);
		cl_json_close(&j, '}');
	}
	cl_json_close(&j, ']');
}

int
cl_cmd_keys(struct conn *c, const struct options *o, struct failure *fl)
{
	struct expiry_ctx ec = { .now = time(NULL), .warn_days = 0 };
	size_t w[KEY_COLS];
	struct reply r;
	const char *err;
	int ret = -1;

	cl_reply_init(&r);
	if (cl_conn_simple(c, F_KEYS, NULL, &r, fl) == -1)
		goto done;
	/* An older daemon sends no window: mark expired keys only. */
	(void)frame_get_u32(&r.f, T_WARN_DAYS, &ec.warn_days);
	if (keys_widths(&r.f, &ec, w, &err) == -1) {
		cl_fail_protocol(fl, err);
		goto done;
	}
	if (o->json)
		keys_json(&r.f, &ec);
	else
		keys_text(&r.f, &ec, w);
	ret = 0;
done:
	cl_reply_free(&r);
	return ret;
}
