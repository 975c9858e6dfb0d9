/*
 * Inside the session child: the state of the one session it serves and
 * the helpers its parts share (session.c the loop and the simple
 * requests, keycache.c the keys, signreq.c sign requests, inline.c
 * artifacts that travel in F_DATA frames, pesign.c and pesignsign.c a
 * pesign client's session).  Not for use elsewhere.
 */
#ifndef CSIGN_SESSIONPRIV_H
#define CSIGN_SESSIONPRIV_H

#include <limits.h>

#include <openssl/x509.h>

#include "proto/frame.h"
#include "proto/msg.h"
#include "sandbox/formats/formats.h"

struct hold;

#define KEY_CACHE 8

/*
 * A key the monitor has described to this session.  Kept so that a batch
 * does not ask again and parse the certificate again for every file: the
 * monitor still checks the grant on every signature it makes.
 */
struct cached_key {
	char name[KEY_NAME_MAX + 1];
	struct msg_keyinfo_reply info; /* cert and chain pointers unused */
	X509 *cert;
	STACK_OF(X509) *chain; /* Chain certificates, or NULL */
};

/*
 * A pesign client's session reuses the csign sign path: what would be
 * sent to a csign client is kept here instead, and the pesign code
 * answers in its own protocol.
 */
struct session_capture {
	int status; /* ST_* of the last reply */
	char message[MESSAGE_MAX + 1];
	uint64_t written; /* what the builder wrote (ST_OK) */
};

/*
 * A client frame read ahead by the pipeline (sandbox/pipeline.c) that it
 * does not run itself: the session loop takes it before reading again.
 * r and err are io_recv_frame()'s result.
 */
struct session_stash {
	int valid;
	int r, err;
	struct buf in;
	int fds[FRAME_MAX_FDS];
	size_t nfds;
};

struct session {
	int client;
	const struct msg_session *info;
	int hello;
	struct buf out;
	struct cached_key keys[KEY_CACHE];
	size_t nkeys;
	size_t evict;	       /* next entry to reuse when full */
	int uploading;	       /* the monitor reserved an inline upload */
	struct hold *hold;     /* sign requests held for approval */
	char output[PATH_MAX]; /* --no-wait -o path, for F_WAIT */
	struct session_capture *capture; /* pesign: replies kept, not
						   sent; NULL for csign */
	struct buf *defer; /* a pipelined request's reply goes here, to be
			      sent in turn; NULL: sent at once */
	struct session_stash stash;
};

/*
 * Send the finished frame in s->out to the client; or, once a --no-wait
 * client was let go, to the monitor to keep for F_WAIT (sandbox/hold.h).
 */
int session_out(struct session *s);
/* Finish and send the frame in s->out: 0, or -1 if the client is lost. */
int session_send(struct session *s);
/* Reply with a status and a message only; the result of session_out(). */
int session_reply(struct session *s, int status, const char *msg);

/*
 * keycache.c.  The description of a key granted to this session, from
 * the cache or asked of the monitor (format and name describe the
 * request for its audit record); NULL after a reply to the client if
 * refused.
 */
struct cached_key *session_key(struct session *s, const char *key, int format,
    const char *name);
/* Forget every cached key. */
void session_keys_free(struct session *s);
/* F_CERT: the PEM certificate of a granted key. */
int session_cert(struct session *s, const struct frame *f, const int *fds,
    size_t nfds);

/*
 * certpgp.c.  F_CERT with CERT_F_OPENPGP: the key's OpenPGP public key,
 * self-signed on the token (an audited signature).
 */
int session_cert_openpgp(struct session *s, struct cached_key *c,
    const char *key);

/* The cached description of key, or NULL: nothing is asked or sent. */
struct cached_key *session_key_peek(struct session *s, const char *key);
/* Forget key's description: the next request asks the monitor again. */
void session_key_forget(struct session *s, const char *key);

/* A sign request as its frame gives it, once its key is known. */
struct sign_req {
	char key[KEY_NAME_MAX + 1];
	char name[ARTIFACT_NAME_MAX + 1];
	char digest[17];
	struct sign_input in;
	struct cached_key *c;
};

/*
 * signreq.c, the steps of session_sign() that the pipeline shares.
 * sign_setup(): f's fields, descriptors (fds stay the caller's) and key
 * into q; 1 when ready, 0 once refused (the reply sent), -1 if the
 * session must end.  sign_settle(): the digest, timestamp and key
 * material; 0, or -1 once refused.  sign_execute(): run the format and
 * reply, as a request alone (0, or -1 if the session must end).
 * sign_result(): the reply for a finished format run.
 */
int sign_setup(struct session *s, const struct frame *f, const int *fds,
    size_t nfds, struct sign_req *q);
int sign_settle(struct session *s, struct sign_req *q);
int sign_execute(struct session *s, struct sign_req *q);
int sign_result(struct session *s, const struct sign_input *in,
    struct sign_output *out);

/*
 * pipeline.c.  Whether q may wait beside another request at the token
 * (a plain module, no approval, no timestamp, no inline transfer, not
 * --no-wait); pipeline_run() signs q and the pipelinable requests that
 * follow it, two at a time, and returns once none is in flight: 0, or
 * -1 if the session must end.
 */
int pipeline_eligible(const struct session *s, const struct sign_req *q);
int pipeline_run(struct session *s, struct sign_req *q);

/*
 * signreq.c.  F_SIGN: one artifact signed.  In capture mode an output
 * in the scratch file (SCRATCH_OUT_FD) stays there for the caller.
 */
int session_sign(struct session *s, const struct frame *f, const int *fds,
    size_t nfds);

/*
 * pesignsign.c.  A pesign sign command (req: the decoded request): the
 * two descriptors are received, token and certificate mapped to a key
 * by the monitor, the artifact signed by session_sign() in capture mode
 * and the output written as pesignd writes it.  *rc and msg are the
 * reply; -1 if the session must end (the client is lost, or broke the
 * protocol: then *rc and msg say why).
 */
struct pesign_req;
int pesign_sign(struct session *s, const struct pesign_req *req, int32_t *rc,
    char *msg, size_t msglen);

/*
 * inline.c.  Receive the inline artifact the sign request f announces
 * into the scratch file and set in up to use it; -1 (replied) if that
 * failed, which ends the session.
 */
int inline_receive(struct session *s, const struct frame *f,
    struct sign_input *in, size_t nfds);
/* Send the inline output (scratch file, len bytes) as F_DATA frames. */
int inline_send_output(struct session *s, uint64_t len);
/* The inline request is over: empty the scratch files, free the bytes. */
void inline_upload_end(struct session *s);

#endif
