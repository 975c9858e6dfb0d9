/* hold.c: a sign request held for approval, child side (see hold.h). */
#include "sandbox/hold.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "common/log.h"
#include "proto/frame.h"
#include "proto/io.h"
#include "sandbox/channel.h"

/* The one request this child may have held at a time. */
static struct {
	int client;
	unsigned flags;
	int watch;		/* held: a hang-up cancels */
	int detached;		/* --no-wait: the client was let go */
	int cancelled;		/* MSG_HELD_CANCEL sent */
	uint64_t id;
} hold = { .client = -1 };

void
hold_begin(int client, unsigned flags)
{
	memset(&hold, 0, sizeof(hold));
	hold.client = client;
	hold.flags = flags;
}

void
hold_end(void)
{
	memset(&hold, 0, sizeof(hold));
	hold.client = -1;
}

int
hold_detached(void)
{
	return hold.detached;
}

/* The client has gone while its request is held: cancel it, once. */
static void
hold_cancel(void)
{
	struct buf b;

	hold.watch = 0;
	if (hold.cancelled)
		return;
	hold.cancelled = 1;
	log_info("client hung up while request %llu was held; cancelling",
	    (unsigned long long)hold.id);
	buf_init(&b, MSG_MAX);
	if (msg_enc_empty(&b, MSG_HELD_CANCEL) == 0 &&
	    io_send_msg(CHANNEL_FD, &b, -1) == -1)
		log_warn("cannot cancel the held request");
	buf_free(&b);
}

/* The fields every held notice gives the client. */
static int
hold_fields(struct buf *b, const struct msg_sign_held *m)
{
	if (frame_add_u64(b, T_ID, m->id) == -1 ||
	    frame_add_str(b, T_GROUP, m->group) == -1 ||
	    frame_add_u32(b, T_COUNT, m->have) == -1 ||
	    frame_add_u32(b, T_NEEDED, m->need) == -1)
		return -1;
	return frame_add_u32(b, T_EXPIRES, m->expires_in);
}

/*
 * --no-wait: the final reply is the id; the connection is then shut
 * down so that the client leaves and nothing more is read from it.
 */
static void
hold_detach(const struct msg_sign_held *m)
{
	struct buf b;

	buf_init(&b, FRAME_MAX + 4);
	if (frame_begin(&b, F_REPLY) == -1 ||
	    frame_add_u32(&b, T_STATUS, ST_OK) == -1 ||
	    frame_add_str(&b, T_MESSAGE, "held for approval") == -1 ||
	    hold_fields(&b, m) == -1 || frame_finish(&b) == -1 ||
	    io_send_frame(hold.client, &b, NULL, 0) == -1)
		log_info("the --no-wait client left before its reply");
	buf_free(&b);
	(void)shutdown(hold.client, SHUT_RDWR);
	hold.detached = 1;
}

void
hold_notice(const struct msg_sign_held *m)
{
	struct buf b;

	if (hold.detached || hold.cancelled)
		return;
	hold.id = m->id;
	if (hold.flags & SIGN_F_NOWAIT) {
		hold_detach(m);
		return;
	}
	hold.watch = 1;
	buf_init(&b, FRAME_MAX + 4);
	if (frame_begin(&b, F_HELD) == -1 || hold_fields(&b, m) == -1 ||
	    (m->approver[0] != '\0' &&
	    frame_add_str(&b, T_USER, m->approver) == -1) ||
	    frame_finish(&b) == -1 ||
	    io_send_frame(hold.client, &b, NULL, 0) == -1)
		hold_cancel();
	buf_free(&b);
}

/*
 * The watched client socket is readable: end of stream (or an error)
 * means it hung up.  A client that sends something instead is not
 * waiting politely; it is no longer watched, and its bytes stay queued
 * for the session to read after the reply.
 */
static void
hold_client_event(short revents)
{
	char c;
	ssize_t n;

	if (revents & (POLLHUP | POLLERR)) {
		hold_cancel();
		return;
	}
	n = recv(hold.client, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
		hold_cancel();
	else if (n > 0)
		hold.watch = 0;
}

void
hold_wait_channel(int chan)
{
	struct pollfd p[2];

	for (;;) {
		nfds_t n = hold.watch ? 2 : 1;

		p[0] = (struct pollfd){ .fd = chan, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = hold.client, .events = POLLIN };
		if (poll(p, n, -1) == -1) {
			if (errno == EINTR)
				continue;
			return;		/* the read that follows will tell */
		}
		if (p[0].revents != 0)
			return;
		if (n == 2 && p[1].revents != 0)
			hold_client_event(p[1].revents);
	}
}

int
hold_deliver(const struct buf *frame)
{
	struct msg_held_result m = { .id = hold.id, .frame = buf_ptr(frame),
		.len = buf_left(frame) };
	struct buf b;
	int r;

	buf_init(&b, MSG_MAX);
	r = msg_enc_held_result(&b, &m) == 0 ? io_send_msg(CHANNEL_FD, &b,
	    -1) : -1;
	buf_free(&b);
	return r;
}
