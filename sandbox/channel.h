/*
 * channel: the session child's side of the monitor channel (fd 3).  Each
 * request waits for its one reply; any other message, or a reply that
 * does not decode exactly, ends the child (the monitor is the only peer
 * and never sends anything unasked).
 */
#ifndef CSIGN_CHANNEL_H
#define CSIGN_CHANNEL_H

#include "proto/buf.h"
#include "proto/msg.h"
#include "proto/resolve.h"

struct hold;

#define CHANNEL_FD 3
/*
 * Scratch files for inline transfers (proto/frame.h, SIGN_F_INLINE):
 * anonymous memory files created before the privilege drop, holding an
 * artifact received in F_DATA frames and an output to send back that way.
 */
#define SCRATCH_IN_FD 4
#define SCRATCH_OUT_FD 5
/*
 * ... and for compressed modules (formats/compress.h): the module
 * decompressed, and the signed module before it is compressed again; a
 * pair for each of the two requests a batch has in flight.
 */
#define SCRATCH_DEC_FD 6
#define SCRATCH_ENC_FD 7
#define SCRATCH_DEC2_FD 8
#define SCRATCH_ENC2_FD 9
#define SCRATCH_LAST_FD SCRATCH_ENC2_FD

/* Route this process's log lines to the monitor (MSG_LOG). */
void channel_log_init(void);

int sandbox_send_ready(void);
int sandbox_send_done(void);
/* Wait for MSG_SESSION and its client descriptor. */
int sandbox_wait_session(struct msg_session *m, int *client_fd);

/*
 * KEYINFO for key (format and artifact name only describe the request for
 * the monitor's audit record); r->cert points into keep, which the caller
 * frees.
 */
int sandbox_request_keyinfo(const struct msg_keyinfo *m,
    struct msg_keyinfo_reply *r, struct buf *keep);
/*
 * SIGN; 0 with r filled (r->status tells the outcome), -1 on failure.
 * While the monitor holds the request for approval, its notices go to h
 * (sandbox/hold.h), which also watches the client meanwhile.
 */
int sandbox_request_sign(const struct msg_sign *m, struct hold *h,
    struct msg_sign_reply *r);
/*
 * A pipelined SIGN (MSG_SIGN_F_PIPELINED, sandbox/pipeline.h): sent
 * without waiting; sandbox_sign_collect() receives the next reply,
 * whichever request it answers (r->reqid says).  A request held for
 * approval never comes this way.
 */
int sandbox_sign_submit(const struct msg_sign *m);
int sandbox_sign_collect(struct msg_sign_reply *r);
/*
 * Wait until the channel, or other if it is >= 0, is readable (or hung
 * up): WAIT_CHANNEL and WAIT_OTHER say which.
 */
#define WAIT_CHANNEL 1
#define WAIT_OTHER 2
int sandbox_wait(int other);
/* QUERY; the reply frame is copied into frame. */
int sandbox_request_query(int what, struct buf *frame);
/* ADMIN (disable or enable a key); the reply frame into frame. */
int sandbox_request_admin(const struct msg_admin *m, struct buf *frame);
/*
 * APPROVAL (pending, approve, deny, wait); the reply frame into frame.
 * A wait returns when the monitor has the result, however long that is.
 */
int sandbox_request_approval(const struct msg_approval *m, struct buf *frame);

/*
 * An inline upload of m->size bytes is announced: may it be read?  The
 * monitor checks the grant and reserves the bytes (MaxUploadPerUser)
 * until sandbox_report_upload_done() or the end of the session.
 */
int sandbox_request_upload(const struct msg_upload *m,
    struct msg_upload_reply *r);
/*
 * PESIGN: a pesign client's request that needs the monitor (unlocked,
 * unlock, kill, or the key a token and certificate map to); r->rc and
 * r->message are the client's answer.
 */
int sandbox_request_pesign(const struct msg_pesign *m,
    struct msg_pesign_reply *r);
/* The inline artifact's scratch space is empty again. */
int sandbox_report_upload_done(void);
/* Artifact bytes are moving (artifact.h): the session is not idle. */
void sandbox_report_progress(uint64_t bytes);

/*
 * TSA_OPEN: a connection to the TSA number index of the key just used;
 * if r->status is ST_OK, *fd is the connected socket (the caller's).
 * r->anchors points into keep, which the caller frees when 0 is returned.
 */
int sandbox_request_tsa(unsigned index, struct msg_tsa_reply *r, int *fd,
    struct buf *keep);
/* TSA_DONE: how the timestamp went, for the monitor's audit record. */
int sandbox_report_tsa(const struct msg_tsa_done *m);

/*
 * Every other message a child sends goes through here too, so that this
 * file is the whole of the child's side of the channel.  Each returns -1
 * if the message could not be sent; the caller decides what that means.
 */
/* HELD_CANCEL: the client of a held request hung up. */
int sandbox_report_held_cancel(void);
/* HELD_RESULT: the final client frame of a detached (--no-wait) request. */
int sandbox_report_held_result(uint64_t id, const struct buf *frame);
/* The lookup process's answer (sandbox/resolve.h). */
int sandbox_send_lookup(const struct resolve_reply *r);
#ifdef CSIGN_TEST_HOOKS
/* Test builds: send b as it is, with fd if >= 0 (a broken lookup answer). */
int sandbox_send_lookup_bytes(struct buf *b, int fd);
#endif

#endif
