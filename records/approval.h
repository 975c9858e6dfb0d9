/*
 * approval: the monitor's table of sign requests held for two-person
 * approval ("Approval group NAME [count N] [expires D]" in a Key block).
 *
 * A held request keeps everything needed to sign it later (the monitor's
 * own sign context, opaque here) and the rule it was held under, so a
 * reload changes only new requests.  Its life:
 *
 *   WAITING   approvals are collected; it expires at .expires
 *   SIGNING   enough approvals: the signer and the audit log have it
 *   BUILDING  --no-wait: the child builds the final reply frame
 *   DONE      --no-wait: the frame is kept for F_WAIT until .expires
 *
 * Only undecided requests (WAITING, SIGNING) take an approval slot:
 * APPROVAL_MAX_HELD in all, APPROVAL_MAX_PER_UID per requester.  A
 * request decided, expired or cancelled frees its slot at once; what a
 * --no-wait requester has still to collect (BUILDING, DONE) is kept
 * apart, at most APPROVAL_MAX_KEPT results in all and
 * APPROVAL_MAX_KEPT_PER_UID per requester, the oldest dropped first.
 *
 * The table is in memory only: a restart drops it (and audits that).
 * Pure bookkeeping: no I/O, no audit, no children; monitor/held.c does
 * those.  Only the event loop's thread touches a table.
 */
#ifndef CSIGN_APPROVAL_H
#define CSIGN_APPROVAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "records/config.h"
#include "records/policy.h"

#define APPROVAL_MAX_HELD 64	    /* undecided requests, all users */
#define APPROVAL_MAX_PER_UID 8	    /* undecided requests of one requester */
#define APPROVAL_MAX_KEPT 64	    /* decided --no-wait results, all users */
#define APPROVAL_MAX_KEPT_PER_UID 8 /* ... of one requester */
#define APPROVAL_TABLE (APPROVAL_MAX_HELD + APPROVAL_MAX_KEPT)

enum held_state {
	HELD_WAITING,
	HELD_SIGNING,
	HELD_BUILDING,
	HELD_DONE
};

struct held {
	uint64_t id;
	enum held_state state;
	uint32_t reqid;		   /* the child's MSG_SIGN id */
	struct identity requester; /* from the kernel, at request time */
	char key[KEY_NAME_MAX + 1];
	int format;
	int digest;
	char name[ARTIFACT_NAME_MAX + 1];
	uint8_t adigest[DIGEST_MAX];
	size_t adigestlen;
	uint64_t size;
	time_t created;
	time_t expires; /* end of the current state */
	/* The rule it was held under. */
	char group[KEY_NAME_MAX + 1];
	gid_t gid;
	unsigned need;
	unsigned lifetime; /* seconds, the rule's "expires" */
	/* Distinct approvers so far. */
	uid_t approver_uid[APPROVAL_COUNT_MAX];
	char approver[APPROVAL_COUNT_MAX][KEY_NAME_MAX + 1];
	unsigned have;
	int nowait;	/* the requester collects it later */
	void *owner;	/* the requester's child, or NULL */
	void *job;	/* the kept sign context */
	void *waiter;	/* a child waiting with F_WAIT */
	uint8_t *frame; /* DONE: the final client frame */
	size_t framelen;
};

struct approvals {
	struct held *v[APPROVAL_TABLE];
	size_t n;
	uint64_t next_id;
};

enum approval_add {
	APPROVAL_ADDED = 0,
	APPROVAL_FULL,	   /* APPROVAL_MAX_HELD reached */
	APPROVAL_USER_FULL /* APPROVAL_MAX_PER_UID reached */
};

enum approval_vote {
	VOTE_RECORDED = 0, /* counted, more are needed */
	VOTE_COMPLETE,	   /* counted, and that was the last */
	VOTE_NOT_WAITING,  /* decided, signing or expired */
	VOTE_NOT_MEMBER,   /* not in the approval group */
	VOTE_SELF,	   /* the requester */
	VOTE_AGAIN	   /* this approver already approved */
};

void approvals_init(struct approvals *a);
/* Free every entry (the caller has dealt with jobs and children). */
void approvals_clear(struct approvals *a);

/*
 * Add a WAITING copy of tmpl (id, state, approvals and pointers are set
 * here; requester, request, rule, nowait, owner and job are the
 * caller's), expiring lifetime seconds after now.  The new entry goes to
 * *out.
 */
enum approval_add approvals_add(struct approvals *a, const struct held *tmpl,
    time_t now, struct held **out);
struct held *approvals_find(const struct approvals *a, uint64_t id);
/* Remove and free h. */
void approvals_remove(struct approvals *a, struct held *h);

/* 1 if h is undecided (WAITING or SIGNING): it takes an approval slot. */
int approval_undecided(const struct held *h);

/*
 * Before h (just decided, not yet kept) is kept for its --no-wait
 * requester: the kept result to drop to make room, the oldest of h's
 * requester if they keep APPROVAL_MAX_KEPT_PER_UID already, else the
 * oldest of all if APPROVAL_MAX_KEPT are kept; NULL if there is room.
 */
struct held *approvals_kept_victim(const struct approvals *a,
    const struct held *h);

/* 1 if id may see and decide h: a member of its group. */
int approval_may_decide(const struct held *h, const struct identity *id);

/*
 * Record an approval of h by who: the checks of the rule (member of the
 * group, not the requester, once per approver), then the count.
 */
enum approval_vote approval_approve(struct held *h, const struct identity *who);

/* The approvers' names, comma-separated, into dst. */
void approval_approvers(const struct held *h, char *dst, size_t dstlen);

/*
 * The first entry whose current state has run out at now (WAITING,
 * BUILDING or DONE; never SIGNING), or NULL.
 */
struct held *approvals_next_expired(const struct approvals *a, time_t now);

/* Keep a copy of the final frame of a --no-wait request: DONE.  0/-1. */
int approval_keep_frame(struct held *h, const uint8_t *p, size_t len,
    time_t now);

#endif
