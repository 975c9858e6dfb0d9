/*
 * frametab.c: the client channel's protocol table (see frame.h).
 *
 * One row per frame type, at its wire number: its name, which way it
 * travels, how many descriptors may come with it, and the fields it may
 * carry.  A field is required (REQ), optional (OPT) or a list entry that
 * may repeat (REP).  The kind and size bounds of every tag are written
 * once, in the V_* lines below, so a tag reads the same in every frame.
 */
#include "proto/frame.h"

#include <limits.h>

#include "proto/names.h"

/* Each tag: its number, kind, and least and largest value in bytes. */
#define V_VERSION T_VERSION, K_U32, 4, 4
#define V_KEY T_KEY, K_NAME, 1, KEY_NAME_MAX
#define V_FORMAT T_FORMAT, K_STR, 0, 16
#define V_DIGEST T_DIGEST, K_STR, 0, 16
#define V_NAME T_NAME, K_STR, 0, ARTIFACT_NAME_MAX
#define V_FLAGS T_FLAGS, K_U32, 4, 4
#define V_STATUS T_STATUS, K_U32, 4, 4
#define V_MESSAGE T_MESSAGE, K_STR, 0, 1024
#define V_SIGNATURE T_SIGNATURE, K_BYTES, 0, FRAME_MAX - 64
#define V_CERT T_CERT, K_BYTES, 0, FRAME_MAX - 64
#define V_UID T_UID, K_U32, 4, 4
#define V_GID T_GID, K_U32, 4, 4
#define V_USER T_USER, K_STR, 0, 64
#define V_GROUP T_GROUP, K_STR, 0, 96
#define V_FORMATS T_FORMATS, K_STR, 0, 128
#define V_DIGESTS T_DIGESTS, K_STR, 0, 64
#define V_ALG T_ALG, K_STR, 0, 32
#define V_TOKEN T_TOKEN, K_STR, 0, KEY_NAME_MAX
#define V_STATE T_STATE, K_STR, 0, 32
#define V_SIZE T_SIZE, K_U64, 8, 8
#define V_ADIGEST T_ADIGEST, K_BYTES, 0, DIGEST_MAX
#define V_FINGERPRINT T_FINGERPRINT, K_STR, 0, 128
#define V_TEST_SYSCALL T_TEST_SYSCALL, K_STR, 0, 32
#define V_NOTAFTER T_NOTAFTER, K_STR, 0, 32
#define V_DATA T_DATA, K_BYTES, 0, DATA_CHUNK
#define V_WARN_DAYS T_WARN_DAYS, K_U32, 4, 4
#define V_TIMESTAMP T_TIMESTAMP, K_STR, 0, 16
#define V_ID T_ID, K_U64, 8, 8
#define V_COUNT T_COUNT, K_U32, 4, 4
#define V_NEEDED T_NEEDED, K_U32, 4, 4
#define V_EXPIRES T_EXPIRES, K_U32, 4, 4
#define V_AGE T_AGE, K_U32, 4, 4
#define V_RELOAD T_RELOAD, K_STR, 0, 1024
#define V_APPROVAL T_APPROVAL, K_STR, 5, KEY_NAME_MAX + 24
#define V_OUTPUT T_OUTPUT, K_STR, 2, PATH_MAX - 1
#define V_BUSY T_BUSY, K_U32, 4, 4

#define REQ(v) \
	{ \
		FIELD_REQUIRED, v \
	}
#define OPT(v) \
	{ \
		0, v \
	}
#define REP(v) \
	{ \
		FIELD_REPEAT, v \
	}

#define IN FRAME_TO_DAEMON
#define OUT FRAME_TO_CLIENT

static const struct frame_spec frame_table[F_TYPE_COUNT] = {
	[F_HELLO] = { "hello", F_HELLO, IN, 1, { REQ(V_VERSION) } },
	[F_SIGN] = { "sign", F_SIGN, IN, FRAME_MAX_FDS,
	    {
		REQ(V_KEY),
		REQ(V_FORMAT),
		OPT(V_DIGEST),
		OPT(V_NAME),
		OPT(V_FLAGS),
		OPT(V_SIZE),
		OPT(V_OUTPUT),
#ifdef CSIGN_TEST_HOOKS
		OPT(V_TEST_SYSCALL),
#endif
	    } },
	[F_KEYS] = { "keys", F_KEYS, IN, 0, { { 0 } } },
	[F_CERT] = { "cert", F_CERT, IN, 0, { REQ(V_KEY), OPT(V_FLAGS) } },
	[F_WHOAMI] = { "whoami", F_WHOAMI, IN, 0, { { 0 } } },
	[F_STATUS] = { "status", F_STATUS, IN, 0, { { 0 } } },
	/*
	 * Every reply: a status and a message, then what the request
	 * asked for.  Replies list entries (keys, groups, tokens, held
	 * requests), so those fields repeat.
	 */
	[F_REPLY] = { "reply", F_REPLY, OUT, 0,
	    { REQ(V_STATUS), REQ(V_MESSAGE), OPT(V_VERSION), OPT(V_FLAGS),
		OPT(V_SIGNATURE), OPT(V_CERT), OPT(V_UID), OPT(V_GID),
		OPT(V_WARN_DAYS), OPT(V_RELOAD), OPT(V_DATA), REP(V_KEY),
		REP(V_FORMAT), REP(V_DIGEST), REP(V_NAME), REP(V_USER),
		REP(V_GROUP), REP(V_FORMATS), REP(V_DIGESTS), REP(V_ALG),
		REP(V_TOKEN), REP(V_STATE), REP(V_SIZE), REP(V_ADIGEST),
		REP(V_FINGERPRINT), REP(V_NOTAFTER), REP(V_TIMESTAMP),
		REP(V_ID), REP(V_COUNT), REP(V_NEEDED), REP(V_EXPIRES),
		REP(V_AGE), REP(V_APPROVAL), OPT(V_OUTPUT), OPT(V_BUSY) } },
	/* Inline artifacts go in, inline outputs come back. */
	[F_DATA] = { "data", F_DATA, IN | OUT, 0, { REQ(V_DATA) } },
	[F_ADMIN] = { "admin", F_ADMIN, IN, 0,
	    { REQ(V_KEY), REQ(V_FLAGS), OPT(V_MESSAGE) } },
	[F_PENDING] = { "pending", F_PENDING, IN, 0, { { 0 } } },
	[F_APPROVE] = { "approve", F_APPROVE, IN, 0,
	    { REQ(V_ID), OPT(V_MESSAGE) } },
	[F_DENY] = { "deny", F_DENY, IN, 0, { REQ(V_ID), OPT(V_MESSAGE) } },
	[F_WAIT] = { "wait", F_WAIT, IN, 0, { REQ(V_ID) } },
	[F_HELD] = { "held", F_HELD, OUT, 0,
	    { REQ(V_ID), REQ(V_GROUP), REQ(V_COUNT), REQ(V_NEEDED),
		REQ(V_EXPIRES), OPT(V_USER) } },
};

const struct frame_spec *
frame_spec(int type)
{
	if (type <= 0 || type >= F_TYPE_COUNT)
		return NULL;
	return &frame_table[type];
}

const struct frame_field *
frame_spec_field(const struct frame_spec *fs, uint16_t tag)
{
	for (size_t i = 0; i < T_TAG_COUNT && fs->fields[i].tag != 0; i++)
		if (fs->fields[i].tag == tag)
			return &fs->fields[i];
	return NULL;
}
