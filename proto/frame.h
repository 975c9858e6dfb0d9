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
 * frame_decode() checks the whole frame before anyone reads it: a known
 * type, known tags each of the right kind and size, the tags the type
 * requires, no tag the type does not allow, no repeats except where a
 * reply lists several entries, and nothing left over.
 */
#ifndef CSIGN_FRAME_H
#define CSIGN_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "proto/buf.h"

#define PROTO_VERSION 1
#define FRAME_MAX 65536		/* type + TLVs, excluding the length */
#define FRAME_MAX_TLV 512	/* TLVs in one frame */
#define FRAME_MAX_FDS 2		/* fds that may come with one frame */

enum frame_type {
	F_HELLO = 1,	/* T_VERSION */
	F_SIGN,		/* T_KEY T_FORMAT [T_DIGEST] [T_NAME] [T_FLAGS];
			   artifact fd, and an output fd for module and pe */
	F_KEYS,		/* - */
	F_CERT,		/* T_KEY */
	F_WHOAMI,	/* - */
	F_STATUS,	/* - */
	F_REPLY,	/* T_STATUS T_MESSAGE, then per-request fields */
	F_DATA,		/* T_DATA: artifact or output bytes, inline mode */
	F_ADMIN,	/* T_KEY T_FLAGS (ADMIN_*) [T_MESSAGE: the reason] */
	F_PENDING,	/* -: requests held for approval (approval.h) */
	F_APPROVE,	/* T_ID [T_MESSAGE: a note] */
	F_DENY,		/* T_ID [T_MESSAGE: the reason] */
	F_WAIT,		/* T_ID: the result of a --no-wait request */
	F_HELD,		/* daemon -> client, before the F_REPLY of a held
			   F_SIGN: T_ID T_GROUP T_COUNT T_NEEDED T_EXPIRES
			   [T_USER: who just approved] */
	F_TYPE_COUNT
};

enum tlv_tag {
	T_VERSION = 1,	/* u32 */
	T_KEY,		/* str: key name */
	T_FORMAT,	/* str: format name */
	T_DIGEST,	/* str: digest name */
	T_NAME,		/* str: artifact name */
	T_FLAGS,	/* u32: SIGN_F_* */
	T_STATUS,	/* u32: enum csign_status */
	T_MESSAGE,	/* str */
	T_SIGNATURE,	/* bytes: the output (signature or container) */
	T_CERT,		/* bytes: PEM certificate */
	T_UID,		/* u32 */
	T_GID,		/* u32 */
	T_USER,		/* str */
	T_GROUP,	/* str "name:gid", repeated */
	T_FORMATS,	/* str: space-separated format names */
	T_DIGESTS,	/* str: space-separated digest names */
	T_ALG,		/* str: "rsa-2048", "ec-p256", ... */
	T_TOKEN,	/* str: token name */
	T_STATE,	/* str: ready, locked, unavailable */
	T_SIZE,		/* u64: artifact size */
	T_ADIGEST,	/* bytes: artifact digest */
	T_FINGERPRINT,	/* str: SHA-256 of the certificate, hex */
	T_TEST_SYSCALL,	/* str: test builds only, see sandbox/testhook.c */
	T_NOTAFTER,	/* str: certificate notAfter, RFC 3339 UTC */
	T_DATA,		/* bytes: a chunk of an inline artifact or output */
	T_WARN_DAYS,	/* u32: CertificateExpiryWarning, in a keys reply */
	T_TIMESTAMP,	/* str: a key's Timestamp, required or optional */
	T_ID,		/* u64: id of a request held for approval */
	T_COUNT,	/* u32: approvals so far */
	T_NEEDED,	/* u32: approvals needed */
	T_EXPIRES,	/* u32: seconds until a held request expires */
	T_AGE,		/* u32: seconds since a request was held */
	T_RELOAD,	/* str: the last reload, in a status reply */
	T_TAG_COUNT
};

/* T_FLAGS bits of F_SIGN. */
#define SIGN_F_PEM 0x1u		/* cms: PEM instead of DER */
#define SIGN_F_REPLACE 0x2u	/* module, pe: replace an existing signature */
#define SIGN_F_APPEND 0x4u	/* pe: add a signature to those present */
#define SIGN_F_KEYID 0x8u	/* module: signer by subject key identifier */
#define SIGN_F_INLINE 0x10u	/* artifact (and output) travel in F_DATA */
#define SIGN_F_TIMESTAMP 0x20u	/* cms, pe: an RFC 3161 timestamp, on a key
				   where it is optional */
#define SIGN_F_NOWAIT 0x40u	/* held for approval: reply with the id at
				   once, collect the result with F_WAIT */
#define SIGN_F_ALL 0x7fu

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
 * length).  Returns 0, or -1 with *err naming what is wrong.
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

#endif
