/* channel.c: requests from the session child to the monitor. */
#include "sandbox/channel.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "proto/chan.h"
#include "proto/io.h"
#include "sandbox/hold.h"

/*
 * Encode a message into b, set up here: 0, or -1 with b freed (it does
 * not fit, or memory ran out).  enc is one of proto/chan.h's msg_enc_*,
 * m what it encodes.
 */
#define ENCODE(b, enc, m) \
	(buf_init((b), MSG_MAX), (enc)((b), (m)) == 0 ? 0 : (buf_free(b), -1))

/* Send one encoded message; the channel failing is fatal. */
static void
channel_send(struct buf *b)
{
	if (io_send_msg(CHANNEL_FD, b, -1) == -1)
		_exit(3);
}

/* Send one encoded message and free it. */
static int
send_free(struct buf *b)
{
	channel_send(b);
	buf_free(b);
	return 0;
}

/* Forward one log line to the monitor. */
static void
channel_log(enum log_level lvl, const char *line)
{
	struct msg_log m = { .level = (uint8_t)lvl };
	struct buf b;

	snprintf(m.text, sizeof(m.text), "%s", line);
	if (ENCODE(&b, msg_enc_log, &m) == 0)
		(void)io_send_msg(CHANNEL_FD, &b, -1);
	buf_free(&b);
}

void
channel_log_init(void)
{
	log_set_callback(channel_log);
}

/* Send a message with no fields. */
static int
send_empty(uint16_t type)
{
	struct buf b;

	return ENCODE(&b, msg_enc_empty, type) == -1 ? -1 : send_free(&b);
}

/* READY: the sandbox is up; the handshake (proto/chan.h). */
int
sandbox_send_ready(void)
{
	struct msg_ready m = { .version = CHAN_VERSION };
	struct buf b;

	snprintf(m.build, sizeof(m.build), "%s", chan_build_id());
	return ENCODE(&b, msg_enc_ready, &m) == -1 ? -1 : send_free(&b);
}

int
sandbox_send_done(void)
{
	return send_empty(MSG_DONE);
}

/*
 * Receive the next message, which must be of type want; anything else is
 * a broken monitor channel and ends the child.
 */
static void
channel_expect(struct buf *b, uint16_t want, int *fd)
{
	uint16_t type;
	int passed = -1, r;

	r = io_recv_msg(CHANNEL_FD, b, &passed);
	if (r <= 0)
		_exit(3);
	if (msg_type_of(b, &type) == -1 || type != want) {
		if (passed != -1)
			close(passed);
		fatalx("monitor sent %s, expected %s", msg_type_name(type),
		    msg_type_name(want));
	}
	if (fd != NULL)
		*fd = passed;
	else if (passed != -1) {
		close(passed);
		fatalx("unexpected descriptor from the monitor");
	}
}

int
sandbox_wait_session(struct msg_session *m, int *client_fd)
{
	struct buf b;
	int r;

	buf_init(&b, MSG_MAX);
	channel_expect(&b, MSG_SESSION, client_fd);
	r = msg_dec_session(&b, m);
	buf_free(&b);
	if (r == -1 || *client_fd == -1)
		fatalx("bad session message from the monitor");
	return 0;
}

int
sandbox_request_keyinfo(const struct msg_keyinfo *m,
    struct msg_keyinfo_reply *r, struct buf *keep)
{
	struct buf b;

	if (ENCODE(&b, msg_enc_keyinfo, m) == -1)
		return -1;
	send_free(&b);
	buf_init(keep, MSG_MAX);
	channel_expect(keep, MSG_KEYINFO_REPLY, NULL);
	if (msg_dec_keyinfo_reply(keep, r) == -1)
		fatalx("bad keyinfo reply from the monitor");
	return 0;
}

/*
 * The next message of a sign request: a notice that it is held for
 * approval (passed on, then the wait goes on) or its reply.  -1 for a
 * notice, 0 with the reply decoded into r.
 */
static int
sign_answer(struct hold *h, struct buf *b, uint32_t reqid,
    struct msg_sign_reply *r)
{
	struct msg_sign_held held;
	uint16_t type;
	int passed = -1;

	if (io_recv_msg(CHANNEL_FD, b, &passed) <= 0)
		_exit(3);
	if (passed != -1 || msg_type_of(b, &type) == -1)
		fatalx("unexpected message from the monitor");
	if (type == MSG_SIGN_HELD) {
		if (msg_dec_sign_held(b, &held) == -1 || held.reqid != reqid)
			fatalx("bad held notice from the monitor");
		hold_notice(h, &held);
		return -1;
	}
	if (type != MSG_SIGN_REPLY)
		fatalx("monitor sent %s, expected %s", msg_type_name(type),
		    msg_type_name(MSG_SIGN_REPLY));
	if (msg_dec_sign_reply(b, r) == -1 || r->reqid != reqid)
		fatalx("bad sign reply from the monitor");
	return 0;
}

/*
 * The buffer of the sign requests and their answers, kept for the whole
 * session: a fresh one per signature was grown twice while encoding, then
 * to MSG_MAX for the answer, and all MSG_MAX bytes were wiped and freed
 * again, which cost more than the rest of the exchange.  What each
 * exchange wrote is wiped after it (buf_wipe: the rest was never written).
 */
static struct buf signbuf;

int
sandbox_sign_submit(const struct msg_sign *m)
{
	if (signbuf.data == NULL) {
		buf_init(&signbuf, MSG_MAX);
		if (buf_reserve(&signbuf, MSG_MAX) == NULL)
			return -1;
		buf_settle(&signbuf, 0, 0); /* allocated, nothing written */
	}
	buf_reset(&signbuf);
	if (msg_enc_sign(&signbuf, m) == -1) {
		buf_wipe(&signbuf);
		return -1;
	}
	channel_send(&signbuf);
	buf_wipe(&signbuf);
	return 0;
}

int
sandbox_request_sign(const struct msg_sign *m, struct hold *h,
    struct msg_sign_reply *r)
{
	int answered;

	if (sandbox_sign_submit(m) == -1)
		return -1;
	/* A request held for approval may take a while. */
	do {
		hold_wait_channel(h, CHANNEL_FD);
		answered = sign_answer(h, &signbuf, m->reqid, r) == 0;
	} while (!answered);
	buf_wipe(&signbuf);
	return 0;
}

int
sandbox_sign_collect(struct msg_sign_reply *r)
{
	uint16_t type = 0;
	int passed = -1;

	buf_reset(&signbuf);
	if (io_recv_msg(CHANNEL_FD, &signbuf, &passed) <= 0)
		_exit(3);
	if (passed != -1 || msg_type_of(&signbuf, &type) == -1 ||
	    type != MSG_SIGN_REPLY)
		fatalx("monitor sent %s, expected %s", msg_type_name(type),
		    msg_type_name(MSG_SIGN_REPLY));
	if (msg_dec_sign_reply(&signbuf, r) == -1)
		fatalx("bad sign reply from the monitor");
	buf_wipe(&signbuf);
	return 0;
}

int
sandbox_wait(int other)
{
	struct pollfd p[2] = { { .fd = CHANNEL_FD, .events = POLLIN },
		{ .fd = other, .events = POLLIN } };
	int r = 0;

	for (;;) {
		int n = poll(p, other >= 0 ? 2 : 1, -1);

		if (n > 0)
			break;
		if (n == -1 && errno != EINTR)
			fatal("poll");
	}
	if (p[0].revents != 0)
		r |= WAIT_CHANNEL;
	if (other >= 0 && p[1].revents != 0)
		r |= WAIT_OTHER;
	return r;
}

/* Send an encoded request and copy the client frame of its reply. */
static int
request_frame(struct buf *b, struct buf *frame)
{
	const uint8_t *p;
	size_t len;
	int r;

	channel_send(b);
	channel_expect(b, MSG_QUERY_REPLY, NULL);
	if (msg_dec_query_reply(b, &p, &len) == -1)
		fatalx("bad query reply from the monitor");
	buf_reset(frame);
	r = buf_put(frame, p, len);
	buf_free(b);
	return r;
}

int
sandbox_request_query(int what, struct buf *frame)
{
	struct msg_query m = { .what = (uint8_t)what };
	struct buf b;

	if (ENCODE(&b, msg_enc_query, &m) == -1)
		return -1;
	return request_frame(&b, frame);
}

int
sandbox_request_admin(const struct msg_admin *m, struct buf *frame)
{
	struct buf b;

	if (ENCODE(&b, msg_enc_admin, m) == -1)
		return -1;
	return request_frame(&b, frame);
}

int
sandbox_request_approval(const struct msg_approval *m, struct buf *frame)
{
	struct buf b;

	if (ENCODE(&b, msg_enc_approval, m) == -1)
		return -1;
	return request_frame(&b, frame);
}

int
sandbox_request_tsa(unsigned index, struct msg_tsa_reply *r, int *fd,
    struct buf *keep)
{
	struct msg_tsa_open m = { .index = (uint8_t)index };
	struct buf b;

	*fd = -1;
	if (ENCODE(&b, msg_enc_tsa_open, &m) == -1)
		return -1;
	send_free(&b);
	buf_init(keep, MSG_MAX);
	channel_expect(keep, MSG_TSA_REPLY, fd);
	if (msg_dec_tsa_reply(keep, r) == -1 ||
	    (r->status == ST_OK) != (*fd != -1))
		fatalx("bad TSA reply from the monitor");
	return 0;
}

int
sandbox_report_tsa(const struct msg_tsa_done *m)
{
	struct buf b;

	return ENCODE(&b, msg_enc_tsa_done, m) == -1 ? -1 : send_free(&b);
}

int
sandbox_request_upload(const struct msg_upload *m, struct msg_upload_reply *r)
{
	struct buf b;

	if (ENCODE(&b, msg_enc_upload, m) == -1)
		return -1;
	channel_send(&b);
	channel_expect(&b, MSG_UPLOAD_REPLY, NULL);
	if (msg_dec_upload_reply(&b, r) == -1)
		fatalx("bad upload reply from the monitor");
	buf_free(&b);
	return 0;
}

int
sandbox_request_pesign(const struct msg_pesign *m, struct msg_pesign_reply *r)
{
	struct buf b;

	if (ENCODE(&b, msg_enc_pesign, m) == -1)
		return -1;
	channel_send(&b);
	channel_expect(&b, MSG_PESIGN_REPLY, NULL);
	if (msg_dec_pesign_reply(&b, r) == -1)
		fatalx("bad pesign reply from the monitor");
	buf_free(&b);
	return 0;
}

int
sandbox_report_upload_done(void)
{
	return send_empty(MSG_UPLOAD_DONE);
}

void
sandbox_report_progress(uint64_t bytes)
{
	struct msg_progress m = { .bytes = bytes };
	struct buf b;

	if (ENCODE(&b, msg_enc_progress, &m) == 0)
		send_free(&b);
}

/*
 * Send an encoded message, with fd if fd >= 0.  Unlike channel_send(), a
 * failure is the caller's to judge: -1.
 */
static int
channel_try_send(struct buf *b, int fd)
{
	return io_send_msg(CHANNEL_FD, b, fd);
}

int
sandbox_report_held_cancel(void)
{
	struct buf b;
	int r = -1;

	if (ENCODE(&b, msg_enc_empty, MSG_HELD_CANCEL) == 0)
		r = channel_try_send(&b, -1);
	buf_free(&b);
	return r;
}

int
sandbox_report_held_result(uint64_t id, const struct buf *frame)
{
	struct msg_held_result m = { .id = id,
		.frame = buf_ptr(frame),
		.len = buf_left(frame) };
	struct buf b;
	int r = -1;

	if (ENCODE(&b, msg_enc_held_result, &m) == 0)
		r = channel_try_send(&b, -1);
	buf_free(&b);
	return r;
}

int
sandbox_send_lookup(const struct resolve_reply *rr)
{
	struct buf b;
	int r = -1;

	buf_init(&b, RESOLVE_REPLY_LEN + 1);
	if (resolve_enc(&b, rr) == 0)
		r = channel_try_send(&b, -1);
	buf_free(&b);
	return r;
}

#ifdef CSIGN_TEST_HOOKS
int
sandbox_send_lookup_bytes(struct buf *b, int fd)
{
	return channel_try_send(b, fd);
}
#endif
