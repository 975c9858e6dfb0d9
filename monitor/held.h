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

#include "records/config.h"
#include "proto/buf.h"
#include "proto/msg.h"

#define APPROVERS_TEXT_MAX (APPROVAL_COUNT_MAX * (KEY_NAME_MAX + 1) + 1)

struct child;
struct csignd;
struct sign_ctx;
struct audit_event;
struct identity;
union chan_body;

/*
 * A sign request that passed every check, on a key with an Approval
 * rule: hold it (the context x passes to the table), audit it as
 * pending, tell the child.  Refused (deny record) when the table is full.
 */
int held_hold(struct child *c, struct sign_ctx *x, const struct cfg_key *ck,
    const struct msg_sign *m);

/* Handlers of the dispatch table (monitor/dispatch.c). */
int held_answer_approval(struct child *c, const union chan_body *m);
int held_answer_cancel(struct child *c, const union chan_body *m);
int held_answer_result(struct child *c, const union chan_body *m);

/* The child of a held request has its answer (c is NULL if it died). */
void held_resolved(struct csignd *d, uint64_t id, struct child *c);
/* A child is gone: cancel what it was waiting for. */
void held_child_gone(struct child *c);
/* Once a second: expire requests and kept results. */
void held_tick(struct csignd *d);
/* SIGTERM: cancel every held request (audited) and answer every waiter. */
void held_drain(struct csignd *d);

/*
 * At start, after the audit log is open: the held list next to statefile
 * (heldfile.h); requests a crashed daemon left there are audited as
 * cancelled.  0, or -1 with err set.
 */
struct audit;
int held_open(const char *statefile, struct audit *au, char *err,
    size_t errlen);
/* At exit: write the held list as it ends (normally empty). */
void held_close(void);

/* What monitor.c provides for this (and monitor_audit_peer, monitor.h). */
/* Answer a query-like request with a status frame: 0 or -1. */
int monitor_reply_status(struct child *c, int status, const char *msg);
/*
 * Sign an approved request now, after checking it again against the
 * policy in force (0); or answer it without a signature, refused (audited)
 * or "unavailable", and return -1 with why set.
 */
int monitor_sign_approved(struct child *c, struct sign_ctx *x,
    uint64_t request, const char *approvers, char *why, size_t whylen);
/* Answer a held request without a signature, and free x. */
void monitor_sign_refused(struct child *c, struct sign_ctx *x,
    uint64_t request, int status, const char *msg);
/* Free x of a request whose child is gone. */
void monitor_sign_drop(struct sign_ctx *x);
/* Send the child a MSG_SIGN_HELD. */
void monitor_held_notice(struct child *c, const struct msg_sign_held *m);

#endif
