/* hold.c: a sign request held for approval, child side (see hold.h). */
#include "sandbox/hold.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/log.h"
#include "proto/frame.h"
#include "proto/io.h"
#include "sandbox/channel.h"

/* The one request a session may have held at a time. */
struct hold {
	int client;	/* the session's client socket */
	unsigned flags; /* SIGN_F_* of the request */
	int watch;	/* held: a hang-up cancels */
	int detached;	/* --no-wait: the client was let go */
	int cancelled;	/* MSG_HELD_CANCEL sent */
	int quiet;	/* pesign: no F_HELD frames */
	uint64_t id;
};

struct hold *
hold_new(int client)
{
	struct hold *h;

	if ((h = malloc(sizeof(*h))) == NULL)
		return NULL;
	h->client = client;
	h->quiet = 0;
	hold_reset(h);
	return h;
}

void
hold_set_quiet(struct hold *h)
{
	h->quiet = 1;
}

void
hold_free(struct hold *h)
{
	free(h);
}

void
hold_reset(struct hold *h)
{
	h->flags = 0;
	h->watch = h->detached = h->cancelled = 0;
	h->id = 0;
}

void
hold_begin(struct hold *h, unsigned flags)
{
	hold_reset(h);
	h->flags = flags;
}

int
hold_detached(const struct hold *h)
{
	return h->detached;
}

/* The client has gone while its request is held: cancel it, once. */
static void
hold_cancel(struct hold *h)
{
	h->watch = 0;
	if (h->cancelled)
		return;
	h->cancelled = 1;
	log_info("client hung up while request %llu was held; cancelling",
	    (unsigned long long)h->id);
	if (sandbox_report_held_cancel() == -1)
		log_warn("cannot cancel the held request");
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
hold_detach(struct hold *h, const struct msg_sign_held *m)
{
	struct buf b;

	buf_init(&b, FRAME_MAX + 4);
	if (frame_begin(&b, F_REPLY) == -1 ||
	    frame_add_u32(&b, T_STATUS, ST_OK) == -1 ||
	    frame_add_str(&b, T_MESSAGE, "held for approval") == -1 ||
	    hold_fields(&b, m) == -1 || frame_finish(&b) == -1 ||
	    io_send_frame(h->client, &b, NULL, 0) == -1)
		log_info("the --no-wait client left before its reply");
	buf_free(&b);
	(void)shutdown(h->client, SHUT_RDWR);
	h->detached = 1;
}

void
hold_notice(struct hold *h, const struct msg_sign_held *m)
{
	struct buf b;

	if (h->detached || h->cancelled)
		return;
	h->id = m->id;
	if (h->flags & SIGN_F_NOWAIT) {
		hold_detach(h, m);
		return;
	}
	h->watch = 1;
	if (h->quiet)
		return;
	buf_init(&b, FRAME_MAX + 4);
	if (frame_begin(&b, F_HELD) == -1 || hold_fields(&b, m) == -1 ||
	    (m->approver[0] != '\0' &&
		frame_add_str(&b, T_USER, m->approver) == -1) ||
	    frame_finish(&b) == -1 ||
	    io_send_frame(h->client, &b, NULL, 0) == -1)
		hold_cancel(h);
	buf_free(&b);
}

/*
 * The watched client socket is readable: end of stream (or an error)
 * means it hung up.  A client that sends something instead is not
 * waiting politely; it is no longer watched, and its bytes stay queued
 * for the session to read after the reply.
 */
static void
hold_client_event(struct hold *h, short revents)
{
	char c;
	ssize_t n;

	if (revents & (POLLHUP | POLLERR)) {
		hold_cancel(h);
		return;
	}
	n = recv(h->client, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
		hold_cancel(h);
	else if (n > 0)
		h->watch = 0;
}

void
hold_wait_channel(struct hold *h, int chan)
{
	struct pollfd p[2];

	/*
	 * With no client to watch, the blocking read that follows waits
	 * as well, without a poll per signature.
	 */
	if (!h->watch)
		return;
	for (;;) {
		nfds_t n = h->watch ? 2 : 1;

		p[0] = (struct pollfd){ .fd = chan, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = h->client, .events = POLLIN };
		if (poll(p, n, -1) == -1) {
			if (errno == EINTR)
				continue;
			return; /* the read that follows will tell */
		}
		if (p[0].revents != 0)
			return;
		if (n == 2 && p[1].revents != 0)
			hold_client_event(h, p[1].revents);
	}
}

int
hold_deliver(const struct hold *h, const struct buf *frame)
{
	return sandbox_report_held_result(h->id, frame);
}
