/*
 * The session child <-> monitor channel: one SOCK_SEQPACKET datagram per
 * message, u16 type then the fields below in order (integers in network
 * byte order, strings and byte strings as u32 length + bytes).  Each
 * decoder parses every field, bounds every string, and requires that
 * nothing is left over; proto/chan.h has the one table of the channel
 * (states, flags and decoder of each type).
 *
 *   child -> monitor                    monitor -> child
 *   MSG_READY     version, build id     MSG_SESSION  + client fd
 *                 (sandbox is up)
 *   MSG_KEYINFO   key, format, name     MSG_KEYINFO_REPLY
 *   MSG_SIGN      sign request          MSG_SIGN_REPLY
 *   MSG_QUERY     what                  MSG_QUERY_REPLY (a client frame)
 *   MSG_LOG       level, text
 *   MSG_DONE      (client gone)
 *   MSG_ADMIN     op, key, reason       MSG_QUERY_REPLY (a client frame)
 *   MSG_TSA_OPEN  TSA index             MSG_TSA_REPLY + connected socket
 *   MSG_TSA_DONE  outcome of a timestamp
 *                                       MSG_SIGN_HELD (before a SIGN_REPLY)
 *   MSG_APPROVAL  op, id, reason        MSG_QUERY_REPLY (a client frame)
 *   MSG_HELD_CANCEL (client gone)       (then the MSG_SIGN_REPLY)
 *   MSG_HELD_RESULT id, client frame
 *   MSG_UPLOAD    key, format, size,    MSG_UPLOAD_REPLY
 *                 name (inline artifact)
 *   MSG_UPLOAD_DONE (scratch emptied)
 *   MSG_PROGRESS  bytes so far
 *   MSG_PESIGN    op, format, token,    MSG_PESIGN_REPLY
 *                 certificate (a pesign
 *                 client's request)
 *
 * Key names in every message are checked with key_name_valid() (names.h).
 */
#ifndef CSIGN_MSG_H
#define CSIGN_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "proto/buf.h"
#include "proto/names.h"
#include "proto/pesign.h"

#define MSG_MAX (65536 + 512)
#define LOG_TEXT_MAX 512
#define CERT_DER_MAX 16384
#define CHAIN_DER_MAX 32768

/*
 * The numbers are the wire format: never renumber one, only add at the
 * end (and bump CHAN_VERSION, proto/chan.h, for any change).
 */
enum msg_type {
	MSG_READY = 1,
	MSG_SESSION = 2,
	MSG_KEYINFO = 3,
	MSG_KEYINFO_REPLY = 4,
	MSG_SIGN = 5,
	MSG_SIGN_REPLY = 6,
	MSG_QUERY = 7,
	MSG_QUERY_REPLY = 8,
	MSG_LOG = 9,
	MSG_DONE = 10,
	MSG_ADMIN = 11,
	MSG_TSA_OPEN = 12,
	MSG_TSA_REPLY = 13,
	MSG_TSA_DONE = 14,
	MSG_SIGN_HELD = 15,
	MSG_APPROVAL = 16,
	MSG_HELD_CANCEL = 17,
	MSG_HELD_RESULT = 18,
	MSG_UPLOAD = 19,
	MSG_UPLOAD_REPLY = 20,
	MSG_UPLOAD_DONE = 21,
	MSG_PROGRESS = 22,
	MSG_PESIGN = 23,
	MSG_PESIGN_REPLY = 24,
	MSG_TYPE_COUNT
};

enum query_what {
	Q_KEYS = 1,
	Q_WHOAMI,
	Q_STATUS
};

/*
 * The child's sandbox is up, and the channel it speaks: CHAN_VERSION
 * (proto/chan.h) and the build it comes from.  These two fields stay the
 * first of READY in every version, so that any monitor can name a child
 * it will not talk to.  A child from before the handshake sent READY
 * with no fields: it decodes as version 1, build "".
 */
#define BUILD_ID_MAX 64

struct msg_ready {
	uint32_t version;
	char build[BUILD_ID_MAX + 1];
};

struct msg_session {
	uint32_t session_id;
	uint64_t max_artifact;	  /* bytes */
	uint32_t idle_timeout_ms; /* client inactivity limit */
	uint8_t via;		  /* enum via (names.h): the listener
					   that accepted the client, so the
					   protocol the child speaks */
	uint16_t busy; /* sessions served besides this one (a hint for
			  a batch client's connections: T_BUSY) */
};

/* format and name describe the request, for the audit record only. */
struct msg_keyinfo {
	char key[KEY_NAME_MAX + 1];
	uint8_t format;			  /* enum csign_format, or FMT_NONE */
	char name[ARTIFACT_NAME_MAX + 1]; /* artifact name, or "" */
};

#define FMT_NONE 0xff
/* An OpenPGP user ID (OpenPGPUserID): UTF-8, no control characters. */
#define PGP_UID_MAX 128

struct msg_keyinfo_reply {
	uint8_t status; /* enum csign_status */
	char message[MESSAGE_MAX + 1];
	uint8_t keytype;	/* enum key_type */
	uint8_t padding;	/* enum rsa_padding */
	uint8_t default_digest; /* enum csign_digest */
	uint32_t formats;	/* FMT_BIT mask granted to this user */
	uint32_t digests;	/* DIG_BIT mask */
	const uint8_t *cert;	/* DER, points into the message */
	size_t certlen;
	const uint8_t *chain; /* DER certificates back to back */
	size_t chainlen;
	uint8_t ts_mode; /* enum ts_mode */
	uint8_t ntsa;	 /* TSA URLs configured (0..4) */
	/*
	 * The key's OpenPGP identity (OpenPGPCreated, OpenPGPUserID): the
	 * creation time is part of its v4 fingerprint.  0 and "" if unset.
	 */
	uint32_t pgp_created; /* Unix seconds */
	char pgp_uid[PGP_UID_MAX + 1];
	/*
	 * 1: the key has an Approval rule, so its requests may be held and
	 * the child sends them one at a time (MSG_SIGN_F_PIPELINED).
	 */
	uint8_t approval;
};

struct msg_sign {
	uint32_t reqid;
	char key[KEY_NAME_MAX + 1];
	uint8_t format;
	uint8_t digest;
	uint8_t tbs[DIGEST_MAX]; /* the digest to sign */
	size_t tbslen;
	uint8_t adigest[DIGEST_MAX]; /* the artifact's digest (audited) */
	size_t adigestlen;
	char name[ARTIFACT_NAME_MAX + 1];
	uint64_t size;
	uint8_t flags; /* MSG_SIGN_F_* */
};

/*
 * The client will not wait if the request is held for approval: the
 * child answers it with the id and keeps the result for F_WAIT.
 */
#define MSG_SIGN_F_NOWAIT 0x1u
/*
 * The child may send this request while its previous one is still at the
 * token or the audit log (at most MON_SIGN_DEPTH in flight, monitor.h).
 * Such a request is never held: if its key needs approvers now (a reload
 * added the rule), it is refused (ST_UNAVAILABLE) and the child forgets
 * what it knew of the key.
 */
#define MSG_SIGN_F_PIPELINED 0x2u

struct msg_sign_reply {
	uint32_t reqid;
	uint8_t status;
	uint16_t busy; /* sessions served besides this one now, at most
			  BUSY_MAX: a batch's fresh load figure (T_BUSY) */
	char message[MESSAGE_MAX + 1];
	uint8_t sig[SIG_MAX];
	size_t siglen;
};

struct msg_query {
	uint8_t what; /* enum query_what */
};

/* Disable or enable a key (frame.h ADMIN_*); answered by MSG_QUERY_REPLY. */
struct msg_admin {
	uint8_t op;
	char key[KEY_NAME_MAX + 1];
	char reason[MESSAGE_MAX + 1];
};

/*
 * A timestamp for the signature just made: the child asks for a
 * connection to the key's TSA number index (in order, after a signature on
 * a key with Timestamp); the monitor connects and passes the socket, with
 * what the token must be checked against: the key's TimestampCA anchors
 * and the monitor's clock.
 */
struct msg_tsa_open {
	uint8_t index;
};

#define TSA_TEXT_MAX 512
#define TSA_ANCHORS_MAX 32768 /* TimestampCA, DER back to back */

struct msg_tsa_reply {
	uint8_t status;			 /* ST_OK: the socket comes with it */
	char message[MESSAGE_MAX + 1];	 /* why not, if not ST_OK */
	char url[TSA_TEXT_MAX + 1];	 /* the TSA, for messages */
	char hostport[TSA_TEXT_MAX + 1]; /* the Host header */
	char path[TSA_TEXT_MAX + 1];	 /* the request target */
	uint32_t timeout_ms;		 /* left for the exchange */
	uint64_t now;			 /* the monitor's clock, Unix seconds */
	uint32_t max_skew;	/* genTime within now -+ this, seconds */
	const uint8_t *anchors; /* DER certificates back to back, */
	size_t anchorslen;	/* ... only with ST_OK; points into */
};				/* ... the message */

/* How a timestamp went, for the audit record (status ST_OK or not). */
struct msg_tsa_done {
	uint8_t status;
	uint8_t index;		       /* the TSA that answered last */
	char gentime[32];	       /* the token's genTime, if ST_OK */
	char message[MESSAGE_MAX + 1]; /* what went wrong, if not */
};

/*
 * The monitor holds a sign request for approval (monitor/approval.h), or
 * reports progress on it; the MSG_SIGN_REPLY follows when it is decided.
 */
struct msg_sign_held {
	uint32_t reqid;
	uint64_t id;			 /* the held request's id */
	char group[KEY_NAME_MAX + 1];	 /* who may approve */
	uint8_t have;			 /* approvals so far */
	uint8_t need;			 /* approvals needed, 1..16 */
	uint32_t expires_in;		 /* seconds */
	char approver[KEY_NAME_MAX + 1]; /* who just approved, or "" */
};

enum approval_op {
	APPR_PENDING = 1, /* list what the peer may decide */
	APPR_APPROVE,
	APPR_DENY,
	APPR_WAIT /* the result of a --no-wait request */
};

/* pending, approve, deny or wait; answered by MSG_QUERY_REPLY. */
struct msg_approval {
	uint8_t op;  /* enum approval_op */
	uint64_t id; /* 0 for APPR_PENDING */
	char reason[MESSAGE_MAX + 1];
};

/* The final client frame of a --no-wait request, kept for F_WAIT. */
struct msg_held_result {
	uint64_t id;
	const uint8_t *frame; /* points into the message */
	size_t len;
};

/*
 * Before the first byte of an inline artifact (frame.h SIGN_F_INLINE) is
 * read, the child asks whether this client may upload size bytes for key
 * and format; the monitor checks the grant and the uid's MaxUploadPerUser
 * budget and reserves the bytes until MSG_UPLOAD_DONE or the session's end.
 */
struct msg_upload {
	char key[KEY_NAME_MAX + 1];
	uint8_t format;			  /* enum csign_format */
	uint64_t size;			  /* bytes announced by the client */
	char name[ARTIFACT_NAME_MAX + 1]; /* for a deny record */
};

struct msg_upload_reply {
	uint8_t status;		       /* ST_OK: go ahead, the bytes are
					   reserved */
	char message[MESSAGE_MAX + 1]; /* why not, if not ST_OK */
};

/*
 * The child is reading or writing an artifact (a long hash, an inline
 * upload): at most once a second while bytes move, so that the monitor
 * re-arms the session's idle deadline (never past SessionLifetime).
 */
struct msg_progress {
	uint64_t bytes; /* moved in this session so far, > 0 */
};

/*
 * A pesign client's request that needs the monitor (sandbox/pesign*.c
 * answers GET_CMD_VERSION itself): is the token of the key that token
 * maps to logged in; an unlock (the PIN stays in the child) or a kill,
 * each audited and never obeyed; the key that token and certificate map
 * to (PesignMap) for a sign.  Accepted only from a session that came
 * through the pesign listener.
 */
enum pesign_op {
	PESIGN_OP_UNLOCKED = 1,
	PESIGN_OP_UNLOCK,
	PESIGN_OP_KILL,
	PESIGN_OP_MAP,
	PESIGN_OP_COUNT
};

struct msg_pesign {
	uint8_t op;			 /* enum pesign_op */
	uint8_t format;			 /* MAP: FMT_PE or FMT_MODULE, for the
					   deny record; else FMT_NONE */
	char token[PESIGN_NAME_MAX + 1]; /* "" for KILL */
	char cert[PESIGN_NAME_MAX + 1];	 /* MAP only, else "" */
};

struct msg_pesign_reply {
	int32_t rc;		       /* for the pesign client: < 0 failed;
					   UNLOCKED: 0 unlocked, 1 locked */
	char message[MESSAGE_MAX + 1]; /* why, if rc < 0 */
	char key[KEY_NAME_MAX + 1];    /* MAP with rc 0: the key, else "" */
};

struct msg_log {
	uint8_t level; /* enum log_level */
	char text[LOG_TEXT_MAX + 1];
};

/*
 * Encoders write a whole datagram (type included) into b; decoders take a
 * datagram whose type was already read (b's offset is past it) and return
 * 0 only if every field parsed and nothing is left.
 */
int msg_begin(struct buf *b, uint16_t type);
int msg_type_of(struct buf *b, uint16_t *type);
/* The name of a type, from the table (proto/chan.c); "unknown". */
const char *msg_type_name(int type);

int msg_enc_empty(struct buf *b, uint16_t type);
int msg_dec_empty(struct buf *b);
int msg_enc_ready(struct buf *b, const struct msg_ready *m);
int msg_dec_ready(struct buf *b, struct msg_ready *m);
int msg_enc_session(struct buf *b, const struct msg_session *m);
int msg_dec_session(struct buf *b, struct msg_session *m);
int msg_enc_keyinfo(struct buf *b, const struct msg_keyinfo *m);
int msg_dec_keyinfo(struct buf *b, struct msg_keyinfo *m);
int msg_enc_keyinfo_reply(struct buf *b, const struct msg_keyinfo_reply *m);
int msg_dec_keyinfo_reply(struct buf *b, struct msg_keyinfo_reply *m);
int msg_enc_sign(struct buf *b, const struct msg_sign *m);
int msg_dec_sign(struct buf *b, struct msg_sign *m);
int msg_enc_sign_reply(struct buf *b, const struct msg_sign_reply *m);
int msg_dec_sign_reply(struct buf *b, struct msg_sign_reply *m);
int msg_enc_query(struct buf *b, const struct msg_query *m);
int msg_dec_query(struct buf *b, struct msg_query *m);
/* The reply to a query is a complete client frame (see frame.h). */
int msg_enc_query_reply(struct buf *b, const struct buf *frame);
int msg_dec_query_reply(struct buf *b, const uint8_t **frame, size_t *len);
int msg_enc_admin(struct buf *b, const struct msg_admin *m);
int msg_dec_admin(struct buf *b, struct msg_admin *m);
int msg_enc_tsa_open(struct buf *b, const struct msg_tsa_open *m);
int msg_dec_tsa_open(struct buf *b, struct msg_tsa_open *m);
int msg_enc_tsa_reply(struct buf *b, const struct msg_tsa_reply *m);
int msg_dec_tsa_reply(struct buf *b, struct msg_tsa_reply *m);
int msg_enc_tsa_done(struct buf *b, const struct msg_tsa_done *m);
int msg_dec_tsa_done(struct buf *b, struct msg_tsa_done *m);
int msg_enc_sign_held(struct buf *b, const struct msg_sign_held *m);
int msg_dec_sign_held(struct buf *b, struct msg_sign_held *m);
int msg_enc_approval(struct buf *b, const struct msg_approval *m);
int msg_dec_approval(struct buf *b, struct msg_approval *m);
int msg_enc_held_result(struct buf *b, const struct msg_held_result *m);
int msg_dec_held_result(struct buf *b, struct msg_held_result *m);
int msg_enc_upload(struct buf *b, const struct msg_upload *m);
int msg_dec_upload(struct buf *b, struct msg_upload *m);
int msg_enc_upload_reply(struct buf *b, const struct msg_upload_reply *m);
int msg_dec_upload_reply(struct buf *b, struct msg_upload_reply *m);
int msg_enc_progress(struct buf *b, const struct msg_progress *m);
int msg_dec_progress(struct buf *b, struct msg_progress *m);
int msg_enc_pesign(struct buf *b, const struct msg_pesign *m);
int msg_dec_pesign(struct buf *b, struct msg_pesign *m);
int msg_enc_pesign_reply(struct buf *b, const struct msg_pesign_reply *m);
int msg_dec_pesign_reply(struct buf *b, struct msg_pesign_reply *m);
int msg_enc_log(struct buf *b, const struct msg_log *m);
int msg_dec_log(struct buf *b, struct msg_log *m);

#endif
