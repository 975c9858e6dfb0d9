/* approval.c: held requests in csign-client (see approval.h). */
#include "client/approval.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "client/json.h"
#include "client/output.h"
#include "common/log.h"
#include "common/util.h"
#include "proto/frame.h"
#include "proto/names.h"

/* Seconds of grace past a request's expiry for the daemon's answer. */
#define EXPIRY_GRACE 30

char *
cl_duration(char *dst, size_t len, unsigned long secs)
{
	if (secs >= 86400)
		snprintf(dst, len, "%lud %luh", secs / 86400,
		    secs % 86400 / 3600);
	else if (secs >= 3600)
		snprintf(dst, len, "%luh %lum", secs / 3600, secs % 3600 / 60);
	else if (secs >= 60)
		snprintf(dst, len, "%lum %lus", secs / 60, secs % 60);
	else
		snprintf(dst, len, "%lus", secs);
	return dst;
}

/* The time to wait for the next frame of a held request. */
static int
held_timeout(const struct options *o, const struct held_wait *hw,
    uint32_t expires)
{
	long left;

	if (o->wait_timeout == 0)
		return (int)expires + EXPIRY_GRACE;
	left = (long)o->wait_timeout - (long)(time(NULL) - hw->since);
	return left < 1 ? 1 : (int)left;
}

int
cl_held_notice(struct conn *c, const struct options *o, const struct reply *r,
    struct held_wait *hw, struct failure *fl)
{
	char group[KEY_NAME_MAX + 1], user[KEY_NAME_MAX * 4 + 1], left[32];
	const struct tlv *by = frame_find(&r->f, T_USER);
	const struct tlv *g = frame_find(&r->f, T_GROUP);
	uint32_t have, need, expires;
	uint64_t id;

	if (frame_get_u64(&r->f, T_ID, &id) == -1 ||
	    frame_get_u32(&r->f, T_COUNT, &have) == -1 ||
	    frame_get_u32(&r->f, T_NEEDED, &need) == -1 ||
	    frame_get_u32(&r->f, T_EXPIRES, &expires) == -1 || g == NULL ||
	    (hw->id != 0 && hw->id != id)) {
		cl_fail_protocol(fl, "malformed held notice");
		return -1;
	}
	if (hw->id == 0) {
		hw->id = id;
		hw->since = time(NULL);
	}
	cl_text_clean(group, sizeof(group), g->val, g->len);
	cl_duration(left, sizeof(left), expires);
	if (by != NULL)
		log_warnx("request %llu approved by %s (%u of %u), expires in "
			  "%s",
		    (unsigned long long)id,
		    cl_text_clean(user, sizeof(user), by->val, by->len), have,
		    need, left);
	else
		log_warnx("request %llu is waiting for approval by group %s "
			  "(%u of %u), expires in %s",
		    (unsigned long long)id, group, have, need, left);
	c->timeout = held_timeout(o, hw, expires);
	return 0;
}

void
cl_held_timeout(const struct held_wait *hw, struct failure *fl)
{
	/*
	 * Only this client's own timeout (conn.c's transport failure); the
	 * daemon's "approval expired" has the same status name.
	 */
	if (hw->id == 0 || !fl->own_timeout)
		return;
	cl_fail_set(fl, EXIT_UNAVAILABLE, "timeout",
	    "request %llu: no "
	    "decision in time; the request is cancelled (use --no-wait to "
	    "leave it held)",
	    hw->id);
}

/* The fields of one held request in a pending reply, in this order. */
static const uint16_t pending_tags[] = { T_ID, T_USER, T_KEY, T_FORMAT, T_NAME,
	T_DIGEST, T_ADIGEST, T_SIZE, T_GROUP, T_AGE, T_COUNT, T_NEEDED,
	T_EXPIRES };
enum {
	PF_ID,
	PF_USER,
	PF_KEY,
	PF_FORMAT,
	PF_NAME,
	PF_DIGEST,
	PF_ADIGEST,
	PF_SIZE,
	PF_GROUP,
	PF_AGE,
	PF_COUNT,
	PF_NEEDED,
	PF_EXPIRES,
	PF_COUNT_
};

/* The integer in TLV t (u32 or u64), 0 if absent. */
static unsigned long long
tlv_uint(const struct tlv *t)
{
	unsigned long long v = 0;

	if (t == NULL)
		return 0;
	for (uint32_t i = 0; i < t->len && i < 8; i++)
		v = v << 8 | t->val[i];
	return v;
}

/* A string TLV made safe for a terminal, "-" if absent. */
static const char *
tlv_text(char *dst, size_t len, const struct tlv *t)
{
	if (t == NULL) {
		snprintf(dst, len, "-");
		return dst;
	}
	return cl_text_clean(dst, len, t->val, t->len);
}

/* One row of the pending table. */
static void
pending_row(const struct tlv *const *f)
{
	char user[64], key[72], fmt[16], name[64], dig[20], hex[129], group[72],
	    age[32], left[32];

	util_hex(f[PF_ADIGEST] ? f[PF_ADIGEST]->val : NULL,
	    f[PF_ADIGEST] ? f[PF_ADIGEST]->len : 0, hex, sizeof(hex));
	printf("%-6llu %-14s %-12s %-6s %-20s %10llu %-8s %u/%u %-12s %-8s "
	       "%s:%s\n",
	    tlv_uint(f[PF_ID]), tlv_text(user, sizeof(user), f[PF_USER]),
	    tlv_text(key, sizeof(key), f[PF_KEY]),
	    tlv_text(fmt, sizeof(fmt), f[PF_FORMAT]),
	    tlv_text(name, sizeof(name), f[PF_NAME]), tlv_uint(f[PF_SIZE]),
	    cl_duration(age, sizeof(age), (unsigned long)tlv_uint(f[PF_AGE])),
	    (unsigned)tlv_uint(f[PF_COUNT]), (unsigned)tlv_uint(f[PF_NEEDED]),
	    tlv_text(group, sizeof(group), f[PF_GROUP]),
	    cl_duration(left, sizeof(left),
		(unsigned long)tlv_uint(f[PF_EXPIRES])),
	    tlv_text(dig, sizeof(dig), f[PF_DIGEST]), hex);
}

/* One held request as a JSON object. */
static void
pending_json(struct json *j, const struct tlv *const *f)
{
	char hex[129] = "";

	if (f[PF_ADIGEST] != NULL)
		util_hex(f[PF_ADIGEST]->val, f[PF_ADIGEST]->len, hex,
		    sizeof(hex));
	cl_json_open(j, '{');
	cl_json_kv_uint(j, "id", tlv_uint(f[PF_ID]));
	for (int i = PF_USER; i <= PF_DIGEST; i++) {
		static const char *const names[] = { NULL, "requester", "key",
			"format", "artifact", "digest" };

		if (f[i] != NULL)
			cl_json_kv_strn(j, names[i], f[i]->val, f[i]->len);
	}
	cl_json_kv_str(j, "artifact_digest", hex);
	cl_json_kv_uint(j, "size", tlv_uint(f[PF_SIZE]));
	if (f[PF_GROUP] != NULL)
		cl_json_kv_strn(j, "group", f[PF_GROUP]->val, f[PF_GROUP]->len);
	cl_json_kv_uint(j, "age", tlv_uint(f[PF_AGE]));
	cl_json_kv_uint(j, "approvals", tlv_uint(f[PF_COUNT]));
	cl_json_kv_uint(j, "needed", tlv_uint(f[PF_NEEDED]));
	cl_json_kv_uint(j, "expires_in", tlv_uint(f[PF_EXPIRES]));
	cl_json_close(j, '}');
}

/* Walk the entries of a pending reply: table or JSON array. */
static int
pending_list(const struct options *o, const struct frame *f, struct failure *fl)
{
	const struct tlv *fld[PF_COUNT_];
	struct group_iter it;
	const char *err;
	struct json j;
	int n = 0, k;

	cl_group_init(&it, f, pending_tags, PF_COUNT_);
	cl_json_init(&j, stdout);
	if (o->json)
		cl_json_open(&j, '[');
	while ((k = cl_group_next(&it, fld, &err)) == 1) {
		if (o->json)
			pending_json(&j, fld);
		else {
			if (n == 0)
				printf("%-6s %-14s %-12s %-6s %-20s %10s %-8s "
				       "%-3s %-12s %-8s %s\n",
				    "ID", "REQUESTER", "KEY", "FORMAT",
				    "ARTIFACT", "SIZE", "AGE", "OK", "GROUP",
				    "EXPIRES", "DIGEST");
			pending_row(fld);
		}
		n++;
	}
	if (o->json)
		cl_json_close(&j, ']');
	if (k == -1) {
		cl_fail_protocol(fl, err);
		return -1;
	}
	if (n == 0 && !o->json)
		log_warnx("no requests are waiting for your approval");
	return 0;
}

int
cl_cmd_pending(struct conn *c, const struct options *o, struct failure *fl)
{
	struct reply r;
	int ret = -1;

	cl_reply_init(&r);
	if (cl_conn_simple(c, F_PENDING, NULL, &r, fl) == 0)
		ret = pending_list(o, &r.f, fl);
	cl_reply_free(&r);
	return ret;
}

/* Send F_APPROVE, F_DENY or F_WAIT for the request id; reply into r. */
static int
decide_send(struct conn *c, uint16_t type, const struct options *o,
    struct reply *r, struct failure *fl)
{
	struct buf b;
	int ret = -1;

	buf_init(&b, FRAME_MAX + 4);
	if (frame_begin(&b, type) == -1 ||
	    frame_add_u64(&b, T_ID, o->request) == -1 ||
	    (o->reason != NULL &&
		frame_add_str(&b, T_MESSAGE, o->reason) == -1) ||
	    frame_finish(&b) == -1)
		cl_fail_set(fl, EXIT_ERROR, "error",
		    "cannot encode the request");
	else
		ret = cl_conn_request(c, &b, NULL, 0, r, fl);
	buf_free(&b);
	return ret;
}

int
cl_cmd_decide(struct conn *c, const struct options *o, struct failure *fl)
{
	char msg[sizeof(((struct reply *)0)->message)];
	struct reply r;
	struct json j;
	int ret = -1;

	cl_reply_init(&r);
	if (decide_send(c, o->cmd == CMD_APPROVE ? F_APPROVE : F_DENY, o, &r,
		fl) == 0) {
		cl_text_clean(msg, sizeof(msg), r.message, strlen(r.message));
		if (o->json) {
			cl_json_init(&j, stdout);
			cl_json_open(&j, '{');
			cl_json_kv_uint(&j, "id", o->request);
			cl_json_kv_str(&j, "status", "ok");
			cl_json_kv_str(&j, "message", msg);
			cl_json_close(&j, '}');
		} else
			printf("%s\n", msg);
		ret = 0;
	}
	cl_reply_free(&r);
	return ret;
}

/*
 * Store a collected result: a detached signature to -o (atomically) or
 * stdout; a signed module or PE image was written by the daemon to the
 * output given with the request, so there is only the message.
 */
static int
wait_save(const struct options *o, const struct reply *r, struct failure *fl)
{
	const struct tlv *sig = frame_find(&r->f, T_SIGNATURE);
	const struct tlv *kept = frame_find(&r->f, T_OUTPUT);
	char msg[sizeof(r->message)], path[PATH_MAX];

	if (sig == NULL) {
		cl_text_clean(msg, sizeof(msg), r->message, strlen(r->message));
		log_warnx("request %llu: %s; the output is in the file given "
			  "with the request",
		    o->request, msg);
		return 0;
	}
	/* Without -o, the file named with the request (sign --no-wait -o). */
	if (o->out == NULL && kept != NULL && kept->len > 0 &&
	    kept->len < sizeof(path)) {
		memcpy(path, kept->val, kept->len);
		path[kept->len] = '\0';
		if (cl_write_atomic(path, sig->val, sig->len, o->out_mode) ==
		    -1) {
			cl_fail_set(fl, EXIT_ERROR, "error",
			    "cannot write %s: %s", path, strerror(errno));
			return -1;
		}
		return 0;
	}
	if (o->out == NULL || strcmp(o->out, "-") == 0) {
		if (cl_write_stdout(sig->val, sig->len) == -1) {
			cl_fail_set(fl, EXIT_ERROR, "error",
			    "cannot write to "
			    "standard output: %s",
			    strerror(errno));
			return -1;
		}
		return 0;
	}
	if (cl_write_atomic(o->out, sig->val, sig->len, o->out_mode) == -1) {
		cl_fail_set(fl, EXIT_ERROR, "error", "cannot write %s: %s",
		    o->out, strerror(errno));
		return -1;
	}
	return 0;
}

/* wait ID: the result of a --no-wait request, once it is decided. */
int
cl_cmd_wait(struct conn *c, const struct options *o, struct failure *fl)
{
	struct reply r;
	int ret = -1;

	/* However long the approvers take, up to the longest expiry. */
	c->timeout = o->wait_timeout != 0 ? o->wait_timeout : WAIT_TIMEOUT_MAX;
	cl_reply_init(&r);
	if (decide_send(c, F_WAIT, o, &r, fl) == 0)
		ret = wait_save(o, &r, fl);
	cl_reply_free(&r);
	return ret;
}
