/* query.c: csign-client cert, whoami, status and admin (see query.h). */
#include "client/query.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "client/client.h"
#include "client/conn.h"
#include "client/json.h"
#include "client/output.h"
#include "proto/names.h"

static const uint16_t token_tags[] = { T_TOKEN, T_STATE, T_COUNT };

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

/* F_CERT for the key; --openpgp asks for its OpenPGP public key. */
static int
cert_request(struct conn *c, const struct options *o, struct reply *r,
    struct failure *fl)
{
	struct buf b;
	int ret = -1;

	if (!o->openpgp)
		return cl_conn_simple(c, F_CERT, o->key, r, fl);
	buf_init(&b, 256);
	if (frame_begin(&b, F_CERT) == -1 ||
	    frame_add_str(&b, T_KEY, o->key) == -1 ||
	    frame_add_u32(&b, T_FLAGS, CERT_F_OPENPGP) == -1 ||
	    frame_finish(&b) == -1)
		cl_fail_set(fl, EXIT_ERROR, "error", "cannot encode a request");
	else
		ret = cl_conn_request(c, &b, NULL, 0, r, fl);
	buf_free(&b);
	return ret;
}

int
cl_cmd_cert(struct conn *c, const struct options *o, struct failure *fl)
{
	const struct tlv *pem;
	struct reply r;
	int ret = -1;

	cl_reply_init(&r);
	if (cert_request(c, o, &r, fl) == -1)
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
	const struct tlv *fld[3];
	struct group_iter it;
	int r, ready = 1;

	cl_group_init(&it, f, token_tags, 3);
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
	const struct tlv *fld[3], *reload;
	struct group_iter it;
	char msg[sizeof(r->message)];
	const char *err;

	cl_text_clean(msg, sizeof(msg), r->message, strlen(r->message));
	if (msg[0] != '\0')
		printf("csignd: up (%s)\n", msg);
	else
		puts("csignd: up");
	cl_group_init(&it, &r->f, token_tags, 3);
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

/* A u32 TLV's value (big-endian on the wire, 4 bytes checked). */
static uint32_t
tlv_u32(const struct tlv *t)
{
	const uint8_t *p = t->val;

	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * A token's health: "unavailable: timeout" becomes "state":"unavailable"
 * and "reason":"timeout".
 */
static void
token_state_json(struct json *j, const struct tlv *t)
{
	const char *s = (const char *)t->val, *colon = memchr(s, ':', t->len);

	if (colon == NULL) {
		cl_json_kv_strn(j, "state", s, t->len);
		return;
	}
	cl_json_kv_strn(j, "state", s, (size_t)(colon - s));
	colon++;
	while ((size_t)(colon - s) < t->len && *colon == ' ')
		colon++;
	cl_json_kv_strn(j, "reason", colon, t->len - (size_t)(colon - s));
}

/* The status reply as one JSON object. */
static void
status_json(const struct reply *r, int ready)
{
	const struct tlv *fld[3], *reload;
	struct group_iter it;
	const char *err;
	struct json j;

	cl_json_init(&j, stdout);
	cl_json_open(&j, '{');
	cl_json_kv_str(&j, "daemon", "up");
	cl_json_kv_str(&j, "message", r->message);
	cl_json_key(&j, "tokens");
	cl_json_open(&j, '[');
	cl_group_init(&it, &r->f, token_tags, 3);
	while (cl_group_next(&it, fld, &err) == 1) {
		cl_json_open(&j, '{');
		cl_json_kv_strn(&j, "token", fld[0]->val, fld[0]->len);
		token_state_json(&j, fld[1]);
		if (fld[2] != NULL && fld[2]->len == 4)
			cl_json_kv_uint(&j, "signatures", tlv_u32(fld[2]));
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
		cl_fail_set(fl, EXIT_ERROR, "error",
		    "cannot encode the request");
	else if (cl_conn_request(c, &b, NULL, 0, &r, fl) == 0) {
		printf("%s: %s\n", o->key, r.message);
		ret = 0;
	}
	buf_free(&b);
	cl_reply_free(&r);
	return ret;
}
