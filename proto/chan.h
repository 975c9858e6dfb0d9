/*
 * chan: the one table of the session child <-> monitor channel.
 *
 * Every message of the channel (proto/msg.h) has one row here: its number,
 * its name, which way it goes, the child states in which the monitor
 * accepts it, whether it may come at most once in a child's life (ONCE),
 * whether the session's permit mask must allow it (PERMIT), whether a
 * descriptor may come with it (FD), and its decoder.  Decoders parse every
 * field exactly and make every range check that needs nothing but the
 * message itself (a format or digest that exists, a tbs as long as its
 * digest, a valid key name); what needs the monitor's records (a grant, a
 * key described earlier) is the handler's.  The monitor's dispatcher
 * (monitor/dispatch.c) looks each child message up here before any
 * handler sees it.
 */
#ifndef CSIGN_CHAN_H
#define CSIGN_CHAN_H

#include <stdint.h>

#include "proto/buf.h"
#include "proto/msg.h"

/*
 * The channel's protocol version, sent by the child in MSG_READY: the
 * monitor refuses a child that speaks another (the child program is
 * exec'd from disk, and an upgrade can pair an old child with a new
 * monitor).  Bump it with any change to a message or to the table.
 *   1  the first (READY had no fields)
 *   2  READY carries version and build id; the table, ONCE and PERMIT
 *   3  SESSION carries the listener (via); PESIGN and PESIGN_REPLY
 *   4  KEYINFO_REPLY carries the key's OpenPGP identity (creation time
 *      and user ID); formats openpgp and openpgp-clear
 *   5  KEYINFO_REPLY says whether the key has an Approval rule; SIGN may
 *      come while one is in flight (MSG_SIGN_F_PIPELINED); SESSION
 *      carries the sessions served besides it (busy)
 *   6  SIGN_REPLY carries the sessions served besides it now (busy), so
 *      that a batch sizes its connections on the load once it runs
 */
#define CHAN_VERSION 6

/* This build's id (proto/chan.c, from the Makefile): "version-commit". */
const char *chan_build_id(void);

/*
 * A session child's state, as the monitor sees it (the loop sets it;
 * this table says what each state may send).
 */
enum child_state {
	CH_STARTING = 0, /* exec'd, sandboxing itself */
	CH_IDLE,	 /* ready, no client */
	CH_SESSION,	 /* serving a client */
	CH_SIGNING,	 /* waiting for the monitor's signature */
	CH_GONE,	 /* killed or exiting, waiting to be reaped */
	CH_HELD,	 /* --no-wait request held for approval: the
				   client was let go; not a session */
	CH_STATE_COUNT
};
#define CH_BIT(st) (1u << (st))

enum chan_dir {
	CHAN_TO_MONITOR = 1, /* sent by the child */
	CHAN_TO_CHILD	     /* sent by the monitor */
};

#define CHAN_F_ONCE 0x1u   /* at most once in a child's life */
#define CHAN_F_PERMIT 0x2u /* only while the permit mask allows it */
#define CHAN_F_FD 0x4u	   /* a descriptor may come with it */
#define CHAN_BIT(type) (1u << (type))

/* A message's fields, decoded (which member: the row's type). */
union chan_body {
	struct msg_ready ready;
	struct msg_session session;
	struct msg_keyinfo keyinfo;
	struct msg_keyinfo_reply keyinfo_reply;
	struct msg_sign sign;
	struct msg_sign_reply sign_reply;
	struct msg_query query;
	struct {
		const uint8_t *frame; /* a client frame, points into */
		size_t len;	      /* ... the message */
	} query_reply;
	struct msg_log log;
	struct msg_admin admin;
	struct msg_tsa_open tsa_open;
	struct msg_tsa_reply tsa_reply;
	struct msg_tsa_done tsa_done;
	struct msg_sign_held sign_held;
	struct msg_approval approval;
	struct msg_held_result held_result;
	struct msg_upload upload;
	struct msg_upload_reply upload_reply;
	struct msg_progress progress;
	struct msg_pesign pesign;
	struct msg_pesign_reply pesign_reply;
};

/*
 * Decode the fields of a datagram whose type was read (b's offset is past
 * it) into the row's member of u: 0 only if every field parsed, every
 * range check passed and nothing is left.
 */
typedef int (*chan_decoder)(struct buf *b, union chan_body *u);

struct chan_msg {
	const char *name;
	chan_decoder decode;
	enum chan_dir dir;
	unsigned states; /* CH_BIT mask; child -> monitor only */
	unsigned flags;	 /* CHAN_F_* */
	uint16_t type;	 /* enum msg_type */
};

/*
 * The dispatcher's record of one child: the ONCE types it has sent, and
 * the PERMIT types it may send now (CHAN_BIT masks).  As in OpenSSH's
 * monitor, handlers open and close the permit mask as the session goes
 * on: a SIGN only after a KEYINFO was answered, a TSA_DONE only after a
 * TSA_OPEN, and so on (proto/chan.c says which types need a permit).
 */
struct chan_state {
	uint32_t seen;
	uint32_t permit;
};

static inline void
chan_allow(struct chan_state *s, uint32_t types)
{
	s->permit |= types;
}

static inline void
chan_forbid(struct chan_state *s, uint32_t types)
{
	s->permit &= ~types;
}

/* The row of type, or NULL if the channel has no such message. */
const struct chan_msg *chan_lookup(unsigned type);

#endif
