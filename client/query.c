/* query.c: csign-client keys, cert, whoami and status (see query.h). */
#include "client/query.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "client/client.h"
#include "client/conn.h"
#include "client/json.h"
#include "client/output.h"
#include "proto/names.h"

/* The fields of one key in a keys reply, in this order. */
static const uint16_t key_tags[] = {
	T_KEY, T_ALG, T_FORMATS, T_DIGESTS, T_NOTAFTER, T_TIMESTAMP,
	T_FINGERPRINT, T_STATE
};
enum {
	KF_KEY, KF_ALG, KF_FORMATS, KF_DIGESTS, KF_NOTAFTER, KF_TIMESTAMP,
	KF_FPR, KF_STATE, KF_COUNT
};

/* The table shows the first KEY_COLS fields; the fingerprint is JSON only. */
#define KEY_COLS 6
#define CELL_MAX 256
static const char *const key_heads[KEY_COLS] = {
	"KEY", "ALG", "FORMATS", "DIGESTS", "EXPIRES", "TIMESTAMP"
};

/* When a keys reply was read, and the daemon's expiry warning window. */
struct expiry_ctx {
	time_t now;
	uint32_t warn_days;	/* CertificateExpiryWarning */
};

enum expiry { EXP_UNKNOWN, EXP_VALID, EXP_SOON, EXP_EXPIRED };

static const uint16_t token_tags[] = { T_TOKEN, T_STATE };

/* 1 if the string TLV t holds exactly s. */
static int
tlv_is(const struct tlv *t, const char *s)
{
	return t->len == strlen(s) && memcmp(t->val, s, t->len) == 0;
}

/* Print a string TLV made safe for a terminal. */
static void
put_clean(FILE *fp, const struct tlv *t)
{
	char s[CELL_MAX];

	fputs(cl_text_clean(s, sizeof(s), t->val, t->len), fp);
}

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

/* One cell of a key's table row. */
static const char *
row_cell(char *dst, size_t dstlen, const struct tlv *const *fld, size_t i,
    const struct expiry_ctx *ec)
{
	char state[32];

	if (i == KF_NOTAFTER)
		return expiry_cell(dst, dstlen, fld[i], ec);
	if (i == KF_KEY && fld[KF_STATE] != NULL) {
		/* A key disabled by an admin: "name (disabled)". */
		key_cell(state, sizeof(state), fld[KF_STATE]);
		key_cell(dst, dstlen, fld[i]);
		snprintf(dst + strlen(dst), dstlen - strlen(dst), " (%s)",
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
			size_t cw = cl_text_width(row_cell(cell, sizeof(cell),
			    fld, i, ec));

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
			row[i] = row_cell(cells[i], sizeof(cells[i]), fld, i,
			    ec);
		table_row(row, w, KEY_COLS);
	}
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
		cl_json_kv_str(&j, "state", fld[KF_STATE] != NULL ?
		    "disabled" : "enabled");
		if (fld[KF_TIMESTAMP] != NULL)
			cl_json_kv_strn(&j, "timestamp", fld[KF_TIMESTAMP]->val,
			    fld[KF_TIMESTAMP]->len);
		expiry_json(&j, fld[KF_NOTAFTER], ec);
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

/* Store or print the certificate of cert. */
static int
cert_save(const struct options *o, const struct tlv *pem, struct failure *fl)
{
	struct json j;

	cl_json_init(&j, stdout);
	if (o->out == NULL || strcmp(o->out, "-") == 0) {
		if (o->json) {
			cl_json_open(&j, '{');
			cl_json_kv_str(&j, "key", o->key);
			cl_json_kv_strn(&j, "certificate", pem->val, pem->len);
			cl_json_close(&j, '}');
		} else if (cl_write_stdout(pem->val, pem->len) == -1) {
			cl_fail_set(fl, EXIT_ERROR, "error",
			    "cannot write to standard output: %s",
			    strerror(errno));
			return -1;
		}
		return 0;
	}
	if (cl_write_atomic(o->out, pem->val, pem->len, o->out_mode) == -1) {
		cl_fail_set(fl, EXIT_ERROR, "error", "cannot write %s: %s",
		    o->out, strerror(errno));
		return -1;
	}
	if (o->json) {
		cl_json_open(&j, '{');
		cl_json_kv_str(&j, "key", o->key);
		cl_json_kv_str(&j, "output", o->out);
		cl_json_kv_str(&j, "status", "ok");
		cl_json_close(&j, '}');
	} else if (o->verbose)
		printf("%s: certificate -> %s\n", o->key, o->out);
	return 0;
}

int
cl_cmd_cert(struct conn *c, const struct options *o, struct failure *fl)
{
	const struct tlv *pem;
	struct reply r;
	int ret = -1;

	cl_reply_init(&r);
	if (cl_conn_simple(c, F_CERT, o->key, &r, fl) == -1)
		goto done;
	if ((pem = frame_find(&r.f, T_CERT)) == NULL || pem->len == 0) {
		cl_fail_protocol(fl, "reply without a certificate");
		goto done;
	}
	ret = cert_save(o, pem, fl);
done:
	cl_reply_free(&r);
	return ret;
}

int
cl_group_split(const void *p, size_t len, size_t *namelen, unsigned long *gid)
{
	const char *s = p;
	unsigned long v = 0;
	size_t colon = len;

	while (colon > 0 && s[colon - 1] != ':')
		colon--;
	/* A name, a colon, and 1 to 10 digits that fit a gid_t. */
	if (colon < 2 || colon == len || len - colon > 10)
		return -1;
	for (size_t i = colon; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*namelen = colon - 1;
	*gid = v;
	return 0;
}

/* A group as "name(gid)", or as it came if it is not "name:gid". */
static void
group_text(const struct tlv *t)
{
	char name[CELL_MAX];
	unsigned long gid;
	size_t n;

	if (cl_group_split(t->val, t->len, &n, &gid) == 0)
		printf("%s(%lu)", cl_text_clean(name, sizeof(name), t->val, n),
		    gid);
	else
		put_clean(stdout, t);
}

/* "uid=1001(alice) gid=1001 groups=signers(1002) keys: k1 k2" */
static void
whoami_text(const struct frame *f, uint32_t uid, uint32_t gid)
{
	const struct tlv *user = frame_find(f, T_USER);
	int ngroups = 0, nkeys = 0;

	printf("uid=%" PRIu32, uid);
	if (user != NULL) {
		putchar('(');
		put_clean(stdout, user);
		putchar(')');
	}
	printf(" gid=%" PRIu32, gid);
	for (size_t i = 0; i < f->ntlv; i++) {
		if (f->tlv[i].tag != T_GROUP)
			continue;
		fputs(ngroups++ ? "," : " groups=", stdout);
		group_text(&f->tlv[i]);
	}
	fputs(" keys:", stdout);
	for (size_t i = 0; i < f->ntlv; i++) {
		if (f->tlv[i].tag != T_KEY)
			continue;
		putchar(' ');
		put_clean(stdout, &f->tlv[i]);
		nkeys++;
	}
	puts(nkeys ? "" : " (none)");
}

/* The groups of a whoami reply as a JSON array of {name, gid}. */
static void
groups_json(struct json *j, const struct frame *f)
{
	unsigned long gid;
	size_t n;

	cl_json_key(j, "groups");
	cl_json_open(j, '[');
	for (size_t i = 0; i < f->ntlv; i++) {
		const struct tlv *t = &f->tlv[i];

		if (t->tag != T_GROUP)
			continue;
		cl_json_open(j, '{');
		if (cl_group_split(t->val, t->len, &n, &gid) == 0) {
			cl_json_kv_strn(j, "name", t->val, n);
			cl_json_kv_uint(j, "gid", gid);
		} else
			cl_json_kv_strn(j, "name", t->val, t->len);
		cl_json_close(j, '}');
	}
	cl_json_close(j, ']');
}

/* The whoami reply as one JSON object. */
static void
whoami_json(const struct frame *f, uint32_t uid, uint32_t gid)
{
	const struct tlv *user = frame_find(f, T_USER);
	struct json j;

	cl_json_init(&j, stdout);
	cl_json_open(&j, '{');
	cl_json_kv_uint(&j, "uid", uid);
	if (user != NULL)
		cl_json_kv_strn(&j, "user", user->val, user->len);
	cl_json_kv_uint(&j, "gid", gid);
	groups_json(&j, f);
	cl_json_key(&j, "keys");
	cl_json_open(&j, '[');
	for (size_t i = 0; i < f->ntlv; i++)
		if (f->tlv[i].tag == T_KEY)
			cl_json_strn(&j, f->tlv[i].val, f->tlv[i].len);
	cl_json_close(&j, ']');
	cl_json_close(&j, '}');
}

int
cl_cmd_whoami(struct conn *c, const struct options *o, struct failure *fl)
{
	uint32_t uid, gid;
	struct reply r;
	int ret = -1;

	cl_reply_init(&r);
	if (cl_conn_simple(c, F_WHOAMI, NULL, &r, fl) == -1)
		goto done;
	if (frame_get_u32(&r.f, T_UID, &uid) == -1 ||
	    frame_get_u32(&r.f, T_GID, &gid) == -1) {
		cl_fail_protocol(fl, "reply without uid or gid");
		goto done;
	}
	if (o->json)
		whoami_json(&r.f, uid, gid);
	else
		whoami_text(&r.f, uid, gid);
	ret = 0;
done:
	cl_reply_free(&r);
	return ret;
}

int
cl_tokens_ready(const struct frame *f, const char **err)
{
	const struct tlv *fld[2];
	struct group_iter it;
	int r, ready = 1;

	cl_group_init(&it, f, token_tags, 2);
	while ((r = cl_group_next(&it, fld, err)) == 1) {
		if (fld[1] == NULL) {
			*err = "token without a state";
			return -1;
		}
		if (!tlv_is(fld[1], "ready"))
			ready = 0;
	}
	return r == -1 ? -1 : ready;
}

/*
 * "csignd: up (MESSAGE)", "token NAME: STATE" for each token, then
 * "last reload: ..." (from daemons that say).
 */
static void
status_text(const struct reply *r)
{
	const struct tlv *fld[2], *reload;
	struct group_iter it;
	char msg[sizeof(r->message)];
	const char *err;

	cl_text_clean(msg, sizeof(msg), r->message, strlen(r->message));
	if (msg[0] != '\0')
		printf("csignd: up (%s)\n", msg);
	else
		puts("csignd: up");
	cl_group_init(&it, &r->f, token_tags, 2);
	while (cl_group_next(&it, fld, &err) == 1) {
		fputs("token ", stdout);
		put_clean(stdout, fld[0]);
		fputs(": ", stdout);
		put_clean(stdout, fld[1]);
		putchar('\n');
	}
	if ((reload = frame_find(&r->f, T_RELOAD)) != NULL) {
		fputs("last reload: ", stdout);
		put_clean(stdout, reload);
		putchar('\n');
	}
}

/* The status reply as one JSON object. */
static void
status_json(const struct reply *r, int ready)
{
	const struct tlv *fld[2], *reload;
	struct group_iter it;
	const char *err;
	struct json j;

	cl_json_init(&j, stdout);
	cl_json_open(&j, '{');
	cl_json_kv_str(&j, "daemon", "up");
	cl_json_kv_str(&j, "message", r->message);
	cl_json_key(&j, "tokens");
	cl_json_open(&j, '[');
	cl_group_init(&it, &r->f, token_tags, 2);
	while (cl_group_next(&it, fld, &err) == 1) {
		cl_json_open(&j, '{');
		cl_json_kv_strn(&j, "token", fld[0]->val, fld[0]->len);
		cl_json_kv_strn(&j, "state", fld[1]->val, fld[1]->len);
		cl_json_close(&j, '}');
	}
	cl_json_close(&j, ']');
	if ((reload = frame_find(&r->f, T_RELOAD)) != NULL)
		cl_json_kv_strn(&j, "last_reload", reload->val, reload->len);
	cl_json_kv_bool(&j, "ready", ready);
	cl_json_close(&j, '}');
}

int
cl_cmd_status(struct conn *c, const struct options *o, struct failure *fl)
{
	struct reply r;
	const char *err;
	int ready, ret = -1;

	cl_reply_init(&r);
	if (cl_conn_simple(c, F_STATUS, NULL, &r, fl) == -1)
		goto done;
	if ((ready = cl_tokens_ready(&r.f, &err)) == -1) {
		cl_fail_protocol(fl, err);
		goto done;
	}
	if (o->json)
		status_json(&r, ready);
	else
		status_text(&r);
	ret = ready ? 0 : EXIT_UNAVAILABLE;
done:
	cl_reply_free(&r);
	return ret;
}

int
cl_cmd_admin(struct conn *c, const struct options *o, struct failure *fl)
{
	struct reply r;
	struct buf b;
	int ret = -1;

	buf_init(&b, FRAME_MAX + 4);
	cl_reply_init(&r);
	if (frame_begin(&b, F_ADMIN) == -1 ||
	    frame_add_str(&b, T_KEY, o->key) == -1 ||
	    frame_add_u32(&b, T_FLAGS, o->admin_op) == -1 ||
	    (o->reason != NULL &&
	    frame_add_str(&b, T_MESSAGE, o->reason) == -1) ||
	    frame_finish(&b) == -1)
		cl_fail_set(fl, EXIT_ERROR, "error", "cannot encode the request");
	else if (cl_conn_request(c, &b, NULL, 0, &r, fl) == 0) {
		printf("%s: %s\n", o->key, r.message);
		ret = 0;
	}
	buf_free(&b);
	cl_reply_free(&r);
	return ret;
}
