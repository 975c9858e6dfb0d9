/*
 * held: the monitor's handling of sign requests held for approval, between
 * the request table (monitor.c), the held-request table (approval.h), the
 * audit log and the children.  See csignd.conf(5), Approval.
 *
 * What approval enforces, and where: the monitor keeps the digest to sign
 * (the tbs) and the key name in its own sign context while the request is
 * held; nothing reaches the signer, and so no signature exists, before
 * the last required approval.  Approvers are identified by the kernel
 * (their sessions' SO_PEERCRED/SO_PEERGROUPS), never by anything a child
 * says.
 */
#ifndef CSIGN_HELD_H
#define CSIGN_HELD_H

#include <stdint.h>

#include "proto/buf.h"
#include "proto/msg.h"
#include "records/approval.h"
#include "records/config.h"

#define APPROVERS_TEXT_MAX (APPROVAL_COUNT_MAX * (KEY_NAME_MAX + 1) + 1)

struct mon_session;
struct monitor;
struct sign_ctx;
struct audit_event;
struct identity;
union chan_body;

/*
 * The monitor's held requests (a field of struct monitor): the table, in
 * memory only by design, and its list on disk, StateFile.held
 * (heldfile.h), with the ids last written there.
 */
struct mon_held {
	struct approvals table;
	char file[4096]; /* "" if none */
	uint64_t saved[APPROVAL_MAX_HELD];
	size_t nsaved;
};

/* An empty table, no file yet. */
void held_init(struct mon_held *hd);

/*
 * A sign request that passed every check, on a key with an Approval
 * rule: hold it (the context x passes to the table), audit it as
 * pending, tell the child.  Refused (deny record) when the table is full.
 */
int held_hold(struct mon_session *c, struct sign_ctx *x,
    const struct cfg_key *ck, const struct msg_sign *m);

/* Handlers of the channel table (monitor/dispatch.c; approve.c has them). */
int held_answer_approval(struct mon_session *c, const union chan_body *m);
int held_answer_cancel(struct mon_session *c, const union chan_body *m);
int held_answer_result(struct mon_session *c, const union chan_body *m);

/* The child of a held request has its answer (c is NULL if it died). */
void held_resolved(struct monitor *m, uint64_t id, struct mon_session *c);
/* A child is gone: cancel what it was waiting for. */
void held_child_gone(struct mon_session *c);
/* Once a second: expire requests and kept results. */
void held_tick(struct monitor *m);
/* SIGTERM: cancel every held request (audited) and answer every waiter. */
void held_drain(struct monitor *m);

/*
 * At start, after the audit log is open: the held list next to statefile
 * (heldfile.h); requests a crashed daemon left there are audited as
 * cancelled.  0, or -1 with err set.
 */
int held_open(struct monitor *m, char *err, size_t errlen);
/* At exit: write the held list as it ends (normally empty). */
void held_close(struct monitor *m);

/*
 * For approve.c, from held.c: the table, and a request's audit records,
 * notices and answers.
 */
struct approvals *held_table(struct monitor *m);
/* Audit one step of h; who is the person acting (or the requester). */
void held_audit(struct monitor *m, const struct held *h, const char *event,
    const struct identity *who, const char *result, const char *reason);
/* Tell the requester's child where its request stands. */
void held_notify(struct mon_session *c, const struct held *h,
    const char *approver);
/* Answer the child waiting with F_WAIT on h with a status. */
void held_release_waiter(struct held *h, int status, const char *msg);
/* Answer a child's request with a complete client frame. */
void held_send_frame(struct mon_session *c, const struct buf *frame);
/* Give the kept result of h to its waiter, then forget h. */
void held_deliver(struct held *h);
/* End a WAITING request without a signature: audited, then answered. */
void held_end(struct monitor *m, struct held *h, const char *event,
    const struct identity *who, int status, const char *reason,
    const char *msg);

/* What sign.c and monitor.c provide for this. */
/* Answer a query-like request with a status frame: 0 or -1. */
int monitor_reply_status(struct mon_session *c, int status, const char *msg);
/*
 * Sign an approved request now, after checking it again against the
 * policy in force (0); or answer it without a signature, refused (audited)
 * or "unavailable", and return -1 with why set.
 */
int monitor_sign_approved(struct mon_session *c, struct sign_ctx *x,
    uint64_t request, const char *approvers, char *why, size_t whylen);
/* Answer a held request without a signature, and free x. */
void monitor_sign_refused(struct mon_session *c, struct sign_ctx *x,
    uint64_t request, int status, const char *msg);
/* Free x of a request whose child is gone. */
void monitor_sign_drop(struct sign_ctx *x);
/* Send the child a MSG_SIGN_HELD. */
void monitor_held_notice(struct mon_session *c, const struct msg_sign_held *m);

#endif
