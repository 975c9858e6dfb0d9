/* dispatch.c: check each child message against the table, then handle it. */
#include "monitor/dispatch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/log.h"
#include "monitor/held.h"
#include "monitor/monitor.h"
#include "monitor/timestamp.h"
#include "proto/io.h"
#include "proto/msg.h"

/* The handler of each message a child may send (proto/chan.c: when). */
static const mon_handler mon_table[MSG_TYPE_COUNT] = {
	[MSG_READY] = monitor_answer_ready,
	[MSG_KEYINFO] = monitor_answer_keyinfo,
	[MSG_SIGN] = monitor_answer_sign,
	[MSG_QUERY] = monitor_answer_query,
	[MSG_LOG] = monitor_answer_log,
	[MSG_DONE] = monitor_answer_done,
	[MSG_ADMIN] = monitor_answer_admin,
	[MSG_TSA_OPEN] = monitor_answer_tsa_open,
	[MSG_TSA_DONE] = monitor_answer_tsa_done,
	[MSG_APPROVAL] = held_answer_approval,
	[MSG_HELD_CANCEL] = held_answer_cancel,
	[MSG_HELD_RESULT] = held_answer_result,
	[MSG_UPLOAD] = monitor_answer_upload,
	[MSG_UPLOAD_DONE] = monitor_answer_upload_done,
	[MSG_PROGRESS] = monitor_answer_progress,
	[MSG_PESIGN] = monitor_answer_pesign,
};

/*
 * The handshake: a child that speaks another version of the channel is
 * refused by name (an upgrade replaced csign-sandbox under a running
 * csignd, or the other way round), before anything else it says is read.
 */
static int
version_check(struct mon_session *c, const struct msg_ready *m)
{
	char why[320];

	if (m->version == CHAN_VERSION)
		return 0;
	snprintf(why, sizeof(why),
	    "session child speaks channel version %u "
	    "(build %s), this csignd speaks version %u (build %s): the "
	    "sandbox program and the daemon are from different builds; "
	    "restart csignd after upgrading",
	    (unsigned)m->version, m->build[0] != '\0' ? m->build : "unknown",
	    (unsigned)CHAN_VERSION, chan_build_id());
	mon_session_fail(c, why);
	return -1;
}

/*
 * Check a message against the channel's table and run its handler: -1
 * for a protocol violation.  The body is decoded only once the type is
 * known to be acceptable now, so that no decoder runs on what would be
 * refused anyway.
 */
static int
monitor_dispatch(struct mon_session *c, struct buf *b, int fd)
{
	const struct chan_msg *row;
	union chan_body *m;
	uint16_t type;
	uint32_t bit;
	int r;

	if (msg_type_of(b, &type) == -1 || (row = chan_lookup(type)) == NULL ||
	    row->dir != CHAN_TO_MONITOR || mon_table[type] == NULL) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	bit = 1u << type;
	if (fd != -1) {
		/* No handler takes a descriptor yet: never keep one. */
		close(fd);
		if (!(row->flags & CHAN_F_FD))
			return -1;
	}
	if (!(row->states & CH_BIT(c->state)))
		return -1;
	if ((row->flags & CHAN_F_ONCE) && (c->chan.seen & bit))
		return -1;
	if ((row->flags & CHAN_F_PERMIT) && !(c->chan.permit & bit))
		return -1;
	if ((m = malloc(sizeof(*m))) == NULL)
		fatal("malloc");
	if (row->decode(b, m) == -1) {
		free(m);
		return -1;
	}
	c->chan.seen |= bit;
	if (type == MSG_READY && version_check(c, &m->ready) == -1) {
		free(m);
		return -1;
	}
	if (c->state == CH_SESSION)
		mon_deadline(c, c->m->cfg->session_timeout + 5);
	r = mon_table[type](c, m);
	free(m);
	return r;
}

/*
 * The loop's receive buffer, reused for every message: a fresh MSG_MAX
 * buffer per message cost a 66 KiB malloc, its first-touch page faults,
 * a 66 KiB wipe and a heap trim (a TLB flush on every CPU) each time,
 * several times per signature.  What a message wrote is wiped once it
 * is handled, as buf_free() would have.  A read nested in a handler's
 * work (none today) gets a buffer of its own.
 */
static struct buf rx;
static int rx_busy;

/* The buffer for the next message. */
static struct buf *
rx_take(struct buf *local)
{
	if (rx_busy) {
		buf_init(local, MSG_MAX);
		return local;
	}
	if (rx.max == 0)
		buf_init(&rx, MSG_MAX);
	rx_busy = 1;
	return &rx;
}

/* Done with b: what was written in it wiped. */
static void
rx_release(struct buf *b)
{
	if (b != &rx) {
		buf_free(b);
		return;
	}
	buf_wipe(&rx);
	rx_busy = 0;
}

/* Read and handle one message of c: 1 if one was handled, else 0. */
static int
child_read_one(struct mon_session *c)
{
	struct buf local, *b;
	int passed = -1, r;
	uint16_t type = 0;

	b = rx_take(&local);
	r = io_recv_msg(c->fd, b, &passed);
	if (r == -1 && errno == EAGAIN) {
		rx_release(b);
		return 0;
	}
	if (r == -1) {
		mon_session_fail(c, "unreadable or oversized message");
		rx_release(b);
		return 0;
	}
	if (r == 0) {
		/*
		 * The child closed its end (or sent an empty datagram): it
		 * must now exit; the deadline kills it if it does not.
		 */
		c->m->ops->closed(c);
		rx_release(b);
		return 0;
	}
	if (buf_left(b) >= 2)
		type = (uint16_t)(buf_ptr(b)[0] << 8 | buf_ptr(b)[1]);
	if (monitor_dispatch(c, b, passed) == -1 && c->state != CH_GONE) {
		char why[96];
		snprintf(why, sizeof(why),
		    "protocol violation (message %s in "
		    "state %s)",
		    msg_type_name(type), mon_state_name(c->state));
		mon_session_fail(c, why);
	}
	rx_release(b);
	return !c->dead && c->state != CH_GONE;
}

void
monitor_child_readable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)child_read_one(arg);
	/* What the handler marked is acted on now that it has returned. */
	monitor_act(((struct mon_session *)arg)->m);
}

void
monitor_child_drain(struct mon_session *c)
{
	/* Bounded: the channel's buffer holds only so many datagrams. */
	for (int i = 0; i < 256 && child_read_one(c); i++)
		;
	monitor_act(c->m);
}
