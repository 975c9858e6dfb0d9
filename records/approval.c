/* approval.c: the table of held sign requests (see approval.h). */
#include "records/approval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

void
approvals_init(struct approvals *a)
{
	memset(a, 0, sizeof(*a));
	a->next_id = 1;
}

/* Free one entry; the kept frame may hold a signature: wiped. */
static void
held_free(struct held *h)
{
	if (h == NULL)
		return;
	if (h->frame != NULL) {
		OPENSSL_cleanse(h->frame, h->framelen);
		free(h->frame);
	}
	free(h);
}

void
approvals_clear(struct approvals *a)
{
	for (size_t i = 0; i < a->n; i++)
		held_free(a->v[i]);
	a->n = 0;
}

int
approval_undecided(const struct held *h)
{
	return h->state == HELD_WAITING || h->state == HELD_SIGNING;
}

/*
 * Entries of uid (every uid if uid is -1) that are undecided (undecided
 * 1) or kept results (undecided 0).
 */
static size_t
approvals_count(const struct approvals *a, long long uid, int undecided)
{
	size_t n = 0;

	for (size_t i = 0; i < a->n; i++)
		if ((uid == -1 || a->v[i]->requester.uid == (uid_t)uid) &&
		    approval_undecided(a->v[i]) == undecided)
			n++;
	return n;
}

enum approval_add
approvals_add(struct approvals *a, const struct held *tmpl, time_t now,
    struct held **out)
{
	struct held *h;

	if (approvals_count(a, -1, 1) >= APPROVAL_MAX_HELD ||
	    a->n >= APPROVAL_TABLE)
		return APPROVAL_FULL;
	if (approvals_count(a, tmpl->requester.uid, 1) >= APPROVAL_MAX_PER_UID)
		return APPROVAL_USER_FULL;
	if ((h = malloc(sizeof(*h))) == NULL)
		return APPROVAL_FULL;
	*h = *tmpl;
	h->id = a->next_id++;
	h->state = HELD_WAITING;
	h->created = now;
	h->expires = now + (time_t)h->lifetime;
	h->have = 0;
	h->waiter = NULL;
	h->frame = NULL;
	h->framelen = 0;
	a->v[a->n++] = h;
	*out = h;
	return APPROVAL_ADDED;
}

/* The oldest kept result of uid (of all if uid is -1), or NULL. */
static struct held *
oldest_kept(const struct approvals *a, long long uid)
{
	for (size_t i = 0; i < a->n; i++)
		if ((uid == -1 || a->v[i]->requester.uid == (uid_t)uid) &&
		    !approval_undecided(a->v[i]))
			return a->v[i];
	return NULL;
}

struct held *
approvals_kept_victim(const struct approvals *a, const struct held *h)
{
	if (approvals_count(a, h->requester.uid, 0) >=
	    APPROVAL_MAX_KEPT_PER_UID)
		return oldest_kept(a, h->requester.uid);
	if (approvals_count(a, -1, 0) >= APPROVAL_MAX_KEPT)
		return oldest_kept(a, -1);
	return NULL;
}

struct held *
approvals_find(const struct approvals *a, uint64_t id)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i]->id == id)
			return a->v[i];
	return NULL;
}

void
approvals_remove(struct approvals *a, struct held *h)
{
	for (size_t i = 0; i < a->n; i++) {
		if (a->v[i] != h)
			continue;
		/* Keep the order: listings show the oldest first. */
		memmove(&a->v[i], &a->v[i + 1],
		    (a->n - i - 1) * sizeof(struct held *));
		a->n--;
		held_free(h);
		return;
	}
}

int
approval_may_decide(const struct held *h, const struct identity *id)
{
	return identity_in_group(id, h->gid);
}

/*
 * The order of the checks matters for the answer only: each refusal is
 * final.  The requester is refused even when in the group, which is the
 * point of a second person.
 */
enum approval_vote
approval_approve(struct held *h, const struct identity *who)
{
	if (h->state != HELD_WAITING)
		return VOTE_NOT_WAITING;
	if (!identity_in_group(who, h->gid))
		return VOTE_NOT_MEMBER;
	if (who->uid == h->requester.uid)
		return VOTE_SELF;
	for (unsigned i = 0; i < h->have; i++)
		if (h->approver_uid[i] == who->uid)
			return VOTE_AGAIN;
	if (h->have >= APPROVAL_COUNT_MAX)
		return VOTE_NOT_WAITING;
	h->approver_uid[h->have] = who->uid;
	snprintf(h->approver[h->have], sizeof(h->approver[0]), "%s", who->user);
	h->have++;
	if (h->have < h->need)
		return VOTE_RECORDED;
	h->state = HELD_SIGNING;
	return VOTE_COMPLETE;
}

void
approval_approvers(const struct held *h, char *dst, size_t dstlen)
{
	size_t off = 0;
	int n;

	if (dstlen == 0)
		return;
	dst[0] = '\0';
	for (unsigned i = 0; i < h->have && off < dstlen; i++) {
		n = snprintf(dst + off, dstlen - off, "%s%s", i ? "," : "",
		    h->approver[i]);
		if (n < 0)
			return;
		off += (size_t)n;
	}
}

struct held *
approvals_next_expired(const struct approvals *a, time_t now)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i]->state != HELD_SIGNING && a->v[i]->expires <= now)
			return a->v[i];
	return NULL;
}

int
approval_keep_frame(struct held *h, const uint8_t *p, size_t len, time_t now)
{
	uint8_t *copy;

	if (len == 0 || (copy = malloc(len)) == NULL)
		return -1;
	memcpy(copy, p, len);
	h->frame = copy;
	h->framelen = len;
	h->state = HELD_DONE;
	h->expires = now + (time_t)h->lifetime;
	return 0;
}
