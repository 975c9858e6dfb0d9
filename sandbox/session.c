/* session.c: the client protocol inside the sandbox (see session.h). */
#include "sandbox/session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "proto/frame.h"
#include "proto/io.h"
#include "sandbox/artifact.h"
#include "sandbox/channel.h"
#include "sandbox/hold.h"
#include "sandbox/sessionpriv.h"

typedef int (*frame_handler)(struct session *, const struct frame *,
    const int *fds, size_t nfds);

/*
 * Capture mode (pesign): keep the status and message of the finished
 * frame in s->out instead of sending it.  Only the session's own frames
 * come here, so one that does not decode is an internal error.
 */
static int
session_capture(struct session *s)
{
	struct session_capture *c = s->capture;
	struct frame *f;
	const char *err;
	uint32_t st = ST_INTERNAL;

	c->status = ST_INTERNAL;
	snprintf(c->message, sizeof(c->message), "internal error");
	if (buf_left(&s->out) < 4 || (f = malloc(sizeof(*f))) == NULL)
		return 0;
	if (frame_decode(buf_ptr(&s->out) + 4, buf_left(&s->out) - 4, f,
		&err) == 0 &&
	    frame_get_u32(f, T_STATUS, &st) == 0 && st < ST_COUNT) {
		c->status = (int)st;
		if (frame_get_str(f, T_MESSAGE, c->message,
			sizeof(c->message)) == -1)
			c->message[0] = '\0';
	}
	free(f);
	return 0;
}

/*
 * Send the finished frame in s->out to the client; or, once a --no-wait
 * client was let go, to the monitor to keep for F_WAIT (sandbox/hold.h).
 */
int
session_out(struct session *s)
{
	if (s->capture != NULL)
		return session_capture(s);
	if (s->defer != NULL)
		return buf_put(s->defer, buf_ptr(&s->out), buf_left(&s->out));
	if (hold_detached(s->hold))
		return hold_deliver(s->hold, &s->out);
	return io_send_frame(s->client, &s->out, NULL, 0);
}

/* Send the frame in s->out; a client that cannot take it ends things. */
int
session_send(struct session *s)
{
	if (frame_finish(&s->out) == -1 || session_out(s) == -1)
		return -1;
	return 0;
}

/* Reply with a status and a message only. */
int
session_reply(struct session *s, int status, const char *msg)
{
	if (frame_reply_status(&s->out, status, msg) == -1)
		return -1;
	return session_out(s);
}

static int
session_hello(struct session *s, const struct frame *f, const int *fds,
    size_t nfds)
{
	uint32_t v = 0;

	(void)fds;
	if (frame_get_u32(f, T_VERSION, &v) == -1 || v != PROTO_VERSION) {
		session_reply(s, ST_BAD_REQUEST,
		    "unsupported protocol version");
		return -1;
	}
	s->hello = 1;
	/* Say whether the client's probe descriptor came through. */
	if (frame_begin(&s->out, F_REPLY) == -1 ||
	    frame_add_u32(&s->out, T_STATUS, ST_OK) == -1 ||
	    frame_add_str(&s->out, T_MESSAGE, "csignd " CSIGN_VERSION) == -1 ||
	    frame_add_u32(&s->out, T_FLAGS, nfds == 1 ? HELLO_F_FDS : 0) ==
		-1 ||
	    frame_add_u32(&s->out, T_BUSY, s->info->busy) == -1)
		return -1;
	return session_send(s);
}

/* keys, whoami, status: the monitor builds the reply frame. */
static int
session_query(struct session *s, const struct frame *f, const int *fds,
    size_t nfds)
{
	static const int what[F_TYPE_COUNT] = { [F_KEYS] = Q_KEYS,
		[F_WHOAMI] = Q_WHOAMI,
		[F_STATUS] = Q_STATUS };
	struct frame *check;
	const char *err;
	int r = -1;

	(void)fds;
	(void)nfds;
	if (sandbox_request_query(what[f->type], &s->out) == -1 ||
	    buf_left(&s->out) < 4 || (check = malloc(sizeof(*check))) == NULL)
		return session_reply(s, ST_INTERNAL, "query failed");
	if (frame_decode(buf_ptr(&s->out) + 4, buf_left(&s->out) - 4, check,
		&err) == 0)
		r = io_send_frame(s->client, &s->out, NULL, 0);
	else
		r = session_reply(s, ST_INTERNAL, "bad reply from the monitor");
	free(check);
	return r;
}

/* admin: disable or enable a key; the monitor decides and answers. */
static int
session_admin(struct session *s, const struct frame *f, const int *fds,
    size_t nfds)
{
	struct msg_admin m = { 0 };
	uint32_t op;

	(void)fds;
	(void)nfds;
	if (frame_get_str(f, T_KEY, m.key, sizeof(m.key)) == -1 ||
	    frame_get_u32(f, T_FLAGS, &op) == -1 ||
	    (op != ADMIN_DISABLE_KEY && op != ADMIN_ENABLE_KEY))
		return session_reply(s, ST_BAD_REQUEST, "bad admin request");
	m.op = (uint8_t)op;
	if (frame_find(f, T_MESSAGE) != NULL &&
	    frame_get_str(f, T_MESSAGE, m.reason, sizeof(m.reason)) == -1)
		return session_reply(s, ST_BAD_REQUEST,
		    "reason too long "
		    "(at most 255 bytes)");
	if (sandbox_request_admin(&m, &s->out) == -1)
		return session_reply(s, ST_INTERNAL, "admin request failed");
	return io_send_frame(s->client, &s->out, NULL, 0);
}

/*
 * pending, approve, deny, wait: the monitor decides and answers.  A wait
 * blocks until the held request is decided and its result built.
 */
static int
session_approval(struct session *s, const struct frame *f, const int *fds,
    size_t nfds)
{
	static const uint8_t ops[F_TYPE_COUNT] = { [F_PENDING] = APPR_PENDING,
		[F_APPROVE] = APPR_APPROVE,
		[F_DENY] = APPR_DENY,
		[F_WAIT] = APPR_WAIT };
	struct msg_approval m = { .op = ops[f->type] };

	(void)fds;
	(void)nfds;
	if (m.op != APPR_PENDING &&
	    (frame_get_u64(f, T_ID, &m.id) == -1 || m.id == 0))
		return session_reply(s, ST_BAD_REQUEST, "bad request id");
	if (frame_find(f, T_MESSAGE) != NULL &&
	    frame_get_str(f, T_MESSAGE, m.reason, sizeof(m.reason)) == -1)
		return session_reply(s, ST_BAD_REQUEST,
		    "reason too long "
		    "(at most 255 bytes)");
	if (sandbox_request_approval(&m, &s->out) == -1)
		return session_reply(s, ST_INTERNAL, "approval request failed");
	return io_send_frame(s->client, &s->out, NULL, 0);
}

static const struct {
	frame_handler fn;
	int needs_hello;
} handlers[F_TYPE_COUNT] = {
	[F_HELLO] = { session_hello, 0 },
	[F_SIGN] = { session_sign, 1 },
	[F_KEYS] = { session_query, 1 },
	[F_CERT] = { session_cert, 1 },
	[F_WHOAMI] = { session_query, 1 },
	[F_STATUS] = { session_query, 1 },
	[F_ADMIN] = { session_admin, 1 },
	[F_PENDING] = { session_approval, 1 },
	[F_APPROVE] = { session_approval, 1 },
	[F_DENY] = { session_approval, 1 },
	[F_WAIT] = { session_approval, 1 },
};

/* Tell the client why its frame could not be read; then the end. */
static void
session_recv_error(struct session *s, int err)
{
	char msg[96];

	if (err == ETIMEDOUT)
		snprintf(msg, sizeof(msg), "no complete request within %u s",
		    s->info->idle_timeout_ms / 1000);
	else if (err == EMSGSIZE)
		snprintf(msg, sizeof(msg), "frame too large");
	else
		snprintf(msg, sizeof(msg),
		    "truncated frame or unexpected "
		    "descriptors");
	session_reply(s, err == ETIMEDOUT ? ST_TIMEOUT : ST_BAD_REQUEST, msg);
}

/* Decode one received frame and run its handler: 0 go on, -1 stop. */
static int
session_frame(struct session *s, const struct buf *in, const int *fds,
    size_t nfds, struct frame *f)
{
	const char *err = NULL;
	char msg[128];

	if (frame_decode(buf_ptr(in) + 4, buf_left(in) - 4, f, &err) == -1) {
		snprintf(msg, sizeof(msg), "malformed frame: %s", err);
		log_info("client sent a malformed frame: %s", err);
		session_reply(s, ST_BAD_REQUEST, msg);
		return -1;
	}
	if (!frame_dir_allowed(f->type, FRAME_TO_DAEMON) ||
	    handlers[f->type].fn == NULL ||
	    handlers[f->type].needs_hello != s->hello) {
		session_reply(s, ST_BAD_REQUEST,
		    s->hello ? "unexpected frame"
			     : "the first frame must be hello");
		return -1;
	}
	/*
	 * The protocol table says how many descriptors each frame may
	 * bring (a sign request's exact count depends on its format).
	 */
	if (!frame_fds_allowed(f->type, nfds))
		return session_reply(s, ST_BAD_REQUEST,
		    "unexpected descriptor");
	return handlers[f->type].fn(s, f, fds, nfds);
}

/*
 * The frame the pipeline read ahead, as io_recv_frame() would return it
 * (its bytes into in, its descriptors into fds).
 */
static int
session_unstash(struct session *s, struct buf *in, int *fds, size_t *nfds)
{
	struct session_stash *st = &s->stash;

	st->valid = 0;
	*nfds = 0;
	buf_reset(in);
	if (st->r == 1 &&
	    buf_put(in, buf_ptr(&st->in), buf_left(&st->in)) == -1) {
		for (size_t i = 0; i < st->nfds; i++)
			close(st->fds[i]);
		st->nfds = 0;
		errno = EMSGSIZE;
		return -1;
	}
	memcpy(fds, st->fds, st->nfds * sizeof(fds[0]));
	*nfds = st->nfds;
	st->nfds = 0;
	errno = st->err;
	return st->r;
}

void
session_serve(int client, const struct msg_session *info)
{
	struct session s = { .client = client, .info = info };
	struct frame *f;
	struct buf in;
	int fds[FRAME_MAX_FDS];
	size_t nfds;
	int r;

	if ((f = malloc(sizeof(*f))) == NULL)
		return;
	if ((s.hold = hold_new(client)) == NULL) {
		free(f);
		return;
	}
	artifact_set_progress(sandbox_report_progress);
	buf_init(&in, FRAME_MAX + 4);
	buf_init(&s.out, FRAME_MAX + 4);
	for (;;) {
		if (s.stash.valid)
			r = session_unstash(&s, &in, fds, &nfds);
		else
			r = io_recv_frame(client, &in, fds, FRAME_MAX_FDS,
			    &nfds, (int)info->idle_timeout_ms);
		if (r == -1)
			session_recv_error(&s, errno);
		if (r <= 0) {
			for (size_t i = 0; i < nfds; i++)
				close(fds[i]);
			break;
		}
		r = session_frame(&s, &in, fds, nfds, f);
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		if (r == -1)
			break;
	}
	buf_free(&in);
	buf_free(&s.out);
	for (size_t i = 0; i < s.stash.nfds; i++)
		close(s.stash.fds[i]);
	buf_free(&s.stash.in);
	session_keys_free(&s);
	hold_free(s.hold);
	free(f);
}
