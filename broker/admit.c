/* admit.c: per-uid connection counts and the fair queue (see admit.h). */
#include "broker/admit.h"

#include <stdlib.h>

void
admit_init(struct admit *a)
{
	TAILQ_INIT(&a->users);
	TAILQ_INIT(&a->turns);
	a->nready = 0;
}

/* The record of uid, or NULL if it holds no connection. */
static struct admit_user *
admit_find(struct admit *a, uid_t uid)
{
	struct admit_user *u;

	TAILQ_FOREACH (u, &a->users, entry)
		if (u->uid == uid)
			return u;
	return NULL;
}

struct admit_user *
admit_hold(struct admit *a, uid_t uid, unsigned max, int *full)
{
	struct admit_user *u;

	*full = 1;
	if (max == 0)
		return NULL;
	if ((u = admit_find(a, uid)) == NULL) {
		if ((u = calloc(1, sizeof(*u))) == NULL) {
			*full = 0;
			return NULL;
		}
		u->uid = uid;
		TAILQ_INIT(&u->queue);
		TAILQ_INSERT_TAIL(&a->users, u, entry);
	}
	if (u->nconn >= max)
		return NULL;
	*full = 0;
	u->nconn++;
	return u;
}

void
admit_release(struct admit *a, struct admit_user *u)
{
	if (u == NULL)
		return;
	if (--u->nconn > 0)
		return;
	/* No reference left means no queued client either. */
	TAILQ_REMOVE(&a->users, u, entry);
	free(u);
}

/* Let u take turns again, behind every uid already waiting. */
static void
admit_turn_join(struct admit *a, struct admit_user *u)
{
	if (u->in_turns)
		return;
	TAILQ_INSERT_TAIL(&a->turns, u, turn);
	u->in_turns = 1;
}

/* u has nothing queued any more: out of the turns. */
static void
admit_turn_leave(struct admit *a, struct admit_user *u)
{
	if (!u->in_turns)
		return;
	TAILQ_REMOVE(&a->turns, u, turn);
	u->in_turns = 0;
}

void
admit_enqueue(struct admit *a, struct waiting *w)
{
	TAILQ_INSERT_TAIL(&w->user->queue, w, qentry);
	a->nready++;
	admit_turn_join(a, w->user);
}

void
admit_dequeue(struct admit *a, struct waiting *w)
{
	TAILQ_REMOVE(&w->user->queue, w, qentry);
	a->nready--;
	if (TAILQ_EMPTY(&w->user->queue))
		admit_turn_leave(a, w->user);
}

/*
 * The oldest client of the uid whose turn it is; that uid then goes to
 * the back of the turns if it has more.
 */
struct waiting *
admit_next(struct admit *a)
{
	struct admit_user *u;
	struct waiting *w;

	if ((u = TAILQ_FIRST(&a->turns)) == NULL)
		return NULL;
	w = TAILQ_FIRST(&u->queue);
	admit_dequeue(a, w);
	if (!TAILQ_EMPTY(&u->queue)) {
		admit_turn_leave(a, u);
		admit_turn_join(a, u);
	}
	return w;
}

/* Undo admit_next(): w first in its queue, its uid first in the turns. */
void
admit_putback(struct admit *a, struct waiting *w)
{
	struct admit_user *u = w->user;

	TAILQ_INSERT_HEAD(&u->queue, w, qentry);
	a->nready++;
	admit_turn_leave(a, u);
	TAILQ_INSERT_HEAD(&a->turns, u, turn);
	u->in_turns = 1;
}
