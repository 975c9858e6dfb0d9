/* upload.c: per-uid budget of inline uploads in flight (see upload.h). */
#include "monitor/upload.h"

#include <stdlib.h>

/* One session's reservation. */
struct reservation {
	const void *owner;
	uid_t uid;
	uint64_t bytes;
};

/*
 * An array, not a table keyed by uid: there are at most as many entries
 * as sessions (MaxSessions), and a sum over them is cheap next to the
 * upload it guards.
 */
struct uploads {
	struct reservation *r;
	size_t n;
	size_t cap;
};

struct uploads *
uploads_new(void)
{
	return calloc(1, sizeof(struct uploads));
}

void
uploads_free(struct uploads *u)
{
	if (u == NULL)
		return;
	free(u->r);
	free(u);
}

/* Index of owner's reservation, or -1. */
static long
uploads_find(const struct uploads *u, const void *owner)
{
	for (size_t i = 0; i < u->n; i++)
		if (u->r[i].owner == owner)
			return (long)i;
	return -1;
}

uint64_t
uploads_in_flight(const struct uploads *u, uid_t uid)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < u->n; i++)
		if (u->r[i].uid == uid)
			sum += u->r[i].bytes;
	return sum;
}

/* Room for one more reservation; -1 if out of memory. */
static int
uploads_grow(struct uploads *u)
{
	struct reservation *r;
	size_t cap = u->cap ? u->cap * 2 : 16;

	if (u->n < u->cap)
		return 0;
	if ((r = reallocarray(u->r, cap, sizeof(*r))) == NULL)
		return -1;
	u->r = r;
	u->cap = cap;
	return 0;
}

enum upload_result
uploads_reserve(struct uploads *u, const void *owner, uid_t uid, uint64_t bytes,
    uint64_t limit, uint64_t *in_use)
{
	uint64_t used = uploads_in_flight(u, uid);

	*in_use = used;
	if (uploads_find(u, owner) != -1)
		return UPLOAD_TWICE;
	if (bytes > limit)
		return UPLOAD_TOO_LARGE;
	/* bytes <= limit here: limit - bytes cannot wrap */
	if (used > limit - bytes)
		return UPLOAD_OVER_BUDGET;
	if (uploads_grow(u) == -1)
		return UPLOAD_OVER_BUDGET;
	u->r[u->n++] =
	    (struct reservation){ .owner = owner, .uid = uid, .bytes = bytes };
	return UPLOAD_OK;
}

int
uploads_release(struct uploads *u, const void *owner)
{
	long i = uploads_find(u, owner);

	if (i == -1)
		return 0;
	u->r[i] = u->r[--u->n];
	return 1;
}
