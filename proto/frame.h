/*
 * The client <-> session-child protocol.
 *
 * A frame on the stream socket is
 *     u32 length | u16 type | TLV...        (network byte order)
 * where length counts the type and the TLVs and is at most FRAME_MAX, and
 * each TLV is  u16 tag | u32 len | value.  The first frame of a connection
 * is F_HELLO with the protocol version.  File descriptors travel as
 * SCM_RIGHTS on the first byte of the frame that uses them (see io.h).
 *
 * frame_decode() checks the whole frame against the protocol table
 * (proto/frametab.c) before anyone reads it: a known type, known tags,
 * no tag the type does not allow, each of the right kind and size, the
 * tags the type requires, no repeats except where a reply lists several
 * entries, and nothing left over.
 */
#ifndef CSIGN_FRAME_H
#define CSIGN_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "proto/buf.h"

#define PROTO_VERSION 1
#define FRAME_MAX 65536	  /* type + TLVs, excluding the length */
#define FRAME_MAX_TLV 512 /* TLVs in one frame */
#define FRAME_MAX_FDS 2	  /* fds that may come with any frame */

/*
 * Frame types and field tags: wire numbers, written out because a client
 * of another release must keep working.  What each frame carries, which
 * way it travels and with how many descriptors is in one table,
 * proto/frametab.c (frame_spec()).
 */
enum frame_type {
	F_HELLO = 1,	/* T_VERSION; a probe descriptor */
	F_SIGN = 2,	/* T_KEY T_FORMAT [T_DIGEST] [T_NAME] [T_FLAGS]
			   [T_SIZE]; artifact fd, and an output fd for the
			   formats of ARTIFACT_FORMATS (proto/names.h) */
	F_KEYS = 3,	/* - */
	F_CERT = 4,	/* T_KEY [T_FLAGS: CERT_F_*] */
	F_WHOAMI = 5,	/* - */
	F_STATUS = 6,	/* - */
	F_REPLY = 7,	/* T_STATUS T_MESSAGE, then per-request fields */
	F_DATA = 8,	/* T_DATA: artifact or output bytes, inline mode */
	F_ADMIN = 9,	/* T_KEY T_FLAGS (ADMIN_*) [T_MESSAGE: the reason] */
	F_PENDING = 10, /* -: requests held for approval (approval.h) */
	F_APPROVE = 11, /* T_ID [T_MESSAGE: a note] */
	F_DENY = 12,	/* T_ID [T_MESSAGE: the reason] */
	F_WAIT = 13,	/* T_ID: the result of a --no-wait request */
	F_HELD = 14,	/* daemon -> client, before the F_REPLY of a held
			   F_SIGN: T_ID T_GROUP T_COUNT T_NEEDED T_EXPIRES
			   [T_USER: who just approved] */
	F_TYPE_COUNT
};

enum tlv_tag {
	T_VERSION = 1,	     /* u32 */
	T_KEY = 2,	     /* str: key name */
	T_FORMAT = 3,	     /* str: format name */
	T_DIGEST = 4,	     /* str: digest name */
	T_NAME = 5,	     /* str: artifact name */
	T_FLAGS = 6,	     /* u32: SIGN_F_* */
	T_STATUS = 7,	     /* u32: enum csign_status */
	T_MESSAGE = 8,	     /* str */
	T_SIGNATURE = 9,     /* bytes: the output (signature or container) */
	T_CERT = 10,	     /* bytes: PEM certificate */
	T_UID = 11,	     /* u32 */
	T_GID = 12,	     /* u32 */
	T_USER = 13,	     /* str */
	T_GROUP = 14,	     /* str "name:gid", repeated */
	T_FORMATS = 15,	     /* str: space-separated format names */
	T_DIGESTS = 16,	     /* str: space-separated digest names */
	T_ALG = 17,	     /* str: "rsa-2048", "ec-p256", ... */
	T_TOKEN = 18,	     /* str: token name */
	T_STATE = 19,	     /* str: ready, locked, unavailable */
	T_SIZE = 20,	     /* u64: artifact size */
	T_ADIGEST = 21,	     /* bytes: artifact digest */
	T_FINGERPRINT = 22,  /* str: SHA-256 of the certificate, hex */
	T_TEST_SYSCALL = 23, /* str: test builds only, see
				   sandbox/testhook.c */
	T_NOTAFTER = 24,     /* str: certificate notAfter, RFC 3339 UTC */
	T_DATA = 25,	     /* bytes: a chunk of an inline artifact or
				   output */
	T_WARN_DAYS = 26,    /* u32: CertificateExpiryWarning, keys reply */
	T_TIMESTAMP = 27,    /* str: a key's Timestamp, required or
				   optional */
	T_ID = 28,	     /* u64: id of a request held for approval */
	T_COUNT = 29,	     /* u32: approvals so far */
	T_NEEDED = 30,	     /* u32: approvals needed */
	T_EXPIRES = 31,	     /* u32: seconds until a held request expires */
	T_AGE = 32,	     /* u32: seconds since a request was held */
	T_RELOAD = 33,	     /* str: the last reload, in a status reply */
	T_APPROVAL = 34,     /* str: "COUNT GROUP SECONDS", a key's Approval,
				   in a keys reply */
	T_OUTPUT = 35,	     /* str: where a --no-wait signature goes (the
				   client's absolute -o path), kept with the
				   request and given back to F_WAIT */
	T_BUSY = 36,	     /* u32: in a hello reply, the sessions the
				   daemon serves besides this one, capped at
				   BUSY_MAX (how many more connections a batch
				   may usefully open) */
	T_TAG_COUNT
};

/* T_BUSY says no more than this: a hint, not a census of others' work. */
#define BUSY_MAX 64

/* T_FLAGS bits of F_SIGN. */
#define SIGN_F_PEM 0x1u	    /* cms: PEM instead of DER */
#define SIGN_F_REPLACE 0x2u /* module, pe: replace an existing signature */
#define SIGN_F_APPEND 0x4u  /* pe: add a signature to those present */
#define SIGN_F_KEYID 0x8u   /* module: signer by subject key identifier */
#define SIGN_F_INLINE 0x10u /* artifact (and output) travel in F_DATA */
/* cms, pe: an RFC 3161 timestamp, on a key where it is optional */
#define SIGN_F_TIMESTAMP 0x20u
/* held for approval: reply with the id at once, collect it with F_WAIT */
#define SIGN_F_NOWAIT 0x40u
/* openpgp: ASCII armour instead of binary packets */
#define SIGN_F_ARMOR 0x80u
/*
 * module: the artifact and output descriptors are the module itself,
 * open for reading and writing; the signature is appended to it
 */
#define SIGN_F_INPLACE 0x100u
#define SIGN_F_ALL 0x1ffu

/* T_FLAGS of F_CERT. */
#define CERT_F_OPENPGP 0x1u /* the OpenPGP transferable public key */

/*
 * T_FLAGS of the reply to F_HELLO.  The client sends a probe descriptor
 * with its hello; where descriptors do not travel (a socket forwarded by
 * OpenSSH), the reply lacks HELLO_F_FDS and the client sends artifacts
 * inline: F_SIGN with SIGN_F_INLINE and T_SIZE, then F_DATA frames of at
 * most DATA_CHUNK bytes; an output the daemon writes (module, pe) comes
 * back as F_DATA frames before the F_REPLY.
 */
#define HELLO_F_FDS 0x1u

/* T_FLAGS of F_ADMIN: the operation (AdminGroup members only). */
#define ADMIN_DISABLE_KEY 1u
#define ADMIN_ENABLE_KEY 2u
#define DATA_CHUNK 60000

/*
 * The protocol table (proto/frametab.c): one row per frame type, with
 * the direction it travels, the descriptors that may come with it, and
 * each field it may carry with that field's kind and size bounds.
 */
enum tlv_kind {
	K_U32 = 1, /* exactly 4 bytes */
	K_U64,	   /* exactly 8 bytes */
	K_STR,	   /* min..max bytes, no NUL */
	K_NAME,	   /* a key name: key_name_valid() (proto/names.h) */
	K_BYTES	   /* min..max bytes of anything */
};

#define FRAME_TO_DAEMON 0x1u /* client -> session child */
#define FRAME_TO_CLIENT 0x2u /* session child -> client */

#define FIELD_REQUIRED 0x1u /* the frame must carry it */
#define FIELD_REPEAT 0x2u   /* it may come more than once */

struct frame_field {
	uint8_t flags; /* FIELD_* */
	uint16_t tag;  /* 0 ends a row's list */
	uint8_t kind;  /* enum tlv_kind */
	uint32_t min;  /* value length bounds, in bytes */
	uint32_t max;
};

struct frame_spec {
	const char *name;
	uint16_t type;	/* its wire number, also its row */
	uint8_t dir;	/* FRAME_TO_* */
	uint8_t maxfds; /* descriptors that may come with it */
	struct frame_field fields[T_TAG_COUNT];
};

/* The table row of a frame type, or NULL if there is no such type. */
const struct frame_spec *frame_spec(int type);
/* The row's entry for tag, or NULL if the type does not carry it. */
const struct frame_field *frame_spec_field(const struct frame_spec *fs,
    uint16_t tag);

struct tlv {
	uint16_t tag;
	uint32_t len;
	const uint8_t *val;
};

/* A decoded frame; values point into the buffer it was decoded from. */
struct frame {
	uint16_t type;
	size_t ntlv;
	struct tlv tlv[FRAME_MAX_TLV];
};

/*
 * Decode and validate the frame body p[0..len) (type and TLVs, without the
 * length) against the table.  Returns 0, or -1 with *err naming what is
 * wrong.  The direction and the descriptors are the receiver's to check
 * (frame_fds_allowed()): they are not in the bytes.
 */
int frame_decode(const uint8_t *p, size_t len, struct frame *f,
    const char **err);

/* Getters for the first TLV with tag: 0 if found, -1 if absent. */
const struct tlv *frame_find(const struct frame *f, uint16_t tag);
int frame_get_u32(const struct frame *f, uint16_t tag, uint32_t *v);
int frame_get_u64(const struct frame *f, uint16_t tag, uint64_t *v);
/* Copy a string TLV into dst (NUL-terminated); -1 if absent or too long. */
int frame_get_str(const struct frame *f, uint16_t tag, char *dst,
    size_t dstlen);

/* Encoding: begin, add TLVs, finish (back-patches the length). */
int frame_begin(struct buf *b, uint16_t type);
int frame_add_u32(struct buf *b, uint16_t tag, uint32_t v);
int frame_add_u64(struct buf *b, uint16_t tag, uint64_t v);
int frame_add_str(struct buf *b, uint16_t tag, const char *s);
int frame_add_bytes(struct buf *b, uint16_t tag, const void *p, size_t len);
int frame_finish(struct buf *b);

/* Build a complete F_REPLY with only a status and a message. */
int frame_reply_status(struct buf *b, int status, const char *msg);

const char *frame_type_name(int type);
/* 1 if a frame of type may travel in direction dir (FRAME_TO_*). */
int frame_dir_allowed(int type, unsigned dir);
/* 1 if a frame of type may come with nfds descriptors. */
int frame_fds_allowed(int type, size_t nfds);

#endif
